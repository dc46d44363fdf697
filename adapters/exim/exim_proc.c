/*
 * exim_proc.c - the per-process state of the Exim local_scan object.
 * Exim forks a process per SMTP connection and calls local_scan() in it
 * once per message: the pipeline is created there on first use, never in
 * the daemon, and state inherited through a fork is dropped unused.  Exim
 * leaves local_scan() by siglongjmp on its local_scan_timeout (SIGALRM) or
 * on a crash.  Engine steps (pipeline calls, each bounded by the DNS budget
 * and the policy time limit) run with asynchronous signals blocked, so a
 * time-out lands between steps, where the state is sound, and the thread
 * libunbound starts inherits a mask that keeps Exim's signals off it.  A
 * step that never returned (a crash) leaves the pipeline in an unknown
 * state: that process answers with the fallback from then on.  No Exim
 * header here.
 */
#include <dlfcn.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "conf.h"
#include "exim.h"

/* Time a message needs beyond the DNS budget and the policy hooks (hashing, signing). */
#define EXIM_PROC_MARGIN_MS 1000

static struct exim_proc {
	pid_t pid;                /* the process this state belongs to (0: none yet) */
	struct pipeline *p;
	struct pipeline_msg *msg; /* the message of the call running (or left behind by a jump) */
	sigset_t mask;            /* the signal mask outside engine steps */
	bool tried;               /* pipeline_new ran in this process */
	bool busy;                /* inside an engine step */
	bool tainted;             /* a step never returned: the pipeline is not used again */
	bool conf_read;           /* fallback and budget_ms come from the configuration */
	bool budget_checked;
	struct exim_fallback fallback;
	unsigned budget_ms;       /* the worst case of one message */
	exim_log_fn *log;
	char config[PATH_MAX];
} exim_proc;

/* exim_proc_reset - forget state that another process (our parent) created; never free it */
static void exim_proc_reset(void)
{
	memset(&exim_proc, 0, sizeof exim_proc);
	exim_proc.pid = getpid();
	exim_proc.fallback.action = POLICY_TEMPFAIL;
	exim_proc.fallback.reply = "451 4.3.0 Local policy error, try again later";
}

/* exim_proc_engine_enter - start an engine step */
void exim_proc_engine_enter(void)
{
	sigset_t all;
	sigfillset(&all);
	/* synchronous signals cannot be held back: a fault must reach Exim's crash handler */
	static const int sync[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS};
	for (size_t i = 0; i < sizeof sync / sizeof *sync; i++)
		sigdelset(&all, sync[i]);
	pthread_sigmask(SIG_BLOCK, &all, &exim_proc.mask);
	exim_proc.busy = true;
}

/* exim_proc_engine_leave - the step is over */
void exim_proc_engine_leave(void)
{
	exim_proc.busy = false;
	pthread_sigmask(SIG_SETMASK, &exim_proc.mask, NULL);
}

/* exim_proc_start - start a local_scan call */
bool exim_proc_start(exim_log_fn *log)
{
	if (exim_proc.pid != getpid())
		exim_proc_reset();
	exim_proc.log = log;
	if (exim_proc.busy && !exim_proc.tainted) {
		exim_proc.tainted = true;
		log(true, "dkmod: an engine step in this process never returned (a crash caught by Exim); "
			  "the rest of this connection gets the fallback");
	}
	if (exim_proc.tainted)
		return false;
	exim_proc_msg_end();
	return true;
}

/* exim_proc_msg_new - start this call's message */
struct pipeline_msg *exim_proc_msg_new(struct pipeline *p, const struct pipeline_envelope *env)
{
	exim_proc_engine_enter();
	exim_proc.msg = pipeline_msg_new(p, env);
	exim_proc_engine_leave();
	return exim_proc.msg;
}

/* exim_proc_msg_end - free this call's message */
void exim_proc_msg_end(void)
{
	if (!exim_proc.msg)
		return;
	exim_proc_engine_enter();
	pipeline_msg_free(exim_proc.msg);
	exim_proc.msg = NULL;
	exim_proc_engine_leave();
}

/* exim_proc_config - the configuration path */
const char *exim_proc_config(void)
{
	if (exim_proc.config[0])
		return exim_proc.config;
	/* never from the environment: a local user running the setuid Exim binary controls it */
	Dl_info info;
	struct stat st;
	if (dladdr(&exim_proc, &info) && info.dli_fname && strchr(info.dli_fname, '/') &&
		   strstr(strrchr(info.dli_fname, '/'), ".so")) {
		/* only when loaded as a shared object: linked into exim, dli_fname is exim itself */
		const char *slash = strrchr(info.dli_fname, '/');
		int n = snprintf(exim_proc.config, sizeof exim_proc.config, "%.*s/dkmod.conf",
				 (int)(slash - info.dli_fname), info.dli_fname);
		if (n < 0 || (size_t)n >= sizeof exim_proc.config || stat(exim_proc.config, &st) != 0)
			exim_proc.config[0] = '\0';
	}
	if (!exim_proc.config[0])
		snprintf(exim_proc.config, sizeof exim_proc.config, "%s", DKMOD_EXIM_CONFIG);
	return exim_proc.config;
}

