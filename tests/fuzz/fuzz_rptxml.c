/*
 * fuzz_rptxml.c - libFuzzer target: aggregate report rows (core/record/rptxml.c) as an
 * import hands them over, any bytes: split, checked, and for a valid row written as an XML
 * record, whose every '<' opens one of our tags and every '&' one of our entities (no text of
 * the row escapes into the markup); a joined row splits back to the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "record/rptxml.h"

/* fuzz_rptxml_markup - abort unless every '<' starts a tag of lowercase letters and '_' and
 * every '&' an entity of rptxml's */
static void fuzz_rptxml_markup(const char *x)
{
	for (const char *p = x; *p; p++) {
		if (*p == '<') {
			const char *q = p + 1 + (p[1] == '/');
			size_t n = strspn(q, "abcdefghijklmnopqrstuvwxyz_");
			if (!n || q[n] != '>')
				abort();
		} else if (*p == '&' && strncmp(p, "&amp;", 5) && strncmp(p, "&lt;", 4) && strncmp(p, "&gt;", 4) &&
			   strncmp(p, "&quot;", 6)) {
			abort();
		} else if (*p == '>' && p > x && !strchr("abcdefghijklmnopqrstuvwxyz_", p[-1])) {
			abort(); /* a '>' of the text itself */
		}
	}
}

/* LLVMFuzzerTestOneInput - the input as a stored row */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rptxml_fields *f = malloc(sizeof *f), *g = malloc(sizeof *g);
	struct str out = STR_INIT;
	if (!f || !g)
		abort();
	if (rptxml_split((const char *)data, size, RPTXML_ROW_FIXED, f) && memchr(data, '\0', size) == NULL) {
		if (rptxml_row_valid(f)) {
			if (!rptxml_record(&out, f, 1))
				abort();
			fuzz_rptxml_markup(str_cstr(&out));
		}
		if (rptxml_join(&out, f->v, f->n) && (!rptxml_split(out.data, out.len, RPTXML_ROW_FIXED, g) || g->n != f->n))
			abort();
	}
	str_free(&out);
	free(f);
	free(g);
	return 0;
}
