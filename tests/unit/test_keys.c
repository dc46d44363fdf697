/*
 * test_keys.c - unit tests of core/key/keytool.c: key record text, BIND TXT
 * presentation (255-byte strings) and reading it back, names, month
 * selectors, grace periods, the rotation state file and its verdicts.
 */
#include <stdlib.h>

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
	char name[80], *data = malloc(n + 1);
	struct str bind = STR_INIT, back = STR_INIT;
	size_t quotes = 0;

	memset(data, 'a', n);
	data[n] = '\0';
	CHECK_INT("bind: builds", keytool_bind_txt(&bind, "s._domainkey.example.com.", data, n, true), 0);
	for (size_t i = 0; i < bind.len; i++)
		quotes += bind.data[i] == '"';
	snprintf(name, sizeof name, "bind: %zu bytes make %zu strings", n, want_strings);
	CHECK_INT(name, quotes / 2, want_strings);
	snprintf(name, sizeof name, "bind: %zu bytes read back", n);
	CHECK(name, keytool_bind_strings(bind.data, bind.len, &back) == 0 && back.len == n &&
			    (n == 0 || memcmp(back.data, data, n) == 0));
	/* every string holds at most 255 bytes */
	size_t longest = 0, cur = 0;
	bool in = false;
	for (size_t i = 0; i < bind.len; i++) {
		if (bind.data[i] == '"') {
			in = !in;
			cur = 0;
		} else if (in && ++cur > longest) {
			longest = cur;
		}
	}
	snprintf(name, sizeof name, "bind: %zu bytes, strings within 255", n);
	CHECK(name, longest <= 255);
	free(data);
	str_free(&bind);
	str_free(&back);
}

/* test_bind - splitting at 255 bytes, layout, escapes, reading back */
static void test_bind(void)
{
	static const struct {
		size_t n, strings;
	} sizes[] = {{0, 1}, {1, 1}, {254, 1}, {255, 1}, {256, 2}, {510, 2}, {511, 3}, {800, 4}};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		test_split_one(sizes[i].n, sizes[i].strings);

	struct str s = STR_INIT;
	keytool_bind_txt(&s, "x.", "p=AQID", 6, true);
	CHECK_STR("bind: one string", str_cstr(&s), "x. IN TXT ( \"p=AQID\" )");
	str_clear(&s);
	keytool_bind_txt(&s, "x.", "a\"b\\c\x01", 6, false);
	CHECK_STR("bind: escapes", str_cstr(&s), "x. IN TXT ( \"a\\\"b\\\\c\\001\" )");

	char big[300];
	memset(big, 'b', sizeof big);
	str_clear(&s);
	keytool_bind_txt(&s, "x.", big, sizeof big, true);
	CHECK("bind: multiline continues with newline and tab", strstr(str_cstr(&s), "\"\n\t\"") != NULL);
	str_clear(&s);
	keytool_bind_txt(&s, "x.", big, sizeof big, false);
	CHECK("bind: one line has no newline", strchr(str_cstr(&s), '\n') == NULL);

	static const struct {
		const char *name, *in, *want;
	} reads[] = {
		{"read: two strings", "s IN TXT ( \"v=DKIM1; \" \"p=AQID\" )", "v=DKIM1; p=AQID"},
		{"read: comment skipped", "; \"not this\"\ns IN TXT \"p=AQID\" ; \"nor this\"", "p=AQID"},
		{"read: escapes", "s TXT \"a\\\"b\\\\c\\065\"", "a\"b\\cA"},
		{"read: lines", "s IN TXT ( \"k=rsa; \"\n\t\"p=AQID\" )\n", "k=rsa; p=AQID"},
	};
	for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
		str_clear(&s);
		CHECK_INT(reads[i].name, keytool_bind_strings(reads[i].in, strlen(reads[i].in), &s), 0);
		CHECK_STR(reads[i].name, str_cstr(&s), reads[i].want);
	}
	static const char *const bad[] = {"s IN TXT ( \"open )", "s IN TXT p=AQID", "", "s TXT \"\\999\""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		str_clear(&s);
		CHECK_INT("read: refused", keytool_bind_strings(bad[i], strlen(bad[i]), &s), -1);
	}
	str_free(&s);
}

