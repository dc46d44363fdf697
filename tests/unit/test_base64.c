/* test_base64.c - unit tests of the strict base64 decoder and the encoder */
#include <stdint.h>
#include <stdlib.h>

#include "record/base64.h"
#include "unit.h"

/* A literal with its length, so embedded NULs count. */
#define T(s) s, sizeof(s) - 1
/* outcap meaning "the whole test buffer" */
#define FULL ((size_t)-1)
#define BUFCAP 256
#define CANARY 0xa5

struct base64_dec_case {
	const char *name;
	const char *in;
	size_t inlen;
	size_t outcap;
	long want;          /* decoded length or -1 */
	const char *out;    /* expected bytes when want >= 0 */
	size_t outlen;
};

static const struct base64_dec_case base64_dec_cases[] = {
	/* RFC 4648 section 10 */
	{ "rfc4648 empty", T(""), FULL, 0, T("") },
	{ "rfc4648 f", T("Zg=="), FULL, 1, T("f") },
	{ "rfc4648 fo", T("Zm8="), FULL, 2, T("fo") },
	{ "rfc4648 foo", T("Zm9v"), FULL, 3, T("foo") },
	{ "rfc4648 foob", T("Zm9vYg=="), FULL, 4, T("foob") },
	{ "rfc4648 fooba", T("Zm9vYmE="), FULL, 5, T("fooba") },
	{ "rfc4648 foobar", T("Zm9vYmFy"), FULL, 6, T("foobar") },
	{ "whole alphabet", T("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"), FULL, 48,
	  T("\x00\x10\x83\x10\x51\x87\x20\x92\x8b\x30\xd3\x8f\x41\x14\x93\x51\x55\x97\x61\x96\x9b\x71\xd7\x9f"
	    "\x82\x18\xa3\x92\x59\xa7\xa2\x9a\xab\xb2\xdb\xaf\xc3\x1c\xb3\xd3\x5d\xb7\xe3\x9e\xbb\xf3\xdf\xbf") },
	{ "all ones", T("////"), FULL, 3, T("\xff\xff\xff") },
	{ "all zeros", T("AAAA"), FULL, 3, T("\0\0\0") },
	/* folding whitespace anywhere */
	{ "spaces around and inside", T(" Zm9v YmFy "), FULL, 6, T("foobar") },
	{ "CRLF SP fold", T("Zm9v\r\n YmFy"), FULL, 6, T("foobar") },
	{ "tab, bare LF, bare CR", T("Zm\t9v\nYm\rFy"), FULL, 6, T("foobar") },
	{ "whitespace between pads", T("Zm9vYg= ="), FULL, 4, T("foob") },
	{ "whitespace before pad", T("Zm9vYmE\t="), FULL, 5, T("fooba") },
	{ "trailing CRLF after pad", T("Zm9vYg==\r\n"), FULL, 4, T("foob") },
	{ "only whitespace", T(" \t\r\n "), FULL, 0, T("") },
	/* length */
	{ "one char", T("Z"), FULL, -1, T("") },
	{ "three chars", T("Zm9"), FULL, -1, T("") },
	{ "five chars", T("Zm9vY"), FULL, -1, T("") },
	{ "unpadded two chars", T("Zg"), FULL, -1, T("") },
	{ "unpadded three chars", T("Zm8"), FULL, -1, T("") },
	{ "whitespace does not count toward length", T("Zm9 "), FULL, -1, T("") },
	/* padding */
	{ "pad only", T("===="), FULL, -1, T("") },
	{ "one char three pads", T("Z==="), FULL, -1, T("") },
	{ "leading pad", T("=Zm9v"), FULL, -1, T("") },
	{ "single pad incomplete group", T("Zg="), FULL, -1, T("") },
	{ "three pads", T("Zm8=="), FULL, -1, T("") },
	{ "pad after a full group", T("Zm9v="), FULL, -1, T("") },
	{ "pad group after full group", T("Zm9v===="), FULL, -1, T("") },
	{ "data after padded group", T("Zg==Zm9v"), FULL, -1, T("") },
	{ "two padded groups", T("Zg==Zg=="), FULL, -1, T("") },
	{ "data inside pad", T("Zg=v"), FULL, -1, T("") },
	{ "pad in the middle", T("Z=g="), FULL, -1, T("") },
	{ "pad then data at 4th", T("Zm=9"), FULL, -1, T("") },
	/* unused bits */
	{ "nonzero 4 unused bits", T("Zh=="), FULL, -1, T("") },
	{ "nonzero low unused bit", T("ZB=="), FULL, -1, T("") },
	{ "nonzero 2 unused bits", T("Zm9="), FULL, -1, T("") },
	{ "nonzero low unused bit of 3", T("Zm5="), FULL, -1, T("") },
	/* characters */
	{ "url-safe minus", T("Zm9v-A=="), FULL, -1, T("") },
	{ "url-safe underscore", T("Zm9v_A=="), FULL, -1, T("") },
	{ "exclamation", T("Zm9v!"), FULL, -1, T("") },
	{ "embedded NUL", T("Zm\0009vYmFy"), FULL, -1, T("") },
	{ "trailing NUL", T("Zm9v\0"), FULL, -1, T("") },
	{ "high byte", T("Zm9v\x80YmFy"), FULL, -1, T("") },
	{ "0xff byte", T("Zm9vYmF\xff"), FULL, -1, T("") },
	{ "vertical tab", T("Zm9v\vYmFy"), FULL, -1, T("") },
	{ "form feed", T("Zm9v\fYmFy"), FULL, -1, T("") },
	{ "semicolon", T("Zm9v;YmFy"), FULL, -1, T("") },
	{ "dot", T("Zm9v.mFy"), FULL, -1, T("") },
	/* output capacity */
	{ "cap exact 6", T("Zm9vYmFy"), 6, 6, T("foobar") },
	{ "cap one short of 6", T("Zm9vYmFy"), 5, -1, T("") },
	{ "cap 0 with data", T("Zm9v"), 0, -1, T("") },
	{ "cap 0 empty input", T(""), 0, 0, T("") },
	{ "cap 1 for one byte", T("Zg=="), 1, 1, T("f") },
	{ "cap 0 for one byte", T("Zg=="), 0, -1, T("") },
	{ "cap 1 for two bytes", T("Zm8="), 1, -1, T("") },
	{ "cap 4 for five bytes", T("Zm9vYmE="), 4, -1, T("") },
	{ "cap 5 for five bytes", T("Zm9vYmE="), 5, 5, T("fooba") },
};

