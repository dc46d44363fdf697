/*
 * pipe_inject.c - reinjection by dkmod-pipe: `sendmail -G -i -f SENDER --
 * RCPT...` reads the resulting message: the added fields (in the message's
 * own line ends), the kept header fields as received, then the rest of the
 * spool unchanged.  Success only if every byte went out and sendmail
 * exited 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pipe.h"

#define PIPE_INJECT_CHUNK 65536

volatile pid_t pipe_child;

/* pipe_inject_field - a whole field (folded with CRLF, no final line end) in eol line ends */
static bool pipe_inject_field(int fd, const char *field, const char *eol)
{
	const char *p = field;
	for (;;) {
		const char *crlf = strstr(p, "\r\n");
		size_t len = crlf ? (size_t)(crlf - p) : strlen(p);
		if (!pipe_spool_write(fd, p, len) || !pipe_spool_write(fd, eol, strlen(eol)))
			return false;
		if (!crlf)
			return true;
		p = crlf + 2;
	}
}

/* pipe_inject_header - the added fields (extra first), then the kept fields; *body_at: where
 * the rest of the spool starts */
static bool pipe_inject_header(int fd, struct pipeline_msg *m, const char *extra, off_t *body_at)
{
	const char *eol = pipeline_msg_eol(m);
	if (extra && !pipe_inject_field(fd, extra, eol))
		return false;
	for (size_t i = 0; i < pipeline_msg_added_count(m); i++)
		if (!pipe_inject_field(fd, pipeline_msg_added(m, i), eol))
			return false;
	*body_at = 0;
	if (!pipeline_msg_intact(m))
		return true;
	for (size_t i = 0; i < pipeline_msg_header_count(m); i++) {
		size_t len;
		const char *raw = pipeline_msg_header_raw(m, i, &len);
		if (!pipeline_msg_header_removed(m, i) && !pipe_spool_write(fd, raw, len))
			return false;
		*body_at += (off_t)len;
	}
	return true;
}

/* pipe_inject_body - the spool from body_at to its end */
static bool pipe_inject_body(int fd, int spool, off_t at)
{
	static char buf[PIPE_INJECT_CHUNK];
	for (;;) {
		ssize_t n = pread(spool, buf, sizeof buf, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		if (n == 0)
			return true;
		if (!pipe_spool_write(fd, buf, (size_t)n))
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

/* pipe_inject_start - fork sendmail reading from a pipe; the pipe's write end, or -1 */
static int pipe_inject_start(const struct pipe_opts *o)
{
	char **argv = pipe_inject_argv(o);
	int fds[2];
	if (!argv || pipe2(fds, O_CLOEXEC) != 0) {
		free(argv);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		/* the child: its standard output joins ours only through stderr */
		if (dup2(fds[0], STDIN_FILENO) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], argv);
		_exit(127);
	}
	free(argv);
	close(fds[0]);
	if (pid < 0) {
		close(fds[1]);
		return -1;
	}
	pipe_child = pid;
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
bool pipe_inject(const struct pipe_opts *o, struct pipeline_msg *m, int spool, const char *extra)
{
	int fd = pipe_inject_start(o);
	if (fd < 0) {
		pipe_logf(DKMOD_LOG_ERROR, "cannot start %s: %s", o->sendmail, strerror(errno));
		return false;
	}
	off_t body_at;
	bool ok = pipe_inject_header(fd, m, extra, &body_at) && pipe_inject_body(fd, spool, body_at);
	if (!ok) {
		/* kill it before it sees the end of the input: a partial message must not be queued */
		pipe_logf(DKMOD_LOG_ERROR, "cannot write to %s: %s", o->sendmail, strerror(errno));
		kill(pipe_child, SIGKILL);
	}
	close(fd);
	return pipe_inject_wait(o) && ok;
}
