/*
 * policy.c - the sender policies a verifier reports but does not act on:
 * the DomainKeys policy of the responsible sender's domain (RFC 4870 3.6)
 * and ADSP of the author's domain (RFC 5617).  Their lookups start with the
 * key lookups at the end of the headers; what to do with them is the policy
 * script's decision.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "record/policyrec.h"
#include "engine/session.h"

enum policy_answer { POLICY_RECORDS = 0, POLICY_ABSENT, POLICY_TEMP, POLICY_PERM };

/* policy_answer - what a lookup came to, DNSSEC-bogus answers judged as configured */
static enum policy_answer policy_answer(const struct dkmod_ctx *ctx, const struct keylookup *k)
{
	if (!k)
		return POLICY_TEMP;
	if (k->dnssec == DKMOD_DNSSEC_BOGUS) {
		if (ctx->opt.resolver.bogus == DKMOD_BOGUS_PERMERROR)
			return POLICY_PERM;
		if (ctx->opt.resolver.bogus != DKMOD_BOGUS_INSECURE || k->rcode != DNS_ANSWER)
			return POLICY_TEMP;
	}
	switch (k->rcode) {
	case DNS_ANSWER: return POLICY_RECORDS;
	case DNS_NXDOMAIN:
	case DNS_NODATA: return POLICY_ABSENT;
	default: return POLICY_TEMP;
	}
}

/* policy_start - start the DomainKeys policy, ADSP and author-domain lookups */
enum dkmod_status policy_start(struct dkmod_session *s)
{
	char name[ADDRESS_MAX + 32];
	s->policies = true;
	const struct sender *snd = sender_get(s);
	if (snd->parsed && dkimsig_valid_domain(snd->addr.domain, strlen(snd->addr.domain))) {
		const char *parts[2] = {"_domainkey.", snd->addr.domain};
		str_join(name, sizeof name, parts, 2);
		s->dkp_lookup = session_lookup_txt(s, name);
	}
	const struct sender *author = author_get(s);
	s->author_ok = author->parsed;
	if (author->parsed)
		s->author = author->addr;
	s->author_ok = s->author_ok && dkimsig_valid_domain(s->author.domain, strlen(s->author.domain));
	if (s->author_ok) {
		const char *parts[2] = {"_adsp._domainkey.", s->author.domain};
		str_join(name, sizeof name, parts, 2);
		s->adsp_lookup = session_lookup_txt(s, name);
		s->exists_lookup = session_lookup(s, s->author.domain, DNS_TYPE_MX);
	}
	return DKMOD_OK;
}

/* policy_dk - the DomainKeys policy verdict */
static void policy_dk(struct dkmod_session *s)
{
	struct dkmod_dk_policy *p = &s->dk_policy;
	const struct sender *snd = sender_get(s);
	p->domain = p->report_to = p->notes = p->reason = "";
	p->verdict = "neutral";
	if (snd->parsed && !(p->domain = arena_strdup(&s->arena, snd->addr.domain)))
		p->domain = "";
	for (size_t i = 0; i < s->nresults; i++) {
		if (s->results[i].method == DKMOD_METHOD_DOMAINKEYS && s->results[i].result == DKMOD_RESULT_PASS) {
			p->verdict = "accept";
			p->reason = "good DomainKeys signature";
		}
	}
	if (!snd->parsed) {
		if (s->overflow) {
			p->verdict = "permerror"; /* the sender may be among the fields past the limits */
			p->reason = "header not fully inspected";
		} else if (!strcmp(p->verdict, "neutral")) {
			p->reason = "no sender address";
		}
		return;
	}
	const struct keylookup *k = s->dkp_lookup;
	p->dnssec = k ? k->dnssec : DKMOD_DNSSEC_UNKNOWN;
	enum policy_answer a = policy_answer(s->ctx, k);
	struct policyrec_dk rec;
	bool parsed = false;
	for (size_t i = 0; a == POLICY_RECORDS && i < k->count && !parsed; i++)
		parsed = policyrec_parse_dk(k->records[i], k->lengths[i], &rec);
	if (a == POLICY_RECORDS && !parsed)
		a = POLICY_PERM;
	if (parsed) {
		p->found = true;
		p->signs_all = rec.signs_all;
		p->testing = rec.testing;
		p->report_to = arena_strdup(&s->arena, rec.report_to);
		p->notes = arena_strdup(&s->arena, rec.notes);
		if (!p->report_to || !p->notes)
			p->report_to = p->notes = "";
	}
	if (!strcmp(p->verdict, "accept"))
		return;
	if (a == POLICY_TEMP) {
		p->verdict = "temperror";
		p->reason = "policy lookup failed";
	} else if (a == POLICY_PERM) {
		p->verdict = "permerror";
		p->reason = "malformed policy record";
	} else if (p->signs_all && !p->testing) {
		p->verdict = "reject";
		p->reason = "the domain signs all mail (o=-) and no good signature";
	} else {
		p->reason = p->signs_all ? "o=- in testing (t=y)" : "the domain signs some mail";
	}
}

