/*
 * test_canon.c - canonicalization: golden outputs for every flavour, every
 * input split at every position, l= limits, and the empty-body hashes;
 * the vector code (core/body/canon_vec.c) against the portable code on bodies
 * made to hit its block edges.
 */
#include <stdlib.h>

#include "record/base64.h"
#include "body/canon.h"
#include "canon_fixture.h"
#include "msg/header.h"
#include "key/crypto.h"
#include "unit.h"

/* run_body - canonicalize input given in pieces of at most piece bytes (0: one piece, or split at split) */
static void run_body(enum dkmod_canon c, bool dk, long long limit, const char *in, size_t split, struct str *out,
		     long long *length)
{
	struct canon_body *b = malloc(sizeof *b);
	str_clear(out);
	canon_body_init(b, c, dk, limit, collect, out);
	size_t n = strlen(in);
	if (split > n)
		split = n;
	canon_body_update(b, in, split);
	canon_body_update(b, in + split, n - split);
	canon_body_final(b);
	if (length)
		*length = canon_body_length(b);
	free(b);
}

struct body_case {
	const char *name;
	enum dkmod_canon canon;
	bool dk;
	const char *in;
	const char *want;
};

static const struct body_case body_cases[] = {
	{"simple empty", DKMOD_CANON_SIMPLE, false, "", "\r\n"},
	{"simple only blank lines", DKMOD_CANON_SIMPLE, false, "\r\n\r\n\r\n", "\r\n"},
	{"simple trailing blank lines", DKMOD_CANON_SIMPLE, false, "a\r\nb\r\n\r\n\r\n", "a\r\nb\r\n"},
	{"simple no final crlf", DKMOD_CANON_SIMPLE, false, "a\r\nb", "a\r\nb\r\n"},
	{"simple bare lf", DKMOD_CANON_SIMPLE, false, "a\nb  \n\n", "a\r\nb  \r\n"},
	{"simple keeps whitespace", DKMOD_CANON_SIMPLE, false, " a \t b \r\n \r\n", " a \t b \r\n \r\n"},
	{"simple inner blank lines", DKMOD_CANON_SIMPLE, false, "a\r\n\r\n\r\nb\r\n", "a\r\n\r\n\r\nb\r\n"},
	{"simple lone cr kept", DKMOD_CANON_SIMPLE, false, "a\rb\r\n", "a\rb\r\n"},
	{"simple lone cr at end", DKMOD_CANON_SIMPLE, false, "a\r", "a\r\r\n"},
	{"simple leading blank lines", DKMOD_CANON_SIMPLE, false, "\r\n\nx", "\r\n\r\nx\r\n"},
	{"relaxed empty", DKMOD_CANON_RELAXED, false, "", ""},
	{"relaxed only blank lines", DKMOD_CANON_RELAXED, false, "\r\n \r\n\t\r\n", ""},
	{"relaxed collapse and trim", DKMOD_CANON_RELAXED, false, "a  b\t\tc \t\r\n", "a b c\r\n"},
	{"relaxed leading wsp kept as one", DKMOD_CANON_RELAXED, false, "  a\r\n", " a\r\n"},
	{"relaxed trailing wsp lines dropped", DKMOD_CANON_RELAXED, false, "a\r\n  \r\n\t\r\n", "a\r\n"},
	{"relaxed no final crlf", DKMOD_CANON_RELAXED, false, "a b ", "a b\r\n"},
	{"relaxed bare lf", DKMOD_CANON_RELAXED, false, "a \nb\n\n", "a\r\nb\r\n"},
	{"relaxed inner blank kept", DKMOD_CANON_RELAXED, false, "a\r\n \r\nb", "a\r\n\r\nb\r\n"},
	{"relaxed lone cr", DKMOD_CANON_RELAXED, false, "a \rb\r\n", "a \rb\r\n"},
	{"relaxed 8bit", DKMOD_CANON_RELAXED, false, "\xc3\xa9  \xff\r\n", "\xc3\xa9 \xff\r\n"},
	{"dk simple empty", DKMOD_CANON_SIMPLE, true, "", ""},
	{"dk simple body", DKMOD_CANON_SIMPLE, true, "a\r\n\r\n", "\r\na\r\n"},
	{"dk simple no final crlf", DKMOD_CANON_SIMPLE, true, "a\r\nb", "\r\na\r\nb"},
	{"dk simple blank only", DKMOD_CANON_SIMPLE, true, "\r\n\r\n", ""},
	{"dk nofws", DKMOD_CANON_NOFWS, true, "a b\tc \r\n  \r\n", "\r\nabc\r\n"},
	{"dk nofws stray cr", DKMOD_CANON_NOFWS, true, "a\rb\r\n", "\r\nab\r\n"},
	{"dk nofws bare lf", DKMOD_CANON_NOFWS, true, "a\nb \n", "\r\na\r\nb\r\n"},
	{"dk nofws wsp only", DKMOD_CANON_NOFWS, true, " \t\r\n", ""},
};

