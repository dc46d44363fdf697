/*
 * test_fieldindex.c - the field index against the plain walk it replaced: for
 * random headers (names differing in case, malformed fields, removed fields)
 * and random h= lists, taking "the n-th mention takes the n-th instance from
 * the bottom" through the index picks exactly the fields the walk picks, also
 * above a first field and over many selections of one index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg/fieldindex.h"
#include "unit.h"

static unsigned test_seed = 4242;

/* test_rand - a small deterministic generator */
static unsigned test_rand(unsigned n)
{
	test_seed = test_seed * 1103515245u + 12345u;
	return (test_seed >> 8) % n;
}

static const char *const test_names[] = {"From", "from", "FROM", "To", "Subject", "subject", "X-A", "x-a", "Received", "Date"};
#define TEST_NAMES (sizeof test_names / sizeof *test_names)

/* walk_take - the plain walk: the bottom-most unused field of name at or below first */
static size_t walk_take(const struct header_field *f, size_t n, bool *used, const char *name, size_t first,
			bool skip_removed)
{
	for (size_t i = n; i-- > first;) {
		if (used[i] || !f[i].name_len || (skip_removed && f[i].removed) ||
		    !header_name_eq(f[i].raw, f[i].name_len, name, strlen(name)))
			continue;
		used[i] = true;
		return i;
	}
	return FIELDINDEX_NONE;
}

int main(void)
{
	struct arena a;
	arena_init(&a);
	char texts[400][48];
	struct header_field fields[400];
	int differ = 0, rounds = 0, takes = 0;
	for (int round = 0; round < 300; round++) {
		size_t n = test_rand(400);
		for (size_t i = 0; i < n; i++) {
			if (test_rand(20) == 0)
				snprintf(texts[i], sizeof texts[i], " folded line %zu", i); /* malformed */
			else
				snprintf(texts[i], sizeof texts[i], "%s: v%zu", test_names[test_rand(TEST_NAMES)], i);
			header_field_init(&fields[i], texts[i], strlen(texts[i]));
			fields[i].removed = test_rand(10) == 0;
		}
		struct fieldindex *cache = NULL;
		struct fieldindex *x = fieldindex_get(&cache, &a, fields, n);
		if (!x || fieldindex_get(&cache, &a, fields, n) != x) {
			differ++;
			continue;
		}
		for (int sel = 0; sel < 40; sel++) {
			bool used[400] = {false};
			size_t first = test_rand(4) == 0 ? test_rand((unsigned)n + 1) : 0;
			bool skip = test_rand(2);
			fieldindex_begin(x);
			for (size_t k = test_rand(60); k > 0; k--) {
				const char *name = test_names[test_rand(TEST_NAMES)];
				size_t want = walk_take(fields, n, used, name, first, skip);
				size_t slot = fieldindex_find(x, name, strlen(name));
				size_t got = slot == FIELDINDEX_NONE ? FIELDINDEX_NONE : fieldindex_take(x, slot, first, skip);
				differ += got != want;
				takes++;
			}
			rounds++;
		}
	}
	char name[120];
	snprintf(name, sizeof name, "index takes what the walk takes (%d selections, %d takes)", rounds, takes);
	CHECK_INT(name, differ, 0);
	/* one name's fields bottom-up; marks; a new selection starts again */
	struct header_field two[2];
	header_field_init(&two[0], "From: a", 7);
	header_field_init(&two[1], "From: b", 7);
	struct fieldindex *cache = NULL, *x = fieldindex_get(&cache, &a, two, 2);
	size_t slot = x ? fieldindex_find(x, "from", 4) : FIELDINDEX_NONE;
	CHECK("two From fields indexed", slot != FIELDINDEX_NONE);
	if (slot != FIELDINDEX_NONE) {
		fieldindex_begin(x);
		CHECK_INT("the bottom one first", fieldindex_take(x, slot, 0, false), 1);
		CHECK_INT("then the one above", fieldindex_take(x, slot, 0, false), 0);
		CHECK_INT("then none", fieldindex_take(x, slot, 0, false), FIELDINDEX_NONE);
		CHECK_INT("a mark is set once", fieldindex_mark(x, slot, 5) + fieldindex_mark(x, slot, 9), 10);
		fieldindex_begin(x);
		CHECK_INT("a new selection starts at the bottom again", fieldindex_take(x, slot, 0, false), 1);
		CHECK_INT("absent names are not found", fieldindex_find(x, "to", 2), FIELDINDEX_NONE);
		CHECK_INT("an empty name is not found", fieldindex_find(x, "", 0), FIELDINDEX_NONE);
	}
	arena_free(&a);
	return unit_done();
}
