/*
 * test_store_procs.c - the shared state under concurrent processes: four
 * children, forked before any store exists, each open the store and at once
 * add counters in batches and put and read cache entries; no update may be
 * lost.  Also: a store inherited over fork refuses to work in the child and
 * leaves the parent's store intact; a held store (store_hold) reads one
 * snapshot until it is released or writes itself.
 */
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

#define PROCS 4
#define ROUNDS 500
#define NAMES 50
#define T0 ((time_t)1700000000)

static char test_dir[600];
static int test_log_problems;

/* The counters seen after the run. */
struct test_totals {
	long long messages, bytes, per_child[PROCS], evictions;
	int names;
};

/* test_log_fn - any warning or error in a child is a failure */
static void test_log_fn(void *arg, enum dkmod_log_level level, const char *msg)
{
	if (level <= DKMOD_LOG_WARNING) {
		test_log_problems++;
		fprintf(stderr, "[%d] %s\n", (int)getpid(), msg);
	}
}

/* test_rm - nftw callback removing everything */
static int test_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* test_child - the work of child n; the exit status is the number of problems (capped) */
static int test_child(int n, int start_fd)
{
	struct dkmod_cache_options opt = { .size = 2048, .ttl = 86400, .negative_ttl = 3600 };
	char go, own[64], name[64], txt[128];
	struct store *st;
	struct keycache *kc;
	int problems = 0;

	/* wait until every child exists, so that they really run at once */
	if (read(start_fd, &go, 1) < 0)
		return 1;
	st = store_open(test_dir, 0, test_log_fn, NULL);
	kc = keycache_open(st, &opt);
	if (!st || !kc)
		return 1;
	snprintf(own, sizeof own, "procs.child.%d", n);
	for (int i = 0; i < ROUNDS; i++) {
		const struct stats_delta batch[] = { { "procs.messages", 1 }, { own, 1 }, { "procs.bytes", 10 } };
		const char *recs[1] = { txt };
		size_t lens[1];
		struct dns_result r = { .rcode = DNS_ANSWER, .records = recs, .lengths = lens, .count = 1,
					.ttl = 86400, .why = "" }, got;
		struct arena a;

		stats_add_batch(st, batch, sizeof batch / sizeof *batch);
		snprintf(name, sizeof name, "sel%d._domainkey.example.com", i % NAMES);
		lens[0] = (size_t)snprintf(txt, sizeof txt, "v=DKIM1; p=child%d-round%d", n, i);
		keycache_put(kc, name, DNS_TYPE_TXT, &r, T0 + i);
		arena_init(&a);
		/* another child may have replaced it since, but an entry must be there */
		if (!keycache_get(kc, name, DNS_TYPE_TXT, T0 + i, &a, &got) || got.count != 1 ||
		    strncmp(got.records[0], "v=DKIM1; p=child", 16) != 0)
			problems++;
		arena_free(&a);
	}
	keycache_close(kc);
	store_close(st);
	problems += test_log_problems;
	return problems > 100 ? 100 : problems;
}

/* test_totals_cb - collect the counters */
static void test_totals_cb(void *arg, const char *name, long long value)
{
	struct test_totals *t = arg;
	int n;
	t->names++;
	if (strcmp(name, "procs.messages") == 0)
		t->messages = value;
	else if (strcmp(name, "procs.bytes") == 0)
		t->bytes = value;
	else if (strcmp(name, "cache.evictions") == 0)
		t->evictions = value;
	else if (sscanf(name, "procs.child.%d", &n) == 1 && n >= 0 && n < PROCS)
		t->per_child[n] = value;
}

