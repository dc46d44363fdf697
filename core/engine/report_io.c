/*
 * report_io.c - aggregate report rows moved between hosts (dkmod_reports_export / _import: a
 * site with several MX hosts sends one report per domain and period), and the RFC 9990
 * authorization of an external rua= destination (dkmod_report_rua).
 *
 * The export is text, one line each:
 *   dkmod-dmarc-export 1
 *   G <TAB> BEGIN <TAB> END <TAB> DROPPED <TAB> DOMAIN <TAB> POLICY     (a group: period, domain)
 *   R <TAB> COUNT <TAB> ROW                                              (a row of the group above)
 * END is exclusive; POLICY and ROW are record/rptxml.h's tab-separated fields.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/report.h"
#include "record/base64.h"
#include "engine/session.h"

#define REPORT_IO_MAGIC "dkmod-dmarc-export 1"

/* report_io_row - one R line of the group being exported */
static bool report_io_row(void *arg, const char *row, size_t len, unsigned long long count)
{
	struct str *out = arg;
	return str_printf(out, "R\t%llu\t%.*s\n", count, (int)len, row) == 0;
}

/* report_io_group - one group (G line and its R lines) appended to text; false when out of
 * memory or on a store error */
static bool report_io_group(struct dkmod_reports *r, const struct rptstore_group *g, struct str *text)
{
	return str_printf(text, "G\t%lld\t%lld\t%llu\t%s\t%s\n", g->begin, g->end, g->dropped, g->domain,
			  str_cstr(&g->policy)) == 0 &&
	       rptstore_rows(r->st, g, report_io_row, text) == 0;
}

/* dkmod_reports_export - every closed group to f; only once all of it is written are the groups
 * removed from the store (a failed export removes nothing) */
enum dkmod_status dkmod_reports_export(struct dkmod_reports *r, long long now, FILE *f, size_t *periods)
{
	char after[STORE_MAX_KEY + 1] = "";
	struct rptstore_group g = {.policy = STR_INIT}, *done = NULL;
	struct str text = STR_INIT;
	size_t n = 0;
	int found = 0;
	bool ok = fprintf(f, "%s\n", REPORT_IO_MAGIC) > 0;
	*periods = 0;
	while (ok && (found = rptstore_next(r->st, now, after, sizeof after, &g)) == 1) {
		struct rptstore_group *more = realloc(done, (n + 1) * sizeof *done);
		str_clear(&text);
		ok = more && report_io_group(r, &g, &text) && fwrite(text.data, 1, text.len, f) == text.len;
		done = more ? more : done;
		if (ok)
			done[n] = g, done[n++].policy = (struct str)STR_INIT;
	}
	ok = ok && found == 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
	for (size_t i = 0; ok && i < n; i++)
		ok = rptstore_remove(r->st, &done[i]) == 0;
	*periods = ok ? n : 0;
	free(done);
	str_free(&text);
	str_free(&g.policy);
	return ok ? DKMOD_OK : DKMOD_EIO;
}

/* An import in progress. */
struct report_in {
	FILE *f;
	struct rptstore_limits lim;
	const char *why;
	size_t line;
	struct rptxml_fields fields;
	char domain[RPTSTORE_MAX_DOMAIN + 1];
	struct str policy;
	long long begin, end;
	bool have_group;
};

/* report_in_number - a whole decimal number >= 0 (at most 18 digits) */
static bool report_in_number(const char *s, long long *out)
{
	size_t n = strspn(s, "0123456789");
	if (!n || n > 18 || s[n])
		return false;
	*out = strtoll(s, NULL, 10);
	return true;
}

