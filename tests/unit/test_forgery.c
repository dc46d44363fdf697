/*
 * test_forgery.c - verdicts that cannot be forged: past the header limits no
 * signature passes, sender policies are still evaluated, and forged
 * Authentication-Results and DomainKey-Status fields are named for removal
 * wherever they are; duplicate author and single-instance fields never let
 * a signature pass; the header walk an adapter runs removes exactly the
 * fields the engine named, however the bytes are split.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session_fixture.h"

static const char *const base = "From: Alice <alice@example.com>\r\n"
				"To: Bob <bob@example.net>\r\n"
				"Subject: figures\r\n"
				"Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n"
				"\r\n"
				"body\r\n";

/* filler - n fields of filler */
static void filler(struct str *out, int n)
{
	for (int i = 0; i < n; i++)
		str_printf(out, "X-Filler-%d: %d\r\n", i, i);
}

/* insert - msg with text inserted where its header ends (before the blank line) */
static void insert(const char *msg, const char *text, struct str *out)
{
	const char *end = strstr(msg, "\r\n\r\n");
	size_t at = end ? (size_t)(end - msg) + 2 : 0;
	str_clear(out);
	str_append(out, msg, at);
	str_appends(out, text);
	str_appends(out, msg + at);
}

/* run - verify msg in chunks of 4096; the session (to free) or NULL */
static struct dkmod_session *run(struct dkmod_ctx *ctx, const char *msg)
{
	struct dkmod_session *s;
	if (dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s) != DKMOD_OK)
		return NULL;
	if (feed(s, msg, 4096) != DKMOD_OK) {
		dkmod_session_free(s);
		return NULL;
	}
	return s;
}

/* verdicts - "method:result[/reason]" of every result, ';' between */
static void verdicts(const struct dkmod_session *s, struct str *out)
{
	str_clear(out);
	for (size_t i = 0; s && i < dkmod_session_result_count(s); i++) {
		const struct dkmod_sig_result *r = dkmod_session_result(s, i);
		if (r->result == DKMOD_RESULT_NONE)
			continue;
		str_printf(out, "%s%s:%s%s%s", out->len ? ";" : "", r->method == DKMOD_METHOD_DKIM ? "dkim" : "dk",
			   dkmod_result_name(r->result), r->reason[0] ? "/" : "", r->reason);
	}
}

/* emit_str - dkmod_emit_fn into a str */
static bool emit_str(void *arg, const char *data, size_t len)
{
	return str_append(arg, data, len) == 0;
}

/* walked - msg as an adapter passes it on: the header walked in pieces of chunk bytes
 * without the fields that go, the rest as it is */
static void walked(const struct dkmod_session *s, const char *msg, size_t chunk, struct str *out)
{
	struct dkmod_header_walk w;
	dkmod_header_walk_init(&w, s);
	str_clear(out);
	size_t n = strlen(msg), at = 0;
	while (at < n && !dkmod_header_walk_done(&w)) {
		size_t piece = n - at < chunk ? n - at : chunk;
		size_t used = dkmod_header_walk_bytes(&w, msg + at, piece, emit_str, out);
		if (used == SIZE_MAX) {
			str_appends(out, "<walk failed>");
			return;
		}
		at += used;
	}
	dkmod_header_walk_end(&w, emit_str, out);
	str_appends(out, msg + at);
}

/* signed_with - base (or msg) signed by one DKIM request over headers, not oversigned */
static void signed_with(struct dkmod_ctx *ctx, const char *msg, const char *headers, struct str *out)
{
	struct dkmod_sign_request r;
	request(&r, "rsa1024", DKMOD_ALG_RSA_SHA256);
	r.headers = headers;
	r.oversign = false;
	str_clear(out);
	CHECK(headers, sign(ctx, &r, 1, msg, out));
}

