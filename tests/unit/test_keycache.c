/*
 * test_keycache.c - unit tests of the shared state: the store (core/store/store_lmdb.c),
 * the DNS answer cache (core/dns/keycache.c) and the counters (core/store/stats.c).
 * Time is passed in as `now`, never slept; every store lives in a temporary
 * directory removed at the end.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dns/keycache.h"
#include "store/stats.h"
#include "store/store.h"
#include "unit.h"

#define T0 ((time_t)1700000000)

static char test_top[512];

/* The log lines a store gave. */
struct test_log {
	int lines;
	int warnings;   /* WARNING or ERROR */
	char last[512];
};

/* test_log_fn - count and keep the last log line */
static void test_log_fn(void *arg, enum dkmod_log_level level, const char *msg)
{
	struct test_log *l = arg;
	l->lines++;
	if (level <= DKMOD_LOG_WARNING)
		l->warnings++;
	snprintf(l->last, sizeof l->last, "%s", msg);
}

/* test_path - a path under the test directory (static buffer, one at a time) */
static const char *test_path(const char *name)
{
	static char path[1024];
	snprintf(path, sizeof path, "%s/%s", test_top, name);
	return path;
}

/* test_rm - nftw callback removing everything */
static int test_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* test_result - a dns_result over the given records */
static struct dns_result test_result(enum dns_rcode rcode, const char *const *recs, const size_t *lens,
				     size_t n, unsigned ttl)
{
	struct dns_result r = { .rcode = rcode, .dnssec = DKMOD_DNSSEC_INSECURE, .records = recs,
				.lengths = lens, .count = n, .ttl = ttl, .why = "" };
	return r;
}

/* test_has - whether name/TXT is cached at now */
static bool test_has(struct keycache *kc, const char *name, time_t now)
{
	struct arena a;
	struct dns_result r;
	bool hit;
	arena_init(&a);
	hit = keycache_get(kc, name, DNS_TYPE_TXT, now, &a, &r);
	arena_free(&a);
	return hit;
}

/* test_put_txt - cache one TXT answer */
static void test_put_txt(struct keycache *kc, const char *name, const char *txt, unsigned ttl, time_t now)
{
	const char *recs[1] = { txt };
	size_t lens[1] = { strlen(txt) };
	struct dns_result r = test_result(DNS_ANSWER, recs, lens, 1, ttl);
	keycache_put(kc, name, DNS_TYPE_TXT, &r, now);
}

/* The value of one counter, found through stats_each. */
struct test_find {
	const char *name;
	long long value;
	int calls;
	char order[512];
};

/* test_find_cb - note the counter sought, and every name in order */
static void test_find_cb(void *arg, const char *name, long long value)
{
	struct test_find *f = arg;
	size_t n = strlen(f->order);
	if (strcmp(name, f->name) == 0)
		f->value = value;
	f->calls++;
	snprintf(f->order + n, sizeof f->order - n, "%s%s=%lld", n ? " " : "", name, value);
}

/* test_counter - the value of a stats counter (0 if absent) */
static long long test_counter(struct store *st, const char *name)
{
	struct test_find f = { .name = name };
	stats_each(st, test_find_cb, &f);
	return f.value;
}

/* The expiry cases: what is put, and how long it stays. */
struct test_ttl_case {
	const char *name;
	enum dns_rcode rcode;
	unsigned dns_ttl;
	long stays;    /* seconds the entry is served; 0: never cached */
};

static const struct test_ttl_case test_ttl_cases[] = {
	{ "answer capped by option ttl", DNS_ANSWER, 3600, 300 },
	{ "answer capped by DNS ttl", DNS_ANSWER, 60, 60 },
	{ "answer of TTL 0 not kept", DNS_ANSWER, 0, 0 },
	{ "nxdomain, DNS ttl 0: option", DNS_NXDOMAIN, 0, 3600 },
	{ "nxdomain capped by DNS ttl", DNS_NXDOMAIN, 120, 120 },
	{ "nodata capped by option", DNS_NODATA, 86400, 3600 },
	{ "nodata capped by DNS ttl", DNS_NODATA, 30, 30 },
	{ "servfail not kept", DNS_SERVFAIL, 300, 0 },
	{ "timeout not kept", DNS_TIMEOUT, 300, 0 },
	{ "error not kept", DNS_ERROR, 300, 0 },
};

