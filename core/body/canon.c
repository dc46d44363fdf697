/*
 * canon.c - canonicalization of header fields and of streamed bodies.
 *
 * Bodies: one state machine for every flavour.  Line ends (CRLF or bare LF)
 * are held back as a count because they may turn out to be trailing empty
 * lines; they are written when a data byte follows.  Output is collected in
 * a buffer and cut at the l= limit when it is handed to the sink.
 *
 * Where the machine has AVX-512 (core/body/canon_vec.c, chosen at run time),
 * simple bodies are scanned for bare LF and passed to the sink straight from
 * the input, piece by piece; relaxed and nofws bodies go through the block
 * routine, which writes the canonical form of a whole chunk into the buffer
 * except for a pending CR or WSP run at either end, which the byte code
 * settles.  Elsewhere (the portable code): a vector scan finds the next byte
 * relaxed or nofws would change (a tab, a run of spaces, a space before a
 * line end; for nofws any space or stray CR), the span before it goes the
 * simple way, and only the bytes around it go byte by byte.
 */
#include "body/canon.h"
#include "body/canon_clean.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* simple bodies go to the sink in pieces of this size, scanned just before */
#define CANON_PIECE 16384
/* relaxed and nofws: spans they leave alone of at least this size go the simple way; the block
 * routine takes this much after a change before looking for such a span again */
#define CANON_VEC_CLEAN 256
#define CANON_VEC_WINDOW 1024
/* the shortest run offered to the direct sink (it needs three blocks and more to gain) */
#define CANON_DIRECT_MIN 512

static const char canon_crlf[] = "\r\n";
static bool canon_portable; /* tests: never use canon_vec.c */

/* canon_set_portable - for tests: allow or forbid the vector code for bodies started later */
bool canon_set_portable(bool portable)
{
	canon_portable = portable;
	return canon_vec_available();
}

/* canon_is_wsp - SP or HTAB */
static inline bool canon_is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* canon_sink_cut - pass n canonical bytes on, the part beyond the l= limit cut off */
static void canon_sink_cut(struct canon_body *b, const void *data, size_t n)
{
	size_t keep = n;
	if (b->limit >= 0) {
		long long room = b->limit - b->emitted;
		if (room <= 0)
			keep = 0;
		else if ((long long)n > room)
			keep = (size_t)room;
	}
	if (keep)
		b->sink(b->sink_arg, data, keep);
	b->emitted += (long long)n;
}

/* canon_flush - hand the buffered bytes to the sink (cut at the limit) */
void canon_flush(struct canon_body *b)
{
	if (b->buf_len) {
		canon_sink_cut(b, b->buf, b->buf_len);
		b->buf_len = 0;
	}
}

/* canon_emit - write canonical bytes: large spans go to the sink directly */
static void canon_emit(struct canon_body *b, const void *data, size_t n)
{
	if (n >= CANON_BUF / 2) {
		canon_flush(b);
		canon_sink_cut(b, data, n);
		return;
	}
	if (CANON_BUF - b->buf_len < n)
		canon_flush(b);
	memcpy(b->buf + b->buf_len, data, n);
	b->buf_len += n;
}

/* canon_emit_byte - write one canonical byte */
static inline void canon_emit_byte(struct canon_body *b, unsigned char c)
{
	if (b->buf_len == CANON_BUF)
		canon_flush(b);
	b->buf[b->buf_len++] = c;
}

/* canon_release_eols - write the line ends held back, now that data follows */
static void canon_release_eols(struct canon_body *b)
{
	for (; b->eols; b->eols--)
		canon_emit(b, canon_crlf, 2);
}

/* canon_data - a data byte (not a line end) of a relaxed or nofws body */
static inline void canon_data(struct canon_body *b, unsigned char c)
{
	if (b->eols)
		canon_release_eols(b);
	if (b->pending_wsp) {
		b->pending_wsp = false;
		canon_emit_byte(b, ' ');
	}
	canon_emit_byte(b, c);
	b->data_seen = true;
}

/* canon_lone_cr - a CR that is not part of CRLF */
static void canon_lone_cr(struct canon_body *b)
{
	if (b->canon == DKMOD_CANON_NOFWS)
		return; /* nofws drops stray CR */
	canon_data(b, '\r');
}

