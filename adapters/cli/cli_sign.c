/*
 * cli_sign.c - `dkmod sign`: add one or more signatures (DKIM, DomainKeys)
 * and print the signed message.  `--next` starts another signature that inherits the
 * options given so far.
 */
#include <string.h>

#include "cli.h"

static const char cli_sign_help[] =
	"usage: dkmod sign --domain D --selector S --key FILE [OPTIONS] [--next ...] [FILE|-]\n"
	"  --type T             dkim (default) or domainkeys\n"
	"  --domain D           d=, the signing domain (DomainKeys: default the sender's domain;\n"
	"                       a parent of it signs as base domain)\n"
	"  --selector S         s=, the key's selector\n"
	"  --key FILE           PEM private key (RSA PKCS#1 or PKCS#8, or Ed25519)\n"
	"  --algorithm A        rsa-sha256 (default), ed25519-sha256, or rsa-sha1 (only when asked);\n"
	"                       DomainKeys: rsa-sha1, its only algorithm\n"
	"  --canon C            DKIM: simple or relaxed as H/B (default relaxed/relaxed);\n"
	"                       DomainKeys: nofws (default) or simple\n"
	"  --headers a:b:c      header fields to sign (default: a standard list; From always)\n"
	"  --oversign a:b:c     oversign these fields (each listed once more than present, so none\n"
	"                       can be added after signing) instead of the recommended list (From,\n"
	"                       To, Cc, Subject, Date, Message-ID, ..., List-* where present)\n"
	"  --no-oversign        oversign nothing\n"
	"  --identity I         i=, an address within the signing domain\n"
	"  --expire SECONDS     x= that many seconds after t=\n"
	"  --body-length        add l= (covers only the body as signed; off by default)\n"
	"  --next               start another signature (inherits the options so far)\n"
	"  --now T              sign as if the time were T (seconds since the epoch)\n"
	"  -v, -q               more or fewer log lines on standard error\n";

/* cli_sign_field_list - whether v is "name:name:...", field names (RFC 5322 ftext) */
static bool cli_sign_field_list(const char *v)
{
	for (const char *p = v;; p++) {
		size_t n = strcspn(p, ":");
		for (size_t k = 0; k < n; k++)
			if ((unsigned char)p[k] <= 32 || (unsigned char)p[k] >= 127)
				return false;
		if (n == 0)
			return false;
		p += n;
		if (!*p)
			return true;
	}
}

/* cli_sign_option - a signing option at argv[*i]; 1 handled, 0 not ours, -1 error */
static int cli_sign_option(struct dkmod_sign_request *r, const char **canon, int argc, char **argv, int *i)
{
	bool missing = false;
	const char *v;
	unsigned long n;
	if (strcmp(argv[*i], "--no-oversign") == 0) {
		r->oversign = false;
		return 1;
	}
	if (strcmp(argv[*i], "--body-length") == 0) {
		r->body_length = 1LL << 62;
		return 1;
	}
	if ((v = cli_value("--type", argc, argv, i, &missing))) {
		if (strcmp(v, "dkim") == 0)
			r->method = DKMOD_METHOD_DKIM;
		else if (strcmp(v, "domainkeys") == 0)
			r->method = DKMOD_METHOD_DOMAINKEYS;
		else
			return cli_usage_error("--type takes dkim or domainkeys"), -1;
	} else if ((v = cli_value("--domain", argc, argv, i, &missing))) {
		r->domain = v;
	} else if ((v = cli_value("--selector", argc, argv, i, &missing))) {
		r->selector = v;
	} else if ((v = cli_value("--key", argc, argv, i, &missing))) {
		r->key_file = v;
	} else if ((v = cli_value("--algorithm", argc, argv, i, &missing))) {
		if (!dkmod_parse_algorithm(DKMOD_METHOD_DKIM, v, &r->algorithm))
			return cli_usage_error("unknown algorithm %s", v), -1;
	} else if ((v = cli_value("--canon", argc, argv, i, &missing))) {
		*canon = v;
	} else if ((v = cli_value("--headers", argc, argv, i, &missing))) {
		if (!cli_sign_field_list(v))
			return cli_usage_error("--headers takes field names separated by ':'"), -1;
		r->headers = v;
	} else if ((v = cli_value("--oversign", argc, argv, i, &missing))) {
		if (!cli_sign_field_list(v))
			return cli_usage_error("--oversign takes field names separated by ':'"), -1;
		r->oversign = true;
		r->oversign_headers = v;
	} else if ((v = cli_value("--identity", argc, argv, i, &missing))) {
		r->identity = v;
	} else if ((v = cli_value("--expire", argc, argv, i, &missing))) {
		if (!cli_parse_uint(v, &n) || n == 0)
			return cli_usage_error("--expire takes seconds"), -1;
		r->expire = n;
	} else {
		return missing ? (cli_usage_error("option %s needs a value", argv[*i]), -1) : 0;
	}
	return 1;
}

