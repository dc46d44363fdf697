/*
 * test_crypto.c - unit tests of core/key/crypto*.c: digest known answers, key
 * loading, sign/verify round trips, the RFC 8463 Appendix A vector and
 * interop with the openssl command.  Keys are made at run time in a temp dir.
 */
/* the oracle uses the same low-level RSA calls as core/key/crypto_pubkey.c */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "key/crypto.h"
#include "key/keyfile.h"
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "unit.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEST_MAX_FILES 32

static char test_dir[64];
static char test_files[TEST_MAX_FILES][128];
static int test_nfiles;

/* test_hex - decode hex into out; the byte count */
static size_t test_hex(const char *hex, unsigned char *out)
{
	size_t n = 0;
	unsigned v;

	for (; hex[0] && hex[1]; hex += 2) {
		sscanf(hex, "%2x", &v);
		out[n++] = (unsigned char)v;
	}
	return n;
}

/* test_path - the temp dir path of name, remembered for clean-up */
static const char *test_path(const char *name)
{
	int i;

	for (i = 0; i < test_nfiles; i++)
		if (strcmp(strrchr(test_files[i], '/') + 1, name) == 0)
			return test_files[i];
	if (test_nfiles == TEST_MAX_FILES)
		abort();
	snprintf(test_files[test_nfiles], sizeof test_files[0], "%s/%s", test_dir, name);
	return test_files[test_nfiles++];
}

/* test_cleanup - remove every temp file and the dir */
static void test_cleanup(void)
{
	int i;

	for (i = 0; i < test_nfiles; i++)
		unlink(test_files[i]);
	rmdir(test_dir);
}

/* test_openssl - run an openssl command line; %1$s is the dir; true on success */
static bool test_openssl(const char *fmt)
{
	char cmd[1024], full[1200];

	snprintf(cmd, sizeof cmd, fmt, test_dir);
	snprintf(full, sizeof full, "cd '%s' && openssl %s >/dev/null 2>&1", test_dir, cmd);
	return system(full) == 0;
}

/* test_slurp - a file's bytes into a malloc'd buffer; NULL on failure */
static unsigned char *test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;

	if (!f)
		return NULL;
	buf = malloc(65536);
	*len = buf ? fread(buf, 1, 65536, f) : 0;
	fclose(f);
	return buf;
}

/* test_write - write bytes to a file; true on success */
static bool test_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	bool ok;

	if (!f)
		return false;
	ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok;
}

struct hash_case {
	const char *name;
	enum crypto_hash alg;
	const char *input;
	size_t repeat; /* the input repeated this many times (0 = once) */
	const char *hex;
};

