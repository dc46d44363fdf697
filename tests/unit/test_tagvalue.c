/* test_tagvalue.c - unit tests of tag=value parsing, colon lists and dkim-quoted-printable */
#include <stdlib.h>

#include "record/tagvalue.h"
#include "unit.h"

/* A literal with its length, so embedded NULs count. */
#define T(s) s, sizeof(s) - 1
/* err_at not checked */
#define ANY ((size_t)-1)
#define CANARY 'Q'

struct tagvalue_parse_case {
	const char *name;
	const char *in;
	size_t inlen;
	enum tagvalue_status want;
	size_t err_at;       /* on error, or ANY */
	const char *tags;    /* on success: "name=value" joined by "|" */
};

static const struct tagvalue_parse_case tagvalue_parse_cases[] = {
	/* lists that parse */
	{ "empty text", T(""), TAGVALUE_OK, ANY, "" },
	{ "only spaces", T("   "), TAGVALUE_OK, ANY, "" },
	{ "only folding", T(" \r\n\t"), TAGVALUE_OK, ANY, "" },
	{ "one tag", T("a=1"), TAGVALUE_OK, ANY, "a=1" },
	{ "trailing semicolon", T("a=1;"), TAGVALUE_OK, ANY, "a=1" },
	{ "trailing semicolon and space", T("a=1; "), TAGVALUE_OK, ANY, "a=1" },
	{ "trailing semicolon and folding", T("a=1;\r\n "), TAGVALUE_OK, ANY, "a=1" },
	{ "signature-like", T("v=1; a=rsa-sha256; d=example.net; s=brisbane"), TAGVALUE_OK, ANY,
	  "v=1|a=rsa-sha256|d=example.net|s=brisbane" },
	{ "spaces around everything", T(" a = 1 ; b = 2 ; "), TAGVALUE_OK, ANY, "a=1|b=2" },
	{ "tabs around everything", T("\ta\t=\t1\t;\tb\t=\t2"), TAGVALUE_OK, ANY, "a=1|b=2" },
	{ "folding around value", T("a=\r\n 1\r\n ;b=2"), TAGVALUE_OK, ANY, "a=1|b=2" },
	{ "bare LF folding", T("a=\n 1\n\t;b=2"), TAGVALUE_OK, ANY, "a=1|b=2" },
	{ "folding between name and =", T("a\r\n =1"), TAGVALUE_OK, ANY, "a=1" },
	{ "inner whitespace kept", T("a=1 2\r\n 3\t4"), TAGVALUE_OK, ANY, "a=1 2\r\n 3\t4" },
	{ "folded continuation with = is one value", T("a=1\r\n\tb=2"), TAGVALUE_OK, ANY, "a=1\r\n\tb=2" },
	{ "empty values", T("a=;b= ;c=\t"), TAGVALUE_OK, ANY, "a=|b=|c=" },
	{ "equals inside value", T("a=1=2"), TAGVALUE_OK, ANY, "a=1=2" },
	{ "tag name with digit and underscore", T("a_1B=x"), TAGVALUE_OK, ANY, "a_1B=x" },
	{ "tag names are case-sensitive", T("a=1;A=2"), TAGVALUE_OK, ANY, "a=1|A=2" },
	{ "prefix tag names are distinct", T("abc=1; ab=2"), TAGVALUE_OK, ANY, "abc=1|ab=2" },
	{ "bytes >= 0x80 in value", T("a=x\x80\xc3\xa9\xff"), TAGVALUE_OK, ANY, "a=x\x80\xc3\xa9\xff" },
	{ "every VALCHAR punctuation", T("a=!\"#$%&'()*+,-./:<=>?@[\\]^_`{|}~"), TAGVALUE_OK, ANY,
	  "a=!\"#$%&'()*+,-./:<=>?@[\\]^_`{|}~" },
	{ "trailing tab", T("a=1\t"), TAGVALUE_OK, ANY, "a=1" },
	/* syntax errors */
	{ "empty element", T("a=1;;b=2"), TAGVALUE_SYNTAX, 4, NULL },
	{ "lone semicolon", T(";"), TAGVALUE_SYNTAX, 0, NULL },
	{ "leading semicolon", T(";a=1"), TAGVALUE_SYNTAX, 0, NULL },
	{ "two trailing semicolons", T("a=1; ;"), TAGVALUE_SYNTAX, 5, NULL },
	{ "missing = then semicolon", T("t;"), TAGVALUE_SYNTAX, 1, NULL },
	{ "missing = at end", T("t"), TAGVALUE_SYNTAX, 1, NULL },
	{ "missing = in the middle", T("k=rsa; t; p=x"), TAGVALUE_SYNTAX, 8, NULL },
	{ "missing = after last tag", T("a=1 ; b"), TAGVALUE_SYNTAX, 7, NULL },
	{ "missing = after spaces", T("a=1 ; b  "), TAGVALUE_SYNTAX, 9, NULL },
	{ "empty tag name", T("=1"), TAGVALUE_SYNTAX, 0, NULL },
	{ "tag name starts with digit", T("1a=1"), TAGVALUE_SYNTAX, 0, NULL },
	{ "tag name starts with underscore", T("_a=1"), TAGVALUE_SYNTAX, 0, NULL },
	{ "hyphen in tag name", T("a-b=1"), TAGVALUE_SYNTAX, 1, NULL },
	{ "space inside tag name", T("a b=1"), TAGVALUE_SYNTAX, 2, NULL },
	{ "non-ASCII tag name", T("\xc3\xa9=1"), TAGVALUE_SYNTAX, 0, NULL },
	{ "line break not followed by WSP", T("a=1\r\nb=2"), TAGVALUE_SYNTAX, 3, NULL },
	{ "bare LF not followed by WSP", T("a=1\nb=2"), TAGVALUE_SYNTAX, 3, NULL },
	{ "bare CR", T("a=1\rb=2"), TAGVALUE_SYNTAX, 3, NULL },
	{ "bare CR followed by space", T("a=1\r b=2"), TAGVALUE_SYNTAX, 3, NULL },
	{ "CR CR LF SP", T("a=1\r\r\n b"), TAGVALUE_SYNTAX, 3, NULL },
	{ "trailing CRLF", T("a=1;b=2\r\n"), TAGVALUE_SYNTAX, 7, NULL },
	{ "trailing CRLF after semicolon", T("a=1;\r\n"), TAGVALUE_SYNTAX, 4, NULL },
	{ "space then trailing CRLF", T("a=1 \r\n"), TAGVALUE_SYNTAX, 4, NULL },
	{ "double line break", T("a=1\r\n\r\n b=2"), TAGVALUE_SYNTAX, 3, NULL },
	{ "leading CRLF", T("\r\na=1"), TAGVALUE_SYNTAX, 0, NULL },
	{ "CRLF between name and =", T("a\r\n=1"), TAGVALUE_SYNTAX, 1, NULL },
	{ "embedded NUL in value", T("a=1\0;b=2"), TAGVALUE_SYNTAX, 3, NULL },
	{ "embedded NUL in name", T("a\0=1"), TAGVALUE_SYNTAX, 1, NULL },
	{ "NUL only", T("\0"), TAGVALUE_SYNTAX, 0, NULL },
	{ "trailing NUL", T("a=1;\0"), TAGVALUE_SYNTAX, 4, NULL },
	{ "DEL in value", T("a=\x7f"), TAGVALUE_SYNTAX, 2, NULL },
	{ "control char in value", T("a=x\x01y"), TAGVALUE_SYNTAX, 3, NULL },
	{ "vertical tab", T("a=1\v"), TAGVALUE_SYNTAX, 3, NULL },
	/* duplicates */
	{ "duplicate tag", T("a=1;a=2"), TAGVALUE_DUPLICATE, 4, NULL },
	{ "duplicate tag later", T("v=1; d=x; s=y; d=z"), TAGVALUE_DUPLICATE, 15, NULL },
	{ "duplicate tag with empty values", T("p=;p="), TAGVALUE_DUPLICATE, 3, NULL },
	/* spaces and tabs are passed one by one, a line break only as FWS (followed by WSP) */
	{ "spaces then a fold in a value", T("a=x \t\r\n y;b=2"), TAGVALUE_OK, ANY, "a=x \t\r\n y|b=2" },
	{ "spaces then a bare CR in a value", T("a=x  \ry"), TAGVALUE_SYNTAX, 5, NULL },
	{ "spaces then a final LF in a value", T("a=x \t\n"), TAGVALUE_SYNTAX, 5, NULL },
	{ "spaces then CRLF at the end", T("a=1 \r\n"), TAGVALUE_SYNTAX, 4, NULL },
	{ "spaces then a fold around =", T("a \r\n = \t\r\n\t1"), TAGVALUE_OK, ANY, "a=1" },
	{ "spaces then a bare CR before =", T("a \r=1"), TAGVALUE_SYNTAX, 2, NULL },
	{ "spaces then a bare LF after ;", T("a=1; \nb=2"), TAGVALUE_SYNTAX, 5, NULL },
	/* one-letter names are told apart by a bit each from 'A' to 'z': case counts, and longer names
	 * sharing the first letter are other tags */
	{ "names differing in case", T("a=1;A=2;z=3;Z=4"), TAGVALUE_OK, ANY, "a=1|A=2|z=3|Z=4" },
	{ "duplicate Z", T("A=1;Z=2;a=3;Z=4"), TAGVALUE_DUPLICATE, 12, NULL },
	{ "duplicate z, the last letter", T("z=1; y=2; z=3"), TAGVALUE_DUPLICATE, 10, NULL },
	{ "duplicate A, the first letter", T("A=1; a=2; A=3"), TAGVALUE_DUPLICATE, 10, NULL },
	{ "b and bh", T("b=1;bh=2;bh_=3;b_=4"), TAGVALUE_OK, ANY, "b=1|bh=2|bh_=3|b_=4" },
	{ "duplicate bh after b", T("b=1;bh=2;b_=3;bh=4"), TAGVALUE_DUPLICATE, 14, NULL },
	{ "duplicate b after bh", T("bh=1; b=2; b=3"), TAGVALUE_DUPLICATE, 11, NULL },
};

