/*
 * pipeline_hdr.c - the header block as the pipeline sees it before the
 * engine does: where it ends, its fields with unfolded values (for the
 * policy and the signing decision), the first address of a field, and
 * folding of the fields scripts add.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "pipeline_int.h"

/* pipeline_hdr_end - the offset just past the blank line ending the header block */
size_t pipeline_hdr_end(const char *buf, size_t len, size_t from)
{
	/* a message that starts with a blank line has no header fields */
	if (from == 0 && len >= 1 && buf[0] == '\n')
		return 1;
	if (from == 0 && len >= 2 && buf[0] == '\r' && buf[1] == '\n')
		return 2;
	for (size_t i = from; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
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

/* pipeline_hdr_parse - the fields of a header block */
bool pipeline_hdr_parse(const char *buf, size_t len, size_t max, struct pipeline_hdrs *h)
{
	memset(h, 0, sizeof *h);
	size_t nfields = 0;
	for (size_t i = 0; i < len; i++)
		nfields += (i == 0 || buf[i - 1] == '\n') && buf[i] != ' ' && buf[i] != '\t';
	if (nfields > max)
		nfields = max;
	h->storage = malloc(len + 1);
	h->fields = calloc(nfields + 1, sizeof *h->fields);
	char **starts = calloc(nfields + 1, sizeof *starts);
	if (!h->storage || !h->fields || !starts) {
		free(starts);
		pipeline_hdr_free(h);
		return false;
	}
	/* copy the block without line ends (unfolding), a NUL before each new field */
	char *out = h->storage;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		bool line_start = i == 0 || buf[i - 1] == '\n';
		if (line_start && buf[i] != ' ' && buf[i] != '\t') {
			if (n == nfields || buf[i] == '\r' || buf[i] == '\n')
				break;
			if (n)
				*out++ = '\0';
			starts[n++] = out;
		}
		if (buf[i] != '\r' && buf[i] != '\n' && buf[i] != '\0')
			*out++ = buf[i];
	}
	*out = '\0';
	for (size_t i = 0; i < n; i++) {
		char *colon = strchr(starts[i], ':');
		if (!colon)
			continue;
		*colon = '\0';
		h->fields[h->count].name = pipeline_hdr_trim(starts[i]);
		h->fields[h->count].value = pipeline_hdr_trim(colon + 1);
		h->count++;
	}
	free(starts);
	return true;
}

/* pipeline_hdr_free - free a parse */
void pipeline_hdr_free(struct pipeline_hdrs *h)
{
	free(h->storage);
	free(h->fields);
	memset(h, 0, sizeof *h);
}

/* pipeline_hdr_address - the first address of the first field named name that holds one */
char *pipeline_hdr_address(const struct pipeline_hdrs *h, const char *name, char **domain)
{
	struct address a;
	*domain = NULL;
	for (size_t i = 0; i < h->count; i++) {
		if (strcasecmp(h->fields[i].name, name) != 0)
			continue;
		if (!address_first(h->fields[i].value, strlen(h->fields[i].value), &a))
			continue;
		char *full = strdup(a.full);
		if (full && (*domain = strdup(a.domain))) {
			for (char *p = *domain; *p; p++)
				*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
			return full;
		}
		free(full);
		return NULL;
	}
	return NULL;
}

/* pipeline_hdr_fold - "Name: value" folded at whitespace */
char *pipeline_hdr_fold(const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value);
	/* at worst a fold (2 bytes) before every character */
	char *out = malloc(nlen + 2 + 3 * vlen + 1);
	if (!out)
		return NULL;
	size_t o = (size_t)sprintf(out, "%s: ", name);
	size_t col = o;
	for (const char *p = value; *p;) {
		/* the next word with the blanks in front of it */
		size_t blanks = strspn(p, " \t");
		size_t word = strcspn(p + blanks, " \t");
		if (col + blanks + word > 78 && col > nlen + 2 && blanks) {
			memcpy(out + o, "\r\n", 2);
			o += 2;
			col = 0;
		}
		memcpy(out + o, p, blanks + word);
		o += blanks + word;
		col += blanks + word;
		p += blanks + word;
	}
	out[o] = '\0';
	return out;
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
