/*
 * cli_common.c - options shared by the subcommands, logging to stderr, and
 * running one message through a session from a file or stdin to stdout.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static int cli_verbosity;

/* cli_log - the engine's log lines on stderr */
static void cli_log(void *arg, enum dkmod_log_level level, const char *msg)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	if ((int)level > cli_verbosity)
		return;
	fprintf(stderr, "dkmod: %s: %s\n", names[level], msg);
}

/* cli_common_init - defaults, and the log callback on stderr */
void cli_common_init(struct cli_common *c)
{
	memset(c, 0, sizeof *c);
	dkmod_options_init(&c->opt);
	c->opt.log = cli_log;
	c->verbosity = DKMOD_LOG_WARNING;
	cli_verbosity = c->verbosity;
}

/* cli_usage_error - print "dkmod: msg" and a hint */
int cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("dkmod: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see dkmod COMMAND --help)\n", stderr);
	return CLI_EX_USAGE;
}

/* cli_parse_uint - a non-negative decimal number */
bool cli_parse_uint(const char *s, unsigned long *out)
{
	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18)
		return false;
	errno = 0;
	*out = strtoul(s, NULL, 10);
	return errno == 0;
}

/* cli_value - the value of --name VALUE or --name=VALUE at argv[*i] (stepping *i past
 * a separate value), or NULL if argv[*i] is not that option (*missing set when the
 * value is absent) */
const char *cli_value(const char *name, int argc, char **argv, int *i, bool *missing)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

/* cli_common_option - handle a shared option at argv[*i] */
int cli_common_option(struct cli_common *c, int argc, char **argv, int *i)
{
	bool missing = false;
	const char *v;
	unsigned long n;
	const char *a = argv[*i];
	if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
		cli_verbosity = ++c->verbosity;
		return 1;
	}
	if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
		cli_verbosity = c->verbosity = DKMOD_LOG_ERROR;
		return 1;
	}
	if (strcmp(a, "--json") == 0) {
		c->json = true;
		return 1;
	}
	if (strcmp(a, "--allow-sha1") == 0) {
		c->opt.allow_sha1 = true;
		return 1;
	}
	if (strcmp(a, "--received-spf") == 0) {
		c->opt.received_spf = true;
		return 1;
	}
	if (strcmp(a, "--resolv-conf") == 0) {
		c->opt.resolver.use_resolv_conf = true;
		return 1;
	}
	if ((v = cli_value("--zone", argc, argv, i, &missing))) {
		c->opt.resolver.zone_file = v;
	} else if ((v = cli_value("--resolver", argc, argv, i, &missing))) {
		if (c->nforwarders == 8)
			return cli_usage_error("at most 8 --resolver options"), -1;
		c->forwarders[c->nforwarders++] = v;
		c->opt.resolver.forwarders = c->forwarders;
	} else if ((v = cli_value("--stub", argc, argv, i, &missing))) {
		if (c->nstubs == 8 || !strchr(v, '='))
			return cli_usage_error("--stub takes ZONE=IP[@PORT], at most 8 times"), -1;
		c->stubs[c->nstubs++] = v;
		c->opt.resolver.stubs = c->stubs;
	} else if ((v = cli_value("--trusted-authserv-id", argc, argv, i, &missing))) {
		if (c->ntrusted == 8)
			return cli_usage_error("at most 8 --trusted-authserv-id options"), -1;
		c->trusted[c->ntrusted++] = v;
		c->opt.trusted_authserv_ids = c->trusted;
	} else if ((v = cli_value("--state", argc, argv, i, &missing))) {
		c->opt.cache.state_dir = v;
	} else if ((v = cli_value("--trust-anchor", argc, argv, i, &missing))) {
		c->opt.resolver.trust_anchor_file = v;
	} else if ((v = cli_value("--dnssec-bogus", argc, argv, i, &missing))) {
		if (strcmp(v, "temperror") == 0)
			c->opt.resolver.bogus = DKMOD_BOGUS_TEMPERROR;
		else if (strcmp(v, "permerror") == 0)
			c->opt.resolver.bogus = DKMOD_BOGUS_PERMERROR;
		else if (strcmp(v, "insecure") == 0)
			c->opt.resolver.bogus = DKMOD_BOGUS_INSECURE;
		else
			return cli_usage_error("--dnssec-bogus takes temperror, permerror or insecure"), -1;
	} else if ((v = cli_value("--authserv-id", argc, argv, i, &missing))) {
		c->opt.authserv_id = v;
	} else if ((v = cli_value("--timeout", argc, argv, i, &missing))) {
		if (!cli_parse_uint(v, &n) || n == 0 || n > 600000)
			return cli_usage_error("--timeout takes milliseconds (1 to 600000)"), -1;
		c->opt.resolver.timeout_ms = (unsigned)n;
	} else if ((v = cli_value("--min-key-bits", argc, argv, i, &missing))) {
		if (!cli_parse_uint(v, &n) || n > 16384)
			return cli_usage_error("--min-key-bits takes a number of bits"), -1;
		c->opt.min_key_bits = (unsigned)n;
	} else if ((v = cli_value("--max-signatures", argc, argv, i, &missing))) {
		if (!cli_parse_uint(v, &n) || n == 0 || n > 64)
			return cli_usage_error("--max-signatures takes 1 to 64"), -1;
		c->opt.max_signatures = (unsigned)n;
	} else if ((v = cli_value("--clock-skew", argc, argv, i, &missing))) {
		if (!cli_parse_uint(v, &n) || n > 86400)
			return cli_usage_error("--clock-skew takes seconds"), -1;
		c->opt.clock_skew = (unsigned)n;
	} else if ((v = cli_value("--now", argc, argv, i, &missing))) {
		if (!cli_parse_uint(v, &n))
			return cli_usage_error("--now takes seconds since the epoch"), -1;
		c->opt.fixed_now = (time_t)n;
	} else if (missing) {
		return cli_usage_error("option %s needs a value", a), -1;
	} else if (a[0] == '-' && a[1] != '\0') {
		return 0;
	} else {
		if (c->input)
			return cli_usage_error("only one input file"), -1;
		c->input = a;
	}
	return missing ? (cli_usage_error("option %s needs a value", a), -1) : 1;
}

