/*
 * milter_main.c - dkmod-milter: options, logging, the pid file, and the
 * signals.  The threads that serve connections (milter_listen.c) block
 * SIGHUP, SIGTERM and SIGINT; the main thread takes them through a pipe:
 * SIGHUP reloads, SIGTERM and SIGINT stop listening, wait for the messages
 * in progress (at most MILTER_DRAIN seconds) and exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "milter.h"

#define MILTER_DRAIN 30   /* seconds to wait for the messages in progress at shutdown */
#define MILTER_EX_USAGE 64
#define MILTER_EX_CONFIG 78
#define MILTER_EX_SOFTWARE 70

static const char milter_help[] =
	"usage: dkmod-milter --config FILE [--socket SPEC] [--foreground] [--pidfile FILE]\n"
	"                    [--log-level error|warning|info|debug]\n"
	"Signs and verifies mail for Postfix and Sendmail through the milter protocol.\n"
	"  --config FILE      dkmod.conf(5); its milter { } block names the socket and the\n"
	"                     clients that may relay (default /etc/dkmod/dkmod.conf)\n"
	"  --socket SPEC      unix:/PATH, inet:PORT@HOST or inet6:PORT@HOST (overrides the\n"
	"                     configuration; default " MILTER_DEFAULT_SOCKET ")\n"
	"  --foreground       stay in the foreground (systemd); log to standard error too\n"
	"  --pidfile FILE     write the process id there\n"
	"SIGHUP reloads the configuration, keys and policy; SIGTERM stops cleanly.\n"
	"Exit status: 0 stopped, 64 usage, 70 internal error, 78 configuration error.\n";

static bool milter_foreground;
static enum dkmod_log_level milter_level = DKMOD_LOG_INFO; /* of the daemon's own lines */
static int milter_sigpipe[2] = {-1, -1};

/* milter_log_line - one line to syslog, and to stderr in the foreground */
static void milter_log_line(enum dkmod_log_level level, const char *line)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	syslog(prio[level], "%s", line);
	if (milter_foreground)
		fprintf(stderr, "dkmod-milter: %s\n", line);
}

/* milter_log - a formatted log line of the daemon's own, at most at --log-level (default info) */
void milter_log(enum dkmod_log_level level, const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	if (level > milter_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	milter_log_line(level, line);
}

/* milter_log_fn - the pipeline's log callback */
void milter_log_fn(void *arg, enum dkmod_log_level level, const char *line)
{
	milter_log_line(level, line);
}

/* milter_usage - a usage error */
static int milter_usage(const char *what, const char *arg)
{
	fprintf(stderr, "dkmod-milter: %s%s\n%s", what, arg ? arg : "", milter_help);
	return MILTER_EX_USAGE;
}

/* milter_args - parse the command line; -1 when parsed, else an exit status */
static int milter_args(struct milter_opts *o, int argc, char **argv)
{
	static const char *const levels[] = {"error", "warning", "info", "debug"};
	*o = (struct milter_opts){.config = "/etc/dkmod/dkmod.conf", .level = -1};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **value = strcmp(a, "--config") == 0    ? &o->config
				     : strcmp(a, "--socket") == 0  ? &o->socket
				     : strcmp(a, "--pidfile") == 0 ? &o->pidfile
								   : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(milter_help, stdout);
			return 0;
		} else if (strcmp(a, "--foreground") == 0) {
			o->foreground = true;
		} else if (value || strcmp(a, "--log-level") == 0) {
			if (i + 1 >= argc)
				return milter_usage("a value is missing after ", a);
			if (value) {
				*value = argv[++i];
				continue;
			}
			const char *l = argv[++i];
			for (o->level = 0; o->level < 4 && strcmp(levels[o->level], l) != 0; o->level++)
				;
			if (o->level == 4)
				return milter_usage("bad --log-level ", l);
		} else {
			return milter_usage("unknown option ", a);
		}
	}
	return -1;
}

