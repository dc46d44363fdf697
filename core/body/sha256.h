/*
 * sha256.h - SHA-256 with the x86 SHA extensions, for one stream or for two
 * streams at once.  One stream is bound by the latency of the round
 * instruction; a second, independent stream runs in its shadow, so two body
 * hashes cost about as much as one.  Only where sha256_available() says so.
 */
#ifndef DKMOD_SHA256_H
#define DKMOD_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST 32

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;            /* hashed so far, part included */
	unsigned char part[64];    /* the bytes of an unfinished block */
	size_t part_len;
};

/* sha256_available - the processor has the SHA extensions and tests have not turned them off */
bool sha256_available(void);
/* sha256_set_disabled - for tests: pretend the extensions are missing (true) or not; the
 * previous setting */
bool sha256_set_disabled(bool disabled);
/* sha256_init - start a hash */
void sha256_init(struct sha256 *c);
/* sha256_update - add n bytes */
void sha256_update(struct sha256 *c, const void *data, size_t n);
/* sha256_update_clean - add a prefix of p[0..n) that relaxed body canonicalization passes on as
 * it is (canon_clean.h), testing each block beside the rounds of the one two before it; the
 * prefix's length.  The prefix is empty unless two such blocks follow the bytes that complete an
 * unfinished block (and the first 64 bytes are one too when there are such bytes); it ends before
 * data (a byte other than CR and LF) in p[0..n) and never just after a CR.  The caller knows the
 * byte before p[0] is no CR or WSP waiting for what follows. */
size_t sha256_update_clean(struct sha256 *c, const void *p, size_t n);
/* sha256_update2 - add n bytes to each of two streams, two blocks at a time where both have whole blocks */
void sha256_update2(struct sha256 *a, const void *pa, struct sha256 *b, const void *pb, size_t n);
/* sha256_final - the digest; the state may then only be started again */
void sha256_final(struct sha256 *c, unsigned char out[SHA256_DIGEST]);

#endif
