/*
 * main.c - the dkmod command: dispatch to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* main_usage - the overview */
static void main_usage(FILE *f)
{
	fputs("usage: dkmod COMMAND [OPTIONS] [FILE|-]\n"
	      "commands:\n"
	      "  verify   verify DKIM signatures; print the message with Authentication-Results\n"
	      "  sign     add DKIM signatures; print the signed message\n"
	      "  help     this text (dkmod COMMAND --help for a command's options)\n"
	      "see dkmod(8)\n",
	      f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		main_usage(stderr);
		return CLI_EX_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "verify") == 0)
		return cli_verify(argc - 1, argv + 1);
	if (strcmp(cmd, "sign") == 0)
		return cli_sign(argc - 1, argv + 1);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		main_usage(stdout);
		return CLI_EX_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		puts("dkmod 0.1.0");
		return CLI_EX_OK;
	}
	fprintf(stderr, "dkmod: unknown command '%s'\n", cmd);
	main_usage(stderr);
	return CLI_EX_USAGE;
}
