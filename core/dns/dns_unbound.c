/*
 * dns_unbound.c - the libunbound backend of dns.h: lookups.  With
 * dns_unbound_setup.c (the context, through dns_unbound.h) the only files of
 * the project that include unbound.h.
 *
 * Lookups go to libunbound with ub_resolve_async and are answered from
 * dns_wait only: libunbound's callback merely parks the result in the query,
 * dns_wait hands it on after ub_process has returned, so the caller's callback
 * may start new lookups.  libunbound runs its resolver in a thread rather than
 * in a forked process, so that no extra process outlives or escapes the
 * caller's process management.  A question asked again within the TTL of its
 * answer is answered from dns_memo.c without crossing to that thread (about
 * 25,000 instructions and two thread switches a lookup).
 */
#include "dns/dns_unbound.h"
#include "dns/dns_memo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>


/* libunbound does not chase CNAMEs found in local data; we do, this far. */
#define DNS_MAX_CNAME_HOPS 8

/* Freed queries a resolver keeps for reuse: a message asks a few at a time. */
#define DNS_SPARE_QUERIES 16

#define DNS_RCODE_NXDOMAIN 3
/* a name of 255 octets in \DDD form, with an MX preference before it */
#define DNS_TEXT_MAX 1100

struct dns_query {
	struct dns *d;
	struct dns_query *next;
	char *name;            /* the name asked now: the last CNAME target */
	enum dns_type type;
	dns_callback *cb;
	void *arg;
	int async_id;
	bool running;          /* libunbound still works on it */
	bool done;             /* libunbound answered; not yet handed on */
	int err;
	struct ub_result *res;
	unsigned hops;
	bool insecure;         /* an earlier CNAME hop was not secure */
	bool too_long;         /* the CNAME chain went on past DNS_MAX_CNAME_HOPS */
	bool have_ttl;
	unsigned ttl;          /* smallest TTL of the earlier hops */
	struct dns_memo_entry *memo; /* answered from the memo or the shared cache (held) */
	bool shared;           /* tell the shared cache the answer (dns_query_shared) */
	unsigned after;        /* round trips in sequence before it was asked (dns_rounds) */
};

struct dns {
	struct ub_ctx *ctx;    /* NULL until the first question libunbound must answer (dns_new_deferred) */
	const struct dkmod_resolver_options *opt; /* the deferred setup's options (the caller's, kept) */
	bool setup_failed;     /* the deferred setup failed: every question fails at once */
	struct dns_query *head;
	struct dns_query **tail;
	size_t pending;
	struct dns_query *spare; /* freed queries kept for the next ones (at most DNS_SPARE_QUERIES) */
	size_t nspare;
	bool permissive;   /* bogus answers are handed on, marked bogus */
	struct dns_memo *memo; /* recent final answers (NULL: none kept) */
	struct dns_cache_hooks cache; /* the shared cache of dns_query_shared (get NULL: none) */
	unsigned depth_now;  /* round trips in sequence before what is being done now */
	struct dns_rounds counted;
	long long held_ms;   /* the time dns_hold_clock set, or 0: the clock */
};

/* One joined record while building a result. */
struct dns_rec {
	char *p;
	size_t len;
};

/* dns_alloc - a resolver without its libunbound context yet; NULL and *why if out of memory */
static struct dns *dns_alloc(const char **why)
{
	struct dns *d = calloc(1, sizeof *d);
	if (!d) {
		dns_fail(why, "out of memory");
		return NULL;
	}
	d->tail = &d->head;
	d->memo = dns_memo_new(); /* NULL: every question goes to libunbound */
	return d;
}

/* dns_new - a resolver per the options; NULL and *why on failure */
struct dns *dns_new(const struct dkmod_resolver_options *opt, const char **why)
{
	struct dns *d = dns_alloc(why);
	if (d && !(d->ctx = dns_unbound_setup(opt, &d->permissive, why))) {
		dns_memo_free(d->memo);
		free(d);
		return NULL;
	}
	return d;
}

/* dns_new_deferred - a resolver whose libunbound context is made at the first question the memo
 * and the shared cache cannot answer */
struct dns *dns_new_deferred(const struct dkmod_resolver_options *opt, const char **why)
{
	struct dns *d = dns_alloc(why);
	if (d)
		d->opt = opt;
	return d;
}

