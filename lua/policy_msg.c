/*
 * policy_msg.c - the msg object a hook receives: a read-only userdata whose
 * fields (envelope, client, sender and author, signatures, the
 * Authentication-Results value) sit in its environment table, and whose
 * methods (header, headers, dk_policy, adsp, add_header, count, log,
 * configured_signatures) reach the message of the running call only: a msg
 * kept past its call raises an error when used.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <lauxlib.h>
#include <lua.h>

#include "policy_int.h"

#define POLICY_MSG_META "dkmod.msg"
#define POLICY_VALUE_MAX 8192

struct policy_ud {
	struct policy *p;
	unsigned long generation;
};

/* policy_self - the policy of a live msg at index 1, or a Lua error */
static struct policy *policy_self(lua_State *L)
{
	struct policy_ud *u = luaL_checkudata(L, 1, POLICY_MSG_META);
	if (!u->p->msg || u->generation != u->p->generation)
		luaL_error(L, "this msg belongs to a hook call that has returned");
	return u->p;
}

/* policy_opt_string - push s, or nil for NULL or "" */
static void policy_opt_string(lua_State *L, const char *s)
{
	if (s && *s)
		lua_pushstring(L, s);
	else
		lua_pushnil(L);
}

/* policy_msg_header - msg:header(name [, n]): the nth field of that name (1 first, -1 last), unfolded */
static int policy_msg_header(lua_State *L)
{
	struct policy *p = policy_self(L);
	const char *name = luaL_checkstring(L, 2);
	lua_Integer n = luaL_optinteger(L, 3, 1), count = 0;
	const struct policy_msg *m = p->msg;
	for (size_t i = 0; i < m->nheaders; i++)
		count += strcasecmp(m->headers[i].name, name) == 0;
	if (n < 0)
		n = count + 1 + n;
	for (size_t i = 0; n > 0 && i < m->nheaders; i++) {
		if (strcasecmp(m->headers[i].name, name) == 0 && --n == 0) {
			lua_pushstring(L, m->headers[i].value);
			return 1;
		}
	}
	lua_pushnil(L);
	return 1;
}

/* policy_msg_headers - msg:headers([name]): every value of that name, or every {name=, value=} */
static int policy_msg_headers(lua_State *L)
{
	struct policy *p = policy_self(L);
	const char *name = luaL_optstring(L, 2, NULL);
	const struct policy_msg *m = p->msg;
	int k = 0;
	lua_newtable(L);
	for (size_t i = 0; i < m->nheaders; i++) {
		if (name && strcasecmp(m->headers[i].name, name) != 0)
			continue;
		if (name) {
			lua_pushstring(L, m->headers[i].value);
		} else {
			lua_createtable(L, 0, 2);
			lua_pushstring(L, m->headers[i].name);
			lua_setfield(L, -2, "name");
			lua_pushstring(L, m->headers[i].value);
			lua_setfield(L, -2, "value");
		}
		lua_rawseti(L, -2, ++k);
	}
	return 1;
}

/* policy_msg_dk_policy - msg:dk_policy([domain]): the DomainKeys policy of the sender's domain */
static int policy_msg_dk_policy(lua_State *L)
{
	struct policy *p = policy_self(L);
	const struct policy_msg *m = p->msg;
	const char *d = luaL_optstring(L, 2, m->sender_domain);
	const struct dkmod_dk_policy *dp = m->session ? dkmod_session_dk_policy(m->session) : NULL;
	if (!dp || !d || !dp->domain[0] || strcasecmp(d, dp->domain) != 0) {
		lua_pushnil(L);
		return 1;
	}
	lua_createtable(L, 0, 9);
	lua_pushstring(L, dp->domain);
	lua_setfield(L, -2, "domain");
	lua_pushboolean(L, dp->found);
	lua_setfield(L, -2, "found");
	lua_pushstring(L, dp->signs_all ? "-" : "~");
	lua_setfield(L, -2, "o");
	lua_pushboolean(L, dp->testing);
	lua_setfield(L, -2, "t");
	policy_opt_string(L, dp->report_to);
	lua_setfield(L, -2, "r");
	policy_opt_string(L, dp->notes);
	lua_setfield(L, -2, "n");
	lua_pushstring(L, dp->verdict);
	lua_setfield(L, -2, "verdict");
	policy_opt_string(L, dp->reason);
	lua_setfield(L, -2, "reason");
	policy_opt_string(L, dkmod_dnssec_name(dp->dnssec));
	lua_setfield(L, -2, "dnssec");
	return 1;
}

