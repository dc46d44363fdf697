/*
 * dkmod/report.h - DMARC aggregate reports (RFC 9990): recording, reading, export and
 * import, and the rua authorization.
 * Part of the public interface: included by dkmod.h, which programs include.
 */
#ifndef DKMOD_API_REPORT_H
#define DKMOD_API_REPORT_H

#ifndef DKMOD_H
#error "include dkmod.h, not dkmod/report.h"
#endif

/*
 * DMARC aggregate reports (RFC 9990).  A verifying session's DMARC verdict is recorded, with
 * what was done to the message, in the row of the report store that has the same source IP,
 * identifiers and results (a count per row), under the policy domain and the reporting period.
 */
/* What the receiver did with a message, as the report tells it. */
enum dkmod_report_applied {
	DKMOD_APPLIED_DELIVER = 0,   /* delivered (into the inbox) */
	DKMOD_APPLIED_QUARANTINE,    /* delivered to a quarantine or marked */
	DKMOD_APPLIED_REJECT         /* refused or discarded */
};
/* dkmod_session_report - after finish: record the message's DMARC verdict for the aggregate
 * report of its policy domain (envelope_to: the recipient's domain, or NULL).  Nothing is
 * recorded without report.record, a policy record or a mailto: rua= address in it.  Cheap (one
 * write transaction); a store failure or a full store is logged and is no error of the
 * message: DKMOD_OK then too.  DKMOD_ESTATE before finish. */
enum dkmod_status dkmod_session_report(struct dkmod_session *s, enum dkmod_report_applied applied,
				       const char *envelope_to);
/* A policy override reason (RFC 9990 policy_evaluated reason) the receiver's own policy gives. */
struct dkmod_report_reason {
	const char *type;            /* local_policy, mailing_list, other, policy_test_mode or
				      * trusted_forwarder (dkmod_report_reason_valid) */
	const char *comment;         /* free text or NULL; control and non-ASCII bytes become '?',
				      * cut at DKMOD_REPORT_COMMENT_MAX bytes */
};
#define DKMOD_REPORT_COMMENT_MAX 200
/* dkmod_report_reason_valid - type is an override type of RFC 9990 */
bool dkmod_report_reason_valid(const char *type);
/* dkmod_session_report_reason - dkmod_session_report with the receiver's reason, reported in
 * place of the engine's own (policy_test_mode, local_policy); reason NULL: the engine's.
 * DKMOD_EINVAL (nothing recorded) for a type that is not one of RFC 9990 */
enum dkmod_status dkmod_session_report_reason(struct dkmod_session *s, enum dkmod_report_applied applied,
					      const char *envelope_to, const struct dkmod_report_reason *reason);

/* Who sends the reports (report_metadata). */
struct dkmod_report_meta {
	const char *org_name;        /* the reporting organization */
	const char *email;           /* its contact address */
	const char *submitter;       /* its domain: Subject "Submitter:", the file name and report id */
	const char *extra_contact;   /* or NULL */
};

/* One report: the rows of one policy domain in one closed period. */
struct dkmod_report {
	const char *domain;          /* the policy domain */
	const char *org_domain;      /* its organizational domain (for the rua authorization) */
	long long begin, end;        /* the period as the report gives it: its first and its last
				      * second since the epoch (UTC) */
	const char *report_id;       /* "<begin>.<domain>@<submitter>" */
	const char *const *rua;      /* the rua= URIs as published, nrua of them */
	size_t nrua;
	const char *xml;             /* the RFC 9990 XML */
	size_t xml_len;
	unsigned long long messages; /* messages counted */
	size_t rows;
};

struct dkmod_reports;
/* dkmod_reports_open - the report store of the state directory dir (created if missing) */
enum dkmod_status dkmod_reports_open(const char *dir, const struct dkmod_report_options *o, dkmod_log_fn *log,
				     void *log_arg, struct dkmod_reports **out);
/* dkmod_reports_close - NULL is fine */
void dkmod_reports_close(struct dkmod_reports *r);
/* dkmod_reports_next - the next report of a period closed at now (in domain and period order,
 * after the one returned last); 1 with *out (freed by dkmod_report_free), 0 when there is none
 * left, -1 on a store error or out of memory */
int dkmod_reports_next(struct dkmod_reports *r, long long now, const struct dkmod_report_meta *m,
		       struct dkmod_report **out);
/* dkmod_report_free - NULL is fine */
void dkmod_report_free(struct dkmod_report *rep);
/* dkmod_reports_remove - the report was sent or written: its rows are removed */
enum dkmod_status dkmod_reports_remove(struct dkmod_reports *r, const struct dkmod_report *rep);
/* dkmod_reports_sent - 1 if destination dest (a rua= URI) took report rep already, in a run
 * that kept the report for another destination; 0 if not, -1 on a store error */
int dkmod_reports_sent(struct dkmod_reports *r, const struct dkmod_report *rep, const char *dest);
/* dkmod_reports_mark_sent - remember that dest took rep, until dkmod_reports_remove (at most
 * 16 destinations of up to 300 bytes per report: DKMOD_EIO past them or on a store error) */
enum dkmod_status dkmod_reports_mark_sent(struct dkmod_reports *r, const struct dkmod_report *rep, const char *dest);
/* dkmod_reports_export - write every period closed at now to f (a file: it is synced; a text
 * form that dkmod_reports_import reads on another host), then remove them from the store;
 * *periods gets the count.  DKMOD_EIO: the file is incomplete, and nothing was removed
 * (unless the removal itself failed part way: then what was removed is in the file) */
enum dkmod_status dkmod_reports_export(struct dkmod_reports *r, long long now, FILE *f, size_t *periods);
/* dkmod_reports_import - add the rows of an export to the store (counts of equal rows summed,
 * within the store's bounds); DKMOD_EINVAL with *why (a static text) and *line for a line that
 * is not of the form; nothing is added then */
enum dkmod_status dkmod_reports_import(struct dkmod_reports *r, FILE *f, const char **why, size_t *line);

/* dkmod_report_base64 - data in base64 (RFC 2045: lines of 76 characters, each ended by
 * "\n"), malloc'd and NUL-terminated; NULL when out of memory */
char *dkmod_report_base64(const void *data, size_t len);

/* The rua authorization of an external destination (RFC 9990 section 4). */
enum dkmod_rua_check {
	DKMOD_RUA_OK = 0,            /* send to *dest */
	DKMOD_RUA_UNAUTHORIZED,      /* no v=DMARC1 record at DOMAIN._report._dmarc.HOST (or a
				      * name too long, or an override to another host) */
	DKMOD_RUA_TEMPORARY,         /* the lookup failed: try again later */
	DKMOD_RUA_UNSUPPORTED        /* not a mailto: URI */
};
/* dkmod_report_rua - check rua= URI uri of report rep: a destination under the policy's
 * organizational domain is its own; another one needs the DNS authorization, asked through
 * a resolver made of ro.  *dest (cap bytes) gets the address to send to, *why the reason. */
enum dkmod_rua_check dkmod_report_rua(const struct dkmod_resolver_options *ro, const struct dkmod_report *rep,
				      const char *uri, char *dest, size_t cap, const char **why);

#endif
