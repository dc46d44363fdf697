/*
 * test_arparse.c - reading Authentication-Results values written by others
 * (msg/arparse.c): the authserv-id, version, methods, results, reasons and
 * properties in the forms RFC 8601 allows (comments, folds, quoted strings,
 * local-part@domain, several results, "none"), and malformed values refused
 * with their reason and nothing used: bad versions, missing '=' or ';',
 * unclosed comments and quotes, too many results or properties.
 */
#include <stdio.h>
#include <string.h>

#include "msg/arparse.h"
#include "unit.h"

/* test_parse - parse v; NULL or the reason */
static const char *test_parse(struct arena *a, const char *v, struct arparse *out)
{
	return arparse(a, v, strlen(v), out);
}

/* test_good - values that parse, and what comes out */
static void test_good(struct arena *a)
{
	struct arparse ar;
	const char *why = test_parse(a, " mx1.example.net;\r\n\tspf=pass (sender ok) smtp.mailfrom=bob@example.com;\r\n"
					 "\tdkim=pass (2048-bit key) header.d=example.com header.i=@example.com "
					 "header.s=sel header.b=\"abc/+=\"", &ar);
	CHECK("two results: parse", why == NULL);
	CHECK_STR("two results: authserv-id", ar.authserv_id, "mx1.example.net");
	CHECK_INT("two results: count", ar.n, 2);
	if (ar.n == 2) {
		CHECK("spf=pass smtp.mailfrom", !strcmp(ar.results[0].method, "spf") && !strcmp(ar.results[0].result, "pass") &&
							!strcmp(arparse_prop(&ar.results[0], "smtp", "mailfrom"), "bob@example.com"));
		CHECK("dkim header.d, header.i, quoted header.b",
		      !strcmp(arparse_prop(&ar.results[1], "header", "d"), "example.com") &&
			      !strcmp(arparse_prop(&ar.results[1], "header", "i"), "@example.com") &&
			      !strcmp(arparse_prop(&ar.results[1], "header", "b"), "abc/+=") &&
			      arparse_prop(&ar.results[1], "header", "x") == NULL);
	}
	why = test_parse(a, "\"mx1.example.net\" (c) 1 ; SPF = SoftFail reason=\"a \\\"quoted\\\" reason\" "
			    "(c) smtp . mailfrom = \"john q\"@example.com", &ar);
	CHECK("quoted id, version 1, case, spaces, comments: parse", why == NULL && ar.n == 1);
	if (!why && ar.n == 1) {
		CHECK_STR("method and result in lower case", ar.results[0].result, "softfail");
		CHECK_STR("quoted reason with quoted-pairs", ar.results[0].reason, "a \"quoted\" reason");
		CHECK_STR("quoted local part", arparse_prop(&ar.results[0], "smtp", "mailfrom"), "john q@example.com");
	}
	why = test_parse(a, " mx1.example.net 1; none", &ar);
	CHECK("none: no results", why == NULL && ar.n == 0 && !strcmp(ar.authserv_id, "mx1.example.net"));
	why = test_parse(a, " mx1.example.net; dkim/1=fail reason=bad header.d=x.example", &ar);
	CHECK("method version 1", why == NULL && ar.n == 1 && !strcmp(ar.results[0].reason, "bad"));
	why = test_parse(a, " mx1.example.net; spf=pass smtp.helo=mail.example.com;", &ar);
	CHECK("a trailing ';' is an empty resinfo: refused", why != NULL);
}

/* Malformed values and the reason each gets. */
struct bad {
	const char *value, *why;
};

static const struct bad bads[] = {
	{"", "authserv-id expected"},
	{" ; spf=pass", "authserv-id expected"},
	{" mx1.example.net", "no result"},
	{" mx1.example.net 2; spf=pass", "unknown version"},
	{" mx1.example.net1; spf=pass", NULL},
	{" mx1.example.net; spf/2=pass", "unknown version"},
	{" mx1.example.net; spf/=pass", "method version expected"},
	{" mx1.example.net; spf pass", "'=' expected after the method"},
	{" mx1.example.net; spf=", "result expected"},
	{" mx1.example.net; =pass", "method expected"},
	{" mx1.example.net; spf=pass smtp.mailfrom", "'=' expected after a property name"},
	{" mx1.example.net; spf=pass smtp.=x", "property name expected"},
	{" mx1.example.net; spf=pass smtp.mailfrom=", "property value expected"},
	{" mx1.example.net; spf=pass bogus", "reason or property expected"},
	{" mx1.example.net; spf=pass (unclosed", "unclosed comment"},
	{" mx1.example.net; spf=pass reason=\"open", "unterminated quoted string"},
	{" mx1.example.net spf=pass", "';' expected"},
	{" mx1.example.net; spf=pass smtp.mailfrom=a@b.example x=y", "reason or property expected"},
	{" mx1.example.net; spf=pass smtp.mailfrom=a@b.example reason=late", "reason or property expected"},
	{" \"mx1.example.net", "unterminated quoted string"},
};

/* test_bad - each malformed value gives its reason */
static void test_bad(struct arena *a)
{
	for (size_t i = 0; i < sizeof bads / sizeof *bads; i++) {
		struct arparse ar;
		const char *why = test_parse(a, bads[i].value, &ar);
		char name[160];
		snprintf(name, sizeof name, "malformed: [%s]", bads[i].value);
		if (bads[i].why)
			CHECK_STR(name, why ? why : "(parsed)", bads[i].why);
		else
			CHECK(name, why == NULL && !strcmp(ar.authserv_id, "mx1.example.net1"));
	}
	struct arparse ar;
	CHECK_STR("a NUL inside a quoted value", arparse(a, " mx1.example.net; spf=pass smtp.mailfrom=\"x\0y\"@b.example",
							 48, &ar), "NUL in a quoted string");
	CHECK("the authserv-id is known though the rest does not parse",
	      test_parse(a, " mx1.example.net; spf pass", &ar) && ar.authserv_id &&
		      !strcmp(ar.authserv_id, "mx1.example.net"));
}

/* test_limits - more results or properties than the limits; a long value is read once */
static void test_limits(struct arena *a)
{
	char buf[8192];
	size_t n = (size_t)snprintf(buf, sizeof buf, "mx1.example.net");
	for (int i = 0; i < ARPARSE_MAX_RESULTS; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "; dkim=pass header.d=d%d.example", i);
	struct arparse ar;
	CHECK("the most results: parse", arparse(a, buf, n, &ar) == NULL && ar.n == ARPARSE_MAX_RESULTS);
	n += (size_t)snprintf(buf + n, sizeof buf - n, "; spf=pass smtp.mailfrom=x@y.example");
	CHECK_STR("one result too many", arparse(a, buf, n, &ar), "too many results");
	n = (size_t)snprintf(buf, sizeof buf, "mx1.example.net; dkim=pass");
	for (int i = 0; i <= ARPARSE_MAX_PROPS; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, " header.p%d=v", i);
	CHECK_STR("one property too many", arparse(a, buf, n, &ar), "too many properties in one result");
	memset(buf, '(', sizeof buf);
	CHECK_STR("8 KB of open comments", arparse(a, buf, sizeof buf, &ar), "unclosed comment");
	CHECK("not past len: a value cut inside a word",
	      arparse(a, "mx1.example.net; spf=pass smtp.mailfrom=a@b", 41, &ar) == NULL && ar.n == 1 &&
		      !strcmp(ar.results[0].props[0].value, "a"));
}

int main(void)
{
	struct arena a;
	arena_init(&a);
	test_good(&a);
	test_bad(&a);
	test_limits(&a);
	arena_free(&a);
	return unit_done();
}
