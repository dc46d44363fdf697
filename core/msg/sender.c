/*
 * sender.c - the responsible sender of a message (RFC 4870 3.2): the first
 * address of the Sender: field if there is one, else of the From: field.
 * A Sender: field that holds no address at all names nobody and is passed
 * over (the corpus case dk_headers_2: "Sender: evil doer").
 */
#include <string.h>

#include "engine/session.h"

/* sender_find - the responsible sender of the stored fields */
void sender_find(const struct dkmod_session *s, struct sender *out)
{
	memset(out, 0, sizeof *out);
	const char *names[2] = {"Sender", "From"};
	for (int k = 0; k < 2 && !out->found; k++) {
		for (size_t i = 0; i < s->nfields; i++) {
			if (!header_is(&s->fields[i], names[k]))
				continue;
			size_t len;
			const char *v = header_value(&s->fields[i], &len);
			/* a failed parse leaves the address all zero, as it was */
			bool parsed = address_first(v, len, &out->addr);
			if (k == 0 && !parsed)
				continue;
			out->found = true;
			out->from_sender = k == 0;
			out->field = i;
			out->parsed = parsed;
			break;
		}
	}
}

/* sender_get - the responsible sender of the session, found on the first call */
const struct sender *sender_get(struct dkmod_session *s)
{
	if (!s->sender_known) {
		sender_find(s, &s->sender);
		s->sender_known = true;
	}
	return &s->sender;
}
