/* failmalloc.c - LD_PRELOAD shim for tests/faults/t_faults.sh: the Nth call
 * (FAILMALLOC_N, counting malloc, calloc and realloc together) returns NULL
 * with ENOMEM.  FAILMALLOC_N=0 only counts.  FAILMALLOC_REPORT names a file
 * that gets "calls=C" at exit and, when the failure was injected, the object
 * (dladdr) of the caller that got NULL: "failed=N caller=OBJECT".  */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
