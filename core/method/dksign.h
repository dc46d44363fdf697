/*
 * dksign.h - adding DomainKey-Signature fields (RFC 4870 3.3, 3.4).
 */
#ifndef DKMOD_DKSIGN_H
#define DKMOD_DKSIGN_H

#include "method/method.h"
#include "record/dkimsig.h"

/* One DomainKey-Signature to add. */
struct dksigner {
	struct dkmod_sign_request req;
	const struct crypto_privkey *key;  /* owned by the context's privkeys */
	struct bodyhash *stream;
	char domain[DKIMSIG_MAX_NAME];
	struct str h;                 /* h= as signed (empty when every field is signed) */
	const char *failure;          /* why signing failed, or NULL */
	enum dkmod_status failure_status; /* and the status it gives */
	char *field;
};

/* The DomainKeys signatures a message gets. */
struct dksign {
	struct dksigner *signers;     /* room for METHOD_MAX_SIGNERS, made on the first request */
	size_t nsigners;
};

/* dksign_add - queue a DomainKeys signature */
enum dkmod_status dksign_add(const struct method_msg *m, struct dksign *set, const struct dkmod_sign_request *req);
/* dksign_start - at end of headers: choose d=, hash the headers */
enum dkmod_status dksign_start(const struct method_msg *m, struct dksign *set);
/* dksign_finish - sign and build each DomainKey-Signature field */
enum dkmod_status dksign_finish(const struct method_msg *m, struct dksign *set);
/* dksign_free - release buffers */
void dksign_free(const struct method_msg *m, struct dksign *set);

#endif