/* cli_write_field - an added field in the message's own line ends */
static void cli_write_field(FILE *out, const char *field, const char *eol)
{
	for (const char *p = field; *p; p++) {
		if (p[0] == '\r' && p[1] == '\n') {
			fputs(eol, out);
			p++;
		} else {
			fputc(*p, out);
		}
	}
	fputs(eol, out);
}

/* cli_emit - dkmod_emit_fn to a stdio stream */
static bool cli_emit(void *arg, const char *data, size_t len)
{
	return fwrite(data, 1, len, arg) == len;
}

/* cli_copy_walked - copy f from its start to out, leaving out the header fields the walk
 * removes (none: a plain copy); false on a read error or a walk that cannot go on */
bool cli_copy_walked(FILE *f, struct dkmod_header_walk *w, FILE *out)
{
	if (fseeko(f, 0, SEEK_SET) != 0)
		return false;
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		size_t used = w && !dkmod_header_walk_done(w) ? dkmod_header_walk_bytes(w, buf, n, cli_emit, out) : 0;
		if (used == SIZE_MAX)
			return false;
		fwrite(buf + used, 1, n - used, out);
	}
	if (w && !dkmod_header_walk_end(w, cli_emit, out))
		return false;
	return !ferror(f);
}

/* cli_open_input - the input as a seekable stream: the file itself, or stdin spooled */
static FILE *cli_open_input(const char *name, bool *spool)
{
	*spool = false;
	if (name && strcmp(name, "-") != 0) {
		FILE *f = fopen(name, "rb");
		struct stat st;
		if (f && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
			return f;
		if (f)
			fclose(f);
		return NULL;
	}
	*spool = true;
	return tmpfile();
}

/* cli_run_message - run a session over the input and print the resulting message */
int cli_run_message(struct cli_common *c, struct dkmod_ctx *ctx, struct dkmod_session *s)
{
	bool spool;
	FILE *in = cli_open_input(c->input, &spool);
	if (!in) {
		fprintf(stderr, "dkmod: cannot read %s: %s\n", c->input ? c->input : "standard input", strerror(errno));
		return CLI_EX_NOINPUT;
	}
	FILE *src = spool ? stdin : in;
	static char buf[65536];
	size_t n;
	enum dkmod_status st = DKMOD_OK;
	while ((n = fread(buf, 1, sizeof buf, src)) > 0) {
		if (spool && fwrite(buf, 1, n, in) != n) {
			fclose(in);
			fprintf(stderr, "dkmod: cannot spool the message: %s\n", strerror(errno));
			return CLI_EX_IOERR;
		}
		if (st == DKMOD_OK)
			st = dkmod_session_write(s, buf, n);
	}
	if (ferror(src) || (spool && fflush(in) != 0)) {
		fclose(in);
		fprintf(stderr, "dkmod: read error on input\n");
		return CLI_EX_IOERR;
	}
	if (st == DKMOD_OK)
		st = dkmod_session_finish(s);
	if (st != DKMOD_OK) {
		fclose(in);
		fprintf(stderr, "dkmod: %s\n", dkmod_strerror(st));
		return st == DKMOD_EKEY ? CLI_EX_CONFIG : CLI_EX_SOFTWARE;
	}
	const char *eol = dkmod_session_eol(s);
	for (size_t i = 0; i < dkmod_session_added_count(s); i++)
		cli_write_field(stdout, dkmod_session_added(s, i), eol);
	struct dkmod_header_walk walk;
	size_t cursor = 0, nth, count;
	const char *name;
	dkmod_header_walk_init(&walk, s);
	bool removes = dkmod_session_removal_next(s, &cursor, &name, &nth, &count);
	bool ok = cli_copy_walked(in, removes ? &walk : NULL, stdout);
	fclose(in);
	if (c->json)
		cli_print_json(stderr, s);
	if (!ok || fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "dkmod: write error: %s\n", strerror(errno));
		return CLI_EX_IOERR;
	}
	return CLI_EX_OK;
}

