/*
 * cli_config.c - `dkmod config-check FILE`: evaluate a configuration file,
 * open every key file it names, load its policy script; print "FILE: ok"
 * (exit 0) or every error as "FILE:LINE: message" (exit 78).
 */
#include <string.h>

#include "../common/pipeline.h"
#include "cli.h"

static const char cli_config_help[] =
	"usage: dkmod config-check FILE\n"
	"  check a configuration file (see dkmod.conf(5)): its syntax and options, every key\n"
	"  file of every domain block, and the policy script; prints FILE: ok or each error\n"
	"  as FILE:LINE: message on standard error; exit 0 or 78\n";

/* cli_config_report - one error line on standard error */
static void cli_config_report(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

/* cli_config_check - `dkmod config-check` */
int cli_config_check(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(cli_config_help, stdout);
		return CLI_EX_OK;
	}
	if (argc != 2 || (argv[1][0] == '-' && argv[1][1]))
		return cli_usage_error("config-check takes one configuration file");
	size_t errors = pipeline_check(argv[1], cli_config_report, NULL);
	if (errors)
		return CLI_EX_CONFIG;
	printf("%s: ok\n", argv[1]);
	return CLI_EX_OK;
}