struct base64_enc_case {
	const char *name;
	const char *in;
	size_t inlen;
	const char *want;
};

static const struct base64_enc_case base64_enc_cases[] = {
	{ "encode rfc4648 empty", T(""), "" },
	{ "encode rfc4648 f", T("f"), "Zg==" },
	{ "encode rfc4648 fo", T("fo"), "Zm8=" },
	{ "encode rfc4648 foo", T("foo"), "Zm9v" },
	{ "encode rfc4648 foob", T("foob"), "Zm9vYg==" },
	{ "encode rfc4648 fooba", T("fooba"), "Zm9vYmE=" },
	{ "encode rfc4648 foobar", T("foobar"), "Zm9vYmFy" },
	{ "encode NUL byte", T("\0"), "AA==" },
	{ "encode 0xff x3", T("\xff\xff\xff"), "////" },
	{ "encode plus and slash", T("\xfb\xff"), "+/8=" },
};

struct base64_len_case {
	const char *name;
	size_t n;
	size_t decoded_max;
	size_t encoded_len;
};

static const struct base64_len_case base64_len_cases[] = {
	{ "lengths 0", 0, 0, 0 },
	{ "lengths 1", 1, 0, 4 },
	{ "lengths 2", 2, 0, 4 },
	{ "lengths 3", 3, 0, 4 },
	{ "lengths 4", 4, 3, 8 },
	{ "lengths 7", 7, 3, 12 },
	{ "lengths 8", 8, 6, 12 },
	{ "lengths 1000", 1000, 750, 1336 },
};

static char name_buf[256];

/* test_name - "base + suffix" for the checks of one case */
static const char *test_name(const char *base, const char *suffix)
{
	snprintf(name_buf, sizeof name_buf, "%s: %s", base, suffix);
	return name_buf;
}

/* test_decode_table - every row of base64_dec_cases, with a canary after outcap */
static void test_decode_table(void)
{
	for (size_t k = 0; k < sizeof base64_dec_cases / sizeof base64_dec_cases[0]; k++) {
		const struct base64_dec_case *c = &base64_dec_cases[k];
		unsigned char buf[BUFCAP + 16];
		size_t cap = c->outcap == FULL ? BUFCAP : c->outcap;
		int canary_ok = 1;
		long n;

		memset(buf, CANARY, sizeof buf);
		n = base64_decode(c->in, c->inlen, buf, cap);
		CHECK_INT(test_name(c->name, "result"), n, c->want);
		if (c->want >= 0 && n == c->want)
			CHECK_MEM(test_name(c->name, "bytes"), buf, (size_t)n, c->out, c->outlen);
		for (size_t i = cap; i < sizeof buf; i++)
			canary_ok &= buf[i] == CANARY;
		CHECK(test_name(c->name, "nothing written past outcap"), canary_ok);
	}
}

