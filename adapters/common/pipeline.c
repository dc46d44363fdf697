/*
 * pipeline.c - the once-per-process part of the pipeline: configuration,
 * engine context, policy state, logging (the adapter's callback or
 * syslog) and the counters scripts keep with msg:count.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "pipeline_int.h"

/* pipeline_file_line - one line appended to the log file, in one write (lines of processes
 * that share the file do not mix) */
static void pipeline_file_line(const struct pipeline *p, enum dkmod_log_level level, const char *line)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	char buf[1400], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S%z", localtime_r(&now, &tm));
	int n = snprintf(buf, sizeof buf, "%s dkmod[%ld]: %s: %s\n", stamp, (long)getpid(), names[level], line);
	if (n > (int)sizeof buf - 1) {
		n = (int)sizeof buf - 1;
		buf[n - 1] = '\n';
	}
	if (n > 0 && write(p->log_fd, buf, (size_t)n) < 0)
		return; /* nowhere left to say so */
}

/* pipeline_emit - one log line to syslog, the log file or the adapter */
static void pipeline_emit(const struct pipeline *p, enum dkmod_log_level level, const char *line)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	if (level > p->level)
		return;
	if (p->conf && p->conf->log_syslog && !p->opt.log_here)
		syslog(prio[level], "%s", line);
	else if (p->log_fd >= 0)
		pipeline_file_line(p, level, line);
	else if (p->opt.log)
		p->opt.log(p->opt.log_arg, level, line);
}

/* pipeline_say - a line of the adapter's own, logged where the configuration says */
void pipeline_say(const struct pipeline *p, enum dkmod_log_level level, const char *line)
{
	pipeline_emit(p, level, line);
}

