/* test_dksig.c - unit tests of dksig_parse: the DomainKey-Signature field value (RFC 4870 3.3) */
#include <stdlib.h>

#include "record/dksig.h"
#include "unit.h"

/* b= of 4 bytes ("test") and its decoded length */
#define B64 "dGVzdA=="
#define B64_LEN 4

struct dksig_case {
	const char *name;
	const char *in;
	enum dksig_status want;
	/* checked when want is DKSIG_OK */
	const char *algorithm;
	const char *domain;
	const char *selector;
	enum dkmod_canon canon;
	const char *h;       /* NULL: h= absent */
	const char *b_text;
	size_t b_len;
};

static const struct dksig_case dksig_cases[] = {
	/* accepted */
	{ "minimal, defaults", "b=" B64 "; d=example.com; s=brisbane", DKSIG_OK, "rsa-sha1", "example.com", "brisbane",
	  DKMOD_CANON_SIMPLE, NULL, B64, B64_LEN },
	{ "RFC 4870 example", "a=rsa-sha1; s=brisbane; d=example.net; c=simple; q=dns; b=" B64 ";", DKSIG_OK,
	  "rsa-sha1", "example.net", "brisbane", DKMOD_CANON_SIMPLE, NULL, B64, B64_LEN },
	{ "a=rsa-sha1 explicit", "a=rsa-sha1; b=" B64 "; d=example.com; s=s1", DKSIG_OK, "rsa-sha1", "example.com",
	  "s1", DKMOD_CANON_SIMPLE, NULL, B64, B64_LEN },
	{ "c=simple", "c=simple; b=" B64 "; d=example.com; s=s1", DKSIG_OK, "rsa-sha1", "example.com", "s1",
	  DKMOD_CANON_SIMPLE, NULL, B64, B64_LEN },
	{ "c=nofws", "c=nofws; b=" B64 "; d=example.com; s=s1", DKSIG_OK, "rsa-sha1", "example.com", "s1",
	  DKMOD_CANON_NOFWS, NULL, B64, B64_LEN },
	{ "q=dns", "q=dns; b=" B64 "; d=example.com; s=s1", DKSIG_OK, "rsa-sha1", "example.com", "s1",
	  DKMOD_CANON_SIMPLE, NULL, B64, B64_LEN },
	{ "selector with dots", "b=" B64 "; d=example.com; s=main.sydney", DKSIG_OK, "rsa-sha1", "example.com",
	  "main.sydney", DKMOD_CANON_SIMPLE, NULL, B64, B64_LEN },
	{ "domain case kept", "b=" B64 "; d=Example.COM; s=S1", DKSIG_OK, "rsa-sha1", "Example.COM", "S1",
	  DKMOD_CANON_SIMPLE, NULL, B64, B64_LEN },
	{ "h= kept", "h=From:To:Subject; b=" B64 "; d=example.com; s=s1", DKSIG_OK, "rsa-sha1", "example.com", "s1",
	  DKMOD_CANON_SIMPLE, "From:To:Subject", B64, B64_LEN },
	{ "h= with folding kept as written", "h=from :\r\n\tto; b=" B64 "; d=example.com; s=s1", DKSIG_OK,
	  "rsa-sha1", "example.com", "s1", DKMOD_CANON_SIMPLE, "from :\r\n\tto", B64, B64_LEN },
	{ "h= empty", "h=; b=" B64 "; d=example.com; s=s1", DKSIG_OK, "rsa-sha1", "example.com", "s1",
	  DKMOD_CANON_SIMPLE, "", B64, B64_LEN },
	{ "b= with spaces", "b=dGVz dA= =; d=example.com; s=s1", DKSIG_OK, "rsa-sha1", "example.com", "s1",
	  DKMOD_CANON_SIMPLE, NULL, B64, B64_LEN },
	{ "folded with CRLF and tab", "a=rsa-sha1;\r\n\ts=s1; d=example.com;\r\n\tc=nofws; q=dns;\r\n\tb=dGVz\r\n\tdA==",
	  DKSIG_OK, "rsa-sha1", "example.com", "s1", DKMOD_CANON_NOFWS, NULL, B64, B64_LEN },
	{ "folded with bare LF", "s=s1;\n d=example.com;\n b=dGVz\n dA==", DKSIG_OK, "rsa-sha1", "example.com", "s1",
	  DKMOD_CANON_SIMPLE, NULL, B64, B64_LEN },
	{ "spaces around = and ;", " b = " B64 " ; d = example.com ; s = s1 ; ", DKSIG_OK, "rsa-sha1", "example.com",
	  "s1", DKMOD_CANON_SIMPLE, NULL, B64, B64_LEN },
	{ "unknown tag ignored", "b=" B64 "; d=example.com; s=s1; z=whatever", DKSIG_OK, "rsa-sha1", "example.com",
	  "s1", DKMOD_CANON_SIMPLE, NULL, B64, B64_LEN },
	{ "underscore in selector", "b=" B64 "; d=example.com; s=sel_1", DKSIG_OK, "rsa-sha1", "example.com", "sel_1",
	  DKMOD_CANON_SIMPLE, NULL, B64, B64_LEN },
	/* query method */
	{ "q= empty", "q=; b=" B64 "; d=example.com; s=s1", DKSIG_QUERY, NULL, NULL, NULL, 0, NULL, NULL, 0 },
	{ "q=http", "q=http; b=" B64 "; d=example.com; s=s1", DKSIG_QUERY, NULL, NULL, NULL, 0, NULL, NULL, 0 },
	{ "q=DNS (case)", "q=DNS; b=" B64 "; d=example.com; s=s1", DKSIG_QUERY, NULL, NULL, NULL, 0, NULL, NULL, 0 },
	{ "q=dns/txt (DKIM form)", "q=dns/txt; b=" B64 "; d=example.com; s=s1", DKSIG_QUERY, NULL, NULL, NULL, 0,
	  NULL, NULL, 0 },
	/* algorithm and canonicalization */
	{ "a=rsa-sha256", "a=rsa-sha256; b=" B64 "; d=example.com; s=s1", DKSIG_ALGORITHM, NULL, NULL, NULL, 0, NULL,
	  NULL, 0 },
	{ "a= empty", "a=; b=" B64 "; d=example.com; s=s1", DKSIG_ALGORITHM, NULL, NULL, NULL, 0, NULL, NULL, 0 },
	{ "a=RSA-SHA1 (case)", "a=RSA-SHA1; b=" B64 "; d=example.com; s=s1", DKSIG_ALGORITHM, NULL, NULL, NULL, 0,
	  NULL, NULL, 0 },
	{ "c=relaxed", "c=relaxed; b=" B64 "; d=example.com; s=s1", DKSIG_CANON, NULL, NULL, NULL, 0, NULL, NULL, 0 },
	{ "c=simple/simple (DKIM form)", "c=simple/simple; b=" B64 "; d=example.com; s=s1", DKSIG_CANON, NULL, NULL,
	  NULL, 0, NULL, NULL, 0 },
	{ "c= empty", "c=; b=" B64 "; d=example.com; s=s1", DKSIG_CANON, NULL, NULL, NULL, 0, NULL, NULL, 0 },
	/* required tags */
	{ "missing b", "d=example.com; s=s1", DKSIG_MISSING_TAG, NULL, NULL, NULL, 0, NULL, NULL, 0 },
	{ "missing d", "b=" B64 "; s=s1", DKSIG_MISSING_TAG, NULL, NULL, NULL, 0, NULL, NULL, 0 },
	{ "missing s", "b=" B64 "; d=example.com", DKSIG_MISSING_TAG, NULL, NULL, NULL, 0, NULL, NULL, 0 },
	{ "empty value", "", DKSIG_MISSING_TAG, NULL, NULL, NULL, 0, NULL, NULL, 0 },
	/* names */
	{ "d= empty", "b=" B64 "; d=; s=s1", DKSIG_DOMAIN, NULL, NULL, NULL, 0, NULL, NULL, 0 },
	{ "d= empty label", "b=" B64 "; d=example..com; s=s1", DKSIG_DOMAIN, NULL, NULL, NULL, 0, NULL, NULL, 0 },
	{ "d= with @", "b=" B64 "; d=joe@example.com; s=s1", DKSIG_DOMAIN, NULL, NULL, NULL, 0, NULL, NULL, 0 },
	{ "s= with space", "b=" B64 "; d=example.com; s=s 1", DKSIG_DOMAIN, NULL, NULL, NULL, 0, NULL, NULL, 0 },
	{ "h= with space inside a name", "h=fr om; b=" B64 "; d=example.com; s=s1", DKSIG_DOMAIN, NULL, NULL, NULL, 0,
	  NULL, NULL, 0 },
	/* b= */
	{ "bad base64 character", "b=dGVz*A==; d=example.com; s=s1", DKSIG_BASE64, NULL, NULL, NULL, 0, NULL, NULL,
	  0 },
	{ "base64 length not multiple of 4", "b=dGVzdA=; d=example.com; s=s1", DKSIG_BASE64, NULL, NULL, NULL, 0, NULL,
	  NULL, 0 },
	{ "b= empty", "b=; d=example.com; s=s1", DKSIG_BASE64, NULL, NULL, NULL, 0, NULL, NULL, 0 },
	/* syntax */
	{ "duplicate tag", "b=" B64 "; d=example.com; s=s1; d=example.org", DKSIG_SYNTAX, NULL, NULL, NULL, 0, NULL,
	  NULL, 0 },
	{ "duplicate b", "b=" B64 "; b=" B64 "; d=example.com; s=s1", DKSIG_SYNTAX, NULL, NULL, NULL, 0, NULL, NULL,
	  0 },
	{ "missing =", "b=" B64 "; d; s=s1", DKSIG_SYNTAX, NULL, NULL, NULL, 0, NULL, NULL, 0 },
	{ "empty element", "b=" B64 ";; d=example.com; s=s1", DKSIG_SYNTAX, NULL, NULL, NULL, 0, NULL, NULL, 0 },
	{ "line break without WSP", "b=" B64 ";\r\nd=example.com; s=s1", DKSIG_SYNTAX, NULL, NULL, NULL, 0, NULL, NULL,
	  0 },
};

