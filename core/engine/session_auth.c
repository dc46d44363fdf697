/*
 * session_auth.c - SPF (RFC 7208) and DMARC (RFC 9989) in a verifying session.
 *
 * The envelope starts the SPF check at once on the session's resolver; the end
 * of the headers starts DMARC with every From field and tells it the domains
 * that may pass (each signature's d=, the SPF domain), so that their
 * organizational domains are looked up beside the keys.  Finish waits once for
 * all of it (session.c), then hands DMARC the DKIM verdicts and SPF's; a
 * second wait only comes when DMARC still has to ask something (a domain it
 * was not told of early).  A header cut at the limits never gives a DMARC pass.
 */
#include <arpa/inet.h>
#include <string.h>

#include "engine/session.h"

/* session_auth_spf_request - the check the envelope asks for; false when there is none: no
 * client address, or neither a sender nor a HELO name to check */
static bool session_auth_spf_request(const struct session_auth *a, const char *ip, struct spf_request *req)
{
	if (!ip || (!a->helo && !(a->mail_from && a->mail_from[0])))
		return false; /* the null sender and the HELO identity are checked with the HELO name */
	req->ip = ip;
	req->helo = a->helo;
	req->mail_from = a->mail_from;
	req->scope = a->mail_from ? SPF_SCOPE_MAILFROM : SPF_SCOPE_HELO;
	return true;
}

/* session_auth_spf_start - start the check of req on the context's resolver */
static enum dkmod_status session_auth_spf_start(struct dkmod_session *s, const struct spf_request *req)
{
	struct session_auth *a = &s->auth;
	struct dns *d = ctx_dns(s->ctx);
	if (!d)
		return DKMOD_OK; /* logged by ctx_dns: SPF gives temperror */
	if (!s->deadline_ms)
		s->deadline_ms = dns_now_ms() + s->ctx->opt.resolver.timeout_ms; /* the message's one budget */
	const char *why = "";
	a->spf = spf_start(d, req, &why);
	if (!a->spf) {
		a->spf_checked = false;
		session_log(s->ctx, DKMOD_LOG_WARNING, "spf: not checked: %s", why);
		return strcmp(why, "out of memory") == 0 ? DKMOD_ENOMEM : DKMOD_EINVAL;
	}
	return DKMOD_OK;
}

/* session_auth_request - the check of the session's envelope; false when there is none */
static bool session_auth_request(const struct dkmod_session *s, struct spf_request *req)
{
	*req = (struct spf_request){.receiver = s->ctx->opt.authserv_id, .now = (long long)session_now(s->ctx)};
	return (s->flags & DKMOD_SESSION_VERIFY) && s->ctx->opt.check_spf &&
	       session_auth_spf_request(&s->auth, s->auth.client_ip, req);
}

/* dkmod_session_envelope - the SMTP envelope; starts the SPF check of a verifying session, or
 * keeps it for the end of the headers when a trusted upstream field may give its result */
enum dkmod_status dkmod_session_envelope(struct dkmod_session *s, const char *client_ip, const char *helo,
					 const char *mail_from)
{
	struct session_auth *a = &s->auth;
	if (s->phase != SESSION_HEADERS || a->envelope)
		return DKMOD_ESTATE;
	a->envelope = true;
	if ((helo && !(a->helo = arena_strdup(&s->arena, helo))) ||
	    (mail_from && !(a->mail_from = arena_strdup(&s->arena, mail_from))) ||
	    (client_ip && !(a->client_ip = arena_strdup(&s->arena, client_ip))))
		return DKMOD_ENOMEM;
	struct spf_request req;
	if (!session_auth_request(s, &req))
		return DKMOD_OK;
	a->spf_checked = true;
	if (!session_trust_wanted(s))
		return session_auth_spf_start(s, &req);
	unsigned char addr[16];
	if (inet_pton(AF_INET, client_ip, addr) != 1 && inet_pton(AF_INET6, client_ip, addr) != 1) {
		a->spf_checked = false;
		session_log(s->ctx, DKMOD_LOG_WARNING, "spf: not checked: the client address is not one");
		return DKMOD_EINVAL;
	}
	a->spf_wait = true;
	return DKMOD_OK;
}

/* session_auth_trust - at the end of the headers, with trusted ids: the trusted fields, and the
 * SPF check that waited for them when they gave no SPF result */
