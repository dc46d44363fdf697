/*
 * method.c - the services a method gets from the message it works on
 * (method.h): the clock, the log, room for its checks, the sinks.
 */
#include <stdarg.h>
#include <stdint.h>
#include <time.h>

#include "method/method.h"
#include "util/log.h"

const char method_out_of_memory[] = "out of memory";

/* method_clock - the clock of the options */
time_t method_clock(const struct dkmod_options *opt)
{
	return opt->fixed_now ? opt->fixed_now : time(NULL);
}

/* method_now - the message's clock */
time_t method_now(const struct method_msg *m)
{
	return method_clock(m->opt);
}

/* method_log - log through the options' callback */
void method_log(const struct method_msg *m, enum dkmod_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vprintf(m->opt, level, fmt, ap);
	va_end(ap);
}

/* method_signature_fields - how many fields named name will be verified, and room for that many
 * checks of size each (not zeroed: a check is mostly its parsed signature, which the parser fills) */
size_t method_signature_fields(const struct method_msg *m, const char *name, size_t size, void **checks)
{
	size_t max = m->opt->max_signatures, n = 0;
	*checks = NULL;
	for (size_t i = 0; i < m->nfields; i++)
		if (header_is(&m->fields[i], name))
			n++;
	if (n > max) {
		method_log(m, DKMOD_LOG_WARNING, "%zu %s fields: only the first %zu are verified", n, name, max);
		n = max;
	}
	if (n && !(*checks = arena_alloc_raw(m->arena, n * size)))
		return SIZE_MAX;
	return n;
}

/* method_add_result - a new result from the host */
struct dkmod_sig_result *method_add_result(const struct method_msg *m, enum dkmod_method method)
{
	return m->host->add_result(m->host_arg, method);
}

/* method_add_field - a field to prepend, to the host */
enum dkmod_status method_add_field(const struct method_msg *m, const char *text)
{
	return m->host->add_field(m->host_arg, text);
}

/* method_header_verdict - the host's verdict on the header */
enum dkmod_result method_header_verdict(const struct method_msg *m, size_t (*count)(void *arg, const char *name),
					void *arg, const char **reason)
{
	return m->host->header_verdict(m->host_arg, count, arg, reason);
}

/* method_key_name - selector._domainkey.domain */
void method_key_name(char *name, size_t size, const char *selector, const char *domain)
{
	const char *parts[3] = {selector, "._domainkey.", domain};
	str_join(name, size, parts, 3);
}
