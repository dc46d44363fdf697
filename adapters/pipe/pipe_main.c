/*
 * pipe_main.c - dkmod-pipe: one message from Postfix pipe(8) through the
 * pipeline, then the action as mta.h maps it: reinject (accept,
 * quarantine), bounce with exit 69 and a "5.x.x text" line (reject), defer
 * with exit 75 (tempfail), or drop with exit 0 (discard).  Whatever goes
 * wrong inside the filter, signals included, ends in exit 75: Postfix keeps
 * the message and tries again.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/mta.h"
#include "pipe.h"

/* pipe_main_signal - a fatal or terminating signal: stop sendmail, defer the message */
static void pipe_main_signal(int sig)
{
	(void)sig;
	if (pipe_child > 0)
		kill(pipe_child, SIGKILL);
	static const char msg[] = "4.3.0 dkmod-pipe: interrupted by a signal\n";
	if (write(STDOUT_FILENO, msg, sizeof msg - 1) < 0) {
		/* nothing more to do */
	}
	_exit(mta_internal_failure()->postfix_exit);
}

/* pipe_main_signals - every catchable fatal signal exits 75; SIGPIPE shows as write errors */
static void pipe_main_signals(void)
{
	static const int sigs[] = {SIGTERM, SIGINT,  SIGHUP,  SIGQUIT, SIGALRM, SIGUSR1, SIGUSR2, SIGSEGV,
				   SIGBUS,  SIGFPE,  SIGILL,  SIGABRT, SIGXCPU, SIGXFSZ, SIGSYS,  SIGTRAP};
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = pipe_main_signal;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* pipe_main_report - a configuration error line to the log; the first one is kept for stdout */
static void pipe_main_report(void *arg, const char *line)
{
	char *first = arg;
	if (!first[0])
		snprintf(first, 512, "%s", line);
	pipe_logf(DKMOD_LOG_ERROR, "configuration: %s", line);
}

/* pipe_main_status - print the reply as "X.Y.Z text" (enhanced status first, for pipe(8)) */
static void pipe_main_status(const char *reply, const char *dflt)
{
	const char *p = reply;
	if (strspn(p, "0123456789") == 3 && (p[3] == ' ' || p[3] == '-'))
		p += 4;
	bool enhanced = (p[0] == '2' || p[0] == '4' || p[0] == '5') && p[1] == '.';
	printf("%s%s", enhanced ? "" : dflt, enhanced ? "" : " ");
	for (; *p; p++)
		putchar(*p == '\r' || *p == '\n' ? ' ' : *p);
	putchar('\n');
}

/* pipe_main_fail - an internal failure: log, a status line, and the defer exit status */
static int pipe_main_fail(const char *why)
{
	pipe_logf(DKMOD_LOG_ERROR, "deferred: %s", why);
	printf("4.3.0 dkmod-pipe: %s\n", why);
	fflush(stdout);
	return mta_internal_failure()->postfix_exit;
}

/* pipe_main_message - spool, run and act on the message; returns the exit status */
static int pipe_main_message(const struct pipe_opts *o, struct pipeline *p)
{
	struct pipeline_envelope env = {.mail_from = o->sender,
					.rcpts = o->rcpts,
					.nrcpts = o->nrcpts,
					.client_ip = o->client_ip,
					.helo = o->helo,
					.auth_user = o->auth_user,
					.can_relay = pipe_can_relay(o)};
	struct pipe_spool spool;
	if (!pipe_spool_open(&spool, PIPE_SPOOL_MEM))
		return pipe_main_fail("cannot make a spool (out of memory?)");
	struct pipeline_msg *m = pipeline_msg_new(p, &env);
	if (!m) {
		pipe_spool_close(&spool);
		return pipe_main_fail("cannot start a message (out of memory?)");
	}
	int rc;
	if (!pipe_spool_feed(&spool, m) || pipeline_msg_finish(m) != PIPELINE_OK) {
		rc = pipe_main_fail("cannot process the message");
	} else {
		enum policy_action a = pipeline_msg_action(m);
		const struct mta_code *c = mta_code(a);
		rc = c->postfix_exit;
		if (c->postfix_reinject && !pipe_inject(o, m, &spool, c->header))
			rc = pipe_main_fail("reinjection failed");
		else if (a == POLICY_REJECT)
			pipe_main_status(pipeline_msg_reply(m), "5.7.1");
		else if (a == POLICY_TEMPFAIL)
			pipe_main_status(pipeline_msg_reply(m), "4.7.1");
		pipe_logf(DKMOD_LOG_INFO, "from=<%s> nrcpt=%zu action=%s exit=%d", o->sender, o->nrcpts,
			  policy_action_name(a), rc);
	}
	pipeline_msg_free(m);
	pipe_spool_close(&spool);
	if (fflush(stdout) != 0)
		rc = mta_internal_failure()->postfix_exit;
	return rc;
}

/* pipe_main_log - the pipeline's log lines */
static void pipe_main_log(void *arg, enum dkmod_log_level level, const char *msg)
{
	pipe_log(arg, level, msg);
}

/* main - dkmod-pipe */
int main(int argc, char **argv)
{
	pipe_main_signals();
	struct pipe_opts o;
	int rc = pipe_args(&o, argc, argv);
	if (rc >= 0)
		return rc;
	pipe_log_open(&o);
	char first[512] = "";
	struct pipeline_options po = {.log = pipe_main_log, .log_level = o.level};
	struct pipeline *p = pipeline_new(o.config, &po, pipe_main_report, first);
	if (!p) {
		pipe_logf(DKMOD_LOG_ERROR, "deferred: configuration error");
		printf("4.3.5 dkmod-pipe: configuration error: %s\n", first[0] ? first : o.config);
		fflush(stdout);
		return mta_internal_failure()->postfix_exit;
	}
	rc = pipe_main_message(&o, p);
	pipeline_free(p);
	/* everything is written, flushed and closed by now: skip the exit handlers, in which
	 * OpenSSL would free its tables piece by piece (0.8 M instructions per message) */
	fflush(NULL);
	_exit(rc);
}
