/*
 * bench_floor.c - the benchmark's keys and its floor: what signing or
 * verifying a message costs at the least with OpenSSL used directly (one
 * hash pass over the message bytes and one private- or public-key
 * operation, with keys decoded once).  The one bench file with OpenSSL
 * and libsodium: Ed25519's floor is libsodium's (the fastest Ed25519 on the
 * machines we measured, and what the engine uses), RSA's OpenSSL's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
/* not <sodium.h>: its crypto_sign() and crypto_hash() share names with the engine's, linked in */
#include <sodium/core.h>
#include <sodium/crypto_sign_ed25519.h>
#include <sodium/version.h>

#include "bench.h"

/* A key as the floor uses it: the private half and a public half decoded from DER once. */
struct bench_floor_key {
	EVP_PKEY *priv, *pub;
	bool ed;
	EVP_PKEY_CTX *sign_ctx, *verify_ctx;   /* RSA only */
	unsigned char ed_secret[crypto_sign_ed25519_SECRETKEYBYTES]; /* Ed25519: libsodium's halves */
	unsigned char ed_public[crypto_sign_ed25519_PUBLICKEYBYTES];
};

static EVP_MD *bench_floor_md[2];

/* bench_floor_md_get - the digest of h, fetched once */
static const EVP_MD *bench_floor_md_get(enum bench_hash h)
{
	if (!bench_floor_md[h])
		bench_floor_md[h] = EVP_MD_fetch(NULL, h == BENCH_SHA1 ? "SHA1" : "SHA256", NULL);
	return bench_floor_md[h];
}

/* bench_floor_version - the OpenSSL and libsodium version texts */
const char *bench_floor_version(void)
{
	static char text[160];
	snprintf(text, sizeof text, "%s, libsodium %s", OpenSSL_version(OPENSSL_VERSION), sodium_version_string());
	return text;
}

/* bench_floor_keygen - a new key as PEM at path and its record's p= value */
int bench_floor_keygen(const char *path, bool ed, char *p, size_t cap)
{
	EVP_PKEY *k = ed ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	unsigned char der[1024], *q = der;
	size_t n = sizeof der;
	int rc = -1;
	if (!k)
		return -1;
	if (ed) {
		if (EVP_PKEY_get_raw_public_key(k, der, &n) != 1)
			goto out;
	} else {
		int len = i2d_PUBKEY(k, NULL);
		if (len <= 0 || (size_t)len > sizeof der || i2d_PUBKEY(k, &q) != len)
			goto out;
		n = (size_t)len;
	}
	if (cap < 4 * ((n + 2) / 3) + 1)
		goto out;
	EVP_EncodeBlock((unsigned char *)p, der, (int)n);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		goto out;
	}
	rc = PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1 ? 0 : -1;
	if (fclose(f) != 0)
		rc = -1;
out:
	EVP_PKEY_free(k);
	return rc;
}

/* bench_floor_key_load - the private key of path and its public half, each decoded once */
struct bench_floor_key *bench_floor_key_load(const char *path)
{
	struct bench_floor_key *k = calloc(1, sizeof *k);
	FILE *f = fopen(path, "r");
	unsigned char der[1024], *q = der;
	const unsigned char *r = der;
	size_t n = sizeof der;
	if (!k || !f)
		goto fail;
	k->priv = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	if (!k->priv)
		goto fail;
	k->ed = EVP_PKEY_get_base_id(k->priv) == EVP_PKEY_ED25519;
	if (k->ed) {
		unsigned char seed[crypto_sign_ed25519_SEEDBYTES];
		size_t seed_len = sizeof seed;
		if (sodium_init() < 0 || EVP_PKEY_get_raw_private_key(k->priv, seed, &seed_len) != 1 ||
		    seed_len != sizeof seed || crypto_sign_ed25519_seed_keypair(k->ed_public, k->ed_secret, seed) != 0 ||
		    EVP_PKEY_get_raw_public_key(k->priv, der, &n) != 1)
			goto fail;
		k->pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, n);
	} else {
		int len = i2d_PUBKEY(k->priv, NULL);
		if (len <= 0 || (size_t)len > sizeof der || i2d_PUBKEY(k->priv, &q) != len)
			goto fail;
		k->pub = d2i_PUBKEY(NULL, &r, len);
		k->sign_ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->priv, NULL);
		k->verify_ctx = k->pub ? EVP_PKEY_CTX_new_from_pkey(NULL, k->pub, NULL) : NULL;
		if (!k->sign_ctx || !k->verify_ctx)
			goto fail;
	}
	if (!k->pub)
		goto fail;
	fclose(f);
	return k;
fail:
	if (f)
		fclose(f);
	bench_floor_key_free(k);
	return NULL;
}

/* bench_floor_key_free - release a key */
void bench_floor_key_free(struct bench_floor_key *k)
{
	if (!k)
		return;
	EVP_PKEY_CTX_free(k->sign_ctx);
	EVP_PKEY_CTX_free(k->verify_ctx);
	EVP_PKEY_free(k->priv);
	EVP_PKEY_free(k->pub);
	free(k);
}

/* bench_floor_hash - one digest of data */
size_t bench_floor_hash(enum bench_hash h, const void *data, size_t len, unsigned char *out)
{
	unsigned n = 0;
	const EVP_MD *md = bench_floor_md_get(h);
	if (!md || EVP_Digest(data, len, out, &n, md, NULL) != 1)
		return 0;
	return n;
}

/* bench_floor_sign - hash msg, sign the digest */
int bench_floor_sign(const struct bench_floor_key *k, enum bench_hash h, const void *msg, size_t len,
		     unsigned char *sig, size_t *sig_len)
{
	unsigned char digest[EVP_MAX_MD_SIZE], buf[512];
	size_t dlen = bench_floor_hash(h, msg, len, digest), slen = sizeof buf;
	int ok;
	if (!dlen)
		return -1;
	if (k->ed) {
		ok = crypto_sign_ed25519_detached(buf, NULL, digest, dlen, k->ed_secret) == 0;
		slen = crypto_sign_ed25519_BYTES;
	} else {
		ok = EVP_PKEY_sign_init(k->sign_ctx) == 1 &&
		     EVP_PKEY_CTX_set_rsa_padding(k->sign_ctx, RSA_PKCS1_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_signature_md(k->sign_ctx, bench_floor_md_get(h)) == 1 &&
		     EVP_PKEY_sign(k->sign_ctx, buf, &slen, digest, dlen) == 1;
	}
	if (!ok)
		return -1;
	if (sig) {
		memcpy(sig, buf, slen);
		*sig_len = slen;
	}
	return 0;
}

/* bench_floor_verify - hash msg, verify sig over the digest */
int bench_floor_verify(const struct bench_floor_key *k, enum bench_hash h, const void *msg, size_t len,
		       const unsigned char *sig, size_t sig_len)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	size_t dlen = bench_floor_hash(h, msg, len, digest);
	if (!dlen)
		return -1;
	if (k->ed)
		return sig_len == crypto_sign_ed25519_BYTES &&
		       crypto_sign_ed25519_verify_detached(sig, digest, dlen, k->ed_public) == 0;
	if (EVP_PKEY_verify_init(k->verify_ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(k->verify_ctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(k->verify_ctx, bench_floor_md_get(h)) != 1)
		return -1;
	return EVP_PKEY_verify(k->verify_ctx, sig, sig_len, digest, dlen);
}
