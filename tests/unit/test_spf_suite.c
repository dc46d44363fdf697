/*
 * test_spf_suite.c - the openspf RFC 7208 test suite (../shared/interop/spf,
 * beside the project, never copied into it) run through method/spf.c.
 *
 * tests/interop/spf_suite.py turns the YAML into lines; each scenario's
 * zonedata is served by the test-only implementation of dns/dns.h below,
 * linked instead of dns_unbound.c (the archive member is not pulled in when
 * these symbols are already defined).  tests/interop/t_spf_suite_unbound.sh
 * runs the same suite through libunbound and `dkmod spf`; this run adds the
 * sanitizers (san/test_spf_suite), needs no server process, and keeps the
 * suite's TIMEOUT entries exact (a time-out per name and type, where the
 * libunbound run can only send a whole name to a silent server).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "method/spf.h"
#include "unit.h"

/* the interpreter every test uses (tests/lib/common.sh: PYTHON) */
#define SUITE_PYTHON "/usr/bin/python3"

#define SUITE_MAX_RR 256
#define SUITE_MAX_CNAME 8

struct suite_rr {
	char *name;
	char type[8];
	char *data;
	size_t len;        /* data may hold NUL (the a-null case) */
};

static struct suite_rr suite_zone[SUITE_MAX_RR];
static size_t suite_nrr;

struct suite_query {
	struct suite_query *next;
	char *name;
	enum dns_type type;
	dns_callback *cb;
	void *arg;
};

struct dns {
	struct suite_query *head, **tail;
	size_t pending;
};

/* dns_new - the suite's resolver: answers from suite_zone */
struct dns *dns_new(const struct dkmod_resolver_options *opt, const char **why)
{
	struct dns *d = calloc(1, sizeof *d);

	if (d)
		d->tail = &d->head;
	return d;
}

/* dns_query - queue a lookup, answered from dns_wait */
int dns_query(struct dns *d, const char *name, enum dns_type type, dns_callback *cb, void *arg)
{
	struct suite_query *q = calloc(1, sizeof *q);

	if (!q || !(q->name = strdup(name))) {
		free(q);
		return -1;
	}
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	*d->tail = q;
	d->tail = &q->next;
	d->pending++;
	return 0;
}

/* suite_same - names equal ignoring case and a final dot */
static bool suite_same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* suite_type_name - the zonedata spelling of a query type */
static const char *suite_type_name(enum dns_type t)
{
	switch (t) {
	case DNS_TYPE_TXT: return "TXT";
	case DNS_TYPE_A: return "A";
	case DNS_TYPE_AAAA: return "AAAA";
	case DNS_TYPE_MX: return "MX";
	case DNS_TYPE_PTR: return "PTR";
	}
	return "?";
}

/* suite_cmp - bytewise order of records, as the real backend sorts TXT */
static int suite_cmp(const void *a, const void *b)
{
	const struct suite_rr *x = *(const struct suite_rr *const *)a, *y = *(const struct suite_rr *const *)b;
	int c = memcmp(x->data, y->data, x->len < y->len ? x->len : y->len);

	return c ? c : x->len < y->len ? -1 : x->len > y->len;
}

/* suite_timeout - whether the name times out for this type: it has a TIMEOUT entry and
 * no record of the type (as the suite's spftimeout and txttimeout cases read) */
static bool suite_timeout(const char *name, const char *type)
{
	bool timeout = false;

	for (size_t i = 0; i < suite_nrr; i++) {
		if (!suite_same(suite_zone[i].name, name))
			continue;
		if (strcmp(suite_zone[i].type, type) == 0)
			return false;
		timeout = timeout || strcmp(suite_zone[i].type, "TIMEOUT") == 0;
	}
	return timeout;
}