struct tagvalue_list_case {
	const char *name;
	const char *in;
	size_t inlen;
	size_t count;
	const char *items;  /* joined by "|" */
};

static const struct tagvalue_list_case tagvalue_list_cases[] = {
	{ "list: empty value", T(""), 0, "" },
	{ "list: one item", T("a"), 1, "a" },
	{ "list: two items", T("a:b"), 2, "a|b" },
	{ "list: spaces around colon", T("a : b"), 2, "a|b" },
	{ "list: folding around items", T(" a\r\n :\tb "), 2, "a|b" },
	{ "list: empty item between colons", T("a::b"), 3, "a||b" },
	{ "list: trailing colon", T("a:"), 2, "a|" },
	{ "list: leading colon", T(":a"), 2, "|a" },
	{ "list: lone colon", T(":"), 2, "|" },
	{ "list: blank item between colons", T("a: :b"), 3, "a||b" },
	{ "list: hashes", T("sha1:sha256:sha512"), 3, "sha1|sha256|sha512" },
	{ "list: inner space kept", T("a b:c"), 2, "a b|c" },
	{ "list: whitespace only", T("  "), 1, "" },
};

struct tagvalue_qp_case {
	const char *name;
	const char *in;
	size_t inlen;
	size_t outcap;
	long want;
	const char *out;
	size_t outlen;
};

