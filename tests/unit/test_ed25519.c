/*
 * test_ed25519.c - unit tests of core/key/ed25519.c (libsodium) and of the crypto files'
 * Ed25519 path: libsodium starts once from any thread; signatures equal
 * OpenSSL's for the same key and message (Ed25519 is deterministic) and each
 * library verifies the other's; and where the two disagree (small-order
 * public keys and R values, which libsodium refuses) our answer is the strict
 * one, as doc/ARCHITECTURE.md says.
 */
#include "key/crypto.h"
#include "key/ed25519.h"
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <sodium/crypto_core_ed25519.h>
#include "unit.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TEST_THREADS 4
#define TEST_DIGESTS 64

/* test_ready_thread - start libsodium from a thread; its answer */
static void *test_ready_thread(void *arg)
{
	*(int *)arg = ed25519_ready();
	return NULL;
}

/* test_ready - several threads starting libsodium at once all see it started */
static void test_ready(void)
{
	pthread_t t[TEST_THREADS];
	int rc[TEST_THREADS];
	int ok = 0;

	for (int i = 0; i < TEST_THREADS; i++) {
		rc[i] = -2;
		if (pthread_create(&t[i], NULL, test_ready_thread, &rc[i]) != 0)
			rc[i] = -3;
	}
	for (int i = 0; i < TEST_THREADS; i++) {
		if (rc[i] != -3)
			pthread_join(t[i], NULL);
		ok += rc[i] == 0;
	}
	CHECK_INT("libsodium starts once from concurrent threads", ok, TEST_THREADS);
	CHECK_INT("libsodium started: a later call says so", ed25519_ready(), 0);
}

/* ossl_sign - OpenSSL's Ed25519 signature of msg (the oracle); true on success */
static bool ossl_sign(EVP_PKEY *pkey, const unsigned char *msg, size_t len, unsigned char *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t sig_len = ED25519_SIG;
	bool ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
		  EVP_DigestSign(ctx, sig, &sig_len, msg, len) == 1 && sig_len == ED25519_SIG;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* ossl_verify - OpenSSL's answer for sig over msg under the raw public key: 1 or 0 */
static int ossl_verify(const unsigned char *pub, const unsigned char *msg, size_t len, const unsigned char *sig)
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, ED25519_PUBLIC);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = pkey && ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
		 EVP_DigestVerify(ctx, sig, ED25519_SIG, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return rc;
}

/* our_verify - crypto_verify's answer for sig over the 32-byte digest under the raw public key */
static int our_verify(const unsigned char *pub, const unsigned char *digest, const unsigned char *sig)
{
	struct crypto_pubkey *k = crypto_pubkey_from_ed25519(pub, ED25519_PUBLIC);
	int rc = k ? crypto_verify(k, CRYPTO_SHA256, digest, 32, sig, ED25519_SIG) : -2;
	crypto_pubkey_free(k);
	return rc;
}

/* test_privkey_of - the same OpenSSL key as a crypto_privkey (through PEM, as key files are read) */
static struct crypto_privkey *test_privkey_of(EVP_PKEY *pkey)
{
	struct crypto_privkey *k = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long len;
	const char *why = NULL;

	if (bio && PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) == 1 &&
	    (len = BIO_get_mem_data(bio, &pem)) > 0)
		k = crypto_privkey_from_pem(pem, (size_t)len, &why);
	BIO_free(bio);
	return k;
}

/* test_same_as_openssl - one key, many digests and message lengths: identical signatures, and
 * each library verifies the other's */
