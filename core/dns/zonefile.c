/*
 * zonefile.c - a small RFC 1035 master file reader (see zonefile.h).
 *
 * Supported: $ORIGIN, $TTL, '@', relative names, a blank owner meaning the
 * previous owner, ';' comments outside quotes, parenthesised records over
 * several lines, quoted strings (escapes such as \" and \DDD are kept as
 * written, the resolver library decodes them), optional TTL and class (IN
 * only) in either order.  Not supported: $INCLUDE, $GENERATE.
 */
#include "dns/zonefile.h"
#include "util/grow.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Without $TTL or an earlier explicit TTL (RFC 1035 5.1), as unbound's local data. */
#define ZONEFILE_DEFAULT_TTL 3600UL
#define ZONEFILE_MAX_TTL 2147483647UL

/* A token of the current record; points into the text. */
struct zonefile_tok {
	const char *p;
	size_t len;
	bool quoted;
};

struct zonefile_parser {
	const char *text;
	size_t len;
	size_t pos;
	unsigned line;
	const char *name;
	char *err;
	size_t errlen;
	char *origin;
	char *prev_owner;
	bool have_default_ttl;
	unsigned long default_ttl;
	bool have_last_ttl;
	unsigned long last_ttl;
	struct zonefile *z;
	size_t rrcap;
	struct zonefile_tok *toks;
	size_t ntoks;
	size_t tokcap;
};

/* A growing string. */
struct zonefile_buf {
	char *p;
	size_t len;
	size_t cap;
	bool failed;
};

/* zonefile_error - format "name:line: message" into the caller's buffer */
static void zonefile_error(struct zonefile_parser *p, unsigned line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s:%u: %s", p->name, line, msg);
}

