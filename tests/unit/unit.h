/*
 * unit.h - the tiny harness of the C unit tests.  Each check prints one line,
 * "PASS: name" or "FAIL: name: detail", which tests/run counts; unit_done()
 * returns the exit status (non-zero if anything failed).
 */
#ifndef DKMOD_UNIT_H
#define DKMOD_UNIT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int unit_failures;
static int unit_checks;

/* unit_check - record one named check */
static inline void unit_check(int ok, const char *file, int line, const char *name, const char *detail)
{
	unit_checks++;
	if (ok) {
		printf("PASS: %s\n", name);
	} else {
		unit_failures++;
		printf("FAIL: %s: %s (%s:%d)\n", name, detail, file, line);
	}
	fflush(stdout);
}

#define CHECK(name, cond) unit_check(!!(cond), __FILE__, __LINE__, (name), #cond)

#define CHECK_INT(name, got, want)                                                              \
	do {                                                                                    \
		long long g_ = (long long)(got), w_ = (long long)(want);                        \
		char d_[160];                                                                   \
		snprintf(d_, sizeof d_, "got %lld, want %lld", g_, w_);                         \
		unit_check(g_ == w_, __FILE__, __LINE__, (name), d_);                           \
	} while (0)

#define CHECK_STR(name, got, want)                                                              \
	do {                                                                                    \
		const char *g_ = (got), *w_ = (want);                                           \
		char d_[600];                                                                   \
		snprintf(d_, sizeof d_, "got \"%.250s\", want \"%.250s\"", g_ ? g_ : "(null)", w_); \
		unit_check(g_ && strcmp(g_, w_) == 0, __FILE__, __LINE__, (name), d_);          \
	} while (0)

#define CHECK_MEM(name, got, got_len, want, want_len)                                           \
	do {                                                                                    \
		size_t gl_ = (got_len), wl_ = (want_len);                                       \
		char d_[600];                                                                   \
		snprintf(d_, sizeof d_, "got %zu bytes \"%.*s\", want %zu bytes \"%.*s\"", gl_,   \
			 (int)(gl_ > 250 ? 250 : gl_), (const char *)(got), wl_,                \
			 (int)(wl_ > 250 ? 250 : wl_), (const char *)(want));                   \
		unit_check(gl_ == wl_ && memcmp((got), (want), gl_) == 0, __FILE__, __LINE__,   \
			   (name), d_);                                                         \
	} while (0)

/* unit_write - write text to dir/name (for tests that need files); the path, kept in one of
 * 16 rotating static buffers */
static inline const char *unit_write_in(const char *dir, const char *name, const char *text)
{
	static char paths[16][512];
	static int next;
	char *path = paths[next++ % 16];
	snprintf(path, 512, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

/* unit_silent_udp - a UDP socket on 127.0.0.1 that is never answered (a DNS server that times
 * out); its port in *port; -1 on failure */
static inline int unit_silent_udp(int *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* unit_silent_stub - a silent socket (unit_silent_udp) and the stub zone "zone=127.0.0.1@PORT"
 * that sends zone to it, in buf; its descriptor (checked as name ": silent socket"), or -1 */
static inline int unit_silent_stub(const char *name, const char *zone, char *buf, size_t size)
{
	char check[120];
	int port = 0, fd = unit_silent_udp(&port);
	snprintf(check, sizeof check, "%s: silent socket", name);
	CHECK(check, fd >= 0);
	if (fd >= 0)
		snprintf(buf, size, "%s=127.0.0.1@%d", zone, port);
	return fd;
}

/* unit_lacks - name cannot run for want of tool (a command, /path, py:MODULE or perl:MODULE, as
 * tests/packages.list names it): the rule of tests/lib/common.sh's lacks, with the package
 * that list gives (tests/packages.sh owner): under CI=true a failure naming it, else a SKIP */
static inline void unit_lacks(const char *name, const char *tool, const char *why)
{
	const char *top = getenv("DKMOD_TOP"), *ci = getenv("CI");
	char cmd[600], pkg[200] = "";
	snprintf(cmd, sizeof cmd, "sh '%s/tests/packages.sh' owner '%s' 2>/dev/null", top ? top : ".", tool);
	FILE *p = popen(cmd, "r");
	if (p) {
		if (!fgets(pkg, sizeof pkg, p))
			pkg[0] = '\0';
		pclose(p);
	}
	pkg[strcspn(pkg, "\n")] = '\0';
	if (!pkg[0])
		snprintf(pkg, sizeof pkg, "the package of %s (none in tests/packages.list: add it)", tool);
	char detail[400];
	snprintf(detail, sizeof detail, "%s: install %s (make deps)", why, pkg);
	if (ci && strcmp(ci, "true") == 0)
		unit_check(0, __FILE__, __LINE__, name, detail);
	else
		printf("SKIP: %s: %s\n", name, detail);
}

/* unit_rand - the next number of a fixed xorshift sequence kept in *r (never 0) */
static inline unsigned long long unit_rand(unsigned long long *r)
{
	*r ^= *r << 13;
	*r ^= *r >> 7;
	*r ^= *r << 17;
	return *r;
}

/* unit_cuts - k random places to cut a text of n bytes at, in ascending order */
static inline void unit_cuts(unsigned long long *r, size_t n, size_t *cuts, size_t k)
{
	for (size_t i = 0; i < k; i++)
		cuts[i] = n ? (size_t)(unit_rand(r) % (n + 1)) : 0;
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
			size_t t = cuts[j];
			cuts[j] = cuts[j - 1];
			cuts[j - 1] = t;
		}
}

/* unit_done - the exit status for main */
static inline int unit_done(void)
{
	return unit_failures ? 1 : (unit_checks ? 0 : 2);
}

#endif
