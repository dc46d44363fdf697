/*
 * test_report.c - DMARC aggregate reports (RFC 9990) through the public API, on a zone file
 * served as local data: verdicts recorded as rows with counts per policy domain and period,
 * nothing for a domain without rua= (or with recording off), the period closed only when it
 * has ended, the bound on rows (logged once, counted in <error>), policy_evaluated's
 * disposition and override reason, removal, export and import (counts summed, a bad file
 * refused whole), and the rua= authorization of external destinations.
 */
#include <sys/stat.h>

#include "session_fixture.h"

static char state_a[128], state_b[128], export_path[128];
static int limit_logs;

/* test_log - count the bound's log lines */
static void test_log(void *arg, enum dkmod_log_level level, const char *msg)
{
	if (strstr(msg, "row limit reached"))
		limit_logs++;
}

/* test_ctx - a recording context on the test zone with its state in state */
static struct dkmod_ctx *test_ctx(const char *state, bool record, size_t max_rows)
{
	struct dkmod_options o;
	fixture_options(&o, now);
	o.check_policies = false;
	o.cache.state_dir = state;
	o.report.record = record;
	o.report.max_rows = max_rows;
	o.log = test_log;
	struct dkmod_ctx *ctx = NULL;
	return dkmod_ctx_new(&o, &ctx) == DKMOD_OK ? ctx : NULL;
}

/* test_record - verify one message with an envelope and record it as applied */
static enum dkmod_status test_record(struct dkmod_ctx *ctx, const char *ip, const char *mail_from, const char *msg,
				     enum dkmod_report_applied applied)
{
	struct dkmod_session *s;
	enum dkmod_status st = dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s);
	if (st != DKMOD_OK)
		return st;
	st = dkmod_session_envelope(s, ip, "mail.example.org", mail_from);
	if (st == DKMOD_OK)
		st = dkmod_session_report(s, applied, "example.net");
	static bool checked;
	if (!checked)
		CHECK_INT("report before finish: ESTATE", st, DKMOD_ESTATE);
	checked = true;
	st = feed(s, msg, 11);
	if (st == DKMOD_OK)
		st = dkmod_session_report(s, applied, "example.net");
	dkmod_session_free(s);
	return st;
}

/* The reports of a store at a time, gathered. */
struct test_reports {
	size_t n;
	char domain[4][64];
	unsigned long long messages[4];
	size_t rows[4];
	struct str xml[4];
};

/* test_collect - every report closed at when (removed from the store if remove) */
static void test_collect(const char *state, long long when, bool remove, struct test_reports *t)
{
	struct dkmod_report_options o = {.interval = 86400, .max_rows = 1000};
	struct dkmod_report_meta m = {"Test Org", "dmarc-reports@mx.test.example", "mx.test.example", NULL};
	struct dkmod_reports *r;
	struct dkmod_report *rep;
	memset(t, 0, sizeof *t);
	if (dkmod_reports_open(state, &o, NULL, NULL, &r) != DKMOD_OK)
		return;
	while (t->n < 4 && dkmod_reports_next(r, when, &m, &rep) == 1) {
		snprintf(t->domain[t->n], sizeof t->domain[0], "%s", rep->domain);
		t->messages[t->n] = rep->messages;
		t->rows[t->n] = rep->rows;
		str_append(&t->xml[t->n], rep->xml, rep->xml_len);
		if (remove)
			dkmod_reports_remove(r, rep);
		dkmod_report_free(rep);
		t->n++;
	}
	dkmod_reports_close(r);
}

/* test_reports_free - the gathered XML */
static void test_reports_free(struct test_reports *t)
{
	for (size_t i = 0; i < 4; i++)
		str_free(&t->xml[i]);
}

