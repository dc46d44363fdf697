/*
 * test_dmarcrec.c - unit tests of the DMARC policy record parser
 * (core/record/dmarcrec.c) against RFC 9989 4.7: v=DMARC1 first, each tag's
 * values and defaults, invalid values, the p=none fallback on a valid rua,
 * unknown and removed tags, URI lists and their bounds.
 */
#include <stdio.h>
#include <string.h>

#include "record/dmarcrec.h"
#include "unit.h"

/* parse - dmarcrec_parse of a C string */
static enum dmarcrec_status parse(const char *txt, struct dmarcrec *r)
{
	return dmarcrec_parse(txt, strlen(txt), r);
}

/* test_version - only records starting with v=DMARC1 are DMARC records */
static void test_version(void)
{
	struct dmarcrec r;
	CHECK_INT("v: minimal record", parse("v=DMARC1; p=reject", &r), DMARCREC_OK);
	CHECK_INT("v: minimal record: p", r.p, DMARCREC_POLICY_REJECT);
	CHECK("v: minimal record: has p", r.has_p && !r.has_sp && !r.has_np);
	CHECK_INT("v: blanks around", parse("  v = DMARC1 ;\tp = Quarantine ;", &r), DMARCREC_OK);
	CHECK_INT("v: value case-insensitive", r.p, DMARCREC_POLICY_QUARANTINE);
	CHECK_INT("v: upper-case tag names", parse("V=DMARC1; P=reject", &r), DMARCREC_OK);
	CHECK_INT("v: upper-case tag names: p", r.p, DMARCREC_POLICY_REJECT);
	CHECK_INT("v: SPF record", parse("v=spf1 -all", &r), DMARCREC_NOT_DMARC);
	CHECK_INT("v: DMARC2", parse("v=DMARC2; p=reject", &r), DMARCREC_NOT_DMARC);
	CHECK_INT("v: DMARC10", parse("v=DMARC10; p=reject", &r), DMARCREC_NOT_DMARC);
	CHECK_INT("v: lower-case version value", parse("v=dmarc1; p=reject", &r), DMARCREC_NOT_DMARC);
	CHECK_INT("v: not first", parse("p=reject; v=DMARC1", &r), DMARCREC_NOT_DMARC);
	CHECK_INT("v: empty", parse("", &r), DMARCREC_NOT_DMARC);
	CHECK_INT("v: only v", parse("v=DMARC1", &r), DMARCREC_OK);
	CHECK("v: only v: no p, policy none", !r.has_p && r.p == DMARCREC_POLICY_NONE);
	CHECK("is_dmarc: prefix of a broken record", dmarcrec_is_dmarc("v=DMARC1; ;;", 12));
	CHECK("is_dmarc: not for v=DMARC1x", !dmarcrec_is_dmarc("v=DMARC1x", 9));
}

/* test_syntax - RFC 9989 4.8: syntax errors in the rest of the record are discarded, not fatal */
static void test_syntax(void)
{
	struct dmarcrec r;
	CHECK_INT("syntax: element without '='", parse("v=DMARC1; p=reject; oops", &r), DMARCREC_OK);
	CHECK("syntax: element without '=': ignored, p kept", r.ignored == 1 && r.p == DMARCREC_POLICY_REJECT);
	CHECK_INT("syntax: tag twice", parse("v=DMARC1; p=reject; p=none", &r), DMARCREC_OK);
	CHECK("syntax: tag twice: the first counts", r.p == DMARCREC_POLICY_REJECT && r.ignored == 1);
	CHECK_INT("syntax: tag twice but for case", (parse("v=DMARC1; p=reject; P=none", &r), r.p), DMARCREC_POLICY_REJECT);
	CHECK_INT("syntax: bad tag name", parse("v=DMARC1; 1p=none; p=quarantine; =x;;", &r), DMARCREC_OK);
	CHECK("syntax: bad tag name ignored", r.ignored == 2 && r.p == DMARCREC_POLICY_QUARANTINE);
	CHECK_INT("syntax: NUL byte in a value", dmarcrec_parse("v=DMARC1; p=re\0ject; sp=none", 28, &r), DMARCREC_OK);
	CHECK("syntax: NUL byte: element ignored, no p", !r.has_p && r.has_sp && r.ignored == 1);
	CHECK_INT("syntax: cut at length", dmarcrec_parse("v=DMARC1; p=reject", 8, &r), DMARCREC_OK);
	CHECK("syntax: cut at length: no p", !r.has_p);
}

