/*
 * session_trust.c - SPF and DKIM results from trusted upstream
 * Authentication-Results fields (RFC 8601 5 and 7.1).
 *
 * A field is believed only when the site's own MTAs wrote it, which a
 * reader can only tell by where it stands: the fields such MTAs add go on
 * top, everything below the point where the message entered the site was
 * written by whoever sent it.  The rule, from the top of the header down:
 *   - the walk ends at the first Received field whose "by" host is neither
 *     a trusted authserv-id nor a name under one (a hop outside the site),
 *     and at the first Authentication-Results field that is not of a trusted
 *     id (another id, ours, or an authserv-id that does not parse);
 *   - of each trusted id only the topmost field counts: a lower field of the
 *     same id is an attacker's when the trusted MTA writes its own on top;
 *   - a trusted id's topmost field that does not parse (arparse) ends the
 *     walk and gives nothing;
 *   - SPF comes from the topmost counted field with an spf result, when it
 *     has exactly one SPF result (or several that agree), a result of
 *     RFC 7208 and smtp.mailfrom or smtp.helo; with a known non-null MAIL
 *     FROM, smtp.mailfrom must name the same domain;
 *   - dkim=pass results with a header.d of every counted field are kept for
 *     DMARC, used at finish only for a d= the engine has no verdict of its own
 *     for (its own verification always stands).
 * The trusted MTA must write its field on top and remove fields that claim
 * its id from incoming mail (RFC 8601 5), or always write one: then a forged
 * field of its id lower in the header gains nothing.
 */
#include <string.h>
#include <strings.h>

#include "engine/session.h"
#include "msg/arparse.h"

/* session_trust_wanted - a verifying session of a context with trusted authserv-ids */
bool session_trust_wanted(const struct dkmod_session *s)
{
	const char *const *ids = s->ctx->opt.trusted_authserv_ids;
	return (s->flags & DKMOD_SESSION_VERIFY) && ids && ids[0];
}

/* session_trust_index - the index of id among the trusted authserv-ids (ASCII case-insensitive;
 * never our own id), or -1 */
static int session_trust_index(const struct dkmod_session *s, const char *id)
{
	const char *const *ids = s->ctx->opt.trusted_authserv_ids;
	if (strcasecmp(id, s->ctx->opt.authserv_id) == 0)
		return -1;
	for (int i = 0; ids[i] && i < 64; i++)
		if (strcasecmp(ids[i], id) == 0)
			return i;
	return -1;
}

/* session_trust_name_under - host (n bytes) is id or a name under it (ASCII case-insensitive) */
static bool session_trust_name_under(const char *host, size_t n, const char *id)
{
	size_t k = strlen(id);
	if (n == k)
		return strncasecmp(host, id, k) == 0;
	return n > k + 1 && host[n - k - 1] == '.' && strncasecmp(host + n - k, id, k) == 0;
}

/* session_trust_site_host - a host name of the site: our id, a trusted one, or a name under one */
static bool session_trust_site_host(const struct dkmod_session *s, const char *host, size_t n)
{
	const char *const *ids = s->ctx->opt.trusted_authserv_ids;
	if (session_trust_name_under(host, n, s->ctx->opt.authserv_id))
		return true;
	for (size_t i = 0; ids[i]; i++)
		if (session_trust_name_under(host, n, ids[i]))
			return true;
	return false;
}

/* session_trust_received_inside - whether a Received field was written inside the site: its
 * "by" host (the word after "by", comments skipped) is one of the site's */
static bool session_trust_received_inside(const struct dkmod_session *s, const char *v, size_t len)
{
	bool open, after_by = false;
	size_t i = arparse_skip_cfws(v, len, 0, &open);
	while (i < len && !open && v[i] != ';') {
		size_t start = i;
		while (i < len && v[i] != ';' && v[i] != '(' && v[i] != ' ' && v[i] != '\t' && v[i] != '\r' &&
		       v[i] != '\n')
			i++;
		if (after_by)
			return i - start > 0 && session_trust_site_host(s, v + start, i - start);
		after_by = i - start == 2 && strncasecmp(v + start, "by", 2) == 0;
		i = arparse_skip_cfws(v, len, i, &open);
	}
	return false;
}

