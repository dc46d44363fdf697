/*
 * session_count.c - a session's counters, added at the end of the message to
 * the counts the context writes to the shared state in batches: verdicts by method, result and
 * DomainKeys status, signatures made and failed, policy, SPF and DMARC verdicts, DNS
 * queries and answers by kind, cache hits and misses.
 */
#include "engine/session.h"

struct session_counts {
	struct dkmod_session *s;
};

/* session_count_add - one counter named a b c d (cut at 255 bytes), added to the
 * context's pending counts */
static void session_count_add(struct session_counts *c, long long delta, const char *a, const char *b,
			      const char *cc, const char *d)
{
	char name[256];
	const char *parts[4] = {a, b, cc, d};
	if (delta == 0)
		return;
	size_t n = str_join(name, sizeof name, parts, 4);
	counters_add_len(&c->s->ctx->counters, c->s->ctx->store, name, n < sizeof name ? n : sizeof name - 1, delta);
}

/* session_count_signer - one signature of req made (signed) or not (failed), counted under
 * its instance */
void session_count_signer(struct dkmod_session *s, const struct dkmod_sign_request *req, bool signed_ok)
{
	struct session_counts c = {.s = s};
	bool dk = req->method == DKMOD_METHOD_DOMAINKEYS;
	const char *name = req->instance && *req->instance ? req->instance
			   : dk ? (s->instances.dk_sign ? s->instances.dk_sign : "dk_sign1")
				: (s->instances.dkim_sign ? s->instances.dkim_sign : "dkim_sign1");
	session_count_add(&c, 1, dk ? "dk_sign." : "dkim_sign.", name, ".", signed_ok ? "signed" : "failed");
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
	if (s->flags & DKMOD_SESSION_VERIFY) {
		session_count_add(&c, 1, "dkim_validate.", dkv, ".messages", "");
		session_count_add(&c, 1, "dk_validate.", dkvk, ".messages", "");
		for (size_t i = 0; i < s->nresults; i++) {
			const struct dkmod_sig_result *r = &s->results[i];
			if (r->method == DKMOD_METHOD_DKIM) {
				session_count_add(&c, 1, "dkim_validate.", dkv, ".result.", dkmod_result_name(r->result));
			} else {
				session_count_add(&c, 1, "dk_validate.", dkvk, ".result.", dkmod_result_name(r->result));
				session_count_add(&c, 1, "dk_validate.", dkvk, ".status.", r->dk_status);
			}
		}
		if (s->policy.started) {
			session_count_add(&c, 1, "dk_validate.", dkvk, ".policy.", s->policy.dk.verdict);
			session_count_add(&c, 1, "dkim_validate.", dkv, ".adsp.", s->policy.adsp.result);
		}
		struct dkmod_spf_answer spf;
		if (dkmod_session_spf(s, &spf))
			session_count_add(&c, 1, "dkim_validate.", dkv, ".spf.", dkmod_spf_result_name(spf.result));
		const struct dkmod_dmarc *dmarc = dkmod_session_dmarc(s);
		if (dmarc)
			session_count_add(&c, 1, "dkim_validate.", dkv, ".dmarc.", dkmod_dmarc_result_name(dmarc->result));
	}
	for (size_t i = 0; i < s->dkimsign.nsigners; i++)
		session_count_signer(s, &s->dkimsign.signers[i].req, !s->dkimsign.signers[i].failure);
	for (size_t i = 0; i < s->dksign.nsigners; i++)
		session_count_signer(s, &s->dksign.signers[i].req, !s->dksign.signers[i].failure);
	const struct lookups *l = &s->lookups;
	session_count_add(&c, l->dns_queries, "dns.queries", "", "", "");
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i]->done && !l->items[i]->cached)
			session_count_add(&c, 1, "dns.answers.", dns_rcode_name(l->items[i]->rcode), "", "");
	session_count_add(&c, l->cache_hits, "cache.hits", "", "", "");
	session_count_add(&c, l->cache_misses, "cache.misses", "", "", "");
	counters_due(&s->ctx->counters, s->ctx->store, s->clock_ms ? s->clock_ms : dns_now_ms());
}
