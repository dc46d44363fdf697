/*
 * milter_proto.h - the milter protocol's wire format (version 6, as spoken
 * by Postfix and Sendmail 8.14+): packets, the command and reply letters,
 * the negotiated action and protocol bits, the decoding of the MTA's
 * commands and the encoding of the filter's replies.  No I/O and no state
 * beyond the buffers given: milter_conn.c reads and writes, and the fuzz
 * target feeds it hostile bytes.
 *
 * A packet is a 4-byte big-endian length (of what follows), a command
 * letter and its data.
 */
#ifndef DKMOD_MILTER_PROTO_H
#define DKMOD_MILTER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MILTER_PROTO_VERSION 6
/* The largest packet taken: the MTA's body chunks are at most 64 KB unless a larger size is
 * negotiated (it is not); a header field is one packet, and Postfix cuts a header at
 * header_size_limit (100 KB by default).  A longer length closes the connection. */
#define MILTER_PROTO_MAX (1024 * 1024)

/* The MTA's commands. */
enum milter_cmd {
	MILTER_CMD_ABORT = 'A', MILTER_CMD_BODY = 'B', MILTER_CMD_CONNECT = 'C', MILTER_CMD_MACRO = 'D',
	MILTER_CMD_EOB = 'E', MILTER_CMD_HELO = 'H', MILTER_CMD_QUIT_NC = 'K', MILTER_CMD_HEADER = 'L',
	MILTER_CMD_MAIL = 'M', MILTER_CMD_EOH = 'N', MILTER_CMD_OPTNEG = 'O', MILTER_CMD_QUIT = 'Q',
	MILTER_CMD_RCPT = 'R', MILTER_CMD_DATA = 'T', MILTER_CMD_UNKNOWN = 'U'
};

/* The filter's replies and modifications. */
enum milter_reply {
	MILTER_REPLY_ACCEPT = 'a', MILTER_REPLY_CONTINUE = 'c', MILTER_REPLY_DISCARD = 'd',
	MILTER_REPLY_INSHEADER = 'i', MILTER_REPLY_CHGHEADER = 'm', MILTER_REPLY_OPTNEG = 'O',
	MILTER_REPLY_QUARANTINE = 'q', MILTER_REPLY_REJECT = 'r', MILTER_REPLY_TEMPFAIL = 't',
	MILTER_REPLY_REPLYCODE = 'y'
};

/* Actions the filter may take (negotiated). */
#define MILTER_ACT_ADDHDRS 0x01u
#define MILTER_ACT_CHGHDRS 0x10u
#define MILTER_ACT_QUARANTINE 0x20u

/* Protocol bits (negotiated): steps not sent, steps not answered, header values as sent. */
#define MILTER_P_NOUNKNOWN 0x100u
#define MILTER_P_NODATA 0x200u
#define MILTER_P_NR_HDR 0x80u
#define MILTER_P_NR_CONN 0x1000u
#define MILTER_P_NR_HELO 0x2000u
#define MILTER_P_NR_MAIL 0x4000u
#define MILTER_P_NR_RCPT 0x8000u
#define MILTER_P_NR_DATA 0x10000u
#define MILTER_P_NR_UNKN 0x20000u
#define MILTER_P_NR_EOH 0x40000u
#define MILTER_P_NR_BODY 0x80000u
#define MILTER_P_HDR_LEADSPC 0x100000u

/* One packet: its command letter and data (pointing into the caller's buffer). */
struct milter_packet {
	char cmd;
	const char *data;
	size_t len;
};

enum milter_take { MILTER_TAKE_MORE, MILTER_TAKE_PACKET, MILTER_TAKE_BAD };

/* milter_proto_take - the packet at the start of buf[0..n): PACKET (*used: its size), MORE (an
 * incomplete packet; *need: the bytes it will take, for the buffer), or BAD (a length of zero
 * or over MILTER_PROTO_MAX: the stream cannot be resynchronised) */
enum milter_take milter_proto_take(const char *buf, size_t n, struct milter_packet *p, size_t *used,
				   size_t *need);

/* milter_proto_u32 - the big-endian number at p */
uint32_t milter_proto_u32(const char *p);

/* The MTA's option negotiation. */
struct milter_optneg {
	uint32_t version, actions, protocol;
};
/* milter_proto_optneg - decode a negotiation; false if it is short or its version is below 2 */
bool milter_proto_optneg(const struct milter_packet *p, struct milter_optneg *o);

/* The client of a CONNECT command. */
struct milter_connect {
	const char *host;          /* the client's name as the MTA has it */
	char family;               /* '4', '6', 'L' (local socket), 'U' (unknown) */
	const char *address;       /* the address text, or NULL when the family is unknown */
};
/* milter_proto_connect - decode a CONNECT; false if malformed */
bool milter_proto_connect(const struct milter_packet *p, struct milter_connect *c);

/* milter_proto_strings - the NUL-terminated strings of a packet (HELO, MAIL, RCPT: the address and
 * then ESMTP arguments; HEADER: name and value), at most max in out; their count, or -1 if the
 * data is empty or does not end in a NUL */
int milter_proto_strings(const struct milter_packet *p, const char **out, int max);

/* milter_proto_macro_get - the value of macro name in a MACRO packet's data past its command
 * letter (pairs of NUL-terminated name and value); "x" and "{x}" name the same macro; NULL if absent */
const char *milter_proto_macro_get(const char *pairs, size_t len, const char *name);

/* An output buffer of replies. */
struct milter_out {
	char *buf;
	size_t len, cap;
	bool failed;               /* out of memory: the connection must end */
};
/* milter_proto_put - append a reply: letter and data */
void milter_proto_put(struct milter_out *o, char cmd, const void *data, size_t len);
/* milter_proto_put_optneg - the filter's side of the negotiation */
void milter_proto_put_optneg(struct milter_out *o, const struct milter_optneg *ours);
/* milter_proto_put_header - an INSHEADER or CHGHEADER: index, name and value (CHGHEADER with
 * an empty value deletes the index'th field of that name) */
void milter_proto_put_header(struct milter_out *o, char cmd, uint32_t index, const char *name, const char *value);
/* milter_proto_put_text - a reply whose data is one NUL-terminated text (REPLYCODE, QUARANTINE) */
void milter_proto_put_text(struct milter_out *o, char cmd, const char *text);
/* milter_proto_out_free - free the buffer */
void milter_proto_out_free(struct milter_out *o);

#endif
