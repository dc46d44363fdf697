/*
 * crypto.c - OpenSSL started once per process, its errors as text, the
 * digests fetched once, and the facts of a key the other crypto files ask.
 * The crypto files (crypto_openssl.h) are dkmod's only OpenSSL users.
 */
#include "key/crypto_openssl.h"

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
void crypto_init(void)
{
	pthread_once(&crypto_init_once, crypto_init_openssl);
}

/* crypto_fail - remember why an operation failed and empty OpenSSL's error queue */
void crypto_fail(const char *ours)
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
const EVP_MD *crypto_md(enum crypto_hash alg)
{
	crypto_init();
	if (alg != CRYPTO_SHA1 && alg != CRYPTO_SHA256)
		return NULL;
	pthread_once(&crypto_md_once, crypto_md_fetch);
	return crypto_md_table[alg];
}

/* crypto_keytype_of - our key type for pkey; -1 if it is neither RSA nor Ed25519 */
int crypto_keytype_of(const EVP_PKEY *pkey)
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
unsigned crypto_key_bits(const EVP_PKEY *pkey, enum crypto_keytype type)
{
	if (type == CRYPTO_KEY_ED25519)
		return 256;
	return (unsigned)EVP_PKEY_get_bits(pkey);
}

/* crypto_rsa_ctx - a PKEY context ready for PKCS#1 v1.5 with alg's DigestInfo; NULL on failure */
EVP_PKEY_CTX *crypto_rsa_ctx(EVP_PKEY *pkey, enum crypto_hash alg, bool sign)
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

/* crypto_last_error - text of this thread's last crypto failure, never NULL */
const char *crypto_last_error(void)
{
	return crypto_errbuf[0] ? crypto_errbuf : "no error";
}

/*
 * Key management: generating, writing and comparing keys (dkmod keygen,
 * zone, testkey, rotate).
 */
