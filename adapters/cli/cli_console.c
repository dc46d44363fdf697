/*
 * cli_console.c - `dkmod console 'KIND:INSTANCE COMMAND'`: statistics and
 * cache flushes on the shared state, in the syntax of the product our users
 * come from ('dk_sign:dk_sign1 stats', 'dk_sign:dk_sign1 flush keycache').
 * No daemon is needed: the console opens the state every process shares.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CLI_CONSOLE_DEFAULT_STATE "/var/lib/dkmod"

static const char cli_console_help[] =
	"usage: dkmod console [--state DIR] [--format text|prometheus] 'KIND:INSTANCE COMMAND'\n"
	"  KIND is dk_sign, dkim_sign, dk_validate or dkim_validate; COMMAND is\n"
	"  stats             the instance's counters, and the shared DNS and cache counters\n"
	"  flush keycache    drop every cached key and policy record and make every\n"
	"                    process reload its signing keys (run after a key changed)\n"
	"  reload            make every process reload its signing keys and signing\n"
	"                    tables now (cached records stay)\n"
	"  'stats' alone prints every counter; --format prometheus prints them all\n"
	"  as a Prometheus text exposition.  --state DIR: the shared state\n"
	"  (default " CLI_CONSOLE_DEFAULT_STATE ").\n";

struct cli_console_print {
	const char *prefix;  /* "dk_sign.dk_sign1." or NULL for all */
	bool prometheus;
	size_t printed;
};

/* cli_console_label - write s as a Prometheus label value */
static void cli_console_label(const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		if (s[i] == '"' || s[i] == '\\')
			putchar('\\');
		putchar(s[i] == '\n' ? ' ' : s[i]);
	}
}

/* cli_console_prometheus - one counter in the Prometheus text format */
static void cli_console_prometheus(const char *name, long long value)
{
	static const char *const kinds[] = {"dk_sign.", "dkim_sign.", "dk_validate.", "dkim_validate."};
	for (size_t k = 0; k < 4; k++) {
		size_t kl = strlen(kinds[k]);
		if (strncmp(name, kinds[k], kl) != 0)
			continue;
		const char *inst = name + kl, *dot = strchr(inst, '.');
		if (!dot)
			break;
		const char *what = dot + 1, *sub = strchr(what, '.');
		size_t wl = sub ? (size_t)(sub - what) : strlen(what);
		const char *metric = "dkmod_signing_total", *label = "outcome";
		const char *val = what;
		size_t vl = wl;
		if (sub) {
			metric = !strncmp(what, "result", wl)   ? "dkmod_results_total"
				 : !strncmp(what, "status", wl) ? "dkmod_dk_status_total"
				 : !strncmp(what, "policy", wl) ? "dkmod_dk_policy_total"
				 : !strncmp(what, "adsp", wl)   ? "dkmod_adsp_total"
								: "dkmod_counter_total";
			label = "value";
			val = sub + 1;
			vl = strlen(val);
		} else if (!strcmp(what, "messages")) {
			printf("dkmod_messages_total{kind=\"%.*s\",instance=\"", (int)kl - 1, kinds[k]);
			cli_console_label(inst, (size_t)(dot - inst));
			printf("\"} %lld\n", value);
			return;
		}
		printf("%s{kind=\"%.*s\",instance=\"", metric, (int)kl - 1, kinds[k]);
		cli_console_label(inst, (size_t)(dot - inst));
		printf("\",%s=\"", label);
		cli_console_label(val, vl);
		printf("\"} %lld\n", value);
		return;
	}
	if (!strncmp(name, "dns.answers.", 12)) {
		printf("dkmod_dns_answers_total{kind=\"%s\"} %lld\n", name + 12, value);
	} else if (!strcmp(name, "cache.entries") || !strcmp(name, "cache.generation")) {
		printf("dkmod_%s %lld\n", !strcmp(name, "cache.entries") ? "cache_entries" : "cache_generation", value);
	} else if (!strncmp(name, "dns.", 4) || !strncmp(name, "cache.", 6)) {
		printf("dkmod_");
		for (const char *p = name; *p; p++)
			putchar(*p == '.' ? '_' : *p);
		printf("_total %lld\n", value);
	} else {
		printf("dkmod_counter_total{name=\"");
		cli_console_label(name, strlen(name));
		printf("\"} %lld\n", value);
	}
}

