/*
 * policy_result.c - what the hooks return, checked: sign(msg) gives nil or
 * a list of signing requests, verify(msg) an action, perhaps a reply text
 * and perhaps the override reason of the aggregate report.  Anything else
 * is an error, and the caller applies the fallback.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "policy_int.h"

#define POLICY_REPLY_MAX 400

/* What a request's instance name may hold (it becomes part of counter names). */
#define POLICY_INSTANCE_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-."

/* policy_field_string - request field name as a string or NULL if absent; an error if not a string */
static const char *policy_field_string(lua_State *L, int idx, const char *name, int n)
{
	lua_getfield(L, idx, name);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return NULL;
	}
	if (lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "request %d: %s must be a string, not a %s", n, name, luaL_typename(L, -1));
	const char *s = lua_tostring(L, -1);
	lua_pop(L, 1); /* the request table still holds the string */
	return s;
}

/* policy_headers_list - request field name (headers, oversign_headers: a list or a colon string) as a colon
 * list in buf */
static const char *policy_headers_list(lua_State *L, int idx, int n, const char *name, char *buf, size_t size)
{
	lua_getfield(L, idx, name);
	int t = lua_gettop(L);
	size_t used = 0;
	buf[0] = '\0';
	if (lua_isnil(L, t)) {
		lua_pop(L, 1);
		return NULL;
	}
	int count = lua_type(L, t) == LUA_TSTRING ? 1 : lua_type(L, t) == LUA_TTABLE ? (int)lua_objlen(L, t) : -1;
	if (count < 1)
		luaL_error(L, "request %d: %s must be a list of field names", n, name);
	for (int i = 1; i <= count; i++) {
		if (lua_type(L, t) == LUA_TTABLE)
			lua_rawgeti(L, t, i);
		else
			lua_pushvalue(L, t);
		size_t len;
		const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
		for (const char *p = s; p && *p;) {
			size_t k = strcspn(p, ":");
			if (!conf_valid_field_name(p, k) || used + k + 2 > size)
				luaL_error(L, "request %d: %s: '%s' is not a field name", n, name, s);
			used += (size_t)snprintf(buf + used, size - used, "%s%.*s", used ? ":" : "", (int)k, p);
			p += k + (p[k] == ':');
		}
		if (!s || strlen(s) != len)
			luaL_error(L, "request %d: %s must be a list of field names", n, name);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return used ? buf : NULL;
}

/* policy_check_keys - every key of the request table is one the contract names */
static void policy_check_keys(lua_State *L, int idx, int n)
{
	static const char *const known[] = {"type",  "domain",   "selector", "key",    "canon",       "algorithm",
					    "headers", "identity", "expire",  "oversign", "body_length", "instance",
					    "oversign_headers", NULL};
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		lua_pop(L, 1);
		const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
		size_t i = 0;
		while (k && known[i] && strcmp(known[i], k) != 0)
			i++;
		if (!k || !known[i])
			luaL_error(L, "request %d: unknown field '%s'", n, k ? k : luaL_typename(L, -1));
	}
}

