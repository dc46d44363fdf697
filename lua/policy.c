/*
 * policy.c - the policy script's LuaJIT state: created once per process,
 * sandboxed (allow-listed globals, no io/os/load/require/debug/ffi/jit,
 * string.dump removed, metatables of strings and of the globals locked),
 * JIT off so that the count hook of budget.c runs, and every hook called
 * under lua_pcall with an error handler.  A call that runs out of time or
 * memory leaves the state suspect: it is thrown away and the script loaded
 * again, so that the next message starts clean.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <luajit.h>

#include "policy_int.h"

/* Base functions a script may use; everything else of the base library is left out
 * (load*, dofile, require, module, getfenv/setfenv, rawset, collectgarbage, gcinfo, newproxy). */
static const char *const policy_allowed[] = {"assert", "error",  "ipairs", "next",     "pairs",   "pcall",
					     "select", "tonumber", "tostring", "type", "unpack", "xpcall",
					     "rawget", "rawequal", "getmetatable", "setmetatable", "_VERSION",
					     "string", "table", "math", "bit", NULL};

/* policy_log - a log line through the options' callback */
void policy_log(const struct policy *p, enum dkmod_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	if (!p->opt.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	p->opt.log(p->opt.log_arg, level, line);
}

/* policy_rewrite - copy msg into buf with the chunk name replaced by the script's path */
void policy_rewrite(const struct policy *p, const char *msg, char *buf, size_t size)
{
	size_t n = 0, tag = strlen(POLICY_CHUNKNAME ":");
	buf[0] = '\0';
	while (*msg && n + 1 < size) {
		if (strncmp(msg, POLICY_CHUNKNAME ":", tag) == 0) {
			n += (size_t)snprintf(buf + n, size - n, "%s:", p->path);
			msg += tag;
		} else {
			buf[n++] = *msg == '\n' || *msg == '\r' ? ' ' : *msg;
			buf[n] = '\0';
			msg++;
		}
	}
	if (n >= size)
		buf[size - 1] = '\0';
}

/* policy_print - print(...) in a script: a log line, never standard output */
static int policy_print(lua_State *L)
{
	struct policy *p = lua_touserdata(L, lua_upvalueindex(1));
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	int n = lua_gettop(L);
	for (int i = 1; i <= n; i++) {
		lua_getglobal(L, "tostring");
		lua_pushvalue(L, i);
		lua_call(L, 1, 1);
		if (!lua_isstring(L, -1))
			return luaL_error(L, "'tostring' must return a string to 'print'");
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	char line[900];
	snprintf(line, sizeof line, "%s", lua_tostring(L, -1));
	for (char *c = line; *c; c++)
		if ((unsigned char)*c < 32 || *c == 127)
			*c = '?';
	policy_log(p, DKMOD_LOG_INFO, "policy: %s", line);
	return 0;
}

/* policy_locked - assigning a global after the script was loaded */
static int policy_locked(lua_State *L)
{
	const char *name = lua_tostring(L, 2);
	return luaL_error(L, "assignment to global '%s': globals are read-only once the script is loaded (use a local)",
			  name ? name : "?");
}

/* policy_open - open one library through its luaopen function */
static void policy_open(lua_State *L, lua_CFunction open, const char *name)
{
	lua_pushcfunction(L, open);
	lua_pushstring(L, name);
	lua_call(L, 1, 0);
}

/* policy_setup - (protected) the sandbox: libraries, allowed globals, print, msg metatable;
 * leaves the sandbox table at index 2 */
static int policy_setup(lua_State *L)
{
	struct policy *p = lua_touserdata(L, 1);
	policy_open(L, luaopen_base, "");
	policy_open(L, luaopen_table, LUA_TABLIBNAME);
	policy_open(L, luaopen_string, LUA_STRLIBNAME);
	policy_open(L, luaopen_math, LUA_MATHLIBNAME);
	policy_open(L, luaopen_bit, LUA_BITLIBNAME);
	lua_getglobal(L, "string");
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_pop(L, 1);
	/* strings share one metatable: keep scripts from reaching or changing it */
	lua_pushliteral(L, "");
	if (lua_getmetatable(L, -1)) {
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	lua_newtable(L);
	for (size_t i = 0; policy_allowed[i]; i++) {
		lua_getglobal(L, policy_allowed[i]);
		lua_setfield(L, -2, policy_allowed[i]);
	}
	lua_pushlightuserdata(L, p);
	lua_pushcclosure(L, policy_print, 1);
	lua_setfield(L, -2, "print");
	lua_pushvalue(L, -1);
	lua_setfield(L, -2, "_G");
	policy_msg_setup(L);
	return 1;
}

/* policy_lock - (protected) move the sandbox's globals behind a read-only proxy (table at idx) */
static void policy_lock(lua_State *L, int idx)
{
	lua_newtable(L);
	int store = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, store);
	}
	for (;;) {
		lua_pushnil(L);
		if (lua_next(L, idx) == 0)
			break;
		lua_pop(L, 1);
		lua_pushnil(L);
		lua_rawset(L, idx);
	}
	lua_pushvalue(L, idx);
	lua_setfield(L, store, "_G");
	lua_newtable(L);
	lua_pushvalue(L, store);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, policy_locked);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, idx);
	lua_pop(L, 1);
}

