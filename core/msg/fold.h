/*
 * fold.h - writing a header field folded under a width: whole words, colon
 * lists that may break after a colon, base64 that may break anywhere.
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
};

/* fold_start - write "Name:" and start folding after it */
int fold_start(struct fold *f, struct str *out, const char *name);
/* fold_resume - continue folding at the end of out (after its last line break) */
void fold_resume(struct fold *f, struct str *out);
/* fold_word - an unbreakable word, after a space (or a fold when it does not fit) */
int fold_word(struct fold *f, const char *w, size_t n, bool space);
/* fold_tag - "tag=value;" (value of n bytes, at most FOLD_VALUE_MAX) as an unbreakable word
 * after a space */
int fold_tag(struct fold *f, const char *tag, const char *v, size_t n);
/* fold_tag_str - fold_tag with a NUL-terminated value */
static inline int fold_tag_str(struct fold *f, const char *tag, const char *v)
{
	return fold_tag(f, tag, v, strlen(v));
}
/* fold_tag_number - "tag=N;" as an unbreakable word after a space */
int fold_tag_number(struct fold *f, const char *tag, unsigned long long v);
/* fold_list - "tag=a:b:c;" that may break after any colon */
int fold_list(struct fold *f, const char *tag, const char *value);
/* fold_base64 - text that may break anywhere (base64, where FWS is ignored) */
int fold_base64(struct fold *f, const char *v, size_t n);

#endif
