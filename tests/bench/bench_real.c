/*
 * bench_real.c - the cells on realistic messages: corpus_make_real's header
 * block (a Received chain, folded address lists, 18 fields) over the
 * multipart body, signed by a peer, dkimpy (tests/interop/peer_dkimpy.py
 * under /usr/bin/python3), over from:to:subject:date:message-id:
 * mime-version:content-type as mail arrives from the outside, then verified
 * by the engine with the shared cache warm.  Also the engine signing the same
 * messages.  Each beside its floor (bench_floor.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define BENCH_REAL_SEED 20261206u
#define BENCH_REAL_PYTHON "/usr/bin/python3"
#define BENCH_REAL_PEER "tests/interop/peer_dkimpy.py"
#define BENCH_REAL_HEADERS "from:to:subject:date:message-id:mime-version:content-type"
/* The envelope of the SPF and DMARC cells: a client the bench zone's "v=spf1 ip4:192.0.2.0/24 -all"
 * for example.com lets send, so SPF passes and aligns with the From domain. */
#define BENCH_REAL_CLIENT "192.0.2.25"
#define BENCH_REAL_HELO "mail-out.example.com"
#define BENCH_REAL_MAIL_FROM "bounce@example.com"
#define BENCH_REAL_PLAIN "verify_real_plain_rsa-sha256"
#define BENCH_REAL_SPF_DMARC "verify_real_spf_dmarc_rsa-sha256"
#define BENCH_REAL_COST "spf_dmarc_cost_real"

/* One algorithm of the realistic cells: its key in the bench zone and the floor's copy. */
struct bench_real_alg {
	const char *name;       /* the a= value */
	const char *selector;
	enum dkmod_algorithm alg;
	bool ed;
};

static const struct bench_real_alg bench_real_algs[] = {
	{"rsa-sha256", "rsa", DKMOD_ALG_RSA_SHA256, false},
	{"ed25519-sha256", "ed", DKMOD_ALG_ED25519_SHA256, true},
};

/* bench_real_slurp - a whole file, NUL-terminated (malloc'd); NULL on failure */
static char *bench_real_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;
	if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	return buf;
}

/* bench_real_peer_sign - the message of path signed by dkimpy with alg (malloc'd), or NULL */
static char *bench_real_peer_sign(const struct bench_env *env, const struct bench_real_alg *a, const char *path,
				  size_t size, size_t *len)
{
	char out[600], name[64];
	snprintf(name, sizeof name, "real-%zu-%s.signed", size, a->selector);
	bench_tmp_path(out, sizeof out, name);
	char *const argv[] = {BENCH_REAL_PYTHON, BENCH_REAL_PEER, "sign", "--domain", "example.com", "--selector",
			      (char *)a->selector, "--key", (char *)(a->ed ? env->ed_key : env->rsa_key),
			      "--algorithm", (char *)a->name, "--canon", "relaxed/relaxed", "--headers",
			      BENCH_REAL_HEADERS, NULL};
	if (bench_proc_exec(argv, path, out) != 0)
		return NULL;
	return bench_real_slurp(out, len);
}

/* bench_real_verify_cell - verify the peer-signed message again and again (the cache warm) */
static void bench_real_verify_cell(struct bench_env *env, struct dkmod_ctx *ctx, const struct bench_real_alg *a,
				   const char *path, size_t size)
{
	char name[96];
	size_t len = 0;
	double rate, floor;
	snprintf(name, sizeof name, "verify_real_%s", a->name);
	if (!bench_wanted(name))
		return;
	if (access(BENCH_REAL_PYTHON, X_OK) != 0 || access(BENCH_REAL_PEER, R_OK) != 0) {
		bench_cell_na(name, size, "msg/s", "no " BENCH_REAL_PYTHON " or " BENCH_REAL_PEER);
		return;
	}
	char *msg = bench_real_peer_sign(env, a, path, size, &len);
	struct bench_verify_arg v = {.ctx = ctx, .msg = msg, .len = len, .passes = 1};
	struct bench_floor_arg f = {.keys = {a->ed ? env->ed : env->rsa}, .nkeys = 1, .hash = BENCH_SHA256,
				    .msg = msg, .len = len};
	if (!msg)
		bench_cell_na(name, size, "msg/s", "dkimpy could not sign (python3-dkim)");
	else if (bench_engine_floor_verify_setup(&f) != 0 ||
		 bench_pair(bench_engine_verify_one, &v, bench_engine_floor_one, &f, &rate, &floor) != 0)
		bench_cell_na(name, size, "msg/s", "the peer's signature did not pass");
	else
		bench_cell(name, size, rate, "msg/s", floor, NULL, -1);
	free(msg);
}

/* bench_real_spf_dmarc_pass - whether one verification with the envelope gives SPF and DMARC pass */
static bool bench_real_spf_dmarc_pass(const struct bench_verify_arg *v)
{
	struct dkmod_session *s;
	struct dkmod_spf_answer spf;
	bool pass = false;
	if (dkmod_session_new(v->ctx, DKMOD_SESSION_VERIFY, &s) != DKMOD_OK)
		return false;
	if (dkmod_session_envelope(s, v->client_ip, v->helo, v->mail_from) == DKMOD_OK &&
	    dkmod_session_write(s, v->msg, v->len) == DKMOD_OK && dkmod_session_finish(s) == DKMOD_OK) {
		const struct dkmod_dmarc *d = dkmod_session_dmarc(s);
		pass = dkmod_session_spf(s, &spf) && spf.result == DKMOD_SPF_PASS && d &&
		       d->result == DKMOD_DMARC_PASS && d->spf_aligned && d->dkim_aligned;
	}
	dkmod_session_free(s);
	return pass;
}

