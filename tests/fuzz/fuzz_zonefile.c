/*
 * fuzz_zonefile.c - libFuzzer target: the master file reader
 * (zonefile_parse on the input as a buffer), without and with a default
 * origin, checking that every record is complete and under a zone apex,
 * and that a failure says why.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "dns/zonefile.h"

/* fuzz_zonefile_under - name equals apex or ends in "." apex (case-insensitive; "." covers all) */
static int fuzz_zonefile_under(const char *name, const char *apex)
{
	size_t n = strlen(name), a = strlen(apex);
	if (strcmp(apex, ".") == 0 || (n == a && strcasecmp(name, apex) == 0))
		return 1;
	return n > a && name[n - a - 1] == '.' && strcasecmp(name + n - a, apex) == 0;
}

/* fuzz_zonefile_one - parse with one origin and check the result */
static void fuzz_zonefile_one(const char *text, size_t len, const char *origin)
{
	/* names are checked only without NUL bytes: the reader keeps them, and C strings end there */
	bool names = !memchr(text, '\0', len);
	char err[256];
	err[0] = '\0';
	struct zonefile *z = zonefile_parse(text, len, "fuzz.zone", origin, err, sizeof err);
	if (!z) {
		if (!memchr(err, '\0', sizeof err) || strncmp(err, "fuzz.zone:", 10) != 0)
			abort();
		return;
	}
	for (size_t i = 0; i < z->count; i++) {
		const struct zonefile_rr *rr = &z->rrs[i];
		if (!rr->text || !rr->owner || !rr->type)
			abort();
		if (!names)
			continue;
		size_t ol = strlen(rr->owner);
		if (ol == 0 || !rr->type[0] || rr->owner[ol - 1] != '.' || strncmp(rr->text, rr->owner, ol) != 0)
			abort();
		int covered = 0;
		for (size_t k = 0; k < z->napexes && !covered; k++)
			covered = fuzz_zonefile_under(rr->owner, z->apexes[k]);
		if (!covered)
			abort();
	}
	zonefile_free(z);
}

/* LLVMFuzzerTestOneInput - one zone file */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	fuzz_zonefile_one(text, size, NULL);
	fuzz_zonefile_one(text, size, "example.com.");
	fuzz_zonefile_one(text, size, "example.net");
	free(text);
	return 0;
}
