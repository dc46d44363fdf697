/*
 * cli_testkey.c - `dkmod testkey`: is the record published for a selector
 * the one of this private key?  One line per finding, and an exit status
 * per outcome (see enum dkmod_keycheck): run it before switching signers to
 * a new selector.
 */
#include <string.h>

#include "cli.h"

static const char cli_testkey_help[] =
	"usage: dkmod testkey --domain D --selector S --key FILE [OPTIONS]\n"
	"  --domain D           the signing domain\n"
	"  --selector S         the selector; the record is S._domainkey.D\n"
	"  --key FILE           the private key that is to sign with it\n"
	"  --type T             dkim (default) or domainkeys: how to read the record\n"
	"  --resolver IP[@PORT] ask this server (repeatable); --zone FILE: answer from a zone file;\n"
	"  --stub ZONE=IP[@PORT], --resolv-conf, --trust-anchor FILE, --timeout MS as for verify\n"
	"Exit: 0 ok, 1 key mismatch, 2 record absent (NXDOMAIN/NODATA), 3 record revoked (empty p=),\n"
	"4 record malformed or truncated, 5 temporary DNS failure, 64 usage, 66 unusable key file,\n"
	"78 resolver setup failed.\n";

/* cli_testkey_exit - the exit status of a failed call */
static int cli_testkey_exit(enum dkmod_status st)
{
	switch (st) {
	case DKMOD_EINVAL:
		return CLI_EX_USAGE;
	case DKMOD_EKEY:
		return CLI_EX_NOINPUT;
	case DKMOD_EDNS:
		return CLI_EX_CONFIG;
	default:
		return CLI_EX_SOFTWARE;
	}
}

/* cli_testkey_print - the findings, one line each */
static void cli_testkey_print(const struct dkmod_keycheck_report *r, const char *key_file, bool anchored, bool dk)
{
	const char *dnssec = dkmod_dnssec_name(r->dnssec);

	printf("lookup: %s TXT: %s", r->name, r->dns);
	if (r->records)
		printf(", %zu record%s, ttl %u", r->records, r->records == 1 ? "" : "s", r->ttl);
	putchar('\n');
	printf("dnssec: %s%s\n", dnssec[0] ? dnssec : "unknown", anchored ? "" : " (no trust anchor given)");
	if (r->record_len)
		printf("record: %zu bytes%s\n", r->record_len,
		       r->key_type[0] ? (dk ? ", a DomainKeys key record" : ", a DKIM key record") : "");
	if (r->key_bits)
		printf("key: %s, %u bits (private key: %u bits)\n", r->key_type, r->key_bits, r->private_bits);
	if (r->key_type[0])
		printf("flags: %s%s%s\n", r->testing ? "testing (t=y)" : "", r->testing && r->strict ? ", " : "",
		       r->strict ? "no subdomains (t=s)" : !r->testing ? "none" : "");
	if (r->outcome == DKMOD_KEYCHECK_OK)
		printf("match: the published key is the public half of %s\n", key_file);
	for (size_t i = 0; i < r->nnotes; i++)
		printf("note: %s\n", r->notes[i]);
	printf("result: %s%s%s\n", dkmod_keycheck_name(r->outcome), r->reason[0] ? ": " : "", r->reason);
}

/* cli_testkey - `dkmod testkey` */
int cli_testkey(int argc, char **argv)
{
	struct cli_common c;
	const char *domain = NULL, *selector = NULL, *key = NULL, *v;
	enum dkmod_method m = DKMOD_METHOD_DKIM;

	cli_common_init(&c);
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(cli_testkey_help, stdout);
			return CLI_EX_OK;
		}
		if ((v = cli_value("--domain", argc, argv, &i, &missing))) {
			domain = v;
		} else if ((v = cli_value("--selector", argc, argv, &i, &missing))) {
			selector = v;
		} else if ((v = cli_value("--key", argc, argv, &i, &missing))) {
			key = v;
		} else if ((v = cli_value("--type", argc, argv, &i, &missing))) {
			if (strcmp(v, "dkim") != 0 && strcmp(v, "domainkeys") != 0)
				return cli_usage_error("--type takes dkim or domainkeys");
			m = strcmp(v, "dkim") == 0 ? DKMOD_METHOD_DKIM : DKMOD_METHOD_DOMAINKEYS;
		} else if (missing) {
			return cli_usage_error("option %s needs a value", a);
		} else {
			int rc = cli_common_option(&c, argc, argv, &i);
			if (rc < 0)
				return CLI_EX_USAGE;
			if (rc == 0 || c.input)
				return cli_usage_error("testkey: unknown argument %s", a);
		}
	}
	if (!domain || !selector || !key)
		return cli_usage_error("testkey needs --domain, --selector and --key");
	char d[256], s[256];
	if (!cli_keys_name(domain, d, sizeof d) || !cli_keys_name(selector, s, sizeof s))
		return cli_usage_error("testkey: --domain and --selector take DNS names");

	struct dkmod_keycheck_report r;
	enum dkmod_status st = dkmod_keycheck(&c.opt.resolver, m, d, s, key, &r);
	if (st != DKMOD_OK) {
		fprintf(stderr, "dkmod: testkey: %s\n", r.reason[0] ? r.reason : dkmod_strerror(st));
		return cli_testkey_exit(st);
	}
	cli_testkey_print(&r, key, c.opt.resolver.trust_anchor_file != NULL, m == DKMOD_METHOD_DOMAINKEYS);
	if (fflush(stdout) != 0)
		return CLI_EX_IOERR;
	/* the outcomes are numbered as the documented exit statuses */
	return (int)r.outcome;
}
