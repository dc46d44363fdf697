/* test_dkimsig.c - unit tests of dkimsig_parse, dkimsig_domain_within and dkimsig_valid_domain (RFC 6376 3.5) */
#include <stdlib.h>

#include "record/dkimsig.h"
#include "unit.h"

/* Pieces of a signature field: the field name, v=1, the usual tags, a valid bh= and b=. */
#define HDR "DKIM-Signature: "
#define V1 "v=1; "
#define STD "a=rsa-sha256; d=example.com; s=sel; h=from:to; "
#define BH "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
#define B "b=dGVzdA=="
#define TAIL BH "; " B
/* 1024 base64 characters (768 bytes) */
#define B64_16 "AAAAAAAAAAAAAAAA"
#define B64_128 B64_16 B64_16 B64_16 B64_16 B64_16 B64_16 B64_16 B64_16
#define B64_1024 B64_128 B64_128 B64_128 B64_128 B64_128 B64_128 B64_128 B64_128

struct dkimsig_case {
	const char *name;
	const char *text;          /* the whole field; the value starts after the first ':' */
	enum dkimsig_status want;
	/* checked on DKIMSIG_OK; NULL means the default shown */
	const char *algorithm;     /* "rsa-sha256" */
	const char *canon;         /* "simple/simple" */
	const char *identity;      /* "@example.com" */
	const char *numbers;       /* "l/t/x", "-1/-1/-1" */
	const char *domain;        /* "example.com"; also checked on failure when set */
	const char *selector;      /* "sel" */
	const char *h;             /* "from:to" */
	/* checked whenever set: text[b_start..b_end) */
	const char *b_value;
};

