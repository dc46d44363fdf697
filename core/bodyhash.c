/*
 * bodyhash.c - running body hashes, one per (hash, canonicalization, l=,
 * DomainKeys or not), shared by every signature that needs the same one, so
 * a body is canonicalized and hashed once however many signatures cover it.
 */
#include <stdlib.h>

#include "session.h"

/* bodyhash_sink - canonical bytes into the running hash */
static void bodyhash_sink(void *arg, const void *data, size_t len)
{
	struct bodyhash *b = arg;
	if (!b->failed && crypto_hasher_update(b->hasher, data, len) != 0)
		b->failed = true;
}

/* bodyhash_get - the body hash with these parameters, created on first use */
struct bodyhash *bodyhash_get(struct dkmod_session *s, enum crypto_hash hash, enum dkmod_canon canon,
			      bool domainkeys, long long limit)
{
	/* a DomainKeys hash also covers the headers, so it is never shared */
	for (size_t i = 0; !domainkeys && i < s->nbodies; i++) {
		struct bodyhash *b = s->bodies[i];
		if (!b->domainkeys && b->hash == hash && b->canon == canon && b->limit == limit)
			return b;
	}
	if (s->nbodies == SESSION_MAX_BODYHASHES)
		return NULL;
	struct bodyhash *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->hash = hash;
	b->canon = canon;
	b->domainkeys = domainkeys;
	b->limit = limit;
	b->hasher = crypto_hasher_new(hash);
	b->canon_state = malloc(sizeof *b->canon_state);
	if (!b->hasher || !b->canon_state) {
		crypto_hasher_free(b->hasher);
		free(b->canon_state);
		free(b);
		return NULL;
	}
	canon_body_init(b->canon_state, canon, domainkeys, limit, bodyhash_sink, b);
	s->bodies[s->nbodies++] = b;
	return b;
}

/* bodyhash_update_all - feed a raw body chunk to every body hash */
void bodyhash_update_all(struct dkmod_session *s, const void *data, size_t len)
{
	for (size_t i = 0; i < s->nbodies; i++)
		canon_body_update(s->bodies[i]->canon_state, data, len);
}

/* bodyhash_final_all - finish every body hash */
void bodyhash_final_all(struct dkmod_session *s)
{
	for (size_t i = 0; i < s->nbodies; i++) {
		struct bodyhash *b = s->bodies[i];
		canon_body_final(b->canon_state);
		b->length = canon_body_length(b->canon_state);
		if (!b->failed && crypto_hasher_final(b->hasher, b->digest) != 0)
			b->failed = true;
	}
}

/* bodyhash_free_all - release every body hash */
void bodyhash_free_all(struct dkmod_session *s)
{
	for (size_t i = 0; i < s->nbodies; i++) {
		crypto_hasher_free(s->bodies[i]->hasher);
		free(s->bodies[i]->canon_state);
		free(s->bodies[i]);
	}
	s->nbodies = 0;
}