/* policy_sign_request - (protected) the request table at idx */
void policy_sign_request(lua_State *L, struct policy *p, int idx, struct conf_request *r)
{
	int n = (int)p->out->nreqs + 1;
	if (lua_type(L, idx) != LUA_TTABLE)
		luaL_error(L, "request %d is a %s, not a table", n, luaL_typename(L, idx));
	policy_check_keys(L, idx, n);
	memset(r, 0, sizeof *r);
	dkmod_sign_request_init(&r->req);
	const char *type = policy_field_string(L, idx, "type", n);
	if (type && strcmp(type, "domainkeys") == 0)
		r->req.method = DKMOD_METHOD_DOMAINKEYS;
	else if (type && strcmp(type, "dkim") != 0)
		luaL_error(L, "request %d: type is dkim or domainkeys, not '%s'", n, type);
	enum dkmod_method m = r->req.method;
	const char *domain = policy_field_string(L, idx, "domain", n);
	if (!domain && m == DKMOD_METHOD_DOMAINKEYS)
		domain = p->msg->sender_domain;
	if (!domain || !dkmod_valid_domain(domain))
		luaL_error(L, "request %d: domain is missing or not a domain name", n);
	const char *sel = policy_field_string(L, idx, "selector", n);
	if (!sel || !dkmod_valid_domain(sel))
		luaL_error(L, "request %d: selector is missing or not a selector", n);
	const char *key = policy_field_string(L, idx, "key", n);
	if (!key || conf_template_check(key))
		luaL_error(L, "request %d: key is missing or a bad template (%%{d}, %%{s}, %%%%)", n);
	char expanded[PATH_MAX];
	char *path = NULL;
	if (!conf_expand(key, domain, sel, expanded, sizeof expanded) ||
	    !(path = p->opt.conf ? conf_resolve_path(p->opt.conf->path, expanded) : strdup(expanded)) ||
	    strlen(path) >= sizeof r->key) {
		free(path);
		luaL_error(L, "request %d: the key path is too long", n);
	}
	strcpy(r->key, path);
	free(path);
	r->req.key_file = r->key;
	const char *canon = policy_field_string(L, idx, "canon", n);
	if (!dkmod_parse_canon(m, canon, &r->req))
		luaL_error(L, "request %d: bad canon '%s'", n, canon);
	const char *alg = policy_field_string(L, idx, "algorithm", n);
	if (m == DKMOD_METHOD_DOMAINKEYS)
		r->req.algorithm = DKMOD_ALG_RSA_SHA1;
	if (alg && !dkmod_parse_algorithm(m, alg, &r->req.algorithm))
		luaL_error(L, "request %d: bad algorithm '%s'", n, alg);
	r->req.algorithm_from_key = !alg && m == DKMOD_METHOD_DKIM; /* Ed25519 or RSA as the key is */
	const char *id = policy_field_string(L, idx, "identity", n);
	if (id && (m == DKMOD_METHOD_DOMAINKEYS || !strrchr(id, '@') || !conf_domain_within(strrchr(id, '@') + 1, domain)))
		luaL_error(L, "request %d: identity '%s' is not an address within %s", n, id, domain);
	lua_getfield(L, idx, "expire");
	if (!lua_isnil(L, -1) && (lua_type(L, -1) != LUA_TNUMBER || lua_tonumber(L, -1) < 0 || lua_tonumber(L, -1) > 315360000))
		luaL_error(L, "request %d: expire is a number of seconds", n);
	r->req.expire = (unsigned long)lua_tonumber(L, -1);
	lua_getfield(L, idx, "oversign");
	if (!lua_isnil(L, -1))
		r->req.oversign = lua_toboolean(L, -1);
	lua_getfield(L, idx, "body_length");
	if (lua_toboolean(L, -1))
		r->req.body_length = 1LL << 62;
	lua_pop(L, 3);
	/* the strings live in the Lua state only during the call: keep copies in the request */
	char hbuf[1024], obuf[1024];
	const char *headers = policy_headers_list(L, idx, n, "headers", hbuf, sizeof hbuf);
	const char *over = policy_headers_list(L, idx, n, "oversign_headers", obuf, sizeof obuf);
	const char *inst = policy_field_string(L, idx, "instance", n);
	if (inst && (!*inst || strlen(inst) > 100 || strspn(inst, POLICY_INSTANCE_CHARS) != strlen(inst)))
		luaL_error(L, "request %d: instance is 1 to 100 letters, digits, '_', '-' or '.'", n);
	size_t need = strlen(domain) + strlen(sel) + 5 + (headers ? strlen(headers) : 0) + (id ? strlen(id) : 0) +
		      (inst ? strlen(inst) : 0) + (over ? strlen(over) : 0);
	char *store = malloc(need + 1);
	if (!store)
		luaL_error(L, "out of memory");
	r->owned = store;
	r->req.domain = strcpy(store, domain);
	store += strlen(domain) + 1;
	r->req.selector = strcpy(store, sel);
	store += strlen(sel) + 1;
	r->req.headers = headers ? strcpy(store, headers) : NULL;
	store += headers ? strlen(headers) + 1 : 1;
	r->req.oversign_headers = over ? strcpy(store, over) : NULL;
	store += over ? strlen(over) + 1 : 1;
	r->req.identity = id ? strcpy(store, id) : NULL;
	store += id ? strlen(id) + 1 : 1;
	r->req.instance = inst ? strcpy(store, inst) : NULL;
	r->instance = inst ? r->req.instance : "sign hook";
}

