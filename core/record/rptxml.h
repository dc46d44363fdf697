/*
 * rptxml.h - the rows and published policies of DMARC aggregate reports (RFC 9990): as
 * tab-separated text (what the report store keeps and exports, one row a line) and as the
 * report's XML.
 *
 * A row: the fields of enum rptxml_row in order, then each DKIM signature as three fields
 * (domain, selector, result).  A policy: the fields of enum rptxml_pol in order, then each
 * rua= URI.  Values are sanitized when joined: a tab, a control character or a byte outside
 * ASCII becomes '?', so that a value never ends a field or a line.
 */
#ifndef DKMOD_RPTXML_H
#define DKMOD_RPTXML_H

#include <stdbool.h>
#include <stddef.h>

#include "util/str.h"

/* The fixed fields of a row. */
enum rptxml_row {
	RPTXML_IP = 0,        /* source_ip */
	RPTXML_HEADER_FROM,   /* the Author Domain */
	RPTXML_ENV_FROM,      /* MAIL FROM's domain, "" unknown */
	RPTXML_ENV_TO,        /* the recipient's domain, "" unknown */
	RPTXML_DISPOSITION,   /* none, pass, quarantine, reject */
	RPTXML_DKIM,          /* DMARC-aligned DKIM: pass or fail */
	RPTXML_SPF,           /* DMARC-aligned SPF: pass or fail */
	RPTXML_REASON,        /* a policy override type, or "", or "TYPE COMMENT" (the comment after
	                       * the first space) */
	RPTXML_SPF_DOMAIN,    /* the SPF result: domain ("" when SPF was not checked) */
	RPTXML_SPF_SCOPE,     /* "mfrom", or "" for the HELO identity */
	RPTXML_SPF_RESULT,
	RPTXML_ROW_FIXED
};

/* The fixed fields of a published policy. */
enum rptxml_pol {
	RPTXML_POL_DOMAIN = 0, /* where the record was found */
	RPTXML_POL_ORG,        /* its organizational domain */
	RPTXML_POL_P, RPTXML_POL_SP, RPTXML_POL_NP,
	RPTXML_POL_ADKIM, RPTXML_POL_ASPF,
	RPTXML_POL_TESTING,    /* y or n */
	RPTXML_POL_FO,
	RPTXML_POL_FIXED
};

#define RPTXML_MAX_DKIM 8        /* signatures kept in a row */
#define RPTXML_MAX_RUA 4
#define RPTXML_MAX_FIELDS (RPTXML_ROW_FIXED + 3 * RPTXML_MAX_DKIM)
#define RPTXML_MAX_TEXT 2048     /* longest row or policy text */

/* A row or policy split into its fields (pointing into buf). */
struct rptxml_fields {
	const char *v[RPTXML_MAX_FIELDS];
	size_t n;
	char buf[RPTXML_MAX_TEXT + 1];
};

/* rptxml_join - the n values joined by tabs, sanitized, into out (cleared first); false when
 * out of memory or longer than RPTXML_MAX_TEXT */
bool rptxml_join(struct str *out, const char *const *v, size_t n);
/* rptxml_split - text split at its tabs; false when longer than RPTXML_MAX_TEXT, with more
 * than RPTXML_MAX_FIELDS fields or fewer than min */
bool rptxml_split(const char *text, size_t len, size_t min, struct rptxml_fields *f);
/* rptxml_row_valid - a split row whose words are those of the schema (an import is checked) */
bool rptxml_row_valid(const struct rptxml_fields *row);

/* rptxml_reason_valid - an override type of RFC 9990, the first len bytes of type */
bool rptxml_reason_valid(const char *type, size_t len);

/* rptxml_policy_valid - a split policy whose words are those of the schema */
bool rptxml_policy_valid(const struct rptxml_fields *pol);

/* What a report is about. */
struct rptxml_head {
	const char *org_name, *email, *extra_contact, *report_id;
	long long begin, end;
	unsigned long long dropped; /* messages that found no row (the bound): told in <error> */
	const struct rptxml_fields *policy;
};

/* rptxml_begin - the XML declaration, report_metadata and policy_published into out */
bool rptxml_begin(struct str *out, const struct rptxml_head *h);
/* rptxml_record - one record: a row and its count */
bool rptxml_record(struct str *out, const struct rptxml_fields *row, unsigned long long count);
/* rptxml_end - the closing tag */
bool rptxml_end(struct str *out);

#endif
