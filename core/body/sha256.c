/*
 * sha256.c - SHA-256 (FIPS 180-4) with the x86 SHA extensions: the block
 * routine for one stream and the same routine interleaving two streams, and
 * the buffering and padding around them.  Elsewhere nothing is available and
 * callers hash through core/key/crypto_hash.c.
 *
 * The state is kept in the register layout the round instruction wants
 * (ABEF and CDGH) only inside the block routines; struct sha256 holds A..H.
 */
#include "body/sha256.h"

#include <string.h>

#include "body/canon_clean.h"
#include "body/cpu.h"

static bool sha256_disabled; /* tests: behave as if the extensions were missing */

/* sha256_set_disabled - for tests: pretend the extensions are missing; the previous setting */
bool sha256_set_disabled(bool disabled)
{
	bool was = sha256_disabled;
	sha256_disabled = disabled;
	return was;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define SHA256_TARGET __attribute__((target("sha,sse4.1,ssse3")))

static const uint32_t sha256_k[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

/* sha256_available - the processor has the SHA extensions and tests have not turned them off */
bool sha256_available(void)
{
	return !sha256_disabled && cpu_has(CPU_SHA);
}

/* sha256_load - A..H into the ABEF and CDGH registers */
SHA256_TARGET static inline void sha256_load(const uint32_t *h, __m128i *abef, __m128i *cdgh)
{
	__m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h), 0xB1);     /* B A D C */
	__m128i hgfe = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(h + 4)), 0x1B); /* H G F E */
	*abef = _mm_alignr_epi8(dcba, hgfe, 8);
	*cdgh = _mm_blend_epi16(hgfe, dcba, 0xF0);
}

/* sha256_store - ABEF and CDGH back to A..H */
SHA256_TARGET static inline void sha256_store(uint32_t *h, __m128i abef, __m128i cdgh)
{
	__m128i feba = _mm_shuffle_epi32(abef, 0x1B), dchg = _mm_shuffle_epi32(cdgh, 0xB1);
	_mm_storeu_si128((__m128i *)h, _mm_blend_epi16(feba, dchg, 0xF0));
	_mm_storeu_si128((__m128i *)(h + 4), _mm_alignr_epi8(dchg, feba, 8));
}

/* four rounds with message words w (rounds 4i..4i+3) */
#define SHA256_ROUNDS(abef, cdgh, w, i)                                                              \
	do {                                                                                         \
		__m128i k_ = _mm_add_epi32(w, _mm_load_si128((const __m128i *)(sha256_k + 4 * (i)))); \
		cdgh = _mm_sha256rnds2_epu32(cdgh, abef, k_);                                        \
		abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(k_, 0x0E));               \
	} while (0)
/* the next four message words into w0, from the last sixteen w0..w3 */
#define SHA256_SCHEDULE(w0, w1, w2, w3)                                                  \
	do {                                                                             \
		w0 = _mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), _mm_alignr_epi8(w3, w2, 4)); \
		w0 = _mm_sha256msg2_epu32(w0, w3);                                       \
	} while (0)

/* sha256_words - four big-endian message words */
SHA256_TARGET static inline __m128i sha256_words(const unsigned char *p)
{
	const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	return _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), swap);
}

/* One stream inside the block routines: its state and the last sixteen message words. */
struct sha256_lane {
	__m128i abef, cdgh, abef0, cdgh0, w[4];
};

/* sha256_lane_start - the state before block p, and its first sixteen words */
SHA256_TARGET static inline __attribute__((always_inline)) void sha256_lane_start(struct sha256_lane *l,
										      const unsigned char *p)
{
	l->abef0 = l->abef;
	l->cdgh0 = l->cdgh;
	for (int i = 0; i < 4; i++)
		l->w[i] = sha256_words(p + 16 * i);
}

/* sha256_lane_rounds - rounds 4i..4i+3 (the words scheduled first from i = 4 on) */
SHA256_TARGET static inline __attribute__((always_inline)) void sha256_lane_rounds(struct sha256_lane *l, int i)
{
	__m128i *w = l->w;
	if (i >= 4)
		SHA256_SCHEDULE(w[i % 4], w[(i + 1) % 4], w[(i + 2) % 4], w[(i + 3) % 4]);
	SHA256_ROUNDS(l->abef, l->cdgh, w[i % 4], i);
}

