/*
 * stdio_proto.c - the request parser of the dkmod-stdio protocol: envelope
 * lines ("keyword value\n"), then "message N" and exactly N raw bytes.
 * Bytes of the message are never copied or interpreted, so nothing inside
 * a message can break the framing; every limit is checked before memory
 * is used.
 */
#include <stdlib.h>
#include <string.h>

#include "stdio_proto.h"

/* stdio_proto_init - a parser */
void stdio_proto_init(struct stdio_proto *p, uint64_t max_message)
{
	memset(p, 0, sizeof *p);
	p->max_message = max_message && max_message < STDIO_PROTO_MESSAGE_MAX ? max_message : STDIO_PROTO_MESSAGE_MAX;
}

/* stdio_proto_reset - forget the current envelope */
static void stdio_proto_reset(struct stdio_proto *p)
{
	struct stdio_proto_req *r = &p->req;
	free(r->id);
	free(r->client_ip);
	free(r->helo);
	free(r->auth_user);
	free(r->mail_from);
	free(r->queue_id);
	for (size_t i = 0; i < r->nrcpts; i++)
		free(r->rcpts[i]);
	free(r->rcpts);
	memset(r, 0, sizeof *r);
	p->started = p->done = false;
	p->envelope = 0;
}

/* stdio_proto_free - free the current envelope */
void stdio_proto_free(struct stdio_proto *p)
{
	stdio_proto_reset(p);
}

/* stdio_proto_fail - enter the error state */
static enum stdio_proto_event stdio_proto_fail(struct stdio_proto *p, const char *why)
{
	p->state = STDIO_PROTO_FAILED;
	p->error = why;
	return STDIO_PROTO_ERROR;
}

/* stdio_proto_set - a single-valued field: set once */
static enum stdio_proto_event stdio_proto_set(struct stdio_proto *p, char **field, const char *v,
					       const char *dup_error)
{
	if (*field)
		return stdio_proto_fail(p, dup_error);
	if (!(*field = strdup(v)))
		return stdio_proto_fail(p, "out of memory");
	return STDIO_PROTO_MORE;
}

/* stdio_proto_rcpt - one more recipient */
static enum stdio_proto_event stdio_proto_rcpt(struct stdio_proto *p, const char *v)
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
	if (!(r->rcpts[r->nrcpts] = strdup(v)))
		return stdio_proto_fail(p, "out of memory");
	r->nrcpts++;
	return STDIO_PROTO_MORE;
}

/* stdio_proto_message - "message N": the envelope is complete */
static enum stdio_proto_event stdio_proto_message(struct stdio_proto *p, const char *v)
{
	size_t digits = strspn(v, "0123456789");
	if (digits == 0 || v[digits] != '\0')
		return stdio_proto_fail(p, "bad message length");
	if (digits > 15)
		return stdio_proto_fail(p, "message length over the limit");
	uint64_t n = strtoull(v, NULL, 10);
	if (n > p->max_message)
		return stdio_proto_fail(p, "message length over the limit");
	p->req.length = p->left = n;
	p->state = STDIO_PROTO_BODY;
	return STDIO_PROTO_REQUEST;
}

/* stdio_proto_line - one complete envelope line (without its line end) */
static enum stdio_proto_event stdio_proto_line(struct stdio_proto *p, char *line, size_t len)
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
	line[len] = '\0';
	char *v = strchr(line, ' ');
	if (v)
		*v++ = '\0';
	else
		v = line + len;
	struct stdio_proto_req *r = &p->req;
	if (strcmp(line, "message") == 0)
		return stdio_proto_message(p, v);
	if (strcmp(line, "rcpt") == 0)
		return stdio_proto_rcpt(p, v);
	if (strcmp(line, "mail-from") == 0)
		return stdio_proto_set(p, &r->mail_from, v, "duplicate mail-from");
	if (strcmp(line, "client-ip") == 0)
		return stdio_proto_set(p, &r->client_ip, v, "duplicate client-ip");
	if (strcmp(line, "helo") == 0)
		return stdio_proto_set(p, &r->helo, v, "duplicate helo");
	if (strcmp(line, "auth-user") == 0)
		return stdio_proto_set(p, &r->auth_user, v, "duplicate auth-user");
	if (strcmp(line, "queue-id") == 0)
		return stdio_proto_set(p, &r->queue_id, v, "duplicate queue-id");
	if (strcmp(line, "id") == 0)
		return stdio_proto_set(p, &r->id, v, "duplicate id");
	if (strcmp(line, "relay") == 0) {
		if (strcmp(v, "1") != 0 && strcmp(v, "0") != 0)
			return stdio_proto_fail(p, "relay must be 0 or 1");
		r->relay = v[0] == '1';
		return STDIO_PROTO_MORE;
	}
	return stdio_proto_fail(p, "unknown keyword");
}

/* stdio_proto_lines - gather envelope lines from buf until an event or its end */
static size_t stdio_proto_lines(struct stdio_proto *p, const char *buf, size_t n, enum stdio_proto_event *ev)
{
	size_t used = 0;
	*ev = STDIO_PROTO_MORE;
	while (used < n) {
		const char *nl = memchr(buf + used, '\n', n - used);
		size_t take = nl ? (size_t)(nl - (buf + used)) : n - used;
		if (p->llen + take >= STDIO_PROTO_LINE_MAX) {
			*ev = stdio_proto_fail(p, "envelope line too long");
			return used;
		}
		memcpy(p->line + p->llen, buf + used, take);
		p->llen += take;
		used += take;
		if (!nl)
			break;
		used++;
		size_t len = p->llen;
		p->llen = 0;
		if (len && p->line[len - 1] == '\r')
			len--;
		*ev = stdio_proto_line(p, p->line, len);
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
