/*
 * conf.c - evaluate the configuration file with LuaJIT.  The chunk runs in
 * an environment holding only the constructors; each call is recorded with
 * the line it was made on (lua_getinfo on the caller), and conf_build.c
 * turns the records into a struct conf afterwards, so that every mistake is
 * reported, not only the first.  A runaway file is stopped by a time and
 * memory budget.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <lauxlib.h>
#include <lua.h>
#include <luajit.h>

#include "budget.h"
#include "conf_int.h"

#define CONF_CHUNKNAME "dkmod-config"
#define CONF_TIME_MS 2000
#define CONF_MEMORY (64u << 20)

/* How a constructor is called. */
enum conf_style {
	CONF_NAMED = 0,   /* kind "name" { options } */
	CONF_SINGLE       /* kind { options } or kind "value" */
};

static const struct {
	const char *kind;
	enum conf_style style;
} conf_kinds[] = {
	{"dk_sign", CONF_NAMED},     {"dkim_sign", CONF_NAMED},   {"dk_domain", CONF_NAMED},
	{"dkim_domain", CONF_NAMED}, {"dk_validate", CONF_NAMED}, {"dkim_validate", CONF_NAMED},
	{"keycache", CONF_SINGLE},   {"resolver", CONF_SINGLE},   {"policy", CONF_SINGLE},
	{"log", CONF_SINGLE},        {"authserv_id", CONF_SINGLE}, {"milter", CONF_SINGLE},
	{"spf", CONF_SINGLE},        {"dmarc", CONF_SINGLE},      {"dmarc_reports", CONF_SINGLE},
};

/* conf_caller_line - the line of the Lua code that called the running C function */
static int conf_caller_line(lua_State *L)
{
	lua_Debug ar;
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar))
		return ar.currentline;
	return 0;
}

/* conf_ctor_opts - the second call of kind "name" { ... }: keep the options, return the record */
static int conf_ctor_opts(lua_State *L)
{
	lua_settop(L, 1);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	lua_setfield(L, -2, "opts");
	return 1;
}

/* conf_ctor - a constructor: record the call (upvalues: the records list, the kind, the style) */
static int conf_ctor(lua_State *L)
{
	lua_settop(L, 1);
	lua_newtable(L);
	lua_pushvalue(L, lua_upvalueindex(2));
	lua_setfield(L, -2, "kind");
	lua_pushinteger(L, conf_caller_line(L));
	lua_setfield(L, -2, "line");
	lua_pushvalue(L, 1);
	lua_setfield(L, -2, lua_tointeger(L, lua_upvalueindex(3)) == CONF_NAMED ? "name" : "opts");
	lua_pushvalue(L, -1);
	lua_rawseti(L, lua_upvalueindex(1), (int)lua_objlen(L, lua_upvalueindex(1)) + 1);
	if (lua_tointeger(L, lua_upvalueindex(3)) != CONF_NAMED)
		return 0;
	lua_pushcclosure(L, conf_ctor_opts, 1);
	return 1;
}

/* conf_env_index - reading an unknown name is a mistake (a misspelt directive) */
static int conf_env_index(lua_State *L)
{
	const char *name = lua_tostring(L, 2);
	return luaL_error(L, "unknown directive '%s'", name ? name : "?");
}

/* conf_env_newindex - the configuration has no variables of its own */
static int conf_env_newindex(lua_State *L)
{
	const char *name = lua_tostring(L, 2);
	return luaL_error(L, "assignment to '%s': only directives and local variables are allowed", name ? name : "?");
}

struct conf_run {
	const char *text;
	size_t len;
	struct budget *budget;
	char error[1024];
	bool ok;
};

