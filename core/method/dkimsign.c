/*
 * dkimsign.c - adding DKIM-Signature fields: choose the header fields,
 * hash the body (shared with verification when parameters match), build
 * the field folded under 78 columns, sign it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "method/dkimsign.h"
#include "key/privkeys.h"
#include "method/hdrhash.h"
#include "msg/fold.h"
#include "record/base64.h"
#include "record/dkimsig.h"
#include "record/tagvalue.h"

/* The fields signed when the request names none (RFC 6376 5.4.1's advice), "from" first, and
 * which are oversigned when the request names none: listed once more than present, so that none
 * can be added after signing (DKIMSIGN_ALWAYS), or so only where present (DKIMSIGN_PRESENT: a
 * mailing list may add its List-* fields to a message that had none). */
enum { DKIMSIGN_NOT = 0, DKIMSIGN_ALWAYS, DKIMSIGN_PRESENT };
/* DKIMSIGN_DEFAULTS(X, a) - X(a, id, name, over) for each default name, in h= order */
#define DKIMSIGN_DEFAULTS(X, a)                                                                               \
	X(a, FROM, "from", 1) X(a, REPLY_TO, "reply-to", 1) X(a, SUBJECT, "subject", 1) X(a, DATE, "date", 1)     \
	X(a, TO, "to", 1) X(a, CC, "cc", 1) X(a, MESSAGE_ID, "message-id", 1) X(a, IN_REPLY_TO, "in-reply-to", 1) \
	X(a, REFERENCES, "references", 1) X(a, MIME_VERSION, "mime-version", 1)                                  \
	X(a, CONTENT_TYPE, "content-type", 1) X(a, CONTENT_TRANSFER_ENCODING, "content-transfer-encoding", 1)     \
	X(a, CONTENT_DISPOSITION, "content-disposition", 1) X(a, CONTENT_ID, "content-id", 0)                    \
	X(a, CONTENT_DESCRIPTION, "content-description", 0) X(a, RESENT_DATE, "resent-date", 0)                  \
	X(a, RESENT_FROM, "resent-from", 0) X(a, RESENT_SENDER, "resent-sender", 0)                              \
	X(a, RESENT_TO, "resent-to", 0) X(a, RESENT_CC, "resent-cc", 0)                                          \
	X(a, RESENT_MESSAGE_ID, "resent-message-id", 0) X(a, LIST_ID, "list-id", 2)                              \
	X(a, LIST_HELP, "list-help", 2) X(a, LIST_UNSUBSCRIBE, "list-unsubscribe", 2)                            \
	X(a, LIST_SUBSCRIBE, "list-subscribe", 2) X(a, LIST_POST, "list-post", 2) X(a, LIST_OWNER, "list-owner", 2) \
	X(a, LIST_ARCHIVE, "list-archive", 2) X(a, SENDER, "sender", 1)
#define DKIMSIGN_ID(a, id, n, o) DKIMSIGN_D_##id,
enum dkimsign_default_id { DKIMSIGN_DEFAULTS(DKIMSIGN_ID, 0) DKIMSIGN_NDEFAULT };
#define DKIMSIGN_NAME(a, id, n, o) {n, sizeof n - 1, o},
static const struct dkimsign_name {
	const char *name;
	size_t len;
	unsigned char over;
} dkimsign_default_headers[] = {DKIMSIGN_DEFAULTS(DKIMSIGN_NAME, 0)};
/* The default names of each length below DKIMSIGN_LEN_MAX, a bit each: a field is compared with
 * those names only (a constant table, not built per message) */
#define DKIMSIGN_LEN_MAX 32
#define DKIMSIGN_LEN_BIT(len, id, n, o) | (sizeof n - 1 == (len) ? (uint32_t)1 << DKIMSIGN_D_##id : 0)
#define DKIMSIGN_BY_LEN(len) (0 DKIMSIGN_DEFAULTS(DKIMSIGN_LEN_BIT, len))
#define DKIMSIGN_BY_LEN4(len) DKIMSIGN_BY_LEN(len), DKIMSIGN_BY_LEN(len + 1), DKIMSIGN_BY_LEN(len + 2), \
	DKIMSIGN_BY_LEN(len + 3)