/* zonefile_buf_add - append n bytes */
static void zonefile_buf_add(struct zonefile_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* zonefile_buf_str - append a C string */
static void zonefile_buf_str(struct zonefile_buf *b, const char *s)
{
	zonefile_buf_add(b, s, strlen(s));
}

/* zonefile_buf_take - the built string (caller frees), or NULL if memory ran out */
static char *zonefile_buf_take(struct zonefile_buf *b)
{
	if (b->failed || !b->p) {
		free(b->p);
		return NULL;
	}
	return b->p;
}

/* zonefile_strndup - copy n bytes into a new string */
static char *zonefile_strndup(const char *s, size_t n)
{
	char *r = malloc(n + 1);

	if (r) {
		memcpy(r, s, n);
		r[n] = '\0';
	}
	return r;
}

/* zonefile_absolute - whether the name ends in an unescaped dot */
static bool zonefile_absolute(const char *s, size_t n)
{
	size_t bs = 0;

	if (n == 0 || s[n - 1] != '.')
		return false;
	while (bs + 1 < n && s[n - 2 - bs] == '\\')
		bs++;
	return bs % 2 == 0;
}

/* zonefile_parent - the name without its first label ("." for a TLD), NULL for the root */
static const char *zonefile_parent(const char *name)
{
	const char *s = name;

	if (strcmp(name, ".") == 0)
		return NULL;
	while (*s && *s != '.') {
		if (*s == '\\' && s[1])
			s++;
		s++;
	}
	if (!*s || !s[1])
		return ".";
	return s + 1;
}

/* zonefile_name_eq - case-insensitive name equality */
static bool zonefile_name_eq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* zonefile_under - whether name is zone or below it */
static bool zonefile_under(const char *name, const char *zone)
{
	const char *n;

	if (strcmp(zone, ".") == 0)
		return true;
	for (n = name; n; n = zonefile_parent(n))
		if (zonefile_name_eq(n, zone))
			return true;
	return false;
}

/* zonefile_qualify - an absolute copy of a name token, relative to the origin */
static char *zonefile_qualify(struct zonefile_parser *p, const char *s, size_t n, unsigned line)
{
	struct zonefile_buf b = { 0 };
	char *r;

	if (n == 1 && s[0] == '@') {
		if (!p->origin) {
			zonefile_error(p, line, "'@' without $ORIGIN");
			return NULL;
		}
		r = strdup(p->origin);
	} else if (zonefile_absolute(s, n)) {
		r = zonefile_strndup(s, n);
	} else {
		if (!p->origin) {
			zonefile_error(p, line, "relative name '%.*s' without $ORIGIN", (int)(n > 100 ? 100 : n), s);
			return NULL;
		}
		zonefile_buf_add(&b, s, n);
		if (strcmp(p->origin, ".") != 0)
			zonefile_buf_str(&b, ".");
		zonefile_buf_str(&b, p->origin);
		r = zonefile_buf_take(&b);
	}
	if (!r)
		zonefile_error(p, line, "out of memory");
	return r;
}

/* zonefile_ttl - parse a TTL ("3600", "1h30m", "2d"); false if malformed */
static bool zonefile_ttl(const char *s, size_t n, unsigned long *out)
{
	unsigned long total = 0;
	size_t i = 0;

	if (n == 0 || !isdigit((unsigned char)s[0]))
		return false;
	while (i < n) {
		unsigned long v = 0, mult = 1;

		if (!isdigit((unsigned char)s[i]))
			return false;
		while (i < n && isdigit((unsigned char)s[i])) {
			v = v * 10 + (unsigned long)(s[i] - '0');
			if (v > ZONEFILE_MAX_TTL)
				return false;
			i++;
		}
		if (i < n) {
			switch (tolower((unsigned char)s[i])) {
			case 's': mult = 1; break;
			case 'm': mult = 60; break;
			case 'h': mult = 3600; break;
			case 'd': mult = 86400; break;
			case 'w': mult = 604800; break;
			default: return false;
			}
			i++;
		}
		if (v > (ZONEFILE_MAX_TTL - total) / mult)
			return false;
		total += v * mult;
	}
	*out = total;
	return true;
}

/* zonefile_tok_eq - case-insensitive comparison of an unquoted token with a word */
static bool zonefile_tok_eq(const struct zonefile_tok *t, const char *word)
{
	return !t->quoted && strlen(word) == t->len && strncasecmp(t->p, word, t->len) == 0;
}

/* zonefile_push_tok - add a token to the current record */
static bool zonefile_push_tok(struct zonefile_parser *p, const char *s, size_t n, bool quoted)
{
	struct zonefile_tok *grown = grow_room(p->toks, &p->tokcap, p->ntoks, sizeof *grown, 16);

	if (!grown) {
		zonefile_error(p, p->line, "out of memory");
		return false;
	}
	p->toks = grown;
	p->toks[p->ntoks].p = s;
	p->toks[p->ntoks].len = n;
	p->toks[p->ntoks].quoted = quoted;
	p->ntoks++;
	return true;
}

/* zonefile_next_record - tokenise one logical record; 1 found, 0 end of text, -1 error */
static int zonefile_next_record(struct zonefile_parser *p, bool *blank_owner, unsigned *rec_line)
{
	int depth = 0;
	unsigned open_line = 0;

	p->ntoks = 0;
	while (p->pos < p->len) {
		*rec_line = p->line;
		*blank_owner = p->text[p->pos] == ' ' || p->text[p->pos] == '\t';
		while (p->pos < p->len) {
			char c = p->text[p->pos];
			size_t start = p->pos;

			if (c == ' ' || c == '\t' || c == '\r') {
				p->pos++;
			} else if (c == ';') {
				while (p->pos < p->len && p->text[p->pos] != '\n')
					p->pos++;
			} else if (c == '\n') {
				p->pos++;
				p->line++;
				if (depth == 0)
					break;
			} else if (c == '(') {
				if (depth++ == 0)
					open_line = p->line;
				p->pos++;
			} else if (c == ')') {
				if (depth == 0) {
					zonefile_error(p, p->line, "')' without '('");
					return -1;
				}
				depth--;
				p->pos++;
			} else if (c == '"') {
				p->pos++;
				while (p->pos < p->len && p->text[p->pos] != '"' && p->text[p->pos] != '\n') {
					if (p->text[p->pos] == '\\' && p->pos + 1 < p->len && p->text[p->pos + 1] != '\n')
						p->pos++;
					p->pos++;
				}
				if (p->pos >= p->len || p->text[p->pos] != '"') {
					zonefile_error(p, p->line, "unterminated quoted string");
					return -1;
				}
				p->pos++;
				if (!zonefile_push_tok(p, p->text + start, p->pos - start, true))
					return -1;
			} else {
				while (p->pos < p->len) {
					c = p->text[p->pos];
					if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '(' ||
					    c == ')' || c == '"')
						break;
					if (c == '\\') {
						if (p->pos + 1 >= p->len || p->text[p->pos + 1] == '\n') {
							zonefile_error(p, p->line, "backslash at end of line");
							return -1;
						}
						p->pos++;
					}
					p->pos++;
				}
				if (!zonefile_push_tok(p, p->text + start, p->pos - start, false))
					return -1;
			}
		}
		if (depth > 0) {
			zonefile_error(p, open_line, "'(' without ')'");
			return -1;
		}
		if (p->ntoks > 0)
			return 1;
	}
	return 0;
}

