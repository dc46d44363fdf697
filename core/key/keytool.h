/*
 * keytool.h - the key record text of a raw public key, for the key tools of
 * dkmod.h (dkmod_key_*: keytool.c, keytool_key.c) and their unit test.
 */
#ifndef DKMOD_KEYTOOL_H
#define DKMOD_KEYTOOL_H

#include <stddef.h>

#include "dkmod.h"
#include "key/crypto.h"
#include "util/str.h"

/* keytool_record - append the TXT data of a key record to out: DKIM
 * "v=DKIM1; k=rsa; [t=y; | t=s; | t=y:s; ]p=..." or DomainKeys "k=rsa; [t=y; ]p=...";
 * pub is a DER SPKI (RSA) or the raw 32 bytes (Ed25519); 0, or -1 (bad combination, memory) */
int keytool_record(struct str *out, enum dkmod_method m, enum crypto_keytype t, unsigned flags,
		   const unsigned char *pub, size_t pub_len);

/* keytool_take - hand the text of s to the caller as a malloc'd string (*out, "" when empty; *len
 * if len is not NULL); DKMOD_OK or DKMOD_ENOMEM (s is freed either way) */
enum dkmod_status keytool_take(struct str *s, char **out, size_t *len);

#endif