/* test_bodies - every case, one piece and split at every position */
static void test_bodies(void)
{
	struct str out = STR_INIT;
	char name[200];
	for (size_t i = 0; i < sizeof body_cases / sizeof *body_cases; i++) {
		const struct body_case *c = &body_cases[i];
		run_body(c->canon, c->dk, -1, c->in, strlen(c->in), &out, NULL);
		CHECK_MEM(c->name, out.data ? out.data : "", out.len, c->want, strlen(c->want));
		bool all = true;
		for (size_t s = 0; s <= strlen(c->in); s++) {
			run_body(c->canon, c->dk, -1, c->in, s, &out, NULL);
			if (out.len != strlen(c->want) || memcmp(str_cstr(&out), c->want, out.len) != 0)
				all = false;
		}
		snprintf(name, sizeof name, "%s, split anywhere", c->name);
		CHECK(name, all);
	}
	str_free(&out);
}

/* test_limit - l= cuts the canonical stream but the length counts all */
static void test_limit(void)
{
	struct str out = STR_INIT;
	long long len = 0;
	run_body(DKMOD_CANON_RELAXED, false, 5, "abc  def\r\n\r\n", 3, &out, &len);
	CHECK_MEM("l=5 relaxed", str_cstr(&out), out.len, "abc d", 5);
	CHECK_INT("l=5 relaxed full length", len, 9);
	run_body(DKMOD_CANON_SIMPLE, false, 0, "abc\r\n", 1, &out, &len);
	CHECK_INT("l=0 emits nothing", out.len, 0);
	run_body(DKMOD_CANON_SIMPLE, false, 100, "abc\r\n", 1, &out, &len);
	CHECK_MEM("l beyond body", str_cstr(&out), out.len, "abc\r\n", 5);
	str_free(&out);
}

/* test_large - a long body in odd chunk sizes equals the one-shot result */
static void test_large(void)
{
	size_t n = 300000;
	char *in = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		in[i] = "ab c\t\r\nxyz\n  "[i % 13];
	in[n] = '\0';
	enum dkmod_canon cs[] = {DKMOD_CANON_SIMPLE, DKMOD_CANON_RELAXED, DKMOD_CANON_NOFWS};
	for (size_t k = 0; k < 3; k++) {
		struct str one = STR_INIT, many = STR_INIT;
		struct canon_body *b = malloc(sizeof *b);
		canon_body_init(b, cs[k], cs[k] == DKMOD_CANON_NOFWS, -1, collect, &one);
		canon_body_update(b, in, n);
		canon_body_final(b);
		canon_body_init(b, cs[k], cs[k] == DKMOD_CANON_NOFWS, -1, collect, &many);
		for (size_t off = 0, step = 1; off < n; off += step, step = step * 7 % 5003 + 1)
			canon_body_update(b, in + off, off + step > n ? n - off : step);
		canon_body_final(b);
		char name[80];
		snprintf(name, sizeof name, "large body chunked, canon %zu", k);
		CHECK(name, one.len == many.len && one.len > 0 && memcmp(one.data, many.data, one.len) == 0);
		free(b);
		str_free(&one);
		str_free(&many);
	}
	free(in);
}

struct hash_sink {
	struct crypto_hasher *h;
};

