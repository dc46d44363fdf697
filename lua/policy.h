/*
 * policy.h - the policy script (dkmod-lua(7)): one sandboxed LuaJIT state
 * per process that loads the script once and calls its hooks, sign(msg)
 * and verify(msg), for each message under a time and memory budget.
 * Plain C: adapters include it without LuaJIT.
 */
#ifndef DKMOD_POLICY_H
#define DKMOD_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "dkmod.h"

struct policy;

/* A received header field: its name and its value unfolded (line ends removed, trimmed). */
struct policy_header {
	const char *name;
	const char *value;
};

/* What a hook sees of a message; strings are NULL when unknown or absent. */
struct policy_msg {
	const char *mail_from;            /* envelope sender ("" for the null sender) */
	const char *const *rcpts;         /* envelope recipients */
	size_t nrcpts;
	const char *client_ip, *helo, *auth_user;
	bool can_relay;
	const struct policy_header *headers;
	size_t nheaders;
	const char *sender, *sender_domain;   /* responsible sender: Sender:, else From: */
	const char *author, *author_domain;   /* From: */
	const struct dkmod_session *session;  /* verify hook: the verified session; sign hook: NULL */
	const char *ar_value;                 /* verify hook: Authentication-Results value, unfolded */
	size_t signing;                       /* verify hook: signatures this message gets here */
};

/* What happens to a message: the script's word, the pipeline's action, each MTA's reply
 * (adapters/common/mta.c). */
enum policy_action {
	POLICY_ACCEPT = 0,   /* deliver it, with the added fields */
	POLICY_REJECT,       /* refuse it permanently (5xx) */
	POLICY_TEMPFAIL,     /* refuse it for now (4xx): the sender retries */
	POLICY_DISCARD,      /* accept it and drop it silently */
	POLICY_QUARANTINE,   /* accept it and hold it for a person to look at */
	POLICY_ACTIONS
};

/* policy_action_name - "accept", "reject", ... */
const char *policy_action_name(enum policy_action a);
/* policy_action_parse - the action named by word; false if it names none */
bool policy_action_parse(const char *word, enum policy_action *out);

#define POLICY_MAX_FIELDS 32
#define POLICY_MAX_REQUESTS 8

/* A header field a script added (checked: name and value safe to write). */
struct policy_field {
	char *name;
	char *value;   /* unfolded; the adapter folds it */
};

/* What the hooks of one message produced; zero it before the first call. */
struct policy_out {
	bool has_action;                /* verify returned an action */
	enum policy_action action;
	char *reply;                    /* reply text the script gave, or NULL */
	char report_reason[24];         /* the override type verify gave for the aggregate report, or "" */
	char report_comment[DKMOD_REPORT_COMMENT_MAX + 1]; /* its comment, or "" */
	struct policy_field fields[POLICY_MAX_FIELDS];
	size_t nfields;
	struct conf_request *reqs;      /* sign: the requests (POLICY_MAX_REQUESTS of room) */
	size_t nreqs;
	bool no_sign;                   /* sign returned nil */
	char why[512];                  /* why the last call failed */
};

enum policy_status {
	POLICY_OK = 0,
	POLICY_NOHOOK,   /* the script has no such hook */
	POLICY_FAILED,   /* error, time-out, memory, or a result that makes no sense: see out->why */
	POLICY_ENOMEM
};

/* Where the state reports: a log line (level, text) and counters (msg:count). */
struct policy_options {
	const char *path;               /* the script */
	const struct conf *conf;        /* relative key paths, configured_signatures; must outlive the policy */
	unsigned time_ms;               /* per hook call */
	size_t memory;                  /* bytes the state may hold */
	dkmod_log_fn *log;
	void *log_arg;
	void (*count)(void *arg, const char *name, long n);
	void *count_arg;
};

/* policy_new - load the script (its top level runs once, under the budget); on failure,
 * err gets "FILE:LINE: message" (or "FILE: message") and NULL is returned */
struct policy *policy_new(const struct policy_options *o, char *err, size_t errlen);
/* policy_free - NULL is fine */
void policy_free(struct policy *p);
/* policy_has_hook - the script defines sign or verify */
bool policy_has_hook(const struct policy *p, const char *name);
/* policy_sign - call sign(msg): out->reqs (allocated here) or out->no_sign */
enum policy_status policy_sign(struct policy *p, const struct policy_msg *m, struct policy_out *out);
/* policy_verify - call verify(msg): out->action, out->reply and out->report_reason/_comment */
enum policy_status policy_verify(struct policy *p, const struct policy_msg *m, struct policy_out *out);
/* policy_out_free - free what the calls put in out */
void policy_out_free(struct policy_out *out);

#endif
