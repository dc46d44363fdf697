/*
 * crypto_privkey.c - private keys from PEM (never prompting for a
 * passphrase) and signing: RSA through a context kept per key and hash,
 * Ed25519 through libsodium.
 */
#include "key/crypto_openssl.h"

/* crypto_no_passphrase - refuse to prompt for a passphrase; notes that one was wanted */
static int crypto_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	*(bool *)u = true;
	return -1;
}

/* crypto_privkey_refuse - fail a key load with reason */
struct crypto_privkey *crypto_privkey_refuse(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	crypto_fail(reason);
	return NULL;
}

/* crypto_privkey_from_pem - a PEM private key (RSA PKCS#1 or PKCS#8, Ed25519 PKCS#8) from a buffer */
struct crypto_privkey *crypto_privkey_from_pem(const char *pem, size_t len, const char **why)
{
	struct crypto_privkey *k;
	bool encrypted = false;
	EVP_PKEY *pkey;
	BIO *bio;
	int type;

	crypto_init();
	if (!pem || len == 0 || len > INT_MAX)
		return crypto_privkey_refuse(why, "not a PEM private key");
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return crypto_privkey_refuse(why, "out of memory");
	pkey = PEM_read_bio_PrivateKey(bio, NULL, crypto_no_passphrase, &encrypted);
	BIO_free(bio);
	if (!pkey)
		return crypto_privkey_refuse(why, encrypted ? "encrypted private keys are not supported"
							    : "not a PEM private key");
	type = crypto_keytype_of(pkey);
	/* CRYPTO_MAX_SIG bounds the signature, so the RSA modulus too */
	if (type < 0 || (type == CRYPTO_KEY_RSA && EVP_PKEY_get_size(pkey) > CRYPTO_MAX_SIG)) {
		EVP_PKEY_free(pkey);
		return crypto_privkey_refuse(why, "unsupported key type");
	}
	k = calloc(1, sizeof *k);
	if (!k) {
		EVP_PKEY_free(pkey);
		return crypto_privkey_refuse(why, "out of memory");
	}
	k->pkey = pkey;
	k->type = (enum crypto_keytype)type;
	return k;
}

/* crypto_privkey_read - a PEM private key from the open file fd of size bytes; the copy read
 * is wiped */
struct crypto_privkey *crypto_privkey_read(int fd, size_t size, const char **why)
{
	size_t got = 0;
	char *pem = size ? malloc(size) : NULL;
	if (!pem)
		return crypto_privkey_refuse(why, "cannot read key file");
	/* read(2) straight into our buffer: no stdio copy of the key is left behind */
	while (got < size) {
		ssize_t n = read(fd, pem + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	struct crypto_privkey *k = got == size ? crypto_privkey_from_pem(pem, got, why)
					       : crypto_privkey_refuse(why, "cannot read key file");
	OPENSSL_cleanse(pem, size);
	free(pem);
	return k;
}

/* crypto_privkey_type - RSA or Ed25519 */
enum crypto_keytype crypto_privkey_type(const struct crypto_privkey *k)
{
	return k->type;
}

/* crypto_privkey_bits - modulus size for RSA, 256 for Ed25519 */
unsigned crypto_privkey_bits(const struct crypto_privkey *k)
{
	return crypto_key_bits(k->pkey, k->type);
}

/* crypto_sign_rsa - PKCS#1 v1.5 signature of digest with the key's cached context; 0 or -1 */
static int crypto_sign_rsa(struct crypto_privkey *k, enum crypto_hash alg, const unsigned char *digest,
			   size_t digest_len, unsigned char *sig, size_t *sig_len)
{
	EVP_PKEY_CTX **slot = &k->sign_ctx[alg == CRYPTO_SHA1 ? 0 : 1];
	size_t len = CRYPTO_MAX_SIG;
	int rc;

	if (!*slot && !(*slot = crypto_rsa_ctx(k->pkey, alg, true))) {
		crypto_fail("cannot set up RSA signing");
		return -1;
	}
	rc = EVP_PKEY_sign(*slot, sig, &len, digest, digest_len);
	if (rc != 1) {
		crypto_fail("RSA signing failed");
		return -1;
	}
	*sig_len = len;
	return 0;
}

/* crypto_sign_ed25519 - PureEdDSA signature of the digest bytes (libsodium), with the signing secret
 * made from the key's seed on first use; 0 or -1 */
static int crypto_sign_ed25519(struct crypto_privkey *k, const unsigned char *digest, size_t digest_len,
			       unsigned char *sig, size_t *sig_len)
{
	if (!k->ed_ready) {
		unsigned char seed[ED25519_SEED];
		size_t len = sizeof seed;
		int rc = EVP_PKEY_get_raw_private_key(k->pkey, seed, &len) == 1 && len == sizeof seed
				 ? ed25519_secret_from_seed(seed, k->ed_secret)
				 : -1;

		OPENSSL_cleanse(seed, sizeof seed);
		if (rc != 0) {
			crypto_fail("cannot read the Ed25519 private key");
			return -1;
		}
		k->ed_ready = true;
	}
	if (ed25519_sign(k->ed_secret, digest, digest_len, sig) != 0) {
		crypto_fail("Ed25519 signing failed");
		return -1;
	}
	*sig_len = CRYPTO_ED25519_SIG;
	return 0;
}

/* crypto_sign - sign a digest as crypto_verify checks it; 0 or -1 */
int crypto_sign(const struct crypto_privkey *k, enum crypto_hash alg, const unsigned char *digest,
		size_t digest_len, unsigned char *sig, size_t *sig_len)
{
	if (!k || !crypto_md(alg) || digest_len != crypto_hash_size(alg)) {
		crypto_fail("bad digest for the hash algorithm");
		return -1;
	}
	if (k->type == CRYPTO_KEY_RSA) /* the context caches are the only thing that changes */
		return crypto_sign_rsa((struct crypto_privkey *)k, alg, digest, digest_len, sig, sig_len);
	if (alg != CRYPTO_SHA256) {
		crypto_fail("Ed25519 is only defined with SHA-256");
		return -1;
	}
	return crypto_sign_ed25519((struct crypto_privkey *)k, digest, digest_len, sig, sig_len);
}

/* crypto_privkey_public - DER SPKI for RSA, raw 32 bytes for Ed25519; length or 0 */
size_t crypto_privkey_public(const struct crypto_privkey *k, unsigned char *out, size_t cap)
{
	size_t len = cap;
	int n;

	if (k->type == CRYPTO_KEY_ED25519) {
		if (EVP_PKEY_get_raw_public_key(k->pkey, NULL, &len) != 1 || len > cap ||
		    EVP_PKEY_get_raw_public_key(k->pkey, out, &len) != 1) {
			crypto_fail("cannot export the Ed25519 public key");
			return 0;
		}
		return len;
	}
	n = i2d_PUBKEY(k->pkey, NULL);
	if (n <= 0 || (size_t)n > cap) {
		crypto_fail("cannot export the RSA public key");
		return 0;
	}
	n = i2d_PUBKEY(k->pkey, &out);
	if (n <= 0) {
		crypto_fail("cannot export the RSA public key");
		return 0;
	}
	return (size_t)n;
}

/* crypto_privkey_free - release a private key (NULL is fine) */
void crypto_privkey_free(struct crypto_privkey *k)
{
	if (!k)
		return;
	EVP_PKEY_CTX_free(k->sign_ctx[0]);
	EVP_PKEY_CTX_free(k->sign_ctx[1]);
	ed25519_wipe(k->ed_secret, sizeof k->ed_secret);
	EVP_PKEY_free(k->pkey);
	free(k);
}
