/*
 * ar.c - the Authentication-Results field (RFC 8601): writing ours, and
 * recognising forged ones that claim our authserv-id.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/session.h"
#include "msg/arparse.h"
#include "msg/fold.h"

/* ar_is_plain_char - characters a value may hold without quotes: an RFC 2045 token
 * character, or '@', '/' or '=' */
static bool ar_is_plain_char(unsigned char c)
{
	switch (c) {
	case '(': case ')': case '<': case '>': case ',': case ';': case ':': case '\\': case '"':
	case '[': case ']': case '?':
		return false;
	default:
		return c > 0x20 && c < 0x7f;
	}
}

/* ar_value_len - the bytes ar_value writes for v; *plain if v goes without quotes */
static size_t ar_value_len(const char *v, bool *plain)
{
	const unsigned char *p = (const unsigned char *)v;
	while (*p && ar_is_plain_char(*p))
		p++;
	*plain = !*p && p != (const unsigned char *)v;
	if (*plain)
		return (size_t)(p - (const unsigned char *)v);
	size_t n = 2;
	for (p = (const unsigned char *)v; *p; p++)
		n += *p < 0x20 || *p == 0x7f ? 0 : *p == '"' || *p == '\\' ? 2 : 1;
	return n;
}

/* ar_value - append a value of len bytes (ar_value_len) as a token, or as a quoted
 * string when it must be */
static int ar_value(struct str *out, const char *v, bool plain, size_t len)
{
	if (plain)
		return str_append(out, v, len);
	return str_reserve(out, len) < 0 ? -1 : str_append_quoted(out, v);
}

/* ar_b_prefix - how many characters of b= tell this result apart from the others (at least 8) */
size_t ar_b_prefix(const struct dkmod_session *s, size_t k)
{
	const char *b = s->results[k].b;
	size_t len = strlen(b), need = len < 8 ? len : 8;
	for (size_t i = 0; i < s->nresults; i++) {
		const char *o = s->results[i].b;
		if (i == k || s->results[i].method != s->results[k].method || strcmp(o, b) == 0)
			continue;
		size_t common = 0;
		while (b[common] && b[common] == o[common])
			common++;
		if (common + 1 > need)
			need = common + 1 <= len ? common + 1 : len;
	}
	return need;
}

/* ar_word - before a word of n bytes: nothing for the first of a resinfo, else a space, or a
 * fold when the word would pass the width (fold.c, a tab counting 8) */
static int ar_word(struct fold *o, size_t n)
{
	return fold_room(o, n, o->col > o->indent);
}

/* ar_resinfo - start a resinfo on a line of its own */
static int ar_resinfo(struct fold *o)
{
	return str_appendc(o->out, ';') < 0 ? -1 : fold_newline(o);
}

/* The writers of a word are inlined where they are called: the name is a constant there, and so
 * is its length. */
#define AR_INLINE static inline __attribute__((always_inline))

/* ar_pair - a word "name=value" of a constant name and a result word */
AR_INLINE int ar_pair(struct fold *o, const char *name, const char *value)
{
	size_t n = strlen(name), v = strlen(value);
	if (ar_word(o, n + 1 + v) < 0 || str_append(o->out, name, n) < 0 || str_appendc(o->out, '=') < 0)
		return -1;
	return str_append(o->out, value, v);
}

/* ar_property - a "ptype.property=value" word (none for an empty value) */
AR_INLINE int ar_property(struct fold *o, const char *name, const char *value)
{
	if (!value || !*value)
		return 0;
	bool plain;
	size_t n = strlen(name), v = ar_value_len(value, &plain);
	if (ar_word(o, n + 1 + v) < 0 || str_append(o->out, name, n) < 0 || str_appendc(o->out, '=') < 0)
		return -1;
	return ar_value(o->out, value, plain, v);
}

/* ar_reason - a "reason=" word */
static int ar_reason(struct fold *o, const char *reason)
{
	bool plain;
	size_t v = ar_value_len(reason, &plain);
	if (ar_word(o, 7 + v) < 0 || str_append(o->out, "reason=", 7) < 0)
		return -1;
	return ar_value(o->out, reason, plain, v);
}

/* ar_key - the "(2048-bit key; secure)" comment word */
static int ar_key(struct fold *o, const struct dkmod_sig_result *r)
{
	char bits[24];
	size_t nb = 0;
	for (unsigned v = r->key_bits; v; v /= 10)
		nb++;
	for (unsigned v = r->key_bits, i = (unsigned)nb; i-- > 0; v /= 10)
		bits[i] = (char)('0' + v % 10);
	const char *dnssec = r->dnssec != DKMOD_DNSSEC_UNKNOWN ? dkmod_dnssec_name(r->dnssec) : "";
	size_t nd = strlen(dnssec), nk = r->key_bits ? 8 : 0, ns = r->key_bits && r->dnssec != DKMOD_DNSSEC_UNKNOWN ? 2 : 0;
	if (ar_word(o, 1 + nb + nk + ns + nd + 1) < 0 || str_appendc(o->out, '(') < 0 ||
	    str_append(o->out, bits, nb) < 0 || str_append(o->out, "-bit key", nk) < 0 ||
	    str_append(o->out, "; ", ns) < 0 || str_append(o->out, dnssec, nd) < 0)
		return -1;
	return str_appendc(o->out, ')');
}

