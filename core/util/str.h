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

/* str_scan8 - the offset of the first byte of p[i..len) whose high bit stop() sets (stop() marks
 * each byte of a word that ends the scan, exactly at the lowest one), eight bytes a step, the
 * last ones one at a time; len when none does */
static inline __attribute__((always_inline)) size_t str_scan8(const unsigned char *p, size_t len, size_t i,
							      uint64_t (*stop)(uint64_t w))
{
	for (; len - i >= 8; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		uint64_t end = stop(w);
		if (end) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return i + (size_t)__builtin_ctzll(end) / 8;
#else
			break; /* the bytes one at a time find it */
#endif
		}
	}
	while (i < len && !(stop(p[i]) & 0x80))
		i++;
	return i;
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

/* str_case_eq - whether the n bytes at a and at b are the same with 'A'..'Z' taken as 'a'..'z'
 * (every byte compared, a NUL too), eight at a time */
static inline bool str_case_eq(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	for (; n >= 8; a += 8, b += 8, n -= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y && str_lower8(x) != str_lower8(y))
			return false;
	}
	for (; n; a++, b++, n--)
		if (*a != *b && ((*a | 0x20) != (*b | 0x20) || (*a | 0x20) < 'a' || (*a | 0x20) > 'z'))
			return false;
	return true;
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
	/* the last 0-7 bytes in at most three loads (byte i of them at bits 8i when little-endian;
	 * either way the same bytes give the same hash) */
	uint32_t w4 = 0;
	uint16_t w2 = 0;
	size_t k = 0;
	if (n & 4) {
		memcpy(&w4, p, 4);
		k = 4;
	}
	w = w4;
	if (n & 2) {
		memcpy(&w2, p + k, 2);
		w |= (uint64_t)w2 << (8 * k);
		k += 2;
	}
	if (n & 1)
		w |= (uint64_t)(unsigned char)p[k] << (8 * k);
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
/* str_append - add n bytes; 0, or -1 when out of memory (the buffer is unchanged) (inline, as
 * str_appendc: the writers of fields call them for every word) */
static inline int str_append(struct str *s, const void *p, size_t n)
{
	if (str_reserve(s, n) < 0)
		return -1;
	if (n)
		memcpy(s->data + s->len, p, n);
	s->len += n;
	s->data[s->len] = '\0';
	return 0;
}
/* str_appends - add a NUL-terminated string */
int str_appends(struct str *s, const char *p);
/* str_append_quoted - add v as an RFC 5322 quoted string: '"' and '\\' escaped, control bytes
 * left out (so that no value can end or break a header field) */
int str_append_quoted(struct str *s, const char *v);
/* str_appendc - add one byte */
static inline int str_appendc(struct str *s, char c)
{
	if (str_reserve(s, 1) < 0)
		return -1;
	s->data[s->len++] = c;
	s->data[s->len] = '\0';
	return 0;
}
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
