/*
 * stdio_proto.h - the request side of the dkmod-stdio protocol
 * (doc/stdio-protocol.md) as a pure push parser: bytes in, events out, no
 * I/O and no global state, so that a fuzz target can drive it directly.
 */
#ifndef DKMOD_STDIO_PROTO_H
#define DKMOD_STDIO_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits (the documented ones). */
#define STDIO_PROTO_LINE_MAX 4096         /* one envelope line, its "\n" included */
#define STDIO_PROTO_RCPTS_MAX 10000       /* rcpt lines per request */
#define STDIO_PROTO_ENVELOPE_MAX 1048576  /* bytes of envelope lines per request */
#define STDIO_PROTO_HELO_MAX 255          /* bytes of a HELO name (RFC 5321: a domain's length) */
#define STDIO_PROTO_MESSAGE_MAX ((uint64_t)1 << 40) /* the highest --max-message */

enum stdio_proto_event {
	STDIO_PROTO_MORE = 0, /* every byte given was used: give more */
	STDIO_PROTO_REQUEST,  /* an envelope is complete (p->req); its message bytes follow */
	STDIO_PROTO_DATA,     /* a piece of the message: *data, *len (pointing into the input) */
	STDIO_PROTO_END,      /* the message is complete: reply now */
	STDIO_PROTO_ERROR     /* p->error says why; the stream cannot be trusted any more */
};

/* One request's envelope; strings are NUL-terminated, NULL when not given.  They live in
 * the parser's string store until the next request starts. */
struct stdio_proto_req {
	char *id, *client_ip, *helo, *auth_user, *mail_from, *queue_id;
	bool relay;
	char **rcpts;
	size_t nrcpts, rcap;
	uint64_t length;          /* the message's byte count */
};

/* A block of the string store; blocks never move, so the strings in them stay put. */
struct stdio_proto_block {
	struct stdio_proto_block *next;  /* the block filled before this one */
	size_t used;
	char data[];
};

enum stdio_proto_state { STDIO_PROTO_LINES = 0, STDIO_PROTO_BODY, STDIO_PROTO_FAILED };

struct stdio_proto {
	enum stdio_proto_state state;
	uint64_t max_message;     /* message N above this is an error */
	struct stdio_proto_req req;
	bool started;             /* a line of the current request was seen */
	bool done;                /* END was returned: the next line starts a new request */
	uint64_t left;            /* message bytes still to come */
	size_t envelope;          /* envelope bytes of the current request */
	char line[STDIO_PROTO_LINE_MAX]; /* a line that came in more than one piece */
	size_t llen;
	struct stdio_proto_block *store; /* the block being filled; the first one is kept */
	const char *error;        /* static text */
};

/* stdio_proto_init - a parser; max_message 0: STDIO_PROTO_MESSAGE_MAX */
void stdio_proto_init(struct stdio_proto *p, uint64_t max_message);
/* stdio_proto_free - free the current envelope and the store (the parser can be initialised again) */
void stdio_proto_free(struct stdio_proto *p);
/* stdio_proto_feed - parse from buf; returns how many bytes were used and sets *ev (for
 * STDIO_PROTO_DATA also *data and *len).  Call again with the rest until it returns MORE
 * with all bytes used.  After ERROR, every call returns ERROR. */
size_t stdio_proto_feed(struct stdio_proto *p, const char *buf, size_t n, enum stdio_proto_event *ev,
			const char **data, size_t *len);
/* stdio_proto_eof - the input ended: NULL if that is clean (between requests), else why not */
const char *stdio_proto_eof(const struct stdio_proto *p);

#endif
