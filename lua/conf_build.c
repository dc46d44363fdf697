/*
 * conf_build.c - turn the recorded constructor calls into a struct conf:
 * the blocks that are not about signing (validation, key cache, resolver,
 * policy, log, authserv_id), instance names, and the order of the errors.
 */
#include <arpa/inet.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include <lua.h>

#include "conf_read.h"

#define CONF_NAMES_MAX 64

/* What the walk remembers across blocks: instance names and blocks given once. */
struct conf_seen {
	const char *names[CONF_NAMES_MAX];
	int name_lines[CONF_NAMES_MAX];
	size_t nnames;
	int once_lines[16];   /* by kind index, 0 if not seen */
};

static const char *const conf_once_kinds[] = {"keycache", "resolver", "policy", "log", "authserv_id",
					       "dk_validate", "dkim_validate", "milter", "spf", "dmarc", "dmarc_reports"};

/* conf_validate_block - dk_validate / dkim_validate */
static void conf_validate_block(lua_State *L, struct conf_walk *w, const struct conf_block *b)
{
	static const struct conf_spec specs[] = {{"check_policies", CONF_T_BOOL}, {"verify_signed", CONF_T_BOOL},
						 {"min_key_bits", CONF_T_INT},     {"max_signatures", CONF_T_INT},
						 {"clock_skew", CONF_T_INT},       {"allow_sha1", CONF_T_BOOL}};
	struct conf_val vals[6], *v = vals + 1; /* v[1] to v[4]: min_key_bits to allow_sha1 */
	bool dk = strcmp(b->kind, "dk_validate") == 0;
	if (!conf_read(L, w, b, specs, dk ? 2 : 6, vals))
		return;
	if (vals[1].set && vals[1].b)
		w->conf->verify_signed = true;
	struct dkmod_options *o = &w->conf->opt;
	w->conf->verify = true;
	lua_getfield(L, b->rec, "name");
	const char *name = conf_pool_strdup(w->conf, lua_tostring(L, -1));
	lua_pop(L, 1);
	*(dk ? &w->conf->dk_validate_name : &w->conf->dkim_validate_name) = name;
	if (vals[0].set && !vals[0].b)
		o->check_policies = false;
	if (dk)
		return;
	if (v[1].set && v[1].n > 16384)
		conf_error(w, v[1].line, "%s: min_key_bits is at most 16384", b->title);
	else if (v[1].set)
		o->min_key_bits = (unsigned)v[1].n;
	if (v[2].set && (v[2].n < 1 || v[2].n > 64))
		conf_error(w, v[2].line, "%s: max_signatures is 1 to 64", b->title);
	else if (v[2].set)
		o->max_signatures = (unsigned)v[2].n;
	if (v[3].set && v[3].n > 86400)
		conf_error(w, v[3].line, "%s: clock_skew is at most 86400 seconds", b->title);
	else if (v[3].set)
		o->clock_skew = (unsigned)v[3].n;
	if (v[4].set)
		o->allow_sha1 = v[4].b;
}

/* conf_keycache_block - keycache { size, ttl, negative_ttl, state_dir, owner, signing_keys } */
static void conf_keycache_block(lua_State *L, struct conf_walk *w, const struct conf_block *b)
{
	static const struct conf_spec specs[] = {{"size", CONF_T_INT},	       {"ttl", CONF_T_INT},
						 {"negative_ttl", CONF_T_INT}, {"state_dir", CONF_T_STRING},
						 {"owner", CONF_T_STRING},     {"signing_keys", CONF_T_INT}};
	struct conf_val v[6];
	if (!conf_read(L, w, b, specs, 6, v))
		return;
	if (v[4].set && !getpwnam(v[4].s))
		conf_error(w, v[4].line, "keycache: owner '%s' is no user of this system", v[4].s);
	else if (v[4].set)
		w->conf->state_owner = conf_pool_strdup(w->conf, v[4].s);
	if (v[5].set && (v[5].n < 1 || v[5].n > 10000000))
		conf_error(w, v[5].line, "keycache: signing_keys is 1 to 10000000 keys");
	else if (v[5].set)
		w->conf->opt.signing_keys = (size_t)v[5].n;
	struct dkmod_cache_options *c = &w->conf->opt.cache;
	if (v[0].set && (v[0].n < 1 || v[0].n > 10000000))
		conf_error(w, v[0].line, "keycache: size is 1 to 10000000 entries");
	else if (v[0].set)
		c->size = (size_t)v[0].n;
	for (int i = 1; i <= 2; i++) {
		if (v[i].set && v[i].n > 604800)
			conf_error(w, v[i].line, "keycache: %s is at most 604800 seconds", specs[i].name);
		else if (v[i].set)
			*(i == 1 ? &c->ttl : &c->negative_ttl) = (unsigned)v[i].n;
	}
	if (v[3].set)
		c->state_dir = conf_val_path(w, &v[3]);
}

