/*
 * crypto_keygen.c - key management for the key tools: making a key,
 * writing it as PKCS#8 PEM to a new private file, matching a public key to
 * a private one.
 */
#include "key/crypto_openssl.h"

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
