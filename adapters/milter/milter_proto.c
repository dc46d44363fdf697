/*
 * milter_proto.c - the milter protocol's wire format: packets taken from
 * the bytes read, commands decoded, replies encoded (milter_proto.h).
 * Every length comes from the MTA, and is checked before anything is read.
 */
#include "milter_proto.h"

#include <stdlib.h>
#include <string.h>

/* milter_proto_u32 - the big-endian number at p */
uint32_t milter_proto_u32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* milter_proto_take - the first packet of buf, if whole */
enum milter_take milter_proto_take(const char *buf, size_t n, struct milter_packet *p, size_t *used,
				   size_t *need)
{
	if (n < 4) {
		*need = 5;
		return MILTER_TAKE_MORE;
	}
	uint32_t len = milter_proto_u32(buf);
	if (len == 0 || len > MILTER_PROTO_MAX)
		return MILTER_TAKE_BAD;
	if (n - 4 < len) {
		*need = 4 + (size_t)len;
		return MILTER_TAKE_MORE;
	}
	p->cmd = buf[4];
	p->data = buf + 5;
	p->len = len - 1;
	*used = 4 + (size_t)len;
	return MILTER_TAKE_PACKET;
}

/* milter_proto_optneg - the MTA's version, actions and protocol bits */
bool milter_proto_optneg(const struct milter_packet *p, struct milter_optneg *o)
{
	if (p->len < 12)
		return false;
	o->version = milter_proto_u32(p->data);
	o->actions = milter_proto_u32(p->data + 4);
	o->protocol = milter_proto_u32(p->data + 8);
	return o->version >= 2;
}

/* milter_proto_string - the NUL-terminated string at data[*at..len), *at moved past it; NULL if
 * no NUL ends it */
static const char *milter_proto_string(const char *data, size_t len, size_t *at)
{
	if (*at >= len)
		return NULL;
	const char *s = data + *at, *nul = memchr(s, '\0', len - *at);
	if (!nul)
		return NULL;
	*at += (size_t)(nul - s) + 1;
	return s;
}

/* milter_proto_connect - host NUL, family letter, then (unless unknown) port and address NUL */
bool milter_proto_connect(const struct milter_packet *p, struct milter_connect *c)
{
	size_t at = 0;
	if (!(c->host = milter_proto_string(p->data, p->len, &at)) || at >= p->len)
		return false;
	c->family = p->data[at++];
	c->address = NULL;
	if (c->family == 'U')
		return true;
	if (c->family != '4' && c->family != '6' && c->family != 'L')
		return false;
	if (p->len - at < 2)
		return false;
	at += 2; /* the client's port: not used */
	return (c->address = milter_proto_string(p->data, p->len, &at)) != NULL;
}

/* milter_proto_strings - the strings of a packet */
int milter_proto_strings(const struct milter_packet *p, const char **out, int max)
{
	size_t at = 0;
	int n = 0;
	if (p->len == 0 || p->data[p->len - 1] != '\0')
		return -1;
	while (at < p->len) {
		const char *s = milter_proto_string(p->data, p->len, &at);
		if (n < max)
			out[n] = s;
		n++;
	}
	return n < max ? n : max;
}

/* milter_proto_name_eq - macro name a equals b, either written with or without braces */
static bool milter_proto_name_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	if (alen >= 2 && a[0] == '{' && a[alen - 1] == '}')
		a++, alen -= 2;
	if (blen >= 2 && b[0] == '{' && b[blen - 1] == '}')
		b++, blen -= 2;
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* milter_proto_macro_get - name's value among NUL-terminated name and value pairs */
const char *milter_proto_macro_get(const char *pairs, size_t len, const char *name)
{
	size_t at = 0;
	for (;;) {
		const char *n = milter_proto_string(pairs, len, &at);
		const char *v = n ? milter_proto_string(pairs, len, &at) : NULL;
		if (!v)
			return NULL;
		if (milter_proto_name_eq(n, strlen(n), name))
			return v;
	}
}

/* milter_proto_room - room for n more bytes in o; false (and o->failed) if out of memory */
static bool milter_proto_room(struct milter_out *o, size_t n)
{
	if (o->failed)
		return false;
	if (o->cap - o->len >= n)
		return true;
	size_t cap = o->cap ? o->cap : 256;
	while (cap - o->len < n)
		cap *= 2;
	char *b = realloc(o->buf, cap);
	if (!b) {
		o->failed = true;
		return false;
	}
	o->buf = b;
	o->cap = cap;
	return true;
}

/* milter_proto_put_u32 - a big-endian number into dst */
static void milter_proto_put_u32(char *dst, uint32_t v)
{
	dst[0] = (char)(v >> 24);
	dst[1] = (char)(v >> 16);
	dst[2] = (char)(v >> 8);
	dst[3] = (char)v;
}

/* milter_proto_begin - a packet's length and letter for len bytes of data; where its data goes, or
 * NULL */
static char *milter_proto_begin(struct milter_out *o, char cmd, size_t len)
{
	if (len >= MILTER_PROTO_MAX || !milter_proto_room(o, 5 + len)) {
		o->failed = true;
		return NULL;
	}
	char *p = o->buf + o->len;
	milter_proto_put_u32(p, (uint32_t)len + 1);
	p[4] = cmd;
	o->len += 5 + len;
	return p + 5;
}

/* milter_proto_put - a reply */
void milter_proto_put(struct milter_out *o, char cmd, const void *data, size_t len)
{
	char *d = milter_proto_begin(o, cmd, len);
	if (d && len)
		memcpy(d, data, len);
}

/* milter_proto_put_optneg - version, actions, protocol */
void milter_proto_put_optneg(struct milter_out *o, const struct milter_optneg *ours)
{
	char *d = milter_proto_begin(o, MILTER_REPLY_OPTNEG, 12);
	if (!d)
		return;
	milter_proto_put_u32(d, ours->version);
	milter_proto_put_u32(d + 4, ours->actions);
	milter_proto_put_u32(d + 8, ours->protocol);
}

/* milter_proto_put_header - index, name NUL, value NUL */
void milter_proto_put_header(struct milter_out *o, char cmd, uint32_t index, const char *name, const char *value)
{
	size_t nl = strlen(name) + 1, vl = strlen(value) + 1;
	char *d = milter_proto_begin(o, cmd, 4 + nl + vl);
	if (!d)
		return;
	milter_proto_put_u32(d, index);
	memcpy(d + 4, name, nl);
	memcpy(d + 4 + nl, value, vl);
}

/* milter_proto_put_text - a text and its NUL */
void milter_proto_put_text(struct milter_out *o, char cmd, const char *text)
{
	milter_proto_put(o, cmd, text, strlen(text) + 1);
}

/* milter_proto_out_free - free the buffer */
void milter_proto_out_free(struct milter_out *o)
{
	free(o->buf);
	*o = (struct milter_out){0};
}
