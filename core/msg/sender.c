/*
 * sender.c - the responsible sender of a message (RFC 4870 3.2): the first
 * address of the Sender: field if there is one, else of the From: field.
 * A Sender: field that holds no address at all names nobody and is passed
 * over (the corpus case dk_headers_2: "Sender: evil doer").  The author is
 * the first address of the first From: field (ADSP, the A-R, the policy
 * script's msg.author all read it here).
 */
#include <string.h>

#include "msg/sender.h"

/* sender_clear - nothing found: the flags false, the address empty (not its 1.3 KB cleared) */
static void sender_clear(struct sender *out)
{
	out->found = out->parsed = out->from_sender = false;
	out->field = out->end = 0;
	address_clear(&out->addr);
}

/* sender_find - the responsible sender of fields[0..nfields): the first Sender field with an
 * address, else the author (author_find's, passed in: the first From field and its first address) */
void sender_find(const struct header_field *fields, size_t nfields, const struct sender *author,
		 struct sender *out)
{
	sender_clear(out);
	for (size_t i = 0; i < nfields; i++) {
		if (!header_is(&fields[i], "Sender"))
			continue;
		size_t len;
		const char *v = header_value(&fields[i], &len);
		/* a failed parse leaves the address empty, as it was */
		if (!address_first_end(v, len, &out->addr, &out->end))
			continue;
		out->found = out->parsed = out->from_sender = true;
		out->field = i;
		return;
	}
	out->found = author->found;
	out->parsed = author->parsed;
	out->field = author->field;
	out->end = author->end;
	if (author->parsed)
		address_copy(&out->addr, &author->addr);
}

/* author_find - the author (RFC 5322 3.6.2): the first From field of fields[0..nfields) and its
 * first address */
void author_find(const struct header_field *fields, size_t nfields, struct sender *out)
{
	sender_clear(out);
	for (size_t i = 0; i < nfields; i++) {
		if (!header_is(&fields[i], "From"))
			continue;
		size_t len;
		const char *v = header_value(&fields[i], &len);
		out->found = true;
		out->field = i;
		out->parsed = address_first_end(v, len, &out->addr, &out->end);
		break;
	}
}