/* sha256_lane_end - add the state before the block */
SHA256_TARGET static inline __attribute__((always_inline)) void sha256_lane_end(struct sha256_lane *l)
{
	l->abef = _mm_add_epi32(l->abef, l->abef0);
	l->cdgh = _mm_add_epi32(l->cdgh, l->cdgh0);
}

/* sha256_blocks - n 64-byte blocks of p into h */
SHA256_TARGET static void sha256_blocks(uint32_t *h, const unsigned char *p, size_t n)
{
	struct sha256_lane a;
	sha256_load(h, &a.abef, &a.cdgh);
	for (; n; n--, p += 64) {
		sha256_lane_start(&a, p);
#pragma GCC unroll 16
		for (int i = 0; i < 16; i++)
			sha256_lane_rounds(&a, i);
		sha256_lane_end(&a);
	}
	sha256_store(h, a.abef, a.cdgh);
}

/* sha256_blocks_clean - blocks of q[0..n) into h while relaxed canonicalization passes them on as
 * they are and data follows: blocks 0 and 1 are tested (1 holds data) on entry, and block k is
 * hashed while block k + 2 is tested beside its rounds.  The blocks hashed. */
SHA256_TARGET static size_t sha256_blocks_clean(uint32_t *h, const unsigned char *q, size_t n)
{
	struct sha256_lane a;
	size_t k = 0;
	bool more;
	sha256_load(h, &a.abef, &a.cdgh);
	do {
		more = 64 * (k + 3) < n && canon_clean_block(q + 64 * (k + 2));
		sha256_lane_start(&a, q + 64 * k);
#pragma GCC unroll 16
		for (int i = 0; i < 16; i++)
			sha256_lane_rounds(&a, i);
		sha256_lane_end(&a);
		k++;
	} while (more);
	sha256_store(h, a.abef, a.cdgh);
	return k;
}

/* sha256_blocks2 - n blocks of p into h and n blocks of q into g, the two streams' rounds
 * interleaved so that each runs in the other's latency */
SHA256_TARGET static void sha256_blocks2(uint32_t *h, const unsigned char *p, uint32_t *g, const unsigned char *q,
					 size_t n)
{
	struct sha256_lane a, b;
	sha256_load(h, &a.abef, &a.cdgh);
	sha256_load(g, &b.abef, &b.cdgh);
	for (; n; n--, p += 64, q += 64) {
		sha256_lane_start(&a, p);
		sha256_lane_start(&b, q);
#pragma GCC unroll 16
		for (int i = 0; i < 16; i++) {
			sha256_lane_rounds(&a, i);
			sha256_lane_rounds(&b, i);
		}
		sha256_lane_end(&a);
		sha256_lane_end(&b);
	}
	sha256_store(h, a.abef, a.cdgh);
	sha256_store(g, b.abef, b.cdgh);
}
#else
/* sha256_available - no SHA extensions on this machine */
bool sha256_available(void)
{
	return false;
}

/* sha256_blocks - never called where sha256_available() is false */
static void sha256_blocks(uint32_t *h, const unsigned char *p, size_t n)
{
	(void)h;
	(void)p;
	(void)n;
}

/* sha256_blocks_clean - never called where sha256_available() is false */
static size_t sha256_blocks_clean(uint32_t *h, const unsigned char *q, size_t n)
{
	(void)h;
	(void)q;
	(void)n;
	return 0;
}

/* sha256_blocks2 - never called where sha256_available() is false */
static void sha256_blocks2(uint32_t *h, const unsigned char *p, uint32_t *g, const unsigned char *q, size_t n)
{
	(void)h;
	(void)p;
	(void)g;
	(void)q;
	(void)n;
}
#endif

/* sha256_init - start a hash */
void sha256_init(struct sha256 *c)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(c->h, iv, sizeof iv);
	c->bytes = 0;
	c->part_len = 0;
}

