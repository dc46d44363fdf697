/*
 * exim.h - what the two files of the Exim local_scan object share.
 * exim_proc.c keeps the per-process state (configuration path, the
 * pipeline, the fallback, the time budget) and knows no Exim header;
 * exim_scan.c is local_scan() itself, the only file that includes Exim's
 * local_scan.h.
 */
#ifndef DKMOD_EXIM_H
#define DKMOD_EXIM_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/pipeline.h"

/* The configuration used when no dkmod.conf is beside the object (never taken from the environment). */
#ifndef DKMOD_EXIM_CONFIG
#define DKMOD_EXIM_CONFIG "/etc/dkmod/dkmod.conf"
#endif

/* Longest added field handed to Exim: header_add() formats into a 32 KiB buffer and
 * kills the process beyond it. */
#define EXIM_FIELD_MAX 16384

/* What Exim logs through: a line, and whether it is serious (also to the panic log). */
typedef void exim_log_fn(bool panic, const char *line);

/* What to do with a message when the pipeline cannot decide. */
struct exim_fallback {
	enum policy_action action;
	const char *reply;
};

/* exim_proc_start - start a local_scan call: drop state inherited through a fork, free a
 * message an earlier call left behind (Exim jumped out between engine steps); false if
 * this process must not use its pipeline (Exim jumped out of an engine step: a crash) */
bool exim_proc_start(exim_log_fn *log);
/* exim_proc_engine_enter - start an engine step: asynchronous signals blocked (Exim's
 * SIGALRM cannot cut a step in half, and threads the engine starts never take Exim's
 * signals), the step marked as running; steps do not nest */
void exim_proc_engine_enter(void);
/* exim_proc_engine_leave - the step is over: the signal mask as it was */
void exim_proc_engine_leave(void);
/* exim_proc_msg_new - start this call's message (an engine step); NULL on failure */
struct pipeline_msg *exim_proc_msg_new(struct pipeline *p, const struct pipeline_envelope *env);
/* exim_proc_msg_end - free this call's message (an engine step); none is fine */
void exim_proc_msg_end(void);
/* exim_proc_pipeline - this process's pipeline, created on first use (after Exim's fork);
 * NULL if the configuration or the policy script is unusable (logged) */
struct pipeline *exim_proc_pipeline(exim_log_fn *log);
/* exim_proc_fallback - the configured fallback (the policy's fallback; tempfail if the
 * configuration cannot be read) */
struct exim_fallback exim_proc_fallback(void);
/* exim_proc_budget_check - log once per process if the worst-case time of a message
 * (resolver timeout, two policy hooks, a margin) is not below what Exim allows
 * local_scan (the remaining time of its alarm, read without changing it) */
void exim_proc_budget_check(exim_log_fn *log);
/* exim_proc_config - the configuration path (never from the environment): dkmod.conf beside this
 * object if it exists, else DKMOD_EXIM_CONFIG */
const char *exim_proc_config(void);

/* exim_reply_text - the reply without its 3-digit code (Exim puts 550 or 451 itself) */
const char *exim_reply_text(const char *reply);
/* exim_field_lf - an added field with LF line ends and a final LF, as Exim's header
 * list holds them (malloc'd; NULL if out of memory or too long for Exim) */
char *exim_field_lf(const char *field);

#endif
