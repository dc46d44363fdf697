/*
 * dkimsig.c - parsing the DKIM-Signature header field (RFC 6376 3.5).
 */
#include "record/dkimsig.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "record/base64.h"
#include "msg/header.h"
#include "record/tagvalue.h"

/* dkimsig_strerror - the reason for a status */
const char *dkimsig_strerror(enum dkimsig_status st)
{
	switch (st) {
	case DKIMSIG_OK: return "";
	case DKIMSIG_SYNTAX: return "signature syntax error";
	case DKIMSIG_MISSING_TAG: return "signature lacks a required tag";
	case DKIMSIG_VERSION: return "signature version is not 1 (pre-RFC draft)";
	case DKIMSIG_ALGORITHM: return "unsupported signature algorithm";
	case DKIMSIG_CANON: return "unsupported canonicalization";
	case DKIMSIG_QUERY: return "unsupported query method";
	case DKIMSIG_DOMAIN: return "malformed d= or s=";
	case DKIMSIG_IDENTITY: return "i= is not within d=";
	case DKIMSIG_NO_FROM: return "From is not signed";
	case DKIMSIG_NUMBER: return "malformed l=, t= or x=";
	case DKIMSIG_BASE64: return "malformed b= or bh=";
	case DKIMSIG_TOO_MANY_NAMES: return "h= names more than " HEADER_STR(HEADER_MAX_SIGNED) " fields";
	}
	return "signature error";
}

/* The bytes of a label, a bit each: '-', '0'..'9' (0x00-0x3f); 'A'..'Z', '_', 'a'..'z' (0x40-0x7f). */
static const uint64_t dkimsig_label_chars[2] = {0x03ff200000000000ULL, 0x07fffffe87fffffeULL};

/* dkimsig_valid_domain - dot-separated labels of letters, digits, '-' and '_' */
bool dkimsig_valid_domain(const char *s, size_t len)
{
	if (len == 0 || len >= DKIMSIG_MAX_NAME)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (c >= 128 || !(dkimsig_label_chars[c >> 6] >> (c & 63) & 1) || ++label > 63)
			return false;
	}
	return label > 0;
}

/* dkimsig_domain_within - sub equals dom or ends in "." dom */
bool dkimsig_domain_within(const char *sub, const char *dom)
{
	size_t ls = strlen(sub), ld = strlen(dom);
	if (ls == ld)
		return strcasecmp(sub, dom) == 0;
	return ls > ld && sub[ls - ld - 1] == '.' && strcasecmp(sub + ls - ld, dom) == 0;
}

/* dkimsig_copy - copy a tag value into a fixed buffer; false if it does not fit */
static bool dkimsig_copy(char *dst, size_t cap, const struct tagvalue *t)
{
	if (t->value_len >= cap)
		return false;
	memcpy(dst, t->value, t->value_len);
	dst[t->value_len] = '\0';
	return true;
}

/* dkimsig_number - a tag of 1 to 18 digits */
static bool dkimsig_number(const struct tagvalue *t, long long *out)
{
	if (t->value_len == 0 || t->value_len > 18)
		return false;
	long long v = 0;
	for (size_t i = 0; i < t->value_len; i++) {
		if (t->value[i] < '0' || t->value[i] > '9')
			return false;
		v = v * 10 + (t->value[i] - '0');
	}
	*out = v;
	return true;
}

/* dkimsig_canon_word - "simple" or "relaxed" */
bool dkimsig_canon_word(const char *p, size_t n, enum dkmod_canon *out)
{
	if (n == 6 && memcmp(p, "simple", 6) == 0)
		*out = DKMOD_CANON_SIMPLE;
	else if (n == 7 && memcmp(p, "relaxed", 7) == 0)
		*out = DKMOD_CANON_RELAXED;
	else
		return false;
	return true;
}

/* dkimsig_parse_canon - c=: header[/body], body defaulting to simple */
static bool dkimsig_parse_canon(const struct tagvalue *t, struct dkimsig *sig)
{
	const char *slash = memchr(t->value, '/', t->value_len);
	size_t first = slash ? (size_t)(slash - t->value) : t->value_len;
	if (!dkimsig_canon_word(t->value, first, &sig->header_canon))
		return false;
	sig->body_canon = DKMOD_CANON_SIMPLE;
	if (slash)
		return dkimsig_canon_word(slash + 1, t->value_len - first - 1, &sig->body_canon);
	return true;
}

