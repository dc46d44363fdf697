/*
 * dns_memo.h - the answers a resolver got lately, kept for their TTL so that a
 * question asked again (the DMARC and SPF records of every message from a
 * domain) is answered without a round trip through libunbound's thread.
 * Direct-mapped and bounded: a new answer takes the slot of its name, the old
 * one goes.  Only final answers are kept (records, NXDOMAIN, NODATA; not
 * bogus, not failures), with their DNSSEC status.
 */
#ifndef DKMOD_DNS_MEMO_H
#define DKMOD_DNS_MEMO_H

#include <stddef.h>

#include "dns/dns.h"

#define DNS_MEMO_SLOTS 1024      /* answers kept at most */
#define DNS_MEMO_MAX_BYTES 8192  /* a bigger answer is not kept */
#define DNS_MEMO_NEGATIVE_TTL 60 /* seconds for NXDOMAIN/NODATA that came without a TTL (local
				  * zone data without SOA); a TTL given is kept as it is */

struct dns_memo;
struct dns_memo_entry;

/* dns_memo_new - an empty memo; NULL when out of memory */
struct dns_memo *dns_memo_new(void);
/* dns_memo_free - the memo; entries still held by a query live until dns_memo_drop */
void dns_memo_free(struct dns_memo *m);
/* dns_memo_get - the live answer to name and type, held for the caller (dns_memo_drop), or NULL */
struct dns_memo_entry *dns_memo_get(struct dns_memo *m, const char *name, enum dns_type type, long long now_ms);
/* dns_memo_put - keep r as the answer to name and type until its TTL runs out */
void dns_memo_put(struct dns_memo *m, const char *name, enum dns_type type, const struct dns_result *r,
		  long long now_ms);
/* dns_memo_entry_new - a held entry of r outside any memo (kept until its TTL), or NULL when
 * r is not kept (a failure, bogus, no TTL, too big) or out of memory */
struct dns_memo_entry *dns_memo_entry_new(const char *name, enum dns_type type, const struct dns_result *r,
					  long long now_ms);
/* dns_memo_keep - keep the held entry e in the memo too (its slot's old entry goes) */
void dns_memo_keep(struct dns_memo *m, struct dns_memo_entry *e);
/* dns_memo_result - the held entry as a result, its TTL what is left of it at now_ms (r->memo: e,
 * for a parsed form kept with it) */
void dns_memo_result(struct dns_memo_entry *e, long long now_ms, struct dns_result *r);
/* dns_memo_drop - release a held entry */
void dns_memo_drop(struct dns_memo_entry *e);

#endif
