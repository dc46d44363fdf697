/*
 * test_ar.c - the Authentication-Results writer (core/method/ar.c) against
 * fields written out by hand from RFC 8601: a resinfo per verdict (pass, fail,
 * neutral, none, policy, temperror, permerror) on a line of its own, comments
 * for key size, DNSSEC, testing keys and l=, reason= and the properties
 * header.d, header.i, header.s, header.a, header.b (the shortest prefix that
 * tells signatures apart), header.from and header.sender, policy.dk and the
 * dkim-adsp resinfo, values quoted and escaped where a token cannot hold them,
 * and words folded under 78 columns (a tab counts 8).  Then random results:
 * every line within the width unless one word is longer, nothing but folds
 * between lines, and no control byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/session.h"
#include "unit.h"

/* test_dkim - a DKIM verdict on example.com, selector s1, rsa-sha256, nothing else */
static struct dkmod_sig_result test_dkim(enum dkmod_result result, const char *reason)
{
	return (struct dkmod_sig_result){.method = DKMOD_METHOD_DKIM, .result = result, .reason = reason,
					 .domain = "example.com", .selector = "s1", .identity = "",
					 .algorithm = "rsa-sha256", .b = "", .dk_status = "", .sender = "",
					 .body_length = -1};
}

/* test_dk - a DomainKeys verdict on example.com, selector dk1, sender joe@example.com */
static struct dkmod_sig_result test_dk(enum dkmod_result result)
{
	return (struct dkmod_sig_result){.method = DKMOD_METHOD_DOMAINKEYS, .result = result, .reason = "",
					 .domain = "example.com", .selector = "dk1", .identity = "",
					 .algorithm = "rsa-sha1", .b = "", .dk_status = "", .sender = "joe@example.com",
					 .body_length = -1};
}

/* One field to write: results, the sender policies if policies, and the value expected. */
struct test_case {
	const char *name;
	const char *authserv_id;
	struct dkmod_sig_result r[3];
	size_t n;
	bool policies;
	const char *dk_verdict, *adsp_result, *adsp_author;
	const char *want;
};

/* test_one - write the field of c and compare it with the one expected */
static void test_one(const struct test_case *c)
{
	struct dkmod_ctx ctx;
	struct dkmod_session s;
	memset(&ctx, 0, sizeof ctx);
	memset(&s, 0, sizeof s);
	arena_init(&s.arena);
	s.ctx = &ctx;
	ctx.opt.authserv_id = c->authserv_id ? c->authserv_id : "mx.example.net";
	s.results = (struct dkmod_sig_result *)c->r;
	s.nresults = c->n;
	s.policy.started = c->policies;
	s.policy.dk.verdict = c->dk_verdict;
	s.policy.adsp.result = c->adsp_result;
	s.policy.adsp.author = c->adsp_author;
	const char *got = ar_build(&s);
	CHECK_STR(c->name, got ? got : "(null)", c->want);
	char name[120];
	snprintf(name, sizeof name, "%s: the whole field beside the value", c->name);
	CHECK(name, got && s.ar_field && strncmp(s.ar_field, "Authentication-Results: ", 24) == 0 &&
			    got == s.ar_field + 24);
	arena_free(&s.arena);
}

