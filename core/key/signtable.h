/*
 * signtable.h - what the engine asks of a signing table beyond dkmod.h: a
 * reload decided by the file and by the shared cache's flush generation,
 * which only the engine knows.
 */
#ifndef DKMOD_SIGNTABLE_H
#define DKMOD_SIGNTABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "dkmod.h"

/* signtable_refresh - reopen the table if its file changed or the flush generation gen moved
 * (dkmod_signtable_refresh gives the context's); *reloaded says whether it did */
enum dkmod_status signtable_refresh(struct dkmod_signtable *t, unsigned long long gen, bool force, bool *reloaded,
				    char *why, size_t why_size);
/* signtable_generation - the generation the table was loaded at */
unsigned long long signtable_generation(const struct dkmod_signtable *t);

#endif