/* test_limits - nothing past the header limits helps a forgery */
static void test_limits(struct dkmod_ctx *ctx)
{
	struct str signed_msg = STR_INIT, attack = STR_INIT, text = STR_INIT, out = STR_INIT, v = STR_INIT;
	struct dkmod_sign_request r;
	request(&r, "rsa1024", DKMOD_ALG_RSA_SHA256);
	r.headers = "from:subject";
	sign(ctx, &r, 1, base, &signed_msg);
	/* oversigned From and Subject, and a second of each below enough filler */
	filler(&text, 1500);
	str_appends(&text, "From: Mallory <boss@example.com>\r\nSubject: pay now\r\n");
	insert(signed_msg.data, text.data, &attack);
	struct dkmod_session *s = run(ctx, attack.data);
	verdicts(s, &v);
	CHECK_STR("past the limits: an oversigned signature does not pass", str_cstr(&v),
		  "dkim:permerror/header not fully inspected (limits exceeded);"
		  "dkim:permerror/header not fully inspected (limits exceeded)");
	CHECK("past the limits: the second From is still counted", s && fieldscan_author_twice(s));
	dkmod_session_free(s);

	/* forged results below and above the filler; another server's kept */
	str_clear(&text);
	str_appends(&text, "Authentication-Results: mx.test.example; dkim=pass header.d=example.com\r\n"
			   "DomainKey-Status: good\r\n");
	filler(&text, 1200);
	str_appends(&text, "Authentication-Results: \"mx.test\\.example\"; dkim=pass\r\n"
			   "Authentication-Results: other.example; dkim=pass\r\n"
			   "DomainKey-Status: good\r\n"
			   "Authentication-Results: (cut\r\n\tshort) MX.TEST.EXAMPLE 1; dkim=pass\r\n");
	insert(base, text.data, &attack);
	s = run(ctx, attack.data);
	CHECK("forged A-R above the filler goes", s && dkmod_session_field_removed(s, "Authentication-Results", 22, 0));
	CHECK("forged A-R past the limits goes", s && dkmod_session_field_removed(s, "authentication-results", 22, 1));
	CHECK("another server's A-R past the limits stays",
	      s && !dkmod_session_field_removed(s, "Authentication-Results", 22, 2));
	CHECK("folded forged A-R past the limits goes", s && dkmod_session_field_removed(s, "Authentication-Results", 22, 3));
	CHECK("DomainKey-Status past the limits goes", s && dkmod_session_field_removed(s, "DomainKey-Status", 16, 1));
	walked(s, attack.data, 4096, &out);
	CHECK("walk: no forged field left", !strstr(str_cstr(&out), "mx.test") && !strstr(str_cstr(&out), "MX.TEST") &&
						    !strstr(str_cstr(&out), "DomainKey-Status"));
	CHECK("walk: the other server's field and the body kept",
	      strstr(str_cstr(&out), "Authentication-Results: other.example; dkim=pass\r\n") &&
		      strstr(str_cstr(&out), "\r\n\r\nbody\r\n"));
	CHECK_INT("walk: exactly the five fields left out", (long long)(attack.len - out.len),
		  (long long)(strlen("Authentication-Results: mx.test.example; dkim=pass header.d=example.com\r\n") +
			      2 * strlen("DomainKey-Status: good\r\n") +
			      strlen("Authentication-Results: \"mx.test\\.example\"; dkim=pass\r\n") +
			      strlen("Authentication-Results: (cut\r\n\tshort) MX.TEST.EXAMPLE 1; dkim=pass\r\n")));
	dkmod_session_free(s);

	/* a forged A-R on one line longer than the limits */
	str_clear(&text);
	str_appends(&text, "Authentication-Results: mx.test.example; dkim=pass reason=\"");
	for (int i = 0; i < 120000; i++)
		str_appends(&text, "xxxxxxxxxx");
	str_appends(&text, "\"\r\n");
	insert(base, text.data, &attack);
	s = run(ctx, attack.data);
	CHECK("an endless forged A-R line goes", s && dkmod_session_field_removed(s, "Authentication-Results", 22, 0));
	walked(s, attack.data, 65536, &out);
	CHECK_STR("an endless forged A-R line: the rest passed on", str_cstr(&out), base);
	dkmod_session_free(s);

	/* a forged A-R whose folded line over the limits hides that the id after it is ours */
	str_clear(&text);
	str_appends(&text, "Authentication-Results: (\r\n\t");
	for (int i = 0; i < 120000; i++)
		str_appends(&text, "          ");
	str_appends(&text, ") mx.test.example (\r\n\t) other.example; dkim=pass\r\n");
	insert(base, text.data, &attack);
	s = run(ctx, attack.data);
	CHECK("an A-R with a folded line over the limits goes",
	      s && dkmod_session_field_removed(s, "Authentication-Results", 22, 0));
	dkmod_session_free(s);

	/* the sender policies of an unsigned message are evaluated past the limits */
	str_clear(&text);
	filler(&text, 1500);
	insert(base, text.data, &attack);
	s = run(ctx, attack.data);
	const struct dkmod_dk_policy *dp = s ? dkmod_session_dk_policy(s) : NULL;
	const struct dkmod_adsp *ad = s ? dkmod_session_adsp(s) : NULL;
	CHECK_STR("past the limits: DomainKeys o=- still rejects", dp ? dp->verdict : "(skipped)", "reject");
	CHECK_STR("past the limits: ADSP discardable still discards", ad ? ad->result : "(skipped)", "discard");
	dkmod_session_free(s);
	str_clear(&attack);
	str_appends(&attack, text.data);
	str_appends(&attack, base);
	s = run(ctx, attack.data);
	dp = s ? dkmod_session_dk_policy(s) : NULL;
	CHECK_STR("author past the limits: the DomainKeys policy is an error", dp ? dp->verdict : "(skipped)",
		  "permerror");
	CHECK_STR("author past the limits: ADSP is an error", s && dkmod_session_adsp(s) ? dkmod_session_adsp(s)->result : "",
		  "permerror");
	dkmod_session_free(s);
	str_free(&signed_msg);
	str_free(&attack);
	str_free(&text);
	str_free(&out);
	str_free(&v);
}

