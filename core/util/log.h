/*
 * log.h - one log line through the options' callback.
 */
#ifndef DKMOD_LOG_H
#define DKMOD_LOG_H

#include <stdarg.h>

#include "dkmod.h"

/* log_vprintf - format a line and hand it to opt's log callback (none: nothing); control
 * characters become spaces, so that a line is one line whatever the input held */
void log_vprintf(const struct dkmod_options *opt, enum dkmod_log_level level, const char *fmt, va_list ap);

#endif
