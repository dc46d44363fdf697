/* test_fold.c - unit tests of fold.c: header fields folded under FOLD_WIDTH with CRLF TAB,
 * and free text broken at its blanks (dkmod_header_fold) */
#include <stdlib.h>

#include "dkmod.h"
#include "msg/fold.h"
#include "unit.h"

static char name_buf[256];

/* test_name - "base: suffix" for the checks of one case */
static const char *test_name(const char *base, const char *suffix)
{
	snprintf(name_buf, sizeof name_buf, "%s: %s", base, suffix);
	return name_buf;
}

/* test_lines - every line at most FOLD_WIDTH, continuation lines "\t" then non-WSP, no empty or bare line ends */
static void test_lines(const char *name, const char *out, size_t len)
{
	size_t start = 0, longest = 0, lines = 0;
	bool tab_ok = true, no_trailing = true, bare = false;

	for (size_t i = 0; i < len; i++)
		if ((out[i] == '\r' && (i + 1 == len || out[i + 1] != '\n')) ||
		    (out[i] == '\n' && (i == 0 || out[i - 1] != '\r')))
			bare = true;
	for (;;) {
		const char *e = NULL;
		for (size_t i = start; i + 1 < len; i++)
			if (out[i] == '\r' && out[i + 1] == '\n') {
				e = out + i;
				break;
			}
		size_t end = e ? (size_t)(e - out) : len;
		if (end - start > longest)
			longest = end - start;
		if (lines > 0 && (end - start < 2 || out[start] != '\t' || out[start + 1] == ' ' || out[start + 1] == '\t'))
			tab_ok = false;
		if (end > start && (out[end - 1] == ' ' || (out[end - 1] == '\t' && end - start > 1)))
			no_trailing = false;
		lines++;
		if (!e)
			break;
		start = end + 2;
	}
	CHECK(test_name(name, "no bare CR or LF"), !bare);
	char d[64];
	snprintf(d, sizeof d, "lines at most %d columns", FOLD_WIDTH);
	CHECK(test_name(name, d), longest <= FOLD_WIDTH);
	CHECK(test_name(name, "continuation lines start with one TAB"), tab_ok);
	CHECK(test_name(name, "no trailing whitespace"), no_trailing);
}

/* test_unfold - out with each "\r\n\t" replaced by a space, or removed when after one of the bytes in glue */
static char *test_unfold(const char *out, size_t len, const char *glue)
{
	char *u = malloc(len + 1);
	size_t n = 0;

	if (!u)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (len - i >= 3 && memcmp(out + i, "\r\n\t", 3) == 0) {
			if (!(n && strchr(glue, u[n - 1])))
				u[n++] = ' ';
			i += 2;
			continue;
		}
		u[n++] = out[i];
	}
	u[n] = '\0';
	return u;
}

/* test_squeeze - s without spaces, "\r\n\t" and TABs: the words run together */
static void test_squeeze(char *s)
{
	size_t n = 0;

	for (size_t i = 0; s[i]; i++)
		if (!strchr(" \t\r\n", s[i]))
			s[n++] = s[i];
	s[n] = '\0';
}

/* Words: either the space-separated words of `words`, or `count` generated words of `len` letters. */
struct fold_word_case {
	const char *name;
	const char *field;
	const char *words;
	size_t count, len;
	size_t lines;        /* expected number of lines, 0: not checked */
};

static const struct fold_word_case fold_word_cases[] = {
	{ "words: short fits one line", "Subject", "v=1; a=rsa-sha256; c=relaxed/relaxed;", 0, 0, 1 },
	{ "words: signature tags", "DKIM-Signature",
	  "v=1; a=rsa-sha256; c=relaxed/relaxed; d=a-rather-long-domain-name.example.com; "
	  "s=selector-2024-01; i=someone@a-rather-long-domain-name.example.com; t=1717171717; x=1717999999;",
	  0, 0, 0 },
	{ "words: exactly 78 on the first line", "Subject", NULL, 1, 69, 1 },
	{ "words: one over 78 breaks", "Subject", NULL, 1, 70, 2 },
	{ "words: two filling two lines", "Subject", NULL, 2, 69, 2 },
	{ "words: 77-char continuation fits", "X", NULL, 2, 77, 3 },
	{ "words: many one-letter words", "X", NULL, 200, 1, 0 },
	{ "words: many ten-letter words", "Received", NULL, 60, 10, 0 },
	{ "words: 8-bit bytes", "Subject", "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xff\xfe", 0, 0, 1 },
};