/* zonefile_directive - handle $ORIGIN and $TTL */
static bool zonefile_directive(struct zonefile_parser *p, unsigned line)
{
	const struct zonefile_tok *t = p->toks;

	if (zonefile_tok_eq(&t[0], "$ORIGIN")) {
		char *o;

		if (p->ntoks != 2 || t[1].quoted) {
			zonefile_error(p, line, "$ORIGIN needs one name");
			return false;
		}
		if (t[1].len == 1 && t[1].p[0] == '@') {
			zonefile_error(p, line, "$ORIGIN needs a name, not '@'");
			return false;
		}
		o = zonefile_qualify(p, t[1].p, t[1].len, line);
		if (!o)
			return false;
		free(p->origin);
		p->origin = o;
		return true;
	}
	if (zonefile_tok_eq(&t[0], "$TTL")) {
		if (p->ntoks != 2 || !zonefile_ttl(t[1].p, t[1].len, &p->default_ttl)) {
			zonefile_error(p, line, "$TTL needs one TTL");
			return false;
		}
		p->have_default_ttl = true;
		return true;
	}
	zonefile_error(p, line, "unsupported directive %.*s", (int)(t[0].len > 40 ? 40 : t[0].len), t[0].p);
	return false;
}

/* zonefile_name_fields - bit i set if rdata field i of the type is a domain name */
static unsigned zonefile_name_fields(const char *type)
{
	static const struct {
		const char *type;
		unsigned fields;
	} table[] = {
		{ "CNAME", 1 }, { "DNAME", 1 }, { "NS", 1 }, { "PTR", 1 }, { "MB", 1 }, { "MG", 1 },
		{ "MR", 1 }, { "MX", 2 }, { "KX", 2 }, { "RT", 2 }, { "AFSDB", 2 }, { "SOA", 3 },
		{ "MINFO", 3 }, { "RP", 3 }, { "SRV", 8 },
	};
	size_t i;

	for (i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strcmp(table[i].type, type) == 0)
			return table[i].fields;
	return 0;
}

/* zonefile_add_rr - append a finished record to the result */
static bool zonefile_add_rr(struct zonefile_parser *p, struct zonefile_rr *rr)
{
	struct zonefile *z = p->z;

	struct zonefile_rr *grown = grow_room(z->rrs, &p->rrcap, z->count, sizeof *grown, 16);

	if (!grown)
		return false;
	z->rrs = grown;
	z->rrs[z->count++] = *rr;
	return true;
}

