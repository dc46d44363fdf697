/*
 * stdio_main.c - dkmod-stdio: a long-lived filter serving requests of the
 * dkmod-stdio protocol (doc/stdio-protocol.md) on standard input, replies
 * in order on standard output, log lines on standard error.  One
 * configuration, engine and policy state serve every message; SIGHUP
 * reloads them between messages.  If the configuration cannot be loaded,
 * every message gets a temporary failure and each new request tries again.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "stdio_filter.h"

/* Input is read in blocks of this size; on a pipe, the filter asks for this much pipe
 * capacity too, so that a client can write many requests ahead without blocking. */
#define STDIO_MAIN_CHUNK 1048576

/* Exit statuses (sysexits.h values). */
enum stdio_main_exit { STDIO_EX_OK = 0, STDIO_EX_USAGE = 64, STDIO_EX_DATAERR = 65, STDIO_EX_IOERR = 74 };

static const char stdio_main_help[] =
	"usage: dkmod-stdio [--config FILE] [--once] [--max-message BYTES] [-v|-q]\n"
	"  --config FILE        dkmod.conf(5) (default /etc/dkmod/dkmod.conf)\n"
	"  --once               serve one request, then exit\n"
	"  --max-message BYTES  refuse longer messages (default and highest: 2^40)\n"
	"  -v, -q               more or fewer log lines (on standard error)\n"
	"Requests on standard input, replies on standard output: doc/stdio-protocol.md.\n"
	"Exit: 0 at the end of the input, 64 usage, 65 a broken request (after an error\n"
	"reply), 74 an I/O error.\n";

struct stdio_main {
	const char *config;
	int level;
	bool once;
	uint64_t max_message;
	struct pipeline *p;
	struct pipeline_msg *m;   /* the message being received */
	const char *fail;         /* why it cannot be processed, or NULL */
	struct stdio_proto proto;
	struct stdio_out out;     /* replies not yet written */
};

static volatile sig_atomic_t stdio_main_reload;

/* stdio_main_hup - SIGHUP: reload the configuration before the next message */
static void stdio_main_hup(int sig)
{
	(void)sig;
	stdio_main_reload = 1;
}

/* The pipeline whose log route (syslog, log { file }) the filter's own lines take too. */
static const struct pipeline *stdio_main_route;

/* stdio_main_stderr_lost - standard error is closed or /dev/null (qpsmtpd --detach): what is
 * written there would be lost */
static bool stdio_main_stderr_lost(void)
{
	struct stat err, null;
	if (fstat(STDERR_FILENO, &err) < 0)
		return true;
	return S_ISCHR(err.st_mode) && stat("/dev/null", &null) == 0 && err.st_rdev == null.st_rdev;
}

/* stdio_main_stderr - a log line on standard error, or in syslog (facility mail) if that is lost */
static void stdio_main_stderr(void *arg, enum dkmod_log_level level, const char *msg)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	static int lost = -1;
	(void)arg;
	if (lost < 0 && (lost = stdio_main_stderr_lost()))
		openlog("dkmod-stdio", LOG_PID, LOG_MAIL);
	if (lost)
		syslog(prio[level], "%s: %s", names[level], msg);
	else
		fprintf(stderr, "dkmod-stdio[%ld]: %s: %s\n", (long)getpid(), names[level], msg);
}

/* stdio_main_log - a line of the filter's own: where the configuration logs, else as above */
static void stdio_main_log(void *arg, enum dkmod_log_level level, const char *msg)
{
	if (stdio_main_route)
		pipeline_say(stdio_main_route, level, msg);
	else
		stdio_main_stderr(arg, level, msg);
}

/* stdio_main_report - a configuration error line */
static void stdio_main_report(void *arg, const char *line)
{
	(void)arg;
	stdio_main_log(NULL, DKMOD_LOG_ERROR, line);
}

/* stdio_main_load - (re)load the configuration; the old state stays if that fails */
static void stdio_main_load(struct stdio_main *s)
{
	struct pipeline_options o = {.log = stdio_main_stderr, .log_level = s->level};
	struct pipeline *p = pipeline_new(s->config, &o, stdio_main_report, NULL);
	if (!p) {
		stdio_main_log(NULL, DKMOD_LOG_ERROR, s->p ? "configuration not reloaded: keeping the previous one"
						       : "no usable configuration: every message is deferred");
		return;
	}
	stdio_main_route = p;
	pipeline_free(s->p);
	s->p = p;
}

/* stdio_main_args - parse argv; -1 parsed, else an exit status */
static int stdio_main_args(struct stdio_main *s, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(stdio_main_help, stdout);
			return STDIO_EX_OK;
		} else if (strcmp(a, "--once") == 0) {
			s->once = true;
		} else if (strcmp(a, "-v") == 0) {
			s->level = DKMOD_LOG_DEBUG;
		} else if (strcmp(a, "-q") == 0) {
			s->level = DKMOD_LOG_ERROR;
		} else if (strcmp(a, "--config") == 0 && i + 1 < argc) {
			s->config = argv[++i];
		} else if (strcmp(a, "--max-message") == 0 && i + 1 < argc) {
			char *end;
			const char *v = argv[++i];
			s->max_message = strtoull(v, &end, 10);
			if (!*v || *end || s->max_message == 0 || s->max_message > STDIO_PROTO_MESSAGE_MAX) {
				fprintf(stderr, "dkmod-stdio: bad --max-message %s\n", v);
				return STDIO_EX_USAGE;
			}
		} else {
			fprintf(stderr, "dkmod-stdio: bad argument %s (try --help)\n", a);
			return STDIO_EX_USAGE;
		}
	}
	return -1;
}

