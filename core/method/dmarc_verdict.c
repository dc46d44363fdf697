/*
 * dmarc_verdict.c - what a DMARC evaluation's answers mean (RFC 9989): the
 * policy record (the Author Domain's, else its organizational domain's, else
 * its PSD's), the organizational domains, identifier alignment, the policy
 * that applies (p, sp, np; t=y) and the result.  A lookup that failed
 * temporarily, where its answer could change the result, makes the result
 * temperror; an unanswered one counts as failed.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "method/dmarc_walk.h"
#include "record/dkimsig.h"

#define DMARC_COUNT(a) (sizeof a / sizeof *a)

static const char *const dmarc_results[] = {"none", "pass", "fail", "temperror", "permerror"};
static const char *const dmarc_authors[] = {"ok", "no From field", "several From fields",
					    "several author domains in From", "no valid author address"};
static const char *const dmarc_policy_tags[] = {"", "p", "sp", "np"};

/* Whether an identifier aligns. */
enum dmarc_align { DMARC_ALIGN_NO = 0, DMARC_ALIGN_YES, DMARC_ALIGN_TEMP };

/* dmarc_answer - the lookup of _dmarc.<domain> if it was answered; else NULL and *w says why */
static const struct dmarc_name *dmarc_answer(const struct dmarc *m, const char *domain, enum dmarc_walk *w)
{
	const struct dmarc_name *nm = dmarc_name_find(m, domain);
	if (!nm || (nm->state == DMARC_ANSWERED && nm->found == DMARC_FOUND_TEMP))
		*w = DMARC_WALK_TEMP; /* failed, or no room was left to ask it */
	else if (nm->state != DMARC_ANSWERED)
		*w = DMARC_WALK_PENDING;
	else
		*w = DMARC_WALK_KNOWN;
	return *w == DMARC_WALK_KNOWN ? nm : NULL;
}

/* dmarc_org - the organizational domain of domain, from its walk's valid records, longest name
 * first: the one with psd=n; the one below the one with psd=y (unless that is the domain itself);
 * else the one with the fewest labels; else the domain itself.  The walk stops at psd=y/n. */
enum dmarc_walk dmarc_org(const struct dmarc *m, const char *domain, char org[DMARC_MAX_DOMAIN],
			  const struct dmarc_name **psd)
{
	const char *own[DMARC_MAX_WALK], *const *levels = own, *found = domain;
	size_t n;
	enum dmarc_walk w;
	if (domain == m->author_domain && m->author_nlevels) /* worked out once, when they were asked */
		levels = m->author_levels, n = m->author_nlevels;
	else
		n = dmarc_levels(domain, own);
	if (psd)
		*psd = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct dmarc_name *nm = dmarc_answer(m, levels[i], &w);
		if (!nm)
			return w;
		if (nm->found != DMARC_FOUND_RECORD)
			continue;
		found = levels[i];
		if (nm->rec->psd == DMARCREC_PSD_N)
			break;
		if (nm->rec->psd == DMARCREC_PSD_Y) {
			if (i > 0) {
				found = dmarc_suffix(domain, dmarc_labels(levels[i]) + 1);
				if (psd)
					*psd = nm;
			}
			break;
		}
	}
	memcpy(org, found, strlen(found) + 1);
	return DMARC_WALK_KNOWN;
}

/* dmarc_author_org - dmarc_org of the Author Domain: the one dmarc_plan kept, once it was known
 * (its walk's answers do not change once given) */
enum dmarc_walk dmarc_author_org(const struct dmarc *m, char org[DMARC_MAX_DOMAIN], const struct dmarc_name **psd)
{
	if (!m->org_known)
		return dmarc_org(m, m->author_domain, org, psd);
	memcpy(org, m->org, strlen(m->org) + 1);
	if (psd)
		*psd = m->org_psd;
	return DMARC_WALK_KNOWN;
}

/* dmarc_policy_record - the policy record: the Author Domain's, else its organizational
 * domain's, else its PSD's (a record there that is unusable is the policy record all the same) */
enum dmarc_walk dmarc_policy_record(const struct dmarc *m, const struct dmarc_name **pol)
{
	char org[DMARC_MAX_DOMAIN];
	const struct dmarc_name *psd, *nm;
	enum dmarc_walk w;
	*pol = NULL;
	if (!(nm = dmarc_answer(m, m->author_domain, &w)))
		return w;
	if (nm->found != DMARC_FOUND_NOTHING) {
		*pol = nm;
		return DMARC_WALK_KNOWN;
	}
	if ((w = dmarc_author_org(m, org, &psd)) != DMARC_WALK_KNOWN)
		return w;
	if (!(nm = dmarc_answer(m, org, &w)))
		return w;
	*pol = nm->found != DMARC_FOUND_NOTHING ? nm : psd;
	return DMARC_WALK_KNOWN;
}