/* zonefile_record - turn the tokens of one record into a zonefile_rr */
static bool zonefile_record(struct zonefile_parser *p, bool blank_owner, unsigned line)
{
	const struct zonefile_tok *t = p->toks;
	struct zonefile_rr rr = { 0 };
	struct zonefile_buf b = { 0 };
	bool have_ttl = false, have_class = false;
	unsigned long ttl = 0;
	unsigned fields;
	size_t i = 0, k;
	char num[32];

	rr.line = line;
	if (!blank_owner) {
		if (t[0].quoted) {
			zonefile_error(p, line, "quoted owner name");
			return false;
		}
		rr.owner = zonefile_qualify(p, t[0].p, t[0].len, line);
		if (!rr.owner)
			return false;
		i = 1;
	} else {
		if (!p->prev_owner) {
			zonefile_error(p, line, "no owner name and no previous record");
			return false;
		}
		rr.owner = strdup(p->prev_owner);
		if (!rr.owner)
			goto nomem;
	}
	for (; i < p->ntoks && !t[i].quoted; i++) {
		if (!have_ttl && isdigit((unsigned char)t[i].p[0])) {
			if (!zonefile_ttl(t[i].p, t[i].len, &ttl)) {
				zonefile_error(p, line, "bad TTL '%.*s'", (int)(t[i].len > 40 ? 40 : t[i].len), t[i].p);
				goto fail;
			}
			have_ttl = true;
		} else if (!have_class && zonefile_tok_eq(&t[i], "IN")) {
			have_class = true;
		} else if (!have_class && (zonefile_tok_eq(&t[i], "CH") || zonefile_tok_eq(&t[i], "HS") ||
					   zonefile_tok_eq(&t[i], "CS") ||
					   (t[i].len > 5 && strncasecmp(t[i].p, "CLASS", 5) == 0))) {
			zonefile_error(p, line, "only class IN is supported");
			goto fail;
		} else {
			break;
		}
	}
	if (i >= p->ntoks || t[i].quoted) {
		zonefile_error(p, line, "missing record type");
		goto fail;
	}
	if (!isalpha((unsigned char)t[i].p[0])) {
		zonefile_error(p, line, "bad record type '%.*s'", (int)(t[i].len > 40 ? 40 : t[i].len), t[i].p);
		goto fail;
	}
	for (k = 0; k < t[i].len; k++) {
		if (!isalnum((unsigned char)t[i].p[k]) && t[i].p[k] != '-') {
			zonefile_error(p, line, "bad record type '%.*s'", (int)(t[i].len > 40 ? 40 : t[i].len), t[i].p);
			goto fail;
		}
	}
	rr.type = zonefile_strndup(t[i].p, t[i].len);
	if (!rr.type)
		goto nomem;
	for (k = 0; rr.type[k]; k++)
		rr.type[k] = (char)toupper((unsigned char)rr.type[k]);
	i++;
	if (i >= p->ntoks) {
		zonefile_error(p, line, "missing data for %s record", rr.type);
		goto fail;
	}
	if (have_ttl) {
		p->last_ttl = ttl;
		p->have_last_ttl = true;
	} else if (p->have_default_ttl) {
		ttl = p->default_ttl;
	} else if (p->have_last_ttl) {
		ttl = p->last_ttl;
	} else {
		ttl = ZONEFILE_DEFAULT_TTL;
	}
	snprintf(num, sizeof num, " %lu IN ", ttl);
	zonefile_buf_str(&b, rr.owner);
	zonefile_buf_str(&b, num);
	zonefile_buf_str(&b, rr.type);
	fields = zonefile_name_fields(rr.type);
	for (k = 0; i < p->ntoks; i++, k++) {
		zonefile_buf_str(&b, " ");
		if (k < 8 && (fields & (1u << k)) && !t[i].quoted) {
			char *n = zonefile_qualify(p, t[i].p, t[i].len, line);

			if (!n)
				goto fail;
			zonefile_buf_str(&b, n);
			free(n);
		} else {
			zonefile_buf_add(&b, t[i].p, t[i].len);
		}
	}
	rr.text = zonefile_buf_take(&b);
	b.p = NULL;
	if (!rr.text)
		goto nomem;
	if (p->origin && !(rr.origin = strdup(p->origin)))
		goto nomem;
	free(p->prev_owner);
	p->prev_owner = strdup(rr.owner);
	if (!p->prev_owner || !zonefile_add_rr(p, &rr))
		goto nomem;
	return true;
nomem:
	zonefile_error(p, line, "out of memory");
fail:
	free(b.p);
	free(rr.text);
	free(rr.owner);
	free(rr.type);
	free(rr.origin);
	return false;
}

/* zonefile_add_apex - add a zone apex unless already present */
static bool zonefile_add_apex(struct zonefile *z, const char *name)
{
	char **n;
	size_t i;

	for (i = 0; i < z->napexes; i++)
		if (zonefile_name_eq(z->apexes[i], name))
			return true;
	n = realloc(z->apexes, (z->napexes + 1) * sizeof *n);
	if (!n)
		return false;
	z->apexes = n;
	z->apexes[z->napexes] = strdup(name);
	if (!z->apexes[z->napexes])
		return false;
	z->napexes++;
	return true;
}

