/*
 * pipe_inject.c - reinjection by dkmod-pipe: `sendmail -G -i -f SENDER --
 * RCPT...` reads the resulting message: the added fields (in the message's
 * own line ends), the kept header fields as received, then the rest of the
 * spool unchanged.  Success only if every byte went out and sendmail
 * exited 0.  sendmail is started with posix_spawn (no copy of this
 * process's memory), and is written to in chunks of up to 64 KB.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pipe.h"

#define PIPE_INJECT_CHUNK 65536

extern char **environ;

volatile pid_t pipe_child;

/* What goes to sendmail, gathered so that it is written in large chunks. */
struct pipe_out {
	int fd;
	size_t len;
	char buf[PIPE_INJECT_CHUNK];
};

/* pipe_out_flush - write what is gathered */
static bool pipe_out_flush(struct pipe_out *w)
{
	bool ok = pipe_spool_write(w->fd, w->buf, w->len);
	w->len = 0;
	return ok;
}

/* pipe_out_put - gather len bytes (a large piece is written through) */
static bool pipe_out_put(struct pipe_out *w, const char *data, size_t len)
{
	if (w->len + len > sizeof w->buf && !pipe_out_flush(w))
		return false;
	if (len > sizeof w->buf)
		return pipe_spool_write(w->fd, data, len);
	memcpy(w->buf + w->len, data, len);
	w->len += len;
	return true;
}

/* pipe_inject_field - a whole field (folded with CRLF, no final line end) in eol line ends */
static bool pipe_inject_field(struct pipe_out *w, const char *field, const char *eol)
{
	const char *p = field;
	for (;;) {
		const char *crlf = strstr(p, "\r\n");
		size_t len = crlf ? (size_t)(crlf - p) : strlen(p);
		if (!pipe_out_put(w, p, len) || !pipe_out_put(w, eol, strlen(eol)))
			return false;
		if (!crlf)
			return true;
		p = crlf + 2;
	}
}

/* pipe_out_emit - dkmod_emit_fn into the gathered output */
static bool pipe_out_emit(void *arg, const char *data, size_t len)
{
	return pipe_out_put(arg, data, len);
}

/* pipe_inject_header - the added fields (extra first), then, if any received field goes, the
 * received header without them; *body_at: where the rest of the spool starts */
static bool pipe_inject_header(struct pipe_out *w, struct pipeline_msg *m, const struct pipe_spool *spool,
			       const char *extra, off_t *body_at)
{
	static char buf[PIPE_INJECT_CHUNK];
	const char *eol = pipeline_msg_eol(m);
	if (extra && !pipe_inject_field(w, extra, eol))
		return false;
	for (size_t i = 0; i < pipeline_msg_added_count(m); i++)
		if (!pipe_inject_field(w, pipeline_msg_added(m, i), eol))
			return false;
	*body_at = 0;
	if (!pipeline_msg_removes(m))
		return true;
	struct dkmod_header_walk walk;
	pipeline_msg_header_walk(m, &walk);
	while (!dkmod_header_walk_done(&walk)) {
		const char *data;
		ssize_t n = pipe_spool_read(spool, *body_at, buf, sizeof buf, &data);
		if (n <= 0)
			return n == 0 && dkmod_header_walk_end(&walk, pipe_out_emit, w);
		size_t used = dkmod_header_walk_bytes(&walk, data, (size_t)n, pipe_out_emit, w);
		if (used == SIZE_MAX)
			return false;
		*body_at += (off_t)used;
	}
	return true;
}

/* pipe_inject_splice - the kept message from memory into the pipe to sendmail without a copy:
 * the pipe takes the pages themselves (they stay unchanged until we exit); true when done,
 * false (nothing lost: *at says how far it got) when the kernel will not, so write() goes on */
