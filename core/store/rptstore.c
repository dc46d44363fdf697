/*
 * rptstore.c - the rows of DMARC aggregate reports grouped by period and policy domain, with
 * their counts and bounds, in LMDB through store.h (layout in rptstore.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/rptstore.h"

#define RPTSTORE_GROUPS "rpt_group"
#define RPTSTORE_ROWS "rpt_row"
#define RPTSTORE_META "rpt_meta"
#define RPTSTORE_SENT "rpt_sent"
#define RPTSTORE_PROBES 4 /* rows of one hash (a collision) tried in turn */

/* rptstore_hash - FNV-1a of the row text */
static uint64_t rptstore_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/* rptstore_group_key - "BEGIN DOMAIN" into buf; its length */
static size_t rptstore_group_key(char *buf, size_t cap, long long begin, const char *domain)
{
	int n = snprintf(buf, cap, "%012lld %s", begin, domain);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* rptstore_parse_group - "END ROWS DROPPED\tPOLICY" into g (policy copied); false if not so */
static bool rptstore_parse_group(const char *val, size_t len, struct rptstore_group *g)
{
	const char *tab = memchr(val, '\t', len);
	char head[96];
	if (!tab || (size_t)(tab - val) >= sizeof head)
		return false;
	memcpy(head, val, (size_t)(tab - val));
	head[tab - val] = '\0';
	if (sscanf(head, "%lld %zu %llu", &g->end, &g->rows, &g->dropped) != 3)
		return false;
	str_clear(&g->policy);
	return str_append(&g->policy, tab + 1, len - (size_t)(tab - val) - 1) == 0;
}

/* rptstore_put_group - write a group's value */
static int rptstore_put_group(struct store_txn *t, const char *key, size_t klen, const struct rptstore_group *g,
			      const char *policy)
{
	struct str v = STR_INIT;
	int rc = str_printf(&v, "%lld %zu %llu\t%s", g->end, g->rows, g->dropped, policy) == 0
			 ? store_txn_put(t, RPTSTORE_GROUPS, key, klen, v.data, v.len)
			 : -1;
	str_free(&v);
	return rc;
}

/* rptstore_count_row - the row's slot: count it there (1), or 0 with a free key in key */
static int rptstore_count_row(struct store_txn *t, const struct rptstore_item *it, char *key, size_t *klen,
			      size_t cap)
{
	uint64_t h = rptstore_hash(it->row);
	size_t rowlen = strlen(it->row);
	for (int probe = 0; probe < RPTSTORE_PROBES; probe++, h++) {
		int n = snprintf(key, cap, "%012lld %s %016" PRIx64, it->begin, it->domain, h);
		if (n <= 0 || (size_t)n >= cap)
			return -1;
		*klen = (size_t)n;
		const void *val;
		size_t vlen;
		int rc = store_txn_get(t, RPTSTORE_ROWS, key, *klen, &val, &vlen);
		if (rc <= 0)
			return rc;
		const char *tab = memchr(val, '\t', vlen);
		if (!tab || vlen - (size_t)(tab - (const char *)val) - 1 != rowlen || memcmp(tab + 1, it->row, rowlen))
			continue; /* another row with this hash */
		struct str v = STR_INIT;
		rc = str_printf(&v, "%llu\t%s", strtoull(val, NULL, 10) + it->count, it->row) == 0
			     ? store_txn_put(t, RPTSTORE_ROWS, key, *klen, v.data, v.len)
			     : -1;
		str_free(&v);
		return rc < 0 ? -1 : 1;
	}
	return -1; /* RPTSTORE_PROBES different rows of one hash: not counted */
}

/* rptstore_add_txn - count the item in its row, or make the row within the bounds */
int rptstore_add_txn(struct store_txn *t, const struct rptstore_item *it, const struct rptstore_limits *lim,
		     enum rptstore_added *added)
{
	char gkey[STORE_MAX_KEY + 1], rkey[STORE_MAX_KEY + 1];
	size_t glen = rptstore_group_key(gkey, sizeof gkey, it->begin, it->domain), rlen;
	struct rptstore_group g = {.end = it->end, .policy = STR_INIT};
	const void *val;
	size_t vlen;
	int rc = glen && strlen(it->domain) <= RPTSTORE_MAX_DOMAIN && !strchr(it->domain, ' ')
			 ? store_txn_get(t, RPTSTORE_GROUPS, gkey, glen, &val, &vlen)
			 : -1;
	if (rc == 1 && !rptstore_parse_group(val, vlen, &g))
		rc = -1;
	str_free(&g.policy);
	if (rc < 0)
		return -1;
	g.end = it->end > g.end ? it->end : g.end;
	if (!it->row) { /* messages another host could not report (an import) */
		g.dropped += it->count;
		*added = RPTSTORE_FULL;
		return rptstore_put_group(t, gkey, glen, &g, it->policy);
	}
	int found = rptstore_count_row(t, it, rkey, &rlen, sizeof rkey);
	if (found < 0)
		return -1;
	*added = found ? RPTSTORE_COUNTED : RPTSTORE_NEW_ROW;
	long long total = 0;
	if (!found && store_txn_add(t, RPTSTORE_META, "rows", 0, &total) < 0)
		return -1;
	if (!found && (g.rows >= lim->max_rows || (size_t)total >= lim->max_total)) {
		*added = g.dropped ? RPTSTORE_FULL : RPTSTORE_FULL_FIRST;
		g.dropped += it->count;
	} else if (!found) {
		struct str v = STR_INIT;
		rc = str_printf(&v, "%llu\t%s", it->count, it->row) == 0
			     ? store_txn_put(t, RPTSTORE_ROWS, rkey, rlen, v.data, v.len)
			     : -1;
		str_free(&v);
		if (rc < 0 || store_txn_add(t, RPTSTORE_META, "rows", 1, NULL) < 0)
			return -1;
		g.rows++;
	}
	return rptstore_put_group(t, gkey, glen, &g, it->policy); /* the last policy seen is reported */
}

/* An rptstore_add call. */
struct rptstore_add_call {
	const struct rptstore_item *it;
	const struct rptstore_limits *lim;
	enum rptstore_added *added;
};

/* rptstore_add_fn - the transaction of rptstore_add */
static int rptstore_add_fn(void *arg, struct store_txn *t)
{
	struct rptstore_add_call *c = arg;
	return rptstore_add_txn(t, c->it, c->lim, c->added);
}

/* rptstore_add - one item in its own write transaction */
int rptstore_add(struct store *st, const struct rptstore_item *it, const struct rptstore_limits *lim,
		 enum rptstore_added *added)
{
	struct rptstore_add_call c = {it, lim, added};
	return store_write(st, rptstore_add_fn, &c) < 0 ? -1 : 0;
}

/* An rptstore_next search. */
struct rptstore_search {
	long long now;
	const char *after;
	struct rptstore_group *g;
	char *key;
	size_t cap;
	int found;
};

/* rptstore_next_cb - the first group past `after` whose period is over */
static int rptstore_next_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct rptstore_search *s = arg;
	size_t alen = strlen(s->after);
	if (alen && klen == alen && memcmp(key, s->after, klen) == 0)
		return STORE_NEXT;
	struct rptstore_group *g = s->g;
	const char *sp = memchr(key, ' ', klen);
	if (!sp || klen >= s->cap || (size_t)((const char *)key + klen - sp - 1) > RPTSTORE_MAX_DOMAIN ||
	    !rptstore_parse_group(val, vlen, g)) {
		s->found = -1;
		return STORE_STOP;
	}
	if (g->end > s->now)
		return STORE_NEXT; /* still open */
	g->begin = strtoll(key, NULL, 10);
	memcpy(g->domain, sp + 1, (size_t)((const char *)key + klen - sp - 1));
	g->domain[(const char *)key + klen - sp - 1] = '\0';
	memcpy(s->key, key, klen);
	s->key[klen] = '\0';
	s->found = 1;
	return STORE_STOP;
}

