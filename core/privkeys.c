/*
 * privkeys.c - signing keys loaded once per process.  A key is loaded again
 * when its file's identity (device, inode, size, modification time) changes or
 * when the shared flush generation moves (the file is looked at no more than
 * once per second: opening it costs more than the rest of the lookup); the old key is kept until
 * the set is freed, because a session may still hold it.  The file is opened once per look and
 * that open file is checked (the rule of keyfile.h) and read.
 */
#include "privkeys.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyfile.h"

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
	int fd = keyfile_open(path, &st, why);
	if (fd < 0)
		return NULL;
	for (e = p->head; e; e = e->next) {
		if (!e->current || strcmp(e->path, path) != 0)
			continue;
		if (privkeys_same(e, &st, generation)) {
			close(fd);
			e->checked = now;
			return e->key;
		}
		e->current = false; /* stale: keep it alive for sessions that hold it */
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
