/*
 * budget.c - time and memory budgets for a LuaJIT state.  LuaJIT runs count
 * hooks only in interpreted code, so states that run under a deadline have
 * their JIT switched off by the caller (luaJIT_setmode).  A budget's flags
 * are sticky for the call: a script that catches the error with pcall is
 * stopped again at the next check, and its result is not trusted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>

#include "budget.h"

/* The hook runs every this many virtual machine instructions. */
#define BUDGET_HOOK_COUNT 1000

/* The budget whose deadline the hook checks (a hook cannot carry a pointer): one per thread,
 * as a threaded adapter (dkmod-milter) runs the scripts of several engines at once. */
static _Thread_local struct budget *budget_current;

/* budget_now_ns - the monotonic clock in nanoseconds */
static unsigned long long budget_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* budget_alloc - lua_Alloc that counts bytes and refuses growth past the limit */
static void *budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct budget *b = ud;
	if (nsize == 0) {
		free(ptr);
		b->used -= ptr ? osize : 0;
		return NULL;
	}
	size_t old = ptr ? osize : 0;
	if (nsize > old && nsize - old > b->limit - b->used) {
		b->mem_exceeded = true;
		return NULL;
	}
	void *p = realloc(ptr, nsize);
	if (p)
		b->used = b->used - old + nsize;
	return p;
}

/* budget_hook - the count hook: stop the script once the deadline passed or memory ran out */
static void budget_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	struct budget *b = budget_current;
	if (!b || !b->armed)
		return;
	if (b->mem_exceeded || (!b->own_allocator && (size_t)lua_gc(L, LUA_GCCOUNT, 0) * 1024u > b->limit)) {
		if (!b->mem_exceeded)
			lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
		b->mem_exceeded = true;
		luaL_error(L, "memory limit exceeded");
	}
	if (b->time_exceeded || budget_now_ns() > b->deadline_ns) {
		/* from now on at every instruction: a script that catches the error with pcall
		 * must not get another thousand instructions (the count would always run out
		 * at the same place, inside the pcall) */
		if (!b->time_exceeded)
			lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
		b->time_exceeded = true;
		luaL_error(L, "time limit of %u ms exceeded", b->time_ms);
	}
}

/* budget_state_new - a state under budget b */
struct lua_State *budget_state_new(struct budget *b, size_t limit)
{
	b->limit = limit;
	b->used = 0;
	b->mem_exceeded = b->time_exceeded = b->armed = false;
	lua_State *L = lua_newstate(budget_alloc, b);
	b->own_allocator = L != NULL;
	if (!L) {
		/* non-GC64 x86-64 builds need their own allocator for the low 2 GB */
		b->used = 0;
		L = luaL_newstate();
	}
	return L;
}

/* budget_arm - start a call under the deadline */
void budget_arm(struct lua_State *L, struct budget *b, unsigned ms)
{
	b->mem_exceeded = b->time_exceeded = false;
	b->time_ms = ms;
	b->deadline_ns = budget_now_ns() + (unsigned long long)ms * 1000000ull;
	b->armed = true;
	budget_current = b;
	lua_sethook(L, budget_hook, LUA_MASKCOUNT, BUDGET_HOOK_COUNT);
}

/* budget_disarm - the call is over */
void budget_disarm(struct lua_State *L, struct budget *b)
{
	lua_sethook(L, NULL, 0, 0);
	b->armed = false;
	if (budget_current == b)
		budget_current = NULL;
}

/* budget_why - why the last call was stopped */
const char *budget_why(const struct budget *b, char *buf, size_t size)
{
	if (b->time_exceeded)
		snprintf(buf, size, "time limit of %u ms exceeded", b->time_ms);
	else if (b->mem_exceeded && b->limit % (1u << 20) == 0)
		snprintf(buf, size, "memory limit of %zu MB exceeded", b->limit >> 20);
	else if (b->mem_exceeded)
		snprintf(buf, size, "memory limit of %zu KB exceeded", b->limit >> 10);
	else
		snprintf(buf, size, "%s", "");
	return buf;
}
