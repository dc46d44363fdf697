/*
 * test_dmarc.c - unit tests of the DMARC evaluation (core/method/dmarc*.c)
 * per RFC 9989 section, through the real resolver: libunbound serving a zone
 * file as local data (names outside it are refused at once, so a CNAME to
 * one is a SERVFAIL at exactly that step) and a stub zone to a silent UDP
 * socket for a time-out.  Nothing leaves 127.0.0.1.
 *   Author Domain (5.3.1): From fields, mailboxes and their domains
 *   DNS tree walk (4.10): levels, the 8-query limit, discarded records
 *   Policy discovery (4.10.1): own record, organizational domain's, PSD's
 *   Organizational domain (4.10.2): psd=y, psd=n, the record with the fewest labels
 *   Alignment (3.2.10, 4.10.2): strict and relaxed, DKIM and SPF
 *   Policy (4.7): p, sp, np with the existence check (3.2.13), t=y
 *   DNS errors at each step: temperror
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "method/dmarc.h"
#include "msg/address.h"
#include "unit.h"

static const char test_zone[] =
	"$ORIGIN test.\n"
	"$TTL 300\n"
	"@ SOA ns hostmaster 1 3600 600 86400 60\n"
	"_dmarc.example TXT \"v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:d@example.test\"\n"
	"www.example A 192.0.2.1\n"
	"mxonly.example MX 10 mail.example.test.\n"
	"_dmarc.multi.example TXT \"v=DMARC1; p=none\"\n"
	"_dmarc.multi.example TXT \"v=DMARC1; p=quarantine\"\n"
	"multi.example A 192.0.2.2\n"
	"_dmarc.mixed.example TXT \"v=spf1 -all\"\n"
	"_dmarc.mixed.example TXT \"v=DMARC1; p=quarantine; adkim=s\"\n"
	"_dmarc.bad.example TXT \"v=DMARC1; p=reject; oops\"\n"
	"_dmarc.badp.example TXT \"v=DMARC1; p=block; rua=nowhere\"\n"
	"_dmarc.d.e.f.g.h.skip TXT \"v=DMARC1; p=reject; psd=y\"\n"
	"_dmarc.c.d.e.f.g.h.skip TXT \"v=DMARC1; p=quarantine; np=reject\"\n"
	"_dmarc.err1.example CNAME x.refused.org.\n"
	"exerr.example CNAME x.refused.org.\n"
	"_dmarc.brokenid.example CNAME x.refused.org.\n"
	"_dmarc.own.example TXT \"v=DMARC1; p=none; psd=n\"\n"
	"_dmarc.plain TXT \"v=DMARC1; p=reject\"\n"
	"_dmarc.sponly TXT \"v=DMARC1; p=reject; sp=none\"\n"
	"_dmarc.strict TXT \"v=DMARC1; p=reject; adkim=s; aspf=s\"\n"
	"_dmarc.testing TXT \"v=DMARC1; p=reject; t=y\"\n"
	"_dmarc.testq TXT \"v=DMARC1; p=quarantine; t=y\"\n"
	"_dmarc.deep TXT \"v=DMARC1; p=quarantine\"\n"
	"_dmarc.b.c.d.e.f.g.h.deep TXT \"v=DMARC1; p=reject\"\n"
	"_dmarc.rec.errtop TXT \"v=DMARC1; p=reject\"\n"
	"_dmarc.errtop CNAME x.refused.org.\n"
	"_dmarc.errmid CNAME x.refused.org.\n"
	"_dmarc.org3 TXT \"v=DMARC1; p=none\"\n"
	"_dmarc.dept.org3 TXT \"v=DMARC1; p=reject; psd=n\"\n"
	"_dmarc.dept2.org3 TXT \"v=DMARC1; p=reject\"\n"
	"$ORIGIN tld.\n"
	"@ SOA ns hostmaster 1 3600 600 86400 60\n"
	"_dmarc TXT \"v=DMARC1; p=reject; psd=y\"\n"
	"_dmarc.org2 TXT \"v=DMARC1; p=quarantine\"\n"
	"$ORIGIN nopsd.\n"
	"@ SOA ns hostmaster 1 3600 600 86400 60\n"
	"_dmarc TXT \"v=DMARC1; p=reject\"\n";

static struct dns *test_dns;

/* One evaluation's inputs: DKIM domains as "d" (pass), "!d" (fail), "?d" (temperror). */
struct test_in {
	const char *from[3];
	const char *dkim[4];
	enum dkmod_spf_result spf;
	const char *spf_domain;
	bool expect;             /* name the identifiers early (dmarc_expect) */
	bool verdict_early;      /* ask for the verdict without waiting for the answers */
	bool first_given;        /* the first From field's first mailbox parsed already, as sessions do */
};

