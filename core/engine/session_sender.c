/*
 * session_sender.c - the responsible sender and the author of a session's
 * fields (msg/sender.c finds them), found once and found again when another
 * field is stored; the public getters the pipeline and the script read, so
 * every consumer sees the author the sender policies see.
 */
#include "engine/session.h"

/* session_sender - the responsible sender, found on the first call after a field was stored */
const struct sender *session_sender(struct dkmod_session *s)
{
	if (!s->sender_known) {
		sender_find(s->fields, s->nfields, session_author(s), &s->sender);
		s->sender_known = true;
	}
	return &s->sender;
}

/* session_author - the author, found as session_sender finds the sender */
const struct sender *session_author(struct dkmod_session *s)
{
	if (!s->author_known) {
		author_find(s->fields, s->nfields, &s->author);
		s->author_known = true;
	}
	return &s->author;
}

/* session_address - the address of a found field, its domain (as written) in *domain; NULL if none */
static const char *session_address(const struct sender *f, const char **domain)
{
	if (domain)
		*domain = f->parsed ? f->addr.domain : NULL;
	return f->parsed ? f->addr.full : NULL;
}

/* dkmod_session_author - the author address, or NULL */
const char *dkmod_session_author(struct dkmod_session *s, const char **domain)
{
	return session_address(session_author(s), domain);
}

/* dkmod_session_sender - the responsible sender's address, or NULL */
const char *dkmod_session_sender(struct dkmod_session *s, const char **domain)
{
	return session_address(session_sender(s), domain);
}