/* test_count - occurrences of needle in hay */
static size_t test_count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* test_rows - rows and counts, no rows for a domain without rua=, the period and removal */
static void test_rows(struct dkmod_ctx *ctx)
{
	struct str buf = STR_INIT;
	struct test_reports t;
	for (int i = 0; i < 2; i++)
		CHECK_INT("recorded: signed pass", test_record(ctx, "192.0.2.1", "bounce@example.com",
							       auth_msg(ctx, "ann@example.com", true, &buf),
							       DKMOD_APPLIED_DELIVER), DKMOD_OK);
	test_record(ctx, "198.51.100.7", "x@evil.example", auth_msg(ctx, "ann@example.com", false, &buf),
		    DKMOD_APPLIED_REJECT);
	test_record(ctx, "198.51.100.7", "x@evil.example", auth_msg(ctx, "ann@example.com", false, &buf),
		    DKMOD_APPLIED_DELIVER);
	test_record(ctx, "192.0.2.1", "x@norua.example.com", auth_msg(ctx, "ann@norua.example.com", false, &buf),
		    DKMOD_APPLIED_DELIVER);
	test_collect(state_a, now, false, &t);
	CHECK_INT("the period has not ended: no report", t.n, 0);
	test_reports_free(&t);
	test_collect(state_a, now - now % 86400 + 86400, false, &t);
	CHECK_INT("one report: example.com (norua.example.com asked for none)", t.n, 1);
	CHECK_STR("report domain", t.domain[0], "example.com");
	CHECK_INT("report rows: pass, reject, local override", t.rows[0], 3);
	CHECK_INT("report messages", t.messages[0], 4);
	const char *x = str_cstr(&t.xml[0]);
	CHECK("xml: the pass row counts 2", strstr(x, "<source_ip>192.0.2.1</source_ip>\n      <count>2</count>\n"
						      "      <policy_evaluated>\n        <disposition>pass</disposition>\n"
						      "        <dkim>pass</dkim>\n        <spf>pass</spf>") != NULL);
	CHECK("xml: the rejected row", strstr(x, "<disposition>reject</disposition>\n        <dkim>fail</dkim>\n"
						 "        <spf>fail</spf>\n      </policy_evaluated>") != NULL);
	CHECK("xml: delivered against p=reject: local_policy",
	      strstr(x, "<disposition>none</disposition>\n        <dkim>fail</dkim>\n        <spf>fail</spf>\n"
			"        <reason>\n          <type>local_policy</type>") != NULL);
	CHECK("xml: the DKIM signature with its selector",
	      strstr(x, "<dkim>\n        <domain>example.com</domain>\n        <selector>rsa2048</selector>\n"
			"        <result>pass</result>") != NULL);
	CHECK("xml: SPF with scope mfrom", strstr(x, "<domain>evil.example</domain>\n        <scope>mfrom</scope>\n"
						    "        <result>none</result>") ||
						     strstr(x, "<scope>mfrom</scope>\n        <result>fail</result>"));
	CHECK("xml: identifiers", strstr(x, "<header_from>example.com</header_from>\n      <envelope_from>example.com"
					   "</envelope_from>\n      <envelope_to>example.net</envelope_to>") != NULL);
	CHECK("xml: policy_published", strstr(x, "<domain>example.com</domain>\n    <p>reject</p>\n    <sp>quarantine"
						"</sp>\n    <adkim>r</adkim>\n    <aspf>r</aspf>\n") != NULL);
	char range[120];
	snprintf(range, sizeof range, "<begin>%lld</begin>\n      <end>%lld</end>", (long long)(now - now % 86400),
		 (long long)(now - now % 86400 + 86399));
	CHECK("xml: the period is the UTC day", strstr(x, range) != NULL);
	CHECK_INT("xml: 3 records", test_count(x, "<record>"), 3);
	test_reports_free(&t);
	test_collect(state_a, now + 86400, true, &t);
	CHECK_INT("reported and removed", t.n, 1);
	test_reports_free(&t);
	test_collect(state_a, now + 86400, false, &t);
	CHECK_INT("removed: not reported twice", t.n, 0);
	test_reports_free(&t);
	str_free(&buf);
}

