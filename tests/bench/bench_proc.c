/*
 * bench_proc.c - the cells measured across processes: one process per
 * message as the Postfix pipe adapter runs it (fork/exec to exit), the
 * long-lived stdio filter, and peak RSS of a verification streamed in a
 * fresh child process (so that the parent's memory does not count).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

struct bench_proc_arg {
	char *const *argv;
	const char *in;      /* file on standard input, or NULL for /dev/null */
	const char *out;     /* file for standard output, or NULL for /dev/null */
};

/* bench_proc_redirect - open path (or /dev/null) onto fd in a child */
static void bench_proc_redirect(const char *path, int fd, int flags)
{
	int f = open(path ? path : "/dev/null", flags, 0600);
	if (f < 0 || dup2(f, fd) < 0)
		_exit(126);
	close(f);
}

/* bench_proc_one - fork, exec, wait; 0 if the program exited 0 */
static int bench_proc_one(void *arg)
{
	struct bench_proc_arg *a = arg;
	int status;
	struct rusage ru;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		bench_proc_redirect(a->in, 0, O_RDONLY);
		bench_proc_redirect(a->out, 1, O_WRONLY | O_CREAT | O_TRUNC);
		bench_proc_redirect(NULL, 2, O_WRONLY);
		execv(a->argv[0], a->argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		return -1;
	bench_child_cpu += (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
			   (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* bench_proc_passed - whether a verified message's output holds dkim=pass */
static bool bench_proc_passed(const char *path)
{
	char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return strstr(buf, "dkim=pass") != NULL;
}

/* bench_proc_exec_true - the cost of a bare fork/exec/exit, for reference (once) */
static void bench_proc_exec_true(void)
{
	static bool done;
	char *argv[] = {"/bin/true", NULL};
	struct bench_proc_arg a = {argv, NULL, NULL};
	double rate;
	if (done || !bench_wanted("exec_true") || access(argv[0], X_OK) != 0)
		return;
	done = true;
	if (bench_pair(bench_proc_one, &a, NULL, NULL, &rate, NULL) == 0)
		bench_cell("exec_true", 0, 1000.0 / rate, "ms", 0, "-", -1);
}

/* bench_proc_argv - argv of a verifying process: the pipe adapter reads standard input,
 * `dkmod verify` the file; both with the zone and, when it works, the shared state */
static void bench_proc_argv(struct bench_env *env, char **argv, char *bin, bool pipe_adapter, const char *file)
{
	size_t n = 0;
	argv[n++] = bin;
	if (!pipe_adapter)
		argv[n++] = "verify";
	argv[n++] = "--zone";
	argv[n++] = env->zone;
	argv[n++] = "--authserv-id";
	argv[n++] = "mx.example.net";
	if (env->shared) {
		argv[n++] = "--state";
		argv[n++] = env->state;
	}
	if (!pipe_adapter)
		argv[n++] = (char *)file;
	argv[n] = NULL;
}

/* bench_proc_pipe - one process per message: the pipe adapter, else `dkmod verify FILE` */
static void bench_proc_pipe(struct bench_env *env, size_t size, const char *file, double verify_floor)
{
	char bin[600], out[600], *argv[12];
	const char *label = "pipe_verify_process";
	bench_tmp_path(out, sizeof out, "pipe-out.eml");
	snprintf(bin, sizeof bin, "%s/dkmod-pipe", bench_cfg.build);
	bench_proc_argv(env, argv, bin, true, file);
	struct bench_proc_arg a = {argv, file, out};
	/* the first run checks the verdict (and warms the shared cache) */
	bool adapter = access(bin, X_OK) == 0 && bench_proc_one(&a) == 0 && bench_proc_passed(out);
	if (!adapter) {
		snprintf(bin, sizeof bin, "%s/dkmod", bench_cfg.build);
		bench_proc_argv(env, argv, bin, false, file);
		a.in = NULL;
		if (access(bin, X_OK) != 0 || bench_proc_one(&a) != 0 || !bench_proc_passed(out)) {
			bench_cell_na(label, size, "ms", "n/a (no dkmod command, or it did not pass)");
			return;
		}
	}
	a.out = NULL;
	double rate;
	if (bench_pair(bench_proc_one, &a, NULL, NULL, &rate, NULL) != 0) {
		bench_cell_na(label, size, "ms", "process failed");
		return;
	}
	double ms = 1000.0 / rate, floor_ms = verify_floor > 0 ? 1000.0 / verify_floor : 0;
	bench_cell(label, size, ms, "ms", floor_ms, adapter ? "dkmod-pipe" : "dkmod verify FILE", -1);
	if (floor_ms > 0)
		bench_cell("pipe_overhead", size, ms - floor_ms, "ms", 0, "<2 ms", ms - floor_ms < 2.0);
}

/* bench_proc_run - pipe adapter and stdio filter cells at one size */
void bench_proc_run(struct bench_env *env, size_t size, double verify_floor, double verify_rate)
{
	char file[600], name[64], bin[600];
	size_t len;
	bench_proc_exec_true();
	snprintf(name, sizeof name, "signed-%zu.eml", size);
	bench_tmp_path(file, sizeof file, name);
	char *msg = bench_wanted("pipe_") ? bench_engine_signed(env, size, &len) : NULL;
	if (msg && bench_write_file(file, msg, len) == 0)
		bench_proc_pipe(env, size, file, verify_floor);
	free(msg);
	if (!bench_wanted("stdio_verify"))
		return;
	/* the stdio filter's framing is not settled: it is measured once the adapter exists */
	snprintf(bin, sizeof bin, "%s/dkmod-stdio", bench_cfg.build);
	(void)verify_rate;
	bench_cell_na("stdio_verify", size, "msg/s",
		      access(bin, X_OK) == 0 ? "n/a (dkmod-stdio found: teach bench_proc.c its framing)"
					     : "n/a (no dkmod-stdio yet)");
}

/* bench_proc_rss_one - peak RSS in KB of a fresh child verifying a streamed message; -1 on failure */
static long bench_proc_rss_one(struct bench_env *env, size_t size)
{
	char sig_file[600], out[600], name[64], size_arg[32];
	snprintf(name, sizeof name, "rss-sig-%zu", size);
	bench_tmp_path(sig_file, sizeof sig_file, name);
	bench_tmp_path(out, sizeof out, "rss-out");
	snprintf(size_arg, sizeof size_arg, "%zu", size);
	char *sig = bench_engine_sign_stream(env, size);
	if (!sig || bench_write_file(sig_file, sig, strlen(sig)) != 0) {
		free(sig);
		return -1;
	}
	free(sig);
	char *argv[] = {(char *)bench_cfg.self, "--rss-child", env->zone, size_arg, sig_file, NULL};
	struct bench_proc_arg a = {argv, NULL, out};
	long kb = -1, hwm = -1;
	char verdict[16] = "";
	FILE *f;
	if (bench_proc_one(&a) == 0 && (f = fopen(out, "r"))) {
		if (fscanf(f, "%ld %ld %15s", &kb, &hwm, verdict) != 3 || strcmp(verdict, "pass") != 0)
			kb = -1;
		fclose(f);
	}
	if (kb > 0 && hwm > 0 && (kb > hwm + hwm / 10 || hwm > kb + kb / 10))
		fprintf(stderr, "bench: ru_maxrss %ld KB and VmHWM %ld KB disagree at %zu bytes\n", kb, hwm, size);
	return kb;
}

/* bench_proc_rss - peak RSS of verifying streamed messages of the given sizes */
void bench_proc_rss(struct bench_env *env, const size_t *sizes, size_t n)
{
	long first = -1, kb = -1;
	if (!bench_wanted("rss_verify"))
		return;
	for (size_t i = 0; i < n; i++) {
		kb = bench_proc_rss_one(env, sizes[i]);
		if (kb < 0) {
			bench_cell_na("rss_verify", sizes[i], "KB", "the child failed or did not pass");
			continue;
		}
		bench_cell("rss_verify", sizes[i], (double)kb, "KB", 0, "-", -1);
		if (i == 0)
			first = kb;
	}
	if (n > 1 && first > 0 && kb > 0)
		bench_cell("rss_growth", sizes[n - 1], (double)(kb - first), "KB", 0, "<=2048 KB", kb - first <= 2048);
}
