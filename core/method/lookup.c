/*
 * lookup.c - the DNS lookups of one message (lookup.h): started at the end
 * of the headers, answered while the body streams, copied into the
 * message's arena and the shared cache; what their answers mean.
 */
#include <string.h>

#include "method/lookup.h"
#include "record/keyrec.h"
#include "util/str.h"

/* lookup_done - an answer: keep a copy for everything in the message that asked */
static void lookup_done(void *arg, const struct dns_result *r)
{
	struct keylookup *k = arg;
	struct arena *a = k->msg->arena;
	k->done = true;
	k->rcode = r->rcode;
	k->dnssec = r->dnssec;
	k->why = arena_strdup(a, r->why ? r->why : "");
	k->records = arena_alloc(a, (r->count + 1) * sizeof *k->records);
	k->lengths = arena_alloc(a, (r->count + 1) * sizeof *k->lengths);
	if (!k->records || !k->lengths || !k->why) {
		k->rcode = DNS_ERROR;
		k->count = 0;
		return;
	}
	for (size_t i = 0; i < r->count; i++) {
		if (!(k->records[i] = arena_strndup(a, r->records[i], r->lengths[i]))) {
			k->rcode = DNS_ERROR;
			k->count = 0;
			return;
		}
		k->lengths[i] = r->lengths[i];
	}
	k->count = r->count;
	if (k->msg->cache)
		keycache_put(k->msg->cache, k->name, k->type, r, method_now(k->msg));
}

/* lookup_start - start (or share) a lookup of name and type */
struct keylookup *lookup_start(const struct method_msg *m, const char *name, enum dns_type type)
{
	struct lookups *l = m->lookups;
	size_t len = strlen(name);
	if (len > 253)
		return NULL; /* no such name can exist in the DNS: never asked */
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i]->type == type && l->items[i]->name_len == len && str_case_eq(l->items[i]->name, name, len))
			return l->items[i];
	if (l->n == LOOKUP_MAX)
		return NULL;
	struct keylookup *k = arena_alloc(m->arena, sizeof *k);
	if (!k || !(k->name = arena_strndup(m->arena, name, len)))
		return NULL;
	k->name_len = len;
	k->msg = m;
	k->type = type;
	k->rcode = DNS_ERROR;
	k->why = "";
	struct dns_result cached;
	if (m->cache && keycache_get(m->cache, name, type, method_now(m), m->arena, &cached)) {
		l->cache_hits++;
		k->done = k->cached = true;
		k->rcode = cached.rcode;
		k->dnssec = cached.dnssec;
		k->records = (char **)cached.records;
		k->lengths = (size_t *)cached.lengths;
		k->count = cached.count;
		l->items[l->n++] = k;
		return k;
	}
	l->cache_misses += m->cache != NULL;
	l->dns_queries++;
	struct dns *d = l->resolver(l->resolver_arg);
	if (!d || dns_query(d, name, type, lookup_done, k) != 0) {
		k->done = true;
		k->why = "resolver failure";
	}
	l->items[l->n++] = k;
	return k;
}

enum lookup_trust { LOOKUP_TRUSTED = 0, LOOKUP_BOGUS_TEMP, LOOKUP_BOGUS_PERM };

/* lookup_trust - the one rule for DNSSEC-bogus answers: a permanent or a temporary failure as
 * configured, or (bogus = insecure) an answer with records taken as if unsigned */
static enum lookup_trust lookup_trust(const struct dkmod_options *opt, const struct keylookup *k)
{
	if (k->dnssec != DKMOD_DNSSEC_BOGUS)
		return LOOKUP_TRUSTED;
	if (opt->resolver.bogus == DKMOD_BOGUS_PERMERROR)
		return LOOKUP_BOGUS_PERM;
	if (opt->resolver.bogus == DKMOD_BOGUS_INSECURE && k->rcode == DNS_ANSWER)
		return LOOKUP_TRUSTED;
	return LOOKUP_BOGUS_TEMP;
}

/* lookup_answer - what a lookup came to */
enum lookup_answer lookup_answer(const struct dkmod_options *opt, const struct keylookup *k)
{
	if (!k)
		return LOOKUP_TEMP;
	switch (lookup_trust(opt, k)) {
	case LOOKUP_BOGUS_PERM: return LOOKUP_PERM;
	case LOOKUP_BOGUS_TEMP: return LOOKUP_TEMP;
	default: break;
	}
	switch (k->rcode) {
	case DNS_ANSWER: return LOOKUP_RECORDS;
	case DNS_NXDOMAIN:
	case DNS_NODATA: return LOOKUP_ABSENT;
	default: return LOOKUP_TEMP;
	}
}

/* lookup_key_verdict - the verdict when a key lookup failed, or PASS to go on */
enum dkmod_result lookup_key_verdict(const struct dkmod_options *opt, const struct keylookup *k,
				     const char **reason)
{
	if (!k) {
		*reason = "key lookup not possible";
		return DKMOD_RESULT_TEMPERROR;
	}
	switch (lookup_trust(opt, k)) {
	case LOOKUP_BOGUS_PERM:
		*reason = "key record failed DNSSEC validation";
		return DKMOD_RESULT_PERMERROR;
	case LOOKUP_BOGUS_TEMP:
		*reason = "key lookup failed DNSSEC validation";
		return DKMOD_RESULT_TEMPERROR;
	default:
		break;
	}
	switch (k->rcode) {
	case DNS_ANSWER:
		return DKMOD_RESULT_PASS;
	case DNS_NXDOMAIN:
		*reason = "no key for signature";
		return DKMOD_RESULT_PERMERROR;
	case DNS_NODATA:
		*reason = "no key record for signature";
		return DKMOD_RESULT_PERMERROR;
	case DNS_TIMEOUT:
		*reason = "key lookup timed out";
		return DKMOD_RESULT_TEMPERROR;
	case DNS_SERVFAIL:
		*reason = "key lookup failed (SERVFAIL)";
		return DKMOD_RESULT_TEMPERROR;
	default:
		*reason = "key lookup failed";
		return DKMOD_RESULT_TEMPERROR;
	}
}

/* lookup_parse_cached - one record through the process's parsed-record cache (keyrec_first) */
static enum keyrec_status lookup_parse_cached(void *arg, bool dk, const char *txt, size_t len,
					      const struct keyrec **rec)
{
	return pubkeys_record(arg, dk, txt, len, rec);
}

/* lookup_first_key - the first TXT record of k that parses as a key */
enum keyrec_status lookup_first_key(const struct method_msg *m, bool dk, const struct keylookup *k,
				    const struct keyrec **rec)
{
	enum keyrec_status st;
	long i = keyrec_first(k->records, k->lengths, k->count, dk, lookup_parse_cached, m->pubkeys, rec, &st);
	return i >= 0 ? KEYREC_OK : st;
}