/* ar_first_dk - the index of the first DomainKeys result */
static size_t ar_first_dk(const struct dkmod_session *s)
{
	size_t k = 0;
	while (k < s->nresults && s->results[k].method != DKMOD_METHOD_DOMAINKEYS)
		k++;
	return k;
}

/* ar_one - one resinfo */
static int ar_one(struct dkmod_session *s, size_t k, struct fold *o)
{
	const struct dkmod_sig_result *r = &s->results[k];
	const char *method = r->method == DKMOD_METHOD_DOMAINKEYS ? "domainkeys" : "dkim";
	if (ar_pair(o, method, dkmod_result_name(r->result)) < 0)
		return -1;
	if ((r->key_bits || r->dnssec != DKMOD_DNSSEC_UNKNOWN) && ar_key(o, r) < 0)
		return -1;
	if (r->testing && (ar_word(o, 13) < 0 || str_append(o->out, "(testing key)", 13) < 0))
		return -1;
	if (r->partial_body) { /* how much of the body the signature covers */
		char part[80];
		int n = snprintf(part, sizeof part, "(l=%ld of %lld body bytes signed)", r->body_length, r->body_bytes);
		if (ar_word(o, (size_t)n) < 0 || str_append(o->out, part, (size_t)n) < 0)
			return -1;
	}
	if (r->reason[0] && ar_reason(o, r->reason) < 0)
		return -1;
	if (r->method == DKMOD_METHOD_DOMAINKEYS && s->policy.started && k == ar_first_dk(s) &&
	    ar_property(o, "policy.dk", s->policy.dk.verdict) < 0)
		return -1;
	if (ar_property(o, "header.d", r->domain) < 0)
		return -1;
	if (r->method == DKMOD_METHOD_DKIM && ar_property(o, "header.i", r->identity) < 0)
		return -1;
	if (r->method == DKMOD_METHOD_DOMAINKEYS &&
	    ar_property(o, r->sender_from_sender ? "header.sender" : "header.from", r->sender) < 0)
		return -1;
	if (ar_property(o, "header.s", r->selector) < 0)
		return -1;
	if (r->method == DKMOD_METHOD_DKIM && ar_property(o, "header.a", r->algorithm) < 0)
		return -1;
	if (r->b[0]) {
		size_t n = ar_b_prefix(s, k);
		char prefix[DKIMSIG_MAX_B64];
		memcpy(prefix, r->b, n);
		prefix[n] = '\0';
		if (ar_property(o, "header.b", prefix) < 0)
			return -1;
	}
	return 0;
}

/* ar_trusted - the "(from trusted ID)" comment of a result taken from a trusted upstream field
 * (the ids are tokens without parentheses: ctx.c); nothing for a result of ours */
static int ar_trusted(struct fold *o, const char *id)
{
	if (!id || !id[0])
		return 0;
	size_t n = strlen(id);
	if (ar_word(o, 15 + n) < 0 || str_append(o->out, "(from trusted ", 14) < 0 || str_append(o->out, id, n) < 0)
		return -1;
	return str_appendc(o->out, ')');
}

/* ar_spf - the spf resinfo (RFC 8601 2.7.2) when SPF was checked: smtp.mailfrom with the sender
 * checked (postmaster@HELO for the null sender, RFC 7208 2.4), or smtp.helo for the HELO identity;
 * as `dkmod spf` prints it */
static int ar_spf(const struct dkmod_session *s, struct fold *o)
{
	const struct dkmod_spf_answer *a = &s->auth.spf_answer;
	if (!s->auth.spf_checked)
		return 0;
	return ar_resinfo(o) < 0 || ar_pair(o, "spf", dkmod_spf_result_name(a->result)) < 0 ||
			       ar_trusted(o, a->trusted) < 0 ||
			       ar_property(o, a->helo_scope ? "smtp.helo" : "smtp.mailfrom", a->identity) < 0
		       ? -1 : 0;
}

/* ar_upstream_dkim - a dkim=pass resinfo for each upstream pass DMARC used (session_trust.c) */
static int ar_upstream_dkim(const struct dkmod_session *s, struct fold *o)
{
	const struct session_trust *t = &s->auth.trust;
	for (size_t i = 0; i < t->ndkim; i++)
		if (t->dkim[i].used && (ar_resinfo(o) < 0 || ar_pair(o, "dkim", "pass") < 0 ||
					ar_trusted(o, t->dkim[i].id) < 0 || ar_property(o, "header.d", t->dkim[i].domain) < 0 ||
					ar_property(o, "header.i", t->dkim[i].identity) < 0))
			return -1;
	return 0;
}

