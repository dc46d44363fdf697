/*
 * fieldindex.h - the header fields of a message indexed by name, built once
 * per message, so that choosing the fields a signature's h= names costs
 * O(entries + fields chosen) instead of O(entries x fields).
 */
#ifndef DKMOD_FIELDINDEX_H
#define DKMOD_FIELDINDEX_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "msg/header.h"

#define FIELDINDEX_NONE ((size_t)-1)

struct fieldindex;

/* fieldindex_get - the index of fields[0..n): *cache when it was built for them, else a new
 * one built in arena a (and kept in *cache); NULL when out of memory */
struct fieldindex *fieldindex_get(struct fieldindex **cache, struct arena *a, const struct header_field *fields,
				  size_t n);
/* fieldindex_begin - start a selection: every name starts again at its bottom-most field and
 * every mark is cleared */
void fieldindex_begin(struct fieldindex *x);
/* fieldindex_find - the slot of a field name (ASCII case-insensitive), or FIELDINDEX_NONE when
 * no field has that name */
size_t fieldindex_find(struct fieldindex *x, const char *name, size_t len);
/* fieldindex_take - the bottom-most field of the slot's name not yet taken in this selection,
 * at index first or below it, and not removed when skip_removed: its index (now taken), or
 * FIELDINDEX_NONE */
size_t fieldindex_take(struct fieldindex *x, size_t slot, size_t first, bool skip_removed);
/* fieldindex_mark - the slot's mark in this selection, set to v if it had none */
size_t fieldindex_mark(struct fieldindex *x, size_t slot, size_t v);
/* fieldindex_steps - fields looked at by take and slots probed by find and build since the
 * index was built (the tests bound the work of a selection with it) */
size_t fieldindex_steps(const struct fieldindex *x);

#endif
