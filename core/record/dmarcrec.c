/*
 * dmarcrec.c - parsing DMARC policy records (RFC 9989 4.7, 4.8).  The record
 * is a tag list whose first tag is v=DMARC1, compared exactly; tag names and
 * the other values are compared without regard to case, as the RFC's ABNF
 * strings are.  Unknown tags are ignored; so are elements that are not
 * "name=value" and later repeats of a tag (RFC 9989 4.8: syntax errors in the
 * rest of the record are discarded in favour of defaults); an invalid value of
 * an optional tag gives its default; an invalid p, sp or np makes the record
 * act as p=none when it names a valid rua URI, else it is unusable.
 */
#include "record/dmarcrec.h"

#include <string.h>
#include <strings.h>


static const char *const dmarcrec_policies[] = {"none", "quarantine", "reject"};
static const char *const dmarcrec_aligns[] = {"r", "s"};
static const char *const dmarcrec_psds[] = {"u", "y", "n"};
static const char *const dmarcrec_fos[] = {"0", "1", "d", "s"};
static const char *const dmarcrec_statuses[] = {"ok", "not a DMARC record", "invalid policy and no valid rua"};

#define DMARCREC_COUNT(a) (sizeof a / sizeof *a)

/* dmarcrec_lookup - the index of s[0..n) in names (case-insensitive), or -1 */
static int dmarcrec_lookup(const char *const *names, size_t count, const char *s, size_t n)
{
	for (size_t i = 0; i < count; i++)
		if (strlen(names[i]) == n && strncasecmp(names[i], s, n) == 0)
			return (int)i;
	return -1;
}

/* dmarcrec_is_wsp - a blank inside a record */
static bool dmarcrec_is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* dmarcrec_is_dmarc - true when the record starts with v=DMARC1 */
bool dmarcrec_is_dmarc(const char *txt, size_t len)
{
	size_t i = 0;
	while (i < len && dmarcrec_is_wsp(txt[i]))
		i++;
	if (i >= len || (txt[i] != 'v' && txt[i] != 'V'))
		return false;
	for (i++; i < len && dmarcrec_is_wsp(txt[i]); i++)
		;
	if (i >= len || txt[i] != '=')
		return false;
	for (i++; i < len && dmarcrec_is_wsp(txt[i]); i++)
		;
	if (len - i < 6 || memcmp(txt + i, "DMARC1", 6) != 0)
		return false;
	for (i += 6; i < len && dmarcrec_is_wsp(txt[i]); i++)
		;
	return i == len || txt[i] == ';';
}

/* The tags RFC 9989 defines, in one table; an element of the record fills one entry. */
static const char *const dmarcrec_names[] = {"v", "p", "sp", "np", "adkim", "aspf", "t", "psd", "rua", "ruf", "fo"};
#define DMARCREC_NTAGS (sizeof dmarcrec_names / sizeof *dmarcrec_names)

/* One tag's value as written (blanks trimmed), when present. */
struct dmarcrec_value {
	const char *value;
	size_t value_len;
};

/* The record's elements: the known tags' first values, and how many elements were ignored. */
struct dmarcrec_tags {
	struct dmarcrec_value tag[DMARCREC_NTAGS];
	bool set[DMARCREC_NTAGS];
	size_t ignored;
};

/* dmarcrec_trim - s[*a..*b) without blanks at both ends */
static void dmarcrec_trim(const char *s, size_t *a, size_t *b)
{
	while (*a < *b && dmarcrec_is_wsp(s[*a]))
		(*a)++;
	while (*b > *a && dmarcrec_is_wsp(s[*b - 1]))
		(*b)--;
}

/* dmarcrec_element - one "name=value" element s[a..b) into tags; false when it is malformed
 * (no '=', a name that is not ALPHA *(ALPHA / DIGIT / "_"), a control byte in the value) */
static bool dmarcrec_element(const char *s, size_t a, size_t b, struct dmarcrec_tags *tags)
{
	const char *eq = memchr(s + a, '=', b - a);
	if (!eq)
		return false;
	size_t na = a, nb = (size_t)(eq - s), va = nb + 1, vb = b;
	dmarcrec_trim(s, &na, &nb);
	dmarcrec_trim(s, &va, &vb);
	for (size_t i = na; i < nb; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		if (!(alpha || (i > na && ((c >= '0' && c <= '9') || c == '_'))))
			return false;
	}
	for (size_t i = va; i < vb; i++)
		if (((unsigned char)s[i] < 0x20 && !dmarcrec_is_wsp(s[i])) || s[i] == 0x7f)
			return false;
	if (na == nb)
		return false;
	int k = dmarcrec_lookup(dmarcrec_names, DMARCREC_NTAGS, s + na, nb - na);
	if (k >= 0 && tags->set[k])
		return false; /* a repeat: the first one counts */
	if (k >= 0) {
		tags->set[k] = true;
		tags->tag[k].value = s + va;
		tags->tag[k].value_len = vb - va;
	}
	return true;
}

