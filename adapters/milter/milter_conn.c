/*
 * milter_conn.c - one MTA connection of dkmod-milter: the packets read
 * (as many as one read brings), each command handed to its step in
 * milter_cb.c, the replies gathered and written in one write when the
 * daemon is about to wait for the MTA again (at the end of a message the
 * header changes and the verdict go together).  The macros the MTA sends
 * before each step are kept per step for the steps to look up.  A
 * malformed packet, an unknown command or an answer the negotiation rules
 * out ends the connection: the MTA then applies its default action
 * (milter_default_action = tempfail, F=T), so no message is lost.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "milter.h"
#include "milter_proto.h"

#define MILTER_CONN_READ (64 * 1024)   /* the input buffer's first size */
/* The steps whose macros are kept, latest first: a lookup takes the latest step's value.  Only
 * those the steps read: the connection's ({daemon_name}), MAIL's ({auth_authen}, and "i" for
 * Sendmail) and the end of the message's ("i" for Postfix).  The others, among them the macro
 * packet Postfix sends before every header field, are not copied. */
static const char milter_conn_stages[] = "EMC";
#define MILTER_CONN_STAGES (sizeof milter_conn_stages - 1)

struct milter_session {
	int fd;
	bool tcp;
	char *in;
	size_t in_len, in_cap;
	struct milter_out out;
	uint32_t actions, protocol;    /* negotiated */
	bool negotiated;
	char *macros[MILTER_CONN_STAGES];
	size_t macro_len[MILTER_CONN_STAGES];
	char *reply;                   /* "CODE X.Y.Z text" for the next reject or tempfail */
	void *priv;                    /* milter_cb.c's state */
};

/* milter_session_priv - the steps' state */
void *milter_session_priv(struct milter_session *s)
{
	return s->priv;
}

/* milter_session_set_priv - set the steps' state */
void milter_session_set_priv(struct milter_session *s, void *priv)
{
	s->priv = priv;
}

/* milter_conn_stage - the index of a step letter among the kept ones, or -1 */
static int milter_conn_stage(char letter)
{
	const char *p = letter ? strchr(milter_conn_stages, letter) : NULL;
	return p ? (int)(p - milter_conn_stages) : -1;
}

/* milter_conn_macros_clear - forget the macros of stage i and the stages after it (i is an index in
 * milter_conn_stages, which runs latest first) */
static void milter_conn_macros_clear(struct milter_session *s, int i)
{
	for (int k = i; k >= 0; k--) {
		free(s->macros[k]);
		s->macros[k] = NULL;
		s->macro_len[k] = 0;
	}
}

/* milter_conn_macros - keep a MACRO packet's pairs for its step; the later steps' are forgotten
 * (a new message does not see the last one's); false if out of memory */
static bool milter_conn_macros(struct milter_session *s, const struct milter_packet *p)
{
	int i = p->len ? milter_conn_stage(p->data[0]) : -1;
	if (i < 0)
		return true; /* macros of a step not looked at */
	milter_conn_macros_clear(s, i);
	if (p->len == 1)
		return true;
	if (!(s->macros[i] = malloc(p->len - 1)))
		return false;
	memcpy(s->macros[i], p->data + 1, p->len - 1);
	s->macro_len[i] = p->len - 1;
	return true;
}

/* milter_session_macro - a macro's value ("i", "{daemon_name}", ...), the latest step's; NULL if
 * the MTA sent none */
const char *milter_session_macro(struct milter_session *s, const char *name)
{
	for (size_t i = 0; i < MILTER_CONN_STAGES; i++) {
		const char *v = s->macros[i] ? milter_proto_macro_get(s->macros[i], s->macro_len[i], name) : NULL;
		if (v)
			return v;
	}
	return NULL;
}

/* milter_session_insheader - insert a field at index (0: on top); false if not negotiated */
bool milter_session_insheader(struct milter_session *s, uint32_t index, const char *name, const char *value)
{
	if (!(s->actions & MILTER_ACT_ADDHDRS))
		return false;
	milter_proto_put_header(&s->out, MILTER_REPLY_INSHEADER, index, name, value);
	return !s->out.failed;
}

/* milter_session_delheader - delete the index'th (from 1) field called name; false if not negotiated */
bool milter_session_delheader(struct milter_session *s, uint32_t index, const char *name)
{
	if (!(s->actions & MILTER_ACT_CHGHDRS))
		return false;
	milter_proto_put_header(&s->out, MILTER_REPLY_CHGHEADER, index, name, "");
	return !s->out.failed;
}

/* milter_session_quarantine - ask the MTA to hold the message; false if not negotiated */
bool milter_session_quarantine(struct milter_session *s, const char *reason)
{
	if (!(s->actions & MILTER_ACT_QUARANTINE))
		return false;
	milter_proto_put_text(&s->out, MILTER_REPLY_QUARANTINE, reason);
	return !s->out.failed;
}

