/*
 * session_fixture.h - what the session tests share (test_session.c,
 * test_forgery.c): a directory of keys made at run time, a zone file served
 * as local data, and helpers to sign, verify and render messages.
 */
#ifndef DKMOD_SESSION_FIXTURE_H
#define DKMOD_SESSION_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkmod.h"
#include "engine/session.h"
#include "unit.h"

static char dir[64];
static char zone_path[128];
static struct str zone = STR_INIT;
static const time_t now = 1764064800; /* 2025-11-25 */

/* sh - run a shell command; true on success */
static inline bool sh(const char *fmt, const char *a)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, fmt, a, a, a);
	return system(cmd) == 0;
}

/* add_key - make a key file and publish its record as sel._domainkey.example.com */
static inline bool add_key(const char *sel, const char *genargs, bool ed, const char *extra)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "openssl %s -out %s/%s.pem %s 2>/dev/null", genargs, dir, sel, strstr(genargs, "genrsa") ? "1024" : "");
	if (system(cmd) != 0)
		return false;
	snprintf(cmd, sizeof cmd,
		 ed ? "openssl pkey -in %s/%s.pem -pubout -outform DER 2>/dev/null | tail -c 32 | base64 -w0 > %s/%s.pub"
		    : "openssl pkey -in %s/%s.pem -pubout -outform DER 2>/dev/null | base64 -w0 > %s/%s.pub",
		 dir, sel, dir, sel);
	if (system(cmd) != 0)
		return false;
	char pub[2048] = "";
	snprintf(cmd, sizeof cmd, "%s/%s.pub", dir, sel);
	FILE *f = fopen(cmd, "r");
	if (!f || !fgets(pub, sizeof pub, f))
		return false;
	fclose(f);
	str_printf(&zone, "%s._domainkey IN TXT \"v=DKIM1; k=%s;%s p=", sel, ed ? "ed25519" : "rsa", extra);
	for (size_t i = 0; pub[i]; i += 200)
		str_printf(&zone, "%.200s\" \"", pub + i);
	str_appends(&zone, "\"\n");
	return true;
}

/* fixture_options - the defaults with the test's authserv-id, clock and zone */
static inline void fixture_options(struct dkmod_options *o, time_t when)
{
	dkmod_options_init(o);
	o->authserv_id = "mx.test.example";
	o->fixed_now = when;
	o->resolver.zone_file = zone_path;
	o->resolver.timeout_ms = 2000;
}

/* new_ctx - a context on the test zone */
static inline struct dkmod_ctx *new_ctx(unsigned min_bits, time_t when)
{
	struct dkmod_options o;
	fixture_options(&o, when);
	o.min_key_bits = min_bits;
	o.allow_sha1 = true; /* the round trips cover rsa-sha1; its refusal by default: test_verify_guard */
	struct dkmod_ctx *ctx = NULL;
	if (dkmod_ctx_new(&o, &ctx) != DKMOD_OK)
		return NULL;
	return ctx;
}

/* render - the message as the session would pass it on */
static inline void render(struct dkmod_session *s, const char *msg, struct str *out)
{
	str_clear(out);
	for (size_t i = 0; i < dkmod_session_added_count(s); i++) {
		str_appends(out, dkmod_session_added(s, i));
		str_appends(out, "\r\n");
	}
	size_t at = 0;
	for (size_t i = 0; i < dkmod_session_header_count(s); i++) {
		size_t len;
		const char *raw = dkmod_session_header_raw(s, i, &len);
		if (!dkmod_session_header_removed(s, i))
			str_append(out, raw, len);
		at += len;
	}
	str_appends(out, msg + at);
}

/* feed - write msg into the session in pieces of chunk bytes (0: one piece) */
static inline enum dkmod_status feed(struct dkmod_session *s, const char *msg, size_t chunk)
{
	size_t n = strlen(msg);
	if (chunk == 0)
		chunk = n ? n : 1;
	for (size_t off = 0; off < n; off += chunk) {
		enum dkmod_status st = dkmod_session_write(s, msg + off, off + chunk > n ? n - off : chunk);
		if (st != DKMOD_OK)
			return st;
	}
	return dkmod_session_finish(s);
}

