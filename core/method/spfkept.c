/*
 * spfkept.c - an SPF record parsed once while the resolver's memo keeps its
 * answer (spf.h): the parse is kept with the memo entry in a compact form (the
 * terms in use, the record's text, specs as offsets into it) and copied into
 * the check's frame for every message that gets the same answer.  Kept only
 * while the memo keeps the answer, and freed with it.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "method/spf.h"

#define SPFKEPT_NONE ((size_t)-1) /* no spec, redirect= or exp= */

/* The compact form: header, then nterms terms, then len + 1 bytes of text. */
struct spfkept {
	size_t which;          /* the record of the answer that was parsed */
	const char *why;       /* the syntax error (a constant string), or NULL when it parsed */
	size_t nterms, len, redirect, exp;
	struct spfkept_term {
		struct spfrec_term term;
		size_t spec;
	} terms[];
};

/* spfkept_offset - where s lies in text, or SPFKEPT_NONE for NULL */
static size_t spfkept_offset(const char *s, const char *text)
{
	return s ? (size_t)(s - text) : SPFKEPT_NONE;
}

/* spfkept_at - the text at offset off of text, or NULL for SPFKEPT_NONE */
static const char *spfkept_at(size_t off, const char *text)
{
	return off == SPFKEPT_NONE ? NULL : text + off;
}

/* spfkept_keep - keep the parse of record which (ok or failed with why) with the memo's answer */
static void spfkept_keep(const struct dns_result *r, size_t which, const struct spfrec *rec, const char *why)
{
	size_t nterms = why ? 0 : rec->nterms, len = why ? 0 : r->lengths[which];
	size_t size = sizeof(struct spfkept) + nterms * sizeof(struct spfkept_term) + len + 1;
	struct spfkept *k = malloc(size);
	if (!k)
		return;
	*k = (struct spfkept){.which = which, .why = why, .nterms = nterms, .len = len,
			      .redirect = spfkept_offset(why ? NULL : rec->redirect, rec->text),
			      .exp = spfkept_offset(why ? NULL : rec->exp, rec->text)};
	for (size_t i = 0; i < nterms; i++) {
		k->terms[i].term = rec->terms[i];
		k->terms[i].spec = spfkept_offset(rec->terms[i].spec, rec->text);
	}
	char *text = (char *)(k->terms + nterms);
	memcpy(text, rec->text, len);
	text[len] = '\0';
	dns_result_keep_parsed(r, DNS_PARSED_SPF, k, size);
	free(k);
}

/* spfkept_take - the kept parse k into rec; false and *why when it was a syntax error */
static bool spfkept_take(const struct spfkept *k, struct spfrec *rec, const char **why)
{
	if (k->why) {
		*why = k->why;
		return false;
	}
	const char *text = (const char *)(k->terms + k->nterms);
	memcpy(rec->text, text, k->len + 1);
	rec->nterms = k->nterms;
	rec->redirect = spfkept_at(k->redirect, rec->text);
	rec->exp = spfkept_at(k->exp, rec->text);
	for (size_t i = 0; i < k->nterms; i++) {
		rec->terms[i] = k->terms[i].term;
		rec->terms[i].spec = spfkept_at(k->terms[i].spec, rec->text);
	}
	return true;
}

/* spfkept_parse - record which of r parsed into rec, or the parse kept with the memo's answer */
bool spfkept_parse(const struct dns_result *r, size_t which, struct spfrec *rec, const char **why)
{
	const struct spfkept *k = dns_result_parsed(r, DNS_PARSED_SPF);
	if (k && k->which == which)
		return spfkept_take(k, rec, why);
	bool ok = spfrec_parse(r->records[which], r->lengths[which], rec, why);
	if (r->memo && !k)
		spfkept_keep(r, which, rec, ok ? NULL : *why);
	return ok;
}
