/*
 * fold.c - writing a header field folded under FOLD_WIDTH columns.
 */
#include "msg/fold.h"

#include <stdlib.h>
#include <string.h>

#include "dkmod.h"

/* fold_start - write "Name:" and start folding after it */
int fold_start(struct fold *f, struct str *out, const char *name)
{
	f->out = out;
	if (str_appends(out, name) < 0 || str_appendc(out, ':') < 0)
		return -1;
	f->col = strlen(name) + 1;
	f->indent = 1;
	return 0;
}

/* fold_tabbed - fold into out at column col, tabs to the next tab stop */
void fold_tabbed(struct fold *f, struct str *out, size_t col)
{
	f->out = out;
	f->col = col;
	f->indent = 8;
}

/* fold_newline - start a continuation line */
int fold_newline(struct fold *f)
{
	f->col = f->indent;
	return str_append(f->out, "\r\n\t", 3);
}

/* fold_room - make room for an unbreakable word of n bytes */
int fold_room(struct fold *f, size_t n, bool space)
{
	if (f->col + (space ? 1 : 0) + n > FOLD_WIDTH && f->col > f->indent) {
		if (fold_newline(f) < 0)
			return -1;
	} else if (space) {
		if (str_appendc(f->out, ' ') < 0)
			return -1;
		f->col++;
	}
	f->col += n;
	return str_reserve(f->out, n);
}

/* fold_word - an unbreakable word */
int fold_word(struct fold *f, const char *w, size_t n, bool space)
{
	if (fold_room(f, n, space) < 0)
		return -1;
	return str_append(f->out, w, n);
}

/* fold_tag - "tag=value;" as an unbreakable word after a space */
int fold_tag(struct fold *f, const char *tag, const char *v, size_t n)
{
	size_t t = strlen(tag);
	if (n > FOLD_VALUE_MAX || fold_room(f, t + n + 2, true) < 0)
		return -1;
	struct str *o = f->out;
	char *p = o->data + o->len;
	memcpy(p, tag, t);
	p[t] = '=';
	memcpy(p + t + 1, v, n);
	p[t + 1 + n] = ';';
	o->len += t + n + 2;
	o->data[o->len] = '\0';
	return 0;
}

/* fold_tag_number - "tag=N;" for a number that is not negative */
int fold_tag_number(struct fold *f, const char *tag, unsigned long long v)
{
	char digits[24], *p = digits + sizeof digits;
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return fold_tag(f, tag, p, (size_t)(digits + sizeof digits - p));
}

/* fold_list - "tag=a:b:c;" that may break after any colon: each piece written in place, the
 * room for all of them reserved once */
int fold_list(struct fold *f, const char *tag, const char *value)
{
	size_t t = strlen(tag), len = strlen(value), col = f->col;
	/* at most: the tag, '=', the value, ';' and a space or a fold before each of len + 1 pieces */
	if (str_reserve(f->out, t + 2 + len + 3 * (len + 1)) < 0)
		return -1;
	struct str *o = f->out;
	char *q = o->data + o->len;
	const char *p = value, *end = value + len;
	for (bool first = true;; first = false) {
		const char *c = memchr(p, ':', (size_t)(end - p));
		size_t k = c ? (size_t)(c - p) + 1 : (size_t)(end - p);
		size_t n = (first ? t + 1 : 0) + k + !c;
		if (col + first + n > FOLD_WIDTH && col > f->indent) {
			memcpy(q, "\r\n\t", 3);
			q += 3;
			col = f->indent;
		} else if (first) {
			*q++ = ' ';
			col++;
		}
		if (first) {
			memcpy(q, tag, t);
			q += t;
			*q++ = '=';
		}
		memcpy(q, p, k);
		q += k;
		col += n;
		if (!c) {
			*q++ = ';';
			break;
		}
		p = c + 1;
	}
	o->len = (size_t)(q - o->data);
	o->data[o->len] = '\0';
	f->col = col;
	return 0;
}

/* fold_base64 - text that may break anywhere */
int fold_base64(struct fold *f, const char *v, size_t n)
{
	while (n) {
		if (f->col >= FOLD_WIDTH && fold_newline(f) < 0)
			return -1;
		size_t k = FOLD_WIDTH - f->col;
		if (k > n)
			k = n;
		if (str_append(f->out, v, k) < 0)
			return -1;
		f->col += k;
		v += k;
		n -= k;
	}
	return 0;
}

/* fold_text - free text broken at its blanks */
int fold_text(struct fold *f, const char *v)
{
	/* the column up to which the line holds no word of the text */
	size_t bare = f->col;
	for (const char *p = v; *p;) {
		size_t blanks = strspn(p, " \t"), word = strcspn(p + blanks, " \t");
		if (blanks && f->col > bare && f->col + blanks + word > FOLD_WIDTH) {
			/* the blanks stay, as the white space that starts the continuation line */
			if (str_append(f->out, "\r\n", 2) < 0)
				return -1;
			f->col = bare = 0;
		}
		if (str_append(f->out, p, blanks + word) < 0)
			return -1;
		f->col += blanks + word;
		p += blanks + word;
	}
	return 0;
}

/* dkmod_header_fold - "Name: value" folded at the blanks of value */
char *dkmod_header_fold(const char *name, const char *value)
{
	struct str out = STR_INIT;
	struct fold f;
	int rc = fold_start(&f, &out, name);
	if (rc == 0 && (rc = str_appendc(&out, ' ')) == 0) {
		f.col++;
		rc = fold_text(&f, value);
	}
	if (rc < 0)
		str_free(&out);
	return rc < 0 ? NULL : out.data;
}
