/*
 * session_auth.h - SPF and DMARC in a verifying session: the envelope, the
 * SPF check started from it, the DMARC evaluation fed at the end of the
 * headers and at finish, and what the caller reads back.  Not public.
 */
#ifndef DKMOD_SESSION_AUTH_H
#define DKMOD_SESSION_AUTH_H

#include <stdbool.h>

#include "dkmod.h"
#include "method/dmarc.h"
#include "method/spf.h"
#include "engine/session_trust.h"

/* The SPF and DMARC state of one message (zeroed with the session). */
struct session_auth {
	bool envelope;                 /* dkmod_session_envelope was called */
	bool spf_checked;              /* SPF was to be checked (a client and an identity given) */
	const char *mail_from, *helo;  /* copies in the session's arena, NULL if unknown */
	const char *client_ip;         /* likewise (the aggregate report's source_ip) */
	bool spf_wait;                 /* the check waits for the end of the headers: a trusted
					* A-R field may give the result (session_trust.c) */
	struct session_trust trust;    /* what trusted upstream fields said */
	struct spf_check *spf;         /* NULL: SPF not checked */
	struct dkmod_spf_answer spf_answer; /* at finish */
	struct dmarc *dmarc;           /* NULL: DMARC not evaluated */
	struct dmarc_verdict *verdict; /* at finish, in the arena */
	struct dkmod_dmarc dmarc_answer;
};

struct dkmod_session;

/* session_auth_headers - at the end of the headers of a verifying session: DMARC starts with
 * every From field and is told the signatures' d= and the SPF domain; false when out of memory */
bool session_auth_headers(struct dkmod_session *s);
/* session_auth_finish - after the DKIM verdicts: DMARC's outcomes, what it still needs looked up,
 * its verdict; the SPF answer; false when out of memory */
bool session_auth_finish(struct dkmod_session *s);
/* session_auth_free - free the SPF check (after the session's lookups have ended) */
void session_auth_free(struct dkmod_session *s);

#endif
