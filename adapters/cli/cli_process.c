/*
 * cli_process.c - `dkmod process`: run messages through the whole pipeline
 * (configuration, signing decision, verification, policy script) and print
 * each resulting message; the action goes to standard error and decides
 * the exit status.  Several files are processed in turn by one process,
 * with one configuration, engine and policy state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/pipeline.h"
#include "cli.h"

#define CLI_PROCESS_RCPTS 100
#define CLI_PROCESS_FILES 64

/* Exit statuses of the actions. */
enum cli_process_exit {
	CLI_PROCESS_ACCEPT = 0,
	CLI_PROCESS_REJECT = 1,
	CLI_PROCESS_TEMPFAIL = 2,
	CLI_PROCESS_DISCARD = 3,
	CLI_PROCESS_QUARANTINE = 4
};

static const char cli_process_help[] =
	"usage: dkmod process --config FILE [OPTIONS] [FILE|-]...\n"
	"  --config FILE        the configuration (dkmod.conf(5)), with its policy script\n"
	"  --client-ip A        the client's IP address\n"
	"  --helo H             the client's HELO/EHLO name\n"
	"  --auth-user U        the client authenticated as U\n"
	"  --relay              the client may relay\n"
	"  --mail-from S        the envelope sender ('' for the null sender)\n"
	"  --rcpt R             an envelope recipient (repeatable)\n"
	"  --stats              print the policy's counters on standard error at the end\n"
	"  -v, -q               more or fewer log lines on standard error\n"
	"Prints the message (fields added on top, removed ones gone) for accept and\n"
	"quarantine, nothing for reject, tempfail and discard; the action on standard\n"
	"error as: action=ACTION reply=\"TEXT\".  Exit status: 0 accept, 1 reject,\n"
	"2 tempfail, 3 discard, 4 quarantine; 64 usage, 66 unreadable input,\n"
	"70 internal error, 74 output error, 78 configuration error.\n";

struct cli_process {
	const char *config;
	struct pipeline_envelope env;
	const char *rcpts[CLI_PROCESS_RCPTS];
	const char *files[CLI_PROCESS_FILES];
	size_t nfiles;
	bool stats;
	bool explain;         /* explain-sign: print the signing decision, not the message */
	int level;
};

/* cli_process_log - log lines on standard error */
static void cli_process_log(void *arg, enum dkmod_log_level level, const char *msg)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	(void)arg;
	fprintf(stderr, "dkmod: %s: %s\n", names[level], msg);
}

/* cli_process_explain_log - explain-sign: the signing decision on standard output, problems on standard error */
static void cli_process_explain_log(void *arg, enum dkmod_log_level level, const char *msg)
{
	if (strncmp(msg, "sign: ", 6) == 0)
		printf("%s\n", msg + 6);
	else if (level <= DKMOD_LOG_WARNING)
		cli_process_log(arg, level, msg);
}

/* cli_process_report - a configuration error on standard error */
static void cli_process_report(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

/* cli_process_counter - one counter on standard error */
static void cli_process_counter(void *arg, const char *name, long value)
{
	(void)arg;
	fprintf(stderr, "count %s=%ld\n", name, value);
}

/* cli_process_args - parse the command line; -1 parsed, else an exit status */
static int cli_process_args(struct cli_process *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *a = argv[i], *v;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(cli_process_help, stdout);
			return CLI_EX_OK;
		} else if (strcmp(a, "--relay") == 0) {
			c->env.can_relay = true;
		} else if (strcmp(a, "--stats") == 0) {
			c->stats = true;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			c->level = c->level < 0 ? DKMOD_LOG_DEBUG : c->level + 1;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			c->level = DKMOD_LOG_ERROR;
		} else if ((v = cli_value("--config", argc, argv, &i, &missing))) {
			c->config = v;
		} else if ((v = cli_value("--client-ip", argc, argv, &i, &missing))) {
			c->env.client_ip = v;
		} else if ((v = cli_value("--helo", argc, argv, &i, &missing))) {
			c->env.helo = v;
		} else if ((v = cli_value("--auth-user", argc, argv, &i, &missing))) {
			c->env.auth_user = v;
		} else if ((v = cli_value("--mail-from", argc, argv, &i, &missing))) {
			c->env.mail_from = v;
		} else if ((v = cli_value("--rcpt", argc, argv, &i, &missing))) {
			if (c->env.nrcpts == CLI_PROCESS_RCPTS)
				return cli_usage_error("at most %d --rcpt options", CLI_PROCESS_RCPTS);
			c->rcpts[c->env.nrcpts++] = v;
		} else if (missing) {
			return cli_usage_error("option %s needs a value", a);
		} else if (a[0] == '-' && a[1] != '\0') {
			return cli_usage_error("process: unknown option %s", a);
		} else {
			if (c->nfiles == CLI_PROCESS_FILES)
				return cli_usage_error("at most %d files", CLI_PROCESS_FILES);
			c->files[c->nfiles++] = a;
		}
	}
	if (!c->config)
		return cli_usage_error("process needs --config FILE");
	if (c->level > DKMOD_LOG_DEBUG)
		c->level = DKMOD_LOG_DEBUG;
	c->env.rcpts = c->rcpts;
	if (c->nfiles == 0)
		c->files[c->nfiles++] = "-";
	return -1;
}

