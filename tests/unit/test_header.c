/* test_header.c - unit tests of header.c: splitting a received field into name and value, and name comparison */
#include <stdlib.h>

#include "msg/header.h"
#include "unit.h"

/* A literal with its length, so embedded NULs count. */
#define T(s) s, sizeof(s) - 1

struct header_case {
	const char *name;
	const char *raw;
	size_t raw_len;
	bool ok;
	const char *field_name;  /* when ok */
	const char *value;       /* header_value: when ok, else the whole text */
	size_t text_len;
};

static const struct header_case header_cases[] = {
	/* name: value */
	{ "CRLF end", T("Subject: hello\r\n"), true, "Subject", " hello", 14 },
	{ "LF end", T("Subject: hello\n"), true, "Subject", " hello", 14 },
	{ "no line end", T("Subject: hello"), true, "Subject", " hello", 14 },
	{ "bare CR end", T("Subject: hello\r"), true, "Subject", " hello", 14 },
	{ "only the last line end dropped", T("Subject: hello\r\n\r\n"), true, "Subject", " hello\r\n", 16 },
	{ "no space after colon", T("From:a@b.example\r\n"), true, "From", "a@b.example", 16 },
	{ "empty value", T("Subject:"), true, "Subject", "", 8 },
	{ "empty value with CRLF", T("Subject:\r\n"), true, "Subject", "", 8 },
	{ "colon inside value", T("Subject: a: b:c\r\n"), true, "Subject", " a: b:c", 15 },
	{ "folded value", T("Subject: a\r\n b\r\n\tc\r\n"), true, "Subject", " a\r\n b\r\n\tc", 18 },
	{ "one-letter name", T("X:y"), true, "X", "y", 3 },
	/* names read eight bytes a step: the colon or a stray byte at either side of a step */
	{ "colon after eight name bytes", T("ABCDEFGH: x"), true, "ABCDEFGH", " x", 11 },
	{ "colon after seven name bytes", T("ABCDEFG: xy"), true, "ABCDEFG", " xy", 11 },
	{ "long name, space before colon", T("X-Long-Field-Name\t: x"), true, "X-Long-Field-Name", " x", 21 },
	{ "DEL in the second step", T("X-Long-F\x7f" "ield: x"), false, NULL, "X-Long-F\x7f" "ield: x", 16 },
	{ "8-bit byte at the end of a step", T("X-Long-\xff" "Field: x"), false, NULL, "X-Long-\xff" "Field: x", 16 },
	{ "control byte in the second step", T("X-Long-Fi\x1f" "eld: x"), false, NULL, "X-Long-Fi\x1f" "eld: x", 16 },
	{ "every ftext punctuation in name", T("!#$%&'*+-./09;<=>?@AZ[\\]^_`az{|}~: v"), true,
	  "!#$%&'*+-./09;<=>?@AZ[\\]^_`az{|}~", " v", 36 },
	{ "8-bit bytes in value", T("Subject: \xc3\xa9t\xc3\xa9 \x80\xff\r\n"), true, "Subject", " \xc3\xa9t\xc3\xa9 \x80\xff",
	  17 },
	{ "NUL in value", T("Subject: a\0b\r\n"), true, "Subject", " a\0b", 12 },
	/* WSP before the colon (RFC 5322 obs-optional) */
	{ "space before colon", T("Subject : x\r\n"), true, "Subject", " x", 11 },
	{ "tab before colon", T("Subject\t:x"), true, "Subject", "x", 10 },
	{ "spaces and tabs before colon", T("Subject \t \t: x\r\n"), true, "Subject", " x", 14 },
	/* not "name: value" */
	{ "no colon", T("Subject hello\r\n"), false, NULL, "Subject hello", 13 },
	{ "name only", T("Subject"), false, NULL, "Subject", 7 },
	{ "leading space", T(" Subject: x\r\n"), false, NULL, " Subject: x", 11 },
	{ "leading tab", T("\tSubject: x"), false, NULL, "\tSubject: x", 11 },
	{ "empty name", T(":x\r\n"), false, NULL, ":x", 2 },
	{ "space then colon", T(" : x"), false, NULL, " : x", 4 },
	{ "space inside name", T("Sub ject: x"), false, NULL, "Sub ject: x", 11 },
	{ "8-bit byte in name", T("Subj\xc3\xa9" "ct: x"), false, NULL, "Subj\xc3\xa9" "ct: x", 11 },
	{ "DEL in name", T("Sub\x7fject: x"), false, NULL, "Sub\x7fject: x", 11 },
	{ "NUL in name", T("Sub\0ject: x"), false, NULL, "Sub\0ject: x", 11 },
	{ "colon after the line end", T("Subject\r\n: x"), false, NULL, "Subject\r\n: x", 12 },
	{ "empty text", T(""), false, NULL, "", 0 },
	{ "CRLF only", T("\r\n"), false, NULL, "", 0 },
	{ "LF only", T("\n"), false, NULL, "", 0 },
	{ "colon only", T(":"), false, NULL, ":", 1 },
};

static char name_buf[256];

/* test_name - "base: suffix" for the checks of one case */
static const char *test_name(const char *base, const char *suffix)
{
	snprintf(name_buf, sizeof name_buf, "%s: %s", base, suffix);
	return name_buf;
}

