/*
 * test_session.c - the engine end to end through the public API, with keys
 * made at run time and a zone file served as local data: RFC 8463 Appendix A,
 * sign/verify round trips in every algorithm and canonicalization, arbitrary
 * chunking and bare LF, tampering, oversigning, expiry, key policy, limits,
 * forged Authentication-Results.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkmod.h"
#include "engine/session.h"
#include "body/sha256.h"
#include "unit.h"

#include "session_fixture.h"

static const char *const message =
	"Received: from relay.example.net by mx.example.org; Wed, 25 Nov 2026 10:00:01 +0000\r\n"
	"From: Alice <alice@example.com>\r\n"
	"To: Bob <bob@example.net>\r\n"
	"Subject: Quarterly  figures\r\n"
	"\tcontinued, with \xc3\xa9 8-bit\r\n"
	"Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n"
	"Message-ID: <t1@example.com>\r\n"
	"\r\n"
	"Hello Bob,  \r\n"
	"\r\n"
	"\tthe figures.\r\n"
	"\r\n\r\n";

/* test_rfc8463 - both signatures of RFC 8463 Appendix A (RSA one as corrected by the RFC's erratum) */
static void test_rfc8463(void)
{
	static const char msg[] =
		"DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
		" d=football.example.com; i=@football.example.com;\r\n"
		" q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
		" subject : date : message-id : from : subject : date;\r\n"
		" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
		" b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
		" Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
		"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
		" d=football.example.com; i=@football.example.com;\r\n"
		" q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
		" date : message-id : from : subject : date;\r\n"
		" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
		" b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
		" DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
		" dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
		"From: Joe SixPack <joe@football.example.com>\r\n"
		"To: Suzie Q <suzie@shopping.example.net>\r\n"
		"Subject: Is dinner ready?\r\n"
		"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
		"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
		"\r\n"
		"Hi.\r\n"
		"\r\n"
		"We lost the game.  Are you hungry yet?\r\n"
		"\r\n"
		"Joe.\r\n";
	char zf[160];
	snprintf(zf, sizeof zf, "%s/football.zone", dir);
	FILE *f = fopen(zf, "w");
	fputs("$ORIGIN football.example.com.\n$TTL 300\n"
	      "@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\nns IN A 192.0.2.53\n"
	      "brisbane._domainkey IN TXT \"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"\n"
	      "test._domainkey IN TXT \"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6w\" "
	      "\"y5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB\"\n",
	      f);
	fclose(f);
	struct dkmod_options o;
	dkmod_options_init(&o);
	o.authserv_id = "mx.test.example";
	o.resolver.zone_file = zf;
	struct dkmod_ctx *ctx = NULL;
	CHECK("rfc8463: context", dkmod_ctx_new(&o, &ctx) == DKMOD_OK);
	if (!ctx)
		return;
	struct str out = STR_INIT;
	verify(ctx, msg, 0, &out, NULL);
	CHECK_STR("rfc8463: both signatures pass", str_cstr(&out), "pass;pass");
	verify(ctx, msg, 7, &out, NULL);
	CHECK_STR("rfc8463: in 7-byte chunks", str_cstr(&out), "pass;pass");
	struct str lf = STR_INIT;
	for (const char *p = msg; *p; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			str_appendc(&lf, *p);
	verify(ctx, lf.data, 0, &out, NULL);
	CHECK_STR("rfc8463: bare LF line ends", str_cstr(&out), "pass;pass");
	str_free(&lf);
	str_free(&out);
	dkmod_ctx_free(ctx);
}

struct roundtrip {
	const char *name;
	const char *selector;
	enum dkmod_algorithm alg;
	enum dkmod_canon hc, bc;
};

static const struct roundtrip roundtrips[] = {
	{"rsa-sha256 relaxed/relaxed", "rsa2048", DKMOD_ALG_RSA_SHA256, DKMOD_CANON_RELAXED, DKMOD_CANON_RELAXED},
	{"rsa-sha256 simple/simple", "rsa2048", DKMOD_ALG_RSA_SHA256, DKMOD_CANON_SIMPLE, DKMOD_CANON_SIMPLE},
	{"rsa-sha256 relaxed/simple", "rsa1024", DKMOD_ALG_RSA_SHA256, DKMOD_CANON_RELAXED, DKMOD_CANON_SIMPLE},
	{"rsa-sha256 simple/relaxed", "rsa1024", DKMOD_ALG_RSA_SHA256, DKMOD_CANON_SIMPLE, DKMOD_CANON_RELAXED},
	{"rsa-sha1 relaxed/relaxed", "rsa2048", DKMOD_ALG_RSA_SHA1, DKMOD_CANON_RELAXED, DKMOD_CANON_RELAXED},
	{"rsa-sha1 simple/simple", "rsa1024", DKMOD_ALG_RSA_SHA1, DKMOD_CANON_SIMPLE, DKMOD_CANON_SIMPLE},
	{"ed25519 relaxed/relaxed", "ed", DKMOD_ALG_ED25519_SHA256, DKMOD_CANON_RELAXED, DKMOD_CANON_RELAXED},
	{"ed25519 simple/simple", "ed", DKMOD_ALG_ED25519_SHA256, DKMOD_CANON_SIMPLE, DKMOD_CANON_SIMPLE},
	{"ed25519 relaxed/simple", "ed", DKMOD_ALG_ED25519_SHA256, DKMOD_CANON_RELAXED, DKMOD_CANON_SIMPLE},
	{"ed25519 simple/relaxed", "ed", DKMOD_ALG_ED25519_SHA256, DKMOD_CANON_SIMPLE, DKMOD_CANON_RELAXED},
};

/* test_roundtrips - sign and verify in every combination, chunked and with bare LF */
static void test_roundtrips(struct dkmod_ctx *ctx)
{
	struct str signed_msg = STR_INIT, out = STR_INIT, lf = STR_INIT;
	char name[200];
	for (size_t i = 0; i < sizeof roundtrips / sizeof *roundtrips; i++) {
		const struct roundtrip *t = &roundtrips[i];
		struct dkmod_sign_request r;
		request(&r, t->selector, t->alg);
		r.header_canon = t->hc;
		r.body_canon = t->bc;
		snprintf(name, sizeof name, "sign %s", t->name);
		CHECK(name, sign(ctx, &r, 1, message, &signed_msg));
		snprintf(name, sizeof name, "verify %s", t->name);
		verify(ctx, str_cstr(&signed_msg), 0, &out, NULL);
		CHECK_STR(name, str_cstr(&out), "pass");
		snprintf(name, sizeof name, "verify %s, 1-byte chunks", t->name);
		verify(ctx, str_cstr(&signed_msg), 1, &out, NULL);
		CHECK_STR(name, str_cstr(&out), "pass");
		str_clear(&lf);
		for (const char *p = signed_msg.data; *p; p++)
			if (!(p[0] == '\r' && p[1] == '\n'))
				str_appendc(&lf, *p);
		snprintf(name, sizeof name, "verify %s, bare LF", t->name);
		verify(ctx, lf.data, 3, &out, NULL);
		CHECK_STR(name, str_cstr(&out), "pass");
	}
	str_free(&signed_msg);
	str_free(&out);
	str_free(&lf);
}

struct tamper {
	const char *name;
	const char *from, *to; /* replace the first occurrence */
	const char *want;
};

static const struct tamper tampers[] = {
	{"body changed", "the figures.", "the figurez.", "fail/body hash did not verify"},
	{"signed header changed", "Subject: Quarterly", "Subject: Quarterlx", "fail/signature did not verify"},
	{"From added (oversigned)", "To: Bob", "From: Mallory <m@evil.example>\r\nTo: Bob", "fail/signature did not verify"},
	{"unsigned header added", "To: Bob", "X-Mailer: relay\r\nTo: Bob", "pass"},
	{"trailing blank lines added", "the figures.\r\n", "the figures.\r\n\r\n\r\n\r\n", "pass"},
	{"signature points at another key", "s=rsa2048", "s=rsa1024", "fail/signature did not verify"},
};

/* replace - msg with the first from replaced by to */
static bool replace(const char *msg, const char *from, const char *to, struct str *out)
{
	const char *p = strstr(msg, from);
	str_clear(out);
	if (!p)
		return false;
	str_append(out, msg, (size_t)(p - msg));
	str_appends(out, to);
	str_appends(out, p + strlen(from));
	return true;
}

/* test_tampering - changes in transit give the right verdict and reason */
static void test_tampering(struct dkmod_ctx *ctx)
{
	struct str signed_msg = STR_INIT, changed = STR_INIT, out = STR_INIT;
	struct dkmod_sign_request r;
	request(&r, "rsa2048", DKMOD_ALG_RSA_SHA256);
	r.header_canon = r.body_canon = DKMOD_CANON_SIMPLE;
	CHECK("tamper: sign", sign(ctx, &r, 1, message, &signed_msg));
	for (size_t i = 0; i < sizeof tampers / sizeof *tampers; i++) {
		const struct tamper *t = &tampers[i];
		if (!replace(str_cstr(&signed_msg), t->from, t->to, &changed)) {
			CHECK(t->name, false);
			continue;
		}
		verify(ctx, changed.data, 0, &out, NULL);
		CHECK_STR(t->name, str_cstr(&out), t->want);
	}
	/* the same signature with the key record's domain mismatching is covered above;
	 * now the relaxed form survives re-folding and whitespace changes */
	request(&r, "rsa2048", DKMOD_ALG_RSA_SHA256);
	CHECK("tamper: sign relaxed", sign(ctx, &r, 1, message, &signed_msg));
	replace(str_cstr(&signed_msg), "Subject: Quarterly  figures\r\n\tcontinued", "Subject:   Quarterly figures\r\n  continued",
		&changed);
	verify(ctx, changed.data, 0, &out, NULL);
	CHECK_STR("relaxed survives header re-folding", str_cstr(&out), "pass");
	replace(str_cstr(&signed_msg), "Hello Bob,  \r\n", "Hello   Bob,\r\n", &changed);
	verify(ctx, changed.data, 0, &out, NULL);
	CHECK_STR("relaxed survives body whitespace changes", str_cstr(&out), "pass");
	str_free(&signed_msg);
	str_free(&changed);
	str_free(&out);
}

/* test_signature_shape - the written field: folded, oversigned From, tags */
static void test_signature_shape(struct dkmod_ctx *ctx)
{
	struct str signed_msg = STR_INIT;
	struct dkmod_sign_request r;
	request(&r, "rsa2048", DKMOD_ALG_RSA_SHA256);
	r.identity = "alice@example.com";
	r.expire = 3600;
	CHECK("shape: sign", sign(ctx, &r, 1, message, &signed_msg));
	const char *m = str_cstr(&signed_msg);
	const char *end = strstr(m, "\r\nReceived:");
	bool short_lines = end != NULL;
	for (const char *l = m; end && l < end;) {
		const char *nl = strstr(l, "\r\n");
		if (nl - l > 78)
			short_lines = false;
		l = nl + 2;
	}
	CHECK("shape: folded under 78 columns", short_lines);
	CHECK("shape: starts with DKIM-Signature", strncmp(m, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;", 53) == 0);
	CHECK("shape: From oversigned", strstr(m, "h=from:from:") != NULL);
	CHECK("shape: i= present", strstr(m, "i=alice@example.com;") != NULL);
	char tx[64];
	snprintf(tx, sizeof tx, "t=%lld; x=%lld;", (long long)now, (long long)now + 3600);
	CHECK("shape: t= and x=", strstr(m, tx) != NULL);
	CHECK("shape: no l= by default", strstr(m, " l=") == NULL);
	str_free(&signed_msg);
}

/* test_policy - expiry, future timestamps, small keys, missing and revoked keys */
static void test_policy(struct dkmod_ctx *ctx)
{
	struct str signed_msg = STR_INIT, out = STR_INIT;
	struct dkmod_sign_request r;
	request(&r, "rsa2048", DKMOD_ALG_RSA_SHA256);
	r.expire = 600;
	sign(ctx, &r, 1, message, &signed_msg);
	struct dkmod_ctx *later = new_ctx(1024, now + 600 + 299);
	verify(later, signed_msg.data, 0, &out, NULL);
	CHECK_STR("x= within the clock skew passes", str_cstr(&out), "pass");
	dkmod_ctx_free(later);
	later = new_ctx(1024, now + 600 + 301);
	verify(later, signed_msg.data, 0, &out, NULL);
	CHECK_STR("x= past the skew is expired", str_cstr(&out), "permerror/signature expired");
	dkmod_ctx_free(later);
	struct dkmod_ctx *earlier = new_ctx(1024, now - 3600);
	verify(earlier, signed_msg.data, 0, &out, NULL);
	CHECK_STR("t= in the future", str_cstr(&out), "permerror/signature timestamp in the future");
	dkmod_ctx_free(earlier);

	request(&r, "rsa512", DKMOD_ALG_RSA_SHA256);
	sign(ctx, &r, 1, message, &signed_msg);
	verify(ctx, signed_msg.data, 0, &out, NULL);
	CHECK_STR("512-bit key is policy", str_cstr(&out), "policy/key too small (512 bits, minimum 1024)");
	struct dkmod_ctx *lenient = new_ctx(512, now);
	verify(lenient, signed_msg.data, 0, &out, NULL);
	CHECK_STR("512-bit key with --min-key-bits 512", str_cstr(&out), "pass");
	dkmod_ctx_free(lenient);

	struct str changed = STR_INIT;
	request(&r, "rsa2048", DKMOD_ALG_RSA_SHA256);
	sign(ctx, &r, 1, message, &signed_msg);
	replace(signed_msg.data, "s=rsa2048", "s=absent", &changed);
	verify(ctx, changed.data, 0, &out, NULL);
	CHECK_STR("no key record", str_cstr(&out), "permerror/no key for signature");
	replace(signed_msg.data, "s=rsa2048", "s=revoked", &changed);
	verify(ctx, changed.data, 0, &out, NULL);
	CHECK_STR("revoked key", str_cstr(&out), "permerror/key revoked");
	replace(signed_msg.data, "s=rsa2048", "s=ed", &changed);
	verify(ctx, changed.data, 0, &out, NULL);
	CHECK_STR("key type mismatch", str_cstr(&out), "permerror/key type does not match the algorithm");
	replace(signed_msg.data, "s=rsa2048", "s=sha1only", &changed);
	verify(ctx, changed.data, 0, &out, NULL);
	CHECK_STR("key h= excludes sha256", str_cstr(&out), "permerror/key does not allow the hash algorithm");
	replace(signed_msg.data, "v=1;", "v=1; i=joe@example.org;", &changed);
	verify(ctx, changed.data, 0, &out, NULL);
	CHECK_STR("i= outside d=", str_cstr(&out), "permerror/i= is not within d=");
	replace(signed_msg.data, "h=from:from:", "h=", &changed);
	verify(ctx, changed.data, 0, &out, NULL);
	CHECK_STR("h= without From", str_cstr(&out), "permerror/From is not signed");
	replace(signed_msg.data, "v=1;", "v=1; v=1;", &changed);
	verify(ctx, changed.data, 0, &out, NULL);
	CHECK_STR("duplicate tag", str_cstr(&out), "permerror/signature syntax error");
	replace(signed_msg.data, "a=rsa-sha256", "a=rsa-md5", &changed);
	verify(ctx, changed.data, 0, &out, NULL);
	CHECK_STR("unknown algorithm", str_cstr(&out), "permerror/unsupported signature algorithm");
	verify(ctx, message, 0, &out, NULL);
	CHECK_STR("unsigned message", str_cstr(&out), "none");
	str_free(&changed);
	str_free(&signed_msg);
	str_free(&out);
}

/* test_output - Authentication-Results, forged ones removed, several signatures, one body hash */
static void test_output(struct dkmod_ctx *ctx)
{
	struct str signed_msg = STR_INIT, out = STR_INIT, ar = STR_INIT, forged = STR_INIT;
	struct dkmod_sign_request r[2];
	request(&r[0], "rsa2048", DKMOD_ALG_RSA_SHA256);
	request(&r[1], "ed", DKMOD_ALG_ED25519_SHA256);
	CHECK("two signatures in one pass", sign(ctx, r, 2, message, &signed_msg));
	str_printf(&forged, "Authentication-Results: MX.test.example; dkim=pass header.d=bank.example\r\n"
			    "Authentication-Results: other.example; dkim=fail\r\n%s",
		   signed_msg.data);
	verify(ctx, forged.data, 0, &out, &ar);
	CHECK_STR("two signatures verify", str_cstr(&out), "pass;pass");
	struct str unfolded = STR_INIT;
	for (const char *p = str_cstr(&ar); *p; p++) {
		if (p[0] == '\r' && p[1] == '\n' && p[2] == '\t') {
			p += 2;
			if (p[-3] != ';')
				str_appendc(&unfolded, ' ');
		} else
			str_appendc(&unfolded, *p);
	}
	const char *a = str_cstr(&unfolded);
	const char *top = "Authentication-Results: mx.test.example;dkim=pass (";
	CHECK("A-R on top", strncmp(a, top, strlen(top)) == 0);
	CHECK("A-R RSA result", strstr(a, "dkim=pass (2048-bit key; insecure)") != NULL);
	CHECK("A-R names d, i, s, a, b", strstr(a, "header.d=example.com header.i=@example.com") != NULL &&
					  strstr(a, "header.s=rsa2048 header.a=rsa-sha256") != NULL && strstr(a, "header.b=") != NULL);
	CHECK("A-R ed25519 result", strstr(a, "dkim=pass (256-bit key") != NULL && strstr(a, "header.a=ed25519-sha256") != NULL);
	CHECK("forged A-R of our authserv-id removed", strstr(a, "bank.example") == NULL);
	CHECK("foreign A-R kept", strstr(a, "Authentication-Results: other.example; dkim=fail") != NULL);
	str_free(&unfolded);

	struct dkmod_session *s;
	dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s);
	dkmod_session_add_signer(s, &r[0]);
	feed(s, signed_msg.data, 0);
	CHECK_INT("one body hash for equal parameters", s->bodies.nbodies, 1);
	dkmod_session_free(s);

	/* more signatures than the limit: the rest are not verified */
	struct str many = STR_INIT;
	for (int i = 0; i < 10; i++)
		str_appends(&many, "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa2048; h=from; bh=AAAA; b=AAAA\r\n");
	str_appends(&many, message);
	verify(ctx, many.data, 0, &out, NULL);
	size_t n = 1;
	for (const char *p = out.data; p && *p; p++)
		n += *p == ';';
	CHECK_INT("at most 8 signatures verified", n, 8);
	str_free(&many);
	str_free(&signed_msg);
	str_free(&out);
	str_free(&ar);
	str_free(&forged);
}

/* test_limits - hostile header blocks give a verdict and an intact message */
static void test_limits(struct dkmod_ctx *ctx)
{
	struct str big = STR_INIT, out = STR_INIT;
	for (int i = 0; i < 1500; i++)
		str_printf(&big, "X-Filler-%d: %d\r\n", i, i);
	str_appends(&big, message);
	struct dkmod_session *s;
	dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s);
	CHECK("too many fields: finish works", feed(s, big.data, 4096) == DKMOD_OK);
	CHECK("too many fields: message flagged as not intact", !dkmod_session_intact(s));
	CHECK_STR("too many fields: verdict", dkmod_session_result(s, 0) ? dkmod_session_result(s, 0)->reason : "",
		  "header not fully inspected (limits exceeded)");
	dkmod_session_free(s);
	str_clear(&big);
	str_appends(&big, "X-Long: ");
	for (int i = 0; i < 200000; i++)
		str_appends(&big, "aaaaaaaaaa");
	str_appends(&big, "\r\n");
	str_appends(&big, message);
	verify(ctx, big.data, 65536, &out, NULL);
	CHECK_STR("endless header line", str_cstr(&out), "permerror/header not fully inspected (limits exceeded)");
	verify(ctx, "no colon here\r\nFrom: a@example.com\r\n\r\nbody\r\n", 0, &out, NULL);
	CHECK_STR("malformed first line", str_cstr(&out), "none");
	verify(ctx, "From: a@example.com\r\nSubject: no body", 0, &out, NULL);
	CHECK_STR("headers only, no blank line", str_cstr(&out), "none");
	verify(ctx, "", 0, &out, NULL);
	CHECK_STR("empty input", str_cstr(&out), "none");
	str_free(&big);
	str_free(&out);
}

/* test_sign_buffers - the field is built in a buffer the context keeps from signature to
 * signature (no allocation per message), the h= list written into it from its names (no buffer of
 * its own): a short list after a long one has none of its names, and both signatures pass */
static void test_sign_buffers(struct dkmod_ctx *ctx)
{
	struct dkmod_sign_request r;
	struct str first = STR_INIT, second = STR_INIT, out = STR_INIT;
	request(&r, "ed", DKMOD_ALG_ED25519_SHA256);
	r.headers = "from:to:subject:date:message-id:received:x-long-field-name-one:x-long-field-name-two";
	CHECK("sign buffers: a long h= list signed", sign(ctx, &r, 1, message, &first));
	const char *field = ctx->sign_field.data;
	CHECK("sign buffers: kept by the context, emptied", field && ctx->sign_field.len == 0 &&
	      ctx->sign_field.cap >= 1024);
	r.headers = "from";
	r.oversign = false;
	CHECK("sign buffers: a short one after it", sign(ctx, &r, 1, message, &second));
	CHECK("sign buffers: the same memory again", ctx->sign_field.data == field);
	CHECK("sign buffers: the short list alone", strstr(str_cstr(&second), " h=from; ") != NULL &&
	      strstr(str_cstr(&second), "received") == NULL);
	verify(ctx, str_cstr(&first), 0, &out, NULL);
	CHECK_STR("sign buffers: the first passes", str_cstr(&out), "pass");
	verify(ctx, str_cstr(&second), 0, &out, NULL);
	CHECK_STR("sign buffers: the second passes", str_cstr(&out), "pass");
	str_free(&first);
	str_free(&second);
	str_free(&out);
}

/* test_reuse - a context hands the last freed session's memory to the next one, emptied: a
 * message after a signed one has none of its results, fields or A-R, and a session that grew
 * past the limits is not kept */
static void test_reuse(struct dkmod_ctx *ctx)
{
	struct dkmod_sign_request req[2];
	struct str signed_msg = STR_INIT, out = STR_INIT, ar = STR_INIT;
	struct dkmod_session *s, *t;
	request(&req[0], "rsa2048", DKMOD_ALG_RSA_SHA256);
	request(&req[1], "ed", DKMOD_ALG_ED25519_SHA256);
	CHECK("reuse: signed twice", sign(ctx, req, 2, message, &signed_msg));
	verify(ctx, str_cstr(&signed_msg), 0, &out, &ar);
	CHECK_STR("reuse: both signatures pass", str_cstr(&out), "pass;pass");
	dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s);
	struct header_field *fields = s->fields;
	CHECK("reuse: the spare session is taken, with its field array", s && fields != NULL && s->nfields == 0 &&
	      s->nresults == 0 && s->nadded == 0 && s->dkimverify.nchecks == 0 && s->field.len == 0);
	CHECK("reuse: the context keeps arena blocks", ctx->arena_spare != NULL);
	dkmod_session_free(s);
	dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &t);
	CHECK("reuse: the same session memory again", t == s && t->fields == fields);
	dkmod_session_free(t);
	verify(ctx, message, 0, &out, &ar);
	CHECK_STR("reuse: an unsigned message after it has only dkim none", str_cstr(&out), "none");
	CHECK("reuse: its A-R says dkim=none", strstr(str_cstr(&ar), "dkim=none") != NULL);
	verify(ctx, str_cstr(&signed_msg), 1, &out, NULL);
	CHECK_STR("reuse: the signed message again, byte by byte", str_cstr(&out), "pass;pass");
	str_clear(&signed_msg);
	for (int i = 0; i < 300; i++)
		str_printf(&signed_msg, "X-Filler-%d: %d\r\n", i, i);
	str_appends(&signed_msg, message);
	verify(ctx, str_cstr(&signed_msg), 0, &out, NULL);
	CHECK("reuse: a session of 300 fields is not kept", ctx->spare_session == NULL);
	str_free(&signed_msg);
	str_free(&out);
	str_free(&ar);
}

