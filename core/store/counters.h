/*
 * counters.h - counters a process adds up before they reach the shared
 * state: one write transaction per second (or per 256 new names) instead of
 * one per message, and a last one when the context is freed.  A process that
 * is killed loses at most its last second of counts.
 */
#ifndef DKMOD_COUNTERS_H
#define DKMOD_COUNTERS_H

#include "store/store.h"

#define COUNTERS_SLOTS 512
#define COUNTERS_FLUSH_MS 1000

struct counters_slot {
	char *name;
	long long delta;
};

struct counters {
	struct counters_slot slots[COUNTERS_SLOTS];
	size_t used;
	long long last_flush_ms;
};

/* counters_add - add delta to name (copied; a delta of 0 makes it exist); flushes into st when due */
void counters_add(struct counters *c, struct store *st, const char *name, long long delta);
/* counters_add_len - counters_add of name[0..n), which is NUL-terminated at n */
void counters_add_len(struct counters *c, struct store *st, const char *name, size_t n, long long delta);
/* counters_flush - write every pending count into st in one transaction */
void counters_flush(struct counters *c, struct store *st);
/* counters_due - flush into st if the last flush is a second old at now_ms (dns_now_ms) */
void counters_due(struct counters *c, struct store *st, long long now_ms);
/* counters_free - forget pending counts (flush first to keep them) */
void counters_free(struct counters *c);

#endif