static const struct dkimsig_case dkimsig_cases[] = {
	/* accepted */
	{ .name = "minimal", .text = HDR V1 STD TAIL, .want = DKIMSIG_OK, .b_value = "dGVzdA==" },
	{ .name = "RFC 6376 A.2 style", .want = DKIMSIG_OK,
	  .text = "DKIM-Signature: v=1; a=rsa-sha256; s=brisbane; d=example.com;\r\n"
		  "      c=simple/simple; q=dns/txt; i=joe@football.example.com;\r\n"
		  "      h=Received : From : To : Subject : Date : Message-ID;\r\n"
		  "      bh=2jmj7l5rSw0yVb/vlWAYkK/YBwk=;\r\n"
		  "      b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB\r\n"
		  "      4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut\r\n"
		  "      KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV\r\n"
		  "      4bmp/YzhwvcubU4=;",
	  .selector = "brisbane", .identity = "joe@football.example.com",
	  .h = "Received : From : To : Subject : Date : Message-ID",
	  .b_value = "AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB\r\n"
		     "      4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut\r\n"
		     "      KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV\r\n"
		     "      4bmp/YzhwvcubU4=" },
	{ .name = "v= with spaces", .text = HDR " v = 1 ; " STD TAIL, .want = DKIMSIG_OK },
	{ .name = "a=rsa-sha1", .text = HDR V1 "a=rsa-sha1; d=example.com; s=sel; h=from:to; " TAIL,
	  .want = DKIMSIG_OK, .algorithm = "rsa-sha1" },
	{ .name = "a=ed25519-sha256", .text = HDR V1 "a=ed25519-sha256; d=example.com; s=sel; h=from:to; " TAIL,
	  .want = DKIMSIG_OK, .algorithm = "ed25519-sha256" },
	{ .name = "unknown tag ignored", .text = HDR V1 STD "zz=whatever; " TAIL, .want = DKIMSIG_OK },
	{ .name = "no space after colon", .text = "DKIM-Signature:" V1 STD TAIL, .want = DKIMSIG_OK },
	{ .name = "folded with CRLF tab",
	  .text = HDR V1 "a=rsa-sha256;\r\n\td=example.com; s=sel;\r\n\th=from:to;\r\n\t" BH ";\r\n\tb=dGVz\r\n\tdA==",
	  .want = DKIMSIG_OK, .b_value = "dGVz\r\n\tdA==" },
	/* c= */
	{ .name = "c=relaxed", .text = HDR V1 STD "c=relaxed; " TAIL, .want = DKIMSIG_OK, .canon = "relaxed/simple" },
	{ .name = "c=simple", .text = HDR V1 STD "c=simple; " TAIL, .want = DKIMSIG_OK, .canon = "simple/simple" },
	{ .name = "c=simple/relaxed", .text = HDR V1 STD "c=simple/relaxed; " TAIL, .want = DKIMSIG_OK,
	  .canon = "simple/relaxed" },
	{ .name = "c=relaxed/relaxed", .text = HDR V1 STD "c=relaxed/relaxed; " TAIL, .want = DKIMSIG_OK,
	  .canon = "relaxed/relaxed" },
	{ .name = "c=relaxed/foo", .text = HDR V1 STD "c=relaxed/foo; " TAIL, .want = DKIMSIG_CANON },
	{ .name = "c=foo", .text = HDR V1 STD "c=foo; " TAIL, .want = DKIMSIG_CANON },
	{ .name = "c=relaxed/", .text = HDR V1 STD "c=relaxed/; " TAIL, .want = DKIMSIG_CANON },
	{ .name = "c=/relaxed", .text = HDR V1 STD "c=/relaxed; " TAIL, .want = DKIMSIG_CANON },
	{ .name = "c=nofws (DomainKeys only)", .text = HDR V1 STD "c=nofws; " TAIL, .want = DKIMSIG_CANON },
	{ .name = "c=relaxed/simple/simple", .text = HDR V1 STD "c=relaxed/simple/simple; " TAIL,
	  .want = DKIMSIG_CANON },
	{ .name = "c= empty", .text = HDR V1 STD "c=; " TAIL, .want = DKIMSIG_CANON },
	/* q= */
	{ .name = "q=dns/txt", .text = HDR V1 STD "q=dns/txt; " TAIL, .want = DKIMSIG_OK },
	{ .name = "q=dns/txt:other", .text = HDR V1 STD "q=dns/txt:other; " TAIL, .want = DKIMSIG_OK },
	{ .name = "q=other:dns/txt", .text = HDR V1 STD "q=other : dns/txt; " TAIL, .want = DKIMSIG_OK },
	{ .name = "q=http", .text = HDR V1 STD "q=http; " TAIL, .want = DKIMSIG_QUERY },
	{ .name = "q=dns (draft form)", .text = HDR V1 STD "q=dns; " TAIL, .want = DKIMSIG_QUERY },
	{ .name = "q= empty", .text = HDR V1 STD "q=; " TAIL, .want = DKIMSIG_QUERY },
	/* v= */
	{ .name = "v= missing", .text = HDR STD TAIL, .want = DKIMSIG_VERSION, .domain = "example.com" },
	{ .name = "v=0.5", .text = HDR "v=0.5; " STD TAIL, .want = DKIMSIG_VERSION, .domain = "example.com" },
	{ .name = "v=2", .text = HDR "v=2; " STD TAIL, .want = DKIMSIG_VERSION },
	{ .name = "v=01", .text = HDR "v=01; " STD TAIL, .want = DKIMSIG_VERSION },
	{ .name = "v= empty", .text = HDR "v=; " STD TAIL, .want = DKIMSIG_VERSION },
	{ .name = "v= missing beats missing tags", .text = HDR "d=example.com", .want = DKIMSIG_VERSION,
	  .domain = "example.com" },
	/* required tags */
	{ .name = "a= missing", .text = HDR V1 "d=example.com; s=sel; h=from; " TAIL, .want = DKIMSIG_MISSING_TAG },
	{ .name = "b= missing", .text = HDR V1 STD BH, .want = DKIMSIG_MISSING_TAG },
	{ .name = "bh= missing", .text = HDR V1 STD B, .want = DKIMSIG_MISSING_TAG },
	{ .name = "d= missing", .text = HDR V1 "a=rsa-sha256; s=sel; h=from; " TAIL, .want = DKIMSIG_MISSING_TAG },
	{ .name = "h= missing", .text = HDR V1 "a=rsa-sha256; d=example.com; s=sel; " TAIL,
	  .want = DKIMSIG_MISSING_TAG },
	{ .name = "s= missing", .text = HDR V1 "a=rsa-sha256; d=example.com; h=from; " TAIL,
	  .want = DKIMSIG_MISSING_TAG },
	{ .name = "only v=1", .text = HDR "v=1", .want = DKIMSIG_MISSING_TAG },
	/* a= */
	{ .name = "a=rsa-md5", .text = HDR V1 "a=rsa-md5; d=example.com; s=sel; h=from; " TAIL,
	  .want = DKIMSIG_ALGORITHM },
	{ .name = "a=RSA-SHA256 (case)", .text = HDR V1 "a=RSA-SHA256; d=example.com; s=sel; h=from; " TAIL,
	  .want = DKIMSIG_ALGORITHM },
	{ .name = "a= empty", .text = HDR V1 "a=; d=example.com; s=sel; h=from; " TAIL, .want = DKIMSIG_ALGORITHM },
	/* d= and s= */
	{ .name = "d= empty label", .text = HDR V1 "a=rsa-sha256; d=example..com; s=sel; h=from; " TAIL,
	  .want = DKIMSIG_DOMAIN },
	{ .name = "d= with space", .text = HDR V1 "a=rsa-sha256; d=exa mple.com; s=sel; h=from; " TAIL,
	  .want = DKIMSIG_DOMAIN },
	{ .name = "d= trailing dot", .text = HDR V1 "a=rsa-sha256; d=example.com.; s=sel; h=from; " TAIL,
	  .want = DKIMSIG_DOMAIN },
	{ .name = "s= with slash", .text = HDR V1 "a=rsa-sha256; d=example.com; s=se/l; h=from; " TAIL,
	  .want = DKIMSIG_DOMAIN, .domain = "example.com" },
	{ .name = "s= with dots", .text = HDR V1 "a=rsa-sha256; d=example.com; s=main.sydney; h=from:to; " TAIL,
	  .want = DKIMSIG_OK, .selector = "main.sydney" },
	/* i= */
	{ .name = "i= default @d", .text = HDR V1 STD TAIL, .want = DKIMSIG_OK, .identity = "@example.com" },
	{ .name = "i= equal to d", .text = HDR V1 STD "i=@example.com; " TAIL, .want = DKIMSIG_OK },
	{ .name = "i= with local part", .text = HDR V1 STD "i=joe@example.com; " TAIL, .want = DKIMSIG_OK,
	  .identity = "joe@example.com" },
	{ .name = "i= =2E decoded", .text = HDR V1 STD "i=joe=2Esmith@example.com; " TAIL, .want = DKIMSIG_OK,
	  .identity = "joe.smith@example.com" },
	{ .name = "i= =3B decoded", .text = HDR V1 STD "i=a=3Bb@example.com; " TAIL, .want = DKIMSIG_OK,
	  .identity = "a;b@example.com" },
	{ .name = "i= =40 gives the @", .text = HDR V1 STD "i=joe=40example.com; " TAIL, .want = DKIMSIG_OK,
	  .identity = "joe@example.com" },
	{ .name = "i= subdomain of d", .text = HDR V1 STD "i=joe@mail.sub.example.com; " TAIL, .want = DKIMSIG_OK,
	  .identity = "joe@mail.sub.example.com" },
	{ .name = "d= case-insensitive against i=",
	  .text = HDR V1 "a=rsa-sha256; d=Example.COM; s=sel; h=from:to; i=@example.com; " TAIL, .want = DKIMSIG_OK,
	  .domain = "Example.COM" },
	{ .name = "i= upper case subdomain", .text = HDR V1 STD "i=@SUB.Example.Com; " TAIL, .want = DKIMSIG_OK,
	  .identity = "@SUB.Example.Com" },
	{ .name = "i= default keeps d= case", .text = HDR V1 "a=rsa-sha256; d=Example.COM; s=sel; h=from:to; " TAIL,
	  .want = DKIMSIG_OK, .domain = "Example.COM", .identity = "@Example.COM" },
	{ .name = "i= outside d", .text = HDR V1 STD "i=joe@example.org; " TAIL, .want = DKIMSIG_IDENTITY },
	{ .name = "i= suffix but not subdomain", .text = HDR V1 STD "i=joe@notexample.com; " TAIL,
	  .want = DKIMSIG_IDENTITY },
	{ .name = "i= parent of d", .text = HDR V1 "a=rsa-sha256; d=mail.example.com; s=sel; h=from; i=@example.com; " TAIL,
	  .want = DKIMSIG_IDENTITY },
	{ .name = "i= without @", .text = HDR V1 STD "i=example.com; " TAIL, .want = DKIMSIG_IDENTITY },
	{ .name = "i= empty domain", .text = HDR V1 STD "i=joe@; " TAIL, .want = DKIMSIG_IDENTITY },
	{ .name = "i= empty label", .text = HDR V1 STD "i=joe@a..example.com; " TAIL, .want = DKIMSIG_IDENTITY },
	{ .name = "i= bad quoted-printable", .text = HDR V1 STD "i=joe=2@example.com; " TAIL,
	  .want = DKIMSIG_IDENTITY },
	{ .name = "i= escape gives outside domain", .text = HDR V1 STD "i=joe@example.com=2Eevil.org; " TAIL,
	  .want = DKIMSIG_IDENTITY },
	/* h= */
	{ .name = "h=from", .text = HDR V1 "a=rsa-sha256; d=example.com; s=sel; h=from; " TAIL, .want = DKIMSIG_OK,
	  .h = "from" },
	{ .name = "h=From (capital)", .text = HDR V1 "a=rsa-sha256; d=example.com; s=sel; h=From; " TAIL,
	  .want = DKIMSIG_OK, .h = "From" },
	{ .name = "h=FROM among others", .text = HDR V1 "a=rsa-sha256; d=example.com; s=sel; h=to : FROM : subject; " TAIL,
	  .want = DKIMSIG_OK, .h = "to : FROM : subject" },
	{ .name = "h= without from", .text = HDR V1 "a=rsa-sha256; d=example.com; s=sel; h=to:subject; " TAIL,
	  .want = DKIMSIG_NO_FROM },
	{ .name = "h= with from-like name", .text = HDR V1 "a=rsa-sha256; d=example.com; s=sel; h=from2:x-from; " TAIL,
	  .want = DKIMSIG_NO_FROM },
	{ .name = "h= empty", .text = HDR V1 "a=rsa-sha256; d=example.com; s=sel; h=; " TAIL, .want = DKIMSIG_NO_FROM },
	{ .name = "h= empty item", .text = HDR V1 "a=rsa-sha256; d=example.com; s=sel; h=from::to; " TAIL,
	  .want = DKIMSIG_SYNTAX },
	{ .name = "h=fRoM", .text = HDR V1 "a=rsa-sha256; d=example.com; s=sel; h=fRoM; " TAIL, .want = DKIMSIG_OK,
	  .h = "fRoM" },
	{ .name = "h= Fr0m is not From", .text = HDR V1 "a=rsa-sha256; d=example.com; s=sel; h=Fr0m:to; " TAIL,
	  .want = DKIMSIG_NO_FROM },
	{ .name = "h= fro is not From", .text = HDR V1 "a=rsa-sha256; d=example.com; s=sel; h=to:fro; " TAIL,
	  .want = DKIMSIG_NO_FROM },
	{ .name = "h= FROMx is not From", .text = HDR V1 "a=rsa-sha256; d=example.com; s=sel; h=FROMx; " TAIL,
	  .want = DKIMSIG_NO_FROM },
	{ .name = "h= fro/ is not From", .text = HDR V1 "a=rsa-sha256; d=example.com; s=sel; h=fro/:frOM@; " TAIL,
	  .want = DKIMSIG_NO_FROM },
	{ .name = "h= space inside name", .text = HDR V1 "a=rsa-sha256; d=example.com; s=sel; h=fr om; " TAIL,
	  .want = DKIMSIG_SYNTAX },
	/* l=, t=, x= */
	{ .name = "l= t= x=", .text = HDR V1 STD "l=100; t=1117574938; x=1118006938; " TAIL, .want = DKIMSIG_OK,
	  .numbers = "100/1117574938/1118006938" },
	{ .name = "l=0", .text = HDR V1 STD "l=0; " TAIL, .want = DKIMSIG_OK, .numbers = "0/-1/-1" },
	{ .name = "t= only", .text = HDR V1 STD "t=1; " TAIL, .want = DKIMSIG_OK, .numbers = "-1/1/-1" },
	{ .name = "x= only", .text = HDR V1 STD "x=5; " TAIL, .want = DKIMSIG_OK, .numbers = "-1/-1/5" },
	{ .name = "18 digits", .text = HDR V1 STD "l=999999999999999999; " TAIL, .want = DKIMSIG_OK,
	  .numbers = "999999999999999999/-1/-1" },
	{ .name = "x < t", .text = HDR V1 STD "t=1000; x=999; " TAIL, .want = DKIMSIG_NUMBER },
	{ .name = "x = t (RFC 6376 3.5: x MUST be greater than t)", .text = HDR V1 STD "t=1000; x=1000; " TAIL,
	  .want = DKIMSIG_NUMBER },
	{ .name = "l= non-digit", .text = HDR V1 STD "l=12a; " TAIL, .want = DKIMSIG_NUMBER },
	{ .name = "l= negative", .text = HDR V1 STD "l=-1; " TAIL, .want = DKIMSIG_NUMBER },
	{ .name = "l= empty", .text = HDR V1 STD "l=; " TAIL, .want = DKIMSIG_NUMBER },
	{ .name = "t= hex", .text = HDR V1 STD "t=0x10; " TAIL, .want = DKIMSIG_NUMBER },
	{ .name = "x= with space", .text = HDR V1 STD "x=1 2; " TAIL, .want = DKIMSIG_NUMBER },
	/* b= and bh= */
	{ .name = "bh= bad base64", .text = HDR V1 STD "bh=47DEQ*j8; " B, .want = DKIMSIG_BASE64 },
	{ .name = "bh= empty", .text = HDR V1 STD "bh=; " B, .want = DKIMSIG_BASE64 },
	{ .name = "b= bad base64", .text = HDR V1 STD BH "; b=dGVzdA=", .want = DKIMSIG_BASE64, .b_value = "dGVzdA=" },
	{ .name = "b= empty at end", .text = HDR V1 STD BH "; b=", .want = DKIMSIG_BASE64, .b_value = "" },
	{ .name = "bh= too long for a digest", .text = HDR V1 STD "bh=" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; " B,
	  .want = DKIMSIG_BASE64 },
	/* where b= lies */
	{ .name = "b= at the end", .text = HDR V1 STD BH "; b= dGVz dA==", .want = DKIMSIG_OK, .b_value = " dGVz dA==" },
	{ .name = "b= at the end with ;", .text = HDR V1 STD BH "; b=dGVzdA== ;", .want = DKIMSIG_OK,
	  .b_value = "dGVzdA== " },
	{ .name = "b= at the end with ; and space", .text = HDR V1 STD BH "; b=dGVzdA==; ", .want = DKIMSIG_OK,
	  .b_value = "dGVzdA==" },
	{ .name = "b= in the middle", .text = HDR V1 "b= dGVz\r\n dA== ; " STD BH, .want = DKIMSIG_OK,
	  .b_value = " dGVz\r\n dA== " },
	{ .name = "b= first with space before =", .text = HDR "b =dGVzdA==;" V1 STD BH, .want = DKIMSIG_OK,
	  .b_value = "dGVzdA==" },
	{ .name = "b= after bh=", .text = HDR V1 STD BH ";b=dGVzdA==;t=5", .want = DKIMSIG_OK, .b_value = "dGVzdA==",
	  .numbers = "-1/5/-1" },
	{ .name = "b= located on failure", .text = HDR "v=2; b=dGVzdA==; d=example.com", .want = DKIMSIG_VERSION,
	  .b_value = "dGVzdA==" },
	/* b= is decoded as its text is kept: the text whole whatever the decoding finds */
	{ .name = "b= bad byte, text kept whole", .text = HDR V1 STD BH "; b=dG*V z\r\n dA==", .want = DKIMSIG_BASE64,
	  .b_value = "dG*V z\r\n dA==" },
	{ .name = "b= data after padding, text kept whole", .text = HDR V1 STD BH "; b=dGVzdA== dGVz",
	  .want = DKIMSIG_BASE64, .b_value = "dGVzdA== dGVz" },
	{ .name = "b= too long for a signature, text kept whole", .want = DKIMSIG_BASE64,
	  .text = HDR V1 STD BH "; b=" B64_1024 " " B64_1024 " AAAA",
	  .b_value = B64_1024 " " B64_1024 " AAAA" },
	{ .name = "b= bad after a missing tag", .text = HDR V1 "a=rsa-sha256; b=dG*V; d=example.com",
	  .want = DKIMSIG_MISSING_TAG, .b_value = "dG*V" },
	/* syntax */
	{ .name = "duplicate tag", .text = HDR V1 STD "d=example.org; " TAIL, .want = DKIMSIG_SYNTAX },
	{ .name = "duplicate b", .text = HDR V1 STD TAIL "; " B, .want = DKIMSIG_SYNTAX },
	{ .name = "empty element", .text = HDR V1 STD ";" TAIL, .want = DKIMSIG_SYNTAX },
	{ .name = "missing =", .text = HDR V1 STD "x; " TAIL, .want = DKIMSIG_SYNTAX },
	{ .name = "empty value", .text = HDR, .want = DKIMSIG_VERSION },
};

