/*
 * ar.h - the Authentication-Results field of a session (RFC 8601), and
 * whose an A-R field found in a message is.
 */
#ifndef DKMOD_AR_H
#define DKMOD_AR_H

#include <stddef.h>

struct dkmod_session;

/* ar_b_prefix - how many characters of result k's b= tell it apart from the others (at least 8) */
size_t ar_b_prefix(const struct dkmod_session *s, size_t k);
/* ar_build - the Authentication-Results value from the session's results; NULL when out
 * of memory.  The whole field, "Authentication-Results: " and the value, is s->ar_field. */
char *ar_build(struct dkmod_session *s);
/* Whose an Authentication-Results field is. */
enum ar_owner { AR_OTHER = 0, AR_OURS, AR_UNSURE };
/* ar_authserv_id - whether an A-R field value names authserv_id (RFC 8601 and RFC 5322
 * syntax, case-insensitive); AR_UNSURE when it has no authserv-id that parses */
enum ar_owner ar_authserv_id(const char *value, size_t len, const char *authserv_id);

#endif
