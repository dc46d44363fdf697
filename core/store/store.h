/*
 * store.h - a small key/value store of named sub-databases in one directory,
 * shared by every process of an MTA (the DNS answer cache, the statistics).
 * store_lmdb.c is the one backend and the only file that includes lmdb.h.
 *
 * The store is a disposable cache: writes are not synced, a damaged or
 * incompatible data file is removed and recreated, a full map is cured by
 * clearing the sub-database that filled it.  No function aborts or exits;
 * failures return -1 and are logged through the callback given at open.
 *
 * Processes and threads: a store must be opened AFTER fork, in the process
 * that uses it (an LMDB environment must not cross fork); in a child, an
 * inherited store refuses every call and store_close only frees its memory.
 * One store is for one thread at a time; other processes may use the same
 * directory concurrently, each with its own store, and so may other threads
 * of the process, each with its own store (the stores of one directory in a
 * process share one LMDB environment, store_share.h).
 */
#ifndef DKMOD_STORE_H
#define DKMOD_STORE_H

#include <stddef.h>

#include "util/arena.h"
#include "dkmod.h"

#define STORE_DEFAULT_MAP ((size_t)64 << 20) /* map size when 0 is given */
#define STORE_MAX_KEY 511                   /* longest key (and counter name) */

/* Databases are named by short strings (under 32 bytes), at most 8 per store. */
struct store;
/* A transaction; valid only inside the store_read/store_write callback that received it. */
struct store_txn;

/* A counter change for store_add_batch. */
struct store_delta {
	const char *name;
	long long delta;
};

/* Return bits of a store_txn_each callback. */
#define STORE_NEXT 0    /* go on */
#define STORE_DELETE 1  /* delete this item (write transactions only), then go on */
#define STORE_STOP 2    /* stop after this item */

/* store_open - open (creating dir 0750 and the files if missing) the store in dir with
 * a map of map_bytes (0: STORE_DEFAULT_MAP); NULL, logged once, if it cannot be had.
 * log may be NULL; log_arg is kept for the life of the store. */
struct store *store_open(const char *dir, size_t map_bytes, dkmod_log_fn *log, void *log_arg);
/* store_close - close a store; NULL is fine */
void store_close(struct store *st);

/* store_read - run fn in a read-only snapshot; returns fn's result, or -1 if the
 * transaction could not be had.  fn must not call store_read or store_write. */
int store_read(struct store *st, int (*fn)(void *arg, struct store_txn *t), void *arg);
/* store_version - the id of the last transaction committed to the store by any process: what a
 * snapshot of that version read is still true while it stays (a memo's check, no transaction); 0
 * when not known (NULL, or another process image after fork) */
unsigned long long store_version(struct store *st);
/* store_txn_version - the version a read snapshot shows, for tagging what it read (a held snapshot
 * may be older than store_version); 0 in a write transaction */
unsigned long long store_txn_version(const struct store_txn *t);
/* store_read_count - the read snapshots store_read has begun so far (0 for NULL) */
unsigned long long store_read_count(const struct store *st);
/* store_hold - from now on store_read keeps its read snapshot for the store_reads that
 * follow (one snapshot, begun once, for a burst of reads) until store_release or a
 * store_write, which both end it; NULL is fine */
void store_hold(struct store *st);
/* store_release - end store_hold; NULL is fine */
void store_release(struct store *st);
/* store_write - run fn in a write transaction (one writer at a time across all
 * processes), committed if fn returns >= 0 and aborted otherwise; returns fn's
 * result or -1.  A failed store_txn_* call spoils the transaction: later calls
 * fail and it is aborted.  If the map fills up, the database changed last is
 * cleared (logged as a warning the first time, as debug after) and fn runs once
 * more, so fn must keep no effects outside the transaction from a first run. */
int store_write(struct store *st, int (*fn)(void *arg, struct store_txn *t), void *arg);

/* store_txn_get - 1 and *val, *vlen (valid until the transaction ends or writes
 * to db) if key is present, 0 if not, -1 on error */