static char name_buf[256];

/* test_name - "base: suffix" for the checks of one case */
static const char *test_name(const char *base, const char *suffix)
{
	snprintf(name_buf, sizeof name_buf, "%s: %s", base, suffix);
	return name_buf;
}

/* test_canon_name - the word for a canonicalization */
static const char *test_canon_name(enum dkmod_canon c)
{
	return c == DKMOD_CANON_SIMPLE ? "simple" : c == DKMOD_CANON_RELAXED ? "relaxed" : "nofws";
}

/* test_alg_ok - the enums set for an algorithm name */
static bool test_alg_ok(const struct dkimsig *s)
{
	if (strcmp(s->algorithm, "rsa-sha256") == 0)
		return s->alg == DKMOD_ALG_RSA_SHA256 && s->hash == CRYPTO_SHA256 && s->keytype == KEYREC_RSA;
	if (strcmp(s->algorithm, "rsa-sha1") == 0)
		return s->alg == DKMOD_ALG_RSA_SHA1 && s->hash == CRYPTO_SHA1 && s->keytype == KEYREC_RSA;
	if (strcmp(s->algorithm, "ed25519-sha256") == 0)
		return s->alg == DKMOD_ALG_ED25519_SHA256 && s->hash == CRYPTO_SHA256 && s->keytype == KEYREC_ED25519;
	return false;
}

