/*
 * dkimsign.h - adding DKIM-Signature fields (RFC 6376 5).
 */
#ifndef DKMOD_DKIMSIGN_H
#define DKMOD_DKIMSIGN_H

#include "method/method.h"

/* One signature to add. */
struct dkimsigner {
	struct dkmod_sign_request req;  /* strings copied into the message's arena */
	const struct crypto_privkey *key;  /* owned by the context's privkeys */
	struct bodyhash *body;
	const char *failure;            /* why signing failed, or NULL */
	char *field;                    /* the finished header field */
};

/* The DKIM signatures a message gets. */
struct dkimsign {
	struct dkimsigner *signers;     /* room for METHOD_MAX_SIGNERS, made on the first request */
	size_t nsigners;
};

/* dkimsign_add - before end of headers: load the key and queue a signature */
enum dkmod_status dkimsign_add(const struct method_msg *m, struct dkimsign *set, const struct dkmod_sign_request *req);
/* dkimsign_start - at end of headers: set up the body hashes */
enum dkmod_status dkimsign_start(const struct method_msg *m, struct dkimsign *set);
/* dkimsign_finish - build and sign each DKIM-Signature field */
enum dkmod_status dkimsign_finish(const struct method_msg *m, struct dkimsign *set);
/* dkimsign_free - forget the signers */
void dkimsign_free(const struct method_msg *m, struct dkimsign *set);

#endif
