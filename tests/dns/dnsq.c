/*
 * dnsq.c - a test driver of the dns layer (core/dns/dns_unbound.c): looks up the
 * names given, all at once with one deadline, and prints one line per name:
 *
 *   NAME RCODE DNSSEC COUNT TTL [RECORD...]
 *
 * TXT records are printed quoted (", \ and bytes outside 0x20-0x7e as \DDD),
 * A and AAAA as addresses, others as hex.  The reason of a failure goes to
 * standard error.  Used by tests/dns/t_*.sh.
 *
 * usage: dnsq [--forward IP[@PORT]]... [--stub ZONE=IP[@PORT]]... [--zone FILE]
 *             [--timeout MS] [--type TXT|A|AAAA|MX] NAME...
 * (--type applies to the names after it.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/dns.h"

#define DNSQ_MAX 64

/* One name to look up and what came back. */
struct dnsq_item {
	const char *name;
	enum dns_type type;
	int calls;
	enum dns_rcode rcode;
	enum dkmod_dnssec dnssec;
	size_t count;
	unsigned ttl;
	char *line;   /* the printed records */
	char *why;
};

/* dnsq_dnssec - the name of a DNSSEC state */
static const char *dnsq_dnssec(enum dkmod_dnssec s)
{
	switch (s) {
	case DKMOD_DNSSEC_INSECURE: return "insecure";
	case DKMOD_DNSSEC_SECURE: return "secure";
	case DKMOD_DNSSEC_BOGUS: return "bogus";
	default: return "unknown";
	}
}

/* dnsq_print_record - append one record to a memory stream */
static void dnsq_print_record(FILE *out, enum dns_type type, const char *rec, size_t len)
{
	size_t i;

	if (type != DNS_TYPE_TXT) {
		fprintf(out, " %.*s", (int)len, rec); /* presentation form from the dns layer */
		return;
	}
	fputs(" \"", out);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)rec[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			fprintf(out, "\\%03u", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* dnsq_cb - keep what came back for printing in the order given */
static void dnsq_cb(void *arg, const struct dns_result *r)
{
	struct dnsq_item *it = arg;
	size_t size = 0, i;
	FILE *out;

	it->calls++;
	it->rcode = r->rcode;
	it->dnssec = r->dnssec;
	it->count = r->count;
	it->ttl = r->ttl;
	free(it->line);
	free(it->why);
	it->line = NULL;
	out = open_memstream(&it->line, &size);
	if (out) {
		for (i = 0; i < r->count; i++)
			dnsq_print_record(out, it->type, r->records[i], r->lengths[i]);
		fclose(out);
	}
	it->why = strdup(r->why ? r->why : "");
}

/* dnsq_type - parse a type name */
static int dnsq_type(const char *s, enum dns_type *t)
{
	if (strcasecmp(s, "TXT") == 0)
		*t = DNS_TYPE_TXT;
	else if (strcasecmp(s, "A") == 0)
		*t = DNS_TYPE_A;
	else if (strcasecmp(s, "AAAA") == 0)
		*t = DNS_TYPE_AAAA;
	else if (strcasecmp(s, "MX") == 0)
		*t = DNS_TYPE_MX;
	else
		return -1;
	return 0;
}

/* dnsq_usage - print the usage and fail */
static int dnsq_usage(void)
{
	fprintf(stderr, "usage: dnsq [--forward IP[@PORT]]... [--stub ZONE=IP[@PORT]]... [--zone FILE]\n"
			"            [--timeout MS] [--type TXT|A|AAAA|MX] NAME...\n");
	return 2;
}

/* main - parse the options, look up the names, print the answers */
int main(int argc, char **argv)
{
	const char *forwarders[DNSQ_MAX + 1] = { 0 }, *stubs[DNSQ_MAX + 1] = { 0 };
	struct dnsq_item items[DNSQ_MAX];
	struct dkmod_resolver_options opt = { 0 };
	enum dns_type type = DNS_TYPE_TXT;
	size_t nfwd = 0, nstub = 0, n = 0, i;
	long timeout = 5000;
	const char *why = NULL;
	struct dns *d;
	int a, status = 0;

	memset(items, 0, sizeof items);
	for (a = 1; a < argc; a++) {
		const char *arg = argv[a], *val = a + 1 < argc ? argv[a + 1] : NULL;

		if (strcmp(arg, "--forward") == 0 && val && nfwd < DNSQ_MAX) {
			forwarders[nfwd++] = val;
			a++;
		} else if (strcmp(arg, "--stub") == 0 && val && nstub < DNSQ_MAX) {
			stubs[nstub++] = val;
			a++;
		} else if (strcmp(arg, "--zone") == 0 && val) {
			opt.zone_file = val;
			a++;
		} else if (strcmp(arg, "--timeout") == 0 && val) {
			timeout = strtol(val, NULL, 10);
			a++;
		} else if (strcmp(arg, "--type") == 0 && val) {
			if (dnsq_type(val, &type) != 0)
				return dnsq_usage();
			a++;
		} else if (arg[0] == '-' || n >= DNSQ_MAX) {
			return dnsq_usage();
		} else {
			items[n].name = arg;
			items[n++].type = type;
		}
	}
	if (n == 0)
		return dnsq_usage();
	opt.forwarders = nfwd ? forwarders : NULL;
	opt.stubs = nstub ? stubs : NULL;
	opt.timeout_ms = (unsigned)timeout;
	d = dns_new(&opt, &why);
	if (!d) {
		fprintf(stderr, "dnsq: %s\n", why);
		return 2;
	}
	for (i = 0; i < n; i++) {
		if (dns_query(d, items[i].name, items[i].type, dnsq_cb, &items[i]) != 0) {
			fprintf(stderr, "dnsq: cannot look up %s\n", items[i].name);
			status = 1;
		}
	}
	dns_wait(d, dns_now_ms() + timeout);
	for (i = 0; i < n; i++) {
		struct dnsq_item *it = &items[i];

		if (it->calls != 1) {
			printf("%s error unknown 0 0 (callback ran %d times)\n", it->name, it->calls);
			status = 1;
		} else {
			printf("%s %s %s %zu %u%s\n", it->name, dns_rcode_name(it->rcode), dnsq_dnssec(it->dnssec),
			       it->count, it->ttl, it->line ? it->line : "");
			if (it->why && *it->why)
				fprintf(stderr, "%s: %s\n", it->name, it->why);
		}
		free(it->line);
		free(it->why);
	}
	dns_free(d);
	return status;
}