/* test_sign_status - a failed signature's status says why: EINVAL when the request does not
 * fit the message (DomainKeys without a sender), ECRYPTO when the hash or the signing failed */
static void test_sign_status(struct dkmod_ctx *ctx)
{
	struct dkmod_sign_request req;
	struct dkmod_session *s;
	request(&req, "rsa2048", DKMOD_ALG_RSA_SHA1);
	req.method = DKMOD_METHOD_DOMAINKEYS;
	req.header_canon = DKMOD_CANON_SIMPLE;
	const char *nosender = "Subject: no author\r\n\r\nbody\r\n";
	CHECK("sign status: DomainKeys request queued", dkmod_session_new(ctx, 0, &s) == DKMOD_OK &&
							 dkmod_session_add_signer(s, &req) == DKMOD_OK);
	dkmod_session_write(s, nosender, strlen(nosender));
	CHECK_INT("sign status: DomainKeys without a sender is EINVAL", dkmod_session_finish(s), DKMOD_EINVAL);
	dkmod_session_free(s);
	dkmod_session_new(ctx, 0, &s);
	dkmod_session_add_signer(s, &req);
	dkmod_session_write(s, message, strlen(message));
	CHECK("sign status: the DomainKeys stream is there", s->dksign.nsigners == 1 && s->dksign.signers[0].stream);
	if (s->dksign.nsigners == 1 && s->dksign.signers[0].stream)
		s->dksign.signers[0].stream->failed = true; /* as when the hash library fails */
	CHECK_INT("sign status: a DomainKeys hash that failed is ECRYPTO", dkmod_session_finish(s), DKMOD_ECRYPTO);
	CHECK_INT("sign status: no field added", (long long)dkmod_session_added_count(s), 0);
	dkmod_session_free(s);
	request(&req, "rsa2048", DKMOD_ALG_RSA_SHA256);
	dkmod_session_new(ctx, 0, &s);
	dkmod_session_add_signer(s, &req);
	dkmod_session_write(s, message, strlen(message));
	if (s->dkimsign.nsigners == 1 && s->dkimsign.signers[0].body)
		s->dkimsign.signers[0].body->failed = true;
	CHECK_INT("sign status: a DKIM body hash that failed is ECRYPTO", dkmod_session_finish(s), DKMOD_ECRYPTO);
	dkmod_session_free(s);
}

