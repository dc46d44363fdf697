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

/* fold_room_inline - fold_room, inline in the writers of words */
static inline int fold_room_inline(struct fold *f, size_t n, bool space)
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

/* fold_room - make room for an unbreakable word of n bytes */
int fold_room(struct fold *f, size_t n, bool space)
{
	return fold_room_inline(f, n, space);
}

/* fold_word - an unbreakable word */
int fold_word(struct fold *f, const char *w, size_t n, bool space)
{
	if (fold_room_inline(f, n, space) < 0)
		return -1;
	return str_append(f->out, w, n);
}

/* fold_tag_sized - "tag=value;" as an unbreakable word after a space (the tag, a byte or two,
 * copied byte by byte) */
int fold_tag_sized(struct fold *f, const char *tag, size_t t, const char *v, size_t n)
{
	if (n > FOLD_VALUE_MAX || fold_room_inline(f, t + n + 2, true) < 0)
		return -1;
	struct str *o = f->out;
	char *p = o->data + o->len;
	for (size_t i = 0; i < t; i++)
		p[i] = tag[i];
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
	return fold_tag_sized(f, tag, strlen(tag), p, (size_t)(digits + sizeof digits - p));
}

/* fold_piece - at q, before a piece of a list n columns wide (with "tag=" in the first, with ';'
 * in the last): a fold when it does not fit on the line (unless the line holds nothing yet), else
 * the space before the first piece, and "tag=" there; where the piece's bytes go */
static inline char *fold_piece(const struct fold *f, char *q, size_t *col, const char *tag, size_t t, bool first,
			       size_t n)
{
	if (*col + first + n > FOLD_WIDTH && *col > f->indent) {
		memcpy(q, "\r\n\t", 3);
		q += 3;
		*col = f->indent;
	} else if (first) {
		*q++ = ' ';
		(*col)++;
	}
	*col += n;
	if (first) {
		memcpy(q, tag, t);
		q += t;
		*q++ = '=';
	}
	return q;
}

/* fold_list_end - the list written up to q: its length and column */
static void fold_list_end(struct fold *f, char *q, size_t col)
{
	struct str *o = f->out;
	o->len = (size_t)(q - o->data);
	o->data[o->len] = '\0';
	f->col = col;
}

/* fold_list_room - room for a list of len bytes: the tag, '=', the value, ';' and a space or a
 * fold before each of at most len + 1 pieces */
static int fold_list_room(struct fold *f, size_t t, size_t len)
{
	return str_reserve(f->out, t + 2 + len + 3 * (len + 1));
}

/* fold_list - "tag=a:b:c;" that may break after any colon: each piece written in place, the
 * room for all of them reserved once */
int fold_list(struct fold *f, const char *tag, const char *value)
{
	size_t t = strlen(tag), len = strlen(value), col = f->col;
	if (fold_list_room(f, t, len) < 0)
		return -1;
	char *q = f->out->data + f->out->len;
	const char *p = value, *end = value + len;
	for (bool first = true;; first = false) {
		const char *c = memchr(p, ':', (size_t)(end - p));
		size_t k = c ? (size_t)(c - p) + 1 : (size_t)(end - p);
		q = fold_piece(f, q, &col, tag, t, first, (first ? t + 1 : 0) + k + !c);
		memcpy(q, p, k);
		q += k;
		if (!c) {
			*q++ = ';';
			break;
		}
		p = c + 1;
	}
	fold_list_end(f, q, col);
	return 0;
}

/* fold_items - the items' mentions as fold_list writes them joined by colons, with no search for
 * the colons: each mention is a piece */
int fold_items(struct fold *f, const char *tag, const struct fold_item *items, size_t n)
{
	size_t t = strlen(tag), len = 0, col = f->col;
	for (size_t i = 0; i < n; i++)
		len += items[i].times * (items[i].len + 1);
	if (fold_list_room(f, t, len) < 0)
		return -1;
	char *q = f->out->data + f->out->len;
	bool first = true;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < items[i].times; k++, first = false) {
			q = fold_piece(f, q, &col, tag, t, first, (first ? t + 1 : 0) + items[i].len + 1);
			memcpy(q, items[i].name, items[i].len);
			q += items[i].len;
			*q++ = ':';
		}
	if (first)
		q = fold_piece(f, q, &col, tag, t, true, t + 2);
	else
		q--; /* the last mention's colon */
	*q++ = ';';
	fold_list_end(f, q, col);
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
