/*
 * store_lmdb.c - the LMDB backend of store.h: the shared state of the
 * engine.  With store_lmdb_map.c (read-only map files) the only files of the
 * project that include lmdb.h (store_lmdb.h).
 *
 * One environment per state directory, opened MDB_NOSYNC|MDB_NOMETASYNC (the
 * data is a cache: a crash may lose the last writes, not the file's
 * consistency) and MDB_NOTLS (read transactions belong to the store, not to a
 * thread, so one is kept and reset/renewed for cheap reads).  Named databases
 * are opened lazily inside the transaction that first uses them.  Opening,
 * checking and, when the files are damaged, recreating them happen under a
 * flock on the directory, so that two processes never recreate them at once.
 *
 * The stores of one directory in one process (several engine contexts of a
 * threaded daemon, an old and a new one across a reload) share one
 * environment (store_share.h) and run their transactions one at a time
 * (they are short: no DNS or crypto happens inside one).
 */
#include "store/store.h"
#include "store/store_lmdb.h"
#include "store/store_share.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#define STORE_MAX_DBS 8
#define STORE_DB_NAME 32
#define STORE_MAX_READERS 512
#define STORE_LOCK_TRIES 200 /* of 5 ms: wait at most a second for the directory lock */

/* How a transaction uses a database (store_dbi). */
enum store_use { STORE_USE_READ = 0, STORE_USE_CHANGE, STORE_USE_CREATE };

struct store {
	MDB_env *env;
	struct store_share *shared; /* this process's entry of the directory (store_share.h) */
	MDB_txn *rtxn;           /* the reusable read transaction, reset when idle */
	char *dir;
	size_t map_bytes;
	pid_t pid;               /* the process that opened the store */
	unsigned long forks;     /* store_forks when it was opened */
	dkmod_log_fn *log;
	void *log_arg;
	struct {
		char name[STORE_DB_NAME];
		MDB_dbi dbi;
		bool pending;    /* opened by the running transaction, not yet committed */
	} dbs[STORE_MAX_DBS];
	size_t ndbs;
	bool busy;               /* inside store_read/store_write */
	bool hold;               /* store_hold: keep the read snapshot between store_reads */
	bool held;               /* rtxn is a live snapshot kept for the next store_read */
	bool warned_error, warned_full;
	unsigned long long reads; /* read snapshots begun (store_read_count) */
};

struct store_txn {
	struct store *st;
	MDB_txn *txn;
	bool write;
	int err;                 /* first LMDB failure: the transaction is then spoilt */
	char last_db[STORE_DB_NAME]; /* the database changed last: the one to clear when full */
};

/* Forks seen by this process image: a child's count differs from its parent's, so a
 * store can tell cheaply that it crossed a fork (getpid is a system call per use). */
static unsigned long store_forks;
static bool store_forks_watched;
static pthread_once_t store_forks_once = PTHREAD_ONCE_INIT;

/* store_forked - in the child after fork: count it */
static void store_forked(void)
{
	store_forks++;
}

/* store_forks_watch - once per process: count forks from now on */
static void store_forks_watch(void)
{
	store_forks_watched = pthread_atfork(NULL, NULL, store_forked) == 0;
}

/* store_same_process - true if st is used in the process that opened it */
static bool store_same_process(const struct store *st)
{
	if (store_forks_watched)
		return st->forks == store_forks;
	return st->pid == getpid();
}

/* store_lock - take the shared environment's transaction mutex (not in a child after fork) */
static void store_lock(const struct store *st)
{
	if (store_same_process(st))
		store_share_begin(st->shared);
}

/* store_unlock - release what store_lock took */
static void store_unlock(const struct store *st)
{
	if (store_same_process(st))
		store_share_end(st->shared);
}