/* conf_server_ok - "IP" or "IP@PORT" */
static bool conf_server_ok(const char *s)
{
	char ip[64];
	unsigned char buf[16];
	const char *at = strchr(s, '@');
	size_t n = at ? (size_t)(at - s) : strlen(s);
	if (n == 0 || n >= sizeof ip)
		return false;
	memcpy(ip, s, n);
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, buf) != 1 && inet_pton(AF_INET6, ip, buf) != 1)
		return false;
	if (!at)
		return true;
	char *end;
	long port = strtol(at + 1, &end, 10);
	return at[1] && !*end && port > 0 && port < 65536;
}

/* conf_resolver_block - resolver { forward, stub, trust_anchor, zone, timeout, dnssec_bogus, resolv_conf } */
static void conf_resolver_block(lua_State *L, struct conf_walk *w, const struct conf_block *b)
{
	static const struct conf_spec specs[] = {{"forward", CONF_T_STRINGS},     {"stub", CONF_T_MAP},
						 {"trust_anchor", CONF_T_STRING},  {"zone", CONF_T_STRING},
						 {"timeout", CONF_T_NUMBER},       {"dnssec_bogus", CONF_T_STRING},
						 {"resolv_conf", CONF_T_BOOL}};
	struct conf_val v[7];
	if (!conf_read(L, w, b, specs, 7, v))
		return;
	struct dkmod_resolver_options *r = &w->conf->opt.resolver;
	for (size_t i = 0; v[0].set && i < v[0].nlist; i++)
		if (!conf_server_ok(v[0].list[i]))
			conf_error(w, v[0].line, "resolver: forward '%s' is not IP or IP@PORT", v[0].list[i]);
	if (v[0].set)
		r->forwarders = v[0].list;
	for (size_t i = 0; v[1].set && i < v[1].nlist; i++) {
		const char *eq = strchr(v[1].list[i], '=');
		char zone[256];
		size_t n = eq ? (size_t)(eq - v[1].list[i]) : 0;
		if (n && n < sizeof zone) {
			memcpy(zone, v[1].list[i], n);
			zone[n] = '\0';
		}
		if (!eq || !n || n >= sizeof zone || !dkmod_valid_domain(zone) || !conf_server_ok(eq + 1))
			conf_error(w, v[1].line, "resolver: stub '%s' is not { [\"zone\"] = \"IP@PORT\" }", v[1].list[i]);
	}
	if (v[1].set)
		r->stubs = v[1].list;
	if (v[2].set && (r->trust_anchor_file = conf_val_path(w, &v[2])))
		conf_check_readable(w, v[2].line, "resolver: trust_anchor", r->trust_anchor_file);
	if (v[3].set && (r->zone_file = conf_val_path(w, &v[3])))
		conf_check_readable(w, v[3].line, "resolver: zone", r->zone_file);
	if (v[4].set && (v[4].n < 0.001 || v[4].n > 600))
		conf_error(w, v[4].line, "resolver: timeout is 0.001 to 600 seconds");
	else if (v[4].set)
		r->timeout_ms = (unsigned)(v[4].n * 1000 + 0.5);
	if (v[5].set) {
		static const char *const names[] = {"temperror", "permerror", "insecure"};
		size_t i = 0;
		while (i < 3 && strcmp(names[i], v[5].s) != 0)
			i++;
		if (i == 3)
			conf_error(w, v[5].line, "resolver: dnssec_bogus is temperror, permerror or insecure, not '%s'",
				   v[5].s);
		else
			r->bogus = (enum dkmod_bogus)i;
	}
	if (v[6].set)
		r->use_resolv_conf = v[6].b;
}