/* test_check_ok - the fields of a signature that parsed */
static void test_check_ok(const struct dkimsig_case *c, const char *text, size_t len, const struct dkimsig *s)
{
	char buf[128];

	CHECK_STR(test_name(c->name, "algorithm"), s->algorithm, c->algorithm ? c->algorithm : "rsa-sha256");
	CHECK(test_name(c->name, "algorithm enums"), test_alg_ok(s));
	snprintf(buf, sizeof buf, "%s/%s", test_canon_name(s->header_canon), test_canon_name(s->body_canon));
	CHECK_STR(test_name(c->name, "canon"), buf, c->canon ? c->canon : "simple/simple");
	CHECK_STR(test_name(c->name, "identity"), s->identity, c->identity ? c->identity : "@example.com");
	snprintf(buf, sizeof buf, "%lld/%lld/%lld", s->body_length, s->timestamp, s->expire);
	CHECK_STR(test_name(c->name, "l/t/x"), buf, c->numbers ? c->numbers : "-1/-1/-1");
	CHECK_STR(test_name(c->name, "domain"), s->domain, c->domain ? c->domain : "example.com");
	CHECK_STR(test_name(c->name, "selector"), s->selector, c->selector ? c->selector : "sel");
	CHECK(test_name(c->name, "h points into text"), s->h >= text && s->h + s->h_len <= text + len);
	const char *h = c->h ? c->h : "from:to";
	CHECK_MEM(test_name(c->name, "h"), s->h, s->h_len, h, strlen(h));
	/* h='s names, split once: the same as tagvalue_list_next gives them */
	size_t pos = 0, n, k = 0;
	const char *item;
	bool same = true;
	for (; tagvalue_list_next(s->h, s->h_len, &pos, &item, &n); k++)
		same &= k < s->h_count && s->h + s->h_names[k].off == item && s->h_names[k].len == n;
	CHECK(test_name(c->name, "h names split"), same && k == s->h_count && k > 0);
	CHECK(test_name(c->name, "bh decoded"), s->bh_len == 32 || s->bh_len == 20);
	CHECK(test_name(c->name, "b decoded"), s->b_len > 0);
}

