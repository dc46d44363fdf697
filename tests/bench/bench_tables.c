/*
 * bench_tables.c - the signing table cells: signing 1 KB messages for the
 * domains of a compiled table of 100,000 domains (a refresh check and a lookup
 * per message, the keys warm in the engine's cache) against signing for one
 * domain, interleaved; and the resident memory of a process that signs for
 * many domains of that table against one that signs for one domain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define BENCH_TABLE_DOMAINS 100000
#define BENCH_TABLE_KEYS 100      /* key files the table's domains share (links to the bench key) */
#define BENCH_TABLE_RSS_MSGS 1000 /* messages signed by each RSS child */

struct bench_table_arg {
	struct dkmod_ctx *ctx;
	struct dkmod_signtable *table; /* NULL: sign for one domain */
	const char *key;               /* the one domain's key */
	const char *msg;
	size_t len;
	unsigned long msgs;
};

/* bench_tables_sign_one - sign one message, for the next domain of the table or the one domain */
static int bench_tables_sign_one(void *arg)
{
	struct bench_table_arg *a = arg;
	struct dkmod_sign_request req;
	struct dkmod_signtable_match m;
	struct dkmod_session *s;
	char domain[64], why[600], key[600];
	int rc = -1;
	dkmod_sign_request_init(&req);
	if (a->table) {
		snprintf(domain, sizeof domain, "d%lu.example.com", (a->msgs * 7919) % BENCH_TABLE_DOMAINS);
		if (dkmod_signtable_refresh(a->table, a->ctx, false, NULL, why, sizeof why) != DKMOD_OK ||
		    dkmod_signtable_lookup(a->table, NULL, domain, &m, why, sizeof why) != 1)
			return -1;
		/* the key template of an ESP's instance, keys/%{d}/%{s}.key, stood in for by one of the links */
		snprintf(key, sizeof key, "%s/tkey%lu.pem", bench_cfg.tmp, strtoul(m.sigs[0].domain + 1, NULL, 10) % BENCH_TABLE_KEYS);
		req.domain = m.sigs[0].domain;
		req.selector = m.sigs[0].selector;
		req.key_file = key;
	} else {
		req.domain = "example.com";
		req.selector = "sel";
		req.key_file = a->key;
	}
	a->msgs++;
	if (dkmod_session_new(a->ctx, 0, &s) != DKMOD_OK)
		return -1;
	if (dkmod_session_add_signer(s, &req) == DKMOD_OK && dkmod_session_write(s, a->msg, a->len) == DKMOD_OK &&
	    dkmod_session_finish(s) == DKMOD_OK && dkmod_session_added_count(s) == 1)
		rc = 0;
	dkmod_session_free(s);
	return rc;
}

/* bench_tables_make - the text table, its compiled form and the key links; 0 or -1 */
static int bench_tables_make(const struct bench_env *env, char *lmdb, size_t cap)
{
	char txt[600], key[600], why[600];
	size_t n;
	bench_tmp_path(txt, sizeof txt, "table.txt");
	bench_tmp_path(lmdb, cap, "table.lmdb");
	for (int k = 0; k < BENCH_TABLE_KEYS; k++) {
		char name[32];
		snprintf(name, sizeof name, "tkey%d.pem", k);
		if (link(env->rsa_key, bench_tmp_path(key, sizeof key, name)) != 0 && access(key, R_OK) != 0)
			return -1;
	}
	FILE *f = fopen(txt, "w");
	if (!f)
		return -1;
	for (int i = 0; i < BENCH_TABLE_DOMAINS; i++)
		fprintf(f, "d%d.example.com d%d.example.com:sel\n", i, i);
	if (fclose(f) != 0 || dkmod_signtable_compile(txt, lmdb, &n, why, sizeof why) != DKMOD_OK) {
		fprintf(stderr, "bench: signing table: %s\n", why);
		return -1;
	}
	return 0;
}

/* bench_tables_rss_one - VmHWM and RssAnon (KB) of a child signing with the table (or one domain) */
static int bench_tables_rss_one(const char *table, const char *key, long *hwm, long *anon)
{
	char out[600];
	char *argv[] = {(char *)bench_cfg.self, "--table-rss-child", (char *)table, (char *)key, NULL};
	bench_tmp_path(out, sizeof out, "table-rss-out");
	FILE *f;
	int rc = -1;
	if (bench_proc_exec(argv, NULL, out) == 0 && (f = fopen(out, "r"))) {
		rc = fscanf(f, "%ld %ld", hwm, anon) == 2 ? 0 : -1;
		fclose(f);
	}
	return rc;
}

