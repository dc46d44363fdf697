/*
 * test_privkeys.c - signing keys loaded once per process: the same file gives
 * the same loaded key, a changed file or a moved flush generation reloads it,
 * the file is looked at no more than once per second, a missing file gives a
 * reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "privkeys.h"
#include "unit.h"

int main(void)
{
	char dir[] = "/tmp/dkmod-privkeys-XXXXXX", path[128], cmd[512];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/k.pem", dir);
	snprintf(cmd, sizeof cmd, "openssl genpkey -algorithm ed25519 -out %s 2>/dev/null", path);
	CHECK("key generated", system(cmd) == 0);
	struct privkeys *p = privkeys_new();
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