static const struct tagvalue_qp_case tagvalue_qp_cases[] = {
	{ "qp: empty", T(""), 64, 0, T("") },
	{ "qp: plain", T("abc"), 64, 3, T("abc") },
	{ "qp: upper hex", T("=2E"), 64, 1, T(".") },
	{ "qp: lower hex", T("=2e"), 64, 1, T(".") },
	{ "qp: identity", T("joe=40football.example.com"), 64, 24, T("joe@football.example.com") },
	{ "qp: equals and semicolon", T("=3D=3B"), 64, 2, T("=;") },
	{ "qp: FWS removed", T("a b\r\n c\td"), 64, 4, T("abcd") },
	{ "qp: header copy", T("From:foo=20bar|To:x"), 64, 17, T("From:foo bar|To:x") },
	{ "qp: escaped NUL", T("a=00b"), 64, 3, T("a\0b") },
	{ "qp: escaped 0xff", T("=FF=ff"), 64, 2, T("\xff\xff") },
	{ "qp: UTF-8 passes", T("\xc3\xa9"), 64, 2, T("\xc3\xa9") },
	{ "qp: lone =", T("a="), 64, -1, T("") },
	{ "qp: one hex digit", T("a=2"), 64, -1, T("") },
	{ "qp: non-hex first", T("=G0"), 64, -1, T("") },
	{ "qp: non-hex second", T("=2g"), 64, -1, T("") },
	{ "qp: space inside escape", T("= 2E"), 64, -1, T("") },
	{ "qp: soft line break", T("a=\r\nb"), 64, -1, T("") },
	{ "qp: raw semicolon", T("a;b"), 64, -1, T("") },
	{ "qp: raw NUL", T("a\0b"), 64, -1, T("") },
	{ "qp: raw control", T("a\x01"), 64, -1, T("") },
	{ "qp: raw DEL", T("a\x7f"), 64, -1, T("") },
	{ "qp: cap fits", T("abc"), 4, 3, T("abc") },
	{ "qp: cap one short", T("abc"), 3, -1, T("") },
	{ "qp: cap 1 empty", T(""), 1, 0, T("") },
	{ "qp: cap 0", T(""), 0, -1, T("") },
	{ "qp: cap fits escape", T("=41"), 2, 1, T("A") },
	{ "qp: cap short for escape", T("a=41"), 2, -1, T("") },
};