/* dns_ready - libunbound's context, made now if it was deferred; false if it cannot be (the
 * shared cache's fail hook is told why, once) */
static bool dns_ready(struct dns *d)
{
	if (d->ctx || d->setup_failed)
		return d->ctx != NULL;
	const char *why = "";
	if ((d->ctx = dns_unbound_setup(d->opt, &d->permissive, &why)) != NULL)
		return true;
	d->setup_failed = true;
	if (d->cache.fail)
		d->cache.fail(d->cache.arg, why);
	return false;
}

/* dns_ub_done - libunbound's callback: park the result for dns_wait */
static void dns_ub_done(void *mydata, int err, struct ub_result *res)
{
	struct dns_query *q = mydata;

	q->running = false;
	q->done = true;
	q->err = err;
	q->res = res;
}

/* dns_start - hand the query's current name to libunbound */
static int dns_start(struct dns_query *q)
{
	int e;

	q->done = false;
	q->err = 0;
	q->res = NULL;
	if (!dns_ready(q->d))
		return -1;
	e = ub_resolve_async(q->d->ctx, q->name, (int)q->type, 1 /* IN */, q, dns_ub_done, &q->async_id);
	if (e != 0)
		return e;
	q->d->counted.queries++;
	/* q->done may already be set if libunbound answered at once */
	q->running = !q->done;
	return 0;
}

/* dns_set_cache - the shared cache dns_query_shared asks and tells */
void dns_set_cache(struct dns *d, const struct dns_cache_hooks *hooks)
{
	if (d)
		d->cache = hooks ? *hooks : (struct dns_cache_hooks){0};
}

/* dns_hold_clock - the memo's time is now_ms (0: the clock again) */
void dns_hold_clock(struct dns *d, long long now_ms)
{
	if (d)
		d->held_ms = now_ms;
}

/* dns_clock - the held time, else the clock */
static long long dns_clock(const struct dns *d)
{
	return d->held_ms ? d->held_ms : dns_now_ms();
}

/* dns_answered - an answer at hand (the memo's, else the shared cache's when asked to), held, or NULL */
static struct dns_memo_entry *dns_answered(struct dns *d, const char *name, enum dns_type type, bool shared)
{
	long long now = dns_clock(d);
	struct dns_memo_entry *e = dns_memo_get(d->memo, name, type, now);
	struct dns_result r;
	if (e || !shared || !d->cache.get || !d->cache.get(d->cache.arg, name, type, &r))
		return e;
	e = dns_memo_entry_new(name, type, &r, now); /* one copy: held by the query and the memo */
	dns_memo_keep(d->memo, e);
	return e;
}

/* dns_query_new - a cleared query: a spare one, else a new one; NULL if out of memory */
static struct dns_query *dns_query_new(struct dns *d)
{
	struct dns_query *q = d->spare;
	if (!q)
		return calloc(1, sizeof *q);
	d->spare = q->next;
	d->nspare--;
	memset(q, 0, sizeof *q);
	return q;
}

/* dns_query_free - a query done with: its name and answer freed, the query kept as a spare (or freed) */
static void dns_query_free(struct dns *d, struct dns_query *q)
{
	dns_memo_drop(q->memo);
	free(q->name);
	if (d->nspare >= DNS_SPARE_QUERIES) {
		free(q);
		return;
	}
	q->next = d->spare;
	d->spare = q;
	d->nspare++;
}

/* dns_enqueue - start a lookup, from what is at hand or through libunbound; an answer at hand is
 * handed on by dns_wait like any other (its query needs no name: nothing is asked or kept) */
static int dns_enqueue(struct dns *d, const char *name, enum dns_type type, dns_callback *cb, void *arg, bool shared)
{
	struct dns_query *q;
	if (!d || !name || !cb)
		return -1;
	q = dns_query_new(d);
	if (!q)
		return -1;
	q->d = d;
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	q->shared = shared;
	q->after = d->depth_now;
	if ((q->memo = dns_answered(d, name, type, shared)) != NULL)
		q->done = true;
	else if (!(q->name = strdup(name)) || dns_start(q) != 0) {
		dns_query_free(d, q);
		return -1;
	}
	*d->tail = q;
	d->tail = &q->next;
	d->pending++;
	return 0;
}

/* dns_query - start a lookup; cb runs exactly once, from dns_wait (never from inside dns_query) */
int dns_query(struct dns *d, const char *name, enum dns_type type, dns_callback *cb, void *arg)
{
	return dns_enqueue(d, name, type, cb, arg, false);
}

