/* base64.c - strict base64 (RFC 4648) decoding and encoding for p=, b= and bh= */
#include "record/base64.h"
#include "util/str.h"

#include <limits.h>
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
static const unsigned char base64_table[256] = {
	X, X, X, X, X, X, X, X, X, S, S, X, X, S, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	S, X, X, X, X, X, X, X, X, X, X, 62, X, X, X, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, P, X, X,
	X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, X,
	X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
};
#undef X
#undef S
#undef P

static const char base64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* base64_decoded_max - an upper bound on the decoded size of inlen characters */
size_t base64_decoded_max(size_t inlen)
{
	/* only complete groups of 4 significant characters decode */
	return inlen / 4 * 3;
}

/* base64_decode - strict decode skipping FWS; -1 on bad input or overflow */
long base64_decode(const char *in, size_t inlen, unsigned char *out, size_t outcap)
{
	uint32_t acc = 0;
	unsigned n = 0;     /* characters (data or '=') in the current group */
	unsigned pad = 0;   /* '=' in the current group */
	int done = 0;       /* a padded group ended the data */
	size_t o = 0;

	for (size_t i = 0; i < inlen; i++) {
		/* the common case: a whole group of four data characters at a group start */
		while (n == 0 && inlen - i >= 4) {
			unsigned a = base64_table[(unsigned char)in[i]], b = base64_table[(unsigned char)in[i + 1]],
				 c = base64_table[(unsigned char)in[i + 2]], d = base64_table[(unsigned char)in[i + 3]];
			if ((a | b | c | d) >= 64)
				break;
			if (done || outcap - o < 3)
				return -1;
			uint32_t g = a << 18 | b << 12 | c << 6 | d;
			out[o++] = (unsigned char)(g >> 16);
			out[o++] = (unsigned char)(g >> 8);
			out[o++] = (unsigned char)g;
			i += 4;
		}
		if (i == inlen)
			break;
		unsigned v = base64_table[(unsigned char)in[i]];

		if (v == BASE64_SKIP)
			continue;
		if (v == BASE64_BAD || done)
			return -1;
		if (v == BASE64_PAD) {
			/* "=" may only stand for the 3rd and 4th characters */
			if (n < 2)
				return -1;
			pad++;
			if (++n < 4)
				continue;
			if (pad == 2) {
				/* 12 bits carry one byte; the low 4 must be zero */
				if (acc & 0xf)
					return -1;
				if (outcap - o < 1)
					return -1;
				out[o++] = (unsigned char)(acc >> 4);
			} else {
				/* 18 bits carry two bytes; the low 2 must be zero */
				if (acc & 0x3)
					return -1;
				if (outcap - o < 2)
					return -1;
				out[o++] = (unsigned char)(acc >> 10);
				out[o++] = (unsigned char)(acc >> 2);
			}
			done = 1;
			continue;
		}
		if (pad)
			return -1;
		acc = acc << 6 | v;
		if (++n == 4) {
			if (outcap - o < 3)
				return -1;
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
			n = 0;
		}
	}
	if (n != 0 && !done)
		return -1;
	if (o > (size_t)LONG_MAX)
		return -1;
	return (long)o;
}

/* base64_encoded_len - characters base64_encode writes for len bytes (without NUL) */
size_t base64_encoded_len(size_t len)
{
	return len / 3 * 4 + (len % 3 ? 4 : 0);
}

/* base64_encode - encode with padding; writes base64_encoded_len(len) chars plus a NUL */
void base64_encode(const unsigned char *in, size_t len, char *out)
{
	size_t i = 0, o = 0;

	for (; len - i >= 3; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = base64_alphabet[v >> 18];
		out[o++] = base64_alphabet[v >> 12 & 0x3f];
		out[o++] = base64_alphabet[v >> 6 & 0x3f];
		out[o++] = base64_alphabet[v & 0x3f];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = base64_alphabet[v >> 18];
		out[o++] = base64_alphabet[v >> 12 & 0x3f];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = base64_alphabet[v >> 18];
		out[o++] = base64_alphabet[v >> 12 & 0x3f];
		out[o++] = base64_alphabet[v >> 6 & 0x3f];
		out[o++] = '=';
	}
	out[o] = '\0';
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
