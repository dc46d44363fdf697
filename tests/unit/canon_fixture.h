/*
 * canon_fixture.h - what the body canonicalization tests share (test_canon.c,
 * test_canon_direct.c): a sink that keeps the canonical bytes, and feeding a
 * body in pieces.
 */
#ifndef DKMOD_CANON_FIXTURE_H
#define DKMOD_CANON_FIXTURE_H

#include "body/canon.h"
#include "unit.h"

/* collect - a sink that appends to a struct str */
static inline void collect(void *arg, const void *data, size_t len)
{
	str_append(arg, data, len);
}

/* canon_feed - in[0..n) into b cut at cuts[0..ncut) (ascending), then the body's end */
static inline void canon_feed(struct canon_body *b, const char *in, size_t n, const size_t *cuts, size_t ncut)
{
	size_t at = 0;
	for (size_t i = 0; i <= ncut; i++) {
		size_t to = i < ncut ? cuts[i] : n;
		canon_body_update(b, in + at, to - at);
		at = to;
	}
	canon_body_final(b);
}

#endif
