/*
 * bench.c - `make bench`: the harness.  Pins itself to one core, measures
 * each cell as the median of several runs (each run long enough), beside
 * its floor (OpenSSL used directly; libsodium for Ed25519) where it has one, prints a table on standard output and
 * writes one line per cell to a results file:
 *   name <TAB> size <TAB> value <TAB> unit <TAB> ratio_to_floor
 * A benchmark, not a test: it reports, it never judges the build.
 */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* slices a run of a cell and of its floor is cut into, taken in turn (bench_pair) */
#define BENCH_SLICES 8

struct bench_cfg bench_cfg;

static FILE *bench_tsv;
static int bench_met, bench_not_met;
static char bench_missed[4096];

double bench_child_cpu;

/* bench_now - seconds on the harness clock: CPU time of this process (all its threads) and
 * of the children it waited for, or with --clock wall CLOCK_MONOTONIC */
double bench_now(void)
{
	struct timespec ts;
	if (bench_cfg.wall) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + bench_child_cpu;
}

/* bench_wanted - whether the cell name is selected by --only */
bool bench_wanted(const char *name)
{
	return !bench_cfg.only || strstr(name, bench_cfg.only) || strstr(bench_cfg.only, name);
}

/* bench_size_label - "1K", "10K", "1M" ... for a byte count */
const char *bench_size_label(size_t size)
{
	static char buf[4][24];
	static int slot;
	char *b = buf[slot++ & 3];
	if (size == 0)
		snprintf(b, 24, "-");
	else if (size % (1024 * 1024) == 0)
		snprintf(b, 24, "%zuM", size / (1024 * 1024));
	else if (size % 1024 == 0)
		snprintf(b, 24, "%zuK", size / 1024);
	else
		snprintf(b, 24, "%zu", size);
	return b;
}

/* bench_tmp_path - dir/name of the temporary directory into buf */
const char *bench_tmp_path(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", bench_cfg.tmp, name);
	return buf;
}

/* bench_write_file - write len bytes to path */
int bench_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t n = fwrite(data, 1, len, f);
	return fclose(f) == 0 && n == len ? 0 : -1;
}

/* bench_cmp - order doubles */
static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* bench_median - the median of n values (sorts them) */
static double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, bench_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* bench_calibrate - iterations for one run of at least min_time (first calls warm up) */
static int bench_calibrate(bench_fn *fn, void *arg, long *iters)
{
	long n = 1;
	if (bench_cfg.iters > 0) {
		*iters = bench_cfg.iters;
		return fn(arg);
	}
	for (;;) {
		double t0 = bench_now();
		for (long i = 0; i < n; i++)
			if (fn(arg) != 0)
				return -1;
		double dt = bench_now() - t0;
		if (dt >= bench_cfg.min_time / 8 || n >= (1L << 30)) {
			double want = dt > 0 ? (double)n * bench_cfg.min_time * 1.05 / dt : (double)n;
			*iters = want < 1 ? 1 : (long)ceil(want);
			return 0;
		}
		n *= 2;
	}
}

/* bench_coin - a fair coin, the same sequence in every run of the bench (xorshift64) */
static bool bench_coin(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ULL;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x >> 63;
}

/* bench_slice - calls [from, to) of one function; its seconds added to *t; -1 if a call failed */
static int bench_slice(bench_fn *fn, void *arg, long from, long to, double *t)
{
	double t0 = bench_now();
	for (long i = from; i < to; i++)
		if (fn(arg) != 0)
			return -1;
	*t += bench_now() - t0;
	return 0;
}

/* bench_pair - median rates of a and b.  A run of each is cut into BENCH_SLICES slices, a's and b's
 * taken in turn, so that both see the machine as it is within some 40 ms: a VM's speed drifts
 * over a second by more than the differences measured */
