/*
 * corpus.c - the benchmark's messages: deterministic, realistic mail (a
 * Received chain, the usual fields, multipart/mixed with a text part, an
 * HTML part and a base64 attachment in 76-column lines), CRLF line ends,
 * some trailing whitespace and runs of spaces.  Produced line by line as a
 * stream, so a 50 MB message never has to be held in memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

enum corpus_phase {
	CORPUS_HEADERS = 0, CORPUS_PART_TEXT, CORPUS_TEXT, CORPUS_PART_HTML, CORPUS_HTML,
	CORPUS_PART_ATTACH, CORPUS_ATTACH, CORPUS_TAIL, CORPUS_END
};

static const char *const corpus_headers[] = {
	"Received: from out.example.com (out.example.com [192.0.2.25])\r\n",
	"\tby mx.example.net with ESMTPS id 4F3A21; Wed, 25 Nov 2026 10:00:02 +0000\r\n",
	"Received: from [198.51.100.7] by out.example.com\r\n",
	"\twith ESMTPSA id 9C1D2E; Wed, 25 Nov 2026 10:00:01 +0000\r\n",
	"From: Alice Example <alice@example.com>\r\n",
	"To: Bob Example <bob@example.net>\r\n",
	"Subject: Quarterly figures  and the   draft report\r\n",
	"Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n",
	"Message-ID: <bench-%08u@example.com>\r\n",
	"MIME-Version: 1.0\r\n",
	"Content-Type: multipart/mixed; boundary=\"b1\"\r\n",
	"\r\n",
	NULL
};
static const char *const corpus_part_text[] = {
	"--b1\r\n", "Content-Type: text/plain; charset=utf-8\r\n", "\r\n", NULL
};
static const char *const corpus_part_html[] = {
	"--b1\r\n", "Content-Type: text/html; charset=utf-8\r\n", "\r\n", NULL
};
static const char *const corpus_part_attach[] = {
	"--b1\r\n", "Content-Type: application/pdf; name=\"q3.pdf\"\r\n",
	"Content-Transfer-Encoding: base64\r\n", "Content-Disposition: attachment\r\n", "\r\n", NULL
};
/* two empty lines after the closing boundary: trailing blank lines for the canonicalizations */
static const char *const corpus_tail[] = { "--b1--\r\n", "\r\n", "\r\n", NULL };

static const char *const corpus_words[] = {
	"the", "figures", "for", "quarter", "are", "attached", "revenue", "grew", "by", "percent",
	"while", "costs", "stayed", "flat", "please", "review", "draft", "before", "Friday", "and",
	"send", "comments", "to", "finance", "team", "we", "expect", "margins", "improve", "next",
	"year", "thanks", "regards", "report", "summary", "table", "shows", "results", "region", "sales"
};
#define CORPUS_NWORDS (sizeof corpus_words / sizeof *corpus_words)

static const char corpus_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* corpus_rand - the next pseudo-random number (xorshift64*) */
static unsigned long long corpus_rand(struct corpus *c)
{
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 2685821657736338717ULL;
}

/* corpus_fixed_len - bytes of a fixed list of lines */
static size_t corpus_fixed_len(const char *const *lines)
{
	size_t n = 0;
	for (size_t i = 0; lines[i]; i++)
		n += strlen(lines[i]);
	return n;
}

/* corpus_init - start a message of about target bytes */
void corpus_init(struct corpus *c, size_t target, unsigned seed)
{
	memset(c, 0, sizeof *c);
	c->target = target;
	c->seed = seed;
	c->rng = 0x9e3779b97f4a7c15ULL ^ ((unsigned long long)seed * 0x100000001b3ULL) ^ target;
	/* the Message-ID line prints 8 digits in place of its %08u */
	size_t skeleton = corpus_fixed_len(corpus_headers) + 4 + corpus_fixed_len(corpus_part_text) +
			  corpus_fixed_len(corpus_part_html) + corpus_fixed_len(corpus_part_attach) +
			  corpus_fixed_len(corpus_tail);
	size_t content = target > skeleton ? target - skeleton : 0;
	c->budget_text = content * 3 / 20;
	c->budget_html = content * 3 / 20;
	c->tail = corpus_fixed_len(corpus_tail);
}

/* corpus_word - append a random word to the line */
static void corpus_word(struct corpus *c, size_t *n)
{
	const char *w = corpus_words[corpus_rand(c) % CORPUS_NWORDS];
	size_t wl = strlen(w);
	if (*n + wl < CORPUS_LINE - 16) {
		memcpy(c->line + *n, w, wl);
		*n += wl;
	}
}