/* test_word_list - the words of a row, as a NULL-terminated array (malloc'd) */
static char **test_word_list(const struct fold_word_case *c)
{
	size_t n = c->count;
	char *copy = NULL;

	if (c->words) {
		copy = strdup(c->words);
		n = 0;
		for (char *p = copy; p && *p; p++)
			if (*p != ' ' && (p == copy || p[-1] == ' '))
				n++;
	}
	char **w = calloc(n + 1, sizeof *w);
	if (!w) {
		free(copy);
		return NULL;
	}
	if (c->words) {
		size_t k = 0;
		for (char *tok = strtok(copy, " "); tok && k < n; tok = strtok(NULL, " "))
			w[k++] = strdup(tok);
		free(copy);
	} else {
		for (size_t k = 0; k < n; k++) {
			w[k] = malloc(c->len + 1);
			if (w[k]) {
				memset(w[k], 'a' + (int)(k % 26), c->len);
				w[k][c->len] = '\0';
			}
		}
	}
	return w;
}

/* test_word_table - fold_start then fold_word of every word after a space */
static void test_word_table(void)
{
	for (size_t k = 0; k < sizeof fold_word_cases / sizeof fold_word_cases[0]; k++) {
		const struct fold_word_case *c = &fold_word_cases[k];
		struct str out = STR_INIT, want = STR_INIT;
		struct fold f;
		char **w = test_word_list(c);
		int rc = w ? fold_start(&f, &out, c->field) : -1;

		str_appends(&want, c->field);
		str_appendc(&want, ':');
		for (size_t i = 0; rc == 0 && w[i]; i++) {
			rc = fold_word(&f, w[i], strlen(w[i]), true);
			str_appendc(&want, ' ');
			str_appends(&want, w[i]);
		}
		CHECK_INT(test_name(c->name, "result"), rc, 0);
		test_lines(c->name, str_cstr(&out), out.len);
		char *u = test_unfold(str_cstr(&out), out.len, "");
		CHECK_STR(test_name(c->name, "unfolded text"), u, str_cstr(&want));
		if (u) {
			test_squeeze(u);
			char *sq = strdup(str_cstr(&want));
			if (sq) {
				test_squeeze(sq);
				CHECK_STR(test_name(c->name, "words given back"), u, sq);
			}
			free(sq);
		}
		free(u);
		if (c->lines) {
			size_t lines = 1;
			for (size_t i = 0; i + 1 < out.len; i++)
				lines += out.data[i] == '\r' && out.data[i + 1] == '\n';
			CHECK_INT(test_name(c->name, "line count"), lines, c->lines);
		}
		size_t col = out.len;
		for (size_t i = out.len; i > 0; i--)
			if (out.data[i - 1] == '\n') {
				col = out.len - i;
				break;
			}
		CHECK_INT(test_name(c->name, "column tracked"), f.col, col);
		for (size_t i = 0; w && w[i]; i++)
			free(w[i]);
		free(w);
		str_free(&out);
		str_free(&want);
	}
}

struct fold_list_case {
	const char *name;
	const char *field;
	const char *before;  /* a word written before the list, or NULL */
	const char *tag;
	const char *value;
};

static const struct fold_list_case fold_list_cases[] = {
	{ "list: short", "DKIM-Signature", NULL, "h", "from:to:subject" },
	{ "list: single item", "DKIM-Signature", NULL, "h", "from" },
	{ "list: empty value", "DKIM-Signature", NULL, "h", "" },
	{ "list: long header list", "DKIM-Signature", "v=1;", "h",
	  "from:to:cc:subject:date:message-id:in-reply-to:references:mime-version:content-type:"
	  "content-transfer-encoding:list-id:list-unsubscribe:list-post:reply-to:sender:resent-from:"
	  "resent-to:resent-date:resent-message-id:from:to:cc:subject" },
	{ "list: first item does not fit", "DKIM-Signature",
	  "x=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;", "h",
	  "a-very-long-first-header-name-that-is-long:to" },
	{ "list: long items", "X", NULL, "z",
	  "From:foo@example.com|To:bar@example.com|Subject:demo=20run|Date:July=205,=202005=203:44:08=20PM=20-0700:"
	  "Message-ID:<20050705224408.GA27046@example.com>:Received:from=20mail.example.com=20by=20mx.example.net" },
	{ "list: empty items", "X", NULL, "h", "a::b:" },
	{ "list: names repeated (oversigned)", "DKIM-Signature", "t=1700000000;", "h",
	  "from:from:reply-to:subject:subject:date:date:to:to:to:cc:cc:message-id:message-id:mime-version:"
	  "mime-version:content-type:content-type:content-transfer-encoding:content-transfer-encoding:x:x:x:x:x" },
	{ "list: 60 short items", "DomainKey-Signature", "a=rsa-sha1;", "h",
	  "a:b:c:d:e:f:g:h:i:j:k:l:m:n:o:p:q:r:s:t:u:v:w:x:y:z:a:b:c:d:e:f:g:h:i:j:k:l:m:n:o:p:q:r:s:t:u:v:w:x:"
	  "y:z:a:b:c:d:e:f:g:h" },
};