/* cli_process_field - an added field in the message's own line ends */
static void cli_process_field(const char *field, const char *eol)
{
	for (const char *p = field; *p; p++) {
		if (p[0] == '\r' && p[1] == '\n') {
			fputs(eol, stdout);
			p++;
		} else {
			fputc(*p, stdout);
		}
	}
	fputs(eol, stdout);
}

/* cli_process_print - the resulting message: added fields, kept fields, the rest of in */
static bool cli_process_print(struct pipeline_msg *m, FILE *in)
{
	const char *eol = pipeline_msg_eol(m);
	for (size_t i = 0; i < pipeline_msg_added_count(m); i++)
		cli_process_field(pipeline_msg_added(m, i), eol);
	struct dkmod_header_walk walk;
	pipeline_msg_header_walk(m, &walk);
	return cli_copy_walked(in, pipeline_msg_removes(m) ? &walk : NULL, stdout);
}

/* cli_process_open - the input as a seekable stream (stdin is spooled to a temporary file) */
static FILE *cli_process_open(const char *name, bool *spool)
{
	*spool = strcmp(name, "-") == 0;
	if (*spool)
		return tmpfile();
	FILE *f = fopen(name, "rb");
	struct stat st;
	if (f && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
		return f;
	if (f) {
		fclose(f);
		errno = EISDIR;
	}
	return NULL;
}

/* cli_process_one - one message; returns an exit status */
static int cli_process_one(struct cli_process *c, struct pipeline *p, const char *name)
{
	bool spool;
	FILE *in = cli_process_open(name, &spool);
	if (!in) {
		int why = errno;
		fprintf(stderr, "dkmod: cannot read %s: %s\n", spool ? "standard input" : name, strerror(why));
		return why == ENOMEM ? CLI_EX_SOFTWARE : CLI_EX_NOINPUT; /* out of memory is ours, not the input's */
	}
	struct pipeline_msg *m = pipeline_msg_new(p, &c->env);
	if (!m) {
		fclose(in);
		fprintf(stderr, "dkmod: cannot start a message: out of memory\n");
		return CLI_EX_SOFTWARE;
	}
	FILE *src = spool ? stdin : in;
	static char buf[65536];
	size_t n;
	enum pipeline_status st = PIPELINE_OK;
	int rc = -1;
	while ((n = fread(buf, 1, sizeof buf, src)) > 0) {
		if (spool && fwrite(buf, 1, n, in) != n)
			rc = CLI_EX_IOERR;
		if (st == PIPELINE_OK)
			st = pipeline_msg_write(m, buf, n);
	}
	if (ferror(src) || (spool && fflush(in) != 0))
		rc = CLI_EX_IOERR;
	if (rc < 0 && st == PIPELINE_OK)
		st = pipeline_msg_finish(m);
	if (rc < 0 && st != PIPELINE_OK) {
		fprintf(stderr, "dkmod: internal error on %s\n", spool ? "standard input" : name);
		rc = CLI_EX_SOFTWARE;
	}
	if (rc < 0) {
		static const int codes[] = {CLI_PROCESS_ACCEPT, CLI_PROCESS_REJECT, CLI_PROCESS_TEMPFAIL,
					    CLI_PROCESS_DISCARD, CLI_PROCESS_QUARANTINE};
		enum policy_action a = pipeline_msg_action(m);
		if (c->nfiles > 1)
			fprintf(c->explain ? stdout : stderr, "%s: ", name);
		fprintf(stderr, "action=%s reply=\"%s\"\n", policy_action_name(a), pipeline_msg_reply(m));
		rc = codes[a];
		if (c->explain)
			printf("signatures: %zu\n", pipeline_msg_signing(m));
		else if ((a == POLICY_ACCEPT || a == POLICY_QUARANTINE) && !cli_process_print(m, in))
			rc = CLI_EX_IOERR;
		if (fflush(stdout) != 0 || ferror(stdout))
			rc = CLI_EX_IOERR;
	} else if (rc == CLI_EX_IOERR) {
		fprintf(stderr, "dkmod: read error on %s\n", spool ? "standard input" : name);
	}
	pipeline_msg_free(m);
	fclose(in);
	return rc;
}

/* cli_process_run - `dkmod process`, or with explain `dkmod explain-sign` */
static int cli_process_run(int argc, char **argv, bool explain)
{
	struct cli_process c;
	memset(&c, 0, sizeof c);
	c.level = -1;
	int rc = cli_process_args(&c, argc, argv);
	if (rc >= 0)
		return rc;
	c.explain = explain;
	struct pipeline_options o = {.log = explain ? cli_process_explain_log : cli_process_log,
				     .log_level = explain ? DKMOD_LOG_DEBUG : c.level, .log_here = explain};
	struct pipeline *p = pipeline_new(c.config, &o, cli_process_report, NULL);
	if (!p)
		return CLI_EX_CONFIG;
	for (size_t i = 0; i < c.nfiles; i++) {
		rc = cli_process_one(&c, p, c.files[i]);
		if (rc > CLI_PROCESS_QUARANTINE)
			break;
	}
	if (c.stats)
		pipeline_counters(p, cli_process_counter, NULL);
	pipeline_free(p);
	return rc;
}

/* cli_process - `dkmod process` */
int cli_process(int argc, char **argv)
{
	return cli_process_run(argc, argv, false);
}

/* cli_explain_sign - `dkmod explain-sign`: why a message gets the signatures it gets */
int cli_explain_sign(int argc, char **argv)
{
	return cli_process_run(argc, argv, true);
}
