/*
 * conf_requests.c - the signatures the configuration gives a message.  DKIM
 * signs for the author's domain (From:), so that DMARC counts the signature;
 * DomainKeys for the responsible sender (Sender:, else From:; RFC 4870).  Per
 * instance: its domain block for that domain, else its signing table's entry
 * (address, domain, .parents, *), else its key template with its selector
 * for the domain or the nearest parent whose key file exists.  Every choice
 * and every refusal is told to the caller's explain callback.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf_int.h"

/* One conf_requests call. */
struct conf_ask {
	struct conf_request *out;
	size_t n, max;
	conf_explain_fn *explain;
	void *arg;
	enum dkmod_log_level level;
};

/* conf_say - one line of reasoning at level */
static void __attribute__((format(printf, 3, 4))) conf_say(struct conf_ask *a, enum dkmod_log_level level,
							    const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	if (!a->explain || level > a->level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	a->explain(a->arg, level, line);
}

/* conf_add - queue a signature of instance g as d=domain s=selector with the key at key; false
 * (and a warning) if the key file is not readable or there is no room */
static bool conf_add(struct conf_ask *a, const struct conf_signer *g, const struct dkmod_sign_request *req,
		     const char *domain, const char *selector, const char *key, const char *whence)
{
	if (a->n == a->max) {
		conf_say(a, DKMOD_LOG_WARNING, "%s: more than %zu signatures: d=%s s=%s left out", g->name, a->max,
			 domain, selector);
		return false;
	}
	struct conf_request *r = &a->out[a->n];
	/* readable by this process (one call, no descriptor: this runs for every message signed) */
	if (faccessat(AT_FDCWD, key, R_OK, AT_EACCESS) != 0) {
		conf_say(a, DKMOD_LOG_WARNING, "%s: not signing as d=%s s=%s (%s): key %s: %s", g->name, domain,
			 selector, whence, key, strerror(errno));
		return false;
	}
	r->req = *req;
	r->instance = g->name;
	r->req.instance = g->name;
	r->owned = NULL;
	snprintf(r->domain, sizeof r->domain, "%s", domain);
	snprintf(r->selector, sizeof r->selector, "%s", selector);
	snprintf(r->key, sizeof r->key, "%s", key);
	r->req.domain = r->domain;
	r->req.selector = r->selector;
	r->req.key_file = r->key;
	r->req.algorithm_from_key = req == &g->req; /* a table or the template: the key says RSA or Ed25519 */
	a->n++;
	conf_say(a, DKMOD_LOG_DEBUG, "%s: signing as d=%s s=%s with key %s (%s)", g->name, domain, selector, key, whence);
	return true;
}

/* conf_from_block - the instance's domain block for domain; false if it has none */
static bool conf_from_block(struct conf_ask *a, const struct conf_signer *g, const char *domain)
{
	char key[PATH_MAX], whence[300];
	for (size_t k = 0; k < g->ndomains; k++) {
		const struct conf_domain *d = &g->domains[k];
		if (strcasecmp(d->domain, domain) != 0)
			continue;
		snprintf(whence, sizeof whence, "%s_domain \"%s\" at line %d",
			 g->method == DKMOD_METHOD_DOMAINKEYS ? "dk" : "dkim", d->domain, d->line);
		if (!conf_expand(d->key_template, d->req.domain, d->req.selector, key, sizeof key))
			conf_say(a, DKMOD_LOG_WARNING, "%s: the key path for %s is too long", g->name, domain);
		else
			conf_add(a, g, &d->req, d->req.domain, d->req.selector, key, whence);
		return true;
	}
	return false;
}

/* conf_table_key - the key file of a signing table signature: its own (relative to the table's
 * directory) or the instance's template expanded; false if there is none or it does not fit */
bool conf_table_key(const struct conf_signer *g, const struct dkmod_signtable_sig *s, char *key, size_t size)
{
	const char *slash = strrchr(g->sign_table, '/');
	if (s->key_file[0] == '/' || (s->key_file[0] && !slash))
		return (size_t)snprintf(key, size, "%s", s->key_file) < size;
	if (s->key_file[0]) /* relative to the table's directory */
		return (size_t)snprintf(key, size, "%.*s/%s", (int)(slash - g->sign_table), g->sign_table, s->key_file) <
		       size;
	return g->key_template && conf_expand(g->key_template, s->domain, s->selector, key, size);
}

/* conf_from_table - the instance's signing table entry for address or domain; false if it has none */
static bool conf_from_table(struct conf_ask *a, const struct conf_signer *g, const char *address, const char *domain)
{
	struct dkmod_signtable_match m;
	char why[600], key[PATH_MAX], whence[400];
	if (!g->table)
		return false;
	int rc = dkmod_signtable_lookup(g->table, address, domain, &m, why, sizeof why);
	if (rc < 0) {
		conf_say(a, DKMOD_LOG_WARNING, "%s: %s", g->name, why);
		return true; /* a bad entry must not fall through to a default */
	}
	if (rc == 0) {
		conf_say(a, DKMOD_LOG_DEBUG, "%s: sign_table %s has no entry for %s%s%s, its parents or *", g->name,
			 g->sign_table, address ? address : "", address ? ", " : "", domain);
		return false;
	}
	snprintf(whence, sizeof whence, "sign_table %s entry %s", g->sign_table, m.key);
	for (size_t i = 0; i < m.nsigs; i++) {
		const struct dkmod_signtable_sig *s = &m.sigs[i];
		if (!s->key_file[0] && !g->key_template)
			conf_say(a, DKMOD_LOG_WARNING, "%s: %s names no key file for d=%s s=%s and the instance has no key template",
				 g->name, whence, s->domain, s->selector);
		else if (!conf_table_key(g, s, key, sizeof key))
			conf_say(a, DKMOD_LOG_WARNING, "%s: the key path for d=%s is too long", g->name, s->domain);
		else
			conf_add(a, g, &g->req, s->domain, s->selector, key, whence);
	}
	return true;
}

/* conf_from_template - the key template with the instance's selector: domain, else the nearest
 * parent (of two labels or more) whose key file exists; false if none has one */
static bool conf_from_template(struct conf_ask *a, const struct conf_signer *g, const char *domain)
{
	char key[PATH_MAX], whence[PATH_MAX + 40];
	if (!g->key_template || !g->selector)
		return false;
	for (const char *d = domain; d && strchr(d, '.'); d = strchr(d, '.') + 1) {
		if (!conf_expand(g->key_template, d, g->selector, key, sizeof key) || access(key, F_OK) != 0) {
			conf_say(a, DKMOD_LOG_DEBUG, "%s: no key file %s for d=%s", g->name, key, d);
			continue;
		}
		snprintf(whence, sizeof whence, "key template %s", g->key_template);
		conf_add(a, g, &g->req, d, g->selector, key, whence);
		return true;
	}
	return false;
}

/* conf_requests - the signatures the configuration gives a message */
size_t conf_requests(const struct conf *c, const struct conf_who *who, struct conf_request *out, size_t max,
		     conf_explain_fn *explain, void *arg, enum dkmod_log_level level)
{
	struct conf_ask a = {.out = out, .max = max, .explain = explain, .arg = arg, .level = level};
	for (size_t i = 0; i < c->nsigners; i++) {
		const struct conf_signer *g = &c->signers[i];
		bool dk = g->method == DKMOD_METHOD_DOMAINKEYS;
		const char *domain = dk ? who->dk_domain : who->dkim_domain;
		const char *address = dk ? who->dk_address : who->dkim_address;
		const char *role = dk ? "the responsible sender (Sender:, else From:)" : "the author (From:)";
		if (!who->any_condition && ((g->condition == CONF_SIGN_CAN_RELAY && !who->can_relay) ||
					    (g->condition == CONF_SIGN_AUTH_USER && !who->auth_user))) {
			conf_say(&a, DKMOD_LOG_DEBUG, "%s: not signing: the client %s", g->name,
				 g->condition == CONF_SIGN_CAN_RELAY ? "may not relay" : "did not authenticate");
			continue;
		}
		if (!domain || !*domain) {
			conf_say(&a, DKMOD_LOG_INFO, "%s: not signing: no domain in %s", g->name, role);
			continue;
		}
		conf_say(&a, DKMOD_LOG_DEBUG, "%s: signs for %s: %s", g->name, role, domain);
		if (!conf_from_block(&a, g, domain) && !conf_from_table(&a, g, address, domain) &&
		    !conf_from_template(&a, g, domain))
			conf_say(&a, DKMOD_LOG_INFO, "%s: not signing for %s: no %s_domain block%s%s", g->name, domain,
				 dk ? "dk" : "dkim", g->table ? ", sign_table entry" : "",
				 g->selector ? " or key file from the key template" : "");
	}
	return a.n;
}

/* conf_tables_refresh - open the signing tables not yet open and reopen changed ones */
void conf_tables_refresh(struct conf *c, struct dkmod_ctx *ctx, conf_explain_fn *explain, void *arg)
{
	char why[600], line[700];
	for (size_t i = 0; i < c->nsigners; i++) {
		struct conf_signer *g = &c->signers[i];
		enum dkmod_status st = DKMOD_OK;
		bool reloaded = false;
		if (!g->sign_table)
			continue;
		for (size_t j = 0; j < i && !g->table; j++)
			if (c->signers[j].table && strcmp(c->signers[j].sign_table, g->sign_table) == 0) {
				g->table = c->signers[j].table; /* one version of a file for every instance */
				g->table_borrowed = true;
			}
		if (g->table_borrowed)
			continue;
		if (!g->table)
			st = dkmod_signtable_open(g->sign_table, &g->table, why, sizeof why);
		else
			st = dkmod_signtable_refresh(g->table, ctx, false, &reloaded, why, sizeof why);
		if (explain && st != DKMOD_OK) {
			snprintf(line, sizeof line, "%s: sign_table %s%s", g->name, why,
				 g->table ? "; the version loaded before stays in use" : "; not signing from it");
			explain(arg, DKMOD_LOG_WARNING, line);
		} else if (explain && reloaded) {
			snprintf(line, sizeof line, "%s: sign_table %s reloaded (version %lu)", g->name, g->sign_table,
				 dkmod_signtable_version(g->table));
			explain(arg, DKMOD_LOG_INFO, line);
		}
	}
}
