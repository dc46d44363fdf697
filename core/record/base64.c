/* base64.c - strict base64 (RFC 4648) decoding and encoding for p=, b= and bh= */
#include "record/base64.h"
#include "util/str.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Table classes beyond the 64 sextet values. */
enum base64_class {
	BASE64_PAD = 64,   /* '=' */
	BASE64_SKIP = 65,  /* SP, HTAB, CR, LF: folding whitespace */
	BASE64_BAD = 255   /* anything else */
};

#define X BASE64_BAD
#define S BASE64_SKIP
#define P BASE64_PAD
/* BASE64_BYTES(F) - F of each byte's class or sextet, bytes 0 to 255 */
#define BASE64_BYTES(F) \
	F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(S), F(S), F(X), F(X), F(S), F(X), F(X), \
	F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), \
	F(S), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(62), F(X), F(X), F(X), F(63), \
	F(52), F(53), F(54), F(55), F(56), F(57), F(58), F(59), F(60), F(61), F(X), F(X), F(X), F(P), F(X), F(X), \
	F(X), F(0), F(1), F(2), F(3), F(4), F(5), F(6), F(7), F(8), F(9), F(10), F(11), F(12), F(13), F(14), \
	F(15), F(16), F(17), F(18), F(19), F(20), F(21), F(22), F(23), F(24), F(25), F(X), F(X), F(X), F(X), F(X), \
	F(X), F(26), F(27), F(28), F(29), F(30), F(31), F(32), F(33), F(34), F(35), F(36), F(37), F(38), F(39), F(40), \
	F(41), F(42), F(43), F(44), F(45), F(46), F(47), F(48), F(49), F(50), F(51), F(X), F(X), F(X), F(X), F(X), \
	F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), \
	F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), \
	F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), \
	F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), \
	F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), \
	F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), \
	F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), \
	F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X)
#define BASE64_CLASS(v) (v)
static const unsigned char base64_table[256] = {BASE64_BYTES(BASE64_CLASS)};
/* The sextet of a byte already in its place in a group of four (the shifts 18, 12, 6, 0), or
 * BASE64_NOT_DATA for '=', FWS and the bad bytes: a group decodes with three ORs and one test. */
#define BASE64_NOT_DATA (1u << 24)
#define BASE64_AT(v, shift) ((v) < 64 ? (uint32_t)(v) << (shift) : BASE64_NOT_DATA)
#define BASE64_AT18(v) BASE64_AT(v, 18)
#define BASE64_AT12(v) BASE64_AT(v, 12)
#define BASE64_AT6(v) BASE64_AT(v, 6)
#define BASE64_AT0(v) BASE64_AT(v, 0)
static const uint32_t base64_at[4][256] = {{BASE64_BYTES(BASE64_AT18)}, {BASE64_BYTES(BASE64_AT12)},
					    {BASE64_BYTES(BASE64_AT6)}, {BASE64_BYTES(BASE64_AT0)}};
#undef X
#undef S
#undef P

/* BASE64_CHAR(v) - the character of sextet v (the alphabet of RFC 4648 4) */
#define BASE64_CHAR(v) \
	((v) < 26 ? 'A' + (v) : (v) < 52 ? 'a' + (v) - 26 : (v) < 62 ? '0' + (v) - 52 : (v) == 62 ? '+' : '/')
/* BASE64_LOW(F, hi) - F(hi, lo) for lo 0 to 63; BASE64_HIGH(G) - G(hi) for hi 0 to 63 */
#define BASE64_LOW(F, hi) \
	F(hi, 0), F(hi, 1), F(hi, 2), F(hi, 3), F(hi, 4), F(hi, 5), F(hi, 6), F(hi, 7), F(hi, 8), F(hi, 9), \
	F(hi, 10), F(hi, 11), F(hi, 12), F(hi, 13), F(hi, 14), F(hi, 15), F(hi, 16), F(hi, 17), F(hi, 18), \
	F(hi, 19), F(hi, 20), F(hi, 21), F(hi, 22), F(hi, 23), F(hi, 24), F(hi, 25), F(hi, 26), F(hi, 27), \
	F(hi, 28), F(hi, 29), F(hi, 30), F(hi, 31), F(hi, 32), F(hi, 33), F(hi, 34), F(hi, 35), F(hi, 36), \
	F(hi, 37), F(hi, 38), F(hi, 39), F(hi, 40), F(hi, 41), F(hi, 42), F(hi, 43), F(hi, 44), F(hi, 45), \
	F(hi, 46), F(hi, 47), F(hi, 48), F(hi, 49), F(hi, 50), F(hi, 51), F(hi, 52), F(hi, 53), F(hi, 54), \
	F(hi, 55), F(hi, 56), F(hi, 57), F(hi, 58), F(hi, 59), F(hi, 60), F(hi, 61), F(hi, 62), F(hi, 63)