/* policy_adsp_practice - the dkim= practice of the first ADSP record that has one */
static enum policyrec_adsp policy_adsp_practice(const struct keylookup *k, enum policy_answer r)
{
	enum policyrec_adsp practice = POLICYREC_ADSP_NONE;
	for (size_t i = 0; r == POLICY_RECORDS && i < k->count && practice == POLICYREC_ADSP_NONE; i++)
		practice = policyrec_parse_adsp(k->records[i], k->lengths[i]);
	return practice;
}

/* policy_adsp - the ADSP result (RFC 5617 4.3); with an author signature the practice is
 * still reported when the record was found, so that a policy script that does not count an
 * l= signature as one can act on it */
static void policy_adsp(struct dkmod_session *s)
{
	struct dkmod_adsp *a = &s->adsp;
	a->domain = a->author = a->practice = "";
	if (!s->author_ok) {
		a->result = "permerror";
		return;
	}
	a->domain = arena_strdup(&s->arena, s->author.domain);
	a->author = arena_strdup(&s->arena, s->author.full);
	if (!a->domain || !a->author) {
		a->domain = a->author = "";
		a->result = "temperror";
		return;
	}
	for (size_t i = 0; i < s->nresults; i++) {
		const struct dkmod_sig_result *r = &s->results[i];
		if (r->method == DKMOD_METHOD_DKIM && r->result == DKMOD_RESULT_PASS && !strcasecmp(r->domain, a->domain)) {
			a->practice = policyrec_adsp_name(
				policy_adsp_practice(s->adsp_lookup, policy_answer(s->ctx, s->adsp_lookup)));
			a->result = "pass";
			return;
		}
	}
	enum policy_answer e = policy_answer(s->ctx, s->exists_lookup);
	if (s->exists_lookup && s->exists_lookup->rcode == DNS_NXDOMAIN && e != POLICY_TEMP) {
		a->result = "nxdomain";
		return;
	}
	const struct keylookup *k = s->adsp_lookup;
	enum policy_answer r = policy_answer(s->ctx, k);
	a->dnssec = k ? k->dnssec : DKMOD_DNSSEC_UNKNOWN;
	if (e == POLICY_TEMP || r == POLICY_TEMP) {
		a->result = "temperror";
		return;
	}
	if (r == POLICY_PERM) {
		a->result = "permerror";
		return;
	}
	enum policyrec_adsp practice = policy_adsp_practice(k, r);
	a->practice = policyrec_adsp_name(practice);
	static const char *const results[] = {"none", "unknown", "fail", "discard"};
	a->result = results[practice];
}

/* policy_finish - the DomainKeys policy verdict and the ADSP result */
enum dkmod_status policy_finish(struct dkmod_session *s)
{
	policy_dk(s);
	policy_adsp(s);
	session_log(s->ctx, DKMOD_LOG_INFO, "policy.dk=%s domain=%s; dkim-adsp=%s domain=%s", s->dk_policy.verdict,
		    s->dk_policy.domain, s->adsp.result, s->adsp.domain);
	return DKMOD_OK;
}
