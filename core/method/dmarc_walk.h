/*
 * dmarc_walk.h - the inside of a DMARC evaluation, shared by dmarc.c (the
 * lookups) and dmarc_verdict.c (what they mean).  Not for other files: they
 * use method/dmarc.h.
 */
#ifndef DKMOD_DMARC_WALK_H
#define DKMOD_DMARC_WALK_H

#include "method/dmarc.h"
#include "util/str.h"

#define DMARC_MAX_QNAME 253   /* the longest name DNS holds, in text without the final dot */

enum dmarc_state { DMARC_UNASKED = 0, DMARC_ASKED, DMARC_ANSWERED };

/* What one _dmarc name held. */
enum dmarc_found {
	DMARC_FOUND_NOTHING = 0, /* NXDOMAIN, NODATA, no DMARC record, or several (all discarded) */
	DMARC_FOUND_RECORD,      /* exactly one DMARC record, usable */
	DMARC_FOUND_BAD,         /* exactly one DMARC record, unusable (status says why) */
	DMARC_FOUND_TEMP         /* SERVFAIL, time-out or local failure */
};

/* One TXT lookup at _dmarc.<domain>. */
struct dmarc_name {
	struct dmarc *m;
	char domain[DMARC_MAX_DOMAIN];
	enum dmarc_state state;
	enum dmarc_found found;
	enum dmarcrec_status status;
	struct dmarcrec *rec;    /* when DMARC_FOUND_RECORD */
	unsigned round;
};

/* The existence lookup of the Author Domain (RFC 9989 3.2.13: non-existent means NXDOMAIN, as
 * RFC 8020 says; any type will do, MX is asked). */
struct dmarc_exists {
	struct dmarc *m;
	enum dmarc_state state;
	enum dns_rcode rcode;
	unsigned round;
};

/* An identifier whose alignment is asked about (a d= or the SPF domain), in lower case. */
struct dmarc_id {
	char domain[DMARC_MAX_DOMAIN];
	bool expected;           /* dmarc_expect */
	bool dkim, dkim_pass, dkim_temp;
	unsigned dkim_order;     /* 1 for the first passing d= given, ...; 0 if none passed */
	bool spf, spf_pass, spf_temp;
};

struct dmarc {
	struct arena *arena;
	struct dns *dns;
	enum dmarc_author author;
	size_t mailboxes;
	size_t nnames;
	struct dmarc_exists exists;
	size_t nids;
	unsigned dkim_passes;
	bool have_outcomes;
	bool overflow;           /* a limit stopped a lookup or an identifier */
	size_t pending;
	unsigned queries, rounds;
	size_t author_nlevels;   /* the Author Domain's walk: 0 until it is asked (then author_levels) */
	bool org_known;          /* the Author Domain's organizational domain is org (final once known) */
	const struct dmarc_name *org_psd; /* and the psd=y record that made it, or NULL */
	/* from here on not cleared by dmarc_begin (19 KB): an entry is set when it is added */
	char author_domain[DMARC_MAX_DOMAIN];
	const char *author_levels[DMARC_MAX_WALK]; /* dmarc_levels of author_domain (pointers into it) */
	char org[DMARC_MAX_DOMAIN];
	struct dmarc_name names[DMARC_MAX_NAMES];
	struct dmarc_id ids[DMARC_MAX_IDENTIFIERS];
};

/* What a walk's answers tell so far. */
enum dmarc_walk { DMARC_WALK_KNOWN = 0, DMARC_WALK_PENDING, DMARC_WALK_TEMP };

/* dmarc_lower - copy a domain in lower case; false when it is not a DNS name or too long */
bool dmarc_lower(char out[DMARC_MAX_DOMAIN], const char *s);
/* dmarc_labels - the number of labels of a domain */
size_t dmarc_labels(const char *d);
/* dmarc_suffix - the last k labels of a domain (a pointer into it) */
const char *dmarc_suffix(const char *d, size_t k);
/* dmarc_levels - the names a walk from d asks, in order (pointers into d); how many */
size_t dmarc_levels(const char *d, const char *levels[DMARC_MAX_WALK]);
/* dmarc_name_find - the lookup of _dmarc.<domain>, or NULL */
const struct dmarc_name *dmarc_name_find(const struct dmarc *m, const char *domain);
/* dmarc_policy_record - the policy record (RFC 9989 4.10.1): the Author Domain's, else its
 * organizational domain's, else its PSD's (*pol NULL when none); KNOWN, or PENDING/TEMP when an
 * answer it depends on is missing or failed */
enum dmarc_walk dmarc_policy_record(const struct dmarc *m, const struct dmarc_name **pol);
/* dmarc_org - the organizational domain of domain from its walk's answers (RFC 9989 4.10.2),
 * and in *psd (if not NULL) the psd=y record that made it, or NULL */
enum dmarc_walk dmarc_org(const struct dmarc *m, const char *domain, char org[DMARC_MAX_DOMAIN],
			  const struct dmarc_name **psd);
/* dmarc_author_org - dmarc_org of the Author Domain, from what dmarc.c kept once it was known */
enum dmarc_walk dmarc_author_org(const struct dmarc *m, char org[DMARC_MAX_DOMAIN], const struct dmarc_name **psd);

#endif