/* suite_answer - the answer to one query from the zone, CNAMEs followed */
static void suite_answer(struct suite_query *q)
{
	const struct suite_rr *found[SUITE_MAX_RR];
	const char *records[SUITE_MAX_RR];
	size_t lengths[SUITE_MAX_RR], n = 0;
	char name[1100], trimmed[SUITE_MAX_RR][300];
	const char *type = suite_type_name(q->type);
	struct dns_result r = { 0 };

	snprintf(name, sizeof name, "%s", q->name);
	r.why = "";
	r.rcode = DNS_SERVFAIL; /* a CNAME chain too long, or a loop */
	for (int hop = 0; hop < SUITE_MAX_CNAME; hop++) {
		const char *cname = NULL;
		bool exists = false;

		if (suite_timeout(name, type)) {
			r.rcode = DNS_TIMEOUT;
			break;
		}
		n = 0;
		for (size_t i = 0; i < suite_nrr; i++) {
			if (!suite_same(suite_zone[i].name, name))
				continue;
			exists = true;
			if (strcmp(suite_zone[i].type, "CNAME") == 0)
				cname = suite_zone[i].data;
			if (strcmp(suite_zone[i].type, type) == 0)
				found[n++] = &suite_zone[i];
		}
		if (n || !cname) {
			r.rcode = n ? DNS_ANSWER : exists ? DNS_NODATA : DNS_NXDOMAIN;
			break;
		}
		snprintf(name, sizeof name, "%s", cname);
	}
	if (q->type == DNS_TYPE_TXT)
		qsort(found, n, sizeof found[0], suite_cmp);
	for (size_t i = 0; i < n; i++) {
		records[i] = found[i]->data;
		lengths[i] = found[i]->len;
		if (q->type != DNS_TYPE_TXT && lengths[i] > 1 && records[i][lengths[i] - 1] == '.') {
			/* names come without the final dot, like dns_unbound.c's */
			snprintf(trimmed[i], sizeof trimmed[i], "%.*s", (int)lengths[i] - 1, records[i]);
			records[i] = trimmed[i];
			lengths[i]--;
		}
	}
	if (r.rcode == DNS_ANSWER) {
		r.records = records;
		r.lengths = lengths;
		r.count = n;
	}
	q->cb(q->arg, &r);
}

/* dns_query_shared - no shared cache here: as dns_query */
int dns_query_shared(struct dns *d, const char *name, enum dns_type type, dns_callback *cb, void *arg)
{
	return dns_query(d, name, type, cb, arg);
}

/* dns_set_cache - no shared cache here */
void dns_set_cache(struct dns *d, const struct dns_cache_hooks *hooks)
{
	(void)d;
	(void)hooks;
}

/* dns_wait - answer every query in the order asked, also those the callbacks start */
void dns_wait(struct dns *d, long long deadline_ms)
{
	struct suite_query *q;

	while ((q = d->head) != NULL) {
		d->head = q->next;
		if (!d->head)
			d->tail = &d->head;
		d->pending--;
		suite_answer(q);
		free(q->name);
		free(q);
	}
}

/* dns_pending - number of outstanding queries */
size_t dns_pending(const struct dns *d)
{
	return d->pending;
}

/* dns_free - free the resolver */
void dns_free(struct dns *d)
{
	free(d);
}

/* suite_unhex_len - decode a hex field in place; its length */
static size_t suite_unhex_len(char *s)
{
	size_t n = strlen(s) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		sscanf(s + 2 * i, "%2x", &v);
		s[i] = (char)v;
	}
	s[n] = '\0';
	return n;
}

/* suite_unhex - decode a hex field in place */
static char *suite_unhex(char *s)
{
	suite_unhex_len(s);
	return s;
}

/* suite_reset - forget the previous scenario's zone */
static void suite_reset(void)
{
	for (size_t i = 0; i < suite_nrr; i++) {
		free(suite_zone[i].name);
		free(suite_zone[i].data);
	}
	suite_nrr = 0;
}

/* suite_allowed - whether the result is one of the comma-separated expected ones */
static bool suite_allowed(const char *list, enum dkmod_spf_result r)
{
	char copy[200], *save, *w;

	snprintf(copy, sizeof copy, "%s", list);
	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save))
		if (dkmod_spf_result_parse(w) == (int)r)
			return true;
	return false;
}

static int suite_run, suite_passed;

