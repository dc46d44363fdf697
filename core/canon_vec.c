/*
 * canon_vec.c - the vector block routines of body canonicalization: x86-64
 * with AVX-512 (BW, VBMI, VBMI2) and BMI2, chosen at run time; elsewhere
 * nothing is available and core/canon.c uses its portable code.
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
#include "canon.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define CANON_VEC_TARGET __attribute__((target("avx512f,avx512bw,avx512vbmi,avx512vbmi2,bmi,bmi2,popcnt")))

/* the output room one block may need: 64 bytes of released line ends and two 64-byte stores */
#define CANON_VEC_ROOM 192

/* canon_vec_available - does this machine run the vector code? */
bool canon_vec_available(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vbmi2") &&
	       __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
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

/* For the bare LF of a half block: byte 2j is a CR slot (byte 0 of the second table: all CR),
 * byte 2j+1 is byte j of the half (the low half, then the high half) */
#define CANON_VEC_I1(j) 64, (j)
#define CANON_VEC_I4(j) CANON_VEC_I1(j), CANON_VEC_I1(j + 1), CANON_VEC_I1(j + 2), CANON_VEC_I1(j + 3)
#define CANON_VEC_I16(j) CANON_VEC_I4(j), CANON_VEC_I4(j + 4), CANON_VEC_I4(j + 8), CANON_VEC_I4(j + 12)
static const unsigned char canon_vec_idx[128] = {CANON_VEC_I16(0), CANON_VEC_I16(16), CANON_VEC_I16(32),
						 CANON_VEC_I16(48)};

/* canon_vec_bit - bit 63 set if test holds (a fact about the byte after a block) */
static inline unsigned long long canon_vec_bit(bool test)
{
	return (unsigned long long)test << 63;
}

/* canon_vec_region - canonicalize p[0..n) into the buffer, block by block */
CANON_VEC_TARGET void canon_vec_region(struct canon_body *b, const unsigned char *p, size_t n)
{
	const bool relaxed = b->canon == DKMOD_CANON_RELAXED, nofws = b->canon == DKMOD_CANON_NOFWS;
	const __m512i vsp = _mm512_set1_epi8(' '), vtab = _mm512_set1_epi8('\t'), vcr = _mm512_set1_epi8('\r'),
		      vlf = _mm512_set1_epi8('\n'), vcrlf = _mm512_set1_epi16(0x0a0d);
	const __m512i idx_lo = _mm512_loadu_si512(canon_vec_idx), idx_hi = _mm512_loadu_si512(canon_vec_idx + 64);
	unsigned long long eols = b->eols, carry = 0;
	bool data_seen = b->data_seen;
	unsigned char *buf = b->buf;
	size_t len = b->buf_len;
	for (size_t i = 0; i < n; i += 64) {
		__mmask64 valid = n - i >= 64 ? ~0ULL : (1ULL << (n - i)) - 1;
		__m512i v = n - i >= 64 ? _mm512_loadu_si512(p + i) : _mm512_maskz_loadu_epi8(valid, p + i);
		unsigned long long sp = _mm512_cmpeq_epi8_mask(v, vsp), tab = _mm512_cmpeq_epi8_mask(v, vtab);
		unsigned long long cr = _mm512_cmpeq_epi8_mask(v, vcr), lf = _mm512_cmpeq_epi8_mask(v, vlf);
		/* the byte after the block (and the one after it, for a CR) */
		unsigned long long n_lf = 0, n_crlf = 0, n_wsp = 0;
		if (i + 64 < n) {
			unsigned char c = p[i + 64];
			n_lf = canon_vec_bit(c == '\n');
			n_wsp = canon_vec_bit(c == ' ' || c == '\t');
			n_crlf = canon_vec_bit(c == '\r' && i + 65 < n && p[i + 65] == '\n');
		}
		unsigned long long lf_next = (lf >> 1) | n_lf;
		unsigned long long crlf = cr & lf_next; /* the CR of each CRLF */
		unsigned long long bare = lf & ~((cr << 1) | carry);
		carry = cr >> 63;
		unsigned long long keep = ~0ULL;
		if (relaxed) {
			unsigned long long wsp = sp | tab;
			unsigned long long next = ((wsp | crlf | lf) >> 1) | n_wsp | n_crlf | n_lf;
			keep = ~(wsp & next);
			v = _mm512_mask_mov_epi8(v, tab, vsp);
		} else if (nofws) {
			keep = ~(sp | tab | (cr & ~crlf));
		}
		unsigned long long data = keep & ~(lf | crlf) & valid;
		if (!data) {
			eols += (unsigned long long)_mm_popcnt_u64(lf & valid);
			continue;
		}
		unsigned lo = (unsigned)_tzcnt_u64(data), hi = 63 - (unsigned)__builtin_clzll(data);
		unsigned long long below = (1ULL << lo) - 1, upto = hi == 63 ? ~0ULL : (2ULL << hi) - 1;
		eols += (unsigned long long)_mm_popcnt_u64(lf & below);
		if (CANON_BUF - len < CANON_VEC_ROOM) {
			b->buf_len = len;
			canon_flush(b);
			len = 0;
		}
		while (eols) {
			unsigned long long w = eols < 32 ? eols : 32;
			_mm512_storeu_si512(buf + len, vcrlf);
			len += 2 * w;
			eols -= w;
			if (CANON_BUF - len < CANON_VEC_ROOM) {
				b->buf_len = len;
				canon_flush(b);
				len = 0;
			}
		}
		unsigned long long k = keep & upto & ~below;
		unsigned long long bk = bare & upto & ~below;
		if (!bk) {
			if (k == ~0ULL)
				_mm512_storeu_si512(buf + len, v);
			else
				_mm512_storeu_si512(buf + len, _mm512_maskz_compress_epi8(k, v));
			len += (size_t)_mm_popcnt_u64(k);
		} else {
			unsigned long long u = _pdep_u64(bk & 0xffffffffULL, 0x5555555555555555ULL) |
					       _pdep_u64(k & 0xffffffffULL, 0xaaaaaaaaaaaaaaaaULL);
			_mm512_storeu_si512(buf + len,
					    _mm512_maskz_compress_epi8(u, _mm512_permutex2var_epi8(v, idx_lo, vcr)));
			len += (size_t)_mm_popcnt_u64(u);
			u = _pdep_u64(bk >> 32, 0x5555555555555555ULL) | _pdep_u64(k >> 32, 0xaaaaaaaaaaaaaaaaULL);
			_mm512_storeu_si512(buf + len,
					    _mm512_maskz_compress_epi8(u, _mm512_permutex2var_epi8(v, idx_hi, vcr)));
			len += (size_t)_mm_popcnt_u64(u);
		}
		eols = (unsigned long long)_mm_popcnt_u64(lf & ~upto & valid);
		data_seen = true;
	}
	b->eols = eols;
	b->data_seen = data_seen;
	b->buf_len = len;
}

#else

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

/* canon_vec_region - never called without vector code */
void canon_vec_region(struct canon_body *b, const unsigned char *p, size_t n)
{
	(void)b;
	(void)p;
	(void)n;
}

#endif
