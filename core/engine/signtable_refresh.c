/*
 * signtable_refresh.c - dkmod_signtable_refresh (dkmod.h): a signing table
 * reloaded when its file changed or when the shared cache was flushed (the
 * context's flush generation moved; `dkmod console ... reload`).
 */
#include "engine/session.h"
#include "key/signtable.h"

/* dkmod_signtable_refresh - reopen the table if its file changed or the flush generation moved */
enum dkmod_status dkmod_signtable_refresh(struct dkmod_signtable *t, struct dkmod_ctx *ctx, bool force,
					  bool *reloaded, char *why, size_t why_size)
{
	unsigned long long gen = ctx ? keycache_generation(ctx->cache) : signtable_generation(t);
	return signtable_refresh(t, gen, force, reloaded, why, why_size);
}
