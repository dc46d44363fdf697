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

#include "method/policy.h"
#include "record/dkimsig.h"
#include "record/policyrec.h"

/* The DomainKeys policy verdicts (RFC 4870 3.6), with one name each. */
enum policy_dk_verdict { POLICY_DK_NEUTRAL = 0, POLICY_DK_ACCEPT, POLICY_DK_REJECT, POLICY_DK_TEMPERROR, POLICY_DK_PERMERROR };
static const char *const policy_dk_names[] = {"neutral", "accept", "reject", "temperror", "permerror"};

/* The ADSP results (RFC 5617 4.3), with one name each: the first four are the practices'
 * (enum policyrec_adsp) */
enum policy_adsp_result {
	POLICY_ADSP_NONE = POLICYREC_ADSP_NONE,
	POLICY_ADSP_UNKNOWN = POLICYREC_ADSP_UNKNOWN,
	POLICY_ADSP_FAIL = POLICYREC_ADSP_ALL,
	POLICY_ADSP_DISCARD = POLICYREC_ADSP_DISCARDABLE,
	POLICY_ADSP_PASS,
	POLICY_ADSP_NXDOMAIN,
	POLICY_ADSP_TEMPERROR,
	POLICY_ADSP_PERMERROR
};
static const char *const policy_adsp_names[] = {"none", "unknown", "fail", "discard", "pass", "nxdomain",
						"temperror", "permerror"};

/* policy_start - start the DomainKeys policy, ADSP and author-domain lookups */
enum dkmod_status policy_start(const struct method_msg *m, struct policy *pol)
{
	char name[ADDRESS_MAX + 32];
	pol->started = true;
	const struct sender *snd = m->sender;
	if (snd->parsed && dkimsig_valid_domain(snd->addr.domain, strlen(snd->addr.domain))) {
		const char *parts[2] = {"_domainkey.", snd->addr.domain};
		str_join(name, sizeof name, parts, 2);
		pol->dkp_lookup = lookup_start(m, name, DNS_TYPE_TXT);
	}
	const struct sender *author = m->author;
	pol->author_ok = author->parsed;
	if (author->parsed)
		pol->author = author->addr;
	pol->author_ok = pol->author_ok && dkimsig_valid_domain(pol->author.domain, strlen(pol->author.domain));
	if (pol->author_ok) {
		const char *parts[2] = {"_adsp._domainkey.", pol->author.domain};
		str_join(name, sizeof name, parts, 2);
		pol->adsp_lookup = lookup_start(m, name, DNS_TYPE_TXT);
		pol->exists_lookup = lookup_start(m, pol->author.domain, DNS_TYPE_MX);
	}
	return DKMOD_OK;
}

/* policy_dk_record - the DomainKeys policy record of k into rec: what the lookup came to,
 * PERM when it has records and none parses */
static enum lookup_answer policy_dk_record(const struct method_msg *m, const struct keylookup *k,
					   struct policyrec_dk *rec, bool *parsed)
{
	enum lookup_answer a = lookup_answer(m->opt, k);
	*parsed = false;
	for (size_t i = 0; a == LOOKUP_RECORDS && i < k->count && !*parsed; i++)
		*parsed = policyrec_parse_dk(k->records[i], k->lengths[i], rec);
	return a == LOOKUP_RECORDS && !*parsed ? LOOKUP_PERM : a;
}

/* policy_dk - the DomainKeys policy verdict */
static void policy_dk(const struct method_msg *m, struct policy *pol, const struct dkmod_sig_result *results,
		      size_t n)
{
	struct dkmod_dk_policy *p = &pol->dk;
	const struct sender *snd = m->sender;
	enum policy_dk_verdict verdict = POLICY_DK_NEUTRAL;
	p->domain = p->report_to = p->notes = p->reason = "";
	if (snd->parsed && !(p->domain = arena_strdup(m->arena, snd->addr.domain)))
		p->domain = "";
	for (size_t i = 0; i < n; i++) {
		if (results[i].method == DKMOD_METHOD_DOMAINKEYS && results[i].result == DKMOD_RESULT_PASS) {
			verdict = POLICY_DK_ACCEPT;
			p->reason = "good DomainKeys signature";
		}
	}
	if (!snd->parsed) {
		if (m->overflow) {
			verdict = POLICY_DK_PERMERROR; /* the sender may be among the fields past the limits */
			p->reason = "header not fully inspected";
		} else if (verdict == POLICY_DK_NEUTRAL) {
			p->reason = "no sender address";
		}
		p->verdict = policy_dk_names[verdict];
		return;
	}
	const struct keylookup *k = pol->dkp_lookup;
	p->dnssec = k ? k->dnssec : DKMOD_DNSSEC_UNKNOWN;
	struct policyrec_dk rec;
	bool parsed;
	enum lookup_answer a = policy_dk_record(m, k, &rec, &parsed);
	if (parsed) {
		p->found = true;
		p->signs_all = rec.signs_all;
		p->testing = rec.testing;
		p->report_to = arena_strdup(m->arena, rec.report_to);
		p->notes = arena_strdup(m->arena, rec.notes);
		if (!p->report_to || !p->notes)
			p->report_to = p->notes = "";
	}
	if (verdict == POLICY_DK_ACCEPT) {
		p->verdict = policy_dk_names[verdict];
		return;
	}
	if (a == LOOKUP_TEMP) {
		verdict = POLICY_DK_TEMPERROR;
		p->reason = "policy lookup failed";
	} else if (a == LOOKUP_PERM) {
		verdict = POLICY_DK_PERMERROR;
		p->reason = "malformed policy record";
	} else if (p->signs_all && !p->testing) {
		verdict = POLICY_DK_REJECT;
		p->reason = "the domain signs all mail (o=-) and no good signature";
	} else {
		p->reason = p->signs_all ? "o=- in testing (t=y)" : "the domain signs some mail";
	}
	p->verdict = policy_dk_names[verdict];
}

