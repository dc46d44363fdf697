/*
 * dkimverify.c - verifying every DKIM-Signature of a message (RFC 6376 6):
 * parse at end of headers and start the key lookups, so that DNS runs while
 * the body streams; decide each verdict at the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "record/keyrec.h"
#include "engine/session.h"
#include "record/tagvalue.h"

/* dkimverify_start - parse every DKIM-Signature, start key lookups */
enum dkmod_status dkimverify_start(struct dkmod_session *s)
{
	void *room;
	size_t n = session_signature_fields(s, "DKIM-Signature", sizeof *s->checks, &room);
	if (n == SIZE_MAX)
		return DKMOD_ENOMEM;
	s->checks = room;
	for (size_t i = 0; i < s->nfields && s->nchecks < n; i++) {
		const struct header_field *f = &s->fields[i];
		if (!header_is(f, "DKIM-Signature"))
			continue;
		struct dkimcheck *c = &s->checks[s->nchecks++];
		c->field = i;
		c->body = NULL;
		c->key = NULL;
		c->status = dkimsig_parse(f->raw, f->text_len, f->value_off, &c->sig);
		if (c->status != DKIMSIG_OK)
			continue;
		c->body = bodyhash_get(s, c->sig.hash, c->sig.body_canon, false, c->sig.body_length);
		char name[2 * DKIMSIG_MAX_NAME + 16];
		const char *parts[3] = {c->sig.selector, "._domainkey.", c->sig.domain};
		str_join(name, sizeof name, parts, 3); /* a cut name is still over 253 bytes: refused */
		c->key = session_lookup_txt(s, name);
	}
	return DKMOD_OK;
}

#define DKIMVERIFY_KEEP_BUFFER 65536 /* the context keeps a header buffer up to this size */

/* dkimverify_header_hash - hash the fields named in h= and the signature field itself:
 * their canonical forms are gathered in one buffer (the context's, reused) and hashed in one pass */
int dkimverify_header_hash(struct dkmod_session *s, enum crypto_hash hash, enum dkmod_canon canon,
			   const char *h, size_t h_len, const char *sig_text, size_t sig_len, bool skip_removed,
			   unsigned char *digest)
{
	struct fieldindex *x = fieldindex_get(&s->index, &s->arena, s->fields, s->nfields);
	struct str *buf = &s->ctx->header_canon;
	int rc = -1;
	str_clear(buf);
	/* a canonical field is at most its text and a CRLF */
	if (!x || str_reserve(buf, s->header_bytes + 2 * s->nfields + sig_len + 2) < 0)
		goto out;
	fieldindex_begin(x);
	size_t pos = 0, n, i, slot;
	const char *item;
	while (tagvalue_list_next(h, h_len, &pos, &item, &n)) {
		/* the n-th mention of a name takes the n-th instance from the bottom */
		if ((slot = fieldindex_find(x, item, n)) == FIELDINDEX_NONE ||
		    (i = fieldindex_take(x, slot, 0, skip_removed)) == FIELDINDEX_NONE)
			continue;
		if (canon_header(canon, s->fields[i].raw, s->fields[i].text_len, true, buf) < 0)
			goto out;
	}
	if (canon_header(canon, sig_text, sig_len, false, buf) < 0)
		goto out;
	rc = crypto_hash(hash, buf->data, buf->len, digest);
out:
	if (buf->cap > DKIMVERIFY_KEEP_BUFFER) /* a huge header block's buffer is not kept */
		str_free(buf);
	return rc;
}

/* dkimverify_pick_key - the first TXT record that parses as a DKIM key (parsed once per
 * process and record text, in the key cache); KEYREC_OK with *rec NULL when out of memory */
static enum keyrec_status dkimverify_pick_key(struct dkmod_session *s, const struct keylookup *k,
					      const struct keyrec **rec)
{
	enum keyrec_status first = KEYREC_NO_KEY;
	for (size_t i = 0; i < k->count; i++) {
		enum keyrec_status st = pubkeys_record(&s->ctx->pubkeys, false, k->records[i], k->lengths[i], rec);
		if (st == KEYREC_OK || !*rec)
			return KEYREC_OK;
		if (i == 0)
			first = st;
	}
	return first;
}

