/*
 * test_dns.c - unit tests of the libunbound backend (core/dns/dns_unbound.c):
 * answers from a zone file served as local data, CNAMEs, negative answers,
 * names outside the file, and the deadline against a server that never
 * answers (a UDP socket of this test).  No traffic leaves 127.0.0.1.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns/dns.h"
#include "unit.h"

/* What one callback saw. */
struct test_got {
	int calls;
	enum dns_rcode rcode;
	enum dkmod_dnssec dnssec;
	size_t count;
	unsigned ttl;
	char records[2048];   /* records joined by '|' (NULs kept) */
	size_t records_len;
	size_t first_len;
	char why[200];
	struct dns *chain_dns;   /* if set, the callback starts a lookup of chain_name */
	const char *chain_name;
	struct test_got *chain_got;
};

static const char test_zone[] =
	"; test zone for test_dns.c\n"
	"$ORIGIN example.com.\n"
	"$TTL 300\n"
	"@ IN SOA ns hostmaster 1 3600 600 86400 60\n"
	"sel._domainkey TXT ( \"v=DKIM1; k=rsa; \" ; split key\n"
	"                     \"p=AAAA\" \"BBBB\" )\n"
	"two 120 TXT \"zeta\"\n"
	"    TXT \"alpha\"\n"
	"    TXT \"alpha-longer\"\n"
	"    TXT \"alph\"\n"
	"alias CNAME sel._domainkey\n"
	"chain1 CNAME chain2\n"
	"chain2 CNAME sel._domainkey\n"
	"loop1 CNAME loop2\n"
	"loop2 CNAME loop1\n"
	"dangling CNAME nothere\n"
	"www A 192.0.2.1\n"
	"v6 AAAA 2001:DB8:0:0::1\n"
	"1.2.0.192.in-addr.arpa. PTR Host.Example.COM.\n"
	"@ MX 10 mail\n"
	"bin TXT \"a\\000b\"\n"
	"semi TXT \"k=rsa;\" \"p=x\\\"y\"\n";

/* test_cb - record a result */
static void test_cb(void *arg, const struct dns_result *r)
{
	struct test_got *g = arg;
	size_t i;

	g->calls++;
	g->rcode = r->rcode;
	g->dnssec = r->dnssec;
	g->count = r->count;
	g->ttl = r->ttl;
	g->records_len = 0;
	g->first_len = r->count ? r->lengths[0] : 0;
	snprintf(g->why, sizeof g->why, "%s", r->why ? r->why : "(null)");
	for (i = 0; i < r->count; i++) {
		if (g->records_len + r->lengths[i] + 2 > sizeof g->records)
			break;
		if (i)
			g->records[g->records_len++] = '|';
		memcpy(g->records + g->records_len, r->records[i], r->lengths[i]);
		g->records_len += r->lengths[i];
		if (r->records[i][r->lengths[i]] != '\0')
			g->records_len = 0; /* not NUL-terminated: make the check fail */
	}
	g->records[g->records_len] = '\0';
	if (g->chain_dns)
		dns_query(g->chain_dns, g->chain_name, DNS_TYPE_TXT, test_cb, g->chain_got);
}

/* test_write - write text to dir/name; the path in out */
static bool test_write(const char *dir, const char *name, const char *text, char *out, size_t outlen)
{
	FILE *f;

	snprintf(out, outlen, "%s/%s", dir, name);
	f = fopen(out, "w");
	if (!f)
		return false;
	fputs(text, f);
	return fclose(f) == 0;
}

/* test_one - look up one name alone and wait up to two seconds */
static void test_one(struct dns *d, const char *name, enum dns_type type, struct test_got *g)
{
	memset(g, 0, sizeof *g);
	if (dns_query(d, name, type, test_cb, g) != 0) {
		g->rcode = DNS_ERROR;
		snprintf(g->why, sizeof g->why, "dns_query failed");
		g->calls = -1;
		return;
	}
	dns_wait(d, dns_now_ms() + 2000);
}

