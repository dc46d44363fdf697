/*
 * dns_fuzz.h - the scripted answers of tests/fuzz/dns_fuzz.c, a test-only
 * implementation of core/dns/dns.h linked into fuzz_verify instead of
 * core/dns/dns_unbound.c.  The fuzz target fills the script from its input before
 * each message; the n-th query of a resolver gets the n-th answer, and
 * queries past the end of the script get NXDOMAIN.
 */
#ifndef DKMOD_DNS_FUZZ_H
#define DKMOD_DNS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/dns.h"

#define DNS_FUZZ_MAX_ANSWERS 8
#define DNS_FUZZ_MAX_RECORDS 4

/* One scripted answer; records point into memory the target owns. */
struct dns_fuzz_answer {
	enum dns_rcode rcode;
	enum dkmod_dnssec dnssec;
	size_t count;
	const char *records[DNS_FUZZ_MAX_RECORDS];
	size_t lengths[DNS_FUZZ_MAX_RECORDS];
};

/* The script read by every resolver created afterwards. */
struct dns_fuzz_script {
	struct dns_fuzz_answer answers[DNS_FUZZ_MAX_ANSWERS];
	size_t count;
	bool reverse;       /* deliver the outstanding queries last-asked first */
	size_t queries;     /* queries asked so far (all resolvers), for the target's checks */
};

extern struct dns_fuzz_script dns_fuzz_script;

/* dns_fuzz_parse - fill dns_fuzz_script from the front of data; returns the bytes used.
 * Layout: one byte n (answers, n % (DNS_FUZZ_MAX_ANSWERS + 1)), then per answer one
 * byte rcode (% 6), one byte DNSSEC state (% 4), one byte record count
 * (% (DNS_FUZZ_MAX_RECORDS + 1)) and per record a two-byte big-endian length
 * and that many bytes (cut at the end of data). */
size_t dns_fuzz_parse(const unsigned char *data, size_t size);

#endif
