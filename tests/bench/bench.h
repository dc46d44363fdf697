/*
 * bench.h - the pieces of `make bench`: the message corpus (corpus.c), the
 * OpenSSL floor and bench keys (bench_floor.c), the engine cells
 * (bench_engine.c), the process cells (bench_proc.c) and the timing harness,
 * table and results file (bench.c).  A benchmark tool, not part of the engine.
 */
#ifndef DKMOD_BENCH_H
#define DKMOD_BENCH_H

#include <stdbool.h>
#include <stddef.h>

#include "dkmod.h"

/* ---- corpus.c: deterministic messages, produced as a stream ---- */

#define CORPUS_LINE 256

/* A message being generated; the same target and seed give the same bytes. */
struct corpus {
	size_t target;            /* bytes wanted (the skeleton is the minimum) */
	unsigned seed;
	unsigned long long rng;
	int phase;                /* which part of the message comes next */
	size_t index;             /* line within the phase */
	size_t emitted;           /* bytes handed out so far */
	size_t section;           /* bytes of the current body section so far */
	size_t budget_text, budget_html;
	size_t tail;              /* bytes of the closing boundary and epilogue */
	char line[CORPUS_LINE];
	size_t line_len, line_off;
};

/* corpus_init - start a message of about target bytes */
void corpus_init(struct corpus *c, size_t target, unsigned seed);
/* corpus_read - up to cap next bytes of the message into out; 0 at the end */
size_t corpus_read(struct corpus *c, char *out, size_t cap);
/* corpus_make - the whole message in a malloc'd buffer (NUL-terminated past *len); NULL on ENOMEM */
char *corpus_make(size_t target, unsigned seed, size_t *len);
/* corpus_body - the offset of the body (after the blank line), or len if none */
size_t corpus_body(const char *msg, size_t len);
/* corpus_make_real - the same body under a realistic header block (Received chain, folded
 * address lists, 18 fields), about target bytes; malloc'd, NULL on ENOMEM */
char *corpus_make_real(size_t target, unsigned seed, size_t *len);

/* ---- bench_floor.c: keys and the floor (OpenSSL for RSA and hashing, libsodium for Ed25519) ---- */

enum bench_hash { BENCH_SHA1 = 0, BENCH_SHA256 };

struct bench_floor_key;

/* bench_floor_keygen - a new RSA-2048 (ed false) or Ed25519 key written as PEM to path (0600);
 * the record's p= value (base64 SPKI for RSA, raw 32 bytes for Ed25519) into p; 0 or -1 */
int bench_floor_keygen(const char *path, bool ed, char *p, size_t cap);
/* bench_floor_key_load - the private key of path and its public half, each decoded once */
struct bench_floor_key *bench_floor_key_load(const char *path);
/* bench_floor_key_free - release a key; NULL is fine */
void bench_floor_key_free(struct bench_floor_key *k);
/* bench_floor_hash - one digest of data; returns the digest length, 0 on failure */
size_t bench_floor_hash(enum bench_hash h, const void *data, size_t len, unsigned char *out);
/* bench_floor_sign - hash msg, sign the digest; 0 or -1 (sig: up to 512 bytes, or NULL) */
int bench_floor_sign(const struct bench_floor_key *k, enum bench_hash h, const void *msg, size_t len,
		     unsigned char *sig, size_t *sig_len);
/* bench_floor_verify - hash msg, verify sig over the digest; 1 valid, 0 or -1 otherwise */
int bench_floor_verify(const struct bench_floor_key *k, enum bench_hash h, const void *msg, size_t len,
		       const unsigned char *sig, size_t sig_len);
/* bench_floor_version - the OpenSSL and libsodium version texts */
const char *bench_floor_version(void);

/* ---- bench.c: the harness ---- */

/* One message's work; 0, or -1 on failure. */
typedef int bench_fn(void *arg);

/* What the harness was asked for. */
struct bench_cfg {
	int runs;                 /* runs per cell; the median is reported */
	double min_time;          /* seconds per run at least */
	long iters;               /* fixed iterations per run (0: calibrate to min_time) */
	const char *only;         /* run only cells whose name contains this, or NULL */
	const char *build;        /* the build directory ($(BUILD)) */
	const char *tmp;          /* the temporary directory of this run */
	const char *self;         /* the bench program itself (for child processes) */
	bool smoke;
	bool wall;                /* time by the wall clock rather than CPU time */
	bool no_floor;            /* skip the floor (to profile the engine alone) */
};

extern struct bench_cfg bench_cfg;

/* CPU seconds of the children waited for (bench_proc.c adds them) */
extern double bench_child_cpu;
/* bench_now - seconds on the harness clock (CPU time, or CLOCK_MONOTONIC with --clock wall) */
double bench_now(void);
/* bench_wanted - whether the cell name is selected by --only */
bool bench_wanted(const char *name);
/* bench_pair - median rates (items per second) of a and b, run interleaved; b may be NULL;
 * 0, or -1 if a function failed */