/* store_log - format a line and hand it to the log callback */
__attribute__((format(printf, 3, 4)))
static void store_log(const struct store *st, enum dkmod_log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	if (!st->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	st->log(st->log_arg, level, line);
}

/* store_fail - log an LMDB failure (the first of a store as a warning, the rest as debug); -1 */
static int store_fail(struct store *st, const char *what, int rc)
{
	store_log(st, st->warned_error ? DKMOD_LOG_DEBUG : DKMOD_LOG_WARNING, "state store %s: %s: %s",
		  st->dir, what, mdb_strerror(rc));
	st->warned_error = true;
	return -1;
}

/* store_damaged - true for the errors that mean the files must be recreated */
static bool store_damaged(int rc)
{
	return rc == MDB_INVALID || rc == MDB_CORRUPTED || rc == MDB_VERSION_MISMATCH ||
	       rc == MDB_PAGE_NOTFOUND || rc == MDB_INCOMPATIBLE || rc == MDB_PANIC;
}

/* store_check - compare the file with its last page (a truncated file would fault
 * on the map) and walk the main database */
static int store_check(MDB_env *env)
{
	MDB_envinfo info;
	MDB_stat stat;
	mdb_filehandle_t fd;
	struct stat sb;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_dbi main_dbi;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_env_info(env, &info)) || (rc = mdb_env_stat(env, &stat)) || (rc = mdb_env_get_fd(env, &fd)))
		return rc;
	if (fstat(fd, &sb) < 0)
		return errno;
	if ((uint64_t)sb.st_size < ((uint64_t)info.me_last_pgno + 1) * stat.ms_psize)
		return MDB_CORRUPTED;
	if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)))
		return rc;
	if (!(rc = mdb_dbi_open(txn, NULL, 0, &main_dbi)) && !(rc = mdb_cursor_open(txn, main_dbi, &cur))) {
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
			;
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* store_env_open - create, open and check the environment; 0, an LMDB or an errno code */
static int store_env_open(struct store *st)
{
	int rc, dead = 0;
	if ((rc = mdb_env_create(&st->env)))
		return rc;
	if ((rc = mdb_env_set_maxdbs(st->env, STORE_MAX_DBS)) ||
	    (rc = mdb_env_set_maxreaders(st->env, STORE_MAX_READERS)) ||
	    (rc = mdb_env_set_mapsize(st->env, st->map_bytes)) ||
	    (rc = mdb_env_open(st->env, st->dir, MDB_NOSYNC | MDB_NOMETASYNC | MDB_NOTLS, 0640)) ||
	    (rc = mdb_reader_check(st->env, &dead)) || (rc = store_check(st->env))) {
		mdb_env_close(st->env);
		st->env = NULL;
		return rc;
	}
	if (dead)
		store_log(st, DKMOD_LOG_DEBUG, "state store %s: cleared %d stale readers", st->dir, dead);
	return 0;
}

/* store_flock - take a lock on the directory, waiting a bounded time; 0 or -1 */
static int store_flock(int fd, int op)
{
	for (int i = 0; i < STORE_LOCK_TRIES; i++) {
		if (flock(fd, op | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
	}
	return -1;
}

/* store_recreate - under the exclusive lock: try again, else remove the files and start afresh */
static int store_recreate(struct store *st, int dirfd, int rc)
{
	char path[4096];
	/* drop the shared lock first: two processes converting at once would wait on each other */
	if (dirfd < 0 || flock(dirfd, LOCK_UN) < 0 || store_flock(dirfd, LOCK_EX) < 0)
		return rc;
	if (!store_damaged(rc = store_env_open(st)))
		return rc; /* another process recreated them meanwhile */
	store_log(st, DKMOD_LOG_WARNING, "state store %s: %s; removing and recreating the files", st->dir,
		  mdb_strerror(rc));
	snprintf(path, sizeof path, "%s/data.mdb", st->dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/lock.mdb", st->dir);
	unlink(path);
	return store_env_open(st);
}

/* store_give_files - run as root, files made in a directory of another user are given to that
 * user: else the mail service that owns the state could not open them any more */
static void store_give_files(struct store *st, const struct stat *dir)
{
	static const char *const names[] = {"data.mdb", "lock.mdb"};
	char path[4096];
	struct stat sb;
	if (geteuid() != 0 || dir->st_uid == 0)
		return;
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s", st->dir, names[i]);
		if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_uid == 0 &&
		    chown(path, dir->st_uid, dir->st_gid) < 0)
			store_log(st, DKMOD_LOG_WARNING, "state store %s: cannot give it to uid %lu: %s", path,
				  (unsigned long)dir->st_uid, strerror(errno));
	}
}

/* store_env_first - open the environment (the first store of dir in this process); NULL or why not */
static const char *store_env_first(struct store *st, const char *dir)
{
	int rc, dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* without the lock (a stuck process holds it) we still open, but never recreate */
	if (dirfd >= 0)
		store_flock(dirfd, LOCK_SH);
	if (store_damaged(rc = store_env_open(st)))
		rc = store_recreate(st, dirfd, rc);
	if (dirfd >= 0)
		close(dirfd); /* releases the lock */
	return rc ? mdb_strerror(rc) : NULL;
}

/* store_open - open (creating dir 0750 and the files if missing) the store in dir */
struct store *store_open(const char *dir, size_t map_bytes, dkmod_log_fn *log, void *log_arg)
{
	struct store *st = calloc(1, sizeof *st);
	struct stat sb;
	const char *why = NULL;

	if (!st)
		return NULL;
	pthread_once(&store_forks_once, store_forks_watch);
	*st = (struct store){ .log = log, .log_arg = log_arg, .pid = getpid(), .forks = store_forks,
			      .map_bytes = map_bytes ? map_bytes : STORE_DEFAULT_MAP };
	if (!dir || !(st->dir = strdup(dir)))
		why = dir ? "out of memory" : "no directory given";
	else if ((mkdir(dir, 0750) < 0 && errno != EEXIST) || stat(dir, &sb) < 0)
		why = strerror(errno);
	else if (!S_ISDIR(sb.st_mode))
		why = "not a directory";
	if (!why) {
		store_share_lock();
		if ((st->shared = store_share_get(sb.st_dev, sb.st_ino)))
			st->env = store_share_env(st->shared);
		else if (!(why = store_env_first(st, dir))) {
			store_give_files(st, &sb);
			if (!(st->shared = store_share_add(st->env, sb.st_dev, sb.st_ino))) {
				mdb_env_close(st->env);
				why = "out of memory";
			}
		}
		store_share_unlock();
		if (!why)
			return st;
	}
	store_log(st, DKMOD_LOG_ERROR, "state store %s: %s; working without it", dir ? dir : "", why);
	free(st->dir);
	free(st);
	return NULL;
}

/* store_close - close a store; in a child after fork only the memory is freed */
void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->pid == getpid()) {
		store_share_begin(st->shared);
		if (st->rtxn)
			mdb_txn_abort(st->rtxn);
		store_share_end(st->shared);
		MDB_env *last = store_share_drop(st->shared);
		if (last)
			mdb_env_close(last);
	}
	free(st->dir);
	free(st);
}