/* dmarcrec_split - the elements of the record into tags */
static void dmarcrec_split(const char *s, size_t len, struct dmarcrec_tags *tags)
{
	memset(tags, 0, sizeof *tags);
	for (size_t a = 0; a <= len;) {
		const char *semi = memchr(s + a, ';', len - a);
		size_t b = semi ? (size_t)(semi - s) : len, ta = a, tb = b;
		dmarcrec_trim(s, &ta, &tb);
		if (ta < tb && !dmarcrec_element(s, ta, tb, tags))
			tags->ignored++;
		a = b + 1;
	}
}

/* dmarcrec_tag - the value of the tag named name, or NULL */
static const struct dmarcrec_value *dmarcrec_tag(const struct dmarcrec_tags *tags, const char *name)
{
	int k = dmarcrec_lookup(dmarcrec_names, DMARCREC_NTAGS, name, strlen(name));
	return k >= 0 && tags->set[k] ? &tags->tag[k] : NULL;
}

/* dmarcrec_enum - the value of tag name from names (its index); def when absent, def and
 * the bit in *defaulted when invalid */
static int dmarcrec_enum(const struct dmarcrec_tags *tags, const char *name, const char *const *names, size_t count,
			 int def, unsigned bit, unsigned *defaulted)
{
	const struct dmarcrec_value *t = dmarcrec_tag(tags, name);
	if (!t)
		return def;
	int v = dmarcrec_lookup(names, count, t->value, t->value_len);
	if (v < 0) {
		*defaulted |= bit;
		return def;
	}
	return v;
}

/* dmarcrec_policy - p=, sp= or np=: 1 when present and valid, 0 when absent, -1 when invalid */
static int dmarcrec_policy(const struct dmarcrec_tags *tags, const char *name, enum dmarcrec_policy *out)
{
	const struct dmarcrec_value *t = dmarcrec_tag(tags, name);
	if (!t)
		return 0;
	int v = dmarcrec_lookup(dmarcrec_policies, DMARCREC_COUNT(dmarcrec_policies), t->value, t->value_len);
	if (v < 0)
		return -1;
	*out = (enum dmarcrec_policy)v;
	return 1;
}

/* dmarcrec_uri_ok - s[0..n) is an absolute URI: scheme ":" and something, no blank */
static bool dmarcrec_uri_ok(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	while (i < n && s[i] != ':') {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
		      c == '-' || c == '.'))
			return false;
		i++;
	}
	if (i + 1 >= n)
		return false;
	for (; i < n; i++)
		if (dmarcrec_is_wsp(s[i]) || (unsigned char)s[i] < 0x21)
			return false;
	return true;
}

/* dmarcrec_strip_size - the length of a URI without the "!size" suffix of RFC 7489, which
 * RFC 9989 tells receivers to ignore */
static size_t dmarcrec_strip_size(const char *s, size_t n)
{
	const char *bang = memchr(s, '!', n);
	if (!bang)
		return n;
	size_t i = (size_t)(bang - s) + 1, digits = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < n && strchr("kKmMgGtT", s[i]))
		i++;
	return digits && i == n ? (size_t)(bang - s) : n;
}

/* dmarcrec_uris - the comma-separated URIs of rua= or ruf= into list; how many are valid */
static size_t dmarcrec_uris(const struct dmarcrec_value *t, char list[][DMARCREC_MAX_URI], size_t *kept, size_t *dropped)
{
	size_t valid = 0;
	for (size_t pos = 0; t && pos <= t->value_len;) {
		const char *comma = memchr(t->value + pos, ',', t->value_len - pos);
		size_t end = comma ? (size_t)(comma - t->value) : t->value_len, a = pos, b = end;
		while (a < b && dmarcrec_is_wsp(t->value[a]))
			a++;
		while (b > a && dmarcrec_is_wsp(t->value[b - 1]))
			b--;
		size_t n = dmarcrec_strip_size(t->value + a, b - a);
		if (dmarcrec_uri_ok(t->value + a, n)) {
			valid++;
			if (*kept < DMARCREC_MAX_URIS && n < DMARCREC_MAX_URI) {
				memcpy(list[*kept], t->value + a, n);
				list[(*kept)++][n] = '\0';
			} else {
				(*dropped)++;
			}
		} else if (t->value_len > 0) {
			(*dropped)++;
		}
		pos = end + 1;
	}
	return valid;
}

/* dmarcrec_fo - the fo= options: a colon list of 0, 1, d, s (0 and 1 exclusive); the default
 * when any is invalid */
