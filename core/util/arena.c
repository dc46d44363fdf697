/*
 * arena.c - a bump allocator over a list of blocks; freed all at once.
 */
#include "util/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 8192
#define ARENA_SPARE_MAX 8 /* blocks a context keeps: a message's header block, parsed signatures, its
			   * DMARC state and body canonicalization buffers */
#define ARENA_SPARE_BIG 32768 /* the largest one-off block kept (a message's DMARC state is 18 KB, a
			       * body hash's canonicalization buffer 16 KB) */

struct arena_block {
	struct arena_block *next;
	size_t size;
	max_align_t data[];
};

/* arena_init - an empty arena */
void arena_init(struct arena *a)
{
	a->head = NULL;
	a->used = 0;
	a->total = 0;
	a->spare = NULL;
}

/* arena_init_spare - an empty arena drawing on the spare blocks at *spare */
void arena_init_spare(struct arena *a, struct arena_block **spare)
{
	arena_init(a);
	a->spare = spare;
}

/* arena_spare_free - free the blocks left in *spare */
void arena_spare_free(struct arena_block **spare)
{
	while (*spare) {
		struct arena_block *next = (*spare)->next;
		free(*spare);
		*spare = next;
	}
}

/* arena_spare_take - the first spare block of at least size bytes, taken off the list, or NULL */
static struct arena_block *arena_spare_take(struct arena *a, size_t size)
{
	for (struct arena_block **p = a->spare; p && *p; p = &(*p)->next) {
		if ((*p)->size >= size) {
			struct arena_block *b = *p;
			*p = b->next;
			return b;
		}
	}
	return NULL;
}

/* arena_alloc_raw - n bytes, aligned for any type, not zeroed */
void *arena_alloc_raw(struct arena *a, size_t n)
{
	size_t align = sizeof(max_align_t);
	n = (n + align - 1) / align * align;
	if (n == 0)
		n = align;
	if (!a->head || a->head->size - a->used < n) {
		size_t size = n > ARENA_BLOCK / 2 ? n : ARENA_BLOCK;
		struct arena_block *b = arena_spare_take(a, size);
		if (!b) {
			if (!(b = malloc(sizeof *b + size)))
				return NULL;
			b->size = size;
		}
		if (a->head && n > ARENA_BLOCK / 2) {
			/* a big one-off block goes behind the current one so its space stays in use */
			b->next = a->head->next;
			a->head->next = b;
			a->total += n;
			return b->data;
		}
		b->next = a->head;
		a->head = b;
		a->used = 0;
	}
	void *p = (char *)a->head->data + a->used;
	a->used += n;
	a->total += n;
	return p;
}

/* arena_alloc - n zeroed bytes, aligned for any type */
void *arena_alloc(struct arena *a, size_t n)
{
	void *p = arena_alloc_raw(a, n);
	return p ? memset(p, 0, n) : NULL;
}

/* arena_strndup - a NUL-terminated copy of s[0..n) */
char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc_raw(a, n + 1);
	if (p) {
		if (n)
			memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* arena_strdup - a copy of a NUL-terminated string */
char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

/* arena_printf - a formatted string */
char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = arena_alloc_raw(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* arena_free - free every allocation; blocks up to ARENA_SPARE_BIG go back to the spare list while it
 * is short (standard blocks at its head, bigger ones at its tail, so a standard request takes a
 * standard block and a big one the first that fits) */
void arena_free(struct arena *a)
{
	struct arena_block *b = a->head, **spare = a->spare;
	size_t kept = 0;
	for (struct arena_block *k = spare ? *spare : NULL; k; k = k->next)
		kept++;
	while (b) {
		struct arena_block *next = b->next;
		if (spare && b->size <= ARENA_SPARE_BIG && kept < ARENA_SPARE_MAX) {
			struct arena_block **at = spare;
			while (b->size > ARENA_BLOCK && *at)
				at = &(*at)->next;
			b->next = *at;
			*at = b;
			kept++;
		} else {
			free(b);
		}
		b = next;
	}
	arena_init(a);
	a->spare = spare;
}