/* hash_collect - a sink into a hasher */
static void hash_collect(void *arg, const void *data, size_t len)
{
	crypto_hasher_update(arg, data, len);
}

/* test_empty_hashes - the four empty-body hashes of the spec notes */
static void test_empty_hashes(void)
{
	static const struct {
		const char *name;
		enum dkmod_canon canon;
		enum crypto_hash hash;
		const char *want;
	} rows[] = {
		{"empty body simple sha1", DKMOD_CANON_SIMPLE, CRYPTO_SHA1, "uoq1oCgLlTqpdDX/iUbLy7J1Wic="},
		{"empty body simple sha256", DKMOD_CANON_SIMPLE, CRYPTO_SHA256, "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY="},
		{"empty body relaxed sha1", DKMOD_CANON_RELAXED, CRYPTO_SHA1, "2jmj7l5rSw0yVb/vlWAYkK/YBwk="},
		{"empty body relaxed sha256", DKMOD_CANON_RELAXED, CRYPTO_SHA256, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		struct crypto_hasher *h = crypto_hasher_new(rows[i].hash);
		struct canon_body *b = malloc(sizeof *b);
		canon_body_init(b, rows[i].canon, false, -1, hash_collect, h);
		canon_body_update(b, "\r\n\r\n", 4); /* blank lines only: same as empty */
		canon_body_final(b);
		unsigned char d[CRYPTO_MAX_DIGEST];
		crypto_hasher_final(h, d);
		char b64[64];
		base64_encode(d, crypto_hash_size(rows[i].hash), b64);
		CHECK_STR(rows[i].name, b64, rows[i].want);
		crypto_hasher_free(h);
		free(b);
	}
}

struct header_case {
	const char *name;
	enum dkmod_canon canon;
	const char *in;
	const char *want;
};

static const struct header_case header_cases[] = {
	{"header simple", DKMOD_CANON_SIMPLE, "SubJect :  a  b\r\n\tc ", "SubJect :  a  b\r\n\tc \r\n"},
	{"header simple bare lf fold", DKMOD_CANON_SIMPLE, "X: a\n b", "X: a\r\n b\r\n"},
	{"header relaxed", DKMOD_CANON_RELAXED, "SubJect :  a  b\r\n\tc ", "subject:a b c\r\n"},
	{"header relaxed empty value", DKMOD_CANON_RELAXED, "X-Empty:   ", "x-empty:\r\n"},
	{"header relaxed fold at start", DKMOD_CANON_RELAXED, "To:\r\n  x@y", "to:x@y\r\n"},
	{"header relaxed 8bit", DKMOD_CANON_RELAXED, "X: \xc3\xa9\t\xc3\xa9", "x:\xc3\xa9 \xc3\xa9\r\n"},
	/* single SPs and CRLF-WSP folds between long words: taken inside the eight-byte copy */
	{"header relaxed signature folds", DKMOD_CANON_RELAXED,
	 "DKIM-Signature: v=1; a=ed25519-sha256;\r\n\tc=relaxed/relaxed; h=from:to:\r\n\tsubject:date;\r\n\tb=",
	 "dkim-signature:v=1; a=ed25519-sha256; c=relaxed/relaxed; h=from:to: subject:date; b=\r\n"},
	{"header relaxed fold then wsp", DKMOD_CANON_RELAXED, "X: abcdefghij\r\n\t  klmnopqrst \r\n\t",
	 "x:abcdefghij klmnopqrst\r\n"},
	/* a long name lower-cased eight bytes at a time: only 'A'..'Z' change ('@' and '[' beside them,
	 * 8-bit bytes and the tail after the last eight stay) */
	{"header relaxed long name", DKMOD_CANON_RELAXED, "X-@AZ[`az{~Mixed-CASE-\xc3\x89Name-TAIL : v",
	 "x-@az[`az{~mixed-case-\xc3\x89name-tail:v\r\n"},
	{"header relaxed no colon", DKMOD_CANON_RELAXED, "No Colon\r\n", "No Colon\r\n\r\n"},
	{"header nofws", DKMOD_CANON_NOFWS, "From : Joe  <j@x>\r\n\t(c)", "From:Joe<j@x>(c)\r\n"},
};

/* test_headers - header canonicalization golden outputs */
static void test_headers(void)
{
	struct str out = STR_INIT;
	for (size_t i = 0; i < sizeof header_cases / sizeof *header_cases; i++) {
		const struct header_case *c = &header_cases[i];
		str_clear(&out);
		canon_header(c->canon, c->in, strlen(c->in), true, &out);
		CHECK_MEM(c->name, str_cstr(&out), out.len, c->want, strlen(c->want));
	}
	str_clear(&out);
	canon_header(DKMOD_CANON_RELAXED, "A: b ", 5, false, &out);
	CHECK_STR("header without crlf", str_cstr(&out), "a:b");
	str_free(&out);
}

/* relaxed_reference - RFC 6376 3.4.2 header relaxed, byte by byte (the oracle) */
static size_t relaxed_reference(const char *in, size_t n, char *out)
{
	size_t o = 0, colon = 0, end;
	while (colon < n && in[colon] != ':')
		colon++;
	end = colon;
	while (end > 0 && (in[end - 1] == ' ' || in[end - 1] == '\t'))
		end--;
	for (size_t i = 0; i < end; i++)
		out[o++] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] + 32) : in[i];
	out[o++] = ':';
	bool wsp = false, started = false;
	for (size_t i = colon + 1; i < n; i++) {
		char c = in[i];
		if (c == '\n' || (c == '\r' && i + 1 < n && in[i + 1] == '\n'))
			continue; /* a line end; a bare CR is a byte of the value */
		if (c == ' ' || c == '\t') {
			wsp = true;
			continue;
		}
		if (wsp && started)
			out[o++] = ' ';
		wsp = false;
		started = true;
		out[o++] = c;
	}
	return o;
}

