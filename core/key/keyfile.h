/*
 * keyfile.h - private key files: the one rule for who may own and read them,
 * checked on the opened file (no second look at the path), used by the
 * signer, `dkmod config-check`, `dkmod testkey` and `dkmod zone` alike.
 */
#ifndef DKMOD_KEYFILE_H
#define DKMOD_KEYFILE_H

#include <sys/stat.h>

#include "key/crypto.h"

#define KEYFILE_MAX (1024 * 1024) /* bytes: a PEM key is a few kilobytes */

/* keyfile_refusal - why a file of this status may not hold a private key for this process, with
 * the command that fixes it, or NULL when it may: a regular file of at most KEYFILE_MAX bytes,
 * writable by nobody but its owner, no access at all for others (the group may read: 0640 with
 * the service's group), owned by root or by the process's effective user (a process running as
 * root accepts any owner) */
const char *keyfile_refusal(const struct stat *st);
/* keyfile_open - open path read-only and check the opened file (fstat) with keyfile_refusal;
 * the descriptor and *st, or -1 and *why */
int keyfile_open(const char *path, struct stat *st, const char **why);
/* keyfile_load - the private key in path, opened once, checked, read and parsed from the same
 * descriptor; NULL and *why (a static text) on failure */
struct crypto_privkey *keyfile_load(const char *path, const char **why);

#endif
