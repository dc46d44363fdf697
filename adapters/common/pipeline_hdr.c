/*
 * pipeline_hdr.c - the header block as the pipeline sees it: where it ends
 * (it is held until then), the fields the engine stored with names and
 * values unfolded for the policy script, and unfolding of the A-R value
 * scripts read.  The engine splits the fields and finds the author and the
 * responsible sender (dkmod_session_author, _sender); dkmod_header_fold
 * folds the fields scripts add.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pipeline_int.h"

/* pipeline_hdr_blank - the offset just past the first line end at or after from that a
 * blank line follows, or 0 */
size_t pipeline_hdr_blank(const char *buf, size_t len, size_t from)
{
	while (from < len) {
		const char *nl = memchr(buf + from, '\n', len - from);
		if (!nl)
			return 0;
		size_t i = (size_t)(nl - buf);
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
		from = i + 1;
	}
	return 0;
}

/* pipeline_hdr_end - the offset just past the blank line ending the header block */
size_t pipeline_hdr_end(const char *buf, size_t len, size_t from)
{
	/* a message that starts with a blank line has no header fields */
	if (from == 0 && len >= 1 && buf[0] == '\n')
		return 1;
	if (from == 0 && len >= 2 && buf[0] == '\r' && buf[1] == '\n')
		return 2;
	return pipeline_hdr_blank(buf, len, from);
}

/* pipeline_hdr_trim - strip blanks at both ends of s in place */
static char *pipeline_hdr_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* Whether a 64-bit word holds a zero byte. */
#define PIPELINE_HDR_ONES 0x0101010101010101ULL
#define PIPELINE_HDR_HIGHS 0x8080808080808080ULL
#define PIPELINE_HDR_HASZERO(w) (((w) - PIPELINE_HDR_ONES) & ~(w) & PIPELINE_HDR_HIGHS)

/* pipeline_hdr_copy - copy n bytes of in to out without CR, LF and NUL (eight at a time while
 * there are none): a field unfolded; the end of the copy */
static char *pipeline_hdr_copy(char *out, const char *in, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, in + i, 8);
		uint64_t cr = w ^ (PIPELINE_HDR_ONES * '\r'), lf = w ^ (PIPELINE_HDR_ONES * '\n');
		if (!(PIPELINE_HDR_HASZERO(w) | PIPELINE_HDR_HASZERO(cr) | PIPELINE_HDR_HASZERO(lf))) {
			memcpy(out, &w, 8);
			out += 8;
			continue;
		}
		for (size_t k = i; k < i + 8; k++) {
			*out = in[k];
			out += in[k] != '\r' && in[k] != '\n' && in[k] != '\0';
		}
	}
	for (; i < n; i++) {
		*out = in[i];
		out += in[i] != '\r' && in[i] != '\n' && in[i] != '\0';
	}
	return out;
}

/* pipeline_hdr_fields - the fields the engine stored, names and values unfolded */
bool pipeline_hdr_fields(const struct dkmod_session *s, struct pipeline_hdrs *h)
{
	memset(h, 0, sizeof *h);
	size_t n = dkmod_session_header_count(s), bytes = 1, len;
	for (size_t i = 0; i < n; i++) {
		dkmod_session_header_raw(s, i, &len);
		bytes += len + 1;
	}
	h->storage = malloc(bytes);
	h->fields = calloc(n + 1, sizeof *h->fields);
	if (!h->storage || !h->fields) {
		pipeline_hdr_free(h);
		return false;
	}
	char *out = h->storage;
	for (size_t i = 0; i < n; i++) {
		const char *raw = dkmod_session_header_raw(s, i, &len);
		char *field = out;
		out = pipeline_hdr_copy(out, raw, len);
		*out++ = '\0';
		char *colon = strchr(field, ':');
		/* a field without a colon, or the lines before the first field, are not shown */
		if (!colon || raw[0] == ' ' || raw[0] == '\t')
			continue;
		*colon = '\0';
		h->fields[h->count].name = pipeline_hdr_trim(field);
		h->fields[h->count].value = pipeline_hdr_trim(colon + 1);
		h->count++;
	}
	return true;
}

/* pipeline_hdr_free - free the fields */
void pipeline_hdr_free(struct pipeline_hdrs *h)
{
	free(h->storage);
	free(h->fields);
	memset(h, 0, sizeof *h);
}

/* pipeline_hdr_unfold - a copy of a folded value on one line: each line end and the
 * blanks after it become one space */
char *pipeline_hdr_unfold(const char *value)
{
	char *out = malloc(strlen(value) + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = value; *p; p++) {
		if (*p == '\r' || *p == '\n') {
			p += strspn(p, "\r\n");
			p += strspn(p, " \t");
			*o++ = ' ';
			p--;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}
