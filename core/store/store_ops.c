/*
 * store_ops.c - the one-shot operations of store.h (get, put, delete, iterate,
 * counters), each a transaction of its own: built on store_read, store_write
 * and the store_txn_* calls, with no LMDB of their own (store_lmdb.c).
 */
#include "store/store.h"

#include <string.h>

/* What a one-shot operation does. */
enum store_op_kind {
	STORE_OP_GET = 0,   /* a copy of a value */
	STORE_OP_PUT,       /* set a value */
	STORE_OP_DEL,       /* delete a key */
	STORE_OP_ITERATE,   /* every item to the iterate callback */
	STORE_OP_ADD,       /* add deltas to counters */
	STORE_OP_EACH       /* every counter to the counter callback */
};

/* A one-shot operation of the wrappers below, run by store_op. */
struct store_op {
	enum store_op_kind kind;
	const char *db;
	const void *key, *val;
	size_t klen, vlen;
	struct arena *a;
	void **out;
	const struct store_delta *d;
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
	int rc;
	switch (op->kind) {
	case STORE_OP_GET:
		if ((rc = store_txn_get(t, op->db, op->key, op->klen, &v, &op->vlen)) <= 0)
			return rc;
		if (!(*op->out = arena_alloc(op->a, op->vlen + 1)))
			return -1;
		memcpy(*op->out, v, op->vlen);
		return 1;
	case STORE_OP_PUT:
		return store_txn_put(t, op->db, op->key, op->klen, op->val, op->vlen);
	case STORE_OP_DEL:
		return store_txn_del(t, op->db, op->key, op->klen);
	case STORE_OP_ADD:
		for (size_t i = 0; i < op->vlen; i++)
			if (store_txn_add(t, op->db, op->d[i].name, op->d[i].delta, NULL) < 0)
				return -1;
		return 0;
	case STORE_OP_ITERATE:
	case STORE_OP_EACH:
		break;
	}
	return store_txn_each(t, op->db, NULL, 0, store_op_cb, op) < 0 ? -1 : 0;
}

/* store_get - a copy of the value of key */
int store_get(struct store *st, const char *db, const void *key, size_t klen, struct arena *a,
	      void **val, size_t *vlen)
{
	struct store_op op = { .kind = STORE_OP_GET, .db = db, .key = key, .klen = klen, .a = a, .out = val };
	int rc = store_read(st, store_op, &op);
	if (rc == 1)
		*vlen = op.vlen;
	return rc;
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
	struct store_op op = { .kind = STORE_OP_ADD, .db = db, .d = d, .vlen = n };
	return n ? store_write(st, store_op, &op) : 0;
}

/* store_each - call cb(arg, name, value) on every counter of db in name order */
int store_each(struct store *st, const char *db, void (*cb)(void *arg, const char *name, long long value),
	       void *arg)
{
	struct store_op op = { .kind = STORE_OP_EACH, .db = db, .counter = cb, .arg = arg };
	return store_read(st, store_op, &op);
}