/* conf_policy_block - policy "file" or policy { file, fallback, time_limit, memory_limit } */
static void conf_policy_block(lua_State *L, struct conf_walk *w, const struct conf_block *b)
{
	static const struct conf_spec specs[] = {{"file", CONF_T_STRING}, {"fallback", CONF_T_STRING},
						 {"time_limit", CONF_T_INT}, {"memory_limit", CONF_T_INT}};
	struct conf_val v[4];
	struct conf *c = w->conf;
	lua_getfield(L, b->rec, "opts");
	bool plain = lua_type(L, -1) == LUA_TSTRING;
	if (plain) {
		memset(v, 0, sizeof v);
		v[0].set = true;
		v[0].line = b->line;
		if (!(v[0].s = conf_pool_strdup(c, lua_tostring(L, -1))))
			w->oom = true;
	}
	lua_pop(L, 1);
	if (!plain && !conf_read(L, w, b, specs, 4, v))
		return;
	if (!v[0].set || !v[0].s)
		conf_error(w, b->line, "policy: which file? policy \"file.lua\" or policy { file = \"file.lua\" }");
	else if ((c->policy_file = conf_val_path(w, &v[0])))
		conf_check_readable(w, v[0].line, "policy: script", c->policy_file);
	if (v[1].set) {
		if (strcmp(v[1].s, "tempfail") != 0 && strcmp(v[1].s, "accept") != 0 && strcmp(v[1].s, "reject") != 0)
			conf_error(w, v[1].line, "policy: fallback is tempfail, accept or reject, not '%s'", v[1].s);
		else
			c->fallback = v[1].s;
	}
	if (v[2].set && (v[2].n < 1 || v[2].n > 60000))
		conf_error(w, v[2].line, "policy: time_limit is 1 to 60000 milliseconds");
	else if (v[2].set)
		c->policy_time_ms = (unsigned)v[2].n;
	if (v[3].set && (v[3].n < 1 || v[3].n > 4096))
		conf_error(w, v[3].line, "policy: memory_limit is 1 to 4096 megabytes");
	else if (v[3].set)
		c->policy_memory = (size_t)v[3].n << 20;
}

