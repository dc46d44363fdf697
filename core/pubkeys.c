/*
 * pubkeys.c - a per-process cache of decoded public keys, keyed by the exact
 * record bytes, with least-recently-used replacement.
 */
#include "pubkeys.h"

#include <stdlib.h>
#include <string.h>

struct pubkeys_slot {
	unsigned char *bytes;
	size_t len;
	bool ed;
	unsigned long long used;
	struct crypto_pubkey *key;
};

/* pubkeys_get - the decoded key for these record bytes */
const struct crypto_pubkey *pubkeys_get(struct pubkeys *c, bool ed, const unsigned char *bytes, size_t len)
{
	if (!c->slots && !(c->slots = calloc(PUBKEYS_SLOTS, sizeof *c->slots)))
		return NULL;
	struct pubkeys_slot *victim = &c->slots[0];
	for (size_t i = 0; i < PUBKEYS_SLOTS; i++) {
		struct pubkeys_slot *s = &c->slots[i];
		if (s->key && s->ed == ed && s->len == len && memcmp(s->bytes, bytes, len) == 0) {
			s->used = ++c->clock;
			return s->key;
		}
		if (s->used < victim->used)
			victim = s;
	}
	struct crypto_pubkey *key = ed ? crypto_pubkey_from_ed25519(bytes, len) : crypto_pubkey_from_spki(bytes, len);
	unsigned char *copy = key ? malloc(len ? len : 1) : NULL;
	if (!copy) {
		crypto_pubkey_free(key);
		return NULL;
	}
	memcpy(copy, bytes, len);
	crypto_pubkey_free(victim->key);
	free(victim->bytes);
	victim->bytes = copy;
	victim->len = len;
	victim->ed = ed;
	victim->key = key;
	victim->used = ++c->clock;
	return key;
}

/* pubkeys_free - drop every key */
void pubkeys_free(struct pubkeys *c)
{
	for (size_t i = 0; c->slots && i < PUBKEYS_SLOTS; i++) {
		crypto_pubkey_free(c->slots[i].key);
		free(c->slots[i].bytes);
	}
	free(c->slots);
	c->slots = NULL;
}