/* test_ttls - every expiry case at its edges */
static void test_ttls(struct keycache *kc)
{
	char label[160];
	for (size_t i = 0; i < sizeof test_ttl_cases / sizeof *test_ttl_cases; i++) {
		const struct test_ttl_case *c = &test_ttl_cases[i];
		const char *recs[1] = { "v=DKIM1; p=" };
		size_t lens[1] = { 11 };
		struct dns_result r = test_result(c->rcode, recs, lens, c->rcode == DNS_ANSWER, c->dns_ttl), got;
		struct arena a;
		char name[64];

		snprintf(name, sizeof name, "ttl%zu._domainkey.example.net", i);
		keycache_put(kc, name, DNS_TYPE_TXT, &r, T0);
		arena_init(&a);
		bool hit = keycache_get(kc, name, DNS_TYPE_TXT, T0, &a, &got);
		snprintf(label, sizeof label, "ttl: %s: cached", c->name);
		CHECK_INT(label, hit, c->stays > 0);
		if (hit && c->stays) {
			snprintf(label, sizeof label, "ttl: %s: rcode", c->name);
			CHECK_INT(label, got.rcode, c->rcode);
			snprintf(label, sizeof label, "ttl: %s: ttl left", c->name);
			CHECK_INT(label, got.ttl, c->stays);
			snprintf(label, sizeof label, "ttl: %s: count", c->name);
			CHECK_INT(label, got.count, c->rcode == DNS_ANSWER);
			snprintf(label, sizeof label, "ttl: %s: one second left", c->name);
			CHECK(label, keycache_get(kc, name, DNS_TYPE_TXT, T0 + c->stays - 1, &a, &got) && got.ttl == 1);
			snprintf(label, sizeof label, "ttl: %s: expired", c->name);
			CHECK(label, !keycache_get(kc, name, DNS_TYPE_TXT, T0 + c->stays, &a, &got));
		}
		arena_free(&a);
	}
	CHECK_INT("ttl: expired entries deleted", keycache_entries(kc), 0);
}

/* test_answers - records, DNSSEC state, names in any case, types apart, binary data */
static void test_answers(struct keycache *kc)
{
	static const char bin[] = { 'p', '=', '\0', '\xff', '\r', '\n', '"' };
	const char *recs[3] = { "v=DKIM1; k=rsa; p=MIIB", bin, "" };
	size_t lens[3] = { strlen(recs[0]), sizeof bin, 0 };
	struct dns_result r = test_result(DNS_ANSWER, recs, lens, 3, 3600), got;
	struct arena a;

	r.dnssec = DKMOD_DNSSEC_SECURE;
	arena_init(&a);
	keycache_put(kc, "Sel._DomainKey.Example.COM.", DNS_TYPE_TXT, &r, T0);
	CHECK("answer: hit in another case", keycache_get(kc, "sel._domainkey.example.com", DNS_TYPE_TXT, T0 + 10, &a, &got));
	CHECK_INT("answer: rcode", got.rcode, DNS_ANSWER);
	CHECK_INT("answer: dnssec kept", got.dnssec, DKMOD_DNSSEC_SECURE);
	CHECK_INT("answer: count", got.count, 3);
	CHECK_INT("answer: ttl left", got.ttl, 290);
	CHECK_STR("answer: why", got.why, "");
	CHECK_MEM("answer: record 0", got.records[0], got.lengths[0], recs[0], lens[0]);
	CHECK_MEM("answer: binary record", got.records[1], got.lengths[1], bin, sizeof bin);
	CHECK_INT("answer: binary record NUL-terminated", got.records[1][sizeof bin], 0);
	CHECK_INT("answer: empty record", got.lengths[2], 0);
	CHECK_STR("answer: empty record is a string", got.records[2], "");
	CHECK("answer: other type misses", !keycache_get(kc, "sel._domainkey.example.com", DNS_TYPE_A, T0, &a, &got));
	CHECK("answer: other name misses", !keycache_get(kc, "sel._domainkey.example.co", DNS_TYPE_TXT, T0, &a, &got));

	r.count = 1;
	r.dnssec = DKMOD_DNSSEC_BOGUS;
	keycache_put(kc, "sel._domainkey.example.com", DNS_TYPE_TXT, &r, T0 + 20);
	CHECK("answer: replaced", keycache_get(kc, "SEL._domainkey.example.com.", DNS_TYPE_TXT, T0 + 20, &a, &got) &&
				  got.count == 1 && got.dnssec == DKMOD_DNSSEC_BOGUS && got.ttl == 300);
	CHECK_INT("answer: one entry after replace", keycache_entries(kc), 1);
	arena_free(&a);
	CHECK_INT("answer: flush all", keycache_flush(kc, NULL), 1);
}

