/*
 * crypto.c - hashing, signing and verification on top of OpenSSL.  The one
 * file of dkmod that includes OpenSSL headers.
 *
 * The per-message path (hashing, RSA public keys and their verification)
 * uses OpenSSL's low-level SHA and RSA functions, deprecated in OpenSSL 3 but
 * kept by it: they need no provider, so a process never builds OpenSSL 3's
 * algorithm tables (about a third of a one-message process such as
 * dkmod-pipe) and a verification skips the provider dispatch.  Private keys
 * and key generation go through EVP.  Ed25519 signatures are made and checked
 * by libsodium (ed25519.c), 1.6-2.4 times as fast as OpenSSL 3's: OpenSSL
 * reads the key file, and the raw seed goes to libsodium.
 *
 * crypto_verify reports a key that cannot sign with alg (Ed25519 with SHA-1)
 * and a signature longer than the key's as -1 (error), never as 0.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1 /* the low-level calls above, on purpose */
#include "key/crypto.h"
#include "key/ed25519.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#define CRYPTO_ED25519_SIG ED25519_SIG
#define CRYPTO_ED25519_RAW ED25519_PUBLIC

struct crypto_pubkey {
	enum crypto_keytype type;
	RSA *rsa;       /* RSA keys */
	unsigned char ed_raw[CRYPTO_ED25519_RAW]; /* Ed25519 keys: p= as published */
};

/* A running hash: the low-level context of its algorithm. */
struct crypto_hasher {
	enum crypto_hash alg;
	union {
		SHA_CTX sha1;
		SHA256_CTX sha256;
	} u;
};

struct crypto_privkey {
	EVP_PKEY *pkey;
	enum crypto_keytype type;
	EVP_PKEY_CTX *sign_ctx[2];  /* RSA: set up once per hash (SHA-1, SHA-256), on first use */
	bool ed_ready;                       /* Ed25519: ed_secret set, on first use */
	unsigned char ed_secret[ED25519_SECRET]; /* Ed25519: libsodium's signing secret */
};

static _Thread_local char crypto_errbuf[256];

static pthread_once_t crypto_init_once = PTHREAD_ONCE_INIT;
static pthread_once_t crypto_md_once = PTHREAD_ONCE_INIT;
static EVP_MD *crypto_md_table[2];

/* crypto_init_openssl - start OpenSSL without reading openssl.cnf (dkmod needs nothing from it,
 * and parsing it costs a process per message, dkmod-pipe, more than a verification) and without
 * its error texts (1.5 MB, loaded at the first error otherwise: the mail path never shows them) */
static void crypto_init_openssl(void)
{
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL);
}

/* crypto_error_strings - for programs that show OpenSSL's reasons (crypto_last_error) */
void crypto_error_strings(void)
{
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL);
}

/* crypto_init - once per process, before the first OpenSSL call of each function that makes an
 * object (a no-op if the program started OpenSSL itself) */
static void crypto_init(void)
{
	pthread_once(&crypto_init_once, crypto_init_openssl);
}

/* crypto_fail - remember why an operation failed and empty OpenSSL's error queue */
static void crypto_fail(const char *ours)
{
	/* the oldest queued error is the root cause, later ones only wrap it */
	unsigned long e = ERR_peek_error();

	if (e)
		ERR_error_string_n(e, crypto_errbuf, sizeof crypto_errbuf);
	else
		snprintf(crypto_errbuf, sizeof crypto_errbuf, "%s", ours);
	ERR_clear_error();
}

/* crypto_md_fetch - fetch the digests once: a legacy EVP_sha256() would be re-fetched on every init */
static void crypto_md_fetch(void)
{
	crypto_md_table[CRYPTO_SHA1] = EVP_MD_fetch(NULL, "SHA1", NULL);
	crypto_md_table[CRYPTO_SHA256] = EVP_MD_fetch(NULL, "SHA256", NULL);
	ERR_clear_error();
}