/* canon_body_init - start a body */
void canon_body_init(struct canon_body *b, enum dkmod_canon canon, bool domainkeys, long long limit,
		     canon_sink *sink, void *sink_arg)
{
	b->canon = canon;
	b->domainkeys = domainkeys;
	b->limit = limit;
	b->emitted = 0;
	b->eols = 0;
	b->pending_cr = false;
	b->pending_wsp = false;
	b->data_seen = false;
	b->sink = sink;
	b->direct = NULL;
	b->sink_arg = sink_arg;
	b->buf_len = 0;
	b->vector = !canon_portable && canon_vec_available();
	if (domainkeys)
		b->eols = 1; /* the blank line between header and body is part of the DomainKeys body */
}

/* canon_find_bare_lf - the first LF in p[pos..n) not preceded by CR (p[pos-1] counts), n if none */
static size_t canon_find_bare_lf(const unsigned char *p, size_t pos, size_t n)
{
	size_t i = pos;
	if (i < n && i == 0) {
		if (p[0] == '\n')
			return 0;
		i = 1;
	}
#ifdef __SSE2__
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	for (; i + 16 <= n; i += 16) {
		__m128i is_lf = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), lf);
		__m128i after_cr = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i - 1)), cr);
		int m = _mm_movemask_epi8(_mm_andnot_si128(after_cr, is_lf));
		if (m)
			return i + (size_t)__builtin_ctz((unsigned)m);
	}
#endif
	for (; i < n; i++)
		if (p[i] == '\n' && p[i - 1] != '\r')
			return i;
	return n;
}

/* canon_emit_fixed - write a span that ends in data, turning bare LF into CRLF (none if plain) */
static void canon_emit_fixed(struct canon_body *b, const unsigned char *p, size_t n, bool plain)
{
	size_t pos = 0;
	while (pos < n) {
		size_t lim = n - pos > CANON_PIECE ? pos + CANON_PIECE : n;
		size_t x = plain ? lim : b->vector ? canon_vec_find_bare_lf(p, pos, lim) : canon_find_bare_lf(p, pos, lim);
		if (x > pos)
			canon_emit(b, p + pos, x - pos);
		if (x == lim) {
			pos = lim;
			continue;
		}
		if (b->vector) {
			/* bare LF line ends: the rest is copied with the CRs put in */
			canon_vec_region(b, p + x, n - x, n - x);
			return;
		}
		canon_emit(b, canon_crlf, 2);
		pos = x + 1;
	}
}

/* canon_simple_update - the fast path for simple bodies (plain: p has no bare LF) */
static void canon_simple_update(struct canon_body *b, const unsigned char *p, size_t n, bool plain)
{
	if (n == 0)
		return; /* an empty chunk must not settle a pending CR */
	if (b->pending_cr) {
		b->pending_cr = false;
		if (n && p[0] == '\n') {
			b->eols++;
			p++;
			n--;
		} else {
			if (b->eols)
				canon_release_eols(b);
			canon_emit_byte(b, '\r');
			b->data_seen = true;
		}
	}
	if (n == 0)
		return;
	if (p[n - 1] == '\r') {
		b->pending_cr = true;
		n--;
	}
	size_t end = n;
	unsigned long long tail = 0;
	while (end > 0 && p[end - 1] == '\n') {
		end--;
		if (end > 0 && p[end - 1] == '\r')
			end--;
		tail++;
	}
	if (end > 0) {
		if (b->eols)
			canon_release_eols(b);
		canon_emit_fixed(b, p, end, plain);
		b->data_seen = true;
	}
	b->eols += tail;
}

/* canon_slow_update - relaxed or nofws, byte by byte */
static void canon_slow_update(struct canon_body *b, const unsigned char *p, size_t len)
{
	bool relaxed = b->canon == DKMOD_CANON_RELAXED;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		if (b->pending_cr) {
			b->pending_cr = false;
			if (c == '\n') {
				b->pending_wsp = false;
				b->eols++;
				continue;
			}
			canon_lone_cr(b);
		}
		switch (c) {
		case '\r':
			b->pending_cr = true;
			break;
		case '\n':
			b->pending_wsp = false;
			b->eols++;
			break;
		case ' ':
		case '\t':
			if (relaxed)
				b->pending_wsp = true;
			break;
		default:
			canon_data(b, c);
		}
	}
}

/* canon_is_change - would relaxed (or nofws) change the byte at p[i]? (scalar form) A bare LF
 * counts: it is a line end written as CRLF (an LF at p[0] is bare: a CR before it would be pending) */