/* policy_read_sign - (protected) the result of sign at the top of the stack */
void policy_read_sign(lua_State *L, struct policy *p)
{
	int t = lua_gettop(L);
	if (lua_isnil(L, t) || (lua_isboolean(L, t) && !lua_toboolean(L, t))) {
		p->out->no_sign = true;
		return;
	}
	if (lua_type(L, t) != LUA_TTABLE)
		luaL_error(L, "sign returned a %s, not nil or a list of requests", luaL_typename(L, t));
	int n = (int)lua_objlen(L, t);
	if (n > POLICY_MAX_REQUESTS)
		luaL_error(L, "sign returned %d requests; at most %d", n, POLICY_MAX_REQUESTS);
	lua_pushnil(L);
	while (lua_next(L, t) != 0) {
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TNUMBER || lua_tonumber(L, -1) < 1 || lua_tonumber(L, -1) > n)
			luaL_error(L, "sign returned a table that is not a list of requests");
	}
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, t, i);
		policy_sign_request(L, p, lua_gettop(L), &p->out->reqs[p->out->nreqs]);
		p->out->nreqs++;
		lua_pop(L, 1);
	}
}

/* policy_reply_ok - NULL if a reply text fits action a, else why */
static const char *policy_reply_ok(const char *s, size_t len, enum policy_action a)
{
	if (len == 0 || len > POLICY_REPLY_MAX || strlen(s) != len)
		return "the reply must be 1 to 400 characters without NUL";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 32 || (unsigned char)s[i] > 126)
			return "the reply must be printable ASCII (no CR, LF or other control characters)";
	if (len >= 3 && s[0] >= '1' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' &&
	    (len == 3 || s[3] == ' ' || s[3] == '-')) {
		char want = a == POLICY_REJECT ? '5' : a == POLICY_TEMPFAIL ? '4' : '2';
		if (s[0] != want)
			return "the reply's code does not fit the action";
	}
	return NULL;
}

/* policy_report_string - (protected) the string at idx (or NULL for nil) into buf, at most cap - 1
 * printable ASCII bytes */
static void policy_report_string(lua_State *L, int idx, const char *what, char *buf, size_t cap)
{
	size_t len;
	buf[0] = '\0';
	if (lua_isnil(L, idx))
		return;
	const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &len) : NULL;
	if (!s || len >= cap)
		luaL_error(L, "verify's report reason: %s must be a string of at most %d bytes", what, (int)cap - 1);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 32 || (unsigned char)s[i] > 126)
			luaL_error(L, "verify's report reason: %s must be printable ASCII", what);
	memcpy(buf, s, len + 1);
}

/* policy_read_reason - (protected) verify's third value: nil, an override type, or a table
 * { type = TYPE, comment = TEXT } (RFC 9990 policy_evaluated reason) */
static void policy_read_reason(lua_State *L, struct policy *p, int idx)
{
	struct policy_out *o = p->out;
	if (lua_type(L, idx) == LUA_TTABLE) {
		lua_getfield(L, idx, "type");
		policy_report_string(L, -1, "type", o->report_reason, sizeof o->report_reason);
		lua_getfield(L, idx, "comment");
		policy_report_string(L, -1, "comment", o->report_comment, sizeof o->report_comment);
		lua_pop(L, 2);
		if (!o->report_reason[0])
			luaL_error(L, "verify's report reason: a table needs type");
	} else if (!lua_isnil(L, idx) && lua_type(L, idx) != LUA_TSTRING) {
		luaL_error(L, "verify returned a %s as report reason", luaL_typename(L, idx));
	} else {
		policy_report_string(L, idx, "type", o->report_reason, sizeof o->report_reason);
	}
	if (o->report_reason[0] && !dkmod_report_reason_valid(o->report_reason))
		luaL_error(L, "verify's report reason '%s' is not local_policy, mailing_list, other, policy_test_mode or "
			   "trusted_forwarder (RFC 9990)", o->report_reason);
}

