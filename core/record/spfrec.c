/*
 * spfrec.c - the SPF record parser and macro expander (RFC 7208 4.6, 5, 6, 7, 12).
 */
#include "record/spfrec.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const spf_result_names[] = {
	[DKMOD_SPF_NONE] = "none",         [DKMOD_SPF_NEUTRAL] = "neutral",     [DKMOD_SPF_PASS] = "pass",
	[DKMOD_SPF_FAIL] = "fail",         [DKMOD_SPF_SOFTFAIL] = "softfail",   [DKMOD_SPF_TEMPERROR] = "temperror",
	[DKMOD_SPF_PERMERROR] = "permerror",
};

/* dkmod_spf_result_name - "none", "neutral", "pass", ...; the one name table */
const char *dkmod_spf_result_name(enum dkmod_spf_result r)
{
	if ((unsigned)r < sizeof spf_result_names / sizeof spf_result_names[0])
		return spf_result_names[r];
	return "unknown";
}

/* dkmod_spf_result_parse - the result of a name (case-insensitive); -1 if none */
int dkmod_spf_result_parse(const char *name)
{
	for (size_t i = 0; i < sizeof spf_result_names / sizeof spf_result_names[0]; i++)
		if (strcasecmp(name, spf_result_names[i]) == 0)
			return (int)i;
	return -1;
}

/* spfrec_is_spf - whether a TXT record is an SPF record ("v=spf1" then a space or the end) */
bool spfrec_is_spf(const char *txt, size_t len)
{
	return len >= 6 && strncasecmp(txt, "v=spf1", 6) == 0 && (len == 6 || txt[6] == ' ');
}

/* spfrec_alpha - an ASCII letter */
static bool spfrec_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* spfrec_digit - an ASCII digit */
static bool spfrec_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* spfrec_letter_ok - a macro letter allowed in this context (RFC 7208 7.2) */
static bool spfrec_letter_ok(char c, bool explain)
{
	char l = (char)(c | 0x20);

	if (!spfrec_alpha(c))
		return false;
	return strchr("slodiphv", l) || (explain && strchr("crt", l));
}

/* A parsed macro-expand "%{...}". */
struct spfrec_macro {
	char letter;      /* as written: upper case asks for URL escaping */
	unsigned digits;  /* 0: all parts */
	bool reverse;
	char delims[8];   /* the delimiters given, "" for "." */
};

/* spfrec_macro_parse - parse "{...}" after a '%'; the bytes used or 0 on a syntax error */
static size_t spfrec_macro_parse(const char *s, size_t len, bool explain, struct spfrec_macro *m)
{
	size_t i = 2, nd = 0;
	bool have_digits = false;

	memset(m, 0, sizeof *m);
	if (len < 3 || s[0] != '{' || !spfrec_letter_ok(s[1], explain))
		return 0;
	m->letter = s[1];
	while (i < len && spfrec_digit(s[i])) {
		have_digits = true;
		if (m->digits < 1000)
			m->digits = m->digits * 10 + (unsigned)(s[i] - '0');
		i++;
	}
	if (have_digits && m->digits == 0)
		return 0; /* RFC 7208 7.1: the DIGIT transformer must be nonzero */
	if (i < len && (s[i] == 'r' || s[i] == 'R')) {
		m->reverse = true;
		i++;
	}
	while (i < len && strchr(".-+,/_=", s[i]) && s[i]) {
		if (!strchr(m->delims, s[i]) && nd < sizeof m->delims - 1)
			m->delims[nd++] = s[i];
		i++;
	}
	if (i >= len || s[i] != '}')
		return 0;
	return i + 1;
}

/* spfrec_check_macros - whether s is a valid macro-string (or explain-string) */
bool spfrec_check_macros(const char *s, size_t len, bool explain)
{
	struct spfrec_macro m;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t used;

		if (c == '%') {
			if (i + 1 < len && (s[i + 1] == '%' || s[i + 1] == '_' || s[i + 1] == '-')) {
				i++;
				continue;
			}
			used = spfrec_macro_parse(s + i + 1, len - i - 1, explain, &m);
			if (!used)
				return false;
			i += used;
		} else if (!((c >= 0x21 && c <= 0x7e) || (explain && c == ' '))) {
			return false;
		}
	}
	return true;
}

