/*
 * stdio.h - dkmod-stdio, the long-lived filter behind the qpsmtpd plugin:
 * what its files share (the reply writer).
 */
#ifndef DKMOD_STDIO_H
#define DKMOD_STDIO_H

#include <stdbool.h>
#include <stdio.h>

#include "../common/pipeline.h"
#include "stdio_proto.h"

/* stdio_reply_msg - the reply to a processed message (action, reply, hints from mta.h,
 * fields to add and remove), then "end" */
void stdio_reply_msg(FILE *out, const char *id, struct pipeline_msg *m);
/* stdio_reply_fail - a tempfail reply for a message the filter could not process */
void stdio_reply_fail(FILE *out, const char *id, const char *why);
/* stdio_reply_error - an "error" reply: the request stream was broken */
void stdio_reply_error(FILE *out, const char *id, const char *why);
/* stdio_base64 - base64 of len bytes of in, into out (4 * ((len + 2) / 3) + 1 bytes) */
void stdio_base64(const unsigned char *in, size_t len, char *out);

#endif
