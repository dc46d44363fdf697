/*
 * dns_unbound.h - what the two files of the libunbound backend of dns.h
 * share: dns_unbound.c (lookups) and dns_unbound_setup.c (the context).
 */
#ifndef DKMOD_DNS_UNBOUND_H
#define DKMOD_DNS_UNBOUND_H

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <unbound.h>

#include "dns/dns.h"

/* dns_unbound_setup - libunbound's context per opt (NULL: the defaults); *permissive: bogus answers
 * are handed on, marked bogus; NULL and *why on failure */
struct ub_ctx *dns_unbound_setup(const struct dkmod_resolver_options *opt, bool *permissive, const char **why);
/* dns_fail - set *why (when why is not NULL) to the formatted reason, kept per thread */
void dns_fail(const char **why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* dns_same_name - case-insensitive name equality, ignoring a final dot */
static inline bool dns_same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 1 && a[la - 1] == '.')
		la--;
	if (lb > 1 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

#endif