int bench_pair(bench_fn *a, void *arg_a, bench_fn *b, void *arg_b, double *rate_a, double *rate_b)
{
	long na, nb = 0;
	double ra[64], rb[64];
	int runs = bench_cfg.runs < 64 ? bench_cfg.runs : 64;
	if (bench_cfg.no_floor && b) {
		b = NULL; /* profiling the engine alone */
		*rate_b = 0;
	}
	if (bench_calibrate(a, arg_a, &na) != 0 || (b && bench_calibrate(b, arg_b, &nb) != 0))
		return -1;
	for (int r = 0; r < runs; r++) {
		double ta = 0, tb = 0;
		for (long k = 0; k < BENCH_SLICES; k++) {
			/* which goes first is drawn, so that a disturbance that comes back every other
			 * slice does not fall on one side only */
			bool b_first = b && bench_coin();
			if ((b_first && bench_slice(b, arg_b, nb * k / BENCH_SLICES, nb * (k + 1) / BENCH_SLICES, &tb) != 0) ||
			    bench_slice(a, arg_a, na * k / BENCH_SLICES, na * (k + 1) / BENCH_SLICES, &ta) != 0 ||
			    (b && !b_first &&
			     bench_slice(b, arg_b, nb * k / BENCH_SLICES, nb * (k + 1) / BENCH_SLICES, &tb) != 0))
				return -1;
		}
		if (ta <= 0 || (b && tb <= 0))
			return -1;
		ra[r] = (double)na / ta;
		rb[r] = b ? (double)nb / tb : 0;
	}
	*rate_a = bench_median(ra, runs);
	if (b)
		*rate_b = bench_median(rb, runs);
	return 0;
}

/* bench_target - the target of a sign_ or verify_ ratio; NULL if none */
static const char *bench_target(const char *name, size_t size, double *min)
{
	bool sign = strncmp(name, "sign_", 5) == 0, verify = strncmp(name, "verify_", 7) == 0;
	if ((sign || verify) && strstr(name, "ed25519")) { /* against libsodium's floor */
		*min = 0.90;
		return ">=0.90";
	}
	if (strncmp(name, "verify_real_", 12) == 0) { /* the shared cache warm */
		*min = size <= 10240 ? 0.85 : 0.90;
		return size <= 10240 ? ">=0.85" : ">=0.90";
	}
	if (sign) {
		*min = size <= 10240 ? 0.97 : 0.85;
		return size <= 10240 ? ">=0.97" : ">=0.85";
	}
	if (verify) {
		*min = 0.85;
		return ">=0.85";
	}
	return NULL;
}

/* bench_print - one table row */
static void bench_print(const char *name, size_t size, const char *value, const char *unit, const char *floor,
			const char *ratio, const char *target, int met)
{
	printf("%-34s %5s %12s %-8s %12s %7s  %s%s\n", name, bench_size_label(size), value, unit, floor, ratio,
	       target ? target : "", met < 0 ? "" : met ? " met" : " NOT YET");
	fflush(stdout);
	if (met < 0)
		return;
	if (met) {
		bench_met++;
	} else {
		bench_not_met++;
		size_t l = strlen(bench_missed);
		snprintf(bench_missed + l, sizeof bench_missed - l, "%s%s@%s", l ? ", " : "", name,
			 bench_size_label(size));
	}
}

/* bench_cell - record one figure */
void bench_cell(const char *name, size_t size, double value, const char *unit, double floor, const char *target,
		int met)
{
	char v[32], f[32] = "-", r[32] = "-";
	double ratio = -1, min = 0;
	if (floor > 0 && value > 0)
		ratio = strcmp(unit, "ms") == 0 ? floor / value : value / floor;
	if (!target && ratio >= 0 && (target = bench_target(name, size, &min)))
		met = ratio >= min;
	else if (target && strcmp(target, "-") == 0)
		target = NULL;
	snprintf(v, sizeof v, "%.*f", value >= 100 ? 1 : 3, value);
	if (floor > 0)
		snprintf(f, sizeof f, "%.*f", floor >= 100 ? 1 : 3, floor);
	if (ratio >= 0)
		snprintf(r, sizeof r, "%.3f", ratio);
	bench_print(name, size, v, unit, f, r, target, met);
	if (bench_tsv) {
		fprintf(bench_tsv, "%s\t%zu\t%.6g\t%s\t", name, size, value, unit);
		if (ratio >= 0)
			fprintf(bench_tsv, "%.4f\n", ratio);
		else
			fprintf(bench_tsv, "-\n");
		fflush(bench_tsv);
	}
}