/* dkimverify_key_verdict - check the key record against the signature; PASS to go on */
static enum dkmod_result dkimverify_key_verdict(struct dkmod_session *s, const struct dkimcheck *c,
						const struct keyrec *rec, struct dkmod_sig_result *r,
						const struct crypto_pubkey **pub)
{
	const struct dkimsig *sig = &c->sig;
	r->testing = rec->testing;
	if (rec->revoked) {
		r->reason = "key revoked";
		return DKMOD_RESULT_PERMERROR;
	}
	if ((enum keyrec_keytype)rec->type != sig->keytype) {
		r->reason = "key type does not match the algorithm";
		return DKMOD_RESULT_PERMERROR;
	}
	unsigned want = sig->hash == CRYPTO_SHA1 ? KEYREC_HASH_SHA1 : KEYREC_HASH_SHA256;
	if (!(rec->hashes & want)) {
		r->reason = "key does not allow the hash algorithm";
		return DKMOD_RESULT_PERMERROR;
	}
	if (rec->strict_identity) {
		const char *at = strrchr(sig->identity, '@');
		if (!at || strcasecmp(at + 1, sig->domain) != 0) {
			r->reason = "key requires the i= domain to equal d=";
			return DKMOD_RESULT_PERMERROR;
		}
	}
	*pub = pubkeys_get(&s->ctx->pubkeys, rec->type == KEYREC_ED25519, rec->key, rec->key_len);
	if (!*pub) {
		r->reason = arena_printf(&s->arena, "public key unusable: %s", crypto_last_error());
		return DKMOD_RESULT_PERMERROR;
	}
	r->key_bits = crypto_pubkey_bits(*pub);
	if (rec->type == KEYREC_RSA && r->key_bits < s->ctx->opt.min_key_bits) {
		r->reason = arena_printf(&s->arena, "key too small (%u bits, minimum %u)", r->key_bits,
					 s->ctx->opt.min_key_bits);
		return DKMOD_RESULT_POLICY;
	}
	if (sig->alg == DKMOD_ALG_RSA_SHA1 && !s->ctx->opt.allow_sha1) {
		r->reason = "rsa-sha1 is not accepted (RFC 8301; allow_sha1 accepts it)";
		return DKMOD_RESULT_POLICY;
	}
	return DKMOD_RESULT_PASS;
}

/* dkimverify_time_verdict - t= and x= against the clock, with the allowed skew */
static enum dkmod_result dkimverify_time_verdict(struct dkmod_session *s, const struct dkimsig *sig,
						 const char **reason)
{
	long long now = (long long)session_now(s->ctx), skew = s->ctx->opt.clock_skew;
	if (sig->expire >= 0 && sig->expire + skew < now) {
		*reason = "signature expired";
		return DKMOD_RESULT_PERMERROR;
	}
	if (sig->timestamp >= 0 && sig->timestamp > now + skew) {
		*reason = "signature timestamp in the future";
		return DKMOD_RESULT_PERMERROR;
	}
	return DKMOD_RESULT_PASS;
}

/* dkimverify_crypto_verdict - body hash, then the signature over the header hash */
static enum dkmod_result dkimverify_crypto_verdict(struct dkmod_session *s, const struct dkimcheck *c,
						   const struct crypto_pubkey *pub, const char **reason, bool *partial_out)
{
	bool partial = false;
	const struct dkimsig *sig = &c->sig;
	const struct header_field *f = &s->fields[c->field];
	if (!c->body || c->body->failed) {
		*reason = "body hash could not be computed";
		return DKMOD_RESULT_TEMPERROR;
	}
	if (sig->body_length >= 0 && c->body->length < sig->body_length) {
		*reason = "body shorter than l=";
		return DKMOD_RESULT_FAIL;
	}
	if (sig->body_length >= 0 && c->body->length > sig->body_length)
		partial = true;
	if (sig->bh_len != crypto_hash_size(sig->hash) || memcmp(sig->bh, c->body->digest, sig->bh_len) != 0) {
		*reason = "body hash did not verify";
		return DKMOD_RESULT_FAIL;
	}
	/* the signature field with b= empty, in the message's arena */
	size_t text_len = sig->b_start + (f->text_len - sig->b_end);
	char *text = arena_alloc_raw(&s->arena, text_len);
	unsigned char digest[CRYPTO_MAX_DIGEST];
	int hashed = -1;
	if (text) {
		memcpy(text, f->raw, sig->b_start);
		memcpy(text + sig->b_start, f->raw + sig->b_end, f->text_len - sig->b_end);
		hashed = dkimverify_header_hash(s, sig->hash, sig->header_canon, sig->h, sig->h_len, text, text_len,
						false, digest);
	}
	if (hashed != 0) {
		*reason = "header hash could not be computed";
		return DKMOD_RESULT_TEMPERROR;
	}
	if (crypto_verify(pub, sig->hash, digest, crypto_hash_size(sig->hash), sig->b, sig->b_len) != 1) {
		*reason = "signature did not verify";
		return DKMOD_RESULT_FAIL;
	}
	*partial_out = partial;
	if (partial)
		*reason = "l= leaves part of the body unsigned";
	return DKMOD_RESULT_PASS;
}