static inline bool canon_is_change(bool nofws, const unsigned char *p, size_t i, size_t n)
{
	unsigned char c = p[i], d = i + 1 < n ? p[i + 1] : 0;
	if (c == '\n')
		return i == 0 || p[i - 1] != '\r';
	if (nofws)
		return c == ' ' || c == '\t' || (c == '\r' && d != '\n');
	return c == '\t' || (c == ' ' && (i + 1 == n || d == ' ' || d == '\t' || d == '\r' || d == '\n'));
}

/* canon_find_change - the first byte relaxed (or nofws) would change, bare LFs included, n if
 * none: the span before it is copied as it is, with no second look for bare LFs */
static size_t canon_find_change(bool nofws, const unsigned char *p, size_t n)
{
	size_t i = 0;
	if (n && p[0] == '\n')
		return 0;
#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t'), cr = _mm_set1_epi8('\r'),
		      lf = _mm_set1_epi8('\n');
	for (; i + 17 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + i));
		__m128i w = _mm_loadu_si128((const __m128i *)(p + i + 1));
		__m128i is_sp = _mm_cmpeq_epi8(v, sp), is_tab = _mm_cmpeq_epi8(v, tab), is_cr = _mm_cmpeq_epi8(v, cr);
		__m128i lf_next = _mm_cmpeq_epi8(w, lf);
		__m128i bad;
		if (nofws) {
			bad = _mm_or_si128(_mm_or_si128(is_sp, is_tab), _mm_andnot_si128(lf_next, is_cr));
		} else {
			__m128i next = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, sp), _mm_cmpeq_epi8(w, tab)),
						    _mm_or_si128(_mm_cmpeq_epi8(w, cr), lf_next));
			bad = _mm_or_si128(is_tab, _mm_and_si128(is_sp, next));
		}
		/* an LF one byte on with no CR here: a bare LF at that byte (bit j + 1 for byte j) */
		unsigned m = (unsigned)_mm_movemask_epi8(bad) |
			     (unsigned)_mm_movemask_epi8(_mm_andnot_si128(is_cr, lf_next)) << 1;
		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	for (; i < n; i++)
		if (canon_is_change(nofws, p, i, n))
			return i;
	return n;
}

/* canon_direct - a relaxed body without l=: the run at p[0..n) that needs no change, if the
 * direct sink finds one, goes to it at once (tested as it is hashed); the bytes it took.  Only
 * when the first block needs no change (the sink would refuse the run otherwise) does the buffer
 * go out; held line ends go first, which is right as data follows in that block. */
static size_t canon_direct(struct canon_body *b, const unsigned char *p, size_t n)
{
	if (n < CANON_DIRECT_MIN || p[0] == '\n' || !canon_clean_block(p))
		return 0;
	if (b->eols)
		canon_release_eols(b);
	canon_flush(b);
	size_t k = b->direct(b->sink_arg, p, n);
	if (k) {
		b->emitted += (long long)k;
		b->data_seen = true;
	}
	return k;
}

/* canon_vec_update - relaxed or nofws on the vector code: long spans it leaves alone go the
 * simple way (straight to the sink), the rest through the block routine a window at a time */
static void canon_vec_update(struct canon_body *b, const unsigned char *p, size_t len)
{
	/* a CR or WSP at the end of the chunk needs the next chunk: the byte code keeps it pending */
	size_t trail = 0;
	while (trail < len && (p[len - 1 - trail] == ' ' || p[len - 1 - trail] == '\t' || p[len - 1 - trail] == '\r'))
		trail++;
	while (len > trail) {
		if (b->pending_wsp || b->pending_cr) {
			canon_slow_update(b, p, 1);
			p++;
			len--;
			continue;
		}
		size_t end = len - trail, c = b->direct ? canon_direct(b, p, end) : 0;
		if (c) {
			p += c;
			len -= c;
			continue;
		}
		c = canon_vec_find_change(b->canon, p, end);
		if (c >= CANON_VEC_CLEAN || c == end) {
			canon_simple_update(b, p, c, true);
		} else {
			c = end - c > CANON_VEC_WINDOW ? c + CANON_VEC_WINDOW : end;
			canon_vec_region(b, p, c, end);
		}
		p += c;
		len -= c;
	}
	canon_slow_update(b, p, len);
}