/* policy_traceback - the error handler: the message and a traceback */
static int policy_traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	if (!msg)
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	luaL_traceback(L, L, msg, 1);
	return 1;
}

struct policy_load {
	struct policy *p;
	const char *text;
	size_t len;
	char err[512];
};

/* policy_load_protected - (protected) set up the sandbox, run the script, keep its hooks */
static int policy_load_protected(lua_State *L)
{
	struct policy_load *ld = lua_touserdata(L, 1);
	struct policy *p = ld->p;
	lua_settop(L, 1);
	lua_pushcfunction(L, policy_setup);
	lua_pushlightuserdata(L, p);
	lua_call(L, 1, 1); /* 2: the sandbox */
	lua_pushcfunction(L, policy_traceback); /* 3 */
	if (luaL_loadbuffer(L, ld->text, ld->len, "=" POLICY_CHUNKNAME) != 0) {
		policy_rewrite(p, lua_tostring(L, -1), ld->err, sizeof ld->err);
		return 0;
	}
	lua_pushvalue(L, 2);
	lua_setfenv(L, -2);
	budget_arm(L, &p->budget, p->opt.time_ms);
	int rc = lua_pcall(L, 0, 0, 3);
	budget_disarm(L, &p->budget);
	char why[128];
	if (budget_why(&p->budget, why, sizeof why)[0]) {
		snprintf(ld->err, sizeof ld->err, "%s: loading the script: %s", p->path, why);
		return 0;
	}
	if (rc != 0) {
		policy_rewrite(p, lua_tostring(L, -1), ld->err, sizeof ld->err);
		char *tb = strstr(ld->err, " stack traceback:");
		if (tb)
			*tb = '\0';
		return 0;
	}
	static const char *const hooks[] = {"sign", "verify"};
	int *refs[] = {&p->sign_ref, &p->verify_ref};
	for (int i = 0; i < 2; i++) {
		lua_getfield(L, 2, hooks[i]);
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
		} else if (!lua_isfunction(L, -1)) {
			snprintf(ld->err, sizeof ld->err, "%s: '%s' is a %s, not a function", p->path, hooks[i],
				 luaL_typename(L, -1));
			return 0;
		} else {
			*refs[i] = luaL_ref(L, LUA_REGISTRYINDEX);
		}
	}
	policy_lock(L, 2);
	return 0;
}

/* policy_read_file - the whole script; NULL if it cannot be read */
static char *policy_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t n = 0, cap = 0, got;
	if (!f)
		return NULL;
	do {
		if (n + 8192 + 1 > cap) {
			char *t = realloc(text, cap = (n + 8192 + 1) * 2);
			if (!t) {
				free(text);
				fclose(f);
				return NULL;
			}
			text = t;
		}
		got = fread(text + n, 1, 8192, f);
		n += got;
	} while (got > 0);
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(text);
		return NULL;
	}
	text[n] = '\0';
	*len = n;
	return text;
}

