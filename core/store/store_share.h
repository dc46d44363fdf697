/*
 * store_share.h - the state directories a process has open, one LMDB
 * environment each, shared by every store of that directory in the process
 * (store_lmdb.c): LMDB forbids opening one environment twice in a process
 * (the second open would take the lock file for its own and reset it under
 * the first).  The stores of one environment run their transactions one at
 * a time under its mutex.  The environment is an opaque pointer here.
 */
#ifndef DKMOD_STORE_SHARE_H
#define DKMOD_STORE_SHARE_H

#include <sys/types.h>

struct store_share;

/* store_share_lock - take the list's lock around a lookup and the open that may follow */
void store_share_lock(void);
/* store_share_unlock - release it */
void store_share_unlock(void);
/* store_share_get - under the list's lock: this process's entry of directory (dev, ino),
 * counted once more; NULL if there is none */
struct store_share *store_share_get(dev_t dev, ino_t ino);
/* store_share_add - under the list's lock: a new entry for env (one user); NULL if out of memory */
struct store_share *store_share_add(void *env, dev_t dev, ino_t ino);
/* store_share_env - the entry's environment */
void *store_share_env(const struct store_share *sh);
/* store_share_drop - one user less; the environment to close if it was the last, else NULL */
void *store_share_drop(struct store_share *sh);
/* store_share_begin - take the entry's transaction mutex (recursive) */
void store_share_begin(struct store_share *sh);
/* store_share_end - release it */
void store_share_end(struct store_share *sh);

#endif