#define BASE64_HIGH(G) \
	G(0), G(1), G(2), G(3), G(4), G(5), G(6), G(7), G(8), G(9), G(10), G(11), G(12), G(13), G(14), \
	G(15), G(16), G(17), G(18), G(19), G(20), G(21), G(22), G(23), G(24), G(25), G(26), G(27), G(28), \
	G(29), G(30), G(31), G(32), G(33), G(34), G(35), G(36), G(37), G(38), G(39), G(40), G(41), G(42), \
	G(43), G(44), G(45), G(46), G(47), G(48), G(49), G(50), G(51), G(52), G(53), G(54), G(55), G(56), \
	G(57), G(58), G(59), G(60), G(61), G(62), G(63)
#define BASE64_PAIR(hi, lo) {BASE64_CHAR(hi), BASE64_CHAR(lo)}
#define BASE64_ROW(hi) BASE64_LOW(BASE64_PAIR, hi)
/* The two characters of each 12 bits (an encoded group of three bytes is two of them); the
 * character of one sextet s is base64_pairs[s][1] */
static const char base64_pairs[4096][2] = {BASE64_HIGH(BASE64_ROW)};

/* base64_decoded_max - an upper bound on the decoded size of inlen characters */
size_t base64_decoded_max(size_t inlen)
{
	/* only complete groups of 4 significant characters decode */
	return inlen / 4 * 3;
}

/* The text copy base64_decode_text keeps beside the decoding: where it goes, its room (cap, the
 * NUL's place) and the bytes written, in locals of the decoding loop (never in memory its byte
 * stores could alias). */
struct base64_copy {
	char *text;
	size_t cap, len;
};

/* base64_copy_add - n bytes at p onto the copy, as many as fit */
static inline struct base64_copy base64_copy_add(struct base64_copy c, const char *p, size_t n)
{
	if (c.cap - c.len < n) {
		memcpy(c.text + c.len, p, c.cap - c.len);
		c.len = c.cap;
		return c;
	}
	memcpy(c.text + c.len, p, n);
	c.len += n;
	return c;
}

/* base64_copy_fail - a decoding error: the copy (if any) completed from in[j..inlen) without FWS
 * and its length in *c_out; -1 */
static long base64_copy_fail(bool copying, struct base64_copy c, const char *in, size_t inlen, size_t j,
			     struct base64_copy *c_out)
{
	if (copying)
		c.len += base64_strip_fws(in + j, inlen - j, c.text + c.len, c.cap - c.len + 1);
	*c_out = c;
	return -1;
}

/* base64_decode_run - strict decode skipping FWS, the characters other than FWS copied onto *c_out
 * as they go by when copying (inlined, so that either way is a loop of its own); -1 on bad input
 * or overflow */
static inline __attribute__((always_inline)) long base64_decode_run(const char *in, size_t inlen, unsigned char *out,
								    size_t outcap, bool copying,
								    struct base64_copy *c_out)
{
	uint32_t acc = 0;
	unsigned n = 0;     /* characters (data or '=') in the current group */
	unsigned pad = 0;   /* '=' in the current group */
	int done = 0;       /* a padded group ended the data */
	size_t o = 0;
	struct base64_copy c = *c_out;

