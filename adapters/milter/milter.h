/*
 * milter.h - dkmod-milter, the before-queue filter of Postfix and Sendmail
 * (the milter protocol, our own implementation: doc/ARCHITECTURE.md says
 * why): the parts its files share.  milter_main.c runs the daemon
 * (options, signals, reload), milter_listen.c the socket and its threads,
 * milter_conn.c one MTA connection (milter_proto.c its wire format),
 * milter_cb.c the steps of a message, milter_engine.c keeps the engines
 * (one pipeline per message at a time).
 */
#ifndef DKMOD_MILTER_H
#define DKMOD_MILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/mta.h"
#include "../common/pipeline.h"

#define MILTER_DEFAULT_SOCKET "unix:/run/dkmod/milter.sock"
/* Seconds the daemon waits for the MTA's next command (libmilter's default, 7210, as well) */
#define MILTER_TIMEOUT 7210

/* The command line. */
struct milter_opts {
	const char *config;
	const char *socket;    /* --socket, or NULL: the configuration's, else the default */
	const char *pidfile;
	bool foreground;
	int level;             /* -1: the configuration's */
};

/* An engine: one pipeline, used by one message at a time. */
struct milter_engine;

/* milter_engine_start - load the configuration for the first time; false after logging why */
bool milter_engine_start(const struct milter_opts *o);
/* milter_engine_reload - load the configuration again; on failure the old one stays (logged) */
void milter_engine_reload(void);
/* milter_engine_stop - free every engine (no message may hold one) */
void milter_engine_stop(void);
/* milter_engine_socket - the socket the configuration names, or NULL */
const char *milter_engine_socket(void);
/* milter_engine_get - an engine of the current configuration for one message; NULL if none
 * can be had (logged) */
struct milter_engine *milter_engine_get(void);
/* milter_engine_put - give an engine back after its message; NULL is fine */
void milter_engine_put(struct milter_engine *e);
/* milter_engine_pipeline - the engine's pipeline */
struct pipeline *milter_engine_pipeline(struct milter_engine *e);

/* milter_log - a log line (syslog, and stderr in the foreground) */
void milter_log(enum dkmod_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* milter_log_fn - the pipeline's log callback */
void milter_log_fn(void *arg, enum dkmod_log_level level, const char *line);

/* milter_listen_open - listen on spec (unix:PATH, local:PATH, inet:PORT@HOST, inet6:PORT@HOST);
 * false after logging why */
bool milter_listen_open(const char *spec);
/* milter_listen_start - start serving connections; false if no thread could be made */
bool milter_listen_start(void);
/* milter_listen_stop - take no more connections; a unix socket's file is removed */
void milter_listen_stop(void);

/* One MTA connection (milter_conn.c). */
struct milter_session;
/* milter_conn_serve - serve the connection fd (tcp: a TCP connection) until it ends, then close it */
void milter_conn_serve(int fd, bool tcp);
/* What a step may ask of its connection: its own state, a macro the MTA
 * sent ("i", "{daemon_name}"; NULL if none), the header changes and quarantine of the end of the
 * message (false when the MTA did not grant them), the reply text of a reject or tempfail
 * ("CODE X.Y.Z text"). */
void *milter_session_priv(struct milter_session *s);
void milter_session_set_priv(struct milter_session *s, void *priv);
const char *milter_session_macro(struct milter_session *s, const char *name);
bool milter_session_insheader(struct milter_session *s, uint32_t index, const char *name, const char *value);
bool milter_session_delheader(struct milter_session *s, uint32_t index, const char *name);
bool milter_session_quarantine(struct milter_session *s, const char *reason);
void milter_session_reply(struct milter_session *s, const char *reply);

/* A step's answer; the end of a message answers with a policy action's (mta.h). */
enum milter_status {
	MILTER_CONTINUE = MTA_MILTER_CONTINUE, MILTER_REJECT = MTA_MILTER_REJECT, MILTER_DISCARD = MTA_MILTER_DISCARD,
	MILTER_TEMPFAIL = MTA_MILTER_TEMPFAIL, MILTER_ACCEPT,
	MILTER_NOREPLY /* nothing: the MTA agreed to expect no answer to this step */
};

/* The steps of a connection and its messages (milter_cb.c). */
enum milter_status milter_cb_negotiate(struct milter_session *s, uint32_t mta_actions, uint32_t mta_protocol,
				       uint32_t *actions, uint32_t *protocol);
enum milter_status milter_cb_connect(struct milter_session *s, const char *host, char family, const char *address);
enum milter_status milter_cb_helo(struct milter_session *s, const char *helo);
enum milter_status milter_cb_envfrom(struct milter_session *s, const char *from);
enum milter_status milter_cb_envrcpt(struct milter_session *s, const char *rcpt);
enum milter_status milter_cb_header(struct milter_session *s, const char *name, const char *value);
enum milter_status milter_cb_eoh(struct milter_session *s);
enum milter_status milter_cb_body(struct milter_session *s, const char *chunk, size_t len);
enum milter_status milter_cb_eom(struct milter_session *s);
void milter_cb_abort(struct milter_session *s);
void milter_cb_close(struct milter_session *s);
/* milter_cb_active - messages in progress (for a clean shutdown) */
unsigned milter_cb_active(void);

#endif
