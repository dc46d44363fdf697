/*
 * bench_engine.c - the cells measured through the engine: DKIM and
 * DomainKeys signing and verification against their OpenSSL floor, a
 * message with three signatures, canonicalization alone (core/body/canon.h),
 * the shared cache warm and cold, and the child that measures peak RSS.
 * Verification goes through the real key lookup path: a zone file served
 * to libunbound as local data.  Key decodes and private key loads are
 * counted by wrapping the engine's crypto functions at link time.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "body/canon.h"
#include "key/crypto.h"

#define BENCH_CHUNK 65536
#define BENCH_SEED 20261125u

/* ---- counting the engine's key decodes (ld --wrap) ---- */

struct crypto_pubkey *__real_crypto_pubkey_from_spki(const unsigned char *der, size_t len);
struct crypto_pubkey *__wrap_crypto_pubkey_from_spki(const unsigned char *der, size_t len);
struct crypto_pubkey *__real_crypto_pubkey_from_ed25519(const unsigned char *raw, size_t len);
struct crypto_pubkey *__wrap_crypto_pubkey_from_ed25519(const unsigned char *raw, size_t len);
struct crypto_privkey *__real_crypto_privkey_read(int fd, size_t size, const char **why);
struct crypto_privkey *__wrap_crypto_privkey_read(int fd, size_t size, const char **why);

static unsigned long bench_engine_pub_decodes, bench_engine_priv_loads;

/* __wrap_crypto_pubkey_from_spki - count, then decode an RSA public key */
struct crypto_pubkey *__wrap_crypto_pubkey_from_spki(const unsigned char *der, size_t len)
{
	bench_engine_pub_decodes++;
	return __real_crypto_pubkey_from_spki(der, len);
}

/* __wrap_crypto_pubkey_from_ed25519 - count, then decode an Ed25519 public key */
struct crypto_pubkey *__wrap_crypto_pubkey_from_ed25519(const unsigned char *raw, size_t len)
{
	bench_engine_pub_decodes++;
	return __real_crypto_pubkey_from_ed25519(raw, len);
}

/* __wrap_crypto_privkey_read - count, then read a private key file */
struct crypto_privkey *__wrap_crypto_privkey_read(int fd, size_t size, const char **why)
{
	bench_engine_priv_loads++;
	return __real_crypto_privkey_read(fd, size, why);
}

/* ---- the signatures measured ---- */

enum bench_keyid { BENCH_KEY_RSA = 0, BENCH_KEY_ED, BENCH_KEY_RSA2 };

struct bench_variant {
	const char *name;
	enum dkmod_method method;
	enum dkmod_algorithm alg;
	enum dkmod_canon canon;
	const char *domain, *selector;
	enum bench_keyid key;
	enum bench_hash hash;
};

static const struct bench_variant bench_engine_variants[] = {
	{"dkim_rsa-sha256_relaxed", DKMOD_METHOD_DKIM, DKMOD_ALG_RSA_SHA256, DKMOD_CANON_RELAXED, "example.com", "rsa",
	 BENCH_KEY_RSA, BENCH_SHA256},
	{"dkim_rsa-sha256_simple", DKMOD_METHOD_DKIM, DKMOD_ALG_RSA_SHA256, DKMOD_CANON_SIMPLE, "example.com", "rsa",
	 BENCH_KEY_RSA, BENCH_SHA256},
	{"dkim_ed25519-sha256_relaxed", DKMOD_METHOD_DKIM, DKMOD_ALG_ED25519_SHA256, DKMOD_CANON_RELAXED, "example.com",
	 "ed", BENCH_KEY_ED, BENCH_SHA256},
	{"dkim_rsa-sha1_relaxed", DKMOD_METHOD_DKIM, DKMOD_ALG_RSA_SHA1, DKMOD_CANON_RELAXED, "example.com", "rsa",
	 BENCH_KEY_RSA, BENCH_SHA1},
	{"dk_nofws", DKMOD_METHOD_DOMAINKEYS, DKMOD_ALG_RSA_SHA1, DKMOD_CANON_NOFWS, "example.com", "dk", BENCH_KEY_RSA,
	 BENCH_SHA1},
	{"dk_simple", DKMOD_METHOD_DOMAINKEYS, DKMOD_ALG_RSA_SHA1, DKMOD_CANON_SIMPLE, "example.com", "dk", BENCH_KEY_RSA,
	 BENCH_SHA1},
};
#define BENCH_NVARIANTS (sizeof bench_engine_variants / sizeof *bench_engine_variants)

