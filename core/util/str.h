/*
 * str.h - a growable byte buffer, always NUL-terminated.
 */
#ifndef DKMOD_STR_H
#define DKMOD_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct str {
	char *data;  /* NULL until the first append */
	size_t len;
	size_t cap;
};

#define STR_INIT {NULL, 0, 0}

/* str_plain8 - the eight bytes at p into *w; true when none is a space or a control byte (all
 * above 0x20): text with no WSP, CR or LF to look at, eight bytes at a time */
static inline bool str_plain8(const char *p, uint64_t *w)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	memcpy(w, p, 8);
	return !((*w - ones * 0x21) & ~*w & highs);
}

/* str_hash - FNV-1a of n bytes at p, for the hash tables of the core */
static inline uint32_t str_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

/* str_lower8 - the eight bytes of w with 'A'..'Z' lower-cased, the others as they are: a byte of
 * 'A'..'Z' reaches 0x80 with 0x3f added but not with 0x25 (the bytes taken under 0x80 first, so that
 * no sum carries into the next byte), and gets 0x20 */
static inline uint64_t str_lower8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	uint64_t h = w & ~highs;
	return w | (((h + ones * 0x3f) ^ (h + ones * 0x25)) & ~w & highs) >> 2;
}

/* str_lower_copy - the n bytes at src into dst with 'A'..'Z' lower-cased, eight at a time while
 * avail (>= n) bytes are readable at src and writable at dst: what is written past n stays in that
 * room */
static inline void str_lower_copy(char *dst, const char *src, size_t n, size_t avail)
{
	size_t i = 0;
	for (uint64_t w; i < n && avail - i >= 8; i += 8) {
		memcpy(&w, src + i, 8);
		w = str_lower8(w);
		memcpy(dst + i, &w, 8);
	}
	for (; i < n; i++)
		dst[i] = src[i] >= 'A' && src[i] <= 'Z' ? (char)(src[i] + ('a' - 'A')) : src[i];
}

/* str_hash_lower - a hash of n bytes at p with ASCII letters lower-cased, from seed (names that
 * compare without case: header field names, DNS names), eight bytes at a time */
static inline uint32_t str_hash_lower(uint32_t seed, const char *p, size_t n)
{
	uint64_t h = (0x9e3779b97f4a7c15ULL ^ seed) + n, w;
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ str_lower8(w)) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	w = 0;
	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)(unsigned char)p[i] << (8 * i);
	h = (h ^ str_lower8(w)) * 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(h ^ h >> 32);
}

/* str_plain_prefix8 - the eight bytes at p into *w; how many of them, from the first, are above
 * 0x20 (8 when all are): the first space or control byte found in one step.  (A borrow may mark
 * bytes after the first low one too, never one before it.) */
static inline size_t str_plain_prefix8(const char *p, uint64_t *w)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	memcpy(w, p, 8);
	uint64_t low = (*w - ones * 0x21) & ~*w & highs;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return low ? (size_t)__builtin_ctzll(low) / 8 : 8;
#else
	size_t n = 0;
	while (n < 8 && (unsigned char)p[n] > 0x20)
		n++;
	return low ? n : 8;
#endif
}

/* str_grow - str_reserve when the room is not there: a bigger buffer; 0 or -1 */
int str_grow(struct str *s, size_t n);
/* str_reserve - room for n more bytes (and the NUL) without another allocation; 0 or -1 (inline:
 * the room is nearly always there) */
static inline int str_reserve(struct str *s, size_t n)
{
	return s->cap > s->len && n < s->cap - s->len ? 0 : str_grow(s, n);
}
/* str_append - add n bytes; 0, or -1 when out of memory (the buffer is unchanged) */
int str_append(struct str *s, const void *p, size_t n);
/* str_appends - add a NUL-terminated string */
int str_appends(struct str *s, const char *p);
/* str_append_quoted - add v as an RFC 5322 quoted string: '"' and '\\' escaped, control bytes
 * left out (so that no value can end or break a header field) */
int str_append_quoted(struct str *s, const char *v);
/* str_appendc - add one byte */
int str_appendc(struct str *s, char c);
/* str_append_uint - add v in decimal */
int str_append_uint(struct str *s, unsigned long long v);
/* str_join - the n strings of parts (NULL counts as "") concatenated into buf, cut (as snprintf cuts) to
 * cap - 1 bytes and NUL-terminated when cap > 0; the length of the whole */
size_t str_join(char *buf, size_t cap, const char *const *parts, size_t n);
/* str_copy - src into buf as str_join of one part; the length of src */
static inline size_t str_copy(char *buf, size_t cap, const char *src)
{
	return str_join(buf, cap, &src, 1);
}
/* str_copy_n - the n bytes of src (no NUL among them) into buf (cap > 0), cut as str_join cuts; n */
size_t str_copy_n(char *buf, size_t cap, const char *src, size_t n);
/* str_printf - add formatted text */
int str_printf(struct str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* str_clear - empty the buffer, keeping its memory */
static inline void str_clear(struct str *s)
{
	s->len = 0;
	if (s->data)
		s->data[0] = '\0';
}
/* str_free - release the memory */
void str_free(struct str *s);
/* str_cstr - the contents as a C string ("" if empty) */
static inline const char *str_cstr(const struct str *s)
{
	return s->data ? s->data : "";
}

#endif
