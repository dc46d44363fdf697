/*
 * str.h - a growable byte buffer, always NUL-terminated.
 */
#ifndef DKMOD_STR_H
#define DKMOD_STR_H

#include <stdarg.h>
#include <stddef.h>

struct str {
	char *data;  /* NULL until the first append */
	size_t len;
	size_t cap;
};

#define STR_INIT {NULL, 0, 0}

/* str_append - add n bytes; 0, or -1 when out of memory (the buffer is unchanged) */
int str_append(struct str *s, const void *p, size_t n);
/* str_appends - add a NUL-terminated string */
int str_appends(struct str *s, const char *p);
/* str_appendc - add one byte */
int str_appendc(struct str *s, char c);
/* str_printf - add formatted text */
int str_printf(struct str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* str_clear - empty the buffer, keeping its memory */
void str_clear(struct str *s);
/* str_free - release the memory */
void str_free(struct str *s);
/* str_cstr - the contents as a C string ("" if empty) */
const char *str_cstr(const struct str *s);

#endif