/* policy_state - a fresh state with the script loaded; false (and err) on failure */
static bool policy_state(struct policy *p, char *err, size_t errlen)
{
	struct policy_load ld = {.p = p};
	ld.text = policy_read_file(p->path, &ld.len);
	if (!ld.text) {
		snprintf(err, errlen, "%s: cannot read the policy script", p->path);
		return false;
	}
	p->sign_ref = p->verify_ref = LUA_NOREF;
	p->L = budget_state_new(&p->budget, p->opt.memory);
	if (!p->L) {
		free((char *)ld.text);
		snprintf(err, errlen, "%s: cannot create a Lua state", p->path);
		return false;
	}
	/* count hooks only run in interpreted code: no JIT for policy code */
	luaJIT_setmode(p->L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
	if (lua_cpcall(p->L, policy_load_protected, &ld) != 0 && !ld.err[0]) {
		char why[128];
		if (!budget_why(&p->budget, why, sizeof why)[0])
			snprintf(why, sizeof why, "%s", lua_tostring(p->L, -1) ? lua_tostring(p->L, -1) : "error");
		snprintf(ld.err, sizeof ld.err, "%s: loading the script: %s", p->path, why);
	}
	free((char *)ld.text);
	lua_settop(p->L, 0);
	if (ld.err[0]) {
		snprintf(err, errlen, "%s", ld.err);
		lua_close(p->L);
		p->L = NULL;
		return false;
	}
	lua_gc(p->L, LUA_GCCOLLECT, 0);
	policy_log(p, DKMOD_LOG_DEBUG, "policy: %s loaded (%s, %zu KB in use, limits %u ms and %zu KB per call)", p->path,
		   p->budget.own_allocator ? "own allocator" : "memory polled by the hook", p->budget.used / 1024,
		   p->opt.time_ms, p->opt.memory / 1024);
	return true;
}

/* policy_new - load the script */
struct policy *policy_new(const struct policy_options *o, char *err, size_t errlen)
{
	struct policy *p = calloc(1, sizeof *p);
	if (!p || !(p->path = strdup(o->path))) {
		free(p);
		snprintf(err, errlen, "%s: out of memory", o->path);
		return NULL;
	}
	p->opt = *o;
	p->opt.path = p->path;
	if (!policy_state(p, err, errlen)) {
		policy_free(p);
		return NULL;
	}
	return p;
}

/* policy_free - NULL is fine */
void policy_free(struct policy *p)
{
	if (!p)
		return;
	if (p->L)
		lua_close(p->L);
	free(p->path);
	free(p);
}

/* policy_has_hook - the script defines sign or verify */
bool policy_has_hook(const struct policy *p, const char *name)
{
	if (!p)
		return false;
	if (strcmp(name, "sign") == 0)
		return p->sign_ref != LUA_NOREF;
	return strcmp(name, "verify") == 0 && p->verify_ref != LUA_NOREF;
}

/* policy_call_protected - (protected) build msg, call the hook, read its results */
static int policy_call_protected(lua_State *L)
{
	struct policy *p = lua_touserdata(L, 1);
	lua_settop(L, 0);
	lua_pushcfunction(L, policy_traceback);
	lua_rawgeti(L, LUA_REGISTRYINDEX, strcmp(p->hook, "sign") == 0 ? p->sign_ref : p->verify_ref);
	policy_msg_push(L, p);
	if (lua_pcall(L, 1, 3, 1) != 0) {
		char *tb;
		policy_rewrite(p, lua_tostring(L, -1), p->out->why, sizeof p->out->why);
		if ((tb = strstr(p->out->why, " stack traceback:")))
			*tb = '\0';
		policy_log(p, DKMOD_LOG_DEBUG, "policy: %s: %s", p->hook, lua_tostring(L, -1));
		return 0;
	}
	if (strcmp(p->hook, "sign") == 0) {
		lua_pop(L, 2);
		policy_read_sign(L, p);
	} else {
		policy_read_verify(L, p);
	}
	return 0;
}

/* policy_call - call one hook under the budget */
static enum policy_status policy_call(struct policy *p, const char *hook, const struct policy_msg *m,
				      struct policy_out *out)
{
	char why[160];
	out->why[0] = '\0';
	if (!p || !p->L) {
		snprintf(out->why, sizeof out->why, "the policy script is not loaded");
		return POLICY_FAILED;
	}
	if (!policy_has_hook(p, hook))
		return POLICY_NOHOOK;
	p->generation++;
	p->msg = m;
	p->out = out;
	p->hook = hook;
	budget_arm(p->L, &p->budget, p->opt.time_ms);
	int rc = lua_cpcall(p->L, policy_call_protected, p);
	budget_disarm(p->L, &p->budget);
	p->generation++;
	p->msg = NULL;
	p->out = NULL;
	if (rc != 0 && !out->why[0])
		policy_rewrite(p, lua_tostring(p->L, -1) ? lua_tostring(p->L, -1) : "error", out->why, sizeof out->why);
	lua_settop(p->L, 0);
	if (budget_why(&p->budget, why, sizeof why)[0]) {
		snprintf(out->why, sizeof out->why, "%s", why);
		char err[512];
		lua_close(p->L);
		p->L = NULL;
		if (!policy_state(p, err, sizeof err))
			policy_log(p, DKMOD_LOG_ERROR, "policy: reloading the script after the %s failed: %s", hook, err);
		else
			policy_log(p, DKMOD_LOG_INFO, "policy: script reloaded after the %s hook was stopped", hook);
		return POLICY_FAILED;
	}
	if (out->why[0])
		return POLICY_FAILED;
	return POLICY_OK;
}

/* policy_sign - call sign(msg) */
enum policy_status policy_sign(struct policy *p, const struct policy_msg *m, struct policy_out *out)
{
	for (size_t i = 0; out->reqs && i < out->nreqs; i++) {
		free(out->reqs[i].owned);
		out->reqs[i].owned = NULL;
	}
	out->nreqs = 0;
	out->no_sign = false;
	if (!out->reqs && !(out->reqs = calloc(POLICY_MAX_REQUESTS, sizeof *out->reqs)))
		return POLICY_ENOMEM;
	enum policy_status st = policy_call(p, "sign", m, out);
	/* a failed call may have read some requests: they are not used */
	for (size_t i = 0; st != POLICY_OK && i <= out->nreqs && i < POLICY_MAX_REQUESTS; i++) {
		free(out->reqs[i].owned);
		out->reqs[i].owned = NULL;
	}
	if (st != POLICY_OK)
		out->nreqs = 0;
	return st;
}

/* policy_verify - call verify(msg) */
enum policy_status policy_verify(struct policy *p, const struct policy_msg *m, struct policy_out *out)
{
	out->has_action = false;
	enum policy_status st = policy_call(p, "verify", m, out);
	if (st != POLICY_OK) {
		out->has_action = false;
		free(out->reply);
		out->reply = NULL;
		out->report_reason[0] = out->report_comment[0] = '\0';
	}
	return st;
}

/* policy_out_free - free what the calls put in out */
void policy_out_free(struct policy_out *out)
{
	for (size_t i = 0; i < out->nfields; i++) {
		free(out->fields[i].name);
		free(out->fields[i].value);
	}
	free(out->reply);
	for (size_t i = 0; out->reqs && i < out->nreqs; i++)
		free(out->reqs[i].owned);
	free(out->reqs);
	memset(out, 0, sizeof *out);
}

/* policy_action_name - "accept", "reject", ... */
const char *policy_action_name(enum policy_action a)
{
	static const char *const names[] = {"accept", "reject", "tempfail", "discard", "quarantine"};
	return (unsigned)a < POLICY_ACTIONS ? names[a] : "tempfail";
}

/* policy_action_parse - the action named by word */
bool policy_action_parse(const char *word, enum policy_action *out)
{
	for (int i = 0; i < POLICY_ACTIONS; i++) {
		if (strcmp(word, policy_action_name((enum policy_action)i)) == 0) {
			*out = (enum policy_action)i;
			return true;
		}
	}
	return false;
}