static char name_buf[256];

/* test_name - "base: suffix" for the checks of one case */
static const char *test_name(const char *base, const char *suffix)
{
	snprintf(name_buf, sizeof name_buf, "%s: %s", base, suffix);
	return name_buf;
}

/* test_table - every row of dksig_cases, each parsed from an exact-length heap copy */
static void test_table(void)
{
	for (size_t k = 0; k < sizeof dksig_cases / sizeof dksig_cases[0]; k++) {
		const struct dksig_case *c = &dksig_cases[k];
		size_t len = strlen(c->in);
		char *in = malloc(len ? len : 1);
		struct dksig sig;

		if (!in) {
			CHECK(test_name(c->name, "malloc"), 0);
			continue;
		}
		memcpy(in, c->in, len);
		enum dksig_status st = dksig_parse(in, len, &sig);
		CHECK_INT(test_name(c->name, "status"), st, c->want);
		CHECK(test_name(c->name, "strerror"), dksig_strerror(st) != NULL && (st == DKSIG_OK) == !*dksig_strerror(st));
		if (c->want == DKSIG_OK && st == DKSIG_OK) {
			CHECK_STR(test_name(c->name, "algorithm"), sig.algorithm, c->algorithm);
			CHECK_STR(test_name(c->name, "domain"), sig.domain, c->domain);
			CHECK_STR(test_name(c->name, "selector"), sig.selector, c->selector);
			CHECK_INT(test_name(c->name, "canon"), sig.canon, c->canon);
			if (c->h) {
				CHECK(test_name(c->name, "h points into input"),
				      sig.h >= in && sig.h + sig.h_len <= in + len);
				CHECK_MEM(test_name(c->name, "h"), sig.h, sig.h_len, c->h, strlen(c->h));
			} else {
				CHECK(test_name(c->name, "h absent"), sig.h == NULL && sig.h_len == 0);
			}
			CHECK_STR(test_name(c->name, "b_text"), sig.b_text, c->b_text);
			CHECK_INT(test_name(c->name, "b_len"), sig.b_len, c->b_len);
			CHECK_MEM(test_name(c->name, "b bytes"), sig.b, sig.b_len, "test", c->b_len);
		}
		free(in);
	}
}

