/*
 * canon_clean.h - the test that a block of body bytes is one relaxed
 * canonicalization passes on as it is, in SSE2, for the SHA-256 loop that
 * hashes such blocks straight from the message (sha256_update_clean), and for
 * canon.c, which offers that loop a run only when its first block passes.
 *
 * It is a third spelling of the rule canon.c (canon_is_change) and
 * canon_vec.c (canon_vec_change) test, for a reason measured: the SHA
 * instructions exist only in the legacy SSE encoding, and next to them the
 * AVX-512 test makes every one wait on the registers' upper halves (a
 * hundred times slower); called between blocks, no test runs in the rounds'
 * latency.  This one, inside the loop, does: 1 MB of base64 lines hashed in
 * 724 µs, hashed and tested in 729, tested (AVX-512) then hashed in 799.
 * It is conservative (a SP after a control byte counts as a change, data
 * must be in a block's last sixteen bytes); a block it refuses goes the
 * exact way.
 */
#ifndef DKMOD_CANON_CLEAN_H
#define DKMOD_CANON_CLEAN_H

#include <stdbool.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <emmintrin.h>

/* canon_clean_test16 - for p[0..16) with p[16] after them: nonzero bytes where relaxed may change
 * the body: a HTAB, a CR not before LF or an LF not after CR, and a SP byte as the larger of a byte
 * and the next (a SP before WSP or a line end; also, needlessly, a byte under SP before a SP) */
static inline __attribute__((always_inline)) __m128i canon_clean_test16(const unsigned char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)p), w = _mm_loadu_si128((const __m128i *)(p + 1));
	__m128i odd_eol = _mm_xor_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(w, _mm_set1_epi8('\n')));
	__m128i sp = _mm_cmpeq_epi8(_mm_max_epu8(v, w), _mm_set1_epi8(' '));
	return _mm_or_si128(_mm_or_si128(odd_eol, sp), _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')));
}

/* canon_clean_block - whether relaxed canonicalization passes p[0..64) on as they are (p[64]
 * follows them; p[0] is taken to be no LF, which the block before or the caller tests) and their
 * last sixteen hold data, a byte other than CR and LF */
static inline __attribute__((always_inline)) bool canon_clean_block(const unsigned char *p)
{
	__m128i c = _mm_or_si128(_mm_or_si128(canon_clean_test16(p), canon_clean_test16(p + 16)),
				 _mm_or_si128(canon_clean_test16(p + 32), canon_clean_test16(p + 48)));
	__m128i last = _mm_loadu_si128((const __m128i *)(p + 48));
	__m128i eol = _mm_or_si128(_mm_cmpeq_epi8(last, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(last, _mm_set1_epi8('\n')));
	return _mm_movemask_epi8(_mm_cmpeq_epi8(c, _mm_setzero_si128())) == 0xffff && _mm_movemask_epi8(eol) != 0xffff;
}
#else
/* canon_clean_block - no SHA loop to test beside on this machine: never */
static inline bool canon_clean_block(const unsigned char *p)
{
	(void)p;
	return false;
}
#endif

#endif
