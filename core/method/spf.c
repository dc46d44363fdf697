/*
 * spf.c - SPF check_host() (RFC 7208) as a state machine driven by the
 * resolver's callbacks.  The evaluation is sequential term by term, as the
 * RFC defines it, but never blocks: a step that needs DNS sets what it waits
 * for, starts its queries (several at once for the addresses of MX and PTR
 * names) and returns; the last answer of the batch runs spf_run again.
 */
#include "method/spf.h"
#include "util/str.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SPF_MAX_DEPTH (SPF_MAX_DNS_TERMS + 1)
#define SPF_NAME_SIZE (SPFREC_MAX_DOMAIN + 1)

/* What the outstanding batch of queries is for. */
enum spf_wait {
	SPF_W_NONE = 0,
	SPF_W_RECORD,    /* TXT of the top frame's domain */
	SPF_W_ADDR,      /* A/AAAA of an a mechanism */
	SPF_W_EXISTS,    /* A of an exists mechanism */
	SPF_W_MX,        /* MX of an mx mechanism */
	SPF_W_MX_ADDR,   /* A/AAAA of its MX names */
	SPF_W_VAL_PTR,   /* PTR of the client address (ptr mechanism, p macro) */
	SPF_W_VAL_ADDR,  /* A/AAAA of the PTR names */
	SPF_W_EXP        /* TXT of the exp= domain */
};

enum spf_step { SPF_STEP_RECORD, SPF_STEP_TERM, SPF_STEP_EXP, SPF_STEP_DONE };

/* One record being evaluated: the checked domain, or an include's target. */
struct spf_frame {
	char domain[SPF_NAME_SIZE];
	bool optional;         /* no record here is "none" (only the first domain) */
	size_t term;
	struct spfrec rec;
};

struct spf_check {
	struct dns *d;
	enum spf_scope scope;
	unsigned char ip[16];
	bool ipv6;
	long long now;

	struct spf_frame *frames[SPF_MAX_DEPTH];
	size_t depth;
	enum spf_step step;
	bool term_counted;     /* the current term's lookup is counted (re-entry after validation) */
	unsigned dns_terms, voids;

	enum spf_wait wait;
	unsigned pending;      /* queries outstanding */
	bool abandoned;        /* freed by the last callback */
	bool b_match, b_temp, b_void, b_perm; /* what the batch found */
	size_t nnames;

	/* the client's validated names (RFC 7208 5.5), found once */
	bool validated;
	bool validate_for_ptr; /* validation started by a ptr mechanism */
	bool vname_ok[SPF_MAX_NAMES];
	size_t nvnames;
	bool have_exp_text;
	enum dkmod_spf_result result;

	/* texts not cleared by spf_start (15 KB), each written before it is read; the rarely used last */
	char sender[600], local[300], sender_domain[SPF_NAME_SIZE], helo[SPF_NAME_SIZE], receiver[SPF_NAME_SIZE];
	char first_domain[SPF_NAME_SIZE];
	char identity[600];    /* the sender or HELO, control and non-ASCII bytes as '?' */
	char reason[300];
	char target[SPFREC_MAX_EXPANSION + 1];
	char explanation[SPFREC_MAX_EXPANSION + 1];
	char names[SPF_MAX_NAMES][SPF_NAME_SIZE];
	char vnames[SPF_MAX_NAMES][SPF_NAME_SIZE];
	char exp_text[SPFREC_MAX_LEN + 1];
	struct spf_frame first; /* frames[0]: the checked domain's, in the check's own allocation */
};

/* One query in flight. */
struct spf_query {
	struct spf_check *c;
	enum spf_wait wait;
	size_t idx;            /* name index for the *_ADDR batches */
};

static void spf_run(struct spf_check *c);

