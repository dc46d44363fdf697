/*
 * header.h - one header field as received, and the questions asked of it.
 */
#ifndef DKMOD_HEADER_H
#define DKMOD_HEADER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/str.h"

/* names in a DKIM or DomainKeys h= list: a longer list is refused (permerror), so that no
 * signature costs more than a bounded walk over the header */
#define HEADER_MAX_SIGNED 256
#define HEADER_STR_(x) #x
#define HEADER_STR(x) HEADER_STR_(x) /* a number macro as a string literal */

struct header_field {
	const char *raw;    /* as received, final line end included if there was one */
	size_t raw_len;
	size_t text_len;    /* raw without the final line end */
	size_t name_len;    /* field name without WSP before the colon; 0 if malformed */
	size_t value_off;   /* offset of the value (just after the colon) */
	bool removed;       /* to be left out when the message is passed on */
};

/* header_field_init - describe raw[0..len); false if it is not "name: value"
 * (the field is still described, with name_len 0, so it can be passed on) */
bool header_field_init(struct header_field *f, const char *raw, size_t len);
/* header_name_stop - the high bit of each byte of w that cannot be in a field name (RFC 5322
 * ftext is 33..126 but the colon), exact for every byte (each test stays in its byte): for
 * str_scan8 over a name */
static inline uint64_t header_name_stop(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL, lows = ~highs;
	uint64_t low7 = w & lows, colon7 = (w ^ ones * ':') & lows;
	/* the high bit of a byte: set for 0x80..0xff, for 0x7f, below 0x21 and for the colon */
	return (w | (low7 + ones) | ~(low7 + ones * (0x80 - 0x21)) | ~(colon7 + lows)) & highs;
}
/* header_is_whole - header_is past its first byte's test */
bool header_is_whole(const struct header_field *f, const char *name);
/* header_is - true if the field's name is name (ASCII case-insensitive); inline, since most
 * fields differ from the name asked in their first byte (equal bytes, or bytes equal but for
 * the 0x20 bit, which is all case can change, go on to the whole comparison) */
static inline bool header_is(const struct header_field *f, const char *name)
{
	return f->name_len && ((unsigned char)f->raw[0] | 0x20) == ((unsigned char)name[0] | 0x20) &&
	       header_is_whole(f, name);
}
/* header_name_eq - ASCII case-insensitive comparison of two names (inline: the field index and
 * the signers compare names for every h= entry) */
static inline bool header_name_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && str_case_eq(a, b, alen);
}
/* header_value - the value (after the colon) and its length, line ends included */
const char *header_value(const struct header_field *f, size_t *len);

#endif
