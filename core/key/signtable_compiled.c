/*
 * signtable_compiled.c - the compiled form of a signing table, format 2: one
 * LMDB map file (store.h's store_map), mapped and never read whole, so a process
 * pays for the pages its lookups touch; the file is therefore made small:
 *
 *   "~signtable"  "dkmod-signtable 2 buckets=N" - the format; a file without it is refused
 *   "~values"     u32 count, count u32 offsets, then the shared values, NUL-terminated
 *   4-byte bucket number (big-endian, below 2^24)  the bucket's entries, packed:
 *                 varint key length, key, varint x; x odd: an inline value of x>>1 bytes
 *                 follows; x even: the shared value number x>>1
 *
 * An entry's bucket is str_hash (FNV-1a) of its key modulo N, buckets of a few
 * hundred bytes, so a lookup reads one LMDB node and the file holds about 20
 * bytes of an ordinary domain's entry.  Before it is stored, the value of an
 * exact-domain entry has that domain written as %{d} in its signing domains and
 * key files (the same value once expanded: %{d} is the domain looked up, and
 * only that domain finds the entry), so that "example.com:may:/keys/example.com/may.key"
 * becomes a value thousands of domains share.  All integers are little-endian
 * unless said otherwise; everything read is checked against the record's size.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key/signtable_compiled.h"
#include "store/store.h"
#include "util/str.h"

#define SIGNTABLE_COMPILED_META "~signtable"
#define SIGNTABLE_COMPILED_VALUES "~values"
#define SIGNTABLE_COMPILED_BUCKET_BYTES 384 /* the mean size a bucket is made for */
#define SIGNTABLE_COMPILED_MAX_BUCKETS 0xffffffu

struct signtable_compiled {
	struct store_map *map;
	uint32_t buckets;
	const unsigned char *values; /* the "~values" record (valid for the map's life) */
	size_t values_len;
};

/* signtable_compiled_close - NULL is fine */
void signtable_compiled_close(struct signtable_compiled *c)
{
	if (!c)
		return;
	store_map_close(c->map);
	free(c);
}

/* signtable_compiled_u32 - the little-endian u32 at p */
static uint32_t signtable_compiled_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* signtable_compiled_open - open the compiled table at path; NULL and why if it is none, or of another format */
struct signtable_compiled *signtable_compiled_open(const char *path, char *why, size_t why_size)
{
	struct signtable_compiled *c = calloc(1, sizeof *c);
	const void *v;
	size_t vl;
	char err[160], meta[80];
	unsigned format = 0, buckets = 0;
	if (!c) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	if (!(c->map = store_map_open(path, err, sizeof err))) {
		snprintf(why, why_size, "not a compiled signing table (%s)", err);
		free(c);
		return NULL;
	}
	int rc = store_map_get(c->map, SIGNTABLE_COMPILED_META, strlen(SIGNTABLE_COMPILED_META), &v, &vl);
	if (rc == 1 && vl < sizeof meta) {
		memcpy(meta, v, vl);
		meta[vl] = '\0';
		if (sscanf(meta, "dkmod-signtable %u buckets=%u", &format, &buckets) < 1)
			format = 0;
	}
	if (format != SIGNTABLE_COMPILED_FORMAT) {
		if (format)
			snprintf(why, why_size, "a compiled signing table of format %u, this dkmod reads format %d: "
				 "compile the text table again with `dkmod signtable compile`", format, SIGNTABLE_COMPILED_FORMAT);
		else
			snprintf(why, why_size, "not a compiled signing table of format %d (one compiled by an older dkmod? "
				 "compile the text table again with `dkmod signtable compile`)", SIGNTABLE_COMPILED_FORMAT);
		signtable_compiled_close(c);
		return NULL;
	}
	c->buckets = buckets;
	if (store_map_get(c->map, SIGNTABLE_COMPILED_VALUES, strlen(SIGNTABLE_COMPILED_VALUES), &v, &vl) == 1 && vl >= 4) {
		c->values = v;
		c->values_len = vl;
	}
	if (!buckets || buckets > SIGNTABLE_COMPILED_MAX_BUCKETS || !c->values ||
	    (c->values_len - 4) / 4 < signtable_compiled_u32(c->values)) {
		snprintf(why, why_size, "a damaged compiled signing table (its header): compile it again");
		signtable_compiled_close(c);
		return NULL;
	}
	return c;
}

