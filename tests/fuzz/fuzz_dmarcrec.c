/*
 * fuzz_dmarcrec.c - libFuzzer target: the DMARC policy record parser
 * (core/record/dmarcrec.c) on the input as one TXT record, with the
 * invariants of what it fills in: values in range, URIs bounded,
 * NUL-terminated and well formed, the p=none fallback consistent, and the
 * same answer twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "record/dmarcrec.h"

/* fuzz_dmarcrec_uris - every kept URI is a NUL-terminated "scheme:rest" without blanks */
static void fuzz_dmarcrec_uris(char list[][DMARCREC_MAX_URI], size_t n)
{
	if (n > DMARCREC_MAX_URIS)
		abort();
	for (size_t i = 0; i < n; i++) {
		const char *nul = memchr(list[i], '\0', DMARCREC_MAX_URI);
		if (!nul || nul == list[i] || !memchr(list[i], ':', (size_t)(nul - list[i])))
			abort();
		for (const char *p = list[i]; p < nul; p++)
			if ((unsigned char)*p <= 0x20)
				abort();
	}
}

/* LLVMFuzzerTestOneInput - parse the input as a DMARC record and check the result */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarcrec *a = malloc(sizeof *a), *b = malloc(sizeof *b);
	if (!a || !b)
		abort();
	const char *txt = (const char *)data;
	enum dmarcrec_status st = dmarcrec_parse(txt, size, a);
	if (!*dmarcrec_status_name(st))
		abort();
	if ((st == DMARCREC_NOT_DMARC) == dmarcrec_is_dmarc(txt, size))
		abort();
	if (st == DMARCREC_OK) {
		if (!*dmarcrec_policy_name(a->p) || !*dmarcrec_policy_name(a->sp) || !*dmarcrec_policy_name(a->np) ||
		    !*dmarcrec_align_name(a->adkim) || !*dmarcrec_align_name(a->aspf) || !*dmarcrec_psd_name(a->psd))
			abort();
		if (a->fo == 0 || a->fo > 15)
			abort();
		if (a->policy_replaced && (a->p != DMARCREC_POLICY_NONE || a->has_sp || a->has_np ||
					    (a->nrua == 0 && a->rua_dropped == 0)))
			abort();
		fuzz_dmarcrec_uris(a->rua, a->nrua);
		fuzz_dmarcrec_uris(a->ruf, a->nruf);
	}
	if (dmarcrec_parse(txt, size, b) != st || memcmp(a, b, sizeof *a) != 0)
		abort();
	free(a);
	free(b);
	return 0;
}