int bench_pair(bench_fn *a, void *arg_a, bench_fn *b, void *arg_b, double *rate_a, double *rate_b);
/* bench_cell - record one figure: printed in the table and written to the results file.
 * floor <= 0: none (the ratio is value/floor, floor/value for "ms").  target NULL: the
 * sign_/verify_ ratio target from the name; "-": none; else a text with met 1 or 0
 * (-1: a note, not judged). */
void bench_cell(const char *name, size_t size, double value, const char *unit, double floor, const char *target,
		int met);
/* bench_cell_na - record a figure that cannot be measured here, with why */
void bench_cell_na(const char *name, size_t size, const char *unit, const char *why);
/* bench_size_label - "1K", "10K", "1M", "50M" ... for a byte count (static buffer per call slot) */
const char *bench_size_label(size_t size);
/* bench_tmp_path - dir/name of the temporary directory into buf */
const char *bench_tmp_path(char *buf, size_t cap, const char *name);
/* bench_write_file - write len bytes to path; 0 or -1 */
int bench_write_file(const char *path, const void *data, size_t len);

/* ---- bench_engine.c: cells measured through the engine ---- */

/* The bench keys, zone and options shared by the engine and process cells. */
struct bench_env {
	char zone[512];
	char rsa_key[512], rsa2_key[512], ed_key[512];
	char state[512];          /* the shared state directory, when the shared cache works */
	bool shared;
	struct bench_floor_key *rsa, *rsa2, *ed;
	struct dkmod_options opt; /* with the shared state when it works */
};

/* One message to verify again and again. */
struct bench_verify_arg {
	struct dkmod_ctx *ctx;
	const char *msg;
	size_t len;
	size_t passes;      /* verdicts that must be pass */
	const char *client_ip, *helo, *mail_from; /* the SMTP envelope, or NULL: none given */
	unsigned long msgs;
};

/* The floor of one cell: one hash pass, then one key operation per key. */
struct bench_floor_arg {
	const struct bench_floor_key *keys[3];
	size_t nkeys;
	enum bench_hash hash;
	bool verify;
	const char *msg;
	size_t len;
	unsigned char sig[3][512];
	size_t sig_len[3];
};

/* One message to sign again and again. */
struct bench_sign_arg {
	struct dkmod_ctx *ctx;
	struct dkmod_sign_request req;
	const char *msg;
	size_t len;
	unsigned long msgs;
};

/* bench_engine_verify_one - verify one message (a bench_verify_arg); every signature must pass */
int bench_engine_verify_one(void *arg);
/* bench_engine_sign_one - sign one message (a bench_sign_arg) */
int bench_engine_sign_one(void *arg);
/* bench_engine_floor_one - the floor's work for one message (a bench_floor_arg) */
int bench_engine_floor_one(void *arg);
/* bench_engine_floor_verify_setup - signatures for the floor to verify; 0 or -1 */
int bench_engine_floor_verify_setup(struct bench_floor_arg *a);

/* bench_engine_setup - generate keys, write the zone, probe the shared cache; 0 or -1 */
int bench_engine_setup(struct bench_env *env);
/* bench_engine_teardown - free the keys */
void bench_engine_teardown(struct bench_env *env);
/* bench_engine_run - sign, verify, three signatures, canonicalization, cache cells at one size;
 * the rsa-sha256 relaxed verify floor in msg/s into *verify_floor (for the process cells) */
int bench_engine_run(struct bench_env *env, size_t size, double *verify_floor, double *verify_rate);
/* bench_engine_signed - the corpus message of size signed rsa-sha256 relaxed/relaxed (malloc'd) */
char *bench_engine_signed(struct bench_env *env, size_t size, size_t *len);
/* bench_engine_sign_stream - the DKIM-Signature field for a streamed corpus message of size
 * (malloc'd, CRLF-terminated); NULL on failure */
char *bench_engine_sign_stream(struct bench_env *env, size_t size);
/* bench_engine_rss_child - the child of the RSS cell: verify a streamed message; prints
 * "maxrss_kb result" and returns the exit status */
int bench_engine_rss_child(const char *zone, size_t size, const char *sig_file);

/* ---- bench_proc.c: cells measured across processes ---- */

/* bench_proc_run - pipe adapter and stdio filter cells at one size */
void bench_proc_run(struct bench_env *env, size_t size, double verify_floor, double verify_rate);
/* bench_proc_exec - run argv with stdin from in and stdout to out (NULL: /dev/null); 0 if it exited 0 */
int bench_proc_exec(char *const *argv, const char *in, const char *out);
/* bench_proc_rss - peak RSS of verifying streamed messages of the given sizes */
void bench_proc_rss(struct bench_env *env, const size_t *sizes, size_t n);

/* ---- bench_tables.c: signing with a table of 100,000 domains ---- */

/* bench_tables_run - signing with the table against one domain at 1 KB, and the RSS of each */
void bench_tables_run(struct bench_env *env);
/* bench_tables_rss_child - the child of the RSS cells (table "-": one domain with key) */
int bench_tables_rss_child(const char *table, const char *key);

/* ---- bench_real.c: realistic messages signed by a peer (dkimpy) ---- */

/* bench_real_run - verify (warm cache) and sign realistic messages at one size */
void bench_real_run(struct bench_env *env, size_t size);

#endif