static char name_buf[256];

/* test_name - "base: suffix" for the checks of one case */
static const char *test_name(const char *base, const char *suffix)
{
	snprintf(name_buf, sizeof name_buf, "%s: %s", base, suffix);
	return name_buf;
}

/* test_join_tags - "name=value|..." of a parsed list */
static void test_join_tags(const struct tagvalue_list *l, char *buf, size_t cap)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < l->count; k++) {
		int n = snprintf(buf + o, cap - o, "%s%.*s=%.*s", k ? "|" : "", (int)l->tags[k].name_len,
				 l->tags[k].name, (int)l->tags[k].value_len, l->tags[k].value);

		if (n < 0 || (size_t)n >= cap - o)
			return;
		o += (size_t)n;
	}
}

/* test_parse_table - every row of tagvalue_parse_cases */
static void test_parse_table(void)
{
	for (size_t k = 0; k < sizeof tagvalue_parse_cases / sizeof tagvalue_parse_cases[0]; k++) {
		const struct tagvalue_parse_case *c = &tagvalue_parse_cases[k];
		struct tagvalue_list l;
		size_t err_at = ANY;
		char got[512];
		enum tagvalue_status st = tagvalue_parse(c->in, c->inlen, &l, &err_at);

		CHECK_INT(test_name(c->name, "status"), st, c->want);
		if (c->want == TAGVALUE_OK) {
			test_join_tags(&l, got, sizeof got);
			CHECK_STR(test_name(c->name, "tags"), got, c->tags);
		} else if (c->err_at != ANY) {
			CHECK_INT(test_name(c->name, "error offset"), err_at, c->err_at);
		}
	}
}

/* test_list_table - every row of tagvalue_list_cases */
static void test_list_table(void)
{
	for (size_t k = 0; k < sizeof tagvalue_list_cases / sizeof tagvalue_list_cases[0]; k++) {
		const struct tagvalue_list_case *c = &tagvalue_list_cases[k];
		char got[256];
		size_t pos = 0, n = 0, o = 0, item_len;
		const char *item;

		got[0] = '\0';
		while (n < 100 && tagvalue_list_next(c->in, c->inlen, &pos, &item, &item_len)) {
			o += (size_t)snprintf(got + o, sizeof got - o, "%s%.*s", n ? "|" : "", (int)item_len, item);
			n++;
		}
		CHECK_INT(test_name(c->name, "count"), n, c->count);
		CHECK_STR(test_name(c->name, "items"), got, c->items);
		CHECK(test_name(c->name, "stays at the end"),
		      tagvalue_list_next(c->in, c->inlen, &pos, &item, &item_len) == 0);
	}
}

