/*
 * fieldscan.c - what the engine must know of every header field, also of
 * those past the header limits that it does not store: which fields are
 * removed (Authentication-Results of our authserv-id, every
 * DomainKey-Status), named by field name and occurrence, and how often each
 * single-instance field of RFC 5322 3.6 (and MIME) occurs.  Stored fields
 * are scanned at the end of the headers; fields past the limits as they
 * pass, after the stored ones.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/session.h"

/* The fields RFC 5322 3.6 (and RFC 2045 for MIME) allow at most once; From and Sender first. */
static const char *const fieldscan_single[FIELDSCAN_SINGLE] = {
	"From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Message-ID", "In-Reply-To", "References", "Subject",
	"Date", "MIME-Version", "Content-Type", "Content-Transfer-Encoding"};
static const unsigned char fieldscan_single_len[FIELDSCAN_SINGLE] = {4, 6, 8, 2, 2, 3, 10, 11, 10, 7, 4, 12, 12, 25};

/* fieldscan_single_index - the index of f's name among the single-instance fields, or -1
 * (the length first: most fields are ruled out without a comparison) */
static int fieldscan_single_index(const struct header_field *f)
{
	for (int i = 0; i < FIELDSCAN_SINGLE; i++)
		if (f->name_len == fieldscan_single_len[i] && header_is(f, fieldscan_single[i]))
			return i;
	return -1;
}

/* fieldscan_mark - note that the A-R field numbered nth is to go; false if out of memory */
static bool fieldscan_mark(struct dkmod_session *s, size_t nth)
{
	size_t byte = nth / 8;
	if (byte >= s->ar_ours_cap) {
		size_t cap = s->ar_ours_cap * 2 > byte + 1 ? s->ar_ours_cap * 2 : byte + 1;
		unsigned char *b = s->ar_ours == s->ar_small ? NULL : s->ar_ours;
		if (!(b = realloc(b, cap)))
			return false;
		if (s->ar_ours == s->ar_small)
			memcpy(b, s->ar_small, sizeof s->ar_small);
		memset(b + s->ar_ours_cap, 0, cap - s->ar_ours_cap);
		s->ar_ours = b;
		s->ar_ours_cap = cap;
	}
	s->ar_ours[byte] |= (unsigned char)(1u << (nth % 8));
	return true;
}

/* fieldscan_field - one field (cut: a line of it was dropped for its length, so its text is
 * not all there): counted; true if it is to be removed.  An A-R field goes unless it is whole
 * and its authserv-id parses and is not ours (so a field cut short, or one that hides its
 * authserv-id in a malformed comment, goes too: RFC 8601 5 lets us remove any). */
static bool fieldscan_field(struct dkmod_session *s, const struct header_field *f, bool cut)
{
	if (!f->name_len)
		return false;
	int k = fieldscan_single_index(f);
	if (k >= 0) {
		s->single[k]++;
		return false;
	}
	if (header_is(f, "DomainKey-Status")) {
		s->dks_count++;
		return true;
	}
	if (!header_is(f, "Authentication-Results"))
		return false;
	size_t n;
	const char *v = header_value(f, &n);
	size_t nth = s->ar_count++;
	if (!cut && ar_authserv_id(v, n, s->ctx->opt.authserv_id) == AR_OTHER)
		return false;
	if (!fieldscan_mark(s, nth))
		s->removal_failed = true;
	if (nth < 8)
		session_log(s->ctx, DKMOD_LOG_INFO, "removed Authentication-Results field #%zu: it claims to be ours",
			    nth + 1);
	return true;
}

/* fieldscan_stored - scan the stored fields not scanned yet */
void fieldscan_stored(struct dkmod_session *s)
{
	for (; s->nscanned < s->nfields; s->nscanned++)
		if (fieldscan_field(s, &s->fields[s->nscanned], false))
			s->fields[s->nscanned].removed = true;
}

