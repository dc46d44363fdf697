/*
 * pipe_spool.c - the message of dkmod-pipe on its way in: standard input is
 * read in chunks, each kept (for the reinjection, which needs the verdict
 * first) and pushed into the pipeline at once.  A message of up to
 * PIPE_SPOOL_MEM bytes is kept in memory; a larger one goes on into an
 * unlinked temporary file, so memory stays bounded whatever the size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pipe.h"

#define PIPE_SPOOL_CHUNK 65536

/* pipe_spool_dir - $TMPDIR if it is an absolute path, else /tmp */
static const char *pipe_spool_dir(void)
{
	const char *d = getenv("TMPDIR");
	return d && d[0] == '/' ? d : "/tmp";
}

/* pipe_spool_tmpfile - an unlinked temporary file: O_TMPFILE, else mkstemp + unlink; -1 on error */
static int pipe_spool_tmpfile(void)
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

/* pipe_spool_open - an empty spool: the memory reserved (pages are only used as they fill) */
bool pipe_spool_open(struct pipe_spool *s, size_t mem_cap)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	if (mem_cap < PIPE_SPOOL_CHUNK)
		mem_cap = PIPE_SPOOL_CHUNK;
	void *mem = mmap(NULL, mem_cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return false;
	s->mem = mem;
	s->cap = mem_cap;
	return true;
}

/* pipe_spool_close - release the memory and the file */
void pipe_spool_close(struct pipe_spool *s)
{
	if (s->mem)
		munmap(s->mem, s->cap);
	if (s->fd >= 0)
		close(s->fd);
	s->mem = NULL;
	s->fd = -1;
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

/* pipe_spool_to_file - the message outgrew the memory: a temporary file takes what is kept so
 * far, and the memory goes */
static bool pipe_spool_to_file(struct pipe_spool *s)
{
	s->fd = pipe_spool_tmpfile();
	if (s->fd < 0) {
		pipe_logf(DKMOD_LOG_ERROR, "cannot create a spool file in %s: %s", pipe_spool_dir(), strerror(errno));
		return false;
	}
	if (!pipe_spool_write(s->fd, s->mem, s->len)) {
		pipe_logf(DKMOD_LOG_ERROR, "cannot write the spool file: %s", strerror(errno));
		return false;
	}
	munmap(s->mem, s->cap);
	s->mem = NULL;
	s->cap = s->len = 0;
	return true;
}

/* pipe_spool_populate - make the memory up to end present in one call rather than a page fault
 * per page (a hint: kernels before 5.14 say EINVAL, and the pages then come one by one) */
static void pipe_spool_populate(struct pipe_spool *s, const char *end)
{
#ifdef MADV_POPULATE_WRITE
	if (end <= s->mem + s->populated)
		return;
	if (s->size > 0) /* not for the first chunk: most messages are small */
		madvise(s->mem + s->populated, (size_t)(end - s->mem) - s->populated, MADV_POPULATE_WRITE);
	s->populated = (size_t)(end - s->mem);
#else
	(void)s;
	(void)end;
#endif
}

/* pipe_spool_feed - standard input into the spool and the message */
bool pipe_spool_feed(struct pipe_spool *s, struct pipeline_msg *m)
{
	static char chunk[PIPE_SPOOL_CHUNK];
	for (;;) {
		/* into the memory while there is room; else a chunk, and the file once there is more */
		bool mem = s->fd < 0 && s->len < s->cap;
		char *at = mem ? s->mem + s->len : chunk;
		size_t room = mem && s->cap - s->len < PIPE_SPOOL_CHUNK ? s->cap - s->len : PIPE_SPOOL_CHUNK;
		if (mem)
			pipe_spool_populate(s, at + room);
		ssize_t n = read(STDIN_FILENO, at, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pipe_logf(DKMOD_LOG_ERROR, "read error on standard input: %s", strerror(errno));
			return false;
		}
		if (n == 0)
			return true;
		if (mem) {
			s->len += (size_t)n;
		} else if (s->fd < 0 && !pipe_spool_to_file(s)) {
			return false;
		} else if (!pipe_spool_write(s->fd, at, (size_t)n)) {
			pipe_logf(DKMOD_LOG_ERROR, "cannot write the spool file: %s", strerror(errno));
			return false;
		}
		s->size += (off_t)n;
		if (pipeline_msg_write(m, at, (size_t)n) != PIPELINE_OK) {
			pipe_logf(DKMOD_LOG_ERROR, "the pipeline refused the message data");
			return false;
		}
	}
}

/* pipe_spool_read - the message from offset at: a pointer into memory to all the rest, or up to
 * cap bytes read from the file into buf; the count, 0 at the end, -1 on a read error */
ssize_t pipe_spool_read(const struct pipe_spool *s, off_t at, char *buf, size_t cap, const char **data)
{
	if (s->fd < 0) {
		*data = s->mem + at;
		return at < s->size ? (ssize_t)(s->size - at) : 0;
	}
	for (;;) {
		ssize_t n = pread(s->fd, buf, cap, at);
		if (n < 0 && errno == EINTR)
			continue;
		*data = buf;
		return n;
	}
}