/* test_table - every row of dkimsig_cases, each parsed from an exact-length heap copy */
static void test_table(void)
{
	for (size_t k = 0; k < sizeof dkimsig_cases / sizeof dkimsig_cases[0]; k++) {
		const struct dkimsig_case *c = &dkimsig_cases[k];
		size_t len = strlen(c->text);
		const char *colon = strchr(c->text, ':');
		size_t value_off = (size_t)(colon - c->text) + 1;
		char *text = malloc(len);
		struct dkimsig s;

		if (!text) {
			CHECK(test_name(c->name, "malloc"), 0);
			continue;
		}
		memcpy(text, c->text, len);
		enum dkimsig_status st = dkimsig_parse(text, len, value_off, &s);
		CHECK_INT(test_name(c->name, "status"), st, c->want);
		CHECK(test_name(c->name, "strerror"), (st == DKIMSIG_OK) == !*dkimsig_strerror(st));
		if (c->want == DKIMSIG_OK && st == DKIMSIG_OK)
			test_check_ok(c, text, len, &s);
		else if (c->domain)
			CHECK_STR(test_name(c->name, "domain kept"), s.domain, c->domain);
		if (c->b_value) {
			CHECK(test_name(c->name, "b place in range"), s.b_start <= s.b_end && s.b_end <= len);
			if (s.b_start <= s.b_end && s.b_end <= len)
				CHECK_MEM(test_name(c->name, "b place"), text + s.b_start, s.b_end - s.b_start, c->b_value,
					  strlen(c->b_value));
			char want[DKIMSIG_MAX_B64];
			size_t n = 0;
			for (const char *p = c->b_value; *p && n + 1 < sizeof want; p++)
				if (!strchr(" \t\r\n", *p))
					want[n++] = *p;
			want[n] = '\0';
			CHECK_STR(test_name(c->name, "b_text without whitespace"), s.b_text, want);
		}
		free(text);
	}
}

