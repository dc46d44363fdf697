/* tagvalue.c - strict tag=value list parsing (RFC 6376 section 3.2) and its helpers */
#include "record/tagvalue.h"
#include "util/str.h"

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* tagvalue_is_alpha - ALPHA */
static int tagvalue_is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* tagvalue_is_namechar - ALPHA / DIGIT / "_" after the first character of a tag name */
static int tagvalue_is_namechar(unsigned char c)
{
	return tagvalue_is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/* tagvalue_is_valchar - VALCHAR, widened to bytes >= 0x80 for UTF-8 values */
static int tagvalue_is_valchar(unsigned char c)
{
	return (c >= 0x21 && c <= 0x7e && c != ';') || c >= 0x80;
}

/* tagvalue_value_stop - the bytes of w that end a run of VALCHARs: below 0x21, 0x7f or ';' (bytes
 * from 0x80 go on, as tagvalue_is_valchar says; str_scan8) */
static inline uint64_t tagvalue_value_stop(uint64_t w)
{
	return ((w - TAGVALUE_ONES * 0x21) & ~w & TAGVALUE_HIGHS) | tagvalue_bytes_eq(w, 0x7f) | tagvalue_bytes_eq(w, ';');
}

/* tagvalue_valchar_run - the offset after the VALCHARs from i, sixteen bytes at a time (SSE2),
 * then eight */
static size_t tagvalue_valchar_run(const char *text, size_t len, size_t i)
{
#ifdef __SSE2__
	while (len - i >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(text + i));
		/* a byte below 0x21 (it equals its minimum with 0x20), 0x7f or ';' ends the run */
		__m128i end = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x20)), x),
					   _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)),
							_mm_cmpeq_epi8(x, _mm_set1_epi8(';'))));
		unsigned mask = (unsigned)_mm_movemask_epi8(end);
		if (mask)
			return i + (size_t)__builtin_ctz(mask);
		i += 16;
	}
#endif
	return str_scan8((const unsigned char *)text, len, i, tagvalue_value_stop);
}

/* tagvalue_is_wsp - SP or HTAB */
static int tagvalue_is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* tagvalue_skip_fws - the offset after any FWS at i; a line break not followed by WSP is not consumed */
static size_t tagvalue_skip_fws(const char *text, size_t len, size_t i)
{
	while (i < len) {
		unsigned char c = (unsigned char)text[i];

		if (tagvalue_is_wsp(c)) {
			i++;
		} else if (c == '\r' && len - i >= 3 && text[i + 1] == '\n' &&
			   tagvalue_is_wsp((unsigned char)text[i + 2])) {
			i += 3;
		} else if (c == '\n' && len - i >= 2 && tagvalue_is_wsp((unsigned char)text[i + 1])) {
			i += 2;
		} else {
			break;
		}
	}
	return i;
}

/* tagvalue_fws_at - the offset after any FWS at i: tagvalue_skip_fws, the spaces and tabs before a
 * line break passed here and the call made only for a line break */
static inline size_t tagvalue_fws_at(const char *text, size_t len, size_t i)
{
	while (i < len && tagvalue_is_wsp((unsigned char)text[i]))
		i++;
	return i < len && (text[i] == '\r' || text[i] == '\n') ? tagvalue_skip_fws(text, len, i) : i;
}

/* tagvalue_strerror - English text for a status */
const char *tagvalue_strerror(enum tagvalue_status st)
{
	switch (st) {
	case TAGVALUE_OK:
		return "ok";
	case TAGVALUE_SYNTAX:
		return "tag list syntax error";
	case TAGVALUE_DUPLICATE:
		return "duplicate tag";
	case TAGVALUE_TOO_MANY:
		return "too many tags";
	}
	return "unknown tag list error";
}

/* tagvalue_fail - record where parsing stopped and return st */
static enum tagvalue_status tagvalue_fail(enum tagvalue_status st, size_t at, size_t *err_at)
{
	if (err_at)
		*err_at = at;
	return st;
}

/* tagvalue_parse - parse text strictly into out; see tagvalue.h for the grammar */
enum tagvalue_status tagvalue_parse(const char *text, size_t len, struct tagvalue_list *out, size_t *err_at)
{
	size_t i;
	uint64_t letters = 0; /* the one-letter names seen, a bit each from 'A' (they lie in 'A'..'z') */

