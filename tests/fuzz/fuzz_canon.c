/*
 * fuzz_canon.c - libFuzzer target, differential: the streaming body
 * canonicalizations of core/body/canon.c (DKIM simple and relaxed, DomainKeys
 * simple and nofws), fed in chunks split where the input says, and the
 * header canonicalizations, against slow whole-buffer reference versions
 * written here from the RFC rules (RFC 6376 3.4, RFC 4870 3.4) and the
 * documented choices of canon.h: bare LF counts as CRLF, a CR that is not
 * part of a line end is data (kept by relaxed, also in a header field; dropped
 * by nofws).  Every body runs twice:
 * on the vector code (core/body/canon_vec.c, where the machine has it) and on the
 * portable code (canon_set_portable); a relaxed body without l= runs a third
 * time into SHA-256 with its clean runs hashed in place (canon_direct_sink,
 * sha256_update_clean), its digest held to the reference's.  Any difference
 * aborts.
 *
 * Input: byte 0 flags (bit 0: apply l=; bit 1: header canon appends CRLF),
 * bytes 1-2 l= (big-endian), byte 3 number of split points k (% 8), then k
 * two-byte split positions (taken modulo the body length + 1); the rest is
 * the body (and the header field text).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body/canon.h"
#include "body/sha256.h"
#include "fuzz.h"

/* A line of the reference: its text without the line end, and whether one followed. */
struct fuzz_canon_line {
	unsigned char *p;
	size_t len;
	bool eol;
};

/* A growing output buffer of the reference (aborts when memory runs out). */
struct fuzz_canon_buf {
	unsigned char *p;
	size_t len;
	size_t cap;
};

/* fuzz_canon_put - append bytes to a buffer */
static void fuzz_canon_put(struct fuzz_canon_buf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
}

/* fuzz_canon_collect - the sink of core/body/canon.c: append to a buffer */
static void fuzz_canon_collect(void *arg, const void *data, size_t len)
{
	fuzz_canon_put(arg, data, len);
}

/* fuzz_canon_is_wsp - SP or HTAB */
static bool fuzz_canon_is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* fuzz_canon_split - cut a body into lines (copies) at LF, a CR just before it being part of the line end */
static size_t fuzz_canon_split(const unsigned char *body, size_t len, struct fuzz_canon_line *lines)
{
	size_t n = 0, start = 0;
	for (size_t i = 0; i < len; i++) {
		if (body[i] != '\n')
			continue;
		size_t end = i > start && body[i - 1] == '\r' ? i - 1 : i;
		lines[n].p = malloc(end - start + 1);
		if (!lines[n].p)
			abort();
		memcpy(lines[n].p, body + start, end - start);
		lines[n].len = end - start;
		lines[n++].eol = true;
		start = i + 1;
	}
	if (start < len) {
		lines[n].p = malloc(len - start);
		if (!lines[n].p)
			abort();
		memcpy(lines[n].p, body + start, len - start);
		lines[n].len = len - start;
		lines[n++].eol = false;
	}
	return n;
}

/* fuzz_canon_relax_line - DKIM relaxed: each run of WSP becomes one SP, a run at the end goes */
static void fuzz_canon_relax_line(struct fuzz_canon_line *l)
{
	unsigned char *q = malloc(l->len + 1);
	size_t o = 0;
	bool run = false;
	if (!q)
		abort();
	for (size_t i = 0; i < l->len; i++) {
		if (fuzz_canon_is_wsp(l->p[i])) {
			run = true;
			continue;
		}
		if (run)
			q[o++] = ' ';
		run = false;
		q[o++] = l->p[i];
	}
	if (o)
		memcpy(l->p, q, o);
	l->len = o;
	free(q);
}

/* fuzz_canon_nofws_line - DomainKeys nofws: SP, HTAB and stray CR deleted */
static void fuzz_canon_nofws_line(struct fuzz_canon_line *l)
{
	size_t o = 0;
	for (size_t i = 0; i < l->len; i++)
		if (l->p[i] != ' ' && l->p[i] != '\t' && l->p[i] != '\r')
			l->p[o++] = l->p[i];
	l->len = o;
}

