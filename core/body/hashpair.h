/*
 * hashpair.h - running SHA-256 hashes of separate streams, joined in pairs so
 * that the blocks of both go through sha256_update2 together.  A body is fed
 * to each of its hashes in turn (simple, then relaxed, say): what one stream
 * gets is held until its partner's bytes arrive, then both are hashed at
 * once.  What waits is bounded; past the bound a stream is hashed alone.
 * A stream's bytes that stay in place (the raw body, for a simple body) wait
 * there, uncopied.
 */
#ifndef DKMOD_HASHPAIR_H
#define DKMOD_HASHPAIR_H

#include <stdbool.h>
#include <stddef.h>

#include "body/sha256.h"

/* bytes a stream may hold for its partner before hashing them alone */
#define HASHPAIR_HOLD 65536

/* pieces of held bytes a stream may queue before hashing them alone */
#define HASHPAIR_PIECES 32

struct hashpair_piece {
	const unsigned char *p;
	size_t n;
	bool owned;                 /* in the room, not the caller's bytes in place */
};

struct hashpair {
	struct sha256 sha;
	struct hashpair *partner;   /* NULL when alone */
	struct hashpair_piece pieces[HASHPAIR_PIECES];  /* bytes waiting for the partner, oldest first */
	size_t first, npieces, held_len;
	unsigned char *room;        /* HASHPAIR_HOLD bytes for copies; made on first use */
	size_t room_used;
};

/* hashpair_new - a stream hash; NULL when the SHA extensions are missing or out of memory */
struct hashpair *hashpair_new(void);
/* hashpair_join - make a and b partners (both alone until now) */
void hashpair_join(struct hashpair *a, struct hashpair *b);
/* hashpair_update - add n bytes to the stream; stable: they stay in place until hashpair_settle,
 * so they can wait for the partner there */
void hashpair_update(struct hashpair *h, const void *data, size_t n, bool stable);
/* hashpair_update_clean - a stream without a partner: sha256_update_clean; 0 for one with */
size_t hashpair_update_clean(struct hashpair *h, const void *data, size_t n);
/* hashpair_settle - the stable bytes are about to change or go away */
void hashpair_settle(struct hashpair *h);
/* hashpair_final - the digest; the partner goes on alone */
void hashpair_final(struct hashpair *h, unsigned char out[SHA256_DIGEST]);
/* hashpair_free - release (NULL is fine); the partner goes on alone */
void hashpair_free(struct hashpair *h);

#endif
