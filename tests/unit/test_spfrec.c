/*
 * test_spfrec.c - the SPF record parser and the macro expander (record/spfrec.c):
 * RFC 7208 section 7.4's examples, every mechanism and modifier, syntax errors
 * and the bounds.
 */
#include <stdlib.h>

#include "record/spfrec.h"
#include "unit.h"

static struct spfrec rec;

/* parses - whether text parses */
static bool parses(const char *text)
{
	const char *why;

	return spfrec_parse(text, strlen(text), &rec, &why);
}

/* test_env - the RFC 7208 7.4 sender and client */
static void test_env(struct spfrec_env *env, const unsigned char *ip, bool ipv6)
{
	memset(env, 0, sizeof *env);
	env->sender = "strong-bad@email.example.com";
	env->local = "strong-bad";
	env->sender_domain = "email.example.com";
	env->domain = "email.example.com";
	env->helo = "mx.example.org";
	env->ip = ip;
	env->ipv6 = ipv6;
	env->now = 1400000000;
}

/* expand - expand s (a domain-spec, or an explanation) into a static buffer; "(error)" */
static const char *expand(const char *s, bool explain, const struct spfrec_env *env)
{
	static char out[SPFREC_MAX_EXPANSION + 1];

	return spfrec_expand(s, explain, env, out, sizeof out) < 0 ? "(error)" : out;
}

