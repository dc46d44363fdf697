/*
 * keycheck.c - dkmod_keycheck: fetch the key record of a selector through
 * dns.h, parse it as the verifier would (the first record that parses wins),
 * and compare it with the private key that is to sign with it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key/crypto.h"
#include "dkmod.h"
#include "dns/dns.h"
#include "key/keyfile.h"
#include "record/keyrec.h"
#include "key/keytool.h"

#define KEYCHECK_TIMEOUT_MS 5000

/* The answer, copied out of the dns callback. */
struct keycheck_answer {
	bool done;
	bool nomem;
	enum dns_rcode rcode;
	enum dkmod_dnssec dnssec;
	unsigned ttl;
	char why[DKMOD_KEYCHECK_TEXT];
	char **records;
	size_t *lengths;
	size_t count;
};

/* dkmod_keycheck_name - "ok", "mismatch", ... */
const char *dkmod_keycheck_name(enum dkmod_keycheck outcome)
{
	switch (outcome) {
	case DKMOD_KEYCHECK_OK:
		return "ok";
	case DKMOD_KEYCHECK_MISMATCH:
		return "mismatch";
	case DKMOD_KEYCHECK_ABSENT:
		return "absent";
	case DKMOD_KEYCHECK_REVOKED:
		return "revoked";
	case DKMOD_KEYCHECK_MALFORMED:
		return "malformed";
	case DKMOD_KEYCHECK_TEMPFAIL:
		return "tempfail";
	}
	return "unknown";
}

