/*
 * sendpolicy.c - the sender policies a verifier reports but does not act on:
 * the DomainKeys policy of the responsible sender's domain (RFC 4870 3.6)
 * and ADSP of the author's domain (RFC 5617).  Their lookups start with the
 * key lookups at the end of the headers; what to do with them is the policy
 * script's decision.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "method/sendpolicy.h"
#include "record/dkimsig.h"
#include "record/sendpolicyrec.h"

/* The DomainKeys policy verdicts (RFC 4870 3.6), with one name each. */
enum sendpolicy_dk_verdict { SENDPOLICY_DK_NEUTRAL = 0, SENDPOLICY_DK_ACCEPT, SENDPOLICY_DK_REJECT, SENDPOLICY_DK_TEMPERROR, SENDPOLICY_DK_PERMERROR };
static const char *const sendpolicy_dk_names[] = {"neutral", "accept", "reject", "temperror", "permerror"};

/* The ADSP results (RFC 5617 4.3), with one name each: the first four are the practices'
 * (enum sendpolicyrec_adsp) */
enum sendpolicy_adsp_result {
	SENDPOLICY_ADSP_NONE = SENDPOLICYREC_ADSP_NONE,
	SENDPOLICY_ADSP_UNKNOWN = SENDPOLICYREC_ADSP_UNKNOWN,
	SENDPOLICY_ADSP_FAIL = SENDPOLICYREC_ADSP_ALL,
	SENDPOLICY_ADSP_DISCARD = SENDPOLICYREC_ADSP_DISCARDABLE,
	SENDPOLICY_ADSP_PASS,
	SENDPOLICY_ADSP_NXDOMAIN,
	SENDPOLICY_ADSP_TEMPERROR,
	SENDPOLICY_ADSP_PERMERROR
};
static const char *const sendpolicy_adsp_names[] = {"none", "unknown", "fail", "discard", "pass", "nxdomain",
						"temperror", "permerror"};

/* sendpolicy_start - start the DomainKeys policy, ADSP and author-domain lookups */
enum dkmod_status sendpolicy_start(const struct method_msg *m, struct sendpolicy *pol)
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
		address_copy(&pol->author, &author->addr);
	pol->author_ok = pol->author_ok && dkimsig_valid_domain(pol->author.domain, strlen(pol->author.domain));
	if (pol->author_ok) {
		const char *parts[2] = {"_adsp._domainkey.", pol->author.domain};
		str_join(name, sizeof name, parts, 2);
		pol->adsp_lookup = lookup_start(m, name, DNS_TYPE_TXT);
		pol->exists_lookup = lookup_start(m, pol->author.domain, DNS_TYPE_MX);
	}
	return DKMOD_OK;
}

/* sendpolicy_dk_record - the DomainKeys policy record of k into rec: what the lookup came to,
 * PERM when it has records and none parses */
static enum lookup_answer sendpolicy_dk_record(const struct method_msg *m, const struct keylookup *k,
					   struct sendpolicyrec_dk *rec, bool *parsed)
{
	enum lookup_answer a = lookup_answer(m->opt, k);
	*parsed = false;
	for (size_t i = 0; a == LOOKUP_RECORDS && i < k->count && !*parsed; i++)
		*parsed = sendpolicyrec_parse_dk(k->records[i], k->lengths[i], rec);
	return a == LOOKUP_RECORDS && !*parsed ? LOOKUP_PERM : a;
}

/* sendpolicy_dk - the DomainKeys policy verdict */
static void sendpolicy_dk(const struct method_msg *m, struct sendpolicy *pol, const struct dkmod_sig_result *results,
		      size_t n)
{
	struct dkmod_dk_policy *p = &pol->dk;
	const struct sender *snd = m->sender;
	enum sendpolicy_dk_verdict verdict = SENDPOLICY_DK_NEUTRAL;
	p->domain = p->report_to = p->notes = p->reason = "";
	if (snd->parsed && !(p->domain = arena_strdup(m->arena, snd->addr.domain)))
		p->domain = "";
	for (size_t i = 0; i < n; i++) {
		if (results[i].method == DKMOD_METHOD_DOMAINKEYS && results[i].result == DKMOD_RESULT_PASS) {
			verdict = SENDPOLICY_DK_ACCEPT;
			p->reason = "good DomainKeys signature";
		}
	}
	if (!snd->parsed) {
		if (m->overflow) {
			verdict = SENDPOLICY_DK_PERMERROR; /* the sender may be among the fields past the limits */
			p->reason = "header not fully inspected";
		} else if (verdict == SENDPOLICY_DK_NEUTRAL) {
			p->reason = "no sender address";
		}
		p->verdict = sendpolicy_dk_names[verdict];
		return;
	}
	const struct keylookup *k = pol->dkp_lookup;
	p->dnssec = k ? k->dnssec : DKMOD_DNSSEC_UNKNOWN;
	struct sendpolicyrec_dk rec;
	bool parsed;
	enum lookup_answer a = sendpolicy_dk_record(m, k, &rec, &parsed);
	if (parsed) {
		p->found = true;
		p->signs_all = rec.signs_all;
		p->testing = rec.testing;
		p->report_to = arena_strdup(m->arena, rec.report_to);
		p->notes = arena_strdup(m->arena, rec.notes);
		if (!p->report_to || !p->notes)
			p->report_to = p->notes = "";
	}
	if (verdict == SENDPOLICY_DK_ACCEPT) {
		p->verdict = sendpolicy_dk_names[verdict];
		return;
	}
	if (a == LOOKUP_TEMP) {
		verdict = SENDPOLICY_DK_TEMPERROR;
		p->reason = "policy lookup failed";
	} else if (a == LOOKUP_PERM) {
		verdict = SENDPOLICY_DK_PERMERROR;
		p->reason = "malformed policy record";
	} else if (p->signs_all && !p->testing) {
		verdict = SENDPOLICY_DK_REJECT;
		p->reason = "the domain signs all mail (o=-) and no good signature";
	} else {
		p->reason = p->signs_all ? "o=- in testing (t=y)" : "the domain signs some mail";
	}
	p->verdict = sendpolicy_dk_names[verdict];
}