/* bench_cell_na - record a figure that cannot be measured here */
void bench_cell_na(const char *name, size_t size, const char *unit, const char *why)
{
	bench_print(name, size, "n/a", unit, "-", "-", why, -1);
	if (bench_tsv)
		fprintf(bench_tsv, "%s\t%zu\tn/a\t%s\t-\n", name, size, unit);
}

/* bench_parse_size - "1k", "10K", "1m", "50M" or bytes; 0 if unparsable */
static size_t bench_parse_size(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return 0;
	if (*end == 'k' || *end == 'K')
		v *= 1024, end++;
	else if (*end == 'm' || *end == 'M')
		v *= 1024 * 1024, end++;
	return *end ? 0 : (size_t)v;
}

/* bench_parse_sizes - a comma list of sizes; the count, 0 on error */
static size_t bench_parse_sizes(char *list, size_t *out, size_t cap)
{
	size_t n = 0;
	for (char *tok = strtok(list, ","); tok && n < cap; tok = strtok(NULL, ","))
		if (!(out[n++] = bench_parse_size(tok)))
			return 0;
	return n;
}

/* bench_pin - pin the process (and the threads it starts) to one CPU; the CPU, or -1 */
static int bench_pin(int want)
{
	cpu_set_t set;
	int cpu = want;
	if (cpu < 0) {
		if (sched_getaffinity(0, sizeof set, &set) != 0)
			return -1;
		for (int i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set))
				cpu = i; /* the last allowed one: CPU 0 takes more interrupts */
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof set, &set) == 0 ? cpu : -1;
}

