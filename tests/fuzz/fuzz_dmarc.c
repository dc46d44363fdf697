/*
 * fuzz_dmarc.c - libFuzzer target: a whole DMARC evaluation
 * (core/method/dmarc*.c) with DNS answers scripted by the input (linked with
 * tests/fuzz/dns_fuzz.c, which also aborts on a query name no DNS holds).
 *
 * Input: byte 0 options (bit 0 answers last-asked first, bit 1 two From
 * fields, bit 2 identifiers named early, bits 3-5 the SPF result % 7); then
 * the DNS script (see dns_fuzz.h); the rest is lines: the From value, up to
 * four DKIM d= ('+' first: passed, '?': temperror, else failed), the SPF
 * domain.  Checked: every query answered; no lookup without an Author Domain
 * and no pass with one not from one From field with one mailbox; a pass names
 * a passing input identifier that is the Author Domain or within its
 * organizational domain (the very name under adkim/aspf=s); nothing asked
 * for on a pass; at most 4 rounds (the walk; an organizational domain it
 * skipped; the existence check; identifiers named after the waits) and the
 * bounded number of queries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns_fuzz.h"
#include "fuzz.h"
#include "method/dmarc.h"

#define FUZZ_DMARC_LINES 6

/* fuzz_dmarc_within - sub is dom or ends in "." dom (case-insensitive) */
static bool fuzz_dmarc_within(const char *sub, const char *dom)
{
	size_t ls = strlen(sub), ld = strlen(dom);
	if (ls == ld)
		return strcasecmp(sub, dom) == 0;
	return ld && ls > ld && sub[ls - ld - 1] == '.' && strcasecmp(sub + ls - ld, dom) == 0;
}

/* fuzz_dmarc_check_pass - a pass is backed by a passing, aligned input identifier */
static void fuzz_dmarc_check_pass(const struct dmarc_verdict *v, const struct dmarc_dkim *dkim, size_t ndkim,
				  const struct dmarc_spf *spf)
{
	if (v->author != DMARC_AUTHOR_OK || !v->have_record || v->disposition != DMARCREC_POLICY_NONE)
		abort();
	if (!v->dkim_aligned && !v->spf_aligned)
		abort();
	if (v->dkim_aligned) {
		bool found = false;
		for (size_t i = 0; i < ndkim; i++)
			found = found || (dkim[i].pass && !strcasecmp(dkim[i].domain, v->dkim_domain));
		bool strict = v->record.adkim == DMARCREC_ALIGN_STRICT;
		if (!found || !(strict ? !strcmp(v->dkim_domain, v->author_domain)
				       : !strcmp(v->dkim_domain, v->author_domain) ||
						 fuzz_dmarc_within(v->dkim_domain, v->org_domain)))
			abort();
	}
	if (v->spf_aligned) {
		bool strict = v->record.aspf == DMARCREC_ALIGN_STRICT;
		if (spf->result != DKMOD_SPF_PASS || strcasecmp(spf->domain, v->spf_domain) ||
		    !(strict ? !strcmp(v->spf_domain, v->author_domain)
			     : !strcmp(v->spf_domain, v->author_domain) || fuzz_dmarc_within(v->spf_domain, v->org_domain)))
			abort();
	}
}

/* LLVMFuzzerTestOneInput - one evaluation */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned opt = data[0];
	size_t used = 1 + dns_fuzz_parse(data + 1, size - 1);
	dns_fuzz_script.reverse = opt & 1;
	char *text = malloc(size - used + 1), *lines[FUZZ_DMARC_LINES] = {0};
	if (!text)
		abort();
	memcpy(text, data + used, size - used);
	text[size - used] = '\0';
	char *p = text;
	for (size_t i = 0; i < FUZZ_DMARC_LINES && p; i++) {
		lines[i] = p;
		p = strchr(p, '\n');
		if (p)
			*p++ = '\0';
	}
	struct dmarc_field from[2] = {{.value = lines[0], .len = lines[0] ? strlen(lines[0]) : 0}, {.value = lines[0]}};
	from[1].len = from[0].len;
	size_t nfrom = lines[0] ? 1 + ((opt >> 1) & 1) : 0;
	struct dmarc_dkim dkim[4];
	size_t ndkim = 0;
	for (size_t i = 1; i <= 4 && lines[i]; i++, ndkim++) {
		dkim[ndkim].pass = lines[i][0] == '+';
		dkim[ndkim].temperror = lines[i][0] == '?';
		dkim[ndkim].domain = lines[i] + (dkim[ndkim].pass || dkim[ndkim].temperror);
	}
	struct dmarc_spf spf = {(enum dkmod_spf_result)((opt >> 3) % 7), lines[5] ? lines[5] : ""};

	struct dns *dns = dns_new(NULL, NULL);
	struct arena a;
	struct dmarc_verdict *v = malloc(sizeof *v);
	if (!dns || !v)
		abort();
	arena_init(&a);
	struct dmarc *m = dmarc_begin(&a, dns, from, nfrom);
	for (size_t i = 0; (opt & 4) && i < ndkim; i++)
		dmarc_expect(m, dkim[i].domain);
	dmarc_expect(m, spf.domain);
	dns_wait(dns, 0);
	dmarc_outcomes(m, dkim, ndkim, &spf);
	dns_wait(dns, 0);
	if (dmarc_pending(m) != 0)
		abort();
	dmarc_verdict(m, v);
	if (!*dkmod_dmarc_result_name(v->result) || !v->reason || !*dmarc_author_name(v->author))
		abort();
	if (v->author != DMARC_AUTHOR_OK && (v->result != DKMOD_DMARC_PERMERROR || v->queries != 0))
		abort();
	if (nfrom != 1 && v->author == DMARC_AUTHOR_OK)
		abort();
	if (v->result == DKMOD_DMARC_PASS)
		fuzz_dmarc_check_pass(v, dkim, ndkim, &spf);
	if (v->rounds > 4 || v->queries > DMARC_MAX_NAMES + 1)
		abort();
	if (v->result == DKMOD_DMARC_FAIL && v->disposition > v->policy)
		abort();
	arena_free(&a);
	dns_free(dns);
	free(v);
	free(text);
	return 0;
}
