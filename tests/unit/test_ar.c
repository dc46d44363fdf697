/*
 * test_ar.c - the Authentication-Results writer against the printf-based writer
 * it replaced (kept below as the oracle): the same bytes for results of every
 * shape - long values folded at every column, quoted and escaped values,
 * control and 8-bit bytes, key comments, l= comments, DomainKeys with policies, b= prefixes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/session.h"
#include "unit.h"

/* ---- the oracle: the writer as it was, with str_printf ---- */

/* test_old_is_token_char - characters a value may hold without quotes (RFC 2045 token, plus '@') */
static bool test_old_is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("()<>,;:\\\"/[]?= ", c);
}

/* test_old_value - append a value as a token, or as a quoted string when it must be */
static int test_old_value(struct str *out, const char *v)
{
	bool plain = *v != '\0';
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (!test_old_is_token_char(*p) && *p != '@' && *p != '/' && *p != '=')
			plain = false;
	if (plain)
		return str_appends(out, v);
	if (str_appendc(out, '"') < 0)
		return -1;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			continue; /* never let a value break the field */
		if ((*p == '"' || *p == '\\') && str_appendc(out, '\\') < 0)
			return -1;
		if (str_appendc(out, (char)*p) < 0)
			return -1;
	}
	return str_appendc(out, '"');
}

/* Words of a resinfo are separated by TEST_OLD_SEP until test_old_fold lays them out. */
#define TEST_OLD_SEP '\x1f'
#define TEST_OLD_WIDTH 78

/* test_old_property - a "ptype.property=value" word */
static int test_old_property(struct str *out, const char *name, const char *value)
{
	if (!value || !*value)
		return 0;
	if (str_printf(out, "%c%s=", TEST_OLD_SEP, name) < 0)
		return -1;
	return test_old_value(out, value);
}

/* test_old_fold - append the words of w, each line under TEST_OLD_WIDTH columns (a tab counts 8) */
static int test_old_fold(struct str *out, const struct str *w)
{
	size_t col = 8;
	const char *p = str_cstr(w), *end = p + w->len;
	while (p < end) {
		const char *sep = memchr(p, TEST_OLD_SEP, (size_t)(end - p));
		size_t n = sep ? (size_t)(sep - p) : (size_t)(end - p);
		if (col > 8 && col + 1 + n > TEST_OLD_WIDTH) {
			if (str_append(out, "\r\n\t", 3) < 0)
				return -1;
			col = 8;
		} else if (col > 8) {
			if (str_appendc(out, ' ') < 0)
				return -1;
			col++;
		}
		if (str_append(out, p, n) < 0)
			return -1;
		col += n;
		p += n + (sep ? 1 : 0);
	}
	return 0;
}

/* test_old_first_dk - the index of the first DomainKeys result */
static size_t test_old_first_dk(const struct dkmod_session *s)
{
	size_t k = 0;
	while (k < s->nresults && s->results[k].method != DKMOD_METHOD_DOMAINKEYS)
		k++;
	return k;
}

/* test_old_adsp - the dkim-adsp resinfo */
static int test_old_adsp(const struct dkmod_session *s, struct str *out)
{
	if (str_printf(out, "dkim-adsp=%s", s->policy.adsp.result) < 0)
		return -1;
	return test_old_property(out, "header.from", s->policy.adsp.author);
}

/* test_old_one - one resinfo */
static int test_old_one(struct dkmod_session *s, size_t k, struct str *out)
{
	const struct dkmod_sig_result *r = &s->results[k];
	const char *method = r->method == DKMOD_METHOD_DOMAINKEYS ? "domainkeys" : "dkim";
	if (str_printf(out, "%s=%s", method, dkmod_result_name(r->result)) < 0)
		return -1;
	if (r->key_bits || r->dnssec != DKMOD_DNSSEC_UNKNOWN) {
		const char *sep = r->key_bits && r->dnssec != DKMOD_DNSSEC_UNKNOWN ? "; " : "";
		int rc = r->key_bits ? str_printf(out, "%c(%u-bit key%s%s)", TEST_OLD_SEP, r->key_bits, sep,
						  dkmod_dnssec_name(r->dnssec))
				     : str_printf(out, "%c(%s)", TEST_OLD_SEP, dkmod_dnssec_name(r->dnssec));
		if (rc < 0)
			return -1;
	}
	if (r->testing && str_printf(out, "%c(testing key)", TEST_OLD_SEP) < 0)
		return -1;
	if (r->partial_body && str_printf(out, "%c(l=%ld of %lld body bytes signed)", TEST_OLD_SEP, r->body_length,
					  r->body_bytes) < 0)
		return -1;
	if (r->reason[0] && (str_printf(out, "%creason=", TEST_OLD_SEP) < 0 || test_old_value(out, r->reason) < 0))
		return -1;
	if (r->method == DKMOD_METHOD_DOMAINKEYS && s->policy.started && k == test_old_first_dk(s) &&
	    test_old_property(out, "policy.dk", s->policy.dk.verdict) < 0)
		return -1;
	if (test_old_property(out, "header.d", r->domain) < 0)
		return -1;
	if (r->method == DKMOD_METHOD_DKIM && test_old_property(out, "header.i", r->identity) < 0)
		return -1;
	if (r->method == DKMOD_METHOD_DOMAINKEYS &&
	    test_old_property(out, r->sender_from_sender ? "header.sender" : "header.from", r->sender) < 0)
		return -1;
	if (test_old_property(out, "header.s", r->selector) < 0)
		return -1;
	if (r->method == DKMOD_METHOD_DKIM && test_old_property(out, "header.a", r->algorithm) < 0)
		return -1;
	if (r->b[0]) {
		size_t n = ar_b_prefix(s, k) /* unchanged: the writer's own */;
		char prefix[DKIMSIG_MAX_B64];
		memcpy(prefix, r->b, n);
		prefix[n] = '\0';
		if (test_old_property(out, "header.b", prefix) < 0)
			return -1;
	}
	return 0;
}