/* spfrec_uses_p - whether a macro-string uses the p macro (which needs lookups first) */
bool spfrec_uses_p(const char *s)
{
	for (; s && *s; s++) {
		if (s[0] == '%' && s[1] == '%')
			s++;
		else if (s[0] == '%' && s[1] == '{' && (s[2] | 0x20) == 'p')
			return true;
	}
	return false;
}

/* spfrec_ip_text - the c macro form of an address: dotted quad or RFC 5952 IPv6 */
void spfrec_ip_text(const unsigned char *ip, bool ipv6, char *out, size_t outsz)
{
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(ipv6 ? AF_INET6 : AF_INET, ip, buf, sizeof buf))
		buf[0] = '\0';
	snprintf(out, outsz, "%s", buf);
}

/* spfrec_value - the raw value of a macro letter into buf (NUL-terminated) */
static void spfrec_value(char letter, const struct spfrec_env *env, char *buf, size_t bufsz)
{
	static const char hex[] = "0123456789abcdef";
	const char *v = "";
	size_t o = 0;

	switch (letter | 0x20) {
	case 's': v = env->sender; break;
	case 'l': v = env->local; break;
	case 'o': v = env->sender_domain; break;
	case 'd': v = env->domain; break;
	case 'h': v = env->helo; break;
	case 'p': v = env->validated ? env->validated : "unknown"; break;
	case 'r': v = env->receiver ? env->receiver : "unknown"; break;
	case 'v': v = env->ipv6 ? "ip6" : "in-addr"; break;
	case 't': snprintf(buf, bufsz, "%lld", env->now); return;
	case 'c': spfrec_ip_text(env->ip, env->ipv6, buf, bufsz); return;
	case 'i':
		if (!env->ipv6) {
			snprintf(buf, bufsz, "%u.%u.%u.%u", env->ip[0], env->ip[1], env->ip[2], env->ip[3]);
			return;
		}
		for (size_t k = 0; k < 16 && o + 4 < bufsz; k++) {
			buf[o++] = hex[env->ip[k] >> 4];
			buf[o++] = '.';
			buf[o++] = hex[env->ip[k] & 15];
			buf[o++] = k == 15 ? '\0' : '.';
		}
		return;
	}
	snprintf(buf, bufsz, "%s", v ? v : "");
}

/* Where expansion output goes. */
struct spfrec_out {
	char *p;
	size_t size, len;
	bool overflow;
};

/* spfrec_put - append bytes, noting an overflow */
static void spfrec_put(struct spfrec_out *o, const char *s, size_t n)
{
	if (o->len + n >= o->size || o->len + n > SPFREC_MAX_EXPANSION) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* spfrec_put_escaped - append a part, URL-escaped if asked (RFC 7208 7.3) */
static void spfrec_put_escaped(struct spfrec_out *o, const char *s, size_t n, bool escape)
{
	char esc[4];

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!escape || spfrec_alpha((char)c) || spfrec_digit((char)c) || strchr("-._~", c)) {
			spfrec_put(o, (const char *)&c, 1);
		} else {
			snprintf(esc, sizeof esc, "%%%02X", c);
			spfrec_put(o, esc, 3);
		}
	}
}