/* suite_test - one test case of the current scenario */
static void suite_test(const char *scenario, char **f)
{
	char name[400], detail[1400];
	struct spf_request req = { 0 };
	struct spf_outcome out;
	struct spf_check *c;
	struct dns *d = dns_new(NULL, NULL);
	const char *exp = strcmp(f[6], "-") == 0 ? NULL : suite_unhex(f[6]);
	bool ok;

	snprintf(name, sizeof name, "spf suite: %s: %s", scenario, suite_unhex(f[1]));
	req.ip = suite_unhex(f[2]);
	req.helo = suite_unhex(f[3]);
	req.mail_from = suite_unhex(f[4]);
	req.receiver = "receiver.example.net";
	req.now = 1400000000;
	c = spf_start(d, &req, NULL);
	dns_wait(d, 0);
	if (!c) {
		unit_check(0, __FILE__, __LINE__, name, "spf_start failed");
		dns_free(d);
		return;
	}
	spf_result(c, &out);
	ok = suite_allowed(f[5], out.result);
	/* "DEFAULT": the implementation's own explanation, i.e. none from exp=.  Case is
	 * ignored: v-macro-ip6 writes the nibbles of %{ir} upper case, RFC 7208 7.4's
	 * example lower case (test_spfrec.c checks that one); they name the same DNS labels. */
	if (ok && exp && out.result == DKMOD_SPF_FAIL)
		ok = strcmp(exp, "DEFAULT") == 0 ? out.explanation[0] == '\0' : strcasecmp(exp, out.explanation) == 0;
	snprintf(detail, sizeof detail, "got %s (%s) explanation \"%s\", want %s%s%s", dkmod_spf_result_name(out.result),
		 out.reason, out.explanation, f[5], exp ? " explanation " : "", exp ? exp : "");
	unit_check(ok, __FILE__, __LINE__, name, detail);
	suite_run++;
	suite_passed += ok;
	spf_free(c);
	dns_free(d);
}

/* suite_line - one line of the converted suite */
static void suite_line(char *line, char *scenario, size_t scenario_size)
{
	char *f[8] = { 0 }, *p = line, *tok;
	size_t n = 0;

	line[strcspn(line, "\n")] = '\0';
	while (n < 8 && (tok = strsep(&p, "\t")) != NULL)
		f[n++] = tok;
	if (n >= 2 && strcmp(f[0], "S") == 0) {
		suite_reset();
		snprintf(scenario, scenario_size, "%s", suite_unhex(f[1]));
	} else if (n >= 4 && strcmp(f[0], "Z") == 0 && suite_nrr < SUITE_MAX_RR) {
		struct suite_rr *rr = &suite_zone[suite_nrr++];

		rr->name = strdup(suite_unhex(f[1]));
		snprintf(rr->type, sizeof rr->type, "%s", f[2]);
		rr->len = suite_unhex_len(f[3]);
		rr->data = malloc(rr->len + 1);
		memcpy(rr->data, f[3], rr->len + 1);
	} else if (n >= 7 && strcmp(f[0], "T") == 0) {
		suite_test(scenario, f);
	}
}

/* test_lifecycle - a check read before its answers, and one freed with lookups outstanding */
static void test_lifecycle(void)
{
	struct spf_request req = { .ip = "192.0.2.1", .helo = "mail.example.org", .mail_from = "a@example.com" };
	struct dns *d = dns_new(NULL, NULL);
	struct spf_check *c = spf_start(d, &req, NULL), *gone;
	struct spf_outcome out;

	spf_result(c, &out);
	CHECK("spf: not done before dns_wait", !spf_done(c) && dns_pending(d) == 1);
	CHECK("spf: unfinished reads as temperror", out.result == DKMOD_SPF_TEMPERROR);
	gone = spf_start(d, &req, NULL);
	spf_free(gone); /* freed by its last callback (ASan checks) */
	dns_wait(d, 0);
	spf_result(c, &out);
	CHECK("spf: done after dns_wait", spf_done(c) && dns_pending(d) == 0);
	CHECK("spf: no record: none", out.result == DKMOD_SPF_NONE && strcmp(out.identity, "a@example.com") == 0);
	CHECK("spf: a bad client address is refused", !spf_start(d, &(struct spf_request){ .ip = "1.2.3" }, NULL));
	spf_free(c);
	dns_free(d);
}