/* stdio_main_start - a request's envelope is complete: start its message */
static void stdio_main_start(struct stdio_main *s)
{
	const struct stdio_proto_req *r = &s->proto.req;
	if (stdio_main_reload || !s->p) {
		stdio_main_reload = 0;
		stdio_main_load(s);
	}
	s->fail = NULL;
	if (!s->p) {
		s->fail = "configuration error";
		return;
	}
	const char *user = r->auth_user && *r->auth_user ? r->auth_user : NULL;
	struct pipeline_envelope env = {.mail_from = r->mail_from ? r->mail_from : "",
					.rcpts = (const char *const *)r->rcpts,
					.nrcpts = r->nrcpts,
					.client_ip = r->client_ip && *r->client_ip ? r->client_ip : NULL,
					.helo = r->helo && *r->helo ? r->helo : NULL,
					.auth_user = user,
					.can_relay = r->relay || user};
	if (!(s->m = pipeline_msg_new(s->p, &env)))
		s->fail = "cannot start a message";
}

/* stdio_main_end - the message is complete: finish it and reply */
static void stdio_main_end(struct stdio_main *s)
{
	const char *id = s->proto.req.id;
	if (!s->fail && pipeline_msg_finish(s->m) != PIPELINE_OK)
		s->fail = "internal error";
	if (s->fail) {
		stdio_main_log(NULL, DKMOD_LOG_ERROR, s->fail);
		stdio_reply_fail(&s->out, id, s->fail);
	} else {
		stdio_reply_msg(&s->out, id, s->m);
	}
	pipeline_msg_free(s->m);
	s->m = NULL;
	s->fail = NULL;
}

/* stdio_main_chunk - parse one chunk of input; -1 to go on, else an exit status */
static int stdio_main_chunk(struct stdio_main *s, const char *buf, size_t n)
{
	size_t off = 0;
	for (;;) {
		enum stdio_proto_event ev;
		const char *data;
		size_t len;
		off += stdio_proto_feed(&s->proto, buf + off, n - off, &ev, &data, &len);
		switch (ev) {
		case STDIO_PROTO_MORE:
			return -1;
		case STDIO_PROTO_REQUEST:
			stdio_main_start(s);
			break;
		case STDIO_PROTO_DATA:
			if (!s->fail && pipeline_msg_write(s->m, data, len) != PIPELINE_OK)
				s->fail = "the pipeline refused the message";
			break;
		case STDIO_PROTO_END:
			stdio_main_end(s);
			if (s->out.failed)
				return STDIO_EX_IOERR;
			if (s->once)
				return STDIO_EX_OK;
			break;
		case STDIO_PROTO_ERROR:
			stdio_main_log(NULL, DKMOD_LOG_ERROR, s->proto.error);
			stdio_reply_error(&s->out, s->proto.req.id, s->proto.error);
			return STDIO_EX_DATAERR;
		}
	}
}

/* stdio_main_serve - read and serve requests until the input ends; returns the exit status.
 * Replies are written when every buffered byte is used, just before a read that may wait. */
static int stdio_main_serve(struct stdio_main *s)
{
	static char buf[STDIO_MAIN_CHUNK];
	for (;;) {
		if (!stdio_out_flush(&s->out))
			return STDIO_EX_IOERR;
		ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			stdio_main_log(NULL, DKMOD_LOG_ERROR, strerror(errno));
			return STDIO_EX_IOERR;
		}
		if (n == 0) {
			const char *why = stdio_proto_eof(&s->proto);
			if (!why)
				return STDIO_EX_OK;
			stdio_main_log(NULL, DKMOD_LOG_ERROR, why);
			stdio_reply_error(&s->out, s->proto.req.id, why);
			return STDIO_EX_DATAERR;
		}
		int rc = stdio_main_chunk(s, buf, (size_t)n);
		if (rc >= 0)
			return rc;
	}
}

/* stdio_main_pipe - if the input is a pipe, ask for a larger one, so that a client writing
 * requests ahead blocks (and switches to the filter) less often; failing is harmless */
static void stdio_main_pipe(void)
{
	(void)fcntl(STDIN_FILENO, F_SETPIPE_SZ, STDIO_MAIN_CHUNK);
}

/* main - dkmod-stdio */
int main(int argc, char **argv)
{
	static struct stdio_main s;
	s.config = "/etc/dkmod/dkmod.conf";
	s.level = -1;
	int rc = stdio_main_args(&s, argc, argv);
	if (rc >= 0)
		return rc;
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = stdio_main_hup;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	stdio_proto_init(&s.proto, s.max_message);
	s.out.fd = STDOUT_FILENO;
	stdio_main_pipe();
	stdio_main_load(&s);
	rc = stdio_main_serve(&s);
	if (!stdio_out_flush(&s.out) && rc == STDIO_EX_OK)
		rc = STDIO_EX_IOERR;
	pipeline_msg_free(s.m);
	pipeline_free(s.p);
	stdio_proto_free(&s.proto);
	return rc;
}