static bool session_auth_trust(struct dkmod_session *s)
{
	struct session_auth *a = &s->auth;
	if (!session_trust_wanted(s) || !s->ctx->opt.check_spf)
		return true;
	if (!session_trust_read(s))
		return false;
	if (a->trust.spf_id)
		a->spf_checked = true; /* known, though not checked here */
	struct spf_request req;
	if (!a->spf_wait || a->trust.spf_id || !session_auth_request(s, &req))
		return true;
	return session_auth_spf_start(s, &req) != DKMOD_ENOMEM;
}

/* session_auth_from - every From field the header had: the stored ones, and an empty one for
 * each that fieldscan counted past the limits (so that DMARC sees them all); *n gets the count.
 * The first one's first mailbox is the author's, parsed already (session_author). */
static struct dmarc_field *session_auth_from(struct dkmod_session *s, size_t *n)
{
	const struct sender *author = session_author(s);
	size_t stored = 0;
	for (size_t i = 0; i < s->nfields; i++)
		stored += header_is(&s->fields[i], "From");
	*n = s->single[0] > stored ? s->single[0] : stored; /* single[0]: the From fields counted */
	struct dmarc_field *from = arena_alloc(&s->arena, (*n ? *n : 1) * sizeof *from);
	if (!from)
		return NULL;
	for (size_t i = 0; i < *n; i++)
		from[i] = (struct dmarc_field){.value = ""};
	for (size_t i = 0, k = 0; i < s->nfields && k < *n; i++)
		if (header_is(&s->fields[i], "From"))
			from[k].value = header_value(&s->fields[i], &from[k].len), k++;
	if (*n && author->parsed)
		from[0].first = &author->addr, from[0].first_end = author->end;
	return from;
}

/* session_auth_headers - DMARC's first round, and the domains that may pass */
bool session_auth_headers(struct dkmod_session *s)
{
	struct session_auth *a = &s->auth;
	if (!session_auth_trust(s))
		return false;
	if (!s->ctx->opt.check_dmarc)
		return true;
	struct dns *d = ctx_dns(s->ctx);
	if (!d)
		return true; /* logged by ctx_dns */
	size_t n;
	struct dmarc_field *from = session_auth_from(s, &n);
	if (!from || !(a->dmarc = dmarc_begin(&s->arena, d, from, n)))
		return false;
	for (size_t i = 0; i < s->dkimverify.nchecks; i++)
		if (s->dkimverify.checks[i].sig.domain[0])
			dmarc_expect(a->dmarc, s->dkimverify.checks[i].sig.domain);
	if (a->spf && a->mail_from) {
		struct spf_outcome o;
		spf_result(a->spf, &o);
		dmarc_expect(a->dmarc, o.domain);
	}
	if (a->trust.spf_id && a->trust.spf_domain[0])
		dmarc_expect(a->dmarc, a->trust.spf_domain);
	for (size_t i = 0; i < a->trust.ndkim; i++)
		dmarc_expect(a->dmarc, a->trust.dkim[i].domain);
	return true;
}

/* session_auth_spf_answer - SPF's verdict in the public form (temperror without a resolver) */
static void session_auth_spf_answer(struct session_auth *a)
{
	struct dkmod_spf_answer *p = &a->spf_answer;
	*p = (struct dkmod_spf_answer){.result = a->spf_checked ? DKMOD_SPF_TEMPERROR : DKMOD_SPF_NONE,
				       .identity = "", .domain = "", .explanation = "",
				       .reason = a->spf_checked ? "no resolver" : "not checked"};
	if (a->spf)
		spf_answer(a->spf, p);
	if (a->trust.spf_id)
		*p = (struct dkmod_spf_answer){.result = a->trust.spf, .helo_scope = a->trust.spf_helo,
					       .identity = a->trust.spf_identity, .domain = a->trust.spf_domain,
					       .explanation = "", .reason = a->trust.spf_reason,
					       .trusted = a->trust.spf_id};
	p->trusted = p->trusted ? p->trusted : "";
}