/* test_old_build - the Authentication-Results value as the printf-based writer made it */
static char *test_old_build(struct dkmod_session *s)
{
	struct str out = STR_INIT, words = STR_INIT;
	int rc = test_old_value(&out, s->ctx->opt.authserv_id);
	for (size_t k = 0; rc == 0 && k < s->nresults; k++) {
		str_clear(&words);
		rc = str_appends(&out, ";\r\n\t");
		if (rc == 0)
			rc = test_old_one(s, k, &words);
		if (rc == 0)
			rc = test_old_fold(&out, &words);
	}
	if (rc == 0 && s->policy.started) {
		str_clear(&words);
		rc = str_appends(&out, ";\r\n\t");
		if (rc == 0)
			rc = test_old_adsp(s, &words);
		if (rc == 0)
			rc = test_old_fold(&out, &words);
	}
	char *v = rc == 0 ? arena_strndup(&s->arena, str_cstr(&out), out.len) : NULL;
	str_free(&out);
	str_free(&words);
	return v;
}


/* ---- the test ---- */

static unsigned test_seed = 12345;

/* test_rand - a small deterministic generator */
static unsigned test_rand(unsigned n)
{
	test_seed = test_seed * 1103515245u + 12345u;
	return (test_seed >> 8) % n;
}

/* test_text - a random value of up to max bytes from one of several alphabets */
static const char *test_text(struct arena *a, size_t max)
{
	static const char *const alphabets[] = {
		"abcdefghijklmnopqrstuvwxyz0123456789.-",
		"abcdefghijklmnopqrstuvwxyz@/=+",
		"abc def\"\\();:,<>[]?",
		"ab\x01\x1f\x7f\r\n\t\x80\xc3\xa9 z",
	};
	const char *alpha = alphabets[test_rand(4)];
	size_t n = test_rand((unsigned)max + 1), k = strlen(alpha);
	char *t = arena_alloc(a, n + 1);
	for (size_t i = 0; i < n; i++)
		t[i] = alpha[test_rand((unsigned)k)];
	return t;
}

/* test_result - a random result */
static void test_result(struct arena *a, struct dkmod_sig_result *r, const char *b_base)
{
	static const unsigned bits[] = {0, 512, 1024, 2048, 4096, 65535};
	memset(r, 0, sizeof *r);
	r->method = test_rand(3) == 0 ? DKMOD_METHOD_DOMAINKEYS : DKMOD_METHOD_DKIM;
	r->result = (enum dkmod_result)test_rand(7);
	r->reason = test_rand(3) ? "" : test_text(a, 60);
	r->domain = test_text(a, 90);
	r->selector = test_text(a, 40);
	r->identity = test_rand(2) ? "" : test_text(a, 120);
	r->algorithm = test_rand(2) ? "rsa-sha256" : test_text(a, 20);
	/* b= values share prefixes of every length, so that the shortest unique one varies */
	size_t bl = test_rand(40);
	char *b = arena_alloc(a, bl + 1);
	for (size_t i = 0; i < bl; i++)
		b[i] = i < 20 ? b_base[i] : "ABCD+/"[test_rand(6)];
	r->b = b;
	r->dk_status = "";
	r->sender = test_rand(2) ? "" : test_text(a, 70);
	r->sender_from_sender = test_rand(2);
	r->key_bits = bits[test_rand(6)];
	r->testing = test_rand(4) == 0;
	r->dnssec = (enum dkmod_dnssec)test_rand(4);
	r->body_length = -1;
	if ((r->partial_body = r->method == DKMOD_METHOD_DKIM && test_rand(4) == 0)) {
		r->body_length = (long)test_rand(100000);
		r->body_bytes = r->body_length + 1 + test_rand(1000000);
	}
}

/* main - many random sessions through both writers */
int main(void)
{
	struct dkmod_ctx ctx;
	int same = 1, fields = 1;
	size_t rounds = 3000, shown = 0;
	memset(&ctx, 0, sizeof ctx);
	for (size_t round = 0; round < rounds; round++) {
		struct dkmod_session s;
		struct dkmod_sig_result results[5];
		memset(&s, 0, sizeof s);
		arena_init(&s.arena);
		s.ctx = &ctx;
		ctx.opt.authserv_id = round % 2 ? "mx.example.net" : "a-rather-long-authserv-id.mail.example.org";
		s.nresults = test_rand(6);
		for (size_t i = 0; i < s.nresults; i++)
			test_result(&s.arena, &results[i], "ABCDEFGHIJKLMNOPQRST");
		s.results = results;
		s.policy.started = test_rand(2);
		s.policy.dk.verdict = test_rand(3) ? "neutral" : test_text(&s.arena, 30);
		s.policy.adsp.result = test_rand(2) ? "none" : "temperror";
		s.policy.adsp.author = test_rand(3) ? "" : test_text(&s.arena, 100);
		char *want = test_old_build(&s);
		char *got = ar_build(&s);
		bool ok = want && got && strcmp(want, got) == 0;
		same &= ok;
		fields &= s.ar_field && strncmp(s.ar_field, "Authentication-Results: ", 24) == 0 &&
			   got == s.ar_field + 24;
		if (!ok && shown++ < 3)
			printf("# round %zu:\n# want: %s\n# got:  %s\n", round, want ? want : "(null)", got ? got : "(null)");
		arena_free(&s.arena);
	}
	CHECK("every shape of result: the same bytes as the printf writer", same);
	CHECK("the whole field is kept beside the value", fields);
	return unit_done();
}