/* test_lru - the least recently used goes; a recently read entry stays */
static void test_lru(struct store *st)
{
	struct dkmod_cache_options opt = { .size = 3, .ttl = 3600, .negative_ttl = 3600 };
	struct keycache *kc = keycache_open(st, &opt);

	test_put_txt(kc, "a.example", "a", 3600, T0);
	test_put_txt(kc, "b.example", "b", 3600, T0 + 1);
	test_put_txt(kc, "c.example", "c", 3600, T0 + 2);
	CHECK("lru: a read (its last use is now T0+10)", test_has(kc, "a.example", T0 + 10));
	test_put_txt(kc, "d.example", "d", 3600, T0 + 11);
	CHECK_INT("lru: size kept", keycache_entries(kc), 3);
	CHECK("lru: b, least recently used, evicted", !test_has(kc, "b.example", T0 + 11));
	/* last uses now: a T0+10, c T0+2 (read: becomes T0+11), d T0+11 */
	CHECK("lru: a stays", test_has(kc, "a.example", T0 + 11));
	CHECK("lru: c stays", test_has(kc, "c.example", T0 + 11));
	CHECK("lru: d stays", test_has(kc, "d.example", T0 + 11));
	test_put_txt(kc, "e.example", "e", 3600, T0 + 20);
	CHECK("lru: a, now the oldest, evicted", !test_has(kc, "a.example", T0 + 20));
	CHECK("lru: c stays after its read", test_has(kc, "c.example", T0 + 20));
	/* within KEYCACHE_TOUCH_SECONDS a read does not move the entry */
	CHECK("lru: d read soon after", test_has(kc, "d.example", T0 + 11 + KEYCACHE_TOUCH_SECONDS - 1));
	test_put_txt(kc, "f.example", "f", 3600, T0 + 21);
	CHECK("lru: d evicted: recent reads are approximate", !test_has(kc, "d.example", T0 + 21));
	CHECK_INT("lru: evictions counted", test_counter(st, "cache.evictions"), 3);
	keycache_flush(kc, NULL);
	keycache_close(kc);
}