/* split_shape - the header fields a session made of msg written in two pieces at cut
 * (cut 0: byte by byte), as one string: each raw field and a '|', then the header
 * bytes seen, whether intact, and the line end */
static void split_shape(struct dkmod_ctx *ctx, const char *msg, size_t cut, struct str *out)
{
	struct dkmod_session *s = NULL;
	size_t n = strlen(msg);
	str_clear(out);
	if (dkmod_session_new(ctx, 0, &s) != DKMOD_OK)
		return;
	if (cut == 0) {
		for (size_t i = 0; i < n; i++)
			dkmod_session_write(s, msg + i, 1);
	} else {
		dkmod_session_write(s, msg, cut);
		dkmod_session_write(s, msg + cut, n - cut);
	}
	dkmod_session_finish(s);
	for (size_t i = 0; i < dkmod_session_header_count(s); i++) {
		size_t len;
		const char *raw = dkmod_session_header_raw(s, i, &len);
		str_append(out, raw, len);
		str_appendc(out, '|');
	}
	str_append_uint(out, dkmod_session_header_bytes(s));
	str_appends(out, dkmod_session_intact(s) ? " intact " : " overflow ");
	str_appends(out, strcmp(dkmod_session_eol(s), "\n") == 0 ? "LF" : "CRLF");
	dkmod_session_free(s);
}

