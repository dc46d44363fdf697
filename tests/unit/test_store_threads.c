/*
 * test_store_threads.c - several stores of one state directory in one
 * process (the engines of a threaded daemon such as dkmod-milter, and the
 * old and new ones across a reload): they share one LMDB environment (the
 * lock file is opened once, as LMDB requires), four threads with a store
 * each add counters at once without losing one, and closing one store
 * leaves the others working.
 */
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/stats.h"
#include "store/store.h"
#include "unit.h"

#define THREADS 4
#define ROUNDS 400

static char test_dir[600];
static int test_problems;
static pthread_mutex_t test_lock = PTHREAD_MUTEX_INITIALIZER;

/* test_log_fn - a warning or an error is a failure */
static void test_log_fn(void *arg, enum dkmod_log_level level, const char *msg)
{
	if (level <= DKMOD_LOG_WARNING) {
		pthread_mutex_lock(&test_lock);
		test_problems++;
		pthread_mutex_unlock(&test_lock);
		fprintf(stderr, "store: %s\n", msg);
	}
}

/* test_rm - nftw callback removing everything */
static int test_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* test_lock_fds - descriptors this process has open on the directory's lock.mdb */
static int test_lock_fds(void)
{
	char want[700], link[PATH_MAX], path[300];
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	snprintf(want, sizeof want, "%s/lock.mdb", test_dir);
	while (d && (e = readdir(d))) {
		snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
		ssize_t len = readlink(path, link, sizeof link - 1);
		if (len > 0) {
			link[len] = '\0';
			n += strcmp(link, want) == 0;
		}
	}
	if (d)
		closedir(d);
	return n;
}

/* test_thread - one thread, its own store, ROUNDS counter batches */
static void *test_thread(void *arg)
{
	struct store *st = store_open(test_dir, 0, test_log_fn, NULL);
	char own[64];
	snprintf(own, sizeof own, "threads.t%d", (int)(long)arg);
	for (int i = 0; st && i < ROUNDS; i++) {
		const struct stats_delta batch[] = {{"threads.all", 1}, {own, 1}};
		stats_add_batch(st, batch, 2);
	}
	store_close(st);
	return st ? NULL : (void *)1;
}

/* The counters seen after the run. */
struct test_totals {
	long long all, own[THREADS];
};

/* test_totals_cb - collect the counters */
static void test_totals_cb(void *arg, const char *name, long long value)
{
	struct test_totals *t = arg;
	int n;
	if (strcmp(name, "threads.all") == 0)
		t->all = value;
	else if (sscanf(name, "threads.t%d", &n) == 1 && n >= 0 && n < THREADS)
		t->own[n] = value;
}

/* test_shared - two stores, one environment; closing one leaves the other working */
static void test_shared(void)
{
	struct store *a = store_open(test_dir, 0, test_log_fn, NULL);
	struct store *b = store_open(test_dir, 0, test_log_fn, NULL);
	CHECK("shared: two stores of one directory open", a && b);
	CHECK_INT("shared: the lock file is open once in the process", test_lock_fds(), 1);
	stats_add(a, "shared.x", 5);
	store_close(a);
	stats_add(b, "shared.x", 2);
	struct test_totals none = {0};
	CHECK_INT("shared: the other store works after one is closed", stats_each(b, test_totals_cb, &none), 0);
	struct store *c = store_open(test_dir, 0, test_log_fn, NULL);
	CHECK_INT("shared: a third store joins the open environment", test_lock_fds(), 1);
	store_close(b);
	store_close(c);
	CHECK_INT("shared: the environment is closed with its last store", test_lock_fds(), 0);
}

/* test_threads - THREADS threads with a store each write at once */
static void test_threads(void)
{
	pthread_t t[THREADS];
	int ok = 0;
	struct store *keep = store_open(test_dir, 0, test_log_fn, NULL); /* open throughout, as a reload's old engine */
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, test_thread, (void *)i) != 0)
			t[i] = 0;
	for (int i = 0; i < THREADS; i++) {
		void *r = (void *)1;
		if (t[i] && pthread_join(t[i], &r) == 0 && r == NULL)
			ok++;
	}
	CHECK_INT("threads: every thread had its store", ok, THREADS);
	struct test_totals tot = {0};
	CHECK_INT("threads: stats_each", stats_each(keep, test_totals_cb, &tot), 0);
	CHECK_INT("threads: no update lost", tot.all, THREADS * ROUNDS);
	for (int i = 0; i < THREADS; i++)
		CHECK_INT("threads: each thread's own counter", tot.own[i], ROUNDS);
	store_close(keep);
	CHECK_INT("threads: no warning or error logged", test_problems, 0);
}

/* main - run the threaded tests */
int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char top[512];
	snprintf(top, sizeof top, "%s/dkmod-threads-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(top)) {
		perror(top);
		return 1;
	}
	snprintf(test_dir, sizeof test_dir, "%s/state", top);
	test_shared();
	test_threads();
	nftw(top, test_rm, 16, FTW_DEPTH | FTW_PHYS);
	return unit_done();
}