/* test_info - method, flags and key type read back from records */
static void test_info(void)
{
	static const struct {
		const char *name, *in;
		int rc;
		enum dkmod_method m;
		unsigned flags;
		enum crypto_keytype t;
	} cases[] = {
		{"info: dkim plain", "v=DKIM1; k=rsa; p=AQID", 0, DKMOD_METHOD_DKIM, 0, CRYPTO_KEY_RSA},
		{"info: dkim ed25519 t=y:s", "v=DKIM1; k=ed25519; t=y:s; p=AQID", 0, DKMOD_METHOD_DKIM,
		 KEYTOOL_TESTING | KEYTOOL_STRICT, CRYPTO_KEY_ED25519},
		{"info: dkim t=s", "v=DKIM1; t=s; p=AQID", 0, DKMOD_METHOD_DKIM, KEYTOOL_STRICT, CRYPTO_KEY_RSA},
		{"info: domainkeys t=y", "k=rsa; t=y; p=AQID", 0, DKMOD_METHOD_DOMAINKEYS, KEYTOOL_TESTING, CRYPTO_KEY_RSA},
		{"info: not a record", "hello", -1, DKMOD_METHOD_DKIM, 0, CRYPTO_KEY_RSA},
		{"info: bad version", "v=DKIM2; p=AQID", -1, DKMOD_METHOD_DKIM, 0, CRYPTO_KEY_RSA},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum dkmod_method m = DKMOD_METHOD_DKIM;
		unsigned flags = 99;
		enum crypto_keytype t = CRYPTO_KEY_RSA;
		int rc = keytool_record_info(cases[i].in, strlen(cases[i].in), &m, &flags, &t);
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
	r = keytool_relative("s1._domainkey.example.com", "_domainkey.example.com", buf, sizeof buf);
	CHECK_STR("relative: selector", r, "s1");
	r = keytool_relative("_domainkey.example.com.", "_domainkey.Example.COM", buf, sizeof buf);
	CHECK_STR("relative: origin itself", r, "@");
	r = keytool_relative("a.b._domainkey.example.com", "example.com.", buf, sizeof buf);
	CHECK_STR("relative: two labels", r, "a.b._domainkey");
	CHECK("relative: outside", !keytool_relative("s1._domainkey.example.org", "example.com", buf, sizeof buf));
	CHECK("relative: label boundary", !keytool_relative("s1._domainkey.badexample.com", "example.com", buf, sizeof buf));
}

/* test_selectors - month names in UTC and series membership */
static void test_selectors(void)
{
	char s[64];

	keytool_selector(1796083200, NULL, s, sizeof s); /* 2026-12-01T00:00:00Z */
	CHECK_STR("selector: first second of December", s, "2026-12");
	keytool_selector(1798761599, NULL, s, sizeof s);
	CHECK_STR("selector: last second of December", s, "2026-12");
	keytool_selector(1798761600, "myesp", s, sizeof s);
	CHECK_STR("selector: new year with suffix", s, "2027-01.myesp");
	keytool_selector(951782400, NULL, s, sizeof s);
	CHECK_STR("selector: leap day", s, "2000-02");
	CHECK_INT("selector: too long", keytool_selector(0, "a-very-long-suffix", s, 10), -1);

	CHECK("series: plain", keytool_in_series("2026-12", NULL));
	CHECK("series: suffix", keytool_in_series("2026-12.myesp", "myesp"));
	CHECK("series: suffix not in plain", !keytool_in_series("2026-12.myesp", NULL));
	CHECK("series: plain not in suffix", !keytool_in_series("2026-12", "myesp"));
	CHECK("series: other suffix", !keytool_in_series("2026-12.other", "myesp"));
	CHECK("series: month 13", !keytool_in_series("2026-13", NULL));
	CHECK("series: other name", !keytool_in_series("s1", NULL));
	CHECK("series: short", !keytool_in_series("2026-1", NULL));
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
		CHECK_INT(name, keytool_duration(cases[i].in), cases[i].want);
	}
}

