/*
 * hdrhash.h - hashing the header fields a signature covers, shared by the
 * signers and the verifiers of DKIM (RFC 6376 3.7) and DomainKeys
 * (RFC 4870 3.4).
 */
#ifndef DKMOD_HDRHASH_H
#define DKMOD_HDRHASH_H

#include <stdbool.h>
#include <stddef.h>

#include "body/bodyhash.h"
#include "method/method.h"
#include "record/tagvalue.h"

/* hdrhash_dkim - the header hash of the fields named in h= (its names split: h[names[i]] for
 * i < n) and of the signature field text (b= empty), as a verifier picks them; 0, or -1 */
int hdrhash_dkim(const struct method_msg *m, enum crypto_hash hash, enum dkmod_canon canon, const char *h,
		 const struct tagvalue_item *names, size_t n, const char *sig_text, size_t sig_len,
		 unsigned char *digest);
/* hdrhash_dkim_fields - the same hash of fields chosen by the signer: m->fields[fields[i]] for
 * i < n in h= order; 0, or -1 */
int hdrhash_dkim_fields(const struct method_msg *m, enum crypto_hash hash, enum dkmod_canon canon,
			const size_t *fields, size_t n, const char *sig_text, size_t sig_len, unsigned char *digest);
/* hdrhash_dk - feed the fields a DomainKeys signature covers into its stream: the fields from
 * index first on, filtered by h= when h is not NULL (in h= order, as the peer does), without
 * fields to be removed when signing (skip_removed); each field used is marked in
 * signed_fields (nfields entries); 0, or -1 */
int hdrhash_dk(const struct method_msg *m, struct bodyhash *stream, enum dkmod_canon canon, size_t first,
	       const char *h, size_t h_len, bool skip_removed, bool *signed_fields);

#endif