/* store_dbs_end - after a transaction: keep (committed) or forget the handles it opened */
static void store_dbs_end(struct store *st, bool keep)
{
	size_t j = 0;
	for (size_t i = 0; i < st->ndbs; i++) {
		if (keep || !st->dbs[i].pending) {
			st->dbs[j] = st->dbs[i];
			st->dbs[j++].pending = false;
		}
	}
	st->ndbs = j;
}

/* store_dbi - the handle of db for a use: 1, 0 if db does not exist (and use is not
 * CREATE), -1 on error or if the transaction is spoilt or read-only for a change */
static int store_dbi(struct store_txn *t, const char *db, enum store_use use, MDB_dbi *dbi)
{
	struct store *st = t->st;
	size_t i;
	int rc;
	if (t->err || (use && !t->write))
		return -1;
	if (use)
		snprintf(t->last_db, sizeof t->last_db, "%s", db);
	for (i = 0; i < st->ndbs && strcmp(st->dbs[i].name, db) != 0; i++)
		;
	if (i < st->ndbs) {
		*dbi = st->dbs[i].dbi;
		return 1;
	}
	if (strlen(db) >= STORE_DB_NAME || st->ndbs == STORE_MAX_DBS) {
		store_log(st, DKMOD_LOG_ERROR, "state store %s: database \"%s\": name too long or too many", st->dir, db);
		return -1;
	}
	rc = mdb_dbi_open(t->txn, db, use == STORE_USE_CREATE ? MDB_CREATE : 0, dbi);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc) {
		t->err = rc;
		return store_fail(st, "open database", rc);
	}
	snprintf(st->dbs[i].name, STORE_DB_NAME, "%s", db);
	st->dbs[i].dbi = *dbi;
	st->dbs[i].pending = true;
	st->ndbs++;
	return 1;
}