/* test_state - parse, format, verdicts and retirement */
static void test_state(void)
{
	struct keytool_state st = {0};
	const char *text = "# comment\n2026-10 100 200\n\n  2026-11 200 300  # trailing\n2026-11.esp 150 0\n2026-12 300 0\n";

	CHECK_INT("state: parses", keytool_state_parse(&st, text, strlen(text)), 0);
	CHECK_INT("state: entries", st.count, 4);
	struct keytool_entry *e = keytool_state_find(&st, "2026-11");
	CHECK("state: entry read", e && e->active == 200 && e->retired == 300);

	CHECK_INT("verdict: active", keytool_verdict(keytool_state_find(&st, "2026-12"), 1000, 50), KEYTOOL_ACTIVE);
	CHECK_INT("verdict: within grace", keytool_verdict(e, 349, 50), KEYTOOL_KEEP);
	CHECK_INT("verdict: at the end of grace", keytool_verdict(e, 350, 50), KEYTOOL_KEEP);
	CHECK_INT("verdict: past grace", keytool_verdict(e, 351, 50), KEYTOOL_REMOVE);

	CHECK_INT("retire: only the series", keytool_retire(&st, NULL, 400), 1);
	CHECK_INT("retire: retired at now", keytool_state_find(&st, "2026-12")->retired, 400);
	CHECK_INT("retire: other series untouched", keytool_state_find(&st, "2026-11.esp")->retired, 0);
	keytool_state_add(&st, "2027-01", 400, 0);
	keytool_state_remove(&st, "2026-10");
	CHECK("state: removed", !keytool_state_find(&st, "2026-10") && st.count == 4);
	keytool_state_sort(&st);
	CHECK_STR("state: sorted by activation", st.entries[0].selector, "2026-11.esp");

	struct str out = STR_INIT;
	struct keytool_state again = {0};
	keytool_state_format(&st, &out);
	CHECK_INT("state: formatted text parses", keytool_state_parse(&again, out.data, out.len), 0);
	CHECK("state: round trip", again.count == st.count && memcmp(again.entries, st.entries, st.count * sizeof *st.entries) == 0);
	keytool_state_free(&again);
	str_free(&out);
	keytool_state_free(&st);

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
		struct keytool_state b = {0};
		CHECK_INT("state: error line", keytool_state_parse(&b, bad[i].in, strlen(bad[i].in)), bad[i].line);
		keytool_state_free(&b);
	}

	char when[32];
	keytool_time(1796083200, when, sizeof when);
	CHECK_STR("time: ISO 8601 UTC", when, "2026-12-01T00:00:00Z");
}

/* test_calendar - a year of monthly rotations checked daily: nothing used within the grace is removable */
static void test_calendar(void)
{
	const long long grace = 7 * 86400, start = 1767225600; /* 2026-01-01 */
	struct keytool_state st = {0};
	bool ok = true;
	size_t removed = 0;

	for (long long now = start; now < start + 400 * 86400LL; now += 86400 / 2) {
		char sel[16];
		keytool_selector((time_t)now, NULL, sel, sizeof sel);
		if (!keytool_state_find(&st, sel)) {
			keytool_retire(&st, NULL, now);
			keytool_state_add(&st, sel, now, 0);
		}
		for (size_t i = 0; i < st.count; i++) {
			const struct keytool_entry *e = &st.entries[i];
			enum keytool_verdict v = keytool_verdict(e, now, grace);
			bool used_recently = e->retired == 0 || now - e->retired <= grace;
			if ((v == KEYTOOL_REMOVE) == used_recently)
				ok = false;
			removed += v == KEYTOOL_REMOVE;
		}
	}
	CHECK("calendar: removable only past the grace", ok);
	CHECK_INT("calendar: 14 selectors made", st.count, 14);
	CHECK("calendar: some became removable", removed > 0);
	keytool_state_free(&st);
}

int main(void)
{
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
