/* test_keyrec.c - unit tests of DKIM and DomainKeys key record parsing */
#include <stdlib.h>

#include "record/base64.h"
#include "record/keyrec.h"
#include "unit.h"

/* A literal with its length, so embedded NULs count. */
#define T(s) s, sizeof(s) - 1

/* Public keys: RSA SubjectPublicKeyInfo of 512, 768 and 1024 bits, and a raw ed25519 key. */
#define K512 "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKnxg+Nyt/t6OVz6K3BBUGB428daIpI0XjX/RQFN1Qct+o6Ye3JF0bRJ7PMttZbyIDyOLoeOYSVcTDDS1WOfLbMCAwEAAQ=="
#define K768 "MHwwDQYJKoZIhvcNAQEBBQADawAwaAJhAOqTiyCKOb0NMjLBnClCC5i2/kCdAttsiqUwAwH5b0Fzc8hZmdnLVuJKGaf68RO1oz10WK8x/IAZchv6qMrYKd69ZF+bvvIPpxBnhZgGKKnUCj1Z2IIJx8T3M+QKXd08VQIDAQAB"
#define K1024A "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDTep1J+Rzk2ZEohlP+iYq+D2G3vb+VRvR9jPCOdLILbrwiNDzCTYle"
#define K1024B "WqOw1o7FeyVYSJLnL4EaZCMfh87wk6Hm7I8K0ZLvDB6gbON2rxdpTPrnOQDF5t22PmWMCgXwAWM2sfY5MqXgKY8DIlXTVZCRZqtrTuKHj4CvGiOIiDGEnQIDAQAB"
#define K1024 K1024A K1024B
#define KED "TDN7D7q7efpy+ogbEm8U8da2aiPBM+mJMPSe9Q5vLYM="

#define HASH_ALL (KEYREC_HASH_SHA1 | KEYREC_HASH_SHA256)

enum keyrec_kind { KEYREC_TEST_DKIM, KEYREC_TEST_DK };

struct keyrec_case {
	const char *name;
	enum keyrec_kind kind;
	const char *in;
	size_t inlen;
	enum keyrec_status want;
	/* the rest is checked only when want is KEYREC_OK */
	enum keyrec_keytype type;
	unsigned hashes;
	bool revoked, testing, strict;
	const char *granularity;   /* NULL: has_granularity false */
	size_t key_len;
};

#define OK KEYREC_OK
#define DKIM KEYREC_TEST_DKIM
#define DK KEYREC_TEST_DK
/* the unchecked fields of a row that expects an error */
#define NOFIELDS KEYREC_RSA, 0, false, false, false, NULL, 0

