/*
 * cli_spf.c - `dkmod spf`: check one client against the SPF record of its
 * MAIL FROM (or HELO) domain and print the result, the identity and why.
 * A client of the public API (dkmod_spf_check).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char cli_spf_help[] =
	"usage: dkmod spf --ip IP --helo NAME [--mail-from ADDR] [OPTIONS]\n"
	"  --ip IP              the SMTP client's address (IPv4 or IPv6)\n"
	"  --helo NAME          the HELO/EHLO name\n"
	"  --mail-from ADDR     the MAIL FROM address without <> ('' for the null sender,\n"
	"                       checked as postmaster@HELO); without it the HELO is checked\n"
	"  --receiver NAME      this host's name, for the %{r} macro of explanations\n"
	"  --zone FILE, --resolver IP[@PORT], --stub ZONE=IP[@PORT], --resolv-conf,\n"
	"  --trust-anchor FILE, --dnssec-bogus W, --timeout MS   as for dkmod verify\n"
	"Prints \"spf=RESULT\", the identity checked, the reason and any explanation.\n"
	"Exit status: 0 pass, 1 fail, 2 softfail, 3 neutral, 4 none, 5 permerror,\n"
	"75 temperror, 64 usage error, 78 resolver set-up error.\n";

/* cli_spf_status - the exit status of a result */
static int cli_spf_status(enum dkmod_spf_result r)
{
	switch (r) {
	case DKMOD_SPF_PASS: return 0;
	case DKMOD_SPF_FAIL: return 1;
	case DKMOD_SPF_SOFTFAIL: return 2;
	case DKMOD_SPF_NEUTRAL: return 3;
	case DKMOD_SPF_NONE: return 4;
	case DKMOD_SPF_PERMERROR: return 5;
	case DKMOD_SPF_TEMPERROR: return CLI_EX_TEMPFAIL;
	}
	return CLI_EX_SOFTWARE;
}

/* cli_spf_options - the command's own options; 1 taken, 0 not ours, -1 usage error */
static int cli_spf_options(struct dkmod_spf_query *req, int argc, char **argv, int *i)
{
	bool missing = false;
	const char *v;

	if ((v = cli_value("--ip", argc, argv, i, &missing)))
		req->ip = v;
	else if ((v = cli_value("--helo", argc, argv, i, &missing)))
		req->helo = v;
	else if ((v = cli_value("--mail-from", argc, argv, i, &missing)))
		req->mail_from = v;
	else if ((v = cli_value("--receiver", argc, argv, i, &missing)))
		req->receiver = v;
	else
		return missing ? (cli_usage_error("option %s needs a value", argv[*i]), -1) : 0;
	return 1;
}

/* cli_spf - `dkmod spf` */
int cli_spf(int argc, char **argv)
{
	struct dkmod_spf_query req = {0};
	struct dkmod_spf_answer out;
	struct cli_common c;
	struct dkmod_spf *check;
	const char *why = "";
	enum dkmod_status st;
	int rc;

	cli_common_init(&c);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(cli_spf_help, stdout);
			return CLI_EX_OK;
		}
		rc = cli_spf_options(&req, argc, argv, &i);
		if (rc == 0)
			rc = cli_common_option(&c, argc, argv, &i);
		if (rc < 0)
			return CLI_EX_USAGE;
		if (rc == 0 || c.input)
			return cli_usage_error("spf: unknown argument %s", argv[i]);
	}
	if (!req.ip || !req.helo)
		return cli_usage_error("spf needs --ip and --helo");
	req.now = c.opt.fixed_now ? (long long)c.opt.fixed_now : (long long)time(NULL);
	st = dkmod_spf_check(&c.opt.resolver, &req, &check, &why);
	if (st == DKMOD_EDNS) {
		fprintf(stderr, "dkmod: resolver: %s\n", why);
		return CLI_EX_CONFIG;
	}
	if (st != DKMOD_OK)
		return cli_usage_error("spf: %s", why);
	dkmod_spf_answer(check, &out);
	printf("spf=%s smtp.%s=%s\n", dkmod_spf_result_name(out.result), out.helo_scope ? "helo" : "mailfrom",
	       out.identity);
	printf("reason: %s\n", out.reason);
	if (out.explanation[0])
		printf("explanation: %s\n", out.explanation);
	printf("lookups: %u DNS-querying terms, %u void\n", out.dns_terms, out.void_lookups);
	rc = cli_spf_status(out.result);
	dkmod_spf_free(check);
	return rc;
}