/* test_qp_table - every row of tagvalue_qp_cases, with a canary after outcap */
static void test_qp_table(void)
{
	for (size_t k = 0; k < sizeof tagvalue_qp_cases / sizeof tagvalue_qp_cases[0]; k++) {
		const struct tagvalue_qp_case *c = &tagvalue_qp_cases[k];
		char buf[64 + 16];
		int canary_ok = 1;
		long n;

		memset(buf, CANARY, sizeof buf);
		n = tagvalue_qp_decode(c->in, c->inlen, buf, c->outcap);
		CHECK_INT(test_name(c->name, "result"), n, c->want);
		if (c->want >= 0 && n == c->want) {
			CHECK_MEM(test_name(c->name, "bytes"), buf, (size_t)n, c->out, c->outlen);
			CHECK(test_name(c->name, "NUL-terminated"), buf[n] == '\0');
		}
		for (size_t i = c->outcap; i < sizeof buf; i++)
			canary_ok &= buf[i] == CANARY;
		CHECK(test_name(c->name, "nothing written past outcap"), canary_ok);
	}
}

struct tagvalue_get_case {
	const char *name;
	const char *tag;
	int found;
	const char *eq;     /* value tested with tagvalue_value_eq */
	int eq_want;
};

static const struct tagvalue_get_case tagvalue_get_cases[] = {
	{ "get: first tag", "v", 1, "1", 1 },
	{ "get: middle tag", "a", 1, "rsa-sha256", 1 },
	{ "get: two-letter tag", "bh", 1, "xyz", 1 },
	{ "get: value is case-sensitive", "a", 1, "RSA-SHA256", 0 },
	{ "get: value prefix is not equal", "a", 1, "rsa", 0 },
	{ "get: value longer is not equal", "bh", 1, "xyzz", 0 },
	{ "get: empty value", "e", 1, "", 1 },
	{ "get: name is case-sensitive", "V", 0, "1", 0 },
	{ "get: prefix of a name", "b", 0, "", 0 },
	{ "get: absent tag", "z", 0, "", 0 },
	{ "get: empty name", "", 0, "", 0 },
};

/* test_get_table - tagvalue_get and tagvalue_value_eq on one parsed list */
static void test_get_table(void)
{
	static const char text[] = "v=1; a=rsa-sha256; bh=xyz; e=";
	struct tagvalue_list l;

	CHECK_INT("get: parse", tagvalue_parse(text, sizeof text - 1, &l, NULL), TAGVALUE_OK);
	for (size_t k = 0; k < sizeof tagvalue_get_cases / sizeof tagvalue_get_cases[0]; k++) {
		const struct tagvalue_get_case *c = &tagvalue_get_cases[k];
		const struct tagvalue *t = tagvalue_get(&l, c->tag);

		CHECK_INT(test_name(c->name, "found"), t != NULL, c->found);
		CHECK_INT(test_name(c->name, "value_eq"), tagvalue_value_eq(t, c->eq), c->eq_want);
	}
}

struct tagvalue_strerror_case {
	const char *name;
	enum tagvalue_status st;
	const char *want;
};

static const struct tagvalue_strerror_case tagvalue_strerror_cases[] = {
	{ "strerror: ok", TAGVALUE_OK, "ok" },
	{ "strerror: syntax", TAGVALUE_SYNTAX, "tag list syntax error" },
	{ "strerror: duplicate", TAGVALUE_DUPLICATE, "duplicate tag" },
	{ "strerror: too many", TAGVALUE_TOO_MANY, "too many tags" },
	{ "strerror: out of range", (enum tagvalue_status)99, "unknown tag list error" },
};

/* test_strerror_table - every status has its text */
static void test_strerror_table(void)
{
	for (size_t k = 0; k < sizeof tagvalue_strerror_cases / sizeof tagvalue_strerror_cases[0]; k++) {
		const struct tagvalue_strerror_case *c = &tagvalue_strerror_cases[k];

		CHECK_STR(c->name, tagvalue_strerror(c->st), c->want);
	}
}

enum tagvalue_long_kind {
	TAGVALUE_LONG_TAGS,          /* n distinct tags t0=x;t1=x;... */
	TAGVALUE_LONG_TAGS_LAST_DUP, /* n tags, the last repeating the first */
	TAGVALUE_LONG_VALUE,         /* one tag with an n-byte value */
	TAGVALUE_LONG_FOLDED_VALUE,  /* one tag with n folded words */
	TAGVALUE_LONG_SEMICOLONS,    /* a=1 then n semicolons */
	TAGVALUE_LONG_SPACES,        /* n spaces */
	TAGVALUE_LONG_NAME           /* an n-character tag name */
};