struct dksig_alg_case {
	const char *name;
	const char *in;
	const char *algorithm;  /* kept even when rejected */
};

static const struct dksig_alg_case dksig_alg_cases[] = {
	{ "algorithm kept: absent", "b=" B64 "; d=example.com; s=s1", "rsa-sha1" },
	{ "algorithm kept: rsa-sha256", "a=rsa-sha256; b=" B64 "; d=example.com; s=s1", "rsa-sha256" },
	{ "algorithm kept: cut at 31", "a=abcdefghijabcdefghijabcdefghijabcdefghij; b=" B64 "; d=example.com; s=s1",
	  "abcdefghijabcdefghijabcdefghija" },
	{ "algorithm kept: with missing tags", "a=foo", "foo" },
};

/* test_alg_table - a= is reported as written, also on failure */
static void test_alg_table(void)
{
	for (size_t k = 0; k < sizeof dksig_alg_cases / sizeof dksig_alg_cases[0]; k++) {
		const struct dksig_alg_case *c = &dksig_alg_cases[k];
		struct dksig sig;

		dksig_parse(c->in, strlen(c->in), &sig);
		CHECK_STR(c->name, sig.algorithm, c->algorithm);
	}
}

struct dksig_long_case {
	size_t bytes;             /* decoded size of b= */
	enum dksig_status want;
};