/* dkimverify_h_count - how many times the h= of the signature at arg names name */
static size_t dkimverify_h_count(void *arg, const char *name)
{
	const struct dkimsig *sig = arg;
	size_t pos = 0, n, count = 0, len = strlen(name);
	const char *item;
	while (tagvalue_list_next(sig->h, sig->h_len, &pos, &item, &n))
		count += header_name_eq(item, n, name, len);
	return count;
}

/* dkimverify_one - the verdict on one signature */
static void dkimverify_one(struct dkmod_session *s, const struct dkimcheck *c, struct dkmod_sig_result *r)
{
	const struct dkimsig *sig = &c->sig;
	/* the check lives in the session arena as long as the result: no copies */
	r->domain = sig->domain;
	r->selector = sig->selector;
	r->identity = c->status == DKIMSIG_OK ? sig->identity : "";
	r->algorithm = sig->algorithm;
	r->b = sig->b_text;
	r->body_length = sig->body_length;
	if (c->status != DKIMSIG_OK) {
		r->result = DKMOD_RESULT_PERMERROR;
		r->reason = dkimsig_strerror(c->status);
		return;
	}
	if ((r->result = dkimverify_time_verdict(s, sig, &r->reason)) != DKMOD_RESULT_PASS)
		return;
	if ((r->result = session_lookup_verdict(s->ctx, c->key, &r->reason)) != DKMOD_RESULT_PASS) {
		if (c->key)
			r->dnssec = c->key->dnssec;
		return;
	}
	r->dnssec = c->key->dnssec;
	const struct keyrec *rec = NULL;
	enum keyrec_status ks = dkimverify_pick_key(s, c->key, &rec);
	const struct crypto_pubkey *pub = NULL;
	if (ks == KEYREC_OK && !rec) {
		r->result = DKMOD_RESULT_TEMPERROR;
		r->reason = "out of memory";
	} else if (ks != KEYREC_OK) {
		r->result = DKMOD_RESULT_PERMERROR;
		r->reason = keyrec_strerror(ks);
	} else if ((r->result = dkimverify_key_verdict(s, c, rec, r, &pub)) == DKMOD_RESULT_PASS) {
		r->result = dkimverify_crypto_verdict(s, c, pub, &r->reason, &r->partial_body);
		if (r->partial_body)
			r->body_bytes = c->body->length;
		const char *why = NULL;
		if (r->result == DKMOD_RESULT_PASS &&
		    (r->result = fieldscan_verdict(s, dkimverify_h_count, (void *)sig, &why)) != DKMOD_RESULT_PASS)
			r->reason = why;
	}
}

/* dkimverify_finish - a verdict per signature */
enum dkmod_status dkimverify_finish(struct dkmod_session *s)
{
	for (size_t i = 0; i < s->nchecks; i++) {
		struct dkmod_sig_result *r = session_add_result(s, DKMOD_METHOD_DKIM);
		if (!r)
			return DKMOD_ENOMEM;
		dkimverify_one(s, &s->checks[i], r);
		if (!r->reason)
			r->reason = "";
		session_log(s->ctx, DKMOD_LOG_INFO, "dkim=%s d=%s s=%s%s%s", dkmod_result_name(r->result), r->domain,
			    r->selector, r->reason[0] ? " reason=" : "", r->reason);
	}
	if (s->overflow) {
		struct dkmod_sig_result *r = session_add_result(s, DKMOD_METHOD_DKIM);
		if (!r)
			return DKMOD_ENOMEM;
		r->result = DKMOD_RESULT_PERMERROR;
		r->reason = "header not fully inspected (limits exceeded)";
	} else if (s->nchecks == 0) {
		struct dkmod_sig_result *r = session_add_result(s, DKMOD_METHOD_DKIM);
		if (!r)
			return DKMOD_ENOMEM;
		r->result = DKMOD_RESULT_NONE;
	}
	return DKMOD_OK;
}