static const uint32_t dkimsign_by_len[DKIMSIGN_LEN_MAX] = {
	DKIMSIGN_BY_LEN4(0), DKIMSIGN_BY_LEN4(4), DKIMSIGN_BY_LEN4(8), DKIMSIGN_BY_LEN4(12),
	DKIMSIGN_BY_LEN4(16), DKIMSIGN_BY_LEN4(20), DKIMSIGN_BY_LEN4(24), DKIMSIGN_BY_LEN4(28)};
/* The default names oversigned even where absent (DKIMSIGN_ALWAYS), a bit each */
#define DKIMSIGN_ALWAYS_BIT(a, id, n, o) | (o == DKIMSIGN_ALWAYS ? (uint32_t)1 << DKIMSIGN_D_##id : 0)
#define DKIMSIGN_ALWAYS_SET (0 DKIMSIGN_DEFAULTS(DKIMSIGN_ALWAYS_BIT, 0))
#define DKIMSIGN_KEEP_BUFFER 65536 /* the context keeps a buffer of dkimsign_one up to this size */
_Static_assert(DKIMSIGN_NDEFAULT <= 32, "a default name is a bit of a uint32_t");
#define DKIMSIGN_LEN_FITS(a, id, n, o) && sizeof n - 1 < DKIMSIGN_LEN_MAX
_Static_assert(1 DKIMSIGN_DEFAULTS(DKIMSIGN_LEN_FITS, 0), "every default name is in dkimsign_by_len");

/* The h= list being built: its names, each with its mentions (written into the field from
 * there, with no list text in between), and the fields it signs by index in h= order (chosen as
 * the names are listed, so the header hash needs neither h= parsed again nor a field index). */
struct dkimsign_list {
	struct fold_item names[HEADER_MAX_SIGNED];
	size_t nnames, mentions;        /* names listed, and their mentions: at most HEADER_MAX_SIGNED */
	size_t fields[HEADER_MAX_SIGNED];
	size_t nfields;
};

/* dkimsign_alg_name - a= for an algorithm */
static const char *dkimsign_alg_name(enum dkmod_algorithm a)
{
	switch (a) {
	case DKMOD_ALG_RSA_SHA1: return "rsa-sha1";
	case DKMOD_ALG_ED25519_SHA256: return "ed25519-sha256";
	default: return "rsa-sha256";
	}
}

/* dkimsign_copy_strings - the request's strings (those set) copied into one block of the
 * arena; false when out of memory */
static bool dkimsign_copy_strings(const struct method_msg *m, struct dkmod_sign_request *r)
{
	const char **strs[] = {&r->domain, &r->selector, &r->key_file, &r->headers,
			       &r->identity, &r->instance, &r->oversign_headers};
	size_t sizes[sizeof strs / sizeof strs[0]], total = 0;
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		total += sizes[i] = *strs[i] ? strlen(*strs[i]) + 1 : 0;
	char *p = arena_alloc_raw(m->arena, total);
	if (!p)
		return false;
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		if (*strs[i]) {
			*strs[i] = memcpy(p, *strs[i], sizes[i]);
			p += sizes[i];
		}
	return true;
}

