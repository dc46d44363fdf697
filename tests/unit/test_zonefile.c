/*
 * test_zonefile.c - unit tests of the master file reader (core/dns/zonefile.c):
 * each case is a file text and the records, zone apexes or error it gives.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "dns/zonefile.h"

struct test_case {
	const char *name;
	const char *origin;   /* default origin, or NULL */
	const char *text;
	const char *want;     /* records joined by '\n', or the error after "t.zone:" */
	const char *apexes;   /* space separated, NULL to skip */
};

static const struct test_case test_cases[] = {
	{ "origin and relative names", NULL,
	  "$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns hostmaster 1 2 3 4 5\nsel._domainkey TXT \"v=DKIM1; p=abc\"\n",
	  "example.com. 300 IN SOA ns.example.com. hostmaster.example.com. 1 2 3 4 5\n"
	  "sel._domainkey.example.com. 300 IN TXT \"v=DKIM1; p=abc\"",
	  "example.com." },
	{ "blank owner repeats the previous", NULL,
	  "$ORIGIN example.com.\nwww 60 IN A 192.0.2.1\n      IN 120 TXT hello\n\t TXT again\n",
	  "www.example.com. 60 IN A 192.0.2.1\nwww.example.com. 120 IN TXT hello\nwww.example.com. 120 IN TXT again",
	  "example.com." },
	{ "parentheses over several lines", NULL,
	  "$ORIGIN example.com.\nsel._domainkey 300 IN TXT ( \"v=DKIM1; k=rsa; \" ; comment\n   \"p=MIIB\"\n"
	  "   \"IDAQAB\" )\nnext TXT x\n",
	  "sel._domainkey.example.com. 300 IN TXT \"v=DKIM1; k=rsa; \" \"p=MIIB\" \"IDAQAB\"\n"
	  "next.example.com. 300 IN TXT x",
	  "example.com." },
	{ "quotes keep ';' and escapes", NULL,
	  "a.example.com. 300 TXT \"x;y\" \"say \\\"hi\\\"\" \"\\059\\\\\" ; tail\n",
	  "a.example.com. 300 IN TXT \"x;y\" \"say \\\"hi\\\"\" \"\\059\\\\\"", "example.com." },
	{ "no TTL, no class", NULL, "x.example.org. TXT hi\n", "x.example.org. 3600 IN TXT hi", "example.org." },
	{ "last explicit TTL", NULL, "a.test. 77 TXT a\nb.test. TXT b\n",
	  "a.test. 77 IN TXT a\nb.test. 77 IN TXT b", "test." },
	{ "$TTL with units", NULL, "$TTL 1h30m\na.test. TXT a\nb.test. 2d TXT b\n",
	  "a.test. 5400 IN TXT a\nb.test. 172800 IN TXT b", "test." },
	{ "class before TTL", NULL, "a.test. IN 30 TXT a", "a.test. 30 IN TXT a", "test." },
	{ "names in rdata are qualified", NULL,
	  "$ORIGIN example.com.\nc CNAME sel\nmx MX 10 mail\n@ MX 20 @\nabs CNAME other.org.\n",
	  "c.example.com. 3600 IN CNAME sel.example.com.\nmx.example.com. 3600 IN MX 10 mail.example.com.\n"
	  "example.com. 3600 IN MX 20 example.com.\nabs.example.com. 3600 IN CNAME other.org.",
	  "example.com." },
	{ "relative $ORIGIN", NULL, "$ORIGIN example.com.\n$ORIGIN _domainkey\nsel TXT k\n",
	  "sel._domainkey.example.com. 3600 IN TXT k", "_domainkey.example.com." },
	{ "default origin", "example.net", "@ TXT x\nsub TXT y\n",
	  "example.net. 3600 IN TXT x\nsub.example.net. 3600 IN TXT y", "example.net." },
	{ "top owner is the apex", NULL, "example.com. TXT a\nsel._domainkey.example.com. TXT b\n",
	  "example.com. 3600 IN TXT a\nsel._domainkey.example.com. 3600 IN TXT b", "example.com." },
	{ "SOA owner is the apex", NULL,
	  "example.com. SOA ns.example.com. h.example.com. 1 2 3 4 5\na.b.example.com. TXT x\nother.org. TXT y\n",
	  NULL, "example.com. org." },
	{ "type in lower case, CRLF", NULL, "a.test. 5 txt a\r\nb.test. 5 txt b\r\n",
	  "a.test. 5 IN TXT a\nb.test. 5 IN TXT b", "test." },
	{ "comment and blank lines", NULL, "; head\n\n   ; indented comment\na.test. TXT a ; c\n\n",
	  "a.test. 3600 IN TXT a", NULL },
	{ "escaped dot in a name", NULL, "a\\.b.test. TXT a\n", "a\\.b.test. 3600 IN TXT a", "test." },
	{ "relative name without origin", NULL, "www TXT a\n", "1: relative name 'www' without $ORIGIN", NULL },
	{ "'@' without origin", NULL, "\n@ TXT a\n", "2: '@' without $ORIGIN", NULL },
	{ "unclosed parenthesis", NULL, "$ORIGIN a.\n\nx TXT ( \"a\"\n \"b\"\n", "3: '(' without ')'", NULL },
	{ "stray ')'", NULL, "\n\na. TXT a )\n", "3: ')' without '('", NULL },
	{ "unterminated quote", NULL, "a. TXT \"abc\n", "1: unterminated quoted string", NULL },
	{ "unterminated quote in parentheses", NULL, "$ORIGIN a.\nx TXT (\n\"a\"\n\"b\n)\n",
	  "4: unterminated quoted string", NULL },
	{ "blank owner first", NULL, "  TXT a\n", "1: no owner name and no previous record", NULL },
	{ "bad TTL", NULL, "a. 5x TXT a\n", "1: bad TTL '5x'", NULL },
	{ "class CH", NULL, "a. CH TXT a\n", "1: only class IN is supported", NULL },
	{ "missing type", NULL, "a. 300 IN\n", "1: missing record type", NULL },
	{ "missing rdata", NULL, "a. TXT\n", "1: missing data for TXT record", NULL },
	{ "bad type", NULL, "a. 300 IN T@XT a\n", "1: bad record type 'T@XT'", NULL },
	{ "$INCLUDE", NULL, "\n$INCLUDE other.zone\n", "2: unsupported directive $INCLUDE", NULL },
	{ "bad $TTL", NULL, "$TTL soon\n", "1: $TTL needs one TTL", NULL },
	{ "TTL out of range", NULL, "a. 99999999999 TXT a\n", "1: bad TTL '99999999999'", NULL },
};

