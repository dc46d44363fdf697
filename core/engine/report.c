/*
 * report.c - DMARC aggregate reports (RFC 9990): a verified message's verdict recorded as a
 * row of its policy domain's report for the period (dkmod_session_report), and the closed
 * periods read back as reports (dkmod_reports_*).  Rows live in their own store under the
 * state directory ("reports"), laid out by store/rptstore.c; their text and the XML are
 * record/rptxml.c's.  Export, import and the rua authorization are in report_io.c.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/report.h"
#include "engine/session.h"

/* report_interval - the period length: a divisor of a day from an hour up, else a day */
long long report_interval(const struct dkmod_report_options *o)
{
	return o->interval >= 3600 && o->interval <= 86400 && 86400 % o->interval == 0 ? o->interval : 86400;
}

/* report_limits - the bounds of the options (rows in all: a row per 4 KiB of the map) */
struct rptstore_limits report_limits(const struct dkmod_report_options *o)
{
	size_t map = o->map_size ? o->map_size : (size_t)64 << 20;
	return (struct rptstore_limits){o->max_rows ? o->max_rows : 1000, map / 4096};
}

/* report_open_store - the report store in DIR/reports, made for the owner of DIR */
struct store *report_open_store(const char *dir, const struct dkmod_report_options *o, dkmod_log_fn *log,
				void *log_arg)
{
	char path[4096];
	struct stat top;
	if ((size_t)snprintf(path, sizeof path, "%s/reports", dir) >= sizeof path)
		return NULL;
	if (mkdir(path, 0750) == 0 && geteuid() == 0 && stat(dir, &top) == 0 && chown(path, top.st_uid, top.st_gid))
		(void)0; /* the store logs what it cannot open */
	return store_open(path, o->map_size ? o->map_size : (size_t)64 << 20, log, log_arg);
}

/* report_ctx_store - the context's report store, opened on first use (once) */
static struct store *report_ctx_store(struct dkmod_ctx *ctx)
{
	if (ctx->report_store || ctx->report_failed)
		return ctx->report_store;
	const char *dir = ctx->opt.cache.state_dir;
	if (!dir || !(ctx->report_store = report_open_store(dir, &ctx->opt.report, ctx->opt.log, ctx->opt.log_arg))) {
		ctx->report_failed = true;
		session_log(ctx, DKMOD_LOG_ERROR, "report: no report store (%s): DMARC verdicts are not recorded",
			    dir ? dir : "no state directory: keycache { state_dir }");
	}
	return ctx->report_store;
}

/* report_mailto - the record names a mailto: rua= address */
static bool report_mailto(const struct dmarcrec *r)
{
	for (size_t i = 0; i < r->nrua; i++)
		if (strncasecmp(r->rua[i], "mailto:", 7) == 0)
			return true;
	return false;
}

/* report_fo - the fo= options as the record writes them ("0", "1:d") */
static void report_fo(unsigned fo, char *out, size_t cap)
{
	out[0] = '\0';
	for (unsigned bit = DMARCREC_FO_0; bit <= DMARCREC_FO_S; bit <<= 1)
		if (fo & bit)
			snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? ":" : "",
				 dmarcrec_fo_name((enum dmarcrec_fo)bit));
}

/* report_policy - the published policy as text */
static bool report_policy(const struct dmarc_verdict *v, struct str *out)
{
	const struct dmarcrec *r = &v->record;
	char fo[16];
	report_fo(r->fo, fo, sizeof fo);
	const char *f[RPTXML_POL_FIXED + DMARCREC_MAX_URIS] = {
		[RPTXML_POL_DOMAIN] = v->record_domain, [RPTXML_POL_ORG] = v->org_domain[0] ? v->org_domain : v->record_domain,
		[RPTXML_POL_P] = dmarcrec_policy_name(r->p), [RPTXML_POL_SP] = dmarcrec_policy_name(r->has_sp ? r->sp : r->p),
		[RPTXML_POL_NP] = r->has_np ? dmarcrec_policy_name(r->np) : "",
		[RPTXML_POL_ADKIM] = dmarcrec_align_name(r->adkim), [RPTXML_POL_ASPF] = dmarcrec_align_name(r->aspf),
		[RPTXML_POL_TESTING] = r->testing ? "y" : "n", [RPTXML_POL_FO] = fo};
	size_t n = RPTXML_POL_FIXED;
	for (size_t i = 0; i < r->nrua; i++)
		f[n++] = r->rua[i];
	return rptxml_join(out, f, n);
}