/* test_list_table - fold_list breaks only after ':', keeps "tag=" with the first item and ends in ';' */
static void test_list_table(void)
{
	for (size_t k = 0; k < sizeof fold_list_cases / sizeof fold_list_cases[0]; k++) {
		const struct fold_list_case *c = &fold_list_cases[k];
		struct str out = STR_INIT, want = STR_INIT;
		struct fold f;
		int rc = fold_start(&f, &out, c->field);

		str_printf(&want, "%s:", c->field);
		if (rc == 0 && c->before) {
			rc = fold_word(&f, c->before, strlen(c->before), true);
			str_printf(&want, " %s", c->before);
		}
		size_t list_at = out.len;
		if (rc == 0)
			rc = fold_list(&f, c->tag, c->value);
		str_printf(&want, " %s=%s;", c->tag, c->value);
		CHECK_INT(test_name(c->name, "result"), rc, 0);
		const char *o = str_cstr(&out);
		test_lines(c->name, o, out.len);
		/* breaks inside the list: only after ':' (or the one replacing the space before "tag=") */
		char tageq[16];
		snprintf(tageq, sizeof tageq, "%s=", c->tag);
		bool after_colon = true, tag_kept = true;
		for (size_t i = list_at; i + 3 <= out.len; i++) {
			if (memcmp(o + i, "\r\n\t", 3) != 0)
				continue;
			bool before_tag = i == list_at && strncmp(o + i + 3, tageq, strlen(tageq)) == 0;
			if (!before_tag && o[i - 1] != ':')
				after_colon = false;
			if (i >= strlen(tageq) && memcmp(o + i - strlen(tageq), tageq, strlen(tageq)) == 0)
				tag_kept = false;
		}
		CHECK(test_name(c->name, "breaks only after ':'"), after_colon);
		CHECK(test_name(c->name, "tag= kept with the first item"), tag_kept);
		CHECK(test_name(c->name, "ends with ';'"), out.len > 0 && o[out.len - 1] == ';');
		char *u = test_unfold(o, out.len, ":");
		CHECK_STR(test_name(c->name, "unfolded text"), u, str_cstr(&want));
		free(u);
		str_free(&out);
		str_free(&want);
	}
}

/* test_items_table - fold_items of a list's items, equal neighbours given as one item with its
 * mentions, writes what fold_list writes of the list, byte for byte, and ends at its column */
static void test_items_table(void)
{
	for (size_t k = 0; k < sizeof fold_list_cases / sizeof fold_list_cases[0]; k++) {
		const struct fold_list_case *c = &fold_list_cases[k];
		struct fold_item items[128];
		size_t n = 0;
		for (const char *p = c->value;;) {
			const char *colon = strchr(p, ':');
			size_t len = colon ? (size_t)(colon - p) : strlen(p);
			if (n && items[n - 1].len == len && memcmp(items[n - 1].name, p, len) == 0)
				items[n - 1].times++;
			else
				items[n++] = (struct fold_item){p, len, 1};
			if (!colon)
				break;
			p = colon + 1;
		}
		if (!*c->value)
			n = 0; /* an empty list has no item */
		struct str want = STR_INIT, out = STR_INIT;
		struct fold fw, fo;
		int rw = fold_start(&fw, &want, c->field), ro = fold_start(&fo, &out, c->field);
		if (c->before) {
			rw = rw ? rw : fold_word(&fw, c->before, strlen(c->before), true);
			ro = ro ? ro : fold_word(&fo, c->before, strlen(c->before), true);
		}
		rw = rw ? rw : fold_list(&fw, c->tag, c->value);
		ro = ro ? ro : fold_items(&fo, c->tag, items, n);
		CHECK_INT(test_name(c->name, "items: result"), ro, rw);
		CHECK_STR(test_name(c->name, "items: as fold_list"), str_cstr(&out), str_cstr(&want));
		CHECK_INT(test_name(c->name, "items: column"), (long long)fo.col, (long long)fw.col);
		str_free(&out);
		str_free(&want);
	}
}