/* dmarc_share_label - true when two domains end in the same label (an organizational domain
 * they could share) */
static bool dmarc_share_label(const char *a, const char *b)
{
	const char *da = strrchr(a, '.'), *db = strrchr(b, '.');
	return !strcmp(da ? da + 1 : a, db ? db + 1 : b);
}

/* dmarc_aligned - whether id aligns with the Author Domain in mode (RFC 9989 3.2.10: strict is the
 * same name, relaxed the same organizational domain) */
static enum dmarc_align dmarc_aligned(const struct dmarc *m, const char *id, enum dmarcrec_align mode)
{
	char org[DMARC_MAX_DOMAIN], id_org[DMARC_MAX_DOMAIN];
	if (!strcmp(id, m->author_domain))
		return DMARC_ALIGN_YES;
	if (mode == DMARCREC_ALIGN_STRICT)
		return DMARC_ALIGN_NO;
	if (dmarc_author_org(m, org, NULL) != DMARC_WALK_KNOWN)
		return dmarc_share_label(id, m->author_domain) ? DMARC_ALIGN_TEMP : DMARC_ALIGN_NO;
	if (!strcmp(id, org))
		return DMARC_ALIGN_YES; /* the organizational domain is its own */
	if (!dkimsig_domain_within(id, org))
		return DMARC_ALIGN_NO;
	if (dmarc_org(m, id, id_org, NULL) != DMARC_WALK_KNOWN)
		return DMARC_ALIGN_TEMP;
	return strcmp(id_org, org) ? DMARC_ALIGN_NO : DMARC_ALIGN_YES;
}

/* dmarc_existence - whether the Author Domain exists: 1 yes, 0 no (NXDOMAIN), -1 unknown (a
 * failure, or not asked) */
static int dmarc_existence(const struct dmarc *m)
{
	const struct dmarc_exists *e = &m->exists;
	if (e->state != DMARC_ANSWERED || dns_rcode_temporary(e->rcode))
		return -1;
	return e->rcode != DNS_NXDOMAIN;
}

/* dmarc_policy - the policy for the Author Domain: p at its own record; at its organizational
 * domain's or PSD's, np for a non-existent domain when np= is given, else sp when given, else p;
 * false when np= is given and the existence check failed */
static bool dmarc_policy(const struct dmarc *m, const struct dmarc_name *pol, struct dmarc_verdict *out)
{
	const struct dmarcrec *rec = pol->rec;
	bool ok = true;
	out->policy = rec->p;
	out->policy_tag = DMARC_TAG_P;
	if (!strcmp(pol->domain, m->author_domain))
		return true;
	if (rec->has_np) {
		int exists = dmarc_existence(m);
		if (exists == 0) {
			out->policy = rec->np;
			out->policy_tag = DMARC_TAG_NP;
			return true;
		}
		ok = exists == 1;
	}
	if (rec->has_sp) {
		out->policy = rec->sp;
		out->policy_tag = DMARC_TAG_SP;
	}
	return ok;
}

/* dmarc_copy - a domain into a verdict field */
static void dmarc_copy(char dst[DMARC_MAX_DOMAIN], const char *src)
{
	size_t n = strlen(src);
	memcpy(dst, src, n + 1);
}

/* dmarc_align_all - alignment of every passing identifier; true when one that failed
 * temporarily, or whose organizational domain is unknown, could have aligned */
static bool dmarc_align_all(const struct dmarc *m, const struct dmarcrec *rec, struct dmarc_verdict *out)
{
	bool temp = false;
	unsigned best = 0;
	for (size_t i = 0; i < m->nids; i++) {
		const struct dmarc_id *id = &m->ids[i];
		if (id->dkim) {
			enum dmarc_align a = dmarc_aligned(m, id->domain, rec->adkim);
			if (a == DMARC_ALIGN_YES && id->dkim_pass) {
				out->dkim_aligned = true;
				if (!best || id->dkim_order < best) {
					best = id->dkim_order;
					dmarc_copy(out->dkim_domain, id->domain);
				}
			}
			temp = temp || (a == DMARC_ALIGN_TEMP && id->dkim_pass) || (a != DMARC_ALIGN_NO && id->dkim_temp);
		}
		if (id->spf) {
			enum dmarc_align a = dmarc_aligned(m, id->domain, rec->aspf);
			if (a == DMARC_ALIGN_YES && id->spf_pass) {
				out->spf_aligned = true;
				dmarc_copy(out->spf_domain, id->domain);
			}
			temp = temp || (a == DMARC_ALIGN_TEMP && id->spf_pass) || (a != DMARC_ALIGN_NO && id->spf_temp);
		}
	}
	return temp;
}