struct tagvalue_long_case {
	const char *name;
	enum tagvalue_long_kind kind;
	size_t n;
	enum tagvalue_status want;
	size_t count;
	size_t value_len;           /* of the last tag, on success */
};

static const struct tagvalue_long_case tagvalue_long_cases[] = {
	{ "long: 64 tags", TAGVALUE_LONG_TAGS, 64, TAGVALUE_OK, 64, 1 },
	{ "long: 65 tags", TAGVALUE_LONG_TAGS, 65, TAGVALUE_TOO_MANY, 64, 0 },
	{ "long: 1000 tags", TAGVALUE_LONG_TAGS, 1000, TAGVALUE_TOO_MANY, 64, 0 },
	{ "long: 65th tag duplicates the first", TAGVALUE_LONG_TAGS_LAST_DUP, 65, TAGVALUE_DUPLICATE, 64, 0 },
	{ "long: 1 MB value", TAGVALUE_LONG_VALUE, 1000000, TAGVALUE_OK, 1, 1000000 },
	{ "long: 100000 folded words", TAGVALUE_LONG_FOLDED_VALUE, 100000, TAGVALUE_OK, 1, 100000 * 4 - 3 },
	{ "long: 100000 semicolons", TAGVALUE_LONG_SEMICOLONS, 100000, TAGVALUE_SYNTAX, 1, 0 },
	{ "long: 1 MB of spaces", TAGVALUE_LONG_SPACES, 1000000, TAGVALUE_OK, 0, 0 },
	{ "long: 100000-char tag name", TAGVALUE_LONG_NAME, 100000, TAGVALUE_OK, 1, 1 },
};

/* test_long_table - very long inputs, built at run time */
static void test_long_table(void)
{
	enum { CAP = 1000000 * 5 + 64 };
	char *text = malloc(CAP);

	if (!text) {
		CHECK("long: allocation", 0);
		return;
	}
	for (size_t k = 0; k < sizeof tagvalue_long_cases / sizeof tagvalue_long_cases[0]; k++) {
		const struct tagvalue_long_case *c = &tagvalue_long_cases[k];
		struct tagvalue_list l;
		size_t len = 0;
		enum tagvalue_status st;

		switch (c->kind) {
		case TAGVALUE_LONG_TAGS:
		case TAGVALUE_LONG_TAGS_LAST_DUP:
			for (size_t i = 0; i < c->n; i++) {
				size_t id = (c->kind == TAGVALUE_LONG_TAGS_LAST_DUP && i == c->n - 1) ? 0 : i;

				len += (size_t)snprintf(text + len, CAP - len, "t%zu=x;", id);
			}
			break;
		case TAGVALUE_LONG_VALUE:
			memcpy(text, "a=", 2);
			memset(text + 2, 'x', c->n);
			len = 2 + c->n;
			break;
		case TAGVALUE_LONG_FOLDED_VALUE:
			memcpy(text, "a=", 2);
			len = 2;
			for (size_t i = 0; i < c->n; i++) {
				memcpy(text + len, i ? "\r\n\tw" : "w", i ? 4 : 1);
				len += i ? 4 : 1;
			}
			memcpy(text + len, "\r\n ;", 4);
			len += 4;
			break;
		case TAGVALUE_LONG_SEMICOLONS:
			memcpy(text, "a=1", 3);
			memset(text + 3, ';', c->n);
			len = 3 + c->n;
			break;
		case TAGVALUE_LONG_SPACES:
			memset(text, ' ', c->n);
			len = c->n;
			break;
		case TAGVALUE_LONG_NAME:
			memset(text, 'n', c->n);
			memcpy(text + c->n, "=1", 2);
			len = c->n + 2;
			break;
		}
		st = tagvalue_parse(text, len, &l, NULL);
		CHECK_INT(test_name(c->name, "status"), st, c->want);
		CHECK_INT(test_name(c->name, "count"), l.count, c->count);
		if (st == TAGVALUE_OK && l.count > 0)
			CHECK_INT(test_name(c->name, "last value length"), l.tags[l.count - 1].value_len, c->value_len);
	}
	free(text);
}

