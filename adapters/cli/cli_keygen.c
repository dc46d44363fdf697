/*
 * cli_keygen.c - `dkmod keygen`: a new private key as DIR/D/S.key (the
 * layout of the signer's key path template %{d}/%{s}.key) and its TXT record
 * in BIND syntax beside it as DIR/D/S.txt, printed too.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char cli_keygen_help[] =
	"usage: dkmod keygen --domain D --selector S [OPTIONS]\n"
	"  --domain D           the signing domain (d=)\n"
	"  --selector S         the selector (s=)\n"
	"  --type T             rsa (default) or ed25519 (RFC 8463; DKIM only)\n"
	"  --bits N             RSA key size, 1024 to 4096 (default 2048); 512 and 768 only for DomainKeys\n"
	"  --for F              dkim (default) or domainkeys: the kind of key record\n"
	"  --testing            t=y: the domain is testing DKIM\n"
	"  --no-subdomains      t=s: i= must be in d= itself, not a subdomain (DKIM only)\n"
	"  --out DIR            write DIR/D/S.key (mode 0600) and DIR/D/S.txt (default: .)\n"
	"  --owner USER[:GRP]   give the new directories and files to USER (run as root, the\n"
	"                       default is the owner of DIR: the mail service must read the key)\n"
	"  -q                   no note on standard error\n"
	"An existing key or record file is never replaced (exit 73).\n";

/* cli_keygen_bits - check the RSA size for the method; false after a usage message */
static bool cli_keygen_bits(const struct cli_keyspec *spec)
{
	bool dk = spec->method == DKMOD_METHOD_DOMAINKEYS;

	if (dk && (spec->bits == 512 || spec->bits == 768)) {
		fprintf(stderr, "dkmod: warning: %u-bit RSA keys are broken; most verifiers reject them\n", spec->bits);
		return true;
	}
	if (spec->bits < 1024 || spec->bits > 4096) {
		cli_usage_error("--bits takes 1024 to 4096%s", dk ? " (or 512, 768)" : " (512 and 768 only with --for domainkeys)");
		return false;
	}
	if (spec->bits < 2048)
		fprintf(stderr, "dkmod: warning: %u-bit RSA keys are weak; RFC 8301 recommends 2048\n", spec->bits);
	return true;
}

/* cli_keygen - `dkmod keygen` */
int cli_keygen(int argc, char **argv)
{
	struct cli_keyspec spec = {.method = DKMOD_METHOD_DKIM, .bits = 2048};
	const char *domain = NULL, *selector = NULL, *out = ".", *v;
	bool bits_given = false, quiet = false;
	char d[256], s[256];
	unsigned long n;

	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(cli_keygen_help, stdout);
			return CLI_EX_OK;
		}
		if (strcmp(a, "--testing") == 0) {
			spec.flags |= DKMOD_KEY_TESTING;
		} else if (strcmp(a, "--no-subdomains") == 0) {
			spec.flags |= DKMOD_KEY_STRICT;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			quiet = true;
		} else if ((v = cli_value("--domain", argc, argv, &i, &missing))) {
			domain = v;
		} else if ((v = cli_value("--selector", argc, argv, &i, &missing))) {
			selector = v;
		} else if ((v = cli_value("--out", argc, argv, &i, &missing))) {
			out = v;
		} else if ((v = cli_value("--owner", argc, argv, &i, &missing))) {
			if (!cli_keys_owner_parse(v, &spec.owner))
				return cli_usage_error("--owner takes USER or USER:GROUP (no such user or group: %s)", v);
		} else if ((v = cli_value("--type", argc, argv, &i, &missing))) {
			if (strcmp(v, "rsa") != 0 && strcmp(v, "ed25519") != 0)
				return cli_usage_error("--type takes rsa or ed25519");
			spec.ed25519 = strcmp(v, "ed25519") == 0;
		} else if ((v = cli_value("--for", argc, argv, &i, &missing))) {
			if (strcmp(v, "dkim") != 0 && strcmp(v, "domainkeys") != 0)
				return cli_usage_error("--for takes dkim or domainkeys");
			spec.method = strcmp(v, "dkim") == 0 ? DKMOD_METHOD_DKIM : DKMOD_METHOD_DOMAINKEYS;
		} else if ((v = cli_value("--bits", argc, argv, &i, &missing))) {
			if (!cli_parse_uint(v, &n) || n > 16384)
				return cli_usage_error("--bits takes a number of bits");
			spec.bits = (unsigned)n;
			bits_given = true;
		} else if (missing) {
			return cli_usage_error("option %s needs a value", a);
		} else {
			return cli_usage_error("keygen: unknown argument %s", a);
		}
	}
	if (!domain || !selector)
		return cli_usage_error("keygen needs --domain and --selector");
	if (!cli_keys_name(domain, d, sizeof d) || !cli_keys_name(selector, s, sizeof s))
		return cli_usage_error("keygen: --domain and --selector take DNS names (letters, digits, '-', '_', dots)");
	if (strlen(s) + strlen(d) + 12 > 253)
		return cli_usage_error("keygen: %s._domainkey.%s is too long for DNS", s, d);
	bool dk = spec.method == DKMOD_METHOD_DOMAINKEYS;
	if (dk && (spec.flags & DKMOD_KEY_STRICT))
		return cli_usage_error("--no-subdomains (t=s) has no meaning for DomainKeys");
	if (dk && spec.ed25519)
		return cli_usage_error("DomainKeys keys are RSA only");
	if (spec.ed25519 && bits_given)
		return cli_usage_error("--bits is for RSA keys; ed25519 keys have one size");
	if (!spec.ed25519 && !cli_keygen_bits(&spec))
		return CLI_EX_USAGE;

	char *bind = NULL;
	cli_keys_owner_default(out, &spec.owner, quiet);
	int rc = cli_keys_make(out, d, s, &spec, &bind, NULL);
	if (rc == CLI_EX_OK) {
		fputs(bind, stdout);
		if (!quiet)
			fprintf(stderr, "dkmod: wrote %s/%s/%s.key (mode 0600) and %s/%s/%s.txt\n", out, d, s, out, d, s);
		if (fflush(stdout) != 0)
			rc = CLI_EX_IOERR;
	}
	free(bind);
	return rc;
}