/* test_verdicts - one resinfo of each verdict, with the comments and properties it carries */
static void test_verdicts(void)
{
	struct test_case c[] = {
		{.name = "pass: key size, d, i, s, a, b (8 characters of b= for one signature)",
		 .r = {test_dkim(DKMOD_RESULT_PASS, "")}, .n = 1,
		 .want = "mx.example.net;\r\n\tdkim=pass (2048-bit key) header.d=example.com header.i=@example.com\r\n"
			 "\theader.s=s1 header.a=rsa-sha256 header.b=dGVzdGJz"},
		{.name = "fail: key size and DNSSEC in one comment, a quoted reason, no empty i= or b=",
		 .r = {test_dkim(DKMOD_RESULT_FAIL, "signature did not verify")}, .n = 1,
		 .want = "mx.example.net;\r\n\tdkim=fail (1024-bit key; secure) reason=\"signature did not verify\"\r\n"
			 "\theader.d=example.org header.s=sel header.a=rsa-sha256"},
		{.name = "neutral: a quoted reason, ed25519-sha256",
		 .r = {test_dkim(DKMOD_RESULT_NEUTRAL, "no key")}, .n = 1,
		 .want = "mx.example.net;\r\n\tdkim=neutral reason=\"no key\" header.d=example.com header.s=s1\r\n"
			 "\theader.a=ed25519-sha256"},
		{.name = "none: no property of an empty value", .r = {test_dkim(DKMOD_RESULT_NONE, "")}, .n = 1,
		 .want = "mx.example.net;\r\n\tdkim=none"},
		{.name = "policy: a small testing key",
		 .r = {test_dkim(DKMOD_RESULT_POLICY, "key too small")}, .n = 1,
		 .want = "mx.example.net;\r\n\tdkim=policy (512-bit key) (testing key) reason=\"key too small\"\r\n"
			 "\theader.d=example.com header.s=s1 header.a=rsa-sha256"},
		{.name = "temperror", .r = {test_dkim(DKMOD_RESULT_TEMPERROR, "DNS timeout")}, .n = 1,
		 .want = "mx.example.net;\r\n\tdkim=temperror reason=\"DNS timeout\" header.d=example.com header.s=s1\r\n"
			 "\theader.a=rsa-sha256"},
		{.name = "permerror: a reason that is a token goes unquoted; no d= or s= when unparsable",
		 .r = {test_dkim(DKMOD_RESULT_PERMERROR, "syntax")}, .n = 1,
		 .want = "mx.example.net;\r\n\tdkim=permerror reason=syntax header.a=x-unknown"},
		{.name = "partial body and a DNSSEC comment without key size",
		 .r = {test_dkim(DKMOD_RESULT_PASS, "")}, .n = 1,
		 .want = "mx.example.net;\r\n\tdkim=pass (insecure) (l=100 of 250 body bytes signed)\r\n"
			 "\theader.d=example.com header.s=s1 header.a=rsa-sha256"},
		{.name = "quoting: control bytes dropped, quotes in a value escaped",
		 .r = {test_dkim(DKMOD_RESULT_FAIL, "a\r\nb")}, .n = 1,
		 .want = "mx.example.net;\r\n\tdkim=fail reason=\"ab\" header.d=example.com\r\n"
			 "\theader.i=\"\\\"j s\\\"@example.com\" header.s=s1 header.a=rsa-sha256"},
		{.name = "an authserv-id that is no token is quoted; no results, no resinfo",
		 .authserv_id = "mx example", .n = 0, .want = "\"mx example\""},
	};
	c[0].r[0].key_bits = 2048;
	c[0].r[0].identity = "@example.com";
	c[0].r[0].b = "dGVzdGJzaWduYXR1cmU=";
	c[1].r[0].key_bits = 1024;
	c[1].r[0].dnssec = DKMOD_DNSSEC_SECURE;
	c[1].r[0].domain = "example.org";
	c[1].r[0].selector = "sel";
	c[2].r[0].algorithm = "ed25519-sha256";
	c[3].r[0].domain = c[3].r[0].selector = c[3].r[0].algorithm = "";
	c[4].r[0].key_bits = 512;
	c[4].r[0].testing = true;
	c[6].r[0].domain = c[6].r[0].selector = "";
	c[6].r[0].algorithm = "x-unknown";
	c[7].r[0].dnssec = DKMOD_DNSSEC_INSECURE;
	c[7].r[0].partial_body = true;
	c[7].r[0].body_length = 100;
	c[7].r[0].body_bytes = 250;
	c[8].r[0].identity = "\"j s\"@example.com";
	for (size_t i = 0; i < sizeof c / sizeof *c; i++)
		test_one(&c[i]);
}

/* test_methods - DomainKeys with its policy and ADSP; several signatures: b= prefixes long
 * enough to tell them apart, policy.dk on the first DomainKeys resinfo only, header.sender */
