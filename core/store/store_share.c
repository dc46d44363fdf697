/*
 * store_share.c - the list of state directories this process has open
 * (store_share.h).  Entries of a parent process, inherited across fork,
 * never match in the child (the process id differs) and are left alone.
 */
#include "store/store_share.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct store_share {
	void *env;
	dev_t dev;
	ino_t ino;
	pid_t pid;               /* the process that opened it */
	unsigned users;
	pthread_mutex_t txn;     /* one transaction at a time */
	struct store_share *next;
};

static pthread_mutex_t store_share_list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store_share *store_share_list;

/* store_share_lock - take the list's lock */
void store_share_lock(void)
{
	pthread_mutex_lock(&store_share_list_lock);
}

/* store_share_unlock - release the list's lock */
void store_share_unlock(void)
{
	pthread_mutex_unlock(&store_share_list_lock);
}

/* store_share_get - this process's entry of (dev, ino), counted once more */
struct store_share *store_share_get(dev_t dev, ino_t ino)
{
	pid_t pid = getpid();
	for (struct store_share *sh = store_share_list; sh; sh = sh->next) {
		if (sh->dev == dev && sh->ino == ino && sh->pid == pid) {
			sh->users++;
			return sh;
		}
	}
	return NULL;
}

/* store_share_add - a new entry with one user */
struct store_share *store_share_add(void *env, dev_t dev, ino_t ino)
{
	struct store_share *sh = calloc(1, sizeof *sh);
	pthread_mutexattr_t attr;
	if (!sh || pthread_mutexattr_init(&attr) != 0) {
		free(sh);
		return NULL;
	}
	/* recursive: a nested use of a store must reach the store's own refusal, not hang */
	int rc = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	if (rc == 0)
		rc = pthread_mutex_init(&sh->txn, &attr);
	pthread_mutexattr_destroy(&attr);
	if (rc != 0) {
		free(sh);
		return NULL;
	}
	sh->env = env;
	sh->dev = dev;
	sh->ino = ino;
	sh->pid = getpid();
	sh->users = 1;
	sh->next = store_share_list;
	store_share_list = sh;
	return sh;
}

/* store_share_env - the entry's environment */
void *store_share_env(const struct store_share *sh)
{
	return sh->env;
}

/* store_share_drop - one user less; the environment to close after the last */
void *store_share_drop(struct store_share *sh)
{
	void *env = NULL;
	store_share_lock();
	if (--sh->users == 0) {
		struct store_share **at = &store_share_list;
		while (*at != sh)
			at = &(*at)->next;
		*at = sh->next;
		env = sh->env;
		pthread_mutex_destroy(&sh->txn);
		free(sh);
	}
	store_share_unlock();
	return env;
}

/* store_share_begin - take the transaction mutex */
void store_share_begin(struct store_share *sh)
{
	pthread_mutex_lock(&sh->txn);
}

/* store_share_end - release the transaction mutex */
void store_share_end(struct store_share *sh)
{
	pthread_mutex_unlock(&sh->txn);
}
