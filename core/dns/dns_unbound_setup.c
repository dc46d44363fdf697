/*
 * dns_unbound_setup.c - libunbound's context as the resolver options ask:
 * forwarders, stubs, resolv.conf, the trust anchor, and a zone file served
 * as local data (read by zonefile.c).  Part of the libunbound backend
 * (dns_unbound.c, through dns_unbound.h).
 */
#include "dns/dns_unbound.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/zonefile.h"

/* Why dns_new failed; per thread because the caller gets a pointer to it. */
static _Thread_local char dns_why[512];

/* dns_fail - record why dns_new failed */
void dns_fail(const char **why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dns_why, sizeof dns_why, fmt, ap);
	va_end(ap);
	if (why)
		*why = dns_why;
}

/* dns_local_zone - declare a local zone through the configuration */
static int dns_local_zone(struct ub_ctx *ctx, const char *name, const char *type)
{
	char val[600];

	/* The "local-zone:" option rather than ub_ctx_zone_add: zones added
	 * through the API after one another do not learn their enclosing
	 * zone (libunbound 1.17), so a name beside a nested zone would miss
	 * the "." zone below; configured zones get their parents set. */
	snprintf(val, sizeof val, "%s %s", name, type);
	return ub_ctx_set_option(ctx, "local-zone:", val);
}

/* dns_stub_zones - keep stub zones reachable past local zones; z may be NULL */
static int dns_stub_zones(struct ub_ctx *ctx, const struct dkmod_resolver_options *opt, const struct zonefile *z,
			  const char **why)
{
	size_t i, k;
	int e;

	/* A transparent local zone lets lookups through to the stub, past the
	 * "." refuse zone above and past libunbound's default local zones
	 * (test., invalid., ...), which would otherwise answer NXDOMAIN. */
	for (i = 0; opt->stubs && opt->stubs[i]; i++) {
		const char *eq = strchr(opt->stubs[i], '=');
		bool in_file = false;
		char zone[300];

		if (!eq)
			continue;
		snprintf(zone, sizeof zone, "%.*s", (int)(eq - opt->stubs[i]), opt->stubs[i]);
		for (k = 0; z && k < z->napexes; k++)
			in_file = in_file || dns_same_name(z->apexes[k], zone);
		if (!in_file && (e = dns_local_zone(ctx, zone, "transparent")) != 0) {
			dns_fail(why, "stub %s: %s", opt->stubs[i], ub_strerror(e));
			return -1;
		}
	}
	return 0;
}

/* dns_missing_soa - whether the file has no SOA at the apex */
static bool dns_missing_soa(const struct zonefile *z, const char *apex)
{
	size_t k;

	for (k = 0; k < z->count; k++)
		if (strcmp(z->rrs[k].type, "SOA") == 0 && dns_same_name(z->rrs[k].owner, apex))
			return false;
	return true;
}

/* dns_load_zone - serve a master file as local data */
static int dns_load_zone(struct ub_ctx *ctx, const struct dkmod_resolver_options *opt, const char **why)
{
	struct zonefile *z;
	char err[512], soa[700];
	size_t i;
	int e, rc = -1;

	z = zonefile_read(opt->zone_file, NULL, err, sizeof err);
	if (!z) {
		dns_fail(why, "%s", err);
		return -1;
	}
	/* Without anyone to forward to, names outside the file are refused
	 * at once ("." refuse, which dns_deliver maps to DNS_SERVFAIL) instead
	 * of being resolved from the root servers. */
	if (!(opt->forwarders && opt->forwarders[0]) && !opt->use_resolv_conf &&
	    (e = dns_local_zone(ctx, ".", "refuse")) != 0) {
		dns_fail(why, "local zone .: %s", ub_strerror(e));
		goto out;
	}
	if (dns_stub_zones(ctx, opt, z, why) != 0)
		goto out;
	/* static: names of the zone not in the file are NXDOMAIN, other types NODATA */
	for (i = 0; i < z->napexes; i++) {
		if ((e = dns_local_zone(ctx, z->apexes[i], "static")) != 0) {
			dns_fail(why, "zone %s: %s", z->apexes[i], ub_strerror(e));
			goto out;
		}
	}
	for (i = 0; i < z->count; i++) {
		if ((e = ub_ctx_data_add(ctx, z->rrs[i].text)) != 0) {
			dns_fail(why, "%s:%u: bad %s record: %s", opt->zone_file, z->rrs[i].line, z->rrs[i].type,
				 ub_strerror(e));
			goto out;
		}
	}
	for (i = 0; i < z->napexes; i++) {
		if (!dns_missing_soa(z, z->apexes[i]))
			continue;
		/* Negative answers take their TTL from the SOA; without one
		 * libunbound reports an arbitrary 32768 s.  A short one instead. */
		snprintf(soa, sizeof soa, "%s 60 IN SOA %s nobody.invalid. 1 3600 600 86400 60", z->apexes[i],
			 z->apexes[i]);
		if ((e = ub_ctx_data_add(ctx, soa)) != 0) {
			dns_fail(why, "zone %s: %s", z->apexes[i], ub_strerror(e));
			goto out;
		}
	}
	rc = 0;
out:
	zonefile_free(z);
	return rc;
}