/* canon_body_update - a chunk of raw body, split anywhere */
void canon_body_update(struct canon_body *b, const void *data, size_t len)
{
	const unsigned char *p = data;
	if (b->canon == DKMOD_CANON_SIMPLE) {
		canon_simple_update(b, p, len, false);
		return;
	}
	if (b->vector) {
		canon_vec_update(b, p, len);
		return;
	}
	bool nofws = b->canon == DKMOD_CANON_NOFWS;
	while (len) {
		if (b->pending_wsp || b->pending_cr) {
			canon_slow_update(b, p, 1);
			p++;
			len--;
			continue;
		}
		size_t clean = b->direct ? canon_direct(b, p, len) : 0;
		if (clean) {
			p += clean;
			len -= clean;
			continue;
		}
		/* the span before the first change canonicalizes exactly as simple does */
		clean = canon_find_change(nofws, p, len);
		if (nofws && clean == len && p[len - 1] == '\r')
			clean--; /* a CR at the end may be stray: nofws drops it, simple would keep it */
		if (clean) {
			canon_simple_update(b, p, clean, true); /* no bare LF in it */
			p += clean;
			len -= clean;
		}
		if (!len)
			break;
		size_t k = 1;
		if (p[0] == ' ' || p[0] == '\t')
			while (k < len && (p[k] == ' ' || p[k] == '\t'))
				k++;
		canon_slow_update(b, p, k);
		p += k;
		len -= k;
	}
}

/* canon_body_final - flush the end of the body into the sink */
void canon_body_final(struct canon_body *b)
{
	if (b->pending_cr) {
		b->pending_cr = false;
		if (b->canon == DKMOD_CANON_SIMPLE) {
			if (b->eols)
				canon_release_eols(b);
			canon_emit_byte(b, '\r');
			b->data_seen = true;
		} else {
			canon_lone_cr(b);
		}
	}
	b->pending_wsp = false;
	if (b->domainkeys) {
		/* the line end of the last non-empty line stays; empty lines after it go */
		if (b->data_seen && b->eols)
			canon_emit(b, canon_crlf, 2);
	} else if (b->data_seen || b->canon == DKMOD_CANON_SIMPLE) {
		canon_emit(b, canon_crlf, 2);
	}
	b->eols = 0;
	canon_flush(b);
}

/* canon_body_length - canonical bytes of the whole body */
long long canon_body_length(const struct canon_body *b)
{
	return b->emitted + (long long)b->buf_len;
}

/* canon_line_end - a line end starts at p (before end): LF, or CR LF; a bare CR is not one */
static bool canon_line_end(const char *p, const char *end)
{
	return *p == '\n' || (*p == '\r' && end - p >= 2 && p[1] == '\n');
}

/* canon_plain_copy - copy the bytes from *p (before end) that are neither WSP nor a line end to
 * *o, eight at a time: all eight when none is a space or control byte, else up to the first such
 * byte (a header value is mostly words, most shorter than eight bytes), going on over a single SP
 * or a CRLF-WSP fold between two such bytes as relaxed canonicalization writes them (one SP); the
 * input bytes taken.  The text starts at text; *o has room for as many bytes as are left from *p,
 * and seven more */
static size_t canon_plain_copy(char **o, const char **p, const char *text, const char *end)
{
	const char *q = *p;
	char *w = *o;
	uint64_t x;
	while (end - q >= 8) {
		size_t k = str_plain_prefix8(q, &x);
		memcpy(w, &x, 8); /* past the k bytes only into room the rest of the text has */
		w += k;
		q += k;
		if (k == 8)
			continue;
		/* between two plain bytes, one SP is its own canonical form (already written), and
		 * so is a fold of CRLF and one WSP (written as SP) */
		if (q > *p && q[0] == ' ' && end - q >= 2 && (unsigned char)q[1] > 0x20) {
			w++;
			q++;
			continue;
		}
		if (q > *p && q[0] == '\r' && end - q >= 4 && q[1] == '\n' && (q[2] == ' ' || q[2] == '\t') &&
		    (unsigned char)q[3] > 0x20) {
			*w++ = ' ';
			q += 3;
			continue;
		}
		break;
	}
	if (q < end && end - q < 8 && end - text >= 8) {
		/* the last bytes, fewer than eight, in one step: the eight that end the text, shifted so
		 * that q's byte comes first and zero bytes (which stop the prefix) follow end */
		uint64_t last;
		memcpy(&last, end - 8, 8);
		size_t skip = (size_t)(8 - (end - q));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		last >>= 8 * skip;
#else
		last <<= 8 * skip;
#endif
		size_t k = str_plain_prefix8((const char *)&last, &x);
		memcpy(w, &x, 8); /* into the room past the text the caller keeps */
		w += k;
		q += k;
	}
	while (q < end && !canon_is_wsp((unsigned char)*q) && !canon_line_end(q, end))
		*w++ = *q++;
	size_t n = (size_t)(q - *p);
	*o = w;
	*p = q;
	return n;
}

