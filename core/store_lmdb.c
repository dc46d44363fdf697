/*
 * store_lmdb.c - the LMDB backend of store.h, and the only file of the
 * project that includes lmdb.h.
 *
 * One environment per state directory, opened MDB_NOSYNC|MDB_NOMETASYNC
 * (the data is a cache: a crash may lose the last writes, never the file's
 * consistency) and MDB_NOTLS (read transactions belong to the store, not to a
 * thread, so one read transaction is kept and reset/renewed for cheap reads).
 * Named databases are opened lazily inside the transaction that first uses
 * them.  Opening, checking and, when the files are damaged, removing and
 * recreating them happen under a flock on the directory, so that two
 * processes never recreate the files at once.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
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

struct store_db {
	char name[STORE_DB_NAME];
	MDB_dbi dbi;
	bool pending;          /* opened in the running transaction, not yet committed */
};

struct store {
	MDB_env *env;
	MDB_txn *rtxn;         /* the reusable read transaction, reset when idle */
	char *dir;
	size_t map_bytes;
	pid_t pid;             /* the process that opened the store */
	dkmod_log_fn *log;
	void *log_arg;
	struct store_db dbs[STORE_MAX_DBS];
	size_t ndbs;
	bool busy;             /* inside store_read/store_write */
	bool warned_error;
	bool warned_full;
};

struct store_txn {
	struct store *st;
	MDB_txn *txn;
	bool write;
	int err;               /* first LMDB failure: the transaction is then spoilt */
	char last_db[STORE_DB_NAME]; /* the database written last (to clear when full) */
};

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

/* store_fail - note an LMDB failure: the first one of a store is a warning, the rest debug */
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

/* store_check - walk the main database and compare the file with its last page (a
 * truncated file would fault on the map) */
static int store_check(struct store *st)
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

	if ((rc = mdb_env_info(st->env, &info)) || (rc = mdb_env_stat(st->env, &stat)) ||
	    (rc = mdb_env_get_fd(st->env, &fd)))
		return rc;
	if (fstat(fd, &sb) < 0)
		return errno;
	if ((uint64_t)sb.st_size < ((uint64_t)info.me_last_pgno + 1) * stat.ms_psize)
		return MDB_CORRUPTED;
	if ((rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)))
		return rc;
	if (!(rc = mdb_dbi_open(txn, NULL, 0, &main_dbi)) && !(rc = mdb_cursor_open(txn, main_dbi, &cur))) {
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
			;
		mdb_cursor_close(cur);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	mdb_txn_abort(txn);
	return rc;
}