static const struct dksig_long_case dksig_long_cases[] = {
	{ 512, DKSIG_OK },     /* RSA-4096 */
	{ 1024, DKSIG_OK },    /* RSA-8192: CRYPTO_MAX_SIG */
	{ 1026, DKSIG_BASE64 }, /* one group more than CRYPTO_MAX_SIG */
};

/* test_long_table - long b= folded every 64 characters with CRLF TAB */
static void test_long_table(void)
{
	for (size_t k = 0; k < sizeof dksig_long_cases / sizeof dksig_long_cases[0]; k++) {
		const struct dksig_long_case *c = &dksig_long_cases[k];
		size_t chars = (c->bytes + 2) / 3 * 4, len;
		char *in = malloc(chars * 2 + 64), name[64];
		struct dksig sig;

		if (!in) {
			CHECK("long b=: malloc", 0);
			continue;
		}
		len = (size_t)sprintf(in, "d=example.com; s=s1; b=");
		for (size_t i = 0; i < chars; i++) {
			if (i && i % 64 == 0) {
				memcpy(in + len, "\r\n\t", 3);
				len += 3;
			}
			/* the last group carries 1 or 2 bytes behind "==" or "=" */
			in[len++] = i >= chars - (3 - c->bytes % 3) % 3 ? '=' : 'A';
		}
		enum dksig_status st = dksig_parse(in, len, &sig);
		snprintf(name, sizeof name, "b= of %zu bytes: status", c->bytes);
		CHECK_INT(name, st, c->want);
		if (st == DKSIG_OK) {
			snprintf(name, sizeof name, "b= of %zu bytes: b_len", c->bytes);
			CHECK_INT(name, sig.b_len, c->bytes);
			snprintf(name, sizeof name, "b= of %zu bytes: b_text unfolded", c->bytes);
			CHECK_INT(name, strlen(sig.b_text), chars);
		}
		free(in);
	}
}

/* main - run the tables */
int main(void)
{
	test_table();
	test_alg_table();
	test_long_table();
	return unit_done();
}
