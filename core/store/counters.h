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
#define COUNTERS_NAME_MAX 255 /* longer names are cut to this many bytes */
#define COUNTERS_MEMO_SETS 16
#define COUNTERS_MEMO_WAYS 4
#define COUNTERS_MEMO_TEXT 64 /* a name whose group and tail need more is looked up by its text each time */

struct counters_slot {
	char *name;
	long long delta;
};

/* counters_family - the fixed parts of a family of names head GROUP middle TAIL (as
 * "dkim_validate." INSTANCE ".result." RESULT); a constant that outlives the table, its address
 * standing for its texts */
struct counters_family {
	const char *head, *middle;
};

/* A name of a family counted since the last flush, with the slot that holds it */
struct counters_memo {
	const struct counters_family *family; /* NULL: unused */
	size_t slot;
	size_t group_len;
	char text[COUNTERS_MEMO_TEXT]; /* the group, a NUL, the tail, a NUL */
};

struct counters {
	struct counters_slot slots[COUNTERS_SLOTS];
	size_t used;
	long long last_flush_ms;
	struct counters_memo memo[COUNTERS_MEMO_SETS][COUNTERS_MEMO_WAYS]; /* emptied with the slots */
	unsigned memo_next;						   /* the way a full set gives up next */
};

/* counters_add - add delta to name (copied; a delta of 0 makes it exist); flushes into st when due */
void counters_add(struct counters *c, struct store *st, const char *name, long long delta);
/* counters_add_len - counters_add of name[0..n), which is NUL-terminated at n */
void counters_add_len(struct counters *c, struct store *st, const char *name, size_t n, long long delta);
/* counters_add_family - counters_add of family->head group family->middle tail (NULL parts count as "",
 * the whole cut at COUNTERS_NAME_MAX bytes); a name counted since the last flush is found by
 * comparing its group and tail with the memo, without joining and hashing the parts */
void counters_add_family(struct counters *c, struct store *st, const struct counters_family *family, const char *group,
			 const char *tail, long long delta);
/* counters_flush - write every pending count into st in one transaction */
void counters_flush(struct counters *c, struct store *st);
/* counters_due - flush into st if the last flush is a second old at now_ms (dns_now_ms) */
void counters_due(struct counters *c, struct store *st, long long now_ms);
/* counters_free - forget pending counts (flush first to keep them) */
void counters_free(struct counters *c);

#endif