/* report_disposition - what the report says was done, and the override reason when that is
 * not what the domain asked for (RFC 9990 policy_evaluated) */
static void report_disposition(const struct dmarc_verdict *v, enum dkmod_report_applied applied, const char **disp,
			       const char **reason)
{
	static const char *const done[] = {"none", "quarantine", "reject"};
	*disp = done[applied];
	if (applied == DKMOD_APPLIED_DELIVER && v->result == DKMOD_DMARC_PASS && v->policy != DMARCREC_POLICY_NONE)
		*disp = "pass"; /* no action: passed under an enforcing policy */
	*reason = ""; /* applied and the disposition asked compare as none/deliver < quarantine < reject */
	if (v->testing && v->result == DKMOD_DMARC_FAIL && v->policy != DMARCREC_POLICY_NONE &&
	    (int)applied == (int)v->disposition)
		*reason = "policy_test_mode"; /* t=y made it milder than the policy */
	else if ((int)applied != (int)v->disposition)
		*reason = "local_policy";
}

/* report_dkim_rank - the order of signatures in a row (RFC 9990 "DKIM Signatures in Aggregate
 * Reports"): aligned passes by strictness, other passes, the rest */
static int report_dkim_rank(const struct dkmod_sig_result *r, const struct dmarc_verdict *v)
{
	if (r->result != DKMOD_RESULT_PASS)
		return 3;
	if (strcasecmp(r->domain, v->author_domain) == 0)
		return 0;
	return v->dkim_aligned && strcasecmp(r->domain, v->dkim_domain) == 0 ? 1 : 2;
}

/* report_reason - the receiver's reason as the row's field: "TYPE" or "TYPE COMMENT" (cut) */
static void report_reason(const struct dkmod_report_reason *reason, char *out, size_t cap)
{
	const char *c = reason->comment ? reason->comment : "";
	snprintf(out, cap, "%s%s%.*s", reason->type, c[0] ? " " : "", DKMOD_REPORT_COMMENT_MAX, c);
}

/* report_row - the message's row as text */
static bool report_row(struct dkmod_session *s, enum dkmod_report_applied applied, const char *envelope_to,
		       const struct dkmod_report_reason *reason, struct str *out)
{
	char given[32 + DKMOD_REPORT_COMMENT_MAX];
	const struct session_auth *a = &s->auth;
	const struct dmarc_verdict *v = a->verdict;
	const char *f[RPTXML_MAX_FIELDS] = {0};
	const char *at = a->mail_from ? strrchr(a->mail_from, '@') : NULL;
	f[RPTXML_IP] = a->client_ip;
	f[RPTXML_HEADER_FROM] = v->author_domain;
	f[RPTXML_ENV_FROM] = at ? at + 1 : "";
	f[RPTXML_ENV_TO] = envelope_to ? envelope_to : "";
	report_disposition(v, applied, &f[RPTXML_DISPOSITION], &f[RPTXML_REASON]);
	if (reason)
		report_reason(reason, given, sizeof given), f[RPTXML_REASON] = given;
	f[RPTXML_DKIM] = v->dkim_aligned ? "pass" : "fail";
	f[RPTXML_SPF] = v->spf_aligned ? "pass" : "fail";
	f[RPTXML_SPF_DOMAIN] = a->spf_checked ? a->spf_answer.domain : "";
	f[RPTXML_SPF_SCOPE] = a->spf_checked && !a->spf_answer.helo_scope ? "mfrom" : "";
	f[RPTXML_SPF_RESULT] = a->spf_checked ? dkmod_spf_result_name(a->spf_answer.result) : "";
	size_t n = RPTXML_ROW_FIXED;
	for (int rank = 0; rank <= 3; rank++)
		for (size_t i = 0; i < s->nresults && n + 3 <= RPTXML_MAX_FIELDS; i++) {
			const struct dkmod_sig_result *r = &s->results[i];
			if (r->method != DKMOD_METHOD_DKIM || !r->domain[0] || !r->selector[0] ||
			    report_dkim_rank(r, v) != rank)
				continue;
			f[n++] = r->domain;
			f[n++] = r->selector;
			f[n++] = dkmod_result_name(r->result);
		}
	while (!rptxml_join(out, f, n) && n > RPTXML_ROW_FIXED)
		n -= 3; /* too long: the last signatures go */
	return out->len && out->len <= RPTXML_MAX_TEXT;
}