/* policy_adsp_practice - the dkim= practice of the first ADSP record that has one */
static enum policyrec_adsp policy_adsp_practice(const struct keylookup *k, enum lookup_answer r)
{
	enum policyrec_adsp practice = POLICYREC_ADSP_NONE;
	for (size_t i = 0; r == LOOKUP_RECORDS && i < k->count && practice == POLICYREC_ADSP_NONE; i++)
		practice = policyrec_parse_adsp(k->records[i], k->lengths[i]);
	return practice;
}

/* policy_adsp_result - the ADSP result (RFC 5617 4.3); with an author signature the practice is
 * still reported when the record was found, so that a policy script that does not count an
 * l= signature as one can act on it */
static enum policy_adsp_result policy_adsp_result(const struct method_msg *m, struct policy *pol,
						  const struct dkmod_sig_result *results, size_t n)
{
	struct dkmod_adsp *a = &pol->adsp;
	if (!pol->author_ok)
		return POLICY_ADSP_PERMERROR;
	a->domain = arena_strdup(m->arena, pol->author.domain);
	a->author = arena_strdup(m->arena, pol->author.full);
	if (!a->domain || !a->author) {
		a->domain = a->author = "";
		return POLICY_ADSP_TEMPERROR;
	}
	for (size_t i = 0; i < n; i++) {
		const struct dkmod_sig_result *r = &results[i];
		if (r->method == DKMOD_METHOD_DKIM && r->result == DKMOD_RESULT_PASS && !strcasecmp(r->domain, a->domain)) {
			a->practice = policyrec_adsp_name(
				policy_adsp_practice(pol->adsp_lookup, lookup_answer(m->opt, pol->adsp_lookup)));
			return POLICY_ADSP_PASS;
		}
	}
	enum lookup_answer e = lookup_answer(m->opt, pol->exists_lookup);
	if (pol->exists_lookup && pol->exists_lookup->rcode == DNS_NXDOMAIN && e != LOOKUP_TEMP)
		return POLICY_ADSP_NXDOMAIN;
	const struct keylookup *k = pol->adsp_lookup;
	enum lookup_answer r = lookup_answer(m->opt, k);
	a->dnssec = k ? k->dnssec : DKMOD_DNSSEC_UNKNOWN;
	if (e == LOOKUP_TEMP || r == LOOKUP_TEMP)
		return POLICY_ADSP_TEMPERROR;
	if (r == LOOKUP_PERM)
		return POLICY_ADSP_PERMERROR;
	enum policyrec_adsp practice = policy_adsp_practice(k, r);
	a->practice = policyrec_adsp_name(practice);
	return (enum policy_adsp_result)practice;
}

/* policy_finish - the DomainKeys policy verdict and the ADSP result */
enum dkmod_status policy_finish(const struct method_msg *m, struct policy *pol, const struct dkmod_sig_result *results,
				size_t n)
{
	policy_dk(m, pol, results, n);
	pol->adsp.domain = pol->adsp.author = pol->adsp.practice = "";
	pol->adsp.result = policy_adsp_names[policy_adsp_result(m, pol, results, n)];
	method_log(m, DKMOD_LOG_INFO, "policy.dk=%s domain=%s; dkim-adsp=%s domain=%s", pol->dk.verdict,
		   pol->dk.domain, pol->adsp.result, pol->adsp.domain);
	return DKMOD_OK;
}
