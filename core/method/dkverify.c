/*
 * dkverify.c - verifying DomainKey-Signature fields (RFC 4870 3.4, 3.5).
 * A DomainKeys hash runs over the signed header fields and then the body in
 * one SHA-1 stream, so the fields are hashed at the end of the headers and
 * the body follows through the shared body-hash machinery.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/keyrec.h"
#include "engine/session.h"
#include "record/tagvalue.h"

/* dkverify_hash_field - one field, canonicalized, added to buf (hashed by the caller) */
static int dkverify_hash_field(enum dkmod_canon canon, const struct header_field *f, struct str *buf)
{
	return canon_header(canon, f->raw, f->text_len, true, buf);
}

/* dkverify_select - the fields h= selects, in the peer's order: walking h= from
 * its end, a name mentioned again earlier takes its last unused field, its
 * first mention takes every unused field left (in message order); at most
 * HEADER_MAX_SIGNED names (dksig_parse refuses longer lists) */
static size_t dkverify_select(struct dkmod_session *s, struct fieldindex *x, size_t first, const char *h,
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
	size_t top = s->nfields;
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
	for (size_t k = top; k < s->nfields; k++)
		chosen[count++] = chosen[k];
	return count;
}

/* dkverify_hash_headers - feed the fields a DomainKeys signature covers into its stream */
int dkverify_hash_headers(struct dkmod_session *s, struct bodyhash *stream, enum dkmod_canon canon, size_t first,
			  const char *h, size_t h_len, bool skip_removed, bool *signed_fields)
{
	/* the canonical fields are gathered in one buffer and hashed at once; a canonical
	 * field is at most its text and a CRLF */
	struct str buf = STR_INIT;
	int rc = str_reserve(&buf, s->header_bytes + 2 * s->nfields);
	if (rc == 0 && !h) {
		for (size_t i = first; rc == 0 && i < s->nfields; i++) {
			if (skip_removed && s->fields[i].removed)
				continue;
			signed_fields[i] = true;
			rc = dkverify_hash_field(canon, &s->fields[i], &buf);
		}
	} else if (rc == 0) {
		struct fieldindex *x = fieldindex_get(&s->index, &s->arena, s->fields, s->nfields);
		size_t *chosen = x ? malloc((s->nfields + 1) * sizeof *chosen) : NULL;
		size_t n = chosen ? dkverify_select(s, x, first, h, h_len, skip_removed, chosen, signed_fields) : 0;
		rc = chosen ? 0 : -1;
		for (size_t k = 0; rc == 0 && k < n; k++)
			rc = dkverify_hash_field(canon, &s->fields[chosen[k]], &buf);
		free(chosen);
	}
	if (rc == 0 && buf.len)
		rc = crypto_hasher_update(stream->hasher, buf.data, buf.len);
	str_free(&buf);
	return rc;
}

/* The fields one DomainKeys signature covers. */
struct dkverify_signed {
	const struct dkmod_session *s;
	const bool *signed_fields;
};

/* dkverify_signed_count - how many fields named name the signature covers */
static size_t dkverify_signed_count(void *arg, const char *name)
{
	const struct dkverify_signed *sf = arg;
	size_t count = 0;
	for (size_t i = 0; i < sf->s->nfields; i++)
		count += sf->signed_fields[i] && header_is(&sf->s->fields[i], name);
	return count;
}

/* dkverify_prepare - the sender checks and the header hash of one signature */
static void dkverify_prepare(struct dkmod_session *s, struct dkcheck *c, const struct sender *snd)
{
	const struct header_field *f = &s->fields[c->field];
	size_t len;
	const char *v = header_value(f, &len);
	c->status = dksig_parse(v, len, &c->sig);
	c->sender = *snd;
	if (c->status != DKSIG_OK)
		return;
	c->stream = bodyhash_get(s, CRYPTO_SHA1, c->sig.canon, true, -1);
	bool *signed_fields = calloc(s->nfields + 1, sizeof *signed_fields);
	if (!c->stream || !signed_fields ||
	    dkverify_hash_headers(s, c->stream, c->sig.canon, c->field + 1, c->sig.h, c->sig.h_len, false,
				  signed_fields) < 0) {
		c->failure = "out of memory";
		c->failure_status = "bad";
	} else if (!snd->parsed) {
		c->failure = "no responsible sender address";
		c->failure_status = "bad";
	} else if (!signed_fields[snd->field]) {
		c->failure = snd->from_sender ? "Sender: is not signed" : "From: is not signed";
		c->failure_status = "bad";
	} else if (!dkimsig_domain_within(snd->addr.domain, c->sig.domain)) {
		c->failure = "sender domain is not within d=";
		c->failure_status = "bad";
	}
	if (!c->failure) {
		struct dkverify_signed sf = {s, signed_fields};
		c->header_verdict = fieldscan_verdict(s, dkverify_signed_count, &sf, &c->header_reason);
	}
	free(signed_fields);
	if (!c->failure) {
		char name[2 * DKIMSIG_MAX_NAME + 16];
		const char *parts[3] = {c->sig.selector, "._domainkey.", c->sig.domain};
		str_join(name, sizeof name, parts, 3); /* a cut name is still over 253 bytes: refused */
		c->key = session_lookup_txt(s, name);
	}
}