int store_txn_get(struct store_txn *t, const char *db, const void *key, size_t klen,
		  const void **val, size_t *vlen);
/* store_txn_put - set key to val; 0 or -1 */
int store_txn_put(struct store_txn *t, const char *db, const void *key, size_t klen,
		  const void *val, size_t vlen);
/* store_txn_del - 1 if key was deleted, 0 if absent, -1 on error */
int store_txn_del(struct store_txn *t, const char *db, const void *key, size_t klen);
/* store_txn_each - call cb on items in key order (bytewise), from the first key
 * >= from (NULL: from the first); cb returns STORE_* bits and may change other
 * databases, not db itself.  Returns the number of items deleted, or -1. */
long store_txn_each(struct store_txn *t, const char *db, const void *from, size_t fromlen,
		    int (*cb)(void *arg, const void *key, size_t klen, const void *val, size_t vlen),
		    void *arg);
/* store_txn_count - the number of items in db (0 if db does not exist yet), or -1 */
long store_txn_count(struct store_txn *t, const char *db);
/* store_txn_clear - delete every item of db; 0 or -1 */
int store_txn_clear(struct store_txn *t, const char *db);
/* store_txn_add - add delta to counter name (absent: 0), wrapping on overflow;
 * the new value in *value if value is not NULL; 0 or -1 */
int store_txn_add(struct store_txn *t, const char *db, const char *name, long long delta,
		  long long *value);

/* store_get - 1 and a copy of the value in a (NUL-terminated past *vlen) if key
 * is present, 0 if not, -1 on error */
int store_get(struct store *st, const char *db, const void *key, size_t klen, struct arena *a,
	      void **val, size_t *vlen);
/* store_put - set key to val in its own transaction; 0 or -1 */
int store_put(struct store *st, const char *db, const void *key, size_t klen, const void *val,
	      size_t vlen);
/* store_del - 1 if key was deleted, 0 if absent, -1 on error */
int store_del(struct store *st, const char *db, const void *key, size_t klen);
/* store_iterate - call cb on every item in key order until it returns non-zero;
 * 0, or -1 on error */
int store_iterate(struct store *st, const char *db,
		  int (*cb)(void *arg, const void *key, size_t klen, const void *val, size_t vlen),
		  void *arg);

/* store_add - add delta to counter name of db atomically; 0 or -1 */
int store_add(struct store *st, const char *db, const char *name, long long delta);
/* store_add_batch - add n deltas in one write transaction (all or none); 0 or -1 */
int store_add_batch(struct store *st, const char *db, const struct store_delta *d, size_t n);
/* store_each - call cb(arg, name, value) on every counter of db in name order; 0 or -1 */
int store_each(struct store *st, const char *db,
	       void (*cb)(void *arg, const char *name, long long value), void *arg);

/* A read-only map file (a compiled signing table): one LMDB file, no lock file, never
 * changed in place (a new one is written beside and renamed over it). */
struct store_map;
/* store_map_open - open the map file at path; NULL and why if it cannot be had */
struct store_map *store_map_open(const char *path, char *why, size_t why_size);
/* store_map_get - 1 and the value (valid until the map is closed) if key is present, 0 if not, -1 on error */
int store_map_get(struct store_map *m, const void *key, size_t klen, const void **val, size_t *vlen);
/* store_map_each - fn for every item in key order until it returns non-zero; -1 on error, else 0 */
int store_map_each(struct store_map *m, int (*fn)(void *arg, const void *key, size_t klen, const void *val,
						  size_t vlen), void *arg);
/* store_map_close - NULL is fine */
void store_map_close(struct store_map *m);
/* store_map_write - a new map file at path (written beside, then renamed over it) of the items
 * next gives (1: an item, 0: done, -1: fail) in map_bytes, in increasing bytewise order of
 * their keys (so that pages are filled whole); 0, or -1 and why (left to next when next failed) */
int store_map_write(const char *path, size_t map_bytes,
		    int (*next)(void *arg, const void **key, size_t *klen, const void **val, size_t *vlen), void *arg,
		    char *why, size_t why_size);

#endif
