/* failmalloc.c - LD_PRELOAD shim for tests/faults/t_faults.sh: the Nth call
 * (FAILMALLOC_N, counting malloc, calloc and realloc together) returns NULL
 * with ENOMEM.  FAILMALLOC_N=0 only counts.  FAILMALLOC_REPORT names a file
 * that gets "calls=C" at exit and, when the failure was injected, the object
 * (dladdr) of the caller that got NULL: "failed=N caller=OBJECT".  A crash
 * (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) adds "crash=OBJECT", the object
 * the faulting instruction is in ("anonymous" outside every loaded object),
 * taken in the crashing run itself, before the default action ends it.  */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static unsigned long fail_at = (unsigned long)-1, calls;
static int ready;

/* report - write one line to the FAILMALLOC_REPORT file (no allocation) */
static void report(const char *line)
{
	const char *path = getenv("FAILMALLOC_REPORT");
	if (!path)
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		return;
	ssize_t r = write(fd, line, strlen(line));
	(void)r;
	close(fd);
}

/* crash_pc - the faulting instruction's address from the signal context */
static void *crash_pc(void *uctx)
{
	ucontext_t *uc = uctx;
#if defined(__x86_64__)
	return (void *)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	return (void *)uc->uc_mcontext.pc;
#else
	(void)uc;
	return NULL;
#endif
}

/* on_crash - record the object the crash is in; SA_RESETHAND lets the fault recur fatally */
static void on_crash(int sig, siginfo_t *si, void *uctx)
{
	char line[600];
	Dl_info di;
	void *pc = crash_pc(uctx);
	const char *obj = pc ? "anonymous" : "?";
	(void)si;
	if (pc && dladdr(pc, &di) && di.dli_fname)
		obj = di.dli_fname;
	snprintf(line, sizeof line, "crash=%s signal=%d\n", obj, sig);
	report(line);
	if (sig == SIGABRT)
		raise(sig);
}

/* catch_crashes - install on_crash on an alternate stack (a crash may be a stack overflow) */
__attribute__((constructor)) static void catch_crashes(void)
{
	static char altstack[64 * 1024];
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_crash;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK;
	sigaltstack(&ss, NULL);
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		sigaction(sigs[i], &sa, NULL);
}

/* setup - read FAILMALLOC_N once */
static void setup(void)
{
	const char *n = getenv("FAILMALLOC_N");
	ready = 1;
	if (n && *n != '0')
		fail_at = strtoul(n, NULL, 10);
}

/* should_fail - count this call; true for the Nth (records the caller) */
static int should_fail(void *caller)
{
	if (!ready)
		setup();
	if (__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED) != fail_at)
		return 0;
	char line[600];
	Dl_info di;
	const char *obj = "?";
	if (dladdr(caller, &di) && di.dli_fname)
		obj = di.dli_fname;
	snprintf(line, sizeof line, "failed=%lu caller=%s\n", fail_at, obj);
	report(line);
	errno = ENOMEM;
	return 1;
}

void *malloc(size_t n)
{
	return should_fail(__builtin_return_address(0)) ? NULL : __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	return should_fail(__builtin_return_address(0)) ? NULL : __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	return should_fail(__builtin_return_address(0)) ? NULL : __libc_realloc(p, n);
}

/* done - the call count at exit */
__attribute__((destructor)) static void done(void)
{
	char line[64];
	snprintf(line, sizeof line, "calls=%lu\n", calls);
	report(line);
}