/* test_flush - a domain and its subdomains go, look-alikes stay; generations */
static void test_flush(struct keycache *kc)
{
	static const char *const names[] = { "s1._domainkey.example.com", "example.com", "_adsp._domainkey.Example.com",
					     "notexample.com", "example.com.au", "other.org" };
	unsigned long long gen = keycache_generation(kc);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		test_put_txt(kc, names[i], "x", 3600, T0);
	CHECK_INT("flush: entries", keycache_entries(kc), 6);
	CHECK_INT("flush: domain removes 3", keycache_flush(kc, "EXAMPLE.com."), 3);
	CHECK_INT("flush: generation advanced", keycache_generation(kc), gen + 1);
	CHECK("flush: subdomain gone", !test_has(kc, "s1._domainkey.example.com", T0));
	CHECK("flush: domain gone", !test_has(kc, "example.com", T0));
	CHECK("flush: notexample.com stays", test_has(kc, "notexample.com", T0));
	CHECK("flush: example.com.au stays", test_has(kc, "example.com.au", T0));
	CHECK("flush: other.org stays", test_has(kc, "other.org", T0));
	CHECK_INT("flush: unknown domain removes none", keycache_flush(kc, "nowhere.test"), 0);
	CHECK_INT("flush: all", keycache_flush(kc, NULL), 3);
	CHECK_INT("flush: empty", keycache_entries(kc), 0);
	CHECK_INT("flush: generation advanced again", keycache_generation(kc), gen + 3);
}

/* test_other_process - in a child process with its own store on the same directory, a bump of the
 * generation (domain NULL) or a flush of domain's one entry; true if it did that */
static bool test_other_process(const struct dkmod_cache_options *opt, const char *domain)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		struct store *cst = store_open(test_path("state"), 0, NULL, NULL);
		struct keycache *ckc = keycache_open(cst, opt);
		int rc = domain ? keycache_flush(ckc, domain) : keycache_bump(ckc);
		keycache_close(ckc);
		store_close(cst);
		_exit(rc == (domain ? 1 : 0) ? 0 : 1);
	}
	int status = -1;
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* test_generation_memo - the generation is read again only after a commit to the store (no read
 * transaction per signed message), and a bump by another handle or another process is seen */
static void test_generation_memo(struct store *st, const struct dkmod_cache_options *opt)
{
	struct keycache *kc = keycache_open(st, opt), *other = keycache_open(st, opt);
	unsigned long long gen = keycache_generation(kc), reads = store_read_count(st);
	CHECK("generation memo: the store has a version", store_version(st) != 0);
	CHECK_INT("generation memo: the same again", keycache_generation(kc), gen);
	CHECK_INT("generation memo: no read while nothing was committed", store_read_count(st) - reads, 0);
	unsigned long long version = store_version(st);
	stats_add(st, "memo.test", 1);
	CHECK("generation memo: a commit moves the version", store_version(st) > version);
	CHECK_INT("generation memo: after a commit, the same generation", keycache_generation(kc), gen);
	CHECK_INT("generation memo: read once after it", store_read_count(st) - reads, 1);
	CHECK_INT("generation memo: bumped by another handle", keycache_bump(other), 0);
	CHECK_INT("generation memo: the bump seen", keycache_generation(kc), gen + 1);
	CHECK("generation memo: another process bumped", test_other_process(opt, NULL));
	CHECK_INT("generation memo: its bump seen", keycache_generation(kc), gen + 2);
	keycache_close(other);
	keycache_close(kc);
}

/* test_memo_reads - whether name/TXT is cached at now, and the read snapshots that took */
static bool test_memo_reads(struct keycache *kc, struct store *st, const char *name, time_t now, unsigned long long *reads)
{
	unsigned long long before = store_read_count(st);
	bool hit = test_has(kc, name, now);
	*reads = store_read_count(st) - before;
	return hit;
}

/* test_answer_memo - a live answer once read is answered again without a read snapshot while the
 * store has had no commit; a commit, a due refresh of its last use, its expiry and a flush by
 * another process each send the lookup to the store again */
