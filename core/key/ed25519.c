/*
 * ed25519.c - Ed25519 signing and verification on top of libsodium.  The one
 * file of dkmod that includes libsodium headers.
 *
 * Only the crypto_sign_ed25519_* functions are called, never libsodium's
 * generic crypto_sign() or crypto_hash(): those share their names with ours
 * (crypto.h), and a static link (dkmod-pipe) must not pull their objects in.
 * For the same reason this file includes the Ed25519 header alone, not
 * <sodium.h>.
 */
#include "key/ed25519.h"

#include <pthread.h>

#include <sodium/core.h>
#include <sodium/crypto_sign_ed25519.h>
#include <sodium/utils.h>

_Static_assert(ED25519_SEED == crypto_sign_ed25519_SEEDBYTES, "seed size");
_Static_assert(ED25519_PUBLIC == crypto_sign_ed25519_PUBLICKEYBYTES, "public key size");
_Static_assert(ED25519_SECRET == crypto_sign_ed25519_SECRETKEYBYTES, "secret size");
_Static_assert(ED25519_SIG == crypto_sign_ed25519_BYTES, "signature size");

static pthread_once_t ed25519_once = PTHREAD_ONCE_INIT;
static int ed25519_started = -1;

/* ed25519_start - sodium_init once (0: started now, 1: the program had started it) */
static void ed25519_start(void)
{
	ed25519_started = sodium_init() < 0 ? -1 : 0;
}

/* ed25519_ready - start libsodium once per process; 0 or -1 */
int ed25519_ready(void)
{
	pthread_once(&ed25519_once, ed25519_start);
	return ed25519_started;
}

/* ed25519_secret_from_seed - seed || public key, as libsodium signs with; 0 or -1 */
int ed25519_secret_from_seed(const unsigned char *seed, unsigned char *secret)
{
	unsigned char pub[ED25519_PUBLIC];

	if (ed25519_ready() != 0 || crypto_sign_ed25519_seed_keypair(pub, secret, seed) != 0)
		return -1;
	return 0;
}

/* ed25519_sign - detached signature of msg; 0 or -1 */
int ed25519_sign(const unsigned char *secret, const unsigned char *msg, size_t len, unsigned char *sig)
{
	return crypto_sign_ed25519_detached(sig, NULL, msg, len, secret) == 0 ? 0 : -1;
}

/* ed25519_verify - 1 valid, 0 not */
int ed25519_verify(const unsigned char *pub, const unsigned char *msg, size_t len, const unsigned char *sig)
{
	return crypto_sign_ed25519_verify_detached(sig, msg, len, pub) == 0;
}

/* ed25519_wipe - zero secret bytes */
void ed25519_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}