/* dkimsign_add - load the key and queue a signature */
enum dkmod_status dkimsign_add(const struct method_msg *m, struct dkimsign *set, const struct dkmod_sign_request *req)
{
	if (set->nsigners == METHOD_MAX_SIGNERS)
		return DKMOD_ELIMIT;
	if (!req->domain || !req->selector || !req->key_file ||
	    !dkimsig_valid_domain(req->domain, strlen(req->domain)) ||
	    !dkimsig_valid_domain(req->selector, strlen(req->selector)) ||
	    req->header_canon > DKMOD_CANON_RELAXED || req->body_canon > DKMOD_CANON_RELAXED) {
		method_log(m, DKMOD_LOG_ERROR, "signing request needs a valid domain, selector, key and canonicalization");
		return DKMOD_EINVAL;
	}
	if (req->identity) {
		const char *at = strrchr(req->identity, '@');
		if (!at || !dkimsig_domain_within(at + 1, req->domain)) {
			method_log(m, DKMOD_LOG_ERROR, "identity %s is not within %s", req->identity, req->domain);
			return DKMOD_EINVAL;
		}
	}
	if (!set->signers && /* each signer is cleared when added; only nsigners are read */
	    !(set->signers = arena_alloc_raw(m->arena, METHOD_MAX_SIGNERS * sizeof *set->signers)))
		return DKMOD_ENOMEM;
	struct dkimsigner *g = &set->signers[set->nsigners];
	memset(g, 0, sizeof *g);
	g->req = *req;
	if (!dkimsign_copy_strings(m, &g->req))
		return DKMOD_ENOMEM;
	const char *why = "";
	g->key = privkeys_get(m->privkeys, req->key_file, keycache_generation(m->cache),
			     (long long)time(NULL), &why);
	if (!g->key) {
		method_log(m, DKMOD_LOG_ERROR, "signing key %s: %s", req->key_file, why);
		return DKMOD_EKEY;
	}
	bool ed = crypto_privkey_type(g->key) == CRYPTO_KEY_ED25519;
	if (req->algorithm_from_key && ed != (g->req.algorithm == DKMOD_ALG_ED25519_SHA256))
		g->req.algorithm = ed ? DKMOD_ALG_ED25519_SHA256 : DKMOD_ALG_RSA_SHA256;
	if (ed != (g->req.algorithm == DKMOD_ALG_ED25519_SHA256)) {
		method_log(m, DKMOD_LOG_ERROR, "signing key %s does not fit algorithm %s", req->key_file,
			    dkimsign_alg_name(g->req.algorithm));
		privkeys_put(m->privkeys, g->req.key_file, g->key);
		g->key = NULL;
		return DKMOD_EKEY;
	}
	set->nsigners++;
	return DKMOD_OK;
}

/* dkimsign_start - set up the body hashes */
enum dkmod_status dkimsign_start(const struct method_msg *m, struct dkimsign *set)
{
	for (size_t i = 0; i < set->nsigners; i++) {
		struct dkimsigner *g = &set->signers[i];
		enum crypto_hash hash = g->req.algorithm == DKMOD_ALG_RSA_SHA1 ? CRYPTO_SHA1 : CRYPTO_SHA256;
		g->body = bodyhash_get(m->bodies, hash, g->req.body_canon, false, g->req.body_length);
		if (!g->body)
			return DKMOD_ENOMEM;
	}
	return DKMOD_OK;
}

/* dkimsign_count - how many received fields have this name */
static size_t dkimsign_count(const struct method_msg *m, const char *name, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < m->nfields; i++)
		if (m->fields[i].name_len && !m->fields[i].removed &&
		    header_name_eq(m->fields[i].raw, m->fields[i].name_len, name, n))
			count++;
	return count;
}

/* dkimsign_listed - whether name is already in the list */
static bool dkimsign_listed(const struct dkimsign_list *l, const char *name, size_t n)
{
	for (size_t i = 0; i < l->nnames; i++)
		if (header_name_eq(l->names[i].name, l->names[i].len, name, n))
			return true;
	return false;
}

/* dkimsign_pick - the fields named name a verifier takes for its first `times` mentions in h=:
 * the n-th mention the n-th instance from the bottom (fields to be removed are not there) */
static void dkimsign_pick(const struct method_msg *m, struct dkimsign_list *l, const char *name, size_t n,
			  size_t times)
{
	for (size_t i = m->nfields; i-- > 0 && times > 0;)
		if (m->fields[i].name_len && !m->fields[i].removed &&
		    header_name_eq(m->fields[i].raw, m->fields[i].name_len, name, n)) {
			l->fields[l->nfields++] = i;
			times--;
		}
}

/* dkimsign_append_name - name *times over, as long as h stays within HEADER_MAX_SIGNED
 * mentions (verifiers refuse longer lists; instances left out stay unsigned): *times becomes the
 * mentions listed */
static void dkimsign_append_name(struct dkimsign_list *l, const char *name, size_t n, size_t *times)
{
	if (*times > HEADER_MAX_SIGNED - l->mentions)
		*times = HEADER_MAX_SIGNED - l->mentions;
	if (*times) {
		l->names[l->nnames++] = (struct fold_item){name, n, *times};
		l->mentions += *times;
	}
}