/* sign - sign msg with one request; the signed message in out */
static inline bool sign(struct dkmod_ctx *ctx, const struct dkmod_sign_request *req, size_t nreq, const char *msg,
		 struct str *out)
{
	struct dkmod_session *s;
	if (dkmod_session_new(ctx, 0, &s) != DKMOD_OK)
		return false;
	bool ok = true;
	for (size_t i = 0; i < nreq && ok; i++)
		ok = dkmod_session_add_signer(s, &req[i]) == DKMOD_OK;
	ok = ok && feed(s, msg, 0) == DKMOD_OK;
	if (ok)
		render(s, msg, out);
	dkmod_session_free(s);
	return ok;
}

/* verify - verify msg; results as "result[/reason];..." in out; the A-R value in ar (if not NULL) */
static inline void verify(struct dkmod_ctx *ctx, const char *msg, size_t chunk, struct str *out, struct str *ar)
{
	struct dkmod_session *s;
	str_clear(out);
	if (dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s) != DKMOD_OK)
		return;
	if (feed(s, msg, chunk) == DKMOD_OK) {
		for (size_t i = 0; i < dkmod_session_result_count(s); i++) {
			const struct dkmod_sig_result *r = dkmod_session_result(s, i);
			if (r->method != DKMOD_METHOD_DKIM)
				continue;
			str_printf(out, "%s%s%s%s", out->len ? ";" : "", dkmod_result_name(r->result), r->reason[0] ? "/" : "",
				   r->reason);
		}
		if (ar)
			render(s, msg, ar);
	} else {
		str_appends(out, "session error");
	}
	dkmod_session_free(s);
}

/* request - a signing request for a selector of the test zone */
static inline void request(struct dkmod_sign_request *r, const char *sel, enum dkmod_algorithm alg)
{
	static char key[8][160];
	static int k;
	k = (k + 1) % 8;
	dkmod_sign_request_init(r);
	snprintf(key[k], sizeof key[k], "%s/%s.pem", dir, sel);
	r->domain = "example.com";
	r->selector = sel;
	r->key_file = key[k];
	r->algorithm = alg;
}


/* auth_msg - a message from author (signed with the rsa2048 key of example.com if signed; buf holds it) */
static inline const char *auth_msg(struct dkmod_ctx *ctx, const char *author, bool signed_, struct str *buf)
{
	static char text[600];
	snprintf(text, sizeof text,
		 "From: Ann <%s>\r\nTo: bob@example.net\r\nSubject: hi\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n"
		 "Message-ID: <a1@example.com>\r\n\r\nHello.\r\n", author);
	if (!signed_)
		return text;
	struct dkmod_sign_request r;
	request(&r, "rsa2048", DKMOD_ALG_RSA_SHA256);
	str_clear(buf);
	return sign(ctx, &r, 1, text, buf) ? str_cstr(buf) : text;
}

/* fixture_start - the key directory and zone with the keys named in test_session.c; false on failure */
static inline bool fixture_start(void)
{
	snprintf(dir, sizeof dir, "%s/dkmod-unit-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return false;
	snprintf(zone_path, sizeof zone_path, "%s/example.zone", dir);
	str_appends(&zone, "$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\n"
			   "ns IN A 192.0.2.53\nrevoked._domainkey IN TXT \"v=DKIM1; k=rsa; p=\"\n");
	return true;
}

/* fixture_auth_start - fixture_start, the rsa2048 key (*keys: made) and the SPF records of
 * example.com and bounce.example.com (ip4:192.0.2.1 -all), for the SPF and DMARC tests */
static inline bool fixture_auth_start(bool *keys)
{
	if (!fixture_start())
		return false;
	*keys = add_key("rsa2048", "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048", false, "");
	CHECK("test key generated", *keys);
	str_appends(&zone, "@ IN TXT \"v=spf1 ip4:192.0.2.1 -all\"\nbounce IN TXT \"v=spf1 ip4:192.0.2.1 -all\"\n");
	return true;
}

/* fixture_zone - write the zone file */
static inline void fixture_zone(void)
{
	FILE *f = fopen(zone_path, "w");
	fputs(str_cstr(&zone), f);
	fclose(f);
}

/* fixture_end - remove the key directory */
static inline void fixture_end(void)
{
	str_free(&zone);
	sh("rm -rf %s", dir);
}

#endif