/* cli_json_string - a JSON string literal */
static void cli_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* cli_json_fields - ,"name":"value" for each pair */
static void cli_json_fields(FILE *f, const char *const (*pairs)[2], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(f, ",\"%s\":", pairs[i][0]);
		cli_json_string(f, pairs[i][1]);
	}
}

/* cli_json_auth - ,"spf":{...},"dmarc":{...} (dmarc null when not evaluated) */
static void cli_json_auth(FILE *f, struct dkmod_session *s)
{
	struct dkmod_spf_answer a;
	bool checked = dkmod_session_spf(s, &a);
	fprintf(f, ",\"spf\":{\"result\":\"%s\",\"checked\":%s", dkmod_spf_result_name(a.result),
		checked ? "true" : "false");
	const char *const spf[][2] = {{"scope", a.helo_scope ? "helo" : "mailfrom"}, {"identity", a.identity},
				      {"domain", a.domain}, {"reason", a.reason}, {"explanation", a.explanation},
				      {"trusted", a.trusted}};
	size_t nspf = sizeof spf / sizeof *spf - !(a.trusted && a.trusted[0]); /* "trusted" when it was */
	cli_json_fields(f, spf, checked ? nspf : 0);
	fputs("},\"dmarc\":", f);
	const struct dkmod_dmarc *d = dkmod_session_dmarc(s);
	if (!d) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"result\":\"%s\",\"testing\":%s,\"dkim_aligned\":%s,\"spf_aligned\":%s",
		dkmod_dmarc_result_name(d->result), d->testing ? "true" : "false", d->dkim_aligned ? "true" : "false",
		d->spf_aligned ? "true" : "false");
	const char *const dm[][2] = {{"reason", d->reason}, {"author_domain", d->author_domain},
				     {"org_domain", d->org_domain}, {"record_domain", d->record_domain},
				     {"p", d->p}, {"sp", d->sp}, {"policy", d->policy}, {"disposition", d->disposition},
				     {"dkim_domain", d->dkim_domain}, {"spf_domain", d->spf_domain}};
	cli_json_fields(f, dm, sizeof dm / sizeof *dm);
	fputc('}', f);
}

/* cli_print_json - the verdicts as one JSON object on f */
void cli_print_json(FILE *f, struct dkmod_session *s)
{
	fputs("{\"results\":[", f);
	for (size_t i = 0; i < dkmod_session_result_count(s); i++) {
		const struct dkmod_sig_result *r = dkmod_session_result(s, i);
		fprintf(f, "%s{\"method\":\"%s\",\"result\":\"%s\",\"reason\":", i ? "," : "",
			r->method == DKMOD_METHOD_DKIM ? "dkim" : "domainkeys", dkmod_result_name(r->result));
		cli_json_string(f, r->reason);
		fputs(",\"domain\":", f);
		cli_json_string(f, r->domain);
		fputs(",\"selector\":", f);
		cli_json_string(f, r->selector);
		fputs(",\"identity\":", f);
		cli_json_string(f, r->identity);
		fputs(",\"algorithm\":", f);
		cli_json_string(f, r->algorithm);
		fputs(",\"b\":", f);
		cli_json_string(f, r->b);
		fputs(",\"dk_status\":", f);
		cli_json_string(f, r->dk_status);
		fputs(",\"sender\":", f);
		cli_json_string(f, r->sender);
		fprintf(f, ",\"key_bits\":%u,\"testing\":%s,\"body_length\":%ld,\"partial_body\":%s,\"dnssec\":",
			r->key_bits, r->testing ? "true" : "false", r->body_length, r->partial_body ? "true" : "false");
		cli_json_string(f, dkmod_dnssec_name(r->dnssec));
		fputc('}', f);
	}
	fputc(']', f);
	cli_json_auth(f, s);
	unsigned queries, rounds = dkmod_session_dns_rounds(s, &queries);
	fprintf(f, ",\"dns\":{\"rounds\":%u,\"queries\":%u}", rounds, queries);
	fputs(",\"authentication_results\":", f);
	cli_json_string(f, dkmod_session_ar_value(s) ? dkmod_session_ar_value(s) : "");
	fputs("}\n", f);
}