/* test_zone_answers - answers from the zone file */
static void test_zone_answers(const char *zone_path)
{
	struct dkmod_resolver_options opt = { 0 };
	struct test_got g, g2, g3;
	const char *why = NULL;
	struct dns *d;
	long long t0;

	opt.zone_file = zone_path;
	d = dns_new(&opt, &why);
	CHECK_STR("dns: new with zone file", d ? "" : why, "");
	if (!d)
		return;

	test_one(d, "sel._domainkey.example.com", DNS_TYPE_TXT, &g);
	CHECK_INT("dns: zone TXT: called once", g.calls, 1);
	CHECK_STR("dns: zone TXT: rcode", dns_rcode_name(g.rcode), "answer");
	CHECK_INT("dns: zone TXT: count", g.count, 1);
	CHECK_STR("dns: zone TXT: strings joined", g.records, "v=DKIM1; k=rsa; p=AAAABBBB");
	CHECK_INT("dns: zone TXT: ttl", g.ttl, 300);
	CHECK_INT("dns: zone TXT: insecure", g.dnssec, DKMOD_DNSSEC_INSECURE);
	CHECK_STR("dns: zone TXT: why empty", g.why, "");
	CHECK_INT("dns: zone TXT: nothing pending", dns_pending(d), 0);

	test_one(d, "two.example.com.", DNS_TYPE_TXT, &g);
	CHECK_STR("dns: several TXT: rcode", dns_rcode_name(g.rcode), "answer");
	CHECK_INT("dns: several TXT: count", g.count, 4);
	CHECK_STR("dns: several TXT: sorted", g.records, "alph|alpha|alpha-longer|zeta");
	CHECK_INT("dns: several TXT: ttl", g.ttl, 120);

	test_one(d, "semi.example.com", DNS_TYPE_TXT, &g);
	CHECK_STR("dns: TXT with ';' and escaped quote", g.records, "k=rsa;p=x\"y");

	test_one(d, "bin.example.com", DNS_TYPE_TXT, &g);
	CHECK_MEM("dns: TXT with NUL keeps its length", g.records, g.records_len, "a\0b", 3);

	test_one(d, "nope.example.com", DNS_TYPE_TXT, &g);
	CHECK_STR("dns: missing name: nxdomain", dns_rcode_name(g.rcode), "nxdomain");
	CHECK_INT("dns: missing name: count", g.count, 0);
	CHECK("dns: missing name: permanent", !dns_rcode_temporary(g.rcode));
	CHECK_INT("dns: missing name: negative TTL from the SOA", g.ttl, 60);

	test_one(d, "www.example.com", DNS_TYPE_TXT, &g);
	CHECK_STR("dns: other type: nodata", dns_rcode_name(g.rcode), "nodata");

	test_one(d, "example.com", DNS_TYPE_TXT, &g);
	CHECK_STR("dns: apex without TXT: nodata", dns_rcode_name(g.rcode), "nodata");

	test_one(d, "www.example.com", DNS_TYPE_A, &g);
	CHECK_STR("dns: A: answer", dns_rcode_name(g.rcode), "answer");
	CHECK_INT("dns: A: count", g.count, 1);
	CHECK_STR("dns: A: presentation form", g.records, "192.0.2.1");

	test_one(d, "example.com", DNS_TYPE_MX, &g);
	CHECK_STR("dns: MX: answer", dns_rcode_name(g.rcode), "answer");
	CHECK_INT("dns: MX: count", g.count, 1);
	CHECK_STR("dns: MX: presentation form", g.records, "10 mail.example.com");

	test_one(d, "v6.example.com", DNS_TYPE_AAAA, &g);
	CHECK_STR("dns: AAAA: presentation form", g.records, "2001:db8::1");

	test_one(d, "1.2.0.192.in-addr.arpa", DNS_TYPE_PTR, &g);
	CHECK_STR("dns: PTR: presentation form", g.records, "Host.Example.COM");

	test_one(d, "www.example.com", DNS_TYPE_AAAA, &g);
	CHECK_STR("dns: AAAA missing: nodata", dns_rcode_name(g.rcode), "nodata");

	test_one(d, "alias.example.com", DNS_TYPE_TXT, &g);
	CHECK_STR("dns: CNAME followed: rcode", dns_rcode_name(g.rcode), "answer");
	CHECK_STR("dns: CNAME followed: record", g.records, "v=DKIM1; k=rsa; p=AAAABBBB");

	test_one(d, "chain1.example.com", DNS_TYPE_TXT, &g);
	CHECK_STR("dns: CNAME chain followed", g.records, "v=DKIM1; k=rsa; p=AAAABBBB");

	test_one(d, "loop1.example.com", DNS_TYPE_TXT, &g);
	CHECK_STR("dns: CNAME loop: servfail", dns_rcode_name(g.rcode), "servfail");
	CHECK_INT("dns: CNAME loop: called once", g.calls, 1);

	test_one(d, "dangling.example.com", DNS_TYPE_TXT, &g);
	CHECK_STR("dns: dangling CNAME: nxdomain", dns_rcode_name(g.rcode), "nxdomain");

	t0 = dns_now_ms();
	test_one(d, "www.example.org", DNS_TYPE_TXT, &g);
	CHECK("dns: outside the zone: within 1 s", dns_now_ms() - t0 < 1000);
	CHECK("dns: outside the zone: not an answer", g.rcode != DNS_ANSWER && g.count == 0);
	CHECK("dns: outside the zone: temporary error", dns_rcode_temporary(g.rcode));
	CHECK_INT("dns: outside the zone: called once", g.calls, 1);

	/* several at once; callbacks only from dns_wait; a callback may start a lookup */
	memset(&g, 0, sizeof g);
	memset(&g2, 0, sizeof g2);
	memset(&g3, 0, sizeof g3);
	g.chain_dns = d;
	g.chain_name = "two.example.com";
	g.chain_got = &g3;
	CHECK_INT("dns: batch: query 1", dns_query(d, "alias.example.com", DNS_TYPE_TXT, test_cb, &g), 0);
	CHECK_INT("dns: batch: query 2", dns_query(d, "nope.example.com", DNS_TYPE_TXT, test_cb, &g2), 0);
	CHECK_INT("dns: batch: no callback inside dns_query", g.calls + g2.calls, 0);
	CHECK_INT("dns: batch: pending", dns_pending(d), 2);
	dns_wait(d, dns_now_ms() + 2000);
	CHECK_INT("dns: batch: pending after wait", dns_pending(d), 0);
	CHECK_STR("dns: batch: first", dns_rcode_name(g.rcode), "answer");
	CHECK_STR("dns: batch: second", dns_rcode_name(g2.rcode), "nxdomain");
	CHECK_INT("dns: batch: lookup started in a callback done", g3.calls, 1);
	CHECK_INT("dns: batch: its answer", g3.count, 4);
	CHECK_INT("dns: batch: each callback once", g.calls + g2.calls, 2);

	dns_free(d);
}

