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

#include "method/dkverify.h"
#include "method/hdrhash.h"
#include "record/keyrec.h"
#include "record/tagvalue.h"

/* Each finer status: its words in a result (dk_status), and the DomainKey-Status field it gives. */
static const struct dkverify_name {
	const char *status, *field;
} dkverify_names[] = {
	[DKVERIFY_GOOD] = {"good", "DomainKey-Status: good"},
	[DKVERIFY_BAD] = {"bad", "DomainKey-Status: bad"},
	[DKVERIFY_NO_KEY] = {"bad (no key)", "DomainKey-Status: no key"},
	[DKVERIFY_REVOKED] = {"bad (key revoked)", "DomainKey-Status: revoked"},
	[DKVERIFY_MALFORMED] = {"bad (malformed signature)", "DomainKey-Status: bad format"},
	[DKVERIFY_QUERY] = {"bad (unsupported query type)", "DomainKey-Status: bad format"},
	[DKVERIFY_KEY_TYPE] = {"bad (key type)", "DomainKey-Status: bad"},
	[DKVERIFY_PUBLIC_KEY] = {"bad (public key)", "DomainKey-Status: bad"},
	[DKVERIFY_NO_SIGNATURE] = {"no signature", "DomainKey-Status: no signature"},
};

/* dkverify_status_name - a status as results report it */
const char *dkverify_status_name(enum dkverify_status st)
{
	return dkverify_names[st].status;
}

/* The fields one DomainKeys signature covers. */
struct dkverify_signed {
	const struct method_msg *m;
	const bool *signed_fields;
};

/* dkverify_signed_count - how many fields named name the signature covers */
static size_t dkverify_signed_count(void *arg, const char *name)
{
	const struct dkverify_signed *sf = arg;
	size_t count = 0;
	for (size_t i = 0; i < sf->m->nfields; i++)
		count += sf->signed_fields[i] && header_is(&sf->m->fields[i], name);
	return count;
}

/* dkverify_prepare - the sender checks and the header hash of one signature */
static void dkverify_prepare(const struct method_msg *m, struct dkcheck *c, const struct sender *snd)
{
	const struct header_field *f = &m->fields[c->field];
	size_t len;
	const char *v = header_value(f, &len);
	c->status = dksig_parse(v, len, &c->sig);
	c->sender = *snd;
	if (c->status != DKSIG_OK)
		return;
	c->stream = bodyhash_get(m->bodies, CRYPTO_SHA1, c->sig.canon, true, -1);
	bool *signed_fields = calloc(m->nfields + 1, sizeof *signed_fields);
	if (!c->stream || !signed_fields ||
	    hdrhash_dk(m, c->stream, c->sig.canon, c->field + 1, c->sig.h, c->sig.h_len, false,
				  signed_fields) < 0) {
		c->failure = "out of memory";
		c->failure_status = DKVERIFY_BAD;
	} else if (!snd->parsed) {
		c->failure = "no responsible sender address";
		c->failure_status = DKVERIFY_BAD;
	} else if (!signed_fields[snd->field]) {
		c->failure = snd->from_sender ? "Sender: is not signed" : "From: is not signed";
		c->failure_status = DKVERIFY_BAD;
	} else if (!dkimsig_domain_within(snd->addr.domain, c->sig.domain)) {
		c->failure = "sender domain is not within d=";
		c->failure_status = DKVERIFY_BAD;
	}
	if (!c->failure) {
		struct dkverify_signed sf = {m, signed_fields};
		c->header_verdict = method_header_verdict(m, dkverify_signed_count, &sf, &c->header_reason);
	}
	free(signed_fields);
	if (!c->failure) {
		char name[2 * DKIMSIG_MAX_NAME + 16];
		method_key_name(name, sizeof name, c->sig.selector, c->sig.domain);
		c->key = lookup_start(m, name, DNS_TYPE_TXT);
	}
}