/* dkmod_report_reason_valid - an override type of RFC 9990 */
bool dkmod_report_reason_valid(const char *type)
{
	return type && rptxml_reason_valid(type, strlen(type));
}

/* dkmod_session_report - record the verdict with the engine's reason */
enum dkmod_status dkmod_session_report(struct dkmod_session *s, enum dkmod_report_applied applied,
				       const char *envelope_to)
{
	return dkmod_session_report_reason(s, applied, envelope_to, NULL);
}

/* dkmod_session_report_reason - record the verdict in the period's row of its policy domain */
enum dkmod_status dkmod_session_report_reason(struct dkmod_session *s, enum dkmod_report_applied applied,
					      const char *envelope_to, const struct dkmod_report_reason *reason)
{
	if (s->phase != SESSION_DONE)
		return DKMOD_ESTATE;
	if (reason && !dkmod_report_reason_valid(reason->type))
		return DKMOD_EINVAL;
	struct dkmod_ctx *ctx = s->ctx;
	const struct dmarc_verdict *v = s->auth.verdict;
	if (!ctx->opt.report.record || !v || !v->have_record || !report_mailto(&v->record) || !s->auth.client_ip ||
	    applied > DKMOD_APPLIED_REJECT)
		return DKMOD_OK; /* no report asked for (or no source address to report) */
	struct store *st = report_ctx_store(ctx);
	if (!st)
		return DKMOD_OK;
	struct str row = STR_INIT, policy = STR_INIT;
	long long now = (long long)session_now(ctx), len = report_interval(&ctx->opt.report);
	struct rptstore_item it = {now - now % len, now - now % len + len, v->record_domain, NULL, NULL, 1};
	struct rptstore_limits lim = report_limits(&ctx->opt.report);
	enum rptstore_added added;
	if (!report_row(s, applied, envelope_to, reason, &row) || !report_policy(v, &policy))
		session_log(ctx, DKMOD_LOG_WARNING, "report: %s: the message's row could not be made", v->record_domain);
	else if (it.row = row.data, it.policy = policy.data, rptstore_add(st, &it, &lim, &added) < 0)
		session_log(ctx, DKMOD_LOG_WARNING, "report: %s: not recorded (report store error)", v->record_domain);
	else if (added == RPTSTORE_FULL_FIRST)
		session_log(ctx, DKMOD_LOG_WARNING,
			    "report: %s: row limit reached (%zu per domain and period, %zu in all): messages that need "
			    "a new row are counted as not reported until the period ends",
			    v->record_domain, lim.max_rows, lim.max_total);
	str_free(&row);
	str_free(&policy);
	return DKMOD_OK;
}

/* dkmod_reports_open - the report store of a state directory */
enum dkmod_status dkmod_reports_open(const char *dir, const struct dkmod_report_options *o, dkmod_log_fn *log,
				     void *log_arg, struct dkmod_reports **out)
{
	struct dkmod_reports *r = calloc(1, sizeof *r);
	if (!r)
		return DKMOD_ENOMEM;
	r->opt = *o;
	if (!(r->st = report_open_store(dir, o, log, log_arg))) {
		free(r);
		return DKMOD_EIO;
	}
	*out = r;
	return DKMOD_OK;
}

/* dkmod_reports_close - close the store */
void dkmod_reports_close(struct dkmod_reports *r)
{
	if (!r)
		return;
	store_close(r->st);
	free(r);
}