/* test_bound - max_rows rows per domain and period, the rest counted as dropped, logged once */
static void test_bound(void)
{
	struct str buf = STR_INIT;
	struct test_reports t;
	struct dkmod_ctx *ctx = test_ctx(state_b, true, 2);
	char ip[32];
	limit_logs = 0;
	for (int i = 1; ctx && i <= 5; i++) {
		snprintf(ip, sizeof ip, "203.0.113.%d", i);
		test_record(ctx, ip, "x@evil.example", auth_msg(ctx, "ann@example.com", false, &buf), DKMOD_APPLIED_REJECT);
	}
	test_record(ctx, "203.0.113.1", "x@evil.example", auth_msg(ctx, "ann@example.com", false, &buf),
		    DKMOD_APPLIED_REJECT);
	dkmod_ctx_free(ctx);
	CHECK_INT("bound: logged once", limit_logs, 1);
	test_collect(state_b, now + 86400, true, &t);
	CHECK("bound: 2 rows, 3 messages counted in them", t.n == 1 && t.rows[0] == 2 && t.messages[0] == 3);
	CHECK("bound: the dropped messages in <error>",
	      strstr(str_cstr(&t.xml[0]), "<error>3 messages not reported: row limit reached</error>") != NULL);
	test_reports_free(&t);
	ctx = test_ctx(state_b, false, 1000);
	test_record(ctx, "192.0.2.1", "bounce@example.com", auth_msg(ctx, "ann@example.com", true, &buf),
		    DKMOD_APPLIED_DELIVER);
	dkmod_ctx_free(ctx);
	test_collect(state_b, now + 86400, false, &t);
	CHECK_INT("record off: nothing recorded", t.n, 0);
	test_reports_free(&t);
	ctx = test_ctx(state_b, true, 1000);
	test_record(ctx, "198.51.100.7", "x@testing.example.com", auth_msg(ctx, "ann@testing.example.com", false, &buf),
		    DKMOD_APPLIED_QUARANTINE);
	dkmod_ctx_free(ctx);
	test_collect(state_b, now + 86400, true, &t);
	CHECK("t=y: quarantine under p=reject is policy_test_mode",
	      t.n == 1 && strstr(str_cstr(&t.xml[0]), "<disposition>quarantine</disposition>") &&
		      strstr(str_cstr(&t.xml[0]), "<type>policy_test_mode</type>") &&
		      strstr(str_cstr(&t.xml[0]), "<testing>y</testing>"));
	test_reports_free(&t);
	ctx = test_ctx(state_b, true, 1000);
	test_record(ctx, "198.51.100.7", "x@evil.example", auth_msg(ctx, "ann@example.com", false, &buf),
		    DKMOD_APPLIED_REJECT);
	test_record(ctx, "198.51.100.7", "x@evil.example", auth_msg(ctx, "ann@EXAMPLE.Com", false, &buf),
		    DKMOD_APPLIED_REJECT);
	dkmod_ctx_free(ctx);
	test_collect(state_b, now + 86400, true, &t);
	CHECK("domains without regard to case (DMARC lowercases them): one report, one row of 2",
	      t.n == 1 && t.rows[0] == 1 && t.messages[0] == 2 &&
		      strstr(str_cstr(&t.xml[0]), "<header_from>example.com</header_from>"));
	test_reports_free(&t);
	str_free(&buf);
}

