/*
 * rptstore.h - the rows of DMARC aggregate reports in a store (store.h) of their own, grouped
 * by reporting period and policy domain, each row with its count of messages.  The store does
 * not read rows: they are text (record/rptxml.h) compared byte for byte.
 *
 * Layout (keys are text; a period is its start, 12 decimal digits, so keys sort by period):
 *   "rpt_group" "BEGIN DOMAIN"          -> "END ROWS DROPPED\tPOLICY"  (the last policy seen)
 *   "rpt_row"   "BEGIN DOMAIN HASH"     -> "COUNT\tROW"   (HASH: 16 hex digits of the row)
 *   "rpt_meta"  "rows"                  -> the rows of all groups (a counter)
 *   "rpt_sent"  "BEGIN DOMAIN"          -> "DEST\n..." (the destinations that took the group's
 *                                          report: a report kept for a failed one goes to the
 *                                          others once; at most RPTSTORE_MAX_SENT)
 * Bounds: max_rows rows per group (a message that would need one more is counted as dropped,
 * and the first such message of a group says so), max_total rows in all.
 */
#ifndef DKMOD_RPTSTORE_H
#define DKMOD_RPTSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"
#include "util/str.h"

#define RPTSTORE_MAX_DOMAIN 253
#define RPTSTORE_MAX_SENT 16    /* destinations remembered per group */
#define RPTSTORE_MAX_DEST 300   /* longest destination remembered */

/* What rptstore_add did. */
enum rptstore_added {
	RPTSTORE_NEW_ROW = 0,   /* a new row */
	RPTSTORE_COUNTED,       /* an existing row counted the message(s) */
	RPTSTORE_FULL_FIRST,    /* a bound was hit for the first time in this group: dropped */
	RPTSTORE_FULL           /* dropped again */
};

/* A row to add. */
struct rptstore_item {
	long long begin, end;   /* the period */
	const char *domain;     /* the policy domain (no spaces) */
	const char *policy;     /* the published policy, as text */
	const char *row;        /* the row, as text; NULL: count messages not reported (dropped) */
	unsigned long long count;
};

/* The bounds. */
struct rptstore_limits {
	size_t max_rows;        /* per group */
	size_t max_total;       /* rows in all */
};

/* A group: one policy domain in one period. */
struct rptstore_group {
	long long begin, end;
	char domain[RPTSTORE_MAX_DOMAIN + 1];
	size_t rows;
	unsigned long long dropped;
	struct str policy;      /* the policy text; str_free it */
};

/* rptstore_add - add an item in one write transaction; 0 and *added, or -1 (logged by the store) */
int rptstore_add(struct store *st, const struct rptstore_item *it, const struct rptstore_limits *lim,
		 enum rptstore_added *added);
/* rptstore_add_txn - the same inside a write transaction the caller runs */
int rptstore_add_txn(struct store_txn *t, const struct rptstore_item *it, const struct rptstore_limits *lim,
		     enum rptstore_added *added);
/* rptstore_next - the first group after the key `after` ("" from the start) whose period ended
 * at or before now; 1 and *g (and its key in after, cap bytes), 0 when none, -1 on error */
int rptstore_next(struct store *st, long long now, char *after, size_t cap, struct rptstore_group *g);
/* rptstore_rows - call cb with every row of group g and its count, inside a read transaction;
 * cb returns false to stop (rptstore_rows then returns -1); 0 or -1 */
int rptstore_rows(struct store *st, const struct rptstore_group *g,
		  bool (*cb)(void *arg, const char *row, size_t len, unsigned long long count), void *arg);
/* rptstore_sent - 1 if dest took group g's report already, 0 if not, -1 on error */
int rptstore_sent(struct store *st, const struct rptstore_group *g, const char *dest);
/* rptstore_mark_sent - remember that dest took group g's report; 0, or -1 on error or when
 * RPTSTORE_MAX_SENT destinations are remembered already (or dest is empty, too long or has a
 * newline) */
int rptstore_mark_sent(struct store *st, const struct rptstore_group *g, const char *dest);
/* rptstore_remove - remove group g, its rows and its destinations; 0 or -1 */
int rptstore_remove(struct store *st, const struct rptstore_group *g);

#endif