/* bench_cpu_model - the CPU model of /proc/cpuinfo */
static void bench_cpu_model(char *buf, size_t cap)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");
	snprintf(buf, cap, "unknown");
	while (f && fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		if (strncmp(line, "model name", 10) == 0 && colon) {
			snprintf(buf, cap, "%s", colon + 2);
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
}

/* bench_rm - nftw callback: remove one entry */
static int bench_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

/* bench_usage - the options */
static int bench_usage(void)
{
	fputs("usage: dkmod-bench [--smoke] [--sizes 1k,10k,100k,1m] [--runs N] [--min-time S] [--iters N]\n"
	      "                   [--rss-sizes 1k,1m,50m] [--only SUBSTRING] [--out FILE] [--build DIR] [--cpu N]\n"
	      "                   [--clock cpu|wall] [--no-floor] [--keep]\n",
	      stderr);
	return 64;
}

/* bench_header - describe the machine and the run */
static void bench_header(int cpu, const size_t *sizes, size_t n)
{
	char model[256], when[64];
	struct utsname u;
	time_t now = time(NULL);
	bench_cpu_model(model, sizeof model);
	uname(&u);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
	printf("# dkmod bench, %s\n# CPU: %s, %ld cores online, pinned to CPU %d\n# %s; Linux %s\n", when, model,
	       sysconf(_SC_NPROCESSORS_ONLN), cpu, bench_floor_version(), u.release);
	printf("# %d runs per cell (median), each >= %.2f s%s of %s; sizes:", bench_cfg.runs, bench_cfg.min_time,
	       bench_cfg.iters ? " (fixed iterations)" : "",
	       bench_cfg.wall ? "wall-clock time" : "CPU time (this process and its children)");
	for (size_t i = 0; i < n; i++)
		printf(" %s", bench_size_label(sizes[i]));
	printf("\n");
}

/* main - parse options, set up keys and zone, run every cell */
int main(int argc, char **argv)
{
	size_t sizes[16] = {1024, 10240, 102400, 1048576}, nsizes = 4;
	size_t rss[8] = {1024, 1048576, 50 * 1048576}, nrss = 3;
	char out_default[600], self[600], tmp[600];
	const char *out = NULL;
	int cpu = -1;
	if (argc == 5 && strcmp(argv[1], "--rss-child") == 0)
		return bench_engine_rss_child(argv[2], bench_parse_size(argv[3]), argv[4]);
	if (argc == 4 && strcmp(argv[1], "--table-rss-child") == 0)
		return bench_tables_rss_child(argv[2], argv[3]);
	bench_cfg = (struct bench_cfg){.runs = 7, .min_time = 0.3, .build = ".build"};
	bool keep = false;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(o, "--keep") == 0 || strcmp(o, "--no-floor") == 0) {
			keep = keep || strcmp(o, "--keep") == 0;
			bench_cfg.no_floor = bench_cfg.no_floor || strcmp(o, "--no-floor") == 0;
			continue;
		}
		if (strcmp(o, "--smoke") == 0) {
			bench_cfg.smoke = true;
			bench_cfg.runs = 1, bench_cfg.iters = 3, bench_cfg.min_time = 0;
			sizes[0] = rss[0] = 1024, nsizes = nrss = 1;
			continue;
		}
		if (!v)
			return bench_usage();
		i++;
		if (strcmp(o, "--sizes") == 0)
			nsizes = bench_parse_sizes(argv[i], sizes, 16);
		else if (strcmp(o, "--rss-sizes") == 0)
			nrss = bench_parse_sizes(argv[i], rss, 8);
		else if (strcmp(o, "--runs") == 0)
			bench_cfg.runs = atoi(v);
		else if (strcmp(o, "--min-time") == 0)
			bench_cfg.min_time = atof(v);
		else if (strcmp(o, "--iters") == 0)
			bench_cfg.iters = atol(v);
		else if (strcmp(o, "--only") == 0)
			bench_cfg.only = v;
		else if (strcmp(o, "--out") == 0)
			out = v;
		else if (strcmp(o, "--build") == 0)
			bench_cfg.build = v;
		else if (strcmp(o, "--cpu") == 0)
			cpu = atoi(v);
		else if (strcmp(o, "--clock") == 0 && (!strcmp(v, "wall") || !strcmp(v, "cpu")))
			bench_cfg.wall = strcmp(v, "wall") == 0;
		else
			return bench_usage();
	}
	if (!nsizes || !nrss || bench_cfg.runs < 1 || bench_cfg.runs > 64 || bench_cfg.min_time < 0)
		return bench_usage();
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
	if (sl <= 0)
		return 1;
	self[sl] = '\0';
	bench_cfg.self = self;
	if (!out)
		snprintf(out_default, sizeof out_default, "%s/bench/results.tsv", bench_cfg.build), out = out_default;
	snprintf(tmp, sizeof tmp, "%s/dkmod-bench.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp) || !(bench_tsv = fopen(out, "w"))) {
		fprintf(stderr, "bench: cannot create %s or %s: %s\n", tmp, out, strerror(errno));
		return 1;
	}
	bench_cfg.tmp = tmp;
	if ((cpu = bench_pin(cpu)) < 0)
		fprintf(stderr, "bench: cannot pin to one CPU: %s\n", strerror(errno));
	bench_header(cpu, sizes, nsizes);
	struct bench_env env;
	int rc = bench_engine_setup(&env);
	if (rc == 0)
		printf("# shared cache: %s\n", env.shared ? "on (LMDB state in the run's temporary directory)"
							    : "none yet (cells without it are n/a)");
	printf("%-34s %5s %12s %-8s %12s %7s  %s\n", "cell", "size", "value", "unit", "floor", "ratio", "target");
	for (size_t i = 0; rc == 0 && i < nsizes; i++) {
		double floor = 0, rate = 0;
		rc = bench_engine_run(&env, sizes[i], &floor, &rate);
		if (rc == 0)
			bench_real_run(&env, sizes[i]);
		if (rc == 0)
			bench_proc_run(&env, sizes[i], floor, rate);
	}
	if (rc == 0)
		bench_proc_rss(&env, rss, nrss);
	if (rc == 0)
		bench_tables_run(&env);
	bench_engine_teardown(&env);
	fclose(bench_tsv);
	if (keep)
		printf("# kept: %s\n", tmp);
	else
		nftw(tmp, bench_rm, 16, FTW_DEPTH | FTW_PHYS);
	printf("# targets: %d met, %d not yet%s%s\n# results: %s\n", bench_met, bench_not_met,
	       bench_not_met ? ": " : "", bench_missed, out);
	return rc == 0 ? 0 : 1;
}