static void test_answer_memo(struct store *st, const struct dkmod_cache_options *opt)
{
	struct keycache *kc = keycache_open(st, opt), *other = keycache_open(st, opt);
	const char *name = "memo._domainkey.example.com";
	unsigned long long reads = 0;
	struct arena a;
	struct dns_result got;
	test_put_txt(other, name, "v=DKIM1; p=memo", 3600, T0);
	CHECK("answer memo: first lookup hits", test_memo_reads(kc, st, name, T0 + 1, &reads));
	CHECK_INT("answer memo: first lookup reads the store", reads, 1);
	CHECK("answer memo: again, in another case", test_memo_reads(kc, st, "MEMO._domainkey.Example.com.", T0 + 2, &reads));
	CHECK_INT("answer memo: no read while nothing was committed", reads, 0);
	arena_init(&a);
	CHECK("answer memo: the answer itself",
	      keycache_get(kc, name, DNS_TYPE_TXT, T0 + 2, &a, &got) && got.rcode == DNS_ANSWER && got.count == 1 &&
		      got.lengths[0] == 15 && strcmp(got.records[0], "v=DKIM1; p=memo") == 0 && got.ttl == 298);
	arena_free(&a);
	CHECK("answer memo: another name misses", !test_memo_reads(kc, st, "other._domainkey.example.com", T0 + 2, &reads));
	keycache_hold(kc);
	CHECK("answer memo: under a held snapshot", test_memo_reads(kc, st, name, T0 + 2, &reads));
	CHECK_INT("answer memo: no snapshot begun for it", reads, 0);
	keycache_release(kc);
	stats_add(st, "memo.answer", 1);
	CHECK("answer memo: after a commit", test_memo_reads(kc, st, name, T0 + 3, &reads));
	CHECK_INT("answer memo: after a commit, read once", reads, 1);
	CHECK("answer memo: kept again", test_memo_reads(kc, st, name, T0 + 4, &reads) && reads == 0);
	/* put at T0: its last use is refreshed by the first lookup KEYCACHE_TOUCH_SECONDS later */
	CHECK("answer memo: refresh due", test_memo_reads(kc, st, name, T0 + KEYCACHE_TOUCH_SECONDS, &reads));
	CHECK_INT("answer memo: a due refresh reads the store", reads, 1);
	CHECK("answer memo: after the refresh", test_memo_reads(kc, st, name, T0 + KEYCACHE_TOUCH_SECONDS + 1, &reads));
	CHECK_INT("answer memo: the refresh was a commit", reads, 1);
	CHECK("answer memo: kept after the refresh", test_memo_reads(kc, st, name, T0 + KEYCACHE_TOUCH_SECONDS + 2, &reads));
	CHECK_INT("answer memo: no read after the refresh", reads, 0);
	CHECK("answer memo: expired (ttl 300)", !test_memo_reads(kc, st, name, T0 + 300, &reads));
	CHECK_INT("answer memo: expiry reads the store", reads, 1);
	test_put_txt(other, name, "v=DKIM1; p=again", 3600, T0 + 300);
	CHECK("answer memo: put again", test_memo_reads(kc, st, name, T0 + 301, &reads) && reads == 1);
	CHECK("answer memo: kept", test_memo_reads(kc, st, name, T0 + 302, &reads) && reads == 0);
	CHECK("answer memo: another process flushed", test_other_process(opt, "example.com"));
	CHECK("answer memo: the flush seen", !test_memo_reads(kc, st, name, T0 + 303, &reads));
	CHECK_INT("answer memo: the flush read from the store", reads, 1);
	keycache_close(other);
	keycache_close(kc);
}

