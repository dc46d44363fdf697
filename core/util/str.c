/*
 * str.c - a growable byte buffer, always NUL-terminated.
 */
#include "util/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* str_grow - room for n more bytes plus the NUL */
int str_grow(struct str *s, size_t n)
{
	if (n >= (size_t)-1 / 2 - s->len)
		return -1;
	if (s->len + n + 1 <= s->cap)
		return 0;
	size_t cap = s->cap ? s->cap : 64;
	while (cap < s->len + n + 1)
		cap *= 2;
	char *p = realloc(s->data, cap);
	if (!p)
		return -1;
	s->data = p;
	s->cap = cap;
	return 0;
}

/* str_appends - add a NUL-terminated string */
int str_appends(struct str *s, const char *p)
{
	return str_append(s, p, strlen(p));
}

/* str_append_uint - add v in decimal */
int str_append_uint(struct str *s, unsigned long long v)
{
	char digits[24];
	size_t i = sizeof digits;
	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return str_append(s, digits + i, sizeof digits - i);
}

/* str_append_quoted - add v as an RFC 5322 quoted string: '"' and '\\' escaped, control bytes
 * left out (so that no value can end or break a header field) */
int str_append_quoted(struct str *s, const char *v)
{
	if (str_appendc(s, '"') < 0)
		return -1;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			continue;
		if ((*p == '"' || *p == '\\') && str_appendc(s, '\\') < 0)
			return -1;
		if (str_appendc(s, (char)*p) < 0)
			return -1;
	}
	return str_appendc(s, '"');
}

/* str_join - concatenate parts into buf, cut to cap - 1 bytes; the whole length */
size_t str_join(char *buf, size_t cap, const char *const *parts, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = parts[i] ? strlen(parts[i]) : 0;
		if (len + 1 < cap) {
			size_t room = cap - 1 - len;
			if (k)
				memcpy(buf + len, parts[i], k < room ? k : room);
		}
		len += k;
	}
	if (cap)
		buf[len < cap ? len : cap - 1] = '\0';
	return len;
}

/* str_copy_n - the n bytes of src into buf, cut as str_join cuts; n */
size_t str_copy_n(char *buf, size_t cap, const char *src, size_t n)
{
	size_t k = n < cap - 1 ? n : cap - 1;
	memcpy(buf, src, k);
	buf[k] = '\0';
	return n;
}

/* str_printf - add formatted text */
int str_printf(struct str *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || str_reserve(s, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(s->data + s->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	s->len += (size_t)n;
	return 0;
}

/* str_free - release the memory */
void str_free(struct str *s)
{
	free(s->data);
	s->data = NULL;
	s->len = s->cap = 0;
}