/* spfrec_put_macro - append one macro's transformed value (RFC 7208 7.3) */
static void spfrec_put_macro(struct spfrec_out *o, const struct spfrec_macro *m, const struct spfrec_env *env)
{
	char val[SPFREC_MAX_EXPANSION + 1];
	struct { size_t off, len; } parts[SPFREC_MAX_EXPANSION / 2 + 2];
	const char *delims = m->delims[0] ? m->delims : ".";
	size_t n = 0, start = 0, vlen, first, i;
	bool escape = m->letter >= 'A' && m->letter <= 'Z';

	spfrec_value(m->letter, env, val, sizeof val);
	vlen = strlen(val);
	if (vlen >= SPFREC_MAX_EXPANSION) {
		o->overflow = true;
		return;
	}
	for (i = 0; i <= vlen; i++) {
		if (i == vlen || strchr(delims, val[i])) {
			parts[n].off = start;
			parts[n++].len = i - start;
			start = i + 1;
		}
	}
	if (m->reverse) {
		for (i = 0; i < n / 2; i++) {
			size_t off = parts[i].off, len = parts[i].len;

			parts[i] = parts[n - 1 - i];
			parts[n - 1 - i].off = off;
			parts[n - 1 - i].len = len;
		}
	}
	first = m->digits && m->digits < n ? n - m->digits : 0;
	for (i = first; i < n; i++) {
		if (i > first)
			spfrec_put(o, ".", 1);
		spfrec_put_escaped(o, val + parts[i].off, parts[i].len, escape);
	}
}

/* spfrec_expand - expand a macro-string into out; its length or -1 */
int spfrec_expand(const char *s, bool explain, const struct spfrec_env *env, char *out, size_t outsz)
{
	struct spfrec_out o = { out, outsz, 0, false };
	struct spfrec_macro m;
	size_t len = strlen(s);

	if (!outsz || !spfrec_check_macros(s, len, explain))
		return -1;
	for (size_t i = 0; i < len && !o.overflow; i++) {
		if (s[i] != '%') {
			spfrec_put(&o, s + i, 1);
		} else if (s[i + 1] == '%') {
			spfrec_put(&o, "%", 1), i++;
		} else if (s[i + 1] == '_') {
			spfrec_put(&o, " ", 1), i++;
		} else if (s[i + 1] == '-') {
			spfrec_put(&o, "%20", 3), i++;
		} else {
			i += spfrec_macro_parse(s + i + 1, len - i - 1, explain, &m);
			spfrec_put_macro(&o, &m, env);
		}
	}
	if (o.overflow)
		return -1;
	out[o.len] = '\0';
	return (int)o.len;
}

/* spfrec_domain - cut an expanded domain to 253 octets from the left, drop a final dot,
 * and check its labels */
bool spfrec_domain(char *name)
{
	size_t len = strlen(name), label = 0;

	if (len && name[len - 1] == '.')
		name[--len] = '\0';
	while (len > SPFREC_MAX_DOMAIN) {
		char *dot = strchr(name, '.');

		if (!dot)
			return false;
		len -= (size_t)(dot + 1 - name);
		memmove(name, dot + 1, len + 1);
	}
	if (len == 0)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] > 0x7e))
			return false; /* a control or non-ASCII byte from the envelope */
		if (i == len || name[i] == '.') {
			if (label == 0 || label > 63)
				return false;
			label = 0;
		} else {
			label++;
		}
	}
	return true;
}

/* spfrec_toplabel - the last label of a literal domain-end (RFC 7208 12: toplabel) */
static bool spfrec_toplabel(const char *s, size_t len)
{
	bool alpha = false, dash = false;

	if (len == 0 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (spfrec_alpha(s[i]))
			alpha = true;
		else if (s[i] == '-')
			dash = true;
		else if (!spfrec_digit(s[i]))
			return false;
	}
	return alpha || dash;
}

/* spfrec_domain_spec - whether a domain-spec is valid: macro syntax and its domain-end */
static bool spfrec_domain_spec(const char *s)
{
	size_t len = strlen(s), end;
	const char *dot;

	if (len == 0 || !spfrec_check_macros(s, len, false))
		return false;
	if (s[len - 1] == '}')
		return true; /* ends in a macro-expand */
	end = s[len - 1] == '.' ? len - 1 : len;
	dot = memrchr(s, '.', end);
	return dot && spfrec_toplabel(dot + 1, end - (size_t)(dot + 1 - s));
}

