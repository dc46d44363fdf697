/*
 * test_privkeys.c - signing keys loaded once per process: the same file gives
 * the same loaded key, a changed file or a moved flush generation reloads it,
 * the file is looked at no more than once per second, a missing file gives a
 * reason; the set is bounded: the least recently used key no session holds is
 * dropped first, a held one never.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "key/privkeys.h"
#include "unit.h"

/* test_bound - at most max keys kept, the least recently used unheld one dropped first */
static void test_bound(const char *dir, const char *key)
{
	char path[8][160], name[80];
	const char *why = "";
	struct privkeys *p = privkeys_new(3);
	for (int i = 0; i < 8; i++) {
		snprintf(path[i], sizeof path[i], "%s/k%d.pem", dir, i);
		CHECK("linked", link(key, path[i]) == 0);
	}
	const struct crypto_privkey *held = privkeys_get(p, path[0], 0, 100, &why);
	for (int i = 1; i < 4; i++)
		privkeys_put(p, path[i], privkeys_get(p, path[i], 0, 100, &why));
	CHECK_INT("three kept (one held, one more while it is held)", privkeys_count(p), 3);
	privkeys_put(p, path[2], privkeys_get(p, path[2], 0, 100, &why)); /* k2 used again: k3 is the oldest unheld */
	privkeys_put(p, path[4], privkeys_get(p, path[4], 0, 100, &why));
	for (int i = 0; i < 8; i++)
		unlink(path[i]); /* from now on only kept keys can be had (same second: no stat) */
	CHECK("a held key is never dropped", privkeys_get(p, path[0], 0, 100, &why) == held &&
						 crypto_privkey_type(held) == CRYPTO_KEY_ED25519);
	privkeys_put(p, path[0], held);
	const struct crypto_privkey *k;
	CHECK("the recently used key is kept", (k = privkeys_get(p, path[2], 0, 100, &why)) != NULL);
	privkeys_put(p, path[2], k);
	CHECK("the newest key is kept", (k = privkeys_get(p, path[4], 0, 100, &why)) != NULL);
	privkeys_put(p, path[4], k);
	CHECK("the least recently used was dropped", privkeys_get(p, path[3], 0, 100, &why) == NULL);
	CHECK("and so was the one before it", privkeys_get(p, path[1], 0, 100, &why) == NULL);
	CHECK_INT("never more than the bound", privkeys_count(p), 3);
	privkeys_put(p, path[0], held);
	privkeys_free(p);
	/* many domains, few keys in memory: 2,000 paths of one key file through a set of 1,000 */
	p = privkeys_new(0);
	size_t most = 0;
	for (int i = 0; i < 2000; i++) {
		char many[160];
		snprintf(many, sizeof many, "%s/m%d.pem", dir, i);
		if (link(key, many) != 0)
			break;
		k = privkeys_get(p, many, 0, 100, &why);
		privkeys_put(p, many, k);
		unlink(many);
		most = privkeys_count(p) > most ? privkeys_count(p) : most;
	}
	snprintf(name, sizeof name, "2,000 key files: at most 1,000 keys kept (saw %zu)", most);
	CHECK(name, most == 1000);
	privkeys_free(p);
}

int main(void)
{
	char dir[] = "/tmp/dkmod-privkeys-XXXXXX", path[128], cmd[512];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/k.pem", dir);
	snprintf(cmd, sizeof cmd, "openssl genpkey -algorithm ed25519 -out %s 2>/dev/null", path);
	CHECK("key generated", system(cmd) == 0);
	snprintf(cmd, sizeof cmd, "chmod 600 %s", path);
	CHECK("key private", system(cmd) == 0);
	test_bound(dir, path);
	struct privkeys *p = privkeys_new(0);
	const char *why = "";
	const struct crypto_privkey *a = privkeys_get(p, path, 0, 100, &why);
	CHECK("a key loads", a != NULL);
	CHECK("the same file gives the same key", privkeys_get(p, path, 0, 100, &why) == a);
	const struct crypto_privkey *b = privkeys_get(p, path, 1, 100, &why);
	CHECK("a new flush generation reloads at once", b != NULL && b != a);
	CHECK("and then stays", privkeys_get(p, path, 1, 100, &why) == b);
	snprintf(cmd, sizeof cmd, "rm -f %s && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out %s 2>/dev/null",
		 path, path);
	CHECK("key replaced", system(cmd) == 0);
	CHECK("within the same second the file is not looked at again", privkeys_get(p, path, 1, 100, &why) == b);
	const struct crypto_privkey *c = privkeys_get(p, path, 1, 101, &why);
	CHECK("a changed file reloads the next second", c != NULL && c != b && crypto_privkey_type(c) == CRYPTO_KEY_RSA);
	CHECK("the old key stays valid for sessions holding it", crypto_privkey_type(b) == CRYPTO_KEY_ED25519);
	CHECK("an unchanged file keeps its key", privkeys_get(p, path, 1, 102, &why) == c);
	snprintf(cmd, sizeof cmd, "chmod 644 %s", path);
	CHECK("key opened up", system(cmd) == 0);
	CHECK("a key file others may read is refused the next second", privkeys_get(p, path, 1, 103, &why) == NULL);
	unlink(path);
	CHECK("a missing file fails", privkeys_get(p, path, 1, 104, &why) == NULL);
	CHECK_STR("with a reason", why, "cannot read key file");
	privkeys_free(p);
	rmdir(dir);
	return unit_done();
}