/* test_value_off - value_off is honoured and checked */
static void test_value_off(void)
{
	static const char text[] = HDR V1 STD TAIL;
	size_t len = sizeof text - 1;
	struct dkimsig s;

	CHECK_INT("value_off: past the end", dkimsig_parse(text, len, len + 1, &s), DKIMSIG_SYNTAX);
	CHECK_INT("value_off: at the end", dkimsig_parse(text, len, len, &s), DKIMSIG_VERSION);
	CHECK_INT("value_off: 0 takes the name as a tag", dkimsig_parse(text, len, 0, &s), DKIMSIG_SYNTAX);
	CHECK_INT("value_off: after the colon", dkimsig_parse(text, len, 15, &s), DKIMSIG_OK);
	CHECK_INT("value_off: b_start is absolute", s.b_start, len - 8);
	CHECK_INT("value_off: b_end is the end", s.b_end, len);
}

/* test_reparse - a parse over an earlier one (dkimsig_parse sets each field, not the whole struct):
 * nothing of the earlier signature is left when the new one is rejected at once */
static void test_reparse(void)
{
	static const char text[] = HDR V1 STD TAIL;
	size_t len = sizeof text - 1;
	struct dkimsig s;
	memset(&s, 0xA5, sizeof s);
	CHECK_INT("reparse: a signature", dkimsig_parse(text, len, 15, &s), DKIMSIG_OK);
	CHECK("reparse: it has texts", s.domain[0] && s.selector[0] && s.identity[0] && s.b_text[0] && s.b_len);
	CHECK_INT("reparse: then one that is no tag list", dkimsig_parse(text, len, len + 1, &s), DKIMSIG_SYNTAX);
	CHECK("reparse: texts empty", !s.algorithm[0] && !s.domain[0] && !s.selector[0] && !s.identity[0] &&
					      !s.b_text[0]);
	CHECK("reparse: lengths and places zero",
	      !s.h && !s.h_len && !s.h_count && !s.bh_len && !s.b_len && !s.b_start && !s.b_end);
	CHECK("reparse: enums zero", !s.alg && !s.hash && !s.keytype && !s.header_canon && !s.body_canon);
	CHECK("reparse: numbers absent", s.body_length == -1 && s.timestamp == -1 && s.expire == -1);
}