/* store_begin - start a transaction; a map grown by another process is adopted */
static int store_begin(struct store *st, bool write, MDB_txn **txn)
{
	int rc = 0;
	if (!store_same_process(st) || st->busy) {
		store_log(st, DKMOD_LOG_ERROR, "state store %s: %s", st->dir,
			  st->busy ? "nested transaction" : "used across fork (open it in the child)");
		return -1;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (write)
			rc = mdb_txn_begin(st->env, NULL, 0, txn);
		else if (st->rtxn)
			rc = mdb_txn_renew(*txn = st->rtxn);
		else
			rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
		if (!rc) {
			if (!write)
				st->rtxn = *txn;
			return 0;
		}
		if (st->rtxn)
			mdb_txn_abort(st->rtxn);
		st->rtxn = NULL;
		st->held = false;
		if (rc == MDB_MAP_RESIZED)
			mdb_env_set_mapsize(st->env, 0);
		else if (rc == MDB_READERS_FULL)
			mdb_reader_check(st->env, NULL);
		else
			break;
	}
	return store_fail(st, write ? "begin write" : "begin read", rc);
}

/* store_unhold - end a kept read snapshot, if there is one */
static void store_unhold(struct store *st)
{
	if (st->held)
		mdb_txn_reset(st->rtxn);
	st->held = false;
}

/* store_read_locked - run fn in a read-only snapshot (the kept one while held) */
static int store_read_locked(struct store *st, int (*fn)(void *arg, struct store_txn *t), void *arg)
{
	struct store_txn t = { .st = st };
	bool opened = false;
	if (st->held && !st->busy && store_same_process(st))
		t.txn = st->rtxn;
	else if (store_begin(st, false, &t.txn) < 0)
		return -1; /* held or not, a nested or forked use is refused */
	else
		st->reads++;
	st->busy = true;
	int r = fn(arg, &t);
	st->busy = false;
	for (size_t i = 0; i < st->ndbs; i++)
		opened |= st->dbs[i].pending;
	if (opened) {
		/* only a commit keeps the handles a read transaction opened */
		store_dbs_end(st, mdb_txn_commit(st->rtxn) == 0);
		st->rtxn = NULL;
		st->held = false;
	} else if (st->hold) {
		st->held = true;
	} else {
		mdb_txn_reset(st->rtxn);
	}
	return t.err ? -1 : r;
}

/* store_read - run fn in a read-only snapshot, one transaction of the process at a time */
int store_read(struct store *st, int (*fn)(void *arg, struct store_txn *t), void *arg)
{
	if (!st)
		return -1;
	store_lock(st);
	int r = store_read_locked(st, fn, arg);
	store_unlock(st);
	return r;
}

/* store_version - the id of the last transaction committed to the environment by any process */
unsigned long long store_version(struct store *st)
{
	MDB_envinfo info;
	if (!st || !store_same_process(st) || mdb_env_info(st->env, &info) != 0)
		return 0;
	return (unsigned long long)info.me_last_txnid;
}

/* store_txn_version - the version a read snapshot shows (store_version when it began) */
unsigned long long store_txn_version(const struct store_txn *t)
{
	return t->write ? 0 : (unsigned long long)mdb_txn_id(t->txn);
}

/* store_read_count - the read snapshots begun so far */
unsigned long long store_read_count(const struct store *st)
{
	return st ? st->reads : 0;
}

