/*
 * dmarc.c - the lookups of a DMARC evaluation (RFC 9989 4.10): the DNS tree
 * walk of the Author Domain, the walks of identifiers below its
 * organizational domain, and the existence check np= needs; each answer's
 * callback plans and starts the next round.  What the answers mean is
 * dmarc_verdict.c's.
 *
 * The walk's levels are fixed by the name alone (the name itself, then, from
 * at most 7 labels, one label less at a time down to the top-level domain),
 * so all levels of the Author Domain are asked at once in round 1: the
 * organizational domain needs them up to the first psd=y/n record, or all of
 * them, and without a record of its own the Author Domain's policy is that of
 * its organizational domain or PSD (4.10.1).  Round 2 holds what depends on
 * those answers: the existence of the Author Domain when the policy record is
 * a parent's with np= (non-existent means NXDOMAIN, as RFC 8020 says), the
 * walks of identifiers strictly below the organizational domain (relaxed
 * alignment), and the organizational domain itself when a psd=y made it a
 * name the walk skipped.
 */
#include "method/dmarc_walk.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "msg/address.h"
#include "record/dkimsig.h"

static void dmarc_plan(struct dmarc *m, unsigned round);
static struct dmarc_id *dmarc_id(struct dmarc *m, const char *domain);
static struct dmarc_id *dmarc_id_add(struct dmarc *m, const char *d);

/* dmarc_lower - copy a domain in lower case; false when it is not a DNS name (or longer than one) */
bool dmarc_lower(char out[DMARC_MAX_DOMAIN], const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n > DMARC_MAX_QNAME || !dkimsig_valid_domain(s, n))
		return false;
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	return true;
}

/* dmarc_labels - the number of labels of a domain */
size_t dmarc_labels(const char *d)
{
	size_t n = 1;
	for (; *d; d++)
		n += *d == '.';
	return n;
}

/* dmarc_suffix - the last k labels of a domain (a pointer into it) */
const char *dmarc_suffix(const char *d, size_t k)
{
	size_t skip = dmarc_labels(d) - k;
	for (; skip > 0 && *d; d++)
		if (*d == '.')
			skip--;
	return d;
}

/* dmarc_levels - the names a walk from d asks, in order (pointers into d); how many.  One pass:
 * the starts of the last DMARC_MAX_WALK - 1 labels are kept in a ring as the dots go by. */
size_t dmarc_levels(const char *d, const char *levels[DMARC_MAX_WALK])
{
	const char *ring[DMARC_MAX_WALK - 1];
	size_t x = 1, n = 0;
	ring[0] = d;
	for (const char *p = d; *p; p++)
		if (*p == '.')
			ring[x++ % (DMARC_MAX_WALK - 1)] = p + 1;
	levels[n++] = d;
	/* the suffix of k labels starts at label x - k */
	for (size_t k = x >= DMARC_MAX_WALK ? DMARC_MAX_WALK - 1 : x - 1; k >= 1; k--)
		levels[n++] = ring[(x - k) % (DMARC_MAX_WALK - 1)];
	return n;
}

/* dmarc_name_find - the lookup of _dmarc.<domain>, or NULL */
const struct dmarc_name *dmarc_name_find(const struct dmarc *m, const char *domain)
{
	for (size_t i = 0; i < m->nnames; i++)
		if (!strcmp(m->names[i].domain, domain))
			return &m->names[i];
	return NULL;
}

/* A parsed record kept with the memo's answer: which record of the answer, and what parsing it gave. */
struct dmarc_parsed {
	size_t which;
	enum dmarcrec_status status;
	struct dmarcrec rec;
};

/* dmarc_keep_parsed - keep the parse of record which of r with the memo's answer */
static void dmarc_keep_parsed(const struct dns_result *r, size_t which, enum dmarcrec_status status,
			      const struct dmarcrec *rec)
{
	if (!r->memo)
		return;
	struct dmarc_parsed p = {.which = which, .status = status, .rec = *rec};
	dns_result_keep_parsed(r, DNS_PARSED_DMARC, &p, sizeof p);
}

