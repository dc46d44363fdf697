/*
 * fieldindex.c - header fields by name: an open-addressing table from a name
 * to its bottom-most field, and for each field the next one above it with the
 * same name.  A selection walks each name's chain upwards once, whatever the
 * number of h= entries; built lazily, in the message's arena.
 */
#include "msg/fieldindex.h"
#include "util/str.h"

#include <stdint.h>
#include <string.h>

struct fieldindex_slot {
	uint32_t last;   /* 1 + index of the bottom-most field of the name; 0: empty slot */
	uint32_t hash;
	uint32_t stamp;  /* the selection cursor and mark belong to */
	uint32_t cursor; /* 1 + index of the next field to take; 0: none left */
	size_t mark;
};

struct fieldindex {
	const struct header_field *fields;
	size_t nfields;
	uint32_t *above;  /* above[i]: 1 + index of the nearest field above i with its name, or 0 */
	struct fieldindex_slot *slots;
	size_t mask;      /* slots - 1 (a power of two minus one) */
	uint32_t seed;    /* per index: names cannot be chosen to collide */
	uint32_t stamp;
	size_t steps;
};

/* fieldindex_probe - the slot holding name, or the empty slot where it would go (inlined in its two
 * callers: a call costs more than the few steps a probe takes) */
static inline __attribute__((always_inline)) size_t fieldindex_probe(const struct fieldindex *x, const char *name, size_t len, uint32_t h, size_t *steps)
{
	size_t i = h & x->mask;
	for (;; i = (i + 1) & x->mask) {
		const struct fieldindex_slot *s = &x->slots[i];
		++*steps;
		if (!s->last)
			return i;
		const struct header_field *f = &x->fields[s->last - 1];
		if (s->hash == h && header_name_eq(f->raw, f->name_len, name, len))
			return i;
	}
}

/* fieldindex_build - index every well-formed field */
static struct fieldindex *fieldindex_build(struct arena *a, const struct header_field *fields, size_t n)
{
	if (n >= UINT32_MAX / 4)
		return NULL;
	/* every member of x and every above[i] is written below; the slots start empty */
	struct fieldindex *x = arena_alloc_raw(a, sizeof *x);
	size_t nslots = 16;
	while (nslots < 2 * n)
		nslots *= 2;
	if (!x || !(x->above = arena_alloc_raw(a, (n ? n : 1) * sizeof *x->above)) ||
	    !(x->slots = arena_alloc(a, nslots * sizeof *x->slots)))
		return NULL;
	x->fields = fields;
	x->nfields = n;
	x->mask = nslots - 1;
	x->seed = (uint32_t)((uintptr_t)x >> 4) * 2654435761u; /* the arena's address differs by process */
	x->stamp = 0;
	x->steps = 0;
	for (size_t i = 0; i < n; i++) {
		const struct header_field *f = &fields[i];
		x->above[i] = 0;
		if (!f->name_len)
			continue;
		uint32_t h = str_hash_lower(x->seed, f->raw, f->name_len);
		struct fieldindex_slot *s = &x->slots[fieldindex_probe(x, f->raw, f->name_len, h, &x->steps)];
		x->above[i] = s->last;
		s->last = (uint32_t)(i + 1);
		s->hash = h;
	}
	return x;
}

/* fieldindex_get - the cached index if it covers these fields, else a new one */
struct fieldindex *fieldindex_get(struct fieldindex **cache, struct arena *a, const struct header_field *fields,
				  size_t n)
{
	if (*cache && (*cache)->fields == fields && (*cache)->nfields == n)
		return *cache;
	return *cache = fieldindex_build(a, fields, n);
}

/* fieldindex_begin - a new selection stamp: cursors and marks reset lazily, slot by slot */
void fieldindex_begin(struct fieldindex *x)
{
	if (++x->stamp == 0) { /* wrapped: old stamps could match again */
		for (size_t i = 0; i <= x->mask; i++)
			x->slots[i].stamp = 0;
		x->stamp = 1;
	}
}

/* fieldindex_slot - the slot, brought into the current selection */
static struct fieldindex_slot *fieldindex_slot(struct fieldindex *x, size_t slot)
{
	struct fieldindex_slot *s = &x->slots[slot];
	if (s->stamp != x->stamp) {
		s->stamp = x->stamp;
		s->cursor = s->last;
		s->mark = FIELDINDEX_NONE;
	}
	return s;
}

/* fieldindex_find - the slot of name */
size_t fieldindex_find(struct fieldindex *x, const char *name, size_t len)
{
	if (!len)
		return FIELDINDEX_NONE;
	size_t i = fieldindex_probe(x, name, len, str_hash_lower(x->seed, name, len), &x->steps);
	return x->slots[i].last ? i : FIELDINDEX_NONE;
}

/* fieldindex_take - the next field of the slot's name, bottom-up */
size_t fieldindex_take(struct fieldindex *x, size_t slot, size_t first, bool skip_removed)
{
	struct fieldindex_slot *s = fieldindex_slot(x, slot);
	while (s->cursor && s->cursor - 1 >= first) {
		size_t i = s->cursor - 1;
		x->steps++;
		s->cursor = x->above[i];
		if (!(skip_removed && x->fields[i].removed))
			return i;
	}
	s->cursor = 0;
	return FIELDINDEX_NONE;
}

/* fieldindex_mark - the slot's mark, set to v if unset */
size_t fieldindex_mark(struct fieldindex *x, size_t slot, size_t v)
{
	struct fieldindex_slot *s = fieldindex_slot(x, slot);
	if (s->mark == FIELDINDEX_NONE)
		s->mark = v;
	return s->mark;
}

/* fieldindex_steps - work done so far */
size_t fieldindex_steps(const struct fieldindex *x)
{
	return x->steps;
}
