/*
 * dmarc.h - DMARC evaluation (RFC 9989): the Author Domain from the From
 * field, the DNS tree walk for the policy record and the organizational
 * domains, identifier alignment of the DKIM and SPF outcomes, the policy to
 * apply (p, sp, np; t=y) and the result.
 *
 * The rules are RFC 9989's, read in its last draft (draft-ietf-dmarc-dmarcbis-41).
 *
 * It runs on the asynchronous resolver (dns/dns.h) beside the DKIM key
 * lookups, as a state machine driven by its own DNS callbacks:
 *   dmarc_begin()     at the end of the headers: the From fields in, round 1 out
 *                     (every level of the Author Domain's walk, at once);
 *   dmarc_expect()    any time: an identifier that may pass (a signature's d=, the
 *                     SPF domain), so that its organizational domain is looked up early;
 *   ...               each answer may start the next round from its callback
 *                     (existence of the Author Domain, walks of identifiers below
 *                     the organizational domain); dns_wait() processes them all;
 *   dmarc_outcomes()  when DKIM and SPF are known: starts what they still need;
 *   dmarc_verdict()   after dns_wait(): the result.
 * Every query is answered by dns_wait (or the deadline, as DNS_TIMEOUT), so the
 * caller keeps the struct dmarc alive until dns_wait has returned with none pending.
 * The caller passes every From field (a header cut at the limits still has as
 * many as fieldscan counted); the lookups go to dns.h directly, not through
 * the shared cache (keycache.c), and a DNSSEC-bogus answer is what dns.h makes
 * of it.  A U-label Author Domain is not converted to A-labels (no pass).
 */
#ifndef DKMOD_DMARC_H
#define DKMOD_DMARC_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/dns.h"
#include "msg/address.h"
#include "record/dmarcrec.h"
#include "util/arena.h"

#define DMARC_MAX_DOMAIN 256      /* a domain name and its NUL */
#define DMARC_MAX_WALK 8          /* RFC 9989: no walk takes more than 8 queries */
#define DMARC_MAX_IDENTIFIERS 16  /* distinct DKIM/SPF domains whose walks are made */
#define DMARC_MAX_NAMES 48        /* distinct _dmarc names looked up per message */

/* What the From fields gave. */
enum dmarc_author {
	DMARC_AUTHOR_OK = 0,
	DMARC_AUTHOR_NO_FROM,          /* no From field */
	DMARC_AUTHOR_SEVERAL_FROM,     /* more than one From field */
	DMARC_AUTHOR_SEVERAL_DOMAINS,  /* one From field, mailboxes of more than one domain */
	DMARC_AUTHOR_BAD_ADDRESS       /* no mailbox, or its domain is not a DNS name */
};

/* Input: the SPF result and the domain SPF checked (MAIL FROM's, or HELO's for a null sender). */
struct dmarc_spf {
	enum dkmod_spf_result result;  /* dkmod.h */
	const char *domain;            /* NULL or "" when SPF was not evaluated */
};

/* Input: one DKIM signature's outcome. */
struct dmarc_dkim {
	const char *domain;            /* d= */
	bool pass;
	bool temperror;                /* its key lookup failed temporarily */
};

/* Input: one From field's value (after the colon), as received; optionally its first mailbox as
 * the caller parsed it already (address_first_end), so that it is not parsed twice. */
struct dmarc_field {
	const char *value;
	size_t len;
	const struct address *first; /* NULL: none given (the value is read from its start) */
	size_t first_end;            /* with first: where it ended in the value */
};

/* Which tag gave the policy. */
enum dmarc_policy_tag { DMARC_TAG_NONE = 0, DMARC_TAG_P, DMARC_TAG_SP, DMARC_TAG_NP };

/* The outcome.  dmarc_verdict clears the fields before author_domain and sets the rest: keep
 * the fields that are not texts or the record before it. */
struct dmarc_verdict {
	enum dkmod_dmarc_result result;   /* dkmod.h */
	const char *reason;                 /* static text, "" on pass */
	enum dmarc_author author;
	size_t mailboxes;                   /* in the From field (several of one domain are one Author Domain) */
	bool have_record;
	enum dmarcrec_policy policy;        /* the policy that applies to the Author Domain */
	enum dmarc_policy_tag policy_tag;   /* the tag it came from */
	bool testing;                       /* t=y */
	enum dmarcrec_policy disposition;   /* what the domain asks for this message: none on pass,
					     * else the policy, one step milder under t=y */
	bool dkim_aligned, spf_aligned;
	unsigned queries;                   /* DNS queries asked */
	unsigned rounds;                    /* rounds of queries one after another, as they were started */
	char author_domain[DMARC_MAX_DOMAIN];
	char record_domain[DMARC_MAX_DOMAIN];  /* where the policy record was found, "" if none */
	char org_domain[DMARC_MAX_DOMAIN];     /* the Author Domain's organizational domain, "" if unknown */
	char dkim_domain[DMARC_MAX_DOMAIN]; /* the first aligned passing d=, "" if none */
	char spf_domain[DMARC_MAX_DOMAIN];  /* the SPF domain when aligned and passing, else "" */
	struct dmarcrec record;             /* the policy record (when have_record; its tags zero when not) */
};

struct dmarc;

/* dmarc_begin - a DMARC evaluation in arena (valid until the arena is freed); reads the From
 * fields and starts the first round of lookups on dns.  NULL only when out of memory. */
struct dmarc *dmarc_begin(struct arena *arena, struct dns *dns, const struct dmarc_field *from, size_t nfrom);
/* dmarc_expect - an identifier that may pass: its organizational domain is looked up as soon as
 * that of the Author Domain is known (optional: dmarc_outcomes does the same, later) */
void dmarc_expect(struct dmarc *m, const char *domain);
/* dmarc_outcomes - the DKIM and SPF outcomes (copied); starts the lookups they still need */
void dmarc_outcomes(struct dmarc *m, const struct dmarc_dkim *dkim, size_t ndkim, const struct dmarc_spf *spf);
/* dmarc_pending - queries asked and not yet answered */
size_t dmarc_pending(const struct dmarc *m);
/* dmarc_verdict - the result from what is known; a lookup not answered counts as a timeout */
void dmarc_verdict(const struct dmarc *m, struct dmarc_verdict *out);

/* dmarc_author_name - "ok", "no From field", ... */
const char *dmarc_author_name(enum dmarc_author a);
/* dmarc_policy_tag_name - "", "p", "sp", "np" */
const char *dmarc_policy_tag_name(enum dmarc_policy_tag t);

#endif