/* dmarc_txt_answer - a _dmarc TXT answer: the one DMARC record, nothing, or a failure */
static void dmarc_txt_answer(void *arg, const struct dns_result *r)
{
	struct dmarc_name *nm = arg;
	struct dmarc *m = nm->m;
	size_t count = 0, which = 0;
	nm->state = DMARC_ANSWERED;
	m->pending--;
	nm->found = DMARC_FOUND_NOTHING;
	if (dns_rcode_temporary(r->rcode)) {
		nm->found = DMARC_FOUND_TEMP;
	} else if (r->rcode == DNS_ANSWER) {
		for (size_t i = 0; i < r->count; i++)
			if (dmarcrec_is_dmarc(r->records[i], r->lengths[i]))
				count++, which = i;
	}
	/* RFC 9989: records that are not DMARC are discarded, and so are all when several remain */
	if (count == 1 && (nm->rec = arena_alloc_raw(m->arena, sizeof *nm->rec))) {
		/* parsed once while the resolver's memo keeps the answer */
		const struct dmarc_parsed *kept = dns_result_parsed(r, DNS_PARSED_DMARC);
		if (kept && kept->which == which) {
			nm->status = kept->status;
			dmarcrec_copy(nm->rec, &kept->rec);
		} else {
			nm->status = dmarcrec_parse(r->records[which], r->lengths[which], nm->rec);
			dmarc_keep_parsed(r, which, nm->status, nm->rec);
		}
		nm->found = nm->status == DMARCREC_OK ? DMARC_FOUND_RECORD : DMARC_FOUND_BAD;
	} else if (count == 1) {
		nm->found = DMARC_FOUND_TEMP;
	}
	dmarc_plan(m, nm->round + 1);
}

/* dmarc_ask - start the lookup of _dmarc.<domain> unless it was started; false when no room is left
 * for another name (the caller counts that as a failed lookup) */
static bool dmarc_ask(struct dmarc *m, const char *domain, unsigned round)
{
	if (dmarc_name_find(m, domain))
		return true;
	if (m->nnames >= DMARC_MAX_NAMES)
		return false;
	struct dmarc_name *nm = &m->names[m->nnames++];
	char qname[DMARC_MAX_DOMAIN + 8];
	const char *parts[2] = {"_dmarc.", domain};
	memset(nm, 0, sizeof *nm);
	nm->m = m;
	nm->round = round;
	memcpy(nm->domain, domain, strlen(domain) + 1);
	if (str_join(qname, sizeof qname, parts, 2) > DMARC_MAX_QNAME) {
		nm->state = DMARC_ANSWERED; /* a name DNS cannot hold has no record */
		return true;
	}
	m->queries++;
	if (round > m->rounds)
		m->rounds = round;
	if (dns_query_shared(m->dns, qname, DNS_TYPE_TXT, dmarc_txt_answer, nm) != 0) {
		nm->state = DMARC_ANSWERED;
		nm->found = DMARC_FOUND_TEMP;
		return true;
	}
	nm->state = DMARC_ASKED;
	m->pending++;
	return true;
}

/* dmarc_ask_levels - start every level of a walk (dmarc_levels) not yet asked */
static void dmarc_ask_levels(struct dmarc *m, const char *const *levels, size_t n, unsigned round)
{
	for (size_t i = 0; i < n; i++)
		if (!dmarc_ask(m, levels[i], round))
			m->overflow = true;
}

/* dmarc_ask_walk - start every level of the walk from domain not yet asked */
static void dmarc_ask_walk(struct dmarc *m, const char *domain, unsigned round)
{
	const char *levels[DMARC_MAX_WALK];
	dmarc_ask_levels(m, levels, dmarc_levels(domain, levels), round);
}

/* dmarc_exists_answer - the existence answer of the Author Domain */
static void dmarc_exists_answer(void *arg, const struct dns_result *r)
{
	struct dmarc_exists *e = arg;
	e->state = DMARC_ANSWERED;
	e->rcode = r->rcode;
	e->m->pending--;
	dmarc_plan(e->m, e->round + 1);
}

/* dmarc_ask_exists - start the existence check of the Author Domain once */
static void dmarc_ask_exists(struct dmarc *m, unsigned round)
{
	struct dmarc_exists *e = &m->exists;
	if (e->state != DMARC_UNASKED)
		return;
	e->m = m;
	e->round = round;
	m->queries++;
	if (round > m->rounds)
		m->rounds = round;
	if (dns_query_shared(m->dns, m->author_domain, DNS_TYPE_MX, dmarc_exists_answer, e) != 0) {
		e->state = DMARC_ANSWERED;
		e->rcode = DNS_ERROR;
		return;
	}
	e->state = DMARC_ASKED;
	m->pending++;
}