/* signtable_compiled_varint - read a varint at *p (before end) into *out; false if it is cut or too long */
static bool signtable_compiled_varint(const unsigned char **p, const unsigned char *end, size_t *out)
{
	*out = 0;
	for (unsigned shift = 0; *p < end && shift < 28; shift += 7) {
		unsigned char b = *(*p)++;
		*out |= (size_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/* signtable_compiled_shared - shared value id of the "~values" record into val (size bytes); false if it
 * is not there or too long */
static bool signtable_compiled_shared(const unsigned char *values, size_t values_len, size_t id, char *val,
				      size_t size)
{
	if (values_len < 4)
		return false;
	size_t nvalues = signtable_compiled_u32(values);
	if (id >= nvalues || (values_len - 4) / 4 < nvalues)
		return false;
	size_t off = 4 + nvalues * 4 + signtable_compiled_u32(values + 4 + id * 4);
	const unsigned char *nul = off < values_len ? memchr(values + off, '\0', values_len - off) : NULL;
	if (!nul || (size_t)(nul - (values + off)) >= size)
		return false;
	memcpy(val, values + off, (size_t)(nul - (values + off)) + 1);
	return true;
}

/* One packed entry of a bucket, as read: its key, and x (odd: an inline value of x>>1 bytes at inl;
 * even: the shared value number x>>1). */
struct signtable_compiled_entry {
	const unsigned char *key, *inl;
	size_t klen, x;
};

/* signtable_compiled_entry_at - the entry at *p (before end) into e and *p past it: 1, 0 at the end, -1 damaged */
static int signtable_compiled_entry_at(const unsigned char **p, const unsigned char *end, struct signtable_compiled_entry *e)
{
	if (*p >= end)
		return 0;
	if (!signtable_compiled_varint(p, end, &e->klen) || e->klen > (size_t)(end - *p))
		return -1;
	e->key = *p;
	*p += e->klen;
	if (!signtable_compiled_varint(p, end, &e->x) || ((e->x & 1) && e->x / 2 > (size_t)(end - *p)))
		return -1;
	e->inl = *p;
	*p += e->x & 1 ? e->x / 2 : 0;
	return 1;
}

/* signtable_compiled_value - e's value (its shared values in the "~values" record) into val (size bytes):
 * 1, or -1 damaged or too long */
static int signtable_compiled_value(const struct signtable_compiled_entry *e, const void *values, size_t values_len,
				    char *val, size_t size)
{
	if (!(e->x & 1))
		return signtable_compiled_shared(values, values_len, e->x / 2, val, size) ? 1 : -1;
	if (e->x / 2 >= size || memchr(e->inl, '\0', e->x / 2))
		return -1;
	memcpy(val, e->inl, e->x / 2);
	val[e->x / 2] = '\0';
	return 1;
}

/* signtable_compiled_find - the value of key in a bucket record (its shared values in the "~values" record)
 * into val (size bytes): 1 found, 0 not, -1 damaged or too long */
int signtable_compiled_find(const void *bucket, size_t len, const void *values, size_t values_len, const char *key,
			    char *val, size_t size)
{
	size_t n = strlen(key);
	struct signtable_compiled_entry e;
	int rc;
	for (const unsigned char *p = bucket, *end = p + len; (rc = signtable_compiled_entry_at(&p, end, &e)) == 1;)
		if (e.klen == n && memcmp(e.key, key, n) == 0)
			return signtable_compiled_value(&e, values, values_len, val, size);
	return rc;
}

/* signtable_compiled_get - the value of key into val (size bytes): 1 found, 0 not, -1 damaged or too long */
int signtable_compiled_get(const struct signtable_compiled *c, const char *key, char *val, size_t size)
{
	uint32_t b = str_hash(key, strlen(key)) % c->buckets;
	unsigned char bk[4] = {(unsigned char)(b >> 24), (unsigned char)(b >> 16), (unsigned char)(b >> 8), (unsigned char)b};
	const void *v;
	size_t vl;
	int rc = store_map_get(c->map, bk, sizeof bk, &v, &vl);
	return rc == 1 ? signtable_compiled_find(v, vl, c->values, c->values_len, key, val, size) : rc;
}

/* Where signtable_compiled_each goes, for store_map_each. */
struct signtable_compiled_walk {
	const struct signtable_compiled *c;
	signtable_compiled_entry_fn *fn;
	void *arg;
	int rc; /* -1 once a damaged bucket was met */
};

/* signtable_compiled_each_bucket - every entry of one bucket record to the walk's fn (the records
 * "~signtable" and "~values" are not buckets); non-zero stops the walk */
static int signtable_compiled_each_bucket(void *arg, const void *key, size_t klen, const void *bucket, size_t len)
{
	struct signtable_compiled_walk *w = arg;
	struct signtable_compiled_entry e;
	char val[SIGNTABLE_VALUE_MAX];
	int rc;
	if (klen != 4)
		return 0;
	for (const unsigned char *p = bucket, *end = p + len; (rc = signtable_compiled_entry_at(&p, end, &e)) == 1;) {
		if (signtable_compiled_value(&e, w->c->values, w->c->values_len, val, sizeof val) != 1)
			break;
		if (w->fn(w->arg, e.key, e.klen, val, strlen(val)))
			return 1;
	}
	if (rc != 0)
		w->rc = -1;
	return rc != 0;
}

/* signtable_compiled_each - fn for every entry (key, value with %{d} as stored) in bucket order until it
 * returns non-zero; -1 if the file is damaged, else 0 */
int signtable_compiled_each(const struct signtable_compiled *c, signtable_compiled_entry_fn *fn, void *arg)
{
	struct signtable_compiled_walk w = {c, fn, arg, 0};
	return store_map_each(c->map, signtable_compiled_each_bucket, &w) ? -1 : w.rc;
}

/* A growable byte buffer for the writer that remembers a failure. */
struct signtable_compiled_buf {
	struct str s;
	bool failed;
};

/* signtable_compiled_put - append n bytes (remembers a failure) */
static void signtable_compiled_put(struct signtable_compiled_buf *b, const void *p, size_t n)
{
	if (!b->failed && str_append(&b->s, p, n) != 0)
		b->failed = true;
}

/* signtable_compiled_put_varint - append v as a varint */
static void signtable_compiled_put_varint(struct signtable_compiled_buf *b, size_t v)
{
	unsigned char out[10];
	size_t n = 0;
	do {
		out[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		out[n] |= v ? 0x80 : 0;
		n++;
	} while (v);
	signtable_compiled_put(b, out, n);
}

/* signtable_compiled_put_field - append a field of a signature, key written as %{d} in it when swap */
static void signtable_compiled_put_field(struct signtable_compiled_buf *b, const char *f, size_t len, const char *key,
					 size_t kl, bool swap)
{
	for (size_t i = 0; i < len;) {
		if (swap && len - i >= kl && memcmp(f + i, key, kl) == 0) {
			signtable_compiled_put(b, "%{d}", 4);
			i += kl;
		} else {
			signtable_compiled_put(b, f + i++, 1);
		}
	}
}

/* signtable_compiled_canon - append the value v of key in the shared form (see the top) and a NUL */
static void signtable_compiled_canon(struct signtable_compiled_buf *b, const char *key, const char *v)
{
	size_t kl = strlen(key);
	bool exact = key[0] != '.' && key[0] != '*' && !strchr(key, '@');
	for (const char *p = v; *p;) {
		size_t sep = strspn(p, " \t,"), len = strcspn(p + sep, " \t,");
		signtable_compiled_put(b, p, sep);
		p += sep;
		/* domain:selector[:keyfile]: the selector is kept as it is (its %{d} expands to nothing) */
		const char *c1 = memchr(p, ':', len), *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - p)) : NULL;
		const char *send = c2 ? c2 : p + len;
		signtable_compiled_put_field(b, p, c1 ? (size_t)(c1 - p) : len, key, kl, exact && c1);
		if (c1)
			signtable_compiled_put(b, c1, (size_t)(send - c1));
		if (c2)
			signtable_compiled_put_field(b, c2, (size_t)(p + len - c2), key, kl, exact);
		p += len;
	}
	signtable_compiled_put(b, "", 1);
}

/* The writer's state: the items, their shared forms, and the records in order. */
struct signtable_compiled_out {
	const char *const *items;
	size_t count;
	struct signtable_compiled_buf canon; /* the shared form of every item's value */
	size_t *canon_off;                   /* of item i */
	uint32_t *value_id;                  /* of item i: shared value number + 1, or 0 inline */
	struct signtable_compiled_buf values, enc, meta;
	size_t *bucket_off; /* buckets + 1 offsets into enc */
	uint32_t buckets, next;
	int stage;          /* 0 buckets, 1 meta, 2 values, 3 done */
	unsigned char bk[4];
};

/* signtable_compiled_canon_of - the shared form of item i's value */
static const char *signtable_compiled_canon_of(const struct signtable_compiled_out *o, size_t i)
{
	return o->canon.s.data + o->canon_off[i];
}

/* signtable_compiled_put_u32 - append v little-endian */
static void signtable_compiled_put_u32(struct signtable_compiled_buf *b, size_t v)
{
	unsigned char le[4];
	for (int k = 0; k < 4; k++)
		le[k] = (unsigned char)(v >> (8 * k));
	signtable_compiled_put(b, le, 4);
}

/* signtable_compiled_share - number the values used by two items or more (value_id), build "~values" */
static bool signtable_compiled_share(struct signtable_compiled_out *o)
{
	size_t cap = 16, nshared = 0;
	while (cap < o->count * 2 + 2)
		cap *= 2;
	size_t *slot = calloc(cap, sizeof *slot); /* item + 1 of the first use of a value */
	struct signtable_compiled_buf strings = {0};
	bool ok = slot != NULL;
	for (size_t i = 0; ok && i < o->count; i++) {
		const char *v = signtable_compiled_canon_of(o, i);
		size_t h = str_hash(v, strlen(v)) & (cap - 1);
		while (slot[h] && strcmp(signtable_compiled_canon_of(o, slot[h] - 1), v) != 0)
			h = (h + 1) & (cap - 1);
		if (!slot[h]) {
			slot[h] = i + 1;
			continue;
		}
		size_t first = slot[h] - 1;
		if (!o->value_id[first]) { /* a second use: share it */
			signtable_compiled_put(&strings, v, strlen(v) + 1);
			o->value_id[first] = (uint32_t)++nshared;
		}
		o->value_id[i] = o->value_id[first];
	}
	signtable_compiled_put_u32(&o->values, nshared);
	for (size_t j = 0, off = 0; ok && !strings.failed && j < nshared; j++) { /* in number order */
		signtable_compiled_put_u32(&o->values, off);
		off += strlen(strings.s.data + off) + 1;
	}
	signtable_compiled_put(&o->values, strings.s.data, strings.s.len);
	ok = ok && !strings.failed && !o->values.failed && strings.s.len < UINT32_MAX && nshared < UINT32_MAX;
	str_free(&strings.s);
	free(slot);
	return ok;
}

/* signtable_compiled_put_entry - append item i's entry to enc */
static void signtable_compiled_put_entry(struct signtable_compiled_out *o, size_t i)
{
	const char *k = o->items[i], *v = signtable_compiled_canon_of(o, i);
	size_t kl = strlen(k), vl = strlen(v);
	signtable_compiled_put_varint(&o->enc, kl);
	signtable_compiled_put(&o->enc, k, kl);
	if (o->value_id[i]) {
		signtable_compiled_put_varint(&o->enc, (size_t)(o->value_id[i] - 1) * 2);
	} else {
		signtable_compiled_put_varint(&o->enc, vl * 2 + 1);
		signtable_compiled_put(&o->enc, v, vl);
	}
}

/* signtable_compiled_pack - the items' entries into enc, bucket by bucket (bucket_off) */
static bool signtable_compiled_pack(struct signtable_compiled_out *o)
{
	size_t total = 0;
	for (size_t i = 0; i < o->count; i++)
		total += strlen(o->items[i]) + 3 + (o->value_id[i] ? 0 : strlen(signtable_compiled_canon_of(o, i)));
	size_t nb = total / SIGNTABLE_COMPILED_BUCKET_BYTES + 1;
	o->buckets = (uint32_t)(nb > SIGNTABLE_COMPILED_MAX_BUCKETS ? SIGNTABLE_COMPILED_MAX_BUCKETS : nb);
	uint32_t *of = malloc((o->count + 1) * sizeof *of);
	size_t *first = calloc((size_t)o->buckets + 1, sizeof *first), *order = malloc((o->count + 1) * sizeof *order);
	o->bucket_off = calloc((size_t)o->buckets + 1, sizeof *o->bucket_off);
	bool ok = of && first && order && o->bucket_off;
	/* a counting sort by bucket, the items of one bucket in table order: first[b] is where b's begin */
	for (size_t i = 0; ok && i < o->count; i++) {
		of[i] = str_hash(o->items[i], strlen(o->items[i])) % o->buckets;
		first[of[i] + 1]++;
	}
	for (size_t b = 1; ok && b <= o->buckets; b++)
		first[b] += first[b - 1];
	for (size_t i = 0; ok && i < o->count; i++)
		order[first[of[i]]++] = i; /* first[b] ends as where b + 1's begin */
	for (size_t b = 0, j = 0; ok && b < o->buckets; b++) {
		o->bucket_off[b] = o->enc.s.len;
		for (; j < first[b]; j++)
			signtable_compiled_put_entry(o, order[j]);
	}
	if (ok)
		o->bucket_off[o->buckets] = o->enc.s.len;
	free(of);
	free(first);
	free(order);
	return ok && !o->enc.failed;
}

/* signtable_compiled_next - the next record in key order (a store_map_write callback) */
static int signtable_compiled_next(void *arg, const void **key, size_t *klen, const void **val, size_t *vlen)
{
	struct signtable_compiled_out *o = arg;
	while (o->stage == 0 && o->next < o->buckets) {
		uint32_t b = o->next++;
		if (o->bucket_off[b + 1] == o->bucket_off[b])
			continue; /* empty */
		for (int k = 0; k < 4; k++)
			o->bk[k] = (unsigned char)(b >> (8 * (3 - k)));
		*key = o->bk;
		*klen = 4;
		*val = o->enc.s.data + o->bucket_off[b];
		*vlen = o->bucket_off[b + 1] - o->bucket_off[b];
		return 1;
	}
	/* then the two named records, which sort after every bucket (whose first byte is 0) */
	switch (o->stage++) {
	case 0:
		*key = SIGNTABLE_COMPILED_META;
		*val = o->meta.s.data;
		*vlen = o->meta.s.len;
		break;
	case 1:
		*key = SIGNTABLE_COMPILED_VALUES;
		*val = o->values.s.data;
		*vlen = o->values.s.len;
		break;
	default:
		return 0;
	}
	*klen = strlen(*key);
	return 1;
}

/* signtable_compiled_write - the count items as a compiled table at path; 0, or -1 and why */
int signtable_compiled_write(const char *path, const char *const *items, size_t count, char *why, size_t why_size)
{
	struct signtable_compiled_out o = {.items = items, .count = count};
	int rc = -1;
	o.canon_off = malloc((count + 1) * sizeof *o.canon_off);
	o.value_id = calloc(count + 1, sizeof *o.value_id);
	for (size_t i = 0; o.canon_off && i < count; i++) {
		o.canon_off[i] = o.canon.s.len;
		signtable_compiled_canon(&o.canon, items[i], items[i] + strlen(items[i]) + 1);
	}
	if (o.canon_off && o.value_id && !o.canon.failed && signtable_compiled_share(&o) && signtable_compiled_pack(&o)) {
		char meta[80];
		int n = snprintf(meta, sizeof meta, "dkmod-signtable %d buckets=%u", SIGNTABLE_COMPILED_FORMAT, o.buckets);
		signtable_compiled_put(&o.meta, meta, (size_t)n);
		/* the map is a bound (the file grows as written): the data (a bucket past LMDB's node size takes
		 * whole overflow pages, up to about twice its size), page headers and room */
		size_t bytes = (o.enc.s.len + o.values.s.len) * 3 + (size_t)o.buckets * 32 + ((size_t)1 << 20);
		if (!o.meta.failed)
			rc = store_map_write(path, bytes, signtable_compiled_next, &o, why, why_size);
	}
	if (rc != 0 && (!o.canon_off || !o.value_id || o.canon.failed || o.enc.failed || o.values.failed || o.meta.failed))
		snprintf(why, why_size, "out of memory");
	str_free(&o.canon.s);
	free(o.canon_off);
	free(o.value_id);
	str_free(&o.values.s);
	str_free(&o.enc.s);
	str_free(&o.meta.s);
	free(o.bucket_off);
	return rc;
}
