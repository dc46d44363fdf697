/*
 * test_arena.c - the per-message arena: its blocks, standard and big, go back to the
 * context's spare list when it is freed and serve the next message's arena (no malloc per
 * message), handed out zeroed by arena_alloc; a block too big to keep is not kept.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "unit.h"

/* test_arena_hold - malloc n bytes, kept from the optimizer (an unused malloc-free pair is elided) */
static void *test_arena_hold(size_t n)
{
	static void *volatile sink;
	sink = malloc(n);
	return sink;
}

/* test_big_block_kept - a message's big one-off block (DMARC's state, a body's
 * canonicalization buffer) is the next message's */
static void test_big_block_kept(void)
{
	struct arena_block *spare = NULL;
	struct arena a;
	arena_init_spare(&a, &spare);
	char *small = arena_alloc(&a, 100);
	unsigned char *big = arena_alloc_raw(&a, 18848);
	CHECK("big: allocated", small && big);
	memset(big, 0xa5, 18848);
	arena_free(&a);
	CHECK("big: kept in the spare list", spare != NULL);
	/* had the blocks gone back to malloc, these would take them */
	void *hold_big = test_arena_hold(18848 + 16), *hold_small = test_arena_hold(8192 + 16);
	arena_init_spare(&a, &spare);
	char *small2 = arena_alloc(&a, 100);
	unsigned char *big2 = arena_alloc(&a, 18848);
	CHECK("big: the same block again", big2 == big);
	CHECK("big: the same standard block again", small2 == small);
	free(hold_big);
	free(hold_small);
	size_t nonzero = 0;
	for (size_t i = 0; big2 && i < 18848; i++)
		nonzero += big2[i] != 0;
	CHECK_INT("big: handed out zeroed by arena_alloc", nonzero, 0);
	/* a smaller big request is served by the kept block too */
	arena_free(&a);
	arena_init_spare(&a, &spare);
	CHECK("big: a 16 KB request takes the 18 KB block", arena_alloc_raw(&a, 16400) == big);
	arena_free(&a);
	arena_spare_free(&spare);
	CHECK("big: the spare list freed", spare == NULL);
}

/* test_huge_not_kept - a block above the kept size is freed, not kept */
static void test_huge_not_kept(void)
{
	struct arena_block *spare = NULL;
	struct arena a;
	arena_init_spare(&a, &spare);
	CHECK("huge: allocated", arena_alloc_raw(&a, 1 << 20) != NULL);
	arena_free(&a);
	CHECK("huge: a 1 MB block is not kept", spare == NULL);
}

/* test_standard_first - a standard request takes a standard spare block before a big one */
static void test_standard_first(void)
{
	struct arena_block *spare = NULL;
	struct arena a;
	arena_init_spare(&a, &spare);
	char *small = arena_alloc_raw(&a, 64);
	char *big = arena_alloc_raw(&a, 20000);
	arena_free(&a);
	void *hold_big = test_arena_hold(20000 + 16), *hold_small = test_arena_hold(8192 + 16);
	arena_init_spare(&a, &spare);
	CHECK("order: the standard block for a small request", arena_alloc_raw(&a, 64) == small);
	CHECK("order: the big block for a big request", arena_alloc_raw(&a, 20000) == big);
	arena_free(&a);
	free(hold_big);
	free(hold_small);
	arena_spare_free(&spare);
}

int main(void)
{
	test_big_block_kept();
	test_huge_not_kept();
	test_standard_first();
	return unit_done();
}
