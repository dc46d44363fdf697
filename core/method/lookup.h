/*
 * lookup.h - the DNS lookups of one message, shared by everything in it
 * that asks the same question, answered from the shared cache when it can,
 * and the one rule for what a failed or DNSSEC-bogus answer means.
 */
#ifndef DKMOD_LOOKUP_H
#define DKMOD_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>

#include "dkmod.h"
#include "dns/dns.h"
#include "method/method.h"

/* One lookup, shared by everything in the message that asks the same question. */
struct keylookup {
	char *name;
	size_t name_len;
	enum dns_type type;
	bool done;
	bool cached;                /* answered from the shared cache */
	enum dns_rcode rcode;
	enum dkmod_dnssec dnssec;
	char **records;
	size_t *lengths;
	size_t count;
	char *why;
	const struct method_msg *msg;
};

#define LOOKUP_MAX 32

/* The lookups of one message. */
struct lookups {
	struct keylookup *items[LOOKUP_MAX];
	size_t n;
	unsigned dns_queries, cache_hits, cache_misses;
	struct dns *(*resolver)(void *arg); /* the resolver, made on first use; NULL (logged) on failure */
	void *resolver_arg;
};

/* What a lookup came to, a DNSSEC-bogus answer judged as configured. */
enum lookup_answer { LOOKUP_RECORDS = 0, LOOKUP_ABSENT, LOOKUP_TEMP, LOOKUP_PERM };

/* lookup_start - start (or share) a lookup of name and type; NULL for a name over 253 bytes
 * (none can exist) or past the lookup limit */
struct keylookup *lookup_start(const struct method_msg *m, const char *name, enum dns_type type);
/* lookup_answer - what k came to: records, none (NXDOMAIN, NODATA), a temporary or a permanent
 * failure (NULL k: temporary) */
enum lookup_answer lookup_answer(const struct dkmod_options *opt, const struct keylookup *k);
/* lookup_key_verdict - the verdict when a key lookup failed, or PASS to go on */
enum dkmod_result lookup_key_verdict(const struct dkmod_options *opt, const struct keylookup *k,
				     const char **reason);
/* lookup_first_key - the first TXT record of k that parses as a key of the method (dk:
 * DomainKeys), parsed once per process and record text (pubkeys.c); KEYREC_OK with *rec NULL
 * when out of memory */
enum keyrec_status lookup_first_key(const struct method_msg *m, bool dk, const struct keylookup *k,
				    const struct keyrec **rec);

#endif
