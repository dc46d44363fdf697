/*
 * milter_listen.c - dkmod-milter's socket and the threads that serve it.
 * The socket is named as libmilter and the MTAs' documentation name it:
 * unix:/PATH (or local:/PATH), inet:PORT@HOST, inet6:PORT@HOST (HOST a
 * name or an address, omitted for every address).
 *
 * Threads are kept, not made per connection: each idle thread waits in
 * accept() on the one socket (the kernel wakes one per connection), serves
 * that connection to its end, and waits again.  The thread that takes the
 * last idle slot starts one more, so a new connection never waits for a
 * thread, up to MILTER_THREADS_MAX; the number of threads is the most
 * connections seen at once.  Postfix opens a milter connection for every
 * SMTP session, so a thread made and ended per connection was a clone, a
 * stack set up and torn down per message.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "milter.h"

#define MILTER_THREADS_MAX 1024   /* connections served at once; more wait in the listen queue */

static int milter_listen_fd = -1;
static bool milter_listen_tcp;    /* inet: or inet6: */
static char *milter_listen_path;  /* a unix socket's path, removed at the end */
static pthread_mutex_t milter_listen_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned milter_listen_idle, milter_listen_threads;
static bool milter_listen_stopping;

/* milter_listen_unix - bind a unix socket at path (an old socket there is replaced); the fd or -1 */
static int milter_listen_unix(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct stat st;
	if (!*path || strlen(path) >= sizeof sun.sun_path) {
		milter_log(DKMOD_LOG_ERROR, "unix socket path empty or too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	mode_t old = umask(007); /* the MTA's group may connect */
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		milter_log(DKMOD_LOG_ERROR, "cannot bind %s: %s", path, strerror(errno));
		close(fd);
		fd = -1;
	}
	umask(old);
	if (fd >= 0 && !(milter_listen_path = strdup(path))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* milter_listen_inet - bind PORT@HOST of family (AF_INET, AF_INET6); the fd or -1 */
static int milter_listen_inet(const char *spec, int family)
{
	char port[16], host[256] = "";
	const char *at = strchr(spec, '@');
	size_t plen = at ? (size_t)(at - spec) : strlen(spec);
	if (plen == 0 || plen >= sizeof port || (at && strlen(at + 1) >= sizeof host)) {
		milter_log(DKMOD_LOG_ERROR, "bad socket port or host: %s", spec);
		return -1;
	}
	memcpy(port, spec, plen);
	port[plen] = '\0';
	if (at)
		strcpy(host, at + 1);
	struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
	int e = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (e != 0) {
		milter_log(DKMOD_LOG_ERROR, "socket %s: %s", spec, gai_strerror(e));
		return -1;
	}
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
			/* connections inherit it: the replies go out at once, not behind Nagle's wait */
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0 ||
			bind(fd, res->ai_addr, res->ai_addrlen) < 0)) {
		milter_log(DKMOD_LOG_ERROR, "cannot bind %s: %s", spec, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* milter_listen_open - the socket of spec, listening; false after logging why */
bool milter_listen_open(const char *spec)
{
	bool inet = strncmp(spec, "inet:", 5) == 0, inet6 = strncmp(spec, "inet6:", 6) == 0;
	milter_listen_tcp = inet || inet6;
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0)
		milter_listen_fd = milter_listen_unix(strchr(spec, ':') + 1);
	else if (inet)
		milter_listen_fd = milter_listen_inet(spec + 5, AF_INET);
	else if (inet6)
		milter_listen_fd = milter_listen_inet(spec + 6, AF_INET6);
	else
		milter_log(DKMOD_LOG_ERROR, "socket %s: not unix:PATH, local:PATH, inet:PORT@HOST or inet6:PORT@HOST",
			   spec);
	if (milter_listen_fd >= 0 && listen(milter_listen_fd, SOMAXCONN) < 0) {
		milter_log(DKMOD_LOG_ERROR, "cannot listen on %s: %s", spec, strerror(errno));
		close(milter_listen_fd);
		milter_listen_fd = -1;
	}
	return milter_listen_fd >= 0;
}

static bool milter_listen_spawn(void);

/* milter_listen_accept - the next connection, one more thread started when this one was the last
 * idle; -1 when stopping */
static int milter_listen_accept(void)
{
	for (;;) {
		pthread_mutex_lock(&milter_listen_lock);
		milter_listen_idle++;
		pthread_mutex_unlock(&milter_listen_lock);
		int fd = accept4(milter_listen_fd, NULL, NULL, SOCK_CLOEXEC), err = errno;
		pthread_mutex_lock(&milter_listen_lock);
		milter_listen_idle--;
		bool stopping = milter_listen_stopping;
		bool spawn = fd >= 0 && !stopping && milter_listen_idle == 0 && milter_listen_threads < MILTER_THREADS_MAX;
		pthread_mutex_unlock(&milter_listen_lock);
		if (stopping) {
			if (fd >= 0)
				close(fd);
			return -1;
		}
		if (spawn && !milter_listen_spawn())
			milter_log(DKMOD_LOG_WARNING, "cannot start another thread; connections wait for a busy one");
		if (fd >= 0)
			return fd;
		if (err != EINTR && err != ECONNABORTED) {
			milter_log(DKMOD_LOG_ERROR, "accept: %s", strerror(err));
			usleep(100 * 1000); /* out of descriptors or memory: let connections end */
		}
	}
}

/* milter_listen_thread - serve connections until the daemon stops */
static void *milter_listen_thread(void *arg)
{
	const struct timeval timeout = {.tv_sec = MILTER_TIMEOUT};
	int fd;
	while ((fd = milter_listen_accept()) >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
		milter_conn_serve(fd, milter_listen_tcp);
	}
	pthread_mutex_lock(&milter_listen_lock);
	milter_listen_threads--;
	pthread_mutex_unlock(&milter_listen_lock);
	return NULL;
}

/* milter_listen_spawn - one more serving thread, with the daemon's signals blocked (the main thread
 * takes them); false if it could not be made */
static bool milter_listen_spawn(void)
{
	sigset_t block, old;
	pthread_attr_t attr;
	pthread_t t;
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&milter_listen_lock);
	milter_listen_threads++;
	pthread_mutex_unlock(&milter_listen_lock);
	int e = pthread_create(&t, &attr, milter_listen_thread, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		pthread_mutex_lock(&milter_listen_lock);
		milter_listen_threads--;
		pthread_mutex_unlock(&milter_listen_lock);
	}
	return e == 0;
}

/* milter_listen_start - the first serving thread; false if it could not be made */
bool milter_listen_start(void)
{
	return milter_listen_spawn();
}

/* milter_listen_stop - take no more connections (the threads waiting in accept end; those
 * serving a connection end with it); a unix socket's file is removed */
void milter_listen_stop(void)
{
	pthread_mutex_lock(&milter_listen_lock);
	milter_listen_stopping = true;
	pthread_mutex_unlock(&milter_listen_lock);
	if (milter_listen_fd >= 0)
		shutdown(milter_listen_fd, SHUT_RDWR); /* wakes every accept() with an error */
	if (milter_listen_path)
		unlink(milter_listen_path);
}