/* dkimsign_over - how a default field is oversigned by g's request, present count times (0 or 1) */
static size_t dkimsign_over(const struct dkimsigner *g, unsigned char over, size_t count)
{
	return g->req.oversign && (over == DKIMSIGN_ALWAYS || (over == DKIMSIGN_PRESENT && count > 0));
}

/* dkimsign_extra - 1 if the field name is oversigned by g's request and present count times */
static size_t dkimsign_extra(const struct dkimsigner *g, const char *name, size_t n, size_t count)
{
	if (!g->req.oversign)
		return 0;
	if (g->req.oversign_headers) {
		size_t pos = 0, len;
		const char *item;
		while (tagvalue_list_next(g->req.oversign_headers, strlen(g->req.oversign_headers), &pos, &item, &len))
			if (header_name_eq(item, len, name, n))
				return 1;
		return 0;
	}
	for (size_t d = 0; d < DKIMSIGN_NDEFAULT; d++)
		if (header_name_eq(dkimsign_default_headers[d].name, dkimsign_default_headers[d].len, name, n))
			return dkimsign_over(g, dkimsign_default_headers[d].over, count);
	return 0;
}

/* dkimsign_add_name - list a name once per instance in the message (once more if oversigned), unless listed */
static void dkimsign_add_name(const struct method_msg *m, const struct dkimsigner *g, struct dkimsign_list *l,
			      const char *name, size_t n)
{
	if (n == 0 || dkimsign_listed(l, name, n))
		return;
	size_t count = dkimsign_count(m, name, n), times = count + dkimsign_extra(g, name, n, count);
	dkimsign_append_name(l, name, n, &times);
	dkimsign_pick(m, l, name, n, times < count ? times : count);
}

/* Where the default names are: how many received fields have each, the bottom one, and for each
 * such field the next one up with the same name (found in one pass, from the bottom). */
struct dkimsign_found {
	size_t counts[DKIMSIGN_NDEFAULT], bottom[DKIMSIGN_NDEFAULT], last[DKIMSIGN_NDEFAULT];
	size_t *up;                     /* nfields entries */
	uint32_t present;               /* the names with a count, a bit each */
};

/* dkimsign_default_find - fill *x (counts and present cleared by the caller, bottom and last
 * read only where a count is not 0); false when out of memory */
static bool dkimsign_default_find(const struct method_msg *m, struct dkimsign_found *x)
{
	if (!(x->up = arena_alloc_raw(m->arena, (m->nfields ? m->nfields : 1) * sizeof *x->up)))
		return false;
	for (size_t i = m->nfields; i-- > 0;) {
		const struct header_field *f = &m->fields[i];
		if (f->removed)
			continue;
		if (f->name_len >= DKIMSIGN_LEN_MAX)
			continue;
		for (uint32_t set = dkimsign_by_len[f->name_len]; set; set &= set - 1) {
			size_t d = (size_t)__builtin_ctz(set); /* a name of the field's length */
			if (str_case_eq(f->raw, dkimsign_default_headers[d].name, f->name_len)) {
				if (x->counts[d]++)
					x->up[x->last[d]] = i;
				else
					x->bottom[d] = i;
				x->present |= (uint32_t)1 << d;
				x->last[d] = i;
				break;
			}
		}
	}
	return true;
}

/* dkimsign_oversigned_rest - the oversigned names the list so far leaves out */
static void dkimsign_oversigned_rest(const struct method_msg *m, const struct dkimsigner *g, struct dkimsign_list *l)
{
	if (!g->req.oversign)
		return;
	if (!g->req.oversign_headers) {
		for (size_t d = 0; d < DKIMSIGN_NDEFAULT; d++)
			if (dkimsign_default_headers[d].over)
				dkimsign_add_name(m, g, l, dkimsign_default_headers[d].name, dkimsign_default_headers[d].len);
		return;
	}
	size_t pos = 0, n;
	const char *item;
	while (tagvalue_list_next(g->req.oversign_headers, strlen(g->req.oversign_headers), &pos, &item, &n))
		dkimsign_add_name(m, g, l, item, n);
}

/* dkimsign_header_list - the h= list for a request: From first, then each configured or default
 * name once per instance in the message, oversigned names once more, then oversigned names
 * the list left out; -1 when out of memory */