/* rptstore_next_fn - the search's read transaction */
static int rptstore_next_fn(void *arg, struct store_txn *t)
{
	struct rptstore_search *s = arg;
	return store_txn_each(t, RPTSTORE_GROUPS, s->after, strlen(s->after), rptstore_next_cb, s) < 0 ? -1 : 0;
}

/* rptstore_next - the next closed group */
int rptstore_next(struct store *st, long long now, char *after, size_t cap, struct rptstore_group *g)
{
	char from[STORE_MAX_KEY + 1];
	snprintf(from, sizeof from, "%s", after);
	struct rptstore_search s = {now, from, g, after, cap, 0};
	if (store_read(st, rptstore_next_fn, &s) < 0)
		return -1;
	return s.found;
}

/* An rptstore_rows walk. */
struct rptstore_walk {
	char prefix[STORE_MAX_KEY + 1];
	size_t plen;
	bool (*cb)(void *arg, const char *row, size_t len, unsigned long long count);
	void *arg;
	bool failed;
	bool remove;
};

/* rptstore_rows_cb - one row of the group (or the end of the group's rows) */
static int rptstore_rows_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct rptstore_walk *w = arg;
	if (klen < w->plen || memcmp(key, w->prefix, w->plen) != 0)
		return STORE_STOP;
	if (w->remove)
		return STORE_DELETE;
	const char *tab = memchr(val, '\t', vlen);
	if (!tab || !w->cb(w->arg, tab + 1, vlen - (size_t)(tab - (const char *)val) - 1, strtoull(val, NULL, 10))) {
		w->failed = true;
		return STORE_STOP;
	}
	return STORE_NEXT;
}

