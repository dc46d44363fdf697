/*
 * conf_sign.c - dk_sign / dkim_sign instances and their dk_domain /
 * dkim_domain blocks: options given on the instance are inherited by its
 * domain blocks, which may override them.  Every key path template is
 * checked, and with check_keys every key file is opened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>

#include "conf_read.h"

/* What one level (instance, then domain) decides. */
struct conf_layer {
	struct dkmod_sign_request req;
	const char *key;   /* resolved template */
	int key_line;
};

/* The instance being read and the domains found so far. */
struct conf_signing {
	enum dkmod_method method;
	const char *title;
	struct conf_layer base;
	struct conf_domain *domains;
	size_t count, cap;
};

static const struct conf_spec conf_dk_instance[] = {
	{"sign_condition", CONF_T_STRING}, {"canon", CONF_T_STRING}, {"digest", CONF_T_STRING},
	{"algorithm", CONF_T_STRING},      {"key", CONF_T_STRING},   {"headers", CONF_T_STRINGS},
	{"sign_table", CONF_T_STRING},     {"selector", CONF_T_STRING}};
static const struct conf_spec conf_dkim_instance[] = {
	{"sign_condition", CONF_T_STRING}, {"canon", CONF_T_STRING},  {"digest", CONF_T_STRING},
	{"algorithm", CONF_T_STRING},      {"key", CONF_T_STRING},    {"headers", CONF_T_STRINGS},
	{"oversign", CONF_T_BOOL},         {"expire", CONF_T_INT},    {"body_length", CONF_T_BOOL},
	{"oversign_headers", CONF_T_STRINGS},
	{"sign_table", CONF_T_STRING},     {"selector", CONF_T_STRING}};
static const struct conf_spec conf_dk_domain[] = {
	{"selector", CONF_T_STRING}, {"base_domain", CONF_T_STRING}, {"canon", CONF_T_STRING},
	{"digest", CONF_T_STRING},   {"algorithm", CONF_T_STRING},   {"key", CONF_T_STRING},
	{"headers", CONF_T_STRINGS}};
static const struct conf_spec conf_dkim_domain[] = {
	{"selector", CONF_T_STRING}, {"base_domain", CONF_T_STRING}, {"canon", CONF_T_STRING},
	{"digest", CONF_T_STRING},   {"algorithm", CONF_T_STRING},   {"key", CONF_T_STRING},
	{"headers", CONF_T_STRINGS}, {"oversign", CONF_T_BOOL},      {"expire", CONF_T_INT},
	{"body_length", CONF_T_BOOL}, {"identity", CONF_T_STRING}, {"oversign_headers", CONF_T_STRINGS}};

#define CONF_N(a) (sizeof a / sizeof *a)

/* conf_val_of - the value read for option name, or NULL if it was not given */
static const struct conf_val *conf_val_of(const struct conf_spec *specs, size_t n, const struct conf_val *vals,
					  const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(specs[i].name, name) == 0)
			return vals[i].set ? &vals[i] : NULL;
	return NULL;
}

/* conf_headers - a list of field names as one colon list owned by the config */
static const char *conf_headers(struct conf_walk *w, const char *title, const struct conf_val *v)
{
	size_t total = 1;
	for (size_t i = 0; i < v->nlist; i++)
		total += strlen(v->list[i]) + 1;
	char *out = conf_pool_alloc(w->conf, total);
	if (!out) {
		w->oom = true;
		return NULL;
	}
	for (size_t i = 0; i < v->nlist; i++) {
		const char *p = v->list[i];
		while (*p) {
			size_t n = strcspn(p, ":");
			if (!conf_valid_field_name(p, n)) {
				conf_error(w, v->line, "%s: headers: '%.*s' is not a header field name", title, (int)n, p);
				return NULL;
			}
			if (*out)
				strcat(out, ":");
			strncat(out, p, n);
			p += n + (p[n] == ':');
		}
	}
	if (!*out) {
		conf_error(w, v->line, "%s: headers: the list is empty", title);
		return NULL;
	}
	return out;
}

