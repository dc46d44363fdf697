/*
 * signtable_compiled.h - the compiled form of a signing table (format 2): an
 * LMDB map file of hash buckets of packed entries, with the values many
 * entries share stored once.  signtable.c reads and writes tables through it.
 */
#ifndef DKMOD_SIGNTABLE_COMPILED_H
#define DKMOD_SIGNTABLE_COMPILED_H

#include <stddef.h>

#define SIGNTABLE_COMPILED_FORMAT 2 /* the format this dkmod writes and reads */
#define SIGNTABLE_VALUE_MAX 4096     /* the longest value of an entry, text or compiled */

struct signtable_compiled;

/* signtable_compiled_open - open the compiled table at path; NULL and why if it is none, or of another format */
struct signtable_compiled *signtable_compiled_open(const char *path, char *why, size_t why_size);
/* signtable_compiled_get - the value of key into val (size bytes): 1 found, 0 not, -1 damaged or too long */
int signtable_compiled_get(const struct signtable_compiled *c, const char *key, char *val, size_t size);
/* signtable_compiled_find - the value of key in a bucket record (its shared values in the "~values" record)
 * into val (size bytes): 1 found, 0 not, -1 damaged or too long (signtable_compiled_get's work, for tests) */
int signtable_compiled_find(const void *bucket, size_t len, const void *values, size_t values_len, const char *key,
			    char *val, size_t size);
/* What signtable_compiled_each hands each entry to: non-zero stops the walk. */
typedef int signtable_compiled_entry_fn(void *arg, const void *key, size_t klen, const void *val, size_t vlen);
/* signtable_compiled_each - fn for every entry (key, value with %{d} as stored) in bucket order until it
 * returns non-zero; -1 if the file is damaged, else 0 */
int signtable_compiled_each(const struct signtable_compiled *c, signtable_compiled_entry_fn *fn, void *arg);
/* signtable_compiled_close - NULL is fine */
void signtable_compiled_close(struct signtable_compiled *c);
/* signtable_compiled_write - the count items ("key\0value\0" each, keys lower case) as a compiled table at
 * path, written beside it and renamed over it; 0, or -1 and why */
int signtable_compiled_write(const char *path, const char *const *items, size_t count, char *why, size_t why_size);

#endif