/* expect_verdicts - verify top (fields put above msg) and msg; check the verdicts */
static void expect_verdicts(struct dkmod_ctx *ctx, const char *top, const char *msg, const char *name, const char *want)
{
	struct str m = STR_INIT, v = STR_INIT;
	str_appends(&m, top);
	str_appends(&m, msg);
	struct dkmod_session *s = run(ctx, m.data);
	verdicts(s, &v);
	CHECK_STR(name, str_cstr(&v), want);
	dkmod_session_free(s);
	str_free(&m);
	str_free(&v);
}

/* test_duplicates - two authors, or an unsigned instance of a signed single-instance field */
static void test_duplicates(struct dkmod_ctx *ctx)
{
	struct str signed_msg = STR_INIT, attack = STR_INIT, v = STR_INIT;
	signed_with(ctx, base, "from:to:subject:date", &signed_msg);
	str_clear(&attack);
	str_appends(&attack, "From: Mallory <ceo@example.com>\r\n");
	str_appends(&attack, signed_msg.data);
	struct dkmod_session *s = run(ctx, attack.data);
	verdicts(s, &v);
	CHECK_STR("unsigned From on top: not pass", str_cstr(&v), "dkim:policy/2 From fields, 1 signed (RFC 5322 3.6, RFC 6376 8.15)");
	CHECK_STR("unsigned From on top: ADSP does not pass", s && dkmod_session_adsp(s) ? dkmod_session_adsp(s)->result : "",
		  "discard");
	const char *names[4];
	CHECK("unsigned From on top: reported", s && dkmod_session_duplicates(s, names, 4) == 1 && !strcmp(names[0], "From"));
	dkmod_session_free(s);

	expect_verdicts(ctx, "Subject: urgent: pay now\r\n", signed_msg.data, "unsigned Subject on top: not pass",
			"dkim:policy/2 Subject fields, 1 signed (RFC 5322 3.6, RFC 6376 8.15)");

	str_clear(&attack);
	str_appends(&attack, "Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n");
	str_appends(&attack, signed_msg.data);
	insert(attack.data, "Cc: x@example.net\r\nCc: y@example.net\r\n", &v);
	s = run(ctx, v.data);
	verdicts(s, &v);
	CHECK_STR("second Date (signed) and two Cc (not signed): Date is not covered", str_cstr(&v),
		  "dkim:policy/2 Date fields, 1 signed (RFC 5322 3.6, RFC 6376 8.15)");
	dkmod_session_free(s);

	signed_with(ctx, base, "from:to:subject", &signed_msg);
	insert(signed_msg.data, "Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n", &attack);
	expect_verdicts(ctx, "", attack.data, "two Date fields, neither signed: pass", "dkim:pass");

	insert(base, "Subject: second\r\n", &attack);
	signed_with(ctx, attack.data, "from:subject:subject", &signed_msg);
	s = run(ctx, signed_msg.data);
	verdicts(s, &v);
	CHECK_STR("two Subject fields, both signed: pass", str_cstr(&v), "dkim:pass");
	CHECK("two Subject fields, both signed: still reported",
	      s && dkmod_session_duplicates(s, names, 4) == 1 && !strcmp(names[0], "Subject"));
	dkmod_session_free(s);

	insert(base, "From: Bob <bob@example.com>\r\n", &attack);
	signed_with(ctx, attack.data, "from:from:subject", &signed_msg);
	expect_verdicts(ctx, "", signed_msg.data, "two From fields, both signed: never pass",
			"dkim:policy/2 From fields, 2 signed (RFC 5322 3.6, RFC 6376 8.15)");

	/* DomainKeys: a second Subject above the signature, which covers the fields below it */
	struct dkmod_sign_request r;
	request(&r, "rsa1024", DKMOD_ALG_RSA_SHA1);
	r.method = DKMOD_METHOD_DOMAINKEYS;
	dkmod_parse_canon(DKMOD_METHOD_DOMAINKEYS, "nofws", &r);
	r.domain = "example.com";
	str_clear(&signed_msg);
	CHECK("DomainKeys signature made", sign(ctx, &r, 1, base, &signed_msg));
	expect_verdicts(ctx, "", signed_msg.data, "DomainKeys: the signed message passes", "dk:pass");
	expect_verdicts(ctx, "Subject: urgent: pay now\r\n", signed_msg.data,
			"DomainKeys: unsigned Subject above the signature: not pass",
			"dk:policy/2 Subject fields, 1 signed (RFC 5322 3.6, RFC 6376 8.15)");
	str_free(&signed_msg);
	str_free(&attack);
	str_free(&v);
}