static void test_same_as_openssl(void)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	unsigned char pub[ED25519_PUBLIC], seed[ED25519_SEED], secret[ED25519_SECRET];
	unsigned char digest[32], ours[CRYPTO_MAX_SIG], theirs[ED25519_SIG], msg[300];
	size_t len = sizeof pub, seed_len = sizeof seed, sig_len;
	int same = 0, ours_in_openssl = 0, theirs_in_ours = 0, tampered = 0, raw_same = 0, raw_verify = 0;
	struct crypto_privkey *k;

	CHECK("openssl makes an Ed25519 key", pkey != NULL);
	if (!pkey)
		return;
	EVP_PKEY_get_raw_public_key(pkey, pub, &len);
	EVP_PKEY_get_raw_private_key(pkey, seed, &seed_len);
	k = test_privkey_of(pkey);
	CHECK("the key loads from PEM", k != NULL);
	if (!k) {
		EVP_PKEY_free(pkey);
		return;
	}
	srand(20);
	for (int i = 0; i < TEST_DIGESTS; i++) {
		for (size_t j = 0; j < sizeof digest; j++)
			digest[j] = (unsigned char)rand();
		sig_len = 0;
		if (crypto_sign(k, CRYPTO_SHA256, digest, sizeof digest, ours, &sig_len) != 0 ||
		    sig_len != ED25519_SIG || !ossl_sign(pkey, digest, sizeof digest, theirs))
			continue;
		same += memcmp(ours, theirs, ED25519_SIG) == 0;
		ours_in_openssl += ossl_verify(pub, digest, sizeof digest, ours);
		theirs_in_ours += our_verify(pub, digest, theirs) == 1;
		theirs[i % ED25519_SIG] ^= (unsigned char)(1u << (i % 8));
		tampered += our_verify(pub, digest, theirs) == 0;
	}
	CHECK_INT("our signatures equal OpenSSL's (same key, same digest)", same, TEST_DIGESTS);
	CHECK_INT("OpenSSL verifies our signatures", ours_in_openssl, TEST_DIGESTS);
	CHECK_INT("we verify OpenSSL's signatures", theirs_in_ours, TEST_DIGESTS);
	CHECK_INT("a flipped bit in OpenSSL's signature fails with us", tampered, TEST_DIGESTS);

	/* ed25519.c alone, on messages of every length up to 300 bytes (RFC 8032 has no length) */
	CHECK_INT("seed gives the signing secret", ed25519_secret_from_seed(seed, secret), 0);
	CHECK_MEM("the secret ends with the public key", secret + ED25519_SEED, ED25519_PUBLIC, pub, ED25519_PUBLIC);
	for (size_t n = 0; n < sizeof msg; n++) {
		msg[n] = (unsigned char)(n * 7 + 1);
		if (ed25519_sign(secret, msg, n, ours) != 0 || !ossl_sign(pkey, msg, n, theirs))
			continue;
		raw_same += memcmp(ours, theirs, ED25519_SIG) == 0;
		raw_verify += ed25519_verify(pub, msg, n, theirs) == 1 && ossl_verify(pub, msg, n, ours) == 1;
	}
	CHECK_INT("ed25519_sign equals OpenSSL at lengths 0-299", raw_same, (int)sizeof msg);
	CHECK_INT("each verifies the other's at lengths 0-299", raw_verify, (int)sizeof msg);
	ed25519_wipe(secret, sizeof secret);
	CHECK("ed25519_wipe zeroes", secret[0] == 0 && secret[ED25519_SECRET - 1] == 0);

	/* the public half is what matches, compared on the raw bytes */
	struct crypto_pubkey *p = crypto_pubkey_from_ed25519(pub, sizeof pub);
	CHECK_INT("the public key matches its private key", crypto_pubkey_matches(p, k), 1);
	crypto_pubkey_free(p);
	pub[5] ^= 1;
	p = crypto_pubkey_from_ed25519(pub, sizeof pub);
	CHECK_INT("another public key does not match", crypto_pubkey_matches(p, k), 0);
	crypto_pubkey_free(p);
	crypto_privkey_free(k);
	EVP_PKEY_free(pkey);
}

