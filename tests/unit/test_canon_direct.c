/*
 * test_canon_direct.c - relaxed bodies whose runs that need no change go straight
 * to a SHA-256 stream (canon_direct_sink, sha256_update_clean): the digest must be
 * that of the portable code's canonical body, whatever the body and however it is
 * cut, and the direct way must take the long clean runs.  Bodies are base64-like
 * lines with every kind of change put at every offset around the blocks the loop
 * tests, clean runs before trailing empty lines, and random mixtures.  SKIP
 * without the SHA extensions.
 */
#include <stdlib.h>

#include "body/canon.h"
#include "body/sha256.h"
#include "canon_fixture.h"
#include "key/crypto.h"
#include "unit.h"

/* A stream the canonical bytes go to, and how many of them came the direct way. */
struct direct_run {
	struct sha256 sha;
	size_t direct;
};

/* to_sha - the canonicalizer's sink */
static void to_sha(void *arg, const void *data, size_t len)
{
	sha256_update(&((struct direct_run *)arg)->sha, data, len);
}

/* to_sha_direct - the direct sink, counting what it takes */
static size_t to_sha_direct(void *arg, const void *data, size_t len)
{
	struct direct_run *r = arg;
	size_t k = sha256_update_clean(&r->sha, data, len);
	r->direct += k;
	return k;
}

/* direct_same - whether in[0..n), cut at cuts[0..ncut), hashes through the direct sink (on the
 * vector or the portable code) to the digest of the portable code's body; adds the bytes that
 * went the direct way to *direct */
static bool direct_same(const char *in, size_t n, const size_t *cuts, size_t ncut, bool portable, size_t *direct)
{
	struct canon_body *b = malloc(sizeof *b);
	struct direct_run r = {.direct = 0};
	struct str want = STR_INIT;
	unsigned char got[32], expect[32];
	long long length;
	canon_set_portable(true);
	canon_body_init(b, DKMOD_CANON_RELAXED, false, -1, collect, &want);
	canon_feed(b, in, n, NULL, 0);
	canon_set_portable(portable);
	sha256_init(&r.sha);
	canon_body_init(b, DKMOD_CANON_RELAXED, false, -1, to_sha, &r);
	b->direct = to_sha_direct;
	canon_feed(b, in, n, cuts, ncut);
	length = canon_body_length(b);
	sha256_final(&r.sha, got);
	canon_set_portable(false);
	bool ok = crypto_hash(CRYPTO_SHA256, want.data ? want.data : "", want.len, expect) == 0 &&
		  memcmp(got, expect, 32) == 0 && length == (long long)want.len;
	*direct += r.direct;
	str_free(&want);
	free(b);
	return ok;
}

/* b64_lines - base64-like text up to and including a CRLF every 78 bytes from start */
static size_t b64_lines(char *out, size_t start, size_t n)
{
	static const char a[] = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODkrLw";
	for (size_t i = 0; i < n; i++) {
		size_t k = (start + i) % 78;
		out[i] = k == 76 ? '\r' : k == 77 ? '\n' : a[(start + i) % (sizeof a - 1)];
	}
	return n;
}

/* test_edges - each kind of change at every offset around the first blocks the loop tests, after
 * a first line of every length (the stream's unfinished block), the body whole and cut there */
