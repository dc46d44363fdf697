/*
 * fuzz_tagvalue.c - libFuzzer target: tag=value lists (tagvalue_parse,
 * tagvalue_get, tagvalue_list_next over every value, tagvalue_qp_decode)
 * and strict base64 (base64_decode, checked by re-encoding: strict input
 * has exactly one spelling).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/base64.h"
#include "fuzz.h"
#include "record/tagvalue.h"

/* fuzz_tagvalue_fws - a byte that FWS may hold */
static bool fuzz_tagvalue_fws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* fuzz_tagvalue_inside - abort unless p[0..n) lies within base[0..len) */
static void fuzz_tagvalue_inside(const char *p, size_t n, const char *base, size_t len)
{
	if (p < base || n > len || (size_t)(p - base) > len - n)
		abort();
}

/* fuzz_tagvalue_list - every item of a colon list lies in the value and is trimmed */
static void fuzz_tagvalue_list(const char *v, size_t len)
{
	size_t pos = 0, n, items = 0;
	const char *item;
	while (tagvalue_list_next(v, len, &pos, &item, &n)) {
		fuzz_tagvalue_inside(item, n, v, len);
		if (n && (fuzz_tagvalue_fws((unsigned char)item[0]) || fuzz_tagvalue_fws((unsigned char)item[n - 1])))
			abort();
		if (memchr(item, ':', n) || ++items > len + 1)
			abort();
	}
}

/* fuzz_tagvalue_qp - dkim-quoted-printable decoding with roomy and tight buffers */
static void fuzz_tagvalue_qp(const char *v, size_t len)
{
	size_t cap = len + 1;
	char *out = malloc(cap);
	if (!out)
		abort();
	long n = tagvalue_qp_decode(v, len, out, cap);
	if (n >= 0) {
		if ((size_t)n >= cap || out[n] != '\0')
			abort();
		/* exactly enough room works; one byte less does not */
		char *tight = malloc((size_t)n + 1);
		if (!tight)
			abort();
		if (tagvalue_qp_decode(v, len, tight, (size_t)n + 1) != n || memcmp(tight, out, (size_t)n + 1) != 0)
			abort();
		if (n > 0 && tagvalue_qp_decode(v, len, tight, (size_t)n) != -1)
			abort();
		free(tight);
	}
	if (tagvalue_qp_decode(v, len, out, 0) != -1)
		abort();
	free(out);
}

/* fuzz_tagvalue_base64 - strict decoding; a success re-encodes to the input without FWS */
static void fuzz_tagvalue_base64(const char *v, size_t len)
{
	size_t cap = base64_decoded_max(len);
	unsigned char *out = malloc(cap + 1);
	if (!out)
		abort();
	long n = base64_decode(v, len, out, cap);
	if (n >= 0) {
		if ((size_t)n > cap)
			abort();
		char *enc = malloc(base64_encoded_len((size_t)n) + 1);
		char *bare = malloc(len + 1);
		if (!enc || !bare)
			abort();
		base64_encode(out, (size_t)n, enc);
		size_t b = 0;
		for (size_t i = 0; i < len; i++)
			if (!fuzz_tagvalue_fws((unsigned char)v[i]))
				bare[b++] = v[i];
		if (strlen(enc) != b || memcmp(enc, bare, b) != 0)
			abort();
		if (n > 0 && base64_decode(v, len, out, (size_t)n - 1) != -1)
			abort();
		free(enc);
		free(bare);
	}
	free(out);
}

/* LLVMFuzzerTestOneInput - one tag list */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	struct tagvalue_list *list = malloc(sizeof *list);
	if (!list)
		abort();
	size_t err_at = (size_t)-1;
	enum tagvalue_status st = tagvalue_parse(text, size, list, &err_at);
	if (st != TAGVALUE_OK && (err_at > size || !tagvalue_strerror(st)))
		abort();
	if (st == TAGVALUE_OK) {
		if (list->count > TAGVALUE_MAX)
			abort();
		for (size_t i = 0; i < list->count; i++) {
			const struct tagvalue *t = &list->tags[i];
			fuzz_tagvalue_inside(t->name, t->name_len, text, size);
			fuzz_tagvalue_inside(t->value, t->value_len, text, size);
			if (t->name_len == 0)
				abort();
			if (t->value_len && (fuzz_tagvalue_fws((unsigned char)t->value[0]) ||
					     fuzz_tagvalue_fws((unsigned char)t->value[t->value_len - 1])))
				abort();
			if (memchr(t->value, ';', t->value_len))
				abort();
			char *name = malloc(t->name_len + 1);
			if (!name)
				abort();
			memcpy(name, t->name, t->name_len);
			name[t->name_len] = '\0';
			if (tagvalue_get(list, name) != t)
				abort();
			free(name);
			fuzz_tagvalue_list(t->value, t->value_len);
			fuzz_tagvalue_qp(t->value, t->value_len);
			fuzz_tagvalue_base64(t->value, t->value_len);
		}
	}
	fuzz_tagvalue_list(text, size);
	fuzz_tagvalue_qp(text, size);
	fuzz_tagvalue_base64(text, size);
	free(list);
	free(text);
	return 0;
}
