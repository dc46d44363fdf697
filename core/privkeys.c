/*
 * privkeys.c - signing keys loaded once per process.  A key is loaded again
 * when its file's identity (device, inode, size, modification time) changes or
 * when the shared flush generation moves (the file is looked at no more than
 * once per second: a stat costs more than the rest of the lookup); the old key is kept until the set
 * is freed, because a session may still hold it.  A key file that other users
 * may read or write is refused: a private key must be 0600 or 0640.
 */
#include "privkeys.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct privkeys_entry {
	struct privkeys_entry *next;
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	long long checked;            /* the second of the last stat that found the file unchanged */
	unsigned long long generation;
	bool current;                 /* the one handed out for this path */
	struct crypto_privkey *key;
};

struct privkeys {
	struct privkeys_entry *head;
};

/* privkeys_new - an empty set */
struct privkeys *privkeys_new(void)
{
	return calloc(1, sizeof(struct privkeys));
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
	struct privkeys_entry *e;
	for (e = p->head; e; e = e->next)
		if (e->current && e->checked == now && e->generation == generation && strcmp(e->path, path) == 0)
			return e->key;
	struct stat st;
	if (stat(path, &st) != 0) {
		*why = "cannot read key file";
		return NULL;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		*why = "key file is accessible to other users: refused (chmod 600 or 640)";
		return NULL;
	}
	for (e = p->head; e; e = e->next) {
		if (!e->current || strcmp(e->path, path) != 0)
			continue;
		if (privkeys_same(e, &st, generation)) {
			e->checked = now;
			return e->key;
		}
		e->current = false; /* stale: keep it alive for sessions that hold it */
		break;
	}
	struct crypto_privkey *key = crypto_privkey_load(path, why);
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
	e->next = p->head;
	p->head = e;
	return key;
}

/* privkeys_free - free every key */
void privkeys_free(struct privkeys *p)
{
	if (!p)
		return;
	for (struct privkeys_entry *e = p->head, *next; e; e = next) {
		next = e->next;
		crypto_privkey_free(e->key);
		free(e->path);
		free(e);
	}
	free(p);
}