/* test_split_points - fields taken whole from the caller's bytes, or gathered line by
 * line, come out the same wherever the input is cut, also at the size limit */
static void test_split_points(void)
{
	static const char *const msgs[] = {
		"From: a@example.com\r\nSubject: one\r\n two\r\n\tthree\r\nTo: b@example.com\r\n\r\nbody\r\n",
		" leading: space\nX: y\n  folded\n\nbody\n",
		/* the header limit is 40 bytes: a 41-byte field, one folded past the limit */
		"A: 345678901234567890123456789012345678\r\nB: 3456789012345678901234567890123456789\r\n"
		"C: 34567890\r\n 2345678901234567890123456789\r\nD: d\r\n\r\n",
		/* a folded field of exactly 40 bytes, then nothing more fits */
		"A: 34567890\r\n 234567890123456789012345\r\nB: x\r\n\r\n",
		"E: no blank line at the end\r\n folded\r\n",
		"F: f\r\n\r\n",
		/* the input ends inside a line: a field of its own, also after a field stored whole */
		"G: g\r\nH: unfinished",
		"G: g\r\n folded\r\nH: unfinished\r",
		/* a field, then a line over the limit: the field is kept wherever the input is cut */
		"K: kept\r\nL: 345678901234567890123456789012345678901234567890\r\n\r\n",
	};
	struct dkmod_options o;
	dkmod_options_init(&o);
	o.authserv_id = "mx.test.example";
	o.max_header_bytes = 40;
	struct dkmod_ctx *ctx = NULL;
	if (dkmod_ctx_new(&o, &ctx) != DKMOD_OK) {
		CHECK("split points: context", 0);
		return;
	}
	struct str whole = STR_INIT, cut = STR_INIT, bytes = STR_INIT;
	for (size_t m = 0; m < sizeof msgs / sizeof *msgs; m++) {
		size_t n = strlen(msgs[m]);
		int same = 1;
		split_shape(ctx, msgs[m], n, &whole);
		split_shape(ctx, msgs[m], 0, &bytes);
		for (size_t k = 1; k < n; k++) {
			split_shape(ctx, msgs[m], k, &cut);
			same &= cut.len == whole.len && memcmp(cut.data, whole.data, whole.len) == 0;
		}
		char name[64];
		snprintf(name, sizeof name, "split points: message %zu, cut anywhere", m + 1);
		CHECK(name, same);
		snprintf(name, sizeof name, "split points: message %zu, byte by byte", m + 1);
		CHECK_STR(name, str_cstr(&bytes), str_cstr(&whole));
	}
	split_shape(ctx, msgs[6], strlen(msgs[6]), &whole);
	CHECK_STR("split points: an unfinished last line is a field of its own", str_cstr(&whole),
		  "G: g\r\n|H: unfinished|19 intact CRLF");
	split_shape(ctx, msgs[8], strlen(msgs[8]), &whole);
	CHECK_STR("split points: a field before a line over the limit is kept", str_cstr(&whole),
		  "K: kept\r\n|64 overflow CRLF");
	split_shape(ctx, msgs[2], strlen(msgs[2]), &whole);
	CHECK_STR("split points: a field over the limit is dropped", str_cstr(&whole), "135 overflow CRLF");
	split_shape(ctx, msgs[3], strlen(msgs[3]), &whole);
	CHECK_STR("split points: a field at the limit is kept", str_cstr(&whole),
		  "A: 34567890\r\n 234567890123456789012345\r\n|48 overflow CRLF");
	str_free(&whole);
	str_free(&cut);
	str_free(&bytes);
	dkmod_ctx_free(ctx);
}