/* cli_console_counter - print one counter if it belongs to the instance asked for */
static void cli_console_counter(void *arg, const char *name, long long value)
{
	struct cli_console_print *p = arg;
	bool shared = !strncmp(name, "dns.", 4) || !strncmp(name, "cache.", 6);
	if (p->prefix && !shared && strncmp(name, p->prefix, strlen(p->prefix)) != 0)
		return;
	p->printed++;
	if (p->prometheus)
		cli_console_prometheus(name, value);
	else
		printf("%s %lld\n", name, value);
}

/* cli_console_run - parse and run one console command */
static int cli_console_run(const char *state, const char *cmd, bool prometheus)
{
	char kind[32], inst[128], verb[32] = "", obj[32] = "";
	struct cli_console_print p = {NULL, prometheus, 0};
	char prefix[200];
	if (strcmp(cmd, "stats") == 0 || prometheus) {
		if (dkmod_state_counters(state, cli_console_counter, &p) != DKMOD_OK) {
			fprintf(stderr, "dkmod: console: cannot open the shared state in %s\n", state);
			return CLI_EX_TEMPFAIL;
		}
		return CLI_EX_OK;
	}
	int n = sscanf(cmd, "%31[a-z_]:%127[^ ] %31s %31s", kind, inst, verb, obj);
	bool kind_ok = !strcmp(kind, "dk_sign") || !strcmp(kind, "dkim_sign") || !strcmp(kind, "dk_validate") ||
		       !strcmp(kind, "dkim_validate");
	if (n < 3 || !kind_ok)
		return cli_usage_error("console: unknown command '%s'", cmd);
	if (n == 3 && !strcmp(verb, "stats")) {
		snprintf(prefix, sizeof prefix, "%s.%s.", kind, inst);
		p.prefix = prefix;
		if (dkmod_state_counters(state, cli_console_counter, &p) != DKMOD_OK) {
			fprintf(stderr, "dkmod: console: cannot open the shared state in %s\n", state);
			return CLI_EX_TEMPFAIL;
		}
		return CLI_EX_OK;
	}
	if (n == 4 && !strcmp(verb, "flush") && !strcmp(obj, "keycache")) {
		long removed = 0;
		if (dkmod_state_flush(state, NULL, &removed) != DKMOD_OK) {
			fprintf(stderr, "dkmod: console: cannot flush the shared state in %s\n", state);
			return CLI_EX_TEMPFAIL;
		}
		printf("%s:%s: flushed %ld cached records; signing keys reload in every process\n", kind, inst, removed);
		return CLI_EX_OK;
	}
	if (n == 3 && !strcmp(verb, "reload")) {
		if (dkmod_state_reload(state) != DKMOD_OK) {
			fprintf(stderr, "dkmod: console: cannot open the shared state in %s\n", state);
			return CLI_EX_TEMPFAIL;
		}
		printf("%s:%s: signing keys and signing tables reload in every process\n", kind, inst);
		return CLI_EX_OK;
	}
	return cli_usage_error("console: unknown command '%s'", cmd);
}

/* cli_console - `dkmod console` */
int cli_console(int argc, char **argv)
{
	const char *state = getenv("DKMOD_STATE") ? getenv("DKMOD_STATE") : CLI_CONSOLE_DEFAULT_STATE;
	const char *cmd = NULL;
	bool prometheus = false;
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *v;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(cli_console_help, stdout);
			return CLI_EX_OK;
		} else if ((v = cli_value("--state", argc, argv, &i, &missing))) {
			state = v;
		} else if ((v = cli_value("--format", argc, argv, &i, &missing))) {
			if (strcmp(v, "prometheus") && strcmp(v, "text"))
				return cli_usage_error("--format takes text or prometheus");
			prometheus = !strcmp(v, "prometheus");
		} else if (missing) {
			return cli_usage_error("option %s needs a value", argv[i]);
		} else if (argv[i][0] == '-') {
			return cli_usage_error("console: unknown option %s", argv[i]);
		} else if (cmd) {
			return cli_usage_error("console takes one command (quote it)");
		} else {
			cmd = argv[i];
		}
	}
	if (!cmd && !prometheus)
		return cli_usage_error("console needs a command, e.g. 'dkim_validate:dkim_validate1 stats'");
	return cli_console_run(state, cmd ? cmd : "stats", prometheus);
}