static void test_edges(void)
{
	static const char *const pieces[] = {
		"  ", " \t ", "\t", " \r\n", "  \r\n", "\n", "\r", " \r", "\r\r\n", "\r\n\r\n\r\n", "\n\n", " \n",
		"\t\r\n", "x \ty", "\r\n \r\n", "a\rb", "\x01 \x02", " \x01", "\r\n\r\n",
	};
	char *in = malloc(4096);
	int bad = 0, runs = 0;
	size_t direct = 0;
	for (size_t pi = 0; pi < sizeof pieces / sizeof *pieces; pi++)
		for (size_t first = 0; first < 64; first += 9)
			for (size_t at = first + 1; at < first + 400; at += 3) {
				size_t n = 0, pl = strlen(pieces[pi]);
				/* a first line with a change (a double space), then base64 lines */
				for (; n < first; n++)
					in[n] = n == first / 2 ? ' ' : 'f';
				memcpy(in + n, "  x\r\n", 5);
				n += 5;
				n += b64_lines(in + n, 0, at - first);
				memcpy(in + n, pieces[pi], pl);
				n += pl;
				n += b64_lines(in + n, 7, 1200);
				size_t cuts[1] = {first + 5 + (at - first) / 2};
				bad += !direct_same(in, n, NULL, 0, false, &direct) ||
				       !direct_same(in, n, cuts, 1, false, &direct) ||
				       !direct_same(in, n, NULL, 0, true, &direct);
				runs++;
			}
	CHECK("canon direct: each change at each offset = the portable code", bad == 0 && runs > 5000);
	CHECK("canon direct: the clean runs went the direct way", direct > (size_t)runs * 1000);
	free(in);
}

/* test_ends - a clean run followed by empty lines (which vanish at the end of the body, and stay
 * before more data), by a trailing SP, or ending the body with or without a line end */
static void test_ends(void)
{
	/* NULL: 2,000 empty lines, then data (the first) or the end (the second) */
	static const char *const tails[] = {"\r\n\r\n\r\n", "\r\n\r\n\r\nmore\r\n", " ", "\r\n", "", NULL, NULL};
	char *in = malloc(8192);
	int bad = 0;
	size_t direct = 0;
	for (size_t len = 150; len < 700; len += 7)
		for (int tail = 0; tail < 7; tail++) {
			size_t n = b64_lines(in, 0, len);
			if (tails[tail]) {
				memcpy(in + n, tails[tail], strlen(tails[tail]));
				n += strlen(tails[tail]);
			} else { /* a long run of empty lines, then data or the end */
				for (size_t k = 0; k < 2000; k++, n += 2)
					memcpy(in + n, "\r\n", 2);
				if (tail == 5) {
					memcpy(in + n, "more\r\n", 6);
					n += 6;
				}
			}
			bad += !direct_same(in, n, NULL, 0, false, &direct) || !direct_same(in, n, NULL, 0, true, &direct);
		}
	CHECK_INT("canon direct: clean runs before empty lines and at the end", bad, 0);
	CHECK("canon direct: they went the direct way", direct > 0);
	free(in);
}

/* test_random - random bodies: long clean runs with now and then a SP, HTAB, CR, LF or empty
 * line, cut at random points */
static void test_random(void)
{
	static const char specials[] = "  \t\r\n\n\r\n\x80";
	unsigned long long r = 0x2545F4914F6CDD1DULL;
	char *in = malloc(20000);
	int bad = 0;
	size_t direct = 0;
	for (int round = 0; round < 1500; round++) {
		unit_rand(&r);
		size_t n = (size_t)(r % 19000), every = 40 + (size_t)(r >> 20) % 400;
		n = b64_lines(in, (size_t)(r >> 40) % 78, n);
		for (size_t i = 0; i < n; i++) {
			if (unit_rand(&r) % every == 0)
				in[i] = specials[(r >> 32) % (sizeof specials - 1)];
		}
		size_t cuts[3];
		unit_cuts(&r, n, cuts, 3);
		bad += !direct_same(in, n, cuts, 3, round % 4 == 3, &direct);
	}
	CHECK_INT("canon direct: random bodies = the portable code", bad, 0);
	CHECK("canon direct: random bodies went the direct way in part", direct > 1500 * 1000);
	free(in);
}

int main(void)
{
	if (!sha256_available()) {
		printf("SKIP: canon direct: this processor has no SHA extensions (bodies are hashed by OpenSSL)\n");
		return unit_done();
	}
	test_edges();
	test_ends();
	test_random();
	return unit_done();
}
