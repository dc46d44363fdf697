/*
 * conf_read.c - read the options of one recorded block: names checked
 * against a table of names and types, values copied, each with its line.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lua.h>

#include "conf_read.h"

/* conf_error - an error at a line of the file */
void conf_error(struct conf_walk *w, int line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!conf_errors_add(w->errs, "%s:%d: %s", w->conf->path, line, msg))
		w->oom = true;
}

/* conf_type_name - a type in words */
static const char *conf_type_name(enum conf_type t)
{
	static const char *const names[] = {"a string", "true or false", "a whole number", "a number",
					    "a string or a list of strings", "a table of strings"};
	return names[t];
}

/* conf_read_list - a string or a list of strings into v (STRINGS), or a map (MAP); false if mistyped */
static bool conf_read_list(lua_State *L, struct conf_walk *w, int idx, enum conf_type t, struct conf_val *v)
{
	size_t n = 0;
	if (t == CONF_T_STRINGS && lua_type(L, idx) == LUA_TSTRING) {
		v->list = conf_pool_alloc(w->conf, 2 * sizeof *v->list);
		if (!v->list)
			return w->oom = true;
		if (!(v->list[0] = conf_pool_strdup(w->conf, lua_tostring(L, idx)))) {
			v->list[0] = "";
			w->oom = true;
		}
		v->nlist = 1;
		return true;
	}
	if (lua_type(L, idx) != LUA_TTABLE)
		return false;
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		n++;
		lua_pop(L, 1);
	}
	v->list = conf_pool_alloc(w->conf, (n + 1) * sizeof *v->list);
	if (!v->list)
		return w->oom = true;
	if (t == CONF_T_STRINGS) {
		for (size_t i = 1; i <= n; i++) {
			lua_rawgeti(L, idx, (int)i);
			bool ok = lua_type(L, -1) == LUA_TSTRING;
			if (ok && !(v->list[v->nlist++] = conf_pool_strdup(w->conf, lua_tostring(L, -1)))) {
				v->list[v->nlist - 1] = "";
				w->oom = true;
			}
			lua_pop(L, 1);
			if (!ok)
				return false;
		}
		return true;
	}
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		char *item = NULL;
		bool ok = lua_type(L, -1) == LUA_TSTRING;
		if (ok && lua_type(L, -2) == LUA_TSTRING) {
			if (asprintf(&item, "%s=%s", lua_tostring(L, -2), lua_tostring(L, -1)) < 0)
				item = NULL;
		} else if (ok && lua_type(L, -2) == LUA_TNUMBER) {
			item = strdup(lua_tostring(L, -1));
		} else {
			ok = false;
		}
		lua_pop(L, 1);
		if (!ok) {
			lua_pop(L, 1);
			return false;
		}
		if (!(v->list[v->nlist++] = conf_pool_take(w->conf, item)))
			w->oom = true;
	}
	return true;
}

/* conf_read_value - the value at the top of the stack into v; false if mistyped */
static bool conf_read_value(lua_State *L, struct conf_walk *w, enum conf_type t, struct conf_val *v)
{
	int type = lua_type(L, -1);
	switch (t) {
	case CONF_T_STRING:
		if (type != LUA_TSTRING)
			return false;
		if (!(v->s = conf_pool_strdup(w->conf, lua_tostring(L, -1)))) {
			v->s = ""; /* never NULL: the load fails on w->oom, but checks still run on it */
			w->oom = true;
		}
		return true;
	case CONF_T_BOOL:
		v->b = lua_toboolean(L, -1);
		return type == LUA_TBOOLEAN;
	case CONF_T_INT:
	case CONF_T_NUMBER:
		v->n = lua_tonumber(L, -1);
		return type == LUA_TNUMBER && v->n >= 0 && isfinite(v->n) && (t == CONF_T_NUMBER || v->n == floor(v->n));
	default:
		return conf_read_list(L, w, lua_gettop(L), t, v);
	}
}

