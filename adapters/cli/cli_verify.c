/*
 * cli_verify.c - `dkmod verify`: print the message with our
 * Authentication-Results field on top (DKIM, DomainKeys, and SPF of the
 * envelope given and DMARC); exit 0 whatever the verdicts.
 */
#include <string.h>

#include "cli.h"

static const char cli_verify_help[] =
	"usage: dkmod verify [OPTIONS] [FILE|-]\n"
	"  --zone FILE          answer key lookups from this zone file (no network)\n"
	"  --resolver IP[@PORT] forward lookups to this server (repeatable)\n"
	"  --stub ZONE=IP[@PORT] send lookups under ZONE to this server (repeatable)\n"
	"  --resolv-conf        forward to the servers of /etc/resolv.conf\n"
	"  --trust-anchor FILE  DNSSEC trust anchor\n"
	"  --dnssec-bogus W     a bogus answer gives temperror (default), permerror,\n"
	"                       or is used anyway (insecure; libunbound then reports it insecure)\n"
	"  --timeout MS         time budget of all lookups of the message (default 5000)\n"
	"  --state DIR          the state shared by every process: key and policy record\n"
	"                       cache and counters (none by default on the command line)\n"
	"  --authserv-id ID     authserv-id of Authentication-Results (default: host name)\n"
	"  --min-key-bits N     smaller RSA keys give 'policy' (default 1024)\n"
	"  --max-signatures N   signatures verified per message (default 8)\n"
	"  --allow-sha1         accept rsa-sha1 DKIM signatures (RFC 8301 forbids it: by\n"
	"                       default they give 'policy')\n"
	"  --clock-skew S       allowance on t= and x= (default 300)\n"
	"  --client-ip IP       the SMTP client's address: SPF is checked (with --helo)\n"
	"  --helo NAME          the client's HELO/EHLO name\n"
	"  --mail-from ADDR     MAIL FROM without <> ('' for the null sender); without\n"
	"                       these options SPF is none and DMARC rests on DKIM alone\n"
	"  --trusted-authserv-id ID  take SPF (and DKIM passes, for DMARC) from the topmost\n"
	"                       Authentication-Results of ID instead of checking (repeatable;\n"
	"                       the rule: dkmod.conf(5) \"Trusted upstream results\")\n"
	"  --received-spf       add a Received-SPF field for the SPF check made here\n"
	"  --json               also print the verdicts (SPF, DMARC) as JSON on standard error\n"
	"  -v, -q               more or fewer log lines on standard error\n";

/* cli_verify - `dkmod verify` */
int cli_verify(int argc, char **argv)
{
	struct cli_common c;
	const char *env[3] = {NULL, NULL, NULL}; /* client IP, HELO, MAIL FROM */
	static const char *const env_names[3] = {"--client-ip", "--helo", "--mail-from"};
	cli_common_init(&c);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(cli_verify_help, stdout);
			return CLI_EX_OK;
		}
		bool missing = false, taken = false;
		for (int k = 0; k < 3 && !taken; k++) {
			const char *v = cli_value(env_names[k], argc, argv, &i, &missing);
			if (missing)
				return cli_usage_error("verify: %s needs a value", env_names[k]);
			if ((taken = v != NULL))
				env[k] = v;
		}
		if (taken)
			continue;
		int rc = cli_common_option(&c, argc, argv, &i);
		if (rc < 0)
			return CLI_EX_USAGE;
		if (rc == 0)
			return cli_usage_error("verify: unknown option %s", argv[i]);
	}
	struct dkmod_ctx *ctx;
	enum dkmod_status st = dkmod_ctx_new(&c.opt, &ctx);
	if (st != DKMOD_OK) {
		fprintf(stderr, "dkmod: %s\n", dkmod_strerror(st));
		return st == DKMOD_EDNS ? CLI_EX_CONFIG : CLI_EX_SOFTWARE;
	}
	struct dkmod_session *s;
	st = dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s);
	if (st == DKMOD_OK && (env[0] || env[1] || env[2]) &&
	    (st = dkmod_session_envelope(s, env[0], env[1], env[2])) == DKMOD_EINVAL) {
		dkmod_session_free(s);
		dkmod_ctx_free(ctx);
		return cli_usage_error("verify: --client-ip %s is not an IPv4 or IPv6 address", env[0]);
	}
	int rc = st == DKMOD_OK ? cli_run_message(&c, ctx, s) : CLI_EX_SOFTWARE;
	dkmod_session_free(s);
	dkmod_ctx_free(ctx);
	return rc;
}