/* milter_session_reply - the SMTP reply "CODE X.Y.Z text" of the next reject or tempfail */
void milter_session_reply(struct milter_session *s, const char *reply)
{
	free(s->reply);
	s->reply = reply ? strdup(reply) : NULL;
}

/* milter_conn_answer - the reply of a step's status; false if the step may not be answered */
static bool milter_conn_answer(struct milter_session *s, enum milter_status st, uint32_t noreply)
{
	char cmd;
	if (st == MILTER_NOREPLY)
		return (s->protocol & noreply) != 0; /* else the MTA would wait for an answer */
	if (s->protocol & noreply)
		return false; /* the MTA reads no answer here: going on would lose step with it */
	switch (st) {
	case MILTER_CONTINUE: cmd = MILTER_REPLY_CONTINUE; break;
	case MILTER_ACCEPT: cmd = MILTER_REPLY_ACCEPT; break;
	case MILTER_DISCARD: cmd = MILTER_REPLY_DISCARD; break;
	case MILTER_REJECT: cmd = MILTER_REPLY_REJECT; break;
	default: cmd = MILTER_REPLY_TEMPFAIL; break;
	}
	/* a reply of the right class replaces the bare reject or tempfail */
	if (s->reply && ((cmd == MILTER_REPLY_REJECT && s->reply[0] == '5') ||
			 (cmd == MILTER_REPLY_TEMPFAIL && s->reply[0] == '4')))
		milter_proto_put_text(&s->out, MILTER_REPLY_REPLYCODE, s->reply);
	else
		milter_proto_put(&s->out, cmd, NULL, 0);
	milter_session_reply(s, NULL);
	return !s->out.failed;
}

/* milter_conn_negotiate - the MTA's offer, the steps' choice, the answer; false to end */
static bool milter_conn_negotiate(struct milter_session *s, const struct milter_packet *p)
{
	struct milter_optneg mta, ours;
	if (!milter_proto_optneg(p, &mta)) {
		milter_log(DKMOD_LOG_WARNING, "milter negotiation: malformed or version below 2; connection closed");
		return false;
	}
	if (milter_cb_negotiate(s, mta.actions, mta.protocol, &ours.actions, &ours.protocol) != MILTER_CONTINUE)
		return false;
	ours.version = mta.version < MILTER_PROTO_VERSION ? mta.version : MILTER_PROTO_VERSION;
	s->actions = ours.actions;
	s->protocol = ours.protocol;
	s->negotiated = true;
	milter_proto_put_optneg(&s->out, &ours);
	return !s->out.failed;
}

/* milter_conn_strings - a command's first n strings into v (room for n + 1); false (logged) if it has
 * fewer, or (exact) more */
static bool milter_conn_strings(const struct milter_packet *p, const char **v, int n, bool exact)
{
	int got = milter_proto_strings(p, v, exact ? n + 1 : n);
	if (exact ? got == n : got >= n)
		return true;
	milter_log(DKMOD_LOG_WARNING, "milter command '%c': malformed; connection closed", p->cmd);
	return false;
}

/* milter_conn_command - one command of the MTA; false to end the connection */
static bool milter_conn_command(struct milter_session *s, const struct milter_packet *p)
{
	const char *v[3];
	struct milter_connect c;
	if (p->cmd == MILTER_CMD_OPTNEG)
		return milter_conn_negotiate(s, p);
	if (!s->negotiated) {
		milter_log(DKMOD_LOG_WARNING, "milter command 0x%02x before the negotiation; connection closed",
			   (unsigned char)p->cmd);
		return false;
	}
	switch (p->cmd) {
	case MILTER_CMD_MACRO:
		return milter_conn_macros(s, p);
	case MILTER_CMD_CONNECT:
		if (!milter_proto_connect(p, &c)) {
			milter_log(DKMOD_LOG_WARNING, "milter CONNECT: malformed; connection closed");
			return false;
		}
		return milter_conn_answer(s, milter_cb_connect(s, c.host, c.family, c.address), MILTER_P_NR_CONN);
	case MILTER_CMD_HELO:
		return milter_conn_strings(p, v, 1, false) && milter_conn_answer(s, milter_cb_helo(s, v[0]), MILTER_P_NR_HELO);
	case MILTER_CMD_MAIL:
		return milter_conn_strings(p, v, 1, false) && milter_conn_answer(s, milter_cb_envfrom(s, v[0]), MILTER_P_NR_MAIL);
	case MILTER_CMD_RCPT:
		return milter_conn_strings(p, v, 1, false) && milter_conn_answer(s, milter_cb_envrcpt(s, v[0]), MILTER_P_NR_RCPT);
	case MILTER_CMD_HEADER:
		if (!milter_conn_strings(p, v, 2, true))
			return false;
		return milter_conn_answer(s, milter_cb_header(s, v[0], v[1]), MILTER_P_NR_HDR);
	case MILTER_CMD_EOH:
		return milter_conn_answer(s, milter_cb_eoh(s), MILTER_P_NR_EOH);
	case MILTER_CMD_BODY:
		return milter_conn_answer(s, milter_cb_body(s, p->data, p->len), MILTER_P_NR_BODY);
	case MILTER_CMD_EOB:
		if (p->len) /* a last chunk: a failure in it is remembered for the end's answer */
			(void)milter_cb_body(s, p->data, p->len);
		return milter_conn_answer(s, milter_cb_eom(s), 0);
	case MILTER_CMD_DATA:
		return milter_conn_answer(s, MILTER_CONTINUE, MILTER_P_NR_DATA);
	case MILTER_CMD_UNKNOWN:
		return milter_conn_answer(s, MILTER_CONTINUE, MILTER_P_NR_UNKN);
	case MILTER_CMD_ABORT:
		milter_cb_abort(s);
		return true;
	case MILTER_CMD_QUIT_NC: /* the connection is reused for another SMTP session: negotiated again */
		milter_cb_close(s);
		milter_conn_macros_clear(s, (int)MILTER_CONN_STAGES - 1);
		s->negotiated = false;
		s->actions = s->protocol = 0;
		return true;
	case MILTER_CMD_QUIT:
		return false;
	default:
		milter_log(DKMOD_LOG_WARNING, "milter: unknown command 0x%02x; connection closed", (unsigned char)p->cmd);
		return false;
	}
}

