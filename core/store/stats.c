/*
 * stats.c - shared statistics counters (see stats.h), a thin layer over the
 * store's counters so that callers need not know the database name.
 */
#include "store/stats.h"

#include <string.h>

/* The arguments of stats_batch and stats_reset_txn. */
struct stats_job {
	const struct stats_delta *d;
	size_t n;
	const char *prefix;
	size_t plen;
};

/* stats_add - add delta to counter name */
void stats_add(struct store *st, const char *name, long long delta)
{
	store_add(st, STATS_DB, name, delta);
}

/* stats_batch - add every delta of the job inside one transaction */
static int stats_batch(void *arg, struct store_txn *t)
{
	const struct stats_job *job = arg;
	for (size_t i = 0; i < job->n; i++)
		if (store_txn_add(t, STATS_DB, job->d[i].name, job->d[i].delta, NULL) < 0)
			return -1;
	return 0;
}

/* stats_add_batch - add the n deltas of d in one transaction */
void stats_add_batch(struct store *st, const struct stats_delta *d, size_t n)
{
	struct stats_job job = { .d = d, .n = n };
	if (n)
		store_write(st, stats_batch, &job);
}

/* stats_each - call cb with every counter in name order */
int stats_each(struct store *st, void (*cb)(void *arg, const char *name, long long value), void *arg)
{
	return store_each(st, STATS_DB, cb, arg);
}

/* stats_reset_item - delete the counters under the prefix, stop past them */
static int stats_reset_item(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	const struct stats_job *job = arg;
	if (klen < job->plen || memcmp(key, job->prefix, job->plen) != 0)
		return STORE_STOP;
	return STORE_DELETE;
}

/* stats_reset_txn - remove the counters of the job's prefix */
static int stats_reset_txn(void *arg, struct store_txn *t)
{
	struct stats_job *job = arg;
	long n;
	if (job->plen > STORE_MAX_KEY)
		return 0; /* no counter has so long a name */
	if (!job->plen) {
		if ((n = store_txn_count(t, STATS_DB)) < 0 || store_txn_clear(t, STATS_DB) < 0)
			return -1;
		return (int)n;
	}
	n = store_txn_each(t, STATS_DB, job->prefix, job->plen, stats_reset_item, job);
	return n < 0 ? -1 : (int)n;
}

/* stats_reset - remove the counters whose names start with prefix */
int stats_reset(struct store *st, const char *prefix)
{
	struct stats_job job = { .prefix = prefix, .plen = prefix ? strlen(prefix) : 0 };
	return store_write(st, stats_reset_txn, &job);
}