/* suite_add - one record of a hand-made zone */
static void suite_add(const char *name, const char *type, const char *data)
{
	struct suite_rr *rr = &suite_zone[suite_nrr++];

	rr->name = strdup(name);
	snprintf(rr->type, sizeof rr->type, "%s", type);
	rr->data = strdup(data);
	rr->len = strlen(data);
}

/* test_other_cb - an unrelated lookup of the same message */
static void test_other_cb(void *arg, const struct dns_result *r)
{
	*(int *)arg = r->rcode == DNS_ANSWER ? 1 : -1;
}

/* test_parallel - two checks and another lookup share one resolver and one dns_wait */
static void test_parallel(void)
{
	struct spf_request a = { .ip = "192.0.2.10", .helo = "h.example.org", .mail_from = "u@example.com" };
	struct spf_request b = { .ip = "2001:db8::10", .helo = "h.example.org", .mail_from = "u@other.example" };
	struct dns *d = dns_new(NULL, NULL);
	struct spf_outcome oa, ob;
	struct spf_check *ca, *cb;
	int other = 0;

	suite_add("example.com", "TXT", "v=spf1 mx -all");
	suite_add("example.com", "MX", "10 mx.example.com");
	suite_add("mx.example.com", "A", "192.0.2.10");
	suite_add("mx.example.com", "AAAA", "2001:db8::10");
	suite_add("other.example", "TXT", "v=spf1 include:example.com -all");
	suite_add("sel._domainkey.example.com", "TXT", "v=DKIM1; p=");
	ca = spf_start(d, &a, NULL);
	cb = spf_start(d, &b, NULL);
	dns_query(d, "sel._domainkey.example.com", DNS_TYPE_TXT, test_other_cb, &other);
	CHECK_INT("spf parallel: all first lookups out at once", dns_pending(d), 3);
	dns_wait(d, 0);
	spf_result(ca, &oa);
	spf_result(cb, &ob);
	CHECK("spf parallel: mx over A", oa.result == DKMOD_SPF_PASS && oa.dns_terms == 1);
	CHECK("spf parallel: include, mx over AAAA", ob.result == DKMOD_SPF_PASS && ob.dns_terms == 2);
	CHECK("spf parallel: the other lookup answered", other == 1);
	spf_free(ca);
	spf_free(cb);
	dns_free(d);
	suite_reset();
}

/* main - the suite's own checks, then every case of the openspf suite */
int main(void)
{
	const char *top = getenv("DKMOD_TOP");
	char yml[4096], cmd[8400], line[70000], scenario[300] = "";
	FILE *p;
	int rc;

	test_lifecycle();
	test_parallel();
	snprintf(yml, sizeof yml, "%s/../shared/interop/spf/rfc7208-tests.yml", top ? top : ".");
	if (access(yml, R_OK) != 0) {
		printf("SKIP: spf suite: %s not found (the openspf suite lives beside the project in "
		       "../shared/interop/spf)\n", yml);
		return unit_failures ? 1 : 0;
	}
	if (access(SUITE_PYTHON, X_OK) != 0) {
		unit_lacks("spf suite", SUITE_PYTHON, "no " SUITE_PYTHON);
		return unit_failures ? 1 : 0;
	}
	if (system(SUITE_PYTHON " -c 'import yaml' 2>/dev/null") != 0) {
		unit_lacks("spf suite", "py:yaml", SUITE_PYTHON " cannot import yaml");
		return unit_failures ? 1 : 0;
	}
	snprintf(cmd, sizeof cmd, SUITE_PYTHON " '%s/tests/interop/spf_suite.py' '%s'", top ? top : ".", yml);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof line, p))
		suite_line(line, scenario, sizeof scenario);
	rc = p ? pclose(p) : -1;
	suite_reset();
	/* the tools are there: a suite that does not convert is a failure, not a skip */
	unit_check(rc == 0, __FILE__, __LINE__, "spf suite: the YAML converts", "tests/interop/spf_suite.py failed");
	printf("spf suite: %d cases run, %d passed\n", suite_run, suite_passed);
	unit_check(suite_run >= 200, __FILE__, __LINE__, "spf suite: every case ran", "fewer than 200 cases");
	return unit_failures ? 1 : 0;
}