/* test_stats - add, batch, each in name order, reset by prefix and all */
static void test_stats(struct store *st)
{
	const struct stats_delta batch[] = {
		{ "dkim_validate.dkim_validate1.result.pass", 1 }, { "dkim_validate.dkim_validate1.result.fail", 2 },
		{ "dkim_sign.count", 5 }, { "dkim_validate.dkim_validate1.result.pass", 1 },
	};
	struct test_find f = { .name = "" };

	stats_reset(st, NULL);
	stats_add(st, "a.one", 1);
	stats_add(st, "a.one", 41);
	stats_add(st, "a.neg", -3);
	CHECK_INT("stats: add", test_counter(st, "a.one"), 42);
	CHECK_INT("stats: negative", test_counter(st, "a.neg"), -3);
	for (int i = 0; i < 3; i++)
		stats_add_batch(st, batch, sizeof batch / sizeof *batch);
	CHECK_INT("stats: batch, name twice", test_counter(st, "dkim_validate.dkim_validate1.result.pass"), 6);
	CHECK_INT("stats: batch", test_counter(st, "dkim_sign.count"), 15);
	CHECK_INT("stats: each", stats_each(st, test_find_cb, &f), 0);
	CHECK_STR("stats: name order", f.order,
		  "a.neg=-3 a.one=42 dkim_sign.count=15 dkim_validate.dkim_validate1.result.fail=6 "
		  "dkim_validate.dkim_validate1.result.pass=6");
	CHECK_INT("stats: reset prefix", stats_reset(st, "dkim_validate."), 2);
	CHECK_INT("stats: other prefix kept", test_counter(st, "dkim_sign.count"), 15);
	CHECK_INT("stats: reset absent prefix", stats_reset(st, "zzz"), 0);
	CHECK_INT("stats: reset all", stats_reset(st, NULL), 3);
	f = (struct test_find){ .name = "" };
	stats_each(st, test_find_cb, &f);
	CHECK_INT("stats: none left", f.calls, 0);
	stats_add_batch(st, batch, 0);
	stats_add(NULL, "x", 1);
	stats_add_batch(NULL, batch, 1);
	CHECK_INT("stats: NULL store", stats_each(NULL, test_find_cb, &f), -1);
}

/* test_iter_cb - count items and the bytes of their values */
static int test_iter_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	((size_t *)arg)[0]++;
	((size_t *)arg)[1] += vlen;
	return 0;
}

/* test_store - the plain operations and their limits */
static void test_store(struct store *st)
{
	struct arena a;
	void *val = NULL;
	size_t vlen = 0, seen[2] = { 0, 0 };
	char big[STORE_MAX_KEY + 2];

	arena_init(&a);
	memset(big, 'k', sizeof big);
	CHECK_INT("store: put", store_put(st, "misc", "k1", 2, "v\0one", 5), 0);
	CHECK_INT("store: put 2", store_put(st, "misc", "k2", 2, "", 0), 0);
	CHECK_INT("store: get", store_get(st, "misc", "k1", 2, &a, &val, &vlen), 1);
	CHECK_MEM("store: value", val, vlen, "v\0one", 5);
	CHECK_INT("store: get absent", store_get(st, "misc", "k3", 2, &a, &val, &vlen), 0);
	CHECK_INT("store: get from absent db", store_get(st, "nodb", "k1", 2, &a, &val, &vlen), 0);
	CHECK_INT("store: iterate", store_iterate(st, "misc", test_iter_cb, seen), 0);
	CHECK("store: iterated", seen[0] == 2 && seen[1] == 5);
	CHECK_INT("store: del", store_del(st, "misc", "k1", 2), 1);
	CHECK_INT("store: del absent", store_del(st, "misc", "k1", 2), 0);
	CHECK_INT("store: empty key refused", store_put(st, "misc", "", 0, "v", 1), -1);
	CHECK_INT("store: long key refused", store_put(st, "misc", big, sizeof big, "v", 1), -1);
	CHECK_INT("store: longest key", store_put(st, "misc", big, STORE_MAX_KEY, "v", 1), 0);
	CHECK_INT("store: add", store_add(st, "misc", "n", 5), 0);
	CHECK_INT("store: add batch", store_add_batch(st, "misc", (struct store_delta[]){ { "n", 1 }, { "m", 2 } }, 2), 0);
	CHECK_INT("store: db name too long", store_put(st, "a-database-name-far-too-long-to-keep", "k", 1, "v", 1), -1);
	arena_free(&a);
}

