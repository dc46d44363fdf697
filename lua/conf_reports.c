/*
 * conf_reports.c - dmarc_reports { record, interval, rows, store_mb, org_name, email,
 * submitter, sendmail, directory }: recording DMARC verdicts for aggregate reports (RFC 9990)
 * and what `dkmod report` puts in them and does with them.
 */
#include <string.h>

#include <lua.h>

#include "conf_read.h"

/* conf_reports_domain - a domain name as a report may name it (letters, digits, '-', '.') */
static bool conf_reports_domain(const char *s)
{
	return s[0] && strlen(s) <= 253 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") ==
						 strlen(s);
}

/* conf_reports_block - the dmarc_reports block */
void conf_reports_block(struct lua_State *L, struct conf_walk *w, const struct conf_block *b)
{
	static const struct conf_spec specs[] = {
		{"record", CONF_T_BOOL},       {"interval", CONF_T_INT},  {"rows", CONF_T_INT},
		{"store_mb", CONF_T_INT},      {"org_name", CONF_T_STRING}, {"email", CONF_T_STRING},
		{"submitter", CONF_T_STRING},  {"sendmail", CONF_T_STRING}, {"directory", CONF_T_STRING}};
	struct conf_val v[9];
	struct conf *c = w->conf;
	struct dkmod_report_options *o = &c->opt.report;
	if (!conf_read(L, w, b, specs, 9, v))
		return;
	if (v[0].set)
		o->record = v[0].b;
	if (v[1].set && (v[1].n < 3600 || v[1].n > 86400 || 86400 % (long)v[1].n))
		conf_error(w, v[1].line, "dmarc_reports: interval is a divisor of 86400 seconds, at least 3600");
	else if (v[1].set)
		o->interval = (unsigned)v[1].n;
	if (v[2].set && (v[2].n < 1 || v[2].n > 1000000))
		conf_error(w, v[2].line, "dmarc_reports: rows is 1 to 1000000 rows per domain and period");
	else if (v[2].set)
		o->max_rows = (size_t)v[2].n;
	if (v[3].set && (v[3].n < 1 || v[3].n > 65536))
		conf_error(w, v[3].line, "dmarc_reports: store_mb is 1 to 65536 MiB");
	else if (v[3].set)
		o->map_size = (size_t)v[3].n << 20;
	if (v[5].set && (!strchr(v[5].s, '@') || strcspn(v[5].s, " \t\r\n<>\"") != strlen(v[5].s)))
		conf_error(w, v[5].line, "dmarc_reports: email is an address, not '%s'", v[5].s);
	if (v[6].set && !conf_reports_domain(v[6].s))
		conf_error(w, v[6].line, "dmarc_reports: submitter is a domain name, not '%s'", v[6].s);
	if (v[4].set && strcspn(v[4].s, "\r\n") != strlen(v[4].s))
		conf_error(w, v[4].line, "dmarc_reports: org_name is one line");
	if (v[7].set && v[7].s[0] != '/')
		conf_error(w, v[7].line, "dmarc_reports: sendmail is an absolute path, not '%s'", v[7].s);
	const char **dst[] = {&c->reports.org_name, &c->reports.email, &c->reports.submitter, &c->reports.sendmail};
	for (int i = 0; i < 4; i++)
		if (v[4 + i].set && !(*dst[i] = conf_pool_strdup(c, v[4 + i].s)))
			w->oom = true;
	if (v[8].set)
		c->reports.directory = conf_val_path(w, &v[8]);
}