/* session_auth_dmarc_answer - DMARC's verdict in the public form */
static void session_auth_dmarc_answer(struct session_auth *a)
{
	const struct dmarc_verdict *v = a->verdict;
	const struct dmarcrec *r = &v->record;
	a->dmarc_answer = (struct dkmod_dmarc){
		.result = v->result, .reason = v->reason, .author_domain = v->author_domain,
		.org_domain = v->org_domain, .record_domain = v->record_domain, .have_record = v->have_record,
		.p = v->have_record ? dmarcrec_policy_name(r->p) : "",
		.sp = v->have_record ? dmarcrec_policy_name(r->has_sp ? r->sp : r->p) : "",
		.policy = v->have_record ? dmarcrec_policy_name(v->policy) : "",
		.policy_tag = dmarc_policy_tag_name(v->policy_tag), .testing = v->testing,
		.disposition = dmarcrec_policy_name(v->disposition), .dkim_aligned = v->dkim_aligned,
		.spf_aligned = v->spf_aligned, .dkim_domain = v->dkim_domain, .spf_domain = v->spf_domain,
		.queries = v->queries, .rounds = v->rounds};
}

/* session_auth_finish - DMARC's outcomes and verdict, SPF's answer */
bool session_auth_finish(struct dkmod_session *s)
{
	struct session_auth *a = &s->auth;
	session_auth_spf_answer(a);
	size_t upstream = session_trust_dkim(s);
	if (!a->dmarc)
		return true;
	struct dmarc_dkim *dkim = arena_alloc(&s->arena, (s->nresults + upstream + 1) * sizeof *dkim);
	if (!dkim || !(a->verdict = arena_alloc_raw(&s->arena, sizeof *a->verdict))) /* dmarc_verdict clears it */
		return false;
	size_t n = 0;
	for (size_t i = 0; i < s->nresults; i++) {
		const struct dkmod_sig_result *r = &s->results[i];
		if (r->method == DKMOD_METHOD_DKIM && r->domain[0])
			dkim[n++] = (struct dmarc_dkim){r->domain, r->result == DKMOD_RESULT_PASS,
							r->result == DKMOD_RESULT_TEMPERROR};
	}
	for (size_t i = 0; i < a->trust.ndkim; i++) /* upstream passes for a d= without a verdict here */
		if (a->trust.dkim[i].used)
			dkim[n++] = (struct dmarc_dkim){a->trust.dkim[i].domain, true, false};
	/* RFC 9989: SPF counts for MAIL FROM's domain, or HELO's for the null sender; an unknown
	 * sender gives SPF nothing to align */
	struct dmarc_spf spf = {DKMOD_SPF_NONE, ""};
	if (a->spf_checked && a->mail_from)
		spf = (struct dmarc_spf){a->spf_answer.result, a->spf_answer.domain};
	if (a->trust.spf_id) /* smtp.mailfrom's domain; smtp.helo alone gives nothing to align */
		spf = (struct dmarc_spf){a->trust.spf, a->trust.spf_domain};
	dmarc_outcomes(a->dmarc, dkim, n, &spf);
	if (dmarc_pending(a->dmarc))
		dns_wait(s->ctx->dns, s->deadline_ms);
	dmarc_verdict(a->dmarc, a->verdict);
	if (s->overflow && a->verdict->result == DKMOD_DMARC_PASS) {
		/* a From field may have lost a line (or a field its place) at the limits */
		a->verdict->result = DKMOD_DMARC_PERMERROR;
		a->verdict->reason = "header not fully inspected";
	}
	session_auth_dmarc_answer(a);
	return true;
}

/* session_auth_free - free the SPF check */
void session_auth_free(struct dkmod_session *s)
{
	spf_free(s->auth.spf);
	s->auth.spf = NULL;
}

/* dkmod_session_spf - the SPF answer after finish */
bool dkmod_session_spf(const struct dkmod_session *s, struct dkmod_spf_answer *a)
{
	if (s->phase != SESSION_DONE || !(s->flags & DKMOD_SESSION_VERIFY)) {
		*a = (struct dkmod_spf_answer){.identity = "", .domain = "", .explanation = "", .reason = "not checked"};
		return false;
	}
	*a = s->auth.spf_answer;
	return s->auth.spf_checked;
}

/* dkmod_session_dmarc - the DMARC verdict after finish, or NULL */
const struct dkmod_dmarc *dkmod_session_dmarc(const struct dkmod_session *s)
{
	return s->phase == SESSION_DONE && s->auth.verdict ? &s->auth.dmarc_answer : NULL;
}
