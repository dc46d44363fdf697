/*
 * grow.h - room for one more element in a malloc'd array that doubles as it
 * fills: the growth rule of the engine's lists written once.
 */
#ifndef DKMOD_GROW_H
#define DKMOD_GROW_H

#include <stddef.h>

/* grow_room - items (count used of *cap, each size bytes; NULL when *cap is 0) with room for one
 * more: items itself while count < *cap, else reallocated to twice *cap (first when 0) and *cap
 * updated.  NULL on ENOMEM or overflow, with items and *cap unchanged (the caller still owns items). */
void *grow_room(void *items, size_t *cap, size_t count, size_t size, size_t first);

#endif
