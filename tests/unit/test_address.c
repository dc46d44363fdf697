/* test_address.c - unit tests of address_first: the first mailbox of a From:/Sender: value (RFC 5322 3.4) */
#include <stdlib.h>

#include "msg/address.h"
#include "unit.h"

struct address_case {
	const char *name;
	const char *in;
	bool ok;
	const char *local;   /* when ok */
	const char *domain;  /* when ok */
};

static const struct address_case address_cases[] = {
	/* plain forms */
	{ "plain addr-spec", "joe@example.com", true, "joe", "example.com" },
	{ "plain with leading space", " joe@example.com", true, "joe", "example.com" },
	{ "plain with trailing CRLF", " joe@example.com\r\n", true, "joe", "example.com" },
	{ "dotted local part", "first.last@mail.example.com", true, "first.last", "mail.example.com" },
	{ "plus and hyphen kept", "a+tag-x@ex-ample.com", true, "a+tag-x", "ex-ample.com" },
	{ "case kept as written", "Joe@Example.COM", true, "Joe", "Example.COM" },
	{ "name and angle", "Joe Q. Public <john.q.public@example.com>", true, "john.q.public", "example.com" },
	{ "angle only", "<joe@example.com>", true, "joe", "example.com" },
	{ "angle with spaces inside", "Joe < joe@example.com >", true, "joe", "example.com" },
	{ "text after angle ignored", "Joe <joe@example.com> trailing words", true, "joe", "example.com" },
	{ "bare address in display name loses to angle", "joe@evil.example <joe@good.example>", true, "joe",
	  "good.example" },
	/* quoted display names hiding structure */
	{ "quoted name with <", "\"Evil <e@evil.example>\" <good@example.com>", true, "good", "example.com" },
	{ "quoted name with @", "\"e@evil.example\" <good@example.com>", true, "good", "example.com" },
	{ "quoted name with comma", "\"Public, John\" <jp@example.com>", true, "jp", "example.com" },
	{ "quoted name with )", "\"smile :)\" <s@example.com>", true, "s", "example.com" },
	{ "quoted name with ( and :", "\"(x: y\" <s@example.com>", true, "s", "example.com" },
	{ "quoted name with escaped quote and <", "\"a \\\"<x@evil.example>\\\" b\" <good@example.com>", true,
	  "good", "example.com" },
	{ "quoted name with escaped backslash", "\"a\\\\\" <good@example.com>", true, "good", "example.com" },
	/* comments */
	{ "comment before", "(comment) joe@example.com", true, "joe", "example.com" },
	{ "comment before angle", "(x@evil.example) <joe@example.com>", true, "joe", "example.com" },
	{ "comment after", "joe@example.com (Joe Public)", true, "joe", "example.com" },
	{ "comment holding an address after", "joe@example.com (evil@evil.example)", true, "joe", "example.com" },
	{ "comment inside local part", "joe(x)@example.com", true, "joe", "example.com" },
	{ "comment after @", "joe@(x)example.com", true, "joe", "example.com" },
	{ "comment inside angle", "<joe(a comment)@example.com>", true, "joe", "example.com" },
	{ "comment with > inside angle", "<joe@example.com (a > b)>", true, "joe", "example.com" },
	{ "comment with < and ,", "(<e@evil.example>, f@evil.example) joe@example.com", true, "joe", "example.com" },
	{ "nested comments", "(a (b) c) joe@example.com", true, "joe", "example.com" },
	{ "nested comments with escaped parens", "(a (b \\) c) \\( d) joe@example.com", true, "joe",
	  "example.com" },
	{ "comment with escaped paren then address", "(\\)) joe@example.com", true, "joe", "example.com" },
	{ "RFC 5322 A.5 example", "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", true, "pete",
	  "silly.test" },
	/* groups */
	{ "group gives first member", "Team: a@x.example, b@y.example;", true, "a", "x.example" },
	{ "group with angle members", "Team: A <a@x.example>, B <b@y.example>;", true, "a", "x.example" },
	{ "group with comment in name", "Team (a:b): a@x.example;", true, "a", "x.example" },
	{ "quoted group name", "\"Team: x@evil.example\": a@x.example;", true, "a", "x.example" },
	{ "empty group", "Undisclosed recipients:;", false, NULL, NULL },
	{ "empty group with spaces", "Undisclosed recipients: ; ", false, NULL, NULL },
	{ "empty group then mailbox", "Nobody:; c@z.example", true, "c", "z.example" },
	{ "address list gives first", "a@x.example, b@y.example", true, "a", "x.example" },
	{ "leading empty list element", ", a@x.example", true, "a", "x.example" },
	{ "angle list gives first", "A <a@x.example>, B <b@y.example>", true, "a", "x.example" },
	/* quoted local parts */
	{ "quoted local with @", "\"a@b\"@example.com", true, "\"a@b\"", "example.com" },
	{ "quoted local with @ in angle", "Joe <\"a@b\"@example.com>", true, "\"a@b\"", "example.com" },
	{ "quoted local with space", "\"joe public\"@example.com", true, "\"joe public\"", "example.com" },
	{ "quoted local with comma", "\"a,b\"@example.com, c@d.example", true, "\"a,b\"", "example.com" },
	{ "quoted local with escaped quote", "\"a\\\"b\"@example.com", true, "\"a\\\"b\"", "example.com" },
	{ "quoted local with > in angle", "<\"a>b\"@example.com>", true, "\"a>b\"", "example.com" },
	/* folding */
	{ "folded before angle", "Joe Public\r\n <joe@example.com>", true, "joe", "example.com" },
	{ "folded with tab", "Joe Public\r\n\t<joe@example.com>\r\n", true, "joe", "example.com" },
	{ "folded inside angle", "Joe <joe\r\n @example.com>", true, "joe", "example.com" },
	{ "folded group", "Team:\r\n a@x.example,\r\n\tb@y.example;", true, "a", "x.example" },
	{ "folded quoted name", "\"Joe\r\n Public\" <joe@example.com>", true, "joe", "example.com" },
	/* no address */
	{ "empty value", "", false, NULL, NULL },
	{ "only spaces", "   ", false, NULL, NULL },
	{ "words only", "evil doer", false, NULL, NULL },
	{ "quoted words only", "\"evil@doer\"", false, NULL, NULL },
	{ "comment only", "(joe@example.com)", false, NULL, NULL },
	{ "missing domain", "joe@", false, NULL, NULL },
	{ "missing domain in angle", "Joe <joe@>", false, NULL, NULL },
	{ "missing local part", "@example.com", false, NULL, NULL },
	{ "lone @", "@", false, NULL, NULL },
	{ "empty angle", "<>", false, NULL, NULL },
	{ "domain only a comment", "joe@(example.com)", false, NULL, NULL },
	/* malformed: no crash, and no bogus mailbox */
	{ "unterminated angle", "Joe <joe@example.com", false, NULL, NULL },
	{ "unterminated comment after address", "joe@example.com (Joe", true, "joe", "example.com" },
	{ "unterminated comment before address", "(Joe joe@example.com", false, NULL, NULL },
	{ "unterminated quote in name", "\"Joe <joe@example.com>", false, NULL, NULL },
	{ "unterminated quote in local part", "\"joe@example.com", false, NULL, NULL },
	{ "trailing backslash in quote", "\"joe\\", false, NULL, NULL },
	{ "trailing backslash in comment", "(joe\\", false, NULL, NULL },
	{ "stray > after address", "joe@example.com>", false, NULL, NULL },
	{ "two unquoted @", "joe@evil.example@good.example", false, NULL, NULL },
	/* 8-bit bytes (RFC 6532 UTF-8 and raw octets) */
	{ "UTF-8 display name", "J\xc3\xb6rg <joerg@example.com>", true, "joerg", "example.com" },
	{ "UTF-8 local and domain", "j\xc3\xb6rg@ex\xc3\xa4mple.com", true, "j\xc3\xb6rg", "ex\xc3\xa4mple.com" },
	{ "UTF-8 quoted name with <", "\"\xc3\xa9<e@evil.example>\" <a@example.com>", true, "a", "example.com" },
	{ "raw 0xff bytes", "\xff\xfe <a\xff@b\x80.example>", true, "a\xff", "b\x80.example" },
};

