/*
 * pipe_args.c - the command line of dkmod-pipe, as pipe(8) passes it
 * (empty macros arrive as empty arguments: "" means unknown), and the
 * relaying decision from it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/mta.h"
#include "pipe.h"

static const char pipe_args_help[] =
	"usage: dkmod-pipe [OPTIONS] -f SENDER -- RECIPIENT...\n"
	"  --config FILE        dkmod.conf(5) (default /etc/dkmod/dkmod.conf)\n"
	"  --client-ip A        the SMTP client's address (${client_address})\n"
	"  --helo H             its HELO/EHLO name (${client_helo})\n"
	"  --auth-user U        its SASL login (${sasl_username}); makes it a relay client\n"
	"  --queue-id Q         the Postfix queue id, for log lines (${queue_id})\n"
	"  --relay              every client of this service may relay\n"
	"  --relay-net A/N      clients in this network may relay (repeatable, IPv4/IPv6)\n"
	"  --sendmail PATH      reinjection command (default /usr/sbin/sendmail)\n"
	"  --sendmail-arg X     an argument for it before -G -i (repeatable, e.g. -C DIR)\n"
	"  --log-file FILE      log lines there instead of syslog (facility mail)\n"
	"  -v, -q               more or fewer log lines\n"
	"The message is read on standard input.  Exit: 0 delivered (reinjected) or\n"
	"discarded, 69 rejected (a \"5.x.x text\" line on standard output), 75 deferred\n"
	"(policy tempfail, and every failure of the filter itself, usage included).\n";

/* pipe_args_value - the value of "--name VALUE" or "--name=VALUE" at argv[*i], or NULL */
static const char *pipe_args_value(const char *name, int argc, char **argv, int *i, bool *missing)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0 || (argv[*i][n] != '=' && argv[*i][n] != '\0'))
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

/* pipe_args_known - NULL for an empty value (pipe(8) passes unknown macros as "") */
static const char *pipe_args_known(const char *v)
{
	return v && *v ? v : NULL;
}

/* pipe_args_usage - a usage error: log it, say it on stdout (the defer reason), exit 75 */
static int pipe_args_usage(const char *what, const char *arg)
{
	pipe_logf(DKMOD_LOG_ERROR, "usage error: %s%s", what, arg ? arg : "");
	printf("4.3.5 dkmod-pipe: usage error: %s%s\n", what, arg ? arg : "");
	return mta_internal_failure()->postfix_exit;
}

/* pipe_args_option - one option at argv[*i]; -1 handled, else an exit status */
static int pipe_args_option(struct pipe_opts *o, int argc, char **argv, int *i)
{
	bool missing = false;
	const char *a = argv[*i], *v;
	if (strcmp(a, "--relay") == 0) {
		o->relay = true;
	} else if (strcmp(a, "-v") == 0) {
		o->level = DKMOD_LOG_DEBUG;
	} else if (strcmp(a, "-q") == 0) {
		o->level = DKMOD_LOG_ERROR;
	} else if ((v = pipe_args_value("--config", argc, argv, i, &missing))) {
		o->config = v;
	} else if ((v = pipe_args_value("--client-ip", argc, argv, i, &missing))) {
		o->client_ip = pipe_args_known(v);
	} else if ((v = pipe_args_value("--helo", argc, argv, i, &missing))) {
		o->helo = pipe_args_known(v);
	} else if ((v = pipe_args_value("--auth-user", argc, argv, i, &missing))) {
		o->auth_user = pipe_args_known(v);
	} else if ((v = pipe_args_value("--queue-id", argc, argv, i, &missing))) {
		o->queue_id = pipe_args_known(v);
	} else if ((v = pipe_args_value("--sendmail", argc, argv, i, &missing))) {
		o->sendmail = v;
	} else if ((v = pipe_args_value("--log-file", argc, argv, i, &missing))) {
		o->log_file = pipe_args_known(v);
	} else if ((v = pipe_args_value("--sendmail-arg", argc, argv, i, &missing))) {
		if (o->nsendmail_args == PIPE_SENDMAIL_ARGS)
			return pipe_args_usage("too many --sendmail-arg", NULL);
		o->sendmail_args[o->nsendmail_args++] = v;
	} else if ((v = pipe_args_value("--relay-net", argc, argv, i, &missing))) {
		if (o->nnets == PIPE_RELAY_NETS)
			return pipe_args_usage("too many --relay-net", NULL);
		if (!conf_net_parse(v, &o->nets[o->nnets++]))
			return pipe_args_usage("bad --relay-net ", v);
	} else if ((v = pipe_args_value("-f", argc, argv, i, &missing))) {
		o->sender = v;
	} else if (missing) {
		return pipe_args_usage("a value is missing after ", a);
	} else {
		return pipe_args_usage("unknown option ", a);
	}
	return -1;
}

/* pipe_args - parse the command line */
int pipe_args(struct pipe_opts *o, int argc, char **argv)
{
	memset(o, 0, sizeof *o);
	o->config = "/etc/dkmod/dkmod.conf";
	o->sendmail = "/usr/sbin/sendmail";
	o->level = -1;
	int i;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(pipe_args_help, stdout);
			return 0;
		}
		int rc = pipe_args_option(o, argc, argv, &i);
		if (rc >= 0)
			return rc;
	}
	if (!o->sender)
		return pipe_args_usage("no -f SENDER", NULL);
	if (i + 1 >= argc)
		return pipe_args_usage("no recipient after --", NULL);
	o->rcpts = (const char *const *)argv + i + 1;
	o->nrcpts = (size_t)(argc - i - 1);
	return -1;
}

/* pipe_can_relay - the client may relay */
bool pipe_can_relay(const struct pipe_opts *o)
{
	return o->relay || o->auth_user || conf_net_match(o->nets, o->nnets, o->client_ip);
}