static const struct hash_case hash_cases[] = {
	{ "sha1 empty", CRYPTO_SHA1, "", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ "sha256 empty", CRYPTO_SHA256, "", 0,
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "sha1 abc", CRYPTO_SHA1, "abc", 0, "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ "sha256 abc", CRYPTO_SHA256, "abc", 0,
	  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "sha1 448 bits", CRYPTO_SHA1, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 0,
	  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	{ "sha256 448 bits", CRYPTO_SHA256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 0,
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	/* DKIM empty bodies: simple canonicalization hashes one CRLF */
	{ "sha1 CRLF (DKIM empty body)", CRYPTO_SHA1, "\r\n", 0,
	  "ba8ab5a0280b953aa97435ff8946cbcbb2755a27" },
	{ "sha256 CRLF (DKIM empty body)", CRYPTO_SHA256, "\r\n", 0,
	  "7eb70257593da06f682a3ddda54a9d260d4fc514f645237f5ca74b08f8da61a6" },
	{ "sha1 1000 x a", CRYPTO_SHA1, "a", 1000, "291e9a6c66994949b57ba5e650361e98fc36b1ba" },
	{ "sha256 1000 x a", CRYPTO_SHA256, "a", 1000,
	  "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3" },
};

/* test_hashes - one-shot, split and byte-at-a-time digests against known answers */
static void test_hashes(void)
{
	char name[160], buf[1000];
	unsigned char want[CRYPTO_MAX_DIGEST], got[CRYPTO_MAX_DIGEST];
	size_t i, j, len, wlen;

	CHECK_INT("hash size sha1", crypto_hash_size(CRYPTO_SHA1), 20);
	CHECK_INT("hash size sha256", crypto_hash_size(CRYPTO_SHA256), 32);
	for (i = 0; i < sizeof hash_cases / sizeof hash_cases[0]; i++) {
		const struct hash_case *c = &hash_cases[i];
		struct crypto_hasher *h;

		len = strlen(c->input);
		if (c->repeat) {
			for (j = 0; j < c->repeat; j++)
				buf[j] = c->input[0];
			len = c->repeat;
		} else {
			memcpy(buf, c->input, len);
		}
		wlen = test_hex(c->hex, want);

		snprintf(name, sizeof name, "%s: one-shot", c->name);
		memset(got, 0, sizeof got);
		CHECK_INT(name, crypto_hash(c->alg, buf, len, got), 0);
		CHECK_MEM(name, got, crypto_hash_size(c->alg), want, wlen);

		snprintf(name, sizeof name, "%s: split update", c->name);
		memset(got, 0, sizeof got);
		h = crypto_hasher_new(c->alg);
		CHECK(name, h != NULL);
		if (!h)
			continue;
		CHECK_INT(name, crypto_hasher_update(h, buf, len / 3), 0);
		CHECK_INT(name, crypto_hasher_update(h, buf + len / 3, 0), 0);
		CHECK_INT(name, crypto_hasher_update(h, buf + len / 3, len - len / 3), 0);
		CHECK_INT(name, crypto_hasher_final(h, got), 0);
		CHECK_MEM(name, got, crypto_hash_size(c->alg), want, wlen);
		crypto_hasher_free(h);

		snprintf(name, sizeof name, "%s: byte at a time", c->name);
		memset(got, 0, sizeof got);
		h = crypto_hasher_new(c->alg);
		for (j = 0; h && j < len; j++)
			crypto_hasher_update(h, buf + j, 1);
		CHECK_INT(name, h ? crypto_hasher_final(h, got) : -1, 0);
		CHECK_MEM(name, got, crypto_hash_size(c->alg), want, wlen);
		crypto_hasher_free(h);
	}
	CHECK("hasher of unknown alg is NULL", crypto_hasher_new((enum crypto_hash)7) == NULL);
	CHECK_INT("hash of unknown alg fails", crypto_hash((enum crypto_hash)7, "a", 1, got), -1);
}

struct key_case {
	const char *name;
	const char *file;
	const char *gen; /* openssl arguments, run in the temp dir */
	enum crypto_keytype type;
	unsigned bits;
};

static const struct key_case key_cases[] = {
	{ "rsa1024 pkcs1", "rsa1024.pem", "genrsa -traditional -out rsa1024.pem 1024", CRYPTO_KEY_RSA, 1024 },
	{ "rsa2048 pkcs1", "rsa2048.pem", "genrsa -traditional -out rsa2048.pem 2048", CRYPTO_KEY_RSA, 2048 },
	{ "rsa1024 pkcs8", "rsa1024p8.pem",
	  "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024p8.pem", CRYPTO_KEY_RSA, 1024 },
	{ "rsa2048 pkcs8", "rsa2048p8.pem",
	  "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048p8.pem", CRYPTO_KEY_RSA, 2048 },
	{ "ed25519 pkcs8", "ed25519.pem", "genpkey -algorithm ED25519 -out ed25519.pem", CRYPTO_KEY_ED25519,
	  256 },
};

static const char test_message[] = "From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n";

/* test_public - the public half of k as a verifier; NULL on failure */
static struct crypto_pubkey *test_public(const struct crypto_privkey *k)
{
	unsigned char der[4096];
	size_t n = crypto_privkey_public(k, der, sizeof der);

	if (n == 0)
		return NULL;
	if (crypto_privkey_type(k) == CRYPTO_KEY_ED25519)
		return crypto_pubkey_from_ed25519(der, n);
	return crypto_pubkey_from_spki(der, n);
}

/* test_round_trip - sign with one key and verify, then break it every way */
static void test_round_trip(const struct key_case *c, const struct crypto_privkey *k)
{
	unsigned char d256[CRYPTO_MAX_DIGEST], d1[CRYPTO_MAX_DIGEST], sig[CRYPTO_MAX_SIG];
	unsigned char sig1[CRYPTO_MAX_SIG], big[CRYPTO_MAX_SIG + 1];
	size_t siglen = 0, sig1len = 0;
	struct crypto_pubkey *pub;
	char name[160];
	bool rsa = c->type == CRYPTO_KEY_RSA;

	crypto_hash(CRYPTO_SHA256, test_message, strlen(test_message), d256);
	crypto_hash(CRYPTO_SHA1, test_message, strlen(test_message), d1);

#define N(what) (snprintf(name, sizeof name, "%s: %s", c->name, (what)), name)
	pub = test_public(k);
	CHECK(N("public key round trip"), pub != NULL);
	if (!pub)
		return;
	CHECK_INT(N("public key type"), crypto_pubkey_type(pub), c->type);
	CHECK_INT(N("public key bits"), crypto_pubkey_bits(pub), c->bits);

	CHECK_INT(N("sign sha256"), crypto_sign(k, CRYPTO_SHA256, d256, 32, sig, &siglen), 0);
	CHECK_INT(N("signature length"), siglen, rsa ? c->bits / 8 : 64);
	CHECK_INT(N("verify sha256"), crypto_verify(pub, CRYPTO_SHA256, d256, 32, sig, siglen), 1);
	CHECK_INT(N("verify again (no stale state)"), crypto_verify(pub, CRYPTO_SHA256, d256, 32, sig, siglen),
		  1);

	sig[siglen / 2] ^= 0x01;
	CHECK_INT(N("flipped signature byte fails"), crypto_verify(pub, CRYPTO_SHA256, d256, 32, sig, siglen),
		  0);
	sig[siglen / 2] ^= 0x01;
	d256[5] ^= 0x80;
	CHECK_INT(N("flipped digest byte fails"), crypto_verify(pub, CRYPTO_SHA256, d256, 32, sig, siglen), 0);
	d256[5] ^= 0x80;
	/* the last byte dropped: a first byte dropped is the same number when it was zero */
	CHECK_INT(N("truncated signature fails"), crypto_verify(pub, CRYPTO_SHA256, d256, 32, sig, siglen - 1) != 1,
		  1);
	memset(big, 0x42, sizeof big);
	CHECK_INT(N("signature longer than the key is an error"),
		  crypto_verify(pub, CRYPTO_SHA256, d256, 32, big, rsa ? c->bits / 8 + 1 : 65), -1);
	CHECK_INT(N("digest of the wrong length is an error"),
		  crypto_verify(pub, CRYPTO_SHA256, d256, 20, sig, siglen), -1);
	CHECK_INT(N("still verifies after the failures"),
		  crypto_verify(pub, CRYPTO_SHA256, d256, 32, sig, siglen), 1);

	if (rsa) {
		CHECK_INT(N("sign sha1"), crypto_sign(k, CRYPTO_SHA1, d1, 20, sig1, &sig1len), 0);
		CHECK_INT(N("verify sha1"), crypto_verify(pub, CRYPTO_SHA1, d1, 20, sig1, sig1len), 1);
		CHECK_INT(N("rsa-sha1 signature checked as sha256 fails"),
			  crypto_verify(pub, CRYPTO_SHA256, d256, 32, sig1, sig1len), 0);
		/* same leading bytes, other DigestInfo: the hash is bound into the signature */
		memcpy(d1, d256, 20);
		CHECK_INT(N("sha256 signature checked as sha1 fails"),
			  crypto_verify(pub, CRYPTO_SHA1, d1, 20, sig, siglen), 0);
		/* a signature whose first byte is zero, found by signing other digests (1 in 256) */
		int tries = 0;
		do {
			d256[0] = (unsigned char)tries;
			d256[1] = (unsigned char)(tries >> 8);
			crypto_sign(k, CRYPTO_SHA256, d256, 32, sig, &siglen);
		} while (sig[0] != 0 && ++tries < 8192);
		CHECK(N("found a signature with a leading zero byte"), sig[0] == 0);
		CHECK_INT(N("the same value without its leading zero verifies"),
			  crypto_verify(pub, CRYPTO_SHA256, d256, 32, sig + 1, siglen - 1), 1);
	} else {
		CHECK_INT(N("ed25519 with sha1 is an error"),
			  crypto_verify(pub, CRYPTO_SHA1, d1, 20, sig, siglen), -1);
		CHECK_INT(N("ed25519 signing with sha1 is an error"),
			  crypto_sign(k, CRYPTO_SHA1, d1, 20, sig1, &sig1len), -1);
	}
	CHECK(N("last error is text"), crypto_last_error() && crypto_last_error()[0]);
#undef N
	crypto_pubkey_free(pub);
}

/* test_keys - generate, load and use every key of key_cases */
static void test_keys(void)
{
	char name[160];
	size_t i;

	for (i = 0; i < sizeof key_cases / sizeof key_cases[0]; i++) {
		const struct key_case *c = &key_cases[i];
		struct crypto_privkey *k, *k2;
		const char *why = NULL;
		unsigned char *pem;
		size_t len = 0;

		test_path(c->file);
		snprintf(name, sizeof name, "%s: openssl generates the key", c->name);
		CHECK(name, test_openssl(c->gen));
		k = keyfile_load(test_path(c->file), &why);
		snprintf(name, sizeof name, "%s: load", c->name);
		CHECK_STR(name, k ? "loaded" : why, "loaded");
		if (!k)
			continue;
		snprintf(name, sizeof name, "%s: type", c->name);
		CHECK_INT(name, crypto_privkey_type(k), c->type);
		snprintf(name, sizeof name, "%s: bits", c->name);
		CHECK_INT(name, crypto_privkey_bits(k), c->bits);
		test_round_trip(c, k);

		pem = test_slurp(test_path(c->file), &len);
		k2 = pem ? crypto_privkey_from_pem((const char *)pem, len, &why) : NULL;
		snprintf(name, sizeof name, "%s: from_pem buffer", c->name);
		CHECK(name, k2 != NULL && crypto_privkey_type(k2) == c->type &&
				    crypto_privkey_bits(k2) == c->bits);
		crypto_privkey_free(k2);
		free(pem);
		crypto_privkey_free(k);
	}
}

/* test_interop - our RSA signatures equal `openssl dgst -sign`, and a bare PKCS#1 public key works */
static void test_interop(void)
{
	static const struct {
		enum crypto_hash alg;
		const char *dgst;
	} algs[] = { { CRYPTO_SHA1, "sha1" }, { CRYPTO_SHA256, "sha256" } };
	unsigned char digest[CRYPTO_MAX_DIGEST], sig[CRYPTO_MAX_SIG], *theirs, *der;
	size_t siglen, theirlen = 0, derlen = 0, i;
	struct crypto_privkey *k;
	struct crypto_pubkey *pub;
	const char *why;
	char cmd[256];

	k = keyfile_load(test_path("rsa1024.pem"), &why);
	CHECK("interop: key loads", k != NULL);
	if (!k)
		return;
	CHECK("interop: message written",
	      test_write(test_path("msg"), test_message, strlen(test_message)));
	test_path("sig");
	for (i = 0; i < 2; i++) {
		snprintf(cmd, sizeof cmd, "dgst -%s -sign rsa1024.pem -out sig msg", algs[i].dgst);
		CHECK("interop: openssl dgst -sign", test_openssl(cmd));
		theirs = test_slurp(test_path("sig"), &theirlen);
		crypto_hash(algs[i].alg, test_message, strlen(test_message), digest);
		siglen = 0;
		crypto_sign(k, algs[i].alg, digest, crypto_hash_size(algs[i].alg), sig, &siglen);
		CHECK_MEM(algs[i].alg == CRYPTO_SHA1 ? "interop: rsa-sha1 signature equals openssl's"
						     : "interop: rsa-sha256 signature equals openssl's",
			  sig, siglen, theirs ? theirs : sig, theirs ? theirlen : 0);
		free(theirs);
	}

	test_path("rsa1024.pkcs1.der");
	CHECK("interop: openssl writes RSAPublicKey DER",
	      test_openssl("rsa -in rsa1024.pem -RSAPublicKey_out -outform DER -out rsa1024.pkcs1.der"));
	der = test_slurp(test_path("rsa1024.pkcs1.der"), &derlen);
	pub = der ? crypto_pubkey_from_spki(der, derlen) : NULL;
	CHECK("bare PKCS#1 RSAPublicKey loads", pub != NULL);
	if (pub) {
		CHECK_INT("bare PKCS#1 RSAPublicKey bits", crypto_pubkey_bits(pub), 1024);
		CHECK_INT("bare PKCS#1 RSAPublicKey verifies",
			  crypto_verify(pub, CRYPTO_SHA256, digest, 32, sig, siglen), 1);
	}
	crypto_pubkey_free(pub);
	free(der);
	crypto_privkey_free(k);
}

/* test_bad_keys - inputs that must be refused, with the reasons callers log */
static void test_bad_keys(void)
{
	static const unsigned char garbage[] = { 0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09, 0xde, 0xad };
	static const char not_pem[] = "this is not a key\n";
	unsigned char raw[64], der[4096], *buf;
	struct crypto_privkey *k, *ed;
	struct crypto_pubkey *pub;
	const char *why;
	size_t n, len = 0;

	CHECK("garbage DER gives NULL", crypto_pubkey_from_spki(garbage, sizeof garbage) == NULL);
	CHECK("empty DER gives NULL", crypto_pubkey_from_spki(garbage, 0) == NULL);
	CHECK("last error after a refusal is text", crypto_last_error()[0] != '\0');
	memset(raw, 7, sizeof raw);
	CHECK("31-byte ed25519 key gives NULL", crypto_pubkey_from_ed25519(raw, 31) == NULL);
	CHECK("33-byte ed25519 key gives NULL", crypto_pubkey_from_ed25519(raw, 33) == NULL);

	k = keyfile_load(test_path("rsa1024.pem"), &why);
	n = k ? crypto_privkey_public(k, der, sizeof der) : 0;
	CHECK("rsa SPKI exported", n > 0);
	if (n > 0) {
		der[n] = 0;
		CHECK("SPKI with a trailing byte gives NULL", crypto_pubkey_from_spki(der, n + 1) == NULL);
		CHECK("truncated SPKI gives NULL", crypto_pubkey_from_spki(der, n - 1) == NULL);
		CHECK_INT("public export into a small buffer gives 0", crypto_privkey_public(k, der, n - 1), 0);
	}
	crypto_privkey_free(k);

	ed = keyfile_load(test_path("ed25519.pem"), &why);
	CHECK("ed25519 key loads", ed != NULL);
	if (ed) {
		CHECK_INT("ed25519 public export into 31 bytes gives 0", crypto_privkey_public(ed, der, 31), 0);
		test_openssl("pkey -in ed25519.pem -pubout -outform DER -out ed25519.spki.der");
		buf = test_slurp(test_path("ed25519.spki.der"), &len);
		pub = buf ? crypto_pubkey_from_spki(buf, len) : NULL;
		CHECK("ed25519 SPKI is not an RSA SPKI", buf && !pub);
		crypto_pubkey_free(pub);
		free(buf);
	}
	crypto_privkey_free(ed);

	why = NULL;
	CHECK("missing key file gives NULL", keyfile_load(test_path("missing.pem"), &why) == NULL);
	CHECK_STR("missing key file reason", why, "cannot read key file");

	why = NULL;
	CHECK("directory as key file gives NULL", keyfile_load(test_dir, &why) == NULL);
	CHECK_STR("directory as key file reason", why, "key file is not a regular file");

	CHECK("public key PEM written", test_openssl("pkey -in rsa1024.pem -pubout -out rsa1024.pub.pem"));
	chmod(test_path("rsa1024.pub.pem"), 0600);
	why = NULL;
	CHECK("public key PEM gives NULL", keyfile_load(test_path("rsa1024.pub.pem"), &why) == NULL);
	CHECK_STR("public key PEM reason", why, "not a PEM private key");

	why = NULL;
	CHECK("non-PEM buffer gives NULL", crypto_privkey_from_pem(not_pem, strlen(not_pem), &why) == NULL);
	CHECK_STR("non-PEM buffer reason", why, "not a PEM private key");

	test_path("ec.pem");
	CHECK("EC key written",
	      test_openssl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem"));
	why = NULL;
	CHECK("EC key gives NULL", keyfile_load(test_path("ec.pem"), &why) == NULL);
	CHECK_STR("EC key reason", why, "unsupported key type");

	test_path("enc.pem");
	CHECK("encrypted key written",
	      test_openssl("genpkey -algorithm ED25519 -aes-256-cbc -pass pass:secret -out enc.pem"));
	why = NULL;
	CHECK("encrypted key gives NULL without prompting",
	      keyfile_load(test_path("enc.pem"), &why) == NULL);
	CHECK_STR("encrypted key reason", why, "encrypted private keys are not supported");
}

/*
 * RFC 8463 Appendix A: the brisbane key and the ed25519-sha256 signature of
 * the example message.  The header hash input is the relaxed canonical form
 * of From, To, Subject, Date, Message-ID and the DKIM-Signature with b= empty.
 */
static const char rfc8463_pub[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char rfc8463_pem[] = "-----BEGIN PRIVATE KEY-----\n"
				  "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
				  "-----END PRIVATE KEY-----\n";
static const char rfc8463_headers[] =
	"from:Joe SixPack <joe@football.example.com>\r\n"
	"to:Suzie Q <suzie@shopping.example.net>\r\n"
	"subject:Is dinner ready?\r\n"
	"date:Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
	"message-id:<20030712040037.46341.5F8J@football.example.com>\r\n"
	"dkim-signature:v=1; a=ed25519-sha256; c=relaxed/relaxed; d=football.example.com; "
	"i=@football.example.com; q=dns/txt; s=brisbane; t=1528637909; "
	"h=from : to : subject : date : message-id : from : subject : date; "
	"bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=";
static const char rfc8463_sig[] = "fe00ab8a7a5c40ea087ee1cd4086eae29821f64c882b701051db7d39da907a14"
				  "b084422e8380f5d41bac15addb4f7158e4eb14ed96e72842eaf9e5dda754350f";

/* test_rfc8463 - verify the RFC's signature and reproduce it from the RFC's seed */
static void test_rfc8463(void)
{
	unsigned char pubraw[32], want[64], digest[32], sig[CRYPTO_MAX_SIG], out[64];
	struct crypto_privkey *k;
	struct crypto_pubkey *pub;
	const char *why = NULL;
	size_t siglen = 0;

	test_hex(rfc8463_pub, pubraw);
	test_hex(rfc8463_sig, want);
	crypto_hash(CRYPTO_SHA256, rfc8463_headers, strlen(rfc8463_headers), digest);

	pub = crypto_pubkey_from_ed25519(pubraw, sizeof pubraw);
	CHECK("rfc8463: public key loads", pub != NULL);
	if (pub) {
		CHECK_INT("rfc8463: key type", crypto_pubkey_type(pub), CRYPTO_KEY_ED25519);
		CHECK_INT("rfc8463: key bits", crypto_pubkey_bits(pub), 256);
		CHECK_INT("rfc8463: the RFC signature verifies",
			  crypto_verify(pub, CRYPTO_SHA256, digest, 32, want, 64), 1);
	}
	crypto_pubkey_free(pub);

	k = crypto_privkey_from_pem(rfc8463_pem, strlen(rfc8463_pem), &why);
	CHECK_STR("rfc8463: seed loads", k ? "loaded" : why, "loaded");
	if (!k)
		return;
	CHECK_INT("rfc8463: seed gives the published key length", crypto_privkey_public(k, out, sizeof out),
		  32);
	CHECK_MEM("rfc8463: seed gives the published key", out, 32, pubraw, 32);
	CHECK_INT("rfc8463: sign", crypto_sign(k, CRYPTO_SHA256, digest, 32, sig, &siglen), 0);
	/* Ed25519 is deterministic, so this is the RFC's b= exactly */
	CHECK_MEM("rfc8463: signature equals the RFC's", sig, siglen, want, 64);
	crypto_privkey_free(k);
}

/* der_len - a DER length, in long form when long_form (minimal otherwise); bytes written */
static size_t der_len(unsigned char *o, size_t n, bool long_form)
{
	if (!long_form && n < 0x80) {
		o[0] = (unsigned char)n;
		return 1;
	}
	if (n < 0x100 && !(long_form && n >= 0x80)) {
		o[0] = 0x81;
		o[1] = (unsigned char)n;
		return 2;
	}
	o[0] = 0x82;
	o[1] = (unsigned char)(n >> 8);
	o[2] = (unsigned char)n;
	return 3;
}

/* der_tlv - tag, length and contents; bytes written */
static size_t der_tlv(unsigned char *o, unsigned char tag, const unsigned char *c, size_t n, bool long_form)
{
	size_t k = 1;
	o[0] = tag;
	k += der_len(o + 1, n, long_form);
	memmove(o + k, c, n);
	return k + n;
}

/* spki_form - an SPKI around the PKCS#1 key: OID oid (rsaEncryption or RSA-PSS), parameters NULL
 * or absent, the BIT STRING's unused-bits byte, extra bytes after the key inside it, and long-form
 * lengths where the short form would do; its length */
static size_t spki_form(unsigned char *out, const unsigned char *pkcs1, size_t n, unsigned char oid_last, bool params,
			unsigned char unused, size_t extra, bool long_form)
{
	unsigned char alg[32], bits[1200], body[1400];
	const unsigned char oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, oid_last};
	size_t a = der_tlv(alg, 0x06, oid, sizeof oid, long_form);
	if (params) {
		alg[a++] = 0x05;
		alg[a++] = 0x00;
	}
	bits[0] = unused;
	memcpy(bits + 1, pkcs1, n);
	memset(bits + 1 + n, 0, extra);
	size_t b = der_tlv(body, 0x30, alg, a, long_form);
	b += der_tlv(body + b, 0x03, bits, 1 + n + extra, false);
	return der_tlv(out, 0x30, body, b, false);
}

/* plausible_rsa - an RSA key that can be a real one: odd e from 3 to 64 bits, odd n above e */
static bool plausible_rsa(const RSA *r)
{
	const BIGNUM *n, *e;
	RSA_get0_key(r, &n, &e, NULL);
	return BN_is_odd(e) && !BN_is_one(e) && BN_num_bits(e) <= 64 && BN_is_odd(n) && BN_cmp(e, n) < 0;
}

/* openssl_accepts - whether OpenSSL's own decoders take der whole as an RSA key, and the key is
 * plausible (the oracle) */
static bool openssl_accepts(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	RSA *r = d2i_RSA_PUBKEY(NULL, &p, (long)len);
	bool ok = r && p == der + len && RSA_test_flags(r, RSA_FLAG_TYPE_MASK) == RSA_FLAG_TYPE_RSA;
	if (!ok) {
		RSA_free(r);
		p = der;
		r = d2i_RSAPublicKey(NULL, &p, (long)len);
		ok = r && p == der + len;
	}
	ok = ok && plausible_rsa(r);
	RSA_free(r);
	ERR_clear_error();
	return ok;
}

/* openssl_verifies - 1 if the key OpenSSL decodes from der checks sig over digest, else 0 */
static int openssl_verifies(const unsigned char *der, size_t len, const unsigned char *digest, const unsigned char *sig,
			    size_t sig_len)
{
	const unsigned char *p = der;
	RSA *r = d2i_RSA_PUBKEY(NULL, &p, (long)len);
	if (!r) {
		p = der;
		r = d2i_RSAPublicKey(NULL, &p, (long)len);
	}
	int ok = r && RSA_verify(NID_sha256, digest, 32, sig, (unsigned)sig_len, r) == 1;
	RSA_free(r);
	ERR_clear_error();
	return ok;
}

/* test_spki_forms - the SPKI reader of crypto_pubkey.c takes what OpenSSL's decoders take, no more, no
 * less, and the key it gives checks signatures as OpenSSL's does: well-formed and odd forms, and
 * every single-byte change of the SPKI's structure */
static void test_spki_forms(void)
{
	const char *why;
	struct crypto_privkey *k = keyfile_load(test_path("rsa1024.pem"), &why);
	unsigned char der[1200], pkcs1[1200], form[1400], digest[32], sig[CRYPTO_MAX_SIG];
	size_t n = k ? crypto_privkey_public(k, der, sizeof der) : 0, sig_len = 0;
	CHECK("spki forms: key", n > 0);
	if (!n)
		return;
	const unsigned char *p = der;
	RSA *rsa = d2i_RSA_PUBKEY(NULL, &p, (long)n);
	unsigned char *q = pkcs1;
	int plen = rsa ? i2d_RSAPublicKey(rsa, &q) : 0;
	RSA_free(rsa);
	memset(digest, 0x42, sizeof digest);
	CHECK("spki forms: PKCS#1 form and a signature",
	      plen > 0 && crypto_sign(k, CRYPTO_SHA256, digest, 32, sig, &sig_len) == 0);
	struct {
		const char *name;
		unsigned char oid_last;
		bool params;
		unsigned char unused;
		size_t extra;
		bool long_form;
	} forms[] = {
		{"rsaEncryption, NULL parameters", 0x01, true, 0, 0, false},
		{"no parameters", 0x01, false, 0, 0, false},
		{"RSA-PSS", 0x0a, true, 0, 0, false},
		{"unused bits", 0x01, true, 3, 0, false},
		{"bytes after the key in the BIT STRING", 0x01, true, 0, 2, false},
		{"long-form lengths", 0x01, true, 0, 0, true},
	};
	for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
		size_t len = spki_form(form, pkcs1, (size_t)plen, forms[i].oid_last, forms[i].params, forms[i].unused,
				       forms[i].extra, forms[i].long_form);
		struct crypto_pubkey *pub = crypto_pubkey_from_spki(form, len);
		char name[160];
		snprintf(name, sizeof name, "spki forms: %s: accepted as OpenSSL does (%s)", forms[i].name,
			 openssl_accepts(form, len) ? "yes" : "no");
		CHECK(name, (pub != NULL) == openssl_accepts(form, len));
		if (pub) {
			snprintf(name, sizeof name, "spki forms: %s: the key checks the signature as OpenSSL's does",
				 forms[i].name);
			CHECK_INT(name, crypto_verify(pub, CRYPTO_SHA256, digest, 32, sig, sig_len) == 1,
				  openssl_verifies(form, len, digest, sig, sig_len));
		}
		crypto_pubkey_free(pub);
	}
	struct crypto_pubkey *bare = crypto_pubkey_from_spki(pkcs1, (size_t)plen);
	CHECK("spki forms: bare PKCS#1 key checks the signature",
	      bare && crypto_verify(bare, CRYPTO_SHA256, digest, 32, sig, sig_len) == 1);
	crypto_pubkey_free(bare);
	int differ = 0, changes = 0;
	static const unsigned char values[] = {0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0xff};
	for (size_t at = 0; at < 40 && at < n; at++)
		for (size_t v = 0; v < sizeof values; v++) {
			memcpy(form, der, n);
			if (form[at] == values[v])
				continue;
			form[at] = values[v];
			struct crypto_pubkey *pub = crypto_pubkey_from_spki(form, n);
			differ += (pub != NULL) != openssl_accepts(form, n);
			if (pub) /* (a shorter modulus makes ours an error, -1, where OpenSSL says 0) */
				differ += (crypto_verify(pub, CRYPTO_SHA256, digest, 32, sig, sig_len) == 1) !=
					  openssl_verifies(form, n, digest, sig, sig_len);
			crypto_pubkey_free(pub);
			changes++;
		}
	ERR_clear_error();
	snprintf((char *)form, sizeof form, "spki forms: %d single-byte changes, accepted as OpenSSL does", changes);
	CHECK_INT((char *)form, differ, 0);
	crypto_privkey_free(k);
}

/* crafted_spki - DER SPKI of the RSA key (n, e) given in hex; its length, 0 on failure */
static size_t crafted_spki(const char *n_hex, const char *e_hex, unsigned char *out, size_t cap)
{
	BIGNUM *n = NULL, *e = NULL;
	RSA *r = RSA_new();
	if (!r || !BN_hex2bn(&n, n_hex) || !BN_hex2bn(&e, e_hex) || RSA_set0_key(r, n, e, NULL) != 1) {
		BN_free(n);
		BN_free(e);
		RSA_free(r);
		return 0;
	}
	int len = i2d_RSA_PUBKEY(r, NULL);
	unsigned char *p = out;
	size_t got = len > 0 && (size_t)len <= cap ? (size_t)i2d_RSA_PUBKEY(r, &p) : 0;
	RSA_free(r);
	return got;
}

/* test_rsa_key_sanity - public keys that cannot be real are refused with a reason: e=1 would
 * make the PKCS#1 encoding of any digest its own valid signature */
static void test_rsa_key_sanity(void)
{
	const char *why;
	struct crypto_privkey *k = keyfile_load(test_path("rsa1024.pem"), &why);
	unsigned char der[1200];
	size_t n = k ? crypto_privkey_public(k, der, sizeof der) : 0;
	const unsigned char *p = der;
	RSA *rsa = n ? d2i_RSA_PUBKEY(NULL, &p, (long)n) : NULL;
	CHECK("key sanity: the real key", rsa != NULL);
	if (!rsa) {
		crypto_privkey_free(k);
		return;
	}
	const BIGNUM *bn_n, *bn_e;
	RSA_get0_key(rsa, &bn_n, &bn_e, NULL);
	char *mod = BN_bn2hex(bn_n), *even_mod = BN_bn2hex(bn_n);
	size_t ml = strlen(even_mod);
	even_mod[ml - 1] = even_mod[ml - 1] == '0' ? '2' : '0'; /* the last hex digit even */
	struct {
		const char *name, *n, *e, *why;
	} cases[] = {
		{"e=65537 accepted", mod, "010001", NULL},
		{"e=3 accepted", mod, "03", NULL},
		{"e=1 refused", mod, "01", "RSA public exponent is not an odd number of at least 3"},
		{"even e refused", mod, "010000", "RSA public exponent is not an odd number of at least 3"},
		{"e=2 refused", mod, "02", "RSA public exponent is not an odd number of at least 3"},
		{"e past 64 bits refused", mod, "0100000000000000001", "RSA public exponent is longer than 64 bits"},
		{"even modulus refused", even_mod, "010001", "RSA modulus is not odd or not above the exponent"},
		{"e above n refused", "FFFF", "010001", "RSA modulus is not odd or not above the exponent"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		unsigned char spki[1400];
		char name[160];
		size_t len = crafted_spki(cases[i].n, cases[i].e, spki, sizeof spki);
		snprintf(name, sizeof name, "key sanity: %s", cases[i].name);
		struct crypto_pubkey *pub = len ? crypto_pubkey_from_spki(spki, len) : NULL;
		if (!cases[i].why) {
			CHECK(name, pub != NULL);
		} else {
			CHECK(name, len > 0 && pub == NULL);
			snprintf(name, sizeof name, "key sanity: %s: the reason", cases[i].name);
			CHECK_STR(name, crypto_last_error(), cases[i].why);
		}
		crypto_pubkey_free(pub);
	}
	/* the forgery e=1 allows: the PKCS#1 v1.5 block of a digest "signs" it */
	unsigned char digest[32], em[128];
	memset(digest, 0x5a, sizeof digest);
	static const unsigned char info[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
					     0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
	size_t mlen = (size_t)RSA_size(rsa), pad = mlen - 3 - sizeof info - sizeof digest;
	em[0] = 0;
	em[1] = 1;
	memset(em + 2, 0xff, pad);
	em[2 + pad] = 0;
	memcpy(em + 3 + pad, info, sizeof info);
	memcpy(em + 3 + pad + sizeof info, digest, sizeof digest);
	unsigned char spki[1400];
	size_t len = crafted_spki(mod, "01", spki, sizeof spki);
	p = spki;
	RSA *e1 = d2i_RSA_PUBKEY(NULL, &p, (long)len);
	CHECK("key sanity: with e=1 OpenSSL itself takes the padded digest as its signature",
	      e1 && RSA_verify(NID_sha256, digest, 32, em, (unsigned)mlen, e1) == 1);
	CHECK("key sanity: so such a key never reaches verification", crypto_pubkey_from_spki(spki, len) == NULL);
	ERR_clear_error();
	RSA_free(e1);
	OPENSSL_free(mod);
	OPENSSL_free(even_mod);
	RSA_free(rsa);
	crypto_privkey_free(k);
}

int main(void)
{
	snprintf(test_dir, sizeof test_dir, "/tmp/test_crypto.XXXXXX");
	if (!mkdtemp(test_dir)) {
		perror("mkdtemp");
		return 1;
	}
	CHECK_STR("no error yet", crypto_last_error(), "no error");
	test_hashes();
	test_keys();
	test_interop();
	test_bad_keys();
	test_spki_forms();
	test_rsa_key_sanity();
	test_rfc8463();
	test_cleanup();
	return unit_done();
}