/* ar_dmarc - the dmarc resinfo (RFC 9989): the result, the record's policies and the disposition
 * in a comment, the reason, the author domain */
static int ar_dmarc(const struct dkmod_session *s, struct fold *o)
{
	const struct dkmod_dmarc *d = dkmod_session_dmarc(s);
	if (!d)
		return 0;
	if (ar_resinfo(o) < 0 || ar_pair(o, "dmarc", dkmod_dmarc_result_name(d->result)) < 0)
		return -1;
	if (d->have_record) {
		char c[80];
		const char *parts[] = {"(p=", d->p, " sp=", d->sp, " dis=", d->disposition, ")"};
		size_t n = str_join(c, sizeof c, parts, sizeof parts / sizeof parts[0]);
		n = n < sizeof c ? n : sizeof c - 1;
		if (ar_word(o, n) < 0 || str_append(o->out, c, n) < 0)
			return -1;
	}
	if (d->reason[0] && d->result != DKMOD_DMARC_PASS && ar_reason(o, d->reason) < 0)
		return -1;
	return ar_property(o, "header.from", d->author_domain);
}

/* ar_build - the Authentication-Results value from the session's results; the whole
 * field ("Authentication-Results: " and the value) is left in s->ar_field */
char *ar_build(struct dkmod_session *s)
{
	static const char prefix[] = "Authentication-Results: ";
	struct str out = STR_INIT;
	struct fold o;
	fold_tabbed(&o, &out, 0);
	bool plain;
	size_t n = ar_value_len(s->ctx->opt.authserv_id, &plain);
	int rc = str_reserve(&out, 512) < 0 || str_append(&out, prefix, sizeof prefix - 1) < 0 ||
			 ar_value(&out, s->ctx->opt.authserv_id, plain, n) < 0 ? -1 : 0;
	for (size_t k = 0; rc == 0 && k < s->nresults; k++)
		rc = ar_resinfo(&o) < 0 || ar_one(s, k, &o) < 0 ? -1 : 0;
	if (rc == 0 && s->policy.started)
		rc = ar_resinfo(&o) < 0 || ar_pair(&o, "dkim-adsp", s->policy.adsp.result) < 0 ||
			     ar_property(&o, "header.from", s->policy.adsp.author) < 0 ? -1 : 0;
	if (rc == 0)
		rc = ar_upstream_dkim(s, &o) < 0 || ar_spf(s, &o) < 0 || ar_dmarc(s, &o) < 0 ? -1 : 0;
	s->ar_field = rc == 0 ? arena_strndup(&s->arena, str_cstr(&out), out.len) : NULL;
	str_free(&out);
	return s->ar_field ? s->ar_field + sizeof prefix - 1 : NULL;
}

/* ar_lower - an ASCII letter in lower case, any other byte as it is */
static char ar_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* ar_authserv_id - whose an A-R field value is (RFC 8601 2.2): the authserv-id is an RFC 2045
 * value (token, or quoted-string whose quoted-pairs stand for their character and whose
 * folding is invisible) after optional CFWS, followed by CFWS and ';', a version, or the end;
 * compared with ours ASCII case-insensitively.  AR_UNSURE when it does not parse that way. */
enum ar_owner ar_authserv_id(const char *value, size_t len, const char *authserv_id)
{
	bool open;
	size_t i = arparse_skip_cfws(value, len, 0, &open), n = strlen(authserv_id), k = 0;
	bool same = true;
	if (open || i == len)
		return AR_UNSURE;
	if (value[i] == '"') {
		for (i++;; i++) {
			if (i == len)
				return AR_UNSURE;
			char c = value[i];
			if (c == '"')
				break;
			if (c == '\r' || c == '\n')
				continue; /* the line end of a fold is not part of the string */
			if (c == '\\' && ++i == len)
				return AR_UNSURE;
			same = same && k < n && ar_lower(value[i]) == ar_lower(authserv_id[k]);
			k++;
		}
		i++;
	} else {
		size_t start = i;
		while (i < len && arparse_token_char((unsigned char)value[i]))
			i++;
		if (i == start)
			return AR_UNSURE;
		k = i - start;
		same = k == n && strncasecmp(value + start, authserv_id, n) == 0;
	}
	size_t after = arparse_skip_cfws(value, len, i, &open);
	if (open || (after < len && value[after] != ';' && !(value[after] >= '0' && value[after] <= '9')))
		return AR_UNSURE;
	if (after < len && value[after] != ';' && after == i)
		return AR_UNSURE; /* a version must be apart from the id */
	return same && k == n ? AR_OURS : AR_OTHER;
}