/* conf_read - read the options table of block b into vals */
bool conf_read(lua_State *L, struct conf_walk *w, const struct conf_block *b, const struct conf_spec *specs,
	       size_t nspecs, struct conf_val *vals)
{
	memset(vals, 0, nspecs * sizeof *vals);
	lua_getfield(L, b->rec, "opts");
	if (lua_type(L, -1) != LUA_TTABLE) {
		conf_error(w, b->line, "%s needs a table of options: %s { ... }", b->title, b->title);
		lua_pop(L, 1);
		return false;
	}
	int opts = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, opts) != 0) {
		if (lua_type(L, -2) == LUA_TNUMBER) {
			lua_pop(L, 1);
			continue;
		}
		const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		size_t i = 0;
		while (key && i < nspecs && strcmp(specs[i].name, key) != 0)
			i++;
		int line = key ? confsrc_option_line(w->src, b->kind, b->line, b->nth, key, b->line) : b->line;
		if (!key) {
			conf_error(w, line, "%s: option names are strings", b->title);
		} else if (i == nspecs) {
			conf_error(w, line, "%s: unknown option '%s'", b->title, key);
		} else {
			vals[i].line = line;
			vals[i].set = conf_read_value(L, w, specs[i].type, &vals[i]);
			if (!vals[i].set)
				conf_error(w, line, "%s: %s must be %s, not %s", b->title, key, conf_type_name(specs[i].type),
					   lua_typename(L, lua_type(L, -1)));
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return true;
}

/* conf_children - call fn for each child record in b's list part */
void conf_children(lua_State *L, struct conf_walk *w, const struct conf_block *b, const char *child_kind,
		   void (*fn)(lua_State *L, struct conf_walk *w, const struct conf_block *parent, struct conf_block *child,
			      void *arg),
		   void *arg)
{
	lua_getfield(L, b->rec, "opts");
	if (lua_type(L, -1) != LUA_TTABLE) {
		lua_pop(L, 1);
		return;
	}
	int opts = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, opts) != 0) {
		if (lua_type(L, -2) != LUA_TNUMBER) {
			lua_pop(L, 1);
			continue;
		}
		int top = lua_gettop(L);
		const char *kind = NULL;
		if (lua_type(L, -1) == LUA_TTABLE) {
			lua_getfield(L, -1, "kind");
			kind = lua_tostring(L, -1);
			lua_pop(L, 1);
		}
		lua_getfield(L, top, "line");
		int line = lua_type(L, -1) == LUA_TNUMBER ? (int)lua_tointeger(L, -1) : b->line;
		lua_pop(L, 1);
		if (!kind || !child_kind || strcmp(kind, child_kind) != 0) {
			if (child_kind)
				conf_error(w, line, "%s: only %s blocks go in its list, not %s", b->title, child_kind,
					   kind ? kind : lua_typename(L, lua_type(L, -1)));
			else
				conf_error(w, line, "%s: %s is not an option here", b->title,
					   kind ? kind : "a list entry");
		} else {
			lua_pushboolean(L, 1);
			lua_setfield(L, top, "placed");
			struct conf_block c = {.kind = kind, .line = line, .rec = top};
			fn(L, w, b, &c, arg);
		}
		lua_settop(L, top - 1);
	}
	lua_pop(L, 1);
}

/* conf_val_path - a path value made relative to the config file */
const char *conf_val_path(struct conf_walk *w, const struct conf_val *v)
{
	char *p = conf_pool_take(w->conf, conf_resolve_path(w->dir, v->s));
	if (!p)
		w->oom = true;
	return p;
}

/* conf_check_key - report an error if the signer would refuse the private key file at path */
void conf_check_key(struct conf_walk *w, int line, const char *what, const char *path)
{
	const char *why = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) { /* the system's reason says more than the engine's "cannot read" */
		conf_error(w, line, "%s %s: %s", what, path, strerror(errno));
		return;
	}
	close(fd);
	if (dkmod_key_file_check(path, &why) != DKMOD_OK)
		conf_error(w, line, "%s %s: %s", what, path, why);
}

/* conf_check_readable - report an error if path cannot be opened for reading */
void conf_check_readable(struct conf_walk *w, int line, const char *what, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		conf_error(w, line, "%s %s: %s", what, path, strerror(errno));
	else
		close(fd);
}