/* policy_msg_adsp - msg:adsp([domain]): ADSP of the author's domain */
static int policy_msg_adsp(lua_State *L)
{
	struct policy *p = policy_self(L);
	const struct policy_msg *m = p->msg;
	const char *d = luaL_optstring(L, 2, m->author_domain);
	const struct dkmod_adsp *a = m->session ? dkmod_session_adsp(m->session) : NULL;
	if (!a || !d || !a->domain[0] || strcasecmp(d, a->domain) != 0) {
		lua_pushnil(L);
		return 1;
	}
	lua_createtable(L, 0, 5);
	lua_pushstring(L, a->domain);
	lua_setfield(L, -2, "domain");
	policy_opt_string(L, a->author);
	lua_setfield(L, -2, "author");
	lua_pushstring(L, a->result);
	lua_setfield(L, -2, "result");
	policy_opt_string(L, a->practice);
	lua_setfield(L, -2, "practice");
	policy_opt_string(L, dkmod_dnssec_name(a->dnssec));
	lua_setfield(L, -2, "dnssec");
	return 1;
}

/* policy_msg_add_header - msg:add_header(name, value): true, or nil and why (and a log line) */
static int policy_msg_add_header(lua_State *L)
{
	struct policy *p = policy_self(L);
	size_t nlen, vlen;
	const char *name = luaL_checklstring(L, 2, &nlen);
	const char *value = luaL_checklstring(L, 3, &vlen);
	const char *why = NULL;
	if (!conf_valid_field_name(name, nlen) || strlen(name) != nlen)
		why = "the name must be 1 to 64 printable ASCII characters without ':' or spaces";
	else if (strlen(value) != vlen || strpbrk(value, "\r\n"))
		why = "the value must not contain CR, LF or NUL";
	else if (vlen > POLICY_VALUE_MAX)
		why = "the value is longer than 8192 bytes";
	else if (p->out->nfields == POLICY_MAX_FIELDS)
		why = "a message may get at most 32 fields from a script";
	if (why) {
		char shown[65];
		size_t i = 0;
		for (; i < nlen && i < 64; i++)
			shown[i] = (unsigned char)name[i] < 32 || (unsigned char)name[i] > 126 ? '?' : name[i];
		shown[i] = '\0';
		policy_log(p, DKMOD_LOG_WARNING, "policy: %s: add_header('%s') refused: %s", p->hook, shown, why);
		lua_pushnil(L);
		lua_pushstring(L, why);
		return 2;
	}
	struct policy_field *f = &p->out->fields[p->out->nfields];
	f->name = strdup(name);
	f->value = strdup(value);
	if (!f->name || !f->value) {
		free(f->name);
		free(f->value);
		f->name = f->value = NULL;
		return luaL_error(L, "out of memory");
	}
	p->out->nfields++;
	lua_pushboolean(L, 1);
	return 1;
}

