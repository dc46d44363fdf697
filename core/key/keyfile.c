/*
 * keyfile.c - opening private key files under the one rule of keyfile.h.
 * The status checked is the opened file's, so a path swapped between a check
 * and the read cannot slip another file in.
 */
#include "key/keyfile.h"

#include <fcntl.h>
#include <unistd.h>

#include "dkmod.h"

/* keyfile_refusal - the rule, with the fix in the text */
const char *keyfile_refusal(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return "key file is not a regular file";
	if (st->st_size <= 0 || st->st_size > KEYFILE_MAX)
		return "key file is empty or too large to be a key";
	return dkmod_key_file_rule(st->st_mode, st->st_uid, geteuid());
}

/* dkmod_key_file_rule - the mode and owner half of the rule, for a given user */
const char *dkmod_key_file_rule(unsigned long mode, unsigned long owner, unsigned long user)
{
	if (mode & (S_IWGRP | S_IWOTH))
		return "key file mode lets its group or others write it: refused (fix: chmod 600 or 640 on it)";
	if (mode & S_IRWXO)
		return "key file mode lets other users read it: refused (fix: chmod 600, or 640 with the service's group)";
	if (user != 0 && owner != user && owner != 0)
		return "key file belongs to another user than root or this process's user: refused (fix: chown "
		       "it to root or to the service user)";
	return NULL;
}

/* keyfile_open - open and check */
int keyfile_open(const char *path, struct stat *st, const char **why)
{
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) : -1;
	if (fd < 0) {
		*why = "cannot read key file";
		return -1;
	}
	if (fstat(fd, st) != 0) {
		*why = "cannot read key file";
	} else if ((*why = keyfile_refusal(st)) == NULL) {
		return fd;
	}
	close(fd);
	return -1;
}

/* keyfile_load - open, check, read, parse */
struct crypto_privkey *keyfile_load(const char *path, const char **why)
{
	struct stat st;
	int fd = keyfile_open(path, &st, why);
	if (fd < 0)
		return NULL;
	struct crypto_privkey *k = crypto_privkey_read(fd, (size_t)st.st_size, why);
	close(fd);
	return k;
}

/* dkmod_key_file_check - the signer's decision on a key file, for config-check and the like */
enum dkmod_status dkmod_key_file_check(const char *path, const char **why)
{
	struct crypto_privkey *k = keyfile_load(path, why);
	if (!k)
		return DKMOD_EKEY;
	crypto_privkey_free(k);
	return DKMOD_OK;
}