/* conf_log_block - log { level, syslog, facility, file } */
static void conf_log_block(lua_State *L, struct conf_walk *w, const struct conf_block *b)
{
	static const struct conf_spec specs[] = {{"level", CONF_T_STRING}, {"syslog", CONF_T_BOOL},
						 {"facility", CONF_T_STRING}, {"file", CONF_T_STRING}};
	static const char *const levels[] = {"error", "warning", "info", "debug"};
	static const struct {
		const char *name;
		int value;
	} facilities[] = {{"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},     {"local0", LOG_LOCAL0},
			  {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
			  {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}};
	struct conf_val v[4];
	if (!conf_read(L, w, b, specs, 4, v))
		return;
	if (v[3].set && v[1].set && v[1].b)
		conf_error(w, v[3].line, "log: file and syslog = true exclude each other");
	else if (v[3].set)
		w->conf->log_file = conf_val_path(w, &v[3]);
	size_t i = 0;
	while (v[0].set && i < 4 && strcmp(levels[i], v[0].s) != 0)
		i++;
	if (v[0].set && i == 4)
		conf_error(w, v[0].line, "log: level is error, warning, info or debug, not '%s'", v[0].s);
	else if (v[0].set)
		w->conf->log_level = (enum dkmod_log_level)i;
	if (v[1].set)
		w->conf->log_syslog = v[1].b;
	for (i = 0; v[2].set && i < sizeof facilities / sizeof *facilities; i++)
		if (strcmp(facilities[i].name, v[2].s) == 0)
			break;
	if (v[2].set && i == sizeof facilities / sizeof *facilities)
		conf_error(w, v[2].line, "log: facility is mail, daemon, user or local0 to local7, not '%s'", v[2].s);
	else if (v[2].set)
		w->conf->log_facility = facilities[i].value;
}

/* conf_id_ok - an authserv-id: a token without anything that could end or split a field */
static bool conf_id_ok(const char *id)
{
	for (const char *p = id; p && *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p == 0x7f || strchr(";()\"\\", *p))
			return false;
	return id && *id;
}

/* conf_authserv_block - authserv_id "name" */
static void conf_authserv_block(lua_State *L, struct conf_walk *w, const struct conf_block *b)
{
	lua_getfield(L, b->rec, "opts");
	const char *id = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	if (!conf_id_ok(id))
		conf_error(w, b->line, "authserv_id takes a name without spaces: authserv_id \"mx.example.net\"");
	else if (!(w->conf->opt.authserv_id = conf_pool_strdup(w->conf, id)))
		w->oom = true;
	lua_pop(L, 1);
}

/* conf_auth_block - spf { enable, received_spf, trusted_authserv_ids } and dmarc { enable }:
 * SPF and DMARC when verifying (default on) */
static void conf_auth_block(lua_State *L, struct conf_walk *w, const struct conf_block *b)
{
	static const struct conf_spec specs[] = {{"enable", CONF_T_BOOL}, {"received_spf", CONF_T_BOOL},
						 {"trusted_authserv_ids", CONF_T_STRINGS}};
	struct conf_val v[3];
	bool spf = strcmp(b->kind, "spf") == 0;
	if (!conf_read(L, w, b, specs, spf ? 3 : 1, v))
		return;
	if (v[0].set)
		*(spf ? &w->conf->opt.check_spf : &w->conf->opt.check_dmarc) = v[0].b;
	if (!spf)
		return;
	if (v[1].set)
		w->conf->opt.received_spf = v[1].b;
	bool ok = v[2].set && v[2].nlist <= 64;
	for (size_t i = 0; ok && i < v[2].nlist; i++)
		ok = conf_id_ok(v[2].list[i]);
	if (v[2].set && !ok)
		conf_error(w, v[2].line, "spf: trusted_authserv_ids takes at most 64 names without spaces: "
					 "trusted_authserv_ids = { \"mx1.example.net\" }");
	else if (v[2].set && v[2].nlist)
		w->conf->opt.trusted_authserv_ids = v[2].list;
}

/* conf_milter_block - milter { socket, relay_nets, submission } (read by dkmod-milter) */
static void conf_milter_block(lua_State *L, struct conf_walk *w, const struct conf_block *b)
{
	static const struct conf_spec specs[] = {{"socket", CONF_T_STRING}, {"relay_nets", CONF_T_STRINGS},
						 {"submission", CONF_T_STRINGS}};
	struct conf_val v[3];
	struct conf *c = w->conf;
	if (!conf_read(L, w, b, specs, 3, v))
		return;
	if (v[0].set && strncmp(v[0].s, "unix:", 5) != 0 && strncmp(v[0].s, "local:", 6) != 0 &&
	    strncmp(v[0].s, "inet:", 5) != 0 && strncmp(v[0].s, "inet6:", 6) != 0)
		conf_error(w, v[0].line, "milter: socket is unix:PATH, inet:PORT@HOST or inet6:PORT@HOST, not '%s'", v[0].s);
	else if (v[0].set)
		c->milter_socket = v[0].s;
	if (v[1].set && !(c->relay_nets = conf_pool_alloc(c, (v[1].nlist + 1) * sizeof *c->relay_nets)))
		w->oom = true;
	for (size_t i = 0; c->relay_nets && i < v[1].nlist; i++) {
		if (conf_net_parse(v[1].list[i], &c->relay_nets[c->nrelay_nets]))
			c->nrelay_nets++;
		else
			conf_error(w, v[1].line, "milter: relay_nets entry '%s' is not ADDRESS/BITS", v[1].list[i]);
	}
	if (v[2].set)
		c->submission = v[2].list;
}

/* conf_block_title - the block's name for messages; false for a named block without a valid name */
static bool conf_block_title(lua_State *L, struct conf_walk *w, struct conf_block *b, bool named, struct conf_seen *seen)
{
	snprintf(b->title, sizeof b->title, "%s", b->kind);
	if (!named)
		return true;
	lua_getfield(L, b->rec, "name");
	const char *name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	lua_pop(L, 1);
	if (!name || !*name || strlen(name) > 100) {
		conf_error(w, b->line, "%s needs a name: %s \"name\" { ... }", b->kind, b->kind);
		return false;
	}
	snprintf(b->title, sizeof b->title, "%s \"%s\"", b->kind, name);
	for (size_t i = 0; i < seen->nnames; i++) {
		if (strcmp(seen->names[i], name) == 0) {
			conf_error(w, b->line, "duplicate instance name '%s' (first at line %d)", name, seen->name_lines[i]);
			return false;
		}
	}
	if (seen->nnames < CONF_NAMES_MAX && (seen->names[seen->nnames] = conf_pool_strdup(w->conf, name)))
		seen->name_lines[seen->nnames++] = b->line;
	return true;
}

/* conf_once - false (and an error) if a block that may appear once appeared before */
static bool conf_once(struct conf_walk *w, const struct conf_block *b, struct conf_seen *seen)
{
	for (size_t i = 0; i < sizeof conf_once_kinds / sizeof *conf_once_kinds; i++) {
		if (strcmp(conf_once_kinds[i], b->kind) != 0)
			continue;
		if (seen->once_lines[i]) {
			conf_error(w, b->line, "%s may appear only once (first at line %d)", b->kind, seen->once_lines[i]);
			return false;
		}
		seen->once_lines[i] = b->line;
	}
	return true;
}

/* conf_one - build one top-level record (at index rec) */
static void conf_one(lua_State *L, struct conf_walk *w, struct conf_block *b, struct conf_seen *seen)
{
	if (strstr(b->kind, "_domain")) {
		lua_getfield(L, b->rec, "placed");
		bool placed = lua_toboolean(L, -1);
		lua_pop(L, 1);
		if (!placed)
			conf_error(w, b->line, "%s belongs in the list of a %s block", b->kind,
				   strcmp(b->kind, "dk_domain") == 0 ? "dk_sign" : "dkim_sign");
		return;
	}
	bool named = strstr(b->kind, "_sign") || strstr(b->kind, "_validate");
	if (!conf_block_title(L, w, b, named, seen) || !conf_once(w, b, seen))
		return;
	if (strstr(b->kind, "_sign")) {
		conf_sign_block(L, w, b);
		return;
	}
	if (strstr(b->kind, "_validate"))
		conf_validate_block(L, w, b);
	else if (strcmp(b->kind, "keycache") == 0)
		conf_keycache_block(L, w, b);
	else if (strcmp(b->kind, "resolver") == 0)
		conf_resolver_block(L, w, b);
	else if (strcmp(b->kind, "policy") == 0)
		conf_policy_block(L, w, b);
	else if (strcmp(b->kind, "log") == 0)
		conf_log_block(L, w, b);
	else if (strcmp(b->kind, "authserv_id") == 0)
		conf_authserv_block(L, w, b);
	else if (strcmp(b->kind, "milter") == 0)
		conf_milter_block(L, w, b);
	else if (strcmp(b->kind, "spf") == 0 || strcmp(b->kind, "dmarc") == 0)
		conf_auth_block(L, w, b);
	else if (strcmp(b->kind, "dmarc_reports") == 0)
		conf_reports_block(L, w, b);
	conf_children(L, w, b, NULL, NULL, NULL);
}

/* conf_error_line - the line number of an error text "path:LINE: ..." */
static long conf_error_line(const char *path, const char *e)
{
	size_t n = strlen(path);
	return strncmp(e, path, n) == 0 && e[n] == ':' ? strtol(e + n + 1, NULL, 10) : 0;
}

/* conf_sort_errors - errors from index from on, in line order (stable) */
static void conf_sort_errors(struct conf_errors *e, size_t from, const char *path)
{
	for (size_t i = from + 1; i < e->count; i++) {
		char *x = e->lines[i];
		long line = conf_error_line(path, x);
		size_t j = i;
		while (j > from && conf_error_line(path, e->lines[j - 1]) > line) {
			e->lines[j] = e->lines[j - 1];
			j--;
		}
		e->lines[j] = x;
	}
}

/* conf_build - turn the records (at the top of L's stack) into w->conf */
void conf_build(lua_State *L, struct conf_walk *w)
{
	struct conf_seen seen;
	memset(&seen, 0, sizeof seen);
	size_t from = w->errs->count;
	int records = lua_gettop(L);
	int n = (int)lua_objlen(L, records);
	/* the nth call of a kind on its line, for finding option lines in the text;
	 * sign blocks first so that their domain blocks are placed before being checked */
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, records, i);
		lua_getfield(L, -1, "kind");
		lua_getfield(L, -2, "line");
		int nth = 0;
		for (int k = 1; k < i; k++) {
			lua_rawgeti(L, records, k);
			lua_getfield(L, -1, "kind");
			lua_getfield(L, -2, "line");
			if (lua_equal(L, -1, -4) && lua_equal(L, -2, -5))
				nth++;
			lua_pop(L, 3);
		}
		lua_pushinteger(L, nth);
		lua_setfield(L, -4, "nth");
		lua_pop(L, 3);
	}
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 1; i <= n; i++) {
			lua_rawgeti(L, records, i);
			struct conf_block b = {.rec = lua_gettop(L)};
			lua_getfield(L, b.rec, "kind");
			lua_getfield(L, b.rec, "line");
			lua_getfield(L, b.rec, "nth");
			b.kind = lua_tostring(L, -3);
			b.line = (int)lua_tointeger(L, -2);
			b.nth = (int)lua_tointeger(L, -1);
			bool domain = strstr(b.kind, "_domain") != NULL;
			if (domain == (pass == 1))
				conf_one(L, w, &b, &seen);
			lua_settop(L, records);
		}
	}
	conf_sort_errors(w->errs, from, w->conf->path);
}
