/*
 * tagvalue.h - tag=value lists (RFC 6376 section 3.2), shared by
 * DKIM-Signature, DomainKey-Signature, key records and policy records.
 */
#ifndef DKMOD_TAGVALUE_H
#define DKMOD_TAGVALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* tagvalue_is_fws_char - a byte that can be part of FWS (SP, HTAB, CR, LF), for trimming list items */
static inline bool tagvalue_is_fws_char(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

#define TAGVALUE_ONES 0x0101010101010101ULL
#define TAGVALUE_HIGHS 0x8080808080808080ULL

/* tagvalue_bytes_eq - the high bit of each byte of w that equals c, exact up to the lowest one
 * (a borrow may mark bytes above it) */
static inline uint64_t tagvalue_bytes_eq(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (TAGVALUE_ONES * c);
	return (x - TAGVALUE_ONES) & ~x & TAGVALUE_HIGHS;
}

#define TAGVALUE_MAX 64

/* One tag: pointers into the parsed text; the value has FWS trimmed at both
 * ends (inner whitespace is kept as written). */
struct tagvalue {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct tagvalue_list {
	struct tagvalue tags[TAGVALUE_MAX];
	size_t count;
};

enum tagvalue_status {
	TAGVALUE_OK = 0,
	TAGVALUE_SYNTAX,     /* not a tag-list (missing '=', bad tag name, bad character, empty element) */
	TAGVALUE_DUPLICATE,  /* the same tag twice */
	TAGVALUE_TOO_MANY    /* more than TAGVALUE_MAX tags */
};

/* tagvalue_strerror - English text for a status */
const char *tagvalue_strerror(enum tagvalue_status st);

/* tagvalue_parse - parse text (not NUL-terminated) strictly:
 *   tag-list = tag-spec *( ";" tag-spec ) [ ";" ] with optional trailing FWS,
 *   tag-spec = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS],
 *   tag-name = ALPHA *( ALPHA / DIGIT / "_" ) (case-sensitive),
 *   tag-value = empty, or runs of VALCHAR (%x21-3A / %x3C-7E, and bytes >= 0x80)
 *   separated by FWS.  FWS is SP, HTAB, and CRLF (or bare LF) followed by WSP.
 * An entirely empty (or all-whitespace) text is an empty list.  On error
 * *err_at (if not NULL) gets the offset of the offending byte. */
enum tagvalue_status tagvalue_parse(const char *text, size_t len, struct tagvalue_list *out, size_t *err_at);

/* tagvalue_get - the tag named name (NUL-terminated), or NULL */
const struct tagvalue *tagvalue_get(const struct tagvalue_list *list, const char *name);

/* tagvalue_value_eq - true if the tag's value equals s exactly (case-sensitive) */
int tagvalue_value_eq(const struct tagvalue *t, const char *s);

/* tagvalue_list_next - iterate a colon-separated list inside a value (h=, q=, k=, s=, t=):
 * *pos starts at 0; each call sets *item and *item_len to the next element with
 * surrounding FWS trimmed and returns 1, or returns 0 at the end. */
int tagvalue_list_next(const char *value, size_t value_len, size_t *pos, const char **item, size_t *item_len);
/* One element of such a list, kept: value[off..off + len) */
struct tagvalue_item {
	uint32_t off, len;
};

/* tagvalue_qp_decode - decode dkim-quoted-printable (i=, z=): "=XX" hex escapes
 * (upper or lower case hex), FWS removed.  Writes at most outcap-1 bytes plus NUL.
 * Returns the decoded length or -1 on a malformed escape or overflow. */
long tagvalue_qp_decode(const char *in, size_t len, char *out, size_t outcap);

#endif