/* milter_conn_flush - write the gathered replies; false if the MTA is gone */
static bool milter_conn_flush(struct milter_session *s)
{
	size_t off = 0;
	if (s->out.failed)
		return false;
	while (off < s->out.len) {
		ssize_t w = write(s->fd, s->out.buf + off, s->out.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		off += (size_t)w;
	}
	s->out.len = 0;
	return true;
}

/* milter_conn_fill - read what the MTA sent, room made for at least need bytes; false at its end */
static bool milter_conn_fill(struct milter_session *s, size_t need)
{
	if (need > s->in_cap || s->in_cap - s->in_len < MILTER_CONN_READ / 4) {
		size_t cap = s->in_cap ? s->in_cap : MILTER_CONN_READ;
		while (cap < need || cap - s->in_len < MILTER_CONN_READ / 4)
			cap *= 2;
		char *b = realloc(s->in, cap);
		if (!b)
			return false;
		s->in = b;
		s->in_cap = cap;
	}
	/* TCP: acknowledge what comes at once.  The MTA writes the steps no answer follows one after
	 * the other, and under Nagle's algorithm each write waits for the ACK of the one before; a
	 * delayed ACK made that 40 ms a step.  Linux clears the setting as it sees fit: set each time. */
	int one = 1;
	if (s->tcp)
		setsockopt(s->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
	for (;;) {
		ssize_t r = read(s->fd, s->in + s->in_len, s->in_cap - s->in_len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				milter_log(DKMOD_LOG_WARNING, "milter: the MTA sent nothing for %d seconds; connection closed",
					   MILTER_TIMEOUT);
			return false;
		}
		s->in_len += (size_t)r;
		return true;
	}
}

/* milter_conn_serve - serve one connection until it ends; fd is closed */
void milter_conn_serve(int fd, bool tcp)
{
	struct milter_session s = {.fd = fd, .tcp = tcp};
	size_t need = 5;
	bool going = true;
	while (going) {
		if (!milter_conn_fill(&s, need))
			break;
		size_t at = 0, used = 0;
		struct milter_packet p;
		enum milter_take t = MILTER_TAKE_MORE;
		while (going && (t = milter_proto_take(s.in + at, s.in_len - at, &p, &used, &need)) == MILTER_TAKE_PACKET) {
			going = milter_conn_command(&s, &p);
			at += used;
		}
		if (going && t == MILTER_TAKE_BAD) {
			milter_log(DKMOD_LOG_WARNING, "milter: a packet length of 0 or over %d bytes; connection closed",
				   MILTER_PROTO_MAX);
			going = false;
		}
		memmove(s.in, s.in + at, s.in_len - at);
		s.in_len -= at;
		if (s.in_len == 0 && s.in_cap > MILTER_CONN_READ) { /* after a big packet: back to the usual size */
			free(s.in);
			s.in = NULL;
			s.in_cap = 0;
		}
		if (going && t == MILTER_TAKE_MORE)
			going = milter_conn_flush(&s);
	}
	if (s.out.len)
		milter_conn_flush(&s); /* answers given before the end (QUIT), if the MTA still reads */
	milter_cb_close(&s);
	milter_conn_macros_clear(&s, (int)MILTER_CONN_STAGES - 1);
	milter_proto_out_free(&s.out);
	free(s.reply);
	free(s.in);
	close(fd);
}