/* test_held_clock_queries - the lookups of name that go out past the memo, as dns_rounds counts them */
static unsigned test_held_clock_queries(struct dns *d, const char *name)
{
	struct test_got g;
	dns_rounds_reset(d);
	test_one(d, name, DNS_TYPE_TXT, &g);
	return g.rcode == DNS_ANSWER ? dns_rounds(d).queries : 99;
}

/* test_held_clock - under dns_hold_clock the memo reads the held time: an answer older than its
 * TTL at that time is asked again; answers are kept as of the clock dns_wait reads, not the
 * held time; released, the clock again (the TXT's TTL is 300 s) */
static void test_held_clock(const char *zone_path)
{
	struct dkmod_resolver_options opt = {.zone_file = zone_path};
	const char *why = NULL, *name = "sel._domainkey.example.com";
	struct dns *d = dns_new(&opt, &why);
	CHECK_STR("held clock: new", d ? "" : why, "");
	if (!d)
		return;
	long long t = dns_now_ms();
	CHECK_INT("held clock: the first lookup goes out", test_held_clock_queries(d, name), 1);
	CHECK_INT("held clock: the second is the memo's", test_held_clock_queries(d, name), 0);
	dns_hold_clock(d, t + 400000);
	CHECK_INT("held clock: 400 s on, the memo's answer is stale", test_held_clock_queries(d, name), 1);
	dns_hold_clock(d, t + 350000);
	CHECK_INT("held clock: that answer was kept as of the clock, stale 350 s on",
		  test_held_clock_queries(d, name), 1);
	dns_hold_clock(d, t + 100000);
	CHECK_INT("held clock: 100 s on, the memo's", test_held_clock_queries(d, name), 0);
	dns_hold_clock(d, 0);
	CHECK_INT("held clock: released, the memo's", test_held_clock_queries(d, name), 0);
	dns_free(d);
}