/* rptstore_rows_fn - the walk's transaction */
static int rptstore_rows_fn(void *arg, struct store_txn *t)
{
	struct rptstore_walk *w = arg;
	long n = store_txn_each(t, RPTSTORE_ROWS, w->prefix, w->plen, rptstore_rows_cb, w);
	if (n < 0 || w->failed)
		return -1;
	if (!w->remove)
		return 0;
	w->prefix[w->plen - 1] = '\0'; /* the group's key */
	if (store_txn_del(t, RPTSTORE_GROUPS, w->prefix, w->plen - 1) < 0 ||
	    store_txn_del(t, RPTSTORE_SENT, w->prefix, w->plen - 1) < 0 ||
	    store_txn_add(t, RPTSTORE_META, "rows", -n, NULL) < 0)
		return -1;
	w->prefix[w->plen - 1] = ' ';
	return 0;
}

/* rptstore_walk_init - the prefix of a group's row keys */
static bool rptstore_walk_init(struct rptstore_walk *w, const struct rptstore_group *g)
{
	size_t n = rptstore_group_key(w->prefix, sizeof w->prefix - 1, g->begin, g->domain);
	if (!n)
		return false;
	w->prefix[n] = ' ';
	w->prefix[n + 1] = '\0';
	w->plen = n + 1;
	return true;
}

/* rptstore_rows - every row of a group */
int rptstore_rows(struct store *st, const struct rptstore_group *g,
		  bool (*cb)(void *arg, const char *row, size_t len, unsigned long long count), void *arg)
{
	struct rptstore_walk w = {.cb = cb, .arg = arg};
	return rptstore_walk_init(&w, g) && store_read(st, rptstore_rows_fn, &w) == 0 ? 0 : -1;
}

/* rptstore_remove - a group and its rows */
int rptstore_remove(struct store *st, const struct rptstore_group *g)
{
	struct rptstore_walk w = {.remove = true};
	return rptstore_walk_init(&w, g) && store_write(st, rptstore_rows_fn, &w) == 0 ? 0 : -1;
}

/* A destination of a group, looked up or added. */
struct rptstore_dest {
	char key[STORE_MAX_KEY + 1];
	size_t klen;
	const char *dest;
	int found;
};

/* rptstore_dest_find - is d->dest a line of the list val (1), or not (0); its lines in *lines */
static int rptstore_dest_find(const struct rptstore_dest *d, const char *val, size_t vlen, size_t *lines)
{
	size_t dlen = strlen(d->dest);
	*lines = 0;
	for (const char *p = val, *end = val + vlen; p < end; (*lines)++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n == dlen && memcmp(p, d->dest, n) == 0)
			return 1;
		p += n + 1;
	}
	return 0;
}

/* rptstore_sent_fn - the lookup's read transaction */
static int rptstore_sent_fn(void *arg, struct store_txn *t)
{
	struct rptstore_dest *d = arg;
	const void *val;
	size_t vlen, lines;
	int rc = store_txn_get(t, RPTSTORE_SENT, d->key, d->klen, &val, &vlen);
	d->found = rc == 1 ? rptstore_dest_find(d, val, vlen, &lines) : rc;
	return d->found < 0 ? -1 : 0;
}

/* rptstore_mark_fn - the destination added to the group's list, unless there already */
static int rptstore_mark_fn(void *arg, struct store_txn *t)
{
	struct rptstore_dest *d = arg;
	const void *val = "";
	size_t vlen = 0, lines = 0;
	int rc = store_txn_get(t, RPTSTORE_SENT, d->key, d->klen, &val, &vlen);
	if (rc < 0 || (rc == 1 && rptstore_dest_find(d, val, vlen, &lines)))
		return rc < 0 ? -1 : 0;
	if (lines >= RPTSTORE_MAX_SENT)
		return -1;
	struct str v = STR_INIT;
	rc = str_printf(&v, "%.*s%s%s", (int)vlen, (const char *)val, vlen ? "\n" : "", d->dest) == 0
		     ? store_txn_put(t, RPTSTORE_SENT, d->key, d->klen, v.data, v.len)
		     : -1;
	str_free(&v);
	return rc;
}

/* rptstore_dest_init - the group's key and a destination fit to remember; false if not */
static bool rptstore_dest_init(struct rptstore_dest *d, const struct rptstore_group *g, const char *dest)
{
	size_t n = strlen(dest);
	d->dest = dest;
	d->klen = rptstore_group_key(d->key, sizeof d->key, g->begin, g->domain);
	return d->klen && n && n <= RPTSTORE_MAX_DEST && !strchr(dest, '\n');
}

/* rptstore_sent - did dest take the group's report */
int rptstore_sent(struct store *st, const struct rptstore_group *g, const char *dest)
{
	struct rptstore_dest d = {0};
	if (!rptstore_dest_init(&d, g, dest))
		return 0;
	return store_read(st, rptstore_sent_fn, &d) < 0 ? -1 : d.found;
}

/* rptstore_mark_sent - remember that dest took the group's report */
int rptstore_mark_sent(struct store *st, const struct rptstore_group *g, const char *dest)
{
	struct rptstore_dest d = {0};
	return rptstore_dest_init(&d, g, dest) && store_write(st, rptstore_mark_fn, &d) == 0 ? 0 : -1;
}
