/*
 * canon_vec.c - the vector block routines of body canonicalization: x86-64
 * with AVX-512 (BW, VBMI, VBMI2) and BMI2, chosen at run time; elsewhere
 * nothing is available and core/body/canon.c uses its portable code.
 *
 * A region is cut into 64-byte blocks.  Per block, bit masks of SP, HTAB,
 * CR and LF (and the same shifted by one byte, the byte after the block
 * taken from memory) say which bytes stay: relaxed drops a WSP that is
 * followed by WSP or by a line end (so a run keeps its last byte, made a SP,
 * and loses it before a line end), nofws drops every WSP and every CR that is
 * not part of CRLF, simple keeps all.  The kept bytes are packed with
 * VPCOMPRESSB into a register and stored unaligned into the output buffer; a
 * bare LF gets its CR by first interleaving each byte with a CR slot and
 * packing the slots in use.  Line ends before a block's first data byte and
 * after its last are not written but counted in b->eols, as the byte code
 * does, so empty lines at the end of the body vanish.
 */
#include "body/canon.h"
#include "body/cpu.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define CANON_VEC_TARGET __attribute__((target("avx512f,avx512bw,avx512vbmi,avx512vbmi2,bmi,bmi2,popcnt")))

/* the output room one block may need: 128 bytes of released line ends and two 64-byte stores */
#define CANON_VEC_ROOM 256

/* canon_vec_available - does this machine run the vector code? */
bool canon_vec_available(void)
{
	return cpu_has(CPU_CANON_VEC);
}

/* canon_vec_find_bare_lf - the first LF in p[pos..n) not preceded by CR, n if none */
CANON_VEC_TARGET size_t canon_vec_find_bare_lf(const unsigned char *p, size_t pos, size_t n)
{
	const __m512i cr = _mm512_set1_epi8('\r'), lf = _mm512_set1_epi8('\n');
	size_t i = pos;
	if (i >= n)
		return n;
	if (i == 0) {
		if (p[0] == '\n')
			return 0;
		i = 1;
	}
	for (; i + 128 <= n; i += 128) {
		__mmask64 k0 = _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(p + i), lf);
		__mmask64 k1 = _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(p + i + 64), lf);
		k0 = _mm512_mask_cmpneq_epi8_mask(k0, _mm512_loadu_si512(p + i - 1), cr);
		k1 = _mm512_mask_cmpneq_epi8_mask(k1, _mm512_loadu_si512(p + i + 63), cr);
		if (k0 | k1)
			return k0 ? i + (size_t)_tzcnt_u64(k0) : i + 64 + (size_t)_tzcnt_u64(k1);
	}
	for (; i < n; i += 64) {
		__mmask64 valid = n - i >= 64 ? ~0ULL : (1ULL << (n - i)) - 1;
		__mmask64 k = _mm512_mask_cmpeq_epi8_mask(valid, _mm512_maskz_loadu_epi8(valid, p + i), lf);
		k = _mm512_mask_cmpneq_epi8_mask(k, _mm512_maskz_loadu_epi8(valid, p + i - 1), cr);
		if (k)
			return i + (size_t)_tzcnt_u64(k);
	}
	return n;
}

/* canon_vec_find_change - the offset of the first 64-byte block of p[0..n) whose canonical form
 * (relaxed or nofws) may differ from its bytes, n if none.  A TAB, a SP followed by WSP or by CR
 * or LF, a bare LF (an LF at p[0] counts as bare) and, for nofws, any WSP or CR not followed by
 * LF make a block differ. */
/* canon_vec_class - per byte: 1 for SP, 2 for HTAB, 4 for LF, 8 for CR, else 0 (nibble lookups:
 * plain vector operations, cheaper here than compares into mask registers) */
