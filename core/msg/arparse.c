/*
 * arparse.c - an Authentication-Results value read by the grammar of RFC
 * 8601 2.2: [CFWS] authserv-id [CFWS version] then "; none" or resinfos
 * "; method[/version]=result [reason=value] [ptype.property=pvalue ...]".
 * Comments are skipped wherever CFWS may stand; names are Keywords
 * (letters, digits, '-'); values are RFC 2045 tokens or quoted strings, and
 * a property value may also be local-part@domain.  Strict: anything else is
 * an error with its reason, and nothing of a field that does not parse is
 * used.
 */
#include <string.h>
#include <strings.h>

#include "msg/arparse.h"

/* The reader: the value, the position, where strings go, and why it stopped. */
struct arparse_cur {
	const char *v;
	size_t len, i;
	struct arena *a;
	const char *why;
};

/* arparse_skip_cfws - skip whitespace, line ends and nested comments from i */
size_t arparse_skip_cfws(const char *v, size_t len, size_t i, bool *open)
{
	size_t depth = 0;
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
	*open = depth != 0;
	return i < len ? i : len;
}

/* arparse_token_char - an RFC 2045 token character (bytes above 127 too) */
bool arparse_token_char(unsigned char c)
{
	return c > 32 && c != 127 && !strchr("()<>@,;:\\\"/[]?=", c);
}

/* arparse_fail - stop with a reason (the first one stays); always false */
static bool arparse_fail(struct arparse_cur *c, const char *why)
{
	if (!c->why)
		c->why = why;
	return false;
}

/* arparse_cfws - skip CFWS; false on a comment left open */
static bool arparse_cfws(struct arparse_cur *c)
{
	bool open;
	c->i = arparse_skip_cfws(c->v, c->len, c->i, &open);
	return !open || arparse_fail(c, "unclosed comment");
}

/* arparse_peek - the character at the position, or '\0' at the end */
static char arparse_peek(const struct arparse_cur *c)
{
	return c->i < c->len ? c->v[c->i] : '\0';
}