/* test_eval - run one evaluation through the resolver */
static void test_eval(const struct test_in *in, struct dmarc_verdict *v)
{
	struct arena a;
	struct dmarc_field from[3] = {{0}};
	struct dmarc_dkim dkim[4];
	size_t nfrom = 0, ndkim = 0;
	arena_init(&a);
	struct address first;
	for (; nfrom < 3 && in->from[nfrom]; nfrom++) {
		from[nfrom].value = in->from[nfrom];
		from[nfrom].len = strlen(in->from[nfrom]);
	}
	if (nfrom && in->first_given && address_first_end(from[0].value, from[0].len, &first, &from[0].first_end))
		from[0].first = &first;
	for (; ndkim < 4 && in->dkim[ndkim]; ndkim++) {
		const char *d = in->dkim[ndkim];
		dkim[ndkim].pass = d[0] != '!' && d[0] != '?';
		dkim[ndkim].temperror = d[0] == '?';
		dkim[ndkim].domain = d + !dkim[ndkim].pass;
	}
	struct dmarc *m = dmarc_begin(&a, test_dns, from, nfrom);
	for (size_t i = 0; in->expect && i < ndkim; i++)
		dmarc_expect(m, dkim[i].domain);
	if (!in->verdict_early)
		dns_wait(test_dns, dns_now_ms() + 3000);
	struct dmarc_spf spf = {in->spf, in->spf_domain};
	dmarc_outcomes(m, dkim, ndkim, &spf);
	if (in->verdict_early) {
		dmarc_verdict(m, v);
		dns_wait(test_dns, dns_now_ms() + 3000);
	} else {
		dns_wait(test_dns, dns_now_ms() + 3000);
		dmarc_verdict(m, v);
	}
	arena_free(&a);
}

/* test_result - the result's name, "(pass)" style checks made short */
static const char *test_result(const struct dmarc_verdict *v)
{
	return dkmod_dmarc_result_name(v->result);
}

/* test_first_given - the Author Domain is the same whether the caller gives the first mailbox
 * parsed or not (a session gives its author's) */
static void test_first_given(void)
{
	static const char *const froms[] = {
		"Ann <ann@example.test>", "a@example.test, b@Example.Test", "a@example.test, b@evil.test",
		"\"x, y\" <a@example.test>, Eve <eve@evil.test>", "a@example.test, b@[192.0.2.1]",
		"\"a@evil.test, b\" (c@evil.test) <ann@example.test>", "g: a@example.test, b@evil.test;",
		"<bad>, a@example.test", "a@example.test; b@evil.test", "x, a@example.test, a@EXAMPLE.test",
		"Ann <ann@example.test> (c), <b@evil.test>", "", "nobody"};
	for (size_t i = 0; i < sizeof froms / sizeof *froms; i++) {
		struct dmarc_verdict v, w;
		char name[160];
		struct test_in in = {.from = {froms[i]}, .dkim = {"example.test"}};
		test_eval(&in, &v);
		in.first_given = true;
		test_eval(&in, &w);
		snprintf(name, sizeof name, "first given: %s: same Author Domain", froms[i]);
		CHECK(name, v.result == w.result && v.author == w.author && v.mailboxes == w.mailboxes &&
				    !strcmp(v.author_domain, w.author_domain));
	}
}

