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

#include "method/dkimverify.h"
#include "method/hdrhash.h"
#include "record/keyrec.h"
#include "record/tagvalue.h"

/* dkimverify_start - parse every DKIM-Signature, start key lookups */
enum dkmod_status dkimverify_start(const struct method_msg *m, struct dkimverify *v)
{
	void *room;
	size_t n = method_signature_fields(m, "DKIM-Signature", sizeof *v->checks, &room);
	if (n == SIZE_MAX)
		return DKMOD_ENOMEM;
	v->checks = room;
	for (size_t i = 0; i < m->nfields && v->nchecks < n; i++) {
		const struct header_field *f = &m->fields[i];
		if (!header_is(f, "DKIM-Signature"))
			continue;
		struct dkimcheck *c = &v->checks[v->nchecks++];
		c->field = i;
		c->body = NULL;
		c->key = NULL;
		c->status = dkimsig_parse(f->raw, f->text_len, f->value_off, &c->sig);
		if (c->status != DKIMSIG_OK)
			continue;
		c->body = bodyhash_get(m->bodies, c->sig.hash, c->sig.body_canon, false, c->sig.body_length);
		char name[2 * DKIMSIG_MAX_NAME + 16];
		method_key_name(name, sizeof name, c->sig.selector, c->sig.domain);
		c->key = lookup_start(m, name, DNS_TYPE_TXT);
	}
	return DKMOD_OK;
}

/* dkimverify_key_verdict - check the key record against the signature; PASS to go on */
static enum dkmod_result dkimverify_key_verdict(const struct method_msg *m, const struct dkimcheck *c,
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
	*pub = pubkeys_get(m->pubkeys, rec->type == KEYREC_ED25519, rec->key, rec->key_len);
	if (!*pub) {
		r->reason = arena_printf(m->arena, "public key unusable: %s", crypto_last_error());
		return DKMOD_RESULT_PERMERROR;
	}
	r->key_bits = crypto_pubkey_bits(*pub);
	if (rec->type == KEYREC_RSA && r->key_bits < m->opt->min_key_bits) {
		r->reason = arena_printf(m->arena, "key too small (%u bits, minimum %u)", r->key_bits,
					 m->opt->min_key_bits);
		return DKMOD_RESULT_POLICY;
	}
	if (sig->alg == DKMOD_ALG_RSA_SHA1 && !m->opt->allow_sha1) {
		r->reason = "rsa-sha1 is not accepted (RFC 8301; allow_sha1 accepts it)";
		return DKMOD_RESULT_POLICY;
	}
	return DKMOD_RESULT_PASS;
}

/* dkimverify_time_verdict - t= and x= against the clock, with the allowed skew */
static enum dkmod_result dkimverify_time_verdict(const struct method_msg *m, const struct dkimsig *sig,
						 const char **reason)
{
	long long now = (long long)method_now(m), skew = m->opt->clock_skew;
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
static enum dkmod_result dkimverify_crypto_verdict(const struct method_msg *m, const struct dkimcheck *c,
						   const struct crypto_pubkey *pub, const char **reason, bool *partial_out)
{
	bool partial = false;
	const struct dkimsig *sig = &c->sig;
	const struct header_field *f = &m->fields[c->field];
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
	char *text = arena_alloc_raw(m->arena, text_len);
	unsigned char digest[CRYPTO_MAX_DIGEST];
	int hashed = -1;
	if (text) {
		memcpy(text, f->raw, sig->b_start);
		memcpy(text + sig->b_start, f->raw + sig->b_end, f->text_len - sig->b_end);
		hashed = hdrhash_dkim(m, sig->hash, sig->header_canon, sig->h, sig->h_names, sig->h_count, text,
				      text_len, digest);
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
	size_t count = 0, len = strlen(name);
	for (size_t k = 0; k < sig->h_count; k++)
		count += header_name_eq(sig->h + sig->h_names[k].off, sig->h_names[k].len, name, len);
	return count;
}

/* dkimverify_one - the verdict on one signature */
static void dkimverify_one(const struct method_msg *m, const struct dkimcheck *c, struct dkmod_sig_result *r)
{
	const struct dkimsig *sig = &c->sig;
	/* the check lives in the message's arena as long as the result: no copies */
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
	if ((r->result = dkimverify_time_verdict(m, sig, &r->reason)) != DKMOD_RESULT_PASS)
		return;
	if ((r->result = lookup_key_verdict(m->opt, c->key, &r->reason)) != DKMOD_RESULT_PASS) {
		if (c->key)
			r->dnssec = c->key->dnssec;
		return;
	}
	r->dnssec = c->key->dnssec;
	const struct keyrec *rec = NULL;
	enum keyrec_status ks = lookup_first_key(m, false, c->key, &rec);
	const struct crypto_pubkey *pub = NULL;
	if (ks == KEYREC_OK && !rec) {
		r->result = DKMOD_RESULT_TEMPERROR;
		r->reason = "out of memory";
	} else if (ks != KEYREC_OK) {
		r->result = DKMOD_RESULT_PERMERROR;
		r->reason = keyrec_strerror(ks);
	} else if ((r->result = dkimverify_key_verdict(m, c, rec, r, &pub)) == DKMOD_RESULT_PASS) {
		r->result = dkimverify_crypto_verdict(m, c, pub, &r->reason, &r->partial_body);
		if (r->partial_body)
			r->body_bytes = c->body->length;
		const char *why = NULL;
		if (r->result == DKMOD_RESULT_PASS &&
		    (r->result = method_header_verdict(m, dkimverify_h_count, (void *)sig, &why)) != DKMOD_RESULT_PASS)
			r->reason = why;
	}
}

/* dkimverify_finish - a verdict per signature */
enum dkmod_status dkimverify_finish(const struct method_msg *m, struct dkimverify *v)
{
	for (size_t i = 0; i < v->nchecks; i++) {
		struct dkmod_sig_result *r = method_add_result(m, DKMOD_METHOD_DKIM);
		if (!r)
			return DKMOD_ENOMEM;
		dkimverify_one(m, &v->checks[i], r);
		if (!r->reason)
			r->reason = "";
		method_log(m, DKMOD_LOG_INFO, "dkim=%s d=%s s=%s%s%s", dkmod_result_name(r->result), r->domain,
			    r->selector, r->reason[0] ? " reason=" : "", r->reason);
	}
	if (m->overflow) {
		struct dkmod_sig_result *r = method_add_result(m, DKMOD_METHOD_DKIM);
		if (!r)
			return DKMOD_ENOMEM;
		r->result = DKMOD_RESULT_PERMERROR;
		r->reason = "header not fully inspected (limits exceeded)";
	} else if (v->nchecks == 0) {
		struct dkmod_sig_result *r = method_add_result(m, DKMOD_METHOD_DKIM);
		if (!r)
			return DKMOD_ENOMEM;
		r->result = DKMOD_RESULT_NONE;
	}
	return DKMOD_OK;
}
