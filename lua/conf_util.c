/*
 * conf_util.c - plain-C helpers of the configuration: storage, error lists,
 * key path templates, names of canonicalizations and algorithms, domain and
 * field name checks.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf_int.h"

/* conf_pool_take - hand a malloc'd block to c */
void *conf_pool_take(struct conf *c, void *p)
{
	struct conf_pool *pool = c->pool;
	if (!p)
		return NULL;
	if (pool->count == pool->cap) {
		size_t cap = pool->cap ? pool->cap * 2 : 64;
		void **items = realloc(pool->items, cap * sizeof *items);
		if (!items) {
			free(p);
			return NULL;
		}
		pool->items = items;
		pool->cap = cap;
	}
	pool->items[pool->count++] = p;
	return p;
}

/* conf_pool_alloc - zeroed memory owned by c */
void *conf_pool_alloc(struct conf *c, size_t size)
{
	return conf_pool_take(c, calloc(1, size ? size : 1));
}

/* conf_pool_strdup - a copy owned by c */
char *conf_pool_strdup(struct conf *c, const char *s)
{
	return s ? conf_pool_take(c, strdup(s)) : NULL;
}

/* conf_free - free a configuration */
void conf_free(struct conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nsigners; i++)
		if (!c->signers[i].table_borrowed)
			dkmod_signtable_free(c->signers[i].table);
	if (c->pool) {
		for (size_t i = 0; i < c->pool->count; i++)
			free(c->pool->items[i]);
		free(c->pool->items);
		free(c->pool);
	}
	free(c);
}

/* conf_errors_add - append a formatted error line */
bool conf_errors_add(struct conf_errors *e, const char *fmt, ...)
{
	if (e->count == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;
		char **lines = realloc(e->lines, cap * sizeof *lines);
		if (!lines)
			return false;
		e->lines = lines;
		e->cap = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&e->lines[e->count], fmt, ap);
	va_end(ap);
	if (n < 0)
		return false;
	/* an error quotes the file, which may hold anything: keep it one printable line */
	for (char *p = e->lines[e->count]; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = ' ';
	e->count++;
	return true;
}

/* conf_errors_free - free the lines */
void conf_errors_free(struct conf_errors *e)
{
	for (size_t i = 0; i < e->count; i++)
		free(e->lines[i]);
	free(e->lines);
	memset(e, 0, sizeof *e);
}

/* conf_template_check - NULL if a key path template is valid, else why */
const char *conf_template_check(const char *t)
{
	for (const char *p = t; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '%') {
			p++;
		} else if (p[1] == '{' && (p[2] == 'd' || p[2] == 's') && p[3] == '}') {
			p += 3;
		} else if (p[1] == '{') {
			return "unknown %{...} in a template (only %{d} and %{s})";
		} else {
			return "a lone % in a template (write %% for a percent sign)";
		}
	}
	return NULL;
}

/* conf_expand - expand %{d}, %{s} and %% of a valid template */
bool conf_expand(const char *t, const char *d, const char *s, char *out, size_t size)
{
	size_t n = 0;
	for (const char *p = t; *p; p++) {
		const char *piece = p;
		size_t len = 1;
		if (p[0] == '%' && p[1] == '%') {
			p++;
		} else if (p[0] == '%' && p[1] == '{' && p[3] == '}') {
			piece = p[2] == 'd' ? d : s;
			len = strlen(piece);
			p += 3;
		}
		if (len >= size - n)
			return false;
		memcpy(out + n, piece, len);
		n += len;
	}
	out[n] = '\0';
	return true;
}

/* conf_valid_field_name - printable ASCII without ':' and spaces */
bool conf_valid_field_name(const char *name, size_t len)
{
	if (len == 0 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] <= 32 || (unsigned char)name[i] >= 127 || name[i] == ':')
			return false;
	return true;
}

/* conf_domain_within - d is parent or equal to domain */
bool conf_domain_within(const char *domain, const char *d)
{
	size_t n = strlen(domain), m = strlen(d);
	if (m > n || m == 0)
		return false;
	if (strcasecmp(domain + n - m, d) != 0)
		return false;
	return m == n || domain[n - m - 1] == '.';
}

/* conf_resolve_path - p made relative to the directory of the file base */
char *conf_resolve_path(const char *base, const char *p)
{
	char *out;
	const char *slash = strrchr(base, '/');
	if (p[0] == '/' || !slash)
		return strdup(p);
	if (asprintf(&out, "%.*s/%s", (int)(slash - base), base, p) < 0)
		return NULL;
	return out;
}

/* conf_net_parse - "ADDR/BITS" or "ADDR" into *net */
bool conf_net_parse(const char *s, struct conf_net *net)
{
	char ip[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof ip)
		return false;
	memcpy(ip, s, n);
	ip[n] = '\0';
	net->family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	unsigned max = net->family == AF_INET6 ? 128 : 32;
	memset(net->addr, 0, sizeof net->addr);
	if (inet_pton(net->family, ip, net->addr) != 1)
		return false;
	net->bits = max;
	if (!slash)
		return true;
	char *end;
	errno = 0;
	long bits = strtol(slash + 1, &end, 10);
	if (!isdigit((unsigned char)slash[1]) || *end || errno || bits < 0 || bits > (long)max)
		return false;
	net->bits = (unsigned)bits;
	return true;
}

/* conf_net_in - addr (of family) lies within net */
static bool conf_net_in(const struct conf_net *net, int family, const unsigned char *addr)
{
	if (net->family != family)
		return false;
	unsigned full = net->bits / 8, rest = net->bits % 8;
	if (memcmp(net->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (net->addr[full] & mask) == (addr[full] & mask);
}

/* conf_net_match - ip lies in one of nets */
bool conf_net_match(const struct conf_net *nets, size_t n, const char *ip)
{
	unsigned char addr[16];
	if (!ip)
		return false;
	if (strncasecmp(ip, "::ffff:", 7) == 0 && strchr(ip + 7, '.'))
		ip += 7;
	int family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, ip, addr) != 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (conf_net_in(&nets[i], family, addr))
			return true;
	return false;
}
