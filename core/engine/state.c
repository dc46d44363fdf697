/*
 * state.c - the shared state seen from outside the mail path: the console
 * reads its counters and flushes its cache without a daemon, by opening the
 * same store every MTA process uses.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "dkmod.h"
#include "dns/keycache.h"
#include "store/stats.h"
#include "store/store.h"

/* state_open - the store and cache in dir; a state no process has made yet is not
 * created (from outside, as root, it would belong to the wrong user) */
static enum dkmod_status state_open(const char *dir, struct store **st, struct keycache **kc)
{
	struct dkmod_cache_options opt = {.state_dir = dir, .size = 0, .ttl = 300, .negative_ttl = 3600};
	char path[4096];
	struct stat sb;
	*kc = NULL;
	if (!dir || (size_t)snprintf(path, sizeof path, "%s/data.mdb", dir) >= sizeof path || stat(path, &sb) != 0)
		return DKMOD_EIO;
	if (!(*st = store_open(dir, 0, NULL, NULL)))
		return DKMOD_EIO;
	if (!(*kc = keycache_open(*st, &opt))) {
		store_close(*st);
		return DKMOD_ENOMEM;
	}
	return DKMOD_OK;
}

/* dkmod_state_counters - every counter of the state in dir */
enum dkmod_status dkmod_state_counters(const char *dir, dkmod_counter_fn *fn, void *arg)
{
	struct store *st;
	struct keycache *kc;
	enum dkmod_status rc = state_open(dir, &st, &kc);
	if (rc != DKMOD_OK)
		return rc;
	if (stats_each(st, fn, arg) < 0)
		rc = DKMOD_EIO;
	fn(arg, "cache.entries", (long long)keycache_entries(kc));
	fn(arg, "cache.generation", (long long)keycache_generation(kc));
	keycache_close(kc);
	store_close(st);
	return rc;
}

/* dkmod_state_flush - drop cached records of domain (all when NULL), move the generation */
enum dkmod_status dkmod_state_flush(const char *dir, const char *domain, long *removed)
{
	struct store *st;
	struct keycache *kc;
	enum dkmod_status rc = state_open(dir, &st, &kc);
	if (rc != DKMOD_OK)
		return rc;
	int n = keycache_flush(kc, domain);
	if (n < 0)
		rc = DKMOD_EIO;
	else
		stats_add(st, "cache.flushes", 1);
	if (removed)
		*removed = n;
	keycache_close(kc);
	store_close(st);
	return rc;
}

/* dkmod_state_reload - move the generation alone */
enum dkmod_status dkmod_state_reload(const char *dir)
{
	struct store *st;
	struct keycache *kc;
	enum dkmod_status rc = state_open(dir, &st, &kc);
	if (rc != DKMOD_OK)
		return rc;
	if (keycache_bump(kc) < 0)
		rc = DKMOD_EIO;
	keycache_close(kc);
	store_close(st);
	return rc;
}