struct fold_b64_case {
	const char *name;
	const char *field;
	const char *before;  /* a word written before, or NULL */
	size_t n;            /* characters of base64 */
};

static const struct fold_b64_case fold_b64_cases[] = {
	{ "base64: 1400 chars after b=", "DKIM-Signature", "b=", 1400 },
	{ "base64: 1400 chars right after the colon", "DKIM-Signature", NULL, 1400 },
	{ "base64: 344 chars (RSA-2048)", "DKIM-Signature", "b=", 344 },
	{ "base64: 44 chars (SHA-256)", "DKIM-Signature", "bh=", 44 },
	{ "base64: one char", "X", "b=", 1 },
	{ "base64: fills the first line exactly", "X", "b=", 78 - 5 },
	{ "base64: one more than the first line", "X", "b=", 78 - 5 + 1 },
	{ "base64: first line and one full continuation", "X", "b=", 78 - 5 + 77 },
	{ "base64: empty", "X", "b=", 0 },
	{ "base64: starts at column 78",
	  "X-Filler-Field-Name-That-Is-Long-Enough-To-Reach-The-Last-Column-Of-A-Line", "b=", 100 },
};

/* test_b64_table - fold_base64 fills every line but the last to FOLD_WIDTH and loses nothing */
static void test_b64_table(void)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t k = 0; k < sizeof fold_b64_cases / sizeof fold_b64_cases[0]; k++) {
		const struct fold_b64_case *c = &fold_b64_cases[k];
		struct str out = STR_INIT;
		struct fold f;
		char *v = malloc(c->n + 1);

		if (!v) {
			CHECK(test_name(c->name, "malloc"), 0);
			continue;
		}
		for (size_t i = 0; i < c->n; i++)
			v[i] = alphabet[(i * 7 + i / 64) % 64];
		v[c->n] = '\0';
		int rc = fold_start(&f, &out, c->field);
		if (rc == 0 && c->before)
			rc = fold_word(&f, c->before, strlen(c->before), true);
		size_t at = out.len;
		if (rc == 0)
			rc = fold_base64(&f, v, c->n);
		CHECK_INT(test_name(c->name, "result"), rc, 0);
		const char *o = str_cstr(&out);
		test_lines(c->name, o, out.len);
		/* every line holding base64, except the last, is full */
		bool full = true;
		size_t line_start = 0;
		for (size_t i = 0; i + 1 < out.len; i++)
			if (o[i] == '\r' && o[i + 1] == '\n') {
				if (i > at && i - line_start != FOLD_WIDTH)
					full = false;
				line_start = i + 2;
			}
		CHECK(test_name(c->name, "lines full up to the last"), full);
		char *u = test_unfold(o + at, out.len - at, "");
		if (u) {
			/* breaks inside base64 replace nothing: remove the space test_unfold put for them */
			test_squeeze(u);
			CHECK_MEM(test_name(c->name, "base64 given back"), u, strlen(u), v, c->n);
		}
		free(u);
		size_t col = out.len;
		for (size_t i = out.len; i > 0; i--)
			if (o[i - 1] == '\n') {
				col = out.len - i;
				break;
			}
		CHECK_INT(test_name(c->name, "column tracked"), f.col, col);
		free(v);
		str_free(&out);
	}
}

/* test_tag - fold_tag writes "tag=value;" as one word after a space and refuses a value over
 * FOLD_VALUE_MAX without writing anything; fold_tag_number writes the decimal digits */