/* dns_unbound_setup - libunbound's context per opt (NULL: the defaults); *permissive: bogus answers
 * are handed on, marked bogus; NULL and *why on failure */
struct ub_ctx *dns_unbound_setup(const struct dkmod_resolver_options *opt, bool *permissive, const char **why)
{
	size_t i;
	int e;
	struct ub_ctx *ctx = ub_ctx_create();

	*permissive = false;
	if (!ctx) {
		dns_fail(why, "cannot create the libunbound context");
		return NULL;
	}
	/* The engine never prints: libunbound logs nowhere (a process-wide
	 * setting of libunbound, and this file is its only user). */
	ub_ctx_debugout(ctx, NULL);
	if ((e = ub_ctx_async(ctx, 1)) != 0 ||
	    (e = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no")) != 0) {
		dns_fail(why, "libunbound: %s", ub_strerror(e));
		goto fail;
	}
	if (!opt)
		return ctx;
	if (opt->bogus == DKMOD_BOGUS_INSECURE) {
		/* the answer of a failed validation is kept; the verdict still says bogus */
		if ((e = ub_ctx_set_option(ctx, "val-permissive-mode:", "yes")) != 0) {
			dns_fail(why, "libunbound: %s", ub_strerror(e));
			goto fail;
		}
		*permissive = true;
	}
	for (i = 0; opt->forwarders && opt->forwarders[i]; i++) {
		if ((e = ub_ctx_set_fwd(ctx, opt->forwarders[i])) != 0) {
			dns_fail(why, "forwarder %s: %s", opt->forwarders[i], ub_strerror(e));
			goto fail;
		}
	}
	for (i = 0; opt->stubs && opt->stubs[i]; i++) {
		const char *s = opt->stubs[i], *eq = strchr(s, '=');
		char zone[300];

		if (!eq || eq == s || !eq[1] || (size_t)(eq - s) >= sizeof zone) {
			dns_fail(why, "stub %s: want zone=IP[@PORT]", s);
			goto fail;
		}
		snprintf(zone, sizeof zone, "%.*s", (int)(eq - s), s);
		if ((e = ub_ctx_set_stub(ctx, zone, eq + 1, 0)) != 0) {
			dns_fail(why, "stub %s: %s", s, ub_strerror(e));
			goto fail;
		}
	}
	if (opt->use_resolv_conf && (e = ub_ctx_resolvconf(ctx, NULL)) != 0) {
		dns_fail(why, "/etc/resolv.conf: %s", ub_strerror(e));
		goto fail;
	}
	if (opt->trust_anchor_file) {
		/* libunbound reads the file only at the first lookup; say now if it is missing */
		FILE *f = fopen(opt->trust_anchor_file, "r");

		if (!f) {
			dns_fail(why, "%s: %s", opt->trust_anchor_file, strerror(errno));
			goto fail;
		}
		fclose(f);
		if ((e = ub_ctx_add_ta_file(ctx, opt->trust_anchor_file)) != 0) {
			dns_fail(why, "%s: %s", opt->trust_anchor_file, ub_strerror(e));
			goto fail;
		}
	}
	if (opt->zone_file ? dns_load_zone(ctx, opt, why) != 0 : dns_stub_zones(ctx, opt, NULL, why) != 0)
		goto fail;
	return ctx;
fail:
	ub_ctx_delete(ctx);
	return NULL;
}