/* test_headers_random - relaxed header canonicalization = the reference on random fields of
 * words, WSP runs, folds, control and 8-bit bytes, every length up to 300, names of either case
 * short and long (lower-cased eight bytes at a time), with and without the final CRLF; on the
 * vector code (its 64-byte blocks) and the portable code; one field in eight may hold a bare
 * CR, a bare LF or a line end without WSP after it (which the vector code leaves to the other) */
static void test_headers_random(bool portable)
{
	static const char *const pieces[] = {"a", "Bc", "defghijk", "LMNOPQRSTUV", " ", "\t", "  \t ", "\r\n ",
					     "\r\n\t", "\x01", "\x7f", "\xc3\xa9", ";", "=", "<x@y.z>", ",",
					     "\r", "\n", "\r\nx", "\n\n "};
	char in[512], want[600];
	struct str out = STR_INIT;
	int wrong = 0, wrong_named = 0, named = 0;
	srand(4);
	canon_set_portable(portable);
	for (int r = 0; r < 6000; r++) {
		static const char *const names[] = {"To", "X-Long-Name ", "Content-TYPE", "X-@AZ[`az{~\xc3\x89-LONG-name-Q"};
		size_t n = (size_t)snprintf(in, sizeof in, "%s:", names[r % 4]);
		size_t target = (size_t)(rand() % 300), npieces = r % 8 == 0 ? 20 : 16;
		while (n < target) {
			const char *p = pieces[(size_t)rand() % npieces];
			size_t k = strlen(p);
			if (n + k >= sizeof in)
				break;
			memcpy(in + n, p, k);
			n += k;
		}
		size_t wl = relaxed_reference(in, n, want);
		bool crlf = r % 5 == 0; /* the CRLF a hashed field ends with, written in the same room */
		if (crlf) {
			memcpy(want + wl, "\r\n", 2);
			wl += 2;
		}
		str_clear(&out);
		canon_header(DKMOD_CANON_RELAXED, in, n, crlf, &out);
		if (out.len != wl || memcmp(str_cstr(&out), want, wl) != 0) {
			if (!wrong)
				CHECK_MEM("relaxed header = reference (first difference)", str_cstr(&out), out.len, want, wl);
			wrong++;
		}
		/* a stored field: its name and colon as header_field_init found them */
		struct header_field f;
		if (!header_field_init(&f, in, n))
			continue;
		named++;
		str_clear(&out);
		canon_header_named(DKMOD_CANON_RELAXED, in, n, f.name_len, f.value_off - 1, crlf, &out);
		if (out.len != wl || memcmp(str_cstr(&out), want, wl) != 0) {
			if (!wrong_named)
				CHECK_MEM("relaxed named header = reference (first difference)", str_cstr(&out), out.len, want, wl);
			wrong_named++;
		}
	}
	canon_set_portable(false);
	CHECK_INT(portable ? "relaxed header = reference on 6000 random fields (portable code)"
			   : "relaxed header = reference on 6000 random fields", wrong, 0);
	CHECK_INT(portable ? "relaxed named header = reference on the well-formed ones (portable code)"
			   : "relaxed named header = reference on the well-formed ones", wrong_named, 0);
	CHECK(portable ? "most random fields are well-formed (portable code)" : "most random fields are well-formed",
	      named > 4000);
	str_free(&out);
}

