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
	      "  verify   verify DKIM and DomainKeys signatures; print the message with\n"
	      "           Authentication-Results and DomainKey-Status\n"
	      "  sign     add DKIM and DomainKeys signatures; print the signed message\n"
	      "  spf      check a client IP, HELO and MAIL FROM against SPF (RFC 7208)\n"
	      "  keygen   make a key and its DNS record (DIR/DOMAIN/SELECTOR.key and .txt)\n"
	      "  zone     print the DNS records of every key in a key directory\n"
	      "  testkey  check the published record of a selector against its private key\n"
	      "  rotate   start this month's selector; list retired ones to keep or remove\n"
	      "  console  statistics and cache flushes on the shared state\n"
	      "  process  run messages through the configuration and policy script; print the result\n"
	      "  config-check  check a configuration file (dkmod.conf(5)) and its policy script\n"
	      "  doctor   what the service user cannot read or write, and the commands that fix it\n"
	      "  explain-sign  why a message gets the signatures it gets (process's options)\n"
	      "  signtable     compile a signing table, or look an address up in one\n"
	      "  report   send or write the DMARC aggregate reports (RFC 9990) of closed periods;\n"
	      "           export and merge the periods of several hosts\n"
	      "  help     this text (dkmod COMMAND --help for a command's options)\n"
	      "see dkmod(8)\n",
	      f);
}

/* main - the dkmod command: the first argument names the command, the rest are its options */
int main(int argc, char **argv)
{
	if (argc < 2) {
		main_usage(stderr);
		return CLI_EX_USAGE;
	}
	const char *cmd = argv[1];
	/* the key tools show OpenSSL's reasons, so its error texts are loaded for them */
	if (!strcmp(cmd, "keygen") || !strcmp(cmd, "zone") || !strcmp(cmd, "testkey") || !strcmp(cmd, "rotate"))
		dkmod_key_error_strings();
	if (strcmp(cmd, "verify") == 0)
		return cli_verify(argc - 1, argv + 1);
	if (strcmp(cmd, "sign") == 0)
		return cli_sign(argc - 1, argv + 1);
	if (strcmp(cmd, "spf") == 0)
		return cli_spf(argc - 1, argv + 1);
	if (strcmp(cmd, "console") == 0)
		return cli_console(argc - 1, argv + 1);
	if (strcmp(cmd, "keygen") == 0)
		return cli_keygen(argc - 1, argv + 1);
	if (strcmp(cmd, "zone") == 0)
		return cli_zone(argc - 1, argv + 1);
	if (strcmp(cmd, "testkey") == 0)
		return cli_testkey(argc - 1, argv + 1);
	if (strcmp(cmd, "rotate") == 0)
		return cli_rotate(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return cli_report(argc - 1, argv + 1);
	if (strcmp(cmd, "process") == 0)
		return cli_process(argc - 1, argv + 1);
	if (strcmp(cmd, "explain-sign") == 0)
		return cli_explain_sign(argc - 1, argv + 1);
	if (strcmp(cmd, "signtable") == 0)
		return cli_signtable(argc - 1, argv + 1);
	if (strcmp(cmd, "config-check") == 0)
		return cli_config_check(argc - 1, argv + 1);
	if (strcmp(cmd, "doctor") == 0)
		return cli_doctor(argc - 1, argv + 1);
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
