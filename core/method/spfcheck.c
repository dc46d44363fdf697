/*
 * spfcheck.c - dkmod_spf_check (dkmod.h): one SPF check on a resolver of its
 * own, waited for until the resolver's timeout; what `dkmod spf` runs.  The
 * mail path starts its checks from the session, beside its other lookups.
 */
#include <stdlib.h>

#include "dkmod.h"
#include "dns/dns.h"
#include "method/spf.h"

#define SPFCHECK_DEFAULT_TIMEOUT_MS 5000

struct dkmod_spf {
	struct dns *dns;
	struct spf_check *check;
};

/* dkmod_spf_free - the check and its resolver */
void dkmod_spf_free(struct dkmod_spf *s)
{
	if (!s)
		return;
	spf_free(s->check);
	dns_free(s->dns);
	free(s);
}

/* dkmod_spf_check - start the check, wait for its answers, keep the result */
enum dkmod_status dkmod_spf_check(const struct dkmod_resolver_options *ro, const struct dkmod_spf_query *q,
				  struct dkmod_spf **out, const char **why)
{
	struct spf_request req = {.ip = q->ip, .helo = q->helo, .mail_from = q->mail_from,
				  .receiver = q->receiver, .now = q->now,
				  .scope = q->mail_from ? SPF_SCOPE_MAILFROM : SPF_SCOPE_HELO};
	struct dkmod_spf *s;

	*out = NULL;
	*why = "";
	if (!q->ip || !q->helo) {
		*why = "a client address and a HELO name are needed";
		return DKMOD_EINVAL;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		*why = "out of memory";
		return DKMOD_ENOMEM;
	}
	s->dns = dns_new(ro, why);
	if (!s->dns) {
		free(s);
		return DKMOD_EDNS;
	}
	s->check = spf_start(s->dns, &req, why);
	if (!s->check) {
		dkmod_spf_free(s);
		return DKMOD_EINVAL;
	}
	dns_wait(s->dns, dns_now_ms() + (ro->timeout_ms ? ro->timeout_ms : SPFCHECK_DEFAULT_TIMEOUT_MS));
	*out = s;
	return DKMOD_OK;
}

/* spf_answer - the outcome of c in the public form */
void spf_answer(const struct spf_check *c, struct dkmod_spf_answer *a)
{
	struct spf_outcome o;

	spf_result(c, &o);
	*a = (struct dkmod_spf_answer){.result = o.result, .helo_scope = o.scope == SPF_SCOPE_HELO,
				       .identity = o.identity, .domain = o.domain, .explanation = o.explanation,
				       .reason = o.reason, .dns_terms = o.dns_terms, .void_lookups = o.void_lookups};
}

/* dkmod_spf_answer - the outcome of a check in the public form */
void dkmod_spf_answer(const struct dkmod_spf *s, struct dkmod_spf_answer *a)
{
	spf_answer(s->check, a);
}