static void test_methods(void)
{
	struct test_case c[] = {
		{.name = "DomainKeys with policy.dk, header.from, and the dkim-adsp resinfo",
		 .r = {test_dk(DKMOD_RESULT_PASS)}, .n = 1, .policies = true, .dk_verdict = "neutral",
		 .adsp_result = "none", .adsp_author = "joe@example.com",
		 .want = "mx.example.net;\r\n\tdomainkeys=pass (1024-bit key) policy.dk=neutral header.d=example.com\r\n"
			 "\theader.from=joe@example.com header.s=dk1 header.b=AAAAbbbb;\r\n"
			 "\tdkim-adsp=none header.from=joe@example.com"},
		{.name = "two DKIM signatures sharing 10 characters of b=, a DomainKeys one from Sender:",
		 .r = {test_dkim(DKMOD_RESULT_PASS, ""), test_dkim(DKMOD_RESULT_PASS, ""), test_dk(DKMOD_RESULT_NEUTRAL)},
		 .n = 3,
		 .want = "mx.example.net;\r\n\tdkim=pass header.d=a.example header.s=s header.a=rsa-sha256\r\n"
			 "\theader.b=ABCDEFGHIJ1;\r\n"
			 "\tdkim=pass header.d=a.example header.s=s header.a=rsa-sha256\r\n"
			 "\theader.b=ABCDEFGHIJ2;\r\n"
			 "\tdomainkeys=neutral header.d=b.example header.sender=list@b.example\r\n"
			 "\theader.s=k"},
		{.name = "policy.dk only on the first DomainKeys resinfo; ADSP without an author",
		 .r = {test_dk(DKMOD_RESULT_FAIL), test_dk(DKMOD_RESULT_PASS)}, .n = 2, .policies = true,
		 .dk_verdict = "reject", .adsp_result = "none", .adsp_author = "",
		 .want = "mx.example.net;\r\n\tdomainkeys=fail policy.dk=reject header.d=example.com\r\n"
			 "\theader.from=joe@example.com header.s=dk1;\r\n"
			 "\tdomainkeys=pass header.d=example.com header.from=joe@example.com\r\n"
			 "\theader.s=dk1;\r\n"
			 "\tdkim-adsp=none"},
	};
	c[0].r[0].key_bits = 1024;
	c[0].r[0].b = "AAAAbbbbCCCC";
	for (int i = 0; i < 2; i++) {
		c[1].r[i].domain = "a.example";
		c[1].r[i].selector = "s";
		c[1].r[i].b = i ? "ABCDEFGHIJ2xyz" : "ABCDEFGHIJ1xyz";
	}
	c[1].r[2].domain = "b.example";
	c[1].r[2].selector = "k";
	c[1].r[2].sender = "list@b.example";
	c[1].r[2].sender_from_sender = true;
	for (size_t i = 0; i < sizeof c / sizeof *c; i++)
		test_one(&c[i]);
}

/* test_width - a line up to column 78 (a tab counts 8), a word that would reach 79 on the next
 * line, and a word longer than a line on a line of its own */
static void test_width(void)
{
	for (size_t len = 51; len <= 52; len++) {
		char d[64], want[200], name[80];
		memset(d, 'd', len - 8);
		strcpy(d + len - 8, ".example");
		if (len == 51)
			snprintf(want, sizeof want, "mx.example.net;\r\n\tdkim=pass header.d=%s\r\n"
						    "\theader.s=s1 header.a=rsa-sha256", d);
		else
			snprintf(want, sizeof want, "mx.example.net;\r\n\tdkim=pass\r\n\theader.d=%s\r\n"
						    "\theader.s=s1 header.a=rsa-sha256", d);
		snprintf(name, sizeof name, "a word up to column %zu", 27 + len);
		struct test_case c = {.name = name, .r = {test_dkim(DKMOD_RESULT_PASS, "")}, .n = 1, .want = want};
		c.r[0].domain = d;
		test_one(&c);
	}

	char domain[100], want[300];
	memset(domain, 'a', 80);
	strcpy(domain + 80, ".example");
	snprintf(want, sizeof want,
		 "mx.example.net;\r\n\tdkim=pass\r\n\theader.d=%s\r\n\theader.s=s1 header.a=rsa-sha256", domain);
	struct test_case c = {.name = "a word longer than the width on a line of its own",
			      .r = {test_dkim(DKMOD_RESULT_PASS, "")}, .n = 1, .want = want};
	c.r[0].domain = domain;
	test_one(&c);
}

