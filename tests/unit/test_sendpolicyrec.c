/*
 * test_sendpolicyrec.c - DomainKeys policy records and ADSP records.
 */
#include "record/sendpolicyrec.h"
#include "unit.h"

struct dk_case {
	const char *name;
	const char *txt;
	bool ok, signs_all, testing;
	const char *r, *n;
};

static const struct dk_case dk_cases[] = {
	{"dk empty record is the default", "", true, false, false, "", ""},
	{"dk o=~", "o=~", true, false, false, "", ""},
	{"dk o=-", "o=-", true, true, false, "", ""},
	{"dk o=- t=y", "t=y; o=-", true, true, true, "", ""},
	{"dk t=n", "o=-; t=n", true, true, false, "", ""},
	{"dk r= and n=", "o=-; r=abuse@example.com; n=we sign all", true, true, false, "abuse@example.com", "we sign all"},
	{"dk unknown tags ignored", "o=-; x=1;", true, true, false, "", ""},
	{"dk bad o=", "o=maybe", false, false, false, "", ""},
	{"dk not a tag list", "o", false, false, false, "", ""},
	{"dk duplicate", "o=-; o=~", false, false, false, "", ""},
};

struct adsp_case {
	const char *name;
	const char *txt;
	enum sendpolicyrec_adsp want;
};

static const struct adsp_case adsp_cases[] = {
	{"adsp all", "dkim=all", SENDPOLICYREC_ADSP_ALL},
	{"adsp discardable", "dkim=discardable", SENDPOLICYREC_ADSP_DISCARDABLE},
	{"adsp unknown", "dkim=unknown", SENDPOLICYREC_ADSP_UNKNOWN},
	{"adsp extra tags", " dkim = all ; foo=bar", SENDPOLICYREC_ADSP_ALL},
	{"adsp other value is unknown (RFC 5617 4.2.1)", "dkim=maybe", SENDPOLICYREC_ADSP_UNKNOWN},
	{"adsp extension word is unknown", "dkim=x-future-practice; t=y", SENDPOLICYREC_ADSP_UNKNOWN},
	{"adsp empty dkim= is no record", "dkim=", SENDPOLICYREC_ADSP_NONE},
	{"adsp no dkim= is no record", "foo=bar", SENDPOLICYREC_ADSP_NONE},
	{"adsp garbage is no record", "v=spf1 -all", SENDPOLICYREC_ADSP_NONE},
	{"adsp case matters: ALL is another value, so unknown", "dkim=ALL", SENDPOLICYREC_ADSP_UNKNOWN},
};

int main(void)
{
	char name[160];
	for (size_t i = 0; i < sizeof dk_cases / sizeof *dk_cases; i++) {
		const struct dk_case *c = &dk_cases[i];
		struct sendpolicyrec_dk rec;
		bool ok = sendpolicyrec_parse_dk(c->txt, strlen(c->txt), &rec);
		CHECK_INT(c->name, ok, c->ok);
		if (!ok || !c->ok)
			continue;
		snprintf(name, sizeof name, "%s: o=-", c->name);
		CHECK_INT(name, rec.signs_all, c->signs_all);
		snprintf(name, sizeof name, "%s: t=y", c->name);
		CHECK_INT(name, rec.testing, c->testing);
		snprintf(name, sizeof name, "%s: r=", c->name);
		CHECK_STR(name, rec.report_to, c->r);
		snprintf(name, sizeof name, "%s: n=", c->name);
		CHECK_STR(name, rec.notes, c->n);
	}
	for (size_t i = 0; i < sizeof adsp_cases / sizeof *adsp_cases; i++)
		CHECK_INT(adsp_cases[i].name, sendpolicyrec_parse_adsp(adsp_cases[i].txt, strlen(adsp_cases[i].txt)),
			  adsp_cases[i].want);
	CHECK_STR("adsp names", sendpolicyrec_adsp_name(SENDPOLICYREC_ADSP_DISCARDABLE), "discardable");
	return unit_done();
}
