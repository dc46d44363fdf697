/*
 * pubkeys.c - a per-process cache of decoded public keys, keyed by the exact
 * key bytes, and of parsed key records, keyed by the exact record text; both
 * with least-recently-used replacement.
 */
#include "key/pubkeys.h"

#include <stdlib.h>
#include <string.h>

struct pubkeys_slot {
	unsigned char *bytes;
	size_t len;
	bool ed;
	unsigned long long used;
	struct crypto_pubkey *key;
};

struct pubkeys_record {
	char *text;               /* NULL: empty slot */
	size_t len;
	bool dk;
	unsigned long long used;
	enum keyrec_status status;
	struct keyrec rec;
};

/* pubkeys_parse - parse a record as DomainKeys or DKIM */
static enum keyrec_status pubkeys_parse(bool dk, const char *txt, size_t len, struct keyrec *rec)
{
	return dk ? keyrec_parse_domainkeys(txt, len, rec) : keyrec_parse_dkim(txt, len, rec);
}

/* pubkeys_record - the parsed key record for this record text */
enum keyrec_status pubkeys_record(struct pubkeys *c, bool dk, const char *txt, size_t len, const struct keyrec **rec)
{
	*rec = NULL;
	if (!c->records && !(c->records = calloc(PUBKEYS_RECORDS, sizeof *c->records)))
		return KEYREC_SYNTAX;
	struct pubkeys_record *victim = &c->records[0];
	for (size_t i = 0; i < PUBKEYS_RECORDS; i++) {
		struct pubkeys_record *r = &c->records[i];
		if (r->text && r->len == len && r->dk == dk && memcmp(r->text, txt, len) == 0) {
			r->used = ++c->clock;
			*rec = &r->rec;
			return r->status;
		}
		if (r->used < victim->used)
			victim = r;
	}
	if (len > PUBKEYS_MAX_RECORD) {
		if (!c->scratch && !(c->scratch = malloc(sizeof *c->scratch)))
			return KEYREC_SYNTAX;
		*rec = c->scratch;
		return pubkeys_parse(dk, txt, len, c->scratch);
	}
	char *copy = malloc(len ? len : 1);
	if (!copy)
		return KEYREC_SYNTAX;
	if (len)
		memcpy(copy, txt, len);
	free(victim->text);
	victim->text = copy;
	victim->len = len;
	victim->dk = dk;
	victim->used = ++c->clock;
	victim->status = pubkeys_parse(dk, txt, len, &victim->rec);
	*rec = &victim->rec;
	return victim->status;
}

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
	for (size_t i = 0; c->records && i < PUBKEYS_RECORDS; i++)
		free(c->records[i].text);
	free(c->records);
	c->records = NULL;
	free(c->scratch);
	c->scratch = NULL;
}