static int dkimsign_header_list(const struct method_msg *m, const struct dkimsigner *g, struct dkimsign_list *l)
{
	if (g->req.headers) {
		size_t pos = 0, n;
		const char *item;
		dkimsign_add_name(m, g, l, "from", 4);
		while (tagvalue_list_next(g->req.headers, strlen(g->req.headers), &pos, &item, &n))
			dkimsign_add_name(m, g, l, item, n);
		dkimsign_oversigned_rest(m, g, l);
		return 0;
	}
	struct dkimsign_found x;
	memset(x.counts, 0, sizeof x.counts);
	x.present = 0;
	if (!dkimsign_default_find(m, &x))
		return -1;
	/* the names listed: those present, and those oversigned where absent (a name oversigned only
	 * where present is present); any name when the request names the oversigned ones */
	uint32_t listed = g->req.oversign_headers ? ((uint32_t)1 << (DKIMSIGN_NDEFAULT - 1) << 1) - 1
			  : x.present | (g->req.oversign ? DKIMSIGN_ALWAYS_SET : 0);
	for (; listed; listed &= listed - 1) {
		size_t d = (size_t)__builtin_ctz(listed);
		const struct dkimsign_name *dn = &dkimsign_default_headers[d];
		size_t count = x.counts[d];
		size_t times = count + (g->req.oversign_headers ? dkimsign_extra(g, dn->name, dn->len, count)
								: dkimsign_over(g, dn->over, count));
		dkimsign_append_name(l, dn->name, dn->len, &times);
		/* the n-th mention signs the n-th instance from the bottom */
		for (size_t k = 0, i = count ? x.bottom[d] : 0; k < times && k < count; k++) {
			i = k ? x.up[i] : i;
			l->fields[l->nfields++] = i;
		}
	}
	/* the recommended oversigned fields are all in the default list */
	if (g->req.oversign_headers)
		dkimsign_oversigned_rest(m, g, l);
	return 0;
}

