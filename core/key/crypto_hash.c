/*
 * crypto_hash.c - SHA-1 and SHA-256, running and one-shot, with OpenSSL's
 * low-level calls (no provider fetch on the per-message path).
 */
#include "key/crypto_openssl.h"

/* crypto_hash_size - digest length in bytes (20 or 32), 0 for an unknown alg */
size_t crypto_hash_size(enum crypto_hash alg)
{
	switch (alg) {
	case CRYPTO_SHA1:
		return 20;
	case CRYPTO_SHA256:
		return 32;
	}
	return 0;
}

/* crypto_hasher_new - a running hash; NULL on failure */
struct crypto_hasher *crypto_hasher_new(enum crypto_hash alg)
{
	struct crypto_hasher *h;

	if (alg != CRYPTO_SHA1 && alg != CRYPTO_SHA256) {
		crypto_fail("unknown hash algorithm");
		return NULL;
	}
	h = malloc(sizeof *h);
	if (!h || !(alg == CRYPTO_SHA1 ? SHA1_Init(&h->u.sha1) : SHA256_Init(&h->u.sha256))) {
		free(h);
		crypto_fail("cannot start a hash");
		return NULL;
	}
	h->alg = alg;
	return h;
}

/* crypto_hasher_update - add bytes; 0 or -1 */
int crypto_hasher_update(struct crypto_hasher *h, const void *data, size_t len)
{
	if (!(h->alg == CRYPTO_SHA1 ? SHA1_Update(&h->u.sha1, data, len) : SHA256_Update(&h->u.sha256, data, len))) {
		crypto_fail("hash update failed");
		return -1;
	}
	return 0;
}

/* crypto_hasher_final - write the digest; 0 or -1 */
int crypto_hasher_final(struct crypto_hasher *h, unsigned char *out)
{
	if (!(h->alg == CRYPTO_SHA1 ? SHA1_Final(out, &h->u.sha1) : SHA256_Final(out, &h->u.sha256))) {
		crypto_fail("hash final failed");
		return -1;
	}
	return 0;
}

/* crypto_hasher_free - release a hasher (NULL is fine) */
void crypto_hasher_free(struct crypto_hasher *h)
{
	free(h);
}

/* crypto_hash - one-shot digest of data into out; 0 or -1 */
int crypto_hash(enum crypto_hash alg, const void *data, size_t len, unsigned char *out)
{
	if (alg != CRYPTO_SHA1 && alg != CRYPTO_SHA256) {
		crypto_fail("unknown hash algorithm");
		return -1;
	}
	/* not SHA1()/SHA256(): OpenSSL 3 made those fetch the digest by name on every call */
	struct crypto_hasher h = {.alg = alg};
	if (!(alg == CRYPTO_SHA1 ? SHA1_Init(&h.u.sha1) : SHA256_Init(&h.u.sha256)) ||
	    crypto_hasher_update(&h, data, len) != 0 || crypto_hasher_final(&h, out) != 0) {
		crypto_fail("hash failed");
		return -1;
	}
	return 0;
}