/* spfrec_cidr - a prefix length without leading zeros, at most max; -1 if not one */
static int spfrec_cidr(const char *s, size_t len, unsigned max)
{
	unsigned v = 0;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!spfrec_digit(s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v <= max ? (int)v : -1;
}

/* spfrec_tail_cidr - strip "/N" (sep "/") or "//N" (sep "//") from the end of s[0..*len);
 * 0 if absent, 1 if taken into *out, -1 if malformed */
static int spfrec_tail_cidr(char *s, size_t *len, const char *sep, unsigned max, unsigned *out)
{
	size_t d = *len, sl = strlen(sep);
	int v;

	while (d > 0 && spfrec_digit(s[d - 1]))
		d--;
	if (d == *len || d < sl || memcmp(s + d - sl, sep, sl) != 0 || (sl == 1 && d >= 2 && s[d - 2] == '/'))
		return 0;
	v = spfrec_cidr(s + d, *len - d, max);
	if (v < 0)
		return -1;
	*out = (unsigned)v;
	*len = d - sl;
	s[*len] = '\0';
	return 1;
}

static const char *const spfrec_mech_names[] = {
	[SPFREC_ALL] = "all", [SPFREC_INCLUDE] = "include", [SPFREC_A] = "a",	    [SPFREC_MX] = "mx",
	[SPFREC_PTR] = "ptr", [SPFREC_IP4] = "ip4",	    [SPFREC_IP6] = "ip6", [SPFREC_EXISTS] = "exists",
};

/* spfrec_mech_str - "all", "include", ...: the one name table of mechanisms */
const char *spfrec_mech_str(enum spfrec_mech m)
{
	return (unsigned)m < sizeof spfrec_mech_names / sizeof spfrec_mech_names[0] ? spfrec_mech_names[m] : "?";
}

/* spfrec_mech_name - the mechanism of a name, or -1 */
static int spfrec_mech_name(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof spfrec_mech_names / sizeof spfrec_mech_names[0]; i++)
		if (strlen(spfrec_mech_names[i]) == n && strncasecmp(s, spfrec_mech_names[i], n) == 0)
			return (int)i;
	return -1;
}

/* spfrec_ip - "ip4:" / "ip6:" network and optional prefix length, at rest (after the name) */
static bool spfrec_ip(char *rest, size_t len, struct spfrec_term *t)
{
	bool v6 = t->mech == SPFREC_IP6;
	char *slash;
	int c = v6 ? 128 : 32;

	if (len < 2 || rest[0] != ':')
		return false;
	slash = strchr(rest, '/');
	if (slash) {
		c = spfrec_cidr(slash + 1, len - (size_t)(slash + 1 - rest), v6 ? 128 : 32);
		if (c < 0)
			return false;
		*slash = '\0';
	}
	if (v6)
		t->cidr6 = (unsigned)c;
	else
		t->cidr4 = (unsigned)c;
	return inet_pton(v6 ? AF_INET6 : AF_INET, rest + 1, t->addr) == 1;
}

/* spfrec_mech_args - the arguments of a mechanism at rest (NUL-terminated, len bytes) */
static bool spfrec_mech_args(char *rest, size_t len, struct spfrec_term *t, const char **why)
{
	bool cidr = t->mech == SPFREC_A || t->mech == SPFREC_MX;
	bool needs = t->mech == SPFREC_INCLUDE || t->mech == SPFREC_EXISTS;

	if (t->mech == SPFREC_IP4 || t->mech == SPFREC_IP6) {
		*why = "bad ip4/ip6 network";
		return spfrec_ip(rest, len, t);
	}
	if (t->mech == SPFREC_ALL) {
		*why = "all takes no argument";
		return len == 0;
	}
	*why = "bad prefix length";
	if (cidr && (spfrec_tail_cidr(rest, &len, "//", 128, &t->cidr6) < 0 ||
		     spfrec_tail_cidr(rest, &len, "/", 32, &t->cidr4) < 0))
		return false;
	*why = needs ? "mechanism needs a domain" : "bad mechanism arguments";
	if (len == 0)
		return !needs;
	if (rest[0] != ':')
		return false;
	t->spec = rest + 1;
	*why = "bad domain-spec";
	return spfrec_domain_spec(t->spec);
}

