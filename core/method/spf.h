/*
 * spf.h - SPF check_host() (RFC 7208 4 to 6 and 8) on the asynchronous
 * resolver of dns/dns.h.
 *
 * spf_start starts the first lookup and returns at once; every further step
 * runs from the resolver's callbacks, so a check proceeds while the message's
 * other lookups are outstanding and ends when the message's dns_wait returns
 * (a query the deadline cut gives temperror).  spf_result then reads the
 * verdict.  A check makes at most SPF_MAX_DNS_TERMS DNS-querying terms and
 * SPF_MAX_VOID void lookups (permerror past them), at most 10 MX and 10 PTR
 * names per term, and nests at most SPF_MAX_DNS_TERMS + 1 records deep.
 */
#ifndef DKMOD_SPF_H
#define DKMOD_SPF_H

#include <stdbool.h>

#include "dns/dns.h"
#include "record/spfrec.h"

#define SPF_MAX_DNS_TERMS 10   /* include a mx ptr exists redirect (RFC 7208 4.6.4) */
#define SPF_MAX_VOID 2         /* lookups answered NXDOMAIN or with no records */
#define SPF_MAX_NAMES 10       /* MX names per mx, PTR names per ptr */

/* Which identity is checked (RFC 7208 2.3 and 2.4). */
enum spf_scope { SPF_SCOPE_MAILFROM = 0, SPF_SCOPE_HELO };

/* What to check.  mail_from is the reverse-path without <>; "" (or NULL) means the
 * null reverse-path, checked as postmaster@helo. */
struct spf_request {
	enum spf_scope scope;
	const char *ip;            /* client address, IPv4 or IPv6 text */
	const char *helo;          /* HELO/EHLO name */
	const char *mail_from;
	const char *receiver;      /* r macro: this host's name; NULL: "unknown" */
	long long now;             /* t macro: seconds since the epoch */
};

/* The verdict. */
struct spf_outcome {
	enum dkmod_spf_result result;
	enum spf_scope scope;
	const char *identity;      /* the checked sender: local@domain, postmaster@helo, or the
				    * HELO; control and non-ASCII bytes shown as '?' */
	const char *domain;        /* the domain whose record was checked first */
	const char *explanation;   /* the exp= text for fail, "" if none */
	const char *reason;        /* why: the mechanism matched, or the error */
	unsigned dns_terms;        /* DNS-querying terms evaluated */
	unsigned void_lookups;
};

struct spf_check;

/* spf_start - start a check on resolver d; NULL if out of memory or the client IP
 * is not an address (*why says so).  Lookups run from d's dns_wait. */
struct spf_check *spf_start(struct dns *d, const struct spf_request *req, const char **why);
/* spf_done - whether the check has its verdict */
bool spf_done(const struct spf_check *c);
/* spf_result - the verdict (temperror if the check is not done); strings live as long as c */
void spf_result(const struct spf_check *c, struct spf_outcome *out);
/* spf_answer - the outcome of c in the public form (spfcheck.c) */
void spf_answer(const struct spf_check *c, struct dkmod_spf_answer *a);
/* spfkept_parse - record which of TXT answer r parsed into rec (spfrec_parse), the parse
 * kept with the memo's answer when there is one, else parsed and kept (spfkept.c); why: not NULL */
bool spfkept_parse(const struct dns_result *r, size_t which, struct spfrec *rec, const char **why);
/* spf_free - free a check; with queries still outstanding it is freed when the last one ends */
void spf_free(struct spf_check *c);

#endif