/* exim_proc_engine_log - the pipeline's log lines, to Exim's main log */
static void exim_proc_engine_log(void *arg, enum dkmod_log_level level, const char *msg)
{
	(void)arg;
	(void)level; /* the pipeline filtered by level already */
	char line[1300];
	snprintf(line, sizeof line, "dkmod: %s", msg);
	if (exim_proc.log)
		exim_proc.log(false, line);
}

/* exim_proc_report - a configuration or policy script error, to the main and panic logs */
static void exim_proc_report(void *arg, const char *msg)
{
	(void)arg;
	char line[1300];
	snprintf(line, sizeof line, "dkmod: %s", msg);
	if (exim_proc.log)
		exim_proc.log(true, line);
}

/* exim_proc_read_conf - the fallback and the time budget from the configuration (once) */
static void exim_proc_read_conf(const char *path)
{
	struct conf_errors errs = {0};
	struct conf *c = conf_load(path, false, &errs);
	conf_errors_free(&errs);
	if (!c)
		return;
	exim_proc.conf_read = true;
	if (c->fallback && strcmp(c->fallback, "accept") == 0) {
		exim_proc.fallback.action = POLICY_ACCEPT;
		exim_proc.fallback.reply = "250 2.0.0 Ok";
	} else if (c->fallback && strcmp(c->fallback, "reject") == 0) {
		exim_proc.fallback.action = POLICY_REJECT;
		exim_proc.fallback.reply = "550 5.7.1 Message refused by local policy";
	}
	unsigned dns = c->opt.resolver.timeout_ms ? c->opt.resolver.timeout_ms : 5000;
	exim_proc.budget_ms = dns + (c->policy_file ? 2 * c->policy_time_ms : 0) + EXIM_PROC_MARGIN_MS;
	conf_free(c);
}

/* exim_proc_pipeline - this process's pipeline, created on first use */
struct pipeline *exim_proc_pipeline(exim_log_fn *log)
{
	if (exim_proc.tried)
		return exim_proc.p;
	exim_proc.tried = true;
	exim_proc.log = log;
	const char *path = exim_proc_config();
	struct pipeline_options o = {.log = exim_proc_engine_log, .log_arg = NULL, .log_level = -1};
	exim_proc_engine_enter();
	exim_proc.p = pipeline_new(path, &o, exim_proc_report, NULL);
	exim_proc_read_conf(path);
	exim_proc_engine_leave();
	if (!exim_proc.p) {
		char line[PATH_MAX + 200];
		snprintf(line, sizeof line, "dkmod: %s is unusable; every message gets the fallback (%s)", path,
			 policy_action_name(exim_proc.fallback.action));
		log(true, line);
	}
	return exim_proc.p;
}

/* exim_proc_fallback - the configured fallback */
struct exim_fallback exim_proc_fallback(void)
{
	if (!exim_proc.tried && !exim_proc.conf_read) {
		exim_proc_engine_enter();
		exim_proc_read_conf(exim_proc_config());
		exim_proc_engine_leave();
	}
	return exim_proc.fallback;
}

/* exim_proc_budget_check - warn once if a message may need longer than Exim allows */
void exim_proc_budget_check(exim_log_fn *log)
{
	struct itimerval it;
	if (exim_proc.budget_checked || !exim_proc.conf_read || getitimer(ITIMER_REAL, &it) != 0)
		return;
	exim_proc.budget_checked = true;
	unsigned long left = (unsigned long)it.it_value.tv_sec * 1000 + (unsigned long)it.it_value.tv_usec / 1000;
	if (left == 0 || exim_proc.budget_ms < left)
		return;
	char line[400];
	snprintf(line, sizeof line,
		 "dkmod: a message may take %u ms (resolver timeout, policy time_limit twice, %u ms margin) but "
		 "local_scan_timeout leaves %lu ms: raise local_scan_timeout or lower the resolver timeout",
		 exim_proc.budget_ms, EXIM_PROC_MARGIN_MS, left);
	log(true, line);
}

/* exim_reply_text - the reply without its 3-digit code */
const char *exim_reply_text(const char *reply)
{
	if (!reply)
		return "";
	if (strspn(reply, "0123456789") == 3 && (reply[3] == ' ' || reply[3] == '-'))
		reply += 4;
	else if (strspn(reply, "0123456789") == 3 && reply[3] == '\0')
		reply += 3;
	return reply;
}

/* exim_field_lf - an added field with LF line ends and a final LF */
char *exim_field_lf(const char *field)
{
	size_t len = strlen(field);
	if (len > EXIM_FIELD_MAX)
		return NULL;
	char *out = malloc(len + 2), *o = out;
	if (!out)
		return NULL;
	for (const char *p = field; *p; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			*o++ = *p;
	*o++ = '\n';
	*o = '\0';
	return out;
}
