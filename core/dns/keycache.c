/*
 * keycache.c - the shared DNS answer cache (see keycache.h) on three store
 * databases:
 *
 *   "cache"       name NUL type(2)        -> head, then per record len(4) bytes
 *   "cache.lru"   last use(8) name NUL type -> ""   (the entries in LRU order)
 *   "cache.meta"  "generation"            -> the flush counter
 *
 * Numbers in keys are big-endian so that LMDB's bytewise order is numeric;
 * the head and lengths are in host order (the files never leave the host).
 * An entry and its LRU item change together in one write transaction.  Hits
 * are read-only unless the entry is expired (it is then deleted) or its last
 * use is KEYCACHE_TOUCH_SECONDS old (it is then refreshed).
 *
 * Each process keeps a memo of the live entries it read last (a few slots, by
 * key), tagged with the version of the snapshot that read them: while the store
 * has had no commit since (store_version, read without a transaction), the memo
 * answers and the lookup opens no snapshot.  Any write by any process (a flush,
 * a new answer, counters) moves the version, and the next lookup reads the store.
 */
#include "dns/keycache.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/stats.h"
#include "util/str.h"

#define KEYCACHE_DB "cache"
#define KEYCACHE_LRU "cache.lru"
#define KEYCACHE_META "cache.meta"
#define KEYCACHE_MAGIC 0x31434b44u /* "DKC1": other contents are dropped */
#define KEYCACHE_MAX_NAME 253
#define KEYCACHE_KEY (KEYCACHE_MAX_NAME + 3)
#define KEYCACHE_LRU_KEY (8 + KEYCACHE_KEY)
#define KEYCACHE_MEMO_SETS 16      /* two slots each: a message asks for a key, a policy, ADSP, a domain */
#define KEYCACHE_MEMO_BYTES 8192   /* a bigger entry (a long TXT set) is read each time */

/* The head of a stored entry (32 bytes, no padding). */
struct keycache_head {
	uint32_t magic;
	uint8_t rcode;
	uint8_t dnssec;
	uint16_t spare;
	uint32_t count;
	uint32_t spare2;
	int64_t expires;   /* time_t: valid while now < expires */
	int64_t used;      /* time_t of the last use, as in the LRU key */
};

_Static_assert(sizeof(struct keycache_head) == 32, "the stored head has no padding");

/* A live entry as read, and the version of the snapshot that read it (0: an empty slot). */
struct keycache_memo {
	unsigned long long version;
	size_t klen, cap;
	unsigned char key[KEYCACHE_KEY];
	unsigned char *val; /* the stored entry, head included */
};

/* Two slots for the keys of one hash, and which of them was used last. */
struct keycache_memo_set {
	struct keycache_memo slot[2];
	unsigned last;
};

struct keycache {
	struct store *st;
	size_t size;
	unsigned ttl;
	unsigned negative_ttl;
	unsigned long long gen, gen_version; /* the generation last read, at this store_version (0: none) */
	struct keycache_memo_set memo[KEYCACHE_MEMO_SETS];
};

enum keycache_fix { KEYCACHE_FIX_NONE = 0, KEYCACHE_FIX_TOUCH, KEYCACHE_FIX_DROP };

/* One operation: the arguments of the transaction callbacks below. */
struct keycache_op {
	struct keycache *kc;
	struct store_txn *t;
	unsigned char key[KEYCACHE_KEY];
	size_t klen;
	time_t now;
	struct arena *a;          /* get */
	struct dns_result *out;
	enum keycache_fix fix;
	unsigned char *val;       /* put: the serialized entry */
	size_t vlen;
	long need;                /* put: evictions still to do */
	long evicted;
	unsigned long long gen;   /* generation */
	unsigned long long version; /* the generation's: the version of the snapshot that read it */
};