/* Generated long inputs: prefix, fill repeated fill_n times, suffix. */
struct address_long_case {
	const char *name;
	const char *prefix;
	char fill;
	size_t fill_n;
	const char *suffix;
	bool ok;
	size_t local_len;   /* when ok */
	const char *domain; /* when ok */
};

static const struct address_long_case address_long_cases[] = {
	{ "local part 2100 bytes", "", 'a', 2100, "@example.com", false, 0, NULL },
	{ "local part 2100 bytes in angle", "Joe <", 'a', 2100, "@example.com>", false, 0, NULL },
	{ "local part 5000 bytes folded", "Joe\r\n <", 'b', 5000, "@example.com>\r\n", false, 0, NULL },
	{ "quoted local part 2100 bytes", "\"", 'q', 2100, "\"@example.com", false, 0, NULL },
	{ "local part 319 bytes fits", "", 'a', 319, "@example.com", true, 319, "example.com" },
	{ "local part 320 bytes too long", "", 'a', 320, "@example.com", false, 0, NULL },
	{ "domain 2100 bytes", "joe@", 'd', 2100, "", false, 0, NULL },
	{ "domain 320 bytes too long", "joe@", 'd', 320, "", false, 0, NULL },
	{ "display name 3000 bytes", "\"", 'n', 3000, "\" <joe@example.com>", true, 3, "example.com" },
	{ "comment 3000 bytes in angle", "<joe(", 'c', 3000, ")@example.com>", true, 3, "example.com" },
	{ "3000 spaces before address", "", ' ', 3000, "joe@example.com", true, 3, "example.com" },
	{ "3000 commas before address", "", ',', 3000, "joe@example.com", true, 3, "example.com" },
	{ "3000 open parens", "", '(', 3000, "joe@example.com", false, 0, NULL },
	{ "3000 open angles", "", '<', 3000, "joe@example.com>", false, 0, NULL },
	{ "3000 @", "", '@', 3000, "", false, 0, NULL },
};