/* dns_query_shared - dns_query through the shared cache */
int dns_query_shared(struct dns *d, const char *name, enum dns_type type, dns_callback *cb, void *arg)
{
	return dns_enqueue(d, name, type, cb, arg, true);
}

/* dns_rec_cmp - bytewise order, the shorter first when one is a prefix of the other */
static int dns_rec_cmp(const void *a, const void *b)
{
	const struct dns_rec *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* dns_wire_name - an uncompressed wire-format name at p[0..len) as text (no final dot,
 * unusual bytes as \DDD); false if malformed */
static bool dns_wire_name(const unsigned char *p, size_t len, char *out, size_t outsz)
{
	size_t off = 0, o = 0;

	while (off < len && p[off] != 0) {
		size_t n = p[off++];

		if (n > 63 || off + n > len)
			return false;
		if (o && o + 1 < outsz)
			out[o++] = '.';
		for (size_t i = 0; i < n; i++) {
			unsigned char c = p[off + i];

			if (o + 5 >= outsz)
				return false;
			if (c > 0x20 && c < 0x7f && c != '.' && c != '\\')
				out[o++] = (char)c;
			else
				o += (size_t)snprintf(out + o, outsz - o, "\\%03u", c);
		}
		off += n;
	}
	if (off + 1 != len)
		return false; /* no root label, or bytes after it */
	if (o == 0 && o + 1 < outsz)
		out[o++] = '.';
	out[o] = '\0';
	return true;
}

/* dns_rdata_text - an A, AAAA, MX or PTR rdata in presentation form; false if malformed */
static bool dns_rdata_text(enum dns_type type, const unsigned char *p, size_t len, char *out, size_t *outlen)
{
	int pref;

	switch (type) {
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		if (len != (type == DNS_TYPE_A ? 4u : 16u) ||
		    !inet_ntop(type == DNS_TYPE_A ? AF_INET : AF_INET6, p, out, DNS_TEXT_MAX))
			return false;
		break;
	case DNS_TYPE_MX:
		if (len < 3)
			return false;
		pref = snprintf(out, DNS_TEXT_MAX, "%u ", (unsigned)p[0] << 8 | p[1]);
		if (!dns_wire_name(p + 2, len - 2, out + pref, DNS_TEXT_MAX - (size_t)pref))
			return false;
		break;
	case DNS_TYPE_PTR:
		if (!dns_wire_name(p, len, out, DNS_TEXT_MAX))
			return false;
		break;
	default:
		return false;
	}
	*outlen = strlen(out);
	return true;
}

/* dns_records - copy the answer's rdata: TXT strings joined and sorted, others as text */
static struct dns_rec *dns_records(const struct ub_result *res, enum dns_type type, size_t *count)
{
	struct dns_rec *recs;
	size_t n = 0, i;

	*count = 0;
	for (i = 0; res->data && res->data[i]; i++)
		n++;
	recs = calloc(n ? n : 1, sizeof *recs);
	if (!recs)
		return NULL;
	for (i = 0; i < n; i++) {
		const unsigned char *p = (const unsigned char *)res->data[i];
		size_t len = res->len[i] > 0 ? (size_t)res->len[i] : 0, off = 0, out = 0;
		char *r;

		if (type != DNS_TYPE_TXT) {
			char text[DNS_TEXT_MAX];
			size_t tlen;

			if (!dns_rdata_text(type, p, len, text, &tlen))
				continue; /* malformed rdata */
			r = malloc(tlen + 1);
			if (!r)
				goto nomem;
			memcpy(r, text, tlen + 1);
			recs[(*count)].p = r;
			recs[(*count)++].len = tlen;
			continue;
		}
		while (off < len && off + 1 + p[off] <= len)
			off += 1 + (size_t)p[off];
		if (len == 0 || off != len)
			continue; /* malformed: a length byte runs past the end */
		r = malloc(len + 1);
		if (!r)
			goto nomem;
		for (off = 0; off < len; off += 1 + (size_t)p[off]) {
			memcpy(r + out, p + off + 1, p[off]);
			out += p[off];
		}
		r[out] = '\0';
		recs[(*count)].p = r;
		recs[(*count)++].len = out;
	}
	if (type == DNS_TYPE_TXT && *count > 1)
		qsort(recs, *count, sizeof *recs, dns_rec_cmp);
	return recs;
nomem:
	for (i = 0; i < *count; i++)
		free(recs[i].p);
	free(recs);
	*count = 0;
	return NULL;
}

/* dns_deliver_answer - hand a finished query to its callback and free it; timeout forces DNS_TIMEOUT */
static void dns_deliver_answer(struct dns_query *q, bool timeout)
{
	struct dns_result r = { 0 };
	const struct ub_result *res = q->res;
	struct dns_rec *recs = NULL;
	const char **records = NULL;
	size_t *lengths = NULL;
	char why[64];
	size_t n = 0, i;

	r.why = "";
	if (q->memo) {
		dns_memo_result(q->memo, dns_clock(q->d), &r);
		q->cb(q->arg, &r);
		dns_query_free(q->d, q);
		return;
	}
	if (timeout) {
		r.rcode = DNS_TIMEOUT;
		r.why = "no answer before the deadline";
	} else if (q->too_long) {
		/* a resolver would say the same of a CNAME loop */
		r.rcode = DNS_SERVFAIL;
		r.dnssec = DKMOD_DNSSEC_INSECURE;
		r.why = "CNAME chain too long";
	} else if (q->err) {
		r.rcode = DNS_ERROR;
		r.why = ub_strerror(q->err);
	} else if (!res) {
		r.rcode = DNS_ERROR;
		r.why = "no result";
	} else if (res->bogus && !(q->d->permissive && res->havedata)) {
		r.rcode = DNS_SERVFAIL;
		r.dnssec = DKMOD_DNSSEC_BOGUS;
		r.why = res->why_bogus ? res->why_bogus : "DNSSEC bogus";
	} else {
		r.dnssec = res->bogus ? DKMOD_DNSSEC_BOGUS
				      : res->secure && !q->insecure ? DKMOD_DNSSEC_SECURE : DKMOD_DNSSEC_INSECURE;
		r.ttl = res->ttl > 0 ? (unsigned)res->ttl : 0;
		if (q->have_ttl && q->ttl < r.ttl)
			r.ttl = q->ttl;
		if (res->rcode == DNS_RCODE_NXDOMAIN || res->nxdomain) {
			r.rcode = DNS_NXDOMAIN;
		} else if (res->rcode != 0) {
			r.rcode = DNS_SERVFAIL;
			snprintf(why, sizeof why, "rcode %d", res->rcode);
			r.why = why;
		} else if (res->havedata) {
			recs = dns_records(res, q->type, &n);
			records = calloc(n ? n : 1, sizeof *records);
			lengths = calloc(n ? n : 1, sizeof *lengths);
			if (!recs || !records || !lengths) {
				r.rcode = DNS_ERROR;
				r.why = "out of memory";
				n = 0;
			} else {
				for (i = 0; i < n; i++) {
					records[i] = recs[i].p;
					lengths[i] = recs[i].len;
				}
				r.rcode = n ? DNS_ANSWER : DNS_NODATA;
				r.records = records;
				r.lengths = lengths;
				r.count = n;
			}
		} else {
			r.rcode = DNS_NODATA;
		}
	}
	if (!timeout && q->hops == 0) { /* a CNAME's answer is the target's: kept under no name */
		dns_memo_put(q->d->memo, q->name, q->type, &r, dns_clock(q->d));
		if (q->shared && q->d->cache.put)
			q->d->cache.put(q->d->cache.arg, q->name, q->type, &r);
	}
	q->cb(q->arg, &r);
	for (i = 0; recs && i < n; i++)
		free(recs[i].p);
	free(recs);
	free(records);
	free(lengths);
	if (q->res)
		ub_resolve_free(q->res);
	dns_query_free(q->d, q);
}

/* dns_deliver - dns_deliver_answer, counting the query's round trips: what its callback asks
 * comes after them */
static void dns_deliver(struct dns_query *q, bool timeout)
{
	struct dns *d = q->d;
	unsigned depth = q->after + (q->memo ? 0 : 1 + q->hops), before = d->depth_now;
	if (depth > d->counted.rounds)
		d->counted.rounds = depth;
	d->depth_now = depth;
	dns_deliver_answer(q, timeout);
	d->depth_now = before;
}

/* dns_unlink - take a query out of the outstanding list */
static void dns_unlink(struct dns *d, struct dns_query *q)
{
	struct dns_query **pp;

	for (pp = &d->head; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			if (d->tail == &q->next)
				d->tail = pp;
			d->pending--;
			return;
		}
	}
}

