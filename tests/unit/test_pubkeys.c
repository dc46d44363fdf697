/*
 * test_pubkeys.c - the per-process public key cache: a key is decoded once
 * per record, different records get different keys, the least recently used
 * slot is replaced when the cache is full, undecodable records give NULL.
 */
#include "pubkeys.h"
#include "unit.h"

/* fill - 32 bytes derived from n (raw Ed25519 public keys are not validated on import) */
static void fill(unsigned char *b, unsigned n)
{
	for (unsigned i = 0; i < 32; i++)
		b[i] = (unsigned char)(n * 131 + i * 7 + (n >> 8));
}

int main(void)
{
	struct pubkeys c = {0};
	unsigned char a[32], b[32];
	fill(a, 1);
	fill(b, 2);
	const struct crypto_pubkey *ka = pubkeys_get(&c, true, a, 32);
	CHECK("a key decodes", ka != NULL);
	CHECK("the same record gives the same decoded key", pubkeys_get(&c, true, a, 32) == ka);
	const struct crypto_pubkey *kb = pubkeys_get(&c, true, b, 32);
	CHECK("another record gives another key", kb != NULL && kb != ka);
	CHECK("an undecodable record gives NULL", pubkeys_get(&c, true, a, 31) == NULL);
	CHECK("garbage RSA record gives NULL", pubkeys_get(&c, false, a, 32) == NULL);
	/* fill the cache; keep touching a so that it stays */
	for (unsigned n = 3; n < 3 + PUBKEYS_SLOTS; n++) {
		unsigned char x[32];
		fill(x, n);
		pubkeys_get(&c, true, x, 32);
		pubkeys_get(&c, true, a, 32);
	}
	CHECK("a recently used key survives a full cache", pubkeys_get(&c, true, a, 32) == ka);
	size_t live = 0;
	for (unsigned n = 3; n < 3 + PUBKEYS_SLOTS; n++) {
		unsigned char x[32];
		fill(x, n);
		live += pubkeys_get(&c, true, x, 32) != NULL;
	}
	CHECK_INT("every lookup still answers", live, PUBKEYS_SLOTS);
	pubkeys_free(&c);
	CHECK("free leaves an empty cache", c.slots == NULL);
	return unit_done();
}