static char name_buf[256];

/* test_name - "base: suffix" for the checks of one case */
static const char *test_name(const char *base, const char *suffix)
{
	snprintf(name_buf, sizeof name_buf, "%s: %s", base, suffix);
	return name_buf;
}

/* test_run - parse an exact-length heap copy (so ASan sees any read past len) and check */
static void test_run(const char *name, const char *in, size_t len, bool ok, const char *local, size_t local_len,
		     const char *domain)
{
	char *copy = malloc(len ? len : 1);
	struct address a;

	if (!copy) {
		CHECK(test_name(name, "malloc"), 0);
		return;
	}
	memcpy(copy, in, len);
	bool got = address_first(copy, len, &a);
	CHECK_INT(test_name(name, "found"), got, ok);
	if (ok && got) {
		CHECK_MEM(test_name(name, "local"), a.local, strlen(a.local), local, local_len);
		CHECK_STR(test_name(name, "domain"), a.domain, domain);
		char full[2 * ADDRESS_MAX + 2];
		snprintf(full, sizeof full, "%s@%s", a.local, domain);
		CHECK_STR(test_name(name, "full"), a.full, full);
	}
	/* address_first_end finds the same, and ends where address_next goes on (DMARC reads the
	 * rest of the author's field from there) */
	struct address b, c;
	size_t end, pos = 0;
	CHECK_INT(test_name(name, "first_end found"), address_first_end(copy, len, &b, &end), got);
	if (got) {
		bool next = address_next(copy, len, &pos, &c);
		CHECK(test_name(name, "next finds it too"), next && !strcmp(c.full, a.full) && !strcmp(b.full, a.full));
		CHECK_INT(test_name(name, "first_end ends where next goes on"), (long long)end, (long long)pos);
	}
	CHECK(test_name(name, "fields NUL-terminated"),
	      memchr(a.local, '\0', sizeof a.local) && memchr(a.domain, '\0', sizeof a.domain) &&
		      memchr(a.full, '\0', sizeof a.full));
	free(copy);
}