/* test_write_file - replace a file's contents with n bytes of pattern */
static void test_write_file(const char *path, size_t n, unsigned char pattern)
{
	unsigned char buf[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	memset(buf, pattern, sizeof buf);
	for (size_t done = 0; fd >= 0 && done < n; done += sizeof buf)
		if (write(fd, buf, n - done < sizeof buf ? n - done : sizeof buf) < 0)
			break;
	if (fd >= 0)
		close(fd);
}

/* test_damaged - garbage, truncated and empty files are recreated; the store then works */
static void test_damaged(const struct dkmod_cache_options *opt)
{
	static const struct {
		const char *name;
		const char *file;
		size_t bytes;      /* what is left in file: garbage, or the first bytes if truncate */
		bool truncate;
		int log_lines;
		size_t entries;    /* left after the damage */
	} cases[] = {
		{ "garbage data file", "data.mdb", 65536, false, 1, 0 },
		/* the first process to open the environment rebuilds the lock file */
		{ "garbage lock file", "lock.mdb", 8192, false, 0, 200 },
		{ "truncated data file", "data.mdb", 8192, true, 1, 0 },
		{ "empty data file", "data.mdb", 0, true, 0, 0 },
	};
	char dir[600], file[700], label[160], name[64];

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct test_log log = { 0 };
		struct store *st;
		struct keycache *kc;

		snprintf(dir, sizeof dir, "%s/damaged%zu", test_top, i);
		snprintf(file, sizeof file, "%s/%s", dir, cases[i].file);
		/* a store with some content first */
		st = store_open(dir, 0, NULL, NULL);
		kc = keycache_open(st, opt);
		for (int j = 0; j < 200; j++) {
			snprintf(name, sizeof name, "k%d.example", j);
			test_put_txt(kc, name, "v=DKIM1; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", 3600, T0);
		}
		keycache_close(kc);
		store_close(st);
		if (cases[i].truncate)
			CHECK_INT("damaged: truncate", truncate(file, (off_t)cases[i].bytes), 0);
		else
			test_write_file(file, cases[i].bytes, (unsigned char)(0x5a + i));

		st = store_open(dir, 0, test_log_fn, &log);
		snprintf(label, sizeof label, "damaged: %s: opened", cases[i].name);
		CHECK(label, st != NULL);
		snprintf(label, sizeof label, "damaged: %s: logged", cases[i].name);
		CHECK_INT(label, log.lines, cases[i].log_lines);
		kc = keycache_open(st, opt);
		snprintf(label, sizeof label, "damaged: %s: entries left", cases[i].name);
		CHECK_INT(label, keycache_entries(kc), cases[i].entries);
		test_put_txt(kc, "after.example", "v=DKIM1", 3600, T0);
		snprintf(label, sizeof label, "damaged: %s: works", cases[i].name);
		CHECK(label, test_has(kc, "after.example", T0));
		keycache_close(kc);
		store_close(st);
	}
}

/* test_unusable - no store where the directory cannot be had; a NULL cache is harmless */
static void test_unusable(const struct dkmod_cache_options *opt)
{
	static const char *const dirs[] = { "afile/sub", "afile", "missing/a/b" };
	struct test_log log = { 0 };
	struct arena a;
	struct dns_result r;
	char label[160];

	test_write_file(test_path("afile"), 10, 'x');
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		log = (struct test_log){ 0 };
		snprintf(label, sizeof label, "unusable: %s: NULL", dirs[i]);
		CHECK(label, store_open(test_path(dirs[i]), 0, test_log_fn, &log) == NULL);
		snprintf(label, sizeof label, "unusable: %s: logged once", dirs[i]);
		CHECK_INT(label, log.lines, 1);
	}
	CHECK("unusable: NULL dir", store_open(NULL, 0, NULL, NULL) == NULL);
	CHECK("unusable: no cache without store", keycache_open(NULL, opt) == NULL);
	arena_init(&a);
	CHECK("unusable: NULL cache misses", !keycache_get(NULL, "x.example", DNS_TYPE_TXT, T0, &a, &r));
	test_put_txt(NULL, "x.example", "v", 60, T0);
	CHECK_INT("unusable: NULL cache flush", keycache_flush(NULL, NULL), -1);
	CHECK_INT("unusable: NULL cache entries", keycache_entries(NULL), 0);
	CHECK_INT("unusable: NULL cache generation", keycache_generation(NULL), 0);
	keycache_close(NULL);
	store_close(NULL);
	arena_free(&a);
}