/* test_concurrent - PROCS children hammer one store */
static void test_concurrent(void)
{
	struct dkmod_cache_options opt = { .size = 2048, .ttl = 86400, .negative_ttl = 3600 };
	struct test_totals totals = { 0 };
	pid_t pids[PROCS];
	int start[2], ok = 0;
	char label[80];

	if (pipe(start) < 0) {
		CHECK("procs: pipe", 0);
		return;
	}
	fflush(stdout);
	for (int n = 0; n < PROCS; n++) {
		pids[n] = fork();
		if (pids[n] == 0) {
			close(start[1]);
			exit(test_child(n, start[0]));
		}
	}
	close(start[0]);
	close(start[1]); /* end of file: every child starts */
	for (int n = 0; n < PROCS; n++) {
		int status = 0;
		if (pids[n] > 0 && waitpid(pids[n], &status, 0) == pids[n] && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			ok++;
		else
			fprintf(stderr, "child %d: status %d\n", n, status);
	}
	CHECK_INT("procs: children without errors", ok, PROCS);

	struct store *st = store_open(test_dir, 0, test_log_fn, NULL);
	struct keycache *kc = keycache_open(st, &opt);
	CHECK_INT("procs: stats_each", stats_each(st, test_totals_cb, &totals), 0);
	CHECK_INT("procs: messages", totals.messages, PROCS * ROUNDS);
	CHECK_INT("procs: bytes", totals.bytes, PROCS * ROUNDS * 10);
	for (int n = 0; n < PROCS; n++) {
		snprintf(label, sizeof label, "procs: child %d", n);
		CHECK_INT(label, totals.per_child[n], ROUNDS);
	}
	CHECK_INT("procs: no other counters", totals.names, PROCS + 2);
	CHECK_INT("procs: cache entries", keycache_entries(kc), NAMES);
	keycache_close(kc);
	store_close(st);
}

/* test_inherited - a store opened before fork is refused in the child */
static void test_inherited(void)
{
	struct store *st = store_open(test_dir, 0, NULL, NULL);
	struct test_totals totals = { 0 };
	pid_t pid;
	int status = -1;

	stats_reset(st, NULL);
	stats_add(st, "procs.messages", 1);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* 0 if every call is refused; the parent's reader slots and locks stay */
		int bad = store_add(st, STATS_DB, "procs.messages", 100) != -1;
		bad += stats_each(st, test_totals_cb, &totals) != -1;
		store_close(st);
		/* _exit: the inherited environment is left alone on purpose, not a leak to report */
		_exit(bad);
	}
	CHECK("inherited: child refused", pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
						  WEXITSTATUS(status) == 0);
	stats_add(st, "procs.messages", 1);
	CHECK_INT("inherited: parent still works", stats_each(st, test_totals_cb, &totals), 0);
	CHECK_INT("inherited: parent's count", totals.messages, 2);
	store_close(st);
}

/* test_hold_get - the one-byte value of "k" in the "hold" database, '-' if absent, '!' on error */
static char test_hold_get(struct store *st)
{
	struct arena a;
	void *val = NULL;
	size_t len = 0;
	char c;
	arena_init(&a);
	int rc = store_get(st, "hold", "k", 1, &a, &val, &len);
	c = rc < 0 ? '!' : rc == 0 ? '-' : len == 1 ? *(char *)val : '?';
	arena_free(&a);
	return c;
}

/* test_hold_child - in a child: open the store afresh and set "k" to v; 0 on success */
static int test_hold_child(char v)
{
	struct store *st = store_open(test_dir, 0, NULL, NULL);
	int rc = st && store_put(st, "hold", "k", 1, &v, 1) == 0 ? 0 : 1;
	store_close(st);
	return rc;
}

/* test_hold - reads under store_hold share one snapshot; release or a write ends it */
static void test_hold(void)
{
	struct store *st = store_open(test_dir, 0, NULL, NULL);
	int status = -1;
	pid_t pid;

	CHECK("hold: put", st && store_put(st, "hold", "k", 1, "1", 1) == 0);
	store_hold(st);
	CHECK_INT("hold: first read", test_hold_get(st), '1');
	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(test_hold_child('2'));
	CHECK("hold: another process wrote", pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
						     WEXITSTATUS(status) == 0);
	CHECK_INT("hold: still the held snapshot", test_hold_get(st), '1');
	fflush(stdout);
	if ((pid = fork()) == 0) {
		/* the held snapshot is the parent's: refused here */
		int bad = test_hold_get(st) != '!';
		_exit(bad);
	}
	CHECK("hold: a child of a held store is refused", pid > 0 && waitpid(pid, &status, 0) == pid &&
								 WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_INT("hold: the parent still reads its snapshot", test_hold_get(st), '1');
	store_release(st);
	CHECK_INT("hold: released, a fresh snapshot", test_hold_get(st), '2');
	store_hold(st);
	CHECK_INT("hold: held again", test_hold_get(st), '2');
	CHECK("hold: own write", store_put(st, "hold", "k", 1, "3", 1) == 0);
	CHECK_INT("hold: a write ends the snapshot", test_hold_get(st), '3');
	store_release(st);
	store_release(st);
	CHECK_INT("hold: released twice, still reads", test_hold_get(st), '3');
	store_hold(NULL);
	store_release(NULL);
	store_close(st);
}

/* main - run the multi-process tests */
int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char top[512];

	snprintf(top, sizeof top, "%s/dkmod-procs-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(top)) {
		perror(top);
		return 1;
	}
	/* the children create the state directory themselves */
	snprintf(test_dir, sizeof test_dir, "%s/state", top);
	test_concurrent();
	test_inherited();
	test_hold();
	nftw(top, test_rm, 16, FTW_DEPTH | FTW_PHYS);
	return unit_done();
}