/* test_table - every row of address_cases */
static void test_table(void)
{
	for (size_t k = 0; k < sizeof address_cases / sizeof address_cases[0]; k++) {
		const struct address_case *c = &address_cases[k];

		test_run(c->name, c->in, strlen(c->in), c->ok, c->local, c->local ? strlen(c->local) : 0, c->domain);
	}
}

/* test_long_table - every row of address_long_cases */
static void test_long_table(void)
{
	for (size_t k = 0; k < sizeof address_long_cases / sizeof address_long_cases[0]; k++) {
		const struct address_long_case *c = &address_long_cases[k];
		size_t pl = strlen(c->prefix), sl = strlen(c->suffix), len = pl + c->fill_n + sl;
		char *in = malloc(len), *local = malloc(c->local_len + 1);

		if (!in || !local) {
			CHECK(test_name(c->name, "malloc"), 0);
			free(in);
			free(local);
			continue;
		}
		memcpy(in, c->prefix, pl);
		memset(in + pl, c->fill, c->fill_n);
		memcpy(in + pl + c->fill_n, c->suffix, sl);
		/* the long local parts are the fill itself; the short ones are "joe" */
		if (c->local_len == c->fill_n)
			memset(local, c->fill, c->local_len);
		else
			memcpy(local, "joe", c->local_len);
		test_run(c->name, in, len, c->ok, local, c->local_len, c->domain);
		free(in);
		free(local);
	}
}

/* test_stale_output - a failed parse leaves no address from an earlier call */
static void test_stale_output(void)
{
	struct address a;

	CHECK("stale: first parse", address_first("a@b.example", 11, &a));
	CHECK("stale: second parse fails", !address_first("evil doer", 9, &a));
	CHECK_STR("stale: local cleared", a.local, "");
	CHECK_STR("stale: domain cleared", a.domain, "");
	CHECK_STR("stale: full cleared", a.full, "");
	size_t pos = 0;
	CHECK("stale: next parses", address_next("a@b.example", 11, &pos, &a));
	pos = 0;
	CHECK("stale: next fails", !address_next("evil doer", 9, &pos, &a));
	CHECK("stale: next cleared", !a.local[0] && !a.domain[0] && !a.full[0]);
}

/* test_copy - address_copy gives the three texts */
static void test_copy(void)
{
	struct address a, b;
	memset(&b, 0xA5, sizeof b);
	CHECK("copy: parse", address_first("Joe <\"j o\"@example.com>", 25, &a));
	address_copy(&b, &a);
	CHECK_STR("copy: local", b.local, "\"j o\"");
	CHECK_STR("copy: domain", b.domain, "example.com");
	CHECK_STR("copy: full", b.full, "\"j o\"@example.com");
}

/* test_length_limit - only len bytes are read, even when more follow */
static void test_length_limit(void)
{
	struct address a;
	static const char text[] = "joe@example.com, extra@evil.example";

	CHECK("length: prefix parses", address_first(text, 15, &a));
	CHECK_STR("length: prefix domain", a.domain, "example.com");
	CHECK("length: cut before domain fails", !address_first(text, 4, &a));
	CHECK("length: zero length fails", !address_first(text, 0, &a));
}

/* main - run the tables */
int main(void)
{
	test_table();
	test_long_table();
	test_stale_output();
	test_copy();
	test_length_limit();
	return unit_done();
}