/* store_hold - keep one read snapshot for the store_reads until store_release */
void store_hold(struct store *st)
{
	if (st)
		st->hold = true;
}

/* store_release - end store_hold: the next store_read takes a fresh snapshot */
void store_release(struct store *st)
{
	if (!st)
		return;
	st->hold = false;
	if (st->held && store_same_process(st)) {
		store_lock(st);
		store_unhold(st);
		store_unlock(st);
	}
	st->held = false;
}

/* store_attempt - run fn once in a write transaction, committed if fn returns >= 0 */
static int store_attempt_locked(struct store *st, int (*fn)(void *arg, struct store_txn *t), void *arg,
				struct store_txn *t)
{
	int r, rc;
	*t = (struct store_txn){ .st = st, .write = true };
	/* a kept snapshot would not see this write: the next read takes a fresh one */
	if (store_same_process(st))
		store_unhold(st);
	if (store_begin(st, true, &t->txn) < 0)
		return -1;
	st->busy = true;
	r = fn(arg, t);
	st->busy = false;
	if (r < 0 || t->err) {
		mdb_txn_abort(t->txn);
		store_dbs_end(st, false);
		return r < 0 ? r : -1;
	}
	rc = mdb_txn_commit(t->txn);
	store_dbs_end(st, rc == 0);
	if (rc == MDB_MAP_FULL)
		t->err = rc; /* store_write deals with it */
	return rc == 0 ? r : rc == MDB_MAP_FULL ? -1 : store_fail(st, "commit", rc);
}

/* store_attempt - store_attempt_locked, one transaction of the process at a time */
static int store_attempt(struct store *st, int (*fn)(void *arg, struct store_txn *t), void *arg,
			 struct store_txn *t)
{
	store_lock(st);
	int r = store_attempt_locked(st, fn, arg, t);
	store_unlock(st);
	return r;
}

/* store_clear_db - empty the database named by arg */
static int store_clear_db(void *arg, struct store_txn *t)
{
	return store_txn_clear(t, arg);
}

/* store_write - run fn in a write transaction; a full map clears the db changed and retries once */
int store_write(struct store *st, int (*fn)(void *arg, struct store_txn *t), void *arg)
{
	struct store_txn t, c;
	char db[STORE_DB_NAME];
	int r;

	if (!st)
		return -1;
	if ((r = store_attempt(st, fn, arg, &t)) >= 0 || t.err != MDB_MAP_FULL || !t.last_db[0])
		return r;
	memcpy(db, t.last_db, sizeof db);
	store_log(st, st->warned_full ? DKMOD_LOG_DEBUG : DKMOD_LOG_WARNING,
		  "state store %s: map full, clearing \"%s\"", st->dir, db);
	st->warned_full = true;
	/* pages freed by transaction N are reused from N+2 on: clear twice (the second
	 * is an empty commit) so that the retry finds the space */
	if (store_attempt(st, store_clear_db, db, &c) < 0 || store_attempt(st, store_clear_db, db, &c) < 0)
		return -1;
	return store_attempt(st, fn, arg, &t);
}

/* store_txn_fail - note a failure that spoils the transaction; -1 */
static int store_txn_fail(struct store_txn *t, const char *what, int rc)
{
	t->err = rc;
	return rc == MDB_MAP_FULL ? -1 : store_fail(t->st, what, rc); /* store_write deals with a full map */
}

/* store_txn_get - look key up in db */
int store_txn_get(struct store_txn *t, const char *db, const void *key, size_t klen,
		  const void **val, size_t *vlen)
{
	MDB_dbi dbi;
	MDB_val k = store_val(key, klen), v;
	int rc = klen && klen <= STORE_MAX_KEY ? store_dbi(t, db, STORE_USE_READ, &dbi) : -1;
	if (rc <= 0)
		return rc;
	if ((rc = mdb_get(t->txn, dbi, &k, &v)))
		return rc == MDB_NOTFOUND ? 0 : store_txn_fail(t, "get", rc);
	*val = v.mv_data;
	*vlen = v.mv_size;
	return 1;
}