/* conf_layer_apply - the options of one level over layer l */
static void conf_layer_apply(struct conf_walk *w, enum dkmod_method m, const char *title,
			     const struct conf_spec *specs, size_t n, const struct conf_val *vals, struct conf_layer *l)
{
	const struct conf_val *v;
	bool dk = m == DKMOD_METHOD_DOMAINKEYS;
	if ((v = conf_val_of(specs, n, vals, "canon")) && !dkmod_parse_canon(m, v->s, &l->req))
		conf_error(w, v->line, "%s: canon '%s' is not %s", title, v->s,
			   dk ? "nofws or simple" : "simple or relaxed, as header/body (e.g. relaxed/simple)");
	const struct conf_val *dg = conf_val_of(specs, n, vals, "digest"), *al = conf_val_of(specs, n, vals, "algorithm");
	if (dg && al)
		conf_error(w, al->line, "%s: give digest or algorithm, not both", title);
	else if ((v = dg ? dg : al) && !dkmod_parse_algorithm(m, v->s, &l->req.algorithm))
		conf_error(w, v->line, "%s: %s '%s' is not %s", title, dg ? "digest" : "algorithm", v->s,
			   dk ? "rsa-sha1 (DomainKeys has no other)" : "rsa-sha256, rsa-sha1 or ed25519-sha256");
	if ((v = conf_val_of(specs, n, vals, "key"))) {
		const char *why = conf_template_check(v->s);
		if (why)
			conf_error(w, v->line, "%s: key '%s': %s", title, v->s, why);
		else
			l->key = conf_val_path(w, v);
		l->key_line = v->line;
	}
	if ((v = conf_val_of(specs, n, vals, "headers")))
		l->req.headers = conf_headers(w, title, v);
	if ((v = conf_val_of(specs, n, vals, "oversign")))
		l->req.oversign = v->b;
	if ((v = conf_val_of(specs, n, vals, "oversign_headers")))
		l->req.oversign_headers = conf_headers(w, title, v);
	if ((v = conf_val_of(specs, n, vals, "expire")) && v->n > 315360000)
		conf_error(w, v->line, "%s: expire is at most 315360000 seconds (ten years)", title);
	else if (v)
		l->req.expire = (unsigned long)v->n;
	if ((v = conf_val_of(specs, n, vals, "body_length")))
		l->req.body_length = v->b ? 1LL << 62 : -1;
}

/* conf_domain_names - the domain block's name, selector, base domain and identity; false on an error */
static bool conf_domain_names(struct conf_walk *w, struct conf_signing *g, const char *title, const char *name,
			      int line, const struct conf_spec *specs, size_t n, const struct conf_val *vals,
			      struct conf_domain *d)
{
	const struct conf_val *v;
	bool ok = true;
	if (!dkmod_valid_domain(name)) {
		conf_error(w, line, "%s: '%s' is not a domain name", title, name);
		return false;
	}
	char *lower = conf_pool_strdup(w->conf, name);
	if (!lower)
		return w->oom = true, false;
	for (char *p = lower; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	d->domain = d->req.domain = lower;
	for (size_t i = 0; i < g->count; i++) {
		if (strcmp(g->domains[i].domain, lower) == 0) {
			conf_error(w, line, "%s: %s is already configured in %s (line %d)", title, lower, g->title,
				   g->domains[i].line);
			ok = false;
		}
	}
	if (!(v = conf_val_of(specs, n, vals, "selector"))) {
		if (!vals[0].line) /* not given at all (a mistyped one was reported) */
			conf_error(w, line, "%s: selector is required", title);
		ok = false;
	} else if (!dkmod_valid_domain(v->s)) {
		conf_error(w, v->line, "%s: selector '%s' is not a valid selector", title, v->s);
		ok = false;
	} else {
		d->req.selector = v->s;
	}
	if ((v = conf_val_of(specs, n, vals, "base_domain"))) {
		if (!dkmod_valid_domain(v->s) || !conf_domain_within(lower, v->s)) {
			conf_error(w, v->line, "%s: base_domain '%s' is not %s or a parent of it", title, v->s, lower);
			ok = false;
		} else {
			d->req.domain = v->s;
		}
	}
	if ((v = conf_val_of(specs, n, vals, "identity"))) {
		const char *at = strrchr(v->s, '@');
		if (!at || !conf_domain_within(at + 1, d->req.domain)) {
			conf_error(w, v->line, "%s: identity '%s' is not an address within %s", title, v->s, d->req.domain);
			ok = false;
		} else {
			d->req.identity = v->s;
		}
	}
	return ok;
}

/* conf_domain_block - one dk_domain / dkim_domain block (a conf_children callback) */
static void conf_domain_block(lua_State *L, struct conf_walk *w, const struct conf_block *parent,
			      struct conf_block *b, void *arg)
{
	struct conf_signing *g = arg;
	bool dk = g->method == DKMOD_METHOD_DOMAINKEYS;
	const struct conf_spec *specs = dk ? conf_dk_domain : conf_dkim_domain;
	size_t n = dk ? CONF_N(conf_dk_domain) : CONF_N(conf_dkim_domain);
	struct conf_val vals[CONF_N(conf_dkim_domain)];
	lua_getfield(L, b->rec, "name");
	const char *name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	lua_getfield(L, b->rec, "nth");
	b->nth = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);
	if (!name || !*name) {
		conf_error(w, b->line, "%s needs a domain: %s \"example.com\" { selector = ... }", b->kind, b->kind);
		lua_pop(L, 1);
		return;
	}
	snprintf(b->title, sizeof b->title, "%s \"%.100s\"", b->kind, name);
	if (!conf_read(L, w, b, specs, n, vals)) {
		lua_pop(L, 1);
		return;
	}
	struct conf_layer l = g->base;
	conf_layer_apply(w, g->method, b->title, specs, n, vals, &l);
	struct conf_domain d = {.req = l.req, .line = b->line};
	bool ok = conf_domain_names(w, g, b->title, name, b->line, specs, n, vals, &d);
	lua_pop(L, 1);
	conf_children(L, w, b, NULL, NULL, NULL);
	if (!l.key) {
		if (l.key_line == 0)
			conf_error(w, b->line, "%s: no key: set key in %s or in this block", b->title, parent->title);
		return;
	}
	d.key_template = l.key;
	if (!ok)
		return;
	char path[PATH_MAX];
	if (!conf_expand(d.key_template, d.req.domain, d.req.selector, path, sizeof path))
		conf_error(w, l.key_line, "%s: the key path is too long", b->title);
	else if (w->check_keys) {
		char what[sizeof b->title + 16];
		snprintf(what, sizeof what, "%s: key file", b->title);
		conf_check_key(w, l.key_line == g->base.key_line ? b->line : l.key_line, what, path);
	}
	if (g->count == g->cap) {
		/* the pool owns every array at once: a Lua error unwinding past here leaks nothing */
		size_t cap = g->cap ? g->cap * 2 : 8;
		struct conf_domain *a = conf_pool_alloc(w->conf, cap * sizeof *a);
		if (!a) {
			w->oom = true;
			return;
		}
		if (g->count)
			memcpy(a, g->domains, g->count * sizeof *a);
		g->domains = a;
		g->cap = cap;
	}
	g->domains[g->count++] = d;
}

