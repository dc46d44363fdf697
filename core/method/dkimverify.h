/*
 * dkimverify.h - verifying every DKIM-Signature of a message (RFC 6376 6).
 */
#ifndef DKMOD_DKIMVERIFY_H
#define DKMOD_DKIMVERIFY_H

#include "method/lookup.h"
#include "method/method.h"
#include "record/dkimsig.h"

/* One DKIM-Signature to verify. */
struct dkimcheck {
	size_t field;               /* index of the header field */
	enum dkimsig_status status;
	struct dkimsig sig;
	struct bodyhash *body;
	struct keylookup *key;
};

/* The DKIM-Signatures of a message. */
struct dkimverify {
	struct dkimcheck *checks;
	size_t nchecks;
};

/* dkimverify_start - at end of headers: parse every DKIM-Signature, start key lookups */
enum dkmod_status dkimverify_start(const struct method_msg *m, struct dkimverify *v);
/* dkimverify_finish - after the body and the lookups: a verdict per signature */
enum dkmod_status dkimverify_finish(const struct method_msg *m, struct dkimverify *v);

#endif