	out->count = 0;
	i = tagvalue_fws_at(text, len, 0);
	if (i == len)
		return TAGVALUE_OK;
	for (;;) {
		size_t name_at, name_len, value_at, value_end;

		/* reached only after a ';': a trailing separator ends the list */
		if (i == len)
			return TAGVALUE_OK;
		if (!tagvalue_is_alpha((unsigned char)text[i]))
			return tagvalue_fail(TAGVALUE_SYNTAX, i, err_at);
		name_at = i;
		while (i < len && tagvalue_is_namechar((unsigned char)text[i]))
			i++;
		name_len = i - name_at;
		i = tagvalue_fws_at(text, len, i);
		if (i == len || text[i] != '=')
			return tagvalue_fail(TAGVALUE_SYNTAX, i, err_at);
		i = tagvalue_fws_at(text, len, i + 1);
		value_at = value_end = i;
		while (i < len) {
			unsigned char c = (unsigned char)text[i];

			if (tagvalue_is_valchar(c)) {
				i = tagvalue_valchar_run(text, len, i);
				value_end = i;
			} else if (tagvalue_is_wsp(c)) {
				i++; /* one step of FWS: the loop takes the rest */
			} else if (c == '\r' || c == '\n') {
				size_t j = tagvalue_skip_fws(text, len, i);

				if (j == i)
					return tagvalue_fail(TAGVALUE_SYNTAX, i, err_at);
				i = j;
			} else {
				break;
			}
		}
		if (i < len && text[i] != ';')
			return tagvalue_fail(TAGVALUE_SYNTAX, i, err_at);
		if (name_len == 1) {
			uint64_t bit = 1ULL << ((unsigned char)text[name_at] - 'A');

			if (letters & bit)
				return tagvalue_fail(TAGVALUE_DUPLICATE, name_at, err_at);
			letters |= bit;
		} else {
			for (size_t k = 0; k < out->count; k++) {
				if (out->tags[k].name_len == name_len && out->tags[k].name[0] == text[name_at] &&
				    memcmp(out->tags[k].name, text + name_at, name_len) == 0)
					return tagvalue_fail(TAGVALUE_DUPLICATE, name_at, err_at);
			}
		}
		if (out->count == TAGVALUE_MAX)
			return tagvalue_fail(TAGVALUE_TOO_MANY, name_at, err_at);
		out->tags[out->count].name = text + name_at;
		out->tags[out->count].name_len = name_len;
		out->tags[out->count].value = text + value_at;
		out->tags[out->count].value_len = value_end - value_at;
		out->count++;
		if (i == len)
			return TAGVALUE_OK;
		i = tagvalue_fws_at(text, len, i + 1);
	}
}

/* tagvalue_get - the tag named name (NUL-terminated), or NULL */
const struct tagvalue *tagvalue_get(const struct tagvalue_list *list, const char *name)
{
	size_t n = strlen(name);

	for (size_t k = 0; k < list->count; k++) {
		if (list->tags[k].name_len == n && memcmp(list->tags[k].name, name, n) == 0)
			return &list->tags[k];
	}
	return NULL;
}

/* tagvalue_value_eq - true if the tag's value equals s exactly (case-sensitive) */
int tagvalue_value_eq(const struct tagvalue *t, const char *s)
{
	size_t n = strlen(s);

	return t && t->value_len == n && memcmp(t->value, s, n) == 0;
}

/* tagvalue_list_next - the next colon-separated item of value, FWS-trimmed */
int tagvalue_list_next(const char *value, size_t value_len, size_t *pos, const char **item, size_t *item_len)
{
	size_t start = *pos, end;

	/* *pos == value_len + 1 marks the end; an empty value has no items */
	if (value_len == 0 || start > value_len)
		return 0;
	end = start;
	while (end < value_len && value[end] != ':')
		end++;
	*pos = end + 1;
	while (start < end && tagvalue_is_fws_char((unsigned char)value[start]))
		start++;
	while (end > start && tagvalue_is_fws_char((unsigned char)value[end - 1]))
		end--;
	*item = value + start;
	*item_len = end - start;
	return 1;
}

/* tagvalue_hex - the value of a hex digit (either case), or -1 */
static int tagvalue_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* tagvalue_qp_decode - decode dkim-quoted-printable into out (NUL-terminated) */
long tagvalue_qp_decode(const char *in, size_t len, char *out, size_t outcap)
{
	size_t o = 0;

	if (outcap == 0)
		return -1;
	out[0] = '\0';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int hi, lo;

		if (tagvalue_is_fws_char(c))
			continue;
		if (c == '=') {
			if (len - i < 3)
				return -1;
			hi = tagvalue_hex((unsigned char)in[i + 1]);
			lo = tagvalue_hex((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c < 0x21 || c == 0x7f || c == ';') {
			/* not a dkim-safe-char: such a value cannot come from a valid tag list */
			return -1;
		}
		if (outcap - 1 - o < 1) {
			out[o] = '\0';
			return -1;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
}