/* test_merge - two hosts' rows of one period: one export imported into the other, counts summed */
static void test_merge(void)
{
	struct str buf = STR_INIT;
	struct test_reports t;
	struct dkmod_ctx *a = test_ctx(state_a, true, 1000), *b = test_ctx(state_b, true, 1000);
	for (int i = 0; a && b && i < 3; i++)
		test_record(i < 2 ? a : b, "192.0.2.1", "bounce@example.com", auth_msg(a, "ann@example.com", true, &buf),
			    DKMOD_APPLIED_DELIVER);
	test_record(b, "198.51.100.9", "x@evil.example", auth_msg(b, "ann@example.com", false, &buf),
		    DKMOD_APPLIED_REJECT);
	dkmod_ctx_free(a);
	dkmod_ctx_free(b);
	struct dkmod_report_options o = {.interval = 86400, .max_rows = 1000};
	struct dkmod_reports *r;
	size_t periods = 0, line = 0;
	const char *why = "";
	FILE *f = fopen(export_path, "w+");
	CHECK("export: open", f && dkmod_reports_open(state_a, &o, NULL, NULL, &r) == DKMOD_OK);
	FILE *early = tmpfile();
	CHECK_INT("export: nothing before the period ends", dkmod_reports_export(r, now, early, &periods), DKMOD_OK);
	fclose(early);
	CHECK_INT("export: no period", periods, 0);
	FILE *full = fopen("/dev/full", "w");
	CHECK_INT("export to a full disk fails", full ? (int)dkmod_reports_export(r, now + 86400, full, &periods) : -1,
		  DKMOD_EIO);
	if (full)
		fclose(full);
	CHECK_INT("export at the period's end (the failed one removed nothing)",
		  dkmod_reports_export(r, now + 86400, f, &periods), DKMOD_OK);
	CHECK_INT("export: one period", periods, 1);
	dkmod_reports_close(r);
	fclose(f);
	test_collect(state_a, now + 86400, false, &t);
	CHECK_INT("exported periods leave the host", t.n, 0);
	test_reports_free(&t);
	FILE *bad = fopen(export_path, "a");
	fputs("R\t1\tnot a row\n", bad);
	fclose(bad);
	f = fopen(export_path, "r");
	CHECK("import: open", f && dkmod_reports_open(state_b, &o, NULL, NULL, &r) == DKMOD_OK);
	CHECK_INT("import of a bad file refused", dkmod_reports_import(r, f, &why, &line), DKMOD_EINVAL);
	char named[200];
	snprintf(named, sizeof named, "line %zu: %s", line, why);
	CHECK_STR("import: the bad line named", named, "line 4: an R line's row is not one of an aggregate report");
	fclose(f);
	dkmod_reports_close(r);
	test_collect(state_b, now + 86400, false, &t);
	CHECK("a refused import adds nothing", t.n == 1 && t.messages[0] == 2);
	test_reports_free(&t);
	str_free(&buf);
}

/* test_import_good - a good export merged: one report with the rows of both hosts summed */
static void test_import_good(void)
{
	struct str buf = STR_INIT;
	struct test_reports t;
	struct dkmod_ctx *a = test_ctx(state_a, true, 1000);
	for (int i = 0; a && i < 2; i++)
		test_record(a, "192.0.2.1", "bounce@example.com", auth_msg(a, "ann@example.com", true, &buf),
			    DKMOD_APPLIED_DELIVER);
	dkmod_ctx_free(a);
	struct dkmod_report_options o = {.interval = 86400, .max_rows = 1000};
	struct dkmod_reports *r;
	size_t periods = 0, line = 0;
	const char *why = "";
	FILE *f = fopen(export_path, "w+");
	if (f && dkmod_reports_open(state_a, &o, NULL, NULL, &r) == DKMOD_OK) {
		dkmod_reports_export(r, now + 86400, f, &periods);
		dkmod_reports_close(r);
	}
	rewind(f);
	CHECK("import: open", dkmod_reports_open(state_b, &o, NULL, NULL, &r) == DKMOD_OK);
	CHECK_INT("import of a good export", dkmod_reports_import(r, f, &why, &line), DKMOD_OK);
	dkmod_reports_close(r);
	fclose(f);
	test_collect(state_b, now + 86400, true, &t);
	CHECK("merged: one report, 2 rows, 2 + 1 + 1 messages", t.n == 1 && t.rows[0] == 2 && t.messages[0] == 4);
	CHECK("merged: the shared row counts 3", strstr(str_cstr(&t.xml[0]), "<source_ip>192.0.2.1</source_ip>\n"
									    "      <count>3</count>") != NULL);
	test_reports_free(&t);
	str_free(&buf);
}