/* dmarc_milder - the disposition t=y asks for: one step below the policy */
static enum dmarcrec_policy dmarc_milder(enum dmarcrec_policy p)
{
	return p == DMARCREC_POLICY_REJECT ? DMARCREC_POLICY_QUARANTINE : DMARCREC_POLICY_NONE;
}

/* dmarc_verdict - the result from what is known */
void dmarc_verdict(const struct dmarc *m, struct dmarc_verdict *out)
{
	/* not cleared whole: 1.3 KB of domains and a 2 KB record with its URI lists */
	memset(out, 0, offsetof(struct dmarc_verdict, author_domain));
	memset(&out->record, 0, offsetof(struct dmarcrec, rua));
	out->author_domain[0] = out->record_domain[0] = out->org_domain[0] = '\0';
	out->dkim_domain[0] = out->spf_domain[0] = '\0';
	out->reason = "";
	if (!m) {
		out->result = DKMOD_DMARC_TEMPERROR;
		out->reason = "out of memory";
		return;
	}
	out->queries = m->queries;
	out->rounds = m->rounds;
	out->author = m->author;
	out->mailboxes = m->mailboxes;
	dmarc_copy(out->author_domain, m->author_domain);
	if (m->author != DMARC_AUTHOR_OK) {
		out->result = DKMOD_DMARC_PERMERROR;
		out->reason = dmarc_author_name(m->author);
		return;
	}
	const struct dmarc_name *pol = NULL;
	enum dmarc_walk w = dmarc_policy_record(m, &pol);
	if (w != DMARC_WALK_KNOWN) {
		out->result = DKMOD_DMARC_TEMPERROR;
		out->reason = "DMARC record lookup failed";
		return;
	}
	if (!pol) {
		out->result = DKMOD_DMARC_NONE;
		out->reason = "no DMARC record";
		return;
	}
	dmarc_copy(out->record_domain, pol->domain);
	if (pol->found == DMARC_FOUND_BAD) {
		out->result = DKMOD_DMARC_PERMERROR;
		out->reason = dmarcrec_status_name(pol->status);
		return;
	}
	const struct dmarcrec *rec = pol->rec;
	out->have_record = true;
	dmarcrec_copy(&out->record, rec);
	out->testing = rec->testing;
	char org[DMARC_MAX_DOMAIN];
	if (dmarc_author_org(m, org, NULL) == DMARC_WALK_KNOWN)
		dmarc_copy(out->org_domain, org);
	bool policy_known = dmarc_policy(m, pol, out);
	bool temp = dmarc_align_all(m, rec, out);
	if (out->dkim_aligned || out->spf_aligned) {
		out->result = DKMOD_DMARC_PASS;
		out->disposition = DMARCREC_POLICY_NONE;
		return;
	}
	if (temp || !policy_known) {
		out->result = DKMOD_DMARC_TEMPERROR;
		out->reason = temp ? "an identifier's check or organizational domain failed temporarily"
				   : "existence check of the Author Domain failed";
		return;
	}
	out->result = DKMOD_DMARC_FAIL;
	out->reason = m->overflow ? "no aligned identifier (some not checked: too many)" : "no aligned identifier";
	out->disposition = rec->testing ? dmarc_milder(out->policy) : out->policy;
}

/* dkmod_dmarc_result_name - the result's RFC 8601 name (dkmod.h) */
const char *dkmod_dmarc_result_name(enum dkmod_dmarc_result r)
{
	return (unsigned)r < DMARC_COUNT(dmarc_results) ? dmarc_results[r] : "";
}

/* dmarc_author_name - what the From fields gave, in words */
const char *dmarc_author_name(enum dmarc_author a)
{
	return (unsigned)a < DMARC_COUNT(dmarc_authors) ? dmarc_authors[a] : "";
}

/* dmarc_policy_tag_name - "", "p", "sp", "np" */
const char *dmarc_policy_tag_name(enum dmarc_policy_tag t)
{
	return (unsigned)t < DMARC_COUNT(dmarc_policy_tags) ? dmarc_policy_tags[t] : "";
}
