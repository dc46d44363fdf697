/*
 * fuzz_removal.c - libFuzzer target: the fields a verify session removes
 * (forged Authentication-Results of our authserv-id, DomainKey-Status) over
 * the whole header, past tiny header limits too, and the header walk that
 * adapters run to leave them out.
 *
 * Input: byte 0 the limits (bits 0-3: 1 to 16 fields; bits 4-7: 64 to 3904
 * bytes), byte 1 the write and walk piece sizes, then the message.  Checked:
 * the walk gives the same bytes whether fed whole or in pieces; it leaves
 * out whole fields only, and as many as the session names for removal; no
 * DomainKey-Status is left, and every Authentication-Results left has an
 * authserv-id that parses and is not ours; the authserv-id parser stays in
 * its bounds (the value is also given to it on its own).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkmod.h"
#include "fuzz.h"
#include "msg/header.h"
#include "engine/session.h"
#include "util/str.h"

#define FUZZ_AUTHSERV "mx.example.net"

/* fuzz_removal_check - abort unless ok */
static void fuzz_removal_check(bool ok)
{
	if (!ok)
		abort();
}

/* fuzz_removal_emit - dkmod_emit_fn into a str */
static bool fuzz_removal_emit(void *arg, const char *data, size_t len)
{
	return str_append(arg, data, len) == 0;
}

/* fuzz_removal_walk - the header of msg walked in pieces of piece bytes (0: whole), then the
 * rest as it is; false if the walk refused */
static bool fuzz_removal_walk(const struct dkmod_session *s, const char *msg, size_t len, size_t piece,
			      struct str *out)
{
	struct dkmod_header_walk w;
	dkmod_header_walk_init(&w, s);
	str_clear(out);
	size_t at = 0;
	while (at < len && !dkmod_header_walk_done(&w)) {
		size_t n = piece && piece < len - at ? piece : len - at;
		size_t used = dkmod_header_walk_bytes(&w, msg + at, n, fuzz_removal_emit, out);
		if (used == SIZE_MAX)
			return false;
		fuzz_removal_check(used <= n && (used == n || dkmod_header_walk_done(&w)));
		at += used;
	}
	fuzz_removal_check(dkmod_header_walk_end(&w, fuzz_removal_emit, out));
	return str_append(out, msg + at, len - at) == 0;
}

/* fuzz_removal_fields - count the fields of the header at msg (the engine's rule: a line that
 * begins with WSP folds, a blank line ends the header); check those left as the walk must
 * leave them when check is set; the header's length in *end */
static size_t fuzz_removal_fields(const char *msg, size_t len, bool check, size_t *end)
{
	size_t n = 0, at = 0;
	while (at < len) {
		const char *nl = memchr(msg + at, '\n', len - at);
		size_t e = nl ? (size_t)(nl - msg) + 1 : len;
		if ((e - at == 1 && msg[at] == '\n') || (e - at == 2 && msg[at] == '\r' && msg[at + 1] == '\n')) {
			at = e;
			break;
		}
		if (at == 0 || (msg[at] != ' ' && msg[at] != '\t')) {
			size_t f = e;
			while (f < len && (msg[f] == ' ' || msg[f] == '\t')) {
				const char *nl2 = memchr(msg + f, '\n', len - f);
				f = nl2 ? (size_t)(nl2 - msg) + 1 : len;
			}
			struct header_field h;
			header_field_init(&h, msg + at, f - at);
			if (check && header_is(&h, "DomainKey-Status"))
				abort();
			if (check && header_is(&h, "Authentication-Results")) {
				size_t vlen;
				const char *v = header_value(&h, &vlen);
				fuzz_removal_check(ar_authserv_id(v, vlen, FUZZ_AUTHSERV) == AR_OTHER);
			}
			n += msg[at] != ' ' && msg[at] != '\t';
			e = f;
		}
		at = e;
	}
	*end = at;
	return n;
}

/* LLVMFuzzerTestOneInput - one message */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const char *msg = (const char *)data + 2;
	size_t len = size - 2, piece = data[1] % 17;
	/* the parser on the bytes alone: a copy of exactly len bytes, so ASan sees any overread */
	char *copy = malloc(len ? len : 1);
	fuzz_removal_check(copy != NULL);
	memcpy(copy, msg, len);
	(void)ar_authserv_id(copy, len, FUZZ_AUTHSERV);
	free(copy);

	struct dkmod_options o;
	dkmod_options_init(&o);
	o.authserv_id = FUZZ_AUTHSERV;
	o.check_policies = false;
	o.max_header_fields = 1 + (data[0] & 15u);
	o.max_header_bytes = 64 + 256 * (size_t)(data[0] >> 4);
	o.fixed_now = 1764064800;
	struct dkmod_ctx *ctx;
	struct dkmod_session *s;
	fuzz_removal_check(dkmod_ctx_new(&o, &ctx) == DKMOD_OK);
	fuzz_removal_check(dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s) == DKMOD_OK);
	enum dkmod_status st = DKMOD_OK;
	for (size_t at = 0; at < len && st == DKMOD_OK;) {
		size_t n = piece && piece < len - at ? piece : len - at;
		st = dkmod_session_write(s, msg + at, n);
		at += n;
	}
	if (st == DKMOD_OK)
		st = dkmod_session_finish(s);
	fuzz_removal_check(st == DKMOD_OK || st == DKMOD_ENOMEM);
	if (st == DKMOD_OK) {
		struct str whole = STR_INIT, pieces = STR_INIT;
		bool ok = fuzz_removal_walk(s, msg, len, 0, &whole);
		fuzz_removal_check(ok == fuzz_removal_walk(s, msg, len, piece ? piece : 1, &pieces));
		if (ok) {
			fuzz_removal_check(whole.len == pieces.len && memcmp(whole.data, pieces.data, whole.len) == 0);
			size_t end_in, end_out, cursor = 0, nth, count, named = 0;
			const char *name;
			size_t before = fuzz_removal_fields(msg, len, false, &end_in);
			size_t after = fuzz_removal_fields(whole.data, whole.len, true, &end_out);
			while (dkmod_session_removal_next(s, &cursor, &name, &nth, &count)) {
				fuzz_removal_check(nth < count);
				named++;
			}
			fuzz_removal_check(before - after == named);
			/* the body passes untouched */
			fuzz_removal_check(len - end_in == whole.len - end_out &&
					   memcmp(msg + end_in, whole.data + end_out, len - end_in) == 0);
		}
		str_free(&whole);
		str_free(&pieces);
	}
	dkmod_session_free(s);
	dkmod_ctx_free(ctx);
	return 0;
}