/* run_code - canonicalize in pieces cut at cuts[] (ascending, ncut of them) on one code */
static void run_code(bool portable, enum dkmod_canon c, bool dk, long long limit, const char *in, size_t n,
		     const size_t *cuts, size_t ncut, struct str *out, long long *length)
{
	struct canon_body *b = malloc(sizeof *b);
	canon_set_portable(portable);
	str_clear(out);
	canon_body_init(b, c, dk, limit, collect, out);
	canon_feed(b, in, n, cuts, ncut);
	*length = canon_body_length(b);
	canon_set_portable(false);
	free(b);
}

/* same_bytes - the portable code gives the same for a body whole and fed a byte at a time (each
 * byte then goes on its own: a span the whole body takes at once must canonicalize as they do) */
static bool same_bytes(enum dkmod_canon c, bool dk, long long limit, const char *in, size_t n)
{
	struct str a = STR_INIT, b = STR_INIT;
	long long la, lb;
	size_t *cuts = malloc((n ? n : 1) * sizeof *cuts);
	for (size_t i = 0; i < n; i++)
		cuts[i] = i;
	run_code(true, c, dk, limit, in, n, NULL, 0, &a, &la);
	run_code(true, c, dk, limit, in, n, cuts, n, &b, &lb);
	bool same = la == lb && a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
	free(cuts);
	str_free(&a);
	str_free(&b);
	return same;
}

/* same_code - the vector and the portable code agree on a body, whole and cut at cuts[] */
static bool same_code(enum dkmod_canon c, bool dk, long long limit, const char *in, size_t n, const size_t *cuts,
		      size_t ncut)
{
	struct str a = STR_INIT, b = STR_INIT, w = STR_INIT;
	long long la, lb, lw;
	run_code(true, c, dk, limit, in, n, NULL, 0, &w, &lw);
	run_code(false, c, dk, limit, in, n, NULL, 0, &a, &la);
	run_code(false, c, dk, limit, in, n, cuts, ncut, &b, &lb);
	bool same = la == lw && lb == lw && a.len == w.len && b.len == w.len &&
		    (w.len == 0 || (memcmp(a.data, w.data, w.len) == 0 && memcmp(b.data, w.data, w.len) == 0));
	str_free(&a);
	str_free(&b);
	str_free(&w);
	return same;
}

/* test_vector_edges - pieces of lines put at 64-byte block edges, each flavour, both codes, and
 * the portable code whole against it fed a byte at a time */
