/*
 * pipe.h - dkmod-pipe, the Postfix after-queue content filter run by
 * pipe(8): the parts its files share (options, spool, reinjection, log).
 */
#ifndef DKMOD_PIPE_H
#define DKMOD_PIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../common/pipeline.h"

#define PIPE_RELAY_NETS 32
#define PIPE_SENDMAIL_ARGS 32

/* One network of --relay-net: an IPv4 or IPv6 prefix. */
struct pipe_net {
	int family;                /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned bits;
};

/* The command line. */
struct pipe_opts {
	const char *config;
	const char *client_ip, *helo, *auth_user, *queue_id; /* NULL: unknown ("" is unknown) */
	const char *sender;                                  /* "" for the null sender */
	const char *const *rcpts;
	size_t nrcpts;
	const char *sendmail;
	const char *sendmail_args[PIPE_SENDMAIL_ARGS];
	size_t nsendmail_args;
	const char *log_file;     /* NULL: syslog (facility mail) */
	int level;                /* -1: the configuration's */
	bool relay;               /* --relay: every client may relay */
	struct pipe_net nets[PIPE_RELAY_NETS];
	size_t nnets;
};

/* pipe_args - parse argv into o; -1 when parsed, else an exit status (usage: 75, help: 0) */
int pipe_args(struct pipe_opts *o, int argc, char **argv);
/* pipe_can_relay - the client may relay: an authenticated user, --relay, or its IP in a --relay-net */
bool pipe_can_relay(const struct pipe_opts *o);

/* pipe_spool_open - an unlinked read-write temporary file in $TMPDIR (else /tmp); -1 on error */
int pipe_spool_open(void);
/* pipe_spool_feed - copy standard input into the spool and the message in 64 KB chunks;
 * false on a read, write or pipeline error */
bool pipe_spool_feed(int spool, struct pipeline_msg *m);

/* pipe_inject - hand the resulting message (added fields, kept fields, the rest of the
 * spool unchanged) to sendmail; extra: a field to add on top, or NULL; false on any failure */
bool pipe_inject(const struct pipe_opts *o, struct pipeline_msg *m, int spool, const char *extra);
/* pipe_child - the sendmail child running now (0: none), killed by the signal handler */
extern volatile pid_t pipe_child;

/* pipe_log_open - where log lines go (o->log_file or syslog) */
void pipe_log_open(const struct pipe_opts *o);
/* pipe_log - the pipeline's log callback */
void pipe_log(void *arg, enum dkmod_log_level level, const char *msg);
/* pipe_logf - a formatted log line */
void pipe_logf(enum dkmod_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* pipe_spool_write - write all of buf to fd (retrying short writes and EINTR); false on error */
bool pipe_spool_write(int fd, const char *buf, size_t len);

#endif
