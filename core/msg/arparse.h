/*
 * arparse.h - reading an Authentication-Results field value (RFC 8601 2.2)
 * written by someone else: the authserv-id, the version, and each resinfo's
 * method, result, reason and properties.  The input is hostile: the parser
 * is bounded (ARPARSE_MAX_RESULTS resinfos, ARPARSE_MAX_PROPS properties
 * each, one pass over the bytes), never reads past len, and says why a
 * value does not parse.
 */
#ifndef DKMOD_ARPARSE_H
#define DKMOD_ARPARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"

#define ARPARSE_MAX_RESULTS 32 /* resinfos in one field; more is an error */
#define ARPARSE_MAX_PROPS 8    /* properties of one resinfo; more is an error */

/* One property, "ptype.property=value" (ptype and property in lower case). */
struct arparse_prop {
	const char *ptype, *property, *value;
};

/* One resinfo: method and result in lower case, reason "" when absent. */
struct arparse_result {
	const char *method, *result, *reason;
	struct arparse_prop props[ARPARSE_MAX_PROPS];
	size_t nprops;
};

/* A parsed field value; strings live in the arena given to arparse. */
struct arparse {
	const char *authserv_id;        /* NULL when even the authserv-id did not parse */
	struct arparse_result *results; /* n of them; none for "; none" */
	size_t n;
};

/* arparse - parse the A-R value of len bytes (line ends of folds included) into *out;
 * NULL when it parses, else why not ("out of memory" when the arena fails).  out->authserv_id
 * is set as soon as it parsed, even when something after it did not. */
const char *arparse(struct arena *a, const char *value, size_t len, struct arparse *out);
/* arparse_prop - the value of property ptype.property of r (names in lower case), or NULL */
const char *arparse_prop(const struct arparse_result *r, const char *ptype, const char *property);
/* arparse_skip_cfws - skip whitespace, line ends and (nested) comments with their quoted-pairs
 * from i; *open is set when the input ends inside a comment */
size_t arparse_skip_cfws(const char *v, size_t len, size_t i, bool *open);
/* arparse_token_char - a character of an RFC 2045 token (bytes above 127 too: UTF-8 names) */
bool arparse_token_char(unsigned char c);

#endif