/* test_encode_table - every row of base64_enc_cases, and that it decodes back */
static void test_encode_table(void)
{
	for (size_t k = 0; k < sizeof base64_enc_cases / sizeof base64_enc_cases[0]; k++) {
		const struct base64_enc_case *c = &base64_enc_cases[k];
		char out[64];
		unsigned char back[64];
		long n;

		memset(out, CANARY, sizeof out);
		base64_encode((const unsigned char *)c->in, c->inlen, out);
		CHECK_STR(test_name(c->name, "text"), out, c->want);
		CHECK_INT(test_name(c->name, "encoded_len"), base64_encoded_len(c->inlen), strlen(c->want));
		n = base64_decode(out, strlen(out), back, sizeof back);
		CHECK_MEM(test_name(c->name, "round trip"), back, n < 0 ? 0 : (size_t)n, c->in, c->inlen);
	}
}

/* test_length_table - base64_decoded_max and base64_encoded_len */
static void test_length_table(void)
{
	for (size_t k = 0; k < sizeof base64_len_cases / sizeof base64_len_cases[0]; k++) {
		const struct base64_len_case *c = &base64_len_cases[k];

		CHECK_INT(test_name(c->name, "decoded_max"), base64_decoded_max(c->n), c->decoded_max);
		CHECK_INT(test_name(c->name, "encoded_len"), base64_encoded_len(c->n), c->encoded_len);
	}
}

/* test_byte_classes - every byte value inside a group: only the alphabet and FWS pass */
static void test_byte_classes(void)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int bad = 0;

	for (int b = 0; b < 256; b++) {
		int fws = b == ' ' || b == '\t' || b == '\r' || b == '\n';
		int alpha = b != 0 && strchr(alphabet, b) != NULL;
		/* b completes in8 only if significant; in9 is complete only if b is skipped */
		char in8[8] = { 'Z', 'm', '9', 'v', (char)b, 'Y', 'm', 'F' };
		char in9[9] = { 'Z', 'm', '9', 'v', (char)b, 'Y', 'm', 'F', 'y' };
		unsigned char out[16];

		if (base64_decode(in8, sizeof in8, out, sizeof out) != (alpha ? 6 : -1))
			bad++;
		if (base64_decode(in9, sizeof in9, out, sizeof out) != (fws ? 6 : -1))
			bad++;
	}
	CHECK_INT("every byte value classified as alphabet, FWS or invalid", bad, 0);
}

/* test_fill - deterministic pseudo-random bytes */
static void test_fill(unsigned char *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(seed >> 16);
	}
}

/* test_round_trips - encode then decode every length from 0 to 300 */
static void test_round_trips(void)
{
	unsigned char in[300] = { 0 }, back[300];
	char enc[420];
	int bad = 0;

	for (size_t len = 0; len <= sizeof in; len++) {
		long n;

		test_fill(in, len, (uint32_t)len);
		base64_encode(in, len, enc);
		if (strlen(enc) != base64_encoded_len(len) || base64_decoded_max(strlen(enc)) < len)
			bad++;
		n = base64_decode(enc, strlen(enc), back, len);
		if (n != (long)len || memcmp(in, back, len) != 0)
			bad++;
		if (len > 0 && base64_decode(enc, strlen(enc), back, len - 1) != -1)
			bad++;
	}
	CHECK_INT("round trip of lengths 0..300 with exact outcap", bad, 0);
}

enum base64_long_kind {
	BASE64_LONG_FOLDED,      /* 100000 bytes encoded and folded every 64 characters */
	BASE64_LONG_FOLDED_SHORT, /* the same with one byte less room */
	BASE64_LONG_SPACES,      /* one million spaces */
	BASE64_LONG_BAD_AT_END,  /* a long valid text with a bad last character */
	BASE64_LONG_PAD_AT_START /* a long text starting with '=' */
};

struct base64_long_case {
	const char *name;
	enum base64_long_kind kind;
	long want;
};