/* test_import_bad - exports that are not: each refused with its line and reason */
static void test_import_bad(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{"", "line 0: empty file"},
		{"dkmod-dmarc-export 2\n", "line 1: not a dkmod export"},
		{"dkmod-dmarc-export 1\nR\t1\tx\n", "line 2: an R line before any G line"},
		{"dkmod-dmarc-export 1\nG\t1\t0\t0\texample.com\tp\n",
		 "line 2: a G line's BEGIN, END or DROPPED is not a number (END after BEGIN)"},
		{"dkmod-dmarc-export 1\nG\t0\t86400\t0\tbad domain\tp\n", "line 2: a G line's DOMAIN is not a domain name"},
		{"dkmod-dmarc-export 1\nG\t0\t86400\t0\tex\rbcc:x@y\tp\n", "line 2: a G line's DOMAIN is not a domain name"},
		{"dkmod-dmarc-export 1\nG\t0\t86400\t0\texample.com\tonly\ttwo\n",
		 "line 2: a G line's policy is not one of an aggregate report"},
		{"dkmod-dmarc-export 1\nG\t0\t86400\t0\texample.com\texample.com\texample.com\tdiscard\t\t\tr\tr\tn\t0\n",
		 "line 2: a G line's policy is not one of an aggregate report"},
		{"dkmod-dmarc-export 1\nG\t0\t86400\t0\texample.com\texample.com\texample.com\treject\t\t\tr\tr\tn\t0\n"
		 "R\t1\t192.0.2.1\texample.com\t\t\tnone\tfail\tfail\tforwarded by a list\t\t\t\n",
		 "line 3: an R line's row is not one of an aggregate report"},
		{"dkmod-dmarc-export 1\nX\n", "line 2: a line is neither G nor R"},
		{"dkmod-dmarc-export 1", "line 1: line too long or not ended"},
	};
	struct dkmod_report_options o = {.interval = 86400, .max_rows = 1000};
	struct dkmod_reports *r;
	if (dkmod_reports_open(state_b, &o, NULL, NULL, &r) != DKMOD_OK)
		return;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		FILE *f = tmpfile();
		const char *why = "";
		size_t line = 0;
		char got[200];
		fputs(cases[i].text, f);
		rewind(f);
		enum dkmod_status st = dkmod_reports_import(r, f, &why, &line);
		snprintf(got, sizeof got, "line %zu: %s", line, why);
		CHECK_INT(cases[i].want, st, DKMOD_EINVAL);
		CHECK_STR(cases[i].want, got, cases[i].want);
		fclose(f);
	}
	FILE *f = tmpfile();
	fputs("dkmod-dmarc-export 1\n", f);
	for (int i = 0; i < 3000; i++)
		fputc('G', f);
	fputc('\n', f);
	rewind(f);
	const char *why = "";
	size_t line = 0;
	CHECK_INT("import: a line over the longest row is refused", dkmod_reports_import(r, f, &why, &line), DKMOD_EINVAL);
	CHECK_STR("import: the long line's reason", why, "line too long or not ended");
	fclose(f);
	dkmod_reports_close(r);
}

