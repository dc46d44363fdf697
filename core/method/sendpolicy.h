/*
 * sendpolicy.h - the sender policies a verifier reports but does not act on:
 * the DomainKeys policy (RFC 4870 3.6) and ADSP (RFC 5617).
 */
#ifndef DKMOD_SENDPOLICY_H
#define DKMOD_SENDPOLICY_H

#include "method/lookup.h"
#include "method/method.h"

/* The sender policies of a message. */
struct sendpolicy {
	bool started;                   /* looked up in this message */
	struct keylookup *dkp_lookup, *adsp_lookup, *exists_lookup;
	struct address author;
	bool author_ok;
	struct dkmod_dk_policy dk;      /* the verdicts, after finish */
	struct dkmod_adsp adsp;
};

/* sendpolicy_start - at end of headers: start the DomainKeys policy, ADSP and author-domain lookups */
enum dkmod_status sendpolicy_start(const struct method_msg *m, struct sendpolicy *p);
/* sendpolicy_finish - after the signature verdicts results[0..n): the DomainKeys policy verdict and
 * the ADSP result */
enum dkmod_status sendpolicy_finish(const struct method_msg *m, struct sendpolicy *p, const struct dkmod_sig_result *results,
				size_t n);

#endif