/* test_author - RFC 9989 5.3.1: one From field, one Author Domain; anything else never passes */
static void test_author(void)
{
	struct dmarc_verdict v;
	struct test_in in = {.from = {"Ann <ann@example.test>"}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK_STR("author: one mailbox: pass", test_result(&v), "pass");
	CHECK_STR("author: domain", v.author_domain, "example.test");

	in = (struct test_in){.from = {NULL}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK_STR("author: no From: permerror", test_result(&v), "permerror");
	CHECK_INT("author: no From: reason", v.author, DMARC_AUTHOR_NO_FROM);
	CHECK_INT("author: no From: no lookup", v.queries, 0);

	in = (struct test_in){.from = {"a@example.test", "b@example.test"}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK_STR("author: two From fields: permerror", test_result(&v), "permerror");
	CHECK_INT("author: two From fields: reason", v.author, DMARC_AUTHOR_SEVERAL_FROM);

	in = (struct test_in){.from = {"a@example.test, b@Example.Test"}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK_STR("author: two mailboxes, one domain: one Author Domain", test_result(&v), "pass");
	CHECK_INT("author: two mailboxes: counted", v.mailboxes, 2);

	in = (struct test_in){.from = {"a@example.test, b@evil.test"}, .dkim = {"example.test", "evil.test"}};
	test_eval(&in, &v);
	CHECK_STR("author: two domains: permerror", test_result(&v), "permerror");
	CHECK_INT("author: two domains: reason", v.author, DMARC_AUTHOR_SEVERAL_DOMAINS);
	CHECK_INT("author: two domains: no lookup", v.queries, 0);

	in = (struct test_in){.from = {"\"x, y\" <a@example.test>, Eve <eve@evil.test>"}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK_INT("author: angle addresses in a list", v.author, DMARC_AUTHOR_SEVERAL_DOMAINS);

	in = (struct test_in){.from = {"a@example.test, b@[192.0.2.1]"}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK_INT("author: a domain literal beside a domain", v.author, DMARC_AUTHOR_BAD_ADDRESS);

	in = (struct test_in){.from = {"\"a@evil.test, b\" (c@evil.test) <ann@example.test>"}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK_STR("author: commas in quotes and comments are not lists", test_result(&v), "pass");

	in = (struct test_in){.from = {"Group: ann@example.test;"}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK_STR("author: a group of one", test_result(&v), "pass");

	in = (struct test_in){.from = {"undisclosed-recipients:;"}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK_INT("author: empty group", v.author, DMARC_AUTHOR_BAD_ADDRESS);

	in = (struct test_in){.from = {"ann@[192.0.2.1]"}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK_INT("author: domain literal", v.author, DMARC_AUTHOR_BAD_ADDRESS);
	CHECK_STR("author: domain literal: permerror", test_result(&v), "permerror");

	in = (struct test_in){.from = {"ann@EXAMPLE.Test"}, .dkim = {"example.TEST"}};
	test_eval(&in, &v);
	CHECK_STR("author: case-insensitive domains", test_result(&v), "pass");

	struct address a;
	size_t pos = 0;
	const char *list = "<a@x.test>junk, bad, c@y.test";
	CHECK("address_next: first", address_next(list, strlen(list), &pos, &a) && !strcmp(a.full, "a@x.test"));
	CHECK("address_next: skips what does not parse",
	      address_next(list, strlen(list), &pos, &a) && !strcmp(a.full, "c@y.test"));
	CHECK("address_next: end", !address_next(list, strlen(list), &pos, &a));
}

/* test_walk - RFC 9989 4.10: the walk's levels, its limit, records discarded */
static void test_walk(void)
{
	struct dmarc_verdict v;
	struct test_in in = {.from = {"ann@example.test"}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK_STR("walk: own record: pass", test_result(&v), "pass");
	CHECK_STR("walk: own record: record domain", v.record_domain, "example.test");
	CHECK_INT("walk: own record: p", v.policy_tag, DMARC_TAG_P);
	CHECK_INT("walk: own record: one round", v.rounds, 1);
	CHECK_INT("walk: own record: both levels asked", v.queries, 2);

	in = (struct test_in){.from = {"ann@www.example.test"}};
	test_eval(&in, &v);
	CHECK_STR("walk: parent's record: fail", test_result(&v), "fail");
	CHECK_STR("walk: parent's record: record domain", v.record_domain, "example.test");
	CHECK_STR("walk: parent's record: organizational domain", v.org_domain, "example.test");

	in = (struct test_in){.from = {"ann@nothing.norecord.test"}};
	test_eval(&in, &v);
	CHECK_STR("walk: no record anywhere: none", test_result(&v), "none");
	CHECK_INT("walk: no record anywhere: every level asked once", v.queries, 3);

	/* 10 labels: the name, then 7 labels down to 1; the 9-label level is never asked */
	in = (struct test_in){.from = {"ann@a.b.c.d.e.f.g.h.deep.test"}};
	test_eval(&in, &v);
	CHECK_INT("walk: long name: 8 queries", v.queries, 8);
	CHECK_STR("walk: long name: skipped level unused", v.record_domain, "deep.test");
	CHECK_INT("walk: long name: deep.test's policy", v.policy, DMARCREC_POLICY_QUARANTINE);
	in = (struct test_in){.from = {"ann@b.c.d.e.f.g.h.deep.test"}};
	test_eval(&in, &v);
	CHECK_STR("walk: the same record, asked as the name itself", v.record_domain, "b.c.d.e.f.g.h.deep.test");

	char from[300], label[61];
	memset(label, 'l', 60);
	label[60] = '\0';
	/* a 248-byte Author Domain: its _dmarc name (255 bytes) cannot exist */
	snprintf(from, sizeof from, "ann@%s.%s.%s.%.52s.example.test", label, label, label, label);
	in = (struct test_in){.from = {from}};
	test_eval(&in, &v);
	CHECK_INT("walk: 255-byte _dmarc name: not asked, the walk goes on", v.queries, 5 + 1);
	CHECK_STR("walk: 255-byte _dmarc name: parent's record", v.record_domain, "example.test");
	CHECK_STR("walk: 255-byte _dmarc name: fail", test_result(&v), "fail");
	snprintf(from, sizeof from, "ann@%s.%s.%s.%s.long.example.test", label, label, label, label);
	in = (struct test_in){.from = {from}};
	test_eval(&in, &v);
	CHECK_INT("walk: Author Domain longer than DNS allows", v.author, DMARC_AUTHOR_BAD_ADDRESS);

	in = (struct test_in){.from = {"ann@multi.example.test"}};
	test_eval(&in, &v);
	CHECK_STR("walk: two DMARC records: both discarded", v.record_domain, "example.test");
	CHECK_INT("walk: two DMARC records: parent's sp", v.policy_tag, DMARC_TAG_SP);

	in = (struct test_in){.from = {"ann@mixed.example.test"}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK_STR("walk: SPF record beside: DMARC one used", v.record_domain, "mixed.example.test");
	CHECK("walk: SPF record beside: its adkim=s", v.have_record && v.record.adkim == DMARCREC_ALIGN_STRICT);
	CHECK_STR("walk: SPF record beside: strict fails the parent's d=", test_result(&v), "fail");

	in = (struct test_in){.from = {"ann@bad.example.test"}};
	test_eval(&in, &v);
	CHECK_STR("walk: syntax error in a record: discarded, the record applies", v.record_domain, "bad.example.test");
	CHECK_STR("walk: syntax error in a record: its p=reject", dmarcrec_policy_name(v.policy), "reject");
	in = (struct test_in){.from = {"ann@badp.example.test"}, .dkim = {"badp.example.test"}};
	test_eval(&in, &v);
	CHECK_STR("walk: invalid p and no valid rua: permerror", test_result(&v), "permerror");
	CHECK_STR("walk: invalid p: reason", v.reason, "invalid policy and no valid rua");
}

/* test_reused - a verdict written over an earlier one (dmarc_verdict clears only what it does not set):
 * the record and its kept URIs, and nothing of the earlier verdict after one without a record */
static void test_reused(void)
{
	struct dmarc_verdict v;
	memset(&v, 0xA5, sizeof v);
	struct test_in in = {.from = {"ann@example.test"}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK_STR("reused: with a record: pass", test_result(&v), "pass");
	CHECK("reused: with a record: its rua", v.have_record && v.record.nrua == 1 && v.record.nruf == 0 &&
							!strcmp(v.record.rua[0], "mailto:d@example.test"));
	CHECK("reused: with a record: its tags", v.record.p == DMARCREC_POLICY_REJECT && v.record.has_np &&
							 v.record.rua_dropped == 0 && v.record.ignored == 0);
	CHECK_STR("reused: with a record: aligned d=", v.dkim_domain, "example.test");
	CHECK_STR("reused: with a record: no SPF domain", v.spf_domain, "");
	in = (struct test_in){.from = {NULL}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK("reused: no From: nothing of the record",
	      !v.have_record && v.record.nrua == 0 && v.record.p == 0 && !v.record.has_np && v.record.fo == 0);
	CHECK("reused: no From: no domains", !v.author_domain[0] && !v.record_domain[0] && !v.org_domain[0] &&
						      !v.dkim_domain[0] && !v.spf_domain[0]);
	CHECK("reused: no From: no alignment", !v.dkim_aligned && !v.spf_aligned && v.policy == 0 &&
						       v.policy_tag == DMARC_TAG_NONE && !v.testing && v.mailboxes == 0);
}

/* test_org - RFC 9989 4.10.2: psd=y, psd=n, the record with the fewest labels */
static void test_org(void)
{
	struct dmarc_verdict v;
	struct test_in in = {.from = {"ann@mail.org1.tld"}, .dkim = {"org1.tld"}};
	test_eval(&in, &v);
	CHECK_STR("psd=y: PSD policy found", v.record_domain, "tld");
	CHECK_STR("psd=y: organizational domain one below", v.org_domain, "org1.tld");
	CHECK_STR("psd=y: d= of the organizational domain aligns", test_result(&v), "pass");
	in = (struct test_in){.from = {"ann@mail.org1.tld"}, .dkim = {"other.tld"}};
	test_eval(&in, &v);
	CHECK_STR("psd=y: another organization under the PSD does not align", test_result(&v), "fail");
	CHECK_INT("psd=y: PSD's p (no sp)", v.policy, DMARCREC_POLICY_REJECT);
	in = (struct test_in){.from = {"ann@mail.org2.tld"}};
	test_eval(&in, &v);
	CHECK_STR("psd=y: an organizational domain's own record beats the PSD's", v.record_domain, "org2.tld");
	CHECK_STR("psd=y: its policy", dmarcrec_policy_name(v.policy), "quarantine");
	in = (struct test_in){.from = {"ann@tld"}, .dkim = {"org1.tld"}};
	test_eval(&in, &v);
	CHECK_STR("psd=y at the Author Domain: its own organizational domain", v.org_domain, "tld");
	CHECK_STR("psd=y at the Author Domain: an organization below does not align", test_result(&v), "fail");
	in = (struct test_in){.from = {"ann@a.b.c.d.e.f.g.h.skip.test"}};
	test_eval(&in, &v);
	CHECK_STR("psd=y: organizational domain skipped by the walk", v.org_domain, "c.d.e.f.g.h.skip.test");
	CHECK_STR("psd=y: its record asked after", v.record_domain, "c.d.e.f.g.h.skip.test");
	CHECK_INT("psd=y: its np= for the non-existent Author Domain", v.policy_tag, DMARC_TAG_NP);
	CHECK_INT("psd=y: record in round 2, existence in round 3", v.rounds, 3);
	in = (struct test_in){.from = {"ann@mail.other.nopsd"}, .dkim = {"another.nopsd"}};
	test_eval(&in, &v);
	CHECK_STR("no psd: the top record is the organizational domain", v.org_domain, "nopsd");
	CHECK_STR("no psd: so siblings align", test_result(&v), "pass");
	in = (struct test_in){.from = {"ann@mail.org1.tld"}, .dkim = {"x.org1.tld"}, .expect = true};
	test_eval(&in, &v);
	CHECK_STR("psd=y: a d= below the organizational domain aligns", test_result(&v), "pass");
	CHECK_INT("psd=y: its walk in round 2", v.rounds, 2);

	in = (struct test_in){.from = {"ann@x.dept.org3.test"}, .dkim = {"other.org3.test"}};
	test_eval(&in, &v);
	CHECK_STR("psd=n: organizational domain", v.org_domain, "dept.org3.test");
	CHECK_STR("psd=n: a sibling of it does not align", test_result(&v), "fail");
	in = (struct test_in){.from = {"ann@x.dept.org3.test"}, .dkim = {"y.dept.org3.test"}};
	test_eval(&in, &v);
	CHECK_STR("psd=n: a d= below it aligns", test_result(&v), "pass");
	in = (struct test_in){.from = {"ann@x.dept2.org3.test"}, .dkim = {"other.org3.test"}};
	test_eval(&in, &v);
	CHECK_STR("fewest labels: policy from the organizational domain, not the nearer record", v.record_domain,
		  "org3.test");
	CHECK_STR("fewest labels: its p=none", dmarcrec_policy_name(v.policy), "none");
	CHECK_STR("fewest labels: organizational domain from the top one", v.org_domain, "org3.test");
	CHECK_STR("fewest labels: so a sibling aligns", test_result(&v), "pass");
	in = (struct test_in){.from = {"ann@own.example.test"}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK_STR("psd=n at the Author Domain: parent's d= does not align", test_result(&v), "fail");
}

/* test_alignment - RFC 9989 3.2.10, 4.10.2: strict and relaxed, DKIM and SPF */
static void test_alignment(void)
{
	struct dmarc_verdict v;
	struct test_in in = {.from = {"ann@example.test"}, .dkim = {"mail.example.test"}};
	test_eval(&in, &v);
	CHECK_STR("relaxed DKIM: subdomain d= aligns", test_result(&v), "pass");
	CHECK("relaxed DKIM: aligned d=", v.dkim_aligned && !strcmp(v.dkim_domain, "mail.example.test"));
	in = (struct test_in){.from = {"ann@www.example.test"}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK_STR("relaxed DKIM: parent d= aligns", test_result(&v), "pass");
	in = (struct test_in){.from = {"ann@example.test"}, .dkim = {"!example.test", "evil.test", "example.test.evil"}};
	test_eval(&in, &v);
	CHECK_STR("DKIM: failed aligned, passing unaligned: fail", test_result(&v), "fail");
	CHECK_INT("DKIM: fail: p=reject asked", v.disposition, DMARCREC_POLICY_REJECT);
	in = (struct test_in){.from = {"ann@strict.test"}, .dkim = {"mail.strict.test"}};
	test_eval(&in, &v);
	CHECK_STR("strict DKIM: subdomain d= fails", test_result(&v), "fail");
	in = (struct test_in){.from = {"ann@strict.test"}, .dkim = {"evil.test", "strict.test"}};
	test_eval(&in, &v);
	CHECK_STR("strict DKIM: exact d= among others passes", test_result(&v), "pass");
	CHECK_STR("strict DKIM: the aligned one named", v.dkim_domain, "strict.test");

	in = (struct test_in){.from = {"ann@example.test"}, .spf = DKMOD_SPF_PASS, .spf_domain = "bounce.example.test"};
	test_eval(&in, &v);
	CHECK_STR("relaxed SPF: subdomain passes", test_result(&v), "pass");
	CHECK("relaxed SPF: aligned", v.spf_aligned && !v.dkim_aligned && !strcmp(v.spf_domain, "bounce.example.test"));
	in = (struct test_in){.from = {"ann@example.test"}, .spf = DKMOD_SPF_SOFTFAIL, .spf_domain = "example.test"};
	test_eval(&in, &v);
	CHECK_STR("SPF softfail aligned: fail", test_result(&v), "fail");
	in = (struct test_in){.from = {"ann@strict.test"}, .spf = DKMOD_SPF_PASS, .spf_domain = "bounce.strict.test"};
	test_eval(&in, &v);
	CHECK_STR("strict SPF: subdomain fails", test_result(&v), "fail");
	in = (struct test_in){.from = {"ann@strict.test"}, .spf = DKMOD_SPF_PASS, .spf_domain = "strict.test"};
	test_eval(&in, &v);
	CHECK_STR("strict SPF: same domain passes", test_result(&v), "pass");
	CHECK_INT("SPF result names", dkmod_spf_result_parse("SoftFail"), DKMOD_SPF_SOFTFAIL);
	CHECK_STR("SPF result name", dkmod_spf_result_name(DKMOD_SPF_TEMPERROR), "temperror");
}

/* test_policy - RFC 9989 4.7, 4.10.1: p, sp, np (existence: NXDOMAIN, 3.2.13), t=y */
static void test_policy(void)
{
	struct dmarc_verdict v;
	struct test_in in = {.from = {"ann@example.test"}};
	test_eval(&in, &v);
	CHECK("policy: own record: p=reject", v.policy_tag == DMARC_TAG_P && v.policy == DMARCREC_POLICY_REJECT);
	in = (struct test_in){.from = {"ann@www.example.test"}};
	test_eval(&in, &v);
	CHECK("policy: existing subdomain (A): sp", v.policy_tag == DMARC_TAG_SP && v.policy == DMARCREC_POLICY_QUARANTINE);
	CHECK_INT("policy: existence checked in round 2", v.rounds, 2);
	CHECK_INT("policy: disposition quarantine", v.disposition, DMARCREC_POLICY_QUARANTINE);
	in = (struct test_in){.from = {"ann@mxonly.example.test"}};
	test_eval(&in, &v);
	CHECK_INT("policy: existing subdomain (MX only): sp", v.policy_tag, DMARC_TAG_SP);
	in = (struct test_in){.from = {"ann@nosuch.example.test"}};
	test_eval(&in, &v);
	CHECK("policy: non-existent subdomain: np", v.policy_tag == DMARC_TAG_NP && v.policy == DMARCREC_POLICY_REJECT);
	CHECK_STR("policy: np: fail", test_result(&v), "fail");
	in = (struct test_in){.from = {"ann@nosuch.example.test"}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK_STR("policy: np: aligned pass still passes", test_result(&v), "pass");
	CHECK_INT("policy: pass asks for nothing", v.disposition, DMARCREC_POLICY_NONE);
	in = (struct test_in){.from = {"ann@nosuch.sponly.test"}};
	test_eval(&in, &v);
	CHECK("policy: no np: sp for a non-existent subdomain", v.policy_tag == DMARC_TAG_SP && v.policy == DMARCREC_POLICY_NONE);
	CHECK_INT("policy: no np: no existence check", v.queries, 3);
	in = (struct test_in){.from = {"ann@nosuch.plain.test"}};
	test_eval(&in, &v);
	CHECK("policy: neither sp nor np: p", v.policy_tag == DMARC_TAG_P && v.policy == DMARCREC_POLICY_REJECT);

	in = (struct test_in){.from = {"ann@testing.test"}};
	test_eval(&in, &v);
	CHECK_STR("t=y: still fail", test_result(&v), "fail");
	CHECK("t=y: policy reject, testing", v.policy == DMARCREC_POLICY_REJECT && v.testing);
	CHECK_INT("t=y: reject asks for quarantine", v.disposition, DMARCREC_POLICY_QUARANTINE);
	in = (struct test_in){.from = {"ann@testq.test"}};
	test_eval(&in, &v);
	CHECK_INT("t=y: quarantine asks for none", v.disposition, DMARCREC_POLICY_NONE);
}

/* test_dns_errors - a temporary failure at each step where its answer matters: temperror */
static void test_dns_errors(void)
{
	struct dmarc_verdict v;
	struct test_in in = {.from = {"ann@err1.example.test"}, .dkim = {"err1.example.test"}};
	test_eval(&in, &v);
	CHECK_STR("errors: the Author Domain's level: temperror", test_result(&v), "temperror");
	in = (struct test_in){.from = {"ann@a.errmid.test"}};
	test_eval(&in, &v);
	CHECK_STR("errors: a parent level before any record: temperror", test_result(&v), "temperror");
	in = (struct test_in){.from = {"ann@rec.errtop.test"}, .dkim = {"rec.errtop.test"}};
	test_eval(&in, &v);
	CHECK_STR("errors: above the policy record, exact d=: pass", test_result(&v), "pass");
	CHECK_STR("errors: above the policy record: no organizational domain", v.org_domain, "");
	in = (struct test_in){.from = {"ann@rec.errtop.test"}, .dkim = {"sub.rec.errtop.test"}};
	test_eval(&in, &v);
	CHECK_STR("errors: above the policy record, relaxed d=: temperror", test_result(&v), "temperror");
	in = (struct test_in){.from = {"ann@rec.errtop.test"}, .dkim = {"other.tld"}};
	test_eval(&in, &v);
	CHECK_STR("errors: above the policy record, unrelated d=: fail", test_result(&v), "fail");
	in = (struct test_in){.from = {"ann@example.test"}, .dkim = {"brokenid.example.test"}};
	test_eval(&in, &v);
	CHECK_STR("errors: an identifier's walk: temperror", test_result(&v), "temperror");
	in = (struct test_in){.from = {"ann@exerr.example.test"}};
	test_eval(&in, &v);
	CHECK_STR("errors: the existence check: temperror", test_result(&v), "temperror");
	in = (struct test_in){.from = {"ann@exerr.example.test"}, .dkim = {"example.test"}};
	test_eval(&in, &v);
	CHECK_STR("errors: the existence check, aligned pass: pass", test_result(&v), "pass");
	in = (struct test_in){.from = {"ann@example.test"}, .dkim = {"?example.test"}};
	test_eval(&in, &v);
	CHECK_STR("errors: aligned DKIM temperror: temperror", test_result(&v), "temperror");
	in = (struct test_in){.from = {"ann@example.test"}, .dkim = {"?evil.test"}};
	test_eval(&in, &v);
	CHECK_STR("errors: unaligned DKIM temperror: fail", test_result(&v), "fail");
	in = (struct test_in){.from = {"ann@example.test"}, .spf = DKMOD_SPF_TEMPERROR, .spf_domain = "example.test"};
	test_eval(&in, &v);
	CHECK_STR("errors: aligned SPF temperror: temperror", test_result(&v), "temperror");
	in = (struct test_in){.from = {"ann@example.test"}, .dkim = {"example.test"}, .verdict_early = true};
	test_eval(&in, &v);
	CHECK_STR("errors: verdict before the answers: temperror", test_result(&v), "temperror");
}

/* test_limit_run - one evaluation of ann@example.test with n DKIM outcomes */
static void test_limit_run(const struct dmarc_dkim *dkim, size_t n, struct dmarc_verdict *v)
{
	struct arena a;
	struct dmarc_field from = {.value = "ann@example.test", .len = 16};
	arena_init(&a);
	struct dmarc *m = dmarc_begin(&a, test_dns, &from, 1);
	dmarc_outcomes(m, dkim, n, NULL);
	dns_wait(test_dns, dns_now_ms() + 3000);
	dmarc_verdict(m, v);
	arena_free(&a);
}

/* test_limits - more identifiers and names than are looked up: bounded, and an aligned d= given
 * last still counts */
static void test_limits(void)
{
	struct dmarc_verdict v;
	struct dmarc_dkim dkim[DMARC_MAX_IDENTIFIERS + 4];
	char names[DMARC_MAX_IDENTIFIERS + 4][40];
	size_t n = sizeof dkim / sizeof *dkim;
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof names[i], "s%zu.flood.tld", i);
		dkim[i] = (struct dmarc_dkim){names[i], true, false};
	}
	dkim[n - 1].domain = "example.test";
	test_limit_run(dkim, n, &v);
	CHECK_STR("limits: the Author Domain's own d= after a flood of others: pass", test_result(&v), "pass");
	CHECK_STR("limits: the Author Domain's own d= named", v.dkim_domain, "example.test");
	dkim[n - 1].domain = "evil.test";
	test_limit_run(dkim, n, &v);
	CHECK_STR("limits: a flood of unaligned d=: fail", test_result(&v), "fail");
	for (size_t i = 0; i < n; i++)
		snprintf(names[i], sizeof names[i], "a.b.c.s%zu.example.test", i);
	test_limit_run(dkim, n, &v);
	CHECK_STR("limits: a flood of deep aligned d=: pass", test_result(&v), "pass");
	CHECK("limits: a flood of deep aligned d=: queries bounded", v.queries <= DMARC_MAX_NAMES + 1);
}

/* test_timeout - lookups that time out at the deadline give temperror */
static void test_timeout(const char *zone_path)
{
	char stub[100];
	int fd = unit_silent_stub("timeout", "slow.example", stub, sizeof stub);
	if (fd < 0)
		return;
	const char *stubs[2] = {stub, NULL}, *why = "";
	struct dkmod_resolver_options opt = {.zone_file = zone_path, .stubs = stubs};
	struct dns *d = dns_new(&opt, &why);
	CHECK_STR("timeout: resolver", d ? "" : why, "");
	if (d) {
		struct arena a;
		struct dmarc_verdict v;
		struct dmarc_field from = {.value = "ann@a.slow.example", .len = 18};
		arena_init(&a);
		struct dmarc *m = dmarc_begin(&a, d, &from, 1);
		long long t0 = dns_now_ms();
		dns_wait(d, t0 + 300);
		CHECK("timeout: waited for the deadline", dns_now_ms() - t0 >= 250);
		CHECK_INT("timeout: nothing pending", dmarc_pending(m), 0);
		dmarc_verdict(m, &v);
		CHECK_STR("timeout: temperror", test_result(&v), "temperror");
		arena_free(&a);
		dns_free(d);
	}
	close(fd);
}

int main(void)
{
	char dir[] = "/tmp/test_dmarc.XXXXXX";
	if (!mkdtemp(dir)) {
		printf("FAIL: dmarc: temporary directory\n");
		return 1;
	}
	const char *zone = unit_write_in(dir, "dmarc.zone", test_zone), *why = "";
	struct dkmod_resolver_options opt = {.zone_file = zone};
	test_dns = dns_new(&opt, &why);
	CHECK_STR("dmarc: resolver on the test zone", test_dns ? "" : why, "");
	if (test_dns) {
		test_author();
		test_first_given();
		test_reused();
		test_walk();
		test_org();
		test_alignment();
		test_policy();
		test_dns_errors();
		test_limits();
		dns_free(test_dns);
	}
	test_timeout(zone);
	unlink(zone);
	rmdir(dir);
	return unit_done();
}
