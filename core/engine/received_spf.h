/*
 * received_spf.h - the Received-SPF trace field (RFC 7208 9.1) of the SPF
 * check a session made.  Not public.
 */
#ifndef DKMOD_RECEIVED_SPF_H
#define DKMOD_RECEIVED_SPF_H

#include <stdbool.h>

struct dkmod_session;

/* received_spf_build - at finish: *field gets the whole field "Received-SPF: ..." (in the
 * session's arena, folded) when the context asks for it (received_spf) and the session checked
 * SPF itself, else NULL; false when out of memory */
bool received_spf_build(struct dkmod_session *s, const char **field);

#endif