/* test_deadline - a stub to a server that never answers times out at the deadline */
static void test_deadline(const char *zone_path)
{
	struct dkmod_resolver_options opt = { 0 };
	struct test_got g, g2;
	const char *stubs[2] = { NULL, NULL };
	const char *why = NULL;
	char stub[100], buf[512];
	struct dns *d;
	long long t0, took;
	int fd, port = 0;

	fd = unit_silent_udp(&port);
	CHECK("dns: silent socket", fd >= 0);
	if (fd < 0)
		return;
	snprintf(stub, sizeof stub, "silent.test=127.0.0.1@%d", port);
	stubs[0] = stub;
	opt.stubs = stubs;
	d = dns_new(&opt, &why);
	CHECK_STR("dns: new with stub", d ? "" : why, "");
	if (d) {
		memset(&g, 0, sizeof g);
		CHECK_INT("dns: timeout: query", dns_query(d, "sel._domainkey.silent.test", DNS_TYPE_TXT, test_cb, &g), 0);
		t0 = dns_now_ms();
		dns_wait(d, t0 + 300);
		took = dns_now_ms() - t0;
		CHECK("dns: timeout: waited about 300 ms", took >= 290 && took < 1000);
		CHECK_STR("dns: timeout: rcode", dns_rcode_name(g.rcode), "timeout");
		CHECK_INT("dns: timeout: called once", g.calls, 1);
		CHECK("dns: timeout: temporary", dns_rcode_temporary(g.rcode));
		CHECK_INT("dns: timeout: nothing pending", dns_pending(d), 0);
		CHECK("dns: timeout: the silent server was asked",
		      recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 12);
		/* a second round on the same resolver still works */
		memset(&g, 0, sizeof g);
		dns_query(d, "other.silent.test", DNS_TYPE_TXT, test_cb, &g);
		t0 = dns_now_ms();
		dns_wait(d, t0 + 200);
		CHECK("dns: timeout again: in time", dns_now_ms() - t0 < 900);
		CHECK_STR("dns: timeout again: rcode", dns_rcode_name(g.rcode), "timeout");
		/* freed with a lookup outstanding: no callback, nothing leaked */
		memset(&g, 0, sizeof g);
		dns_query(d, "third.silent.test", DNS_TYPE_TXT, test_cb, &g);
		dns_free(d);
		CHECK_INT("dns: free with a lookup outstanding: no callback", g.calls, 0);
	}

	/* a forwarder that never answers: asked, then timed out */
	snprintf(stub, sizeof stub, "127.0.0.1@%d", port);
	stubs[0] = stub;
	opt.stubs = NULL;
	opt.forwarders = stubs;
	d = dns_new(&opt, &why);
	CHECK_STR("dns: new with forwarder", d ? "" : why, "");
	if (d) {
		memset(&g, 0, sizeof g);
		dns_query(d, "sel._domainkey.example.net", DNS_TYPE_TXT, test_cb, &g);
		t0 = dns_now_ms();
		dns_wait(d, t0 + 300);
		took = dns_now_ms() - t0;
		CHECK("dns: forwarder: deadline kept", took >= 290 && took < 1000);
		CHECK_STR("dns: forwarder: timeout", dns_rcode_name(g.rcode), "timeout");
		CHECK("dns: forwarder: it was asked", recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 12);
		dns_free(d);
	}
	opt.forwarders = NULL;
	snprintf(stub, sizeof stub, "silent.test=127.0.0.1@%d", port);
	opt.stubs = stubs;

	/* zone file and stub together: the file answers, the stub zone is still asked */
	opt.zone_file = zone_path;
	d = dns_new(&opt, &why);
	CHECK_STR("dns: new with zone file and stub", d ? "" : why, "");
	if (d) {
		memset(&g, 0, sizeof g);
		memset(&g2, 0, sizeof g2);
		dns_query(d, "x.silent.test", DNS_TYPE_TXT, test_cb, &g);
		dns_query(d, "sel._domainkey.example.com", DNS_TYPE_TXT, test_cb, &g2);
		t0 = dns_now_ms();
		dns_wait(d, t0 + 300);
		took = dns_now_ms() - t0;
		CHECK("dns: zone and stub: deadline kept", took >= 290 && took < 1000);
		CHECK_STR("dns: zone and stub: stub times out", dns_rcode_name(g.rcode), "timeout");
		CHECK_STR("dns: zone and stub: zone answers", dns_rcode_name(g2.rcode), "answer");
		CHECK("dns: zone and stub: the stub was asked", recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 12);
		memset(&g, 0, sizeof g);
		test_one(d, "elsewhere.example.org", DNS_TYPE_TXT, &g);
		CHECK("dns: zone and stub: outside both refused", g.rcode == DNS_SERVFAIL);
		dns_free(d);
	}
	close(fd);
}

