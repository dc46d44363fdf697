/*
 * ar.c - the Authentication-Results field (RFC 8601): writing ours, and
 * recognising forged ones that claim our authserv-id.
 */
#include <string.h>
#include <strings.h>

#include "session.h"

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

/* ar_value - append a value as a token, or as a quoted string when it must be */
static int ar_value(struct str *out, const char *v)
{
	const unsigned char *p = (const unsigned char *)v;
	while (*p && ar_is_plain_char(*p))
		p++;
	if (!*p && p != (const unsigned char *)v)
		return str_append(out, v, (size_t)(p - (const unsigned char *)v));
	if (str_appendc(out, '"') < 0)
		return -1;
	for (p = (const unsigned char *)v; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			continue; /* never let a value break the field */
		if ((*p == '"' || *p == '\\') && str_appendc(out, '\\') < 0)
			return -1;
		if (str_appendc(out, (char)*p) < 0)
			return -1;
	}
	return str_appendc(out, '"');
}

/* ar_b_prefix - how many characters of b= tell this result apart from the others (at least 8) */
static size_t ar_b_prefix(const struct dkmod_session *s, size_t k)
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

/* Words of a resinfo are separated by AR_SEP until ar_fold lays them out. */
#define AR_SEP '\x1f'
#define AR_WIDTH 78

/* ar_property - a "ptype.property=value" word */
static int ar_property(struct str *out, const char *name, const char *value)
{
	if (!value || !*value)
		return 0;
	if (str_appendc(out, AR_SEP) < 0 || str_appends(out, name) < 0 || str_appendc(out, '=') < 0)
		return -1;
	return ar_value(out, value);
}

/* ar_fold - append the words of w, each line under AR_WIDTH columns (a tab counts 8) */
static int ar_fold(struct str *out, const struct str *w)
{
	size_t col = 8;
	const char *p = str_cstr(w), *end = p + w->len;
	while (p < end) {
		const char *sep = memchr(p, AR_SEP, (size_t)(end - p));
		size_t n = sep ? (size_t)(sep - p) : (size_t)(end - p);
		if (col > 8 && col + 1 + n > AR_WIDTH) {
			if (str_append(out, "\r\n\t", 3) < 0)
				return -1;
			col = 8;
		} else if (col > 8) {
			if (str_appendc(out, ' ') < 0)
				return -1;
			col++;
		}
		if (str_append(out, p, n) < 0)
			return -1;
		col += n;
		p += n + (sep ? 1 : 0);
	}
	return 0;
}

/* ar_first_dk - the index of the first DomainKeys result */
static size_t ar_first_dk(const struct dkmod_session *s)
{
	size_t k = 0;
	while (k < s->nresults && s->results[k].method != DKMOD_METHOD_DOMAINKEYS)
		k++;
	return k;
}

/* ar_adsp - the dkim-adsp resinfo */
static int ar_adsp(const struct dkmod_session *s, struct str *out)
{
	if (str_append(out, "dkim-adsp=", 10) < 0 || str_appends(out, s->adsp.result) < 0)
		return -1;
	return ar_property(out, "header.from", s->adsp.author);
}

