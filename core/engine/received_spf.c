/*
 * received_spf.c - the Received-SPF field (RFC 7208 9.1):
 *   Received-SPF: RESULT (RECEIVER: EXPLANATION) receiver=..; client-ip=..;
 *     envelope-from=..; helo=..; identity=mailfrom|helo; mechanism=.. | problem=..
 * (envelope-from and helo when known; the null sender is envelope-from="")
 * Only for a check this session made (a result taken from a trusted upstream
 * field has no field of ours: its MTA writes its own).  The HELO name and
 * MAIL FROM are the client's words: in the comment, bytes that could end it
 * or the field ('(', ')', '\', controls, non-ASCII) become '?'; a value that is
 * not a dot-atom is a quoted string with '"' and '\' escaped and controls
 * left out.  So nothing the client sends can add a field or a key.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/received_spf.h"
#include "engine/session.h"
#include "msg/fold.h"

/* bytes of one value written (the rest is cut): with its escapes, no line of the field nears
 * the 998 bytes RFC 5322 allows, whatever the client sent */
#define RECEIVED_SPF_MAX_VALUE 400

/* received_spf_atext - a character of an RFC 5322 atom */
static bool received_spf_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* received_spf_dot_atom - v is a dot-atom: atoms joined by single dots */
static bool received_spf_dot_atom(const char *v)
{
	bool after_dot = true;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '.' && after_dot)
			return false;
		if (*p != '.' && !received_spf_atext(*p))
			return false;
		after_dot = *p == '.';
	}
	return !after_dot;
}

/* received_spf_pair - "; key=value" (the first without "; "), value (cut at RECEIVED_SPF_MAX_VALUE
 * bytes) as a dot-atom or quoted */
static int received_spf_pair(struct str *out, const char *key, const char *v)
{
	char cut[RECEIVED_SPF_MAX_VALUE + 1];
	if (strlen(v) > RECEIVED_SPF_MAX_VALUE) {
		memcpy(cut, v, RECEIVED_SPF_MAX_VALUE);
		cut[RECEIVED_SPF_MAX_VALUE] = '\0';
		v = cut;
	}
	if ((out->len && str_appends(out, "; ") < 0) || str_appends(out, key) < 0 || str_appendc(out, '=') < 0)
		return -1;
	return received_spf_dot_atom(v) ? str_appends(out, v) : str_append_quoted(out, v);
}

/* received_spf_comment_text - text for the comment (cut at RECEIVED_SPF_MAX_VALUE bytes): bytes
 * that could close it, escape from it or break the field become '?' */
static int received_spf_comment_text(struct str *out, const char *v)
{
	const unsigned char *p = (const unsigned char *)v;
	for (; *p && p < (const unsigned char *)v + RECEIVED_SPF_MAX_VALUE; p++) {
		bool bad = *p < 0x20 || *p >= 0x7f || *p == '(' || *p == ')' || *p == '\\';
		if (str_appendc(out, bad ? '?' : (char)*p) < 0)
			return -1;
	}
	return 0;
}

/* received_spf_comment - "(RECEIVER: the result in words)" */
static int received_spf_comment(struct str *out, const struct dkmod_spf_answer *a, const char *receiver,
				const char *ip)
{
	static const char *const words[] = {
		[DKMOD_SPF_NONE] = "domain of | does not publish SPF",
		[DKMOD_SPF_NEUTRAL] = "| is neither permitted nor denied by domain of |",
		[DKMOD_SPF_PASS] = "domain of | designates | as permitted sender",
		[DKMOD_SPF_FAIL] = "domain of | does not designate | as permitted sender",
		[DKMOD_SPF_SOFTFAIL] = "domain of transitioning | does not designate | as permitted sender",
		[DKMOD_SPF_TEMPERROR] = "temporary error checking |",
		[DKMOD_SPF_PERMERROR] = "permanent error checking |"};
	const char *w = (unsigned)a->result < sizeof words / sizeof *words ? words[a->result] : words[0];
	bool ip_first = a->result == DKMOD_SPF_NEUTRAL;
	if (str_appendc(out, '(') < 0 || received_spf_comment_text(out, receiver) < 0 || str_appends(out, ": ") < 0)
		return -1;
	for (int k = 0; *w; k++) {
		size_t n = strcspn(w, "|");
		if (str_append(out, w, n) < 0)
			return -1;
		w += n;
		if (!*w)
			break;
		w++;
		if (received_spf_comment_text(out, (k == 0) == ip_first ? ip : a->identity) < 0)
			return -1;
	}
	return str_appendc(out, ')');
}

/* received_spf_mechanism - the mechanism named by a reason "mechanism M matched in D" into buf */
static const char *received_spf_mechanism(const char *reason, char *buf, size_t size)
{
	static const char head[] = "mechanism ";
	if (strncmp(reason, head, sizeof head - 1) != 0)
		return NULL;
	const char *m = reason + sizeof head - 1, *end = strstr(m, " matched in ");
	if (!end || (size_t)(end - m) >= size)
		return NULL;
	memcpy(buf, m, (size_t)(end - m));
	buf[end - m] = '\0';
	return buf;
}

/* received_spf_value - the field's value */
static int received_spf_value(const struct dkmod_session *s, struct str *out)
{
	const struct session_auth *a = &s->auth;
	const struct dkmod_spf_answer *r = &a->spf_answer;
	const char *receiver = s->ctx->opt.authserv_id, *ip = a->client_ip ? a->client_ip : "";
	struct str pairs = STR_INIT;
	char mech[300];
	bool problem = r->result == DKMOD_SPF_TEMPERROR || r->result == DKMOD_SPF_PERMERROR;
	const char *m = problem ? NULL : received_spf_mechanism(r->reason, mech, sizeof mech);
	int rc = received_spf_pair(&pairs, "receiver", receiver) < 0 || received_spf_pair(&pairs, "client-ip", ip) < 0 ||
				 (a->mail_from && received_spf_pair(&pairs, "envelope-from", a->mail_from) < 0) ||
				 (a->helo && received_spf_pair(&pairs, "helo", a->helo) < 0) ||
				 received_spf_pair(&pairs, "identity", r->helo_scope ? "helo" : "mailfrom") < 0 ||
				 (m && received_spf_pair(&pairs, "mechanism", m) < 0) ||
				 (problem && r->reason[0] && received_spf_pair(&pairs, "problem", r->reason) < 0)
			 ? -1 : 0;
	if (rc == 0)
		rc = str_appends(out, dkmod_spf_result_name(r->result)) < 0 || str_appendc(out, ' ') < 0 ||
				     received_spf_comment(out, r, receiver, ip) < 0 || str_appendc(out, ' ') < 0 ||
				     str_append(out, pairs.data, pairs.len) < 0 ? -1 : 0;
	str_free(&pairs);
	return rc;
}

/* received_spf_build - the whole field, folded, when the context asks for it */
bool received_spf_build(struct dkmod_session *s, const char **field)
{
	*field = NULL;
	if (!s->ctx->opt.received_spf || !s->auth.spf || !(s->flags & DKMOD_SESSION_VERIFY))
		return true;
	struct str value = STR_INIT;
	char *folded = received_spf_value(s, &value) == 0 ? dkmod_header_fold("Received-SPF", str_cstr(&value)) : NULL;
	str_free(&value);
	if (folded)
		*field = arena_strdup(&s->arena, folded);
	free(folded);
	return *field != NULL;
}