/* zonefile_find_apexes - SOA owners; else the $ORIGIN of a record; else the top owner names */
static bool zonefile_find_apexes(struct zonefile *z)
{
	bool *covered;
	size_t i, j, nsoa;
	bool ok = true;

	covered = calloc(z->count ? z->count : 1, sizeof *covered);
	if (!covered)
		return false;
	for (i = 0; ok && i < z->count; i++)
		if (strcmp(z->rrs[i].type, "SOA") == 0)
			ok = zonefile_add_apex(z, z->rrs[i].owner);
	nsoa = z->napexes;
	for (i = 0; i < z->count; i++)
		for (j = 0; j < nsoa && !covered[i]; j++)
			covered[i] = zonefile_under(z->rrs[i].owner, z->apexes[j]);
	for (i = 0; ok && i < z->count; i++) {
		const char *o = z->rrs[i].origin;

		/* "." as $ORIGIN would make the whole name space a local zone */
		if (!covered[i] && o && strcmp(o, ".") != 0 && zonefile_under(z->rrs[i].owner, o)) {
			ok = zonefile_add_apex(z, o);
			covered[i] = true;
		}
	}
	for (i = 0; ok && i < z->count; i++) {
		const char *name = z->rrs[i].owner, *apex;
		bool top = true, has_below = false;

		if (covered[i])
			continue;
		for (j = 0; j < z->count; j++) {
			if (covered[j] || zonefile_name_eq(z->rrs[j].owner, name))
				continue;
			if (zonefile_under(name, z->rrs[j].owner))
				top = false;
			else if (zonefile_under(z->rrs[j].owner, name))
				has_below = true;
		}
		if (!top)
			continue;
		apex = has_below ? name : zonefile_parent(name);
		ok = zonefile_add_apex(z, apex ? apex : ".");
	}
	free(covered);
	return ok;
}

/* zonefile_parse - parse text (named name in messages); origin may be NULL */
struct zonefile *zonefile_parse(const char *text, size_t len, const char *name, const char *origin,
				char *err, size_t errlen)
{
	struct zonefile_parser p = { 0 };
	bool blank_owner = false, ok = true;
	unsigned line = 0;
	int r;

	p.text = text;
	p.len = len;
	p.line = 1;
	p.name = name ? name : "-";
	p.err = err;
	p.errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	p.z = calloc(1, sizeof *p.z);
	if (!p.z) {
		zonefile_error(&p, 0, "out of memory");
		return NULL;
	}
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		/* names and strings become C strings: a NUL would silently cut them short */
		unsigned nl = 1;
		for (const char *q = text; q < nul; q++)
			nl += *q == '\n';
		zonefile_error(&p, nl, "NUL byte in the zone file");
		free(p.z);
		return NULL;
	}
	if (origin && *origin) {
		struct zonefile_buf b = { 0 };

		zonefile_buf_str(&b, origin);
		if (!zonefile_absolute(origin, strlen(origin)))
			zonefile_buf_str(&b, ".");
		p.origin = zonefile_buf_take(&b);
		if (!p.origin) {
			zonefile_error(&p, 0, "out of memory");
			ok = false;
		}
	}
	while (ok && (r = zonefile_next_record(&p, &blank_owner, &line)) != 0) {
		if (r < 0)
			ok = false;
		else if (!blank_owner && !p.toks[0].quoted && p.toks[0].p[0] == '$')
			ok = zonefile_directive(&p, line);
		else
			ok = zonefile_record(&p, blank_owner, line);
	}
	if (ok && !zonefile_find_apexes(p.z)) {
		zonefile_error(&p, p.line, "out of memory");
		ok = false;
	}
	free(p.toks);
	free(p.origin);
	free(p.prev_owner);
	if (!ok) {
		zonefile_free(p.z);
		return NULL;
	}
	return p.z;
}

/* zonefile_read - parse the file at path; NULL and "path:line: message" in err on failure */
struct zonefile *zonefile_read(const char *path, const char *origin, char *err, size_t errlen)
{
	struct zonefile_buf b = { 0 };
	struct zonefile *z;
	char chunk[8192];
	size_t n;
	FILE *f;
	char *text;

	f = fopen(path, "r");
	if (!f) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		zonefile_buf_add(&b, chunk, n);
	if (ferror(f)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: read error", path);
		fclose(f);
		free(b.p);
		return NULL;
	}
	fclose(f);
	if (!b.p)
		zonefile_buf_add(&b, "", 0);
	text = zonefile_buf_take(&b);
	if (!text) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	z = zonefile_parse(text, b.len, path, origin, err, errlen);
	free(text);
	return z;
}

/* zonefile_free - free a parsed file; NULL is fine */
void zonefile_free(struct zonefile *z)
{
	size_t i;

	if (!z)
		return;
	for (i = 0; i < z->count; i++) {
		free(z->rrs[i].text);
		free(z->rrs[i].owner);
		free(z->rrs[i].type);
		free(z->rrs[i].origin);
	}
	for (i = 0; i < z->napexes; i++)
		free(z->apexes[i]);
	free(z->rrs);
	free(z->apexes);
	free(z);
}