/* spf_printable - control and non-ASCII bytes as '?': a text that stays one printable line */
static void spf_printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static void spf_finish(struct spf_check *c, enum dkmod_spf_result r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* spf_finish - the verdict, with its reason */
static void spf_finish(struct spf_check *c, enum dkmod_spf_result r, const char *fmt, ...)
{
	char reason[sizeof c->reason];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	spf_printable(reason); /* names from the envelope may hold any byte */
	memcpy(c->reason, reason, sizeof reason);
	va_end(ap);
	c->result = r;
	c->step = SPF_STEP_DONE;
}

/* spf_top - the frame being evaluated */
static struct spf_frame *spf_top(struct spf_check *c)
{
	return c->frames[c->depth - 1];
}

/* spf_push - a new frame for domain; false (permerror given) if too deep or out of memory */
static bool spf_push(struct spf_check *c, const char *domain, bool optional)
{
	struct spf_frame *f;

	if (c->depth == SPF_MAX_DEPTH || !(f = c->depth ? malloc(sizeof *f) : &c->first)) {
		spf_finish(c, DKMOD_SPF_PERMERROR, "records nested too deep");
		return false;
	}
	str_copy(f->domain, sizeof f->domain, domain);
	f->optional = optional;
	f->term = 0;
	c->frames[c->depth++] = f;
	c->step = SPF_STEP_RECORD;
	return true;
}

/* spf_cb - a query's answer: note what it says for the batch */
static void spf_cb(void *arg, const struct dns_result *r);

/* spf_ask - start one query of the current batch; a failure to start counts as temporary */
static void spf_ask(struct spf_check *c, const char *name, enum dns_type type, size_t idx)
{
	struct spf_query *q = malloc(sizeof *q);

	if (!q || dns_query_shared(c->d, name, type, spf_cb, q) != 0) {
		free(q);
		c->b_temp = true;
		return;
	}
	q->c = c;
	q->wait = c->wait;
	q->idx = idx;
	c->pending++;
}

/* spf_begin - a new batch waiting for w */
static void spf_begin(struct spf_check *c, enum spf_wait w)
{
	c->wait = w;
	c->b_match = c->b_temp = c->b_void = c->b_perm = false;
}

/* spf_addr_type - A or AAAA, by the client's address family */
static enum dns_type spf_addr_type(const struct spf_check *c)
{
	return c->ipv6 ? DNS_TYPE_AAAA : DNS_TYPE_A;
}

/* spf_prefix_match - whether the first bits of a and b agree */
static bool spf_prefix_match(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ b[whole]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* spf_addr_match - whether a text A/AAAA record is the client's network at the prefix length */
static bool spf_addr_match(const struct spf_check *c, const char *text, unsigned cidr4, unsigned cidr6)
{
	unsigned char a[16];

	if (inet_pton(c->ipv6 ? AF_INET6 : AF_INET, text, a) != 1)
		return false;
	return spf_prefix_match(a, c->ip, c->ipv6 ? cidr6 : cidr4);
}

/* spf_name_copy - the name of an MX or PTR record into out; false if unusable */
static bool spf_name_copy(const char *text, char *out)
{
	if (strlen(text) >= SPF_NAME_SIZE)
		return false;
	strcpy(out, text);
	return spfrec_domain(out);
}

/* spf_take_record - the one SPF record among TXT answers into the top frame (RFC 7208 4.5) */
static void spf_take_record(struct spf_check *c, const struct dns_result *r)
{
	struct spf_frame *f = spf_top(c);
	size_t n = 0, k = 0;
	const char *why;

	for (size_t i = 0; i < r->count; i++) {
		if (spfrec_is_spf(r->records[i], r->lengths[i])) {
			n++;
			k = i;
		}
	}
	if (n == 0) {
		c->b_void = true;
	} else if (n > 1) {
		c->b_perm = true;
		snprintf(c->reason, sizeof c->reason, "%s has %zu SPF records", f->domain, n);
	} else if (!spfkept_parse(r, k, &f->rec, &why)) {
		c->b_perm = true;
		snprintf(c->reason, sizeof c->reason, "SPF record of %s: %s", f->domain, why);
	} else {
		c->b_match = true;
	}
}

/* spf_take_mx - the names of an MX answer; more than SPF_MAX_NAMES is a permerror */
static void spf_take_mx(struct spf_check *c, const struct dns_result *r)
{
	c->nnames = 0;
	for (size_t i = 0; i < r->count; i++) {
		const char *sp = strchr(r->records[i], ' ');

		if (!sp || strcmp(sp + 1, ".") == 0)
			continue; /* null MX (RFC 7505): no host */
		if (c->nnames == SPF_MAX_NAMES) {
			c->b_perm = true;
			return;
		}
		if (spf_name_copy(sp + 1, c->names[c->nnames]))
			c->nnames++;
	}
}

/* spf_take_ptr - the first SPF_MAX_NAMES names of the client's PTR answer */
static void spf_take_ptr(struct spf_check *c, const struct dns_result *r)
{
	c->nvnames = 0;
	for (size_t i = 0; i < r->count && c->nvnames < SPF_MAX_NAMES; i++) {
		if (spf_name_copy(r->records[i], c->vnames[c->nvnames]))
			c->vname_ok[c->nvnames++] = false;
	}
}

/* spf_cb - a query's answer: note what it says for the batch */
static void spf_cb(void *arg, const struct dns_result *r)
{
	struct spf_query *q = arg;
	struct spf_check *c = q->c;
	const struct spfrec_term *t = NULL;
	bool answer = r->rcode == DNS_ANSWER && r->count > 0;

	c->pending--;
	if (c->abandoned || c->step == SPF_STEP_DONE) {
		if (c->abandoned && !c->pending)
			spf_free(c);
		free(q);
		return;
	}
	if (dns_rcode_temporary(r->rcode))
		c->b_temp = true;
	else if (!answer)
		c->b_void = true;
	if (c->step == SPF_STEP_TERM && c->depth && spf_top(c)->term < spf_top(c)->rec.nterms)
		t = &spf_top(c)->rec.terms[spf_top(c)->term];
	for (size_t i = 0; answer && i < r->count; i++) {
		switch (q->wait) {
		case SPF_W_ADDR:
		case SPF_W_MX_ADDR:
			if (t && spf_addr_match(c, r->records[i], t->cidr4, t->cidr6))
				c->b_match = true;
			break;
		case SPF_W_VAL_ADDR:
			if (q->idx < c->nvnames && spf_addr_match(c, r->records[i], 32, 128))
				c->vname_ok[q->idx] = true;
			break;
		case SPF_W_EXISTS:
			c->b_match = true;
			break;
		default:
			break;
		}
	}
	if (answer && q->wait == SPF_W_RECORD)
		spf_take_record(c, r);
	else if (answer && q->wait == SPF_W_MX)
		spf_take_mx(c, r);
	else if (answer && q->wait == SPF_W_VAL_PTR)
		spf_take_ptr(c, r);
	else if (answer && q->wait == SPF_W_EXP && r->count == 1 && r->lengths[0] == strlen(r->records[0]) &&
		 r->lengths[0] <= SPFREC_MAX_LEN) {
		memcpy(c->exp_text, r->records[0], r->lengths[0] + 1);
		c->have_exp_text = true;
	}
	free(q);
	if (!c->pending)
		spf_run(c);
}

/* spf_count_void - count a void lookup; false (permerror given) past the limit */
static bool spf_count_void(struct spf_check *c)
{
	if (++c->voids <= SPF_MAX_VOID)
		return true;
	spf_finish(c, DKMOD_SPF_PERMERROR, "more than %d void lookups", SPF_MAX_VOID);
	return false;
}

/* spf_within - whether name is domain or below it (case-insensitive) */
static bool spf_within(const char *name, const char *domain)
{
	size_t nl = strlen(name), dl = strlen(domain);

	return nl >= dl && strcasecmp(name + nl - dl, domain) == 0 && (nl == dl || name[nl - dl - 1] == '.');
}

/* spf_env - the macro values for the top frame */
static void spf_env(struct spf_check *c, struct spfrec_env *env)
{
	const char *domain = c->depth ? spf_top(c)->domain : c->sender_domain;

	memset(env, 0, sizeof *env);
	env->sender = c->sender;
	env->local = c->local;
	env->sender_domain = c->sender_domain;
	env->domain = domain;
	env->ip = c->ip;
	env->ipv6 = c->ipv6;
	env->helo = c->helo;
	env->receiver = c->receiver[0] ? c->receiver : NULL;
	env->now = c->now;
	/* p: a validated name in the domain if there is one, else any (RFC 7208 7.3) */
	for (size_t i = 0; i < c->nvnames; i++) {
		bool inside = spf_within(c->vnames[i], domain);

		if (!c->vname_ok[i])
			continue;
		if (!env->validated || inside)
			env->validated = c->vnames[i];
		if (inside)
			break;
	}
}

/* spf_validate - start finding the validated names (PTR, then their addresses) */
static void spf_validate(struct spf_check *c)
{
	char rev[80];
	size_t o = 0;

	if (c->ipv6) {
		for (int i = 15; i >= 0; i--)
			o += (size_t)snprintf(rev + o, sizeof rev - o, "%x.%x.", c->ip[i] & 15, c->ip[i] >> 4);
		snprintf(rev + o, sizeof rev - o, "ip6.arpa");
	} else {
		snprintf(rev, sizeof rev, "%u.%u.%u.%u.in-addr.arpa", c->ip[3], c->ip[2], c->ip[1], c->ip[0]);
	}
	c->nvnames = 0;
	spf_begin(c, SPF_W_VAL_PTR);
	spf_ask(c, rev, DNS_TYPE_PTR, 0);
}

/* spf_expand - expand spec into out for the top frame; 1 done, 0 waiting for the
 * validated names (the step runs again), -1 on an error */
static int spf_expand(struct spf_check *c, const char *spec, bool explain, char *out, size_t outsz)
{
	struct spfrec_env env;

	if (spfrec_uses_p(spec) && !c->validated) {
		spf_validate(c);
		return 0;
	}
	spf_env(c, &env);
	return spfrec_expand(spec, explain, &env, out, outsz) < 0 ? -1 : 1;
}

/* spf_frame_result - the record of the top frame gave r (pass, fail, softfail or neutral) */
static void spf_frame_result(struct spf_check *c, enum dkmod_spf_result r)
{
	struct spf_frame *f = spf_top(c);

	if (c->depth > 1) {
		/* an include: pass matches, the others do not (RFC 7208 5.2) */
		free(f);
		c->depth--;
		f = spf_top(c);
		c->step = SPF_STEP_TERM;
		c->term_counted = false;
		if (r == DKMOD_SPF_PASS) {
			const char *parts[] = {"mechanism ", spfrec_mech_str(f->rec.terms[f->term].mech), " matched in ",
					       f->domain};
			str_join(c->reason, sizeof c->reason, parts, 4);
			spf_frame_result(c, f->rec.terms[f->term].qualifier);
		} else {
			f->term++;
		}
		return;
	}
	c->result = r;
	if (r == DKMOD_SPF_FAIL && f->rec.exp) {
		c->step = SPF_STEP_EXP;
		return;
	}
	c->step = SPF_STEP_DONE;
}

/* spf_match - the current term matched or not */
static void spf_match(struct spf_check *c, bool matched)
{
	struct spf_frame *f = spf_top(c);
	const struct spfrec_term *t = &f->rec.terms[f->term];

	c->term_counted = false;
	if (!matched) {
		f->term++;
		return;
	}
	const char *parts[] = {"mechanism ", spfrec_mech_str(t->mech), t->spec ? ":" : "", t->spec, " matched in ",
			       f->domain};
	str_join(c->reason, sizeof c->reason, parts, 6);
	spf_frame_result(c, t->qualifier);
}

/* spf_count_term - count a DNS-querying term once; false (permerror given) past the limit */
static bool spf_count_term(struct spf_check *c)
{
	if (c->term_counted)
		return true;
	c->term_counted = true;
	if (++c->dns_terms <= SPF_MAX_DNS_TERMS)
		return true;
	spf_finish(c, DKMOD_SPF_PERMERROR, "more than %d DNS-querying terms", SPF_MAX_DNS_TERMS);
	return false;
}

/* spf_target - the domain of a term or modifier into c->target; 1 ready, 0 waiting, -1 error */
static int spf_target(struct spf_check *c, const char *spec)
{
	int e;

	if (!spec) {
		str_copy(c->target, sizeof c->target, spf_top(c)->domain);
		return 1;
	}
	e = spf_expand(c, spec, false, c->target, sizeof c->target);
	if (e == 1 && !spfrec_domain(c->target))
		return -1;
	return e;
}

/* spf_ptr_match - whether a validated name is the target or below it (RFC 7208 5.5) */
static bool spf_ptr_match(const struct spf_check *c)
{
	for (size_t i = 0; i < c->nvnames; i++)
		if (c->vname_ok[i] && spf_within(c->vnames[i], c->target))
			return true;
	return false;
}

/* spf_redirect - no mechanism matched: follow redirect= or give neutral */
static void spf_redirect(struct spf_check *c)
{
	struct spf_frame *f = spf_top(c);
	int e;

	if (!f->rec.redirect) {
		snprintf(c->reason, sizeof c->reason, "no mechanism matched in %s", f->domain);
		spf_frame_result(c, DKMOD_SPF_NEUTRAL);
		return;
	}
	if (!spf_count_term(c))
		return;
	e = spf_target(c, f->rec.redirect);
	if (e == 0)
		return;
	if (e < 0) {
		spf_finish(c, DKMOD_SPF_PERMERROR, "redirect= of %s: bad domain", f->domain);
		return;
	}
	/* the frame is replaced: the target's record and exp= count, not this one's */
	c->term_counted = false;
	snprintf(f->domain, sizeof f->domain, "%.253s", c->target);
	f->optional = false;
	f->term = 0;
	c->step = SPF_STEP_RECORD;
}

/* spf_term - evaluate the current term, or start its lookups */
static void spf_term(struct spf_check *c)
{
	struct spf_frame *f = spf_top(c);
	const struct spfrec_term *t;
	int e;

	if (f->term >= f->rec.nterms) {
		spf_redirect(c);
		return;
	}
	t = &f->rec.terms[f->term];
	switch (t->mech) {
	case SPFREC_ALL:
		spf_match(c, true);
		return;
	case SPFREC_IP4:
	case SPFREC_IP6:
		spf_match(c, c->ipv6 == (t->mech == SPFREC_IP6) &&
				     spf_prefix_match(t->addr, c->ip, c->ipv6 ? t->cidr6 : t->cidr4));
		return;
	default:
		break;
	}
	if (!spf_count_term(c) || (e = spf_target(c, t->spec)) == 0)
		return;
	if (e < 0) {
		if (t->mech == SPFREC_INCLUDE)
			spf_finish(c, DKMOD_SPF_PERMERROR, "include:%s in %s: bad domain", t->spec, f->domain);
		else
			spf_match(c, false); /* a name that cannot exist matches nothing */
		return;
	}
	switch (t->mech) {
	case SPFREC_A:
		spf_begin(c, SPF_W_ADDR);
		spf_ask(c, c->target, spf_addr_type(c), 0);
		break;
	case SPFREC_EXISTS:
		spf_begin(c, SPF_W_EXISTS);
		spf_ask(c, c->target, DNS_TYPE_A, 0);
		break;
	case SPFREC_MX:
		spf_begin(c, SPF_W_MX);
		spf_ask(c, c->target, DNS_TYPE_MX, 0);
		break;
	case SPFREC_PTR:
		if (c->validated) {
			spf_match(c, spf_ptr_match(c));
		} else {
			c->validate_for_ptr = true;
			spf_validate(c);
		}
		break;
	case SPFREC_INCLUDE:
		if (spf_push(c, c->target, false))
			c->term_counted = false;
		break;
	default:
		break;
	}
}

/* spf_exp - fetch and expand the explanation of a fail (RFC 7208 6.2) */
static void spf_exp(struct spf_check *c)
{
	struct spf_frame *f = spf_top(c);
	char text[SPFREC_MAX_EXPANSION + 1];
	int e;

	if (!c->have_exp_text) {
		e = spf_expand(c, f->rec.exp, false, c->target, sizeof c->target);
		if (e == 0)
			return;
		if (e < 0 || !spfrec_domain(c->target)) {
			c->step = SPF_STEP_DONE; /* no explanation, the fail stands */
			return;
		}
		spf_begin(c, SPF_W_EXP);
		spf_ask(c, c->target, DNS_TYPE_TXT, 0);
		return;
	}
	e = spf_expand(c, c->exp_text, true, text, sizeof text);
	if (e == 0)
		return;
	if (e > 0)
		snprintf(c->explanation, sizeof c->explanation, "%s", text);
	c->step = SPF_STEP_DONE;
}

/* spf_batch_done - every answer of the batch is in: decide what it means */
static void spf_batch_done(struct spf_check *c, enum spf_wait w)
{
	struct spf_frame *f = c->depth ? spf_top(c) : NULL;

	switch (w) {
	case SPF_W_RECORD:
		if (c->b_perm)
			spf_finish(c, DKMOD_SPF_PERMERROR, "%s", c->reason);
		else if (c->b_temp)
			spf_finish(c, DKMOD_SPF_TEMPERROR, "DNS error looking up the SPF record of %s", f->domain);
		else if (!c->b_match && f->optional)
			spf_finish(c, DKMOD_SPF_NONE, "no SPF record at %s", f->domain);
		else if (!c->b_match)
			spf_finish(c, DKMOD_SPF_PERMERROR, "no SPF record at %s (include or redirect target)", f->domain);
		else
			c->step = SPF_STEP_TERM;
		return;
	case SPF_W_ADDR:
	case SPF_W_EXISTS:
		if (c->b_temp)
			spf_finish(c, DKMOD_SPF_TEMPERROR, "DNS error looking up %s", c->target);
		else if (!c->b_void || spf_count_void(c))
			spf_match(c, c->b_match);
		return;
	case SPF_W_MX:
		if (c->b_perm) {
			spf_finish(c, DKMOD_SPF_PERMERROR, "%s has more than %d MX names", c->target, SPF_MAX_NAMES);
		} else if (c->b_temp) {
			spf_finish(c, DKMOD_SPF_TEMPERROR, "DNS error looking up the MX of %s", c->target);
		} else if (c->b_void) {
			c->nnames = 0;
			if (spf_count_void(c))
				spf_match(c, false);
		} else {
			spf_begin(c, SPF_W_MX_ADDR);
			for (size_t i = 0; i < c->nnames; i++)
				spf_ask(c, c->names[i], spf_addr_type(c), i);
		}
		return;
	case SPF_W_MX_ADDR:
		if (c->b_match)
			spf_match(c, true);
		else if (c->b_temp)
			spf_finish(c, DKMOD_SPF_TEMPERROR, "DNS error looking up the MX hosts of %s", c->target);
		else
			spf_match(c, false);
		return;
	case SPF_W_VAL_PTR:
		/* a DNS error makes ptr match nothing and p "unknown" (RFC 7208 5.5, 7.3) */
		if (c->b_temp || c->b_void)
			c->nvnames = 0;
		spf_begin(c, SPF_W_VAL_ADDR);
		for (size_t i = 0; i < c->nvnames; i++)
			spf_ask(c, c->vnames[i], spf_addr_type(c), i);
		return;
	case SPF_W_VAL_ADDR:
		c->validated = true;
		if (c->validate_for_ptr) {
			c->validate_for_ptr = false;
			spf_match(c, spf_ptr_match(c));
		}
		return;
	case SPF_W_EXP:
		c->step = c->have_exp_text ? SPF_STEP_EXP : SPF_STEP_DONE;
		return;
	case SPF_W_NONE:
		return;
	}
}

/* spf_run - go on until the check waits for DNS or is done */
static void spf_run(struct spf_check *c)
{
	while (c->step != SPF_STEP_DONE && !c->pending) {
		enum spf_wait w = c->wait;

		if (w != SPF_W_NONE) {
			c->wait = SPF_W_NONE;
			spf_batch_done(c, w);
			continue;
		}
		switch (c->step) {
		case SPF_STEP_RECORD:
			spf_begin(c, SPF_W_RECORD);
			spf_ask(c, spf_top(c)->domain, DNS_TYPE_TXT, 0);
			break;
		case SPF_STEP_TERM:
			spf_term(c);
			break;
		case SPF_STEP_EXP:
			spf_exp(c);
			break;
		case SPF_STEP_DONE:
			break;
		}
	}
}

/* spf_fqdn - whether a domain may be checked at all (RFC 7208 4.3): labels of 1 to 63
 * octets, at least two of them, no address literal */
static bool spf_fqdn(const char *domain)
{
	char copy[SPF_NAME_SIZE + 1];

	if (!domain[0] || domain[0] == '[' || strlen(domain) > SPFREC_MAX_DOMAIN + 1)
		return false;
	str_copy(copy, sizeof copy, domain);
	return spfrec_domain(copy) && strchr(copy, '.') != NULL;
}

/* spf_set_sender - the sender, its local part and domain for the scope (RFC 7208 2.4, 4.3);
 * false if one of them is too long to keep whole */
static bool spf_set_sender(struct spf_check *c, const struct spf_request *req)
{
	const char *mf = req->mail_from ? req->mail_from : "";
	const char *at = strrchr(mf, '@');
	const char *domain = at ? at + 1 : mf;
	size_t l = 0, d, h;

	if (req->scope == SPF_SCOPE_HELO || !mf[0])
		domain = req->helo ? req->helo : "";
	if (req->scope == SPF_SCOPE_HELO || !mf[0] || !at || at == mf)
		str_copy(c->local, sizeof c->local, "postmaster");
	else
		l = str_copy_n(c->local, sizeof c->local, mf, (size_t)(at - mf));
	d = str_copy(c->sender_domain, sizeof c->sender_domain, domain);
	h = str_copy(c->helo, sizeof c->helo, req->helo ? req->helo : "");
	const char *parts[] = {c->local, "@", c->sender_domain};
	str_join(c->sender, sizeof c->sender, parts, 3);
	return l < sizeof c->local && d < sizeof c->sender_domain && h < sizeof c->helo;
}

/* spf_start - start a check on resolver d */
struct spf_check *spf_start(struct dns *d, const struct spf_request *req, const char **why)
{
	struct spf_check *c;
	unsigned char a[16];
	const char *ignored;

	if (!why)
		why = &ignored;
	c = malloc(sizeof *c);
	if (!c) {
		*why = "out of memory";
		return NULL;
	}
	memset(c, 0, offsetof(struct spf_check, sender));
	c->target[0] = c->reason[0] = c->explanation[0] = '\0';
	if (req->ip && inet_pton(AF_INET, req->ip, c->ip) == 1) {
		c->ipv6 = false;
	} else if (req->ip && inet_pton(AF_INET6, req->ip, a) == 1) {
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		c->ipv6 = memcmp(a, mapped, 12) != 0; /* an IPv4-mapped address is IPv4 (RFC 7208 5) */
		memcpy(c->ip, c->ipv6 ? a : a + 12, c->ipv6 ? 16 : 4);
	} else {
		free(c);
		*why = "the client IP is not an IPv4 or IPv6 address";
		return NULL;
	}
	c->d = d;
	c->scope = req->scope;
	c->now = req->now;
	str_copy(c->receiver, sizeof c->receiver, req->receiver ? req->receiver : "");
	bool fits = spf_set_sender(c, req);
	str_copy(c->first_domain, sizeof c->first_domain, c->sender_domain);
	str_copy(c->identity, sizeof c->identity, c->scope == SPF_SCOPE_HELO ? c->helo : c->sender);
	spf_printable(c->identity);
	if (!fits)
		spf_finish(c, DKMOD_SPF_NONE, "the sender or HELO name is too long to be checked");
	else if (!spf_fqdn(c->sender_domain))
		spf_finish(c, DKMOD_SPF_NONE, "%s is not a domain SPF can check", c->sender_domain[0] ? c->sender_domain : "\"\"");
	else if (spf_push(c, c->sender_domain, true))
		spf_run(c);
	return c;
}

/* spf_done - whether the check has its verdict */
bool spf_done(const struct spf_check *c)
{
	return c && c->step == SPF_STEP_DONE;
}

/* spf_result - the verdict (temperror if the check is not done) */
void spf_result(const struct spf_check *c, struct spf_outcome *out)
{
	memset(out, 0, sizeof *out);
	out->result = spf_done(c) ? c->result : DKMOD_SPF_TEMPERROR;
	out->scope = c->scope;
	out->identity = c->identity;
	out->domain = c->first_domain;
	out->explanation = out->result == DKMOD_SPF_FAIL ? c->explanation : "";
	out->reason = spf_done(c) ? c->reason : "the lookups did not finish in time";
	out->dns_terms = c->dns_terms;
	out->void_lookups = c->voids;
}

/* spf_free - free a check; with queries still outstanding it is freed when the last one ends */
void spf_free(struct spf_check *c)
{
	if (!c)
		return;
	if (c->pending) {
		c->abandoned = true;
		return;
	}
	for (size_t i = 1; i < c->depth; i++)
		free(c->frames[i]);
	free(c);
}