/* keycheck_note - add one line of advice to the report */
static void keycheck_note(struct dkmod_keycheck_report *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void keycheck_note(struct dkmod_keycheck_report *out, const char *fmt, ...)
{
	va_list ap;

	if (out->nnotes == DKMOD_KEYCHECK_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(out->notes[out->nnotes++], DKMOD_KEYCHECK_TEXT, fmt, ap);
	va_end(ap);
}

/* keycheck_done - the dns callback: copy the answer, which lives only during the call */
static void keycheck_done(void *arg, const struct dns_result *r)
{
	struct keycheck_answer *a = arg;

	a->done = true;
	a->rcode = r->rcode;
	a->dnssec = r->dnssec;
	a->ttl = r->ttl;
	snprintf(a->why, sizeof a->why, "%s", r->why ? r->why : "");
	if (r->count == 0)
		return;
	a->records = calloc(r->count, sizeof *a->records);
	a->lengths = calloc(r->count, sizeof *a->lengths);
	if (!a->records || !a->lengths) {
		a->nomem = true;
		return;
	}
	for (size_t i = 0; i < r->count; i++) {
		a->records[i] = malloc(r->lengths[i] + 1);
		if (!a->records[i]) {
			a->nomem = true;
			return;
		}
		memcpy(a->records[i], r->records[i], r->lengths[i]);
		a->records[i][r->lengths[i]] = '\0';
		a->lengths[i] = r->lengths[i];
		a->count = i + 1;
	}
}

/* keycheck_answer_free - release the copied records */
static void keycheck_answer_free(struct keycheck_answer *a)
{
	for (size_t i = 0; i < a->count; i++)
		free(a->records[i]);
	free(a->records);
	free(a->lengths);
}

/* keycheck_fail - set the reason of a failed call and return st */
static enum dkmod_status keycheck_fail(struct dkmod_keycheck_report *out, enum dkmod_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum dkmod_status keycheck_fail(struct dkmod_keycheck_report *out, enum dkmod_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof out->reason, fmt, ap);
	va_end(ap);
	return st;
}

/* keycheck_lookup - run the TXT lookup of out->name to its end */
static enum dkmod_status keycheck_lookup(const struct dkmod_resolver_options *ro, struct dkmod_keycheck_report *out,
					 struct keycheck_answer *a)
{
	struct dkmod_resolver_options opt = {0};
	const char *why = "";

	if (ro)
		opt = *ro;
	if (opt.timeout_ms == 0)
		opt.timeout_ms = KEYCHECK_TIMEOUT_MS;
	struct dns *d = dns_new(&opt, &why);
	if (!d)
		return keycheck_fail(out, DKMOD_EDNS, "resolver setup failed: %s", why);
	if (dns_query(d, out->name, DNS_TYPE_TXT, keycheck_done, a) != 0) {
		dns_free(d);
		return keycheck_fail(out, DKMOD_EDNS, "cannot start the lookup");
	}
	dns_wait(d, dns_now_ms() + opt.timeout_ms);
	dns_free(d);
	if (a->nomem)
		return keycheck_fail(out, DKMOD_ENOMEM, "out of memory");
	return DKMOD_OK;
}

/* keycheck_parse - parse a record into the caller's buffer arg (keyrec_first) */
static enum keyrec_status keycheck_parse(void *arg, bool dk, const char *txt, size_t len, const struct keyrec **rec)
{
	*rec = arg;
	return dk ? keyrec_parse_domainkeys(txt, len, arg) : keyrec_parse_dkim(txt, len, arg);
}

/* keycheck_pick - the first record that parses as a key of method m; its index, or -1 with *first set */
static long keycheck_pick(const struct keycheck_answer *a, enum dkmod_method m, struct keyrec *rec,
			  enum keyrec_status *first)
{
	const struct keyrec *parsed;
	return keyrec_first(a->records, a->lengths, a->count, m != DKMOD_METHOD_DKIM, keycheck_parse, rec, &parsed,
			    first);
}

/* keycheck_advise - notes on a record that is usable */
static void keycheck_advise(struct dkmod_keycheck_report *out, enum dkmod_method m, const struct keyrec *rec)
{
	if (out->testing)
		keycheck_note(out, "t=y: verifiers may treat failures as if unsigned; remove it once signing works");
	if (m == DKMOD_METHOD_DKIM && !(rec->hashes & KEYREC_HASH_SHA256))
		keycheck_note(out, "h= excludes sha256: rsa-sha256 and ed25519-sha256 signatures fail");
	if (rec->has_granularity)
		keycheck_note(out, "g=%s: only senders with that local part may use the key", rec->granularity);
	if (rec->type == KEYREC_RSA && out->key_bits < 1024)
		keycheck_note(out, "RSA keys under 1024 bits fail at most verifiers (RFC 8301)");
	else if (rec->type == KEYREC_RSA && out->key_bits < 2048)
		keycheck_note(out, "RSA keys under 2048 bits are weak; RFC 8301 recommends 2048");
	if (rec->type == KEYREC_ED25519)
		keycheck_note(out, "many verifiers do not know ed25519 yet (RFC 8463): sign with an RSA key as well");
}

/* keycheck_judge - the outcome for the answer in a and the private key k */
static void keycheck_judge(struct dkmod_keycheck_report *out, enum dkmod_method m, const struct keycheck_answer *a,
			   const struct crypto_privkey *k, struct keyrec *rec)
{
	snprintf(out->dns, sizeof out->dns, "%s", dns_rcode_name(a->rcode));
	out->dnssec = a->dnssec;
	out->ttl = a->ttl;
	out->records = a->count;
	if (!a->done || dns_rcode_temporary(a->rcode)) {
		out->outcome = DKMOD_KEYCHECK_TEMPFAIL;
		snprintf(out->reason, sizeof out->reason, "temporary DNS failure: %s%s%.100s", out->dns, a->why[0] ? ", " : "",
			 a->why);
		return;
	}
	if (a->rcode != DNS_ANSWER || a->count == 0) {
		out->outcome = DKMOD_KEYCHECK_ABSENT;
		snprintf(out->reason, sizeof out->reason, "no TXT record at the name (%s)", out->dns);
		return;
	}
	if (a->count > 1)
		keycheck_note(out, "%zu TXT records at the name: verifiers take the first that parses as a key", a->count);
	enum keyrec_status first;
	long i = keycheck_pick(a, m, rec, &first);
	if (i < 0) {
		out->outcome = DKMOD_KEYCHECK_MALFORMED;
		out->record_len = a->lengths[0];
		snprintf(out->reason, sizeof out->reason, "%s%s", keyrec_strerror(first),
			 first == KEYREC_BAD_KEY ? " (p= is not whole base64: truncated?)" : "");
		return;
	}
	out->record_len = a->lengths[i];
	snprintf(out->key_type, sizeof out->key_type, "%s", rec->type == KEYREC_ED25519 ? "ed25519" : "rsa");
	out->testing = rec->testing;
	out->strict = rec->strict_identity;
	if (rec->revoked) {
		out->outcome = DKMOD_KEYCHECK_REVOKED;
		snprintf(out->reason, sizeof out->reason, "the key is revoked (empty p=)");
		return;
	}
	struct crypto_pubkey *pub = rec->type == KEYREC_ED25519 ? crypto_pubkey_from_ed25519(rec->key, rec->key_len)
								: crypto_pubkey_from_spki(rec->key, rec->key_len);
	if (!pub) {
		out->outcome = DKMOD_KEYCHECK_MALFORMED;
		snprintf(out->reason, sizeof out->reason, "p= does not hold a usable %s public key (truncated?)",
			 out->key_type);
		return;
	}
	out->key_bits = crypto_pubkey_bits(pub);
	enum keyrec_keytype want = crypto_privkey_type(k) == CRYPTO_KEY_ED25519 ? KEYREC_ED25519 : KEYREC_RSA;
	if (rec->type != want) {
		out->outcome = DKMOD_KEYCHECK_MISMATCH;
		snprintf(out->reason, sizeof out->reason, "the record holds an %s key, the private key is %s",
			 out->key_type, want == KEYREC_ED25519 ? "ed25519" : "rsa");
	} else if (!crypto_pubkey_matches(pub, k)) {
		out->outcome = DKMOD_KEYCHECK_MISMATCH;
		snprintf(out->reason, sizeof out->reason, "the published key is not the public half of the private key");
	} else {
		out->outcome = DKMOD_KEYCHECK_OK;
	}
	crypto_pubkey_free(pub);
	keycheck_advise(out, m, rec);
}

/* dkmod_keycheck - check the record of selector._domainkey.domain against key_file */
enum dkmod_status dkmod_keycheck(const struct dkmod_resolver_options *ro, enum dkmod_method m, const char *domain,
				 const char *selector, const char *key_file, struct dkmod_keycheck_report *out)
{
	struct keycheck_answer a = {0};
	const char *why = "";

	memset(out, 0, sizeof *out);
	if (!domain || !selector || !key_file || !dkmod_valid_domain(domain) || !dkmod_valid_domain(selector))
		return keycheck_fail(out, DKMOD_EINVAL, "bad domain or selector");
	int n = snprintf(out->name, sizeof out->name, "%s._domainkey.%s", selector, domain);
	if (n < 0 || n > 253)
		return keycheck_fail(out, DKMOD_EINVAL, "the name %s._domainkey.%s is too long", selector, domain);
	struct crypto_privkey *k = keyfile_load(key_file, &why);
	if (!k)
		return keycheck_fail(out, DKMOD_EKEY, "%s: %s", key_file, why);
	out->private_bits = crypto_privkey_bits(k);
	struct keyrec *rec = malloc(sizeof *rec);
	enum dkmod_status rc = rec ? keycheck_lookup(ro, out, &a) : keycheck_fail(out, DKMOD_ENOMEM, "out of memory");
	if (rc == DKMOD_OK)
		keycheck_judge(out, m, &a, k, rec);
	free(rec);
	keycheck_answer_free(&a);
	crypto_privkey_free(k);
	return rc;
}