static inline __attribute__((always_inline)) CANON_VEC_TARGET __m512i canon_vec_class(__m512i v)
{
	const __m512i lo = _mm512_broadcast_i32x4(_mm_setr_epi8(1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 4, 0, 0, 8, 0, 0));
	const __m512i hi = _mm512_broadcast_i32x4(_mm_setr_epi8(14, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
	__m512i h = _mm512_and_si512(_mm512_srli_epi16(v, 4), _mm512_set1_epi8(0x0f));
	return _mm512_and_si512(_mm512_shuffle_epi8(lo, v), _mm512_shuffle_epi8(hi, h));
}

/* canon_vec_change - nonzero bytes where block v (w: the block one byte on) may change under
 * relaxed or nofws; a CR and LF that are not a CRLF mark the byte before the LF (so an LF that
 * starts the block marks the block before) */
static inline __attribute__((always_inline)) CANON_VEC_TARGET __m512i
canon_vec_change(enum dkmod_canon mode, __m512i v, __m512i w)
{
	__m512i cv = canon_vec_class(v), cw = canon_vec_class(w);
	/* bit 2: CR here xor LF next */
	__m512i odd = _mm512_and_si512(_mm512_xor_si512(_mm512_srli_epi16(cv, 1), cw), _mm512_set1_epi8(4));
	if (mode == DKMOD_CANON_RELAXED) {
		/* bit 1: a tab; bit 0: a SP with SP, HTAB, CR or LF next (cw is nonzero exactly then) */
		__m512i sp_next = _mm512_and_si512(cv, _mm512_min_epu8(cw, _mm512_set1_epi8(1)));
		return _mm512_or_si512(_mm512_or_si512(odd, sp_next), _mm512_and_si512(cv, _mm512_set1_epi8(2)));
	}
	return _mm512_or_si512(odd, _mm512_and_si512(cv, _mm512_set1_epi8(3)));
}

/* canon_vec_find_change_mode - canon_vec_find_change in one flavour */
static inline __attribute__((always_inline)) CANON_VEC_TARGET size_t
canon_vec_find_change_mode(enum dkmod_canon mode, const unsigned char *p, size_t n)
{
	if (n == 0 || p[0] == '\n')
		return 0; /* an LF at p[0] is bare */
	size_t i = 0;
	for (; i + 129 <= n; i += 128) {
		__m512i c0 = canon_vec_change(mode, _mm512_loadu_si512(p + i), _mm512_loadu_si512(p + i + 1));
		__m512i c1 = canon_vec_change(mode, _mm512_loadu_si512(p + i + 64), _mm512_loadu_si512(p + i + 65));
		if (_mm512_test_epi8_mask(_mm512_or_si512(c0, c1), _mm512_or_si512(c0, c1)))
			return _mm512_test_epi8_mask(c0, c0) ? i : i + 64;
	}
	for (; i < n; i += 64) {
		unsigned long long valid = n - i >= 64 ? ~0ULL : (1ULL << (n - i)) - 1;
		unsigned long long next = n - i >= 65 ? ~0ULL : valid >> 1; /* p[i + 1 + j] exists */
		__m512i c = canon_vec_change(mode, _mm512_maskz_loadu_epi8(valid, p + i),
					     _mm512_maskz_loadu_epi8(next, p + i + 1));
		if (_mm512_mask_test_epi8_mask(valid, c, c))
			return i;
	}
	return n;
}

/* canon_vec_find_change - the first block relaxed or nofws may change */
CANON_VEC_TARGET size_t canon_vec_find_change(enum dkmod_canon mode, const unsigned char *p, size_t n)
{
	if (mode == DKMOD_CANON_RELAXED)
		return canon_vec_find_change_mode(DKMOD_CANON_RELAXED, p, n);
	return canon_vec_find_change_mode(DKMOD_CANON_NOFWS, p, n);
}

/* For the bare LF of a half block: byte 2j is a CR slot (byte 0 of the second table: all CR),
 * byte 2j+1 is byte j of the half (the low half, then the high half) */
#define CANON_VEC_I1(j) 64, (j)
#define CANON_VEC_I4(j) CANON_VEC_I1(j), CANON_VEC_I1(j + 1), CANON_VEC_I1(j + 2), CANON_VEC_I1(j + 3)
#define CANON_VEC_I16(j) CANON_VEC_I4(j), CANON_VEC_I4(j + 4), CANON_VEC_I4(j + 8), CANON_VEC_I4(j + 12)
static const unsigned char canon_vec_idx[128] = {CANON_VEC_I16(0), CANON_VEC_I16(16), CANON_VEC_I16(32),
						 CANON_VEC_I16(48)};

/* One block: the loaded bytes and where its SP, HTAB, CR and LF are. */
struct canon_vec_block {
	__m512i v;
	unsigned long long sp, tab, cr, lf;
};

/* canon_vec_load - the block at p[i..), zeros past n */
static inline __attribute__((always_inline)) CANON_VEC_TARGET struct canon_vec_block
canon_vec_load(const unsigned char *p, size_t i, size_t n)
{
	struct canon_vec_block k;
	if (i >= n)
		k.v = _mm512_setzero_si512();
	else if (n - i >= 64)
		k.v = _mm512_loadu_si512(p + i);
	else
		k.v = _mm512_maskz_loadu_epi8((1ULL << (n - i)) - 1, p + i);
	k.sp = _mm512_cmpeq_epi8_mask(k.v, _mm512_set1_epi8(' '));
	k.tab = _mm512_cmpeq_epi8_mask(k.v, _mm512_set1_epi8('\t'));
	k.cr = _mm512_cmpeq_epi8_mask(k.v, _mm512_set1_epi8('\r'));
	k.lf = _mm512_cmpeq_epi8_mask(k.v, _mm512_set1_epi8('\n'));
	return k;
}

/* canon_vec_release - write up to 64 held line ends (two stores) */
static inline __attribute__((always_inline)) CANON_VEC_TARGET size_t canon_vec_release(unsigned char *out,
										       unsigned long long eols)
{
	const __m512i crlf = _mm512_set1_epi16(0x0a0d);
	_mm512_storeu_si512(out, crlf);
	if (eols > 32)
		_mm512_storeu_si512(out + 64, crlf);
	return 2 * (size_t)eols;
}

/* canon_vec_release_all - write any number of held line ends, flushing as needed */
static CANON_VEC_TARGET void canon_vec_release_all(struct canon_body *b)
{
	while (b->eols) {
		if (CANON_BUF - b->buf_len < 128)
			canon_flush(b);
		unsigned long long w = b->eols < 64 ? b->eols : 64;
		b->buf_len += canon_vec_release(b->buf + b->buf_len, w);
		b->eols -= w;
	}
}

/* canon_vec_blocks - the blocks of p[0..n) from *at on, while the buffer has room; mode is the
 * flavour.  Returns false when the held line ends got too many to write in one go. */
static inline __attribute__((always_inline)) CANON_VEC_TARGET bool
canon_vec_blocks(struct canon_body *b, const unsigned char *p, size_t stop, size_t n, size_t *at,
		 enum dkmod_canon mode)
{
	const __m512i vsp = _mm512_set1_epi8(' '), vcr = _mm512_set1_epi8('\r');
	const __m512i idx_lo = _mm512_loadu_si512(canon_vec_idx), idx_hi = _mm512_loadu_si512(canon_vec_idx + 64);
	unsigned long long eols = b->eols;
	unsigned char *buf = b->buf;
	size_t len = b->buf_len, i = *at;
	bool ok = true, data_seen = b->data_seen;
	unsigned long long carry = i > 0 && p[i - 1] == '\r';
	struct canon_vec_block cur = canon_vec_load(p, i, n);
	for (; i < stop && len <= CANON_BUF - CANON_VEC_ROOM; i += 64) {
		struct canon_vec_block nxt = canon_vec_load(p, i + 64, n);
		unsigned long long valid = n - i >= 64 ? ~0ULL : (1ULL << (n - i)) - 1;
		unsigned long long lf_next = (cur.lf >> 1) | (nxt.lf << 63);
		unsigned long long crlf = cur.cr & lf_next; /* the CR of each CRLF */
		unsigned long long bare = cur.lf & ~((cur.cr << 1) | carry);
		unsigned long long keep = ~0ULL;
		__m512i v = cur.v;
		if (mode == DKMOD_CANON_RELAXED) {
			/* a WSP followed by WSP or by a line end goes; a tab that stays is a SP */
			unsigned long long wsp = cur.sp | cur.tab;
			unsigned long long n_end = nxt.sp | nxt.tab | nxt.lf | (nxt.cr & (nxt.lf >> 1));
			unsigned long long next = ((wsp | crlf | cur.lf) >> 1) | (n_end << 63);
			keep = ~(wsp & next);
			v = _mm512_mask_mov_epi8(v, cur.tab, vsp);
		} else if (mode == DKMOD_CANON_NOFWS) {
			keep = ~(cur.sp | cur.tab | (cur.cr & ~crlf));
		}
		unsigned long long data = keep & ~(cur.lf | crlf) & valid;
		if (!data) {
			eols += (unsigned long long)_mm_popcnt_u64(cur.lf & valid);
		} else {
			unsigned lo = (unsigned)_tzcnt_u64(data), hi = 63 - (unsigned)__builtin_clzll(data);
			unsigned long long below = (1ULL << lo) - 1, upto = hi == 63 ? ~0ULL : (2ULL << hi) - 1;
			unsigned long long held = eols + (unsigned long long)_mm_popcnt_u64(cur.lf & below);
			if (held > 64) {
				ok = false;
				break; /* this block again after they are written */
			}
			if (held)
				len += canon_vec_release(buf + len, held);
			unsigned long long k = keep & upto & ~below, bk = bare & upto & ~below;
			if (!bk) {
				_mm512_storeu_si512(buf + len, _mm512_maskz_compress_epi8(k, v));
				len += (size_t)_mm_popcnt_u64(k);
			} else {
				/* each byte gets a CR slot before it; the slots of bare LFs are kept */
				unsigned long long u = _pdep_u64(bk & 0xffffffffULL, 0x5555555555555555ULL) |
						       _pdep_u64(k & 0xffffffffULL, 0xaaaaaaaaaaaaaaaaULL);
				__m512i w = _mm512_permutex2var_epi8(v, idx_lo, vcr);
				_mm512_storeu_si512(buf + len, _mm512_maskz_compress_epi8(u, w));
				len += (size_t)_mm_popcnt_u64(u);
				u = _pdep_u64(bk >> 32, 0x5555555555555555ULL) | _pdep_u64(k >> 32, 0xaaaaaaaaaaaaaaaaULL);
				w = _mm512_permutex2var_epi8(v, idx_hi, vcr);
				_mm512_storeu_si512(buf + len, _mm512_maskz_compress_epi8(u, w));
				len += (size_t)_mm_popcnt_u64(u);
			}
			eols = (unsigned long long)_mm_popcnt_u64(cur.lf & ~upto & valid);
			data_seen = true;
		}
		carry = cur.cr >> 63;
		cur = nxt;
	}
	*at = i;
	b->eols = eols;
	b->data_seen = data_seen;
	b->buf_len = len;
	return ok;
}

/* canon_vec_region_mode - canonicalize p[0..stop) into the buffer in one flavour */
static inline __attribute__((always_inline)) CANON_VEC_TARGET void
canon_vec_region_mode(struct canon_body *b, const unsigned char *p, size_t stop, size_t n, enum dkmod_canon mode)
{
	size_t i = 0;
	while (i < stop) {
		if (!canon_vec_blocks(b, p, stop, n, &i, mode))
			canon_vec_release_all(b);
		if (i < stop && CANON_BUF - b->buf_len < CANON_VEC_ROOM)
			canon_flush(b);
	}
	/* a CR whose LF lies beyond the stop is neither written nor counted: the LF finds it pending */
	if (stop < n && p[stop - 1] == '\r' && p[stop] == '\n')
		b->pending_cr = true;
}

/* canon_vec_region - canonicalize p[0..stop) into the buffer, block by block, p[stop..n) ahead */
CANON_VEC_TARGET void canon_vec_region(struct canon_body *b, const unsigned char *p, size_t stop, size_t n)
{
	if (b->canon == DKMOD_CANON_RELAXED)
		canon_vec_region_mode(b, p, stop, n, DKMOD_CANON_RELAXED);
	else if (b->canon == DKMOD_CANON_NOFWS)
		canon_vec_region_mode(b, p, stop, n, DKMOD_CANON_NOFWS);
	else
		canon_vec_region_mode(b, p, stop, n, DKMOD_CANON_SIMPLE);
}

/* canon_vec_valid - the bytes of the block at p[i..) that lie before n */
static inline __attribute__((always_inline)) unsigned long long canon_vec_valid(size_t i, size_t n)
{
	return i >= n ? 0 : n - i >= 64 ? ~0ULL : (1ULL << (n - i)) - 1;
}

/* canon_vec_header_value - relaxed canonicalization of a header field's value: see canon.h */
CANON_VEC_TARGET long canon_vec_header_value(char *o, const char *text, size_t n)
{
	const unsigned char *p = (const unsigned char *)text;
	const __m512i vsp = _mm512_set1_epi8(' ');
	size_t len = 0;
	bool started = false;
	struct canon_vec_block cur = canon_vec_load(p, 0, n);
	for (size_t i = 0; i < n; i += 64) {
		struct canon_vec_block nxt = canon_vec_load(p, i + 64, n);
		unsigned long long valid = canon_vec_valid(i, n);
		/* line ends (LF, and the CR of CRLF), WSP and data, here and in the next block's first byte */
		unsigned long long eol = cur.lf | (cur.cr & ((cur.lf >> 1) | (nxt.lf << 63)));
		unsigned long long nxt_eol = nxt.lf | (nxt.cr & (nxt.lf >> 1));
		unsigned long long wsp = cur.sp | cur.tab, nxt_wsp = nxt.sp | nxt.tab;
		unsigned long long data = ~(eol | wsp) & valid;
		unsigned long long nxt_data = ~(nxt_eol | nxt_wsp) & canon_vec_valid(i + 64, n);
		unsigned long long wsp_next = (wsp >> 1) | (nxt_wsp << 63), data_next = (data >> 1) | (nxt_data << 63);
		unsigned long long eol_next = (eol >> 1) | (nxt_eol << 63);
		if (eol & ~eol_next & ~wsp_next)
			return -1; /* a line end not followed by WSP: not a fold */
		/* between two data bytes (line ends aside) each gap with WSP is one: its last WSP stays, as
		 * SP; before the first data byte and after the last no WSP stays */
		unsigned long long after_data = started ? ~0ULL : data ? ~(((data & -data) << 1) - 1) : 0;
		unsigned long long keep = data | (wsp & data_next & after_data);
		__m512i v = _mm512_mask_mov_epi8(cur.v, cur.tab, vsp);
		_mm512_storeu_si512(o + len, _mm512_maskz_compress_epi8(keep, v));
		len += (size_t)_mm_popcnt_u64(keep);
		started = started || data;
		cur = nxt;
	}
	return (long)len;
}

#else

/* canon_vec_header_value - never called without vector code */
long canon_vec_header_value(char *o, const char *text, size_t n)
{
	(void)o;
	(void)text;
	(void)n;
	return -1;
}

/* canon_vec_available - no vector code on this machine */
bool canon_vec_available(void)
{
	return false;
}

/* canon_vec_find_bare_lf - never called without vector code */
size_t canon_vec_find_bare_lf(const unsigned char *p, size_t pos, size_t n)
{
	(void)p;
	(void)pos;
	return n;
}

/* canon_vec_find_change - never called without vector code */
size_t canon_vec_find_change(enum dkmod_canon mode, const unsigned char *p, size_t n)
{
	(void)mode;
	(void)p;
	return n;
}

/* canon_vec_region - never called without vector code */
void canon_vec_region(struct canon_body *b, const unsigned char *p, size_t stop, size_t n)
{
	(void)b;
	(void)p;
	(void)stop;
	(void)n;
}

#endif
