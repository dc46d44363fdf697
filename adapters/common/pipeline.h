/*
 * pipeline.h - what every adapter runs.  Once per process: load the
 * configuration, create the engine context and the policy script's state.
 * Per message: raw bytes in (streamed, split anywhere), then the signing
 * decision (config or sign hook), verification, the verify hook, and out
 * come an action, its SMTP reply text, the header fields to add and those
 * to remove.  Adapters map the action to their MTA's codes.
 */
#ifndef DKMOD_PIPELINE_H
#define DKMOD_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "dkmod.h"
#include "../../lua/policy.h" /* enum policy_action: the actions */

enum pipeline_status {
	PIPELINE_OK = 0,
	PIPELINE_ECONFIG,   /* the configuration or the policy script is unusable */
	PIPELINE_ENOMEM,
	PIPELINE_EENGINE    /* the engine failed on this message (the action is then tempfail) */
};

/* The envelope and connection of one message; strings are copied; NULL: unknown. */
struct pipeline_envelope {
	const char *mail_from;          /* "" for the null sender */
	const char *const *rcpts;
	size_t nrcpts;
	const char *client_ip, *helo, *auth_user;
	bool can_relay;
};

/* Process-wide settings of an adapter. */
struct pipeline_options {
	dkmod_log_fn *log;    /* log lines, unless the configuration says syslog; may be NULL */
	void *log_arg;
	int log_level;        /* -1: the configuration's level; else a dkmod_log_level */
	bool log_here;        /* to log even when the configuration says syslog (dkmod explain-sign) */
};

/* Reports one "FILE:LINE: message" line of a configuration or script error. */
typedef void pipeline_report_fn(void *arg, const char *line);

struct pipeline;
struct pipeline_msg;

/* What a configuration makes an adapter open (for `dkmod doctor`). */
enum pipeline_path_kind {
	PIPELINE_PATH_CONFIG = 0, /* the configuration file: read */
	PIPELINE_PATH_POLICY,     /* the policy script: read */
	PIPELINE_PATH_RESOLVER,   /* the resolver's zone file or trust anchor: read */
	PIPELINE_PATH_KEY,        /* a private key file: read, and by no other user */
	PIPELINE_PATH_STATE_DIR,  /* the shared state directory: read, write, search */
	PIPELINE_PATH_SIGN_TABLE  /* a signing table: read (its key files come as PIPELINE_PATH_KEY) */
};

/* Called once per path; domain and selector are set for PIPELINE_PATH_KEY only. */
typedef void pipeline_path_fn(void *arg, enum pipeline_path_kind kind, const char *path, const char *domain,
			      const char *selector);

/* pipeline_check - check a configuration file (every key file opened, the policy script
 * loaded); each error goes to report; returns the number of errors */
size_t pipeline_check(const char *config, pipeline_report_fn *report, void *arg);
/* pipeline_paths - load a configuration (its key files not opened) and call fn for each file
 * and directory it makes an adapter use, keys expanded per domain block; returns the number of
 * errors sent to report (then fn was not called) */
size_t pipeline_paths(const char *config, pipeline_path_fn *fn, void *arg, pipeline_report_fn *report, void *rarg);
/* pipeline_new - load the configuration and create the context and policy state; NULL on
 * failure, after reporting why */
struct pipeline *pipeline_new(const char *config, const struct pipeline_options *o, pipeline_report_fn *report,
			      void *arg);
/* pipeline_say - a log line of the adapter's own, sent where the configuration sends the
 * engine's (syslog, log { file }, else the adapter's callback) */
void pipeline_say(const struct pipeline *p, enum dkmod_log_level level, const char *line);
/* pipeline_free - NULL is fine */
void pipeline_free(struct pipeline *p);
/* pipeline_counters - call fn for each counter scripts counted (msg:count) in this process */
void pipeline_counters(const struct pipeline *p, void (*fn)(void *arg, const char *name, long value), void *arg);

/* pipeline_milter_socket - the configuration's milter { socket }, or NULL */
const char *pipeline_milter_socket(const struct pipeline *p);
/* pipeline_relay_client - the configuration lets this client relay: its address (text) in
 * milter { relay_nets } (default: loopback), or daemon_name in milter { submission } */
bool pipeline_relay_client(const struct pipeline *p, const char *client_ip, const char *daemon_name);

/* pipeline_msg_new - a message; NULL if out of memory or the engine refused */
struct pipeline_msg *pipeline_msg_new(struct pipeline *p, const struct pipeline_envelope *env);
/* pipeline_msg_signing - how many signatures the message is getting (after the header block) */
size_t pipeline_msg_signing(const struct pipeline_msg *m);
/* pipeline_msg_free - NULL is fine */
void pipeline_msg_free(struct pipeline_msg *m);
/* pipeline_msg_write - raw message bytes (header fields, blank line, body), split anywhere */
enum pipeline_status pipeline_msg_write(struct pipeline_msg *m, const void *data, size_t len);
/* pipeline_msg_finish - end of message: sign, verify, run the policy; the action is then set
 * (tempfail if this returns an error) */
enum pipeline_status pipeline_msg_finish(struct pipeline_msg *m);

/* After finish: */
enum policy_action pipeline_msg_action(const struct pipeline_msg *m);
/* pipeline_msg_reply - the SMTP reply text ("550 5.7.1 ...") of the action */
const char *pipeline_msg_reply(const struct pipeline_msg *m);
/* Fields to add above the message, first on top: whole fields, folded with CRLF, no final CRLF. */
size_t pipeline_msg_added_count(const struct pipeline_msg *m);
const char *pipeline_msg_added(const struct pipeline_msg *m, size_t i);
/* The received header fields as given (line ends included) and whether each is to go. */
size_t pipeline_msg_header_count(const struct pipeline_msg *m);
const char *pipeline_msg_header_raw(const struct pipeline_msg *m, size_t i, size_t *len);
bool pipeline_msg_header_removed(const struct pipeline_msg *m, size_t i);
/* pipeline_msg_intact - false if the header limits were exceeded (fields past them are not
 * stored, but the removals below still cover them) */
bool pipeline_msg_intact(const struct pipeline_msg *m);
/* pipeline_msg_removes - true if any received field is to go */
bool pipeline_msg_removes(const struct pipeline_msg *m);
/* pipeline_msg_header_walk - a walk over the received header that leaves out the fields to
 * go (dkmod_header_walk_*): by name and occurrence of that name, over the whole header */
void pipeline_msg_header_walk(const struct pipeline_msg *m, struct dkmod_header_walk *w);
/* pipeline_msg_removal_next - the next field to go from *cursor (0 first): name, occurrence
 * among the received fields of that name (0: topmost), and how many have that name */
bool pipeline_msg_removal_next(const struct pipeline_msg *m, size_t *cursor, const char **name, size_t *nth,
			       size_t *count);
/* pipeline_msg_eol - "\n" if the message used bare LF line ends, else "\r\n" */
const char *pipeline_msg_eol(const struct pipeline_msg *m);

#endif
