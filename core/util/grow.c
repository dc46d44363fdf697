/*
 * grow.c - room for one more element in a doubling array (grow.h).
 */
#include <stdint.h>
#include <stdlib.h>

#include "util/grow.h"

/* grow_room - items with room for one more element; NULL on ENOMEM or overflow (items kept) */
void *grow_room(void *items, size_t *cap, size_t count, size_t size, size_t first)
{
	if (count < *cap)
		return items;
	size_t n = *cap ? *cap : first / 2;
	if (!n || n > SIZE_MAX / 2 / size)
		return NULL;
	void *grown = realloc(items, 2 * n * size);
	if (grown)
		*cap = 2 * n;
	return grown;
}
