/*
 * dksign.c - adding DomainKey-Signature fields (RFC 4870 3.3, 3.4):
 * d= is the responsible sender's domain or a parent of it (base_domain);
 * the signature covers every field (or the h= list) and the body in one
 * SHA-1 stream, and goes directly above the fields it covers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "method/dksign.h"
#include "key/privkeys.h"
#include "method/hdrhash.h"
#include "msg/fold.h"
#include "record/base64.h"
#include "record/tagvalue.h"

/* dksign_add - queue a DomainKeys signature */
enum dkmod_status dksign_add(const struct method_msg *m, struct dksign *set, const struct dkmod_sign_request *req)
{
	if (set->nsigners == METHOD_MAX_SIGNERS)
		return DKMOD_ELIMIT;
	if (!req->selector || !req->key_file || !dkimsig_valid_domain(req->selector, strlen(req->selector)) ||
	    (req->domain && !dkimsig_valid_domain(req->domain, strlen(req->domain))) ||
	    (req->header_canon != DKMOD_CANON_SIMPLE && req->header_canon != DKMOD_CANON_NOFWS) ||
	    req->algorithm == DKMOD_ALG_ED25519_SHA256) {
		method_log(m, DKMOD_LOG_ERROR,
			    "DomainKeys signing needs a selector, an RSA key, rsa-sha1 and simple or nofws");
		return DKMOD_EINVAL;
	}
	if (!set->signers && /* each signer is cleared when added; only nsigners are read */
	    !(set->signers = arena_alloc_raw(m->arena, METHOD_MAX_SIGNERS * sizeof *set->signers)))
		return DKMOD_ENOMEM;
	struct dksigner *g = &set->signers[set->nsigners];
	memset(g, 0, sizeof *g);
	g->req = *req;
	const char **strs[] = {&g->req.domain, &g->req.selector, &g->req.key_file, &g->req.headers, &g->req.instance};
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
		if (*strs[i] && !(*strs[i] = arena_strdup(m->arena, *strs[i])))
			return DKMOD_ENOMEM;
	const char *why = "";
	g->key = privkeys_get(m->privkeys, req->key_file, keycache_generation(m->cache),
			     (long long)time(NULL), &why);
	if (!g->key || crypto_privkey_type(g->key) != CRYPTO_KEY_RSA) {
		method_log(m, DKMOD_LOG_ERROR, "DomainKeys signing key %s: %s", req->key_file,
			    g->key ? "not an RSA key" : why);
		if (g->key)
			privkeys_put(m->privkeys, g->req.key_file, g->key);
		g->key = NULL;
		return DKMOD_EKEY;
	}
	set->nsigners++;
	return DKMOD_OK;
}

/* dksign_header_list - h= for a configured list: the present fields of those names, in message
 * order, at most HEADER_MAX_SIGNED of them (verifiers refuse longer lists) */
static int dksign_header_list(const struct method_msg *m, const char *names, struct str *h)
{
	size_t listed = 0;
	for (size_t i = 0; i < m->nfields && listed < HEADER_MAX_SIGNED; i++) {
		const struct header_field *f = &m->fields[i];
		if (!f->name_len || f->removed)
			continue;
		size_t pos = 0, n;
		const char *item;
		while (tagvalue_list_next(names, strlen(names), &pos, &item, &n)) {
			if (!header_name_eq(f->raw, f->name_len, item, n))
				continue;
			if ((h->len && str_appendc(h, ':') < 0) || str_append(h, f->raw, f->name_len) < 0)
				return -1;
			listed++;
			break;
		}
	}
	return 0;
}

/* dksign_prepare - choose d=, hash the covered fields; a reason on failure */
static const char *dksign_prepare(const struct method_msg *m, struct dksigner *g, const struct sender *snd)
{
	if (!snd->parsed)
		return "no responsible sender address (Sender: or From:)";
	const char *d = g->req.domain ? g->req.domain : snd->addr.domain;
	if (!dkimsig_valid_domain(d, strlen(d)) || !dkimsig_domain_within(snd->addr.domain, d))
		return "the sender's domain is not within the signing domain";
	memcpy(g->domain, d, strlen(d) + 1); /* a valid domain is shorter than DKIMSIG_MAX_NAME */
	if (g->req.headers && dksign_header_list(m, g->req.headers, &g->h) < 0)
		return method_out_of_memory;
	g->stream = bodyhash_get(m->bodies, CRYPTO_SHA1, g->req.header_canon, true, -1);
	bool *signed_fields = calloc(m->nfields + 1, sizeof *signed_fields);
	const char *why = NULL;
	if (!g->stream || !signed_fields ||
	    hdrhash_dk(m, g->stream, g->req.header_canon, 0, g->req.headers ? str_cstr(&g->h) : NULL,
				  g->h.len, true, signed_fields) < 0)
		why = method_out_of_memory;
	else if (!signed_fields[snd->field])
		why = "the responsible sender's field is not in the signed list";
	free(signed_fields);
	return why;
}