/* dns_chase - true if the answer is a CNAME whose target libunbound left unresolved */
static bool dns_chase(const struct dns_query *q)
{
	const struct ub_result *res = q->res;

	return !q->err && res && !res->bogus && res->rcode == 0 && !res->havedata && res->canonname &&
	       !dns_same_name(res->canonname, q->name);
}

/* dns_follow - restart the query at its CNAME target; false if it must be delivered now */
static bool dns_follow(struct dns_query *q)
{
	struct ub_result *res = q->res;
	char *target;
	int e;

	if (q->hops >= DNS_MAX_CNAME_HOPS)
		return false;
	target = strdup(res->canonname);
	if (!target)
		return false;
	q->insecure = q->insecure || !res->secure;
	if (!q->have_ttl || (res->ttl >= 0 && (unsigned)res->ttl < q->ttl))
		q->ttl = res->ttl > 0 ? (unsigned)res->ttl : 0;
	q->have_ttl = true;
	q->hops++;
	free(q->name);
	q->name = target;
	ub_resolve_free(res);
	e = dns_start(q);
	if (e != 0) {
		q->done = true;
		q->err = e;
	}
	return e == 0;
}

/* dns_deliver_done - hand on every answered query, following CNAMEs unless late */
static void dns_deliver_done(struct dns *d, bool late)
{
	struct dns_query *q;
	for (;;) {
		bool timeout = false;

		for (q = d->head; q && !q->done; q = q->next)
			;
		if (!q)
			return;
		if (dns_chase(q)) {
			if (late) {
				timeout = true;
			} else if (dns_follow(q)) {
				continue;
			} else if (!q->err) {
				q->too_long = true;
			}
		}
		dns_unlink(d, q);
		dns_deliver(q, timeout);
	}
}

