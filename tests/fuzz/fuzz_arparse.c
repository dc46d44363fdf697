/*
 * fuzz_arparse.c - libFuzzer target: the Authentication-Results reader
 * (core/msg/arparse.c) on the input as one field value, with the invariants
 * of what it fills in: within the limits, every name a lower-case Keyword,
 * every string there (NUL-terminated: no NUL inside), the same answer twice, and, for a value that
 * parses, the same authserv-id as the removal check (ar_authserv_id) sees.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ar.h"
#include "fuzz.h"
#include "msg/arparse.h"

/* fuzz_arparse_keyword - a non-empty run of lower-case letters, digits and '-' */
static void fuzz_arparse_keyword(const char *k)
{
	if (!k || !*k)
		abort();
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '-'))
			abort();
}

/* fuzz_arparse_check - the invariants of one parse */
static void fuzz_arparse_check(const struct arparse *ar, const char *why)
{
	if (why && !*why)
		abort();
	if (!why && !ar->authserv_id)
		abort();
	if (ar->n > ARPARSE_MAX_RESULTS)
		abort();
	for (size_t i = 0; !why && i < ar->n; i++) {
		const struct arparse_result *r = &ar->results[i];
		fuzz_arparse_keyword(r->method);
		fuzz_arparse_keyword(r->result);
		if (!r->reason || r->nprops > ARPARSE_MAX_PROPS)
			abort();
		for (size_t k = 0; k < r->nprops; k++) {
			fuzz_arparse_keyword(r->props[k].ptype);
			fuzz_arparse_keyword(r->props[k].property);
			if (!r->props[k].value) /* "" is a value: an empty quoted string */
				abort();
		}
	}
}

/* LLVMFuzzerTestOneInput - parse the input twice and check what came out */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *v = (const char *)data;
	struct arena a;
	arena_init(&a);
	struct arparse x, y;
	const char *why = arparse(&a, v, size, &x), *why2 = arparse(&a, v, size, &y);
	fuzz_arparse_check(&x, why);
	if ((why == NULL) != (why2 == NULL) || (why && strcmp(why, why2) != 0) || x.n != y.n)
		abort();
	if (!why && !memchr(v, '\0', size) && ar_authserv_id(v, size, x.authserv_id) != AR_OURS)
		abort(); /* the reader and the removal check disagree on whose field it is */
	arena_free(&a);
	return 0;
}