/* milter_signal - a signal handler: the signal number to the main loop */
static void milter_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;
	if (write(milter_sigpipe[1], &b, 1) < 0) {
		/* the pipe is full: a signal is already waiting */
	}
	errno = saved;
}

/* milter_signals - handlers for SIGHUP, SIGTERM, SIGINT; SIGPIPE ignored */
static bool milter_signals(void)
{
	struct sigaction sa = {.sa_handler = milter_signal};
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (pipe2(milter_sigpipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return false;
	signal(SIGPIPE, SIG_IGN);
	return sigaction(SIGHUP, &sa, NULL) == 0 && sigaction(SIGTERM, &sa, NULL) == 0 &&
	       sigaction(SIGINT, &sa, NULL) == 0;
}

/* milter_pidfile - write the process id to path; false on failure */
static bool milter_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) == 0;
}

/* milter_loop - wait for signals until stopped; the exit status */
static int milter_loop(void)
{
	bool stopping = false;
	time_t deadline = 0;
	for (;;) {
		struct pollfd pfd = {.fd = milter_sigpipe[0], .events = POLLIN};
		int n = poll(&pfd, 1, stopping ? 200 : -1);
		unsigned char sig = 255;
		if (n > 0 && read(milter_sigpipe[0], &sig, 1) != 1)
			sig = 255;
		if (sig == SIGHUP && !stopping) {
			milter_engine_reload();
		} else if ((sig == SIGTERM || sig == SIGINT) && !stopping) {
			milter_log(DKMOD_LOG_INFO, "stopping on signal %d; %u messages in progress", sig,
				   milter_cb_active());
			stopping = true;
			deadline = time(NULL) + MILTER_DRAIN;
			milter_listen_stop();
		}
		if (stopping && (milter_cb_active() == 0 || time(NULL) >= deadline))
			break;
	}
	if (milter_cb_active() > 0)
		milter_log(DKMOD_LOG_WARNING, "%u messages still in progress at exit; the MTA retries them",
			   milter_cb_active());
	return 0;
}

/* milter_report - a configuration error on stderr */
static void milter_report(void *arg, const char *line)
{
	fprintf(stderr, "dkmod-milter: %s\n", line);
}

/* main - dkmod-milter: options, configuration, the engine pool, the socket, then the signals' loop */
int main(int argc, char **argv)
{
	struct milter_opts o;
	int rc = milter_args(&o, argc, argv);
	if (rc >= 0)
		return rc;
	milter_foreground = o.foreground;
	if (o.level >= 0)
		milter_level = (enum dkmod_log_level)o.level;
	openlog("dkmod-milter", LOG_PID, LOG_MAIL);
	/* errors in the file before going to the background, where only syslog would see them */
	if (pipeline_check(o.config, milter_report, NULL) > 0)
		return MILTER_EX_CONFIG;
	if (!o.foreground && daemon(0, 0) < 0) {
		perror("dkmod-milter: daemon");
		return MILTER_EX_SOFTWARE;
	}
	if (!milter_signals() || !milter_engine_start(&o))
		return MILTER_EX_CONFIG;
	const char *spec = o.socket ? o.socket : milter_engine_socket() ? milter_engine_socket() : MILTER_DEFAULT_SOCKET;
	if (!milter_listen_open(spec)) {
		milter_engine_stop();
		return MILTER_EX_SOFTWARE;
	}
	if (o.pidfile && !milter_pidfile(o.pidfile))
		milter_log(DKMOD_LOG_WARNING, "cannot write %s: %s", o.pidfile, strerror(errno));
	if (!milter_listen_start()) {
		milter_log(DKMOD_LOG_ERROR, "cannot start a thread to serve connections");
		return MILTER_EX_SOFTWARE;
	}
	milter_log(DKMOD_LOG_INFO, "listening on %s (configuration %s)", spec, o.config);
	rc = milter_loop();
	if (o.pidfile)
		unlink(o.pidfile);
	if (rc == 0 && milter_cb_active() == 0)
		milter_engine_stop();
	milter_log(DKMOD_LOG_INFO, "stopped");
	return rc;
}
