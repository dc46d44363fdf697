/*
 * privkeys.c - signing keys loaded once per process, in a bounded cache: at
 * most max keys are kept, and the least recently used one that no session
 * holds is dropped first, so that an ESP's 100,000 domains are not 100,000
 * parsed keys in memory.  A key is loaded again when its file's identity
 * (device, inode, size, modification time) changes or when the shared flush
 * generation moves (the file is looked at no more than once per second: opening
 * it costs more than the rest of the lookup); the old key is kept until no
 * session holds it.  The file is opened once per look and that open file is
 * checked (the rule of keyfile.h) and read.
 */
#include "key/privkeys.h"
#include "util/str.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "key/keyfile.h"

#define PRIVKEYS_DEFAULT_MAX 1000

struct privkeys_entry {
	struct privkeys_entry *chain;         /* the next entry of the same hash bucket */
	struct privkeys_entry *older, *newer; /* use order of the current entries */
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	long long checked;            /* the second of the last stat that found the file unchanged */
	unsigned long long generation;
	bool current;                 /* the one handed out for this path */
	unsigned refs;                /* sessions holding the key */
	struct crypto_privkey *key;
};

struct privkeys {
	struct privkeys_entry **buckets;
	size_t mask;
	struct privkeys_entry *newest, *oldest;
	size_t count, max;            /* current entries, and their bound */
};

/* privkeys_new - an empty set */
struct privkeys *privkeys_new(size_t max)
{
	struct privkeys *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->max = max ? max : PRIVKEYS_DEFAULT_MAX;
	size_t n = 64;
	while (n < p->max && n < ((size_t)1 << 20))
		n *= 2;
	if (!(p->buckets = calloc(n, sizeof *p->buckets))) {
		free(p);
		return NULL;
	}
	p->mask = n - 1;
	return p;
}

/* privkeys_bucket - the bucket of path */
static struct privkeys_entry **privkeys_bucket(struct privkeys *p, const char *path)
{
	return &p->buckets[str_hash(path, strlen(path)) & p->mask];
}

/* privkeys_unlist - take a current entry out of the use order */
static void privkeys_unlist(struct privkeys *p, struct privkeys_entry *e)
{
	*(e->older ? &e->older->newer : &p->oldest) = e->newer;
	*(e->newer ? &e->newer->older : &p->newest) = e->older;
	e->older = e->newer = NULL;
	p->count--;
}

/* privkeys_list - make an entry the newest current one */
static void privkeys_list(struct privkeys *p, struct privkeys_entry *e)
{
	e->older = p->newest;
	*(p->newest ? &p->newest->newer : &p->oldest) = e;
	p->newest = e;
	p->count++;
}

/* privkeys_drop - free an entry no session holds (taken out of its bucket) */
static void privkeys_drop(struct privkeys *p, struct privkeys_entry *e)
{
	struct privkeys_entry **at = privkeys_bucket(p, e->path);
	while (*at != e)
		at = &(*at)->chain;
	*at = e->chain;
	crypto_privkey_free(e->key);
	free(e->path);
	free(e);
}

/* privkeys_retire - an entry is no longer current: dropped now, or when the last session lets go */
static void privkeys_retire(struct privkeys *p, struct privkeys_entry *e)
{
	privkeys_unlist(p, e);
	e->current = false;
	if (e->refs == 0)
		privkeys_drop(p, e);
}

/* privkeys_trim - drop the least recently used keys no session holds, down to the bound */
static void privkeys_trim(struct privkeys *p)
{
	for (struct privkeys_entry *e = p->oldest, *next; e && p->count > p->max; e = next) {
		next = e->newer;
		if (e->refs == 0)
			privkeys_retire(p, e);
	}
}

/* privkeys_hand - hand out a current entry's key: it becomes the newest and one more session holds it */
static const struct crypto_privkey *privkeys_hand(struct privkeys *p, struct privkeys_entry *e)
{
	if (p->newest != e) {
		privkeys_unlist(p, e);
		privkeys_list(p, e);
	}
	e->refs++;
	return e->key;
}

/* privkeys_same - the file is the one the entry was loaded from */
static bool privkeys_same(const struct privkeys_entry *e, const struct stat *st, unsigned long long generation)
{
	return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       e->generation == generation;
}

/* privkeys_get - the key of path, loaded now or earlier */
const struct crypto_privkey *privkeys_get(struct privkeys *p, const char *path, unsigned long long generation,
					  long long now, const char **why)
{
	/* most often the key handed out last (a host signs with few keys): no hash of the path */
	struct privkeys_entry *e = p->newest;
	if (e && e->checked == now && e->generation == generation && strcmp(e->path, path) == 0)
		return privkeys_hand(p, e);
	struct privkeys_entry **bucket = privkeys_bucket(p, path);
	for (e = *bucket; e; e = e->chain)
		if (e->current && e->checked == now && e->generation == generation && strcmp(e->path, path) == 0)
			return privkeys_hand(p, e);
	struct stat st;
	int fd = keyfile_open(path, &st, why);
	if (fd < 0)
		return NULL;
	for (e = *bucket; e; e = e->chain) {
		if (!e->current || strcmp(e->path, path) != 0)
			continue;
		if (privkeys_same(e, &st, generation)) {
			close(fd);
			e->checked = now;
			return privkeys_hand(p, e);
		}
		privkeys_retire(p, e); /* stale: kept while sessions hold it */
		break;
	}
	struct crypto_privkey *key = crypto_privkey_read(fd, (size_t)st.st_size, why);
	close(fd);
	if (!key)
		return NULL;
	e = calloc(1, sizeof *e);
	if (!e || !(e->path = strdup(path))) {
		free(e);
		crypto_privkey_free(key);
		*why = "out of memory";
		return NULL;
	}
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->size = st.st_size;
	e->mtime = st.st_mtim;
	e->generation = generation;
	e->checked = now;
	e->current = true;
	e->key = key;
	e->chain = *bucket;
	*bucket = e;
	privkeys_list(p, e);
	e->refs = 1;
	privkeys_trim(p);
	return key;
}

/* privkeys_put - a session lets go of a key privkeys_get gave it */
void privkeys_put(struct privkeys *p, const char *path, const struct crypto_privkey *key)
{
	/* most often the key handed out last (each entry has its own key): no hash of the path */
	struct privkeys_entry *e = p->newest && p->newest->key == key ? p->newest : *privkeys_bucket(p, path);
	while (e && e->key != key)
		e = e->chain;
	if (!e || e->refs == 0)
		return;
	if (--e->refs == 0 && !e->current)
		privkeys_drop(p, e);
	else if (e->refs == 0)
		privkeys_trim(p);
}

/* privkeys_count - the keys kept (current ones, held or not) */
size_t privkeys_count(const struct privkeys *p)
{
	return p->count;
}

/* privkeys_free - free every key */
void privkeys_free(struct privkeys *p)
{
	if (!p)
		return;
	for (size_t i = 0; i <= p->mask; i++)
		for (struct privkeys_entry *e = p->buckets[i], *next; e; e = next) {
			next = e->chain;
			crypto_privkey_free(e->key);
			free(e->path);
			free(e);
		}
	free(p->buckets);
	free(p);
}
