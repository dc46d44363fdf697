/*
 * rptxml.c - DMARC aggregate report rows as text and as RFC 9990 XML (the schema of
 * draft-ietf-dmarc-aggregate-reporting-32, namespace urn:ietf:params:xml:ns:dmarc-2.0).
 */
#include <stdio.h>
#include <string.h>

#include "record/rptxml.h"

/* rptxml_join - the values joined by tabs, each byte outside printable ASCII made '?' */
bool rptxml_join(struct str *out, const char *const *v, size_t n)
{
	str_clear(out);
	for (size_t i = 0; i < n; i++) {
		if (i && str_appendc(out, '\t') < 0)
			return false;
		for (const unsigned char *p = (const unsigned char *)(v[i] ? v[i] : ""); *p; p++)
			if (str_appendc(out, *p >= 0x20 && *p < 0x7f ? (char)*p : '?') < 0)
				return false;
	}
	return out->len <= RPTXML_MAX_TEXT;
}

/* rptxml_split - the fields of text, copied into f->buf */
bool rptxml_split(const char *text, size_t len, size_t min, struct rptxml_fields *f)
{
	if (len > RPTXML_MAX_TEXT)
		return false;
	memcpy(f->buf, text, len);
	f->buf[len] = '\0';
	f->n = 0;
	for (char *p = f->buf;; p++) {
		if (f->n == RPTXML_MAX_FIELDS)
			return false;
		f->v[f->n++] = p;
		if (!(p = strchr(p, '\t')))
			break;
		*p = '\0';
	}
	return f->n >= min;
}

