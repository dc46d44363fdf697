/*
 * test_session_auth.c - SPF and DMARC in a verifying session through the public
 * API, on a zone file served as local data: the envelope starts SPF, DMARC
 * passes by an aligned DKIM signature or an aligned SPF pass, fails under
 * p=reject, is none without a record, milder under t=y, temperror when its
 * lookups time out (a stub zone on a silent socket), never passes on a header
 * cut at the limits; the A-R resinfos and the getters; no envelope means
 * spf none and no spf resinfo.
 */
#include <unistd.h>

#include "session_fixture.h"

/* One verified message and what came out. */
struct test_out {
	enum dkmod_status st;
	bool spf_checked;
	struct dkmod_spf_answer spf;
	struct dkmod_dmarc dmarc;
	bool have_dmarc;
	char ar[2048];
};

/* test_run - verify msg with the envelope (ip NULL: none given) */
static void test_run(struct dkmod_ctx *ctx, const char *ip, const char *helo, const char *mail_from, const char *msg,
		     struct test_out *o)
{
	struct dkmod_session *s;
	memset(o, 0, sizeof *o);
	o->st = dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s);
	if (o->st != DKMOD_OK)
		return;
	if (ip || helo || mail_from)
		o->st = dkmod_session_envelope(s, ip, helo, mail_from);
	if (o->st == DKMOD_OK)
		o->st = feed(s, msg, 7);
	if (o->st == DKMOD_OK) {
		o->spf_checked = dkmod_session_spf(s, &o->spf);
		const struct dkmod_dmarc *d = dkmod_session_dmarc(s);
		if ((o->have_dmarc = d != NULL))
			o->dmarc = *d; /* the strings live in the session: only compared before it is freed */
		snprintf(o->ar, sizeof o->ar, "%s", dkmod_session_ar_value(s) ? dkmod_session_ar_value(s) : "");
		o->dmarc.reason = o->dmarc.author_domain = o->dmarc.dkim_domain = o->dmarc.spf_domain = "";
		o->dmarc.p = o->dmarc.sp = o->dmarc.org_domain = o->dmarc.record_domain = "";
		o->spf.identity = o->spf.domain = o->spf.explanation = o->spf.reason = "";
	}
	dkmod_session_free(s);
}

/* test_pass - DMARC passes by DKIM alone (no envelope: spf none, no spf resinfo) and by SPF alone */
static void test_pass(struct dkmod_ctx *ctx)
{
	struct str buf = STR_INIT;
	struct test_out o;
	test_run(ctx, NULL, NULL, NULL, auth_msg(ctx, "ann@example.com", true, &buf), &o);
	CHECK_INT("dkim aligned: session ok", o.st, DKMOD_OK);
	CHECK("dkim aligned: no envelope, SPF not checked", !o.spf_checked && o.spf.result == DKMOD_SPF_NONE);
	CHECK("dkim aligned: dmarc pass, dkim aligned", o.have_dmarc && o.dmarc.result == DKMOD_DMARC_PASS &&
								o.dmarc.dkim_aligned && !o.dmarc.spf_aligned);
	CHECK("dkim aligned: A-R has dmarc=pass with p=reject, no spf resinfo",
	      strstr(o.ar, ";\r\n\tdmarc=pass (p=reject sp=quarantine dis=none) header.from=example.com") &&
		      !strstr(o.ar, "spf="));
	test_run(ctx, "192.0.2.1", "mail.example.com", "bounce@bounce.example.com",
		 auth_msg(ctx, "ann@example.com", false, &buf), &o);
	CHECK("spf aligned: spf pass", o.spf_checked && o.spf.result == DKMOD_SPF_PASS && !o.spf.helo_scope);
	CHECK("spf aligned: dmarc pass by relaxed SPF alignment",
	      o.dmarc.result == DKMOD_DMARC_PASS && o.dmarc.spf_aligned && !o.dmarc.dkim_aligned);
	CHECK_STR("spf aligned: A-R", o.ar,
		  "mx.test.example;\r\n\tdkim=none;\r\n\tdomainkeys=none header.from=ann@example.com;\r\n"
		  "\tspf=pass smtp.mailfrom=bounce@bounce.example.com;\r\n"
		  "\tdmarc=pass (p=reject sp=quarantine dis=none) header.from=example.com");
	test_run(ctx, "192.0.2.1", NULL, "bounce@bounce.example.com", auth_msg(ctx, "ann@example.com", false, &buf), &o);
	CHECK("no HELO, a sender: SPF checked, dmarc pass", o.spf_checked && o.spf.result == DKMOD_SPF_PASS &&
								    o.dmarc.result == DKMOD_DMARC_PASS);
	test_run(ctx, "192.0.2.1", NULL, "", auth_msg(ctx, "ann@example.com", false, &buf), &o);
	CHECK("no HELO, the null sender: nothing to check", !o.spf_checked && !strstr(o.ar, "spf="));
	str_free(&buf);
}