/* test_h_bytes - every byte value at every place of a long name in h=: a printable byte other than
 * ':' is part of it, any other byte (an 8-bit one too, which the tag list lets through) makes h=
 * malformed */
static void test_h_bytes(void)
{
	enum { NAME = 20 };
	static const char head[] = HDR V1 "a=rsa-sha256; d=example.com; s=sel; h=from:", tail[] = "; " TAIL;
	char text[sizeof head + NAME + sizeof tail];
	int ok = 1;
	for (unsigned b = 0; b < 256; b++) {
		if (b == ';' || b == ':' || b == ' ' || b == '\t' || b == '\r' || b == '\n')
			continue;
		for (size_t at = 0; at < NAME; at++) {
			size_t len = 0;
			memcpy(text, head, sizeof head - 1);
			len += sizeof head - 1;
			for (size_t i = 0; i < NAME; i++)
				text[len + i] = (char)('a' + i % 26);
			text[len + at] = (char)b;
			len += NAME;
			memcpy(text + len, tail, sizeof tail - 1);
			len += sizeof tail - 1;
			struct dkimsig s;
			enum dkimsig_status st = dkimsig_parse(text, len, 15, &s);
			ok &= b > 32 && b < 127 ? st == DKIMSIG_OK && s.h_count == 2 && s.h_names[1].len == NAME
					       : st == DKIMSIG_SYNTAX;
		}
	}
	CHECK("h= bytes: every byte value at every place of a name", ok);
}

struct within_case {
	const char *name;
	const char *sub;
	const char *dom;
	bool want;
};

