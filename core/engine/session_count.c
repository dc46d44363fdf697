/*
 * session_count.c - a session's counters, added at the end of the message to
 * the counts the context writes to the shared state in batches: verdicts by method, result and
 * DomainKeys status, signatures made and failed, policy, SPF and DMARC verdicts, DNS
 * queries and answers by kind, cache hits and misses.
 */
#include "engine/session.h"

/* The families of a session's counters: head INSTANCE middle TAIL (counters.h) */
static const struct counters_family session_count_dkim_messages = {"dkim_validate.", ".messages"},
				     session_count_dkim_result = {"dkim_validate.", ".result."},
				     session_count_dkim_adsp = {"dkim_validate.", ".adsp."},
				     session_count_dkim_spf = {"dkim_validate.", ".spf."},
				     session_count_dkim_dmarc = {"dkim_validate.", ".dmarc."},
				     session_count_dk_messages = {"dk_validate.", ".messages"},
				     session_count_dk_result = {"dk_validate.", ".result."},
				     session_count_dk_status = {"dk_validate.", ".status."},
				     session_count_dk_policy = {"dk_validate.", ".policy."},
				     session_count_dkim_sign = {"dkim_sign.", "."}, session_count_dk_sign = {"dk_sign.", "."},
				     session_count_dns_queries = {"dns.queries", ""},
				     session_count_dns_answers = {"dns.answers.", ""},
				     session_count_cache_hits = {"cache.hits", ""},
				     session_count_cache_misses = {"cache.misses", ""};

/* session_count_add - one counter of family named after instance and tail, added to the context's
 * pending counts */
static void session_count_add(struct dkmod_session *s, long long delta, const struct counters_family *family,
			      const char *instance, const char *tail)
{
	if (delta != 0)
		counters_add_family(&s->ctx->counters, s->ctx->store, family, instance, tail, delta);
}

/* session_count_signer - one signature of req made (signed) or not (failed), counted under
 * its instance */
void session_count_signer(struct dkmod_session *s, const struct dkmod_sign_request *req, bool signed_ok)
{
	bool dk = req->method == DKMOD_METHOD_DOMAINKEYS;
	const char *name = req->instance && *req->instance ? req->instance
			   : dk ? (s->instances.dk_sign ? s->instances.dk_sign : "dk_sign1")
				: (s->instances.dkim_sign ? s->instances.dkim_sign : "dkim_sign1");
	session_count_add(s, 1, dk ? &session_count_dk_sign : &session_count_dkim_sign, name, signed_ok ? "signed" : "failed");
}

/* session_count - add the session's counters to the shared state */
void session_count(struct dkmod_session *s)
{
	if (!s->ctx->store)
		return;
	const struct dkmod_instances *in = &s->instances;
	const char *dkv = in->dkim_validate ? in->dkim_validate : "dkim_validate1";
	const char *dkvk = in->dk_validate ? in->dk_validate : "dk_validate1";
	if (s->flags & DKMOD_SESSION_VERIFY) {
		session_count_add(s, 1, &session_count_dkim_messages, dkv, "");
		session_count_add(s, 1, &session_count_dk_messages, dkvk, "");
		for (size_t i = 0; i < s->nresults; i++) {
			const struct dkmod_sig_result *r = &s->results[i];
			if (r->method == DKMOD_METHOD_DKIM) {
				session_count_add(s, 1, &session_count_dkim_result, dkv, dkmod_result_name(r->result));
			} else {
				session_count_add(s, 1, &session_count_dk_result, dkvk, dkmod_result_name(r->result));
				session_count_add(s, 1, &session_count_dk_status, dkvk, r->dk_status);
			}
		}
		if (s->policy.started) {
			session_count_add(s, 1, &session_count_dk_policy, dkvk, s->policy.dk.verdict);
			session_count_add(s, 1, &session_count_dkim_adsp, dkv, s->policy.adsp.result);
		}
		struct dkmod_spf_answer spf;
		if (dkmod_session_spf(s, &spf))
			session_count_add(s, 1, &session_count_dkim_spf, dkv, dkmod_spf_result_name(spf.result));
		const struct dkmod_dmarc *dmarc = dkmod_session_dmarc(s);
		if (dmarc)
			session_count_add(s, 1, &session_count_dkim_dmarc, dkv, dkmod_dmarc_result_name(dmarc->result));
	}
	for (size_t i = 0; i < s->dkimsign.nsigners; i++)
		session_count_signer(s, &s->dkimsign.signers[i].req, !s->dkimsign.signers[i].failure);
	for (size_t i = 0; i < s->dksign.nsigners; i++)
		session_count_signer(s, &s->dksign.signers[i].req, !s->dksign.signers[i].failure);
	const struct lookups *l = &s->lookups;
	session_count_add(s, l->dns_queries, &session_count_dns_queries, "", "");
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i]->done && !l->items[i]->cached)
			session_count_add(s, 1, &session_count_dns_answers, "", dns_rcode_name(l->items[i]->rcode));
	session_count_add(s, l->cache_hits, &session_count_cache_hits, "", "");
	session_count_add(s, l->cache_misses, &session_count_cache_misses, "", "");
	counters_due(&s->ctx->counters, s->ctx->store, s->clock_ms ? s->clock_ms : dns_now_ms());
}