/* dkimsig_parse_alg - a=: the name kept (cut), the algorithm told by its length first */
static bool dkimsig_parse_alg(const struct tagvalue *t, struct dkimsig *sig)
{
	size_t n = t->value_len < sizeof sig->algorithm ? t->value_len : sizeof sig->algorithm - 1;
	memcpy(sig->algorithm, t->value, n);
	sig->algorithm[n] = '\0';
	if (t->value_len == 10 && memcmp(t->value, "rsa-sha256", 10) == 0) {
		sig->alg = DKMOD_ALG_RSA_SHA256;
		sig->hash = CRYPTO_SHA256;
		sig->keytype = KEYREC_RSA;
	} else if (t->value_len == 8 && memcmp(t->value, "rsa-sha1", 8) == 0) {
		sig->alg = DKMOD_ALG_RSA_SHA1;
		sig->hash = CRYPTO_SHA1;
		sig->keytype = KEYREC_RSA;
	} else if (t->value_len == 14 && memcmp(t->value, "ed25519-sha256", 14) == 0) {
		sig->alg = DKMOD_ALG_ED25519_SHA256;
		sig->hash = CRYPTO_SHA256;
		sig->keytype = KEYREC_ED25519;
	} else {
		return false;
	}
	return true;
}

/* dkimsig_name_end - the offset after the field-name bytes (printable, no colon) from i */
static size_t dkimsig_name_end(const unsigned char *v, size_t len, size_t i)
{
	return str_scan8(v, len, i, header_name_stop);
}

/* dkimsig_is_from - the four bytes at p are "from" in any case (with 0x20 set, only the upper and
 * lower case of a letter become that letter) */
static bool dkimsig_is_from(const unsigned char *p)
{
	uint32_t w, from;
	memcpy(&w, p, 4);
	memcpy(&from, "from", 4);
	return (w | 0x20202020u) == from;
}

/* dkimsig_check_h - h= lists From and only valid field names (printable, no colon), kept in
 * sig->h_names: one pass over the value */
static enum dkimsig_status dkimsig_check_h(const struct tagvalue *t, struct dkimsig *sig)
{
	const unsigned char *v = (const unsigned char *)t->value;
	size_t len = t->value_len, i = 0;
	bool from = false;
	if (len == 0)
		return DKIMSIG_NO_FROM;
	for (size_t count = 0;; count++) {
		if (count == HEADER_MAX_SIGNED)
			return DKIMSIG_TOO_MANY_NAMES;
		while (i < len && tagvalue_is_fws_char(v[i]))
			i++;
		size_t start = i;
		i = dkimsig_name_end(v, len, i);
		size_t n = i - start;
		while (i < len && tagvalue_is_fws_char(v[i]))
			i++;
		if (n == 0 || (i < len && v[i] != ':'))
			return DKIMSIG_SYNTAX;
		if (n == 4 && dkimsig_is_from(v + start))
			from = true;
		sig->h_names[count] = (struct tagvalue_item){(uint32_t)start, (uint32_t)n};
		sig->h_count = count + 1;
		if (i == len)
			return from ? DKIMSIG_OK : DKIMSIG_NO_FROM;
		i++; /* the colon */
	}
}

/* dkimsig_b_place - where the b= value lies in the field text, for deleting it */
static void dkimsig_b_place(const char *text, size_t len, const struct tagvalue *b, struct dkimsig *sig)
{
	size_t i = (size_t)(b->name + b->name_len - text);
	const char *eq = memchr(text + i, '=', len - i);
	sig->b_start = eq ? (size_t)(eq - text) + 1 : len;
	const char *semi = memchr(text + sig->b_start, ';', len - sig->b_start);
	sig->b_end = semi ? (size_t)(semi - text) : len;
}

/* dkimsig_parse_identity - i= (dkim-quoted-printable), within d= */
static enum dkimsig_status dkimsig_parse_identity(const struct tagvalue *t, struct dkimsig *sig)
{
	if (!t) {
		size_t n = strlen(sig->domain);
		sig->identity[0] = '@';
		memcpy(sig->identity + 1, sig->domain, n + 1);
		return DKIMSIG_OK;
	}
	long n = tagvalue_qp_decode(t->value, t->value_len, sig->identity, sizeof sig->identity);
	if (n < 0)
		return DKIMSIG_IDENTITY;
	const char *at = strrchr(sig->identity, '@');
	if (!at || !dkimsig_valid_domain(at + 1, strlen(at + 1)) || !dkimsig_domain_within(at + 1, sig->domain))
		return DKIMSIG_IDENTITY;
	return DKIMSIG_OK;
}

/* dkimsig_clear - every field of sig empty, without clearing its 3.6 KB: the texts "", the byte arrays
 * (read only up to bh_len and b_len) left as they are */