/* dkimsign_qp - i= in dkim-quoted-printable */
static int dkimsign_qp(struct str *out, const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		int rc = (*p > 0x20 && *p < 0x7f && *p != ';' && *p != '=') ? str_appendc(out, (char)*p)
									    : str_printf(out, "=%02X", *p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* dkimsign_canon_pair - c= for a request */
static const char *dkimsign_canon_pair(const struct dkmod_sign_request *r)
{
	static const char *const pairs[2][2] = {{"simple/simple", "simple/relaxed"},
						  {"relaxed/simple", "relaxed/relaxed"}};
	return pairs[r->header_canon == DKMOD_CANON_RELAXED][r->body_canon == DKMOD_CANON_RELAXED];
}

/* dkimsign_build - the field up to and including "b=", folded by f (left where b= ends) */
static int dkimsign_build(const struct method_msg *m, const struct dkimsigner *g, const struct dkimsign_list *l,
			  struct str *out, struct fold *fold)
{
	struct fold f;
	char b64[64];
	const struct dkmod_sign_request *r = &g->req;
	long long now = (long long)method_now(m);
	/* room for the whole field with b= at once (a 2048-bit RSA b= is 344 characters) */
	if (str_reserve(out, 1024) < 0 || fold_start(&f, out, "DKIM-Signature") < 0 || fold_tag_str(&f, "v", "1") < 0 ||
	    fold_tag_str(&f, "a", dkimsign_alg_name(r->algorithm)) < 0 || fold_tag_str(&f, "c", dkimsign_canon_pair(r)) < 0 ||
	    fold_tag_str(&f, "d", r->domain) < 0 || fold_tag_str(&f, "s", r->selector) < 0)
		return -1;
	if (r->identity) {
		struct str qp = STR_INIT;
		int rc = dkimsign_qp(&qp, r->identity);
		if (rc == 0)
			rc = fold_tag(&f, "i", qp.data, qp.len);
		str_free(&qp);
		if (rc < 0)
			return -1;
	}
	if (r->body_length >= 0 &&
	    fold_tag_number(&f, "l", (unsigned long long)(g->body->length < r->body_length ? g->body->length
											: r->body_length)) < 0)
		return -1;
	if (now < 0)
		now = 0;
	if (fold_tag_number(&f, "t", (unsigned long long)now) < 0 ||
	    (r->expire && fold_tag_number(&f, "x", (unsigned long long)now + r->expire) < 0))
		return -1;
	if (fold_items(&f, "h", l->names, l->nnames) < 0)
		return -1;
	size_t digest_len = crypto_hash_size(g->body->hash);
	base64_encode(g->body->digest, digest_len, b64);
	if (fold_word(&f, "bh=", 3, true) < 0 || fold_base64(&f, b64, base64_encoded_len(digest_len)) < 0 || fold_word(&f, ";", 1, false) < 0 ||
	    fold_word(&f, "b=", 2, true) < 0)
		return -1;
	*fold = f;
	return 0;
}

/* dkimsign_keep - a buffer of the context emptied after use, freed when a huge list made it big */
static void dkimsign_keep(struct str *buf)
{
	if (buf->cap > DKIMSIGN_KEEP_BUFFER)
		str_free(buf);
	else
		str_clear(buf);
}

/* dkimsign_one - build and sign one field in the context's buffers (no allocation per message but
 * the arena's copy of the field); returns a reason on failure (its status in *st) */
static const char *dkimsign_one(const struct method_msg *m, struct dkimsigner *g, enum dkmod_status *st)
{
	struct dkimsign_list l; /* its 8 KB of names and field indices are written as they are chosen */
	l.nnames = l.mentions = l.nfields = 0;
	struct str *field = m->sign_field;
	struct fold f;
	const char *why = NULL;
	unsigned char digest[CRYPTO_MAX_DIGEST], sig[CRYPTO_MAX_SIG];
	char b64[2 * CRYPTO_MAX_SIG];
	size_t sig_len = 0;
	enum crypto_hash hash = g->body->hash;
	str_clear(field);
	if (g->body->failed)
		why = "body hash failed";
	else if (dkimsign_header_list(m, g, &l) < 0 || dkimsign_build(m, g, &l, field, &f) < 0)
		why = method_out_of_memory;
	else if (hdrhash_dkim_fields(m, hash, g->req.header_canon, l.fields, l.nfields, field->data, field->len,
				     digest) != 0)
		why = "header hash failed";
	else if (crypto_sign(g->key, hash, digest, crypto_hash_size(hash), sig, &sig_len) != 0)
		why = "signing failed";
	if (!why) {
		base64_encode(sig, sig_len, b64);
		if (fold_base64(&f, b64, base64_encoded_len(sig_len)) == 0)
			g->field = arena_strndup(m->arena, field->data, field->len);
		if (!g->field)
			why = method_out_of_memory;
	}
	dkimsign_keep(field);
	*st = why == method_out_of_memory ? DKMOD_ENOMEM : DKMOD_ECRYPTO;
	return why;
}

/* dkimsign_finish - build and sign each DKIM-Signature field */
enum dkmod_status dkimsign_finish(const struct method_msg *m, struct dkimsign *set)
{
	enum dkmod_status st = DKMOD_OK, failed;
	for (size_t i = 0; i < set->nsigners; i++) {
		struct dkimsigner *g = &set->signers[i];
		g->failure = dkimsign_one(m, g, &failed);
		if (g->failure) {
			method_log(m, DKMOD_LOG_ERROR, "DKIM signing d=%s s=%s failed: %s", g->req.domain,
				    g->req.selector, g->failure);
			if (st == DKMOD_OK)
				st = failed;
			continue;
		}
		method_log(m, DKMOD_LOG_INFO, "DKIM signed d=%s s=%s a=%s", g->req.domain, g->req.selector,
			    dkimsign_alg_name(g->req.algorithm));
		if (method_add_field(m, g->field) != DKMOD_OK)
			return DKMOD_ENOMEM;
	}
	return st;
}

/* dkimsign_free - forget the signers (their keys belong to the context) */
void dkimsign_free(const struct method_msg *m, struct dkimsign *set)
{
	for (size_t i = 0; i < set->nsigners; i++)
		privkeys_put(m->privkeys, set->signers[i].req.key_file, set->signers[i].key);
	set->nsigners = 0;
}
