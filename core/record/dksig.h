/*
 * dksig.h - the DomainKey-Signature header field (RFC 4870 3.3).
 */
#ifndef DKMOD_DKSIG_H
#define DKMOD_DKSIG_H

#include <stdbool.h>
#include <stddef.h>

#include "key/crypto.h"
#include "record/dkimsig.h"
#include "dkmod.h"

struct dksig {
	char algorithm[32];              /* a= as written, "rsa-sha1" when absent */
	char domain[DKIMSIG_MAX_NAME];   /* d= */
	char selector[DKIMSIG_MAX_NAME]; /* s= (may hold dots) */
	enum dkmod_canon canon;          /* SIMPLE (default) or NOFWS */
	const char *h;                   /* h= value pointing into the parsed text, NULL if absent */
	size_t h_len;
	unsigned char b[CRYPTO_MAX_SIG];
	size_t b_len;
	char b_text[DKIMSIG_MAX_B64];    /* b= without whitespace */
};

enum dksig_status {
	DKSIG_OK = 0,
	DKSIG_SYNTAX,        /* not a tag list, duplicate tag */
	DKSIG_MISSING_TAG,   /* b=, d= or s= absent */
	DKSIG_ALGORITHM,     /* a= other than rsa-sha1 */
	DKSIG_CANON,         /* c= other than simple or nofws */
	DKSIG_QUERY,         /* q= empty or other than dns */
	DKSIG_DOMAIN,        /* d= or s= not a domain name, bad h= */
	DKSIG_BASE64,        /* b= not base64 */
	DKSIG_TOO_MANY_NAMES /* h= names more than HEADER_MAX_SIGNED fields */
};

/* dksig_strerror - the reason for a status */
const char *dksig_strerror(enum dksig_status st);

/* dksig_parse - parse the value of a DomainKey-Signature field; out->h points into value */
enum dksig_status dksig_parse(const char *value, size_t len, struct dksig *out);

#endif
