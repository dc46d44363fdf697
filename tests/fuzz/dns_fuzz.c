/*
 * dns_fuzz.c - a test-only implementation of core/dns/dns.h for fuzz_verify:
 * answers come from dns_fuzz_script (filled from the fuzz input), never from
 * the network.  Like the real backend it answers only from dns_wait, copies
 * and sorts TXT records bytewise, and lets callbacks start new queries.  It
 * also aborts on a query name a verifier should never build (the core only
 * asks for names made of validated labels).
 */
#include "dns_fuzz.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct dns_fuzz_script dns_fuzz_script;

struct dns_fuzz_query {
	struct dns_fuzz_query *next;
	char *name;
	enum dns_type type;
	dns_callback *cb;
	void *arg;
	size_t index;      /* which scripted answer it gets */
};

struct dns {
	struct dns_fuzz_query *head;
	size_t pending;
	size_t asked;      /* queries started on this resolver */
};

/* One record being handed on: a NUL-terminated copy. */
struct dns_fuzz_rec {
	char *p;
	size_t len;
};

/* dns_fuzz_parse - fill the script from the front of data */
size_t dns_fuzz_parse(const unsigned char *data, size_t size)
{
	size_t pos = 0;
	memset(&dns_fuzz_script, 0, sizeof dns_fuzz_script);
	if (size == 0)
		return 0;
	size_t n = data[pos++] % (DNS_FUZZ_MAX_ANSWERS + 1);
	for (size_t i = 0; i < n && pos + 3 <= size; i++) {
		struct dns_fuzz_answer *a = &dns_fuzz_script.answers[dns_fuzz_script.count++];
		a->rcode = (enum dns_rcode)(data[pos++] % 6);
		a->dnssec = (enum dkmod_dnssec)(data[pos++] % 4);
		size_t count = data[pos++] % (DNS_FUZZ_MAX_RECORDS + 1);
		for (size_t k = 0; k < count && pos + 2 <= size; k++) {
			size_t len = (size_t)data[pos] << 8 | data[pos + 1];
			pos += 2;
			if (len > size - pos)
				len = size - pos;
			a->records[a->count] = (const char *)data + pos;
			a->lengths[a->count++] = len;
			pos += len;
		}
	}
	return pos;
}

/* dns_new - a scripted resolver; the options are ignored */
struct dns *dns_new(const struct dkmod_resolver_options *opt, const char **why)
{
	struct dns *d = calloc(1, sizeof *d);
	if (!d && why)
		*why = "out of memory";
	return d;
}

/* dns_fuzz_check_name - abort on a name no verifier should ask for */
static void dns_fuzz_check_name(const char *name, enum dns_type type)
{
	size_t n = strlen(name);
	if (n == 0 || n > 253)
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
			  c == '_' || c == '.';
		if (!ok || (c == '.' && (i == 0 || name[i - 1] == '.')))
			abort();
	}
	if (type != DNS_TYPE_TXT && type != DNS_TYPE_A && type != DNS_TYPE_MX && type != DNS_TYPE_AAAA)
		abort();
}

/* dns_query - queue a lookup; its answer is the next one of the script */
int dns_query(struct dns *d, const char *name, enum dns_type type, dns_callback *cb, void *arg)
{
	if (!d || !name || !cb)
		return -1;
	dns_fuzz_check_name(name, type);
	struct dns_fuzz_query *q = calloc(1, sizeof *q);
	if (!q || !(q->name = strdup(name))) {
		free(q);
		return -1;
	}
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	q->index = d->asked++;
	dns_fuzz_script.queries++;
	q->next = d->head; /* newest first; dns_wait picks the order */
	d->head = q;
	d->pending++;
	return 0;
}

/* dns_fuzz_rec_cmp - bytewise order, the shorter first when one is a prefix of the other */
static int dns_fuzz_rec_cmp(const void *a, const void *b)
{
	const struct dns_fuzz_rec *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);
	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* dns_fuzz_deliver - hand a query its scripted answer and free it */
