/*
 * pubkeys.h - public keys decoded once per process: decoding an RSA key
 * costs several times the verification itself, and the same few keys sign
 * most of the mail a server sees.
 */
#ifndef DKMOD_PUBKEYS_H
#define DKMOD_PUBKEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto.h"

#define PUBKEYS_SLOTS 256

struct pubkeys_slot;
struct pubkeys {
	struct pubkeys_slot *slots; /* PUBKEYS_SLOTS entries, allocated on first use */
	unsigned long long clock;   /* use counter for least-recently-used replacement */
};

/* pubkeys_get - the decoded key for these record bytes (RSA SPKI, or raw Ed25519 when ed);
 * owned by the cache, valid until the next pubkeys_get or pubkeys_free; NULL if undecodable */
const struct crypto_pubkey *pubkeys_get(struct pubkeys *c, bool ed, const unsigned char *bytes, size_t len);
/* pubkeys_free - drop every key */
void pubkeys_free(struct pubkeys *c);

#endif