/* dns_wait - process answers until none is outstanding or the deadline passes */
void dns_wait(struct dns *d, long long deadline_ms)
{
	struct dns_query *q;
	if (!d)
		return;
	for (;;) {
		struct pollfd pfd;
		long long left;
		int r;

		if (d->held_ms) /* the answers handed on now are as old as they are now */
			d->held_ms = dns_now_ms();
		dns_deliver_done(d, false);
		if (!d->pending)
			break;
		left = deadline_ms - dns_now_ms();
		if (left <= 0 || !d->ctx)
			break;
		pfd.fd = ub_fd(d->ctx);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (pfd.fd < 0)
			break;
		r = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && ub_process(d->ctx) != 0)
			break;
	}
	/* Whatever arrived in time still counts; the rest is cancelled. */
	if (d->pending && d->ctx && ub_poll(d->ctx))
		ub_process(d->ctx);
	dns_deliver_done(d, true);
	while ((q = d->head) != NULL) {
		if (q->running)
			ub_cancel(d->ctx, q->async_id);
		q->running = false;
		dns_unlink(d, q);
		dns_deliver(q, true);
	}
	d->depth_now = d->counted.rounds; /* what is asked next comes after all it waited for */
}

/* dns_pending - number of outstanding queries */
size_t dns_pending(const struct dns *d)
{
	return d ? d->pending : 0;
}

/* dns_rounds_reset - start counting again */
void dns_rounds_reset(struct dns *d)
{
	if (d) {
		d->depth_now = 0;
		d->counted = (struct dns_rounds){0};
	}
}

/* dns_rounds - what was counted since the last reset */
struct dns_rounds dns_rounds(const struct dns *d)
{
	return d ? d->counted : (struct dns_rounds){0};
}

/* dns_free - free the resolver; outstanding queries are dropped without their callbacks */
void dns_free(struct dns *d)
{
	struct dns_query *q, *next;
	if (!d)
		return;
	for (q = d->head; q; q = next) {
		next = q->next;
		if (q->running)
			ub_cancel(d->ctx, q->async_id);
		if (q->res)
			ub_resolve_free(q->res);
		dns_memo_drop(q->memo);
		free(q->name);
		free(q);
	}
	for (q = d->spare; q; q = next) {
		next = q->next;
		free(q);
	}
	dns_memo_free(d->memo);
	if (d->ctx)
		ub_ctx_delete(d->ctx);
	free(d);
}
