/*
 * test_sha256.c - core/body/sha256.c and core/body/hashpair.c against OpenSSL's
 * SHA-256 (crypto_hash): every length around the block and padding edges,
 * updates split anywhere, two streams at any offset from each other, and
 * paired streams fed in random pieces, in place or copied, with the caller's
 * bytes overwritten after each settle.  SKIP without the SHA extensions.
 */
#include <stdlib.h>

#include "key/crypto.h"
#include "body/hashpair.h"
#include "body/sha256.h"
#include "unit.h"

/* rnd - a fixed pseudo-random sequence */
static unsigned rnd(void)
{
	static unsigned long long x = 0x9e3779b97f4a7c15ULL;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (unsigned)(x >> 16);
}

/* fill - pseudo-random bytes */
static void fill(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)rnd();
}

/* same - whether our digest of p matches OpenSSL's */
static bool same(const unsigned char *digest, const unsigned char *p, size_t n)
{
	unsigned char want[32];
	return crypto_hash(CRYPTO_SHA256, p, n, want) == 0 && memcmp(digest, want, 32) == 0;
}

/* test_known - the FIPS 180-4 examples */
static void test_known(void)
{
	static const unsigned char abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
					      0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
					      0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	static const unsigned char empty[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
						0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
						0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
	struct sha256 c;
	unsigned char d[32];
	sha256_init(&c);
	sha256_update(&c, "abc", 3);
	sha256_final(&c, d);
	CHECK("sha256: \"abc\"", memcmp(d, abc, 32) == 0);
	sha256_init(&c);
	sha256_final(&c, d);
	CHECK("sha256: empty", memcmp(d, empty, 32) == 0);
}

/* test_lengths - every length to 300 bytes, in one update and split at every third byte */
static void test_lengths(void)
{
	unsigned char buf[300], d[32];
	int bad_whole = 0, bad_split = 0;
	fill(buf, sizeof buf);
	for (size_t n = 0; n <= sizeof buf; n++) {
		struct sha256 c;
		sha256_init(&c);
		sha256_update(&c, buf, n);
		sha256_final(&c, d);
		bad_whole += !same(d, buf, n);
		sha256_init(&c);
		for (size_t i = 0; i < n; i += 3)
			sha256_update(&c, buf + i, n - i < 3 ? n - i : 3);
		sha256_final(&c, d);
		bad_split += !same(d, buf, n);
	}
	CHECK_INT("sha256: lengths 0-300 in one update", bad_whole, 0);
	CHECK_INT("sha256: lengths 0-300 three bytes at a time", bad_split, 0);
}

/* test_two_streams - sha256_update2 with the two streams at every offset pair inside a block */
static void test_two_streams(void)
{
	enum { LEN = 1000 };
	unsigned char *a = malloc(LEN), *b = malloc(LEN), da[32], db[32];
	int bad = 0, runs = 0;
	fill(a, LEN);
	fill(b, LEN);
	for (size_t oa = 0; oa < 64; oa += 7)
		for (size_t ob = 0; ob < 64; ob += 5)
			for (size_t n = 0; n < LEN - 128; n += 137) {
				struct sha256 x, y;
				sha256_init(&x);
				sha256_init(&y);
				sha256_update(&x, a, oa);
				sha256_update(&y, b, ob);
				sha256_update2(&x, a + oa, &y, b + ob, n);
				sha256_update(&x, a + oa + n, LEN - oa - n);
				sha256_update(&y, b + ob + n, LEN - ob - n);
				sha256_final(&x, da);
				sha256_final(&y, db);
				bad += !same(da, a, LEN) || !same(db, b, LEN);
				runs++;
			}
	CHECK("sha256: two streams at every offset pair", bad == 0 && runs > 500);
	free(a);
	free(b);
}

/* pair_run - two streams of len bytes fed in random pieces (the larger ones in place); with
 * final_early, the first stream ends halfway; the caller's bytes are overwritten at each
 * settle.  Whether both digests match */
static bool pair_run(size_t len, size_t max_piece, bool final_early)
{
	unsigned char *src[2] = {malloc(len), malloc(len)}, *scratch = malloc(len), d[2][32];
	struct hashpair *h[2] = {hashpair_new(), hashpair_new()};
	size_t pos[2] = {0, 0}, stop0 = final_early ? len / 2 : len;
	bool ended0 = false;
	fill(src[0], len);
	fill(src[1], len);
	hashpair_join(h[0], h[1]);
	while (pos[0] < stop0 || pos[1] < len) {
		/* a round: each stream gets a few pieces from the caller's scratch copy, then settle */
		size_t used = 0;
		for (int s = 0; s < 2; s++) {
			size_t end = s == 0 ? stop0 : len;
			for (unsigned k = rnd() % 4; k > 0 && pos[s] < end; k--) {
				size_t n = 1 + rnd() % max_piece;
				if (n > end - pos[s])
					n = end - pos[s];
				if (n > len - used)
					break;
				memcpy(scratch + used, src[s] + pos[s], n);
				hashpair_update(h[s], scratch + used, n, n > 8);
				used += n;
				pos[s] += n;
			}
		}
		hashpair_settle(h[0]);
		hashpair_settle(h[1]);
		memset(scratch, 0xA5, used); /* held bytes left in place would now be wrong */
		if (final_early && !ended0 && pos[0] == stop0) {
			hashpair_final(h[0], d[0]);
			ended0 = true;
		}
	}
	if (!ended0)
		hashpair_final(h[0], d[0]);
	hashpair_final(h[1], d[1]);
	bool ok = same(d[0], src[0], stop0) && same(d[1], src[1], len);
	hashpair_free(h[0]);
	hashpair_free(h[1]);
	free(src[0]);
	free(src[1]);
	free(scratch);
	return ok;
}

/* test_pairs - paired streams in small, large and oversized pieces, and one ending early */
static void test_pairs(void)
{
	int bad = 0;
	for (int i = 0; i < 40; i++)
		bad += !pair_run(1 + rnd() % 5000, 1 + rnd() % 200, false);
	CHECK_INT("hashpair: small pieces", bad, 0);
	bad = 0;
	for (int i = 0; i < 10; i++)
		bad += !pair_run(300000 + rnd() % 1000, 40000, false);
	CHECK_INT("hashpair: pieces near and over the hold", bad, 0);
	bad = 0;
	for (int i = 0; i < 20; i++)
		bad += !pair_run(1 + rnd() % 20000, 1 + rnd() % 3000, true);
	CHECK_INT("hashpair: one stream ends first", bad, 0);
}

/* test_many_pieces - more pieces than the queue holds, all waiting for a partner that has none */
static void test_many_pieces(void)
{
	unsigned char src[5000], copy[5000], d[32], e[32];
	struct hashpair *a = hashpair_new(), *b = hashpair_new();
	fill(src, sizeof src);
	memcpy(copy, src, sizeof src);
	hashpair_join(a, b);
	/* alternate in-place and copied pieces so none join: the queue overflows */
	for (size_t i = 0; i < sizeof src; i += 10)
		hashpair_update(a, copy + i, 10, (i / 10) % 2 == 0);
	hashpair_settle(a);
	memset(copy, 0, sizeof copy);
	hashpair_final(b, e);
	hashpair_final(a, d);
	CHECK("hashpair: queue overflow keeps the order", same(d, src, sizeof src));
	CHECK("hashpair: the partner with no bytes", same(e, src, 0));
	hashpair_free(a);
	hashpair_free(b);
}

/* test_disabled - sha256_set_disabled stops new pairs */
static void test_disabled(void)
{
	bool was = sha256_set_disabled(true);
	struct hashpair *h = hashpair_new();
	CHECK("hashpair: none while the extensions are turned off", h == NULL && !sha256_available());
	hashpair_free(h);
	sha256_set_disabled(was);
	CHECK("sha256: available again", sha256_available());
}

int main(void)
{
	if (!sha256_available()) {
		printf("SKIP: sha256: this processor has no SHA extensions (bodies are hashed by OpenSSL)\n");
		return unit_done();
	}
	test_known();
	test_lengths();
	test_two_streams();
	test_pairs();
	test_many_pieces();
	test_disabled();
	return unit_done();
}