static void dkimsig_clear(struct dkimsig *sig)
{
	sig->alg = (enum dkmod_algorithm)0;
	sig->hash = (enum crypto_hash)0;
	sig->keytype = (enum keyrec_keytype)0;
	sig->header_canon = sig->body_canon = (enum dkmod_canon)0;
	sig->algorithm[0] = sig->domain[0] = sig->selector[0] = sig->identity[0] = sig->b_text[0] = '\0';
	sig->h = NULL;
	sig->h_len = sig->h_count = sig->bh_len = sig->b_len = 0;
	sig->body_length = sig->timestamp = sig->expire = -1;
	sig->b_start = sig->b_end = 0;
}

/* dkimsig_parse - parse a whole DKIM-Signature field text */
enum dkimsig_status dkimsig_parse(const char *text, size_t len, size_t value_off, struct dkimsig *out)
{
	struct tagvalue_list tags;
	dkimsig_clear(out);
	if (value_off > len || tagvalue_parse(text + value_off, len - value_off, &tags, NULL) != TAGVALUE_OK)
		return DKIMSIG_SYNTAX;
	const struct tagvalue *v = NULL, *a = NULL, *b = NULL, *bh = NULL, *d = NULL, *h = NULL, *s = NULL,
			      *c = NULL, *i = NULL, *l = NULL, *q = NULL, *t = NULL, *x = NULL;
	/* one pass over the tags (a tag list holds no name twice) */
	for (size_t k = 0; k < tags.count; k++) {
		const struct tagvalue *tag = &tags.tags[k];
		if (tag->name_len == 2 && tag->name[0] == 'b' && tag->name[1] == 'h') {
			bh = tag;
			continue;
		}
		if (tag->name_len != 1)
			continue;
		switch (tag->name[0]) {
		case 'v': v = tag; break;
		case 'a': a = tag; break;
		case 'b': b = tag; break;
		case 'd': d = tag; break;
		case 'h': h = tag; break;
		case 's': s = tag; break;
		case 'c': c = tag; break;
		case 'i': i = tag; break;
		case 'l': l = tag; break;
		case 'q': q = tag; break;
		case 't': t = tag; break;
		case 'x': x = tag; break;
		default: break;
		}
	}
	/* what identifies the signature is kept even when it is rejected, for the report */
	bool alg_ok = a && dkimsig_parse_alg(a, out);
	if (d && dkimsig_valid_domain(d->value, d->value_len))
		dkimsig_copy(out->domain, sizeof out->domain, d);
	if (s && dkimsig_valid_domain(s->value, s->value_len))
		dkimsig_copy(out->selector, sizeof out->selector, s);
	/* b= without whitespace (kept for the report) and decoded in one pass; its verdict waits its turn */
	long b_len = -1;
	if (b) {
		b_len = base64_decode_text(b->value, b->value_len, out->b, sizeof out->b, out->b_text,
					   sizeof out->b_text);
		dkimsig_b_place(text, len, b, out);
	}
	if (!v || v->value_len != 1 || v->value[0] != '1')
		return DKIMSIG_VERSION;
	if (!a || !b || !bh || !d || !h || !s)
		return DKIMSIG_MISSING_TAG;
	if (!alg_ok)
		return DKIMSIG_ALGORITHM;
	if (!out->domain[0] || !out->selector[0])
		return DKIMSIG_DOMAIN;
	out->header_canon = out->body_canon = DKMOD_CANON_SIMPLE;
	if (c && !dkimsig_parse_canon(c, out))
		return DKIMSIG_CANON;
	if (q) {
		size_t pos = 0, n;
		const char *item;
		bool dns = false;
		while (tagvalue_list_next(q->value, q->value_len, &pos, &item, &n))
			if (n == 7 && memcmp(item, "dns/txt", 7) == 0)
				dns = true;
		if (!dns)
			return DKIMSIG_QUERY;
	}
	enum dkimsig_status st = dkimsig_check_h(h, out);
	if (st != DKIMSIG_OK)
		return st;
	out->h = h->value;
	out->h_len = h->value_len;
	st = dkimsig_parse_identity(i, out);
	if (st != DKIMSIG_OK)
		return st;
	if ((l && !dkimsig_number(l, &out->body_length)) || (t && !dkimsig_number(t, &out->timestamp)) ||
	    (x && !dkimsig_number(x, &out->expire)))
		return DKIMSIG_NUMBER;
	if (t && x && out->expire <= out->timestamp) /* RFC 6376 3.5: x= must be greater than t= */
		return DKIMSIG_NUMBER;
	long n = base64_decode(bh->value, bh->value_len, out->bh, sizeof out->bh);
	if (n <= 0)
		return DKIMSIG_BASE64;
	out->bh_len = (size_t)n;
	if (b_len <= 0)
		return DKIMSIG_BASE64;
	out->b_len = (size_t)b_len;
	return DKIMSIG_OK;
}