/* keycache_key - the key of name and type (lower case, no final dot); its length, 0 if unusable */
static size_t keycache_key(const char *name, enum dns_type type, unsigned char *key)
{
	size_t n = name ? strlen(name) : 0;
	if (n && name[n - 1] == '.')
		n--;
	if (n > KEYCACHE_MAX_NAME)
		return 0;
	str_lower_copy((char *)key, name, n, n);
	key[n] = '\0';
	key[n + 1] = (unsigned char)((unsigned)type >> 8);
	key[n + 2] = (unsigned char)type;
	return n + 3;
}

/* keycache_lru_key - the LRU key of the entry key used at time used; its length */
static size_t keycache_lru_key(int64_t used, const void *key, size_t klen, unsigned char *out)
{
	uint64_t u = used < 0 ? 0 : (uint64_t)used;
	for (int i = 7; i >= 0; i--, u >>= 8)
		out[i] = (unsigned char)u;
	memcpy(out + 8, key, klen);
	return 8 + klen;
}

/* keycache_head - read and check the head of a stored entry; false if it is not a sound entry */
static bool keycache_head(const void *val, size_t vlen, struct keycache_head *h)
{
	const unsigned char *p = (const unsigned char *)val + sizeof *h, *end = (const unsigned char *)val + vlen;
	uint32_t len;

	if (vlen < sizeof *h)
		return false;
	memcpy(h, val, sizeof *h);
	if (h->magic != KEYCACHE_MAGIC || h->dnssec > DKMOD_DNSSEC_BOGUS ||
	    (h->rcode != DNS_ANSWER && h->rcode != DNS_NXDOMAIN && h->rcode != DNS_NODATA))
		return false;
	for (uint32_t i = 0; i < h->count; i++) {
		if ((size_t)(end - p) < sizeof len)
			return false;
		memcpy(&len, p, sizeof len);
		p += sizeof len;
		if ((size_t)(end - p) < len)
			return false;
		p += len;
	}
	return p == end;
}

/* keycache_unlink - delete the LRU item of a stored entry (not the entry); 0 or -1 */
static int keycache_unlink(struct store_txn *t, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct keycache_head h;
	unsigned char lk[KEYCACHE_LRU_KEY];
	if (klen > KEYCACHE_KEY || !keycache_head(val, vlen, &h))
		return 0;
	return store_txn_del(t, KEYCACHE_LRU, lk, keycache_lru_key(h.used, key, klen, lk)) < 0 ? -1 : 0;
}

/* keycache_open - a cache on st with opt's limits */
struct keycache *keycache_open(struct store *st, const struct dkmod_cache_options *opt)
{
	struct keycache *kc;
	if (!st || !opt || !(kc = calloc(1, sizeof *kc)))
		return NULL;
	kc->st = st;
	kc->size = opt->size ? opt->size : KEYCACHE_DEFAULT_SIZE;
	kc->ttl = opt->ttl;
	kc->negative_ttl = opt->negative_ttl;
	return kc;
}

/* keycache_close - free the cache */
void keycache_close(struct keycache *kc)
{
	if (kc)
		for (size_t i = 0; i < KEYCACHE_MEMO_SETS; i++)
			free(kc->memo[i].slot[0].val), free(kc->memo[i].slot[1].val);
	free(kc);
}

/* keycache_decode - copy a sound entry into the arena as a dns_result: the record pointers, their
 * lengths and the records (each NUL-terminated) in one block */
static bool keycache_decode(const unsigned char *val, const struct keycache_head *h, time_t now,
			    struct arena *a, struct dns_result *out)
{
	size_t slots = h->count ? h->count : 1, bytes = 0;
	const unsigned char *p = val + sizeof *h;
	uint32_t len;