#define CLI_SIGN_MAX 8

/* cli_sign - `dkmod sign` */
int cli_sign(int argc, char **argv)
{
	struct cli_common c;
	struct dkmod_sign_request req[CLI_SIGN_MAX];
	const char *canon[CLI_SIGN_MAX] = {NULL};
	size_t nreq = 1;
	cli_common_init(&c);
	dkmod_sign_request_init(&req[0]);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(cli_sign_help, stdout);
			return CLI_EX_OK;
		}
		if (strcmp(argv[i], "--next") == 0) {
			if (nreq == CLI_SIGN_MAX)
				return cli_usage_error("at most %d signatures", CLI_SIGN_MAX);
			req[nreq] = req[nreq - 1];
			canon[nreq] = canon[nreq - 1];
			nreq++;
			continue;
		}
		int rc = cli_sign_option(&req[nreq - 1], &canon[nreq - 1], argc, argv, &i);
		if (rc == 0)
			rc = cli_common_option(&c, argc, argv, &i);
		if (rc < 0)
			return CLI_EX_USAGE;
		if (rc == 0)
			return cli_usage_error("sign: unknown option %s", argv[i]);
	}
	for (size_t k = 0; k < nreq; k++) {
		bool dk = req[k].method == DKMOD_METHOD_DOMAINKEYS;
		if ((!req[k].domain && !dk) || !req[k].selector || !req[k].key_file)
			return cli_usage_error("sign: signature %zu needs --domain, --selector and --key", k + 1);
		if (!dkmod_parse_canon(req[k].method, canon[k], &req[k]))
			return cli_usage_error("--canon takes simple or relaxed as H/B for DKIM, nofws or simple for DomainKeys");
		if (dk && req[k].algorithm == DKMOD_ALG_ED25519_SHA256)
			return cli_usage_error("DomainKeys signs with rsa-sha1 only");
		if (dk)
			req[k].algorithm = DKMOD_ALG_RSA_SHA1;
	}
	struct dkmod_ctx *ctx;
	enum dkmod_status st = dkmod_ctx_new(&c.opt, &ctx);
	if (st != DKMOD_OK) {
		fprintf(stderr, "dkmod: %s\n", dkmod_strerror(st));
		return CLI_EX_SOFTWARE;
	}
	struct dkmod_session *s = NULL;
	int rc = CLI_EX_OK;
	st = dkmod_session_new(ctx, 0, &s);
	for (size_t k = 0; st == DKMOD_OK && k < nreq; k++)
		st = dkmod_session_add_signer(s, &req[k]);
	if (st != DKMOD_OK) {
		fprintf(stderr, "dkmod: cannot sign: %s\n", dkmod_strerror(st));
		rc = st == DKMOD_EKEY || st == DKMOD_EINVAL ? CLI_EX_CONFIG : CLI_EX_SOFTWARE;
	} else {
		rc = cli_run_message(&c, ctx, s);
	}
	dkmod_session_free(s);
	dkmod_ctx_free(ctx);
	return rc;
}