/* dkverify_start - parse every DomainKey-Signature, hash the signed headers, start key lookups */
enum dkmod_status dkverify_start(struct dkmod_session *s)
{
	void *room;
	size_t n = session_signature_fields(s, "DomainKey-Signature", sizeof *s->dkchecks, &room);
	if (n == SIZE_MAX)
		return DKMOD_ENOMEM;
	if (n == 0)
		return DKMOD_OK;
	s->dkchecks = memset(room, 0, n * sizeof *s->dkchecks);
	const struct sender *snd = sender_get(s);
	for (size_t i = 0; i < s->nfields && s->ndkchecks < n; i++) {
		if (!header_is(&s->fields[i], "DomainKey-Signature"))
			continue;
		struct dkcheck *c = &s->dkchecks[s->ndkchecks++];
		c->field = i;
		dkverify_prepare(s, c, snd);
	}
	return DKMOD_OK;
}

/* dkverify_pick_key - the first TXT record that parses as a DomainKeys key (parsed once per
 * process and record text, in the key cache); KEYREC_OK with *rec NULL when out of memory */
static enum keyrec_status dkverify_pick_key(struct dkmod_session *s, const struct keylookup *k,
					    const struct keyrec **rec)
{
	enum keyrec_status first = KEYREC_NO_KEY;
	for (size_t i = 0; i < k->count; i++) {
		enum keyrec_status st = pubkeys_record(&s->ctx->pubkeys, true, k->records[i], k->lengths[i], rec);
		if (st == KEYREC_OK || !*rec)
			return KEYREC_OK;
		if (i == 0)
			first = st;
	}
	return first;
}

/* dkverify_granularity - g= against the sender's local part: equal, or a pattern
 * with one '*' standing for any run of characters (as published keys use it) */
static bool dkverify_granularity(const char *g, const char *local)
{
	const char *star = strchr(g, '*');
	if (!star)
		return strcmp(g, local) == 0;
	size_t pre = (size_t)(star - g), post = strlen(star + 1), n = strlen(local);
	return n >= pre + post && strncmp(local, g, pre) == 0 && strcmp(local + n - post, star + 1) == 0;
}

/* dkverify_key - the key checks and the signature itself */
static void dkverify_key(struct dkmod_session *s, const struct dkcheck *c, struct dkmod_sig_result *r)
{
	const struct keyrec *rec = NULL;
	const struct crypto_pubkey *pub = NULL;
	enum keyrec_status ks = dkverify_pick_key(s, c->key, &rec);
	r->result = DKMOD_RESULT_PERMERROR;
	if (ks == KEYREC_OK && !rec) {
		r->result = DKMOD_RESULT_TEMPERROR;
		r->reason = "out of memory";
		r->dk_status = "bad";
	} else if (ks != KEYREC_OK) {
		r->reason = keyrec_strerror(ks);
		r->dk_status = ks == KEYREC_BAD_KEYTYPE ? "bad (key type)" : "bad (public key)";
	} else if ((r->testing = rec->testing), rec->revoked) {
		r->reason = "key revoked";
		r->dk_status = "bad (key revoked)";
	} else if (rec->has_granularity && !dkverify_granularity(rec->granularity, c->sender.addr.local)) {
		r->reason = "key granularity does not match the sender";
		r->dk_status = "bad";
	} else if (!(pub = pubkeys_get(&s->ctx->pubkeys, false, rec->key, rec->key_len)) || crypto_pubkey_type(pub) != CRYPTO_KEY_RSA) {
		r->reason = pub ? "public key unusable" : arena_printf(&s->arena, "public key unusable: %s", crypto_last_error());
		r->dk_status = "bad (public key)";
	} else if ((r->key_bits = crypto_pubkey_bits(pub)) < s->ctx->opt.min_key_bits) {
		r->result = DKMOD_RESULT_POLICY;
		r->reason = arena_printf(&s->arena, "key too small (%u bits, minimum %u)", r->key_bits,
					 s->ctx->opt.min_key_bits);
		r->dk_status = "bad (public key)";
	} else if (c->stream->failed) {
		r->result = DKMOD_RESULT_TEMPERROR;
		r->reason = "hash could not be computed";
		r->dk_status = "bad";
	} else if (crypto_verify(pub, CRYPTO_SHA1, c->stream->digest, 20, c->sig.b, c->sig.b_len) != 1) {
		r->result = DKMOD_RESULT_FAIL;
		r->reason = "signature did not verify";
		r->dk_status = "bad";
	} else if (c->header_verdict != DKMOD_RESULT_PASS) {
		r->result = c->header_verdict;
		r->reason = c->header_reason;
		r->dk_status = "bad";
	} else {
		r->result = DKMOD_RESULT_PASS;
		r->dk_status = "good";
	}
}

