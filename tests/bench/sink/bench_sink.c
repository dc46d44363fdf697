/*
 * bench_sink.c - the stand-in sendmail of the bench's pipe cell: ignores its
 * arguments (-G -i -f SENDER -- RCPT), reads standard input to the end and
 * exits 0.  Linked statically so that its own exec costs as little as can be.
 */
#include <unistd.h>

/* main - drain standard input; 0 at its end, 74 on a read error */
int main(void)
{
	static char buf[65536];
	ssize_t n;
	while ((n = read(0, buf, sizeof buf)) != 0)
		if (n < 0)
			return 74;
	return 0;
}