static unsigned dmarcrec_fo(const struct dmarcrec_tags *tags, unsigned *defaulted)
{
	const struct dmarcrec_value *t = dmarcrec_tag(tags, "fo");
	if (!t)
		return DMARCREC_FO_0;
	unsigned fo = 0;
	for (size_t a = 0; a <= t->value_len;) {
		const char *colon = memchr(t->value + a, ':', t->value_len - a);
		size_t b = colon ? (size_t)(colon - t->value) : t->value_len, ia = a, ib = b;
		dmarcrec_trim(t->value, &ia, &ib);
		int v = dmarcrec_lookup(dmarcrec_fos, DMARCREC_COUNT(dmarcrec_fos), t->value + ia, ib - ia);
		if (v < 0) {
			fo = 0;
			break;
		}
		fo |= 1u << v;
		a = b + 1;
	}
	if (!fo || (fo & (DMARCREC_FO_0 | DMARCREC_FO_1)) == (DMARCREC_FO_0 | DMARCREC_FO_1)) {
		*defaulted |= DMARCREC_TAG_FO;
		return DMARCREC_FO_0;
	}
	return fo;
}

/* dmarcrec_parse - one TXT record */
enum dmarcrec_status dmarcrec_parse(const char *txt, size_t len, struct dmarcrec *out)
{
	struct dmarcrec_tags tags;
	memset(out, 0, sizeof *out);
	if (!dmarcrec_is_dmarc(txt, len))
		return DMARCREC_NOT_DMARC;
	dmarcrec_split(txt, len, &tags);
	out->ignored = tags.ignored;
	unsigned *d = &out->defaulted;
	out->adkim = (enum dmarcrec_align)dmarcrec_enum(&tags, "adkim", dmarcrec_aligns, 2, 0, DMARCREC_TAG_ADKIM, d);
	out->aspf = (enum dmarcrec_align)dmarcrec_enum(&tags, "aspf", dmarcrec_aligns, 2, 0, DMARCREC_TAG_ASPF, d);
	out->psd = (enum dmarcrec_psd)dmarcrec_enum(&tags, "psd", dmarcrec_psds, 3, 0, DMARCREC_TAG_PSD, d);
	static const char *const yn[] = {"n", "y"};
	out->testing = dmarcrec_enum(&tags, "t", yn, 2, 0, DMARCREC_TAG_T, d) == 1;
	out->fo = dmarcrec_fo(&tags, d);
	size_t rua_valid = dmarcrec_uris(dmarcrec_tag(&tags, "rua"), out->rua, &out->nrua, &out->rua_dropped);
	dmarcrec_uris(dmarcrec_tag(&tags, "ruf"), out->ruf, &out->nruf, &out->ruf_dropped);
	int p = dmarcrec_policy(&tags, "p", &out->p), sp = dmarcrec_policy(&tags, "sp", &out->sp),
	    np = dmarcrec_policy(&tags, "np", &out->np);
	if (p < 0 || sp < 0 || np < 0) {
		if (!rua_valid)
			return DMARCREC_BAD_POLICY;
		/* act as if the record said v=DMARC1; p=none (with its other tags) */
		out->p = DMARCREC_POLICY_NONE;
		out->has_p = true;
		out->policy_replaced = true;
		return DMARCREC_OK;
	}
	/* no p=: RFC 9989 makes p optional; none is what an absent policy asks */
	out->has_p = p > 0;
	out->has_sp = sp > 0;
	out->has_np = np > 0;
	return DMARCREC_OK;
}

/* dmarcrec_copy - the tags and the kept URIs of src into dst */
void dmarcrec_copy(struct dmarcrec *dst, const struct dmarcrec *src)
{
	memcpy(dst, src, offsetof(struct dmarcrec, rua));
	for (size_t i = 0; i < src->nrua; i++)
		memcpy(dst->rua[i], src->rua[i], strlen(src->rua[i]) + 1);
	for (size_t i = 0; i < src->nruf; i++)
		memcpy(dst->ruf[i], src->ruf[i], strlen(src->ruf[i]) + 1);
}

/* dmarcrec_status_name - the status in words */
const char *dmarcrec_status_name(enum dmarcrec_status st)
{
	return (unsigned)st < DMARCREC_COUNT(dmarcrec_statuses) ? dmarcrec_statuses[st] : "";
}

/* dmarcrec_policy_name - "none", "quarantine", "reject" */
const char *dmarcrec_policy_name(enum dmarcrec_policy p)
{
	return (unsigned)p < DMARCREC_COUNT(dmarcrec_policies) ? dmarcrec_policies[p] : "";
}

/* dmarcrec_align_name - "r", "s" */
const char *dmarcrec_align_name(enum dmarcrec_align a)
{
	return (unsigned)a < DMARCREC_COUNT(dmarcrec_aligns) ? dmarcrec_aligns[a] : "";
}

/* dmarcrec_psd_name - "u", "y", "n" */
const char *dmarcrec_psd_name(enum dmarcrec_psd p)
{
	return (unsigned)p < DMARCREC_COUNT(dmarcrec_psds) ? dmarcrec_psds[p] : "";
}

/* dmarcrec_fo_name - the letter of one fo= bit */
const char *dmarcrec_fo_name(enum dmarcrec_fo f)
{
	for (size_t i = 0; i < DMARCREC_COUNT(dmarcrec_fos); i++)
		if ((unsigned)f == 1u << i)
			return dmarcrec_fos[i];
	return "";
}
