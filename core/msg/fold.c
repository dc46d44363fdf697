/*
 * fold.c - writing a header field folded under FOLD_WIDTH columns.
 */
#include "msg/fold.h"

#include <string.h>

/* fold_start - write "Name:" and start folding after it */
int fold_start(struct fold *f, struct str *out, const char *name)
{
	f->out = out;
	if (str_appends(out, name) < 0 || str_appendc(out, ':') < 0)
		return -1;
	f->col = strlen(name) + 1;
	return 0;
}

/* fold_resume - continue folding at the end of out */
void fold_resume(struct fold *f, struct str *out)
{
	f->out = out;
	f->col = 0;
	for (size_t i = out->len; i > 0 && out->data[i - 1] != '\n'; i--)
		f->col++;
}

/* fold_break - start a continuation line */
static int fold_break(struct fold *f)
{
	f->col = 1;
	return str_append(f->out, "\r\n\t", 3);
}

/* fold_room - make room for an unbreakable word of n bytes: a fold when it does not fit,
 * else the space before it if asked */
static int fold_room(struct fold *f, size_t n, bool space)
{
	if (f->col + (space ? 1 : 0) + n > FOLD_WIDTH && f->col > 1) {
		if (fold_break(f) < 0)
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

/* fold_list - "tag=a:b:c;" that may break after any colon */
int fold_list(struct fold *f, const char *tag, const char *value)
{
	struct str w = STR_INIT;
	bool first = true;
	int rc = 0;
	for (const char *p = value; rc == 0;) {
		const char *c = strchr(p, ':');
		size_t k = c ? (size_t)(c - p) + 1 : strlen(p);
		str_clear(&w);
		if ((first && (str_appends(&w, tag) < 0 || str_appendc(&w, '=') < 0)) || str_append(&w, p, k) < 0 ||
		    (!c && str_appendc(&w, ';') < 0))
			rc = -1;
		else
			rc = fold_word(f, w.data, w.len, first);
		first = false;
		if (!c)
			break;
		p = c + 1;
	}
	str_free(&w);
	return rc;
}

/* fold_base64 - text that may break anywhere */
int fold_base64(struct fold *f, const char *v, size_t n)
{
	while (n) {
		if (f->col >= FOLD_WIDTH && fold_break(f) < 0)
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
