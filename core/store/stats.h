/*
 * stats.h - statistics counters shared by every process through the store
 * (store.h): dotted names such as "dkim_validate.dkim_validate1.result.pass"
 * mapped to 64-bit counts.  The engine adds all the counters of one message in
 * a single write transaction; a NULL store makes every call a no-op (-1).
 */
#ifndef DKMOD_STATS_H
#define DKMOD_STATS_H

#include <stddef.h>

#include "store/store.h"

#define STATS_DB "stats" /* the store database of the counters */

/* One counter change. */
struct stats_delta {
	const char *name;
	long long delta;
};

/* stats_add - add delta to counter name */
void stats_add(struct store *st, const char *name, long long delta);
/* stats_add_batch - add the n deltas of d in one transaction (all or none) */
void stats_add_batch(struct store *st, const struct stats_delta *d, size_t n);
/* stats_each - call cb with every counter in name (bytewise) order; 0 or -1 */
int stats_each(struct store *st, void (*cb)(void *arg, const char *name, long long value), void *arg);
/* stats_reset - remove the counters whose names start with prefix (all if prefix
 * is NULL or ""); the number removed, or -1 */
int stats_reset(struct store *st, const char *prefix);

#endif
