/*
 * privkeys.h - signing keys loaded once per process and reloaded when the key
 * file changes or when the shared flush generation moves (`flush keycache`).
 */
#ifndef DKMOD_PRIVKEYS_H
#define DKMOD_PRIVKEYS_H

#include "crypto.h"

struct privkeys;

/* privkeys_new - an empty set; NULL when out of memory */
struct privkeys *privkeys_new(void);
/* privkeys_get - the key of path, loaded now or earlier; owned by the set and valid
 * until the set is freed or the file changes; NULL and *why on failure.  The file
 * is looked at (stat) at most once per second of now, the caller's wall clock:
 * a replaced or opened-up key file counts from the next second on */
const struct crypto_privkey *privkeys_get(struct privkeys *p, const char *path, unsigned long long generation,
					  long long now, const char **why);
/* privkeys_free - free every key (wiped by the crypto layer); NULL is fine */
void privkeys_free(struct privkeys *p);

#endif