/* dkverify_start - parse every DomainKey-Signature, hash the signed headers, start key lookups */
enum dkmod_status dkverify_start(const struct method_msg *m, struct dkverify *v)
{
	void *room;
	size_t n = method_signature_fields(m, "DomainKey-Signature", sizeof *v->checks, &room);
	if (n == SIZE_MAX)
		return DKMOD_ENOMEM;
	if (n == 0)
		return DKMOD_OK;
	v->checks = memset(room, 0, n * sizeof *v->checks);
	const struct sender *snd = m->sender;
	for (size_t i = 0; i < m->nfields && v->nchecks < n; i++) {
		if (!header_is(&m->fields[i], "DomainKey-Signature"))
			continue;
		struct dkcheck *c = &v->checks[v->nchecks++];
		c->field = i;
		dkverify_prepare(m, c, snd);
	}
	return DKMOD_OK;
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
static void dkverify_key(const struct method_msg *m, struct dkcheck *c, struct dkmod_sig_result *r)
{
	const struct keyrec *rec = NULL;
	const struct crypto_pubkey *pub = NULL;
	enum keyrec_status ks = lookup_first_key(m, true, c->key, &rec);
	r->result = DKMOD_RESULT_PERMERROR;
	if (ks == KEYREC_OK && !rec) {
		r->result = DKMOD_RESULT_TEMPERROR;
		r->reason = "out of memory";
		c->dk_status = DKVERIFY_BAD;
	} else if (ks != KEYREC_OK) {
		r->reason = keyrec_strerror(ks);
		c->dk_status = ks == KEYREC_BAD_KEYTYPE ? DKVERIFY_KEY_TYPE : DKVERIFY_PUBLIC_KEY;
	} else if ((r->testing = rec->testing), rec->revoked) {
		r->reason = "key revoked";
		c->dk_status = DKVERIFY_REVOKED;
	} else if (rec->has_granularity && !dkverify_granularity(rec->granularity, c->sender.addr.local)) {
		r->reason = "key granularity does not match the sender";
		c->dk_status = DKVERIFY_BAD;
	} else if (!(pub = pubkeys_get(m->pubkeys, false, rec->key, rec->key_len)) || crypto_pubkey_type(pub) != CRYPTO_KEY_RSA) {
		r->reason = pub ? "public key unusable" : arena_printf(m->arena, "public key unusable: %s", crypto_last_error());
		c->dk_status = DKVERIFY_PUBLIC_KEY;
	} else if ((r->key_bits = crypto_pubkey_bits(pub)) < m->opt->min_key_bits) {
		r->result = DKMOD_RESULT_POLICY;
		r->reason = arena_printf(m->arena, "key too small (%u bits, minimum %u)", r->key_bits,
					 m->opt->min_key_bits);
		c->dk_status = DKVERIFY_PUBLIC_KEY;
	} else if (c->stream->failed) {
		r->result = DKMOD_RESULT_TEMPERROR;
		r->reason = "hash could not be computed";
		c->dk_status = DKVERIFY_BAD;
	} else if (crypto_verify(pub, CRYPTO_SHA1, c->stream->digest, 20, c->sig.b, c->sig.b_len) != 1) {
		r->result = DKMOD_RESULT_FAIL;
		r->reason = "signature did not verify";
		c->dk_status = DKVERIFY_BAD;
	} else if (c->header_verdict != DKMOD_RESULT_PASS) {
		r->result = c->header_verdict;
		r->reason = c->header_reason;
		c->dk_status = DKVERIFY_BAD;
	} else {
		r->result = DKMOD_RESULT_PASS;
		c->dk_status = DKVERIFY_GOOD;
	}
}

/* dkverify_one - the verdict on one DomainKeys signature */
static void dkverify_one(const struct method_msg *m, struct dkcheck *c, struct dkmod_sig_result *r)
{
	c->dk_status = DKVERIFY_BAD;
	const struct dksig *sig = &c->sig;
	r->domain = arena_strdup(m->arena, sig->domain);
	r->selector = arena_strdup(m->arena, sig->selector);
	r->algorithm = arena_strdup(m->arena, sig->algorithm);
	r->b = arena_strdup(m->arena, sig->b_text);
	r->sender = arena_strdup(m->arena, c->sender.parsed ? c->sender.addr.full : "");
	r->sender_from_sender = c->sender.from_sender;
	if (!r->domain || !r->selector || !r->algorithm || !r->b || !r->sender) {
		r->domain = r->selector = r->algorithm = r->b = r->sender = "";
		r->result = DKMOD_RESULT_TEMPERROR;
		r->reason = "out of memory";
		c->dk_status = DKVERIFY_BAD;
		return;
	}
	if (c->status != DKSIG_OK) {
		r->result = DKMOD_RESULT_PERMERROR;
		r->reason = dksig_strerror(c->status);
		c->dk_status = c->status == DKSIG_QUERY ? DKVERIFY_QUERY : DKVERIFY_MALFORMED;
		return;
	}
	if (c->failure) {
		r->result = DKMOD_RESULT_PERMERROR;
		r->reason = c->failure;
		c->dk_status = c->failure_status;
		return;
	}
	if ((r->result = lookup_key_verdict(m->opt, c->key, &r->reason)) != DKMOD_RESULT_PASS) {
		r->dnssec = c->key ? c->key->dnssec : DKMOD_DNSSEC_UNKNOWN;
		c->dk_status = DKVERIFY_NO_KEY;
		return;
	}
	r->dnssec = c->key->dnssec;
	dkverify_key(m, c, r);
}

/* dkverify_finish - a verdict per DomainKeys signature */
enum dkmod_status dkverify_finish(const struct method_msg *m, struct dkverify *v)
{
	for (size_t i = 0; i < v->nchecks; i++) {
		struct dkmod_sig_result *r = method_add_result(m, DKMOD_METHOD_DOMAINKEYS);
		if (!r)
			return DKMOD_ENOMEM;
		struct dkcheck *c = &v->checks[i];
		dkverify_one(m, c, r);
		c->result = r->result;
		r->dk_status = dkverify_status_name(c->dk_status);
		if (!r->reason)
			r->reason = "";
		method_log(m, DKMOD_LOG_INFO, "domainkeys=%s d=%s s=%s status=\"%s\"%s%s",
			    dkmod_result_name(r->result), r->domain, r->selector, r->dk_status,
			    r->reason[0] ? " reason=" : "", r->reason);
	}
	v->finished = true;
	if (v->nchecks == 0 && !m->overflow) {
		struct dkmod_sig_result *r = method_add_result(m, DKMOD_METHOD_DOMAINKEYS);
		if (!r)
			return DKMOD_ENOMEM;
		const struct sender *snd = m->sender;
		r->result = DKMOD_RESULT_NONE;
		r->dk_status = dkverify_status_name(DKVERIFY_NO_SIGNATURE);
		r->sender = snd->parsed ? arena_strdup(m->arena, snd->addr.full) : "";
		r->sender_from_sender = snd->from_sender;
		if (!r->sender)
			r->sender = "";
	}
	return DKMOD_OK;
}

/* dkverify_status_field - the DomainKey-Status field (RFC 4870 3.5): good if a signature is,
 * else the first verdict's word */
const char *dkverify_status_field(const struct method_msg *m, const struct dkverify *v)
{
	if (!v->finished || (v->nchecks == 0 && m->overflow))
		return NULL;
	for (size_t i = 0; i < v->nchecks; i++)
		if (v->checks[i].result == DKMOD_RESULT_PASS)
			return dkverify_names[DKVERIFY_GOOD].field;
	return dkverify_names[v->nchecks ? v->checks[0].dk_status : DKVERIFY_NO_SIGNATURE].field;
}
