/*
 * privkeys.h - signing keys loaded once per process and reloaded when the key
 * file changes or when the shared flush generation moves (`flush keycache`);
 * at most a bounded number kept, the least recently used dropped first.
 */
#ifndef DKMOD_PRIVKEYS_H
#define DKMOD_PRIVKEYS_H

#include "key/crypto.h"

struct privkeys;

/* privkeys_new - an empty set keeping at most max keys (0: 1000; more only while sessions
 * hold them); NULL when out of memory */
struct privkeys *privkeys_new(size_t max);
/* privkeys_get - the key of path, loaded now or earlier; owned by the set and held for the
 * caller until privkeys_put (a held key is never dropped); NULL and *why on failure.  The file
 * is looked at (stat) at most once per second of now, the caller's wall clock:
 * a replaced or opened-up key file counts from the next second on */
const struct crypto_privkey *privkeys_get(struct privkeys *p, const char *path, unsigned long long generation,
					  long long now, const char **why);
/* privkeys_put - let go of a key privkeys_get gave for path */
void privkeys_put(struct privkeys *p, const char *path, const struct crypto_privkey *key);
/* privkeys_count - the keys kept now (not counting replaced ones sessions still hold) */
size_t privkeys_count(const struct privkeys *p);
/* privkeys_free - free every key (wiped by the crypto layer); NULL is fine */
void privkeys_free(struct privkeys *p);

#endif
