/*
 * stdio_reply.c - the reply side of the dkmod-stdio protocol: one line per
 * item, "end" last.  Added fields travel in base64 (whole fields, folded
 * with CRLF), so that no byte of them can break the framing; the reply
 * text is flattened to one line.  The qpsmtpd constant and whether the
 * message goes on come from mta.h, so the plugin maps nothing itself.
 */
#include <stdio.h>
#include <string.h>

#include "../common/mta.h"
#include "stdio_filter.h"

/* Input bytes base64-encoded per piece (a multiple of 3). */
#define STDIO_REPLY_B64_PIECE 3072

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
static void stdio_reply_text(struct stdio_out *out, const char *keyword, const char *text)
{
	static const char ctl[] = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"
				  "\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f";
	stdio_out_str(out, keyword);
	stdio_out_put(out, " ", 1);
	for (;;) {
		size_t run = strcspn(text, ctl);
		stdio_out_put(out, text, run);
		text += run;
		if (!*text)
			break;
		stdio_out_put(out, " ", 1);
		text++;
	}
	stdio_out_put(out, "\n", 1);
}

/* stdio_reply_field - "add-header BASE64" */
static void stdio_reply_field(struct stdio_out *out, const char *field)
{
	char b[4 * (STDIO_REPLY_B64_PIECE / 3) + 1];
	size_t len = strlen(field);
	stdio_out_put(out, "add-header ", 11);
	for (size_t i = 0; i < len; i += STDIO_REPLY_B64_PIECE) {
		size_t n = len - i < STDIO_REPLY_B64_PIECE ? len - i : STDIO_REPLY_B64_PIECE;
		stdio_base64((const unsigned char *)field + i, n, b);
		stdio_out_put(out, b, 4 * ((n + 2) / 3));
	}
	stdio_out_put(out, "\n", 1);
}

/* stdio_reply_line - "keyword word\n" */
static void stdio_reply_line(struct stdio_out *out, const char *keyword, const char *word)
{
	stdio_out_str(out, keyword);
	stdio_out_put(out, " ", 1);
	stdio_out_str(out, word);
	stdio_out_put(out, "\n", 1);
}

/* stdio_reply_head - the id line (echoed) and the action's lines */
static void stdio_reply_head(struct stdio_out *out, const char *id, enum policy_action a, const char *reply)
{
	const struct mta_code *c = mta_code(a);
	if (id)
		stdio_reply_text(out, "id", id);
	stdio_reply_line(out, "action", policy_action_name(a));
	stdio_reply_text(out, "reply", reply);
	stdio_reply_line(out, "qpsmtpd", c->qpsmtpd);
	stdio_reply_line(out, "deliver", c->postfix_reinject ? "yes" : "no");
}

/* stdio_reply_msg - the reply to a processed message */
void stdio_reply_msg(struct stdio_out *out, const char *id, struct pipeline_msg *m)
{
	enum policy_action a = pipeline_msg_action(m);
	const struct mta_code *c = mta_code(a);
	stdio_reply_head(out, id, a, pipeline_msg_reply(m));
	if (c->header)
		stdio_reply_field(out, c->header);
	for (size_t i = 0; i < pipeline_msg_added_count(m); i++)
		stdio_reply_field(out, pipeline_msg_added(m, i));
	/* "remove-header NAME N COUNT": the Nth (0: topmost) of the COUNT received fields named NAME */
	size_t cursor = 0, nth, count;
	const char *name;
	while (pipeline_msg_removal_next(m, &cursor, &name, &nth, &count)) {
		char line[96];
		stdio_out_put(out, line,
			      (size_t)snprintf(line, sizeof line, "remove-header %s %zu %zu\n", name, nth, count));
	}
	stdio_out_put(out, "end\n", 4);
}

/* stdio_reply_fail - a tempfail for a message the filter could not process */
void stdio_reply_fail(struct stdio_out *out, const char *id, const char *why)
{
	const struct mta_code *c = mta_internal_failure();
	char reply[600];
	snprintf(reply, sizeof reply, "451 4.3.0 dkmod: %s, try again later", why);
	stdio_reply_head(out, id, c->action, reply);
	stdio_out_put(out, "end\n", 4);
}

/* stdio_reply_error - the request stream is broken */
void stdio_reply_error(struct stdio_out *out, const char *id, const char *why)
{
	if (id)
		stdio_reply_text(out, "id", id);
	stdio_reply_text(out, "error", why);
	stdio_out_put(out, "end\n", 4);
}