/* crypto_md - the EVP_MD of alg, or NULL */
static const EVP_MD *crypto_md(enum crypto_hash alg)
{
	crypto_init();
	if (alg != CRYPTO_SHA1 && alg != CRYPTO_SHA256)
		return NULL;
	pthread_once(&crypto_md_once, crypto_md_fetch);
	return crypto_md_table[alg];
}

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

/* crypto_keytype_of - our key type for pkey; -1 if it is neither RSA nor Ed25519 */
static int crypto_keytype_of(const EVP_PKEY *pkey)
{
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		return CRYPTO_KEY_RSA;
	case EVP_PKEY_ED25519:
		return CRYPTO_KEY_ED25519;
	}
	return -1;
}

/* crypto_key_bits - modulus bits for RSA; 256 for Ed25519, where OpenSSL says 253 */
static unsigned crypto_key_bits(const EVP_PKEY *pkey, enum crypto_keytype type)
{
	if (type == CRYPTO_KEY_ED25519)
		return 256;
	return (unsigned)EVP_PKEY_get_bits(pkey);
}

/* crypto_pubkey_wrap - own rsa (NULL for Ed25519) in a new crypto_pubkey; frees it on failure */
static struct crypto_pubkey *crypto_pubkey_wrap(RSA *rsa, enum crypto_keytype type)
{
	struct crypto_pubkey *k = calloc(1, sizeof *k);

	if (!k) {
		RSA_free(rsa);
		crypto_fail("out of memory");
		return NULL;
	}
	k->rsa = rsa;
	k->type = type;
	return k;
}

/* crypto_der_item - the DER item of the given tag at *p (before end), definite minimal length;
 * its contents and *p moved past it, or NULL */
static const unsigned char *crypto_der_item(const unsigned char **p, const unsigned char *end, unsigned char tag,
					    size_t *len)
{
	const unsigned char *q = *p;
	size_t n;
	if (end - q < 2 || q[0] != tag)
		return NULL;
	n = q[1];
	q += 2;
	if (n & 0x80) {
		size_t k = n & 0x7f;
		if (k == 0 || k > 3 || (size_t)(end - q) < k || q[0] == 0)
			return NULL; /* indefinite, too long for a key, or not minimal */
		n = 0;
		for (size_t i = 0; i < k; i++)
			n = n << 8 | q[i];
		q += k;
		if (n < 0x80)
			return NULL;
	}
	if ((size_t)(end - q) < n)
		return NULL;
	*p = q + n;
	*len = n;
	return q;
}

/* crypto_spki_rsa - the RSAPublicKey inside a DER SubjectPublicKeyInfo of rsaEncryption (parameters
 * NULL or absent), or NULL when der is anything else: read here, because OpenSSL's SPKI decoder
 * tries each of its provider decoders in turn, a cost a process per message (dkmod-pipe) pays for
 * every key */
static const unsigned char *crypto_spki_rsa(const unsigned char *der, size_t len, size_t *key_len)
{
	static const unsigned char rsa_oid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
	const unsigned char *p = der, *end = der + len, *spki, *alg, *bits;
	size_t n, alg_len, bits_len;
	if (!(spki = crypto_der_item(&p, end, 0x30, &n)) || p != end)
		return NULL;
	p = spki;
	end = spki + n;
	if (!(alg = crypto_der_item(&p, end, 0x30, &alg_len)) || !(bits = crypto_der_item(&p, end, 0x03, &bits_len)) ||
	    p != end)
		return NULL;
	if (alg_len < sizeof rsa_oid || memcmp(alg, rsa_oid, sizeof rsa_oid) != 0 ||
	    !(alg_len == sizeof rsa_oid ||
	      (alg_len == sizeof rsa_oid + 2 && alg[sizeof rsa_oid] == 0x05 && alg[sizeof rsa_oid + 1] == 0)))
		return NULL;
	if (bits_len < 2 || bits[0] != 0) /* no unused bits */
		return NULL;
	*key_len = bits_len - 1;
	return bits + 1;
}

/* crypto_rsa_insane - why an RSA public key cannot be a real one, or NULL: e=1 makes every
 * "signature" valid (m^1 = m), an even e has no inverse, an even modulus is no product of two
 * odd primes, and a public exponent past 64 bits only makes verifying cost like signing */