static bool pipe_inject_splice(int fd, const struct pipe_spool *spool, off_t *at)
{
	while (*at < spool->size) {
		struct iovec v = {spool->mem + *at, (size_t)(spool->size - *at)};
		ssize_t n = vmsplice(fd, &v, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		*at += n;
	}
	return true;
}

/* pipe_inject_body - the spool from body_at to its end */
static bool pipe_inject_body(struct pipe_out *w, const struct pipe_spool *spool, off_t at)
{
	static char buf[PIPE_INJECT_CHUNK];
	if (spool->fd < 0 && spool->size - at > PIPE_INJECT_CHUNK) {
		if (!pipe_out_flush(w))
			return false;
		if (pipe_inject_splice(w->fd, spool, &at))
			return true;
	}
	for (;;) {
		const char *data;
		ssize_t n = pipe_spool_read(spool, at, buf, sizeof buf, &data);
		if (n < 0)
			return false;
		if (n == 0)
			return pipe_out_flush(w);
		if (!pipe_out_put(w, data, (size_t)n))
			return false;
		at += n;
	}
}

/* pipe_inject_argv - sendmail [ARGS] -G -i -f SENDER -- RCPT... (NULL if out of memory) */
static char **pipe_inject_argv(const struct pipe_opts *o)
{
	size_t n = 0;
	char **argv = calloc(o->nsendmail_args + o->nrcpts + 8, sizeof *argv);
	if (!argv)
		return NULL;
	argv[n++] = (char *)o->sendmail;
	for (size_t i = 0; i < o->nsendmail_args; i++)
		argv[n++] = (char *)o->sendmail_args[i];
	argv[n++] = "-G";
	argv[n++] = "-i";
	argv[n++] = "-f";
	argv[n++] = (char *)o->sender;
	argv[n++] = "--";
	for (size_t i = 0; i < o->nrcpts; i++)
		argv[n++] = (char *)o->rcpts[i];
	return argv;
}

/* pipe_inject_spawn - start argv with fd on its standard input, its standard output on our
 * stderr (ours is the delivery status text), SIGPIPE back to default, the signal mask mask;
 * 0 or an errno value */
static int pipe_inject_spawn(char **argv, int fd, const sigset_t *mask, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t dflt;
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	int err = posix_spawn_file_actions_init(&fa);
	if (err)
		return err;
	if (!(err = posix_spawnattr_init(&at))) {
		if (!(err = posix_spawn_file_actions_adddup2(&fa, fd, STDIN_FILENO)) &&
		    !(err = posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO)) &&
		    !(err = posix_spawnattr_setsigdefault(&at, &dflt)) &&
		    !(err = posix_spawnattr_setsigmask(&at, mask)) &&
		    !(err = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)))
			err = posix_spawn(pid, argv[0], &fa, &at, argv, environ);
		posix_spawnattr_destroy(&at);
	}
	posix_spawn_file_actions_destroy(&fa);
	return err;
}

/* pipe_inject_start - start sendmail reading from a pipe for a message of about size bytes; the
 * pipe's write end, or -1 (errno set) */
static int pipe_inject_start(const struct pipe_opts *o, off_t size)
{
	char **argv = pipe_inject_argv(o);
	int fds[2];
	if (!argv || pipe2(fds, O_CLOEXEC) != 0) {
		free(argv);
		return -1;
	}
	/* signals wait until pipe_child is set, so that the handler can kill sendmail */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid;
	int err = pipe_inject_spawn(argv, fds[0], &old, &pid);
	if (!err)
		pipe_child = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(argv);
	close(fds[0]);
	if (err) {
		close(fds[1]);
		errno = err;
		return -1;
	}
	/* a larger pipe for a larger message: fewer switches between us and sendmail (may fail) */
	if (size > PIPE_INJECT_CHUNK)
		fcntl(fds[1], F_SETPIPE_SZ, size < PIPE_INJECT_PIPE_MAX ? (int)size : PIPE_INJECT_PIPE_MAX);
	return fds[1];
}

/* pipe_inject_wait - reap sendmail; true if it exited 0 */
static bool pipe_inject_wait(const struct pipe_opts *o)
{
	int status;
	pid_t pid = pipe_child;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			pipe_logf(DKMOD_LOG_ERROR, "waitpid: %s", strerror(errno));
			return false;
		}
	}
	pipe_child = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFEXITED(status))
		pipe_logf(DKMOD_LOG_ERROR, "%s exited with status %d", o->sendmail, WEXITSTATUS(status));
	else
		pipe_logf(DKMOD_LOG_ERROR, "%s was killed by signal %d", o->sendmail, WTERMSIG(status));
	return false;
}

/* pipe_inject - hand the resulting message to sendmail */
bool pipe_inject(const struct pipe_opts *o, struct pipeline_msg *m, const struct pipe_spool *spool,
		 const char *extra)
{
	static struct pipe_out w;
	w.fd = pipe_inject_start(o, spool->size);
	w.len = 0;
	if (w.fd < 0) {
		pipe_logf(DKMOD_LOG_ERROR, "cannot start %s: %s", o->sendmail, strerror(errno));
		return false;
	}
	off_t body_at;
	bool ok = pipe_inject_header(&w, m, spool, extra, &body_at) && pipe_inject_body(&w, spool, body_at);
	if (!ok) {
		/* kill it before it sees the end of the input: a partial message must not be queued */
		pipe_logf(DKMOD_LOG_ERROR, "cannot write to %s: %s", o->sendmail, strerror(errno));
		kill(pipe_child, SIGKILL);
	}
	close(w.fd);
	return pipe_inject_wait(o) && ok;
}
