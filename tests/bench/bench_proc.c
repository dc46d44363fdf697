/*
 * bench_proc.c - the cells measured across processes: one process per
 * message as the Postfix pipe adapter runs it (fork/exec to exit), the
 * long-lived stdio filter, and peak RSS of a verification streamed in a
 * fresh child process (so that the parent's memory does not count).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

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

/* bench_proc_exec - run argv with stdin from in and stdout to out; 0 if it exited 0 */
int bench_proc_exec(char *const *argv, const char *in, const char *out)
{
	struct bench_proc_arg a = {argv, in, out};
	return bench_proc_one(&a);
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

/* bench_proc_conf - write the adapters' dkmod.conf: verify only, the bench zone, the shared
 * cache in a state directory of its own; its path into conf; 0 or -1 */
static int bench_proc_conf(struct bench_env *env, char *conf, size_t cap)
{
	static bool done;
	char state[600], text[2048];
	bench_tmp_path(conf, cap, "dkmod.conf");
	if (done)
		return 0;
	bench_tmp_path(state, sizeof state, "proc-state");
	if (mkdir(state, 0700) != 0 && errno != EEXIST)
		return -1;
	int n = snprintf(text, sizeof text,
			 "-- dkmod.conf of the bench's process cells (written by bench_proc.c)\n"
			 "dkim_validate \"bench\" { }\n"
			 "resolver { zone = \"%s\" }\n"
			 "%s%s%s"
			 "authserv_id \"mx.example.net\"\n"
			 "log { level = \"warning\" }\n",
			 env->zone, env->shared ? "keycache { state_dir = \"" : "", env->shared ? state : "",
			 env->shared ? "\" }\n" : "");
	if (n < 0 || (size_t)n >= sizeof text || bench_write_file(conf, text, (size_t)n) != 0)
		return -1;
	done = true;
	return 0;
}

/* bench_proc_sink - the stand-in sendmail: the bench's static sink, else a shell script */
static const char *bench_proc_sink(char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/bench/dkmod-bench-sink", bench_cfg.build);
	if (access(buf, X_OK) == 0)
		return buf;
	bench_tmp_path(buf, cap, "sink.sh");
	const char *sh = "#!/bin/sh\nexec cat >/dev/null\n";
	if (bench_write_file(buf, sh, strlen(sh)) != 0 || chmod(buf, 0700) != 0)
		return NULL;
	return buf;
}

/* bench_proc_check_sink - a sendmail that keeps the message (the first run checks the verdict) */
static const char *bench_proc_check_sink(char *buf, size_t cap, const char *out)
{
	char text[800];
	bench_tmp_path(buf, cap, "sink-keep.sh");
	int n = snprintf(text, sizeof text, "#!/bin/sh\nexec cat >'%s'\n", out);
	if (n < 0 || (size_t)n >= sizeof text || bench_write_file(buf, text, (size_t)n) != 0 || chmod(buf, 0700) != 0)
		return NULL;
	return buf;
}

/* bench_proc_pipe_argv - argv of dkmod-pipe as master.cf runs it, reinjecting into sendmail */
static void bench_proc_pipe_argv(char **argv, char *bin, char *conf, const char *sendmail)
{
	size_t n = 0;
	argv[n++] = bin;
	argv[n++] = "--config";
	argv[n++] = conf;
	argv[n++] = "--client-ip";
	argv[n++] = "192.0.2.7";
	argv[n++] = "--helo";
	argv[n++] = "client.example.org";
	argv[n++] = "--queue-id";
	argv[n++] = "4BENCH";
	argv[n++] = "--sendmail";
	argv[n++] = (char *)sendmail;
	argv[n++] = "-f";
	argv[n++] = "alice@example.com";
	argv[n++] = "--";
	argv[n++] = "bob@example.net";
	argv[n] = NULL;
}

/* bench_proc_cli - the older process cell: `dkmod verify --zone Z [--state DIR] FILE` */
static void bench_proc_cli(struct bench_env *env, size_t size, const char *file, double floor_ms)
{
	char bin[600], out[600], *argv[12];
	const char *label = "cli_verify_process";
	size_t n = 0;
	if (!bench_wanted(label))
		return;
	snprintf(bin, sizeof bin, "%s/dkmod", bench_cfg.build);
	bench_tmp_path(out, sizeof out, "cli-out.eml");
	argv[n++] = bin;
	argv[n++] = "verify";
	argv[n++] = "--zone";
	argv[n++] = env->zone;
	argv[n++] = "--authserv-id";
	argv[n++] = "mx.example.net";
	if (env->shared) {
		argv[n++] = "--state";
		argv[n++] = env->state;
	}
	argv[n++] = (char *)file;
	argv[n] = NULL;
	struct bench_proc_arg a = {argv, NULL, out};
	double rate;
	if (access(bin, X_OK) != 0 || bench_proc_one(&a) != 0 || !bench_proc_passed(out)) {
		bench_cell_na(label, size, "ms", "n/a (no dkmod command, or it did not pass)");
		return;
	}
	a.out = NULL;
	if (bench_pair(bench_proc_one, &a, NULL, NULL, &rate, NULL) != 0) {
		bench_cell_na(label, size, "ms", "process failed");
		return;
	}
	bench_cell(label, size, 1000.0 / rate, "ms", floor_ms, "dkmod verify FILE", -1);
}

/* bench_proc_pipe_wanted - whether --only selects a cell of the pipe group (they are measured together) */
static bool bench_proc_pipe_wanted(void)
{
	return bench_wanted("sink_process") || bench_wanted("pipe_verify_process") ||
	       bench_wanted("pipe_adapter_process") || bench_wanted("pipe_overhead");
}

/* bench_proc_pipe - one dkmod-pipe process per message (message on standard input,
 * reinjected into the stand-in sendmail), the stand-in alone, runs interleaved; the
 * adapter's own process is the difference; 0, or -1 if it could not be measured */
static int bench_proc_pipe(struct bench_env *env, size_t size, const char *file, double floor_ms)
{
	char bin[600], out[600], conf[600], sink[600], keep[600], *argv[20];
	const char *label = "pipe_verify_process", *fast = bench_proc_sink(sink, sizeof sink);
	const char *check = bench_proc_check_sink(keep, sizeof keep, bench_tmp_path(out, sizeof out, "pipe-out.eml"));
	double rate, sink_rate = 0;
	if (!bench_proc_pipe_wanted())
		return 0;
	snprintf(bin, sizeof bin, "%s/dkmod-pipe", bench_cfg.build);
	if (!fast || !check || bench_proc_conf(env, conf, sizeof conf) != 0 || access(bin, X_OK) != 0) {
		bench_cell_na(label, size, "ms", "n/a (no dkmod-pipe, or no stand-in sendmail)");
		return -1;
	}
	/* the stand-in alone, message on standard input: the least that reinjection costs */
	char *sink_argv[] = {(char *)fast, "-G", "-i", "-f", "alice@example.com", "--", "bob@example.net", NULL};
	struct bench_proc_arg s = {sink_argv, file, NULL};
	/* the first run keeps the reinjected message to check the verdict (and warms the cache) */
	bench_proc_pipe_argv(argv, bin, conf, check);
	struct bench_proc_arg a = {argv, file, NULL};
	remove(out);
	if (bench_proc_one(&a) != 0 || !bench_proc_passed(out)) {
		bench_cell_na(label, size, "ms", "n/a (dkmod-pipe failed or did not pass)");
		return -1;
	}
	bench_proc_pipe_argv(argv, bin, conf, fast);
	/* --no-floor drops bench_pair's second function: then the stand-in runs on its own */
	if (bench_pair(bench_proc_one, &a, bench_proc_one, &s, &rate, &sink_rate) != 0 ||
	    (sink_rate <= 0 && bench_pair(bench_proc_one, &s, NULL, NULL, &sink_rate, NULL) != 0)) {
		bench_cell_na(label, size, "ms", "process failed");
		return -1;
	}
	double ms = 1000.0 / rate, sink_ms = 1000.0 / sink_rate, own = ms - sink_ms;
	bench_cell("sink_process", size, sink_ms, "ms", 0, "-", -1);
	bench_cell(label, size, ms, "ms", floor_ms, "dkmod-pipe + stand-in sendmail", -1);
	bench_cell("pipe_adapter_process", size, own, "ms", floor_ms, "dkmod-pipe alone", -1);
	if (floor_ms > 0) {
		bench_cell("pipe_overhead", size, own - floor_ms, "ms", 0, "<2 ms", own - floor_ms < 2.0);
		bench_cell("pipe_overhead_with_sendmail", size, ms - floor_ms, "ms", 0, "-", -1);
	}
	return 0;
}

struct bench_proc_floor {
	const struct bench_floor_key *key;
	const char *msg;
	size_t len;
	unsigned char sig[512];
	size_t sig_len;
};

/* bench_proc_floor_one - the verify floor's work for one message: hash it, verify one RSA signature */
static int bench_proc_floor_one(void *arg)
{
	struct bench_proc_floor *f = arg;
	return bench_floor_verify(f->key, BENCH_SHA256, f->msg, f->len, f->sig, f->sig_len) == 1 ? 0 : -1;
}

/* bench_proc_floor - the in-process verify floor in ms per message when the engine cells did not
 * measure it (--only selecting process cells alone): as verify_dkim_rsa-sha256_relaxed's; 0 if none */
static double bench_proc_floor(struct bench_env *env, const char *msg, size_t len)
{
	struct bench_proc_floor f = {.key = env->rsa, .msg = msg, .len = len};
	double rate;
	if (bench_cfg.no_floor || !env->rsa ||
	    bench_floor_sign(env->rsa, BENCH_SHA256, msg, len, f.sig, &f.sig_len) != 0 ||
	    bench_pair(bench_proc_floor_one, &f, NULL, NULL, &rate, NULL) != 0 || rate <= 0)
		return 0;
	return 1000.0 / rate;
}

/* ---- the long-lived stdio filter ---- */

#define BENCH_PROC_INFLIGHT 16

struct bench_proc_stdio {
	pid_t pid;
	int to;                 /* the filter's standard input */
	FILE *from;             /* its standard output */
	clockid_t clock;        /* its CPU clock (every thread) */
	double cpu;             /* that clock when last read */
	char *req;              /* one whole request: envelope lines and the message */
	size_t req_len;
	char reply[8192];       /* the first reply (checked): every later one must equal it */
	size_t reply_len;
	int inflight;
	bool failed;
};

/* bench_proc_stdio_start - start dkmod-stdio --config conf with pipes both ways; 0 or -1 */
static int bench_proc_stdio_start(struct bench_proc_stdio *st, const char *bin, const char *conf)
{
	int in[2], out[2];
	if (pipe(in) != 0)
		return -1;
	if (pipe(out) != 0) {
		close(in[0]), close(in[1]);
		return -1;
	}
	st->pid = fork();
	if (st->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		bench_proc_redirect(NULL, 2, O_WRONLY);
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		execl(bin, bin, "--config", conf, (char *)NULL);
		_exit(127);
	}
	close(in[0]), close(out[1]);
	st->to = in[1];
	st->from = fdopen(out[0], "r");
	if (st->pid < 0 || !st->from || clock_getcpuclockid(st->pid, &st->clock) != 0) {
		if (st->from)
			fclose(st->from);
		else
			close(out[0]);
		close(in[1]);
		if (st->pid > 0)
			waitpid(st->pid, NULL, 0);
		return -1;
	}
	return 0;
}

/* bench_proc_stdio_cpu - add the filter's CPU time since the last call to the children's time */
static void bench_proc_stdio_cpu(struct bench_proc_stdio *st)
{
	struct timespec ts;
	if (clock_gettime(st->clock, &ts) != 0)
		return;
	double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	bench_child_cpu += now - st->cpu;
	st->cpu = now;
}

/* bench_proc_stdio_send - write one request; 0 or -1 */
static int bench_proc_stdio_send(struct bench_proc_stdio *st)
{
	for (size_t off = 0; off < st->req_len;) {
		ssize_t n = write(st->to, st->req + off, st->req_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	st->inflight++;
	return 0;
}

/* bench_proc_stdio_reply - read one reply to its `end` line into buf; its length, or -1 */
static long bench_proc_stdio_reply(struct bench_proc_stdio *st, char *buf, size_t cap)
{
	char line[4200];
	size_t len = 0;
	while (fgets(line, sizeof line, st->from)) {
		size_t l = strlen(line);
		if (len + l < cap)
			memcpy(buf + len, line, l + 1);
		len += l;
		if (strcmp(line, "end\n") == 0) {
			st->inflight--;
			return len < cap ? (long)len : -1;
		}
	}
	return -1;
}

/* bench_proc_stdio_passed - whether a reply accepts and adds an A-R field with dkim=pass */
static bool bench_proc_stdio_passed(const char *reply)
{
	const char *p = strstr(reply, "add-header ");
	if (!strstr(reply, "action accept\n") || !p)
		return false;
	p += strlen("add-header ");
	size_t b64 = strcspn(p, "\n");
	unsigned char ar[4096];
	if (b64 / 4 * 3 >= sizeof ar)
		return false;
	int n = EVP_DecodeBlock(ar, (const unsigned char *)p, (int)b64);
	if (n <= 0)
		return false;
	ar[n] = '\0';
	return strncmp((char *)ar, "Authentication-Results:", 23) == 0 && strstr((char *)ar, "dkim=pass");
}

/* bench_proc_stdio_one - keep BENCH_PROC_INFLIGHT requests written ahead, read one reply and
 * check it equals the first; 0 or -1 */
static int bench_proc_stdio_one(void *arg)
{
	struct bench_proc_stdio *st = arg;
	char buf[8192];
	while (st->inflight < BENCH_PROC_INFLIGHT)
		if (bench_proc_stdio_send(st) != 0)
			return st->failed = true, -1;
	long n = bench_proc_stdio_reply(st, buf, sizeof buf);
	bench_proc_stdio_cpu(st);
	if (n < 0 || (size_t)n != st->reply_len || memcmp(buf, st->reply, (size_t)n) != 0)
		return st->failed = true, -1;
	return 0;
}

/* bench_proc_stdio_stop - read the replies still owed, close the input, wait for the filter */
static void bench_proc_stdio_stop(struct bench_proc_stdio *st)
{
	char buf[8192];
	while (!st->failed && st->inflight > 0 && bench_proc_stdio_reply(st, buf, sizeof buf) >= 0)
		;
	close(st->to);
	fclose(st->from);
	waitpid(st->pid, NULL, 0);
	bench_proc_stdio_cpu(st);
}

/* bench_proc_stdio - messages per second through one dkmod-stdio, requests pipelined,
 * against the in-process verify rate of the same size */
static void bench_proc_stdio(struct bench_env *env, size_t size, const char *msg, size_t len, double verify_rate)
{
	char bin[600], conf[600];
	const char *label = "stdio_verify";
	struct bench_proc_stdio st = {0};
	snprintf(bin, sizeof bin, "%s/dkmod-stdio", bench_cfg.build);
	if (access(bin, X_OK) != 0 || bench_proc_conf(env, conf, sizeof conf) != 0) {
		bench_cell_na(label, size, "msg/s", "n/a (no dkmod-stdio)");
		return;
	}
	const char *env_lines = "client-ip 192.0.2.7\nhelo client.example.org\nrelay 0\n"
				"mail-from alice@example.com\nrcpt bob@example.net\n";
	st.req = malloc(strlen(env_lines) + 32 + len);
	if (!st.req) {
		bench_cell_na(label, size, "msg/s", "out of memory");
		return;
	}
	st.req_len = (size_t)sprintf(st.req, "%smessage %zu\n", env_lines, len);
	memcpy(st.req + st.req_len, msg, len);
	st.req_len += len;
	void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
	if (bench_proc_stdio_start(&st, bin, conf) != 0) {
		bench_cell_na(label, size, "msg/s", "cannot start dkmod-stdio");
	} else {
		/* the first request is checked (and warms the cache); the measured ones must match it */
		long n = bench_proc_stdio_send(&st) == 0 ? bench_proc_stdio_reply(&st, st.reply, sizeof st.reply) : -1;
		st.reply_len = n > 0 ? (size_t)n : 0;
		bench_proc_stdio_cpu(&st);
		double rate;
		if (n <= 0 || !bench_proc_stdio_passed(st.reply))
			bench_cell_na(label, size, "msg/s", "n/a (dkmod-stdio failed or did not pass)");
		else if (bench_pair(bench_proc_stdio_one, &st, NULL, NULL, &rate, NULL) != 0)
			bench_cell_na(label, size, "msg/s", "dkmod-stdio failed");
		else
			bench_cell(label, size, rate, "msg/s", verify_rate, ">=0.8 of in-process verify at 10K",
				   size == 10240 ? rate >= 0.8 * verify_rate : -1);
		bench_proc_stdio_stop(&st);
	}
	signal(SIGPIPE, old_pipe);
	free(st.req);
}

/* bench_proc_run - pipe adapter and stdio filter cells at one size */
void bench_proc_run(struct bench_env *env, size_t size, double verify_floor, double verify_rate)
{
	char file[600], name[64];
	size_t len;
	bench_proc_exec_true();
	if (!bench_proc_pipe_wanted() && !bench_wanted("cli_verify_process") && !bench_wanted("stdio_verify"))
		return;
	snprintf(name, sizeof name, "signed-%zu.eml", size);
	bench_tmp_path(file, sizeof file, name);
	char *msg = bench_engine_signed(env, size, &len);
	if (!msg || bench_write_file(file, msg, len) != 0) {
		free(msg);
		bench_cell_na("pipe_verify_process", size, "ms", "cannot write the signed message");
		return;
	}
	double floor_ms = verify_floor > 0 ? 1000.0 / verify_floor : 0;
	if (floor_ms <= 0 && (bench_proc_pipe_wanted() || bench_wanted("cli_verify_process")))
		floor_ms = bench_proc_floor(env, msg, len);
	bench_proc_pipe(env, size, file, floor_ms);
	bench_proc_cli(env, size, file, floor_ms);
	if (bench_wanted("stdio_verify"))
		bench_proc_stdio(env, size, msg, len, verify_rate);
	free(msg);
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