/* store_env_open - create, open and check the environment; an LMDB or errno code */
static int store_env_open(struct store *st)
{
	int rc, dead = 0;
	unsigned flags = MDB_NOSYNC | MDB_NOMETASYNC | MDB_NOTLS;

	if ((rc = mdb_env_create(&st->env)))
		return rc;
	if ((rc = mdb_env_set_maxdbs(st->env, STORE_MAX_DBS)) ||
	    (rc = mdb_env_set_maxreaders(st->env, STORE_MAX_READERS)) ||
	    (rc = mdb_env_set_mapsize(st->env, st->map_bytes)) ||
	    (rc = mdb_env_open(st->env, st->dir, flags, 0640)) || (rc = mdb_reader_check(st->env, &dead)) ||
	    (rc = store_check(st))) {
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

/* store_open - open (creating dir 0750 and the files if missing) the store in dir */
struct store *store_open(const char *dir, size_t map_bytes, dkmod_log_fn *log, void *log_arg)
{
	struct store *st = calloc(1, sizeof *st);
	struct stat sb;
	int rc, dirfd;

	if (!st)
		return NULL;
	st->log = log;
	st->log_arg = log_arg;
	st->pid = getpid();
	st->map_bytes = map_bytes ? map_bytes : STORE_DEFAULT_MAP;
	if (!dir || !(st->dir = strdup(dir))) {
		store_log(st, DKMOD_LOG_ERROR, "state store: %s", dir ? "out of memory" : "no directory");
		free(st);
		return NULL;
	}
	if ((mkdir(dir, 0750) < 0 && errno != EEXIST) || stat(dir, &sb) < 0) {
		store_log(st, DKMOD_LOG_ERROR, "state store %s: %s; working without it", dir, strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(sb.st_mode)) {
		store_log(st, DKMOD_LOG_ERROR, "state store %s: not a directory; working without it", dir);
		goto fail;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* without the lock (a stuck process holds it) we still open, but never recreate */
	if (dirfd >= 0)
		store_flock(dirfd, LOCK_SH);
	rc = store_env_open(st);
	if (store_damaged(rc))
		rc = store_recreate(st, dirfd, rc);
	if (dirfd >= 0)
		close(dirfd); /* releases the lock */
	if (rc) {
		store_log(st, DKMOD_LOG_ERROR, "state store %s: %s; working without it", dir, mdb_strerror(rc));
		goto fail;
	}
	return st;
fail:
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
		if (st->rtxn)
			mdb_txn_abort(st->rtxn);
		mdb_env_close(st->env);
	}
	free(st->dir);
	free(st);
}

/* store_dbs_end - after a transaction: keep (commit) or forget the handles it opened */
static void store_dbs_end(struct store *st, bool keep)
{
	size_t j = 0;
	for (size_t i = 0; i < st->ndbs; i++) {
		if (!st->dbs[i].pending || keep) {
			st->dbs[i].pending = false;
			st->dbs[j++] = st->dbs[i];
		}
	}
	st->ndbs = j;
}

/* store_dbi - the handle of db: 1, 0 if it does not exist (and create is false), -1 on error */
static int store_dbi(struct store_txn *t, const char *db, bool create, MDB_dbi *dbi)
{
	struct store *st = t->st;
	size_t i;
	int rc;

	if (t->err)
		return -1;
	for (i = 0; i < st->ndbs; i++) {
		if (strcmp(st->dbs[i].name, db) == 0) {
			*dbi = st->dbs[i].dbi;
			return 1;
		}
	}
	if (strlen(db) >= STORE_DB_NAME || st->ndbs == STORE_MAX_DBS) {
		store_log(st, DKMOD_LOG_ERROR, "state store %s: database name \"%s\" too long or too many", st->dir, db);
		return -1;
	}
	rc = mdb_dbi_open(t->txn, db, create && t->write ? MDB_CREATE : 0, dbi);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc) {
		t->err = rc;
		return store_fail(st, "open database", rc);
	}
	snprintf(st->dbs[st->ndbs].name, STORE_DB_NAME, "%s", db);
	st->dbs[st->ndbs].dbi = *dbi;
	st->dbs[st->ndbs++].pending = true;
	return 1;
}

/* store_begin - start a transaction; MAP_RESIZED (another process grew the map) is adopted */
static int store_begin(struct store *st, bool write, MDB_txn **txn)
{
	int rc = 0;
	if (st->pid != getpid() || st->busy) {
		store_log(st, DKMOD_LOG_ERROR, "state store %s: %s", st->dir,
			  st->busy ? "nested transaction" : "used across fork (open it in the child)");
		return -1;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (write)
			rc = mdb_txn_begin(st->env, NULL, 0, txn);
		else if (st->rtxn)
			rc = mdb_txn_renew(st->rtxn);
		else
			rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &st->rtxn);
		if (!rc) {
			if (!write)
				*txn = st->rtxn;
			return 0;
		}
		if (st->rtxn) {
			mdb_txn_abort(st->rtxn);
			st->rtxn = NULL;
		}
		if (rc == MDB_MAP_RESIZED)
			mdb_env_set_mapsize(st->env, 0);
		else if (rc == MDB_READERS_FULL)
			mdb_reader_check(st->env, NULL);
		else
			break;
	}
	return store_fail(st, write ? "begin write" : "begin read", rc);
}

/* store_read - run fn in a read-only snapshot */
int store_read(struct store *st, int (*fn)(void *arg, struct store_txn *t), void *arg)
{
	struct store_txn t = { .st = st };
	bool opened = false;
	int r;

	if (!st || store_begin(st, false, &t.txn) < 0)
		return -1;
	st->busy = true;
	r = fn(arg, &t);
	st->busy = false;
	for (size_t i = 0; i < st->ndbs; i++)
		opened |= st->dbs[i].pending;
	if (opened) {
		/* only a commit keeps the handles opened by a read transaction */
		int rc = mdb_txn_commit(st->rtxn);
		st->rtxn = NULL;
		store_dbs_end(st, rc == 0);
	} else {
		mdb_txn_reset(st->rtxn);
	}
	return t.err ? -1 : r;
}

/* store_attempt - run fn once in a write transaction, committed if fn returns >= 0 */
static int store_attempt(struct store *st, int (*fn)(void *arg, struct store_txn *t), void *arg,
			 struct store_txn *t)
{
	int r, rc;
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

/* store_clear_db - empty the database named by arg */
static int store_clear_db(void *arg, struct store_txn *t)
{
	return store_txn_clear(t, arg);
}

/* store_write - run fn in a write transaction; a full map clears the db written and retries once */
int store_write(struct store *st, int (*fn)(void *arg, struct store_txn *t), void *arg)
{
	struct store_txn t = { .st = st, .write = true }, c = t;
	int r;
	if (!st || (r = store_attempt(st, fn, arg, &t)) >= 0 || t.err != MDB_MAP_FULL || !t.last_db[0])
		return st ? r : -1;
	store_log(st, st->warned_full ? DKMOD_LOG_DEBUG : DKMOD_LOG_WARNING,
		  "state store %s: map full, clearing \"%s\"", st->dir, t.last_db);
	st->warned_full = true;
	if (store_attempt(st, store_clear_db, t.last_db, &c) < 0)
		return -1;
	t = (struct store_txn){ .st = st, .write = true };
	return store_attempt(st, fn, arg, &t);
}

/* store_txn_fail - note a failure that spoils the transaction */
static int store_txn_fail(struct store_txn *t, const char *what, int rc)
{
	t->err = rc;
	if (rc == MDB_MAP_FULL)
		return -1; /* store_write deals with it */
	return store_fail(t->st, what, rc);
}

/* store_val - an MDB_val over a caller's buffer */
static MDB_val store_val(const void *p, size_t n)
{
	return (MDB_val){ .mv_size = n, .mv_data = (void *)p };
}

/* store_key_ok - LMDB refuses empty and over-long keys */
static bool store_key_ok(size_t klen)
{
	return klen > 0 && klen <= STORE_MAX_KEY;
}

/* store_txn_get - look key up in db */
int store_txn_get(struct store_txn *t, const char *db, const void *key, size_t klen,
		  const void **val, size_t *vlen)
{
	MDB_dbi dbi;
	MDB_val k = store_val(key, klen), v;
	int rc = store_key_ok(klen) ? store_dbi(t, db, false, &dbi) : -1;
	if (rc <= 0)
		return rc;
	rc = mdb_get(t->txn, dbi, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return store_txn_fail(t, "get", rc);
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
	if (!t->write || !store_key_ok(klen) || store_dbi(t, db, true, &dbi) <= 0)
		return -1;
	snprintf(t->last_db, sizeof t->last_db, "%s", db);
	if ((rc = mdb_put(t->txn, dbi, &k, &v, 0)))
		return rc == MDB_BAD_VALSIZE ? -1 : store_txn_fail(t, "put", rc);
	return 0;
}

/* store_txn_del - delete key */
int store_txn_del(struct store_txn *t, const char *db, const void *key, size_t klen)
{
	MDB_dbi dbi;
	MDB_val k = store_val(key, klen);
	int rc = t->write && store_key_ok(klen) ? store_dbi(t, db, false, &dbi) : -1;
	if (rc <= 0)
		return rc;
	snprintf(t->last_db, sizeof t->last_db, "%s", db);
	rc = mdb_del(t->txn, dbi, &k, NULL);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return store_txn_fail(t, "delete", rc);
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
	int rc = store_dbi(t, db, false, &dbi);

	if (rc <= 0)
		return rc;
	if ((rc = mdb_cursor_open(t->txn, dbi, &cur)))
		return store_txn_fail(t, "cursor", rc);
	rc = mdb_cursor_get(cur, &k, &v, from && fromlen ? MDB_SET_RANGE : MDB_FIRST);
	while (!rc) {
		int what = cb(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
		if ((what & STORE_DELETE) && t->write) {
			snprintf(t->last_db, sizeof t->last_db, "%s", db);
			if ((rc = mdb_cursor_del(cur, 0)))
				break;
			deleted++;
		}
		if (what & STORE_STOP)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
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
	int rc = store_dbi(t, db, false, &dbi);
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
	int rc = t->write ? store_dbi(t, db, false, &dbi) : -1;
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

/* A one-shot operation of the wrappers below, run by store_op. */
enum store_op_kind { STORE_OP_GET, STORE_OP_PUT, STORE_OP_DEL, STORE_OP_ITERATE, STORE_OP_ADD, STORE_OP_EACH };
struct store_op {
	enum store_op_kind kind;
	const char *db;
	const void *key, *val;
	size_t klen, vlen;
	struct arena *a;
	void **out;
	size_t *outlen;
	const struct store_delta *d;
	size_t n;
	int (*iterate)(void *arg, const void *key, size_t klen, const void *val, size_t vlen);
	void (*counter)(void *arg, const char *name, long long value);
	void *arg;
};

/* store_op_cb - hand an item to the caller's iterate or counter callback */
static int store_op_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct store_op *op = arg;
	char name[STORE_MAX_KEY + 1];
	long long v;
	if (op->iterate)
		return op->iterate(op->arg, key, klen, val, vlen) ? STORE_STOP : STORE_NEXT;
	if (klen > STORE_MAX_KEY || vlen != sizeof v)
		return STORE_NEXT;
	memcpy(name, key, klen);
	name[klen] = '\0';
	memcpy(&v, val, sizeof v);
	op->counter(op->arg, name, v);
	return STORE_NEXT;
}

/* store_op - run one operation in the transaction */
static int store_op(void *arg, struct store_txn *t)
{
	struct store_op *op = arg;
	const void *v;
	size_t n;
	int rc;

	switch (op->kind) {
	case STORE_OP_GET:
		if ((rc = store_txn_get(t, op->db, op->key, op->klen, &v, &n)) <= 0)
			return rc;
		if (!(*op->out = arena_alloc(op->a, n + 1)))
			return -1;
		memcpy(*op->out, v, n);
		*op->outlen = n;
		return 1;
	case STORE_OP_PUT:
		return store_txn_put(t, op->db, op->key, op->klen, op->val, op->vlen);
	case STORE_OP_DEL:
		return store_txn_del(t, op->db, op->key, op->klen);
	case STORE_OP_ADD:
		for (size_t i = 0; i < op->n; i++)
			if (store_txn_add(t, op->db, op->d[i].name, op->d[i].delta, NULL) < 0)
				return -1;
		return 0;
	default:
		return store_txn_each(t, op->db, NULL, 0, store_op_cb, op) < 0 ? -1 : 0;
	}
}

/* store_get - a copy of the value of key */
int store_get(struct store *st, const char *db, const void *key, size_t klen, struct arena *a,
	      void **val, size_t *vlen)
{
	struct store_op op = { .kind = STORE_OP_GET, .db = db, .key = key, .klen = klen, .a = a, .out = val,
			       .outlen = vlen };
	return store_read(st, store_op, &op);
}

/* store_put - set key to val in its own transaction */
int store_put(struct store *st, const char *db, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct store_op op = { .kind = STORE_OP_PUT, .db = db, .key = key, .klen = klen, .val = val, .vlen = vlen };
	return store_write(st, store_op, &op);
}

/* store_del - delete key in its own transaction */
int store_del(struct store *st, const char *db, const void *key, size_t klen)
{
	struct store_op op = { .kind = STORE_OP_DEL, .db = db, .key = key, .klen = klen };
	return store_write(st, store_op, &op);
}

/* store_iterate - call cb on every item in key order until it returns non-zero */
int store_iterate(struct store *st, const char *db,
		  int (*cb)(void *arg, const void *key, size_t klen, const void *val, size_t vlen), void *arg)
{
	struct store_op op = { .kind = STORE_OP_ITERATE, .db = db, .iterate = cb, .arg = arg };
	return store_read(st, store_op, &op);
}

/* store_add - add delta to counter name of db atomically */
int store_add(struct store *st, const char *db, const char *name, long long delta)
{
	struct store_delta d = { name, delta };
	return store_add_batch(st, db, &d, 1);
}

/* store_add_batch - add n deltas in one write transaction */
int store_add_batch(struct store *st, const char *db, const struct store_delta *d, size_t n)
{
	struct store_op op = { .kind = STORE_OP_ADD, .db = db, .d = d, .n = n };
	return n ? store_write(st, store_op, &op) : 0;
}

/* store_each - call cb(arg, name, value) on every counter of db in name order */
int store_each(struct store *st, const char *db, void (*cb)(void *arg, const char *name, long long value),
	       void *arg)
{
	struct store_op op = { .kind = STORE_OP_EACH, .db = db, .counter = cb, .arg = arg };
	return store_read(st, store_op, &op);
}
