/*
 * names.c - the names users write for canonicalizations and algorithms, and
 * what a domain or selector may look like: one reading for the command line,
 * the configuration and the policy scripts.
 */
#include <string.h>

#include "record/dkimsig.h"
#include "dkmod.h"

/* dkmod_valid_domain - a domain name or selector: dot-separated labels of letters, digits, '-', '_' */
bool dkmod_valid_domain(const char *name)
{
	return name && dkimsig_valid_domain(name, strlen(name));
}

/* dkmod_parse_canon - DKIM "header/body" (body defaults to simple; NULL: relaxed/relaxed),
 * DomainKeys "nofws" or "simple" (NULL: nofws), into r's header_canon and body_canon */
bool dkmod_parse_canon(enum dkmod_method m, const char *v, struct dkmod_sign_request *r)
{
	if (m == DKMOD_METHOD_DOMAINKEYS) {
		if (!v || strcmp(v, "nofws") == 0)
			r->header_canon = r->body_canon = DKMOD_CANON_NOFWS;
		else if (strcmp(v, "simple") == 0)
			r->header_canon = r->body_canon = DKMOD_CANON_SIMPLE;
		else
			return false;
		return true;
	}
	if (!v) {
		r->header_canon = r->body_canon = DKMOD_CANON_RELAXED;
		return true;
	}
	const char *slash = strchr(v, '/');
	size_t hn = slash ? (size_t)(slash - v) : strlen(v);
	const char *b = slash ? slash + 1 : "simple";
	enum dkmod_canon h, body;
	if (!dkimsig_canon_word(v, hn, &h) || !dkimsig_canon_word(b, strlen(b), &body))
		return false;
	r->header_canon = h;
	r->body_canon = body;
	return true;
}

/* dkmod_parse_algorithm - rsa-sha256, ed25519-sha256 (or ed25519), rsa-sha1; DomainKeys: rsa-sha1 only */
bool dkmod_parse_algorithm(enum dkmod_method m, const char *v, enum dkmod_algorithm *a)
{
	if (strcmp(v, "rsa-sha1") == 0)
		*a = DKMOD_ALG_RSA_SHA1;
	else if (m == DKMOD_METHOD_DOMAINKEYS)
		return false;
	else if (strcmp(v, "rsa-sha256") == 0)
		*a = DKMOD_ALG_RSA_SHA256;
	else if (strcmp(v, "ed25519-sha256") == 0 || strcmp(v, "ed25519") == 0)
		*a = DKMOD_ALG_ED25519_SHA256;
	else
		return false;
	return true;
}
