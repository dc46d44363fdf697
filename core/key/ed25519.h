/*
 * ed25519.h - Ed25519 (RFC 8032 PureEdDSA) signing and verification: the
 * only door to libsodium (ed25519.c is the only file that includes a libsodium
 * header).  crypto_privkey.c reads key files with OpenSSL and hands the raw keys here.
 */
#ifndef DKMOD_ED25519_H
#define DKMOD_ED25519_H

#include <stddef.h>

#define ED25519_SEED 32   /* the private key of RFC 8032 (what PKCS#8 holds) */
#define ED25519_PUBLIC 32 /* the public key as RFC 8463 publishes it in p= */
#define ED25519_SECRET 64 /* the signing secret: seed, then public key */
#define ED25519_SIG 64

/* ed25519_ready - start libsodium once per process (thread-safe); 0, or -1 if it cannot start */
int ed25519_ready(void);
/* ed25519_secret_from_seed - the signing secret of a seed (ED25519_SECRET bytes); 0 or -1 */
int ed25519_secret_from_seed(const unsigned char *seed, unsigned char *secret);
/* ed25519_sign - the signature (ED25519_SIG bytes) of msg with secret; 0 or -1 */
int ed25519_sign(const unsigned char *secret, const unsigned char *msg, size_t len, unsigned char *sig);
/* ed25519_verify - 1 if sig (ED25519_SIG bytes) is pub's signature of msg, else 0; rejects
 * small-order and non-canonical public keys and R values (see doc/ARCHITECTURE.md) */
int ed25519_verify(const unsigned char *pub, const unsigned char *msg, size_t len, const unsigned char *sig);
/* ed25519_wipe - zero secret bytes in a way the compiler keeps */
void ed25519_wipe(void *p, size_t len);

#endif