/* test_rua - the destination of a rua= URI: the domain's own, authorized, not, overridden */
static void test_rua(void)
{
	struct dkmod_resolver_options ro = {.zone_file = zone_path, .timeout_ms = 2000};
	const char *rua[] = {"mailto:dmarc@example.com"};
	struct dkmod_report rep = {.domain = "example.com", .org_domain = "example.com", .rua = rua, .nrua = 1};
	char to[256];
	const char *why;
	CHECK_INT("rua: the domain's own address", dkmod_report_rua(&ro, &rep, "mailto:dmarc@example.com", to, sizeof to, &why),
		  DKMOD_RUA_OK);
	CHECK_STR("rua: its address", to, "dmarc@example.com");
	CHECK_INT("rua: below the organizational domain", dkmod_report_rua(&ro, &rep, "mailto:d@reports.example.com!10m", to,
									   sizeof to, &why), DKMOD_RUA_OK);
	CHECK_STR("rua: the size suffix is not part of the address", to, "d@reports.example.com");
	CHECK_INT("rua: authorized external", dkmod_report_rua(&ro, &rep, "mailto:agg@reports.example.net", to, sizeof to, &why),
		  DKMOD_RUA_OK);
	CHECK_INT("rua: external without the record", dkmod_report_rua(&ro, &rep, "mailto:agg@other.example.net", to,
									 sizeof to, &why), DKMOD_RUA_UNAUTHORIZED);
	CHECK_INT("rua: authorized with an override on the same host",
		  dkmod_report_rua(&ro, &rep, "mailto:old@over.example.net", to, sizeof to, &why), DKMOD_RUA_OK);
	CHECK_STR("rua: the override's address", to, "new@over.example.net");
	CHECK_INT("rua: an override naming another host",
		  dkmod_report_rua(&ro, &rep, "mailto:x@away.example.net", to, sizeof to, &why), DKMOD_RUA_UNAUTHORIZED);
	CHECK_INT("rua: https is not supported", dkmod_report_rua(&ro, &rep, "https://example.net/r", to, sizeof to, &why),
		  DKMOD_RUA_UNSUPPORTED);
}

/* test_reason_and_sent - the receiver's override reason in the row (sanitized, a bad type
 * refused, an import checks it) and the destinations that took a report, bounded */
static void test_reason_and_sent(void)
{
	char state[160];
	struct str buf = STR_INIT;
	snprintf(state, sizeof state, "%s/state-r", dir);
	mkdir(state, 0700);
	struct dkmod_ctx *ctx = test_ctx(state, true, 1000);
	struct dkmod_session *s;
	CHECK("reason: context", ctx != NULL);
	if (!ctx || dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s) != DKMOD_OK)
		return;
	dkmod_session_envelope(s, "198.51.100.7", "mail.example.org", "x@evil.example");
	feed(s, auth_msg(ctx, "ann@example.com", false, &buf), 11);
	struct dkmod_report_reason bad = {"forwarded", NULL}, good = {"mailing_list", "list\tof <friends>\xc3"};
	CHECK_INT("reason: forwarded is not RFC 9990's", dkmod_session_report_reason(s, DKMOD_APPLIED_DELIVER, NULL, &bad),
		  DKMOD_EINVAL);
	CHECK_INT("reason: mailing_list recorded", dkmod_session_report_reason(s, DKMOD_APPLIED_DELIVER, NULL, &good),
		  DKMOD_OK);
	dkmod_session_free(s);
	dkmod_ctx_free(ctx);
	CHECK("reason: valid types", dkmod_report_reason_valid("trusted_forwarder") && !dkmod_report_reason_valid("") &&
					     !dkmod_report_reason_valid("mailing_lis") && !dkmod_report_reason_valid(NULL));
	struct dkmod_report_options o = {.interval = 86400, .max_rows = 1000};
	struct dkmod_report_meta m = {"Test Org", "dmarc-reports@mx.test.example", "mx.test.example", NULL};
	struct dkmod_reports *r;
	struct dkmod_report *rep;
	if (dkmod_reports_open(state, &o, NULL, NULL, &r) != DKMOD_OK || dkmod_reports_next(r, now + 86400, &m, &rep) != 1) {
		CHECK("reason: a report", false);
		str_free(&buf);
		return;
	}
	CHECK_INT("reason: one row (the bad type recorded nothing)", rep->rows, 1);
	CHECK("reason: type and comment, sanitized and escaped",
	      strstr(rep->xml, "<reason>\n          <type>mailing_list</type>\n          <comment>list?of &lt;friends&gt;?"
			       "</comment>\n        </reason>") != NULL);
	char dest[400];
	CHECK_INT("sent: nobody yet", dkmod_reports_sent(r, rep, "mailto:a@example.com"), 0);
	CHECK_INT("sent: marked", dkmod_reports_mark_sent(r, rep, "mailto:a@example.com"), DKMOD_OK);
	CHECK_INT("sent: marked twice is one", dkmod_reports_mark_sent(r, rep, "mailto:a@example.com"), DKMOD_OK);
	CHECK_INT("sent: remembered", dkmod_reports_sent(r, rep, "mailto:a@example.com"), 1);
	CHECK_INT("sent: not another", dkmod_reports_sent(r, rep, "mailto:a@example.co"), 0);
	CHECK_INT("sent: a newline is refused", dkmod_reports_mark_sent(r, rep, "mailto:b@x\nc"), DKMOD_EIO);
	memset(dest, 'a', sizeof dest - 1);
	dest[sizeof dest - 1] = '\0';
	CHECK_INT("sent: too long is refused", dkmod_reports_mark_sent(r, rep, dest), DKMOD_EIO);
	enum dkmod_status last = DKMOD_OK;
	for (int i = 1; i <= 16; i++) {
		snprintf(dest, sizeof dest, "mailto:d%d@example.com", i);
		last = dkmod_reports_mark_sent(r, rep, dest);
		if (i == 15)
			CHECK_INT("sent: 16 remembered", last, DKMOD_OK);
	}
	CHECK_INT("sent: the 17th is refused (bounded)", last, DKMOD_EIO);
	dkmod_reports_remove(r, rep);
	dkmod_report_free(rep);
	CHECK_INT("sent: nothing left", dkmod_reports_next(r, now + 86400, &m, &rep), 0);
	dkmod_reports_close(r);
	str_free(&buf);
}

