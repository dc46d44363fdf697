/*
 * pipe.h - dkmod-pipe, the Postfix after-queue content filter run by
 * pipe(8): the parts its files share (options, spool, reinjection, log).
 */
#ifndef DKMOD_PIPE_H
#define DKMOD_PIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../../lua/conf.h"
#include "../common/pipeline.h"

#define PIPE_RELAY_NETS 32
#define PIPE_SENDMAIL_ARGS 32

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
	struct conf_net nets[PIPE_RELAY_NETS]; /* --relay-net */
	size_t nnets;
};

/* pipe_args - parse argv into o; -1 when parsed, else an exit status (usage: 75, help: 0) */
int pipe_args(struct pipe_opts *o, int argc, char **argv);
/* pipe_can_relay - the client may relay: an authenticated user, --relay, or its IP in a --relay-net */
bool pipe_can_relay(const struct pipe_opts *o);

/* The message as it came in: in memory up to PIPE_SPOOL_MEM bytes (most mail, attachments and
 * all, never touches a disk; a file write and read back cost more than the verification), beyond
 * that all of it in an unlinked temporary file in $TMPDIR (else /tmp). */
#define PIPE_SPOOL_MEM (4 * 1024 * 1024)
/* the largest pipe to sendmail asked for: Linux's default limit for unprivileged processes */
#define PIPE_INJECT_PIPE_MAX (1024 * 1024)
struct pipe_spool {
	char *mem;                /* the message while it fits, NULL once it is in the file */
	size_t cap, len;          /* the memory's size, and the bytes kept in it */
	size_t populated;         /* bytes of memory made present ahead of reads */
	int fd;                   /* the temporary file, or -1 while the message fits in memory */
	off_t size;               /* the message's size so far */
};

/* pipe_spool_open - an empty spool of mem_cap bytes of memory (at least 64 KB); false on error */
bool pipe_spool_open(struct pipe_spool *s, size_t mem_cap);
/* pipe_spool_feed - copy standard input into the spool and the message in chunks of up to 64 KB;
 * false on a read, write or pipeline error (logged) */
bool pipe_spool_feed(struct pipe_spool *s, struct pipeline_msg *m);
/* pipe_spool_read - the message from offset at: *data points to the bytes (into the memory, or
 * into buf of cap bytes for a file); their count, 0 at the end, -1 on a read error */
ssize_t pipe_spool_read(const struct pipe_spool *s, off_t at, char *buf, size_t cap, const char **data);
/* pipe_spool_close - release the memory and the file */
void pipe_spool_close(struct pipe_spool *s);

/* pipe_inject - hand the resulting message (added fields, kept fields, the rest of the
 * spool unchanged) to sendmail; extra: a field to add on top, or NULL; false on any failure */
bool pipe_inject(const struct pipe_opts *o, struct pipeline_msg *m, const struct pipe_spool *spool,
		 const char *extra);
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