/* corpus_text_line - one line of the plain text part */
static size_t corpus_text_line(struct corpus *c)
{
	size_t n = 0, want = 40 + corpus_rand(c) % 33, k = c->index;
	if (k % 9 == 8)
		return (size_t)snprintf(c->line, CORPUS_LINE, "\r\n");
	while (n < want) {
		corpus_word(c, &n);
		/* a run of spaces now and then, as typed text has */
		const char *gap = (k % 5 == 2 && n > 20 && n < 30) ? "   " : " ";
		memcpy(c->line + n, gap, strlen(gap));
		n += strlen(gap);
	}
	n--; /* drop the last single space */
	if (k % 7 == 3)
		memcpy(c->line + n, "  \t", 3), n += 3; /* trailing whitespace */
	else if (k % 7 == 5)
		c->line[n++] = ' ';
	memcpy(c->line + n, "\r\n", 2);
	return n + 2;
}

/* corpus_html_line - one line of the HTML part */
static size_t corpus_html_line(struct corpus *c)
{
	size_t k = c->index, n;
	if (k == 0)
		return (size_t)snprintf(c->line, CORPUS_LINE, "<html><body>\r\n");
	if (k % 4 == 1)
		n = (size_t)snprintf(c->line, CORPUS_LINE, "    <tr><td   class=\"num\">%llu</td>   <td>",
				     corpus_rand(c) % 100000);
	else
		n = (size_t)snprintf(c->line, CORPUS_LINE, "  <p>");
	size_t want = n + 30 + corpus_rand(c) % 30;
	while (n < want) {
		corpus_word(c, &n);
		c->line[n++] = ' ';
	}
	n--;
	n += (size_t)snprintf(c->line + n, CORPUS_LINE - n, "%s", k % 4 == 1 ? "</td></tr> \r\n" : "</p>\r\n");
	return n;
}

/* corpus_b64_line - a base64 line of chars characters */
static size_t corpus_b64_line(struct corpus *c, size_t chars)
{
	for (size_t i = 0; i < chars; i++)
		c->line[i] = corpus_b64[corpus_rand(c) & 63];
	memcpy(c->line + chars, "\r\n", 2);
	return chars + 2;
}

/* corpus_fixed_line - the next line of a fixed list; 0 at its end */
static size_t corpus_fixed_line(struct corpus *c, const char *const *lines)
{
	const char *l = lines[c->index];
	if (!l)
		return 0;
	if (strstr(l, "%08u"))
		return (size_t)snprintf(c->line, CORPUS_LINE, "Message-ID: <bench-%08u@example.com>\r\n", c->seed);
	size_t n = strlen(l);
	memcpy(c->line, l, n);
	return n;
}

/* corpus_next_line - produce the next line into c->line; 0 at the end of the message */
static size_t corpus_next_line(struct corpus *c)
{
	static const char *const *const fixed[] = {
		[CORPUS_HEADERS] = corpus_headers, [CORPUS_PART_TEXT] = corpus_part_text,
		[CORPUS_PART_HTML] = corpus_part_html, [CORPUS_PART_ATTACH] = corpus_part_attach,
		[CORPUS_TAIL] = corpus_tail,
	};
	for (;;) {
		size_t n = 0, left;
		switch (c->phase) {
		case CORPUS_HEADERS: case CORPUS_PART_TEXT: case CORPUS_PART_HTML: case CORPUS_PART_ATTACH:
		case CORPUS_TAIL:
			n = corpus_fixed_line(c, fixed[c->phase]);
			break;
		case CORPUS_TEXT:
			if (c->index == 0 || c->section < c->budget_text)
				n = corpus_text_line(c);
			break;
		case CORPUS_HTML:
			if (c->index == 0 || c->section < c->budget_html)
				n = corpus_html_line(c);
			else if (c->index < 1000000000) /* close the document once */
				n = (size_t)snprintf(c->line, CORPUS_LINE, "</body></html>\r\n"), c->index = 1000000000;
			break;
		case CORPUS_ATTACH:
			left = c->target > c->emitted + c->tail ? c->target - c->emitted - c->tail : 0;
			if (c->index == 0 || left >= 78)
				n = corpus_b64_line(c, 76);
			else if (left >= 6 && c->index < 1000000000)
				n = corpus_b64_line(c, (left - 2) / 4 * 4), c->index = 1000000000;
			break;
		default:
			return 0;
		}
		if (n) {
			c->index++;
			c->section += n;
			c->emitted += n;
			return n;
		}
		c->phase++;
		c->index = 0;
		c->section = 0;
	}
}

