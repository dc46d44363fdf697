/*
 * milter.h - dkmod-milter, the before-queue filter of Postfix and Sendmail
 * (libmilter): the parts its files share.  milter_main.c runs the daemon
 * (options, signals, reload), milter_engine.c keeps the engines (one
 * pipeline per message at a time), milter_cb.c answers the protocol.
 */
#ifndef DKMOD_MILTER_H
#define DKMOD_MILTER_H

#include <stdbool.h>

#include "../common/pipeline.h"

#define MILTER_DEFAULT_SOCKET "unix:/run/dkmod/milter.sock"

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

/* milter_cb_register - register the callbacks with libmilter; local: the daemon listens on a unix
 * socket, where it asks the MTA to expect no answers before the end of the message; false on failure */
bool milter_cb_register(bool local);
/* milter_cb_active - messages in progress (for a clean shutdown) */
unsigned milter_cb_active(void);

#endif