/* policy_msg_count - msg:count(name [, n]): add n (default 1) to a counter */
static int policy_msg_count(lua_State *L)
{
	struct policy *p = policy_self(L);
	size_t len;
	const char *name = luaL_checklstring(L, 2, &len);
	lua_Integer n = luaL_optinteger(L, 3, 1);
	if (len == 0 || len > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") != len)
		return luaL_error(L, "counter names are 1 to 64 letters, digits, '_', '.', ':' or '-'");
	if (p->opt.count)
		p->opt.count(p->opt.count_arg, name, (long)n);
	return 0;
}

/* policy_msg_log - msg:log(text [, level]): a log line ("error", "warning", "info" (default), "debug") */
static int policy_msg_log(lua_State *L)
{
	static const char *const levels[] = {"error", "warning", "info", "debug", NULL};
	struct policy *p = policy_self(L);
	char line[900];
	const char *text = luaL_checkstring(L, 2);
	int level = luaL_checkoption(L, 3, "info", levels);
	size_t i = 0;
	for (; text[i] && i + 1 < sizeof line; i++)
		line[i] = (unsigned char)text[i] < 32 || text[i] == 127 ? '?' : text[i];
	line[i] = '\0';
	policy_log(p, (enum dkmod_log_level)level, "policy: %s", line);
	return 0;
}

/* policy_msg_explain - a conf_requests explanation: warnings go to the log */
static void policy_msg_explain(void *arg, enum dkmod_log_level level, const char *line)
{
	policy_log(arg, level, "policy: configured_signatures: %s", line);
}

/* policy_msg_configured - msg:configured_signatures([domain]): what the configuration would sign with
 * (for the author's domain with DKIM, the responsible sender's with DomainKeys, or domain for both) */
static int policy_msg_configured(lua_State *L)
{
	struct policy *p = policy_self(L);
	const char *d = luaL_optstring(L, 2, NULL);
	struct conf_who who = {.dkim_address = d ? NULL : p->msg->author, .dkim_domain = d ? d : p->msg->author_domain,
			       .dk_address = d ? NULL : p->msg->sender, .dk_domain = d ? d : p->msg->sender_domain,
			       .any_condition = true};
	lua_newtable(L);
	if (!p->opt.conf)
		return 1;
	struct conf_request *r = malloc(POLICY_MAX_REQUESTS * sizeof *r);
	if (!r)
		return luaL_error(L, "out of memory");
	size_t n = conf_requests(p->opt.conf, &who, r, POLICY_MAX_REQUESTS, policy_msg_explain, p, DKMOD_LOG_WARNING);
	for (size_t i = 0; i < n; i++) {
		policy_push_request(L, &r[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	free(r);
	return 1;
}

/* policy_msg_index - msg.field and msg:method */
static int policy_msg_index(lua_State *L)
{
	policy_self(L);
	lua_pushvalue(L, 2);
	lua_rawget(L, lua_upvalueindex(1));
	if (!lua_isnil(L, -1))
		return 1;
	lua_getfenv(L, 1);
	lua_pushvalue(L, 2);
	lua_rawget(L, -2);
	return 1;
}

/* policy_msg_newindex - msg is read-only */
static int policy_msg_newindex(lua_State *L)
{
	return luaL_error(L, "msg is read-only");
}

/* policy_msg_setup - (protected) the metatable of msg objects */
void policy_msg_setup(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{"header", policy_msg_header},   {"headers", policy_msg_headers}, {"dk_policy", policy_msg_dk_policy},
		{"adsp", policy_msg_adsp},       {"add_header", policy_msg_add_header},
		{"count", policy_msg_count},     {"log", policy_msg_log},
		{"configured_signatures", policy_msg_configured}, {NULL, NULL}};
	luaL_newmetatable(L, POLICY_MSG_META);
	lua_newtable(L);
	luaL_register(L, NULL, methods);
	lua_pushcclosure(L, policy_msg_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, policy_msg_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushliteral(L, "msg");
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 1);
}

/* policy_push_signature - one verdict as a table */
static void policy_push_signature(lua_State *L, const struct dkmod_sig_result *r)
{
	lua_createtable(L, 0, 16);
	lua_pushstring(L, r->method == DKMOD_METHOD_DKIM ? "dkim" : "domainkeys");
	lua_setfield(L, -2, "method");
	lua_pushstring(L, dkmod_result_name(r->result));
	lua_setfield(L, -2, "result");
	lua_pushstring(L, r->reason);
	lua_setfield(L, -2, "reason");
	const char *strings[][2] = {{"d", r->domain},       {"s", r->selector}, {"i", r->identity},
				    {"algorithm", r->algorithm}, {"b", r->b},    {"dk_status", r->dk_status},
				    {"sender", r->sender},   {"dnssec", dkmod_dnssec_name(r->dnssec)}};
	for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
		policy_opt_string(L, strings[i][1]);
		lua_setfield(L, -2, strings[i][0]);
	}
	lua_pushinteger(L, r->key_bits);
	lua_setfield(L, -2, "key_bits");
	lua_pushboolean(L, r->testing);
	lua_setfield(L, -2, "testing");
	if (r->body_length >= 0)
		lua_pushnumber(L, (lua_Number)r->body_length);
	else
		lua_pushnil(L);
	lua_setfield(L, -2, "body_length");
	lua_pushboolean(L, r->partial_body);
	lua_setfield(L, -2, "partial_body");
	if (r->partial_body)
		lua_pushnumber(L, (lua_Number)r->body_bytes);
	else
		lua_pushnil(L);
	lua_setfield(L, -2, "body_bytes");
}

/* policy_msg_header_facts - what the engine found of the header as a whole (verify hook):
 * header_truncated (past the header limits: not fully inspected), duplicate_fields (the
 * single-instance fields that occur more than once) and duplicate_author (From or Sender) */
static void policy_msg_header_facts(lua_State *L, const struct dkmod_session *s)
{
	const char *names[16];
	size_t n = s ? dkmod_session_duplicates(s, names, 16) : 0;
	bool author = false;
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n && i < 16; i++) {
		author = author || !strcmp(names[i], "From") || !strcmp(names[i], "Sender");
		lua_pushstring(L, names[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	lua_setfield(L, -2, "duplicate_fields");
	lua_pushboolean(L, author);
	lua_setfield(L, -2, "duplicate_author");
	lua_pushboolean(L, s && !dkmod_session_intact(s));
	lua_setfield(L, -2, "header_truncated");
}

/* policy_msg_fields - the data fields of a msg, in the table at the top */
static void policy_msg_fields(lua_State *L, const struct policy *p)
{
	const struct policy_msg *m = p->msg;
	const char *strings[][2] = {{"mail_from", m->mail_from}, {"client_ip", m->client_ip}, {"helo", m->helo},
				    {"auth_user", m->auth_user}, {"sender", m->sender},
				    {"sender_domain", m->sender_domain}, {"author", m->author},
				    {"author_domain", m->author_domain}, {"authentication_results", m->ar_value}};
	for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
		if (strings[i][1] && (*strings[i][1] || i == 0))
			lua_pushstring(L, strings[i][1]);
		else
			lua_pushnil(L);
		lua_setfield(L, -2, strings[i][0]);
	}
	lua_pushstring(L, p->hook);
	lua_setfield(L, -2, "phase");
	lua_pushboolean(L, m->can_relay);
	lua_setfield(L, -2, "can_relay");
	lua_pushinteger(L, (lua_Integer)m->signing);
	lua_setfield(L, -2, "signing");
	lua_createtable(L, (int)m->nrcpts, 0);
	for (size_t i = 0; i < m->nrcpts; i++) {
		lua_pushstring(L, m->rcpts[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	lua_setfield(L, -2, "recipients");
	lua_newtable(L);
	size_t n = m->session ? dkmod_session_result_count(m->session) : 0;
	for (size_t i = 0, k = 0; i < n; i++) {
		const struct dkmod_sig_result *r = dkmod_session_result(m->session, i);
		if (r->result == DKMOD_RESULT_NONE)
			continue;
		policy_push_signature(L, r);
		lua_rawseti(L, -2, (int)++k);
	}
	lua_setfield(L, -2, "signatures");
	policy_msg_header_facts(L, m->session);
	policy_msg_auth(L, m->session);
}

/* policy_msg_push - (protected) a new msg object for the running call */
void policy_msg_push(lua_State *L, struct policy *p)
{
	struct policy_ud *u = lua_newuserdata(L, sizeof *u);
	u->p = p;
	u->generation = p->generation;
	luaL_getmetatable(L, POLICY_MSG_META);
	lua_setmetatable(L, -2);
	lua_newtable(L);
	policy_msg_fields(L, p);
	lua_setfenv(L, -2);
}