static unsigned test_seed = 12345;

/* test_rand - a small deterministic generator */
static unsigned test_rand(unsigned n)
{
	test_seed = test_seed * 1103515245u + 12345u;
	return (test_seed >> 8) % n;
}

/* test_text - a random value of up to max bytes from one of several alphabets */
static const char *test_text(struct arena *a, size_t max)
{
	static const char *const alphabets[] = {
		"abcdefghijklmnopqrstuvwxyz0123456789.-",
		"abcdefghijklmnopqrstuvwxyz@/=+",
		"abc def\"\\();:,<>[]?",
		"ab\x01\x1f\x7f\r\n\t\x80\xc3\xa9 z",
	};
	const char *alpha = alphabets[test_rand(4)];
	size_t n = test_rand((unsigned)max + 1), k = strlen(alpha);
	char *t = arena_alloc(a, n + 1);
	for (size_t i = 0; i < n; i++)
		t[i] = alpha[test_rand((unsigned)k)];
	t[n] = '\0';
	return t;
}

/* test_shape - whether value has lines of at most 78 columns (a tab counts 8; the ';' that ends
 * a resinfo may stand in column 79) unless a line is one word (blanks in quoted strings and
 * comments do not part words), only CRLF TAB between lines, and no other control byte */
static bool test_shape(const char *v)
{
	size_t col = 0, words = 1;
	bool quoted = false;
	int depth = 0;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '\r') {
			size_t width = p > (const unsigned char *)v && p[-1] == ';' ? 79 : 78;
			if (p[1] != '\n' || p[2] != '\t' || quoted || depth || (col > width && words > 1))
				return false;
			p += 2;
			col = 8;
			words = 1;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f)
			return false;
		col++;
		if (quoted && *p == '\\' && p[1]) {
			p++;
			col++;
		} else if (*p == '"') {
			quoted = !quoted;
		} else if (!quoted && (*p == '(' || *p == ')')) {
			depth += *p == '(' ? 1 : -1;
		} else if (!quoted && !depth && *p == ' ') {
			words++;
		}
	}
	return !quoted && !depth && (col <= 78 || words == 1);
}

/* test_random - random results of every shape keep the field's shape */
static void test_random(void)
{
	struct dkmod_ctx ctx;
	bool ok = true;
	memset(&ctx, 0, sizeof ctx);
	for (size_t round = 0; round < 3000 && ok; round++) {
		struct dkmod_session s;
		struct dkmod_sig_result results[5];
		memset(&s, 0, sizeof s);
		arena_init(&s.arena);
		s.ctx = &ctx;
		ctx.opt.authserv_id = round % 2 ? "mx.example.net" : "a-rather-long-authserv-id.mail.example.org";
		s.nresults = test_rand(6);
		for (size_t i = 0; i < s.nresults; i++) {
			struct dkmod_sig_result *r = &results[i];
			*r = test_rand(3) ? test_dkim((enum dkmod_result)test_rand(7), "") : test_dk(DKMOD_RESULT_FAIL);
			r->reason = test_rand(3) ? "" : test_text(&s.arena, 60);
			r->domain = test_text(&s.arena, 90);
			r->identity = test_rand(2) ? "" : test_text(&s.arena, 120);
			r->sender = test_text(&s.arena, 70);
			r->b = test_text(&s.arena, 40);
			r->key_bits = test_rand(2) ? 0 : 2048;
			r->dnssec = (enum dkmod_dnssec)test_rand(4);
		}
		s.results = results;
		s.policy.started = test_rand(2);
		s.policy.dk.verdict = test_text(&s.arena, 30);
		s.policy.adsp.result = "none";
		s.policy.adsp.author = test_text(&s.arena, 100);
		const char *got = ar_build(&s);
		ok = got && test_shape(got);
		if (!ok)
			printf("# round %zu: %s\n", round, got ? got : "(null)");
		arena_free(&s.arena);
	}
	CHECK("random results: lines within 78 columns, folds only, no control byte", ok);
}

