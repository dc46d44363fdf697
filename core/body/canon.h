/*
 * canon.h - canonicalization of header fields and of streamed bodies:
 * DKIM simple and relaxed (RFC 6376 3.4 with errata 1376, 1377, 1384) and
 * DomainKeys simple and nofws (RFC 4870 3.4).  Bare LF counts as CRLF.
 */
#ifndef DKMOD_CANON_H
#define DKMOD_CANON_H

#include <stdbool.h>
#include <stddef.h>

#include "dkmod.h"
#include "util/str.h"

/* canon_header - append the canonical form of one field (text without its
 * final line end) to out, followed by CRLF if crlf is true.
 * DKIM: SIMPLE or RELAXED; DomainKeys: SIMPLE or NOFWS.  RELAXED unfolds line ends
 * (CRLF or LF) only: a bare CR stays in the value.  0, or -1 on ENOMEM. */
int canon_header(enum dkmod_canon canon, const char *text, size_t len, bool crlf, struct str *out);
/* canon_header_named - canon_header of a field whose first colon is text[colon] and whose name
 * without the WSP before the colon is text[0..name_len) (as header_field_init finds them):
 * relaxed need not look for them again */
int canon_header_named(enum dkmod_canon canon, const char *text, size_t len, size_t name_len, size_t colon,
		       bool crlf, struct str *out);

/* Where canonical body bytes go (a running hash). */
typedef void canon_sink(void *arg, const void *data, size_t len);

/* Where a relaxed body's runs that need no change may go at once (a SHA-256 stream alone):
 * takes a prefix of p[0..n) it has found to be such a run, ending before data (a byte other
 * than CR and LF) and never just after a CR, and returns its length (sha256_update_clean). */
typedef size_t canon_direct_sink(void *arg, const void *p, size_t n);

#define CANON_BUF 16384

/* A body being canonicalized.  The flavour decides what happens at the end:
 * DKIM bodies end in exactly one CRLF (simple: an empty body is one CRLF;
 * relaxed: an empty body is empty); DomainKeys bodies lose trailing empty lines. */
struct canon_body {
	enum dkmod_canon canon;
	bool domainkeys;
	long long limit;          /* l=: bytes to pass on, -1 for all */
	long long emitted;        /* canonical bytes before buf (passed on, or cut by the limit) */
	unsigned long long eols;  /* line ends held back: they may be trailing empty lines */
	bool pending_cr;          /* the last chunk ended in CR */
	bool pending_wsp;         /* relaxed: a run of WSP not yet written */
	bool data_seen;           /* any non-empty line so far */
	bool vector;              /* the AVX-512 block routines of canon_vec.c run this body */
	canon_sink *sink;
	canon_direct_sink *direct; /* relaxed without l=: set by the caller after init, or NULL */
	void *sink_arg;
	size_t buf_len;
	unsigned char buf[CANON_BUF];
};

/* canon_body_init - start a body; limit -1 for no l= */
void canon_body_init(struct canon_body *b, enum dkmod_canon canon, bool domainkeys, long long limit,
		     canon_sink *sink, void *sink_arg);
/* canon_body_update - a chunk of raw body, split anywhere */
void canon_body_update(struct canon_body *b, const void *data, size_t len);
/* canon_body_final - flush the end of the body into the sink */
void canon_body_final(struct canon_body *b);
/* canon_body_length - canonical bytes of the whole body (ignores the limit), after final */
long long canon_body_length(const struct canon_body *b);

/* canon_set_portable - for tests: bodies started after the call use only the
 * portable code (true) or may use the vector code (false, the default);
 * returns whether this machine has the vector code at all */
bool canon_set_portable(bool portable);

/* Internal to core/canon*.c. */
/* canon_flush - hand the buffered bytes to the sink (cut at the limit) */
void canon_flush(struct canon_body *b);
/* canon_vec_available - does this machine run the vector code? */
bool canon_vec_available(void);
/* canon_vec_find_bare_lf - index of the first LF in p[pos..n) not preceded by CR (p[pos-1] is
 * looked at when pos > 0; an LF at 0 is bare), n if none */
size_t canon_vec_find_bare_lf(const unsigned char *p, size_t pos, size_t n);
/* canon_vec_find_change - offset of the first 64-byte block of p[0..n) that relaxed or nofws
 * may change (an LF at p[0] counts as bare), n if none */
size_t canon_vec_find_change(enum dkmod_canon mode, const unsigned char *p, size_t n);
/* canon_vec_header_value - relaxed canonicalization of a header field's value text[0..n) into o,
 * which has room for n + 64 bytes: data (bytes neither WSP nor a line end) as it is, one SP for
 * the WSP between two data bytes, line ends dropped; the bytes written, or -1 when a line end is
 * not followed by WSP (not a fold: the byte code takes such a value) */
long canon_vec_header_value(char *o, const char *text, size_t n);
/* canon_vec_region - canonicalize p[0..stop) into the buffer (stop: n or a multiple of 64), the
 * bytes up to n seen as what follows.  On entry no CR or WSP is pending and the byte before p
 * (if any) is no CR; p[n-1] is neither CR nor WSP unless the flavour is simple and it is a CR
 * that is not part of a line end.  A CRLF cut by the stop leaves its CR pending. */
void canon_vec_region(struct canon_body *b, const unsigned char *p, size_t stop, size_t n);

#endif
