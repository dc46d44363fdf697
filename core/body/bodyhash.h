/*
 * bodyhash.h - the running body hashes of one message, one per (hash,
 * canonicalization, l=, DomainKeys or not), shared by every signature that
 * needs the same one.
 */
#ifndef DKMOD_BODYHASH_H
#define DKMOD_BODYHASH_H

#include <stdbool.h>
#include <stddef.h>

#include "body/canon.h"
#include "body/hashpair.h"
#include "dkmod.h"
#include "key/crypto.h"
#include "util/arena.h"

/* One running body hash, shared by every signature with the same parameters. */
struct bodyhash {
	enum crypto_hash hash;
	enum dkmod_canon canon;
	bool domainkeys;
	long long limit;
	struct crypto_hasher *hasher;   /* the hash, or NULL when it runs in lane */
	struct hashpair *lane;          /* SHA-256 with the SHA extensions: paired with another body */
	const char *raw, *raw_end;      /* the raw body bytes being canonicalized (bodyhash_update_all) */
	struct canon_body *canon_state;
	unsigned char digest[CRYPTO_MAX_DIGEST];
	long long length;           /* canonical body length, after final */
	bool failed;                /* the hash library failed */
};

#define BODYHASH_MAX 24

/* The body hashes of one message. */
struct bodyhash_set {
	struct bodyhash *bodies[BODYHASH_MAX];
	size_t nbodies;
	size_t npairs;              /* pairs of body hashes run together */
	struct arena *arena;        /* the message's arena, which holds the hashes and their 16 KB
				     * canonicalization buffers (its blocks are kept for the next
				     * message: no malloc per message); NULL: malloc */
};

/* bodyhash_get - the body hash with these parameters, created on first use; NULL on failure */
struct bodyhash *bodyhash_get(struct bodyhash_set *s, enum crypto_hash hash, enum dkmod_canon canon,
			      bool domainkeys, long long limit);
/* bodyhash_update_all - feed a raw body chunk to every body hash */
void bodyhash_update_all(struct bodyhash_set *s, const void *data, size_t len);
/* bodyhash_final_all - finish every body hash */
void bodyhash_final_all(struct bodyhash_set *s);
/* bodyhash_free_all - release every body hash */
void bodyhash_free_all(struct bodyhash_set *s);

#endif
