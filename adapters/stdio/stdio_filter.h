/*
 * stdio_filter.h - dkmod-stdio, the long-lived filter behind the qpsmtpd plugin:
 * what its files share (the reply stream and the reply writer).
 */
#ifndef DKMOD_STDIO_FILTER_H
#define DKMOD_STDIO_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/pipeline.h"
#include "stdio_proto.h"

/* Replies gather here and are written in one go (stdio_out.c). */
struct stdio_out {
	int fd;
	bool failed;            /* a write failed: the output is gone */
	size_t len;
	char buf[65536];
};

/* stdio_out_flush - write what is buffered; false if the output failed (now or before) */
bool stdio_out_flush(struct stdio_out *o);
/* stdio_out_put - append len bytes (written out first when the buffer is full) */
void stdio_out_put(struct stdio_out *o, const char *s, size_t len);
/* stdio_out_str - append a NUL-terminated string */
void stdio_out_str(struct stdio_out *o, const char *s);

/* stdio_reply_msg - the reply to a processed message (action, reply, hints from mta.h,
 * fields to add and remove), then "end" */
void stdio_reply_msg(struct stdio_out *out, const char *id, struct pipeline_msg *m);
/* stdio_reply_fail - a tempfail reply for a message the filter could not process */
void stdio_reply_fail(struct stdio_out *out, const char *id, const char *why);
/* stdio_reply_error - an "error" reply: the request stream was broken */
void stdio_reply_error(struct stdio_out *out, const char *id, const char *why);
/* stdio_base64 - base64 of len bytes of in, into out (4 * ((len + 2) / 3) + 1 bytes) */
void stdio_base64(const unsigned char *in, size_t len, char *out);

#endif