static const struct base64_long_case base64_long_cases[] = {
	{ "long: 100000 bytes folded every 64 chars", BASE64_LONG_FOLDED, 100000 },
	{ "long: 100000 bytes folded, outcap one short", BASE64_LONG_FOLDED_SHORT, -1 },
	{ "long: one million spaces", BASE64_LONG_SPACES, 0 },
	{ "long: bad last character", BASE64_LONG_BAD_AT_END, -1 },
	{ "long: pad at the start", BASE64_LONG_PAD_AT_START, -1 },
};

/* test_long_inputs - very long inputs, built at run time */
static void test_long_inputs(void)
{
	enum { RAW = 100000 };
	unsigned char *raw = malloc(RAW), *back = malloc(RAW);
	size_t enc_len = base64_encoded_len(RAW);
	char *enc = malloc(enc_len + 1);
	char *text = malloc(1000000 + 1);

	if (!raw || !back || !enc || !text) {
		CHECK("long: allocation", 0);
		goto out;
	}
	test_fill(raw, RAW, 42);
	base64_encode(raw, RAW, enc);
	for (size_t k = 0; k < sizeof base64_long_cases / sizeof base64_long_cases[0]; k++) {
		const struct base64_long_case *c = &base64_long_cases[k];
		size_t tlen = 0, cap = RAW;
		long n;

		switch (c->kind) {
		case BASE64_LONG_FOLDED:
		case BASE64_LONG_FOLDED_SHORT:
			for (size_t i = 0; i < enc_len; i++) {
				if (i && i % 64 == 0) {
					memcpy(text + tlen, "\r\n\t", 3);
					tlen += 3;
				}
				text[tlen++] = enc[i];
			}
			if (c->kind == BASE64_LONG_FOLDED_SHORT)
				cap = RAW - 1;
			break;
		case BASE64_LONG_SPACES:
			memset(text, ' ', 1000000);
			tlen = 1000000;
			break;
		case BASE64_LONG_BAD_AT_END:
			memcpy(text, enc, enc_len);
			tlen = enc_len;
			text[tlen - 1] = '*';
			break;
		case BASE64_LONG_PAD_AT_START:
			memcpy(text, enc, enc_len);
			tlen = enc_len;
			text[0] = '=';
			break;
		}
		n = base64_decode(text, tlen, back, cap);
		CHECK_INT(test_name(c->name, "result"), n, c->want);
		if (c->kind == BASE64_LONG_FOLDED)
			CHECK(test_name(c->name, "bytes"), n == RAW && memcmp(raw, back, RAW) == 0);
	}
out:
	free(raw);
	free(back);
	free(enc);
	free(text);
}

/* test_positions - the whole-group fast path against the character-by-character rules:
 * whitespace, a bad byte, a '=' or an early end at every position of a long value */
static void test_positions(void)
{
	enum { RAW = 90 };
	unsigned char raw[RAW], back[RAW + 8];
	char enc[RAW / 3 * 4 + 1], text[sizeof enc + 8];
	size_t n = base64_encoded_len(RAW);
	int ws_ok = 1, bad_ok = 1, pad_ok = 1, cut_ok = 1, cap_ok = 1;

	test_fill(raw, RAW, 7);
	base64_encode(raw, RAW, enc);
	for (size_t at = 0; at <= n; at++) {
		/* a space or a folded line end anywhere: the same bytes */
		memcpy(text, enc, at);
		memcpy(text + at, "\r\n ", 3);
		memcpy(text + at + 3, enc + at, n - at);
		long got = base64_decode(text, n + 3, back, sizeof back);
		ws_ok &= got == RAW && memcmp(back, raw, RAW) == 0;
		/* a bad byte anywhere: refused */
		text[at] = '*';
		memcpy(text + at + 1, enc + at, n - at);
		bad_ok &= base64_decode(text, n + 1, back, sizeof back) == -1;
		/* a '=' inside the data (not at its end): refused */
		if (at + 2 < n) {
			memcpy(text, enc, n);
			text[at] = '=';
			pad_ok &= base64_decode(text, n, back, sizeof back) == -1;
		}
		/* cut short of a whole group: refused; at a group boundary: the bytes so far */
		got = base64_decode(enc, at, back, sizeof back);
		cut_ok &= at % 4 ? got == -1 : got == (long)(at / 4 * 3) && memcmp(back, raw, (size_t)got) == 0;
	}
	/* every output capacity short of the whole: refused, never written past */
	for (size_t cap = 0; cap < RAW; cap++) {
		memset(back, CANARY, sizeof back);
		cap_ok &= base64_decode(enc, n, back, cap) == -1;
		for (size_t i = cap; i < sizeof back; i++)
			cap_ok &= back[i] == CANARY;
	}
	CHECK("positions: whitespace anywhere", ws_ok);
	CHECK("positions: a bad byte anywhere", bad_ok);
	CHECK("positions: '=' inside the data", pad_ok);
	CHECK("positions: cut anywhere", cut_ok);
	CHECK("positions: every short capacity", cap_ok);
	CHECK_INT("positions: data after padding", base64_decode(T("QQ==QUJD"), back, sizeof back), -1);
	CHECK_INT("positions: data after padding, spaced", base64_decode(T("QUJD QQ== QUJD"), back, sizeof back), -1);
}