/* The third signature of the three-signature message: an ESP's own domain and key. */
static const struct bench_variant bench_engine_esp = {
	"dkim_rsa-sha256_simple_esp", DKMOD_METHOD_DKIM, DKMOD_ALG_RSA_SHA256, DKMOD_CANON_SIMPLE,
	"mailer.example.net", "esp", BENCH_KEY_RSA2, BENCH_SHA256};

/* bench_engine_key_file - the key file of a variant */
static const char *bench_engine_key_file(const struct bench_env *env, enum bench_keyid id)
{
	return id == BENCH_KEY_ED ? env->ed_key : id == BENCH_KEY_RSA2 ? env->rsa2_key : env->rsa_key;
}

/* bench_engine_floor_key - the floor's copy of a variant's key */
static const struct bench_floor_key *bench_engine_floor_key(const struct bench_env *env, enum bench_keyid id)
{
	return id == BENCH_KEY_ED ? env->ed : id == BENCH_KEY_RSA2 ? env->rsa2 : env->rsa;
}

/* bench_engine_request - the sign request of a variant */
static void bench_engine_request(const struct bench_env *env, const struct bench_variant *v,
				 struct dkmod_sign_request *req)
{
	dkmod_sign_request_init(req);
	req->method = v->method;
	req->algorithm = v->alg;
	req->header_canon = req->body_canon = v->canon;
	req->domain = v->domain;
	req->selector = v->selector;
	req->key_file = bench_engine_key_file(env, v->key);
}

/* ---- keys and zone ---- */

/* bench_engine_txt - a TXT record, its value split into strings of at most 250 bytes */
static void bench_engine_txt(FILE *f, const char *owner, const char *prefix, const char *p)
{
	char value[2048];
	snprintf(value, sizeof value, "%s%s", prefix, p);
	fprintf(f, "%-20s IN TXT (", owner);
	for (size_t off = 0, n = strlen(value); off < n; off += 250)
		fprintf(f, " \"%.250s\"", value + off);
	fprintf(f, " )\n");
}

