/*
 * crypto_openssl.h - what the files on top of OpenSSL share (crypto.c: start,
 * errors, digests, key facts; crypto_hash.c: hashing; crypto_pubkey.c:
 * public keys and verification; crypto_privkey.c: private keys and signing;
 * crypto_keygen.c: making and writing keys).  Only these files include it,
 * and with it OpenSSL.  Not part of any interface.
 *
 * The per-message path (hashing, RSA public keys and their verification)
 * uses OpenSSL's low-level SHA and RSA functions, deprecated in OpenSSL 3 but
 * kept by it: they need no provider, so a process never builds OpenSSL 3's
 * algorithm tables (about a third of a one-message process such as
 * dkmod-pipe) and a verification skips the provider dispatch.  Private keys
 * and key generation go through EVP.  Ed25519 signatures are made and checked
 * by libsodium (ed25519.c), 1.6-2.4 times as fast as OpenSSL 3's: OpenSSL
 * reads the key file, and the raw seed goes to libsodium.
 */
#ifndef DKMOD_CRYPTO_OPENSSL_H
#define DKMOD_CRYPTO_OPENSSL_H

#define OPENSSL_SUPPRESS_DEPRECATED 1 /* the low-level calls, on purpose */
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

/* crypto_init - once per process, before the first OpenSSL call of each function that makes an
 * object (a no-op if the program started OpenSSL itself) */
void crypto_init(void);
/* crypto_fail - remember why an operation failed and empty OpenSSL's error queue */
void crypto_fail(const char *ours);
/* crypto_md - the EVP_MD of alg, or NULL */
const EVP_MD *crypto_md(enum crypto_hash alg);
/* crypto_keytype_of - our key type for pkey; -1 if it is neither RSA nor Ed25519 */
int crypto_keytype_of(const EVP_PKEY *pkey);
/* crypto_key_bits - modulus bits for RSA; 256 for Ed25519, where OpenSSL says 253 */
unsigned crypto_key_bits(const EVP_PKEY *pkey, enum crypto_keytype type);
/* crypto_rsa_ctx - a PKEY context ready for PKCS#1 v1.5 with alg's DigestInfo; NULL on failure */
EVP_PKEY_CTX *crypto_rsa_ctx(EVP_PKEY *pkey, enum crypto_hash alg, bool sign);
/* crypto_privkey_refuse - fail a key load with reason (crypto_privkey.c); NULL */
struct crypto_privkey *crypto_privkey_refuse(const char **why, const char *reason);

#endif