static const char *crypto_rsa_insane(const RSA *rsa)
{
	const BIGNUM *n = NULL, *e = NULL;
	RSA_get0_key(rsa, &n, &e, NULL);
	if (!n || !e || BN_is_zero(n) || BN_is_zero(e))
		return "RSA key without a modulus or exponent";
	if (!BN_is_odd(e) || BN_is_one(e))
		return "RSA public exponent is not an odd number of at least 3";
	if (BN_num_bits(e) > 64)
		return "RSA public exponent is longer than 64 bits";
	if (!BN_is_odd(n) || BN_cmp(e, n) >= 0)
		return "RSA modulus is not odd or not above the exponent";
	return NULL;
}

/* crypto_pubkey_from_spki - RSA key from DER SubjectPublicKeyInfo, or a bare PKCS#1 RSAPublicKey
 * (decoded by the low-level RSA functions: no provider decoders) */
struct crypto_pubkey *crypto_pubkey_from_spki(const unsigned char *der, size_t len)
{
	const unsigned char *p = der, *key;
	size_t key_len = 0;
	RSA *rsa = NULL;

	crypto_init();
	if (!der || len == 0 || len > LONG_MAX) {
		crypto_fail("empty public key");
		return NULL;
	}
	if ((key = crypto_spki_rsa(der, len, &key_len)) != NULL) {
		p = key;
		rsa = d2i_RSAPublicKey(NULL, &p, (long)key_len);
		if (rsa && p == key + key_len) {
			p = der + len; /* the whole SPKI was the key */
		} else { /* bytes after the key: OpenSSL's decoder has the last word */
			RSA_free(rsa);
			rsa = NULL;
		}
	}
	if (!rsa) { /* anything else goes through OpenSSL's own SPKI decoder */
		p = der;
		rsa = d2i_RSA_PUBKEY(NULL, &p, (long)len);
	}
	if (!rsa) {
		/* old DomainKeys records publish the PKCS#1 RSAPublicKey alone */
		ERR_clear_error();
		p = der;
		rsa = d2i_RSAPublicKey(NULL, &p, (long)len);
	}
	/* trailing bytes mean the record is not the key it claims to be; RSA-PSS keys are not DKIM keys */
	const char *insane = NULL;
	if (!rsa || p != der + len || RSA_test_flags(rsa, RSA_FLAG_TYPE_MASK) != RSA_FLAG_TYPE_RSA ||
	    RSA_size(rsa) > CRYPTO_MAX_SIG || (insane = crypto_rsa_insane(rsa))) {
		RSA_free(rsa);
		ERR_clear_error();
		crypto_fail(insane ? insane : "not an RSA public key");
		return NULL;
	}
	return crypto_pubkey_wrap(rsa, CRYPTO_KEY_RSA);
}

/* crypto_pubkey_from_ed25519 - key from the raw 32 bytes of RFC 8463 p= (kept as they are: the
 * point is decoded, and a bad one refused, by each verification) */
struct crypto_pubkey *crypto_pubkey_from_ed25519(const unsigned char *raw, size_t len)
{
	struct crypto_pubkey *k;

	if (!raw || len != CRYPTO_ED25519_RAW) {
		crypto_fail("an Ed25519 public key is 32 bytes");
		return NULL;
	}
	if (ed25519_ready() != 0) {
		crypto_fail("cannot start libsodium");
		return NULL;
	}
	if ((k = crypto_pubkey_wrap(NULL, CRYPTO_KEY_ED25519)) != NULL)
		memcpy(k->ed_raw, raw, len);
	return k;
}

/* crypto_pubkey_type - RSA or Ed25519 */
enum crypto_keytype crypto_pubkey_type(const struct crypto_pubkey *k)
{
	return k->type;
}

/* crypto_pubkey_bits - modulus size for RSA, 256 for Ed25519 */
unsigned crypto_pubkey_bits(const struct crypto_pubkey *k)
{
	return k->type == CRYPTO_KEY_RSA ? (unsigned)RSA_bits(k->rsa) : 256;
}