/* sendpolicy_adsp_practice - the dkim= practice of the first ADSP record that has one */
static enum sendpolicyrec_adsp sendpolicy_adsp_practice(const struct keylookup *k, enum lookup_answer r)
{
	enum sendpolicyrec_adsp practice = SENDPOLICYREC_ADSP_NONE;
	for (size_t i = 0; r == LOOKUP_RECORDS && i < k->count && practice == SENDPOLICYREC_ADSP_NONE; i++)
		practice = sendpolicyrec_parse_adsp(k->records[i], k->lengths[i]);
	return practice;
}

/* sendpolicy_adsp_result - the ADSP result (RFC 5617 4.3); with an author signature the practice is
 * still reported when the record was found, so that a policy script that does not count an
 * l= signature as one can act on it */
static enum sendpolicy_adsp_result sendpolicy_adsp_result(const struct method_msg *m, struct sendpolicy *pol,
						  const struct dkmod_sig_result *results, size_t n)
{
	struct dkmod_adsp *a = &pol->adsp;
	if (!pol->author_ok)
		return SENDPOLICY_ADSP_PERMERROR;
	a->domain = pol->author.domain; /* the copy sendpolicy_start kept: it lives as long as a */
	a->author = pol->author.full;
	for (size_t i = 0; i < n; i++) {
		const struct dkmod_sig_result *r = &results[i];
		if (r->method == DKMOD_METHOD_DKIM && r->result == DKMOD_RESULT_PASS && !strcasecmp(r->domain, a->domain)) {
			a->practice = sendpolicyrec_adsp_name(
				sendpolicy_adsp_practice(pol->adsp_lookup, lookup_answer(m->opt, pol->adsp_lookup)));
			return SENDPOLICY_ADSP_PASS;
		}
	}
	enum lookup_answer e = lookup_answer(m->opt, pol->exists_lookup);
	if (pol->exists_lookup && pol->exists_lookup->rcode == DNS_NXDOMAIN && e != LOOKUP_TEMP)
		return SENDPOLICY_ADSP_NXDOMAIN;
	const struct keylookup *k = pol->adsp_lookup;
	enum lookup_answer r = lookup_answer(m->opt, k);
	a->dnssec = k ? k->dnssec : DKMOD_DNSSEC_UNKNOWN;
	if (e == LOOKUP_TEMP || r == LOOKUP_TEMP)
		return SENDPOLICY_ADSP_TEMPERROR;
	if (r == LOOKUP_PERM)
		return SENDPOLICY_ADSP_PERMERROR;
	enum sendpolicyrec_adsp practice = sendpolicy_adsp_practice(k, r);
	a->practice = sendpolicyrec_adsp_name(practice);
	return (enum sendpolicy_adsp_result)practice;
}

/* sendpolicy_finish - the DomainKeys policy verdict and the ADSP result */
enum dkmod_status sendpolicy_finish(const struct method_msg *m, struct sendpolicy *pol, const struct dkmod_sig_result *results,
				size_t n)
{
	sendpolicy_dk(m, pol, results, n);
	pol->adsp.domain = pol->adsp.author = pol->adsp.practice = "";
	pol->adsp.result = sendpolicy_adsp_names[sendpolicy_adsp_result(m, pol, results, n)];
	method_log(m, DKMOD_LOG_INFO, "policy.dk=%s domain=%s; dkim-adsp=%s domain=%s", pol->dk.verdict,
		   pol->dk.domain, pol->adsp.result, pol->adsp.domain);
	return DKMOD_OK;
}