/* fuzz_canon_ref_body - the reference canonical body of one flavour */
static void fuzz_canon_ref_body(enum dkmod_canon canon, bool dk, const unsigned char *body, size_t len,
				struct fuzz_canon_buf *out)
{
	/* one extra line for the DomainKeys separator, one for a last line without LF */
	struct fuzz_canon_line *lines = calloc(len + 2, sizeof *lines);
	if (!lines)
		abort();
	size_t n = 0;
	if (dk) {
		/* RFC 4870 3.4: the blank line after the header is part of the body */
		lines[0].p = malloc(1);
		if (!lines[0].p)
			abort();
		lines[0].len = 0;
		lines[0].eol = true;
		n = 1;
	}
	n += fuzz_canon_split(body, len, lines + n);
	for (size_t i = 0; i < n; i++) {
		if (canon == DKMOD_CANON_RELAXED)
			fuzz_canon_relax_line(&lines[i]);
		else if (canon == DKMOD_CANON_NOFWS)
			fuzz_canon_nofws_line(&lines[i]);
	}
	size_t keep = n;
	while (keep > 0 && lines[keep - 1].len == 0)
		keep--;
	out->len = 0;
	for (size_t i = 0; i < keep; i++) {
		fuzz_canon_put(out, lines[i].p, lines[i].len);
		/* DKIM ends every line in CRLF; DomainKeys keeps the last line as it was */
		if (!dk || lines[i].eol)
			fuzz_canon_put(out, "\r\n", 2);
	}
	if (keep == 0 && !dk && canon == DKMOD_CANON_SIMPLE)
		fuzz_canon_put(out, "\r\n", 2); /* RFC 6376 3.4.3: an empty body is one CRLF */
	for (size_t i = 0; i < n; i++)
		free(lines[i].p);
	free(lines);
}

/* fuzz_canon_ref_header - the reference canonical header field (text without its final line end) */
static void fuzz_canon_ref_header(enum dkmod_canon canon, const unsigned char *t, size_t len, bool crlf,
				  struct fuzz_canon_buf *out)
{
	out->len = 0;
	const unsigned char *colon = memchr(t, ':', len);
	if (canon == DKMOD_CANON_NOFWS) {
		for (size_t i = 0; i < len; i++)
			if (t[i] != ' ' && t[i] != '\t' && t[i] != '\r' && t[i] != '\n')
				fuzz_canon_put(out, t + i, 1);
	} else if (canon == DKMOD_CANON_RELAXED && colon) {
		/* name: lower case, WSP before the colon deleted */
		size_t nl = (size_t)(colon - t);
		while (nl > 0 && fuzz_canon_is_wsp(t[nl - 1]))
			nl--;
		for (size_t i = 0; i < nl; i++) {
			unsigned char c = t[i] >= 'A' && t[i] <= 'Z' ? (unsigned char)(t[i] - 'A' + 'a') : t[i];
			fuzz_canon_put(out, &c, 1);
		}
		fuzz_canon_put(out, ":", 1);
		/* value: unfolded (every LF and every CR before an LF deleted; a bare CR is data),
		 * WSP runs as one SP, none at either end */
		struct fuzz_canon_buf v = {0};
		fuzz_canon_put(&v, "", 0);
		for (const unsigned char *p = colon + 1; p < t + len; p++)
			if (*p != '\n' && !(*p == '\r' && p + 1 < t + len && p[1] == '\n'))
				fuzz_canon_put(&v, p, 1);
		struct fuzz_canon_line l = {v.p, v.len, false};
		fuzz_canon_relax_line(&l);
		size_t s = 0;
		while (s < l.len && l.p[s] == ' ')
			s++;
		fuzz_canon_put(out, l.p + s, l.len - s);
		free(v.p);
	} else if (canon == DKMOD_CANON_RELAXED) {
		fuzz_canon_put(out, t, len); /* not a field: left alone */
	} else {
		/* simple: unchanged, except that a bare LF is a CRLF */
		for (size_t i = 0; i < len; i++) {
			if (t[i] == '\n' && (i == 0 || t[i - 1] != '\r'))
				fuzz_canon_put(out, "\r", 1);
			fuzz_canon_put(out, t + i, 1);
		}
	}
	if (crlf)
		fuzz_canon_put(out, "\r\n", 2);
}

/* fuzz_canon_fail - report a difference and abort */
static void fuzz_canon_fail(const char *code, const char *what, const struct fuzz_canon_buf *got,
			    const struct fuzz_canon_buf *want)
{
	fprintf(stderr, "%s (%s code): got %zu bytes, want %zu bytes\n", what, code, got->len, want->len);
	abort();
}