/* bench_tables_rss_child - sign BENCH_TABLE_RSS_MSGS messages with table ("-": one domain with key),
 * print "VmHWM RssAnon" in KB; the exit status */
int bench_tables_rss_child(const char *table, const char *key)
{
	bench_cfg.tmp = getenv("DKMOD_BENCH_TMP");
	struct dkmod_options o;
	struct bench_table_arg a = {.key = key};
	char why[600];
	dkmod_options_init(&o);
	a.msg = corpus_make(1024, 1, &a.len);
	if (!a.msg || !bench_cfg.tmp || dkmod_ctx_new(&o, &a.ctx) != DKMOD_OK)
		return 1;
	if (strcmp(table, "-") != 0 && dkmod_signtable_open(table, &a.table, why, sizeof why) != DKMOD_OK)
		return 1;
	for (int i = 0; i < BENCH_TABLE_RSS_MSGS; i++)
		if (bench_tables_sign_one(&a) != 0)
			return 1;
	long hwm = -1, anon = -1;
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f)) {
		sscanf(line, "VmHWM: %ld", &hwm);
		sscanf(line, "RssAnon: %ld", &anon);
	}
	if (f)
		fclose(f);
	printf("%ld %ld\n", hwm, anon);
	dkmod_signtable_free(a.table);
	dkmod_ctx_free(a.ctx);
	free((char *)a.msg);
	return hwm > 0 && anon > 0 ? 0 : 1;
}

/* bench_tables_run - the table cells (1 KB messages) */
void bench_tables_run(struct bench_env *env)
{
	char lmdb[600], why[600];
	struct bench_table_arg one = {.key = env->rsa_key}, many = {0};
	if (!bench_wanted("sign_table_100k") && !bench_wanted("rss_table_100k"))
		return;
	if (bench_tables_make(env, lmdb, sizeof lmdb) != 0) {
		bench_cell_na("sign_table_100k", 1024, "msg/s", "the table could not be made");
		return;
	}
	one.msg = many.msg = corpus_make(1024, 1, &one.len);
	many.len = one.len;
	if (one.msg && dkmod_ctx_new(&env->opt, &one.ctx) == DKMOD_OK &&
	    dkmod_signtable_open(lmdb, &many.table, why, sizeof why) == DKMOD_OK && bench_wanted("sign_table_100k")) {
		many.ctx = one.ctx;
		double r_one = 0, r_many = 0;
		for (int i = 0; i < BENCH_TABLE_KEYS; i++) /* the keys warm, as in a running filter */
			bench_tables_sign_one(&many);
		if (bench_pair(bench_tables_sign_one, &one, bench_tables_sign_one, &many, &r_one, &r_many) != 0)
			bench_cell_na("sign_table_100k", 1024, "msg/s", "signing failed");
		else
			bench_cell("sign_table_100k", 1024, r_many, "msg/s", r_one, ">=0.95 of one domain",
				   r_many >= 0.95 * r_one);
	}
	dkmod_signtable_free(many.table);
	dkmod_ctx_free(one.ctx);
	free((char *)one.msg);
	long h1, a1, h2, a2;
	if (!bench_wanted("rss_table_100k"))
		return;
	setenv("DKMOD_BENCH_TMP", bench_cfg.tmp, 1); /* where the children find the key links */
	if (bench_tables_rss_one("-", env->rsa_key, &h1, &a1) != 0 || bench_tables_rss_one(lmdb, "-", &h2, &a2) != 0) {
		bench_cell_na("rss_table_100k_growth", 1024, "KB", "a child failed");
		return;
	}
	bench_cell("rss_one_domain", 1024, (double)h1, "KB", 0, "-", -1);
	bench_cell("rss_table_100k", 1024, (double)h2, "KB", 0, "-", -1);
	bench_cell("rss_table_100k_growth", 1024, (double)(h2 - h1), "KB", 0, "<=4096 KB", h2 - h1 <= 4096);
	bench_cell("rss_table_100k_anon_growth", 1024, (double)(a2 - a1), "KB", 0, "<=1024 KB", a2 - a1 <= 1024);
}