/* report_in_group - a G line: the group the R lines after it belong to */
static bool report_in_group(struct report_in *in, struct store_txn *t, const char *text, size_t len)
{
	const char *f[4];
	const char *p = text;
	long long dropped;
	for (int i = 0; i < 4; i++) {
		const char *tab = memchr(p, '\t', len - (size_t)(p - text));
		if (!tab)
			return (in->why = "a G line has BEGIN, END, DROPPED, DOMAIN and the policy"), false;
		f[i] = p;
		p = tab + 1;
	}
	char nums[3][24];
	for (int i = 0; i < 3; i++)
		snprintf(nums[i], sizeof nums[i], "%.*s", (int)(strchr(f[i], '\t') - f[i]), f[i]);
	size_t dlen = (size_t)(p - 1 - f[3]);
	if (!report_in_number(nums[0], &in->begin) || !report_in_number(nums[1], &in->end) ||
	    !report_in_number(nums[2], &dropped) || in->end <= in->begin)
		return (in->why = "a G line's BEGIN, END or DROPPED is not a number (END after BEGIN)"), false;
	static const char name_bytes[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_";
	size_t good = 0;
	while (good < dlen && f[3][good] && strchr(name_bytes, f[3][good]))
		good++;
	if (!dlen || dlen > RPTSTORE_MAX_DOMAIN || good != dlen)
		return (in->why = "a G line's DOMAIN is not a domain name"), false;
	memcpy(in->domain, f[3], dlen);
	in->domain[dlen] = '\0';
	if (!rptxml_split(p, len - (size_t)(p - text), RPTXML_POL_FIXED, &in->fields) ||
	    !rptxml_policy_valid(&in->fields))
		return (in->why = "a G line's policy is not one of an aggregate report"), false;
	str_clear(&in->policy);
	if (str_append(&in->policy, p, len - (size_t)(p - text)) < 0)
		return (in->why = "out of memory"), false;
	in->have_group = true;
	struct rptstore_item it = {in->begin, in->end, in->domain, in->policy.data, NULL, (unsigned long long)dropped};
	enum rptstore_added added;
	return !dropped || rptstore_add_txn(t, &it, &in->lim, &added) == 0 || ((in->why = "report store error"), false);
}

/* report_in_row - an R line, counted into the group above it */
static bool report_in_row(struct report_in *in, struct store_txn *t, const char *text, size_t len)
{
	const char *tab = memchr(text, '\t', len);
	char num[24];
	long long count;
	if (!in->have_group)
		return (in->why = "an R line before any G line"), false;
	if (!tab || (size_t)(tab - text) >= sizeof num)
		return (in->why = "an R line has COUNT and the row"), false;
	snprintf(num, sizeof num, "%.*s", (int)(tab - text), text);
	if (!report_in_number(num, &count) || !count)
		return (in->why = "an R line's COUNT is not a number above 0"), false;
	size_t rlen = len - (size_t)(tab + 1 - text);
	if (!rptxml_split(tab + 1, rlen, RPTXML_ROW_FIXED, &in->fields) || !rptxml_row_valid(&in->fields))
		return (in->why = "an R line's row is not one of an aggregate report"), false;
	char row[RPTXML_MAX_TEXT + 1];
	memcpy(row, tab + 1, rlen);
	row[rlen] = '\0';
	struct rptstore_item it = {in->begin, in->end, in->domain, in->policy.data, row, (unsigned long long)count};
	enum rptstore_added added;
	return rptstore_add_txn(t, &it, &in->lim, &added) == 0 || ((in->why = "report store error"), false);
}

/* report_in_fn - the whole import in one write transaction (aborted by a bad line) */
static int report_in_fn(void *arg, struct store_txn *t)
{
	struct report_in *in = arg;
	char buf[RPTXML_MAX_TEXT + 128];
	in->line = 0;
	in->have_group = false;
	rewind(in->f); /* a second run (the store cleared a full map) reads it again */
	while (fgets(buf, sizeof buf, in->f)) {
		size_t len = strlen(buf);
		in->line++;
		if (!len || buf[len - 1] != '\n')
			return (in->why = "line too long or not ended"), -1;
		buf[--len] = '\0';
		bool ok = in->line == 1 ? strcmp(buf, REPORT_IO_MAGIC) == 0 || ((in->why = "not a dkmod export"), false)
			: strncmp(buf, "G\t", 2) == 0 ? report_in_group(in, t, buf + 2, len - 2)
			: strncmp(buf, "R\t", 2) == 0 ? report_in_row(in, t, buf + 2, len - 2)
			: ((in->why = "a line is neither G nor R"), false);
		if (!ok)
			return -1;
	}
	if (ferror(in->f) || !in->line)
		return (in->why = in->line ? "read error" : "empty file"), -1;
	return 0;
}

/* dkmod_reports_import - an export's rows into the store, all or none */
enum dkmod_status dkmod_reports_import(struct dkmod_reports *r, FILE *f, const char **why, size_t *line)
{
	struct report_in *in = calloc(1, sizeof *in);
	if (!in)
		return DKMOD_ENOMEM;
	*in = (struct report_in){.f = f, .lim = report_limits(&r->opt), .why = "", .policy = STR_INIT};
	int rc = store_write(r->st, report_in_fn, in);
	*why = in->why[0] ? in->why : "report store error";
	*line = in->line;
	str_free(&in->policy);
	free(in);
	return rc == 0 ? DKMOD_OK : DKMOD_EINVAL;
}

/* The answer of the authorization lookup. */
struct report_rua_answer {
	enum dns_rcode rcode;
	bool authorized;
	char override[DMARCREC_MAX_URI]; /* the first rua= of the authorizing record, "" if none */
};

/* report_rua_cb - the TXT records at DOMAIN._report._dmarc.HOST */
static void report_rua_cb(void *arg, const struct dns_result *res)
{
	struct report_rua_answer *a = arg;
	a->rcode = res->rcode;
	for (size_t i = 0; res->rcode == DNS_ANSWER && i < res->count && !a->authorized; i++) {
		struct dmarcrec rec;
		if (!dmarcrec_is_dmarc(res->records[i], res->lengths[i]))
			continue;
		a->authorized = true;
		if (dmarcrec_parse(res->records[i], res->lengths[i], &rec) == DMARCREC_OK && rec.nrua)
			snprintf(a->override, sizeof a->override, "%s", rec.rua[0]);
	}
}

/* report_rua_host - the address of a mailto: URI (cap bytes) and its host; false if none */
static bool report_rua_host(const char *uri, char *addr, size_t cap, const char **host)
{
	if (strncasecmp(uri, "mailto:", 7) != 0)
		return false;
	size_t n = strcspn(uri + 7, "?!,");
	if (n >= cap)
		return false;
	memcpy(addr, uri + 7, n);
	addr[n] = '\0';
	const char *at = strrchr(addr, '@');
	if (!at || at == addr || !at[1])
		return false;
	for (char *p = (char *)at + 1; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	*host = at + 1;
	return true;
}

/* report_rua_internal - host is the organizational domain or below it */
static bool report_rua_internal(const char *host, const char *org)
{
	size_t h = strlen(host), o = strlen(org);
	return o && (strcasecmp(host, org) == 0 || (h > o && host[h - o - 1] == '.' && strcasecmp(host + h - o, org) == 0));
}

/* dkmod_report_rua - may the report go to uri, and to which address */
enum dkmod_rua_check dkmod_report_rua(const struct dkmod_resolver_options *ro, const struct dkmod_report *rep,
				      const char *uri, char *dest, size_t cap, const char **why)
{
	const char *host;
	if (!report_rua_host(uri, dest, cap, &host))
		return (*why = "not a mailto: address"), DKMOD_RUA_UNSUPPORTED;
	if (report_rua_internal(host, rep->org_domain))
		return (*why = "the domain's own"), DKMOD_RUA_OK;
	char name[600];
	int n = snprintf(name, sizeof name, "%s._report._dmarc.%s", rep->domain, host);
	if (n < 0 || n > 253)
		return (*why = "the authorization name is too long for DNS"), DKMOD_RUA_UNAUTHORIZED;
	const char *dwhy = "";
	struct dns *d = dns_new(ro, &dwhy);
	if (!d)
		return (*why = "no resolver"), DKMOD_RUA_TEMPORARY;
	struct report_rua_answer a = {.rcode = DNS_ERROR};
	if (dns_query(d, name, DNS_TYPE_TXT, report_rua_cb, &a) == 0)
		dns_wait(d, dns_now_ms() + (ro->timeout_ms ? ro->timeout_ms : 5000));
	dns_free(d);
	if (dns_rcode_temporary(a.rcode))
		return (*why = "the authorization lookup failed"), DKMOD_RUA_TEMPORARY;
	if (!a.authorized)
		return (*why = "no v=DMARC1 record at DOMAIN._report._dmarc.HOST"), DKMOD_RUA_UNAUTHORIZED;
	if (!a.override[0])
		return (*why = "authorized by the destination"), DKMOD_RUA_OK;
	char addr[DMARCREC_MAX_URI];
	const char *ohost;
	if (!report_rua_host(a.override, addr, sizeof addr, &ohost) || strcasecmp(ohost, host) != 0)
		return (*why = "the authorization names another host"), DKMOD_RUA_UNAUTHORIZED;
	snprintf(dest, cap, "%s", addr);
	return (*why = "authorized by the destination, its rua= address"), DKMOD_RUA_OK;
}

/* dkmod_report_base64 - base64 in lines of 76 characters */
char *dkmod_report_base64(const void *data, size_t len)
{
	size_t n = base64_encoded_len(len);
	char *flat = malloc(n + 1), *out = malloc(n + n / 76 + 2);
	if (!flat || !out) {
		free(flat);
		free(out);
		return NULL;
	}
	base64_encode(data, len, flat);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 76) {
		size_t k = n - i < 76 ? n - i : 76;
		memcpy(out + o, flat + i, k);
		o += k;
		out[o++] = '\n';
	}
	out[o] = '\0';
	free(flat);
	return out;
}
