/*
 * ctx.c - the process-wide context: options with their defaults, the
 * resolver, logging, and the names of statuses and results.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "key/privkeys.h"
#include "engine/session.h"
#include "store/stats.h"
#include "method/method.h"
#include "util/log.h"

/* dkmod_strerror - a short English text for a status */
const char *dkmod_strerror(enum dkmod_status status)
{
	switch (status) {
	case DKMOD_OK: return "success";
	case DKMOD_ENOMEM: return "out of memory";
	case DKMOD_EINVAL: return "invalid argument";
	case DKMOD_ESTATE: return "call out of order";
	case DKMOD_ELIMIT: return "limit exceeded";
	case DKMOD_EKEY: return "private key unusable";
	case DKMOD_EDNS: return "resolver setup failed";
	case DKMOD_EIO: return "input/output error";
	case DKMOD_ECRYPTO: return "crypto library failure";
	}
	return "unknown status";
}

/* dkmod_result_name - "pass", "fail", ... for a result */
const char *dkmod_result_name(enum dkmod_result result)
{
	static const char *const names[] = {"none", "pass", "fail", "neutral", "policy", "permerror", "temperror"};
	return (unsigned)result < sizeof names / sizeof *names ? names[result] : "none";
}

/* dkmod_dnssec_name - "insecure", "secure", ... */
const char *dkmod_dnssec_name(enum dkmod_dnssec state)
{
	static const char *const names[] = {"", "insecure", "secure", "bogus"};
	return (unsigned)state < sizeof names / sizeof *names ? names[state] : "";
}

/* dkmod_options_init - fill in the defaults */
void dkmod_options_init(struct dkmod_options *o)
{
	memset(o, 0, sizeof *o);
	o->min_key_bits = 1024;
	o->max_signatures = 8;
	o->clock_skew = 300;
	o->max_header_fields = 1000;
	o->max_header_bytes = 1024 * 1024;
	o->allow_sha1 = false; /* RFC 8301 */
	o->resolver.timeout_ms = 5000;
	o->check_policies = true;
	o->check_spf = true;
	o->check_dmarc = true;
	o->signing_keys = 1000;
	o->cache.size = 2048;
	o->cache.ttl = 300;
	o->cache.negative_ttl = 3600;
	o->report.interval = 86400;
	o->report.max_rows = 1000;
	o->report.map_size = (size_t)64 << 20;
}

/* dkmod_sign_request_init - DKIM rsa-sha256 relaxed/relaxed, From oversigned */
void dkmod_sign_request_init(struct dkmod_sign_request *r)
{
	memset(r, 0, sizeof *r);
	r->method = DKMOD_METHOD_DKIM;
	r->algorithm = DKMOD_ALG_RSA_SHA256;
	r->header_canon = DKMOD_CANON_RELAXED;
	r->body_canon = DKMOD_CANON_RELAXED;
	r->oversign = true;
	r->body_length = -1;
}

/* ctx_copy_list - copy a NULL-terminated string list into the arena */
static const char *const *ctx_copy_list(struct arena *a, const char *const *list)
{
	if (!list)
		return NULL;
	size_t n = 0;
	while (list[n])
		n++;
	const char **copy = arena_alloc(a, (n + 1) * sizeof *copy);
	if (!copy)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(copy[i] = arena_strdup(a, list[i])))
			return NULL;
	return copy;
}

/* ctx_id_ok - an authserv-id goes into header fields (and a trusted one into a comment of
 * ours): a single token, nothing that could end or split a field, a value or a comment */
static bool ctx_id_ok(const char *id)
{
	for (const char *p = id; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p == 0x7f || strchr(";()\"\\", *p))
			return false;
	return id[0] != '\0';
}

/* ctx_ids_ok - ours (NULL: the host name) and the trusted ones are tokens; logged if not */
static bool ctx_ids_ok(const struct dkmod_ctx *ctx, const char *ours, const char *const *trusted)
{
	bool ok = !ours || ctx_id_ok(ours);
	if (!ok)
		session_log(ctx, DKMOD_LOG_ERROR, "authserv-id must be a single token without ';'");
	for (size_t i = 0; ok && trusted && trusted[i]; i++)
		if (!(ok = ctx_id_ok(trusted[i])))
			session_log(ctx, DKMOD_LOG_ERROR, "trusted authserv-id '%.100s' is not a single token",
				    trusted[i]);
	return ok;
}

/* ctx_copy - copy a string option (NULL stays NULL) */
static const char *ctx_copy(struct arena *a, const char *s, bool *ok)
{
	if (!s)
		return NULL;
	char *c = arena_strdup(a, s);
	if (!c)
		*ok = false;
	return c;
}

/* ctx_cache_get - the resolver asks the shared cache (dns_query_shared); valid until the next call */
static bool ctx_cache_get(void *arg, const char *name, enum dns_type type, struct dns_result *out)
{
	struct dkmod_ctx *ctx = arg;
	arena_free(&ctx->cache_scratch); /* its block goes back to the spare list, for the next get */
	return keycache_get(ctx->cache, name, type, session_now(ctx), &ctx->cache_scratch, out);
}

/* ctx_cache_put - the resolver tells the shared cache an answer */
static void ctx_cache_put(void *arg, const char *name, enum dns_type type, const struct dns_result *r)
{
	struct dkmod_ctx *ctx = arg;
	keycache_put(ctx->cache, name, type, r, session_now(ctx));
}

/* ctx_dns_failed - the resolver's setup failed: said once; its lookups give temperror */
static void ctx_dns_failed(void *arg, const char *why)
{
	session_log(arg, DKMOD_LOG_ERROR, "resolver setup failed: %s", why);
}

