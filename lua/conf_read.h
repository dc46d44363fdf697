/*
 * conf_read.h - reading one recorded block of the configuration: its
 * options checked against a table of names and types, each value with the
 * line it is written on.  Shared by conf_build.c and conf_sign.c.
 */
#ifndef DKMOD_CONF_READ_H
#define DKMOD_CONF_READ_H

#include "conf_int.h"

enum conf_type {
	CONF_T_STRING = 0,
	CONF_T_BOOL,
	CONF_T_INT,      /* a whole number >= 0 */
	CONF_T_NUMBER,   /* any number >= 0 */
	CONF_T_STRINGS,  /* a string or a list of strings */
	CONF_T_MAP       /* a table of string keys to string values, or a list of "key=value" */
};

struct conf_spec {
	const char *name;
	enum conf_type type;
};

struct conf_val {
	bool set;
	int line;
	const char *s;          /* STRING */
	bool b;                 /* BOOL */
	double n;               /* INT, NUMBER */
	const char **list;      /* STRINGS; MAP as "key=value"; NULL-terminated */
	size_t nlist;
};

/* One recorded constructor call being read; the record table is at index rec of the stack. */
struct conf_block {
	const char *kind;
	char title[160];        /* for messages: dk_sign "name", keycache, ... */
	int line;
	int nth;                /* earlier calls of the same kind on the same line */
	int rec;
};

/* conf_error - an error at a line of the file */
void conf_error(struct conf_walk *w, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* conf_read - read the options table of block b into vals (one per spec); list entries go to
 * child(w, b, index) if child_kind is set, else are errors.  false if there is no table. */
bool conf_read(struct lua_State *L, struct conf_walk *w, const struct conf_block *b, const struct conf_spec *specs,
	       size_t nspecs, struct conf_val *vals);
/* conf_children - call fn for each list entry of b's options that is a child_kind record
 * (pushed on the stack during the call); other list entries are errors */
void conf_children(struct lua_State *L, struct conf_walk *w, const struct conf_block *b, const char *child_kind,
		   void (*fn)(struct lua_State *L, struct conf_walk *w, const struct conf_block *parent,
			      struct conf_block *child, void *arg),
		   void *arg);
/* conf_val_path - a path value made relative to the config file, owned by the config */
const char *conf_val_path(struct conf_walk *w, const struct conf_val *v);
/* conf_check_key - report an error if the signer would refuse the private key file at path
 * (dkmod_key_file_check: owner, mode, contents) */
void conf_check_key(struct conf_walk *w, int line, const char *what, const char *path);
/* conf_check_readable - report an error if path cannot be opened for reading */
void conf_check_readable(struct conf_walk *w, int line, const char *what, const char *path);

/* conf_reports_block - dmarc_reports { ... } (conf_reports.c) */
void conf_reports_block(struct lua_State *L, struct conf_walk *w, const struct conf_block *b);
/* conf_sign_block - a dk_sign or dkim_sign instance (record at b->rec) */
void conf_sign_block(struct lua_State *L, struct conf_walk *w, const struct conf_block *b);

#endif
