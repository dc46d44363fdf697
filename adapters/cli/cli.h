/*
 * cli.h - the dkmod command: shared pieces of its subcommands.
 */
#ifndef DKMOD_CLI_H
#define DKMOD_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

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
	const char *trusted[9]; /* --trusted-authserv-id */
	size_t ntrusted;
	const char *input;     /* file name, or NULL / "-" for stdin */
	bool json;
	int verbosity;
	const char *instance;  /* counters under this instance name (--instance) */
};

/* cli_common_init - defaults, and the log callback on stderr */
void cli_common_init(struct cli_common *c);
/* cli_common_option - handle a shared option at argv[*i]; 1 handled, 0 not ours, -1 usage error */
int cli_common_option(struct cli_common *c, int argc, char **argv, int *i);
/* cli_usage_error - print "dkmod: msg" and a hint; returns CLI_EX_USAGE */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cli_value - the value of --name VALUE or --name=VALUE at argv[*i], or NULL (*missing when absent) */
const char *cli_value(const char *name, int argc, char **argv, int *i, bool *missing);
/* cli_parse_uint - a non-negative decimal number */
bool cli_parse_uint(const char *s, unsigned long *out);

/* cli_run_message - run a session over the input and print the resulting message;
 * returns an exit status */
int cli_run_message(struct cli_common *c, struct dkmod_ctx *ctx, struct dkmod_session *s);
/* cli_print_json - the verdicts as one JSON object on f */
void cli_print_json(FILE *f, struct dkmod_session *s);

/* cli_gzip - in as one gzip member in a malloc'd *out (cli_gzip.c, the zlib file); false when
 * out of memory */
bool cli_gzip(const void *in, size_t len, unsigned char **out, size_t *outlen);
/* cli_report - `dkmod report` */
int cli_report(int argc, char **argv);

/* cli_sign - `dkmod sign` */
int cli_sign(int argc, char **argv);
/* cli_verify - `dkmod verify` */
int cli_verify(int argc, char **argv);
/* cli_spf - `dkmod spf` */
int cli_spf(int argc, char **argv);

/* Key management: cli_keygen.c, cli_zone.c, cli_testkey.c, cli_rotate.c, shared cli_keys.c. */

/* More sysexits.h values. */
enum cli_keys_exit { CLI_EX_DATAERR = 65, CLI_EX_CANTCREAT = 73 };

/* Who owns what the key tools create (set: chown to uid:gid). */
struct cli_owner {
	bool set;
	uid_t uid;
	gid_t gid;
};

/* What key to make. */
struct cli_keyspec {
	enum dkmod_method method;
	bool ed25519;          /* else RSA of bits */
	unsigned bits;
	unsigned flags;        /* DKMOD_KEY_TESTING, DKMOD_KEY_STRICT */
	struct cli_owner owner; /* of the directories and files made */
};

/* cli_console - `dkmod console` */
int cli_console(int argc, char **argv);
/* cli_keygen - `dkmod keygen` */
int cli_keygen(int argc, char **argv);
/* cli_zone - `dkmod zone` */
int cli_zone(int argc, char **argv);
/* cli_testkey - `dkmod testkey` */
int cli_testkey(int argc, char **argv);
/* cli_rotate - `dkmod rotate` */
int cli_rotate(int argc, char **argv);

/* cli_keys_name - a domain or selector without final dot into out; false if it is not a host name */
bool cli_keys_name(const char *in, char *out, size_t cap);
/* cli_keys_mkdirs - create path and its parents (mode 0700, given to o) as needed; false with errno */
bool cli_keys_mkdirs(const char *path, const struct cli_owner *o);
/* cli_keys_owner_parse - USER or USER:GROUP (names or numbers; the group defaults to the user's) */
bool cli_keys_owner_parse(const char *v, struct cli_owner *o);
/* cli_keys_owner_default - run as root without --owner: the owner of dir (or of its nearest
 * existing parent), with a note on stderr (unless quiet) when that is root */
void cli_keys_owner_default(const char *dir, struct cli_owner *o, bool quiet);
/* cli_keys_chown - give path to o (nothing if o is not set); false with errno */
bool cli_keys_chown(const char *path, const struct cli_owner *o);
/* cli_keys_read - a whole small file as a malloc'd NUL-terminated string (*out, *len); false
 * with errno */
bool cli_keys_read(const char *path, char **out, size_t *len);
/* cli_keys_make - generate a key as DIR/D/S.key (0600) with its record in DIR/D/S.txt; the
 * record's BIND text goes to *bind (several lines, malloc'd) and, if bind_line is not NULL,
 * to *bind_line (one line, malloc'd); both NULL on failure;
 * refuses to replace either file (CLI_EX_CANTCREAT); an exit status, messages on stderr */
int cli_keys_make(const char *dir, const char *domain, const char *selector, const struct cli_keyspec *spec,
		  char **bind, char **bind_line);

/* cli_process - `dkmod process`: messages through the configuration and policy script */
int cli_process(int argc, char **argv);
/* cli_explain_sign - `dkmod explain-sign`: the signing decision for a message, step by step */
int cli_explain_sign(int argc, char **argv);
/* cli_signtable - `dkmod signtable compile|lookup`: signing tables */
int cli_signtable(int argc, char **argv);
/* cli_config_check - `dkmod config-check FILE` */
int cli_config_check(int argc, char **argv);
/* cli_doctor - `dkmod doctor [--as USER] [--socket SPEC] FILE` */
int cli_doctor(int argc, char **argv);

/* cli_copy_walked - copy f from its start to out without the header fields the walk removes
 * (w NULL: a plain copy); false on a read error or a walk that cannot go on */
bool cli_copy_walked(FILE *f, struct dkmod_header_walk *w, FILE *out);

#endif
