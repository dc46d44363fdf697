/*
 * crypto_pubkey.c - public keys from DNS records (RSA SubjectPublicKeyInfo
 * read strictly here, Ed25519 raw bytes) and signature verification.
 * crypto_verify reports a key that cannot sign with alg (Ed25519 with SHA-1)
 * and a signature longer than the key's as -1 (error), never as 0.
 */
#include "key/crypto_openssl.h"

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