	for (uint32_t i = 0; i < h->count; i++) {
		memcpy(&len, p, sizeof len);
		bytes += (size_t)len + 1;
		p += sizeof len + len;
	}
	const char **recs = arena_alloc_raw(a, slots * (sizeof *recs + sizeof(size_t)) + bytes);
	if (!recs)
		return false;
	size_t *lens = (size_t *)(recs + slots);
	char *text = (char *)(lens + slots);
	p = val + sizeof *h;
	for (uint32_t i = 0; i < h->count; i++) {
		memcpy(&len, p, sizeof len);
		p += sizeof len;
		memcpy(text, p, len);
		text[len] = '\0';
		recs[i] = text;
		lens[i] = len;
		text += len + 1;
		p += len;
	}
	out->rcode = (enum dns_rcode)h->rcode;
	out->dnssec = (enum dkmod_dnssec)h->dnssec;
	out->records = recs;
	out->lengths = lens;
	out->count = h->count;
	out->ttl = h->expires - now > UINT_MAX ? UINT_MAX : (unsigned)(h->expires - now);
	out->why = "";
	return true;
}

/* keycache_entry - op's entry in t: -1 on error, 0 if there is none, 1 if live (*h read),
 * 2 if expired or unsound */
static int keycache_entry(struct store_txn *t, const struct keycache_op *op, struct keycache_head *h,
			  const void **val, size_t *vlen)
{
	int rc = store_txn_get(t, KEYCACHE_DB, op->key, op->klen, val, vlen);

	if (rc <= 0)
		return rc;
	return keycache_head(*val, *vlen, h) && h->expires > op->now ? 1 : 2;
}

/* keycache_memo_find - the memo slot holding op's key, or NULL; *set: the set of the key */
static struct keycache_memo *keycache_memo_find(struct keycache *kc, const struct keycache_op *op,
						struct keycache_memo_set **set)
{
	*set = &kc->memo[str_hash_lower(0, (const char *)op->key, op->klen) % KEYCACHE_MEMO_SETS];
	for (unsigned i = 0; i < 2; i++) {
		struct keycache_memo *m = &(*set)->slot[i];
		if (m->klen == op->klen && memcmp(m->key, op->key, op->klen) == 0) {
			(*set)->last = i;
			return m;
		}
	}
	return NULL;
}

/* keycache_memo_keep - remember a live entry read in the snapshot of the given version (in its
 * slot, else in the slot of its set not used last) */
static void keycache_memo_keep(struct keycache *kc, const struct keycache_op *op, const void *val, size_t vlen,
			       unsigned long long version)
{
	struct keycache_memo_set *set;
	struct keycache_memo *m = keycache_memo_find(kc, op, &set);
	if (!m) {
		set->last ^= 1;
		m = &set->slot[set->last];
	}
	m->version = 0;
	if (!version || vlen > KEYCACHE_MEMO_BYTES)
		return;
	if (vlen > m->cap) {
		unsigned char *v = realloc(m->val, vlen);
		if (!v)
			return;
		m->val = v;
		m->cap = vlen;
	}
	memcpy(m->val, val, vlen);
	memcpy(m->key, op->key, op->klen);
	m->klen = op->klen;
	m->version = version;
}

/* keycache_memo_get - the op's answer from the memo: true if the store has had no commit since
 * the memo read it, it is live and no refresh of its last use is due */
static bool keycache_memo_get(struct keycache *kc, struct keycache_op *op)
{
	struct keycache_memo_set *set;
	struct keycache_memo *m = keycache_memo_find(kc, op, &set);
	struct keycache_head h;
	if (!m || !m->version || m->version != store_version(kc->st))
		return false;
	memcpy(&h, m->val, sizeof h);
	if (h.expires <= op->now || h.used <= op->now - KEYCACHE_TOUCH_SECONDS)
		return false;
	return keycache_decode(m->val, &h, op->now, op->a, op->out);
}

