/*
 * store_lmdb_map.c - read-only LMDB map files (store.h, store_map_*): one
 * file, one unnamed database, opened without a lock file and read through
 * one snapshot for the map's life (the compiled signing tables); written
 * beside the old file and renamed over it, so readers see one version.
 */
#include "store/store.h"
#include "store/store_lmdb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct store_map {
	MDB_env *env;
	MDB_txn *txn;            /* one read snapshot for the map's life: the file never changes */
	MDB_dbi dbi;
};

/* store_map_close - NULL is fine */
void store_map_close(struct store_map *m)
{
	if (!m)
		return;
	if (m->txn)
		mdb_txn_abort(m->txn);
	mdb_env_close(m->env);
	free(m);
}

/* store_map_open - open the read-only map file at path */
struct store_map *store_map_open(const char *path, char *why, size_t why_size)
{
	struct store_map *m = calloc(1, sizeof *m);
	int rc = m ? mdb_env_create(&m->env) : ENOMEM;
	if (!rc && !(rc = mdb_env_open(m->env, path, MDB_RDONLY | MDB_NOSUBDIR | MDB_NOLOCK | MDB_NORDAHEAD, 0)) &&
	    !(rc = mdb_txn_begin(m->env, NULL, MDB_RDONLY, &m->txn)) && !(rc = mdb_dbi_open(m->txn, NULL, 0, &m->dbi)))
		return m;
	snprintf(why, why_size, "%s", mdb_strerror(rc));
	store_map_close(m);
	return NULL;
}

/* store_map_get - 1 and the value if key is present, 0 if not, -1 on error */
int store_map_get(struct store_map *m, const void *key, size_t klen, const void **val, size_t *vlen)
{
	MDB_val k = store_val(key, klen), v;
	if (klen == 0 || klen > STORE_MAX_KEY)
		return 0;
	int rc = mdb_get(m->txn, m->dbi, &k, &v);
	if (rc)
		return rc == MDB_NOTFOUND ? 0 : -1;
	*val = v.mv_data;
	*vlen = v.mv_size;
	return 1;
}

/* store_map_each - fn for every item in key order until it returns non-zero; -1 on error */
int store_map_each(struct store_map *m, int (*fn)(void *arg, const void *key, size_t klen, const void *val,
						  size_t vlen), void *arg)
{
	MDB_cursor *cur;
	MDB_val k, v;
	if (mdb_cursor_open(m->txn, m->dbi, &cur))
		return -1;
	int rc;
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0)
		if (fn(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size))
			break;
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : -1;
}

/* store_map_write - a new map file at path of the items next gives */
int store_map_write(const char *path, size_t map_bytes,
		    int (*next)(void *arg, const void **key, size_t *klen, const void **val, size_t *vlen), void *arg,
		    char *why, size_t why_size)
{
	char tmp[4096];
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	const void *k, *v;
	size_t kl, vl;
	int rc, more = 0;
	if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp) {
		snprintf(why, why_size, "path too long");
		return -1;
	}
	unlink(tmp);
	if (!(rc = mdb_env_create(&env)) && !(rc = mdb_env_set_mapsize(env, map_bytes)) &&
	    !(rc = mdb_env_open(env, tmp, MDB_NOSUBDIR | MDB_NOLOCK, 0640)) && !(rc = mdb_txn_begin(env, NULL, 0, &txn)) &&
	    !(rc = mdb_dbi_open(txn, NULL, 0, &dbi))) {
		while (!rc && (more = next(arg, &k, &kl, &v, &vl)) == 1) {
			MDB_val mk = store_val(k, kl), mv = store_val(v, vl);
			rc = kl && kl <= STORE_MAX_KEY ? mdb_put(txn, dbi, &mk, &mv, MDB_APPEND) : EINVAL;
		}
		if (!rc && more == 0) {
			rc = mdb_txn_commit(txn);
			txn = NULL;
			if (!rc)
				rc = mdb_env_sync(env, 1);
		}
	}
	if (txn)
		mdb_txn_abort(txn);
	mdb_env_close(env);
	if (!rc && more == 0 && rename(tmp, path) == 0)
		return 0;
	if (!rc && more == 0)
		rc = errno;
	if (more >= 0)
		snprintf(why, why_size, "%s: %s", path, mdb_strerror(rc));
	unlink(tmp);
	return -1;
}