/* policy_read_verify - (protected) the results of verify (3 values at the top) */
void policy_read_verify(lua_State *L, struct policy *p)
{
	int t = lua_gettop(L) - 2;
	enum policy_action a;
	if (lua_type(L, t) != LUA_TSTRING)
		luaL_error(L, "verify returned a %s, not an action", luaL_typename(L, t));
	if (!policy_action_parse(lua_tostring(L, t), &a))
		luaL_error(L, "verify returned '%s', not accept, reject, tempfail, discard or quarantine",
			   lua_tostring(L, t));
	if (!lua_isnil(L, t + 1)) {
		size_t len;
		const char *why;
		if (lua_type(L, t + 1) != LUA_TSTRING)
			luaL_error(L, "verify returned a %s as reply text", luaL_typename(L, t + 1));
		const char *s = lua_tolstring(L, t + 1, &len);
		if ((why = policy_reply_ok(s, len, a)))
			luaL_error(L, "verify returned a bad reply: %s", why);
		if (!(p->out->reply = strdup(s)))
			luaL_error(L, "out of memory");
	}
	policy_read_reason(L, p, t + 2);
	p->out->action = a;
	p->out->has_action = true;
}

/* policy_push_key - (protected) a request's key path as a template that names the same file when a hook
 * hands it back: absolute (a configured key is relative to the working directory, a hook's to the
 * configuration's), with % written %% */
static void policy_push_key(lua_State *L, const char *key)
{
	char cwd[PATH_MAX];
	const char *parts[2] = {NULL, key};
	luaL_Buffer b;
	if (key[0] != '/' && getcwd(cwd, sizeof cwd))
		parts[0] = cwd;
	luaL_buffinit(L, &b);
	for (int i = 0; i < 2; i++) {
		for (const char *c = parts[i]; c && *c; c++) {
			if (*c == '%')
				luaL_addchar(&b, '%');
			luaL_addchar(&b, *c);
		}
		if (i == 0 && parts[0])
			luaL_addchar(&b, '/');
	}
	luaL_pushresult(&b);
}

/* policy_push_request - (protected) a request as a table */
void policy_push_request(lua_State *L, const struct conf_request *r)
{
	static const char *const algs[] = {"rsa-sha256", "rsa-sha1", "ed25519-sha256"};
	static const char *const canons[] = {"simple", "relaxed", "nofws"};
	bool dk = r->req.method == DKMOD_METHOD_DOMAINKEYS;
	lua_createtable(L, 0, 12);
	lua_pushstring(L, dk ? "domainkeys" : "dkim");
	lua_setfield(L, -2, "type");
	lua_pushstring(L, r->req.domain);
	lua_setfield(L, -2, "domain");
	lua_pushstring(L, r->req.selector);
	lua_setfield(L, -2, "selector");
	policy_push_key(L, r->key);
	lua_setfield(L, -2, "key");
	if (dk)
		lua_pushstring(L, canons[r->req.body_canon]);
	else
		lua_pushfstring(L, "%s/%s", canons[r->req.header_canon], canons[r->req.body_canon]);
	lua_setfield(L, -2, "canon");
	if (!r->req.algorithm_from_key) { /* a table's or template's request: the key says, as when handed back */
		lua_pushstring(L, algs[r->req.algorithm]);
		lua_setfield(L, -2, "algorithm");
	}
	if (r->req.headers) {
		lua_pushstring(L, r->req.headers);
		lua_setfield(L, -2, "headers");
	}
	if (r->req.identity) {
		lua_pushstring(L, r->req.identity);
		lua_setfield(L, -2, "identity");
	}
	if (!dk) {
		lua_pushnumber(L, (lua_Number)r->req.expire);
		lua_setfield(L, -2, "expire");
		lua_pushboolean(L, r->req.oversign);
		lua_setfield(L, -2, "oversign");
		if (r->req.oversign_headers) {
			lua_pushstring(L, r->req.oversign_headers);
			lua_setfield(L, -2, "oversign_headers");
		}
		lua_pushboolean(L, r->req.body_length >= 0);
		lua_setfield(L, -2, "body_length");
	}
	lua_pushstring(L, r->instance);
	lua_setfield(L, -2, "instance");
}
