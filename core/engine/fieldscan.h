/*
 * fieldscan.h - every header field of a session counted, past the limits
 * too: the fields that go (forged verdicts), the single-instance fields.
 */
#ifndef DKMOD_FIELDSCAN_H
#define DKMOD_FIELDSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "dkmod.h"

struct dkmod_session;

/* Fields RFC 5322 3.6 and RFC 2045 allow once (fieldscan.c). */
#define FIELDSCAN_SINGLE 14

/* fieldscan_stored - count the stored fields not counted yet, mark those that go */
void fieldscan_stored(struct dkmod_session *s);
/* fieldscan_tail - a field past the limits (raw; cut: a line of it was dropped for its length,
 * or raw is only its start): counted, noted if it goes */
void fieldscan_tail(struct dkmod_session *s, const char *raw, size_t len, bool cut);
/* fieldscan_author_twice - true if From or Sender occurs more than once */
bool fieldscan_author_twice(const struct dkmod_session *s);
/* fieldscan_verdict - PASS for a signature that verified, or the verdict and reason when the
 * header was not fully seen, has two authors, or has an unsigned instance of a single-instance
 * field the signature covers (count: how many instances of a name it covers) */
enum dkmod_result fieldscan_verdict(struct dkmod_session *s, size_t (*count)(void *arg, const char *name),
				    void *arg, const char **reason);

#endif