static const struct within_case within_cases[] = {
	{ "within: equal", "example.com", "example.com", true },
	{ "within: equal ignoring case", "Example.COM", "example.com", true },
	{ "within: subdomain", "a.example.com", "example.com", true },
	{ "within: deep subdomain ignoring case", "X.Y.EXAMPLE.com", "example.COM", true },
	{ "within: suffix without dot", "badexample.com", "example.com", false },
	{ "within: parent", "example.com", "a.example.com", false },
	{ "within: sibling", "b.example.com", "a.example.com", false },
	{ "within: other", "example.org", "example.com", false },
	{ "within: trailing dot on sub", "example.com.", "example.com", false },
	{ "within: trailing dot on dom", "example.com", "example.com.", false },
	{ "within: empty sub", "", "example.com", false },
};

/* test_within_table - dkimsig_domain_within */
static void test_within_table(void)
{
	for (size_t k = 0; k < sizeof within_cases / sizeof within_cases[0]; k++)
		CHECK_INT(within_cases[k].name, dkimsig_domain_within(within_cases[k].sub, within_cases[k].dom),
			  within_cases[k].want);
}

struct valid_case {
	const char *name;
	const char *prefix;
	size_t fill_n;      /* 'a' repeated fill_n times after prefix */
	const char *suffix;
	size_t dotted;      /* instead: this many characters of 63-char labels joined by dots */
	bool want;
};

static const struct valid_case valid_cases[] = {
	{ "valid: simple", "example.com", 0, "", 0, true },
	{ "valid: single label", "localhost", 0, "", 0, true },
	{ "valid: digits and hyphen", "mail-1.ex4mple.com", 0, "", 0, true },
	{ "valid: upper case", "EXAMPLE.Com", 0, "", 0, true },
	{ "valid: underscore", "_domainkey.sel_1.example.com", 0, "", 0, true },
	{ "valid: empty", "", 0, "", 0, false },
	{ "valid: lone dot", ".", 0, "", 0, false },
	{ "valid: leading dot", ".example.com", 0, "", 0, false },
	{ "valid: trailing dot", "example.com.", 0, "", 0, false },
	{ "valid: empty label", "example..com", 0, "", 0, false },
	{ "valid: space", "exa mple.com", 0, "", 0, false },
	{ "valid: @", "joe@example.com", 0, "", 0, false },
	{ "valid: 8-bit byte", "ex\xc3\xa4mple.com", 0, "", 0, false },
	{ "valid: slash", "a/b.com", 0, "", 0, false },
	{ "valid: 63-char label", "", 63, ".com", 0, true },
	{ "valid: 64-char label", "", 64, ".com", 0, false },
	{ "valid: 64-char last label", "example.", 64, "", 0, false },
	{ "valid: 253 chars", "", 0, "", 253, true },
	{ "valid: 256 chars", "", 0, "", 256, false },
};

/* test_valid_table - dkimsig_valid_domain on exact-length heap copies */
static void test_valid_table(void)
{
	for (size_t k = 0; k < sizeof valid_cases / sizeof valid_cases[0]; k++) {
		const struct valid_case *c = &valid_cases[k];
		size_t pl = strlen(c->prefix), sl = strlen(c->suffix);
		size_t len = c->dotted ? c->dotted : pl + c->fill_n + sl;
		char *in = malloc(len ? len : 1);

		if (!in) {
			CHECK(test_name(c->name, "malloc"), 0);
			continue;
		}
		if (c->dotted) {
			for (size_t i = 0; i < len; i++)
				in[i] = (i % 64 == 63 && i + 1 < len) ? '.' : 'a';
		} else {
			memcpy(in, c->prefix, pl);
			memset(in + pl, 'a', c->fill_n);
			memcpy(in + pl + c->fill_n, c->suffix, sl);
		}
		CHECK_INT(c->name, dkimsig_valid_domain(in, len), c->want);
		free(in);
	}
}

/* test_valid_bytes - every byte value inside a label: only letters, digits, '-' and '_' are label
 * bytes ('.' separates two labels); the bytes beside each range and 8-bit ones are refused */
static void test_valid_bytes(void)
{
	int wrong = 0;
	for (int c = 0; c < 256; c++) {
		char in[3] = {'a', (char)c, 'b'};
		bool want = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
			    c == '_' || c == '.';
		if (dkimsig_valid_domain(in, 3) != want) {
			if (!wrong)
				CHECK_INT("valid bytes: the first byte judged wrong", c, -1);
			wrong++;
		}
	}
	CHECK_INT("valid bytes: every byte value judged right", wrong, 0);
}

/* main - run the tables */
int main(void)
{
	test_table();
	test_value_off();
	test_reparse();
	test_within_table();
	test_valid_table();
	test_valid_bytes();
	test_h_bytes();
	return unit_done();
}
