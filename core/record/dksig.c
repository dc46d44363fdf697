/*
 * dksig.c - parsing the DomainKey-Signature header field (RFC 4870 3.3).
 */
#include "record/dksig.h"

#include <string.h>

#include "record/base64.h"
#include "msg/header.h"
#include "record/tagvalue.h"

/* dksig_strerror - the reason for a status */
const char *dksig_strerror(enum dksig_status st)
{
	switch (st) {
	case DKSIG_OK: return "";
	case DKSIG_SYNTAX: return "signature syntax error";
	case DKSIG_MISSING_TAG: return "signature lacks a required tag";
	case DKSIG_ALGORITHM: return "unsupported signature algorithm";
	case DKSIG_CANON: return "unsupported canonicalization";
	case DKSIG_QUERY: return "unsupported query type";
	case DKSIG_DOMAIN: return "malformed d=, s= or h=";
	case DKSIG_BASE64: return "malformed b=";
	case DKSIG_TOO_MANY_NAMES: return "h= names more than " HEADER_STR(HEADER_MAX_SIGNED) " fields";
	}
	return "signature error";
}

/* dksig_copy - a tag value into a fixed buffer if it is a domain name */
static bool dksig_copy_name(char *dst, const struct tagvalue *t)
{
	if (!t || !dkimsig_valid_domain(t->value, t->value_len))
		return false;
	memcpy(dst, t->value, t->value_len);
	dst[t->value_len] = '\0';
	return true;
}

/* dksig_parse - parse the value of a DomainKey-Signature field */
enum dksig_status dksig_parse(const char *value, size_t len, struct dksig *out)
{
	struct tagvalue_list tags;
	memset(out, 0, sizeof *out);
	strcpy(out->algorithm, "rsa-sha1");
	if (tagvalue_parse(value, len, &tags, NULL) != TAGVALUE_OK)
		return DKSIG_SYNTAX;
	const struct tagvalue *a = tagvalue_get(&tags, "a"), *b = tagvalue_get(&tags, "b"),
			      *c = tagvalue_get(&tags, "c"), *d = tagvalue_get(&tags, "d"),
			      *h = tagvalue_get(&tags, "h"), *q = tagvalue_get(&tags, "q"),
			      *s = tagvalue_get(&tags, "s");
	bool named = dksig_copy_name(out->domain, d) & dksig_copy_name(out->selector, s);
	if (b)
		base64_strip_fws(b->value, b->value_len, out->b_text, sizeof out->b_text);
	if (a) {
		size_t n = a->value_len < sizeof out->algorithm ? a->value_len : sizeof out->algorithm - 1;
		memcpy(out->algorithm, a->value, n);
		out->algorithm[n] = '\0';
	}
	if (!b || !d || !s)
		return DKSIG_MISSING_TAG;
	if (!named)
		return DKSIG_DOMAIN;
	if (a && !tagvalue_value_eq(a, "rsa-sha1"))
		return DKSIG_ALGORITHM;
	out->canon = DKMOD_CANON_SIMPLE;
	if (c && tagvalue_value_eq(c, "nofws"))
		out->canon = DKMOD_CANON_NOFWS;
	else if (c && !tagvalue_value_eq(c, "simple"))
		return DKSIG_CANON;
	/* an absent q= is accepted in practice; an empty or unknown one is not */
	if (q && !tagvalue_value_eq(q, "dns"))
		return DKSIG_QUERY;
	if (h) {
		size_t pos = 0, n;
		const char *item;
		for (size_t count = 0; tagvalue_list_next(h->value, h->value_len, &pos, &item, &n); count++) {
			if (count == HEADER_MAX_SIGNED)
				return DKSIG_TOO_MANY_NAMES;
			for (size_t i = 0; i < n; i++)
				if ((unsigned char)item[i] < 33 || (unsigned char)item[i] > 126)
					return DKSIG_DOMAIN;
		}
		out->h = h->value;
		out->h_len = h->value_len;
	}
	long n = base64_decode(b->value, b->value_len, out->b, sizeof out->b);
	if (n <= 0)
		return DKSIG_BASE64;
	out->b_len = (size_t)n;
	return DKSIG_OK;
}
