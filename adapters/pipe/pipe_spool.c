/*
 * pipe_spool.c - the message of dkmod-pipe on its way in: standard input is
 * read in 64 KB chunks, each written to an unlinked temporary file (for the
 * reinjection, which needs the verdict first) and pushed into the pipeline
 * at once.  Memory stays bounded whatever the message size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipe.h"

#define PIPE_SPOOL_CHUNK 65536

/* pipe_spool_dir - $TMPDIR if it is an absolute path, else /tmp */
static const char *pipe_spool_dir(void)
{
	const char *d = getenv("TMPDIR");
	return d && d[0] == '/' ? d : "/tmp";
}

/* pipe_spool_open - an unlinked temporary file: O_TMPFILE, else mkstemp + unlink */
int pipe_spool_open(void)
{
	const char *dir = pipe_spool_dir();
#ifdef O_TMPFILE
	int fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
#endif
	char path[4096];
	if (snprintf(path, sizeof path, "%s/dkmod-pipe.XXXXXX", dir) >= (int)sizeof path)
		return -1;
	int tfd = mkostemp(path, O_CLOEXEC);
	if (tfd < 0)
		return -1;
	unlink(path);
	return tfd;
}

/* pipe_spool_write - write all of buf to fd */
bool pipe_spool_write(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* pipe_spool_feed - standard input into the spool and the message */
bool pipe_spool_feed(int spool, struct pipeline_msg *m)
{
	static char buf[PIPE_SPOOL_CHUNK];
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pipe_logf(DKMOD_LOG_ERROR, "read error on standard input: %s", strerror(errno));
			return false;
		}
		if (n == 0)
			return true;
		if (!pipe_spool_write(spool, buf, (size_t)n)) {
			pipe_logf(DKMOD_LOG_ERROR, "cannot write the spool file: %s", strerror(errno));
			return false;
		}
		if (pipeline_msg_write(m, buf, (size_t)n) != PIPELINE_OK) {
			pipe_logf(DKMOD_LOG_ERROR, "the pipeline refused the message data");
			return false;
		}
	}
}