/* test_no_soa - a file without SOA: its top names make the zone, negative TTLs stay short */
static void test_no_soa(const char *dir)
{
	struct dkmod_resolver_options opt = { 0 };
	const char *why = NULL;
	struct test_got g;
	char path[300];
	struct dns *d;

	if (!test_write(dir, "nosoa.zone", "a._domainkey.example.org. TXT \"k=ed25519; p=x\"\n", path, sizeof path)) {
		CHECK("dns: write zone without SOA", 0);
		return;
	}
	opt.zone_file = path;
	d = dns_new(&opt, &why);
	CHECK_STR("dns: zone without SOA loads", d ? "" : why, "");
	if (d) {
		test_one(d, "a._domainkey.example.org", DNS_TYPE_TXT, &g);
		CHECK_STR("dns: no SOA: answer", g.records, "k=ed25519; p=x");
		test_one(d, "b._domainkey.example.org", DNS_TYPE_TXT, &g);
		CHECK_STR("dns: no SOA: sibling is nxdomain", dns_rcode_name(g.rcode), "nxdomain");
		CHECK_INT("dns: no SOA: short negative TTL", g.ttl, 60);
		test_one(d, "www.example.org", DNS_TYPE_TXT, &g);
		CHECK_STR("dns: no SOA: outside the zone refused", dns_rcode_name(g.rcode), "servfail");
		dns_free(d);
	}
	unlink(path);
}

/* test_bad_options - dns_new refuses bad settings with a reason */
static void test_bad_options(const char *dir)
{
	struct dkmod_resolver_options opt = { 0 };
	const char *stubs[] = { "nozone", NULL };
	const char *why = NULL;
	char path[300], want[400];
	struct dns *d;

	if (!test_write(dir, "bad.zone", "$ORIGIN example.com.\n\nx TXT (\n\"a\"\n", path, sizeof path)) {
		CHECK("dns: write bad zone", 0);
		return;
	}
	opt.zone_file = path;
	d = dns_new(&opt, &why);
	snprintf(want, sizeof want, "%s:3: '(' without ')'", path);
	CHECK("dns: bad zone file refused", d == NULL);
	CHECK_STR("dns: bad zone file: why", d ? "" : why, want);
	dns_free(d);

	if (!test_write(dir, "bad2.zone", "a.example.com. TXT ok\nb.example.com. A not-an-address\n", path,
			sizeof path)) {
		CHECK("dns: write bad zone 2", 0);
		return;
	}
	d = dns_new(&opt, &why);
	snprintf(want, sizeof want, "%s:2: bad A record", path);
	CHECK("dns: bad record refused", d == NULL);
	CHECK("dns: bad record: why names file and line", d == NULL && strncmp(why, want, strlen(want)) == 0);
	dns_free(d);

	opt.zone_file = NULL;
	opt.stubs = stubs;
	d = dns_new(&opt, &why);
	CHECK("dns: bad stub refused", d == NULL);
	CHECK_STR("dns: bad stub: why", d ? "" : why, "stub nozone: want zone=IP[@PORT]");
	dns_free(d);

	opt.stubs = NULL;
	opt.trust_anchor_file = "/nonexistent/root.key";
	d = dns_new(&opt, &why);
	CHECK("dns: missing trust anchor refused", d == NULL);
	dns_free(d);
}