/* conf_instance_table - the instance's sign_table, and its selector for the key template alone */
static void conf_instance_table(struct conf_walk *w, const char *title, const struct conf_spec *specs, size_t n,
				const struct conf_val *vals, const struct conf_layer *base, struct conf_signer *s)
{
	const struct conf_val *v;
	s->req = base->req;
	s->key_template = base->key;
	if ((v = conf_val_of(specs, n, vals, "selector"))) {
		if (!dkmod_valid_domain(v->s))
			conf_error(w, v->line, "%s: selector '%s' is not a valid selector", title, v->s);
		else if (!base->key)
			conf_error(w, v->line, "%s: selector needs key, a template such as \"keys/%%{d}/%%{s}.key\"", title);
		else
			s->selector = v->s;
	}
	if (!(v = conf_val_of(specs, n, vals, "sign_table")) || !(s->sign_table = conf_val_path(w, v)))
		return;
	struct dkmod_signtable *t;
	char why[512];
	if (!w->check_keys)
		conf_check_readable(w, v->line, "sign_table", s->sign_table);
	else if (dkmod_signtable_open(s->sign_table, &t, why, sizeof why) != DKMOD_OK)
		conf_error(w, v->line, "%s: sign_table: %s", title, why);
	else
		dkmod_signtable_free(t); /* opened again in each process that signs */
}

/* conf_sign_block - a dk_sign or dkim_sign instance (record at b->rec) */
void conf_sign_block(lua_State *L, struct conf_walk *w, const struct conf_block *b)
{
	bool dk = strcmp(b->kind, "dk_sign") == 0;
	const struct conf_spec *specs = dk ? conf_dk_instance : conf_dkim_instance;
	size_t n = dk ? CONF_N(conf_dk_instance) : CONF_N(conf_dkim_instance);
	struct conf_val vals[CONF_N(conf_dkim_instance)];
	struct conf_signing g = {.method = dk ? DKMOD_METHOD_DOMAINKEYS : DKMOD_METHOD_DKIM, .title = b->title};
	if (!conf_read(L, w, b, specs, n, vals))
		return;
	dkmod_sign_request_init(&g.base.req);
	g.base.req.method = g.method;
	dkmod_parse_canon(g.method, NULL, &g.base.req);
	if (dk)
		g.base.req.algorithm = DKMOD_ALG_RSA_SHA1;
	conf_layer_apply(w, g.method, b->title, specs, n, vals, &g.base);
	struct conf_signer s = {.method = g.method, .line = b->line};
	const struct conf_val *v = conf_val_of(specs, n, vals, "sign_condition");
	if (v && strcmp(v->s, "can_relay") == 0)
		s.condition = CONF_SIGN_CAN_RELAY;
	else if (v && strcmp(v->s, "auth_user") == 0)
		s.condition = CONF_SIGN_AUTH_USER;
	else if (v)
		conf_error(w, v->line, "%s: sign_condition is can_relay or auth_user, not '%s'", b->title, v->s);
	conf_instance_table(w, b->title, specs, n, vals, &g.base, &s);
	conf_children(L, w, b, dk ? "dk_domain" : "dkim_domain", conf_domain_block, &g);
	lua_getfield(L, b->rec, "name");
	s.name = conf_pool_strdup(w->conf, lua_tostring(L, -1));
	lua_pop(L, 1);
	s.ndomains = g.count;
	s.domains = g.domains;
	struct conf *c = w->conf;
	struct conf_signer *all = conf_pool_alloc(c, (c->nsigners + 1) * sizeof *all);
	if (!s.name || (g.count && !s.domains) || !all) {
		w->oom = true;
		return;
	}
	if (c->nsigners)
		memcpy(all, c->signers, c->nsigners * sizeof *all);
	all[c->nsigners++] = s;
	c->signers = all;
}
