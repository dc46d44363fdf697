/*
 * fuzz_verify.c - libFuzzer target: the whole verification of one message
 * through the public API, with DNS answers scripted by the input (linked
 * with tests/fuzz/dns_fuzz.c instead of core/dns/dns_unbound.c).
 *
 * Input: byte 0 options (bit 0 policies, bits 1-2 bogus handling, bit 3 no
 * rsa-sha1, bit 4 1024-bit minimum (else 512), bit 5 answers last-asked
 * first, bit 6 at most 2 signatures, bit 7 tiny header limits); byte 1 chunk
 * seed (0: one write); then the DNS script (see dns_fuzz.h); the rest is the
 * message.  Checked: finish returns OK or ENOMEM; every result has its
 * strings; no result passes past the header limits or with two From (or
 * Sender) fields; sender policies are reported past the limits too; A-R and added fields break lines only as folding; the stored
 * header fields give back the header block byte for byte; the verdicts do
 * not depend on how the message was split into writes.  With DKMOD_FUZZ_DEBUG
 * set in the environment, the A-R values are printed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkmod.h"
#include "dns_fuzz.h"
#include "fuzz.h"

/* fuzz_verify_check - abort with a message unless ok */
static void fuzz_verify_check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_verify: %s\n", what);
		abort();
	}
}

/* fuzz_verify_folded - abort unless every CR is followed by LF and WSP, and every LF follows CR */
static void fuzz_verify_folded(const char *v, bool tab_only)
{
	if (!v)
		abort();
	for (size_t i = 0; v[i]; i++) {
		if (v[i] == '\r') {
			if (v[i + 1] != '\n' || (v[i + 2] != '\t' && (tab_only || v[i + 2] != ' ')))
				abort();
		} else if (v[i] == '\n' && (i == 0 || v[i - 1] != '\r')) {
			abort();
		}
	}
}

/* fuzz_verify_chunk - the next write size from a small generator; 0 means all */
static size_t fuzz_verify_chunk(uint32_t *state, unsigned seed)
{
	if (seed == 0)
		return 0;
	*state = *state * 1103515245u + 12345u;
	return 1 + (*state >> 16) % (4u * seed);
}

/* fuzz_verify_headers - the stored fields must be the header block as written */
static void fuzz_verify_headers(const struct dkmod_session *s, const unsigned char *msg, size_t len)
{
	size_t off = 0, n = dkmod_session_header_count(s), hb = dkmod_session_header_bytes(s);
	if (hb > len)
		abort();
	for (size_t i = 0; i < n; i++) {
		size_t flen;
		const char *raw = dkmod_session_header_raw(s, i, &flen);
		if (!raw || flen == 0 || flen > hb - off || memcmp(raw, msg + off, flen) != 0)
			abort();
		off += flen;
	}
	/* what remains of the header block is the blank line, or nothing when the input ended first */
	size_t rest = hb - off;
	if (!(rest == 0 && hb == len) && !(rest == 1 && msg[off] == '\n') &&
	    !(rest == 2 && msg[off] == '\r' && msg[off + 1] == '\n'))
		abort();
}