static void dns_fuzz_deliver(struct dns_fuzz_query *q)
{
	struct dns_result r = {0};
	struct dns_fuzz_rec recs[DNS_FUZZ_MAX_RECORDS];
	const char *records[DNS_FUZZ_MAX_RECORDS + 1] = {0};
	size_t lengths[DNS_FUZZ_MAX_RECORDS + 1] = {0}, n = 0;
	r.rcode = DNS_NXDOMAIN;
	r.dnssec = DKMOD_DNSSEC_INSECURE;
	r.why = "";
	r.ttl = 300;
	if (q->index < dns_fuzz_script.count) {
		const struct dns_fuzz_answer *a = &dns_fuzz_script.answers[q->index];
		r.rcode = a->rcode;
		r.dnssec = a->dnssec;
		r.why = dns_rcode_temporary(a->rcode) ? "scripted failure" : "";
		/* like the real backend: an answer has records, an empty one is NODATA */
		if (a->rcode == DNS_ANSWER) {
			for (size_t i = 0; i < a->count; i++) {
				char *p = malloc(a->lengths[i] + 1);
				if (!p)
					abort();
				memcpy(p, a->records[i], a->lengths[i]);
				p[a->lengths[i]] = '\0';
				recs[n].p = p;
				recs[n++].len = a->lengths[i];
			}
			if (q->type == DNS_TYPE_TXT && n > 1)
				qsort(recs, n, sizeof *recs, dns_fuzz_rec_cmp);
			for (size_t i = 0; i < n; i++) {
				records[i] = recs[i].p;
				lengths[i] = recs[i].len;
			}
			if (n == 0)
				r.rcode = DNS_NODATA;
			r.records = records;
			r.lengths = lengths;
			r.count = n;
		}
	}
	q->cb(q->arg, &r);
	for (size_t i = 0; i < n; i++)
		free(recs[i].p);
	free(q->name);
	free(q);
}

/* dns_query_shared - no shared cache here: as dns_query */
int dns_query_shared(struct dns *d, const char *name, enum dns_type type, dns_callback *cb, void *arg)
{
	return dns_query(d, name, type, cb, arg);
}

/* dns_new_deferred - the scripted resolver too */
struct dns *dns_new_deferred(const struct dkmod_resolver_options *opt, const char **why)
{
	return dns_new(opt, why);
}

/* dns_set_cache - no shared cache here */
void dns_set_cache(struct dns *d, const struct dns_cache_hooks *hooks)
{
	(void)d;
	(void)hooks;
}

/* dns_wait - answer every outstanding query (and those their callbacks start); no deadline */
void dns_wait(struct dns *d, long long deadline_ms)
{
	if (!d)
		return;
	while (d->head) {
		struct dns_fuzz_query **pp = &d->head;
		if (!dns_fuzz_script.reverse)
			while ((*pp)->next)
				pp = &(*pp)->next; /* the oldest is last in the list */
		struct dns_fuzz_query *q = *pp;
		*pp = q->next;
		d->pending--;
		dns_fuzz_deliver(q);
	}
}

/* dns_pending - number of outstanding queries */
size_t dns_pending(const struct dns *d)
{
	return d ? d->pending : 0;
}

/* dns_rounds_reset - nothing to reset: the scripted resolver does not count round trips */
void dns_rounds_reset(struct dns *d)
{
	(void)d;
}

/* dns_rounds - zero: the scripted resolver does not count round trips (tests/dns/t_rounds.sh counts the real one) */
struct dns_rounds dns_rounds(const struct dns *d)
{
	(void)d;
	return (struct dns_rounds){0, 0};
}

/* dns_hold_clock - nothing to hold: the scripted resolver keeps no memo */
void dns_hold_clock(struct dns *d, long long now_ms)
{
	(void)d;
	(void)now_ms;
}

/* dns_free - free the resolver; outstanding queries are dropped without their callbacks */
void dns_free(struct dns *d)
{
	if (!d)
		return;
	while (d->head) {
		struct dns_fuzz_query *q = d->head;
		d->head = q->next;
		free(q->name);
		free(q);
	}
	free(d);
}
