/*
 * stdio_reply.c - the reply side of the dkmod-stdio protocol: one line per
 * item, "end" last.  Added fields travel in base64 (whole fields, folded
 * with CRLF), so that no byte of them can break the framing; the reply
 * text is flattened to one line.  The qpsmtpd constant and whether the
 * message goes on come from mta.h, so the plugin maps nothing itself.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/mta.h"
#include "stdio.h"

/* stdio_base64 - base64 of in */
void stdio_base64(const unsigned char *in, size_t len, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		*out++ = tab[v >> 18];
		*out++ = tab[(v >> 12) & 63];
		*out++ = tab[(v >> 6) & 63];
		*out++ = tab[v & 63];
	}
	if (i < len) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0);
		*out++ = tab[v >> 18];
		*out++ = tab[(v >> 12) & 63];
		*out++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

/* stdio_reply_text - "keyword text" with line ends and control characters as spaces */
static void stdio_reply_text(FILE *out, const char *keyword, const char *text)
{
	fprintf(out, "%s ", keyword);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, out);
	fputc('\n', out);
}

/* stdio_reply_field - "add-header BASE64" */
static void stdio_reply_field(FILE *out, const char *field)
{
	size_t len = strlen(field);
	char *b = malloc(4 * ((len + 2) / 3) + 1);
	if (!b)
		return;
	stdio_base64((const unsigned char *)field, len, b);
	fprintf(out, "add-header %s\n", b);
	free(b);
}

/* stdio_reply_head - the id line (echoed) and the action's lines */
static void stdio_reply_head(FILE *out, const char *id, enum pipeline_action a, const char *reply)
{
	const struct mta_code *c = mta_code(a);
	if (id)
		stdio_reply_text(out, "id", id);
	fprintf(out, "action %s\n", pipeline_action_name(a));
	stdio_reply_text(out, "reply", reply);
	fprintf(out, "qpsmtpd %s\n", c->qpsmtpd);
	fprintf(out, "deliver %s\n", c->postfix_reinject ? "yes" : "no");
}

/* stdio_reply_msg - the reply to a processed message */
void stdio_reply_msg(FILE *out, const char *id, struct pipeline_msg *m)
{
	enum pipeline_action a = pipeline_msg_action(m);
	const struct mta_code *c = mta_code(a);
	stdio_reply_head(out, id, a, pipeline_msg_reply(m));
	if (c->header)
		stdio_reply_field(out, c->header);
	for (size_t i = 0; i < pipeline_msg_added_count(m); i++)
		stdio_reply_field(out, pipeline_msg_added(m, i));
	if (pipeline_msg_intact(m))
		for (size_t i = 0; i < pipeline_msg_header_count(m); i++)
			if (pipeline_msg_header_removed(m, i))
				fprintf(out, "remove-header %zu\n", i);
	fputs("end\n", out);
}

/* stdio_reply_fail - a tempfail for a message the filter could not process */
void stdio_reply_fail(FILE *out, const char *id, const char *why)
{
	const struct mta_code *c = mta_internal_failure();
	char reply[600];
	snprintf(reply, sizeof reply, "451 4.3.0 dkmod: %s, try again later", why);
	stdio_reply_head(out, id, c->action, reply);
	fputs("end\n", out);
}

/* stdio_reply_error - the request stream is broken */
void stdio_reply_error(FILE *out, const char *id, const char *why)
{
	if (id)
		stdio_reply_text(out, "id", id);
	stdio_reply_text(out, "error", why);
	fputs("end\n", out);
}