/* canon_header_relaxed - DKIM relaxed: lower-case name, unfolded value, WSP runs as one SP.
 * text[colon] is the first colon, text[0..name_len) the name before it without its trailing WSP.
 * Only a line end (CRLF, or LF in LF-only input) is unfolded: a bare CR is a byte of the value,
 * as RFC 6376 3.4.2 unfolds only CRLF, so a CR slipped into a signed field (which a reader may
 * show as a line break) changes the canonical form and breaks the signature */
static int canon_header_relaxed(const char *text, size_t len, size_t name_len, size_t colon, bool crlf,
				struct str *out)
{
	/* the canonical form is never longer than the text: write into reserved room (and the CRLF, and
	 * the 64 bytes the vector code's last store or the seven canon_plain_copy may write past it) */
	if (str_reserve(out, len + 64) < 0)
		return -1;
	char *o = out->data + out->len;
	str_lower_copy(o, text, name_len, len); /* o has room for len bytes */
	o += name_len;
	*o++ = ':';
	/* the value: runs of plain bytes copied whole, a WSP run between two of them as one SP,
	 * line ends dropped */
	const char *p = text + colon + 1, *end = text + len;
	long vec = !canon_portable && canon_vec_available() ? canon_vec_header_value(o, p, (size_t)(end - p)) : -1;
	if (vec >= 0) {
		o += vec;
		p = end;
	}
	bool wsp = false, started = false;
	while (p < end) {
		/* here p is at neither WSP nor a line end (the loop below skipped them) */
		if (wsp && started)
			*o++ = ' ';
		if (canon_plain_copy(&o, &p, text, end)) {
			wsp = false;
			started = true;
		}
		for (; p < end; p++) {
			if (canon_is_wsp((unsigned char)*p))
				wsp = true;
			else if (!canon_line_end(p, end))
				break;
		}
	}
	if (crlf) {
		memcpy(o, canon_crlf, 2);
		o += 2;
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return 0;
}

/* canon_header_fixed - the text with bare LF turned into CRLF (simple) */
static int canon_header_fixed(const char *text, size_t len, struct str *out)
{
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) {
			if (str_append(out, text + start, i - start) < 0 || str_append(out, canon_crlf, 2) < 0)
				return -1;
			start = i + 1;
		}
	}
	return str_append(out, text + start, len - start);
}

/* canon_header_nofws - DomainKeys nofws: every SP, HTAB, CR and LF deleted */
static int canon_header_nofws(const char *text, size_t len, struct str *out)
{
	/* the canonical form is never longer than the text: written into reserved room */
	if (str_reserve(out, len) < 0)
		return -1;
	char *o = out->data + out->len;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			*o++ = c;
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return 0;
}

/* canon_header_unnamed - DKIM relaxed of a field whose colon is not known yet: found here (a
 * text with none is its own canonical form) */
static int canon_header_unnamed(const char *text, size_t len, bool crlf, struct str *out)
{
	const char *colon = memchr(text, ':', len);
	if (!colon)
		return str_append(out, text, len) < 0 || (crlf && str_append(out, canon_crlf, 2) < 0) ? -1 : 0;
	size_t name_len = (size_t)(colon - text);
	while (name_len && canon_is_wsp((unsigned char)text[name_len - 1]))
		name_len--;
	return canon_header_relaxed(text, len, name_len, (size_t)(colon - text), crlf, out);
}

/* canon_header - append the canonical form of one field */
int canon_header(enum dkmod_canon canon, const char *text, size_t len, bool crlf, struct str *out)
{
	int rc;
	switch (canon) {
	case DKMOD_CANON_RELAXED:
		return canon_header_unnamed(text, len, crlf, out);
	case DKMOD_CANON_NOFWS:
		rc = canon_header_nofws(text, len, out);
		break;
	default:
		rc = canon_header_fixed(text, len, out);
	}
	if (rc == 0 && crlf)
		rc = str_append(out, canon_crlf, 2);
	return rc;
}

/* canon_header_named - canon_header of a field whose name and colon are known */
int canon_header_named(enum dkmod_canon canon, const char *text, size_t len, size_t name_len, size_t colon,
		       bool crlf, struct str *out)
{
	if (canon == DKMOD_CANON_RELAXED)
		return canon_header_relaxed(text, len, name_len, colon, crlf, out);
	return canon_header(canon, text, len, crlf, out);
}