/* test_join - the records (or apexes) of a parsed file as one string */
static void test_join(const struct zonefile *z, bool apexes, char *out, size_t outlen)
{
	size_t i, n = apexes ? z->napexes : z->count, used = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		int w = snprintf(out + used, outlen - used, "%s%s", i ? (apexes ? " " : "\n") : "",
				 apexes ? z->apexes[i] : z->rrs[i].text);
		if (w < 0 || (size_t)w >= outlen - used)
			return;
		used += (size_t)w;
	}
}

/* test_case_run - parse one case and check its result */
static void test_case_run(const struct test_case *tc)
{
	char err[512], got[4096], name[200];
	struct zonefile *z;

	z = zonefile_parse(tc->text, strlen(tc->text), "t.zone", tc->origin, err, sizeof err);
	if (tc->want && tc->want[0] >= '0' && tc->want[0] <= '9') {
		char want[300];

		snprintf(want, sizeof want, "t.zone:%s", tc->want);
		snprintf(name, sizeof name, "zonefile: %s: error", tc->name);
		CHECK(name, z == NULL);
		CHECK_STR(name, z ? "(parsed)" : err, want);
		zonefile_free(z);
		return;
	}
	snprintf(name, sizeof name, "zonefile: %s: parses", tc->name);
	CHECK_STR(name, z ? "" : err, "");
	if (!z)
		return;
	if (tc->want) {
		test_join(z, false, got, sizeof got);
		snprintf(name, sizeof name, "zonefile: %s: records", tc->name);
		CHECK_STR(name, got, tc->want);
	}
	if (tc->apexes) {
		test_join(z, true, got, sizeof got);
		snprintf(name, sizeof name, "zonefile: %s: apexes", tc->name);
		CHECK_STR(name, got, tc->apexes);
	}
	zonefile_free(z);
}

/* test_read_file - zonefile_read on a real file, a missing one and line details */
static void test_read_file(void)
{
	char dir[] = "/tmp/test_zonefile.XXXXXX", path[300], err[512];
	const char *text = "$ORIGIN example.com.\n\n( sel._domainkey ; owner in parentheses\n 300 TXT \"k\" )\n";
	struct zonefile *z;
	FILE *f;

	if (!mkdtemp(dir)) {
		CHECK("zonefile: temp dir", 0);
		return;
	}
	snprintf(path, sizeof path, "%s/z.zone", dir);
	f = fopen(path, "w");
	CHECK("zonefile: write temp file", f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	z = zonefile_read(path, NULL, err, sizeof err);
	CHECK_STR("zonefile: read file", z ? "" : err, "");
	if (z) {
		CHECK_INT("zonefile: read file: count", z->count, 1);
		CHECK_STR("zonefile: read file: record", z->rrs[0].text, "sel._domainkey.example.com. 300 IN TXT \"k\"");
		CHECK_INT("zonefile: read file: line", z->rrs[0].line, 3);
		CHECK_STR("zonefile: read file: owner", z->rrs[0].owner, "sel._domainkey.example.com.");
		CHECK_STR("zonefile: read file: type", z->rrs[0].type, "TXT");
	}
	zonefile_free(z);
	unlink(path);
	z = zonefile_read(path, NULL, err, sizeof err);
	CHECK("zonefile: missing file fails", z == NULL);
	CHECK("zonefile: missing file names it", strstr(err, path) == err && strstr(err, "No such file"));
	zonefile_free(z);
	rmdir(dir);
}

/* main - run the zone file tests */
int main(void)
{
	size_t i;

	for (i = 0; i < sizeof test_cases / sizeof test_cases[0]; i++)
		test_case_run(&test_cases[i]);
	test_read_file();
	return unit_done();
}
