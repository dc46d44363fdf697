/*
 * hashpair.c - SHA-256 hashes of two streams, hashed two blocks at a time.
 *
 * At most one stream of a pair holds bytes: new bytes for a stream whose
 * partner holds some are hashed together with them at once, and only what is
 * left over is held.  Held bytes are always the oldest of their stream, so
 * every stream's hash sees its bytes in order.  They are kept as a queue of
 * pieces: bytes the caller keeps in place until hashpair_settle (the raw
 * body, which a simple body passes on as it is) wait where they are; others
 * are copied into the stream's own room.
 */
#include "body/hashpair.h"

#include <stdlib.h>
#include <string.h>

/* hashpair_new - a stream hash; NULL when the SHA extensions are missing or out of memory */
struct hashpair *hashpair_new(void)
{
	if (!sha256_available())
		return NULL;
	struct hashpair *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	sha256_init(&h->sha);
	return h;
}

/* hashpair_join - make a and b partners */
void hashpair_join(struct hashpair *a, struct hashpair *b)
{
	a->partner = b;
	b->partner = a;
}

/* hashpair_take - forget the first k held bytes (they have been hashed) */
static void hashpair_take(struct hashpair *h, size_t k)
{
	h->held_len -= k;
	while (k) {
		struct hashpair_piece *c = &h->pieces[h->first];
		size_t t = k < c->n ? k : c->n;
		c->p += t;
		c->n -= t;
		k -= t;
		if (!c->n) {
			h->first++;
			h->npieces--;
		}
	}
	if (!h->npieces)
		h->first = h->room_used = 0;
}

/* hashpair_drain - hash what the stream holds, alone */
static void hashpair_drain(struct hashpair *h)
{
	for (size_t i = 0; i < h->npieces; i++)
		sha256_update(&h->sha, h->pieces[h->first + i].p, h->pieces[h->first + i].n);
	hashpair_take(h, h->held_len);
}

/* hashpair_room - room for n bytes to copy, or NULL when they do not fit */
static unsigned char *hashpair_room(struct hashpair *h, size_t n)
{
	if (!h->room && !(h->room = malloc(HASHPAIR_HOLD)))
		return NULL;
	return n <= HASHPAIR_HOLD - h->room_used ? h->room + h->room_used : NULL;
}

/* hashpair_push - queue a piece, joined to the last one when it follows it in memory; false
 * when the queue is full */
static bool hashpair_push(struct hashpair *h, const unsigned char *p, size_t n, bool owned)
{
	struct hashpair_piece *last = h->npieces ? &h->pieces[h->first + h->npieces - 1] : NULL;
	if (last && last->owned == owned && last->p + last->n == p) {
		last->n += n;
	} else {
		if (h->first + h->npieces == HASHPAIR_PIECES) {
			if (h->first == 0)
				return false;
			memmove(h->pieces, h->pieces + h->first, h->npieces * sizeof *h->pieces);
			h->first = 0;
		}
		h->pieces[h->first + h->npieces++] = (struct hashpair_piece){p, n, owned};
	}
	h->held_len += n;
	return true;
}

/* hashpair_hold - keep bytes for the partner (in place when stable, else copied); hashed alone
 * when there is no room */
static void hashpair_hold(struct hashpair *h, const unsigned char *p, size_t n, bool stable)
{
	unsigned char *to = stable ? NULL : hashpair_room(h, n);
	if ((stable || to) && hashpair_push(h, to ? to : p, n, !stable)) {
		if (to) {
			memcpy(to, p, n);
			h->room_used += n;
		}
		return;
	}
	hashpair_drain(h); /* hashed alone: slower, still right */
	sha256_update(&h->sha, p, n);
}

/* hashpair_update - add n bytes to the stream */
void hashpair_update(struct hashpair *h, const void *data, size_t n, bool stable)
{
	const unsigned char *p = data;
	struct hashpair *o = h->partner;
	if (!o) {
		sha256_update(&h->sha, p, n);
		return;
	}
	while (n && !h->held_len && o->held_len) {
		const struct hashpair_piece *c = &o->pieces[o->first];
		size_t k = n < c->n ? n : c->n;
		sha256_update2(&o->sha, c->p, &h->sha, p, k);
		hashpair_take(o, k);
		p += k;
		n -= k;
	}
	if (n)
		hashpair_hold(h, p, n, stable);
}

/* hashpair_update_clean - a stream without a partner: sha256_update_clean; 0 for one with */
size_t hashpair_update_clean(struct hashpair *h, const void *data, size_t n)
{
	return h->partner ? 0 : sha256_update_clean(&h->sha, data, n);
}

/* hashpair_settle - the stable bytes are about to change: copy what is held of them, or hash
 * everything held alone when it does not fit */
void hashpair_settle(struct hashpair *h)
{
	size_t in_place = 0;
	for (size_t i = 0; i < h->npieces; i++)
		if (!h->pieces[h->first + i].owned)
			in_place += h->pieces[h->first + i].n;
	if (!in_place)
		return;
	if (!hashpair_room(h, in_place)) {
		hashpair_drain(h);
		return;
	}
	for (size_t i = 0; i < h->npieces; i++) {
		struct hashpair_piece *c = &h->pieces[h->first + i];
		if (!c->owned) {
			unsigned char *to = h->room + h->room_used;
			memcpy(to, c->p, c->n);
			h->room_used += c->n;
			c->p = to;
			c->owned = true;
		}
	}
}

/* hashpair_part - leave the pair: hash what either holds; the partner goes on alone */
static void hashpair_part(struct hashpair *h)
{
	hashpair_drain(h);
	if (h->partner) {
		hashpair_drain(h->partner);
		h->partner->partner = NULL;
		h->partner = NULL;
	}
}

/* hashpair_final - the digest; the partner goes on alone */
void hashpair_final(struct hashpair *h, unsigned char out[SHA256_DIGEST])
{
	hashpair_part(h);
	sha256_final(&h->sha, out);
}

/* hashpair_free - release; the partner goes on alone */
void hashpair_free(struct hashpair *h)
{
	if (!h)
		return;
	hashpair_part(h);
	free(h->room);
	free(h);
}