	for (size_t i = 0; i < inlen; i++) {
		/* the common case: a whole group of four data characters at a group start, before any
		 * padding, with room for it (else the characters one by one find the error) */
		if (n == 0 && !done) {
			size_t groups = (inlen - i) / 4 < (outcap - o) / 3 ? (inlen - i) / 4 : (outcap - o) / 3;
			for (; groups > 0; groups--) {
				uint32_t g = base64_at[0][(unsigned char)in[i]] | base64_at[1][(unsigned char)in[i + 1]] |
					     base64_at[2][(unsigned char)in[i + 2]] | base64_at[3][(unsigned char)in[i + 3]];
				if (g & BASE64_NOT_DATA)
					break;
				if (copying)
					c = base64_copy_add(c, in + i, 4);
				out[o++] = (unsigned char)(g >> 16);
				out[o++] = (unsigned char)(g >> 8);
				out[o++] = (unsigned char)g;
				i += 4;
			}
		}
		if (i == inlen)
			break;
		unsigned v = base64_table[(unsigned char)in[i]];

		if (v == BASE64_SKIP)
			continue;
		if (copying)
			c = base64_copy_add(c, in + i, 1);
		if (v == BASE64_BAD || done)
			return base64_copy_fail(copying, c, in, inlen, i + 1, c_out);
		if (v == BASE64_PAD) {
			/* "=" may only stand for the 3rd and 4th characters */
			if (n < 2)
				return base64_copy_fail(copying, c, in, inlen, i + 1, c_out);
			pad++;
			if (++n < 4)
				continue;
			if (pad == 2) {
				/* 12 bits carry one byte; the low 4 must be zero */
				if ((acc & 0xf) || outcap - o < 1)
					return base64_copy_fail(copying, c, in, inlen, i + 1, c_out);
				out[o++] = (unsigned char)(acc >> 4);
			} else {
				/* 18 bits carry two bytes; the low 2 must be zero */
				if ((acc & 0x3) || outcap - o < 2)
					return base64_copy_fail(copying, c, in, inlen, i + 1, c_out);
				out[o++] = (unsigned char)(acc >> 10);
				out[o++] = (unsigned char)(acc >> 2);
			}
			done = 1;
			continue;
		}
		if (pad)
			return base64_copy_fail(copying, c, in, inlen, i + 1, c_out);
		acc = acc << 6 | v;
		if (++n == 4) {
			if (outcap - o < 3)
				return base64_copy_fail(copying, c, in, inlen, i + 1, c_out);
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
			n = 0;
		}
	}
	*c_out = c;
	if ((n != 0 && !done) || o > (size_t)LONG_MAX)
		return -1;
	return (long)o;
}

/* base64_decode - strict decode skipping FWS; -1 on bad input or overflow */
long base64_decode(const char *in, size_t inlen, unsigned char *out, size_t outcap)
{
	struct base64_copy none = {NULL, 0, 0};
	return base64_decode_run(in, inlen, out, outcap, false, &none);
}

/* base64_decode_text - base64_decode, and in without FWS into text as base64_strip_fws writes it:
 * one pass */
long base64_decode_text(const char *in, size_t inlen, unsigned char *out, size_t outcap, char *text,
			size_t textcap)
{
	struct base64_copy copy = {text, textcap - 1, 0};
	long n = base64_decode_run(in, inlen, out, outcap, true, &copy);
	text[copy.len] = '\0';
	return n;
}

/* base64_encoded_len - characters base64_encode writes for len bytes (without NUL) */
size_t base64_encoded_len(size_t len)
{
	return len / 3 * 4 + (len % 3 ? 4 : 0);
}

/* base64_encode - encode with padding; writes base64_encoded_len(len) chars plus a NUL: each
 * group of three bytes read as one number, its four characters two table entries */
void base64_encode(const unsigned char *in, size_t len, char *out)
{
	const unsigned char *end = in + len - len % 3;
	for (; in < end; in += 3, out += 4) {
		uint32_t v = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];
		memcpy(out, base64_pairs[v >> 12], 2);
		memcpy(out + 2, base64_pairs[v & 0xfff], 2);
	}
	if (len % 3) {
		uint32_t v = (uint32_t)in[0] << 16 | (len % 3 == 2 ? (uint32_t)in[1] << 8 : 0);
		memcpy(out, base64_pairs[v >> 12], 2);
		out[2] = len % 3 == 2 ? base64_pairs[v >> 6 & 0x3f][1] : '=';
		out[3] = '=';
		out += 4;
	}
	*out = '\0';
}

/* base64_strip_fws - v[0..n) without SP, HTAB, CR and LF, cut to cap - 1 bytes, into
 * out (NUL-terminated); eight bytes at a time while none of them is below 0x21; the length */
size_t base64_strip_fws(const char *v, size_t n, char *out, size_t cap)
{
	size_t k = 0, j = 0;
	cap--;
	while (j < n && k < cap) {
		uint64_t w;
		if (n - j >= 8 && cap - k >= 8 && str_plain8(v + j, &w)) {
			memcpy(out + k, &w, 8);
			k += 8;
			j += 8;
			continue;
		}
		char c = v[j++];
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			out[k++] = c;
	}
	out[k] = '\0';
	return k;
}
