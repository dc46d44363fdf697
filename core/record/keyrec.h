/*
 * keyrec.h - public key records published at <selector>._domainkey.<domain>:
 * DKIM (RFC 6376 section 3.6.1, RFC 8463) and DomainKeys (RFC 4870).
 */
#ifndef DKMOD_KEYREC_H
#define DKMOD_KEYREC_H

#include <stdbool.h>
#include <stddef.h>

enum keyrec_keytype { KEYREC_RSA = 0, KEYREC_ED25519 };

#define KEYREC_HASH_SHA1 0x1u
#define KEYREC_HASH_SHA256 0x2u
#define KEYREC_MAX_KEY 1100 /* decoded p= bytes: RSA 8192 SPKI fits */
#define KEYREC_MAX_GRANULARITY 128

/* A parsed key record; p points into key[]. */
struct keyrec {
	enum keyrec_keytype type;
	unsigned hashes;        /* h=: KEYREC_HASH_* bits; all bits set when h= is absent */
	bool revoked;           /* p= empty */
	bool testing;           /* t= contains y */
	bool strict_identity;   /* t= contains s (DKIM): i= domain must equal d= */
	bool has_granularity;   /* DomainKeys g= present and non-empty */
	char granularity[KEYREC_MAX_GRANULARITY]; /* DomainKeys g= value */
	unsigned char key[KEYREC_MAX_KEY];
	size_t key_len;         /* decoded p= length; 0 if revoked */
};

enum keyrec_status {
	KEYREC_OK = 0,
	KEYREC_SYNTAX,          /* not a valid tag=value list */
	KEYREC_BAD_VERSION,     /* v= present but not "DKIM1" or not first */
	KEYREC_NO_KEY,          /* p= missing */
	KEYREC_BAD_KEY,         /* p= not valid base64 or too long */
	KEYREC_BAD_KEYTYPE,     /* k= unknown */
	KEYREC_BAD_HASH,        /* h= lists no hash we know */
	KEYREC_BAD_SERVICE      /* s= has neither "email" nor "*" */
};

/* keyrec_strerror - English reason for a status ("key syntax error", ...) */
const char *keyrec_strerror(enum keyrec_status st);

/* keyrec_parse_dkim - parse a DKIM key record (g= is ignored; unknown tags,
 * unknown t= flags and unknown h= hashes alongside known ones are ignored). */
enum keyrec_status keyrec_parse_dkim(const char *txt, size_t len, struct keyrec *out);

/* keyrec_parse_domainkeys - parse a DomainKeys key record (g=, k=, n=, p=, t=;
 * no v=, h= or s=). */
enum keyrec_status keyrec_parse_domainkeys(const char *txt, size_t len, struct keyrec *out);

/* keyrec_parse_fn - parse one record text as DomainKeys (dk) or DKIM into *rec (left NULL
 * when out of memory) */
typedef enum keyrec_status keyrec_parse_fn(void *arg, bool dk, const char *txt, size_t len,
					   const struct keyrec **rec);

/* keyrec_first - the first of count records that parses as a key (through parse): its index,
 * also when out of memory (*rec NULL); else -1 with *status the first record's status
 * (KEYREC_NO_KEY without records) */
long keyrec_first(char *const *records, const size_t *lengths, size_t count, bool dk, keyrec_parse_fn *parse,
		  void *arg, const struct keyrec **rec, enum keyrec_status *status);

#endif