/* bench_engine_dir_used - whether a directory holds anything */
static bool bench_engine_dir_used(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool used = false;
	while (d && (e = readdir(d)))
		used = used || (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."));
	if (d)
		closedir(d);
	return used;
}

static char *bench_engine_sign_msg(struct dkmod_ctx *ctx, const struct dkmod_sign_request *reqs, size_t n,
				   const char *msg, size_t len, size_t *out_len);

/* bench_engine_probe_cache - whether a shared cache in dir works: a verification must leave state there */
static bool bench_engine_probe_cache(struct bench_env *env, const char *dir)
{
	struct dkmod_options o = env->opt;
	struct dkmod_ctx *ctx;
	struct dkmod_sign_request req;
	size_t len, slen;
	bool used = false;
	o.cache.state_dir = dir;
	if (dkmod_ctx_new(&o, &ctx) != DKMOD_OK)
		return false;
	char *msg = corpus_make(1024, BENCH_SEED, &len);
	bench_engine_request(env, &bench_engine_variants[0], &req);
	char *signed_msg = msg ? bench_engine_sign_msg(ctx, &req, 1, msg, len, &slen) : NULL;
	if (signed_msg) {
		struct bench_verify_arg a = {.ctx = ctx, .msg = signed_msg, .len = slen, .passes = 1};
		used = bench_engine_verify_one(&a) == 0 && bench_engine_dir_used(dir);
	}
	free(msg);
	free(signed_msg);
	dkmod_ctx_free(ctx);
	return used;
}

/* bench_engine_setup - generate keys, write the zone, see whether the shared cache works */
int bench_engine_setup(struct bench_env *env)
{
	char p_rsa[1024], p_rsa2[1024], p_ed[128];
	memset(env, 0, sizeof *env);
	bench_tmp_path(env->rsa_key, sizeof env->rsa_key, "rsa.key");
	bench_tmp_path(env->rsa2_key, sizeof env->rsa2_key, "rsa2.key");
	bench_tmp_path(env->ed_key, sizeof env->ed_key, "ed25519.key");
	bench_tmp_path(env->zone, sizeof env->zone, "bench.zone");
	if (bench_floor_keygen(env->rsa_key, false, p_rsa, sizeof p_rsa) != 0 ||
	    bench_floor_keygen(env->rsa2_key, false, p_rsa2, sizeof p_rsa2) != 0 ||
	    bench_floor_keygen(env->ed_key, true, p_ed, sizeof p_ed) != 0) {
		fprintf(stderr, "bench: key generation failed\n");
		return -1;
	}
	env->rsa = bench_floor_key_load(env->rsa_key);
	env->rsa2 = bench_floor_key_load(env->rsa2_key);
	env->ed = bench_floor_key_load(env->ed_key);
	FILE *f = fopen(env->zone, "w");
	if (!env->rsa || !env->rsa2 || !env->ed || !f) {
		fprintf(stderr, "bench: cannot load keys or write %s\n", env->zone);
		if (f)
			fclose(f);
		return -1;
	}
	fprintf(f, "; bench.zone - keys of this bench run, served to libunbound as local data\n"
		   "$TTL 300\n$ORIGIN example.com.\n"
		   "@ IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 300\n"
		   "@ IN NS ns.example.com.\n@ IN MX 10 mx.example.com.\n@ IN A 192.0.2.1\n"
		   "mx IN A 192.0.2.25\nns IN A 192.0.2.53\n"
		   "_domainkey IN TXT \"o=~\"\n_adsp._domainkey IN TXT \"dkim=unknown\"\n"
		   "_dmarc IN TXT \"v=DMARC1; p=none\"\n@ IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n");
	bench_engine_txt(f, "rsa._domainkey", "v=DKIM1; k=rsa; p=", p_rsa);
	bench_engine_txt(f, "ed._domainkey", "v=DKIM1; k=ed25519; p=", p_ed);
	bench_engine_txt(f, "dk._domainkey", "k=rsa; p=", p_rsa);
	fprintf(f, "$ORIGIN mailer.example.net.\n"
		   "@ IN SOA ns.example.net. hostmaster.example.net. 1 3600 600 86400 300\n"
		   "@ IN NS ns.example.net.\n");
	bench_engine_txt(f, "esp._domainkey", "v=DKIM1; k=rsa; p=", p_rsa2);
	/* the top-level zones, as on the Internet: DMARC's tree walk asks _dmarc.com and gets NXDOMAIN */
	fprintf(f, "$ORIGIN com.\n@ IN SOA a.gtld-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 900\n"
		   "$ORIGIN net.\n@ IN SOA a.gtld-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 900\n");
	if (fclose(f) != 0)
		return -1;
	dkmod_options_init(&env->opt);
	env->opt.authserv_id = "mx.example.net";
	env->opt.allow_sha1 = true; /* the rsa-sha1 cells measure verification, not the RFC 8301 refusal */
	env->opt.resolver.zone_file = env->zone;
	bench_tmp_path(env->state, sizeof env->state, "state");
	env->shared = bench_engine_probe_cache(env, env->state);
	if (env->shared)
		env->opt.cache.state_dir = env->state;
	return 0;
}

/* bench_engine_teardown - free the keys */
void bench_engine_teardown(struct bench_env *env)
{
	bench_floor_key_free(env->rsa);
	bench_floor_key_free(env->rsa2);
	bench_floor_key_free(env->ed);
}

/* ---- one message through a session ---- */

/* bench_engine_write - the message in 64 KB chunks */
static int bench_engine_write(struct dkmod_session *s, const char *msg, size_t len)
{
	for (size_t off = 0; off < len; off += BENCH_CHUNK) {
		size_t n = len - off < BENCH_CHUNK ? len - off : BENCH_CHUNK;
		if (dkmod_session_write(s, msg + off, n) != DKMOD_OK)
			return -1;
	}
	return 0;
}

/* bench_engine_sign_msg - msg signed with n requests, the new fields on top (malloc'd) */
static char *bench_engine_sign_msg(struct dkmod_ctx *ctx, const struct dkmod_sign_request *reqs, size_t n,
				   const char *msg, size_t len, size_t *out_len)
{
	struct dkmod_session *s;
	char *out = NULL;
	if (dkmod_session_new(ctx, 0, &s) != DKMOD_OK)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (dkmod_session_add_signer(s, &reqs[i]) != DKMOD_OK)
			goto done;
	if (bench_engine_write(s, msg, len) != 0 || dkmod_session_finish(s) != DKMOD_OK)
		goto done;
	size_t extra = 0, k = dkmod_session_added_count(s);
	for (size_t i = 0; i < k; i++)
		extra += strlen(dkmod_session_added(s, i)) + 2;
	if (k != n || !(out = malloc(extra + len + 1)))
		goto done;
	size_t o = 0;
	for (size_t i = 0; i < k; i++) {
		size_t fl = strlen(dkmod_session_added(s, i));
		memcpy(out + o, dkmod_session_added(s, i), fl);
		memcpy(out + o + fl, "\r\n", 2);
		o += fl + 2;
	}
	memcpy(out + o, msg, len);
	out[o + len] = '\0';
	*out_len = o + len;
done:
	dkmod_session_free(s);
	return out;
}

/* bench_engine_sign_one - sign one message */
int bench_engine_sign_one(void *arg)
{
	struct bench_sign_arg *a = arg;
	struct dkmod_session *s;
	int rc = -1;
	if (dkmod_session_new(a->ctx, 0, &s) != DKMOD_OK)
		return -1;
	if (dkmod_session_add_signer(s, &a->req) == DKMOD_OK && bench_engine_write(s, a->msg, a->len) == 0 &&
	    dkmod_session_finish(s) == DKMOD_OK && dkmod_session_added_count(s) == 1)
		rc = 0;
	dkmod_session_free(s);
	a->msgs++;
	return rc;
}

/* bench_engine_verify_one - verify one message; every signature must pass */
int bench_engine_verify_one(void *arg)
{
	struct bench_verify_arg *a = arg;
	struct dkmod_session *s;
	size_t pass = 0;
	if (dkmod_session_new(a->ctx, DKMOD_SESSION_VERIFY, &s) != DKMOD_OK)
		return -1;
	if ((!a->client_ip || dkmod_session_envelope(s, a->client_ip, a->helo, a->mail_from) == DKMOD_OK) &&
	    bench_engine_write(s, a->msg, a->len) == 0 && dkmod_session_finish(s) == DKMOD_OK)
		for (size_t i = 0; i < dkmod_session_result_count(s); i++)
			pass += dkmod_session_result(s, i)->result == DKMOD_RESULT_PASS;
	dkmod_session_free(s);
	a->msgs++;
	return pass == a->passes ? 0 : -1;
}

/* bench_engine_floor_one - the floor's work for one message */
int bench_engine_floor_one(void *arg)
{
	struct bench_floor_arg *a = arg;
	if (!a->verify)
		return bench_floor_sign(a->keys[0], a->hash, a->msg, a->len, NULL, NULL);
	/* the first verification hashes the message; the others check the same digest */
	for (size_t i = 0; i < a->nkeys; i++)
		if (bench_floor_verify(a->keys[i], a->hash, a->msg, i ? 0 : a->len, a->sig[i], a->sig_len[i]) != 1)
			return -1;
	return 0;
}

/* bench_engine_floor_verify_setup - signatures for the floor to verify */
int bench_engine_floor_verify_setup(struct bench_floor_arg *a)
{
	a->verify = true;
	for (size_t i = 0; i < a->nkeys; i++)
		if (bench_floor_sign(a->keys[i], a->hash, a->msg, i ? 0 : a->len, a->sig[i], &a->sig_len[i]) != 0)
			return -1;
	return 0;
}

/* ---- cells ---- */

/* bench_engine_sign_cell - sign one variant at one size */
static void bench_engine_sign_cell(struct bench_env *env, struct dkmod_ctx *ctx, const struct bench_variant *v,
				   const char *msg, size_t len, size_t size)
{
	char name[96];
	snprintf(name, sizeof name, "sign_%s", v->name);
	if (!bench_wanted(name))
		return;
	struct bench_sign_arg a = {.ctx = ctx, .msg = msg, .len = len};
	struct bench_floor_arg f = {.keys = {bench_engine_floor_key(env, v->key)}, .nkeys = 1, .hash = v->hash,
				    .msg = msg, .len = len};
	bench_engine_request(env, v, &a.req);
	double rate, floor;
	unsigned long loads = bench_engine_priv_loads;
	if (bench_pair(bench_engine_sign_one, &a, bench_engine_floor_one, &f, &rate, &floor) != 0) {
		bench_cell_na(name, size, "msg/s", "signing failed");
		return;
	}
	bench_cell(name, size, rate, "msg/s", floor, NULL, -1);
	if (v == &bench_engine_variants[0] && a.msgs) {
		double per = (double)(bench_engine_priv_loads - loads) / (double)a.msgs;
		bench_cell("privkey_loads_per_msg", size, per, "loads", 0, "<=0.01", per <= 0.01);
	}
}

/* bench_engine_verify_cell - verify a message signed with n variants at one size */
static void bench_engine_verify_cell(struct bench_env *env, struct dkmod_ctx *ctx, const char *name,
				     const struct bench_variant *const *v, size_t n, const char *msg, size_t len,
				     size_t size, double *floor_out, double *rate_out)
{
	if (!bench_wanted(name))
		return;
	struct dkmod_sign_request reqs[3];
	for (size_t i = 0; i < n; i++)
		bench_engine_request(env, v[i], &reqs[i]);
	size_t slen;
	char *signed_msg = bench_engine_sign_msg(ctx, reqs, n, msg, len, &slen);
	struct bench_verify_arg a = {.ctx = ctx, .msg = signed_msg, .len = slen, .passes = n};
	struct bench_floor_arg f = {.nkeys = n, .hash = v[0]->hash, .msg = signed_msg, .len = slen};
	for (size_t i = 0; i < n; i++)
		f.keys[i] = bench_engine_floor_key(env, v[i]->key);
	double rate, floor;
	unsigned long decodes = bench_engine_pub_decodes;
	if (!signed_msg || bench_engine_floor_verify_setup(&f) != 0 ||
	    bench_pair(bench_engine_verify_one, &a, bench_engine_floor_one, &f, &rate, &floor) != 0) {
		bench_cell_na(name, size, "msg/s", signed_msg ? "verification did not pass" : "signing failed");
		free(signed_msg);
		return;
	}
	bench_cell(name, size, rate, "msg/s", floor, NULL, -1);
	if ((v[0] == &bench_engine_variants[0] || n > 1) && a.msgs) {
		double per = (double)(bench_engine_pub_decodes - decodes) / (double)a.msgs;
		char cell[96];
		snprintf(cell, sizeof cell, "pubkey_decodes_per_msg%s", n > 1 ? "_3sig" : "");
		bench_cell(cell, size, per, "decodes", 0, "<=0.01", per <= 0.01);
	}
	if (floor_out)
		*floor_out = floor;
	if (rate_out)
		*rate_out = rate;
	free(signed_msg);
}

struct bench_canon_arg {
	enum dkmod_canon canon;
	bool domainkeys, hashed;
	enum bench_hash hash;
	const char *body;
	size_t len;
	size_t sunk;
};

static struct canon_body bench_engine_canon_state;

/* bench_engine_null_sink - count canonical bytes, nothing else */
static void bench_engine_null_sink(void *arg, const void *data, size_t len)
{
	(void)data;
	((struct bench_canon_arg *)arg)->sunk += len;
}

/* bench_engine_hash_sink - canonical bytes into the engine's hasher */
static void bench_engine_hash_sink(void *arg, const void *data, size_t len)
{
	crypto_hasher_update(arg, data, len);
}

/* bench_engine_canon_one - canonicalize one body (and hash it when hashed) */
static int bench_engine_canon_one(void *arg)
{
	struct bench_canon_arg *a = arg;
	struct canon_body *b = &bench_engine_canon_state;
	struct crypto_hasher *h = NULL;
	unsigned char digest[CRYPTO_MAX_DIGEST];
	if (a->hashed) {
		if (!(h = crypto_hasher_new(a->hash == BENCH_SHA1 ? CRYPTO_SHA1 : CRYPTO_SHA256)))
			return -1;
		canon_body_init(b, a->canon, a->domainkeys, -1, bench_engine_hash_sink, h);
	} else {
		canon_body_init(b, a->canon, a->domainkeys, -1, bench_engine_null_sink, a);
	}
	for (size_t off = 0; off < a->len; off += BENCH_CHUNK)
		canon_body_update(b, a->body + off, a->len - off < BENCH_CHUNK ? a->len - off : BENCH_CHUNK);
	canon_body_final(b);
	int rc = h ? crypto_hasher_final(h, digest) : 0;
	crypto_hasher_free(h);
	return rc;
}

/* bench_engine_hash_one - the floor of a hashed canonicalization: hash the raw body */
static int bench_engine_hash_one(void *arg)
{
	struct bench_canon_arg *a = arg;
	unsigned char digest[64];
	return bench_floor_hash(a->hash, a->body, a->len, digest) ? 0 : -1;
}

/* bench_engine_canon_cells - canonicalization alone, null and hash sinks, per algorithm */
static void bench_engine_canon_cells(const char *msg, size_t len, size_t size)
{
	static const struct {
		const char *name;
		enum dkmod_canon canon;
		bool dk;
	} algs[] = {{"dkim_simple", DKMOD_CANON_SIMPLE, false}, {"dkim_relaxed", DKMOD_CANON_RELAXED, false},
		    {"dk_simple", DKMOD_CANON_SIMPLE, true}, {"dk_nofws", DKMOD_CANON_NOFWS, true}};
	size_t off = corpus_body(msg, len);
	for (size_t i = 0; i < sizeof algs / sizeof *algs; i++) {
		for (int hashed = 0; hashed < 2; hashed++) {
			char name[96];
			enum bench_hash hash = algs[i].dk ? BENCH_SHA1 : BENCH_SHA256;
			snprintf(name, sizeof name, "canon_%s_%s", algs[i].name,
				 hashed ? (hash == BENCH_SHA1 ? "sha1" : "sha256") : "null");
			if (!bench_wanted(name))
				continue;
			struct bench_canon_arg a = {algs[i].canon, algs[i].dk, hashed, hash, msg + off, len - off, 0};
			double rate, floor = 0, mb = (double)(len - off) / 1e6;
			if (bench_pair(bench_engine_canon_one, &a, hashed ? bench_engine_hash_one : NULL, &a, &rate,
				       &floor) != 0) {
				bench_cell_na(name, size, "MB/s", "canonicalization failed");
				continue;
			}
			bench_cell(name, size, rate * mb, "MB/s", floor * mb, "-", -1);
		}
	}
}

/* bench_engine_cache_cells - verification with the shared cache warm, cold, and without one */
static void bench_engine_cache_cells(struct bench_env *env, struct dkmod_ctx *ctx, const char *msg, size_t len,
				     size_t size)
{
	struct dkmod_sign_request req;
	size_t slen;
	double floor = 0;
	bench_engine_request(env, &bench_engine_variants[0], &req);
	char *signed_msg = bench_engine_sign_msg(ctx, &req, 1, msg, len, &slen);
	struct bench_floor_arg f = {.keys = {env->rsa}, .nkeys = 1, .hash = BENCH_SHA256, .msg = signed_msg,
				    .len = slen};
	if (!signed_msg || bench_engine_floor_verify_setup(&f) != 0 ||
	    bench_pair(bench_engine_floor_one, &f, NULL, NULL, &floor, NULL) != 0) {
		free(signed_msg);
		return;
	}
	struct dkmod_options o = env->opt;
	struct dkmod_ctx *cold = NULL, *none = NULL;
	char cold_dir[600], name[64];
	double rw, rc, rn;
	snprintf(name, sizeof name, "state-cold-%zu", size);
	bench_tmp_path(cold_dir, sizeof cold_dir, name);
	/* cold: a cache of one entry, which the other lookups of each message evict */
	o.cache.state_dir = cold_dir;
	o.cache.size = 1;
	if (!bench_wanted("verify_cache_")) {
		/* not asked for */
	} else if (!env->shared) {
		bench_cell_na("verify_cache_warm", size, "msg/s", "n/a (no shared cache yet)");
		bench_cell_na("verify_cache_cold", size, "msg/s", "n/a (no shared cache yet)");
	} else if (dkmod_ctx_new(&o, &cold) == DKMOD_OK) {
		struct bench_verify_arg w = {.ctx = ctx, .msg = signed_msg, .len = slen, .passes = 1};
		struct bench_verify_arg c = {.ctx = cold, .msg = signed_msg, .len = slen, .passes = 1};
		if (bench_pair(bench_engine_verify_one, &w, bench_engine_verify_one, &c, &rw, &rc) == 0) {
			bench_cell("verify_cache_warm", size, rw, "msg/s", floor, NULL, -1);
			bench_cell("verify_cache_cold", size, rc, "msg/s", floor, "-", -1);
		}
	}
	o.cache.state_dir = NULL;
	if (bench_wanted("verify_nocache") && dkmod_ctx_new(&o, &none) == DKMOD_OK) {
		struct bench_verify_arg n = {.ctx = none, .msg = signed_msg, .len = slen, .passes = 1};
		if (bench_pair(bench_engine_verify_one, &n, NULL, NULL, &rn, NULL) == 0)
			bench_cell("verify_nocache", size, rn, "msg/s", floor, "-", -1);
	}
	dkmod_ctx_free(cold);
	dkmod_ctx_free(none);
	free(signed_msg);
}

/* bench_engine_run - every engine cell at one size */
int bench_engine_run(struct bench_env *env, size_t size, double *verify_floor, double *verify_rate)
{
	struct dkmod_ctx *ctx;
	size_t len;
	char *msg = corpus_make(size, BENCH_SEED, &len);
	if (!msg || dkmod_ctx_new(&env->opt, &ctx) != DKMOD_OK) {
		fprintf(stderr, "bench: cannot set up the engine\n");
		free(msg);
		return -1;
	}
	for (size_t i = 0; i < BENCH_NVARIANTS; i++)
		bench_engine_sign_cell(env, ctx, &bench_engine_variants[i], msg, len, size);
	for (size_t i = 0; i < BENCH_NVARIANTS; i++) {
		char name[96];
		const struct bench_variant *v = &bench_engine_variants[i];
		snprintf(name, sizeof name, "verify_%s", v->name);
		bench_engine_verify_cell(env, ctx, name, &v, 1, msg, len, size, i ? NULL : verify_floor,
					 i ? NULL : verify_rate);
	}
	const struct bench_variant *three[] = {&bench_engine_variants[0], &bench_engine_variants[2], &bench_engine_esp};
	bench_engine_verify_cell(env, ctx, "verify_dkim_3sig", three, 3, msg, len, size, NULL, NULL);
	bench_engine_canon_cells(msg, len, size);
	if (bench_wanted("verify_cache_") || bench_wanted("verify_nocache"))
		bench_engine_cache_cells(env, ctx, msg, len, size);
	dkmod_ctx_free(ctx);
	free(msg);
	return 0;
}

/* bench_engine_signed - the corpus message of size signed rsa-sha256 relaxed/relaxed */
char *bench_engine_signed(struct bench_env *env, size_t size, size_t *out_len)
{
	struct dkmod_ctx *ctx;
	struct dkmod_sign_request req;
	size_t len;
	char *msg = corpus_make(size, BENCH_SEED, &len), *out = NULL;
	if (msg && dkmod_ctx_new(&env->opt, &ctx) == DKMOD_OK) {
		bench_engine_request(env, &bench_engine_variants[0], &req);
		out = bench_engine_sign_msg(ctx, &req, 1, msg, len, out_len);
		dkmod_ctx_free(ctx);
	}
	free(msg);
	return out;
}

/* bench_engine_sign_stream - the DKIM-Signature field of a streamed corpus message */
char *bench_engine_sign_stream(struct bench_env *env, size_t size)
{
	static char chunk[BENCH_CHUNK];
	struct dkmod_ctx *ctx;
	struct dkmod_session *s = NULL;
	struct dkmod_sign_request req;
	struct corpus c;
	char *out = NULL;
	size_t n;
	if (dkmod_ctx_new(&env->opt, &ctx) != DKMOD_OK)
		return NULL;
	bench_engine_request(env, &bench_engine_variants[0], &req);
	corpus_init(&c, size, BENCH_SEED);
	if (dkmod_session_new(ctx, 0, &s) != DKMOD_OK || dkmod_session_add_signer(s, &req) != DKMOD_OK)
		goto done;
	while ((n = corpus_read(&c, chunk, sizeof chunk)) > 0)
		if (dkmod_session_write(s, chunk, n) != DKMOD_OK)
			goto done;
	if (dkmod_session_finish(s) == DKMOD_OK && dkmod_session_added_count(s) == 1) {
		const char *field = dkmod_session_added(s, 0);
		if ((out = malloc(strlen(field) + 3)))
			sprintf(out, "%s\r\n", field);
	}
done:
	dkmod_session_free(s);
	dkmod_ctx_free(ctx);
	return out;
}

/* bench_engine_hwm - VmHWM of /proc/self/status in KB, -1 if unknown (a cross-check) */
static long bench_engine_hwm(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

/* bench_engine_rss_work - the grandchild: verify, then report ru_maxrss, VmHWM and the verdict */
static int bench_engine_rss_work(const char *zone, size_t size, const char *sig_file)
{
	static char chunk[BENCH_CHUNK];
	struct dkmod_options o;
	struct dkmod_ctx *ctx;
	struct dkmod_session *s;
	struct corpus c;
	struct rusage ru;
	size_t n;
	bool pass = false;
	FILE *f = fopen(sig_file, "r");
	if (!f)
		return 1;
	n = fread(chunk, 1, sizeof chunk, f);
	fclose(f);
	dkmod_options_init(&o);
	o.authserv_id = "mx.example.net";
	o.allow_sha1 = true;
	o.resolver.zone_file = zone;
	if (dkmod_ctx_new(&o, &ctx) != DKMOD_OK)
		return 1;
	if (dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s) != DKMOD_OK || dkmod_session_write(s, chunk, n) != DKMOD_OK)
		return 1;
	corpus_init(&c, size, BENCH_SEED);
	while ((n = corpus_read(&c, chunk, sizeof chunk)) > 0)
		if (dkmod_session_write(s, chunk, n) != DKMOD_OK)
			return 1;
	if (dkmod_session_finish(s) == DKMOD_OK)
		for (size_t i = 0; i < dkmod_session_result_count(s); i++)
			pass = pass || dkmod_session_result(s, i)->result == DKMOD_RESULT_PASS;
	dkmod_session_free(s);
	dkmod_ctx_free(ctx);
	getrusage(RUSAGE_SELF, &ru);
	printf("%ld %ld %s\n", ru.ru_maxrss, bench_engine_hwm(), pass ? "pass" : "fail");
	fflush(stdout);
	return 0;
}

/* bench_engine_rss_child - verify a streamed message, print peak RSS and the verdict.
 * Linux carries the RSS of the forked copy of the parent across exec into ru_maxrss,
 * so the exec'd child forks once more, while small, and the grandchild does the work. */
int bench_engine_rss_child(const char *zone, size_t size, const char *sig_file)
{
	int status;
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid > 0)
		return waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	fflush(stdout);
	_exit(bench_engine_rss_work(zone, size, sig_file));
}