/* spfrec_modifier - a name=value term */
static bool spfrec_modifier(char *term, size_t namelen, struct spfrec *rec, const char **why)
{
	char *value = term + namelen + 1;
	const char **slot = NULL;

	if (namelen == 8 && strncasecmp(term, "redirect", 8) == 0)
		slot = &rec->redirect;
	else if (namelen == 3 && strncasecmp(term, "exp", 3) == 0)
		slot = &rec->exp;
	if (!slot) {
		*why = "bad macro in a modifier";
		return spfrec_check_macros(value, strlen(value), false);
	}
	if (*slot) {
		*why = "redirect= or exp= given twice";
		return false;
	}
	*slot = value;
	*why = "bad domain-spec in a modifier";
	return spfrec_domain_spec(value);
}

/* spfrec_term - parse one term (NUL-terminated, no spaces) into rec */
static bool spfrec_term(char *term, struct spfrec *rec, const char **why)
{
	enum dkmod_spf_result q = DKMOD_SPF_PASS;
	const char *start = term;
	struct spfrec_term *t;
	size_t n = 0, len;
	int mech;

	switch (term[0]) {
	case '+': q = DKMOD_SPF_PASS, term++; break;
	case '-': q = DKMOD_SPF_FAIL, term++; break;
	case '~': q = DKMOD_SPF_SOFTFAIL, term++; break;
	case '?': q = DKMOD_SPF_NEUTRAL, term++; break;
	}
	len = strlen(term);
	if (len && spfrec_alpha(term[0]))
		while (n < len && (spfrec_alpha(term[n]) || spfrec_digit(term[n]) || strchr("-_.", term[n])))
			n++;
	if (n && term[n] == '=') {
		*why = "a qualifier before a modifier";
		return term == start && spfrec_modifier(term, n, rec, why);
	}
	mech = n ? spfrec_mech_name(term, n) : -1;
	if (mech < 0) {
		*why = "unknown mechanism";
		return false;
	}
	if (rec->nterms == SPFREC_MAX_TERMS) {
		*why = "too many terms";
		return false;
	}
	t = &rec->terms[rec->nterms++];
	memset(t, 0, sizeof *t);
	t->mech = (enum spfrec_mech)mech;
	t->qualifier = q;
	t->cidr4 = 32;
	t->cidr6 = 128;
	return spfrec_mech_args(term + n, len - n, t, why);
}

/* spfrec_parse - parse a whole record into rec; false and *why on a syntax error (permerror) */
bool spfrec_parse(const char *txt, size_t len, struct spfrec *rec, const char **why)
{
	const char *ignored;
	size_t i;

	if (!why)
		why = &ignored;
	memset(rec, 0, offsetof(struct spfrec, text));
	if (len > SPFREC_MAX_LEN) {
		*why = "record too long";
		return false;
	}
	if (!spfrec_is_spf(txt, len)) {
		*why = "not an SPF record";
		return false;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)txt[i] < 0x20 || (unsigned char)txt[i] > 0x7e) {
			*why = "a control or non-ASCII character";
			return false;
		}
	}
	/* the copy starts with the NUL that ends "v=spf1", so every term follows a NUL */
	memcpy(rec->text, txt, len);
	rec->text[len] = '\0';
	for (i = 6; i < len;) {
		size_t end;

		rec->text[i++] = '\0'; /* the space before the term */
		if (rec->text[i] == ' ' || rec->text[i] == '\0')
			continue;
		end = i;
		while (end < len && rec->text[end] != ' ')
			end++;
		rec->text[end] = '\0';
		if (!spfrec_term(rec->text + i, rec, why))
			return false;
		i = end;
	}
	return true;
}
