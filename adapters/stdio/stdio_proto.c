/*
 * stdio_proto.c - the request parser of the dkmod-stdio protocol: envelope
 * lines ("keyword value\n"), then "message N" and exactly N raw bytes.
 * Bytes of the message are never copied or interpreted, so nothing inside
 * a message can break the framing; every limit is checked before memory
 * is used.  Lines are parsed where they lie in the input (only a line
 * split between two inputs is gathered first), and the values go to a
 * string store that the next request reuses, so a steady stream of
 * requests allocates nothing.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "stdio_proto.h"

/* Bytes of one store block: any value (shorter than a line) fits in an empty block. */
#define STDIO_PROTO_BLOCK 8192

/* stdio_proto_init - a parser */
void stdio_proto_init(struct stdio_proto *p, uint64_t max_message)
{
	memset(p, 0, sizeof *p);
	p->max_message = max_message && max_message < STDIO_PROTO_MESSAGE_MAX ? max_message : STDIO_PROTO_MESSAGE_MAX;
}

/* stdio_proto_reset - forget the current envelope; the store keeps its first block and the
 * recipient array its room */
static void stdio_proto_reset(struct stdio_proto *p)
{
	struct stdio_proto_req *r = &p->req;
	while (p->store && p->store->next) {
		struct stdio_proto_block *b = p->store;
		p->store = b->next;
		free(b);
	}
	if (p->store)
		p->store->used = 0;
	char **rcpts = r->rcpts;
	size_t rcap = r->rcap;
	memset(r, 0, sizeof *r);
	r->rcpts = rcpts;
	r->rcap = rcap;
	p->started = p->done = false;
	p->envelope = 0;
}

/* stdio_proto_free - free the current envelope and the store */
void stdio_proto_free(struct stdio_proto *p)
{
	stdio_proto_reset(p);
	free(p->store);
	p->store = NULL;
	free(p->req.rcpts);
	p->req.rcpts = NULL;
	p->req.rcap = 0;
}

/* stdio_proto_fail - enter the error state */
static enum stdio_proto_event stdio_proto_fail(struct stdio_proto *p, const char *why)
{
	p->state = STDIO_PROTO_FAILED;
	p->error = why;
	return STDIO_PROTO_ERROR;
}

/* stdio_proto_keep - a NUL-terminated copy of len bytes (len < STDIO_PROTO_LINE_MAX) in the
 * store; NULL if out of memory */
static char *stdio_proto_keep(struct stdio_proto *p, const char *v, size_t len)
{
	struct stdio_proto_block *b = p->store;
	if (!b || STDIO_PROTO_BLOCK - b->used < len + 1) {
		if (!(b = malloc(sizeof *b + STDIO_PROTO_BLOCK)))
			return NULL;
		b->next = p->store;
		b->used = 0;
		p->store = b;
	}
	char *s = b->data + b->used;
	memcpy(s, v, len);
	s[len] = '\0';
	b->used += len + 1;
	return s;
}

/* stdio_proto_set - a single-valued field: set once */
static enum stdio_proto_event stdio_proto_set(struct stdio_proto *p, char **field, const char *v, size_t len,
					       const char *dup_error)
{
	if (*field)
		return stdio_proto_fail(p, dup_error);
	if (!(*field = stdio_proto_keep(p, v, len)))
		return stdio_proto_fail(p, "out of memory");
	return STDIO_PROTO_MORE;
}

/* stdio_proto_client_ip - "client-ip A": an IPv4 or IPv6 address in text, or empty (unknown) */
static enum stdio_proto_event stdio_proto_client_ip(struct stdio_proto *p, const char *v, size_t len)
{
	unsigned char bin[16];
	char text[INET6_ADDRSTRLEN];
	if (len >= sizeof text)
		return stdio_proto_fail(p, "bad client-ip");
	memcpy(text, v, len);
	text[len] = '\0';
	if (len && inet_pton(AF_INET, text, bin) != 1 && inet_pton(AF_INET6, text, bin) != 1)
		return stdio_proto_fail(p, "bad client-ip");
	return stdio_proto_set(p, &p->req.client_ip, v, len, "duplicate client-ip");
}

/* stdio_proto_helo - "helo H": up to 255 printable ASCII bytes without blanks, or empty (unknown) */
static enum stdio_proto_event stdio_proto_helo(struct stdio_proto *p, const char *v, size_t len)
{
	if (len > STDIO_PROTO_HELO_MAX)
		return stdio_proto_fail(p, "bad helo");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7e)
			return stdio_proto_fail(p, "bad helo");
	return stdio_proto_set(p, &p->req.helo, v, len, "duplicate helo");
}

/* stdio_proto_rcpt - one more recipient */
static enum stdio_proto_event stdio_proto_rcpt(struct stdio_proto *p, const char *v, size_t len)
{
	struct stdio_proto_req *r = &p->req;
	if (r->nrcpts == STDIO_PROTO_RCPTS_MAX)
		return stdio_proto_fail(p, "too many rcpt lines");
	if (r->nrcpts == r->rcap) {
		size_t cap = r->rcap ? r->rcap * 2 : 8;
		char **a = realloc(r->rcpts, cap * sizeof *a);
		if (!a)
			return stdio_proto_fail(p, "out of memory");
		r->rcpts = a;
		r->rcap = cap;
	}
	if (!(r->rcpts[r->nrcpts] = stdio_proto_keep(p, v, len)))
		return stdio_proto_fail(p, "out of memory");
	r->nrcpts++;
	return STDIO_PROTO_MORE;
}

