/*
 * cli_signtable.c - `dkmod signtable`: compile a text signing table into the
 * form large sites use (one LMDB file, written beside and renamed over the
 * old one, so that running processes see the old or the new table), or show
 * which entry and signatures an address gets.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char cli_signtable_help[] =
	"usage: dkmod signtable compile TEXT COMPILED\n"
	"       dkmod signtable lookup TABLE ADDRESS|DOMAIN\n"
	"A table has lines KEY SIGNATURE...: KEY is local@domain, domain, .parent (its\n"
	"subdomains) or * (the default); a SIGNATURE is domain:selector[:keyfile]\n"
	"(%{d}: the domain looked up).  lookup prints the entry that matched and one\n"
	"line per signature.  Exit status: 0 done (lookup: found), 1 lookup: no entry,\n"
	"64 usage, 66 unreadable or bad table, 74 write error.\n";

/* cli_signtable_lookup - print the entry an address or domain gets */
static int cli_signtable_lookup(const char *path, const char *who)
{
	struct dkmod_signtable *t;
	struct dkmod_signtable_match m;
	char why[600];
	if (dkmod_signtable_open(path, &t, why, sizeof why) != DKMOD_OK) {
		fprintf(stderr, "dkmod: signtable: %s\n", why);
		return CLI_EX_NOINPUT;
	}
	const char *at = strrchr(who, '@');
	int rc = dkmod_signtable_lookup(t, at ? who : NULL, at ? at + 1 : who, &m, why, sizeof why);
	dkmod_signtable_free(t);
	if (rc < 0) {
		fprintf(stderr, "dkmod: signtable: %s\n", why);
		return CLI_EX_NOINPUT;
	}
	if (rc == 0) {
		printf("no entry for %s\n", who);
		return 1;
	}
	printf("entry %s\n", m.key);
	for (size_t i = 0; i < m.nsigs; i++)
		printf("d=%s s=%s key=%s\n", m.sigs[i].domain, m.sigs[i].selector,
		       m.sigs[i].key_file[0] ? m.sigs[i].key_file : "(key template)");
	return CLI_EX_OK;
}

/* cli_signtable - `dkmod signtable` */
int cli_signtable(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(cli_signtable_help, stdout);
		return CLI_EX_OK;
	}
	if (argc == 4 && strcmp(argv[1], "lookup") == 0)
		return cli_signtable_lookup(argv[2], argv[3]);
	if (argc != 4 || strcmp(argv[1], "compile") != 0)
		return cli_usage_error("signtable: compile TEXT COMPILED or lookup TABLE ADDRESS");
	char why[600];
	size_t n = 0;
	enum dkmod_status st = dkmod_signtable_compile(argv[2], argv[3], &n, why, sizeof why);
	if (st != DKMOD_OK) {
		fprintf(stderr, "dkmod: signtable: %s\n", why);
		return st == DKMOD_EIO && strstr(why, argv[3]) ? CLI_EX_IOERR : CLI_EX_NOINPUT;
	}
	printf("%s: %zu entries\n", argv[3], n);
	return CLI_EX_OK;
}