/* The shared cache of test_deferred: one name it knows, and the setup failures it is told. */
static int test_cache_fails;
static char test_cache_why[200];

/* test_cache_get - the cache knows known.example.com */
static bool test_cache_get(void *arg, const char *name, enum dns_type type, struct dns_result *out)
{
	static const char *records[] = {"v=DMARC1; p=none"};
	static const size_t lengths[] = {16};
	if (strcmp(name, "known.example.com") != 0 || type != DNS_TYPE_TXT)
		return false;
	*out = (struct dns_result){.rcode = DNS_ANSWER, .count = 1, .records = records, .lengths = lengths,
				   .ttl = 300, .dnssec = DKMOD_DNSSEC_INSECURE};
	return true;
}

/* test_cache_put - nothing kept */
static void test_cache_put(void *arg, const char *name, enum dns_type type, const struct dns_result *r)
{
}

/* test_cache_fail - count the setup failures told */
static void test_cache_fail(void *arg, const char *why)
{
	test_cache_fails++;
	snprintf(test_cache_why, sizeof test_cache_why, "%s", why);
}

/* test_deferred - a deferred resolver sets libunbound up at the first question the shared cache
 * cannot answer: with options that cannot be set up (a missing trust anchor), answers from the
 * cache still come and nothing fails; the first other question fails, and the failure is told once */
static void test_deferred(void)
{
	struct dkmod_resolver_options opt = {.trust_anchor_file = "/nonexistent/root.key"};
	const struct dns_cache_hooks hooks = {test_cache_get, test_cache_put, test_cache_fail, NULL};
	const char *why = NULL;
	struct test_got g;
	struct dns *d = dns_new_deferred(&opt, &why);
	CHECK("deferred: made although the options cannot be set up", d != NULL);
	if (!d)
		return;
	dns_set_cache(d, &hooks);
	memset(&g, 0, sizeof g);
	CHECK_INT("deferred: a question the cache answers is taken",
		  dns_query_shared(d, "known.example.com", DNS_TYPE_TXT, test_cb, &g), 0);
	dns_wait(d, dns_now_ms() + 2000);
	CHECK_STR("deferred: the cache's answer", g.records, "v=DMARC1; p=none");
	CHECK_INT("deferred: no setup yet, nothing told", test_cache_fails, 0);
	memset(&g, 0, sizeof g);
	CHECK("deferred: a question for libunbound fails",
	      dns_query_shared(d, "other.example.com", DNS_TYPE_TXT, test_cb, &g) != 0);
	CHECK_INT("deferred: the failure told once", test_cache_fails, 1);
	CHECK("deferred: and why", strstr(test_cache_why, "/nonexistent/root.key") != NULL);
	CHECK("deferred: a second question fails too", dns_query(d, "x.example.com", DNS_TYPE_TXT, test_cb, &g) != 0);
	CHECK_INT("deferred: not told again", test_cache_fails, 1);
	dns_free(d);
}

/* main - run the resolver tests */
int main(void)
{
	char dir[] = "/tmp/test_dns.XXXXXX", zone[300];

	CHECK_STR("dns: rcode name", dns_rcode_name(DNS_NODATA), "nodata");
	CHECK("dns: servfail temporary", dns_rcode_temporary(DNS_SERVFAIL));
	CHECK("dns: nodata permanent", !dns_rcode_temporary(DNS_NODATA));
	if (!mkdtemp(dir) || !test_write(dir, "example.com.zone", test_zone, zone, sizeof zone)) {
		CHECK("dns: temp zone file", 0);
		return unit_done();
	}
	test_zone_answers(zone);
	test_held_clock(zone);
	test_deadline(zone);
	test_no_soa(dir);
	test_bad_options(dir);
	test_deferred();
	/* forwarder answers need an authoritative server: tests/dns/t_nsd_forward.sh */
	unlink(zone);
	snprintf(zone, sizeof zone, "%s/bad.zone", dir);
	unlink(zone);
	snprintf(zone, sizeof zone, "%s/bad2.zone", dir);
	unlink(zone);
	rmdir(dir);
	return unit_done();
}
