/*
 * bodyhash.c - running body hashes, one per (hash, canonicalization, l=,
 * DomainKeys or not), shared by every signature that needs the same one, so
 * a body is canonicalized and hashed once however many signatures cover it.
 * Where the processor has the SHA extensions, DKIM's SHA-256 body hashes run
 * in pairs (core/body/hashpair.c): two different bodies hash at the cost of one.
 */
#include <stdlib.h>

#include "body/bodyhash.h"

/* raw body bytes canonicalized by every body hash in turn while hashes run in pairs: with the
 * canonicalizer's own buffer, what a hash holds for its partner stays under HASHPAIR_HOLD */
#define BODYHASH_SLICE 16384

/* bodyhash_sink - canonical bytes into the running hash */
static void bodyhash_sink(void *arg, const void *data, size_t len)
{
	struct bodyhash *b = arg;
	if (b->lane)
		hashpair_update(b->lane, data, len, (const char *)data >= b->raw && (const char *)data + len <= b->raw_end);
	else if (!b->failed && crypto_hasher_update(b->hasher, data, len) != 0)
		b->failed = true;
}

/* bodyhash_direct - a run of a relaxed body that needs no change, hashed at once while its
 * stream has no partner */
static size_t bodyhash_direct(void *arg, const void *data, size_t len)
{
	return hashpair_update_clean(((struct bodyhash *)arg)->lane, data, len);
}

/* bodyhash_release - free b's memory unless the arena holds it */
static void bodyhash_release(const struct bodyhash_set *s, struct bodyhash *b)
{
	if (s->arena)
		return;
	free(b->canon_state);
	free(b);
}

/* bodyhash_get - the body hash with these parameters, created on first use */
struct bodyhash *bodyhash_get(struct bodyhash_set *s, enum crypto_hash hash, enum dkmod_canon canon,
			      bool domainkeys, long long limit)
{
	/* a DomainKeys hash also covers the headers, so it is never shared */
	for (size_t i = 0; !domainkeys && i < s->nbodies; i++) {
		struct bodyhash *b = s->bodies[i];
		if (!b->domainkeys && b->hash == hash && b->canon == canon && b->limit == limit)
			return b;
	}
	if (s->nbodies == BODYHASH_MAX)
		return NULL;
	struct bodyhash *b = s->arena ? arena_alloc(s->arena, sizeof *b) : calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->hash = hash;
	b->canon = canon;
	b->domainkeys = domainkeys;
	b->limit = limit;
	if (hash == CRYPTO_SHA256 && !domainkeys)
		b->lane = hashpair_new();
	if (!b->lane)
		b->hasher = crypto_hasher_new(hash);
	b->canon_state = s->arena ? arena_alloc_raw(s->arena, sizeof *b->canon_state) : malloc(sizeof *b->canon_state);
	if ((!b->lane && !b->hasher) || !b->canon_state) {
		hashpair_free(b->lane);
		crypto_hasher_free(b->hasher);
		bodyhash_release(s, b);
		return NULL;
	}
	canon_body_init(b->canon_state, canon, domainkeys, limit, bodyhash_sink, b);
	if (b->lane && canon == DKMOD_CANON_RELAXED && limit < 0)
		b->canon_state->direct = bodyhash_direct;
	for (size_t i = 0; b->lane && i < s->nbodies; i++)
		if (s->bodies[i]->lane && !s->bodies[i]->lane->partner) {
			b->canon_state->direct = s->bodies[i]->canon_state->direct = NULL; /* paired, not alone */
			hashpair_join(s->bodies[i]->lane, b->lane);
			s->npairs++;
			break;
		}
	s->bodies[s->nbodies++] = b;
	return b;
}

/* bodyhash_update_one - canonicalize raw bytes into one body hash */
static void bodyhash_update_one(struct bodyhash *b, const char *p, size_t k)
{
	b->raw = p;
	b->raw_end = p + k;
	canon_body_update(b->canon_state, p, k);
}

/* bodyhash_update_all - feed a raw body chunk to every body hash.  With paired hashes: in slices
 * small enough that what a hash holds for its partner stays within the bound, simple bodies
 * first (they pass the raw bytes on, which their partner hashes with its own before they move) */
void bodyhash_update_all(struct bodyhash_set *s, const void *data, size_t len)
{
	const char *p = data;
	if (!s->npairs) {
		for (size_t i = 0; i < s->nbodies; i++)
			canon_body_update(s->bodies[i]->canon_state, p, len);
		return;
	}
	while (len) {
		size_t k = len < BODYHASH_SLICE ? len : BODYHASH_SLICE;
		for (size_t i = 0; i < s->nbodies; i++)
			if (s->bodies[i]->canon == DKMOD_CANON_SIMPLE)
				bodyhash_update_one(s->bodies[i], p, k);
		for (size_t i = 0; i < s->nbodies; i++)
			if (s->bodies[i]->canon != DKMOD_CANON_SIMPLE) {
				bodyhash_update_one(s->bodies[i], p, k);
				if (s->bodies[i]->lane) /* its part of the slice meets its partner's now */
					canon_flush(s->bodies[i]->canon_state);
			}
		p += k;
		len -= k;
	}
	for (size_t i = 0; i < s->nbodies; i++) {
		s->bodies[i]->raw = s->bodies[i]->raw_end = NULL;
		if (s->bodies[i]->lane)
			hashpair_settle(s->bodies[i]->lane);
	}
}

/* bodyhash_final_all - finish every body hash */
void bodyhash_final_all(struct bodyhash_set *s)
{
	for (size_t i = 0; i < s->nbodies; i++) { /* every body's last bytes first: they may pair */
		canon_body_final(s->bodies[i]->canon_state);
		s->bodies[i]->length = canon_body_length(s->bodies[i]->canon_state);
	}
	for (size_t i = 0; i < s->nbodies; i++) {
		struct bodyhash *b = s->bodies[i];
		if (b->lane)
			hashpair_final(b->lane, b->digest);
		else if (!b->failed && crypto_hasher_final(b->hasher, b->digest) != 0)
			b->failed = true;
	}
}

/* bodyhash_free_all - release every body hash */
void bodyhash_free_all(struct bodyhash_set *s)
{
	for (size_t i = 0; i < s->nbodies; i++) {
		crypto_hasher_free(s->bodies[i]->hasher);
		hashpair_free(s->bodies[i]->lane);
		bodyhash_release(s, s->bodies[i]);
	}
	s->nbodies = 0;
	s->npairs = 0;
}