/* test_table - every row of header_cases, each from an exact-length heap copy */
static void test_table(void)
{
	for (size_t k = 0; k < sizeof header_cases / sizeof header_cases[0]; k++) {
		const struct header_case *c = &header_cases[k];
		char *raw = malloc(c->raw_len ? c->raw_len : 1);
		struct header_field f;

		if (!raw) {
			CHECK(test_name(c->name, "malloc"), 0);
			continue;
		}
		memcpy(raw, c->raw, c->raw_len);
		f.removed = true;
		bool ok = header_field_init(&f, raw, c->raw_len);
		CHECK_INT(test_name(c->name, "result"), ok, c->ok);
		CHECK(test_name(c->name, "raw kept"), f.raw == raw && f.raw_len == c->raw_len);
		CHECK_INT(test_name(c->name, "text_len"), f.text_len, c->text_len);
		CHECK(test_name(c->name, "not removed"), !f.removed);
		if (c->ok) {
			CHECK_MEM(test_name(c->name, "name"), f.raw, f.name_len, c->field_name, strlen(c->field_name));
			CHECK(test_name(c->name, "header_is own name"), header_is(&f, c->field_name));
		} else {
			CHECK_INT(test_name(c->name, "name_len 0"), f.name_len, 0);
		}
		size_t vlen = 0;
		const char *v = header_value(&f, &vlen);
		size_t want_len = c->text_len - (c->ok ? f.value_off : 0);
		CHECK(test_name(c->name, "value inside raw"), v >= raw && v + vlen <= raw + c->raw_len);
		CHECK_MEM(test_name(c->name, "value"), v, vlen, c->value, want_len);
		free(raw);
	}
}

struct header_is_case {
	const char *name;
	const char *raw;
	const char *ask;
	bool want;
};

static const struct header_is_case header_is_cases[] = {
	{ "is: same case", "Subject: x", "Subject", true },
	{ "is: lower case", "Subject: x", "subject", true },
	{ "is: upper case", "Subject: x", "SUBJECT", true },
	{ "is: mixed case field", "dKiM-sIgNaTuRe: v=1", "DKIM-Signature", true },
	{ "is: prefix", "Subject: x", "Subj", false },
	{ "is: longer", "Subject: x", "Subjects", false },
	{ "is: other", "Subject: x", "From", false },
	{ "is: with WSP before colon", "Subject \t: x", "Subject", true },
	{ "is: asked with trailing space", "Subject : x", "Subject ", false },
	{ "is: '[' is not '{'", "A[: x", "a{", false },
	{ "is: '@' is not '`'", "A@: x", "a`", false },
	{ "is: '@' is not '`' in the first byte", "@a: x", "`a", false },
	{ "is: '[' is not '{' in the first byte", "[a: x", "{A", false },
	{ "is: digits and punctuation", "X-Spam_1.2: x", "x-SPAM_1.2", true },
	{ "is: malformed field", " Subject: x", "Subject", false },
	{ "is: malformed field, empty name", ":x", "", false },
	{ "is: empty name asked", "Subject: x", "", false },
};

/* test_is_table - header_is on each row */
static void test_is_table(void)
{
	for (size_t k = 0; k < sizeof header_is_cases / sizeof header_is_cases[0]; k++) {
		const struct header_is_case *c = &header_is_cases[k];
		struct header_field f;
		size_t len = strlen(c->raw);
		char *raw = malloc(len);

		if (!raw) {
			CHECK(test_name(c->name, "malloc"), 0);
			continue;
		}
		memcpy(raw, c->raw, len);
		header_field_init(&f, raw, len);
		CHECK_INT(c->name, header_is(&f, c->ask), c->want);
		free(raw);
	}
}

struct name_eq_case {
	const char *name;
	const char *a;
	size_t alen;
	const char *b;
	size_t blen;
	bool want;
};

static const struct name_eq_case name_eq_cases[] = {
	{ "name_eq: equal", T("From"), T("From"), true },
	{ "name_eq: case", T("from"), T("FROM"), true },
	{ "name_eq: lengths differ", T("From"), T("Fro"), false },
	{ "name_eq: compared up to the lengths", "Subject", 4, "Subjxyz", 4, true },
	{ "name_eq: both empty", "", 0, "", 0, true },
	{ "name_eq: punctuation exact", T("X-A_B"), T("x-a_b"), true },
	{ "name_eq: '-' is not '_'", T("X-A"), T("X_A"), false },
	{ "name_eq: '^' is not '~'", T("A^"), T("a~"), false },
	{ "name_eq: 8-bit bytes differ", T("\xc9"), T("\xe9"), false },
	{ "name_eq: 8-bit bytes same", T("\xe9"), T("\xe9"), true },
};

/* test_name_eq_table - header_name_eq on exact-length heap copies */
static void test_name_eq_table(void)
{
	for (size_t k = 0; k < sizeof name_eq_cases / sizeof name_eq_cases[0]; k++) {
		const struct name_eq_case *c = &name_eq_cases[k];
		char *a = malloc(c->alen ? c->alen : 1), *b = malloc(c->blen ? c->blen : 1);

		if (!a || !b) {
			CHECK(test_name(c->name, "malloc"), 0);
			free(a);
			free(b);
			continue;
		}
		memcpy(a, c->a, c->alen);
		memcpy(b, c->b, c->blen);
		CHECK_INT(c->name, header_name_eq(a, c->alen, b, c->blen), c->want);
		CHECK_INT(test_name(c->name, "symmetric"), header_name_eq(b, c->blen, a, c->alen), c->want);
		free(a);
		free(b);
	}
}

/* main - run the tables */
int main(void)
{
	test_table();
	test_is_table();
	test_name_eq_table();
	return unit_done();
}
