/*
 * sender.c - the responsible sender of a message (RFC 4870 3.2): the first
 * address of the Sender: field if there is one, else of the From: field.
 * A Sender: field that holds no address at all names nobody and is passed
 * over (the corpus case dk_headers_2: "Sender: evil doer").  The author is
 * the first address of the first From: field (ADSP, the A-R, the policy
 * script's msg.author all read it here).
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

/* author_get - the first From field and its first address, found on the first call */
const struct sender *author_get(struct dkmod_session *s)
{
	if (s->author_known)
		return &s->author_field;
	struct sender *a = &s->author_field;
	memset(a, 0, sizeof *a);
	for (size_t i = 0; i < s->nfields && !a->found; i++) {
		if (!header_is(&s->fields[i], "From"))
			continue;
		size_t len;
		const char *v = header_value(&s->fields[i], &len);
		a->found = true;
		a->field = i;
		a->parsed = address_first(v, len, &a->addr);
	}
	s->author_known = true;
	return a;
}

/* sender_address - the address of a found field, its domain (as written) in *domain; NULL if none */
static const char *sender_address(const struct sender *f, const char **domain)
{
	if (domain)
		*domain = f->parsed ? f->addr.domain : NULL;
	return f->parsed ? f->addr.full : NULL;
}

/* dkmod_session_author - the author address, or NULL */
const char *dkmod_session_author(struct dkmod_session *s, const char **domain)
{
	return sender_address(author_get(s), domain);
}

/* dkmod_session_sender - the responsible sender's address, or NULL */
const char *dkmod_session_sender(struct dkmod_session *s, const char **domain)
{
	return sender_address(sender_get(s), domain);
}
