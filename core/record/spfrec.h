/*
 * spfrec.h - SPF records (RFC 7208 sections 4.5, 4.6, 5, 6 and 12) and the
 * macro language (section 7).  The parser is strict: any syntax error
 * anywhere in a record makes the whole record a permerror.  Everything is
 * bounded: the record's length, its number of terms, the output of a macro
 * expansion.
 */
#ifndef DKMOD_SPFREC_H
#define DKMOD_SPFREC_H

#include <stdbool.h>
#include <stddef.h>

#include "dkmod.h"

#define SPFREC_MAX_LEN 4096        /* longer records are a permerror */
#define SPFREC_MAX_TERMS 128       /* more terms are a permerror */
#define SPFREC_MAX_EXPANSION 1024  /* a longer macro expansion is an error */
#define SPFREC_MAX_DOMAIN 253      /* expanded domains are cut to this (RFC 7208 4.8) */

/* The results of check_host() (RFC 7208 2.6), also the values of the qualifiers. */
/* enum dkmod_spf_result: the results are public (dkmod.h) */

/* dkmod_spf_result_name and dkmod_spf_result_parse (dkmod.h): the one name table is in spfrec.c */

enum spfrec_mech { SPFREC_ALL, SPFREC_INCLUDE, SPFREC_A, SPFREC_MX, SPFREC_PTR, SPFREC_IP4, SPFREC_IP6, SPFREC_EXISTS };
/* spfrec_mech_str - "all", "include", ...: the one name table of mechanisms */
const char *spfrec_mech_str(enum spfrec_mech m);

/* One mechanism.  spec is the domain-spec, NUL-terminated inside the record, or NULL
 * when the mechanism has none (a, mx and ptr then mean the current domain). */
struct spfrec_term {
	enum spfrec_mech mech;
	enum dkmod_spf_result qualifier;  /* PASS, FAIL, SOFTFAIL or NEUTRAL */
	const char *spec;
	unsigned cidr4, cidr6;      /* prefix lengths; 32 and 128 when not given */
	unsigned char addr[16];     /* ip4 (first 4 bytes) and ip6 */
};

/* A parsed record; the specs point into text, a copy of the record. */
struct spfrec {
	struct spfrec_term terms[SPFREC_MAX_TERMS];
	size_t nterms;
	const char *redirect;       /* domain-spec of redirect=, or NULL */
	const char *exp;            /* domain-spec of exp=, or NULL */
	char text[SPFREC_MAX_LEN + 1];
};

/* spfrec_is_spf - whether a TXT record is an SPF record ("v=spf1" then a space or the end) */
bool spfrec_is_spf(const char *txt, size_t len);
/* spfrec_parse - parse a whole record into rec; false and *why on a syntax error (permerror) */
bool spfrec_parse(const char *txt, size_t len, struct spfrec *rec, const char **why);

/* What the macros expand to (RFC 7208 7.2).  ip is 4 or 16 bytes. */
struct spfrec_env {
	const char *sender;         /* s: local@domain */
	const char *local;          /* l */
	const char *sender_domain;  /* o */
	const char *domain;         /* d: the current domain */
	const unsigned char *ip;    /* i, c, v */
	bool ipv6;
	const char *helo;           /* h */
	const char *validated;      /* p: validated name of ip, NULL means "unknown" */
	const char *receiver;       /* r: NULL means "unknown" */
	long long now;              /* t */
};

/* spfrec_check_macros - whether s is a valid macro-string (explain: an explain-string,
 * where spaces and the c, r and t letters are allowed) */
bool spfrec_check_macros(const char *s, size_t len, bool explain);
/* spfrec_uses_p - whether a macro-string uses the p macro (which needs lookups first) */
bool spfrec_uses_p(const char *s);
/* spfrec_expand - expand a macro-string into out (NUL-terminated); its length,
 * or -1 on a syntax error or an expansion longer than SPFREC_MAX_EXPANSION or outsz - 1 */
int spfrec_expand(const char *s, bool explain, const struct spfrec_env *env, char *out, size_t outsz);
/* spfrec_domain - cut an expanded domain to SPFREC_MAX_DOMAIN by dropping labels on the
 * left, and drop a final dot; false if the name is not usable in DNS (empty labels,
 * labels over 63 octets, control or non-ASCII bytes) */
bool spfrec_domain(char *name);
/* spfrec_ip_text - the c macro form of an address: dotted quad or RFC 5952 IPv6 */
void spfrec_ip_text(const unsigned char *ip, bool ipv6, char *out, size_t outsz);

#endif