/* dksign_start - at end of headers: choose d=, hash the headers */
enum dkmod_status dksign_start(const struct method_msg *m, struct dksign *set)
{
	if (set->nsigners == 0)
		return DKMOD_OK;
	const struct sender *snd = m->sender;
	for (size_t i = 0; i < set->nsigners; i++) {
		struct dksigner *g = &set->signers[i];
		g->failure = dksign_prepare(m, g, snd);
		/* a message the request does not fit: the caller's request was wrong for it */
		g->failure_status = g->failure == method_out_of_memory ? DKMOD_ENOMEM : DKMOD_EINVAL;
		if (g->failure)
			method_log(m, DKMOD_LOG_ERROR, "DomainKeys signing s=%s: %s", g->req.selector, g->failure);
	}
	return DKMOD_OK;
}

/* dksign_build - the whole field */
static const char *dksign_build(const struct method_msg *m, struct dksigner *g)
{
	unsigned char sig[CRYPTO_MAX_SIG];
	size_t sig_len = 0;
	if (g->stream->failed || crypto_sign(g->key, CRYPTO_SHA1, g->stream->digest, 20, sig, &sig_len) != 0)
		return "signing failed";
	struct str field = STR_INIT;
	struct fold f;
	char b64[2 * CRYPTO_MAX_SIG];
	int rc = fold_start(&f, &field, "DomainKey-Signature") < 0 || fold_tag_str(&f, "a", "rsa-sha1") < 0 ||
		 fold_tag_str(&f, "q", "dns") < 0 ||
		 fold_tag_str(&f, "c", g->req.header_canon == DKMOD_CANON_NOFWS ? "nofws" : "simple") < 0 ||
		 fold_tag_str(&f, "s", g->req.selector) < 0 || fold_tag_str(&f, "d", g->domain) < 0 ||
		 (g->h.len && fold_list(&f, "h", g->h.data) < 0) || fold_word(&f, "b=", 2, true) < 0;
	if (!rc) {
		base64_encode(sig, sig_len, b64);
		rc = fold_base64(&f, b64, strlen(b64)) < 0 || fold_word(&f, ";", 1, false) < 0;
	}
	if (!rc)
		g->field = arena_strndup(m->arena, field.data, field.len);
	str_free(&field);
	return g->field ? NULL : method_out_of_memory;
}

/* dksign_finish - sign and build each DomainKey-Signature field */
enum dkmod_status dksign_finish(const struct method_msg *m, struct dksign *set)
{
	enum dkmod_status st = DKMOD_OK;
	for (size_t i = 0; i < set->nsigners; i++) {
		struct dksigner *g = &set->signers[i];
		if (!g->failure && (g->failure = dksign_build(m, g)))
			g->failure_status = g->failure == method_out_of_memory ? DKMOD_ENOMEM : DKMOD_ECRYPTO;
		if (g->failure) {
			method_log(m, DKMOD_LOG_ERROR, "DomainKeys signing s=%s failed: %s", g->req.selector,
				    g->failure);
			if (st == DKMOD_OK)
				st = g->failure_status;
			continue;
		}
		method_log(m, DKMOD_LOG_INFO, "DomainKeys signed d=%s s=%s", g->domain, g->req.selector);
		if (method_add_field(m, g->field) != DKMOD_OK)
			return DKMOD_ENOMEM;
	}
	return st;
}

/* dksign_free - release buffers */
void dksign_free(const struct method_msg *m, struct dksign *set)
{
	for (size_t i = 0; i < set->nsigners; i++) {
		str_free(&set->signers[i].h);
		privkeys_put(m->privkeys, set->signers[i].req.key_file, set->signers[i].key);
	}
	set->nsigners = 0;
}