/* conf_eval - (protected) run the file in the constructors' environment; leave the records on top */
static int conf_eval(lua_State *L)
{
	struct conf_run *run = lua_touserdata(L, 1);
	lua_settop(L, 0);
	lua_newtable(L); /* 1: the records */
	lua_newtable(L); /* 2: the environment */
	for (size_t i = 0; i < sizeof conf_kinds / sizeof *conf_kinds; i++) {
		lua_pushvalue(L, 1);
		lua_pushstring(L, conf_kinds[i].kind);
		lua_pushinteger(L, conf_kinds[i].style);
		lua_pushcclosure(L, conf_ctor, 3);
		lua_setfield(L, 2, conf_kinds[i].kind);
	}
	lua_newtable(L);
	lua_pushcfunction(L, conf_env_index);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, conf_env_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, 2);
	if (luaL_loadbuffer(L, run->text, run->len, "=" CONF_CHUNKNAME) != 0) {
		snprintf(run->error, sizeof run->error, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "cannot load");
		return 0;
	}
	lua_pushvalue(L, 2);
	lua_setfenv(L, -2);
	budget_arm(L, run->budget, CONF_TIME_MS);
	int rc = lua_pcall(L, 0, 0, 0);
	budget_disarm(L, run->budget);
	if (rc != 0) {
		char why[128];
		const char *msg = lua_tostring(L, -1);
		if (budget_why(run->budget, why, sizeof why)[0])
			msg = why;
		snprintf(run->error, sizeof run->error, "%s", msg ? msg : "error object is not a string");
		return 0;
	}
	run->ok = true;
	lua_settop(L, 1);
	return 1;
}

/* conf_rewrite - the error text with the chunk name replaced by the file name */
static void conf_rewrite(struct conf_errors *e, const char *path, const char *msg)
{
	size_t n = strlen(CONF_CHUNKNAME);
	if (strncmp(msg, CONF_CHUNKNAME ":", n + 1) == 0)
		conf_errors_add(e, "%s:%s", path, msg + n + 1);
	else
		conf_errors_add(e, "%s: %s", path, msg);
}

/* conf_defaults - a configuration with the defaults */
static struct conf *conf_defaults(const char *path)
{
	struct conf *c = calloc(1, sizeof *c);
	if (!c || !(c->pool = calloc(1, sizeof *c->pool))) {
		free(c);
		return NULL;
	}
	dkmod_options_init(&c->opt);
	c->fallback = "tempfail";
	c->policy_time_ms = 100;
	c->policy_memory = 32u << 20;
	c->log_level = DKMOD_LOG_INFO;
	c->log_facility = LOG_MAIL;
	if (!(c->path = conf_pool_strdup(c, path))) {
		conf_free(c);
		return NULL;
	}
	return c;
}

struct conf_protected {
	struct conf_walk *walk;
	struct conf_run *run;
};

/* conf_build_protected - (protected) evaluate, then build from the records */
static int conf_build_protected(lua_State *L)
{
	struct conf_protected *p = lua_touserdata(L, 1);
	lua_pushcfunction(L, conf_eval);
	lua_pushlightuserdata(L, p->run);
	lua_call(L, 1, 1);
	if (p->run->ok)
		conf_build(L, p->walk);
	return 0;
}

/* conf_load - evaluate and check the file at path */
struct conf *conf_load(const char *path, bool check_keys, struct conf_errors *errs)
{
	size_t before = errs->count;
	struct conf *c = conf_defaults(path);
	struct confsrc *src = c ? confsrc_new(path) : NULL;
	if (!c || !src) {
		conf_errors_add(errs, "%s: %s", path, c ? "cannot read the file" : "out of memory");
		confsrc_free(src);
		conf_free(c);
		return NULL;
	}
	struct budget b;
	struct conf_run run = {.budget = &b};
	run.text = confsrc_text(src, &run.len);
	struct conf_walk w = {.conf = c, .errs = errs, .src = src, .dir = path, .check_keys = check_keys};
	struct conf_protected p = {&w, &run};
	lua_State *L = budget_state_new(&b, CONF_MEMORY);
	if (!L) {
		conf_errors_add(errs, "%s: cannot create a Lua state", path);
	} else {
		luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
		if (lua_cpcall(L, conf_build_protected, &p) != 0) {
			const char *m = lua_tostring(L, -1);
			conf_errors_add(errs, "%s: %s", path, m ? m : "out of memory");
		} else if (!run.ok) {
			conf_rewrite(errs, path, run.error);
		}
		lua_close(L);
	}
	confsrc_free(src);
	if (w.oom)
		conf_errors_add(errs, "%s: out of memory", path);
	if (errs->count != before) {
		conf_free(c);
		return NULL;
	}
	return c;
}