/* keycache_get_txn - look the entry up in a read snapshot; note whether it needs a fix */
static int keycache_get_txn(void *arg, struct store_txn *t)
{
	struct keycache_op *op = arg;
	struct keycache_head h;
	const void *val;
	size_t vlen;
	int rc = keycache_entry(t, op, &h, &val, &vlen);

	if (rc <= 0)
		return rc;
	if (rc == 2) {
		op->fix = KEYCACHE_FIX_DROP;
		return 0;
	}
	if (!keycache_decode(val, &h, op->now, op->a, op->out))
		return -1;
	if (h.used <= op->now - KEYCACHE_TOUCH_SECONDS)
		op->fix = KEYCACHE_FIX_TOUCH; /* a write: it moves the version, the memo is not kept */
	else
		keycache_memo_keep(op->kc, op, val, vlen, store_txn_version(t));
	return 1;
}

/* keycache_fix_txn - delete the expired (or unsound) entry, or refresh its last use */
static int keycache_fix_txn(void *arg, struct store_txn *t)
{
	struct keycache_op *op = arg;
	struct keycache_head h;
	unsigned char lk[KEYCACHE_LRU_KEY], *copy;
	const void *val;
	size_t vlen;
	int rc = keycache_entry(t, op, &h, &val, &vlen);

	if (rc <= 0)
		return rc;
	if (rc == 2) {
		/* re-checked: another process may have replaced it meanwhile */
		if (keycache_unlink(t, op->key, op->klen, val, vlen) < 0)
			return -1;
		return store_txn_del(t, KEYCACHE_DB, op->key, op->klen);
	}
	if (op->fix != KEYCACHE_FIX_TOUCH || h.used >= op->now)
		return 0;
	if (!(copy = malloc(vlen)))
		return -1;
	memcpy(copy, val, vlen);
	h.used = op->now;
	memcpy(copy, &h, sizeof h);
	rc = 0;
	if (keycache_unlink(t, op->key, op->klen, val, vlen) < 0 ||
	    store_txn_put(t, KEYCACHE_LRU, lk, keycache_lru_key(op->now, op->key, op->klen, lk), "", 0) < 0 ||
	    store_txn_put(t, KEYCACHE_DB, op->key, op->klen, copy, vlen) < 0)
		rc = -1;
	free(copy);
	return rc;
}

/* keycache_get - the unexpired cached answer for name and type */
bool keycache_get(struct keycache *kc, const char *name, enum dns_type type, time_t now,
		  struct arena *a, struct dns_result *out)
{
	struct keycache_op op = { .kc = kc, .now = now, .a = a, .out = out };
	int rc;

	if (!kc || !(op.klen = keycache_key(name, type, op.key)))
		return false;
	if (keycache_memo_get(kc, &op))
		return true;
	rc = store_read(kc->st, keycache_get_txn, &op);
	if (op.fix)
		store_write(kc->st, keycache_fix_txn, &op);
	return rc == 1;
}

/* keycache_hold - read one snapshot until keycache_release */
void keycache_hold(struct keycache *kc)
{
	if (kc)
		store_hold(kc->st);
}

/* keycache_release - end keycache_hold */
void keycache_release(struct keycache *kc)
{
	if (kc)
		store_release(kc->st);
}

/* keycache_evict_lru - evict the entry of the oldest LRU items until enough went */
static int keycache_evict_lru(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct keycache_op *op = arg;
	int rc = klen > 8 ? store_txn_del(op->t, KEYCACHE_DB, (const unsigned char *)key + 8, klen - 8) : 0;
	if (rc < 0)
		return STORE_STOP;
	op->evicted += rc; /* an item without its entry just goes */
	return STORE_DELETE | (op->evicted >= op->need ? STORE_STOP : 0);
}

/* keycache_evict_any - evict entries in key order (when the LRU items ran short) */
static int keycache_evict_any(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct keycache_op *op = arg;
	if (keycache_unlink(op->t, key, klen, val, vlen) < 0)
		return STORE_STOP;
	op->evicted++;
	return STORE_DELETE | (op->evicted >= op->need ? STORE_STOP : 0);
}

