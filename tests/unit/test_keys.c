/*
 * test_keys.c - unit tests of the key tools (core/key/keytool.c, keytool_key.c;
 * dkmod_key_* of dkmod.h): key record text, BIND TXT
 * presentation (255-byte strings) and reading it back, names, month
 * selectors, grace periods, the rotation state file and its verdicts.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "key/keytool.h"
#include "util/str.h"
#include "unit.h"

static const unsigned char test_pub[] = {1, 2, 3}; /* base64 "AQID" */

/* test_record - the record text for one combination into s, or "(error)" */
static const char *test_record(struct str *s, enum dkmod_method m, enum crypto_keytype t, unsigned flags)
{
	str_clear(s);
	if (keytool_record(s, m, t, flags, test_pub, sizeof test_pub) < 0)
		return "(error)";
	return str_cstr(s);
}

/* test_records - record text for every method, key type and flag */
static void test_records(void)
{
	enum dkmod_method dkim = DKMOD_METHOD_DKIM, dk = DKMOD_METHOD_DOMAINKEYS;
	struct str out = STR_INIT;
	static const struct {
		const char *name;
		bool dk, ed;
		unsigned flags;
		const char *want;
	} cases[] = {
		{"record: dkim rsa", false, false, 0, "v=DKIM1; k=rsa; p=AQID"},
		{"record: dkim rsa t=y", false, false, 1, "v=DKIM1; k=rsa; t=y; p=AQID"},
		{"record: dkim rsa t=s", false, false, 2, "v=DKIM1; k=rsa; t=s; p=AQID"},
		{"record: dkim rsa t=y:s", false, false, 3, "v=DKIM1; k=rsa; t=y:s; p=AQID"},
		{"record: dkim ed25519", false, true, 0, "v=DKIM1; k=ed25519; p=AQID"},
		{"record: domainkeys", true, false, 0, "k=rsa; p=AQID"},
		{"record: domainkeys t=y", true, false, 1, "k=rsa; t=y; p=AQID"},
		{"record: domainkeys t=s refused", true, false, 2, "(error)"},
		{"record: domainkeys ed25519 refused", true, true, 0, "(error)"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_STR(cases[i].name,
			  test_record(&out, cases[i].dk ? dk : dkim, cases[i].ed ? CRYPTO_KEY_ED25519 : CRYPTO_KEY_RSA,
				      cases[i].flags),
			  cases[i].want);
	CHECK_INT("record: empty key refused", keytool_record(&out, dkim, CRYPTO_KEY_RSA, 0, test_pub, 0), -1);
	str_free(&out);
}

/* test_split_one - BIND text of n bytes of 'a': how many strings, and the data read back intact */
static void test_split_one(size_t n, size_t want_strings)
{
	char name[80], *data = malloc(n + 1), *bind = NULL, *back = NULL;
	size_t quotes = 0, back_len = 0;

	memset(data, 'a', n);
	data[n] = '\0';
	CHECK_INT("bind: builds", dkmod_key_bind_txt("s._domainkey.example.com.", data, n, true, &bind), DKMOD_OK);
	size_t bind_len = bind ? strlen(bind) : 0;
	for (size_t i = 0; i < bind_len; i++)
		quotes += bind[i] == '"';
	snprintf(name, sizeof name, "bind: %zu bytes make %zu strings", n, want_strings);
	CHECK_INT(name, quotes / 2, want_strings);
	snprintf(name, sizeof name, "bind: %zu bytes read back", n);
	CHECK(name, dkmod_key_bind_strings(bind, bind_len, &back, &back_len) == DKMOD_OK && back_len == n &&
			    (n == 0 || memcmp(back, data, n) == 0));
	/* every string holds at most 255 bytes */
	size_t longest = 0, cur = 0;
	bool in = false;
	for (size_t i = 0; i < bind_len; i++) {
		if (bind[i] == '"') {
			in = !in;
			cur = 0;
		} else if (in && ++cur > longest) {
			longest = cur;
		}
	}
	snprintf(name, sizeof name, "bind: %zu bytes, strings within 255", n);
	CHECK(name, longest <= 255);
	free(data);
	free(bind);
	free(back);
}

/* test_bind_one - dkmod_key_bind_txt of data as a string into *s (freed first), "(error)" on failure */
static const char *test_bind_one(char **s, const char *data, size_t len, bool multiline)
{
	free(*s);
	*s = NULL;
	if (dkmod_key_bind_txt("x.", data, len, multiline, s) != DKMOD_OK)
		return "(error)";
	return *s;
}

/* test_bind - splitting at 255 bytes, layout, escapes, reading back */
static void test_bind(void)
{
	static const struct {
		size_t n, strings;
	} sizes[] = {{0, 1}, {1, 1}, {254, 1}, {255, 1}, {256, 2}, {510, 2}, {511, 3}, {800, 4}};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		test_split_one(sizes[i].n, sizes[i].strings);

	char *s = NULL;
	size_t len;
	CHECK_STR("bind: one string", test_bind_one(&s, "p=AQID", 6, true), "x. IN TXT ( \"p=AQID\" )");
	CHECK_STR("bind: escapes", test_bind_one(&s, "a\"b\\c\x01", 6, false), "x. IN TXT ( \"a\\\"b\\\\c\\001\" )");

	char big[300];
	memset(big, 'b', sizeof big);
	CHECK("bind: multiline continues with newline and tab", strstr(test_bind_one(&s, big, sizeof big, true), "\"\n\t\"") != NULL);
	CHECK("bind: one line has no newline", strchr(test_bind_one(&s, big, sizeof big, false), '\n') == NULL);
	free(s);
	s = NULL;

	static const struct {
		const char *name, *in, *want;
	} reads[] = {
		{"read: two strings", "s IN TXT ( \"v=DKIM1; \" \"p=AQID\" )", "v=DKIM1; p=AQID"},
		{"read: comment skipped", "; \"not this\"\ns IN TXT \"p=AQID\" ; \"nor this\"", "p=AQID"},
		{"read: escapes", "s TXT \"a\\\"b\\\\c\\065\"", "a\"b\\cA"},
		{"read: lines", "s IN TXT ( \"k=rsa; \"\n\t\"p=AQID\" )\n", "k=rsa; p=AQID"},
	};
	for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
		CHECK_INT(reads[i].name, dkmod_key_bind_strings(reads[i].in, strlen(reads[i].in), &s, &len), DKMOD_OK);
		CHECK_STR(reads[i].name, s ? s : "(none)", reads[i].want);
		CHECK_INT(reads[i].name, len, strlen(reads[i].want));
		free(s);
		s = NULL;
	}
	static const char *const bad[] = {"s IN TXT ( \"open )", "s IN TXT p=AQID", "", "s TXT \"\\999\""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK_INT("read: refused", dkmod_key_bind_strings(bad[i], strlen(bad[i]), &s, &len), DKMOD_EINVAL);
		CHECK("read: refused, nothing returned", s == NULL);
	}
}

/* test_info - method, flags and key type read back from records */
static void test_info(void)
{
	static const struct {
		const char *name, *in;
		int rc;
		enum dkmod_method m;
		unsigned flags;
		enum dkmod_key_type t;
	} cases[] = {
		{"info: dkim plain", "v=DKIM1; k=rsa; p=AQID", 0, DKMOD_METHOD_DKIM, 0, DKMOD_KEY_RSA},
		{"info: dkim ed25519 t=y:s", "v=DKIM1; k=ed25519; t=y:s; p=AQID", 0, DKMOD_METHOD_DKIM,
		 DKMOD_KEY_TESTING | DKMOD_KEY_STRICT, DKMOD_KEY_ED25519},
		{"info: dkim t=s", "v=DKIM1; t=s; p=AQID", 0, DKMOD_METHOD_DKIM, DKMOD_KEY_STRICT, DKMOD_KEY_RSA},
		{"info: domainkeys t=y", "k=rsa; t=y; p=AQID", 0, DKMOD_METHOD_DOMAINKEYS, DKMOD_KEY_TESTING, DKMOD_KEY_RSA},
		{"info: not a record", "hello", -1, DKMOD_METHOD_DKIM, 0, DKMOD_KEY_RSA},
		{"info: bad version", "v=DKIM2; p=AQID", -1, DKMOD_METHOD_DKIM, 0, DKMOD_KEY_RSA},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum dkmod_method m = DKMOD_METHOD_DKIM;
		unsigned flags = 99;
		enum dkmod_key_type t = DKMOD_KEY_RSA;
		int rc = dkmod_key_record_info(cases[i].in, strlen(cases[i].in), &m, &flags, &t) ? 0 : -1;
		CHECK_INT(cases[i].name, rc, cases[i].rc);
		if (rc == 0 && cases[i].rc == 0)
			CHECK(cases[i].name, m == cases[i].m && flags == cases[i].flags && t == cases[i].t);
	}
}

/* test_names - host names and names relative to an origin */
static void test_names(void)
{
	CHECK("name: plain", dkmod_valid_domain("example.com"));
	CHECK("name: selector with dot and dash", dkmod_valid_domain("2026-12.myesp"));
	CHECK("name: underscore", dkmod_valid_domain("_domainkey.example.com"));
	CHECK("name: empty label refused", !dkmod_valid_domain("a..b"));
	CHECK("name: final dot refused", !dkmod_valid_domain("a.b."));
	CHECK("name: space refused", !dkmod_valid_domain("a b"));
	CHECK("name: empty refused", !dkmod_valid_domain(""));
	CHECK("name: slash refused", !dkmod_valid_domain("../etc"));

	char buf[256];
	const char *r;
	r = dkmod_key_relative("s1._domainkey.example.com", "_domainkey.example.com", buf, sizeof buf);
	CHECK_STR("relative: selector", r, "s1");
	r = dkmod_key_relative("_domainkey.example.com.", "_domainkey.Example.COM", buf, sizeof buf);
	CHECK_STR("relative: origin itself", r, "@");
	r = dkmod_key_relative("a.b._domainkey.example.com", "example.com.", buf, sizeof buf);
	CHECK_STR("relative: two labels", r, "a.b._domainkey");
	CHECK("relative: outside", !dkmod_key_relative("s1._domainkey.example.org", "example.com", buf, sizeof buf));
	CHECK("relative: label boundary", !dkmod_key_relative("s1._domainkey.badexample.com", "example.com", buf, sizeof buf));
}

/* test_selectors - month names in UTC and series membership */
static void test_selectors(void)
{
	char s[64];

	dkmod_key_selector(1796083200, NULL, s, sizeof s); /* 2026-12-01T00:00:00Z */
	CHECK_STR("selector: first second of December", s, "2026-12");
	dkmod_key_selector(1798761599, NULL, s, sizeof s);
	CHECK_STR("selector: last second of December", s, "2026-12");
	dkmod_key_selector(1798761600, "myesp", s, sizeof s);
	CHECK_STR("selector: new year with suffix", s, "2027-01.myesp");
	dkmod_key_selector(951782400, NULL, s, sizeof s);
	CHECK_STR("selector: leap day", s, "2000-02");
	CHECK_INT("selector: too long", dkmod_key_selector(0, "a-very-long-suffix", s, 10), -1);

	CHECK("series: plain", dkmod_key_in_series("2026-12", NULL));
	CHECK("series: suffix", dkmod_key_in_series("2026-12.myesp", "myesp"));
	CHECK("series: suffix not in plain", !dkmod_key_in_series("2026-12.myesp", NULL));
	CHECK("series: plain not in suffix", !dkmod_key_in_series("2026-12", "myesp"));
	CHECK("series: other suffix", !dkmod_key_in_series("2026-12.other", "myesp"));
	CHECK("series: month 13", !dkmod_key_in_series("2026-13", NULL));
	CHECK("series: other name", !dkmod_key_in_series("s1", NULL));
	CHECK("series: short", !dkmod_key_in_series("2026-1", NULL));
}

/* test_durations - Nd, Nh, Ns */
static void test_durations(void)
{
	static const struct {
		const char *in;
		long long want;
	} cases[] = {
		{"7d", 604800}, {"14d", 1209600}, {"36h", 129600}, {"600s", 600}, {"0d", 0},
		{"", -1}, {"d", -1}, {"7", -1}, {"7m", -1}, {"7dd", -1}, {"-1d", -1}, {"1.5d", -1},
		{"99999999999d", -1}, {"3651d", -1}, {"7D", -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char name[64];
		snprintf(name, sizeof name, "duration: \"%s\"", cases[i].in);
		CHECK_INT(name, dkmod_key_duration(cases[i].in), cases[i].want);
	}
}

/* test_state - parse, format, verdicts and retirement */
static void test_state(void)
{
	struct dkmod_key_state st = {0};
	const char *text = "# comment\n2026-10 100 200\n\n  2026-11 200 300  # trailing\n2026-11.esp 150 0\n2026-12 300 0\n";

	CHECK_INT("state: parses", dkmod_key_state_parse(&st, text, strlen(text)), 0);
	CHECK_INT("state: entries", st.count, 4);
	struct dkmod_key_entry *e = dkmod_key_state_find(&st, "2026-11");
	CHECK("state: entry read", e && e->active == 200 && e->retired == 300);

	CHECK_INT("verdict: active", dkmod_key_verdict(dkmod_key_state_find(&st, "2026-12"), 1000, 50), DKMOD_KEY_ACTIVE);
	CHECK_INT("verdict: within grace", dkmod_key_verdict(e, 349, 50), DKMOD_KEY_KEEP);
	CHECK_INT("verdict: at the end of grace", dkmod_key_verdict(e, 350, 50), DKMOD_KEY_KEEP);
	CHECK_INT("verdict: past grace", dkmod_key_verdict(e, 351, 50), DKMOD_KEY_REMOVE);

	CHECK_INT("retire: only the series", dkmod_key_retire(&st, NULL, 400), 1);
	CHECK_INT("retire: retired at now", dkmod_key_state_find(&st, "2026-12")->retired, 400);
	CHECK_INT("retire: other series untouched", dkmod_key_state_find(&st, "2026-11.esp")->retired, 0);
	dkmod_key_state_add(&st, "2027-01", 400, 0);
	dkmod_key_state_remove(&st, "2026-10");
	CHECK("state: removed", !dkmod_key_state_find(&st, "2026-10") && st.count == 4);
	dkmod_key_state_sort(&st);
	CHECK_STR("state: sorted by activation", st.entries[0].selector, "2026-11.esp");

	char *out = NULL;
	size_t out_len = 0;
	struct dkmod_key_state again = {0};
	CHECK_INT("state: formats", dkmod_key_state_format(&st, &out, &out_len), DKMOD_OK);
	CHECK_INT("state: formatted text parses", dkmod_key_state_parse(&again, out ? out : "", out_len), 0);
	CHECK("state: round trip", again.count == st.count && memcmp(again.entries, st.entries, st.count * sizeof *st.entries) == 0);
	dkmod_key_state_free(&again);
	free(out);
	dkmod_key_state_free(&st);

	static const struct {
		const char *in;
		size_t line;
	} bad[] = {
		{"2026-10 100\n", 1},
		{"ok 1 0\n2026-10 100 50\n", 2},
		{"2026-10 100 0 extra\n", 1},
		{"2026-10 x 0\n", 1},
		{"a/b 1 0\n", 1},
		{"2026-10 1 0\n2026-10 2 0\n", 2},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct dkmod_key_state b = {0};
		CHECK_INT("state: error line", dkmod_key_state_parse(&b, bad[i].in, strlen(bad[i].in)), bad[i].line);
		dkmod_key_state_free(&b);
	}

	char when[32];
	dkmod_key_time(1796083200, when, sizeof when);
	CHECK_STR("time: ISO 8601 UTC", when, "2026-12-01T00:00:00Z");
}

/* test_calendar - a year of monthly rotations checked daily: nothing used within the grace is removable */
static void test_calendar(void)
{
	const long long grace = 7 * 86400, start = 1767225600; /* 2026-01-01 */
	struct dkmod_key_state st = {0};
	bool ok = true;
	size_t removed = 0;

	for (long long now = start; now < start + 400 * 86400LL; now += 86400 / 2) {
		char sel[16];
		dkmod_key_selector((time_t)now, NULL, sel, sizeof sel);
		if (!dkmod_key_state_find(&st, sel)) {
			dkmod_key_retire(&st, NULL, now);
			dkmod_key_state_add(&st, sel, now, 0);
		}
		for (size_t i = 0; i < st.count; i++) {
			const struct dkmod_key_entry *e = &st.entries[i];
			enum dkmod_key_verdict v = dkmod_key_verdict(e, now, grace);
			bool used_recently = e->retired == 0 || now - e->retired <= grace;
			if ((v == DKMOD_KEY_REMOVE) == used_recently)
				ok = false;
			removed += v == DKMOD_KEY_REMOVE;
		}
	}
	CHECK("calendar: removable only past the grace", ok);
	CHECK_INT("calendar: 14 selectors made", st.count, 14);
	CHECK("calendar: some became removable", removed > 0);
	dkmod_key_state_free(&st);
}

/* test_key_objects - a key made, its record, written, loaded back with the same record, not overwritten */
static void test_key_objects(void)
{
	char dir[] = "/tmp/test_keys.XXXXXX", path[64];
	struct dkmod_key *k = NULL, *back = NULL;
	char *rec = NULL, *rec2 = NULL, *dk = NULL;
	const char *why = "";
	size_t len = 0;

	CHECK("key: temporary directory", mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/s.key", dir);
	CHECK_INT("key: generated", dkmod_key_generate(DKMOD_KEY_ED25519, 0, &k, &why), DKMOD_OK);
	if (!k)
		return;
	CHECK_INT("key: type", dkmod_key_type(k), DKMOD_KEY_ED25519);
	CHECK_INT("key: record", dkmod_key_record(k, DKMOD_METHOD_DKIM, DKMOD_KEY_TESTING, &rec, &len), DKMOD_OK);
	/* 32 raw bytes are 44 base64 characters */
	CHECK("key: record text", rec && len == strlen(rec) && strncmp(rec, "v=DKIM1; k=ed25519; t=y; p=", 27) == 0 &&
					 len == 27 + 44);
	CHECK_INT("key: no DomainKeys record of an ed25519 key",
		  dkmod_key_record(k, DKMOD_METHOD_DOMAINKEYS, 0, &dk, NULL), DKMOD_EINVAL);
	CHECK_INT("key: written", dkmod_key_write_pem(k, path, &why), DKMOD_OK);
	errno = 0;
	CHECK("key: never overwritten", dkmod_key_write_pem(k, path, &why) == DKMOD_EIO && errno == EEXIST);
	CHECK_INT("key: loaded", dkmod_key_load(path, &back, &why), DKMOD_OK);
	CHECK("key: loaded key has the same record",
	      back && dkmod_key_record(back, DKMOD_METHOD_DKIM, DKMOD_KEY_TESTING, &rec2, NULL) == DKMOD_OK &&
		      rec && rec2 && strcmp(rec, rec2) == 0);
	dkmod_key_free(back);
	back = NULL;
	CHECK("key: a missing file", dkmod_key_load("/nonexistent/k.key", &back, &why) == DKMOD_EKEY && !back);
	dkmod_key_free(k);
	free(rec);
	free(rec2);
	free(dk);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_key_objects();
	test_records();
	test_bind();
	test_info();
	test_names();
	test_selectors();
	test_durations();
	test_state();
	test_calendar();
	return unit_done();
}