/* test_policy - p, sp, np; an invalid one falls back on p=none only with a valid rua URI */
static void test_policy(void)
{
	struct dmarcrec r;
	CHECK_INT("policy: all three", parse("v=DMARC1; p=reject; sp=quarantine; np=none", &r), DMARCREC_OK);
	CHECK("policy: all three: values",
	      r.p == DMARCREC_POLICY_REJECT && r.sp == DMARCREC_POLICY_QUARANTINE && r.np == DMARCREC_POLICY_NONE);
	CHECK("policy: all three: present", r.has_p && r.has_sp && r.has_np && !r.policy_replaced);
	CHECK_INT("policy: invalid p", parse("v=DMARC1; p=block", &r), DMARCREC_BAD_POLICY);
	CHECK_INT("policy: empty p", parse("v=DMARC1; p=", &r), DMARCREC_BAD_POLICY);
	CHECK_INT("policy: invalid sp", parse("v=DMARC1; p=reject; sp=maybe", &r), DMARCREC_BAD_POLICY);
	CHECK_INT("policy: invalid np", parse("v=DMARC1; p=reject; np=drop", &r), DMARCREC_BAD_POLICY);
	CHECK_INT("policy: invalid p, invalid rua", parse("v=DMARC1; p=block; rua=nowhere", &r), DMARCREC_BAD_POLICY);
	CHECK_INT("policy: invalid sp, valid rua",
		  parse("v=DMARC1; p=reject; sp=maybe; rua=mailto:agg@example.com", &r), DMARCREC_OK);
	CHECK("policy: invalid sp, valid rua: acts as p=none",
	      r.p == DMARCREC_POLICY_NONE && r.has_p && !r.has_sp && !r.has_np && r.policy_replaced);
	CHECK_INT("policy: invalid sp, valid rua: rua kept", (long long)r.nrua, 1);
}

/* test_optional - adkim, aspf, t, psd, fo: defaults, values, invalid values give the default */
static void test_optional(void)
{
	struct dmarcrec r;
	CHECK_INT("defaults: parse", parse("v=DMARC1; p=none", &r), DMARCREC_OK);
	CHECK("defaults: relaxed, not testing, psd=u, fo=0",
	      r.adkim == DMARCREC_ALIGN_RELAXED && r.aspf == DMARCREC_ALIGN_RELAXED && !r.testing &&
		      r.psd == DMARCREC_PSD_U && r.fo == DMARCREC_FO_0 && r.defaulted == 0);
	CHECK_INT("values: parse", parse("v=DMARC1; p=none; adkim=s; aspf=S; t=y; psd=y; fo=1 : d:s", &r), DMARCREC_OK);
	CHECK("values: strict both", r.adkim == DMARCREC_ALIGN_STRICT && r.aspf == DMARCREC_ALIGN_STRICT);
	CHECK("values: testing", r.testing);
	CHECK_INT("values: psd=y", r.psd, DMARCREC_PSD_Y);
	CHECK_INT("values: fo bits", r.fo, DMARCREC_FO_1 | DMARCREC_FO_D | DMARCREC_FO_S);
	CHECK_INT("values: psd=n", (parse("v=DMARC1; psd=n", &r), r.psd), DMARCREC_PSD_N);
	CHECK_INT("values: t=n", (parse("v=DMARC1; t=n", &r), r.testing), 0);
	CHECK_INT("invalid: parse", parse("v=DMARC1; p=reject; adkim=x; aspf=; t=maybe; psd=q; fo=1:z", &r),
		  DMARCREC_OK);
	CHECK("invalid: defaults",
	      r.adkim == DMARCREC_ALIGN_RELAXED && r.aspf == DMARCREC_ALIGN_RELAXED && !r.testing &&
		      r.psd == DMARCREC_PSD_U && r.fo == DMARCREC_FO_0);
	CHECK_INT("invalid: flagged", r.defaulted,
		  DMARCREC_TAG_ADKIM | DMARCREC_TAG_ASPF | DMARCREC_TAG_T | DMARCREC_TAG_PSD | DMARCREC_TAG_FO);
	CHECK_INT("invalid: p unaffected", r.p, DMARCREC_POLICY_REJECT);
	CHECK_INT("invalid: fo=0:1 exclusive", (parse("v=DMARC1; fo=0:1", &r), r.defaulted), DMARCREC_TAG_FO);
}

/* test_unknown - unknown tags, and those RFC 9989 removed (pct, rf, ri), are ignored */
static void test_unknown(void)
{
	struct dmarcrec r;
	CHECK_INT("unknown: parse", parse("v=DMARC1; p=quarantine; pct=0; rf=afrf; ri=3600; x_new=anything", &r),
		  DMARCREC_OK);
	CHECK("unknown: pct=0 does not lower the policy", r.p == DMARCREC_POLICY_QUARANTINE && !r.testing);
}

