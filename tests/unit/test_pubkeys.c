/*
 * test_pubkeys.c - the per-process public key cache: a key is decoded once
 * per record, different records get different keys, the least recently used
 * slot is replaced when the cache is full, undecodable records give NULL.
 * Key records (pubkeys_record) are parsed once per exact text and kind, with
 * the same result as keyrec_parse_dkim / keyrec_parse_domainkeys.
 */
#include <stdio.h>
#include <stdlib.h>

#include "key/pubkeys.h"
#include "unit.h"

/* fill - 32 bytes derived from n (raw Ed25519 public keys are not validated on import) */
static void fill(unsigned char *b, unsigned n)
{
	for (unsigned i = 0; i < 32; i++)
		b[i] = (unsigned char)(n * 131 + i * 7 + (n >> 8));
}

/* same_rec - two parsed records agree in every field */
static bool same_rec(const struct keyrec *a, const struct keyrec *b)
{
	return a->type == b->type && a->hashes == b->hashes && a->revoked == b->revoked && a->testing == b->testing &&
	       a->strict_identity == b->strict_identity && a->has_granularity == b->has_granularity &&
	       strcmp(a->granularity, b->granularity) == 0 && a->key_len == b->key_len &&
	       memcmp(a->key, b->key, a->key_len) == 0;
}

/* test_records - pubkeys_record against the parsers, and its caching */
static void test_records(void)
{
	static const char *const texts[] = {
		"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
		"v=DKIM1; k=ed25519; t=y:s; h=sha256; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
		"k=rsa; t=y; p=",
		"g=abc*; k=rsa; p=QUJD",
		"v=DKIM2; p=QUJD",
		"k=dsa; p=QUJD",
		"p=QU*D",
		"t; p=QUJD",
		"",
	};
	struct pubkeys c = {0};
	int agree = 1, cached = 1;
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		for (int dk = 0; dk < 2; dk++) {
			struct keyrec want;
			const struct keyrec *got = NULL, *again = NULL;
			size_t len = strlen(texts[i]);
			enum keyrec_status ws = dk ? keyrec_parse_domainkeys(texts[i], len, &want)
						   : keyrec_parse_dkim(texts[i], len, &want);
			enum keyrec_status gs = pubkeys_record(&c, dk, texts[i], len, &got);
			agree &= gs == ws && got && (ws != KEYREC_OK || same_rec(got, &want));
			cached &= pubkeys_record(&c, dk, texts[i], len, &again) == gs && again == got;
		}
	}
	CHECK("records: the same status and fields as the parsers, for DKIM and DomainKeys", agree);
	CHECK("records: a second ask gives the kept record", cached);
	/* a record one byte different is another record */
	const struct keyrec *a = NULL, *b = NULL;
	pubkeys_record(&c, false, "k=rsa; t=y; p=", 14, &a);
	enum keyrec_status st = pubkeys_record(&c, false, "k=rsa; t=n; p=", 14, &b);
	CHECK("records: a changed record is parsed anew", st == KEYREC_OK && b != a && !b->testing);
	CHECK("records: the same text as DomainKeys is kept apart",
	      pubkeys_record(&c, true, "v=DKIM2; p=QUJD", 15, &a) == KEYREC_OK &&
		      pubkeys_record(&c, false, "v=DKIM2; p=QUJD", 15, &b) == KEYREC_BAD_VERSION && a != b);
	/* fill the cache; keep touching one so that it stays */
	const struct keyrec *keep = NULL, *now = NULL;
	pubkeys_record(&c, false, "k=rsa; p=QUJD", 13, &keep);
	for (unsigned n = 0; n < 2 * PUBKEYS_RECORDS; n++) {
		char txt[64];
		int len = snprintf(txt, sizeof txt, "k=rsa; n=%u; p=QUJD", n);
		pubkeys_record(&c, false, txt, (size_t)len, &now);
		pubkeys_record(&c, false, "k=rsa; p=QUJD", 13, &now);
	}
	CHECK("records: a recently used record survives a full cache", now == keep);
	/* a record too long to keep is still parsed right */
	size_t big = PUBKEYS_MAX_RECORD + 100;
	char *txt = malloc(big);
	if (txt) {
		memset(txt, ' ', big);
		memcpy(txt, "k=rsa; t=y; p=QUJD", 18);
		st = pubkeys_record(&c, false, txt, big, &a);
		CHECK("records: a long record parses", st == KEYREC_OK && a && a->testing && a->key_len == 3);
		free(txt);
	}
	pubkeys_free(&c);
	CHECK("records: free leaves an empty cache", c.records == NULL && c.scratch == NULL);
}

int main(void)
{
	test_records();
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
