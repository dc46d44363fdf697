/*
 * dkimsig.h - the DKIM-Signature header field (RFC 6376 section 3.5):
 * parsing for verification.
 */
#ifndef DKMOD_DKIMSIG_H
#define DKMOD_DKIMSIG_H

#include <stdbool.h>
#include <stddef.h>

#include "key/crypto.h"
#include "dkmod.h"
#include "msg/header.h"
#include "record/keyrec.h"
#include "record/tagvalue.h"

#define DKIMSIG_MAX_NAME 256
#define DKIMSIG_MAX_B64 1400 /* b= text: an 8192-bit RSA signature is 1366 characters */

/* dkimsig_parse does not clear it whole: a field added here is set in dkimsig_clear (dkimsig.c) */
struct dkimsig {
	enum dkmod_algorithm alg;
	enum crypto_hash hash;
	enum keyrec_keytype keytype;
	enum dkmod_canon header_canon;
	enum dkmod_canon body_canon;
	char algorithm[32];            /* a= as written (cut at 31 bytes) */
	char domain[DKIMSIG_MAX_NAME];   /* d= */
	char selector[DKIMSIG_MAX_NAME]; /* s= */
	char identity[2 * DKIMSIG_MAX_NAME]; /* i= decoded, or "@" d= when absent */
	const char *h;                 /* h= value, pointing into the parsed text */
	size_t h_len;
	struct tagvalue_item h_names[HEADER_MAX_SIGNED]; /* its names, split once (h_count of them) */
	size_t h_count;
	unsigned char bh[CRYPTO_MAX_DIGEST];
	size_t bh_len;
	unsigned char b[CRYPTO_MAX_SIG];
	size_t b_len;
	char b_text[DKIMSIG_MAX_B64];  /* b= without whitespace */
	long long body_length;         /* l=, -1 if absent */
	long long timestamp;           /* t=, -1 if absent */
	long long expire;              /* x=, -1 if absent */
	size_t b_start, b_end;         /* the b= value's place in the field text (after '=' up to ';' or end) */
};

enum dkimsig_status {
	DKIMSIG_OK = 0,
	DKIMSIG_SYNTAX,        /* not a tag list, or a duplicate tag */
	DKIMSIG_MISSING_TAG,   /* a required tag is absent */
	DKIMSIG_VERSION,       /* v= absent or not 1 (pre-RFC drafts) */
	DKIMSIG_ALGORITHM,     /* a= unknown */
	DKIMSIG_CANON,         /* c= unknown */
	DKIMSIG_QUERY,         /* q= without dns/txt */
	DKIMSIG_DOMAIN,        /* d= or s= not a domain name */
	DKIMSIG_IDENTITY,      /* i= malformed or not within d= */
	DKIMSIG_NO_FROM,       /* h= does not list From */
	DKIMSIG_NUMBER,        /* l=, t= or x= not a number, or x= before t= */
	DKIMSIG_BASE64,        /* b= or bh= not base64 or of impossible size */
	DKIMSIG_TOO_MANY_NAMES /* h= names more than HEADER_MAX_SIGNED fields */
};

/* dkimsig_strerror - the reason for a status, as written in results */
const char *dkimsig_strerror(enum dkimsig_status st);

/* dkimsig_parse - parse a whole DKIM-Signature field text (name, colon, value,
 * without the final line end); the value starts at value_off.  out->h points
 * into text, which must outlive out. */
enum dkimsig_status dkimsig_parse(const char *text, size_t len, size_t value_off, struct dkimsig *out);

/* dkimsig_domain_within - true if sub equals dom or is a subdomain of it (case-insensitive) */
bool dkimsig_domain_within(const char *sub, const char *dom);

/* dkimsig_valid_domain - true if s[0..len) is a syntactically valid domain name (dots allowed, no empty label) */
bool dkimsig_valid_domain(const char *s, size_t len);
/* dkimsig_canon_word - a DKIM canonicalization name ("simple" or "relaxed") of n bytes into *out;
 * false for anything else */
bool dkimsig_canon_word(const char *p, size_t n, enum dkmod_canon *out);

#endif
