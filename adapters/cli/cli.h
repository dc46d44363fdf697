/*
 * cli.h - the dkmod command: shared pieces of its subcommands.
 */
#ifndef DKMOD_CLI_H
#define DKMOD_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "dkmod.h"

/* Exit statuses (sysexits.h values, spelled out so the CLI needs no BSD header). */
enum cli_exit {
	CLI_EX_OK = 0,
	CLI_EX_USAGE = 64,
	CLI_EX_NOINPUT = 66,
	CLI_EX_SOFTWARE = 70,
	CLI_EX_IOERR = 74,
	CLI_EX_TEMPFAIL = 75,
	CLI_EX_CONFIG = 78
};

/* Options every message-handling subcommand takes. */
struct cli_common {
	struct dkmod_options opt;
	const char *forwarders[9];
	size_t nforwarders;
	const char *stubs[9];
	size_t nstubs;
	const char *input;     /* file name, or NULL / "-" for stdin */
	bool json;
	int verbosity;
};

/* cli_common_init - defaults, and the log callback on stderr */
void cli_common_init(struct cli_common *c);
/* cli_common_option - handle a shared option at argv[*i]; 1 handled, 0 not ours, -1 usage error */
int cli_common_option(struct cli_common *c, int argc, char **argv, int *i);
/* cli_usage_error - print "dkmod: msg" and a hint; returns CLI_EX_USAGE */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cli_parse_uint - a non-negative decimal number */
bool cli_parse_uint(const char *s, unsigned long *out);

/* cli_run_message - run a session over the input and print the resulting message;
 * returns an exit status */
int cli_run_message(struct cli_common *c, struct dkmod_ctx *ctx, struct dkmod_session *s);
/* cli_print_json - the verdicts as one JSON object on f */
void cli_print_json(FILE *f, struct dkmod_session *s);

/* cli_sign - `dkmod sign` */
int cli_sign(int argc, char **argv);
/* cli_verify - `dkmod verify` */
int cli_verify(int argc, char **argv);

#endif