/* dmarc_plan - start what the answers so far call for */
static void dmarc_plan(struct dmarc *m, unsigned round)
{
	if (m->author != DMARC_AUTHOR_OK)
		return;
	if (!m->author_nlevels) { /* the first plan: the whole walk (asked once, it is never asked again) */
		m->author_nlevels = dmarc_levels(m->author_domain, m->author_levels);
		dmarc_ask_levels(m, m->author_levels, m->author_nlevels, round);
	}
	if (!m->org_known) {
		if (dmarc_org(m, m->author_domain, m->org, &m->org_psd) != DMARC_WALK_KNOWN)
			return;
		m->org_known = true;
		/* a psd=y level can make the organizational domain a name the walk skipped */
		if (!dmarc_ask(m, m->org, round))
			m->overflow = true;
	}
	const char *org = m->org;
	const struct dmarc_name *pol = NULL;
	if (dmarc_policy_record(m, &pol) != DMARC_WALK_KNOWN || !pol || pol->found != DMARC_FOUND_RECORD)
		return;
	const struct dmarcrec *rec = pol->rec;
	if (strcmp(pol->domain, m->author_domain) && rec->has_np)
		dmarc_ask_exists(m, round);
	for (size_t i = 0; i < m->nids; i++) {
		const struct dmarc_id *id = &m->ids[i];
		bool relaxed = (id->dkim && rec->adkim == DMARCREC_ALIGN_RELAXED) ||
			       (id->spf && rec->aspf == DMARCREC_ALIGN_RELAXED) ||
			       (id->expected && (rec->adkim == DMARCREC_ALIGN_RELAXED || rec->aspf == DMARCREC_ALIGN_RELAXED));
		if (relaxed && strcmp(id->domain, m->author_domain) && strcmp(id->domain, org) &&
		    dkimsig_domain_within(id->domain, org))
			dmarc_ask_walk(m, id->domain, round);
	}
}

/* dmarc_author_domain - the Author Domain from the From fields (RFC 9989 5.3.1: one From field
 * whose mailboxes all have one domain; anything else gets no pass); *mailboxes counts them */
static enum dmarc_author dmarc_author_domain(const struct dmarc_field *from, size_t nfrom, char *domain,
					     size_t *mailboxes)
{
	struct address next;
	char d[DMARC_MAX_DOMAIN];
	size_t pos = 0;
	*mailboxes = 0;
	if (nfrom == 0)
		return DMARC_AUTHOR_NO_FROM;
	if (nfrom > 1)
		return DMARC_AUTHOR_SEVERAL_FROM;
	enum dmarc_author st = DMARC_AUTHOR_OK;
	const struct address *a = from[0].first; /* the first mailbox, parsed by the caller */
	if (a)
		pos = from[0].first_end;
	else if (address_next(from[0].value, from[0].len, &pos, &next))
		a = &next;
	for (; a; a = address_next(from[0].value, from[0].len, &pos, &next) ? &next : NULL) {
		if (!dmarc_lower(d, a->domain))
			st = DMARC_AUTHOR_BAD_ADDRESS;
		else if (!(*mailboxes)++)
			memcpy(domain, d, strlen(d) + 1);
		else if (strcmp(domain, d) && st == DMARC_AUTHOR_OK)
			st = DMARC_AUTHOR_SEVERAL_DOMAINS;
	}
	return *mailboxes == 0 ? DMARC_AUTHOR_BAD_ADDRESS : st;
}

/* dmarc_begin - read the From fields and start round 1 */
struct dmarc *dmarc_begin(struct arena *arena, struct dns *dns, const struct dmarc_field *from, size_t nfrom)
{
	struct dmarc *m = arena_alloc_raw(arena, sizeof *m);
	if (!m)
		return NULL;
	memset(m, 0, offsetof(struct dmarc, author_domain));
	m->arena = arena;
	m->dns = dns;
	m->author = dmarc_author_domain(from, nfrom, m->author_domain, &m->mailboxes);
	if (m->author != DMARC_AUTHOR_OK)
		m->author_domain[0] = '\0';
	else
		dmarc_id_add(m, m->author_domain); /* the first entry (no flood of other d= crowds it out),
						    * valid and in lower case already */
	dmarc_plan(m, 1);
	return m;
}

