/*
 * dkverify.h - verifying DomainKey-Signature fields (RFC 4870 3.4, 3.5).
 */
#ifndef DKMOD_DKVERIFY_H
#define DKMOD_DKVERIFY_H

#include "method/lookup.h"
#include "method/method.h"
#include "record/dksig.h"

/* The finer DomainKeys status of a verdict (a result's dk_status, dkverify_status_name). */
enum dkverify_status {
	DKVERIFY_GOOD = 0,
	DKVERIFY_BAD,
	DKVERIFY_NO_KEY,
	DKVERIFY_REVOKED,
	DKVERIFY_MALFORMED,
	DKVERIFY_QUERY,
	DKVERIFY_KEY_TYPE,
	DKVERIFY_PUBLIC_KEY,
	DKVERIFY_NO_SIGNATURE
};

/* One DomainKey-Signature to verify. */
struct dkcheck {
	size_t field;
	enum dksig_status status;
	struct dksig sig;
	struct bodyhash *stream;      /* SHA-1 of the signed headers, then the body */
	struct keylookup *key;
	const char *failure;          /* a reason found at end of headers, or NULL */
	enum dkverify_status failure_status; /* its finer status */
	enum dkmod_result header_verdict; /* PASS, or what a good signature gets (method_header_verdict) */
	const char *header_reason;
	struct sender sender;
	enum dkmod_result result;     /* the verdict, after finish */
	enum dkverify_status dk_status; /* and its finer status */
};

/* The DomainKey-Signatures of a message. */
struct dkverify {
	struct dkcheck *checks;
	size_t nchecks;
	bool finished;                /* a verdict for each check */
};

/* dkverify_status_name - a status as results report it: "good", "bad (no key)", ... */
const char *dkverify_status_name(enum dkverify_status st);
/* dkverify_start - at end of headers: parse every DomainKey-Signature, hash the signed
 * headers, start key lookups */
enum dkmod_status dkverify_start(const struct method_msg *m, struct dkverify *v);
/* dkverify_finish - a verdict per DomainKey-Signature */
enum dkmod_status dkverify_finish(const struct method_msg *m, struct dkverify *v);
/* dkverify_status_field - the DomainKey-Status field for the verdicts, or NULL */
const char *dkverify_status_field(const struct method_msg *m, const struct dkverify *v);

#endif