/* session_trust_printable - v holds no control byte (it goes into our A-R and the log) */
static bool session_trust_printable(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* session_trust_spf - the SPF result of one counted field into t (topmost first): false (with
 * *why) when the field's SPF results cannot be taken; true also when it has none */
static bool session_trust_spf(struct dkmod_session *s, const struct arparse *ar, const char *id, const char **why)
{
	struct session_trust *t = &s->auth.trust;
	const struct arparse_result *first = NULL;
	for (size_t i = 0; i < ar->n; i++) {
		const struct arparse_result *r = &ar->results[i];
		if (strcmp(r->method, "spf") != 0)
			continue;
		if (first && strcmp(first->result, r->result) != 0)
			return *why = "spf results that disagree", false;
		first = first ? first : r;
	}
	if (!first)
		return true;
	int result = dkmod_spf_result_parse(first->result);
	const char *mailfrom = arparse_prop(first, "smtp", "mailfrom"), *helo = arparse_prop(first, "smtp", "helo");
	if (result < 0)
		return *why = "an spf result that RFC 7208 does not have", false;
	if (!mailfrom && !helo)
		return *why = "an spf result without smtp.mailfrom or smtp.helo", false;
	const char *at = mailfrom ? strrchr(mailfrom, '@') : NULL, *domain = mailfrom ? (at ? at + 1 : mailfrom) : "";
	if (!session_trust_printable(mailfrom ? mailfrom : helo) || (mailfrom && !dkmod_valid_domain(domain)))
		return *why = "an spf identity that is no address or name", false;
	const char *env = s->auth.mail_from, *env_at = env ? strrchr(env, '@') : NULL;
	if (mailfrom && env && env[0] && strcasecmp(env_at ? env_at + 1 : env, domain) != 0)
		return *why = "smtp.mailfrom is not the envelope's domain", false;
	if (!(t->spf_reason = arena_printf(&s->arena, "from trusted %s", id)))
		return *why = "out of memory", false;
	t->spf_id = id;
	t->spf = (enum dkmod_spf_result)result;
	t->spf_helo = !mailfrom;
	t->spf_identity = mailfrom ? mailfrom : helo;
	t->spf_domain = domain;
	return true;
}

/* session_trust_dkim_take - the dkim=pass results with header.d of one counted field */
static void session_trust_dkim_take(struct session_trust *t, const struct arparse *ar, const char *id)
{
	for (size_t i = 0; i < ar->n && t->ndkim < SESSION_TRUST_MAX_DKIM; i++) {
		const struct arparse_result *r = &ar->results[i];
		const char *d = arparse_prop(r, "header", "d"), *iv = arparse_prop(r, "header", "i");
		if (strcmp(r->method, "dkim") == 0 && strcmp(r->result, "pass") == 0 && d && dkmod_valid_domain(d))
			t->dkim[t->ndkim++] = (struct session_trust_dkim){d, iv ? iv : "", id, false};
	}
}

/* session_trust_field - one Authentication-Results field of the walk; false when the walk ends
 * (*oom on out of memory) */
static bool session_trust_field(struct dkmod_session *s, const struct header_field *f, bool seen[64], bool *spf_done,
				bool *oom)
{
	size_t len;
	const char *v = header_value(f, &len);
	struct arparse ar;
	const char *why = arparse(&s->arena, v, len, &ar);
	int k = ar.authserv_id ? session_trust_index(s, ar.authserv_id) : -1;
	if (why && strcmp(why, "out of memory") == 0)
		return *oom = true, false;
	if (k < 0) {
		session_log(s->ctx, DKMOD_LOG_DEBUG, "trust: stops at an A-R field of %.100s",
			    ar.authserv_id ? ar.authserv_id : "an authserv-id that does not parse");
		return false;
	}
	const char *id = s->ctx->opt.trusted_authserv_ids[k];
	if (seen[k])
		return true; /* not its topmost field: not believed */
	seen[k] = true;
	if (why) {
		session_log(s->ctx, DKMOD_LOG_WARNING, "trust: the A-R field of %s is not used: %s", id, why);
		return false;
	}
	if (!*spf_done && !session_trust_spf(s, &ar, id, &why)) {
		if (strcmp(why, "out of memory") == 0)
			return *oom = true, false;
		session_log(s->ctx, DKMOD_LOG_WARNING, "trust: SPF of %s not taken: %s", id, why);
	}
	*spf_done = *spf_done || s->auth.trust.spf_id || why != NULL;
	session_trust_dkim_take(&s->auth.trust, &ar, id);
	return true;
}

/* session_trust_read - the walk down from the top of the header (the rule above) */
bool session_trust_read(struct dkmod_session *s)
{
	bool seen[64] = {false}, spf_done = false, oom = false;
	for (size_t i = 0; i < s->nfields; i++) {
		const struct header_field *f = &s->fields[i];
		size_t len;
		const char *v = header_value(f, &len);
		if (header_is(f, "Received") && !session_trust_received_inside(s, v, len)) {
			session_log(s->ctx, DKMOD_LOG_DEBUG, "trust: stops at a Received field from outside the site");
			break;
		}
		if (header_is(f, "Authentication-Results") && !session_trust_field(s, f, seen, &spf_done, &oom))
			break;
	}
	if (s->auth.trust.spf_id)
		session_log(s->ctx, DKMOD_LOG_INFO, "spf: %s for %s from trusted %s, not checked here",
			    dkmod_spf_result_name(s->auth.trust.spf), s->auth.trust.spf_identity, s->auth.trust.spf_id);
	return !oom;
}

/* session_trust_dkim - mark the upstream passes for a d= without a verdict of the engine's own */
size_t session_trust_dkim(struct dkmod_session *s)
{
	struct session_trust *t = &s->auth.trust;
	size_t used = 0;
	for (size_t k = 0; k < t->ndkim; k++) {
		bool own = false;
		for (size_t i = 0; i < s->nresults && !own; i++)
			own = s->results[i].method == DKMOD_METHOD_DKIM &&
			      strcasecmp(s->results[i].domain, t->dkim[k].domain) == 0;
		for (size_t j = 0; j < k && !own; j++)
			own = t->dkim[j].used && strcasecmp(t->dkim[j].domain, t->dkim[k].domain) == 0;
		t->dkim[k].used = !own;
		used += !own;
	}
	return used;
}
