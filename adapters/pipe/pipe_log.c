/*
 * pipe_log.c - log lines of dkmod-pipe: syslog (facility mail) by default,
 * or appended to --log-file; every line names the Postfix queue id.  Never
 * standard output: pipe(8) takes that as the delivery status text.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "pipe.h"

static FILE *pipe_log_file;
static const char *pipe_log_qid = "-";
static enum dkmod_log_level pipe_log_level = DKMOD_LOG_INFO;

/* pipe_log_open - open the log file, or syslog */
void pipe_log_open(const struct pipe_opts *o)
{
	if (o->queue_id)
		pipe_log_qid = o->queue_id;
	if (o->level >= 0)
		pipe_log_level = (enum dkmod_log_level)o->level;
	if (o->log_file && (pipe_log_file = fopen(o->log_file, "a")))
		return;
	openlog("dkmod-pipe", LOG_PID, LOG_MAIL);
	if (o->log_file)
		syslog(LOG_WARNING, "cannot open log file %s; logging here", o->log_file);
}

/* pipe_log - one line at level */
void pipe_log(void *arg, enum dkmod_log_level level, const char *msg)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	(void)arg;
	if (!pipe_log_file) {
		syslog(prio[level], "%s: %s", pipe_log_qid, msg);
		return;
	}
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", localtime_r(&now, &tm));
	fprintf(pipe_log_file, "%s dkmod-pipe[%ld]: %s: %s: %s\n", stamp, (long)getpid(), pipe_log_qid, names[level],
		msg);
	fflush(pipe_log_file);
}

/* pipe_logf - a formatted line */
void pipe_logf(enum dkmod_log_level level, const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (level <= pipe_log_level)
		pipe_log(NULL, level, line);
}