static void test_vector_edges(void)
{
	static const char *const pieces[] = {
		"  ", " \t ", "\t", " \r\n", "  \r\n", "\r\n", "\n", "\r", " \r", "\r\r\n", "\r\n\r\n\r\n", "\n\n",
		" \n", "\t\r\n", "x \ty", "\r\n \r\n", "a\rb",
	};
	static const enum dkmod_canon cs[] = {DKMOD_CANON_SIMPLE, DKMOD_CANON_RELAXED, DKMOD_CANON_NOFWS};
	char in[400];
	bool all = true;
	char name[160];
	for (size_t pi = 0; pi < sizeof pieces / sizeof *pieces; pi++) {
		size_t pl = strlen(pieces[pi]);
		/* the piece at every offset around the edges at 64 and 128, between base64-like text */
		for (size_t at = 56; at <= 136; at++) {
			size_t n = 0;
			for (; n < at; n++)
				in[n] = (n % 40 == 39) ? '\n' : "QUJDREVGR0hJSktMTU5PUFFS"[n % 24];
			memcpy(in + n, pieces[pi], pl);
			n += pl;
			for (size_t j = 0; j < 90; j++)
				in[n++] = j % 30 == 29 ? '\r' : (j % 30 == 0 && j ? '\n' : "abc de"[j % 6]);
			for (size_t k = 0; k < 3; k++) {
				size_t cuts[2] = {at, at + pl < n ? at + pl : n};
				size_t cut1[1] = {at + 1};
				if (!same_code(cs[k], k == 2, -1, in, n, cuts, 2) || !same_bytes(cs[k], k == 2, -1, in, n) ||
				    !same_code(cs[k], k == 2, -1, in, at + pl, cut1, 1) ||
				    !same_code(cs[k], k == 2, 70, in, n, cuts, 2)) {
					snprintf(name, sizeof name, "vector = portable: piece %zu at %zu, canon %zu", pi, at, k);
					CHECK(name, false);
					all = false;
				}
			}
		}
	}
	CHECK("vector code = portable code at block edges", all);
}

/* test_vector_random - random bodies of SP, HTAB, CR, LF and letters, cut at random points (and
 * one in eight fed a byte at a time to the portable code) */
static void test_vector_random(void)
{
	static const enum dkmod_canon cs[] = {DKMOD_CANON_SIMPLE, DKMOD_CANON_RELAXED, DKMOD_CANON_NOFWS};
	static const char alphabet[] = "  \t\r\n\nab\xff\r\n";
	unsigned long long r = 88172645463325252ULL;
	char *in = malloc(3000);
	bool all = true;
	for (int round = 0; round < 3000 && all; round++) {
		size_t n = (size_t)(unit_rand(&r) % 2900);
		bool sparse = round % 3 == 0; /* mostly letters: long spans without a change */
		for (size_t i = 0; i < n; i++) {
			unit_rand(&r);
			in[i] = sparse && r % 50 ? "QUJDREVGR0hJSktMTU5PUFFS"[r % 24] : alphabet[r % (sizeof alphabet - 1)];
		}
		size_t cuts[4];
		unit_cuts(&r, n, cuts, 4);
		for (size_t k = 0; k < 3; k++) {
			long long limit = round % 4 == 1 ? (long long)(r % 2000) : -1;
			if (!same_code(cs[k], k == 2, limit, in, n, cuts, 4) ||
			    (round % 8 == 0 && !same_bytes(cs[k], k == 2, limit, in, n))) {
				char name[80];
				snprintf(name, sizeof name, "vector = portable: random body %d, canon %zu", round, k);
				CHECK(name, false);
				all = false;
			}
		}
	}
	CHECK("vector code = portable code on random bodies", all);
	free(in);
}

/* test_vector_golden - the golden cases on the portable code too */
static void test_vector_golden(void)
{
	struct str out = STR_INIT;
	bool all = true;
	canon_set_portable(true);
	for (size_t i = 0; i < sizeof body_cases / sizeof *body_cases; i++) {
		const struct body_case *c = &body_cases[i];
		for (size_t s = 0; s <= strlen(c->in); s++) {
			run_body(c->canon, c->dk, -1, c->in, s, &out, NULL);
			if (out.len != strlen(c->want) || memcmp(str_cstr(&out), c->want, out.len) != 0)
				all = false;
		}
	}
	canon_set_portable(false);
	CHECK("golden cases on the portable code", all);
	str_free(&out);
}

int main(void)
{
	test_bodies();
	test_limit();
	test_large();
	test_empty_hashes();
	test_headers();
	test_headers_random(false);
	test_headers_random(true);
	if (!canon_set_portable(false))
		printf("note: no vector code on this machine; vector tests compare the portable code with itself\n");
	test_vector_golden();
	test_vector_edges();
	test_vector_random();
	return unit_done();
}