/* bench_real_spf_dmarc_cells - the peer-signed rsa-sha256 message verified with SPF (an envelope)
 * and DMARC on, beside the same verification with both off, each against the same floor; the
 * cost of SPF and DMARC is the ratio of their times (issue 18: at most 1.10) */
static void bench_real_spf_dmarc_cells(struct bench_env *env, struct dkmod_ctx *ctx, const char *path, size_t size)
{
	bool pair = bench_wanted(BENCH_REAL_COST); /* --only spf_dmarc_cost: the two cells and their ratio */
	bool plain = pair || bench_wanted(BENCH_REAL_PLAIN), with = pair || bench_wanted(BENCH_REAL_SPF_DMARC);
	struct dkmod_options o = env->opt;
	struct dkmod_ctx *off = NULL;
	size_t len = 0;
	double rw = 0, rp = 0, floor = 0;
	if (!plain && !with)
		return;
	char *msg = bench_real_peer_sign(env, &bench_real_algs[0], path, size, &len);
	struct bench_verify_arg w = {.ctx = ctx, .msg = msg, .len = len, .passes = 1, .client_ip = BENCH_REAL_CLIENT,
				     .helo = BENCH_REAL_HELO, .mail_from = BENCH_REAL_MAIL_FROM};
	struct bench_verify_arg p = {.msg = msg, .len = len, .passes = 1};
	struct bench_floor_arg f = {.keys = {env->rsa}, .nkeys = 1, .hash = BENCH_SHA256, .msg = msg, .len = len};
	o.check_spf = o.check_dmarc = false;
	const char *why = !msg ? "dkimpy could not sign (python3-dkim)"
		: dkmod_ctx_new(&o, &off) != DKMOD_OK ? "no engine context"
		: !bench_real_spf_dmarc_pass(&w) ? "SPF and DMARC did not both pass and align"
		: !bench_cfg.no_floor && (bench_engine_floor_verify_setup(&f) != 0 ||
					  bench_pair(bench_engine_floor_one, &f, NULL, NULL, &floor, NULL) != 0)
		? "the floor failed"
		: NULL;
	p.ctx = off;
	/* interleaved, with first; under --no-floor bench_pair runs only the first (to profile one) */
	if (!why && bench_pair(bench_engine_verify_one, with ? &w : &p, plain && with ? bench_engine_verify_one : NULL,
			       &p, with ? &rw : &rp, &rp) != 0)
		why = "the signature did not pass";
	if (why) {
		bench_cell_na(with ? BENCH_REAL_SPF_DMARC : BENCH_REAL_PLAIN, size, "msg/s", why);
	} else {
		if (with)
			bench_cell(BENCH_REAL_SPF_DMARC, size, rw, "msg/s", floor, NULL, -1);
		if (rp > 0)
			bench_cell(BENCH_REAL_PLAIN, size, rp, "msg/s", floor, NULL, -1);
		if (rw > 0 && rp > 0)
			bench_cell(BENCH_REAL_COST, size, rp / rw, "x", 0, "<=1.10", rp / rw <= 1.10);
	}
	dkmod_ctx_free(off);
	free(msg);
}

/* bench_real_sign_cell - the engine signing the realistic message (relaxed/relaxed) */
static void bench_real_sign_cell(struct bench_env *env, struct dkmod_ctx *ctx, const struct bench_real_alg *a,
				 const char *msg, size_t len, size_t size)
{
	char name[96];
	double rate, floor;
	snprintf(name, sizeof name, "sign_real_%s", a->name);
	if (!bench_wanted(name))
		return;
	struct bench_sign_arg s = {.ctx = ctx, .msg = msg, .len = len};
	struct bench_floor_arg f = {.keys = {a->ed ? env->ed : env->rsa}, .nkeys = 1, .hash = BENCH_SHA256,
				    .msg = msg, .len = len};
	dkmod_sign_request_init(&s.req);
	s.req.method = DKMOD_METHOD_DKIM;
	s.req.algorithm = a->alg;
	s.req.header_canon = s.req.body_canon = DKMOD_CANON_RELAXED;
	s.req.domain = "example.com";
	s.req.selector = a->selector;
	s.req.key_file = a->ed ? env->ed_key : env->rsa_key;
	if (bench_pair(bench_engine_sign_one, &s, bench_engine_floor_one, &f, &rate, &floor) != 0)
		bench_cell_na(name, size, "msg/s", "signing failed");
	else
		bench_cell(name, size, rate, "msg/s", floor, NULL, -1);
}

/* bench_real_run - the realistic cells at one size */
void bench_real_run(struct bench_env *env, size_t size)
{
	struct dkmod_ctx *ctx;
	char path[600], name[64];
	size_t len;
	char *msg = corpus_make_real(size, BENCH_REAL_SEED, &len);
	snprintf(name, sizeof name, "real-%zu.eml", size);
	bench_tmp_path(path, sizeof path, name);
	if (!msg || bench_write_file(path, msg, len) != 0 || dkmod_ctx_new(&env->opt, &ctx) != DKMOD_OK) {
		fprintf(stderr, "bench: cannot set up the realistic cells\n");
		free(msg);
		return;
	}
	for (size_t i = 0; i < sizeof bench_real_algs / sizeof *bench_real_algs; i++)
		bench_real_verify_cell(env, ctx, &bench_real_algs[i], path, size);
	bench_real_spf_dmarc_cells(env, ctx, path, size);
	for (size_t i = 0; i < sizeof bench_real_algs / sizeof *bench_real_algs; i++)
		bench_real_sign_cell(env, ctx, &bench_real_algs[i], msg, len, size);
	dkmod_ctx_free(ctx);
	free(msg);
}