/* fuzz_verify_run - verify the message once; returns the A-R value (malloc'd) or NULL */
static char *fuzz_verify_run(const struct dkmod_options *o, const unsigned char *msg, size_t len, unsigned seed)
{
	struct dkmod_ctx *ctx;
	struct dkmod_session *s;
	if (dkmod_ctx_new(o, &ctx) != DKMOD_OK)
		abort();
	if (dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s) != DKMOD_OK)
		abort();
	uint32_t state = seed;
	for (size_t off = 0; off < len;) {
		size_t n = fuzz_verify_chunk(&state, seed);
		if (n == 0 || n > len - off)
			n = len - off;
		enum dkmod_status st = dkmod_session_write(s, msg + off, n);
		if (st != DKMOD_OK && st != DKMOD_ENOMEM)
			abort();
		off += n;
		/* an empty body chunk now and then changes nothing (ESTATE while in the headers) */
		if (seed && state >> 30 == 0) {
			st = dkmod_session_body(s, msg, 0);
			fuzz_verify_check(st == DKMOD_OK || st == DKMOD_ESTATE, "empty body chunk");
		}
	}
	enum dkmod_status st = dkmod_session_finish(s);
	if (st != DKMOD_OK && st != DKMOD_ENOMEM)
		abort();
	char *ar = NULL;
	if (st == DKMOD_OK) {
		size_t n = dkmod_session_result_count(s);
		if (n == 0)
			abort();
		for (size_t i = 0; i < n; i++) {
			const struct dkmod_sig_result *r = dkmod_session_result(s, i);
			if (!r || !r->reason || !r->domain || !r->selector || !r->identity || !r->algorithm || !r->b ||
			    !r->dk_status || !r->sender)
				abort();
			if (r->result == DKMOD_RESULT_PASS && r->reason[0])
				abort();
			/* nothing passes on a header not fully seen, or with two authors */
			const char *dup[16];
			size_t ndup = dkmod_session_duplicates(s, dup, 16);
			bool two_authors = false;
			for (size_t k = 0; k < ndup && k < 16; k++)
				two_authors = two_authors || !strcmp(dup[k], "From") || !strcmp(dup[k], "Sender");
			fuzz_verify_check(r->result != DKMOD_RESULT_PASS || (dkmod_session_intact(s) && !two_authors),
					  "pass on a header not fully seen or with two authors");
		}
		const char *v = dkmod_session_ar_value(s);
		fuzz_verify_folded(v, true);
		for (size_t i = 0; i < dkmod_session_added_count(s); i++)
			fuzz_verify_folded(dkmod_session_added(s, i), false);
		const struct dkmod_dk_policy *p = dkmod_session_dk_policy(s);
		const struct dkmod_adsp *a = dkmod_session_adsp(s);
		/* sender policies are evaluated past the header limits too */
		bool policies = o->check_policies;
		fuzz_verify_check(policies == (p != NULL) && policies == (a != NULL), "policies reported iff checked");
		fuzz_verify_check(!p || (p->domain && p->report_to && p->notes && p->verdict && p->reason),
				  "DomainKeys policy strings");
		fuzz_verify_check(!a || (a->domain && a->author && a->practice && a->result), "ADSP strings");
		if (dkmod_session_intact(s))
			fuzz_verify_headers(s, msg, len);
		for (size_t i = 0; i < dkmod_session_header_count(s); i++)
			(void)dkmod_session_header_removed(s, i);
		(void)dkmod_session_eol(s);
		if (getenv("DKMOD_FUZZ_DEBUG"))
			fprintf(stderr, "seed %u: %s\n", seed, v);
		ar = strdup(v);
		if (!ar)
			abort();
	}
	if (dkmod_session_write(s, "x", 1) != DKMOD_ESTATE || dkmod_session_finish(s) != DKMOD_ESTATE)
		abort();
	dkmod_session_free(s);
	dkmod_ctx_free(ctx);
	return ar;
}

/* LLVMFuzzerTestOneInput - one message */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned flags = data[0], seed = data[1];
	size_t used = 2 + dns_fuzz_parse(data + 2, size - 2);
	const unsigned char *msg = data + used;
	size_t len = size - used;

	struct dkmod_options o;
	dkmod_options_init(&o);
	o.authserv_id = "mx.example.net";
	o.fixed_now = 1900000000; /* 2030: after the corpus and the demo signatures */
	o.check_policies = flags & 1;
	o.resolver.bogus = (enum dkmod_bogus)((flags >> 1 & 3) % 3);
	o.allow_sha1 = !(flags & 8);
	o.min_key_bits = flags & 16 ? 1024 : 512;
	dns_fuzz_script.reverse = flags & 32;
	o.max_signatures = flags & 64 ? 2 : 8;
	if (flags & 128) {
		o.max_header_fields = 6;
		o.max_header_bytes = 600;
	}

	char *chunked = fuzz_verify_run(&o, msg, len, seed);
	if (seed != 0) {
		/* the same message in one write: the same verdicts */
		char *whole = fuzz_verify_run(&o, msg, len, 0);
		if ((chunked == NULL) != (whole == NULL) || (chunked && strcmp(chunked, whole) != 0)) {
			fprintf(stderr, "chunked: %s\nwhole: %s\n", chunked ? chunked : "(null)", whole ? whole : "(null)");
			abort();
		}
		free(whole);
	}
	free(chunked);
	return 0;
}