/* test_auth_one - a DKIM pass with SPF and DMARC as given; the field compared with want */
static void test_auth_one(const char *name, const struct dkmod_spf_answer *spf, const struct dkmod_dmarc *dmarc,
			  const char *want)
{
	struct dkmod_ctx ctx;
	struct dkmod_session s;
	struct dkmod_sig_result r = test_dkim(DKMOD_RESULT_PASS, "");
	memset(&ctx, 0, sizeof ctx);
	memset(&s, 0, sizeof s);
	arena_init(&s.arena);
	s.ctx = &ctx;
	ctx.opt.authserv_id = "mx.example.net";
	s.results = &r;
	s.nresults = 1;
	s.phase = SESSION_DONE;
	s.auth.spf_checked = spf != NULL;
	if (spf)
		s.auth.spf_answer = *spf;
	struct dmarc_verdict v;
	if (dmarc) {
		s.auth.verdict = &v;
		s.auth.dmarc_answer = *dmarc;
	}
	const char *got = ar_build(&s);
	CHECK_STR(name, got ? got : "(null)", want);
	arena_free(&s.arena);
}

/* test_auth - the spf resinfo (smtp.mailfrom with the sender checked, smtp.helo for the HELO identity)
 * and the dmarc one (policies and disposition in a comment, reason, header.from) */
static void test_auth(void)
{
	static const char dkim[] = "mx.example.net;\r\n\tdkim=pass header.d=example.com header.s=s1 header.a=rsa-sha256";
	char want[600];
	struct dkmod_spf_answer pass = {.result = DKMOD_SPF_PASS, .identity = "bounce@example.com"},
			       fail = {.result = DKMOD_SPF_SOFTFAIL, .identity = "postmaster@mail.example.com"},
			       helo = {.result = DKMOD_SPF_NONE, .helo_scope = true, .identity = "mail.example.com"};
	struct dkmod_dmarc d = {.result = DKMOD_DMARC_PASS, .reason = "", .author_domain = "example.com", .have_record = true,
				.p = "reject", .sp = "quarantine", .disposition = "none"};
	snprintf(want, sizeof want, "%s;\r\n\tspf=pass smtp.mailfrom=bounce@example.com;\r\n"
		 "\tdmarc=pass (p=reject sp=quarantine dis=none) header.from=example.com", dkim);
	test_auth_one("auth: spf=pass smtp.mailfrom, dmarc=pass with its policies", &pass, &d, want);
	d = (struct dkmod_dmarc){.result = DKMOD_DMARC_FAIL, .reason = "not aligned", .author_domain = "example.org",
				 .have_record = true, .p = "reject", .sp = "reject", .disposition = "quarantine"};
	snprintf(want, sizeof want, "%s;\r\n\tspf=softfail smtp.mailfrom=postmaster@mail.example.com;\r\n"
		 "\tdmarc=fail (p=reject sp=reject dis=quarantine) reason=\"not aligned\"\r\n\theader.from=example.org", dkim);
	test_auth_one("auth: the null sender is postmaster@HELO; dmarc=fail with its reason", &fail, &d, want);
	d = (struct dkmod_dmarc){.result = DKMOD_DMARC_NONE, .reason = "no policy record", .author_domain = "example.org",
				 .p = "", .sp = "", .disposition = "none"};
	snprintf(want, sizeof want, "%s;\r\n\tspf=none smtp.helo=mail.example.com;\r\n"
		 "\tdmarc=none reason=\"no policy record\" header.from=example.org", dkim);
	test_auth_one("auth: the HELO identity; dmarc=none without a record has no policy comment", &helo, &d, want);
	test_auth_one("auth: no envelope, no DMARC: the field of DKIM alone", NULL, NULL,
		      "mx.example.net;\r\n\tdkim=pass header.d=example.com header.s=s1 header.a=rsa-sha256");
}

int main(void)
{
	test_auth();
	test_verdicts();
	test_methods();
	test_width();
	test_random();
	return unit_done();
}
