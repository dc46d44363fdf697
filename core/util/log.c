/*
 * log.c - one log line through the options' callback.
 */
#include <stdio.h>

#include "util/log.h"

/* log_vprintf - format a line and hand it to the callback */
void log_vprintf(const struct dkmod_options *opt, enum dkmod_log_level level, const char *fmt, va_list ap)
{
	if (!opt->log)
		return;
	char line[1024];
	vsnprintf(line, sizeof line, fmt, ap);
	for (char *p = line; *p; p++)
		if (*p == '\r' || *p == '\n' || (unsigned char)*p < 0x20)
			*p = ' ';
	opt->log(opt->log_arg, level, line);
}