/* arparse_keyword - a Keyword (letters, digits, '-') in lower case into *out */
static bool arparse_keyword(struct arparse_cur *c, const char *what, const char **out)
{
	size_t start = c->i;
	while (c->i < c->len) {
		char ch = c->v[c->i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-'))
			break;
		c->i++;
	}
	if (c->i == start)
		return arparse_fail(c, what);
	char *k = arena_strndup(c->a, c->v + start, c->i - start);
	if (!k)
		return arparse_fail(c, "out of memory");
	for (char *p = k; *p; p++)
		*p = *p >= 'A' && *p <= 'Z' ? (char)(*p + 32) : *p;
	*out = k;
	return true;
}

/* arparse_quoted - a quoted string at the position, appended to buf unless it is NULL
 * (quoted-pairs stand for their character, the line ends of folds vanish); *n counts */
static bool arparse_quoted(struct arparse_cur *c, char *buf, size_t *n)
{
	for (c->i++; c->i < c->len; c->i++) {
		char ch = c->v[c->i];
		if (ch == '"') {
			c->i++;
			return true;
		}
		if (ch == '\r' || ch == '\n')
			continue;
		if (ch == '\\' && ++c->i == c->len)
			break;
		if (c->v[c->i] == '\0')
			return arparse_fail(c, "NUL in a quoted string");
		if (buf)
			buf[*n] = c->v[c->i];
		(*n)++;
	}
	return arparse_fail(c, "unterminated quoted string");
}

/* arparse_scan - one pass over a value from the position, into buf unless it is NULL: a token
 * or a quoted string; with pvalue also local-part@domain (runs of token characters, '@', '/',
 * '=', '?', '.' and quoted strings); *n gets the length */
static bool arparse_scan(struct arparse_cur *c, bool pvalue, char *buf, size_t *n)
{
	size_t start = c->i;
	*n = 0;
	while (c->i < c->len) {
		unsigned char ch = (unsigned char)c->v[c->i];
		if (ch == '"' && (pvalue || c->i == start)) {
			if (!arparse_quoted(c, buf, n))
				return false;
			if (!pvalue)
				break;
		} else if (arparse_token_char(ch) || (pvalue && strchr("@/=?.", ch))) {
			if (buf)
				buf[*n] = (char)ch;
			(*n)++;
			c->i++;
		} else {
			break;
		}
	}
	return true;
}

/* arparse_value - a value (arparse_scan) copied into the arena as *out */
static bool arparse_value(struct arparse_cur *c, bool pvalue, const char *what, const char **out)
{
	size_t start = c->i, n;
	if (!arparse_scan(c, pvalue, NULL, &n))
		return false;
	if (c->i == start)
		return arparse_fail(c, what);
	char *buf = arena_alloc_raw(c->a, n + 1);
	if (!buf)
		return arparse_fail(c, "out of memory");
	c->i = start;
	arparse_scan(c, pvalue, buf, &n);
	buf[n] = '\0';
	*out = buf;
	return true;
}

/* arparse_version - digits after CFWS; only version 1 is known (RFC 8601 2.2) */
static bool arparse_version(struct arparse_cur *c)
{
	size_t start = c->i;
	while (c->i < c->len && c->v[c->i] >= '0' && c->v[c->i] <= '9')
		c->i++;
	if (c->i == start)
		return true;
	while (start < c->i - 1 && c->v[start] == '0')
		start++;
	return (c->i - start == 1 && c->v[start] == '1') || arparse_fail(c, "unknown version");
}

/* arparse_prop_one - "ptype.property=pvalue" after the ptype keyword */
static bool arparse_prop_one(struct arparse_cur *c, struct arparse_result *r, const char *ptype)
{
	if (r->nprops == ARPARSE_MAX_PROPS)
		return arparse_fail(c, "too many properties in one result");
	struct arparse_prop *p = &r->props[r->nprops];
	p->ptype = ptype;
	c->i++; /* the '.' */
	if (!arparse_cfws(c) || !arparse_keyword(c, "property name expected", &p->property) || !arparse_cfws(c))
		return false;
	if (arparse_peek(c) != '=')
		return arparse_fail(c, "'=' expected after a property name");
	c->i++;
	if (!arparse_cfws(c) || !arparse_value(c, true, "property value expected", &p->value))
		return false;
	r->nprops++;
	return true;
}

/* arparse_resinfo - one resinfo after its ';' */
static bool arparse_resinfo(struct arparse_cur *c, struct arparse_result *r)
{
	r->reason = "";
	if (!arparse_cfws(c) || !arparse_keyword(c, "method expected", &r->method) || !arparse_cfws(c))
		return false;
	if (arparse_peek(c) == '/') { /* method-version: only 1 is known */
		c->i++;
		if (!arparse_cfws(c))
			return false;
		if (!(arparse_peek(c) >= '0' && arparse_peek(c) <= '9'))
			return arparse_fail(c, "method version expected");
		if (!arparse_version(c) || !arparse_cfws(c))
			return false;
	}
	if (arparse_peek(c) != '=')
		return arparse_fail(c, "'=' expected after the method");
	c->i++;
	if (!arparse_cfws(c) || !arparse_keyword(c, "result expected", &r->result))
		return false;
	for (;;) {
		if (!arparse_cfws(c))
			return false;
		if (c->i == c->len || c->v[c->i] == ';')
			return true;
		const char *name;
		if (!arparse_keyword(c, "reason or property expected", &name) || !arparse_cfws(c))
			return false;
		if (arparse_peek(c) == '.') {
			if (!arparse_prop_one(c, r, name))
				return false;
		} else if (strcmp(name, "reason") == 0 && arparse_peek(c) == '=' && !r->reason[0] && !r->nprops) {
			c->i++;
			if (!arparse_cfws(c) || !arparse_value(c, false, "reason value expected", &r->reason))
				return false;
		} else {
			return arparse_fail(c, "reason or property expected");
		}
	}
}

/* arparse_none - the no-result form "; none" at the end */
static bool arparse_none(struct arparse_cur *c)
{
	size_t at = c->i;
	bool open;
	if (c->len - at < 4 || strncasecmp(c->v + at, "none", 4) != 0)
		return false;
	size_t end = arparse_skip_cfws(c->v, c->len, at + 4, &open);
	if (end == c->len && !open) {
		c->i = end;
		return true;
	}
	return false;
}

/* arparse - parse an A-R value into *out; NULL, or why it does not parse */
const char *arparse(struct arena *a, const char *value, size_t len, struct arparse *out)
{
	struct arparse_cur c = {.v = value, .len = len, .a = a};
	*out = (struct arparse){0};
	if (!arparse_cfws(&c) || !arparse_value(&c, false, "authserv-id expected", &out->authserv_id))
		return c.why;
	size_t after_id = c.i;
	if (!arparse_cfws(&c))
		return c.why;
	if (arparse_peek(&c) >= '0' && arparse_peek(&c) <= '9' && c.i == after_id)
		return "version not apart from the authserv-id";
	if (!arparse_version(&c) || !arparse_cfws(&c))
		return c.why;
	if (c.i == c.len)
		return "no result";
	size_t cap = 1; /* a resinfo per ';' at most: memory in proportion to the input */
	for (size_t k = c.i; k < c.len && cap < ARPARSE_MAX_RESULTS; k++)
		cap += c.v[k] == ';';
	if (!(out->results = arena_alloc(a, cap * sizeof *out->results)))
		return "out of memory";
	while (c.i < c.len) {
		if (c.v[c.i] != ';')
			return "';' expected";
		c.i++;
		if (!arparse_cfws(&c))
			return c.why;
		if (out->n == 0 && arparse_none(&c))
			return NULL;
		if (out->n == cap)
			return "too many results";
		if (!arparse_resinfo(&c, &out->results[out->n]))
			return c.why;
		out->n++;
	}
	return NULL;
}

/* arparse_prop - the value of ptype.property in r, or NULL */
const char *arparse_prop(const struct arparse_result *r, const char *ptype, const char *property)
{
	for (size_t i = 0; i < r->nprops; i++)
		if (strcmp(r->props[i].ptype, ptype) == 0 && strcmp(r->props[i].property, property) == 0)
			return r->props[i].value;
	return NULL;
}