static const struct keyrec_case keyrec_cases[] = {
	/* DKIM records from a public test corpus */
	{ "dkim corpus: extra tags, t=y:n:extra, h=md5:sha1, trailing space", DKIM,
	  T("v=DKIM1; s=email:web:fine; x1 = extra ; t = y:n:extra; h=md5:sha1; p=" K512 " ; "),
	  OK, KEYREC_RSA, KEYREC_HASH_SHA1, false, true, false, NULL, 94 },
	{ "dkim corpus: k=rsa t=y with n=", DKIM, T("k=rsa; t=y; p=" K1024 "; n=A 1024 bit key;"),
	  OK, KEYREC_RSA, HASH_ALL, false, true, false, NULL, 162 },
	{ "dkim corpus: h= with sha512, n=, g=*, s=*", DKIM,
	  T("v=DKIM1; k=rsa; h=sha1:sha256:sha512;n=send%20comments%20to%20tony%40att%2Ecom; g=*; s=*;p=" K768),
	  OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 126 },
	{ "dkim corpus: t=y first", DKIM, T("t=y; k=rsa; p=" K1024), OK, KEYREC_RSA, HASH_ALL, false, true, false, NULL, 162 },
	{ "dkim corpus: bad version", DKIM, T("v=DKIM3; t=y; p=" K1024), KEYREC_BAD_VERSION, NOFIELDS },
	{ "dkim corpus: tag without =", DKIM, T("k=rsa; t; p=" K1024), KEYREC_SYNTAX, NOFIELDS },
	{ "dkim corpus: unknown key type", DKIM, T("k=foobar; t=y; p=" K1024), KEYREC_BAD_KEYTYPE, NOFIELDS },
	{ "dkim corpus: service chat", DKIM, T("v=DKIM1; s=chat; p=" K1024), KEYREC_BAD_SERVICE, NOFIELDS },
	{ "dkim corpus: hash bad", DKIM, T("v=DKIM1; h=bad; p=" K1024), KEYREC_BAD_HASH, NOFIELDS },
	{ "dkim corpus: empty p= is revoked", DKIM, T("k=rsa; t=y; p="), OK, KEYREC_RSA, HASH_ALL, true, true, false, NULL, 0 },
	/* accepted */
	{ "dkim: p= only", DKIM, T("p=" K1024), OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 162 },
	{ "dkim: ed25519", DKIM, T("v=DKIM1; k=ed25519; p=" KED), OK, KEYREC_ED25519, HASH_ALL, false, false, false, NULL, 32 },
	{ "dkim: ed25519 revoked", DKIM, T("v=DKIM1; k=ed25519; p="), OK, KEYREC_ED25519, HASH_ALL, true, false, false, NULL, 0 },
	{ "dkim: revoked with spaces", DKIM, T("v=DKIM1; p= ; "), OK, KEYREC_RSA, HASH_ALL, true, false, false, NULL, 0 },
	{ "dkim: t=s", DKIM, T("v=DKIM1; t=s; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, false, true, NULL, 94 },
	{ "dkim: t=y:s", DKIM, T("t=y:s; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, true, true, NULL, 94 },
	{ "dkim: t=s : y spaced", DKIM, T("t= s : y ; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, true, true, NULL, 94 },
	{ "dkim: t= empty", DKIM, T("t=; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 94 },
	{ "dkim: t=Y is not testing", DKIM, T("t=Y; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 94 },
	{ "dkim: h=sha256", DKIM, T("h=sha256; p=" K512), OK, KEYREC_RSA, KEYREC_HASH_SHA256, false, false, false, NULL, 94 },
	{ "dkim: h= spaced and folded", DKIM, T("h= sha256\r\n : sha1 ; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 94 },
	{ "dkim: h= unknown then known", DKIM, T("h=sha512:sha256; p=" K512), OK, KEYREC_RSA, KEYREC_HASH_SHA256, false, false, false, NULL, 94 },
	{ "dkim: folded p=", DKIM, T("v=DKIM1; k=rsa;\r\n p=" K1024A "\r\n\t" K1024B), OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 162 },
	{ "dkim: spaces inside p=", DKIM, T("p=" K1024A " " K1024B), OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 162 },
	{ "dkim: s=email", DKIM, T("s=email; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 94 },
	{ "dkim: s=chat:email", DKIM, T("s=chat : email; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 94 },
	{ "dkim: s=chat:*", DKIM, T("s=chat:*; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 94 },
	{ "dkim: g= ignored", DKIM, T("v=DKIM1; g=foo; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 94 },
	{ "dkim: unknown tags ignored", DKIM, T("v=DKIM1; zz=??; q_1=a b; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 94 },
	{ "dkim: v= with spaces", DKIM, T(" v = DKIM1 ; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 94 },
	/* version */
	{ "dkim: v= not first", DKIM, T("k=rsa; v=DKIM1; p=" K512), KEYREC_BAD_VERSION, NOFIELDS },
	{ "dkim: v= lower case", DKIM, T("v=dkim1; p=" K512), KEYREC_BAD_VERSION, NOFIELDS },
	{ "dkim: v= empty", DKIM, T("v=; p=" K512), KEYREC_BAD_VERSION, NOFIELDS },
	{ "dkim: v=DKIM1x", DKIM, T("v=DKIM1x; p=" K512), KEYREC_BAD_VERSION, NOFIELDS },
	{ "dkim: v=DKIM1 DKIM1", DKIM, T("v=DKIM1 DKIM1; p=" K512), KEYREC_BAD_VERSION, NOFIELDS },
	/* key type */
	{ "dkim: k=RSA upper case", DKIM, T("k=RSA; p=" K512), KEYREC_BAD_KEYTYPE, NOFIELDS },
	{ "dkim: k= empty", DKIM, T("k=; p="), KEYREC_BAD_KEYTYPE, NOFIELDS },
	{ "dkim: k=rsa:ed25519 list", DKIM, T("k=rsa:ed25519; p=" K512), KEYREC_BAD_KEYTYPE, NOFIELDS },
	/* hash */
	{ "dkim: h= empty", DKIM, T("h=; p=" K512), KEYREC_BAD_HASH, NOFIELDS },
	{ "dkim: h=SHA256 upper case", DKIM, T("h=SHA256; p=" K512), KEYREC_BAD_HASH, NOFIELDS },
	{ "dkim: h=md5:sha512", DKIM, T("h=md5:sha512; p=" K512), KEYREC_BAD_HASH, NOFIELDS },
	{ "dkim: h=sha1sha256", DKIM, T("h=sha1sha256; p=" K512), KEYREC_BAD_HASH, NOFIELDS },
	/* service */
	{ "dkim: s= empty", DKIM, T("s=; p=" K512), KEYREC_BAD_SERVICE, NOFIELDS },
	{ "dkim: s=emails", DKIM, T("s=emails; p=" K512), KEYREC_BAD_SERVICE, NOFIELDS },
	{ "dkim: s=EMAIL", DKIM, T("s=EMAIL; p=" K512), KEYREC_BAD_SERVICE, NOFIELDS },
	/* key */
	{ "dkim: no p=", DKIM, T("v=DKIM1; k=rsa"), KEYREC_NO_KEY, NOFIELDS },
	{ "dkim: empty record", DKIM, T(""), KEYREC_NO_KEY, NOFIELDS },
	{ "dkim: P= is not p=", DKIM, T("P=" K512), KEYREC_NO_KEY, NOFIELDS },
	{ "dkim: p= bad character", DKIM, T("p=MIGf!" K512), KEYREC_BAD_KEY, NOFIELDS },
	{ "dkim: p= bad length", DKIM, T("p=Zg"), KEYREC_BAD_KEY, NOFIELDS },
	{ "dkim: p= nonzero unused bits", DKIM, T("p=Zh=="), KEYREC_BAD_KEY, NOFIELDS },
	{ "dkim: p= only padding", DKIM, T("p=="), KEYREC_BAD_KEY, NOFIELDS },
	{ "dkim: p= url-safe alphabet", DKIM, T("p=ab-_"), KEYREC_BAD_KEY, NOFIELDS },
	/* syntax */
	{ "dkim: duplicate p=", DKIM, T("p=" K512 "; p=" K512), KEYREC_SYNTAX, NOFIELDS },
	{ "dkim: embedded NUL", DKIM, T("v=DKIM1; p=" K512 "\0"), KEYREC_SYNTAX, NOFIELDS },
	{ "dkim: NUL inside p=", DKIM, T("v=DKIM1; p=MFww\0DQYJ"), KEYREC_SYNTAX, NOFIELDS },
	{ "dkim: trailing CRLF", DKIM, T("v=DKIM1; p=" K512 "\r\n"), KEYREC_SYNTAX, NOFIELDS },
	{ "dkim: empty element", DKIM, T("v=DKIM1;; p=" K512), KEYREC_SYNTAX, NOFIELDS },
	{ "dkim: junk after last tag", DKIM, T("v=DKIM1; p=" K512 ";x"), KEYREC_SYNTAX, NOFIELDS },
	{ "dkim: only a semicolon", DKIM, T(";"), KEYREC_SYNTAX, NOFIELDS },
	{ "dkim: syntax wins over version", DKIM, T("v=DKIM3; t"), KEYREC_SYNTAX, NOFIELDS },

	/* DomainKeys */
	{ "dk corpus: k=rsa t=y with n=", DK, T("k=rsa; t=y; p=" K1024 "; n=A 1024 bit key;"),
	  OK, KEYREC_RSA, HASH_ALL, false, true, false, NULL, 162 },
	{ "dk: p= only", DK, T("p=" K768), OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 126 },
	{ "dk: g=joe", DK, T("g=joe; k=rsa; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, false, false, "joe", 94 },
	{ "dk: g=*", DK, T("g=*; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, false, false, "*", 94 },
	{ "dk: g=j*e spaced", DK, T("g = j*e ; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, false, false, "j*e", 94 },
	{ "dk: g= empty", DK, T("g=; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 94 },
	{ "dk: revoked", DK, T("p="), OK, KEYREC_RSA, HASH_ALL, true, false, false, NULL, 0 },
	{ "dk: revoked testing", DK, T("t=y; p="), OK, KEYREC_RSA, HASH_ALL, true, true, false, NULL, 0 },
	{ "dk: t=s is not strict", DK, T("t=s; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 94 },
	{ "dk: DKIM-only tags ignored", DK, T("v=DKIM3; h=bad; s=chat; p=" K512), OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 94 },
	{ "dk: folded p=", DK, T("p=" K1024A "\r\n " K1024B ";"), OK, KEYREC_RSA, HASH_ALL, false, false, false, NULL, 162 },
	{ "dk: k=ed25519", DK, T("k=ed25519; p=" KED), KEYREC_BAD_KEYTYPE, NOFIELDS },
	{ "dk: k=foobar", DK, T("k=foobar; p="), KEYREC_BAD_KEYTYPE, NOFIELDS },
	{ "dk: k= empty", DK, T("k=; p=" K512), KEYREC_BAD_KEYTYPE, NOFIELDS },
	{ "dk: no p=", DK, T("k=rsa; t=y"), KEYREC_NO_KEY, NOFIELDS },
	{ "dk: empty record", DK, T(""), KEYREC_NO_KEY, NOFIELDS },
	{ "dk: p= bad", DK, T("p=Zg"), KEYREC_BAD_KEY, NOFIELDS },
	{ "dk: tag without =", DK, T("t; p="), KEYREC_SYNTAX, NOFIELDS },
	{ "dk: duplicate g=", DK, T("g=a; g=b; p="), KEYREC_SYNTAX, NOFIELDS },
	{ "dk: NUL in g=", DK, T("g=a\0; p="), KEYREC_SYNTAX, NOFIELDS },
};

#undef OK
#undef DKIM
#undef DK
#undef NOFIELDS

static char name_buf[256];

/* test_name - "base: suffix" for the checks of one case */
static const char *test_name(const char *base, const char *suffix)
{
	snprintf(name_buf, sizeof name_buf, "%s: %s", base, suffix);
	return name_buf;
}

/* test_parse - the parser of a case's kind */
static enum keyrec_status test_parse(enum keyrec_kind kind, const char *in, size_t len, struct keyrec *k)
{
	return kind == KEYREC_TEST_DKIM ? keyrec_parse_dkim(in, len, k) : keyrec_parse_domainkeys(in, len, k);
}

/* test_check_fields - every field of a record parsed with KEYREC_OK */
static void test_check_fields(const struct keyrec_case *c, const struct keyrec *k)
{
	CHECK_INT(test_name(c->name, "type"), k->type, c->type);
	CHECK_INT(test_name(c->name, "hashes"), k->hashes, c->hashes);
	CHECK_INT(test_name(c->name, "revoked"), k->revoked, c->revoked);
	CHECK_INT(test_name(c->name, "testing"), k->testing, c->testing);
	CHECK_INT(test_name(c->name, "strict_identity"), k->strict_identity, c->strict);
	CHECK_INT(test_name(c->name, "has_granularity"), k->has_granularity, c->granularity != NULL);
	if (c->granularity)
		CHECK_STR(test_name(c->name, "granularity"), k->granularity, c->granularity);
	CHECK_INT(test_name(c->name, "key_len"), k->key_len, c->key_len);
	if (c->type == KEYREC_RSA && c->key_len > 0)
		CHECK(test_name(c->name, "key is a DER SEQUENCE ending in exponent 65537"),
		      k->key[0] == 0x30 && k->key_len >= 3 && memcmp(k->key + k->key_len - 3, "\x01\x00\x01", 3) == 0);
}

/* test_record_table - every row of keyrec_cases */
static void test_record_table(void)
{
	static struct keyrec k;

	for (size_t i = 0; i < sizeof keyrec_cases / sizeof keyrec_cases[0]; i++) {
		const struct keyrec_case *c = &keyrec_cases[i];
		enum keyrec_status st = test_parse(c->kind, c->in, c->inlen, &k);

		CHECK_INT(test_name(c->name, "status"), st, c->want);
		if (c->want == KEYREC_OK && st == KEYREC_OK)
			test_check_fields(c, &k);
	}
}

struct keyrec_strerror_case {
	const char *name;
	enum keyrec_status st;
	const char *want;
};

static const struct keyrec_strerror_case keyrec_strerror_cases[] = {
	{ "strerror: ok", KEYREC_OK, "key ok" },
	{ "strerror: syntax", KEYREC_SYNTAX, "key syntax error" },
	{ "strerror: bad version", KEYREC_BAD_VERSION, "unsupported key version" },
	{ "strerror: no key", KEYREC_NO_KEY, "no key in record" },
	{ "strerror: bad key", KEYREC_BAD_KEY, "bad key data" },
	{ "strerror: bad key type", KEYREC_BAD_KEYTYPE, "unsupported key type" },
	{ "strerror: bad hash", KEYREC_BAD_HASH, "key does not allow the hash" },
	{ "strerror: bad service", KEYREC_BAD_SERVICE, "key not for email" },
	{ "strerror: out of range", (enum keyrec_status)99, "unknown key error" },
};

/* test_strerror_table - every status has its text */
static void test_strerror_table(void)
{
	for (size_t i = 0; i < sizeof keyrec_strerror_cases / sizeof keyrec_strerror_cases[0]; i++) {
		const struct keyrec_strerror_case *c = &keyrec_strerror_cases[i];

		CHECK_STR(c->name, keyrec_strerror(c->st), c->want);
	}
}

enum keyrec_long_kind {
	KEYREC_LONG_KEY,          /* p= with n decoded bytes */
	KEYREC_LONG_GRANULARITY,  /* DomainKeys g= of n characters */
	KEYREC_LONG_TAGS,         /* n distinct unknown tags before p= */
	KEYREC_LONG_SPACES        /* p= value with n spaces inside */
};

struct keyrec_long_case {
	const char *name;
	enum keyrec_kind kind;
	enum keyrec_long_kind gen;
	size_t n;
	enum keyrec_status want;
};

static const struct keyrec_long_case keyrec_long_cases[] = {
	{ "long: dkim p= of exactly KEYREC_MAX_KEY bytes", KEYREC_TEST_DKIM, KEYREC_LONG_KEY, KEYREC_MAX_KEY, KEYREC_OK },
	{ "long: dkim p= one byte over KEYREC_MAX_KEY", KEYREC_TEST_DKIM, KEYREC_LONG_KEY, KEYREC_MAX_KEY + 1, KEYREC_BAD_KEY },
	{ "long: dkim p= of 1 MB", KEYREC_TEST_DKIM, KEYREC_LONG_KEY, 1000000, KEYREC_BAD_KEY },
	{ "long: dk p= one byte over KEYREC_MAX_KEY", KEYREC_TEST_DK, KEYREC_LONG_KEY, KEYREC_MAX_KEY + 1, KEYREC_BAD_KEY },
	{ "long: dk g= of 127 characters", KEYREC_TEST_DK, KEYREC_LONG_GRANULARITY, KEYREC_MAX_GRANULARITY - 1, KEYREC_OK },
	{ "long: dk g= of 128 characters", KEYREC_TEST_DK, KEYREC_LONG_GRANULARITY, KEYREC_MAX_GRANULARITY, KEYREC_SYNTAX },
	{ "long: dk g= of 100000 characters", KEYREC_TEST_DK, KEYREC_LONG_GRANULARITY, 100000, KEYREC_SYNTAX },
	{ "long: dkim 63 unknown tags and p=", KEYREC_TEST_DKIM, KEYREC_LONG_TAGS, 63, KEYREC_OK },
	{ "long: dkim 64 unknown tags and p=", KEYREC_TEST_DKIM, KEYREC_LONG_TAGS, 64, KEYREC_SYNTAX },
	{ "long: dkim p= with 1 MB of spaces inside", KEYREC_TEST_DKIM, KEYREC_LONG_SPACES, 1000000, KEYREC_OK },
};

/* test_long_table - very long records, built at run time */
static void test_long_table(void)
{
	enum { CAP = 1500000 };
	static struct keyrec k;
	char *text = malloc(CAP);
	unsigned char *raw = malloc(1000000);

	if (!text || !raw) {
		CHECK("long: allocation", 0);
		goto out;
	}
	for (size_t i = 0; i < 1000000; i++)
		raw[i] = (unsigned char)(i * 7 + 3);
	for (size_t i = 0; i < sizeof keyrec_long_cases / sizeof keyrec_long_cases[0]; i++) {
		const struct keyrec_long_case *c = &keyrec_long_cases[i];
		size_t len = 0;
		enum keyrec_status st;

		switch (c->gen) {
		case KEYREC_LONG_KEY:
			memcpy(text, "p=", 2);
			base64_encode(raw, c->n, text + 2);
			len = 2 + base64_encoded_len(c->n);
			break;
		case KEYREC_LONG_GRANULARITY:
			memcpy(text, "g=", 2);
			memset(text + 2, 'g', c->n);
			len = 2 + c->n;
			len += (size_t)snprintf(text + len, CAP - len, "; p=%s", K512);
			break;
		case KEYREC_LONG_TAGS:
			for (size_t j = 0; j < c->n; j++)
				len += (size_t)snprintf(text + len, CAP - len, "x%zu=1; ", j);
			len += (size_t)snprintf(text + len, CAP - len, "p=%s", K512);
			break;
		case KEYREC_LONG_SPACES:
			len = (size_t)snprintf(text, CAP, "p=%s", K1024A);
			memset(text + len, ' ', c->n);
			len += c->n;
			len += (size_t)snprintf(text + len, CAP - len, "%s", K1024B);
			break;
		}
		st = test_parse(c->kind, text, len, &k);
		CHECK_INT(test_name(c->name, "status"), st, c->want);
		if (st != KEYREC_OK)
			continue;
		switch (c->gen) {
		case KEYREC_LONG_KEY:
			CHECK_MEM(test_name(c->name, "key"), k.key, k.key_len, raw, c->n);
			break;
		case KEYREC_LONG_GRANULARITY:
			CHECK_INT(test_name(c->name, "granularity length"), strlen(k.granularity), c->n);
			break;
		case KEYREC_LONG_TAGS:
		case KEYREC_LONG_SPACES:
			CHECK_INT(test_name(c->name, "key_len"), k.key_len, c->gen == KEYREC_LONG_TAGS ? 94 : 162);
			break;
		}
	}
out:
	free(text);
	free(raw);
}

/* main - run every table */
int main(void)
{
	test_record_table();
	test_strerror_table();
	test_long_table();
	return unit_done();
}
