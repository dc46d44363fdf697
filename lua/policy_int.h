/*
 * policy_int.h - what the files of the policy binding share (policy.c,
 * policy_msg.c, policy_result.c).  Not for adapters.
 */
#ifndef DKMOD_POLICY_INT_H
#define DKMOD_POLICY_INT_H

#include "budget.h"
#include "policy.h"

struct lua_State;

#define POLICY_CHUNKNAME "dkmod-policy"

struct policy {
	struct policy_options opt;
	char *path;
	struct budget budget;
	struct lua_State *L;
	int sign_ref, verify_ref;      /* registry references of the hooks (LUA_NOREF if absent) */
	unsigned long generation;      /* of the hook call running now; msg objects of older calls are dead */
	const struct policy_msg *msg;  /* during a call */
	struct policy_out *out;        /* during a call */
	const char *hook;              /* during a call */
};

/* policy_log - a log line through the options' callback */
void policy_log(const struct policy *p, enum dkmod_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* policy_rewrite - copy msg into buf with the chunk name replaced by the script's path */
void policy_rewrite(const struct policy *p, const char *msg, char *buf, size_t size);

/* policy_msg_setup - (in a protected call) the metatable of msg objects */
void policy_msg_setup(struct lua_State *L);
/* policy_msg_push - (in a protected call) a new msg object for the running call */
void policy_msg_push(struct lua_State *L, struct policy *p);

/* policy_msg_auth - (protected) msg.spf and msg.dmarc of session s (nil if not evaluated) into the table at the top */
void policy_msg_auth(struct lua_State *L, const struct dkmod_session *s);

/* policy_read_sign - (protected) the result of sign at the top of the stack into p->out */
void policy_read_sign(struct lua_State *L, struct policy *p);
/* policy_read_verify - (protected) the results of verify (3 values at the top) into p->out */
void policy_read_verify(struct lua_State *L, struct policy *p);
/* policy_sign_request - (protected) the request table at idx; the message given to luaL_error on a mistake */
void policy_sign_request(struct lua_State *L, struct policy *p, int idx, struct conf_request *r);
/* policy_push_request - (protected) a request as a table (for msg:configured_signatures) */
void policy_push_request(struct lua_State *L, const struct conf_request *r);

#endif
