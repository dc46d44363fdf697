/*
 * fuzz_hashpair.c - libFuzzer target, differential: two SHA-256 streams run
 * as a pair (core/body/hashpair.c, core/body/sha256.c) against OpenSSL's one-shot
 * digest of the same bytes.  The input is a list of operations; the bytes
 * come from a fixed pseudo-random pool, so short inputs make long streams
 * (past the bytes a stream may hold for its partner).  Bytes marked stable
 * sit in a scratch buffer that is overwritten at every settle, so a held
 * byte read after its settle shows as a wrong digest.  Any difference aborts.
 *
 * Input: byte 0 bit 0: the first stream ends after half the operations.
 * Then 2 bytes per operation: bit 0 the stream, bit 1 stable, bit 2 settle
 * after it, bits 3-7 and the next byte the length (0-8191) and the pool offset.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key/crypto.h"
#include "fuzz.h"
#include "body/hashpair.h"

#define FUZZ_HP_POOL 65536
#define FUZZ_HP_SCRATCH (1 << 20)

static unsigned char fuzz_hp_pool[FUZZ_HP_POOL + 8192];
static unsigned char *fuzz_hp_scratch;

/* fuzz_hp_setup - the pool and the scratch buffer, once */
static void fuzz_hp_setup(void)
{
	if (fuzz_hp_scratch)
		return;
	unsigned long long x = 0x2545F4914F6CDD1DULL;
	for (size_t i = 0; i < sizeof fuzz_hp_pool; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		fuzz_hp_pool[i] = (unsigned char)(x >> 24);
	}
	fuzz_hp_scratch = malloc(FUZZ_HP_SCRATCH);
	if (!fuzz_hp_scratch)
		abort();
}

/* A stream: the pair's hash and every byte it was given. */
struct fuzz_hp_stream {
	struct hashpair *h;
	unsigned char *all;
	size_t len, cap;
	bool ended;
	unsigned char digest[32];
};

/* fuzz_hp_keep - remember bytes given to a stream */
static void fuzz_hp_keep(struct fuzz_hp_stream *s, const unsigned char *p, size_t n)
{
	if (n == 0)
		return;
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->all = realloc(s->all, s->cap);
		if (!s->all)
			abort();
	}
	memcpy(s->all + s->len, p, n);
	s->len += n;
}

/* fuzz_hp_check - the pair's digest against OpenSSL's */
static void fuzz_hp_check(const struct fuzz_hp_stream *s, int which)
{
	unsigned char want[32];
	if (crypto_hash(CRYPTO_SHA256, s->all ? s->all : (const unsigned char *)"", s->len, want) != 0 ||
	    memcmp(want, s->digest, 32) != 0) {
		fprintf(stderr, "fuzz_hashpair: stream %d of %zu bytes: wrong digest\n", which, s->len);
		abort();
	}
}

/* fuzz_hp_settle - the stable bytes go away: settle both, then spoil the scratch */
static void fuzz_hp_settle(struct fuzz_hp_stream *s, size_t *used)
{
	for (int i = 0; i < 2; i++)
		if (!s[i].ended)
			hashpair_settle(s[i].h);
	memset(fuzz_hp_scratch, 0x5A, *used);
	*used = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_hp_setup();
	struct fuzz_hp_stream s[2] = {{.h = hashpair_new()}, {.h = hashpair_new()}};
	if (!s[0].h || !s[1].h) { /* no SHA extensions: nothing to compare */
		hashpair_free(s[0].h);
		hashpair_free(s[1].h);
		return 0;
	}
	hashpair_join(s[0].h, s[1].h);
	bool end_early = size > 0 && (data[0] & 1);
	size_t nops = size > 0 ? (size - 1) / 2 : 0, used = 0;
	for (size_t i = 0; i < nops; i++) {
		unsigned op = data[1 + 2 * i], lo = data[2 + 2 * i];
		size_t n = ((size_t)(op >> 3) << 8 | lo) & 8191, off = (lo * 257u + op) % FUZZ_HP_POOL;
		struct fuzz_hp_stream *t = &s[op & 1];
		if (end_early && !s[0].ended && i == nops / 2) {
			hashpair_final(s[0].h, s[0].digest);
			s[0].ended = true;
		}
		if (t->ended)
			continue;
		const unsigned char *p = fuzz_hp_pool + off;
		if (op & 2) {
			if (used + n > FUZZ_HP_SCRATCH)
				fuzz_hp_settle(s, &used);
			memcpy(fuzz_hp_scratch + used, p, n);
			p = fuzz_hp_scratch + used;
			used += n;
		}
		fuzz_hp_keep(t, fuzz_hp_pool + off, n);
		hashpair_update(t->h, p, n, (op & 2) != 0);
		if (op & 4)
			fuzz_hp_settle(s, &used);
	}
	fuzz_hp_settle(s, &used);
	for (int i = 0; i < 2; i++) {
		if (!s[i].ended)
			hashpair_final(s[i].h, s[i].digest);
		fuzz_hp_check(&s[i], i);
		hashpair_free(s[i].h);
		free(s[i].all);
	}
	return 0;
}
