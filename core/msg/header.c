/*
 * header.c - one header field as received, and the questions asked of it.
 */
#include "msg/header.h"

#include <stdint.h>
#include <string.h>

/* header_field_init - describe raw[0..len) */
bool header_field_init(struct header_field *f, const char *raw, size_t len)
{
	memset(f, 0, sizeof *f);
	f->raw = raw;
	f->raw_len = len;
	size_t t = len;
	if (t && raw[t - 1] == '\n')
		t--;
	if (t && raw[t - 1] == '\r')
		t--;
	f->text_len = t;
	/* the name's bytes eight a step; the loop below looks at the byte that ends them */
	size_t i = str_scan8((const unsigned char *)raw, t, 0, header_name_stop);
	while (i < t && raw[i] != ':') {
		unsigned char c = (unsigned char)raw[i];
		if (c < 33 || c > 126) {
			/* only WSP may stand between the name and the colon */
			size_t j = i;
			while (j < t && (raw[j] == ' ' || raw[j] == '\t'))
				j++;
			if (j < t && raw[j] == ':' && i > 0) {
				f->name_len = i;
				f->value_off = j + 1;
				return true;
			}
			return false;
		}
		i++;
	}
	if (i == t || i == 0)
		return false;
	f->name_len = i;
	f->value_off = i + 1;
	return true;
}

/* header_is_whole - true if the field's name is name (one pass, no strlen) */
bool header_is_whole(const struct header_field *f, const char *name)
{
	size_t n = f->name_len;
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char a = (unsigned char)f->raw[i], b = (unsigned char)name[i];
		if (a != b && ((a | 0x20) != (b | 0x20) || (a | 0x20) < 'a' || (a | 0x20) > 'z'))
			return false; /* a NUL in name ends it here too: a field name holds none */
	}
	return name[n] == '\0';
}

/* header_value - the value and its length, line ends included */
const char *header_value(const struct header_field *f, size_t *len)
{
	*len = f->text_len - f->value_off;
	return f->raw + f->value_off;
}