static void test_tag(void)
{
	struct str out = STR_INIT;
	struct fold f;
	char big[FOLD_VALUE_MAX + 2];

	fold_start(&f, &out, "DKIM-Signature");
	CHECK_INT("tag: result", fold_tag_str(&f, "d", "example.com"), 0);
	CHECK_STR("tag: text", str_cstr(&out), "DKIM-Signature: d=example.com;");
	CHECK_INT("tag: column", f.col, strlen("DKIM-Signature: d=example.com;"));
	CHECK_INT("tag: value of n bytes only", fold_tag(&f, "s", "sel2024xyz", 7), 0);
	CHECK_STR("tag: n bytes", str_cstr(&out), "DKIM-Signature: d=example.com; s=sel2024;");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK_INT("tag: value over the limit refused", fold_tag_str(&f, "i", big), -1);
	CHECK_STR("tag: nothing written on refusal", str_cstr(&out), "DKIM-Signature: d=example.com; s=sel2024;");
	big[FOLD_VALUE_MAX] = '\0';
	CHECK_INT("tag: value at the limit accepted", fold_tag_str(&f, "i", big), 0);
	CHECK("tag: long word on its own continuation line",
	      out.len > FOLD_VALUE_MAX + 6 && memcmp(out.data + out.len - FOLD_VALUE_MAX - 6, "\r\n\ti=x", 6) == 0 &&
		      out.data[out.len - 1] == ';');
	str_clear(&out);
	fold_start(&f, &out, "X");
	CHECK_INT("tag number: zero", fold_tag_number(&f, "l", 0), 0);
	CHECK_INT("tag number: time", fold_tag_number(&f, "t", 1700000000ULL), 0);
	CHECK_INT("tag number: largest", fold_tag_number(&f, "x", 18446744073709551615ULL), 0);
	CHECK_STR("tag number: text", str_cstr(&out), "X: l=0; t=1700000000; x=18446744073709551615;");
	str_free(&out);
}

/* test_no_space - fold_word without a space joins words, or breaks between them */
static void test_no_space(void)
{
	struct str out = STR_INIT;
	struct fold f;

	fold_start(&f, &out, "X");
	fold_word(&f, "abc", 3, false);
	fold_word(&f, "def", 3, false);
	CHECK_STR("no space: joined", str_cstr(&out), "X:abcdef");
	char w[80];
	memset(w, 'w', sizeof w - 1);
	w[sizeof w - 1] = '\0';
	fold_word(&f, w, 71, false);
	CHECK("no space: break without a space", out.len == 8 + 3 + 71 && memcmp(out.data + 8, "\r\n\t", 3) == 0);
	CHECK_INT("no space: column after break", f.col, 72);
	str_free(&out);
}

/* main - run the tables */
/* test_text - free text (dkmod_header_fold): blanks kept, a line end before the blanks of a word
 * that would pass column 78, none before a line's first word however long */
static void test_text(void)
{
	char nine[200] = "", want[300], x100[101];
	for (int i = 0; i < 10; i++)
		strcat(nine, i ? " 123456789" : "123456789");
	memcpy(want, "X: ", 3);
	memcpy(want + 3, nine, 69);
	strcpy(want + 72, "\r\n 123456789 123456789 123456789");
	static const struct {
		const char *name, *value, *want;
	} cases[] = {
		{"text: short", "a b", "X: a b"},
		{"text: blanks kept as they are", " a  \tb ", "X:  a  \tb "},
		{"text: empty", "", "X: "},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *f = dkmod_header_fold("X", cases[i].value);
		CHECK_STR(cases[i].name, f ? f : "(null)", cases[i].want);
		free(f);
	}
	char *f = dkmod_header_fold("X", nine);
	CHECK_STR("text: the eighth word goes on a continuation line, its blank first", f ? f : "(null)", want);
	free(f);
	memset(x100, 'x', 100);
	x100[100] = '\0';
	char value[120];
	snprintf(value, sizeof value, "a %s b", x100);
	snprintf(want, sizeof want, "X: a\r\n %s\r\n b", x100);
	f = dkmod_header_fold("X", value);
	CHECK_STR("text: a long word on a line of its own", f ? f : "(null)", want);
	free(f);
	snprintf(value, sizeof value, "%s b", x100);
	snprintf(want, sizeof want, "X: %s\r\n b", x100);
	f = dkmod_header_fold("X", value);
	CHECK_STR("text: no line end before the first word", f ? f : "(null)", want);
	free(f);
}

int main(void)
{
	test_text();
	test_word_table();
	test_list_table();
	test_items_table();
	test_b64_table();
	test_tag();
	test_no_space();
	return unit_done();
}
