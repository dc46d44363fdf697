/*
 * budget.h - time and memory budgets for a LuaJIT state: a counting
 * allocator that refuses to grow past a limit, and a count hook that raises
 * an error once a monotonic deadline has passed.  Plain C: no LuaJIT header.
 */
#ifndef DKMOD_BUDGET_H
#define DKMOD_BUDGET_H

#include <stdbool.h>
#include <stddef.h>

struct lua_State;

/* What a state may use; owned by whoever owns the state, must outlive it. */
struct budget {
	size_t limit;          /* bytes the state may hold */
	size_t used;           /* bytes it holds now */
	bool own_allocator;    /* lua_newstate took our allocator (GC64 builds) */
	bool mem_exceeded;     /* an allocation was refused since budget_arm */
	bool time_exceeded;    /* the deadline passed since budget_arm */
	bool armed;            /* a call is running under the deadline */
	unsigned long long deadline_ns;
	unsigned time_ms;      /* the deadline of the call now running, for messages */
};

/* budget_state_new - a state with budget b's allocator (or the default one if this LuaJIT
 * build refuses custom allocators; the hook then polls the GC's count); NULL on failure */
struct lua_State *budget_state_new(struct budget *b, size_t limit);
/* budget_arm - start a call: deadline now + ms, clear the flags, install the count hook */
void budget_arm(struct lua_State *L, struct budget *b, unsigned ms);
/* budget_disarm - the call is over: remove the hook */
void budget_disarm(struct lua_State *L, struct budget *b);
/* budget_why - why the last call was stopped ("" if it was not), in b's own words */
const char *budget_why(const struct budget *b, char *buf, size_t size);

#endif
