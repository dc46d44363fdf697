/*
 * session_trust.h - SPF and DKIM results taken from the Authentication-Results
 * fields of trusted authserv-ids (dkmod_options.trusted_authserv_ids) at the
 * top of a message's header, instead of checked here.  Not public.
 */
#ifndef DKMOD_SESSION_TRUST_H
#define DKMOD_SESSION_TRUST_H

#include <stdbool.h>
#include <stddef.h>

#include "dkmod.h"

#define SESSION_TRUST_MAX_DKIM 8 /* upstream dkim=pass results kept per message */

/* One upstream dkim=pass, with the id of the field it came from. */
struct session_trust_dkim {
	const char *domain, *identity, *id;
	bool used;                 /* the engine had no verdict of its own for this d= (finish) */
};

/* What the trusted fields said; zeroed with the session. */
struct session_trust {
	const char *spf_id;        /* the trusted authserv-id the SPF result came from; NULL: none */
	enum dkmod_spf_result spf;
	bool spf_helo;             /* smtp.helo, not smtp.mailfrom */
	const char *spf_identity;  /* the smtp.mailfrom or smtp.helo value */
	const char *spf_domain;    /* smtp.mailfrom's domain, "" for smtp.helo alone */
	const char *spf_reason;    /* "from trusted ID" */
	struct session_trust_dkim dkim[SESSION_TRUST_MAX_DKIM];
	size_t ndkim;
};

struct dkmod_session;

/* session_trust_wanted - whether this session reads trusted A-R fields (a verifying session of a
 * context with trusted authserv-ids) */
bool session_trust_wanted(const struct dkmod_session *s);
/* session_trust_read - at the end of the headers: the trusted fields at the top of the header
 * into s->auth.trust (the rule is in session_trust.c); false when out of memory */
bool session_trust_read(struct dkmod_session *s);
/* session_trust_dkim - at finish: mark the upstream passes whose d= has no verdict of the engine's
 * own; returns how many there are */
size_t session_trust_dkim(struct dkmod_session *s);

#endif
