/*
 * fuzz_records.c - libFuzzer target: every record and signature parser on
 * the same input: DKIM and DomainKeys key records, DomainKeys and ADSP
 * policy records, DKIM-Signature (the input as a whole field text) and
 * DomainKey-Signature (the value after the first colon, or all of it), with
 * the invariants of what they fill in.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/dkimsig.h"
#include "record/dksig.h"
#include "fuzz.h"
#include "record/keyrec.h"
#include "record/sendpolicyrec.h"

/* fuzz_records_str - abort unless buf holds a NUL within cap bytes; returns its length */
static size_t fuzz_records_str(const char *buf, size_t cap)
{
	const char *nul = memchr(buf, '\0', cap);
	if (!nul)
		abort();
	return (size_t)(nul - buf);
}

/* fuzz_records_inside - abort unless p[0..n) lies within base[0..len) */
static void fuzz_records_inside(const char *p, size_t n, const char *base, size_t len)
{
	if (p < base || n > len || (size_t)(p - base) > len - n)
		abort();
}

/* fuzz_records_key - a parsed key record is consistent */
static void fuzz_records_key(enum keyrec_status st, const struct keyrec *k)
{
	if (!keyrec_strerror(st))
		abort();
	if (st != KEYREC_OK)
		return;
	if (k->key_len > KEYREC_MAX_KEY || k->revoked != (k->key_len == 0) || k->hashes == 0)
		abort();
	if (k->has_granularity && fuzz_records_str(k->granularity, sizeof k->granularity) == 0)
		abort();
}

/* fuzz_records_dkimsig - a DKIM-Signature field text */
static void fuzz_records_dkimsig(const char *text, size_t len, size_t value_off)
{
	struct dkimsig *sig = malloc(sizeof *sig);
	if (!sig)
		abort();
	enum dkimsig_status st = dkimsig_parse(text, len, value_off, sig);
	if (!dkimsig_strerror(st))
		abort();
	/* these are filled even for rejected signatures, for the report */
	fuzz_records_str(sig->algorithm, sizeof sig->algorithm);
	size_t dl = fuzz_records_str(sig->domain, sizeof sig->domain);
	size_t sl = fuzz_records_str(sig->selector, sizeof sig->selector);
	fuzz_records_str(sig->b_text, sizeof sig->b_text);
	if (sig->b_start > sig->b_end || sig->b_end > len)
		abort();
	if (st == DKIMSIG_OK) {
		if (!dkimsig_valid_domain(sig->domain, dl) || !dkimsig_valid_domain(sig->selector, sl))
			abort();
		if (!sig->h || value_off > len)
			abort();
		fuzz_records_inside(sig->h, sig->h_len, text + value_off, len - value_off);
		size_t il = fuzz_records_str(sig->identity, sizeof sig->identity);
		const char *at = memchr(sig->identity, '@', il);
		if (!at || !dkimsig_domain_within(strrchr(sig->identity, '@') + 1, sig->domain))
			abort();
		if (sig->bh_len == 0 || sig->bh_len > sizeof sig->bh || sig->b_len == 0 || sig->b_len > sizeof sig->b)
			abort();
		if (sig->b_start < value_off)
			abort();
		if (sig->timestamp >= 0 && sig->expire >= 0 && sig->expire <= sig->timestamp)
			abort();
		if (sig->header_canon > DKMOD_CANON_RELAXED || sig->body_canon > DKMOD_CANON_RELAXED)
			abort();
	}
	free(sig);
}

/* fuzz_records_dksig - a DomainKey-Signature value */
static void fuzz_records_dksig(const char *value, size_t len)
{
	struct dksig *sig = malloc(sizeof *sig);
	if (!sig)
		abort();
	enum dksig_status st = dksig_parse(value, len, sig);
	if (!dksig_strerror(st))
		abort();
	fuzz_records_str(sig->algorithm, sizeof sig->algorithm);
	size_t dl = fuzz_records_str(sig->domain, sizeof sig->domain);
	size_t sl = fuzz_records_str(sig->selector, sizeof sig->selector);
	fuzz_records_str(sig->b_text, sizeof sig->b_text);
	if (st == DKSIG_OK) {
		if (!dkimsig_valid_domain(sig->domain, dl) || !dkimsig_valid_domain(sig->selector, sl))
			abort();
		if (sig->h)
			fuzz_records_inside(sig->h, sig->h_len, value, len);
		if (sig->b_len == 0 || sig->b_len > sizeof sig->b)
			abort();
		if (sig->canon != DKMOD_CANON_SIMPLE && sig->canon != DKMOD_CANON_NOFWS)
			abort();
	}
	free(sig);
}

/* LLVMFuzzerTestOneInput - one record or field text */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	if (!text)
		abort();
	memcpy(text, data, size);

	struct keyrec *k = malloc(sizeof *k);
	if (!k)
		abort();
	fuzz_records_key(keyrec_parse_dkim(text, size, k), k);
	fuzz_records_key(keyrec_parse_domainkeys(text, size, k), k);
	free(k);

	struct sendpolicyrec_dk p;
	if (sendpolicyrec_parse_dk(text, size, &p)) {
		fuzz_records_str(p.report_to, sizeof p.report_to);
		fuzz_records_str(p.notes, sizeof p.notes);
	}
	enum sendpolicyrec_adsp a = sendpolicyrec_parse_adsp(text, size);
	if (a > SENDPOLICYREC_ADSP_DISCARDABLE || !sendpolicyrec_adsp_name(a))
		abort();

	const char *colon = memchr(text, ':', size);
	size_t value_off = colon ? (size_t)(colon - text) + 1 : 0;
	fuzz_records_dkimsig(text, size, value_off);
	fuzz_records_dkimsig(text, size, size + 1); /* an offset past the end is refused */
	fuzz_records_dksig(text + value_off, size - value_off);
	free(text);
	return 0;
}