/* dmarc_id - the identifier entry of a domain, added if new; NULL if invalid or no room */
static struct dmarc_id *dmarc_id(struct dmarc *m, const char *domain)
{
	char d[DMARC_MAX_DOMAIN];
	/* an entry holds a valid name in lower case: one equal but for case is found unchecked */
	for (size_t i = 0; domain && i < m->nids; i++)
		if (!strcasecmp(m->ids[i].domain, domain))
			return &m->ids[i];
	return dmarc_lower(d, domain) ? dmarc_id_add(m, d) : NULL;
}

/* dmarc_id_add - a new identifier entry for a valid domain in lower case; NULL if no room */
static struct dmarc_id *dmarc_id_add(struct dmarc *m, const char *d)
{
	if (m->nids >= DMARC_MAX_IDENTIFIERS) {
		m->overflow = true;
		return NULL;
	}
	struct dmarc_id *id = &m->ids[m->nids++];
	memset(id, 0, sizeof *id);
	memcpy(id->domain, d, strlen(d) + 1);
	return id;
}

/* dmarc_next_round - the round of lookups started now, after the answers so far */
static unsigned dmarc_next_round(const struct dmarc *m)
{
	unsigned r = 0;
	for (size_t i = 0; i < m->nnames; i++)
		if (m->names[i].state == DMARC_ANSWERED && m->names[i].round > r)
			r = m->names[i].round;
	if (m->exists.state == DMARC_ANSWERED && m->exists.round > r)
		r = m->exists.round;
	return r + 1;
}

/* dmarc_news - whether setting a flag of id can change what dmarc_plan asks: not for the Author
 * Domain (never walked again), nor for an expected id (its walk is planned whenever the policy
 * allows relaxed alignment of either kind), nor for a flag already set */
static bool dmarc_news(const struct dmarc *m, const struct dmarc_id *id, bool was_set)
{
	return !was_set && !id->expected && strcmp(id->domain, m->author_domain) != 0;
}

/* dmarc_expect - an identifier that may pass */
void dmarc_expect(struct dmarc *m, const char *domain)
{
	struct dmarc_id *id = m ? dmarc_id(m, domain) : NULL;
	if (!id)
		return;
	bool news = dmarc_news(m, id, false);
	id->expected = true;
	if (news)
		dmarc_plan(m, dmarc_next_round(m));
}

/* dmarc_outcomes - the DKIM and SPF outcomes; starts the lookups they still need */
void dmarc_outcomes(struct dmarc *m, const struct dmarc_dkim *dkim, size_t ndkim, const struct dmarc_spf *spf)
{
	if (!m)
		return;
	bool news = false;
	for (size_t i = 0; i < ndkim; i++) {
		struct dmarc_id *id = dkim[i].pass || dkim[i].temperror ? dmarc_id(m, dkim[i].domain) : NULL;
		if (!id)
			continue;
		news = news || dmarc_news(m, id, id->dkim);
		id->dkim = true;
		id->dkim_pass = id->dkim_pass || dkim[i].pass;
		id->dkim_temp = id->dkim_temp || dkim[i].temperror;
		if (dkim[i].pass && !id->dkim_order)
			id->dkim_order = ++m->dkim_passes;
	}
	if (spf && (spf->result == DKMOD_SPF_PASS || spf->result == DKMOD_SPF_TEMPERROR)) {
		struct dmarc_id *id = dmarc_id(m, spf->domain);
		if (id) {
			news = news || dmarc_news(m, id, id->spf);
			id->spf = true;
			id->spf_pass = spf->result == DKMOD_SPF_PASS;
			id->spf_temp = spf->result == DKMOD_SPF_TEMPERROR;
		}
	}
	m->have_outcomes = true;
	if (news)
		dmarc_plan(m, dmarc_next_round(m));
}

/* dmarc_pending - queries asked and not yet answered */
size_t dmarc_pending(const struct dmarc *m)
{
	return m ? m->pending : 0;
}