/* test_value_positions - a long value with one ending byte at every position: the value
 * ends there (a bad byte is a syntax error, whitespace splits, ';' ends the tag) */
static void test_value_positions(void)
{
	enum { LEN = 40 };
	char text[2 + LEN + 8];
	struct tagvalue_list l;
	int ok_ctl = 1, ok_del = 1, ok_semi = 1, ok_high = 1, ok_sp = 1, ok_split = 1;

	for (size_t at = 0; at < LEN; at++) {
		memcpy(text, "a=", 2);
		for (size_t i = 0; i < LEN; i++)
			text[2 + i] = (char)('A' + i % 26);
		text[2 + at] = '\x01';
		ok_ctl &= tagvalue_parse(text, 2 + LEN, &l, NULL) == TAGVALUE_SYNTAX;
		text[2 + at] = '\x7f';
		ok_del &= tagvalue_parse(text, 2 + LEN, &l, NULL) == TAGVALUE_SYNTAX;
		text[2 + at] = (char)0xc3;
		ok_high &= tagvalue_parse(text, 2 + LEN, &l, NULL) == TAGVALUE_OK && l.count == 1 &&
			   l.tags[0].value_len == LEN;
		text[2 + at] = ' ';
		ok_sp &= tagvalue_parse(text, 2 + LEN, &l, NULL) == TAGVALUE_OK && l.count == 1 &&
			 l.tags[0].value_len == (at == 0 || at + 1 == LEN ? LEN - 1 : LEN);
		/* ';' ends the value: what follows must be a tag of its own */
		text[2 + at] = ';';
		enum tagvalue_status st = tagvalue_parse(text, 2 + LEN, &l, NULL);
		ok_semi &= at + 1 == LEN ? st == TAGVALUE_OK && l.count == 1 && l.tags[0].value_len == at
					 : st == TAGVALUE_SYNTAX;
		/* ... and the value ends exactly there, with a control byte right after the next tag's '=' */
		if (at + 4 < LEN) {
			memcpy(text + 2 + at + 1, "b=", 3);
			ok_split &= tagvalue_parse(text, 2 + at + 3, &l, NULL) == TAGVALUE_OK && l.count == 2 &&
				    l.tags[0].value_len == at && l.tags[1].value_len == 0;
			ok_split &= tagvalue_parse(text, 2 + LEN, &l, NULL) == TAGVALUE_SYNTAX;
		}
	}
	/* every byte value anywhere in the value: a VALCHAR (or an 8-bit byte) continues it, any other
	 * byte but FWS and ';' is a syntax error */
	int ok_bytes = 1;
	for (unsigned b = 0; b < 256; b++) {
		if (b == ';' || b == ' ' || b == '\t' || b == '\r' || b == '\n')
			continue;
		bool valchar = (b >= 0x21 && b <= 0x7e) || b >= 0x80;
		for (size_t at = 0; at < LEN; at++) {
			memcpy(text, "a=", 2);
			for (size_t i = 0; i < LEN; i++)
				text[2 + i] = (char)('A' + i % 26);
			text[2 + at] = (char)b;
			size_t err_at = ANY;
			enum tagvalue_status st = tagvalue_parse(text, 2 + LEN, &l, &err_at);
			ok_bytes &= valchar ? st == TAGVALUE_OK && l.count == 1 && l.tags[0].value_len == LEN
					    : st == TAGVALUE_SYNTAX && err_at == 2 + at;
		}
	}
	CHECK("value positions: every byte value anywhere, the error at that byte", ok_bytes);
	CHECK("value positions: a control byte anywhere", ok_ctl);
	CHECK("value positions: DEL anywhere", ok_del);
	CHECK("value positions: an 8-bit byte anywhere", ok_high);
	CHECK("value positions: a space anywhere", ok_sp);
	CHECK("value positions: ';' anywhere", ok_semi);
	CHECK("value positions: ';' ends the value exactly, a second tag after it", ok_split);
}

/* main - run every table */
int main(void)
{
	test_parse_table();
	test_list_table();
	test_qp_table();
	test_get_table();
	test_strerror_table();
	test_long_table();
	test_value_positions();
	return unit_done();
}