/* test_rfc_examples - RFC 7208 7.4, every example */
static void test_rfc_examples(void)
{
	static const unsigned char v4[4] = { 192, 0, 2, 3 };
	static const unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0xcb, [15] = 0x01 };
	static const char *const cases[][2] = {
		{ "%{s}", "strong-bad@email.example.com" },
		{ "%{o}", "email.example.com" },
		{ "%{d}", "email.example.com" },
		{ "%{d4}", "email.example.com" },
		{ "%{d3}", "email.example.com" },
		{ "%{d2}", "example.com" },
		{ "%{d1}", "com" },
		{ "%{dr}", "com.example.email" },
		{ "%{d2r}", "example.email" },
		{ "%{l}", "strong-bad" },
		{ "%{l-}", "strong.bad" },
		{ "%{lr}", "strong-bad" },
		{ "%{lr-}", "bad.strong" },
		{ "%{l1r-}", "strong" },
		{ "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com" },
		{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com" },
		{ "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net" },
	};
	struct spfrec_env env;
	char name[100];

	test_env(&env, v4, false);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(name, sizeof name, "rfc 7.4: %s", cases[i][0]);
		CHECK_STR(name, expand(cases[i][0], false, &env), cases[i][1]);
	}
	test_env(&env, v6, true);
	CHECK_STR("rfc 7.4: IPv6 %{ir}.%{v}._spf.%{d2}", expand("%{ir}.%{v}._spf.%{d2}", false, &env),
		  "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

/* test_macros - escapes, upper case, the explanation-only letters, errors and bounds */
static void test_macros(void)
{
	static const unsigned char v4[4] = { 192, 0, 2, 3 };
	struct spfrec_env env;
	char big[3000], out[64];

	test_env(&env, v4, false);
	CHECK_STR("macro: %% %_ %-", expand("a%%b%_c%-d", false, &env), "a%b c%20d");
	env.local = "~jack&jill=up-a_b3.c";
	CHECK_STR("macro: upper case URL-escapes", expand("%{L}", false, &env), "~jack%26jill%3Dup-a_b3.c");
	env.local = "strong-bad";
	CHECK_STR("macro: delimiters +,/_= split", expand("%{l-+}", false, &env), "strong.bad");
	CHECK_STR("macro: digits above the parts keep all", expand("%{d99}", false, &env), "email.example.com");
	CHECK_STR("macro: h", expand("%{h}", false, &env), "mx.example.org");
	CHECK_STR("macro: p without a validated name", expand("%{p}", false, &env), "unknown");
	env.validated = "host.example.com";
	CHECK_STR("macro: p validated", expand("%{p}", false, &env), "host.example.com");
	CHECK_STR("macro: c in an explanation", expand("from %{c} at %{t} to %{r}", true, &env),
		  "from 192.0.2.3 at 1400000000 to unknown");
	CHECK_STR("macro: c not in a domain-spec", expand("%{c}.example.com", false, &env), "(error)");
	CHECK_STR("macro: r not in a domain-spec", expand("%{r}", false, &env), "(error)");
	CHECK_STR("macro: t not in a domain-spec", expand("%{t}", false, &env), "(error)");
	CHECK_STR("macro: space only in an explanation", expand("a b", false, &env), "(error)");
	CHECK_STR("macro: unknown letter", expand("%{a}", false, &env), "(error)");
	CHECK_STR("macro: digit 0", expand("%{d0}", false, &env), "(error)");
	CHECK_STR("macro: lone %", expand("a%b", false, &env), "(error)");
	CHECK_STR("macro: unclosed", expand("%{d2", false, &env), "(error)");
	CHECK_STR("macro: ( is no brace", expand("%(ir)", false, &env), "(error)");
	CHECK_STR("macro: % at the end", expand("a%", false, &env), "(error)");
	CHECK("macro: uses p", spfrec_uses_p("x.%{p}.y") && spfrec_uses_p("%{P2}") && !spfrec_uses_p("%%{p}"));
	memset(big, 0, sizeof big);
	for (size_t i = 0; i + 4 < sizeof big - 1; i += 4)
		memcpy(big + i, "%{s}", 4);
	CHECK_STR("macro: expansion bounded", expand(big, false, &env), "(error)");
	CHECK_INT("macro: output bounded by the buffer", spfrec_expand("%{s}", false, &env, out, 10), -1);
}

/* test_domains - cutting and checking expanded names (RFC 7208 4.8) */
static void test_domains(void)
{
	char name[600];
	size_t len;

	snprintf(name, sizeof name, "Example.COM.");
	CHECK("domain: final dot dropped", spfrec_domain(name) && strcmp(name, "Example.COM") == 0);
	memset(name, 0, sizeof name);
	for (len = 0; len < 300; len += 10)
		memcpy(name + len, "abcdefghi.", 10);
	memcpy(name + len, "example.com", 12);
	CHECK("domain: long name cut from the left", spfrec_domain(name) && strlen(name) <= SPFREC_MAX_DOMAIN &&
							     strcmp(name + strlen(name) - 11, "example.com") == 0 &&
							     strncmp(name, "abcdefghi.", 10) == 0);
	snprintf(name, sizeof name, "a..example.com");
	CHECK("domain: empty label refused", !spfrec_domain(name));
	snprintf(name, sizeof name, "%s.example.com",
		 "a234567890123456789012345678901234567890123456789012345678901234");
	CHECK("domain: label of 64 refused", !spfrec_domain(name));
	snprintf(name, sizeof name, "a\r\nb.example.com");
	CHECK("domain: control bytes (from the envelope) refused", !spfrec_domain(name));
	snprintf(name, sizeof name, "caf\xc3\xa9.example.com");
	CHECK("domain: non-ASCII refused", !spfrec_domain(name));
	snprintf(name, sizeof name, "macro%%percent  space.example.com");
	CHECK("domain: spaces (from %_) kept", spfrec_domain(name));
}

/* test_parse_ok - records that parse, and what they hold */
static void test_parse_ok(void)
{
	CHECK("is_spf: v=spf1 alone", spfrec_is_spf("v=spf1", 6));
	CHECK("is_spf: case-insensitive", spfrec_is_spf("V=SpF1 -all", 11));
	CHECK("is_spf: v=spf10 is not", !spfrec_is_spf("v=spf10", 7));
	CHECK("is_spf: v=spf1mx is not", !spfrec_is_spf("v=spf1mx", 8));

	CHECK("parse: empty record", parses("v=spf1") && rec.nterms == 0);
	CHECK("parse: every mechanism",
	      parses("v=spf1 +all -include:_spf.example.com ~a ?a:mail.example.com/24//64 mx mx/30 mx:%{d}//48 ptr "
		     "ptr:example.org ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{ir}.%{l1r+-}._spf.%{d} ip4:192.0.2.1 "
		     "redirect=_spf.example.net exp=explain._spf.%{d} x-unknown=%{l}.anything   "));
	CHECK_INT("parse: term count", rec.nterms, 13);
	CHECK("parse: qualifiers", rec.terms[0].qualifier == DKMOD_SPF_PASS && rec.terms[1].qualifier == DKMOD_SPF_FAIL &&
					   rec.terms[2].qualifier == DKMOD_SPF_SOFTFAIL && rec.terms[3].qualifier == DKMOD_SPF_NEUTRAL &&
					   rec.terms[4].qualifier == DKMOD_SPF_PASS);
	CHECK("parse: include spec", rec.terms[1].mech == SPFREC_INCLUDE && strcmp(rec.terms[1].spec, "_spf.example.com") == 0);
	CHECK("parse: a without spec", rec.terms[2].mech == SPFREC_A && !rec.terms[2].spec && rec.terms[2].cidr4 == 32 &&
					       rec.terms[2].cidr6 == 128);
	CHECK("parse: dual cidr", strcmp(rec.terms[3].spec, "mail.example.com") == 0 && rec.terms[3].cidr4 == 24 &&
					  rec.terms[3].cidr6 == 64);
	CHECK("parse: mx/30", rec.terms[5].mech == SPFREC_MX && !rec.terms[5].spec && rec.terms[5].cidr4 == 30);
	CHECK("parse: mx:%{d}//48", strcmp(rec.terms[6].spec, "%{d}") == 0 && rec.terms[6].cidr6 == 48 &&
					    rec.terms[6].cidr4 == 32);
	CHECK("parse: ptr", rec.terms[7].mech == SPFREC_PTR && !rec.terms[7].spec &&
				    strcmp(rec.terms[8].spec, "example.org") == 0);
	CHECK("parse: ip4 network", rec.terms[9].mech == SPFREC_IP4 && rec.terms[9].cidr4 == 24 &&
					    memcmp(rec.terms[9].addr, "\xc0\x00\x02\x00", 4) == 0);
	CHECK("parse: ip6 network", rec.terms[10].mech == SPFREC_IP6 && rec.terms[10].cidr6 == 32 &&
					    memcmp(rec.terms[10].addr, "\x20\x01\x0d\xb8", 4) == 0);
	CHECK("parse: exists", rec.terms[11].mech == SPFREC_EXISTS);
	CHECK("parse: ip4 without cidr", rec.terms[12].cidr4 == 32);
	CHECK("parse: modifiers", rec.redirect && strcmp(rec.redirect, "_spf.example.net") == 0 && rec.exp &&
					  strcmp(rec.exp, "explain._spf.%{d}") == 0);
	CHECK("parse: case-insensitive names", parses("v=spf1 MX IP4:192.0.2.1 Redirect=example.com") &&
						       rec.nterms == 2 && rec.redirect);
	CHECK("parse: toplabel with a dash", parses("v=spf1 a:foo.1-2"));
	CHECK("parse: domain-spec with a final dot", parses("v=spf1 a:foo.example.com."));
	CHECK("parse: unknown modifier with empty value", parses("v=spf1 foo= -all"));
	CHECK("parse: mechanism names are in the one table", strcmp(spfrec_mech_str(SPFREC_EXISTS), "exists") == 0);
	CHECK("result names", strcmp(dkmod_spf_result_name(DKMOD_SPF_SOFTFAIL), "softfail") == 0 &&
				      dkmod_spf_result_parse("PermError") == DKMOD_SPF_PERMERROR && dkmod_spf_result_parse("bogus") == -1);
}

/* test_parse_errors - every syntax error is a permerror */
static void test_parse_errors(void)
{
	static const char *const bad[] = {
		"v=spf1 -all/8",		/* all takes nothing */
		"v=spf1 a:museum",		/* a single label */
		"v=spf1 a:museum.",
		"v=spf1 a:111.222.33.44",	/* numeric toplabel */
		"v=spf1 a:foo.-bar",
		"v=spf1 a/33",
		"v=spf1 a//129",
		"v=spf1 a/024",			/* leading zero */
		"v=spf1 a:",			/* empty domain-spec */
		"v=spf1 ptr:",
		"v=spf1 include",		/* needs a domain */
		"v=spf1 exists:",
		"v=spf1 ip4:1.2.3.4/33",
		"v=spf1 ip4:01.2.3.4",
		"v=spf1 ip4:1.2.3",
		"v=spf1 ip4:1.2.3.4/",
		"v=spf1 ip4",
		"v=spf1 ip6:2001:db8::/129",
		"v=spf1 ip6:1.2.3.4",
		"v=spf1 ip6",
		"v=spf1 foo",			/* unknown mechanism */
		"v=spf1 -foo=bar",		/* qualifier before a modifier */
		"v=spf1 redirect=a.example.com redirect=b.example.com",
		"v=spf1 exp=a.example.com exp=b.example.com",
		"v=spf1 redirect=",
		"v=spf1 exp=%{z}.example.com",
		"v=spf1 x=%{c}",		/* c only in explanations */
		"v=spf1 a:%{d",
		"v=spf1 a:foo%.example.com",
		"v=spf1 -all\tip4:1.2.3.4",	/* spaces only */
		"v=spf1 a:foo\x80.example.com", /* 7-bit only */
		"v=spf1 1x=y",			/* a modifier name starts with a letter */
		"v=spf10",
		"spf1 -all",
	};
	char name[120], *text;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(name, sizeof name, "parse error: %s", bad[i]);
		CHECK(name, !parses(bad[i]));
	}
	CHECK("parse error: NUL inside", !spfrec_parse("v=spf1 a:foo.example.com\0", 25, &rec, NULL));
	/* the bounds */
	text = malloc(SPFREC_MAX_LEN + 20);
	snprintf(text, SPFREC_MAX_LEN + 20, "v=spf1");
	for (i = 6; i + 5 < SPFREC_MAX_LEN + 10; i += 5)
		memcpy(text + i, " -all", 6);
	CHECK("bound: record longer than SPFREC_MAX_LEN", !spfrec_parse(text, strlen(text), &rec, NULL));
	snprintf(text, SPFREC_MAX_LEN + 20, "v=spf1");
	for (i = 0; i < SPFREC_MAX_TERMS; i++)
		strcat(text, " mx");
	CHECK("bound: SPFREC_MAX_TERMS terms parse", parses(text) && rec.nterms == SPFREC_MAX_TERMS);
	strcat(text, " mx");
	CHECK("bound: one term more is an error", !parses(text));
	free(text);
}

int main(void)
{
	test_rfc_examples();
	test_macros();
	test_domains();
	test_parse_ok();
	test_parse_errors();
	return unit_failures ? 1 : 0;
}