/* test_uris - rua/ruf lists: trimmed, !size dropped, invalid and surplus URIs counted */
static void test_uris(void)
{
	struct dmarcrec r;
	CHECK_INT("uris: parse",
		  parse("v=DMARC1; p=none; rua=mailto:a@example.com , mailto:b@example.com!10m,nowhere,;"
			"ruf=mailto:f@example.com",
			&r),
		  DMARCREC_OK);
	CHECK_INT("uris: rua kept", (long long)r.nrua, 2);
	CHECK_STR("uris: first", r.rua[0], "mailto:a@example.com");
	CHECK_STR("uris: !size dropped", r.rua[1], "mailto:b@example.com");
	CHECK_INT("uris: invalid and empty counted", (long long)r.rua_dropped, 2);
	CHECK_INT("uris: ruf", (long long)r.nruf, 1);
	CHECK_STR("uris: ruf value", r.ruf[0], "mailto:f@example.com");
	CHECK_INT("uris: many",
		  parse("v=DMARC1; rua=mailto:1@x.test,mailto:2@x.test,mailto:3@x.test,mailto:4@x.test,mailto:5@x.test", &r),
		  DMARCREC_OK);
	CHECK("uris: many: bounded", r.nrua == DMARCREC_MAX_URIS && r.rua_dropped == 1);
	char big[DMARCREC_MAX_URI + 64];
	snprintf(big, sizeof big, "v=DMARC1; p=x; rua=mailto:%0*d@x.test", DMARCREC_MAX_URI, 7);
	CHECK_INT("uris: too long still counts as valid for the fallback", parse(big, &r), DMARCREC_OK);
	CHECK("uris: too long not kept", r.nrua == 0 && r.rua_dropped == 1 && r.policy_replaced);
}

/* test_copy - dmarcrec_copy gives the same tags and kept URIs and writes nothing past them */
static void test_copy(void)
{
	static struct dmarcrec src, dst;
	CHECK_INT("copy: parse",
		  parse("v=DMARC1; p=reject; sp=none; adkim=s; fo=1:d; t=y; rua=mailto:a@example.com,"
			"mailto:b@example.org; ruf=mailto:f@example.com",
			&src),
		  DMARCREC_OK);
	memset(&dst, 0xA5, sizeof dst);
	dmarcrec_copy(&dst, &src);
	CHECK("copy: tags", !memcmp(&dst, &src, offsetof(struct dmarcrec, rua)));
	CHECK("copy: rua", dst.nrua == 2 && !strcmp(dst.rua[0], src.rua[0]) && !strcmp(dst.rua[1], src.rua[1]));
	CHECK("copy: ruf", dst.nruf == 1 && !strcmp(dst.ruf[0], "mailto:f@example.com"));
	size_t end = strlen(src.rua[1]) + 1;
	CHECK("copy: nothing past a kept URI", (unsigned char)dst.rua[1][end] == 0xA5 &&
						  (unsigned char)dst.rua[2][0] == 0xA5 &&
						  (unsigned char)dst.ruf[1][0] == 0xA5);
}

/* test_names - one name table per enum */
static void test_names(void)
{
	CHECK_STR("names: reject", dmarcrec_policy_name(DMARCREC_POLICY_REJECT), "reject");
	CHECK_STR("names: quarantine", dmarcrec_policy_name(DMARCREC_POLICY_QUARANTINE), "quarantine");
	CHECK_STR("names: none", dmarcrec_policy_name(DMARCREC_POLICY_NONE), "none");
	CHECK_STR("names: out of range", dmarcrec_policy_name((enum dmarcrec_policy)9), "");
	CHECK_STR("names: strict", dmarcrec_align_name(DMARCREC_ALIGN_STRICT), "s");
	CHECK_STR("names: psd=n", dmarcrec_psd_name(DMARCREC_PSD_N), "n");
	CHECK_STR("names: fo d", dmarcrec_fo_name(DMARCREC_FO_D), "d");
	CHECK_STR("names: fo two bits", dmarcrec_fo_name((enum dmarcrec_fo)3), "");
	CHECK_STR("names: status", dmarcrec_status_name(DMARCREC_NOT_DMARC), "not a DMARC record");
}

int main(void)
{
	test_version();
	test_syntax();
	test_policy();
	test_optional();
	test_unknown();
	test_uris();
	test_copy();
	test_names();
	return unit_done();
}