/* test_strip - base64_strip_fws against a byte-by-byte filter: whitespace and other
 * low bytes at every position, every output capacity */
static void test_strip(void)
{
	char in[100], want[128], got[128];
	int ok = 1;
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (char)('A' + i % 50);
	for (size_t at = 0; at < sizeof in; at++) {
		static const char specials[] = {' ', '\t', '\r', '\n', '\x01', '\x1f', '!', (char)0x80};
		for (size_t k = 0; k < sizeof specials; k++) {
			char v[sizeof in];
			memcpy(v, in, sizeof in);
			v[at] = specials[k];
			if (at + 9 < sizeof in)
				v[at + 9] = ' ';
			for (size_t cap = 1; cap <= sizeof want; cap += cap < 20 ? 1 : 37) {
				size_t w = 0;
				for (size_t i = 0; i < sizeof v && w + 1 < cap; i++)
					if (v[i] != ' ' && v[i] != '\t' && v[i] != '\r' && v[i] != '\n')
						want[w++] = v[i];
				want[w] = '\0';
				memset(got, 'Z', sizeof got);
				size_t n = base64_strip_fws(v, sizeof v, got, cap);
				ok &= strcmp(got, want) == 0 && (cap == sizeof got || got[cap] == 'Z') && n == w;
			}
		}
	}
	CHECK("strip: the same as a byte-by-byte filter, at every position and capacity, its length returned", ok);
}

/* test_decode_text - base64_decode_text against base64_decode and base64_strip_fws apart: a
 * folded value with a space, a folding, a bad byte, a NUL or a '=' at every position, every
 * text capacity and a short decoding room; nothing written past either room */
static void test_decode_text(void)
{
	enum { RAW = 48, ROOM = 80 };
	unsigned char raw[RAW], want_out[RAW], got_out[RAW + 8];
	char enc[RAW / 3 * 4 + 1], v[sizeof enc + 8], want_text[ROOM], got_text[ROOM + 8];
	static const char *const specials[] = {" ", "\r\n\t", "*", "", "=", "\x80", "==", "A"};
	size_t n = base64_encoded_len(RAW);
	int ok = 1, rooms_ok = 1;

	test_fill(raw, RAW, 11);
	base64_encode(raw, RAW, enc);
	for (size_t at = 0; at <= n; at++) {
		for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++) {
			size_t sl = k == 3 ? 1 : strlen(specials[k]), len = n + sl;
			memcpy(v, enc, at);
			memcpy(v + at, k == 3 ? "\0" : specials[k], sl);
			memcpy(v + at + sl, enc + at, n - at);
			for (size_t outcap = RAW - 2; outcap <= RAW; outcap++) {
				long want = base64_decode(v, len, want_out, outcap);
				for (size_t cap = 1; cap <= ROOM; cap += cap < 8 || cap > ROOM - 12 ? 1 : 5) {
					base64_strip_fws(v, len, want_text, cap);
					memset(got_out, CANARY, sizeof got_out);
					memset(got_text, 'Z', sizeof got_text);
					long got = base64_decode_text(v, len, got_out, outcap, got_text, cap);
					ok &= got == want && (got < 0 || memcmp(got_out, want_out, (size_t)got) == 0) &&
					      strcmp(got_text, want_text) == 0;
					for (size_t i = outcap; i < sizeof got_out; i++)
						rooms_ok &= got_out[i] == CANARY;
					for (size_t i = cap; i < sizeof got_text; i++)
						rooms_ok &= got_text[i] == 'Z';
				}
			}
		}
	}
	CHECK("decode_text: the decoding of base64_decode and the text of base64_strip_fws, at every position", ok);
	CHECK("decode_text: nothing written past either room", rooms_ok);
}

/* main - run every table */
int main(void)
{
	test_decode_table();
	test_encode_table();
	test_length_table();
	test_byte_classes();
	test_round_trips();
	test_long_inputs();
	test_positions();
	test_strip();
	test_decode_text();
	return unit_done();
}
