/*
 * fuzz_spfrec.c - libFuzzer target: the SPF record parser and the macro
 * expander (record/spfrec.c).  The first byte picks the client's address
 * family and whether the rest is also expanded as an explanation; the rest is
 * a record (spfrec_parse) and a macro-string (spfrec_expand).  Checks: parsed
 * terms lie in the record's copy with prefix lengths in range, a parsed record
 * is an SPF record, every domain-spec expands, expansions are bounded and
 * NUL-terminated, expansion succeeds only on valid macro-strings, and cut
 * domains keep to 253 octets.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "record/spfrec.h"

static struct spfrec fuzz_spfrec_rec;

/* fuzz_spfrec_env - a fixed sender and client */
static void fuzz_spfrec_env(struct spfrec_env *env, bool ipv6)
{
	static const unsigned char ip[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const unsigned char ip4[4] = { 192, 0, 2, 3 };

	memset(env, 0, sizeof *env);
	env->sender = "strong-bad@email.example.com";
	env->local = "strong-bad";
	env->sender_domain = "email.example.com";
	env->domain = "email.example.com";
	env->helo = "mx.example.org";
	env->ip = ipv6 ? ip : ip4;
	env->ipv6 = ipv6;
	env->validated = ipv6 ? NULL : "host.example.com";
	env->now = 1400000000;
}

/* fuzz_spfrec_expand - expand s; check the bounds and agreement with the syntax check */
static void fuzz_spfrec_expand(const char *s, bool explain, const struct spfrec_env *env)
{
	char out[SPFREC_MAX_EXPANSION + 1], name[SPFREC_MAX_EXPANSION + 1];
	int n = spfrec_expand(s, explain, env, out, sizeof out);

	if (n < 0)
		return;
	if (!spfrec_check_macros(s, strlen(s), explain) || n > SPFREC_MAX_EXPANSION || out[n] != '\0' ||
	    strlen(out) != (size_t)n)
		abort();
	memcpy(name, out, (size_t)n + 1);
	if (spfrec_domain(name) && strlen(name) > SPFREC_MAX_DOMAIN)
		abort();
}

/* fuzz_spfrec_record - parse; check every term of a parsed record */
static void fuzz_spfrec_record(const char *text, size_t len, const struct spfrec_env *env)
{
	struct spfrec *rec = &fuzz_spfrec_rec;
	const char *why = NULL;
	const char *lo = rec->text, *hi = rec->text + sizeof rec->text;

	if (!spfrec_parse(text, len, rec, &why)) {
		if (!why)
			abort();
		return;
	}
	if (!spfrec_is_spf(text, len) || rec->nterms > SPFREC_MAX_TERMS)
		abort();
	for (size_t i = 0; i < rec->nterms; i++) {
		const struct spfrec_term *t = &rec->terms[i];

		if (t->cidr4 > 32 || t->cidr6 > 128 || (unsigned)t->mech > SPFREC_EXISTS)
			abort();
		if (t->qualifier != DKMOD_SPF_PASS && t->qualifier != DKMOD_SPF_FAIL && t->qualifier != DKMOD_SPF_SOFTFAIL &&
		    t->qualifier != DKMOD_SPF_NEUTRAL)
			abort();
		if (!t->spec)
			continue;
		if (t->spec < lo || t->spec >= hi || !memchr(t->spec, '\0', (size_t)(hi - t->spec)))
			abort();
		if (!spfrec_check_macros(t->spec, strlen(t->spec), false))
			abort();
		fuzz_spfrec_expand(t->spec, false, env);
	}
	if (rec->redirect)
		fuzz_spfrec_expand(rec->redirect, false, env);
	if (rec->exp)
		fuzz_spfrec_expand(rec->exp, false, env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spfrec_env env;
	char *text;

	if (size == 0)
		return 0;
	fuzz_spfrec_env(&env, data[0] & 1);
	text = malloc(size);
	if (!text)
		abort();
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	fuzz_spfrec_record(text, size - 1, &env);
	/* the same bytes as a macro-string (up to a NUL) */
	fuzz_spfrec_expand(text, data[0] & 2, &env);
	free(text);
	return 0;
}