/* crypto_pubkey_free - release a public key (NULL is fine) */
void crypto_pubkey_free(struct crypto_pubkey *k)
{
	if (!k)
		return;
	RSA_free(k->rsa);
	free(k);
}

/* crypto_rsa_ctx - a PKEY context ready for PKCS#1 v1.5 with alg's DigestInfo; NULL on failure */
static EVP_PKEY_CTX *crypto_rsa_ctx(EVP_PKEY *pkey, enum crypto_hash alg, bool sign)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);

	if (!ctx)
		return NULL;
	if ((sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, crypto_md(alg)) <= 0) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* crypto_verify_rsa - PKCS#1 v1.5 check of sig over digest; 1, 0 or -1 */
static int crypto_verify_rsa(RSA *rsa, enum crypto_hash alg, const unsigned char *digest, size_t digest_len,
			     const unsigned char *sig, size_t sig_len)
{
	size_t keylen = (size_t)RSA_size(rsa);
	unsigned char padded[CRYPTO_MAX_SIG];

	if (sig_len > keylen || keylen > sizeof padded) {
		crypto_fail("signature longer than the key");
		return -1;
	}
	/* the value is what counts: a signer that dropped leading zero bytes still signed it */
	if (sig_len < keylen) {
		memset(padded, 0, keylen - sig_len);
		memcpy(padded + keylen - sig_len, sig, sig_len);
		sig = padded;
		sig_len = keylen;
	}
	if (RSA_verify(alg == CRYPTO_SHA1 ? NID_sha1 : NID_sha256, digest, (unsigned)digest_len, sig,
		       (unsigned)sig_len, rsa) != 1) {
		crypto_fail("RSA signature does not verify");
		return 0;
	}
	return 1;
}

/* crypto_verify_ed25519 - PureEdDSA check of sig over the digest bytes (libsodium); 1, 0 or -1 */
static int crypto_verify_ed25519(const struct crypto_pubkey *k, const unsigned char *digest, size_t digest_len,
				 const unsigned char *sig, size_t sig_len)
{
	if (sig_len > CRYPTO_ED25519_SIG) {
		crypto_fail("signature longer than the key's");
		return -1;
	}
	if (sig_len < CRYPTO_ED25519_SIG) {
		crypto_fail("Ed25519 signature too short");
		return 0;
	}
	if (!ed25519_verify(k->ed_raw, digest, digest_len, sig)) {
		crypto_fail("Ed25519 signature does not verify");
		return 0;
	}
	return 1;
}

/* crypto_verify - check sig over a precomputed digest; 1 valid, 0 invalid, -1 error */
int crypto_verify(const struct crypto_pubkey *k, enum crypto_hash alg, const unsigned char *digest,
		  size_t digest_len, const unsigned char *sig, size_t sig_len)
{
	if (!k || digest_len != crypto_hash_size(alg) || digest_len == 0) {
		crypto_fail("bad digest for the hash algorithm");
		return -1;
	}
	if (k->type == CRYPTO_KEY_RSA)
		return crypto_verify_rsa(k->rsa, alg, digest, digest_len, sig, sig_len);
	/* RFC 8463 defines Ed25519 with SHA-256 only */
	if (alg != CRYPTO_SHA256) {
		crypto_fail("Ed25519 is only defined with SHA-256");
		return -1;
	}
	return crypto_verify_ed25519(k, digest, digest_len, sig, sig_len);
}

/* crypto_no_passphrase - refuse to prompt for a passphrase; notes that one was wanted */
static int crypto_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	*(bool *)u = true;
	return -1;
}

/* crypto_privkey_refuse - fail a key load with reason */
static struct crypto_privkey *crypto_privkey_refuse(const char **why, const char *reason)
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

/* crypto_last_error - text of this thread's last crypto failure, never NULL */
const char *crypto_last_error(void)
{
	return crypto_errbuf[0] ? crypto_errbuf : "no error";
}

