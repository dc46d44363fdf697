/*
 * fold.h - writing a header field folded under a width: whole words, colon
 * lists that may break after a colon, base64 that may break anywhere, free
 * text that breaks at its blanks.  The one folder of the engine: the signers,
 * the Authentication-Results writer (ar.c) and, through dkmod_header_fold,
 * the fields policy scripts add.
 */
#ifndef DKMOD_FOLD_H
#define DKMOD_FOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "util/str.h"

#define FOLD_WIDTH 78
/* the longest tag value written as one unbreakable word: its line stays far under 998 bytes */
#define FOLD_VALUE_MAX 590

struct fold {
	struct str *out;
	size_t col;   /* column of the next byte */
	size_t indent; /* column after a fold's tab: 1 where the tab counts one column, 8 where it
			* reaches the next tab stop */
};

/* fold_start - write "Name:" and start folding after it */
int fold_start(struct fold *f, struct str *out, const char *name);
/* fold_tabbed - fold into out, whose last line is at column col, counting a tab to the next tab
 * stop (continuation lines start at column 8) */
void fold_tabbed(struct fold *f, struct str *out, size_t col);
/* fold_newline - end the line: CRLF and the tab of a continuation line */
int fold_newline(struct fold *f);
/* fold_room - before an unbreakable word of n bytes the caller appends: a fold when it does not
 * fit on the line (unless the line holds nothing yet), else the space before it if asked */
int fold_room(struct fold *f, size_t n, bool space);
/* fold_word - an unbreakable word, after a space (or a fold when it does not fit) */
int fold_word(struct fold *f, const char *w, size_t n, bool space);
/* fold_tag_sized - "tag=value;" (tag of t bytes, value of n bytes, at most FOLD_VALUE_MAX) as an
 * unbreakable word after a space */
int fold_tag_sized(struct fold *f, const char *tag, size_t t, const char *v, size_t n);
/* fold_tag - fold_tag_sized with a NUL-terminated tag (inline: its length is known where the tag
 * is a constant) */
static inline int fold_tag(struct fold *f, const char *tag, const char *v, size_t n)
{
	return fold_tag_sized(f, tag, strlen(tag), v, n);
}
/* fold_tag_str - fold_tag with a NUL-terminated value */
static inline int fold_tag_str(struct fold *f, const char *tag, const char *v)
{
	return fold_tag(f, tag, v, strlen(v));
}
/* fold_tag_number - "tag=N;" as an unbreakable word after a space */
int fold_tag_number(struct fold *f, const char *tag, unsigned long long v);
/* fold_list - "tag=a:b:c;" that may break after any colon */
int fold_list(struct fold *f, const char *tag, const char *value);
/* One item of a list fold_items writes: the name's len bytes, times over. */
struct fold_item {
	const char *name;
	size_t len, times;
};
/* fold_items - fold_list of the n items' mentions joined by colons (none: "tag=;"), written
 * straight from the items */
int fold_items(struct fold *f, const char *tag, const struct fold_item *items, size_t n);
/* fold_base64 - text that may break anywhere (base64, where FWS is ignored) */
int fold_base64(struct fold *f, const char *v, size_t n);
/* fold_text - free text that may break at its blanks, which it keeps: a line end goes before
 * the blanks ahead of a word that would pass the width, never before a line's first word */
int fold_text(struct fold *f, const char *v);

#endif