/* dkverify_one - the verdict on one DomainKeys signature */
static void dkverify_one(struct dkmod_session *s, const struct dkcheck *c, struct dkmod_sig_result *r)
{
	const struct dksig *sig = &c->sig;
	r->domain = arena_strdup(&s->arena, sig->domain);
	r->selector = arena_strdup(&s->arena, sig->selector);
	r->algorithm = arena_strdup(&s->arena, sig->algorithm);
	r->b = arena_strdup(&s->arena, sig->b_text);
	r->sender = arena_strdup(&s->arena, c->sender.parsed ? c->sender.addr.full : "");
	r->sender_from_sender = c->sender.from_sender;
	if (!r->domain || !r->selector || !r->algorithm || !r->b || !r->sender) {
		r->domain = r->selector = r->algorithm = r->b = r->sender = "";
		r->result = DKMOD_RESULT_TEMPERROR;
		r->reason = "out of memory";
		r->dk_status = "bad";
		return;
	}
	if (c->status != DKSIG_OK) {
		r->result = DKMOD_RESULT_PERMERROR;
		r->reason = dksig_strerror(c->status);
		r->dk_status = c->status == DKSIG_QUERY ? "bad (unsupported query type)" : "bad (malformed signature)";
		return;
	}
	if (c->failure) {
		r->result = DKMOD_RESULT_PERMERROR;
		r->reason = c->failure;
		r->dk_status = c->failure_status;
		return;
	}
	if ((r->result = session_lookup_verdict(s->ctx, c->key, &r->reason)) != DKMOD_RESULT_PASS) {
		r->dnssec = c->key ? c->key->dnssec : DKMOD_DNSSEC_UNKNOWN;
		r->dk_status = "bad (no key)";
		return;
	}
	r->dnssec = c->key->dnssec;
	dkverify_key(s, c, r);
}

/* dkverify_finish - a verdict per DomainKeys signature */
enum dkmod_status dkverify_finish(struct dkmod_session *s)
{
	for (size_t i = 0; i < s->ndkchecks; i++) {
		struct dkmod_sig_result *r = session_add_result(s, DKMOD_METHOD_DOMAINKEYS);
		if (!r)
			return DKMOD_ENOMEM;
		dkverify_one(s, &s->dkchecks[i], r);
		if (!r->reason)
			r->reason = "";
		session_log(s->ctx, DKMOD_LOG_INFO, "domainkeys=%s d=%s s=%s status=\"%s\"%s%s",
			    dkmod_result_name(r->result), r->domain, r->selector, r->dk_status,
			    r->reason[0] ? " reason=" : "", r->reason);
	}
	if (s->ndkchecks == 0 && !s->overflow) {
		struct dkmod_sig_result *r = session_add_result(s, DKMOD_METHOD_DOMAINKEYS);
		if (!r)
			return DKMOD_ENOMEM;
		const struct sender *snd = sender_get(s);
		r->result = DKMOD_RESULT_NONE;
		r->dk_status = "no signature";
		r->sender = snd->parsed ? arena_strdup(&s->arena, snd->addr.full) : "";
		r->sender_from_sender = snd->from_sender;
		if (!r->sender)
			r->sender = "";
	}
	return DKMOD_OK;
}

/* dkverify_status_field - the DomainKey-Status field (RFC 4870 3.5): the best verdict's word */
const char *dkverify_status_field(struct dkmod_session *s)
{
	const struct dkmod_sig_result *first = NULL;
	for (size_t i = 0; i < s->nresults; i++) {
		const struct dkmod_sig_result *r = &s->results[i];
		if (r->method != DKMOD_METHOD_DOMAINKEYS)
			continue;
		if (r->result == DKMOD_RESULT_PASS)
			return "DomainKey-Status: good";
		if (!first)
			first = r;
	}
	if (!first)
		return NULL;
	const char *st = first->dk_status;
	if (strcmp(st, "no signature") == 0)
		return "DomainKey-Status: no signature";
	if (strcmp(st, "bad (no key)") == 0)
		return "DomainKey-Status: no key";
	if (strcmp(st, "bad (key revoked)") == 0)
		return "DomainKey-Status: revoked";
	if (strcmp(st, "bad (malformed signature)") == 0 || strcmp(st, "bad (unsupported query type)") == 0)
		return "DomainKey-Status: bad format";
	return "DomainKey-Status: bad";
}