/* ar_one - one resinfo */
static int ar_one(struct dkmod_session *s, size_t k, struct str *out)
{
	const struct dkmod_sig_result *r = &s->results[k];
	const char *method = r->method == DKMOD_METHOD_DOMAINKEYS ? "domainkeys" : "dkim";
	if (str_appends(out, method) < 0 || str_appendc(out, '=') < 0 ||
	    str_appends(out, dkmod_result_name(r->result)) < 0)
		return -1;
	if (r->key_bits || r->dnssec != DKMOD_DNSSEC_UNKNOWN) {
		int rc = str_appendc(out, AR_SEP) < 0 || str_appendc(out, '(') < 0 ? -1 : 0;
		if (rc == 0 && r->key_bits)
			rc = str_append_uint(out, r->key_bits) < 0 || str_append(out, "-bit key", 8) < 0 ? -1 : 0;
		if (rc == 0 && r->key_bits && r->dnssec != DKMOD_DNSSEC_UNKNOWN)
			rc = str_append(out, "; ", 2);
		if (rc == 0 && r->dnssec != DKMOD_DNSSEC_UNKNOWN)
			rc = str_appends(out, dkmod_dnssec_name(r->dnssec));
		if (rc < 0 || str_appendc(out, ')') < 0)
			return -1;
	}
	if (r->testing && (str_appendc(out, AR_SEP) < 0 || str_append(out, "(testing key)", 13) < 0))
		return -1;
	if (r->reason[0] && (str_appendc(out, AR_SEP) < 0 || str_append(out, "reason=", 7) < 0 ||
			     ar_value(out, r->reason) < 0))
		return -1;
	if (r->method == DKMOD_METHOD_DOMAINKEYS && s->policies && k == ar_first_dk(s) &&
	    ar_property(out, "policy.dk", s->dk_policy.verdict) < 0)
		return -1;
	if (ar_property(out, "header.d", r->domain) < 0)
		return -1;
	if (r->method == DKMOD_METHOD_DKIM && ar_property(out, "header.i", r->identity) < 0)
		return -1;
	if (r->method == DKMOD_METHOD_DOMAINKEYS &&
	    ar_property(out, r->sender_from_sender ? "header.sender" : "header.from", r->sender) < 0)
		return -1;
	if (ar_property(out, "header.s", r->selector) < 0)
		return -1;
	if (r->method == DKMOD_METHOD_DKIM && ar_property(out, "header.a", r->algorithm) < 0)
		return -1;
	if (r->b[0]) {
		size_t n = ar_b_prefix(s, k);
		char prefix[DKIMSIG_MAX_B64];
		memcpy(prefix, r->b, n);
		prefix[n] = '\0';
		if (ar_property(out, "header.b", prefix) < 0)
			return -1;
	}
	return 0;
}

/* ar_build - the Authentication-Results value from the session's results; the whole
 * field ("Authentication-Results: " and the value) is left in s->ar_field */
char *ar_build(struct dkmod_session *s)
{
	static const char prefix[] = "Authentication-Results: ";
	struct str out = STR_INIT, words = STR_INIT;
	int rc = str_reserve(&out, 512) < 0 || str_reserve(&words, 256) < 0 ? -1 : 0;
	if (rc == 0)
		rc = str_append(&out, prefix, sizeof prefix - 1);
	if (rc == 0)
		rc = ar_value(&out, s->ctx->opt.authserv_id);
	for (size_t k = 0; rc == 0 && k < s->nresults; k++) {
		str_clear(&words);
		rc = str_append(&out, ";\r\n\t", 4);
		if (rc == 0)
			rc = ar_one(s, k, &words);
		if (rc == 0)
			rc = ar_fold(&out, &words);
	}
	if (rc == 0 && s->policies) {
		str_clear(&words);
		rc = str_append(&out, ";\r\n\t", 4);
		if (rc == 0)
			rc = ar_adsp(s, &words);
		if (rc == 0)
			rc = ar_fold(&out, &words);
	}
	s->ar_field = rc == 0 ? arena_strndup(&s->arena, str_cstr(&out), out.len) : NULL;
	str_free(&out);
	str_free(&words);
	return s->ar_field ? s->ar_field + sizeof prefix - 1 : NULL;
}

/* ar_skip_cfws - skip whitespace, line ends and (nested) comments */
static size_t ar_skip_cfws(const char *v, size_t len, size_t i)
{
	int depth = 0;
	for (; i < len; i++) {
		char c = v[i];
		if (depth) {
			if (c == '\\')
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
		} else if (c == '(') {
			depth = 1;
		} else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			break;
		}
	}
	return i;
}

/* ar_is_ours - true if an A-R field value names authserv_id */
bool ar_is_ours(const char *value, size_t len, const char *authserv_id)
{
	size_t i = ar_skip_cfws(value, len, 0), start = i;
	if (i < len && value[i] == '"') {
		start = ++i;
		while (i < len && value[i] != '"')
			i++;
	} else {
		while (i < len && value[i] != ';' && value[i] != ' ' && value[i] != '\t' && value[i] != '(' &&
		       value[i] != '\r' && value[i] != '\n')
			i++;
	}
	size_t n = strlen(authserv_id);
	return i - start == n && strncasecmp(value + start, authserv_id, n) == 0;
}
