/*
 * hdrwalk.c - the received header walked again by an adapter, field by
 * field or as raw bytes, leaving out the fields the session removes.  A
 * field is named by its name and occurrence, as fieldscan.c counted it, so
 * the walk and the engine agree on every header however large, whatever
 * the header limits kept.
 */
#include <string.h>
#include <strings.h>

#include "engine/session.h"

enum { WALK_LINE_START = 0, WALK_NAME, WALK_IN_LINE, WALK_DONE };

/* dkmod_header_walk_init - walk s's fields from the top */
void dkmod_header_walk_init(struct dkmod_header_walk *w, const struct dkmod_session *s)
{
	memset(w, 0, sizeof *w);
	w->s = s;
}

/* dkmod_header_walk_field - the next received field: true if it goes */
bool dkmod_header_walk_field(struct dkmod_header_walk *w, const char *field, size_t len)
{
	size_t n = dkmod_header_name(field, len);
	if (header_name_eq(field, n, "DomainKey-Status", 16))
		return dkmod_session_field_removed(w->s, field, n, w->dks++);
	if (header_name_eq(field, n, "Authentication-Results", 22))
		return dkmod_session_field_removed(w->s, field, n, w->ar++);
	return false;
}

/* hdrwalk_maybe - whether the bytes held may still begin a field that goes: a CR (the blank
 * line may follow), or the start of a removable name, or such a name and blanks */
static bool hdrwalk_maybe(const struct dkmod_header_walk *w)
{
	static const char *const names[] = {"Authentication-Results", "DomainKey-Status"};
	if (w->nheld == 1 && w->held[0] == '\r')
		return true;
	for (size_t k = 0; k < 2; k++) {
		size_t n = strlen(names[k]), m = w->nheld < n ? w->nheld : n;
		if (strncasecmp(w->held, names[k], m) != 0)
			continue;
		size_t j = m;
		while (j < w->nheld && (w->held[j] == ' ' || w->held[j] == '\t'))
			j++;
		if (j == w->nheld)
			return true;
	}
	return false;
}

/* hdrwalk_decide - the first bytes of a field are held up to its colon, its line end, or the
 * first byte that rules out a removable name: decide, and hand them on if it stays; false if
 * emit failed */
static bool hdrwalk_decide(struct dkmod_header_walk *w, dkmod_emit_fn *emit, void *arg)
{
	w->drop = dkmod_header_walk_field(w, w->held, w->nheld);
	w->state = WALK_IN_LINE;
	size_t n = w->nheld;
	w->nheld = 0;
	return w->drop || emit(arg, w->held, n);
}

/* dkmod_header_walk_bytes - raw header bytes: the kept ones go to emit */
size_t dkmod_header_walk_bytes(struct dkmod_header_walk *w, const char *data, size_t len, dkmod_emit_fn *emit,
			       void *arg)
{
	size_t i = 0;
	while (i < len && w->state != WALK_DONE) {
		if (w->state == WALK_LINE_START) {
			char c = data[i];
			if (c == '\n') {
				/* the blank line: passed on, the header ends */
				if (!emit(arg, data + i, 1))
					return SIZE_MAX;
				w->state = WALK_DONE;
				return i + 1;
			}
			if (c == ' ' || c == '\t') {
				w->state = WALK_IN_LINE; /* folds: the field before it decides */
				continue;
			}
			w->state = WALK_NAME;
		}
		if (w->state == WALK_NAME) {
			/* hold the field's first bytes while they may still name a field that goes */
			bool more = true;
			while (more && i < len && data[i] != '\n') {
				if (w->nheld == sizeof w->held)
					return SIZE_MAX; /* a name with over 1 KB of blanks before its colon */
				w->held[w->nheld++] = data[i++];
				more = w->held[w->nheld - 1] != ':' && hdrwalk_maybe(w);
			}
			if (more && i == len)
				return len;
			if (more && w->nheld == 1 && w->held[0] == '\r') {
				/* "\r\n": the blank line */
				if (!emit(arg, "\r\n", 2))
					return SIZE_MAX;
				w->state = WALK_DONE;
				return i + 1;
			}
			if (!hdrwalk_decide(w, emit, arg))
				return SIZE_MAX;
			continue;
		}
		const char *nl = memchr(data + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - data) + 1 : len;
		if (!w->drop && !emit(arg, data + i, e - i))
			return SIZE_MAX;
		i = e;
		if (nl)
			w->state = WALK_LINE_START;
	}
	return i;
}

/* dkmod_header_walk_end - the input ended inside the header: emit what is held */
bool dkmod_header_walk_end(struct dkmod_header_walk *w, dkmod_emit_fn *emit, void *arg)
{
	return w->state != WALK_NAME || hdrwalk_decide(w, emit, arg);
}

/* dkmod_header_walk_done - the blank line went by */
bool dkmod_header_walk_done(const struct dkmod_header_walk *w)
{
	return w->state == WALK_DONE;
}
