/*
 * keycache.h - the cache of DNS answers (DKIM keys, DomainKeys and ADSP
 * policies) shared by every process through the store (store.h), so that a
 * fleet of short-lived MTA processes asks DNS once per TTL, not once per
 * process.  Only permanent results are kept: answers, NXDOMAIN and NODATA.
 *
 * All functions accept a NULL cache and then do nothing (miss, no entries):
 * the engine works without a cache whenever the store could not be opened.
 * Like the store, a cache is for one thread and must be opened after fork.
 */
#ifndef DKMOD_KEYCACHE_H
#define DKMOD_KEYCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/arena.h"
#include "dkmod.h"
#include "dns/dns.h"
#include "store/store.h"

/* A hit updates the entry's last use only if that is this many seconds old or
 * more, so that most hits stay read-only: the LRU order is exact to within it. */
#define KEYCACHE_TOUCH_SECONDS 5
#define KEYCACHE_DEFAULT_SIZE 2048

struct keycache;

/* keycache_open - a cache on st (not owned; must outlive the cache) with opt's
 * size, ttl and negative_ttl (copied; size 0: KEYCACHE_DEFAULT_SIZE; a ttl of 0
 * keeps nothing of that kind); NULL if st or opt is NULL or out of memory */
struct keycache *keycache_open(struct store *st, const struct dkmod_cache_options *opt);
/* keycache_close - free the cache (not the store); NULL is fine */
void keycache_close(struct keycache *kc);

/* keycache_get - true and *out if an unexpired answer for name (any case, a
 * trailing dot ignored) and type is cached: records, lengths (each record also
 * NUL-terminated) live in a; ttl is the seconds left; why is "".  Expired
 * entries are deleted on the way. */
bool keycache_get(struct keycache *kc, const char *name, enum dns_type type, time_t now,
		  struct arena *a, struct dns_result *out);
/* keycache_hold - the keycache_gets until keycache_release read one snapshot of the
 * cache (begun once: cheaper than one per lookup); NULL is fine */
void keycache_hold(struct keycache *kc);
/* keycache_release - end keycache_hold; NULL is fine */
void keycache_release(struct keycache *kc);
/* keycache_put - keep r (copied) for name and type: an answer for min(ttl, r->ttl)
 * (an answer of TTL 0 is not kept), NXDOMAIN and NODATA for min(negative_ttl,
 * r->ttl) or negative_ttl when r->ttl is 0; temporary results are ignored.  The
 * least recently used entries go when the cache is full ("cache.evictions" in
 * the stats counts them). */
void keycache_put(struct keycache *kc, const char *name, enum dns_type type,
		  const struct dns_result *r, time_t now);

/* keycache_bump - advance the generation alone (every process reloads its signing keys and
 * tables; the cached records stay); 0 or -1 */
int keycache_bump(struct keycache *kc);
/* keycache_flush - remove the entries of domain (any case) and its subdomains,
 * every entry if domain is NULL, "" or ".", and advance the generation; the
 * number removed, or -1 */
int keycache_flush(struct keycache *kc, const char *domain);
/* keycache_generation - the number of flushes so far (by any process) */
unsigned long long keycache_generation(struct keycache *kc);
/* keycache_entries - the number of entries, expired ones not yet removed included */
size_t keycache_entries(struct keycache *kc);

#endif