/* fuzz_canon_same - true if two buffers hold the same bytes */
static bool fuzz_canon_same(const struct fuzz_canon_buf *a, const struct fuzz_canon_buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* fuzz_canon_sha - the canonicalizer's sink and direct sink into a SHA-256 stream */
static void fuzz_canon_sha(void *arg, const void *data, size_t len)
{
	sha256_update(arg, data, len);
}

/* fuzz_canon_sha_direct - the direct sink: clean runs of a relaxed body hashed in place */
static size_t fuzz_canon_sha_direct(void *arg, const void *data, size_t len)
{
	return sha256_update_clean(arg, data, len);
}

/* fuzz_canon_direct - a relaxed body cut at split[] hashed with its clean runs taken by the direct
 * sink: the digest must be that of the reference's bytes */
static void fuzz_canon_direct(struct canon_body *b, const unsigned char *body, const size_t *split, size_t nsplit,
			      const struct fuzz_canon_buf *want)
{
	struct sha256 got, ref;
	unsigned char dg[SHA256_DIGEST], dr[SHA256_DIGEST];
	sha256_init(&got);
	canon_body_init(b, DKMOD_CANON_RELAXED, false, -1, fuzz_canon_sha, &got);
	b->direct = fuzz_canon_sha_direct;
	for (size_t i = 0; i + 1 < nsplit; i++)
		canon_body_update(b, body + split[i], split[i + 1] - split[i]);
	canon_body_final(b);
	sha256_final(&got, dg);
	sha256_init(&ref);
	sha256_update(&ref, want->p, want->len);
	sha256_final(&ref, dr);
	if (canon_body_length(b) != (long long)want->len || memcmp(dg, dr, sizeof dg) != 0) {
		fprintf(stderr, "dkim relaxed (direct sink): digest differs from the reference's\n");
		abort();
	}
}

/* LLVMFuzzerTestOneInput - one body, every flavour */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		const char *name;
		enum dkmod_canon canon;
		bool dk;
	} flavours[] = {
		{"dkim simple", DKMOD_CANON_SIMPLE, false},
		{"dkim relaxed", DKMOD_CANON_RELAXED, false},
		{"domainkeys simple", DKMOD_CANON_SIMPLE, true},
		{"domainkeys nofws", DKMOD_CANON_NOFWS, true},
	};
	if (size < 4)
		return 0;
	unsigned flags = data[0];
	long long limit = flags & 1 ? (long long)(data[1] << 8 | data[2]) : -1;
	size_t k = data[3] % 8, pos = 4;
	size_t raw_split[8];
	for (size_t i = 0; i < k; i++, pos += 2)
		raw_split[i] = pos + 2 <= size ? (size_t)(data[pos] << 8 | data[pos + 1]) : 0;
	if (pos > size)
		pos = size;
	const unsigned char *body = data + pos;
	size_t len = size - pos;
	size_t split[10];
	split[0] = 0;
	for (size_t i = 0; i < k; i++)
		split[i + 1] = raw_split[i] % (len + 1);
	split[k + 1] = len;
	/* sort the cut points (insertion sort: at most 10) */
	for (size_t i = 1; i < k + 2; i++)
		for (size_t j = i; j > 0 && split[j - 1] > split[j]; j--) {
			size_t t = split[j];
			split[j] = split[j - 1];
			split[j - 1] = t;
		}

	struct fuzz_canon_buf got = {0}, want = {0};
	struct canon_body *b = malloc(sizeof *b);
	if (!b)
		abort();
	for (size_t f = 0; f < sizeof flavours / sizeof *flavours; f++) {
		fuzz_canon_ref_body(flavours[f].canon, flavours[f].dk, body, len, &want);
		long long want_len = (long long)want.len;
		if (limit >= 0 && (long long)want.len > limit)
			want.len = (size_t)limit; /* l= cuts what is hashed, not the length */
		for (int portable = 0; portable < 2; portable++) {
			canon_set_portable(portable);
			got.len = 0;
			canon_body_init(b, flavours[f].canon, flavours[f].dk, limit, fuzz_canon_collect, &got);
			for (size_t i = 0; i + 1 < k + 2; i++)
				canon_body_update(b, body + split[i], split[i + 1] - split[i]);
			canon_body_final(b);
			if (canon_body_length(b) != want_len || !fuzz_canon_same(&got, &want))
				fuzz_canon_fail(portable ? "portable" : "vector", flavours[f].name, &got, &want);
		}
		canon_set_portable(false);
		if (flavours[f].canon == DKMOD_CANON_RELAXED && limit < 0 && sha256_available())
			fuzz_canon_direct(b, body, split, k + 2, &want);
	}
	free(b);

	static const enum dkmod_canon hcanon[] = {DKMOD_CANON_SIMPLE, DKMOD_CANON_RELAXED, DKMOD_CANON_NOFWS};
	bool crlf = flags & 2;
	for (size_t h = 0; h < 3; h++) {
		struct str out = STR_INIT;
		if (canon_header(hcanon[h], (const char *)body, len, crlf, &out) != 0)
			abort();
		struct fuzz_canon_buf g = {(unsigned char *)out.data, out.len, out.cap};
		fuzz_canon_ref_header(hcanon[h], body, len, crlf, &want);
		if (!fuzz_canon_same(&g, &want))
			fuzz_canon_fail("header", "header", &g, &want);
		str_free(&out);
	}
	free(got.p);
	free(want.p);
	return 0;
}
