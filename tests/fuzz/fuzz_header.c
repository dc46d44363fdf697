/*
 * fuzz_header.c - libFuzzer target: one raw header field through
 * header_field_init, header_is and header_value, and the first mailbox of its
 * value (and of the whole input) through address_first, with the invariants
 * of the structures they fill.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg/address.h"
#include "fuzz.h"
#include "msg/header.h"

/* fuzz_header_terminated - abort unless buf holds a NUL within cap bytes; returns its length */
static size_t fuzz_header_terminated(const char *buf, size_t cap)
{
	const char *nul = memchr(buf, '\0', cap);
	if (!nul)
		abort();
	return (size_t)(nul - buf);
}

/* fuzz_header_address - address_first and what it promises */
static void fuzz_header_address(const char *v, size_t len)
{
	struct address a;
	if (!address_first(v, len, &a))
		return;
	size_t ll = fuzz_header_terminated(a.local, sizeof a.local);
	size_t dl = fuzz_header_terminated(a.domain, sizeof a.domain);
	size_t fl = fuzz_header_terminated(a.full, sizeof a.full);
	if (ll == 0 || dl == 0 || fl != ll + 1 + dl || memcmp(a.full, a.local, ll) != 0 || a.full[ll] != '@' ||
	    memcmp(a.full + ll + 1, a.domain, dl) != 0)
		abort();
	if (memchr(a.domain, '@', dl))
		abort();
}

/* LLVMFuzzerTestOneInput - one header field */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly the input, so reading past it is caught */
	char *raw = malloc(size ? size : 1);
	if (!raw)
		abort();
	memcpy(raw, data, size);
	struct header_field f;
	bool ok = header_field_init(&f, raw, size);
	if (f.raw != raw || f.raw_len != size || f.text_len > size || size - f.text_len > 2 || f.removed)
		abort();
	if (ok) {
		if (f.name_len == 0 || f.value_off > f.text_len || f.value_off <= f.name_len || raw[f.value_off - 1] != ':')
			abort();
		for (size_t i = 0; i < f.name_len; i++)
			if ((unsigned char)raw[i] < 33 || (unsigned char)raw[i] > 126 || raw[i] == ':')
				abort();
		/* the field answers to its own name, in any case */
		char *name = malloc(f.name_len + 1);
		if (!name)
			abort();
		for (size_t i = 0; i < f.name_len; i++)
			name[i] = (char)(raw[i] >= 'a' && raw[i] <= 'z' ? raw[i] - 'a' + 'A' : raw[i]);
		name[f.name_len] = '\0';
		if (!header_is(&f, name) || !header_name_eq(raw, f.name_len, name, f.name_len))
			abort();
		free(name);
		size_t vlen;
		const char *v = header_value(&f, &vlen);
		if (v != raw + f.value_off || vlen != f.text_len - f.value_off)
			abort();
		fuzz_header_address(v, vlen);
		(void)header_is(&f, "From");
		(void)header_is(&f, "DKIM-Signature");
	} else if (f.name_len != 0 || header_is(&f, "From")) {
		abort();
	}
	fuzz_header_address(raw, size);
	free(raw);
	return 0;
}