/* corpus_read - up to cap next bytes of the message into out; 0 at the end */
size_t corpus_read(struct corpus *c, char *out, size_t cap)
{
	size_t got = 0;
	while (got < cap) {
		if (c->line_off == c->line_len) {
			c->line_off = 0;
			if (!(c->line_len = corpus_next_line(c)))
				break;
		}
		size_t take = c->line_len - c->line_off;
		if (take > cap - got)
			take = cap - got;
		memcpy(out + got, c->line + c->line_off, take);
		c->line_off += take;
		got += take;
	}
	return got;
}

/* corpus_make - the whole message in a malloc'd buffer */
char *corpus_make(size_t target, unsigned seed, size_t *len)
{
	struct corpus c;
	size_t cap = target + 4096, n = 0, got;
	char *buf = malloc(cap + 1);
	if (!buf)
		return NULL;
	corpus_init(&c, target, seed);
	while ((got = corpus_read(&c, buf + n, cap - n)) > 0) {
		n += got;
		if (n == cap) {
			char *bigger = realloc(buf, 2 * cap + 1);
			if (!bigger) {
				free(buf);
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* corpus_body - the offset of the body (after the first empty line) */
size_t corpus_body(const char *msg, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++)
		if (msg[i] == '\r' && msg[i + 1] == '\n' && msg[i + 2] == '\r' && msg[i + 3] == '\n')
			return i + 4;
	return len;
}

/* The header block of a message as it reaches a verifier: a Received chain, folded address
 * lists and Subject, threading fields, 18 fields in all (the body is corpus.c's multipart). */
static const char corpus_real_headers[] =
	"Received: from mail-out.example.com (mail-out.example.com [192.0.2.25])\r\n"
	"\tby mx.example.net (Postfix) with ESMTPS id 4F3A21C0A2\r\n"
	"\tfor <bob@example.net>; Wed, 25 Nov 2026 10:00:02 +0000 (UTC)\r\n"
	"Received: from relay.example.com (relay.example.com [198.51.100.12])\r\n"
	"\tby mail-out.example.com with ESMTP id 9C1D2E0B1; Wed, 25 Nov 2026 10:00:01 +0000\r\n"
	"Received: from [198.51.100.7] (helo=laptop) by relay.example.com\r\n"
	"\twith ESMTPSA id 1A2B3C; Wed, 25 Nov 2026 10:00:00 +0000\r\n"
	"Return-Path: <alice@example.com>\r\n"
	"From: \"Alice Example\" <alice@example.com>\r\n"
	"To: Bob Example <bob@example.net>, Carol Jones <carol.jones@example.org>,\r\n"
	"\t\"Dave O'Neil\" <dave@example.net>, erin@example.com,\r\n"
	"\tFrank Miller <frank.miller@example.co.uk>\r\n"
	"Cc: Finance Team <finance@example.com>,\r\n"
	" Grace Hopper <grace@example.org>\r\n"
	"Reply-To: Alice Example <alice@example.com>\r\n"
	"Subject: Re: Quarterly figures and the draft report for the\r\n"
	" board meeting\r\n"
	"Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n"
	"Message-ID: <CAF=bench%08u.3f7c@mail.example.com>\r\n"
	"In-Reply-To: <CAF=prev.1234@mail.example.net>\r\n"
	"References: <CAF=first.5678@mail.example.org>\r\n"
	" <CAF=prev.1234@mail.example.net>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed;\r\n"
	"\tboundary=\"b1\"\r\n"
	"X-Mailer: Example Mail 4.2\r\n"
	"X-Spam-Score: 0.1\r\n"
	"\r\n";

/* corpus_make_real - a message of about target bytes (at least the header block and a small
 * multipart body) with the realistic header block above corpus.c's body; malloc'd */
char *corpus_make_real(size_t target, unsigned seed, size_t *len)
{
	char head[sizeof corpus_real_headers + 16];
	int hl = snprintf(head, sizeof head, corpus_real_headers, seed);
	size_t body_len, plain_len;
	/* the corpus message whose body, under this header block, makes about target bytes */
	char *plain = corpus_make(0, seed, &plain_len), *out;
	size_t body = plain ? corpus_body(plain, plain_len) : 0;
	free(plain);
	plain = corpus_make(target > (size_t)hl ? target - (size_t)hl + body : 0, seed, &plain_len);
	if (!plain || hl < 0)
		return free(plain), NULL;
	body = corpus_body(plain, plain_len);
	body_len = plain_len - body;
	if (!(out = malloc((size_t)hl + body_len + 1)))
		return free(plain), NULL;
	memcpy(out, head, (size_t)hl);
	memcpy(out + hl, plain + body, body_len + 1);
	free(plain);
	*len = (size_t)hl + body_len;
	return out;
}
