/*
 * keytool_key.c - the private keys of the key tools (dkmod_key_* of dkmod.h):
 * made, loaded, written, and the text of their key records.  The crypto is
 * crypto.h's; struct dkmod_key only hides it from the tools.
 */
#include <stdlib.h>

#include "key/keyfile.h"
#include "key/keytool.h"

struct dkmod_key {
	struct crypto_privkey *k;
};

/* keytool_key_wrap - a dkmod_key around k (freed when none can be made) */
static enum dkmod_status keytool_key_wrap(struct crypto_privkey *k, struct dkmod_key **out, const char **why)
{
	*out = NULL;
	if (!k)
		return DKMOD_EKEY;
	if (!(*out = malloc(sizeof **out))) {
		crypto_privkey_free(k);
		*why = "out of memory";
		return DKMOD_ENOMEM;
	}
	(*out)->k = k;
	return DKMOD_OK;
}

/* dkmod_key_generate - a new RSA or Ed25519 key */
enum dkmod_status dkmod_key_generate(enum dkmod_key_type type, unsigned bits, struct dkmod_key **out, const char **why)
{
	enum crypto_keytype t = type == DKMOD_KEY_ED25519 ? CRYPTO_KEY_ED25519 : CRYPTO_KEY_RSA;
	return keytool_key_wrap(crypto_privkey_generate(t, bits, why), out, why);
}

/* dkmod_key_load - the private key of a key file, checked as the signer checks it */
enum dkmod_status dkmod_key_load(const char *path, struct dkmod_key **out, const char **why)
{
	return keytool_key_wrap(keyfile_load(path, why), out, why);
}

/* dkmod_key_type - RSA or Ed25519 */
enum dkmod_key_type dkmod_key_type(const struct dkmod_key *key)
{
	return crypto_privkey_type(key->k) == CRYPTO_KEY_ED25519 ? DKMOD_KEY_ED25519 : DKMOD_KEY_RSA;
}

/* dkmod_key_write_pem - the key as a new PKCS#8 PEM file of mode 0600 */
enum dkmod_status dkmod_key_write_pem(const struct dkmod_key *key, const char *path, const char **why)
{
	return crypto_privkey_write_pem(key->k, path, why) == 0 ? DKMOD_OK : DKMOD_EIO;
}

/* dkmod_key_free - NULL is fine */
void dkmod_key_free(struct dkmod_key *key)
{
	if (key)
		crypto_privkey_free(key->k);
	free(key);
}

/* dkmod_key_error - the crypto library's last error as text */
const char *dkmod_key_error(void)
{
	return crypto_last_error();
}

/* dkmod_key_error_strings - load the crypto library's error texts */
void dkmod_key_error_strings(void)
{
	crypto_error_strings();
}

/* dkmod_key_record - the TXT data of the key record of key's public half */
enum dkmod_status dkmod_key_record(const struct dkmod_key *key, enum dkmod_method m, unsigned flags, char **out,
				   size_t *len)
{
	unsigned char pub[CRYPTO_MAX_SIG + 64];
	size_t n = crypto_privkey_public(key->k, pub, sizeof pub);
	struct str s = STR_INIT;
	*out = NULL;
	if (n == 0)
		return DKMOD_ECRYPTO;
	if (keytool_record(&s, m, crypto_privkey_type(key->k), flags, pub, n) < 0) {
		str_free(&s);
		return DKMOD_EINVAL;
	}
	return keytool_take(&s, out, len);
}