/* keycache_put_txn - store the entry, evicting the least recently used if full */
static int keycache_put_txn(void *arg, struct store_txn *t)
{
	struct keycache_op *op = arg;
	unsigned char lk[KEYCACHE_LRU_KEY];
	const void *old;
	size_t oldlen;
	long n;
	int rc = store_txn_get(t, KEYCACHE_DB, op->key, op->klen, &old, &oldlen);

	op->t = t;
	op->evicted = 0;
	if (rc < 0)
		return -1;
	if (rc == 1) {
		if (keycache_unlink(t, op->key, op->klen, old, oldlen) < 0)
			return -1;
	} else {
		if ((n = store_txn_count(t, KEYCACHE_DB)) < 0)
			return -1;
		/* after the map filled, "cache" may have been cleared without its LRU items */
		if (n == 0 && store_txn_count(t, KEYCACHE_LRU) > 0 && store_txn_clear(t, KEYCACHE_LRU) < 0)
			return -1;
		if ((size_t)n >= op->kc->size) {
			op->need = n - (long)op->kc->size + 1;
			if (store_txn_each(t, KEYCACHE_LRU, NULL, 0, keycache_evict_lru, op) < 0)
				return -1;
			if (op->evicted < op->need &&
			    store_txn_each(t, KEYCACHE_DB, NULL, 0, keycache_evict_any, op) < 0)
				return -1;
		}
		if (op->evicted && store_txn_add(t, STATS_DB, "cache.evictions", op->evicted, NULL) < 0)
			return -1;
	}
	/* the entry last: if the map fills, the database cleared is "cache" */
	if (store_txn_put(t, KEYCACHE_LRU, lk, keycache_lru_key(op->now, op->key, op->klen, lk), "", 0) < 0)
		return -1;
	return store_txn_put(t, KEYCACHE_DB, op->key, op->klen, op->val, op->vlen);
}

/* keycache_keep - how long to keep r, 0 for not at all */
static unsigned keycache_keep(const struct keycache *kc, const struct dns_result *r)
{
	switch (r->rcode) {
	case DNS_ANSWER:
		return r->ttl < kc->ttl ? r->ttl : kc->ttl;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		return r->ttl && r->ttl < kc->negative_ttl ? r->ttl : kc->negative_ttl;
	default:
		return 0; /* temporary: the next message asks again */
	}
}

/* keycache_put - keep r for name and type */
void keycache_put(struct keycache *kc, const char *name, enum dns_type type,
		  const struct dns_result *r, time_t now)
{
	struct keycache_op op = { .kc = kc, .now = now };
	struct keycache_head h = { .magic = KEYCACHE_MAGIC };
	unsigned keep;
	size_t i;

	if (!kc || !r || !(keep = keycache_keep(kc, r)) || !(op.klen = keycache_key(name, type, op.key)) ||
	    r->count > UINT32_MAX || (r->count && (!r->records || !r->lengths)))
		return;
	op.vlen = sizeof h;
	for (i = 0; i < r->count; i++) {
		if (r->lengths[i] > UINT32_MAX || r->lengths[i] > SIZE_MAX / 2 - op.vlen)
			return;
		op.vlen += sizeof(uint32_t) + r->lengths[i];
	}
	if (!(op.val = malloc(op.vlen)))
		return;
	h.rcode = (uint8_t)r->rcode;
	h.dnssec = (uint8_t)r->dnssec;
	h.count = (uint32_t)r->count;
	h.expires = (int64_t)now + keep;
	h.used = now;
	memcpy(op.val, &h, sizeof h);
	for (i = 0, op.vlen = sizeof h; i < r->count; i++) {
		uint32_t len = (uint32_t)r->lengths[i];
		memcpy(op.val + op.vlen, &len, sizeof len);
		if (len)
			memcpy(op.val + op.vlen + sizeof len, r->records[i], len);
		op.vlen += sizeof len + len;
	}
	store_write(kc->st, keycache_put_txn, &op);
	free(op.val);
}

