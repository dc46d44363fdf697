/*
 * arena.h - one arena per message: many small allocations freed together.
 */
#ifndef DKMOD_ARENA_H
#define DKMOD_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_block;
struct arena {
	struct arena_block *head;
	size_t used;     /* bytes handed out in head */
	size_t total;    /* bytes handed out in all blocks */
	struct arena_block **spare; /* a context's spare blocks, taken and given back, or NULL */
};

/* arena_init - an empty arena */
void arena_init(struct arena *a);
/* arena_init_spare - an empty arena that takes its blocks from *spare before malloc and leaves
 * a few there when freed (a context's arenas, one per message: no malloc and free per message,
 * and the memory is still in the cache); *spare is used by one thread at a time */
void arena_init_spare(struct arena *a, struct arena_block **spare);
/* arena_spare_free - free the blocks left in *spare */
void arena_spare_free(struct arena_block **spare);
/* arena_alloc - n zeroed bytes, aligned for any type; NULL when out of memory */
void *arena_alloc(struct arena *a, size_t n);
/* arena_alloc_raw - n bytes as arena_alloc, not zeroed (for what the caller fills at once) */
void *arena_alloc_raw(struct arena *a, size_t n);
/* arena_strndup - a NUL-terminated copy of s[0..n) */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* arena_strdup - a copy of a NUL-terminated string */
char *arena_strdup(struct arena *a, const char *s);
/* arena_printf - a formatted string */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* arena_free - free every allocation; the arena may then be reused */
void arena_free(struct arena *a);

#endif