/* test_walk - the walk removes what the engine named, whatever the split and line ends */
static void test_walk(struct dkmod_ctx *ctx)
{
	static const char *const msgs[][2] = {
		{" leading: continuation\r\n"
		 "Authentication-Results : mx.test.example; dkim=pass\r\n"
		 "From: a@example.com\r\n\tfolded\r\n"
		 "DomainKey-Status: good\r\n"
		 "Authentication-Results: other.example; none\r\n"
		 "No colon here\r\n"
		 "\r\n"
		 "Authentication-Results: mx.test.example; in the body\r\n",
		 " leading: continuation\r\n"
		 "From: a@example.com\r\n\tfolded\r\n"
		 "Authentication-Results: other.example; none\r\n"
		 "No colon here\r\n"
		 "\r\n"
		 "Authentication-Results: mx.test.example; in the body\r\n"},
		{"Authentication-Results: mx.test.example;\n none\nX: y\nAuthentication-Results:\n\nbody\n",
		 "X: y\n\nbody\n"},
		{"X: y\r\r\nAuthentication-Results: mx.test.example\r\n", "X: y\r\r\n"},
	};
	struct str out = STR_INIT;
	for (size_t k = 0; k < sizeof msgs / sizeof *msgs; k++) {
		struct dkmod_session *s = run(ctx, msgs[k][0]);
		static const size_t chunks[] = {1, 2, 3, 7, 4096};
		for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
			char name[80];
			snprintf(name, sizeof name, "walk of message %zu in pieces of %zu", k + 1, chunks[c]);
			walked(s, msgs[k][0], chunks[c], &out);
			CHECK_STR(name, str_cstr(&out), msgs[k][1]);
		}
		dkmod_session_free(s);
	}
	/* a long line without a colon is kept without holding it; a removable name with many
	 * blanks before its colon is held and removed */
	struct str msg = STR_INIT, want = STR_INIT;
	for (int i = 0; i < 300; i++)
		str_appends(&msg, "no-colon-");
	str_appends(&msg, "\r\nAuthentication-Results");
	for (int i = 0; i < 500; i++)
		str_appends(&msg, i % 2 ? " " : "\t");
	str_appends(&msg, ": mx.test.example; dkim=pass\r\n\r\nbody\r\n");
	str_append(&want, msg.data, 2700 + 2);
	str_appends(&want, "\r\nbody\r\n");
	struct dkmod_session *s = run(ctx, msg.data);
	walked(s, msg.data, 5, &out);
	CHECK_STR("walk: a 2.7 KB line without a colon kept, a name with 500 blanks before its colon removed",
		  str_cstr(&out), str_cstr(&want));
	dkmod_session_free(s);
	str_free(&msg);
	str_free(&want);

	s = run(ctx, msgs[0][0]);
	size_t cursor = 0, nth, count;
	const char *name;
	str_clear(&out);
	while (s && dkmod_session_removal_next(s, &cursor, &name, &nth, &count))
		str_printf(&out, "%s %zu %zu;", name, nth, count);
	CHECK_STR("removals by name, occurrence and count", str_cstr(&out),
		  "DomainKey-Status 0 1;Authentication-Results 0 2;");
	struct dkmod_header_walk w;
	dkmod_header_walk_init(&w, s);
	CHECK("field walk: a leading fold has no name", !dkmod_header_walk_field(&w, " Authentication-Results: x", 26));
	CHECK("field walk: the forged one goes", dkmod_header_walk_field(&w, "Authentication-Results : x", 26));
	CHECK("field walk: the other stays", !dkmod_header_walk_field(&w, "authentication-results: y", 25));
	dkmod_session_free(s);
	str_free(&out);
}

int main(void)
{
	if (!fixture_start())
		return 1;
	bool keys = add_key("rsa1024", "genrsa -traditional", false, "");
	str_appends(&zone, "_domainkey IN TXT \"o=-\"\n_adsp._domainkey IN TXT \"dkim=discardable\"\n");
	CHECK("test key generated", keys);
	fixture_zone();
	struct dkmod_ctx *ctx = new_ctx(1024, now);
	CHECK("context on the test zone", ctx != NULL);
	if (ctx && keys) {
		test_limits(ctx);
		test_duplicates(ctx);
		test_walk(ctx);
	}
	dkmod_ctx_free(ctx);
	fixture_end();
	return unit_done();
}