/* test_paired_bodies - SHA-256 bodies hashed in pairs (core/body/hashpair.c) sign and verify exactly as
 * when each is hashed alone: three body hashes (relaxed, simple, relaxed with l=) and a SHA-1 one,
 * on a body of 150 KB with runs of WSP, trailing WSP and empty lines, fed whole and in chunks */
static void test_paired_bodies(struct dkmod_ctx *ctx)
{
	struct str msg = STR_INIT, paired = STR_INIT, alone = STR_INIT, out = STR_INIT, bad = STR_INIT;
	str_appends(&msg, "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.net>\r\nSubject: pairs\r\n"
			  "Date: Tue, 25 Nov 2025 10:00:00 +0000\r\n\r\n");
	for (int i = 0; i < 2500; i++)
		str_printf(&msg, "line %d  with\tspaces %s\r\n%s", i, i % 3 ? "and a tail \t " : "base64AAAA",
			   i % 7 ? "" : "\r\n\r\n");
	str_appends(&msg, "\r\n\r\n");
	struct dkmod_sign_request r[4];
	request(&r[0], "rsa2048", DKMOD_ALG_RSA_SHA256);
	r[0].header_canon = r[0].body_canon = DKMOD_CANON_RELAXED;
	request(&r[1], "rsa1024", DKMOD_ALG_RSA_SHA256);
	request(&r[2], "ed", DKMOD_ALG_ED25519_SHA256);
	r[2].body_canon = DKMOD_CANON_RELAXED;
	r[2].body_length = 70001;
	request(&r[3], "rsa2048", DKMOD_ALG_RSA_SHA1);
	r[3].body_canon = DKMOD_CANON_RELAXED;
	bool was = sha256_set_disabled(false);
	CHECK("paired bodies: signed", sign(ctx, r, 4, str_cstr(&msg), &paired));
	sha256_set_disabled(true);
	CHECK("paired bodies: signed, hashed alone", sign(ctx, r, 4, str_cstr(&msg), &alone));
	CHECK("paired bodies: the same signatures either way", paired.len > msg.len && paired.len == alone.len && memcmp(paired.data, alone.data, paired.len) == 0);
	static const size_t chunks[] = {0, 7, 1000, 16385, 65536};
	for (int off = 0; off < 2; off++) {
		sha256_set_disabled(off);
		for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
			char name[120];
			snprintf(name, sizeof name, "paired bodies: verify%s, chunks of %zu", off ? " (alone)" : "",
				 chunks[i]);
			verify(ctx, str_cstr(&paired), chunks[i], &out, NULL);
			CHECK_STR(name, str_cstr(&out), "pass;pass/l= leaves part of the body unsigned;pass;pass");
		}
		/* a change past l= breaks the full-body hashes only (results in field order: the last request's
	 * field is on top) */
		CHECK("paired bodies: tampered copy", replace(str_cstr(&paired), "line 2400 ", "line 2400x", &bad));
		verify(ctx, str_cstr(&bad), 4096, &out, NULL);
		CHECK_STR(off ? "paired bodies: tampered past l= (alone)" : "paired bodies: tampered past l=", str_cstr(&out),
			  "fail/body hash did not verify;pass/l= leaves part of the body unsigned;fail/body hash did not verify;"
			  "fail/body hash did not verify");
	}
	sha256_set_disabled(was);
	str_free(&msg);
	str_free(&paired);
	str_free(&alone);
	str_free(&out);
	str_free(&bad);
}

int main(void)
{
	if (!fixture_start())
		return 1;
	bool keys = add_key("rsa2048", "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048", false, "") &&
		    add_key("rsa1024", "genrsa -traditional", false, "") &&
		    add_key("rsa512", "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512", false, "") &&
		    add_key("sha1only", "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024", false, " h=sha1;") &&
		    add_key("ed", "genpkey -algorithm ed25519", true, "");
	CHECK("test keys generated", keys);
	fixture_zone();
	test_rfc8463();
	test_split_points();
	struct dkmod_ctx *ctx = new_ctx(1024, now);
	CHECK("context on the test zone", ctx != NULL);
	if (ctx && keys) {
		test_roundtrips(ctx);
		test_tampering(ctx);
		test_signature_shape(ctx);
		test_policy(ctx);
		test_output(ctx);
		test_limits(ctx);
		test_paired_bodies(ctx);
		test_reuse(ctx);
		test_sign_buffers(ctx);
		test_sign_status(ctx);
	}
	dkmod_ctx_free(ctx);
	fixture_end();
	return unit_done();
}