/* stdio_proto_message - "message N": the envelope is complete */
static enum stdio_proto_event stdio_proto_message(struct stdio_proto *p, const char *v, size_t len)
{
	size_t digits = 0;
	uint64_t n = 0;
	while (digits < len && v[digits] >= '0' && v[digits] <= '9') {
		if (digits < 15)
			n = n * 10 + (uint64_t)(v[digits] - '0');
		digits++;
	}
	if (digits == 0 || digits != len)
		return stdio_proto_fail(p, "bad message length");
	if (digits > 15 || n > p->max_message)
		return stdio_proto_fail(p, "message length over the limit");
	p->req.length = p->left = n;
	p->state = STDIO_PROTO_BODY;
	return STDIO_PROTO_REQUEST;
}

/* stdio_proto_is - whether the keyword k (klen bytes) is word */
static bool stdio_proto_is(const char *k, size_t klen, const char *word)
{
	return strlen(word) == klen && memcmp(k, word, klen) == 0;
}

/* stdio_proto_line - one complete envelope line (without its line end) */
static enum stdio_proto_event stdio_proto_line(struct stdio_proto *p, const char *line, size_t len)
{
	if (p->done)
		stdio_proto_reset(p);
	if (memchr(line, '\0', len))
		return stdio_proto_fail(p, "NUL byte in an envelope line");
	if (len == 0)
		return STDIO_PROTO_MORE;
	p->started = true;
	if ((p->envelope += len + 1) > STDIO_PROTO_ENVELOPE_MAX)
		return stdio_proto_fail(p, "envelope over the size limit");
	const char *sp = memchr(line, ' ', len);
	size_t klen = sp ? (size_t)(sp - line) : len;
	const char *v = sp ? sp + 1 : line + len;
	size_t vlen = (size_t)(line + len - v);
	struct stdio_proto_req *r = &p->req;
	if (stdio_proto_is(line, klen, "message"))
		return stdio_proto_message(p, v, vlen);
	if (stdio_proto_is(line, klen, "rcpt"))
		return stdio_proto_rcpt(p, v, vlen);
	if (stdio_proto_is(line, klen, "mail-from"))
		return stdio_proto_set(p, &r->mail_from, v, vlen, "duplicate mail-from");
	if (stdio_proto_is(line, klen, "client-ip"))
		return stdio_proto_client_ip(p, v, vlen);
	if (stdio_proto_is(line, klen, "helo"))
		return stdio_proto_helo(p, v, vlen);
	if (stdio_proto_is(line, klen, "auth-user"))
		return stdio_proto_set(p, &r->auth_user, v, vlen, "duplicate auth-user");
	if (stdio_proto_is(line, klen, "queue-id"))
		return stdio_proto_set(p, &r->queue_id, v, vlen, "duplicate queue-id");
	if (stdio_proto_is(line, klen, "id"))
		return stdio_proto_set(p, &r->id, v, vlen, "duplicate id");
	if (stdio_proto_is(line, klen, "relay")) {
		if (vlen != 1 || (v[0] != '0' && v[0] != '1'))
			return stdio_proto_fail(p, "relay must be 0 or 1");
		r->relay = v[0] == '1';
		return STDIO_PROTO_MORE;
	}
	return stdio_proto_fail(p, "unknown keyword");
}

/* stdio_proto_lines - take envelope lines from buf until an event or its end; a line
 * wholly in buf is parsed in place, the start of one that is not is kept in p->line */
static size_t stdio_proto_lines(struct stdio_proto *p, const char *buf, size_t n, enum stdio_proto_event *ev)
{
	size_t used = 0;
	*ev = STDIO_PROTO_MORE;
	while (used < n) {
		const char *start = buf + used;
		const char *nl = memchr(start, '\n', n - used);
		size_t take = nl ? (size_t)(nl - start) : n - used;
		if (p->llen + take >= STDIO_PROTO_LINE_MAX) {
			*ev = stdio_proto_fail(p, "envelope line too long");
			return used;
		}
		if (!nl) {
			memcpy(p->line + p->llen, start, take);
			p->llen += take;
			return n;
		}
		used += take + 1;
		const char *line = start;
		size_t len = take;
		if (p->llen) {
			memcpy(p->line + p->llen, start, take);
			line = p->line;
			len = p->llen + take;
			p->llen = 0;
		}
		if (len && line[len - 1] == '\r')
			len--;
		*ev = stdio_proto_line(p, line, len);
		if (*ev != STDIO_PROTO_MORE)
			return used;
	}
	return used;
}

/* stdio_proto_feed - parse from buf */
size_t stdio_proto_feed(struct stdio_proto *p, const char *buf, size_t n, enum stdio_proto_event *ev,
			const char **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	if (p->state == STDIO_PROTO_FAILED) {
		*ev = STDIO_PROTO_ERROR;
		return 0;
	}
	if (p->state == STDIO_PROTO_LINES)
		return stdio_proto_lines(p, buf, n, ev);
	if (p->left == 0) {
		p->state = STDIO_PROTO_LINES;
		p->done = true;
		*ev = STDIO_PROTO_END;
		return 0;
	}
	if (n == 0) {
		*ev = STDIO_PROTO_MORE;
		return 0;
	}
	size_t take = p->left < n ? (size_t)p->left : n;
	p->left -= take;
	*ev = STDIO_PROTO_DATA;
	*data = buf;
	*len = take;
	return take;
}

/* stdio_proto_eof - whether the input may end here */
const char *stdio_proto_eof(const struct stdio_proto *p)
{
	if (p->state == STDIO_PROTO_FAILED)
		return p->error;
	if (p->state == STDIO_PROTO_BODY)
		return "end of input inside a message";
	if (p->llen > 0 || (p->started && !p->done))
		return "end of input inside a request";
	return NULL;
}