/* sha256_fill - add bytes to the unfinished block; the bytes taken (the block may be full after) */
static size_t sha256_fill(struct sha256 *c, const unsigned char *p, size_t n)
{
	size_t k = 64 - c->part_len;
	if (k > n)
		k = n;
	memcpy(c->part + c->part_len, p, k);
	c->part_len += k;
	c->bytes += k;
	return k;
}

/* sha256_fill_block - sha256_fill, hashing the block when it is full */
static size_t sha256_fill_block(struct sha256 *c, const unsigned char *p, size_t n)
{
	size_t k = sha256_fill(c, p, n);
	if (c->part_len == 64) {
		sha256_blocks(c->h, c->part, 1);
		c->part_len = 0;
	}
	return k;
}

/* sha256_update - add n bytes */
void sha256_update(struct sha256 *c, const void *data, size_t n)
{
	const unsigned char *p = data;
	if (c->part_len) {
		size_t k = sha256_fill_block(c, p, n);
		p += k;
		n -= k;
	}
	c->bytes += n;
	if (n >= 64) {
		sha256_blocks(c->h, p, n / 64);
		p += n / 64 * 64;
		n %= 64;
	}
	if (n) {
		memcpy(c->part, p, n);
		c->part_len = n;
	}
}

/* sha256_update_clean - add a prefix of p[0..n) that relaxed body canonicalization passes on as
 * it is, tested as it is hashed; the prefix's length.  See sha256.h. */
size_t sha256_update_clean(struct sha256 *c, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t fill = c->part_len ? 64 - c->part_len : 0;
	if (!sha256_available() || n <= fill + 128 || p[0] == '\n' || (fill && !canon_clean_block(p)) ||
	    !canon_clean_block(p + fill) || !canon_clean_block(p + fill + 64))
		return 0;
	sha256_fill_block(c, p, fill);
	size_t k = fill + 64 * sha256_blocks_clean(c->h, p + fill, n - fill);
	c->bytes += k - fill;
	if (p[k - 1] == '\r') /* its LF (tested: data follows) goes too, so the rest starts after a line end */
		sha256_update(c, p + k++, 1);
	return k;
}

/* sha256_update2 - add n bytes to each of two streams, two blocks at a time where both have whole
 * blocks (unfinished blocks that both fill go together too) */
void sha256_update2(struct sha256 *a, const void *pa, struct sha256 *b, const void *pb, size_t n)
{
	const unsigned char *p = pa, *q = pb;
	size_t ka = a->part_len ? sha256_fill(a, p, n) : 0, kb = b->part_len ? sha256_fill(b, q, n) : 0;
	if (a->part_len == 64 && b->part_len == 64) {
		sha256_blocks2(a->h, a->part, b->h, b->part, 1);
		a->part_len = b->part_len = 0;
	}
	sha256_fill_block(a, p, 0); /* a block only one of them filled */
	sha256_fill_block(b, q, 0);
	size_t na = (n - ka) / 64, nb = (n - kb) / 64, pair = na < nb ? na : nb;
	if (pair) {
		sha256_blocks2(a->h, p + ka, b->h, q + kb, pair);
		a->bytes += pair * 64;
		b->bytes += pair * 64;
	}
	sha256_update(a, p + ka + pair * 64, n - ka - pair * 64);
	sha256_update(b, q + kb + pair * 64, n - kb - pair * 64);
}

/* sha256_final - the digest */
void sha256_final(struct sha256 *c, unsigned char out[SHA256_DIGEST])
{
	uint64_t bits = c->bytes * 8;
	c->part[c->part_len++] = 0x80;
	if (c->part_len > 56) {
		memset(c->part + c->part_len, 0, 64 - c->part_len);
		sha256_blocks(c->h, c->part, 1);
		c->part_len = 0;
	}
	memset(c->part + c->part_len, 0, 56 - c->part_len);
	for (int i = 0; i < 8; i++)
		c->part[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_blocks(c->h, c->part, 1);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(c->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)c->h[i];
	}
	c->part_len = 0;
}
