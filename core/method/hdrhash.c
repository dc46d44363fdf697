/*
 * hdrhash.c - hashing the header fields a signature covers (hdrhash.h),
 * one code for signing and verifying: DKIM picks fields bottom-up by h=,
 * DomainKeys hashes the fields below its signature (or those h= selects)
 * into the stream the body continues.
 */
#include <stdlib.h>

#include "method/hdrhash.h"
#include "record/tagvalue.h"

#define HDRHASH_KEEP_BUFFER 65536 /* the context keeps a header buffer up to this size */

/* hdrhash_field - one field, canonicalized, added to buf with its CRLF (hashed by the caller); a
 * well-formed field's name and colon are known from header_field_init */
static int hdrhash_field(enum dkmod_canon canon, const struct header_field *f, struct str *buf)
{
	if (f->name_len)
		return canon_header_named(canon, f->raw, f->text_len, f->name_len, f->value_off - 1, true, buf);
	return canon_header(canon, f->raw, f->text_len, true, buf);
}

/* hdrhash_buffer - the context's header buffer, emptied, with room for every field canonical
 * (at most its text and a CRLF) and the signature field; NULL when out of memory */
static struct str *hdrhash_buffer(const struct method_msg *m, size_t sig_len)
{
	struct str *buf = m->header_canon;
	str_clear(buf);
	return str_reserve(buf, m->header_bytes + 2 * m->nfields + sig_len + 2) < 0 ? NULL : buf;
}

/* hdrhash_finish - after the fields (rc 0 when they went in): the signature field, then the
 * digest of the whole buffer in one pass; 0 or -1 */
static int hdrhash_finish(const struct method_msg *m, int rc, enum crypto_hash hash, enum dkmod_canon canon,
			  const char *sig_text, size_t sig_len, unsigned char *digest)
{
	struct str *buf = m->header_canon;
	if (rc == 0 && (canon_header(canon, sig_text, sig_len, false, buf) < 0 ||
			crypto_hash(hash, buf->data, buf->len, digest) != 0))
		rc = -1;
	if (buf->cap > HDRHASH_KEEP_BUFFER) /* a huge header block's buffer is not kept */
		str_free(buf);
	return rc;
}

/* hdrhash_dkim - hash the fields named in h= and the signature field itself:
 * their canonical forms are gathered in one buffer (the context's, reused) and hashed in one pass */
int hdrhash_dkim(const struct method_msg *m, enum crypto_hash hash, enum dkmod_canon canon, const char *h,
		 const struct tagvalue_item *names, size_t n, const char *sig_text, size_t sig_len,
		 unsigned char *digest)
{
	struct fieldindex *x = fieldindex_get(m->index, m->arena, m->fields, m->nfields);
	struct str *buf = x ? hdrhash_buffer(m, sig_len) : NULL;
	if (!buf)
		return hdrhash_finish(m, -1, hash, canon, sig_text, sig_len, digest);
	fieldindex_begin(x);
	size_t i, slot;
	for (size_t k = 0; k < n; k++) {
		/* the n-th mention of a name takes the n-th instance from the bottom */
		if ((slot = fieldindex_find(x, h + names[k].off, names[k].len)) == FIELDINDEX_NONE ||
		    (i = fieldindex_take(x, slot, 0, false)) == FIELDINDEX_NONE)
			continue;
		if (hdrhash_field(canon, &m->fields[i], buf) < 0)
			return hdrhash_finish(m, -1, hash, canon, sig_text, sig_len, digest);
	}
	return hdrhash_finish(m, 0, hash, canon, sig_text, sig_len, digest);
}

/* hdrhash_dkim_fields - hash the fields given by index (in h= order, as the signer chose them)
 * and the signature field, as hdrhash_dkim does */
int hdrhash_dkim_fields(const struct method_msg *m, enum crypto_hash hash, enum dkmod_canon canon,
			const size_t *fields, size_t n, const char *sig_text, size_t sig_len, unsigned char *digest)
{
	struct str *buf = hdrhash_buffer(m, sig_len);
	int rc = buf ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (hdrhash_field(canon, &m->fields[fields[i]], buf) < 0)
			rc = -1;
	return hdrhash_finish(m, rc, hash, canon, sig_text, sig_len, digest);
}

/* hdrhash_dk_select - the fields h= selects, in the peer's order: walking h= from
 * its end, a name mentioned again earlier takes its last unused field, its
 * first mention takes every unused field left (in message order); at most
 * HEADER_MAX_SIGNED names (dksig_parse refuses longer lists) */
static size_t hdrhash_dk_select(const struct method_msg *m, struct fieldindex *x, size_t first, const char *h,
			      size_t h_len, bool skip_removed, size_t *chosen, bool *used)
{
	size_t slot[HEADER_MAX_SIGNED], n = 0, pos = 0, len, count = 0, i;
	const char *it;
	fieldindex_begin(x);
	/* each name's mark is the place of its first mention */
	while (n < HEADER_MAX_SIGNED && tagvalue_list_next(h, h_len, &pos, &it, &len)) {
		slot[n] = fieldindex_find(x, it, len);
		if (slot[n] != FIELDINDEX_NONE)
			fieldindex_mark(x, slot[n], n);
		n++;
	}
	/* chosen[] is filled from its end, fields bottom-up, so each block stays in message order */
	size_t top = m->nfields;
	for (size_t j = n; j-- > 0;) {
		if (slot[j] == FIELDINDEX_NONE)
			continue;
		bool again = fieldindex_mark(x, slot[j], j) < j;
		while ((i = fieldindex_take(x, slot[j], first, skip_removed)) != FIELDINDEX_NONE) {
			used[i] = true;
			chosen[--top] = i;
			if (again)
				break;
		}
	}
	for (size_t k = top; k < m->nfields; k++)
		chosen[count++] = chosen[k];
	return count;
}

/* hdrhash_dk - feed the fields a DomainKeys signature covers into its stream */
int hdrhash_dk(const struct method_msg *m, struct bodyhash *stream, enum dkmod_canon canon, size_t first,
	       const char *h, size_t h_len, bool skip_removed, bool *signed_fields)
{
	/* the canonical fields are gathered in one buffer and hashed at once; a canonical
	 * field is at most its text and a CRLF */
	struct str buf = STR_INIT;
	int rc = str_reserve(&buf, m->header_bytes + 2 * m->nfields);
	if (rc == 0 && !h) {
		for (size_t i = first; rc == 0 && i < m->nfields; i++) {
			if (skip_removed && m->fields[i].removed)
				continue;
			signed_fields[i] = true;
			rc = hdrhash_field(canon, &m->fields[i], &buf);
		}
	} else if (rc == 0) {
		struct fieldindex *x = fieldindex_get(m->index, m->arena, m->fields, m->nfields);
		size_t *chosen = x ? malloc((m->nfields + 1) * sizeof *chosen) : NULL;
		size_t n = chosen ? hdrhash_dk_select(m, x, first, h, h_len, skip_removed, chosen, signed_fields) : 0;
		rc = chosen ? 0 : -1;
		for (size_t k = 0; rc == 0 && k < n; k++)
			rc = hdrhash_field(canon, &m->fields[chosen[k]], &buf);
		free(chosen);
	}
	if (rc == 0 && buf.len)
		rc = crypto_hasher_update(stream->hasher, buf.data, buf.len);
	str_free(&buf);
	return rc;
}

