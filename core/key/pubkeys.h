/*
 * pubkeys.h - public keys decoded once per process: decoding an RSA key
 * costs several times the verification itself, and the same few keys sign
 * most of the mail a server sees.
 */
#ifndef DKMOD_PUBKEYS_H
#define DKMOD_PUBKEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "key/crypto.h"
#include "record/keyrec.h"

#define PUBKEYS_SLOTS 256
#define PUBKEYS_RECORDS 64          /* parsed key records kept */
#define PUBKEYS_MAX_RECORD 4096     /* longer records are parsed every time, not kept */

struct pubkeys_slot;
struct pubkeys_record;
struct pubkeys {
	struct pubkeys_slot *slots; /* PUBKEYS_SLOTS entries, allocated on first use */
	unsigned long long clock;   /* use counter for least-recently-used replacement */
	struct pubkeys_record *records; /* PUBKEYS_RECORDS entries, allocated on first use */
	struct keyrec *scratch;     /* where records that are not kept are parsed */
};

/* pubkeys_get - the decoded key for these record bytes (RSA SPKI, or raw Ed25519 when ed);
 * owned by the cache, valid until the next pubkeys_get or pubkeys_free; NULL if undecodable */
const struct crypto_pubkey *pubkeys_get(struct pubkeys *c, bool ed, const unsigned char *bytes, size_t len);
/* pubkeys_record - the key record txt[0..len) parsed as DomainKeys (dk) or DKIM, parsed once
 * per process and exact record text (keyrec_parse_dkim / keyrec_parse_domainkeys): the
 * status, and in *rec the parsed record, owned by the cache and valid until the next
 * pubkeys_record or pubkeys_free; KEYREC_SYNTAX with *rec NULL when out of memory */
enum keyrec_status pubkeys_record(struct pubkeys *c, bool dk, const char *txt, size_t len, const struct keyrec **rec);
/* pubkeys_free - drop every key */
void pubkeys_free(struct pubkeys *c);

#endif