/* rptxml_one_of - s is one of the words of the NULL-terminated list */
static bool rptxml_one_of(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

/* rptxml_reason_valid - one of RFC 9990's PolicyOverrideType */
bool rptxml_reason_valid(const char *type, size_t len)
{
	static const char *const reason[] = {"local_policy", "mailing_list", "other", "policy_test_mode",
					     "trusted_forwarder", NULL};
	for (const char *const *w = reason; *w; w++)
		if (strlen(*w) == len && memcmp(type, *w, len) == 0)
			return true;
	return false;
}

/* rptxml_row_valid - the words of a row are the schema's, its DKIM fields come in threes */
bool rptxml_row_valid(const struct rptxml_fields *row)
{
	static const char *const disp[] = {"none", "pass", "quarantine", "reject", NULL};
	static const char *const aligned[] = {"pass", "fail", NULL};
	static const char *const scope[] = {"", "mfrom", NULL};
	static const char *const spf[] = {"none", "pass", "fail", "softfail", "policy", "neutral", "temperror",
					  "permerror", NULL};
	static const char *const dkim[] = {"none", "pass", "fail", "policy", "neutral", "temperror", "permerror", NULL};
	if (row->n < RPTXML_ROW_FIXED || (row->n - RPTXML_ROW_FIXED) % 3 || !row->v[RPTXML_IP][0] ||
	    !row->v[RPTXML_HEADER_FROM][0] || !rptxml_one_of(row->v[RPTXML_DISPOSITION], disp) ||
	    !rptxml_one_of(row->v[RPTXML_DKIM], aligned) || !rptxml_one_of(row->v[RPTXML_SPF], aligned) ||
	    (row->v[RPTXML_REASON][0] &&
	     !rptxml_reason_valid(row->v[RPTXML_REASON], strcspn(row->v[RPTXML_REASON], " "))) ||
	    !rptxml_one_of(row->v[RPTXML_SPF_SCOPE], scope))
		return false;
	if (row->v[RPTXML_SPF_DOMAIN][0] && !rptxml_one_of(row->v[RPTXML_SPF_RESULT], spf))
		return false;
	for (size_t i = RPTXML_ROW_FIXED; i < row->n; i += 3)
		if (!row->v[i][0] || !row->v[i + 1][0] || !rptxml_one_of(row->v[i + 2], dkim))
			return false;
	return true;
}

/* rptxml_policy_valid - the words of a split policy are the schema's */
bool rptxml_policy_valid(const struct rptxml_fields *pol)
{
	static const char *const disp[] = {"none", "quarantine", "reject", NULL};
	static const char *const opt_disp[] = {"", "none", "quarantine", "reject", NULL};
	static const char *const align[] = {"r", "s", NULL};
	static const char *const yn[] = {"y", "n", NULL};
	return pol->n >= RPTXML_POL_FIXED && pol->v[RPTXML_POL_DOMAIN][0] && rptxml_one_of(pol->v[RPTXML_POL_P], disp) &&
	       rptxml_one_of(pol->v[RPTXML_POL_SP], opt_disp) && rptxml_one_of(pol->v[RPTXML_POL_NP], opt_disp) &&
	       rptxml_one_of(pol->v[RPTXML_POL_ADKIM], align) && rptxml_one_of(pol->v[RPTXML_POL_ASPF], align) &&
	       rptxml_one_of(pol->v[RPTXML_POL_TESTING], yn);
}

/* rptxml_text - s with &, <, > and " escaped */
static bool rptxml_text(struct str *out, const char *s)
{
	for (; *s; s++) {
		const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '"' ? "&quot;" : NULL;
		if (e ? str_appends(out, e) < 0 : str_appendc(out, *s) < 0)
			return false;
	}
	return true;
}

/* rptxml_elem - <name>value</name> on a line at depth (two spaces a level); nothing when value
 * is "" and the element is optional */
static bool rptxml_elem(struct str *out, unsigned depth, const char *name, const char *value, bool optional)
{
	if (optional && !value[0])
		return true;
	return str_printf(out, "%*s<%s>", (int)depth * 2, "", name) >= 0 && rptxml_text(out, value) &&
	       str_printf(out, "</%s>\n", name) >= 0;
}

/* rptxml_begin - the declaration, the report metadata and the published policy */
bool rptxml_begin(struct str *out, const struct rptxml_head *h)
{
	const char *const *pol = h->policy->v;
	char range[64], error[96];
	snprintf(range, sizeof range, "%lld", h->begin);
	snprintf(error, sizeof error, "%llu messages not reported: row limit reached", h->dropped);
	bool ok = str_appends(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				   "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">\n"
				   "  <version>1.0</version>\n  <report_metadata>\n") >= 0 &&
		  rptxml_elem(out, 2, "org_name", h->org_name, false) && rptxml_elem(out, 2, "email", h->email, false) &&
		  rptxml_elem(out, 2, "extra_contact_info", h->extra_contact ? h->extra_contact : "", true) &&
		  rptxml_elem(out, 2, "report_id", h->report_id, false) &&
		  str_appends(out, "    <date_range>\n") >= 0 && rptxml_elem(out, 3, "begin", range, false);
	snprintf(range, sizeof range, "%lld", h->end);
	ok = ok && rptxml_elem(out, 3, "end", range, false) && str_appends(out, "    </date_range>\n") >= 0 &&
	     rptxml_elem(out, 2, "error", h->dropped ? error : "", true) &&
	     rptxml_elem(out, 2, "generator", "dkmod", false) &&
	     str_appends(out, "  </report_metadata>\n  <policy_published>\n") >= 0 &&
	     rptxml_elem(out, 2, "domain", pol[RPTXML_POL_DOMAIN], false) && rptxml_elem(out, 2, "p", pol[RPTXML_POL_P], false) &&
	     rptxml_elem(out, 2, "sp", pol[RPTXML_POL_SP], true) && rptxml_elem(out, 2, "np", pol[RPTXML_POL_NP], true) &&
	     rptxml_elem(out, 2, "adkim", pol[RPTXML_POL_ADKIM], true) &&
	     rptxml_elem(out, 2, "aspf", pol[RPTXML_POL_ASPF], true) &&
	     rptxml_elem(out, 2, "discovery_method", "treewalk", false) &&
	     rptxml_elem(out, 2, "fo", pol[RPTXML_POL_FO], true) &&
	     rptxml_elem(out, 2, "testing", pol[RPTXML_POL_TESTING], true) &&
	     str_appends(out, "  </policy_published>\n") >= 0;
	return ok;
}

/* rptxml_record - row, identifiers and auth_results of one row */
bool rptxml_record(struct str *out, const struct rptxml_fields *row, unsigned long long count)
{
	const char *const *v = row->v;
	char n[32];
	snprintf(n, sizeof n, "%llu", count);
	bool ok = str_appends(out, "  <record>\n    <row>\n") >= 0 && rptxml_elem(out, 3, "source_ip", v[RPTXML_IP], false) &&
		  rptxml_elem(out, 3, "count", n, false) && str_appends(out, "      <policy_evaluated>\n") >= 0 &&
		  rptxml_elem(out, 4, "disposition", v[RPTXML_DISPOSITION], false) &&
		  rptxml_elem(out, 4, "dkim", v[RPTXML_DKIM], false) && rptxml_elem(out, 4, "spf", v[RPTXML_SPF], false);
	if (ok && v[RPTXML_REASON][0]) {
		char type[32];
		size_t tlen = strcspn(v[RPTXML_REASON], " ");
		snprintf(type, sizeof type, "%.*s", (int)tlen, v[RPTXML_REASON]);
		const char *comment = v[RPTXML_REASON][tlen] ? v[RPTXML_REASON] + tlen + 1 : "";
		ok = str_appends(out, "        <reason>\n") >= 0 && rptxml_elem(out, 5, "type", type, false) &&
		     rptxml_elem(out, 5, "comment", comment, true) && str_appends(out, "        </reason>\n") >= 0;
	}
	ok = ok && str_appends(out, "      </policy_evaluated>\n    </row>\n    <identifiers>\n") >= 0 &&
	     rptxml_elem(out, 3, "header_from", v[RPTXML_HEADER_FROM], false) &&
	     rptxml_elem(out, 3, "envelope_from", v[RPTXML_ENV_FROM], true) &&
	     rptxml_elem(out, 3, "envelope_to", v[RPTXML_ENV_TO], true) &&
	     str_appends(out, "    </identifiers>\n    <auth_results>\n") >= 0;
	for (size_t i = RPTXML_ROW_FIXED; ok && i + 2 < row->n; i += 3)
		ok = str_appends(out, "      <dkim>\n") >= 0 && rptxml_elem(out, 4, "domain", v[i], false) &&
		     rptxml_elem(out, 4, "selector", v[i + 1], false) && rptxml_elem(out, 4, "result", v[i + 2], false) &&
		     str_appends(out, "      </dkim>\n") >= 0;
	if (ok && v[RPTXML_SPF_DOMAIN][0])
		ok = str_appends(out, "      <spf>\n") >= 0 && rptxml_elem(out, 4, "domain", v[RPTXML_SPF_DOMAIN], false) &&
		     rptxml_elem(out, 4, "scope", v[RPTXML_SPF_SCOPE], true) &&
		     rptxml_elem(out, 4, "result", v[RPTXML_SPF_RESULT], false) && str_appends(out, "      </spf>\n") >= 0;
	return ok && str_appends(out, "    </auth_results>\n  </record>\n") >= 0;
}

/* rptxml_end - the closing tag */
bool rptxml_end(struct str *out)
{
	return str_appends(out, "</feedback>\n") >= 0;
}