/*
 * Key management: generating, writing and comparing keys (dkmod keygen,
 * zone, testkey, rotate).
 */

/* crypto_privkey_generate - a new RSA (bits) or Ed25519 key; NULL and *why on failure */
struct crypto_privkey *crypto_privkey_generate(enum crypto_keytype t, unsigned bits, const char **why)
{
	struct crypto_privkey *k;
	EVP_PKEY *pkey = NULL;

	crypto_init();
	if (t == CRYPTO_KEY_RSA) {
		/* CRYPTO_MAX_SIG bounds the modulus; below 512 bits no verifier accepts the key */
		if (bits < 512 || bits > CRYPTO_MAX_SIG * 8)
			return crypto_privkey_refuse(why, "unsupported RSA key size");
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	} else if (t == CRYPTO_KEY_ED25519) {
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	} else {
		return crypto_privkey_refuse(why, "unsupported key type");
	}
	if (!pkey)
		return crypto_privkey_refuse(why, "key generation failed");
	k = calloc(1, sizeof *k);
	if (!k) {
		EVP_PKEY_free(pkey);
		return crypto_privkey_refuse(why, "out of memory");
	}
	k->pkey = pkey;
	k->type = t;
	return k;
}

/* crypto_write_all - write len bytes to fd; 0 or -1 (errno set) */
static int crypto_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* crypto_privkey_write_pem - write k as unencrypted PKCS#8 PEM to a new file of mode 0600 */
int crypto_privkey_write_pem(const struct crypto_privkey *k, const char *path, const char **why)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *pem = NULL;
	long len;
	int fd, saved;

	if (!bio || !PEM_write_bio_PKCS8PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL) ||
	    (len = BIO_get_mem_data(bio, &pem)) <= 0) {
		BIO_free(bio);
		crypto_privkey_refuse(why, "cannot encode the private key");
		errno = EINVAL;
		return -1;
	}
	/* O_EXCL: never replace a key that may still be published and signing */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		saved = errno;
		OPENSSL_cleanse(pem, (size_t)len);
		BIO_free(bio);
		crypto_privkey_refuse(why, saved == EEXIST ? "the file exists" : "cannot create the key file");
		errno = saved;
		return -1;
	}
	/* the umask may not remove bits from 0600, but a default ACL could add some */
	if (fchmod(fd, 0600) != 0 || crypto_write_all(fd, pem, (size_t)len) != 0 || fsync(fd) != 0) {
		saved = errno;
		close(fd);
		unlink(path);
		OPENSSL_cleanse(pem, (size_t)len);
		BIO_free(bio);
		crypto_privkey_refuse(why, "cannot write the key file");
		errno = saved;
		return -1;
	}
	OPENSSL_cleanse(pem, (size_t)len);
	BIO_free(bio);
	if (close(fd) != 0) {
		saved = errno;
		unlink(path);
		crypto_privkey_refuse(why, "cannot write the key file");
		errno = saved;
		return -1;
	}
	return 0;
}

/* crypto_pubkey_matches - 1 if pub is the public half of priv, 0 if not */
int crypto_pubkey_matches(const struct crypto_pubkey *pub, const struct crypto_privkey *priv)
{
	EVP_PKEY *wrapped = NULL;
	int rc;

	if (!pub || !priv || pub->type != priv->type)
		return 0;
	if (pub->type == CRYPTO_KEY_ED25519) {
		unsigned char raw[CRYPTO_ED25519_RAW];
		return crypto_privkey_public(priv, raw, sizeof raw) == sizeof raw &&
		       memcmp(raw, pub->ed_raw, sizeof raw) == 0;
	}
	if (!(wrapped = EVP_PKEY_new()) || EVP_PKEY_set1_RSA(wrapped, pub->rsa) != 1) {
		EVP_PKEY_free(wrapped);
		ERR_clear_error();
		return 0;
	}
	rc = EVP_PKEY_eq(wrapped, priv->pkey);
	EVP_PKEY_free(wrapped);
	ERR_clear_error();
	return rc == 1;
}