/* keycache_flush_item - delete an entry of the domain or below */
static int keycache_flush_item(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct keycache_op *op = arg;
	const unsigned char *k = key;
	size_t n = strnlen(key, klen), d = op->klen - 3; /* op->key is the domain, with NUL and type */

	if (n < d || memcmp(k + n - d, op->key, d) != 0 || (n > d && k[n - d - 1] != '.'))
		return STORE_NEXT;
	if (keycache_unlink(op->t, key, klen, val, vlen) < 0)
		return STORE_STOP;
	return STORE_DELETE;
}

/* keycache_flush_txn - advance the generation and remove the entries */
static int keycache_flush_txn(void *arg, struct store_txn *t)
{
	struct keycache_op *op = arg;
	long n;

	op->t = t;
	/* the generation first: should the map fill, "cache" is what gets cleared */
	if (store_txn_add(t, KEYCACHE_META, "generation", 1, NULL) < 0)
		return -1;
	if (op->klen > 3) {
		n = store_txn_each(t, KEYCACHE_DB, NULL, 0, keycache_flush_item, op);
	} else if ((n = store_txn_count(t, KEYCACHE_DB)) >= 0 &&
		   (store_txn_clear(t, KEYCACHE_DB) < 0 || store_txn_clear(t, KEYCACHE_LRU) < 0)) {
		n = -1;
	}
	return n < 0 ? -1 : n > INT_MAX ? INT_MAX : (int)n;
}

/* keycache_flush - remove the entries of domain and its subdomains (all if NULL) */
int keycache_flush(struct keycache *kc, const char *domain)
{
	struct keycache_op op = { .kc = kc };
	if (!kc)
		return -1;
	if (domain && !(op.klen = keycache_key(domain, DNS_TYPE_TXT, op.key)))
		return -1;
	return store_write(kc->st, keycache_flush_txn, &op);
}

/* keycache_bump_txn - advance the generation alone */
static int keycache_bump_txn(void *arg, struct store_txn *t)
{
	return store_txn_add(t, KEYCACHE_META, "generation", 1, NULL);
}

/* keycache_bump - advance the generation, keeping the entries */
int keycache_bump(struct keycache *kc)
{
	return kc ? store_write(kc->st, keycache_bump_txn, NULL) : -1;
}

/* keycache_gen_txn - read the generation */
static int keycache_gen_txn(void *arg, struct store_txn *t)
{
	struct keycache_op *op = arg;
	const void *val;
	size_t vlen = 0;
	long long g = 0;
	if (store_txn_get(t, KEYCACHE_META, "generation", 10, &val, &vlen) < 0)
		return -1;
	if (vlen == sizeof g)
		memcpy(&g, val, sizeof g);
	op->gen = (unsigned long long)g;
	op->version = store_txn_version(t);
	return 0;
}

/* keycache_info_txn - read the generation and the number of entries */
static int keycache_info_txn(void *arg, struct store_txn *t)
{
	struct keycache_op *op = arg;
	long n = store_txn_count(t, KEYCACHE_DB);
	if (n < 0 || keycache_gen_txn(arg, t) < 0)
		return -1;
	op->evicted = n;
	return 0;
}

/* keycache_generation - the number of flushes so far (signing asks it for each message: the
 * generation alone, read again only when the store has had a commit since it was last read) */
unsigned long long keycache_generation(struct keycache *kc)
{
	if (!kc)
		return 0;
	unsigned long long version = store_version(kc->st);
	if (version && version == kc->gen_version)
		return kc->gen;
	struct keycache_op op = { .kc = kc };
	if (store_read(kc->st, keycache_gen_txn, &op) != 0)
		return 0;
	kc->gen = op.gen;
	kc->gen_version = op.version; /* the snapshot's: a held one may be older than version */
	return op.gen;
}

/* keycache_entries - the number of entries */
size_t keycache_entries(struct keycache *kc)
{
	struct keycache_op op = { .kc = kc };
	return kc && store_read(kc->st, keycache_info_txn, &op) == 0 ? (size_t)op.evicted : 0;
}