/* test_fail - p=reject, t=y, no record, the null sender, a cut header */
static void test_fail(struct dkmod_ctx *ctx)
{
	struct str buf = STR_INIT;
	struct test_out o;
	test_run(ctx, "198.51.100.7", "evil.example.net", "bounce@example.com", auth_msg(ctx, "ann@example.com", false, &buf),
		 &o);
	CHECK("reject: spf fail", o.spf.result == DKMOD_SPF_FAIL);
	CHECK("reject: dmarc fail, the domain asks for reject",
	      o.dmarc.result == DKMOD_DMARC_FAIL && !strcmp(o.dmarc.disposition, "reject") &&
		      !strcmp(o.dmarc.policy, "reject"));
	CHECK("reject: A-R", strstr(o.ar, "\tspf=fail smtp.mailfrom=bounce@example.com;\r\n\tdmarc=fail (p=reject "
					  "sp=quarantine dis=reject)") != NULL);
	test_run(ctx, "198.51.100.7", "evil.example.net", "x@testing.example.com",
		 auth_msg(ctx, "ann@testing.example.com", false, &buf), &o);
	CHECK("t=y: dmarc fail, testing, quarantine asked instead of reject",
	      o.dmarc.result == DKMOD_DMARC_FAIL && o.dmarc.testing && !strcmp(o.dmarc.disposition, "quarantine"));
	test_run(ctx, "192.0.2.1", "mail.example.com", "x@norecord.test", auth_msg(ctx, "ann@norecord.test", false, &buf), &o);
	CHECK("no record: dmarc none", o.have_dmarc && o.dmarc.result == DKMOD_DMARC_NONE && !o.dmarc.have_record);
	CHECK("no record: A-R", strstr(o.ar, "\tdmarc=none") && strstr(o.ar, "header.from=norecord.test"));
	test_run(ctx, "192.0.2.1", "bounce.example.com", "", auth_msg(ctx, "ann@example.com", false, &buf), &o);
	CHECK("null sender: HELO checked, dmarc pass by its alignment",
	      o.spf.result == DKMOD_SPF_PASS && o.dmarc.result == DKMOD_DMARC_PASS && o.dmarc.spf_aligned);
	CHECK("null sender: smtp.mailfrom=postmaster@HELO in A-R",
	      strstr(o.ar, "\tspf=pass smtp.mailfrom=postmaster@bounce.example.com;") != NULL);
	str_free(&buf);
}

/* test_state - the envelope after the end of the headers, a bad address, a sign-only session */
static void test_state(struct dkmod_ctx *ctx)
{
	struct dkmod_session *s;
	if (dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s) != DKMOD_OK)
		return;
	CHECK_INT("envelope: a bad address", dkmod_session_envelope(s, "not-an-ip", "h.example", "a@b.example"), DKMOD_EINVAL);
	CHECK_INT("envelope: only once", dkmod_session_envelope(s, "192.0.2.1", "h.example", NULL), DKMOD_ESTATE);
	dkmod_session_free(s);
	if (dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s) != DKMOD_OK)
		return;
	dkmod_session_end_of_headers(s);
	CHECK_INT("envelope: not after the headers", dkmod_session_envelope(s, "192.0.2.1", "h.example", NULL), DKMOD_ESTATE);
	dkmod_session_free(s);
	struct dkmod_session *sign;
	if (dkmod_session_new(ctx, 0, &sign) != DKMOD_OK)
		return;
	CHECK_INT("envelope: a signing session takes it", dkmod_session_envelope(sign, "192.0.2.1", "h.example", ""),
		  DKMOD_OK);
	CHECK_INT("envelope: a signing session", feed(sign, auth_msg(ctx, "ann@example.com", false, NULL), 0), DKMOD_OK);
	struct dkmod_spf_answer a;
	CHECK("envelope: a signing session checks no SPF and no DMARC",
	      !dkmod_session_spf(sign, &a) && !dkmod_session_dmarc(sign));
	dkmod_session_free(sign);
}

/* test_options - check_spf and check_dmarc off */
static void test_options(void)
{
	struct dkmod_options opt;
	dkmod_options_init(&opt);
	CHECK("options: SPF and DMARC on by default", opt.check_spf && opt.check_dmarc);
	opt.authserv_id = "mx.test.example";
	opt.fixed_now = now;
	opt.resolver.zone_file = zone_path;
	opt.check_spf = opt.check_dmarc = opt.check_policies = false;
	struct dkmod_ctx *ctx;
	if (dkmod_ctx_new(&opt, &ctx) != DKMOD_OK)
		return;
	struct test_out o;
	struct str buf = STR_INIT;
	test_run(ctx, "192.0.2.1", "mail.example.com", "a@example.com", auth_msg(ctx, "ann@example.com", false, &buf), &o);
	CHECK("options: off: no SPF, no DMARC, neither in A-R",
	      !o.spf_checked && !o.have_dmarc &&
		      !strcmp(o.ar, "mx.test.example;\r\n\tdkim=none;\r\n\tdomainkeys=none header.from=ann@example.com"));
	str_free(&buf);
	dkmod_ctx_free(ctx);
}

