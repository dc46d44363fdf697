/*
 * counters.c - per-process pending counts in a small open-addressing table,
 * written to the shared state in batches.
 */
#include "store/counters.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "store/stats.h"

/* counters_hash - a hash of the n bytes of a name, eight at a time */
static size_t counters_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL ^ n, w;
	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	w = 0;
	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)(unsigned char)s[i] << (8 * i);
	h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	return (size_t)(h ^ h >> 32);
}

/* counters_flush - write every pending count into st in one transaction */
void counters_flush(struct counters *c, struct store *st)
{
	struct stats_delta d[COUNTERS_SLOTS];
	size_t n = 0;
	for (size_t i = 0; i < COUNTERS_SLOTS; i++)
		if (c->slots[i].name) {
			d[n].name = c->slots[i].name;
			d[n++].delta = c->slots[i].delta;
		}
	if (n && st)
		stats_add_batch(st, d, n);
	counters_free(c);
	c->last_flush_ms = dns_now_ms();
}

/* counters_due - flush into st if the last flush is a second old */
void counters_due(struct counters *c, struct store *st, long long now)
{
	if (c->used && now - c->last_flush_ms >= COUNTERS_FLUSH_MS)
		counters_flush(c, st);
	else if (!c->used)
		c->last_flush_ms = now;
}

/* counters_add - add delta to name (0: make it exist); flushes into st when due */
void counters_add(struct counters *c, struct store *st, const char *name, long long delta)
{
	if (st)
		counters_add_len(c, st, name, strlen(name), delta);
}

/* counters_add_len - counters_add of a name of n bytes */
void counters_add_len(struct counters *c, struct store *st, const char *name, size_t n, long long delta)
{
	if (!st)
		return;
	if (c->used >= COUNTERS_SLOTS / 2)
		counters_flush(c, st);
	size_t i = counters_hash(name, n) % COUNTERS_SLOTS;
	while (c->slots[i].name && strcmp(c->slots[i].name, name) != 0)
		i = (i + 1) % COUNTERS_SLOTS;
	if (!c->slots[i].name) {
		if (!(c->slots[i].name = malloc(n + 1))) {
			stats_add(st, name, delta); /* no memory: write it through */
			return;
		}
		memcpy(c->slots[i].name, name, n + 1);
		c->used++;
	}
	c->slots[i].delta += delta;
}

/* counters_free - forget pending counts */
void counters_free(struct counters *c)
{
	for (size_t i = 0; i < COUNTERS_SLOTS; i++) {
		free(c->slots[i].name);
		c->slots[i].name = NULL;
		c->slots[i].delta = 0;
	}
	c->used = 0;
}
