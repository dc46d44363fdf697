/*
 * conf_src.c - a token view of the configuration file, only to tell on
 * which line an option of a block is written (Lua reports the line of a
 * call, not of a table field).  Knows Lua's comments, strings and long
 * brackets well enough to skip them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

enum confsrc_kind { CONFSRC_NAME, CONFSRC_STRING, CONFSRC_PUNCT, CONFSRC_OTHER };

struct confsrc_token {
	enum confsrc_kind kind;
	char punct;          /* for CONFSRC_PUNCT: { } [ ] = */
	int line;
	size_t start, len;   /* in the text (names only) */
};

struct confsrc {
	char *text;
	size_t len;
	struct confsrc_token *tokens;
	size_t count, cap;
};

/* confsrc_push - append a token; false if out of memory */
static bool confsrc_push(struct confsrc *s, enum confsrc_kind kind, char punct, int line, size_t start, size_t len)
{
	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct confsrc_token *t = realloc(s->tokens, cap * sizeof *t);
		if (!t)
			return false;
		s->tokens = t;
		s->cap = cap;
	}
	s->tokens[s->count++] = (struct confsrc_token){kind, punct, line, start, len};
	return true;
}

/* confsrc_long_level - the level of a long bracket [==[ at p, or -1 */
static int confsrc_long_level(const char *p)
{
	int level = 0;
	if (*p++ != '[')
		return -1;
	while (*p == '=') {
		level++;
		p++;
	}
	return *p == '[' ? level : -1;
}

/* confsrc_skip_long - past the closing bracket of a long string or comment of level */
static const char *confsrc_skip_long(const char *p, int level, int *line)
{
	p += level + 2;
	for (; *p; p++) {
		if (*p == '\n')
			(*line)++;
		if (*p != ']')
			continue;
		const char *q = p + 1;
		int n = 0;
		while (*q == '=') {
			n++;
			q++;
		}
		if (n == level && *q == ']')
			return q + 1;
	}
	return p;
}

/* confsrc_tokenize - split the text into tokens */
static bool confsrc_tokenize(struct confsrc *s)
{
	const char *p = s->text;
	int line = 1;
	while (*p) {
		const char *t = p;
		int level;
		if (*p == '\n') {
			line++;
			p++;
		} else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v') {
			p++;
		} else if (p[0] == '-' && p[1] == '-') {
			if ((level = confsrc_long_level(p + 2)) >= 0)
				p = confsrc_skip_long(p + 2, level, &line);
			else
				while (*p && *p != '\n')
					p++;
		} else if ((level = confsrc_long_level(p)) >= 0) {
			int at = line;
			p = confsrc_skip_long(p, level, &line);
			if (!confsrc_push(s, CONFSRC_STRING, 0, at, 0, 0))
				return false;
		} else if (*p == '"' || *p == '\'') {
			char q = *p++;
			int at = line;
			while (*p && *p != q && *p != '\n') {
				if (*p == '\\' && p[1]) {
					if (p[1] == '\n')
						line++;
					p++;
				}
				p++;
			}
			if (*p == q)
				p++;
			if (!confsrc_push(s, CONFSRC_STRING, 0, at, 0, 0))
				return false;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_') {
			while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || (*p >= '0' && *p <= '9'))
				p++;
			if (!confsrc_push(s, CONFSRC_NAME, 0, line, (size_t)(t - s->text), (size_t)(p - t)))
				return false;
		} else if (*p == '=' && p[1] == '=') {
			p += 2;
			if (!confsrc_push(s, CONFSRC_OTHER, 0, line, 0, 0))
				return false;
		} else if (strchr("{}[]=", *p)) {
			if (!confsrc_push(s, CONFSRC_PUNCT, *p, line, 0, 0))
				return false;
			p++;
		} else {
			p++;
			if (!confsrc_push(s, CONFSRC_OTHER, 0, line, 0, 0))
				return false;
		}
	}
	return true;
}

/* confsrc_new - read and tokenize the file */
struct confsrc *confsrc_new(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct confsrc *s = calloc(1, sizeof *s);
	size_t len = 0, cap = 0;
	char buf[8192];
	size_t n;
	bool ok = s != NULL;
	while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			char *t = realloc(s->text, cap);
			if (!t) {
				ok = false;
				break;
			}
			s->text = t;
		}
		memcpy(s->text + len, buf, n);
		len += n;
	}
	fclose(f);
	if (ok && !s->text)
		ok = (s->text = calloc(1, 1)) != NULL;
	if (ok) {
		s->text[len] = '\0';
		s->len = len;
		ok = confsrc_tokenize(s);
	}
	if (!ok) {
		confsrc_free(s);
		return NULL;
	}
	return s;
}

/* confsrc_free - NULL is fine */
void confsrc_free(struct confsrc *s)
{
	if (!s)
		return;
	free(s->text);
	free(s->tokens);
	free(s);
}

/* confsrc_text - the file's bytes (NUL-terminated; len excludes the NUL) */
const char *confsrc_text(const struct confsrc *s, size_t *len)
{
	*len = s->len;
	return s->text;
}

/* confsrc_is_name - token i is the name n */
static bool confsrc_is_name(const struct confsrc *s, size_t i, const char *n)
{
	const struct confsrc_token *t = &s->tokens[i];
	return t->kind == CONFSRC_NAME && t->len == strlen(n) && memcmp(s->text + t->start, n, t->len) == 0;
}

/* confsrc_is_punct - token i is the punctuation c */
static bool confsrc_is_punct(const struct confsrc *s, size_t i, char c)
{
	return i < s->count && s->tokens[i].kind == CONFSRC_PUNCT && s->tokens[i].punct == c;
}

/* confsrc_option_line - the line of "key =" directly inside the nth call of kind on line */
int confsrc_option_line(const struct confsrc *s, const char *kind, int line, int nth, const char *key, int fallback)
{
	if (!s)
		return fallback;
	size_t i = 0, at;
	for (; i < s->count; i++)
		if (s->tokens[i].line == line && confsrc_is_name(s, i, kind) && nth-- == 0)
			break;
	/* the table follows the name (and a string), perhaps in parentheses */
	for (at = i; i < s->count && i - at <= 4 && !confsrc_is_punct(s, i, '{'); i++)
		;
	if (i >= s->count || i - at > 4)
		return fallback;
	int depth = 0;
	for (; i < s->count; i++) {
		if (confsrc_is_punct(s, i, '{')) {
			depth++;
		} else if (confsrc_is_punct(s, i, '}')) {
			if (--depth == 0)
				break;
		} else if (depth == 1 && confsrc_is_name(s, i, key) && confsrc_is_punct(s, i + 1, '=') &&
			   !confsrc_is_punct(s, i - 1, '[')) {
			return s->tokens[i].line;
		}
	}
	return fallback;
}