/* store_txn_put - set key to val */
int store_txn_put(struct store_txn *t, const char *db, const void *key, size_t klen,
		  const void *val, size_t vlen)
{
	MDB_dbi dbi;
	MDB_val k = store_val(key, klen), v = store_val(val, vlen);
	int rc;
	if (!klen || klen > STORE_MAX_KEY || store_dbi(t, db, STORE_USE_CREATE, &dbi) <= 0)
		return -1;
	if ((rc = mdb_put(t->txn, dbi, &k, &v, 0)))
		return rc == MDB_BAD_VALSIZE ? -1 : store_txn_fail(t, "put", rc);
	return 0;
}

/* store_txn_del - delete key */
int store_txn_del(struct store_txn *t, const char *db, const void *key, size_t klen)
{
	MDB_dbi dbi;
	MDB_val k = store_val(key, klen);
	int rc = klen && klen <= STORE_MAX_KEY ? store_dbi(t, db, STORE_USE_CHANGE, &dbi) : -1;
	if (rc <= 0)
		return rc;
	if ((rc = mdb_del(t->txn, dbi, &k, NULL)))
		return rc == MDB_NOTFOUND ? 0 : store_txn_fail(t, "delete", rc);
	return 1;
}

/* store_txn_each - call cb on items in key order from the first key >= from */
long store_txn_each(struct store_txn *t, const char *db, const void *from, size_t fromlen,
		    int (*cb)(void *arg, const void *key, size_t klen, const void *val, size_t vlen),
		    void *arg)
{
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val k = store_val(from, fromlen), v;
	long deleted = 0;
	int rc = fromlen <= STORE_MAX_KEY ? store_dbi(t, db, t->write ? STORE_USE_CHANGE : STORE_USE_READ, &dbi) : -1;

	if (rc <= 0)
		return rc;
	if ((rc = mdb_cursor_open(t->txn, dbi, &cur)))
		return store_txn_fail(t, "cursor", rc);
	for (rc = mdb_cursor_get(cur, &k, &v, from && fromlen ? MDB_SET_RANGE : MDB_FIRST); !rc;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		int what = cb(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
		if ((what & STORE_DELETE) && t->write) {
			if ((rc = mdb_cursor_del(cur, 0)))
				break;
			deleted++; /* the cursor now stands on the next item, which MDB_NEXT returns */
		}
		if (what & STORE_STOP)
			break;
	}
	mdb_cursor_close(cur);
	if (rc && rc != MDB_NOTFOUND)
		return store_txn_fail(t, "iterate", rc);
	return deleted;
}

/* store_txn_count - the number of items in db */
long store_txn_count(struct store_txn *t, const char *db)
{
	MDB_dbi dbi;
	MDB_stat ms;
	int rc = store_dbi(t, db, STORE_USE_READ, &dbi);
	if (rc <= 0)
		return rc;
	if ((rc = mdb_stat(t->txn, dbi, &ms)))
		return store_txn_fail(t, "stat", rc);
	return (long)ms.ms_entries;
}

/* store_txn_clear - delete every item of db */
int store_txn_clear(struct store_txn *t, const char *db)
{
	MDB_dbi dbi;
	int rc = store_dbi(t, db, STORE_USE_CHANGE, &dbi);
	if (rc <= 0)
		return rc;
	if ((rc = mdb_drop(t->txn, dbi, 0)))
		return store_txn_fail(t, "clear", rc);
	return 0;
}

/* store_txn_add - add delta to counter name */
int store_txn_add(struct store_txn *t, const char *db, const char *name, long long delta,
		  long long *value)
{
	const void *old;
	size_t len, nlen = strlen(name);
	long long v = 0;
	int rc = store_txn_get(t, db, name, nlen, &old, &len);
	if (rc < 0)
		return -1;
	if (rc == 1 && len == sizeof v)
		memcpy(&v, old, sizeof v);
	v = (long long)((unsigned long long)v + (unsigned long long)delta); /* wraps, never traps */
	if (value)
		*value = v;
	return store_txn_put(t, db, name, nlen, &v, sizeof v);
}