/* test_cut - an SPF-aligned message whose header passes the limits: never a DMARC pass, also when
 * a second From field lies past them */
static void test_cut(void)
{
	struct dkmod_options opt;
	dkmod_options_init(&opt);
	opt.authserv_id = "mx.test.example";
	opt.fixed_now = now;
	opt.resolver.zone_file = zone_path;
	opt.max_header_bytes = 600;
	struct dkmod_ctx *ctx;
	if (dkmod_ctx_new(&opt, &ctx) != DKMOD_OK)
		return;
	struct test_out o;
	char big[3000];
	const char *msg = auth_msg(ctx, "ann@example.com", false, NULL);
	test_run(ctx, "192.0.2.1", "mail.example.com", "bounce@bounce.example.com", msg, &o);
	CHECK("cut header: within the limits, a pass", o.dmarc.result == DKMOD_DMARC_PASS);
	snprintf(big, sizeof big, "%.*sX-Pad: %0800d\r\n%s", (int)(strstr(msg, "\r\n\r\n") - msg + 2), msg, 0,
		 "From: eve@example.net\r\n\r\nHello.\r\n");
	test_run(ctx, "192.0.2.1", "mail.example.com", "bounce@bounce.example.com", big, &o);
	CHECK("cut header: aligned SPF pass, but a From past the limits: no dmarc pass",
	      o.spf.result == DKMOD_SPF_PASS && o.have_dmarc && o.dmarc.result == DKMOD_DMARC_PERMERROR);
	CHECK("cut header: the From past the limits counts: several From fields",
	      strstr(o.ar, "\tdmarc=permerror reason=\"several From fields\"") != NULL);
	snprintf(big, sizeof big, "%.*sX-Pad: %0800d\r\n\r\nHello.\r\n", (int)(strstr(msg, "\r\n\r\n") - msg + 2), msg, 0);
	test_run(ctx, "192.0.2.1", "mail.example.com", "bounce@bounce.example.com", big, &o);
	CHECK("cut header: aligned SPF pass, one From, a line dropped: dmarc permerror",
	      o.spf.result == DKMOD_SPF_PASS && o.dmarc.result == DKMOD_DMARC_PERMERROR);
	dkmod_ctx_free(ctx);
}

/* test_timeout - the From domain's DMARC lookups time out: temperror within the message's budget */
static void test_timeout(void)
{
	char stub[100];
	int fd = unit_silent_stub("timeout", "slow.example", stub, sizeof stub);
	if (fd < 0)
		return;
	const char *stubs[2] = {stub, NULL};
	struct dkmod_options opt;
	dkmod_options_init(&opt);
	opt.authserv_id = "mx.test.example";
	opt.fixed_now = now;
	opt.resolver.zone_file = zone_path;
	opt.resolver.stubs = stubs;
	opt.resolver.timeout_ms = 400;
	struct dkmod_ctx *ctx;
	if (dkmod_ctx_new(&opt, &ctx) == DKMOD_OK) {
		struct test_out o;
		long long t0 = dns_now_ms();
		test_run(ctx, "192.0.2.1", "mail.slow.example", "a@slow.example",
			 auth_msg(ctx, "ann@slow.example", false, NULL), &o);
		long long took = dns_now_ms() - t0;
		CHECK("timeout: spf temperror, dmarc temperror",
		      o.spf.result == DKMOD_SPF_TEMPERROR && o.dmarc.result == DKMOD_DMARC_TEMPERROR);
		CHECK("timeout: within the message's one budget (SPF and DMARC in parallel)", took >= 350 && took < 1500);
		CHECK("timeout: A-R", strstr(o.ar, "\tspf=temperror smtp.mailfrom=a@slow.example;\r\n\tdmarc=temperror") != NULL);
		dkmod_ctx_free(ctx);
	}
	close(fd);
}

int main(void)
{
	bool keys;
	if (!fixture_auth_start(&keys))
		return 1;
	str_appends(&zone, "_dmarc IN TXT \"v=DMARC1; p=reject; sp=quarantine\"\n"
			   "testing IN TXT \"v=spf1 -all\"\n"
			   "_dmarc.testing IN TXT \"v=DMARC1; p=reject; t=y\"\n"
			   "$ORIGIN com.\n@ IN SOA ns hostmaster 1 3600 600 86400 60\n"
			   "$ORIGIN test.\n@ IN SOA ns hostmaster 1 3600 600 86400 60\n"
			   "norecord IN TXT \"v=spf1 ip4:192.0.2.1 -all\"\n");
	fixture_zone();
	struct dkmod_ctx *ctx = new_ctx(1024, now);
	CHECK("context on the test zone", ctx != NULL);
	if (ctx)
		ctx->opt.check_policies = false; /* the A-R of DKIM, SPF and DMARC alone */
	if (ctx && keys) {
		test_pass(ctx);
		test_fail(ctx);
		test_state(ctx);
	}
	dkmod_ctx_free(ctx);
	test_options();
	test_cut();
	test_timeout();
	fixture_end();
	return unit_done();
}