/* The order L of the base point, little-endian, and the base point B's encoding. */
static const unsigned char ed_order[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
					   0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
					   0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
static const unsigned char ed_base[32] = {0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					  0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					  0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66};

/* test_add_order - s += L (little-endian, 32 bytes): the same scalar, encoded non-canonically */
static void test_add_order(unsigned char *s)
{
	unsigned carry = 0;
	for (int i = 0; i < 32; i++) {
		carry += s[i] + ed_order[i];
		s[i] = (unsigned char)carry;
		carry >>= 8;
	}
}

/* test_small_order_r - a "signature" by the key of seed with R the identity point: S = h*a, so
 * S*B - h*A is the identity and the cofactorless check of RFC 8032 (OpenSSL's) passes */
static void test_small_order_r(const unsigned char *seed, const unsigned char *pub, const unsigned char *digest,
			       unsigned char *sig)
{
	unsigned char az[64], wide[64] = {0}, a[32], h[32], buf[96];

	SHA512(seed, ED25519_SEED, az);
	az[0] &= 248;
	az[31] &= 127;
	az[31] |= 64;
	memcpy(wide, az, 32);
	crypto_core_ed25519_scalar_reduce(a, wide);
	memset(sig, 0, ED25519_SIG);
	sig[0] = 1; /* R = (0, 1), the identity */
	memcpy(buf, sig, 32);
	memcpy(buf + 32, pub, 32);
	memcpy(buf + 64, digest, 32);
	SHA512(buf, sizeof buf, wide);
	crypto_core_ed25519_scalar_reduce(h, wide);
	crypto_core_ed25519_scalar_mul(sig + 32, h, a);
}

/* test_strictness - inputs on which the two libraries may differ; we must refuse all of them */
static void test_strictness(void)
{
	static const char seed_hex[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
	unsigned char seed[32], pub[32], secret[64], digest[32], sig[64], id[32] = {1}, id_long[32];
	char name[160];

	for (int i = 0; i < 32; i++)
		sscanf(seed_hex + 2 * i, "%2hhx", &seed[i]);
	memset(digest, 0x5a, sizeof digest);
	ed25519_secret_from_seed(seed, secret);
	memcpy(pub, secret + 32, 32);

	/* the baseline: a real signature passes in both */
	ed25519_sign(secret, digest, sizeof digest, sig);
	CHECK_INT("strict: a real signature passes with us", our_verify(pub, digest, sig), 1);
	CHECK_INT("strict: a real signature passes with OpenSSL", ossl_verify(pub, digest, 32, sig), 1);

	/* S + L: both refuse a non-canonical S (RFC 8032 5.1.7) */
	test_add_order(sig + 32);
	CHECK_INT("strict: S+L fails with us", our_verify(pub, digest, sig), 0);
	CHECK_INT("strict: S+L fails with OpenSSL too", ossl_verify(pub, digest, 32, sig), 0);

	/* the identity as public key: R = B, S = 1 "signs" every message under a cofactorless check */
	memcpy(sig, ed_base, 32);
	memset(sig + 32, 0, 32);
	sig[32] = 1;
	snprintf(name, sizeof name, "strict: identity public key, R=B S=1: OpenSSL says %d",
		 ossl_verify(id, digest, 32, sig));
	CHECK_INT(name, our_verify(id, digest, sig), 0);
	/* the same point encoded non-canonically (y = p + 1) */
	memset(id_long, 0xff, sizeof id_long);
	id_long[0] = 0xee;
	id_long[31] = 0x7f;
	snprintf(name, sizeof name, "strict: non-canonical identity public key: OpenSSL says %d",
		 ossl_verify(id_long, digest, 32, sig));
	CHECK_INT(name, our_verify(id_long, digest, sig), 0);

	/* a real key, R the identity: OpenSSL's cofactorless check accepts it */
	test_small_order_r(seed, pub, digest, sig);
	CHECK_INT("strict: small-order R passes OpenSSL (the difference this tests)", ossl_verify(pub, digest, 32, sig),
		  1);
	CHECK_INT("strict: small-order R fails with us", our_verify(pub, digest, sig), 0);
	ed25519_wipe(secret, sizeof secret);
}

int main(void)
{
	test_ready();
	test_same_as_openssl();
	test_strictness();
	return unit_done();
}