/* test_map_full - a tiny map fills up: the cache is cleared and goes on working */
static void test_map_full(void)
{
	struct dkmod_cache_options opt = { .size = 100000, .ttl = 3600, .negative_ttl = 3600 };
	struct test_log log = { 0 };
	struct store *st = store_open(test_path("full"), 256 * 1024, test_log_fn, &log);
	struct keycache *kc = keycache_open(st, &opt);
	char txt[1500], name[64];
	int misses = 0, i;
	size_t most = 0;

	CHECK("full: opened", st != NULL);
	memset(txt, 'p', sizeof txt - 1);
	txt[sizeof txt - 1] = '\0';
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof name, "sel%d._domainkey.example.org", i);
		test_put_txt(kc, name, txt, 3600, T0);
		misses += !test_has(kc, name, T0);
		if (keycache_entries(kc) > most)
			most = keycache_entries(kc);
	}
	CHECK("full: the map filled (the cache was cleared)", most < 1000 && keycache_entries(kc) < most);
	CHECK_INT("full: every put could be read back", misses, 0);
	CHECK_INT("full: warned once", log.warnings, 1);
	stats_add(st, "full.after", 1);
	CHECK_INT("full: stats still work", test_counter(st, "full.after"), 1);
	keycache_close(kc);
	store_close(st);
}

/* test_reopen - the cache and the generation outlive the process's store */
static void test_reopen(const struct dkmod_cache_options *opt)
{
	struct store *st = store_open(test_path("reopen"), 0, NULL, NULL);
	struct keycache *kc = keycache_open(st, opt);
	test_put_txt(kc, "kept.example", "v=DKIM1", 3600, T0);
	keycache_flush(kc, "other.example");
	keycache_close(kc);
	store_close(st);
	st = store_open(test_path("reopen"), 0, NULL, NULL);
	kc = keycache_open(st, opt);
	CHECK("reopen: entry kept", test_has(kc, "kept.example", T0 + 1));
	CHECK_INT("reopen: generation kept", keycache_generation(kc), 1);
	keycache_close(kc);
	store_close(st);
}

/* main - run the cache, store and stats tests */
int main(void)
{
	struct dkmod_cache_options opt = { .size = 2048, .ttl = 300, .negative_ttl = 3600 };
	const char *tmp = getenv("TMPDIR");
	struct test_log log = { 0 };
	struct store *st;
	struct keycache *kc;

	snprintf(test_top, sizeof test_top, "%s/dkmod-keycache-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(test_top)) {
		perror(test_top);
		return 1;
	}
	st = store_open(test_path("state"), 0, test_log_fn, &log);
	CHECK("open: store", st != NULL);
	CHECK_INT("open: quiet", log.lines, 0);
	kc = keycache_open(st, &opt);
	CHECK("open: cache", kc != NULL);
	if (st && kc) {
		test_ttls(kc);
		test_answers(kc);
		test_flush(kc);
		test_generation_memo(st, &opt);
		test_answer_memo(st, &opt);
		test_lru(st);
		test_stats(st);
		CHECK_STR("open: no warnings", log.warnings ? log.last : "", "");
		test_store(st);
		CHECK_INT("open: the refused db name logged", log.warnings, 1);
	}
	keycache_close(kc);
	store_close(st);
	test_reopen(&opt);
	test_damaged(&opt);
	test_unusable(&opt);
	test_map_full();
	nftw(test_top, test_rm, 16, FTW_DEPTH | FTW_PHYS);
	return unit_done();
}
