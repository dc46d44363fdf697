/*
 * conf_int.h - what the files of the configuration loader share (conf.c,
 * conf_build.c, conf_util.c, conf_src.c).  Not for adapters.
 */
#ifndef DKMOD_CONF_INT_H
#define DKMOD_CONF_INT_H

#include "conf.h"

struct lua_State;

/* Storage of a configuration: every block is freed with it. */
struct conf_pool {
	void **items;
	size_t count, cap;
};

/* conf_pool_alloc - zeroed memory owned by c; NULL if out of memory */
void *conf_pool_alloc(struct conf *c, size_t size);
/* conf_pool_strdup - a copy owned by c */
char *conf_pool_strdup(struct conf *c, const char *s);
/* conf_pool_take - hand a malloc'd block to c (freed on failure too); the block or NULL */
void *conf_pool_take(struct conf *c, void *p);

/* One token-level view of the file, to tell on which line an option is. */
struct confsrc;

/* confsrc_new - read and tokenize the file; NULL if it cannot be read */
struct confsrc *confsrc_new(const char *path);
/* confsrc_free - NULL is fine */
void confsrc_free(struct confsrc *s);
/* confsrc_text - the file's bytes (NUL-terminated; len excludes the NUL) */
const char *confsrc_text(const struct confsrc *s, size_t *len);
/* confsrc_option_line - the line of "key =" directly inside the table of the nth (0-based)
 * call of constructor kind on line; fallback if it cannot be found */
int confsrc_option_line(const struct confsrc *s, const char *kind, int line, int nth, const char *key, int fallback);

/* The walk of the recorded constructor calls into a struct conf. */
struct conf_walk {
	struct conf *conf;
	struct conf_errors *errs;
	const struct confsrc *src;
	const char *dir;          /* the config file, for relative paths */
	bool check_keys;
	bool oom;
};

/* conf_build - turn the records (a list at the top of L's stack) into w->conf */
void conf_build(struct lua_State *L, struct conf_walk *w);

#endif
