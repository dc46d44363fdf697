/*
 * stdio_out.c - the reply stream of dkmod-stdio: replies gather in one
 * fixed buffer and go out in one write when the filter is about to wait
 * for input (or the buffer is full), so pipelined requests cost one write
 * for many replies while a lone request is still answered at once.  No
 * memory is allocated; a write error is kept and reported by the caller.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "stdio_filter.h"

/* stdio_out_write - write all of buf to the output; false on an error (kept) */
static bool stdio_out_write(struct stdio_out *o, const char *buf, size_t len)
{
	while (len > 0 && !o->failed) {
		ssize_t n = write(o->fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			o->failed = true;
			break;
		}
		buf += n;
		len -= (size_t)n;
	}
	return !o->failed;
}

/* stdio_out_flush - write what is buffered */
bool stdio_out_flush(struct stdio_out *o)
{
	bool ok = stdio_out_write(o, o->buf, o->len);
	o->len = 0;
	return ok;
}

/* stdio_out_put - append len bytes (written out first when the buffer is full) */
void stdio_out_put(struct stdio_out *o, const char *s, size_t len)
{
	if (o->len + len > sizeof o->buf) {
		stdio_out_flush(o);
		if (len > sizeof o->buf) {
			stdio_out_write(o, s, len);
			return;
		}
	}
	memcpy(o->buf + o->len, s, len);
	o->len += len;
}

/* stdio_out_str - append a NUL-terminated string */
void stdio_out_str(struct stdio_out *o, const char *s)
{
	stdio_out_put(o, s, strlen(s));
}