/* A report being built. */
struct report_build {
	struct report_full *rep;
	struct rptxml_fields row;
};

/* report_add_row - one stored row into the XML */
static bool report_add_row(void *arg, const char *text, size_t len, unsigned long long count)
{
	struct report_build *b = arg;
	if (!rptxml_split(text, len, RPTXML_ROW_FIXED, &b->row) || !rptxml_row_valid(&b->row))
		return true; /* a row this version cannot read is left out */
	b->rep->pub.rows++;
	b->rep->pub.messages += count;
	return rptxml_record(&b->rep->xml, &b->row, count);
}

/* report_build - the report of group g */
static struct report_full *report_build(struct dkmod_reports *r, const struct rptstore_group *g,
					const struct dkmod_report_meta *m)
{
	struct report_full *rep = calloc(1, sizeof *rep);
	if (!rep)
		return NULL;
	rep->group = *g;
	rep->group.policy = (struct str)STR_INIT;
	snprintf(rep->report_id, sizeof rep->report_id, "%lld.%s@%s", g->begin, g->domain, m->submitter);
	if (!rptxml_split(g->policy.data ? g->policy.data : "", g->policy.len, RPTXML_POL_FIXED, &rep->policy)) {
		free(rep);
		return NULL;
	}
	rep->pub = (struct dkmod_report){.domain = rep->group.domain, .org_domain = rep->policy.v[RPTXML_POL_ORG],
					 .begin = g->begin, .end = g->end - 1, .report_id = rep->report_id,
					 .rua = rep->policy.v + RPTXML_POL_FIXED, .nrua = rep->policy.n - RPTXML_POL_FIXED};
	struct rptxml_head h = {m->org_name, m->email, m->extra_contact, rep->report_id, g->begin, g->end - 1,
				g->dropped, &rep->policy};
	struct report_build b = {.rep = rep};
	if (!rptxml_begin(&rep->xml, &h) || rptstore_rows(r->st, g, report_add_row, &b) < 0 || !rptxml_end(&rep->xml)) {
		dkmod_report_free(&rep->pub);
		return NULL;
	}
	rep->pub.xml = rep->xml.data;
	rep->pub.xml_len = rep->xml.len;
	return rep;
}

/* dkmod_reports_next - the next closed group as a report */
int dkmod_reports_next(struct dkmod_reports *r, long long now, const struct dkmod_report_meta *m,
		       struct dkmod_report **out)
{
	struct rptstore_group g = {.policy = STR_INIT};
	int found = rptstore_next(r->st, now, r->after, sizeof r->after, &g);
	if (found <= 0) {
		str_free(&g.policy);
		return found;
	}
	struct report_full *rep = report_build(r, &g, m);
	str_free(&g.policy);
	if (!rep)
		return -1;
	*out = &rep->pub;
	return 1;
}

/* dkmod_report_free - free a report */
void dkmod_report_free(struct dkmod_report *rep)
{
	if (!rep)
		return;
	struct report_full *f = (struct report_full *)rep; /* pub is the first member */
	str_free(&f->xml);
	free(f);
}

/* dkmod_reports_remove - remove the rows of a report that went out */
enum dkmod_status dkmod_reports_remove(struct dkmod_reports *r, const struct dkmod_report *rep)
{
	const struct report_full *f = (const struct report_full *)rep;
	return rptstore_remove(r->st, &f->group) == 0 ? DKMOD_OK : DKMOD_EIO;
}

/* dkmod_reports_sent - did dest take the report already */
int dkmod_reports_sent(struct dkmod_reports *r, const struct dkmod_report *rep, const char *dest)
{
	return rptstore_sent(r->st, &((const struct report_full *)rep)->group, dest);
}

/* dkmod_reports_mark_sent - dest took the report */
enum dkmod_status dkmod_reports_mark_sent(struct dkmod_reports *r, const struct dkmod_report *rep, const char *dest)
{
	return rptstore_mark_sent(r->st, &((const struct report_full *)rep)->group, dest) == 0 ? DKMOD_OK : DKMOD_EIO;
}
