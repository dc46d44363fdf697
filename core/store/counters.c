/*
 * counters.c - per-process pending counts in a small open-addressing table,
 * written to the shared state in batches; a memo of the names of families (a session's
 * counters) counted since the last flush, with their slots.
 */
#include "store/counters.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "store/stats.h"
#include "util/str.h"

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

/* counters_find - the slot of name (n bytes, NUL-terminated at n), made if new (after a flush when
 * the table is half full); COUNTERS_SLOTS when there is no memory for it */
static size_t counters_find(struct counters *c, struct store *st, const char *name, size_t n)
{
	if (c->used >= COUNTERS_SLOTS / 2)
		counters_flush(c, st);
	size_t i = counters_hash(name, n) % COUNTERS_SLOTS;
	while (c->slots[i].name && strcmp(c->slots[i].name, name) != 0)
		i = (i + 1) % COUNTERS_SLOTS;
	if (!c->slots[i].name) {
		if (!(c->slots[i].name = malloc(n + 1)))
			return COUNTERS_SLOTS;
		memcpy(c->slots[i].name, name, n + 1);
		c->used++;
	}
	return i;
}

/* counters_add_len - counters_add of a name of n bytes */
void counters_add_len(struct counters *c, struct store *st, const char *name, size_t n, long long delta)
{
	if (!st)
		return;
	size_t i = counters_find(c, st, name, n);
	if (i == COUNTERS_SLOTS)
		stats_add(st, name, delta); /* no memory: write it through */
	else
		c->slots[i].delta += delta;
}

/* counters_memo_set - the memo's set for a name of family with this group and tail (a spread only:
 * the ways are told apart by their texts) */
static struct counters_memo *counters_memo_set(struct counters *c, const struct counters_family *family,
					       const char *group, const char *tail)
{
	size_t h = (uintptr_t)family / sizeof *family + (unsigned char)group[0] + (unsigned char)tail[0] * 3;
	return c->memo[h % COUNTERS_MEMO_SETS];
}

/* counters_memo_keep - remember in set that the name of family, group and tail is in slot (names
 * too long for an entry are not kept) */
static void counters_memo_keep(struct counters *c, struct counters_memo *set, const struct counters_family *family,
			       const char *group, const char *tail, size_t slot)
{
	size_t g = strlen(group), t = strlen(tail), w = 0;
	if (g + t + 2 > COUNTERS_MEMO_TEXT)
		return;
	while (w < COUNTERS_MEMO_WAYS && set[w].family)
		w++;
	if (w == COUNTERS_MEMO_WAYS)
		w = c->memo_next++ % COUNTERS_MEMO_WAYS;
	set[w].family = family;
	set[w].slot = slot;
	set[w].group_len = g;
	memcpy(set[w].text, group, g + 1);
	memcpy(set[w].text + g + 1, tail, t + 1);
}

/* counters_add_family_new - counters_add_family of a name the memo does not hold: joined and
 * looked up by its text, then kept in the memo's set (apart, so that the memo's way has no
 * buffer to set up) */
__attribute__((noinline)) static void counters_add_family_new(struct counters *c, struct store *st,
							      struct counters_memo *set,
							      const struct counters_family *family, const char *group,
							      const char *tail, long long delta)
{
	char name[COUNTERS_NAME_MAX + 1];
	const char *parts[4] = {family->head, group, family->middle, tail};
	size_t n = str_join(name, sizeof name, parts, 4);
	size_t i = counters_find(c, st, name, n < sizeof name ? n : sizeof name - 1);
	if (i == COUNTERS_SLOTS) {
		stats_add(st, name, delta); /* no memory: write it through */
		return;
	}
	c->slots[i].delta += delta;
	counters_memo_keep(c, set, family, group, tail, i);
}

/* counters_add_family - counters_add of family->head group family->middle tail, cut at
 * COUNTERS_NAME_MAX bytes; the memo gives the slot of a name counted since the last flush */
void counters_add_family(struct counters *c, struct store *st, const struct counters_family *family, const char *group,
			 const char *tail, long long delta)
{
	if (!st)
		return;
	group = group ? group : "";
	tail = tail ? tail : "";
	struct counters_memo *set = counters_memo_set(c, family, group, tail);
	for (size_t w = 0; w < COUNTERS_MEMO_WAYS; w++)
		if (set[w].family == family && strcmp(set[w].text, group) == 0 &&
		    strcmp(set[w].text + set[w].group_len + 1, tail) == 0) {
			c->slots[set[w].slot].delta += delta;
			return;
		}
	counters_add_family_new(c, st, set, family, group, tail, delta);
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
	memset(c->memo, 0, sizeof c->memo); /* its slots are gone */
}