/* pipeline_log - a log line at level */
void pipeline_log(const struct pipeline *p, enum dkmod_log_level level, const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	if (level > p->level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	pipeline_emit(p, level, line);
}

/* pipeline_engine_log - the engine's and the policy's log callback */
static void pipeline_engine_log(void *arg, enum dkmod_log_level level, const char *msg)
{
	pipeline_emit(arg, level, msg);
}

/* pipeline_count - msg:count(name, n) */
static void pipeline_count(void *arg, const char *name, long n)
{
	struct pipeline *p = arg;
	size_t i = 0;
	while (i < p->ncounters && strcmp(p->counters[i].name, name) != 0)
		i++;
	if (i == p->ncounters) {
		if (i == PIPELINE_COUNTERS) {
			pipeline_log(p, DKMOD_LOG_WARNING, "policy: too many counters; '%s' not counted", name);
			return;
		}
		snprintf(p->counters[i].name, sizeof p->counters[i].name, "%s", name);
		p->counters[i].value = 0;
		p->ncounters++;
	}
	p->counters[i].value += n;
}

/* pipeline_counters - call fn for each counter */
void pipeline_counters(const struct pipeline *p, void (*fn)(void *arg, const char *name, long value), void *arg)
{
	for (size_t i = 0; i < p->ncounters; i++)
		fn(arg, p->counters[i].name, p->counters[i].value);
}

/* pipeline_policy_options - the options of the policy state of configuration c */
static struct policy_options pipeline_policy_options(struct pipeline *p, const struct conf *c)
{
	struct policy_options o = {.path = c->policy_file, .conf = c, .time_ms = c->policy_time_ms,
				   .memory = c->policy_memory, .log = pipeline_engine_log, .log_arg = p,
				   .count = pipeline_count, .count_arg = p};
	return o;
}

/* pipeline_report_errors - each error line to report; returns their number */
static size_t pipeline_report_errors(struct conf_errors *e, pipeline_report_fn *report, void *arg)
{
	size_t n = e->count;
	for (size_t i = 0; i < n; i++)
		report(arg, e->lines[i]);
	conf_errors_free(e);
	return n;
}

/* pipeline_check - check a configuration file */
size_t pipeline_check(const char *config, pipeline_report_fn *report, void *arg)
{
	struct conf_errors errs = {0};
	struct conf *c = conf_load(config, true, &errs);
	if (!c)
		return pipeline_report_errors(&errs, report, arg);
	size_t n = 0;
	if (c->policy_file) {
		struct pipeline quiet = {.conf = c, .level = DKMOD_LOG_ERROR, .log_fd = -1};
		struct policy_options o = pipeline_policy_options(&quiet, c);
		char err[600];
		struct policy *pol = policy_new(&o, err, sizeof err);
		if (!pol) {
			report(arg, err);
			n++;
		}
		policy_free(pol);
	}
	conf_free(c);
	return n;
}

/* pipeline_paths - every file and directory a configuration makes an adapter use */
size_t pipeline_paths(const char *config, pipeline_path_fn *fn, void *arg, pipeline_report_fn *report, void *rarg)
{
	struct conf_errors errs = {0};
	struct conf *c = conf_load(config, false, &errs);
	if (!c)
		return pipeline_report_errors(&errs, report, rarg);
	fn(arg, PIPELINE_PATH_CONFIG, config, NULL, NULL);
	if (c->policy_file)
		fn(arg, PIPELINE_PATH_POLICY, c->policy_file, NULL, NULL);
	if (c->opt.resolver.zone_file)
		fn(arg, PIPELINE_PATH_RESOLVER, c->opt.resolver.zone_file, NULL, NULL);
	if (c->opt.resolver.trust_anchor_file)
		fn(arg, PIPELINE_PATH_RESOLVER, c->opt.resolver.trust_anchor_file, NULL, NULL);
	for (size_t i = 0; i < c->nsigners; i++)
		for (size_t j = 0; j < c->signers[i].ndomains; j++) {
			const struct conf_domain *d = &c->signers[i].domains[j];
			char key[PATH_MAX];
			if (conf_expand(d->key_template, d->req.domain, d->req.selector, key, sizeof key))
				fn(arg, PIPELINE_PATH_KEY, key, d->req.domain, d->req.selector);
		}
	for (size_t i = 0; i < c->nsigners; i++)
		pipeline_signer_keys(&c->signers[i], fn, arg);
	if (c->opt.cache.state_dir)
		fn(arg, PIPELINE_PATH_STATE_DIR, c->opt.cache.state_dir, NULL, NULL);
	conf_free(c);
	return 0;
}

/* pipeline_register_instances - make a counter of every configured instance exist, so that
 * the console knows the names before their first message */
static void pipeline_register_instances(struct pipeline *p)
{
	const struct conf *c = p->conf;
	char name[160];
	for (size_t i = 0; i < c->nsigners; i++) {
		bool dk = c->signers[i].method == DKMOD_METHOD_DOMAINKEYS;
		snprintf(name, sizeof name, "%s.%s.signed", dk ? "dk_sign" : "dkim_sign", c->signers[i].name);
		dkmod_count(p->ctx, name, 0);
	}
	if (c->dk_validate_name) {
		snprintf(name, sizeof name, "dk_validate.%s.messages", c->dk_validate_name);
		dkmod_count(p->ctx, name, 0);
	}
	if (c->dkim_validate_name) {
		snprintf(name, sizeof name, "dkim_validate.%s.messages", c->dkim_validate_name);
		dkmod_count(p->ctx, name, 0);
	}
}

/* pipeline_state_prepare - run as root (a tool, or an MTA before it drops privileges), never
 * leave a state directory the mail service cannot use: keycache { owner } names the user it is
 * made for; without it, a missing directory is not created (the engine then works without) */
static void pipeline_state_prepare(struct pipeline *p)
{
	struct dkmod_cache_options *c = &p->conf->opt.cache;
	struct stat sb;
	if (!c->state_dir || geteuid() != 0)
		return;
	bool exists = stat(c->state_dir, &sb) == 0;
	const struct passwd *pw = p->conf->state_owner ? getpwnam(p->conf->state_owner) : NULL;
	if (!pw) {
		if (exists)
			return; /* the store gives the files it makes to the directory's owner */
		pipeline_log(p, DKMOD_LOG_WARNING,
			     "keycache: %s does not exist and is not created by root, whose directory the mail service "
			     "could not use: create it owned by the service's user, or name that user in keycache { "
			     "owner = \"USER\" }; working without the shared state",
			     c->state_dir);
		c->state_dir = NULL;
		return;
	}
	if ((!exists && mkdir(c->state_dir, 0750) < 0) ||
	    ((!exists || sb.st_uid != pw->pw_uid) && chown(c->state_dir, pw->pw_uid, pw->pw_gid) < 0)) {
		pipeline_log(p, DKMOD_LOG_WARNING, "keycache: cannot make %s for %s: %s; working without the shared state",
			     c->state_dir, pw->pw_name, strerror(errno));
		c->state_dir = NULL;
	}
}

/* pipeline_new - load the configuration, create the context and the policy state */
struct pipeline *pipeline_new(const char *config, const struct pipeline_options *o, pipeline_report_fn *report,
			      void *arg)
{
	struct conf_errors errs = {0};
	struct pipeline *p = calloc(1, sizeof *p);
	if (!p) {
		report(arg, "out of memory");
		return NULL;
	}
	p->opt = *o;
	p->log_fd = -1;
	if (!(p->conf = conf_load(config, false, &errs))) {
		pipeline_report_errors(&errs, report, arg);
		free(p);
		return NULL;
	}
	p->level = o->log_level >= 0 ? (enum dkmod_log_level)o->log_level : p->conf->log_level;
	if (p->conf->log_syslog)
		openlog("dkmod", LOG_PID, p->conf->log_facility);
	if (p->conf->log_file &&
	    (p->log_fd = open(p->conf->log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640)) < 0)
		pipeline_log(p, DKMOD_LOG_ERROR, "log: cannot open %s: %s; logging here instead", p->conf->log_file,
			     strerror(errno));
	p->conf->opt.log = pipeline_engine_log;
	p->conf->opt.log_arg = p;
	pipeline_state_prepare(p);
	enum dkmod_status st = dkmod_ctx_new(&p->conf->opt, &p->ctx);
	char err[600];
	if (st != DKMOD_OK) {
		snprintf(err, sizeof err, "%s: cannot set up the engine: %s", config, dkmod_strerror(st));
		report(arg, err);
		pipeline_free(p);
		return NULL;
	}
	pipeline_register_instances(p);
	if (p->conf->policy_file) {
		struct policy_options po = pipeline_policy_options(p, p->conf);
		if (!(p->policy = policy_new(&po, err, sizeof err))) {
			report(arg, err);
			pipeline_free(p);
			return NULL;
		}
	}
	return p;
}

/* pipeline_free - NULL is fine */
void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	policy_free(p->policy);
	dkmod_ctx_free(p->ctx);
	if (p->conf && p->conf->log_syslog)
		closelog();
	if (p->log_fd >= 0)
		close(p->log_fd);
	conf_free(p->conf);
	free(p);
}

/* pipeline_milter_socket - milter { socket } */
const char *pipeline_milter_socket(const struct pipeline *p)
{
	return p->conf->milter_socket;
}

/* pipeline_relay_client - client_ip in relay_nets (loopback without them) or daemon_name in submission */
bool pipeline_relay_client(const struct pipeline *p, const char *client_ip, const char *daemon_name)
{
	static const struct conf_net loopback[] = {{.family = AF_INET, .addr = {127}, .bits = 8},
						   {.family = AF_INET6, .addr = {[15] = 1}, .bits = 128}};
	const struct conf *c = p->conf;
	bool own = c->relay_nets != NULL;
	if (conf_net_match(own ? c->relay_nets : loopback, own ? c->nrelay_nets : 2, client_ip))
		return true;
	for (size_t i = 0; daemon_name && c->submission && c->submission[i]; i++)
		if (strcmp(c->submission[i], daemon_name) == 0)
			return true;
	return false;
}
