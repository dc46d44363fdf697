/*
 * cli_console.c - `dkmod console 'KIND:INSTANCE COMMAND'`: statistics and
 * cache flushes on the shared state, in the syntax of the product our users
 * come from ('dk_sign:dk_sign1 stats', 'dk_sign:dk_sign1 flush keycache').
 * No daemon is needed: the console opens the state every process shares.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	"  as a Prometheus text exposition.  --state DIR: the shared state, the\n"
	"  configuration's keycache { state_dir } (default $DKMOD_STATE, else\n"
	"  " CLI_CONSOLE_DEFAULT_STATE "); it is never created here.\n"
	"Exit: 0, 64 unknown command or instance, 75 no usable state.\n";

struct cli_console_print {
	const char *prefix;  /* "dk_sign.dk_sign1." or NULL for all */
	bool prometheus;
	size_t printed;
};

/* cli_console_no_state - the message for a state that cannot be opened; exit 75 */
static int cli_console_no_state(const char *state)
{
	char path[4096];
	struct stat sb;
	snprintf(path, sizeof path, "%s/data.mdb", state);
	if (stat(path, &sb) != 0)
		fprintf(stderr, "dkmod: console: no shared state in %s (%s): no dkmod process has used it yet, or the "
				"configuration's keycache { state_dir } is another (give it with --state)\n",
			state, strerror(errno));
	else
		fprintf(stderr, "dkmod: console: cannot open the shared state in %s\n", state);
	return CLI_EX_TEMPFAIL;
}

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

/* What the console knows of an instance before it prints: whether it has counters, and
 * the names of the instances of its kind. */
struct cli_console_known {
	const char *kind_prefix;  /* "dkim_validate." */
	const char *prefix;       /* "dkim_validate.NAME." */
	bool found;
	char names[400];
};

/* cli_console_seen - note the instance a counter belongs to */
static void cli_console_seen(void *arg, const char *name, long long value)
{
	struct cli_console_known *k = arg;
	size_t kl = strlen(k->kind_prefix), used = strlen(k->names);
	if (!strncmp(name, k->prefix, strlen(k->prefix)))
		k->found = true;
	if (strncmp(name, k->kind_prefix, kl) != 0)
		return;
	const char *inst = name + kl, *dot = strchr(inst, '.');
	int n = dot ? (int)(dot - inst) : (int)strlen(inst);
	const char *last = strrchr(k->names, ' ');
	last = last ? last + 1 : k->names;
	if ((int)strlen(last) == n && !strncmp(last, inst, (size_t)n))
		return; /* counters come in name order: an instance's are together */
	snprintf(k->names + used, sizeof k->names - used, "%s%.*s", used ? " " : "", n, inst);
}

/* cli_console_instance - CLI_EX_OK if the state knows kind:inst, else the exit status after a message */
static int cli_console_instance(const char *state, const char *kind, const char *inst)
{
	char kind_prefix[40], prefix[200];
	snprintf(kind_prefix, sizeof kind_prefix, "%s.", kind);
	snprintf(prefix, sizeof prefix, "%s.%s.", kind, inst);
	struct cli_console_known k = {kind_prefix, prefix, false, ""};
	if (dkmod_state_counters(state, cli_console_seen, &k) != DKMOD_OK)
		return cli_console_no_state(state);
	if (k.found)
		return CLI_EX_OK;
	fprintf(stderr, "dkmod: console: no instance %s:%s in the shared state %s (%s%s)\n", kind, inst, state,
		k.names[0] ? "known: " : "no process has counted under this kind yet", k.names);
	return CLI_EX_USAGE;
}

/* cli_console_run - parse and run one console command */
static int cli_console_run(const char *state, const char *cmd, bool prometheus)
{
	char kind[32], inst[128], verb[32] = "", obj[32] = "";
	struct cli_console_print p = {NULL, prometheus, 0};
	char prefix[200];
	int rc;
	if (strcmp(cmd, "stats") == 0 || prometheus)
		return dkmod_state_counters(state, cli_console_counter, &p) == DKMOD_OK ? CLI_EX_OK
											 : cli_console_no_state(state);
	int n = sscanf(cmd, "%31[a-z_]:%127[^ ] %31s %31s", kind, inst, verb, obj);
	bool kind_ok = !strcmp(kind, "dk_sign") || !strcmp(kind, "dkim_sign") || !strcmp(kind, "dk_validate") ||
		       !strcmp(kind, "dkim_validate");
	if (n < 3 || !kind_ok)
		return cli_usage_error("console: unknown command '%s'", cmd);
	bool stats = n == 3 && !strcmp(verb, "stats");
	bool flush = n == 4 && !strcmp(verb, "flush") && !strcmp(obj, "keycache");
	bool reload = n == 3 && !strcmp(verb, "reload");
	if ((stats || flush || reload) && (rc = cli_console_instance(state, kind, inst)) != CLI_EX_OK)
		return rc;
	if (stats) {
		snprintf(prefix, sizeof prefix, "%s.%s.", kind, inst);
		p.prefix = prefix;
		return dkmod_state_counters(state, cli_console_counter, &p) == DKMOD_OK ? CLI_EX_OK
											 : cli_console_no_state(state);
	}
	if (flush) {
		long removed = 0;
		if (dkmod_state_flush(state, NULL, &removed) != DKMOD_OK)
			return cli_console_no_state(state);
		printf("%s:%s: flushed %ld cached records; signing keys reload in every process\n", kind, inst, removed);
		return CLI_EX_OK;
	}
	if (reload) {
		if (dkmod_state_reload(state) != DKMOD_OK)
			return cli_console_no_state(state);
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
