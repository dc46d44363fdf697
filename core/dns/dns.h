/*
 * dns.h - asynchronous TXT, address, MX and PTR lookups, independent of the resolver
 * library (dns_unbound.c is the one backend and the only file that includes
 * unbound.h).  A message starts all its lookups at once and then waits for all
 * of them with one deadline.
 */
#ifndef DKMOD_DNS_H
#define DKMOD_DNS_H

#include <stdbool.h>
#include <stddef.h>

#include "dkmod.h"

/* What came back.  NXDOMAIN and NODATA are permanent; SERVFAIL, TIMEOUT and
 * ERROR are temporary (the message should be retried). */
enum dns_rcode {
	DNS_ANSWER = 0,  /* at least one record */
	DNS_NXDOMAIN,    /* the name does not exist */
	DNS_NODATA,      /* the name exists, no record of the type */
	DNS_SERVFAIL,    /* server failure, refusal, or DNSSEC bogus */
	DNS_TIMEOUT,     /* no answer before the deadline */
	DNS_ERROR        /* local failure */
};

/* dns_rcode_name - "answer", "nxdomain", ... */
const char *dns_rcode_name(enum dns_rcode rcode);
/* dns_rcode_temporary - true for SERVFAIL, TIMEOUT and ERROR */
bool dns_rcode_temporary(enum dns_rcode rcode);

enum dns_type { DNS_TYPE_TXT = 16, DNS_TYPE_A = 1, DNS_TYPE_MX = 15, DNS_TYPE_AAAA = 28, DNS_TYPE_PTR = 12 };

/* One answer.  For TXT, each record's strings are joined with nothing between
 * them; records are sorted bytewise so that several records at one name come
 * back in a deterministic order.  Other types come in presentation form:
 * A "192.0.2.1", AAAA "2001:db8::1", MX "10 mx.example.com", PTR
 * "host.example.com" (names without the final dot, unusual bytes as \DDD).
 * Owned by the dns layer, valid during the callback. */
struct dns_result {
	enum dns_rcode rcode;
	enum dkmod_dnssec dnssec;
	const char *const *records; /* NUL-terminated strings (TXT data may hold NUL: see lengths) */
	const size_t *lengths;
	size_t count;
	unsigned ttl;               /* seconds (smallest TTL of the answer) */
	const char *why;            /* e.g. bogus reason or error text, "" if none */
	struct dns_memo_entry *memo; /* the memo's copy it came from (dns_result_parsed), or NULL */
};

typedef void dns_callback(void *arg, const struct dns_result *result);

/* What a caller parsed from an answer the memo keeps, so that the next message asking the same
 * name takes the parsed form instead of parsing again. */
enum dns_parsed_kind { DNS_PARSED_NONE = 0, DNS_PARSED_DMARC, DNS_PARSED_SPF };
/* dns_result_parsed - what dns_result_keep_parsed kept with this answer as kind, or NULL */
const void *dns_result_parsed(const struct dns_result *r, enum dns_parsed_kind kind);
/* dns_result_keep_parsed - keep a copy of the size bytes at p with the answer while the memo
 * keeps it (only for an answer from the memo; else nothing) */
void dns_result_keep_parsed(const struct dns_result *r, enum dns_parsed_kind kind, const void *p, size_t size);

struct dns;
/* dns_new - a resolver per the options; NULL and *why on failure */
struct dns *dns_new(const struct dkmod_resolver_options *opt, const char **why);
/* dns_new_deferred - the same, libunbound's part (costly: a process that lives for one message
 * pays it whole) made at the first question the memo and the shared cache cannot answer; opt is
 * kept, not copied; a failure then makes each question fail and is told to the cache's fail hook */
struct dns *dns_new_deferred(const struct dkmod_resolver_options *opt, const char **why);
void dns_free(struct dns *d);

/* dns_query - start a lookup; cb runs exactly once, from dns_wait or dns_cancel_all
 * (never from inside dns_query).  Returns 0 or -1. */
int dns_query(struct dns *d, const char *name, enum dns_type type, dns_callback *cb, void *arg);
/* A cache shared beyond this resolver (the engine's, keycache.c) that dns_query_shared asks
 * first and tells of each final answer; get fills *out with data valid until its next call. */
struct dns_cache_hooks {
	bool (*get)(void *arg, const char *name, enum dns_type type, struct dns_result *out);
	void (*put)(void *arg, const char *name, enum dns_type type, const struct dns_result *r);
	void (*fail)(void *arg, const char *why); /* a deferred setup failed (once); may be NULL */
	void *arg;
};
/* dns_set_cache - the hooks (copied) dns_query_shared uses from now on; NULL: none */
void dns_set_cache(struct dns *d, const struct dns_cache_hooks *hooks);
/* dns_query_shared - dns_query answered from the shared cache when it can, and telling it the
 * answer (for callers that do not consult the cache themselves: SPF, DMARC) */
int dns_query_shared(struct dns *d, const char *name, enum dns_type type, dns_callback *cb, void *arg);
/* dns_wait - process answers until none is outstanding or deadline_ms (CLOCK_MONOTONIC
 * milliseconds, from dns_now_ms) passes; then every outstanding query gets DNS_TIMEOUT. */
void dns_wait(struct dns *d, long long deadline_ms);
/* dns_pending - number of outstanding queries */
size_t dns_pending(const struct dns *d);
/* The round trips to the resolver since dns_rounds_reset: a query asked from an answer's
 * callback is in sequence after that answer, and one asked after a dns_wait after everything
 * answered before it; an answer at hand (memo, shared cache) takes no round trip, a CNAME
 * followed one more.  rounds: the longest such sequence; queries: those that went out. */
struct dns_rounds {
	unsigned rounds, queries;
};
/* dns_rounds_reset - start counting again (a session does, for each message) */
void dns_rounds_reset(struct dns *d);
/* dns_rounds - what was counted since the last reset (zero without a resolver) */
struct dns_rounds dns_rounds(const struct dns *d);
/* dns_now_ms - CLOCK_MONOTONIC in milliseconds */
long long dns_now_ms(void);
/* dns_hold_clock - the memo reads now_ms (from dns_now_ms) as the time instead of the clock,
 * and dns_wait reads the clock again before it hands answers on, until dns_hold_clock(d, 0):
 * one reading for a message's lookups rather than one per lookup and per answer (a session
 * holds it from the end of its header to its end) */
void dns_hold_clock(struct dns *d, long long now_ms);

#endif