/* fieldscan_tail - a field past the limits (raw text; cut: a line of it was dropped) */
void fieldscan_tail(struct dkmod_session *s, const char *raw, size_t len, bool cut)
{
	if (!(s->flags & (DKMOD_SESSION_VERIFY | SESSION_STRIP_ONLY)) || !len || raw[0] == ' ' || raw[0] == '\t')
		return; /* a line that folds belongs to the field before it */
	fieldscan_stored(s);
	struct header_field f;
	header_field_init(&f, raw, len);
	fieldscan_field(s, &f, cut);
}

/* fieldscan_author_twice - true if From or Sender occurs more than once */
bool fieldscan_author_twice(const struct dkmod_session *s)
{
	return s->single[0] > 1 || s->single[1] > 1;
}

/* fieldscan_verdict - the verdict on a signature that verified: PASS, or why it cannot pass:
 * the header was not fully seen, it has two authors (RFC 5322 3.6), or the signature covers
 * fewer instances of a single-instance field than the message has (count gives how many
 * instances of a name it covers), so that the one a reader sees may be unsigned (RFC 6376 8.15) */
enum dkmod_result fieldscan_verdict(struct dkmod_session *s, size_t (*count)(void *arg, const char *name),
				    void *arg, const char **reason)
{
	if (s->overflow) {
		*reason = "header not fully inspected (limits exceeded)";
		return DKMOD_RESULT_PERMERROR;
	}
	for (int i = 0; i < FIELDSCAN_SINGLE; i++) {
		if (s->single[i] < 2)
			continue;
		size_t covered = count(arg, fieldscan_single[i]);
		if (i > 1 && (covered == 0 || covered >= s->single[i]))
			continue;
		*reason = arena_printf(&s->arena, "%zu %s fields, %zu signed (RFC 5322 3.6, RFC 6376 8.15)",
				       s->single[i], fieldscan_single[i], covered);
		if (!*reason)
			*reason = "a field that may occur once occurs more often";
		return DKMOD_RESULT_POLICY;
	}
	return DKMOD_RESULT_PASS;
}

/* dkmod_session_duplicates - the single-instance fields that occur more than once */
size_t dkmod_session_duplicates(const struct dkmod_session *s, const char **names, size_t max)
{
	size_t n = 0;
	for (int i = 0; i < FIELDSCAN_SINGLE; i++)
		if (s->single[i] > 1) {
			if (n < max)
				names[n] = fieldscan_single[i];
			n++;
		}
	return n;
}

/* dkmod_header_name - the length of a raw field's name (no WSP before the colon), 0 if none */
size_t dkmod_header_name(const char *field, size_t len)
{
	struct header_field f;
	return header_field_init(&f, field, len) ? f.name_len : 0;
}

/* dkmod_session_field_removed - whether the nth field named name (0: the topmost) goes */
bool dkmod_session_field_removed(const struct dkmod_session *s, const char *name, size_t name_len, size_t nth)
{
	if (header_name_eq(name, name_len, "DomainKey-Status", 16))
		return nth < s->dks_count;
	if (!header_name_eq(name, name_len, "Authentication-Results", 22) || nth >= s->ar_count)
		return false;
	return nth / 8 < s->ar_ours_cap && (s->ar_ours[nth / 8] >> (nth % 8) & 1);
}

/* dkmod_session_removal_next - the next field that goes, from *cursor (0 at first): its name,
 * its occurrence among the fields of that name, and how many fields have that name */
bool dkmod_session_removal_next(const struct dkmod_session *s, size_t *cursor, const char **name, size_t *nth,
				size_t *count)
{
	for (; *cursor < s->dks_count + s->ar_count; ++*cursor) {
		bool dks = *cursor < s->dks_count;
		*name = dks ? "DomainKey-Status" : "Authentication-Results";
		*nth = dks ? *cursor : *cursor - s->dks_count;
		*count = dks ? s->dks_count : s->ar_count;
		if (dks || dkmod_session_field_removed(s, *name, 22, *nth)) {
			++*cursor;
			return true;
		}
	}
	return false;
}