int main(void)
{
	if (!fixture_start())
		return 1;
	snprintf(state_a, sizeof state_a, "%s/state-a", dir);
	snprintf(state_b, sizeof state_b, "%s/state-b", dir);
	snprintf(export_path, sizeof export_path, "%s/a.export", dir);
	mkdir(state_a, 0700);
	mkdir(state_b, 0700);
	bool keys = add_key("rsa2048", "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048", false, "");
	CHECK("test key generated", keys);
	str_appends(&zone, "@ IN TXT \"v=spf1 ip4:192.0.2.1 -all\"\n"
			   "_dmarc IN TXT \"v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@example.com\"\n"
			   "norua IN TXT \"v=spf1 ip4:192.0.2.1 -all\"\n"
			   "_dmarc.norua IN TXT \"v=DMARC1; p=reject\"\n"
			   "testing IN TXT \"v=spf1 -all\"\n"
			   "_dmarc.testing IN TXT \"v=DMARC1; p=reject; t=y; rua=mailto:d@example.com\"\n"
			   "$ORIGIN com.\n@ IN SOA ns hostmaster 1 3600 600 86400 60\n"
			   "$ORIGIN example.net.\n@ IN SOA ns hostmaster 1 3600 600 86400 60\n"
			   "example.com._report._dmarc.reports IN TXT \"v=DMARC1;\"\n"
			   "example.com._report._dmarc.over IN TXT \"v=DMARC1; rua=mailto:new@over.example.net\"\n"
			   "example.com._report._dmarc.away IN TXT \"v=DMARC1; rua=mailto:x@elsewhere.example.org\"\n"
			   "$ORIGIN example.\n@ IN SOA ns hostmaster 1 3600 600 86400 60\n"
			   "evil IN TXT \"v=spf1 -all\"\n");
	fixture_zone();
	struct dkmod_ctx *ctx = test_ctx(state_a, true, 1000);
	CHECK("context on the test zone", ctx != NULL);
	if (ctx && keys)
		test_rows(ctx);
	dkmod_ctx_free(ctx);
	if (keys) {
		test_bound();
		test_merge();
		test_import_good();
		test_reason_and_sent();
	}
	test_import_bad();
	test_rua();
	fixture_end();
	return unit_done();
}
