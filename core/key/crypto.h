/*
 * crypto.h - hashing, public-key verification and signing: the only door to
 * OpenSSL (the crypto files, crypto_openssl.h, are the only ones that include an OpenSSL header).
 */
#ifndef DKMOD_CRYPTO_H
#define DKMOD_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

enum crypto_hash { CRYPTO_SHA1 = 0, CRYPTO_SHA256 };
enum crypto_keytype { CRYPTO_KEY_RSA = 0, CRYPTO_KEY_ED25519 };

#define CRYPTO_MAX_DIGEST 32
#define CRYPTO_MAX_SIG 1024 /* bytes: RSA up to 8192 bits */

/* crypto_hash_size - digest length in bytes (20 or 32) */
size_t crypto_hash_size(enum crypto_hash alg);

struct crypto_hasher;
/* crypto_hasher_new - a running hash; NULL on failure; free with crypto_hasher_free */
struct crypto_hasher *crypto_hasher_new(enum crypto_hash alg);
/* crypto_hasher_update - add bytes; returns 0, or -1 on failure */
int crypto_hasher_update(struct crypto_hasher *h, const void *data, size_t len);
/* crypto_hasher_final - write the digest (crypto_hash_size bytes) to out; 0 or -1; the hasher may then only be freed */
int crypto_hasher_final(struct crypto_hasher *h, unsigned char *out);
void crypto_hasher_free(struct crypto_hasher *h);
/* crypto_hash - one-shot digest of data into out; 0 or -1 */
int crypto_hash(enum crypto_hash alg, const void *data, size_t len, unsigned char *out);

struct crypto_pubkey;
/* crypto_pubkey_from_spki - RSA key from DER SubjectPublicKeyInfo (DKIM/DK p=); NULL if not an RSA SPKI.
 * Also accepts a bare DER RSAPublicKey (PKCS#1) as some old records publish. */
struct crypto_pubkey *crypto_pubkey_from_spki(const unsigned char *der, size_t len);
/* crypto_pubkey_from_ed25519 - key from the raw 32 bytes of RFC 8463 p=; NULL if len != 32 */
struct crypto_pubkey *crypto_pubkey_from_ed25519(const unsigned char *raw, size_t len);
enum crypto_keytype crypto_pubkey_type(const struct crypto_pubkey *k);
/* crypto_pubkey_bits - modulus size for RSA, 256 for Ed25519 */
unsigned crypto_pubkey_bits(const struct crypto_pubkey *k);
void crypto_pubkey_free(struct crypto_pubkey *k);

/* crypto_verify - check sig over a precomputed digest (RSA: PKCS#1 v1.5 with the
 * DigestInfo of alg; Ed25519: PureEdDSA over the digest bytes, RFC 8463).
 * Returns 1 valid, 0 invalid, -1 error (e.g. signature longer than the key). */
int crypto_verify(const struct crypto_pubkey *k, enum crypto_hash alg, const unsigned char *digest,
		  size_t digest_len, const unsigned char *sig, size_t sig_len);

struct crypto_privkey;
/* crypto_privkey_read - PEM private key (RSA PKCS#1 or PKCS#8, Ed25519 PKCS#8) from the open
 * file fd, size bytes from its offset (keyfile.h opens and checks key files).  On failure NULL
 * and *why set to a static English reason. */
struct crypto_privkey *crypto_privkey_read(int fd, size_t size, const char **why);
/* crypto_privkey_from_pem - the same from a buffer */
struct crypto_privkey *crypto_privkey_from_pem(const char *pem, size_t len, const char **why);
enum crypto_keytype crypto_privkey_type(const struct crypto_privkey *k);
unsigned crypto_privkey_bits(const struct crypto_privkey *k);
/* crypto_sign - sign a digest as crypto_verify checks it; writes up to CRYPTO_MAX_SIG bytes to sig,
 * sets *sig_len; 0 or -1 */
int crypto_sign(const struct crypto_privkey *k, enum crypto_hash alg, const unsigned char *digest,
		size_t digest_len, unsigned char *sig, size_t *sig_len);
/* crypto_privkey_public_der - the public half: DER SPKI for RSA, raw 32 bytes for Ed25519,
 * into out (cap bytes); returns length or 0 on failure (used by key tools and tests) */
size_t crypto_privkey_public(const struct crypto_privkey *k, unsigned char *out, size_t cap);
void crypto_privkey_free(struct crypto_privkey *k);

/* crypto_error_strings - load OpenSSL's error texts, for programs that show crypto_last_error (the
 * key tools); must come before any other crypto call: the engine starts OpenSSL without them */
void crypto_error_strings(void);
/* crypto_last_error - the crypto library's last error as text (for logs), never NULL */
const char *crypto_last_error(void);

/* Key management (dkmod keygen, zone, testkey, rotate). */

/* crypto_privkey_generate - a new key: RSA of bits (512 to 8192) or Ed25519 (bits ignored);
 * NULL and *why on failure; free with crypto_privkey_free */
struct crypto_privkey *crypto_privkey_generate(enum crypto_keytype t, unsigned bits, const char **why);
/* crypto_privkey_write_pem - write k as unencrypted PKCS#8 PEM to path, created with
 * O_CREAT|O_EXCL and mode 0600; 0, or -1 with *why and errno (EEXIST: the file exists) */
int crypto_privkey_write_pem(const struct crypto_privkey *k, const char *path, const char **why);
/* crypto_pubkey_matches - 1 if pub is the public half of priv, else 0 */
int crypto_pubkey_matches(const struct crypto_pubkey *pub, const struct crypto_privkey *priv);

#endif