/* ctx_dns - the resolver, made now if it is not there yet; NULL (logged) on failure.  With a
 * shared cache libunbound's part waits for the first answer the cache does not have: SPF and
 * DMARC take the resolver at once, and most of their answers come from the cache. */
struct dns *ctx_dns(struct dkmod_ctx *ctx)
{
	if (ctx->dns || ctx->dns_failed)
		return ctx->dns;
	const char *why = "";
	ctx->dns = ctx->cache ? dns_new_deferred(&ctx->opt.resolver, &why) : dns_new(&ctx->opt.resolver, &why);
	if (!ctx->dns) {
		ctx->dns_failed = true;
		ctx_dns_failed(ctx, why);
	} else if (ctx->cache) {
		const struct dns_cache_hooks hooks = {ctx_cache_get, ctx_cache_put, ctx_dns_failed, ctx};
		dns_set_cache(ctx->dns, &hooks);
	}
	return ctx->dns;
}

/* dkmod_ctx_new - a context for many sessions */
enum dkmod_status dkmod_ctx_new(const struct dkmod_options *options, struct dkmod_ctx **out)
{
	*out = NULL;
	struct dkmod_ctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return DKMOD_ENOMEM;
	ctx->opt = *options;
	arena_init(&ctx->strings);
	arena_init_spare(&ctx->cache_scratch, &ctx->arena_spare);
	bool ok = true;
	char host[256] = "localhost";
	if (!ctx_ids_ok(ctx, options->authserv_id && options->authserv_id[0] ? options->authserv_id : NULL,
			options->trusted_authserv_ids)) {
		dkmod_ctx_free(ctx);
		return DKMOD_EINVAL;
	}
	if (!options->authserv_id || !options->authserv_id[0]) {
		if (gethostname(host, sizeof host - 1) != 0 || !host[0])
			strcpy(host, "localhost");
		host[sizeof host - 1] = '\0';
		ctx->opt.authserv_id = ctx_copy(&ctx->strings, host, &ok);
	} else {
		ctx->opt.authserv_id = ctx_copy(&ctx->strings, options->authserv_id, &ok);
	}
	struct dkmod_resolver_options *r = &ctx->opt.resolver;
	r->zone_file = ctx_copy(&ctx->strings, r->zone_file, &ok);
	ctx->opt.cache.state_dir = ctx_copy(&ctx->strings, ctx->opt.cache.state_dir, &ok);
	r->trust_anchor_file = ctx_copy(&ctx->strings, r->trust_anchor_file, &ok);
	if (ctx->opt.trusted_authserv_ids &&
	    !(ctx->opt.trusted_authserv_ids = ctx_copy_list(&ctx->strings, ctx->opt.trusted_authserv_ids)))
		ok = false;
	if (r->forwarders && !(r->forwarders = ctx_copy_list(&ctx->strings, r->forwarders)))
		ok = false;
	if (r->stubs && !(r->stubs = ctx_copy_list(&ctx->strings, r->stubs)))
		ok = false;
	if (!ok) {
		dkmod_ctx_free(ctx);
		return DKMOD_ENOMEM;
	}
	if (ctx->opt.max_signatures == 0)
		ctx->opt.max_signatures = 1;
	if (r->timeout_ms == 0)
		r->timeout_ms = 5000;
	if (!(ctx->privkeys = privkeys_new(ctx->opt.signing_keys))) {
		dkmod_ctx_free(ctx);
		return DKMOD_ENOMEM;
	}
	/* a missing or broken shared state never stops mail: the store logs why and
	 * the engine goes on without a cache */
	if (ctx->opt.cache.state_dir && (ctx->store = store_open(ctx->opt.cache.state_dir, 0, ctx->opt.log,
								     ctx->opt.log_arg)))
		ctx->cache = keycache_open(ctx->store, &ctx->opt.cache);
	/* with a shared cache most messages need no lookup: the resolver (costly to set
	 * up in a process that lives for one message) is then made on the first miss */
	if (!ctx->cache && !ctx_dns(ctx)) {
		dkmod_ctx_free(ctx);
		return DKMOD_EDNS;
	}
	*out = ctx;
	return DKMOD_OK;
}

/* dkmod_ctx_free - free a context and its resolver */
void dkmod_ctx_free(struct dkmod_ctx *ctx)
{
	if (!ctx)
		return;
	counters_flush(&ctx->counters, ctx->store);
	dns_free(ctx->dns);
	arena_free(&ctx->cache_scratch);
	pubkeys_free(&ctx->pubkeys);
	privkeys_free(ctx->privkeys);
	keycache_close(ctx->cache);
	store_close(ctx->store);
	store_close(ctx->report_store);
	arena_free(&ctx->strings);
	arena_spare_free(&ctx->arena_spare);
	str_free(&ctx->header_canon);
	str_free(&ctx->sign_field);
	session_spare_free(ctx);
	free(ctx);
}

/* dkmod_count - add delta to a counter of the shared state */
void dkmod_count(struct dkmod_ctx *ctx, const char *name, long long delta)
{
	if (ctx && ctx->store && name) {
		counters_add(&ctx->counters, ctx->store, name, delta);
		counters_due(&ctx->counters, ctx->store, dns_now_ms());
	}
}

/* session_log - log through the context's callback */
void session_log(const struct dkmod_ctx *ctx, enum dkmod_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vprintf(&ctx->opt, level, fmt, ap);
	va_end(ap);
}

/* session_now - the clock */
time_t session_now(const struct dkmod_ctx *ctx)
{
	return method_clock(&ctx->opt);
}
