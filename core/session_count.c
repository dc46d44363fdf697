/*
 * session_count.c - a session's counters, added at the end of the message to
 * the counts the context writes to the shared state in batches: verdicts by method, result and
 * DomainKeys status, signatures made and failed, policy verdicts, DNS
 * queries and answers by kind, cache hits and misses.
 */
#include <stdio.h>

#include "session.h"

struct session_counts {
	struct dkmod_session *s;
};

/* session_count_add - one counter, added to the context's pending counts */
static void session_count_add(struct session_counts *c, long long delta, const char *fmt, const char *a,
			      const char *b)
{
	char name[256];
	if (delta == 0)
		return;
	snprintf(name, sizeof name, fmt, a, b);
	counters_add(&c->s->ctx->counters, c->s->ctx->store, name, delta);
}

/* session_count - add the session's counters to the shared state */
void session_count(struct dkmod_session *s)
{
	if (!s->ctx->store)
		return;
	struct session_counts c = {.s = s};
	const struct dkmod_instances *in = &s->instances;
	const char *dkv = in->dkim_validate ? in->dkim_validate : "dkim_validate1";
	const char *dkvk = in->dk_validate ? in->dk_validate : "dk_validate1";
	const char *dks = in->dk_sign ? in->dk_sign : "dk_sign1";
	const char *dkims = in->dkim_sign ? in->dkim_sign : "dkim_sign1";
	if (s->flags & DKMOD_SESSION_VERIFY) {
		session_count_add(&c, 1, "dkim_validate.%s.messages%s", dkv, "");
		session_count_add(&c, 1, "dk_validate.%s.messages%s", dkvk, "");
		for (size_t i = 0; i < s->nresults; i++) {
			const struct dkmod_sig_result *r = &s->results[i];
			if (r->method == DKMOD_METHOD_DKIM) {
				session_count_add(&c, 1, "dkim_validate.%s.result.%s", dkv, dkmod_result_name(r->result));
			} else {
				session_count_add(&c, 1, "dk_validate.%s.result.%s", dkvk, dkmod_result_name(r->result));
				session_count_add(&c, 1, "dk_validate.%s.status.%s", dkvk, r->dk_status);
			}
		}
		if (s->policies) {
			session_count_add(&c, 1, "dk_validate.%s.policy.%s", dkvk, s->dk_policy.verdict);
			session_count_add(&c, 1, "dkim_validate.%s.adsp.%s", dkv, s->adsp.result);
		}
	}
	for (size_t i = 0; i < s->nsigners; i++)
		session_count_add(&c, 1, "dkim_sign.%s.%s", dkims, s->signers[i].failure ? "failed" : "signed");
	for (size_t i = 0; i < s->ndksigners; i++)
		session_count_add(&c, 1, "dk_sign.%s.%s", dks, s->dksigners[i].failure ? "failed" : "signed");
	session_count_add(&c, s->dns_queries, "dns.queries%s%s", "", "");
	for (size_t i = 0; i < s->nlookups; i++)
		if (s->lookups[i]->done && !s->lookups[i]->cached)
			session_count_add(&c, 1, "dns.answers.%s%s", dns_rcode_name(s->lookups[i]->rcode), "");
	session_count_add(&c, s->cache_hits, "cache.hits%s%s", "", "");
	session_count_add(&c, s->cache_misses, "cache.misses%s%s", "", "");
	counters_due(&s->ctx->counters, s->ctx->store);
}
