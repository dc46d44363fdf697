/*
 * milter_cb.c - the steps of dkmod-milter's messages (milter_conn.c calls
 * these, one thread per connection).  The connection's facts (client
 * address, {daemon_name}, HELO) and the envelope ({auth_authen}, MAIL FROM,
 * RCPT TO) make the pipeline's envelope; header fields and body chunks are
 * streamed into the message's own engine as they come; at the end of the
 * message the added fields go on top (inserted at index 0), forged ones
 * are removed by name and position among the fields of that name (a
 * header change with an empty value), and the policy's action is the
 * reply.  Any internal failure answers tempfail: the MTA keeps the message.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "milter.h"
#include "milter_proto.h"

#define MILTER_RCPTS_MAX 1000 /* recipients passed to the policy; more are accepted but not listed */

/* One SMTP connection (or one local submission) and its message in progress. */
struct milter_conn {
	char client_ip[INET6_ADDRSTRLEN + 8];
	char *helo, *daemon;
	bool leadspc;                 /* the MTA sends header values with their leading blanks */
	uint32_t noreply;             /* MILTER_P_NR_* the MTA agreed to: those steps answer nothing */
	bool conn_failed;             /* connect or HELO failed unanswered: every message tempfails */
	/* the message */
	struct milter_engine *engine;
	struct pipeline_msg *msg;
	char *mail_from, *auth_user;
	char **rcpts;
	size_t nrcpts;
	bool failed;                  /* the pipeline failed: the answer is tempfail */
	bool body;                    /* the blank line after the header block was written */
};

static pthread_mutex_t milter_cb_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned milter_cb_messages;

/* milter_cb_active - messages in progress */
unsigned milter_cb_active(void)
{
	pthread_mutex_lock(&milter_cb_lock);
	unsigned n = milter_cb_messages;
	pthread_mutex_unlock(&milter_cb_lock);
	return n;
}

/* milter_cb_count - one message more (+1) or less (-1) in progress */
static void milter_cb_count(int d)
{
	pthread_mutex_lock(&milter_cb_lock);
	milter_cb_messages += (unsigned)d;
	pthread_mutex_unlock(&milter_cb_lock);
}

/* milter_cb_conn - the connection's state, made at its first step; NULL if out of memory */
static struct milter_conn *milter_cb_conn(struct milter_session *s)
{
	struct milter_conn *c = milter_session_priv(s);
	if (!c && (c = calloc(1, sizeof *c)))
		milter_session_set_priv(s, c);
	return c;
}

/* milter_cb_reset - end the message: free it and give its engine back */
static void milter_cb_reset(struct milter_conn *c)
{
	if (c->engine)
		milter_cb_count(-1);
	pipeline_msg_free(c->msg);
	milter_engine_put(c->engine);
	c->msg = NULL;
	c->engine = NULL;
	free(c->mail_from);
	free(c->auth_user);
	for (size_t i = 0; i < c->nrcpts; i++)
		free(c->rcpts[i]);
	free(c->rcpts);
	c->mail_from = c->auth_user = NULL;
	c->rcpts = NULL;
	c->nrcpts = 0;
	c->failed = c->conn_failed; /* a failure of the connection's steps stays with each message */
	c->body = false;
}

/* The steps the daemon answers nothing to when the MTA agrees (milter protocol 6): all but the end
 * of the message, whose answer is the policy's; each answer saved is a round trip the MTA skips.
 * On TCP the daemon acknowledges every packet at once (milter_conn.c): the MTA's writes that no
 * answer follows would else wait behind Nagle's algorithm for a delayed ACK. */
#define MILTER_CB_NOREPLY                                                                                  \
	(MILTER_P_NR_CONN | MILTER_P_NR_HELO | MILTER_P_NR_MAIL | MILTER_P_NR_RCPT | MILTER_P_NR_HDR |           \
	 MILTER_P_NR_EOH | MILTER_P_NR_BODY)
/* The steps not sent at all: DATA and unknown SMTP commands. */
#define MILTER_CB_NOT_SENT (MILTER_P_NODATA | MILTER_P_NOUNKNOWN)

/* milter_cb_next - the answer of a step that went well: none if the MTA agreed to go on without (flag) */
static enum milter_status milter_cb_next(const struct milter_conn *c, uint32_t flag)
{
	return c->noreply & flag ? MILTER_NOREPLY : MILTER_CONTINUE;
}

/* milter_cb_fail - the answer of a step that failed: tempfail now, or where the MTA takes no answer,
 * at the end of the message (the connection's steps: of every message) */
static enum milter_status milter_cb_fail(struct milter_conn *c, uint32_t flag)
{
	if (!(c->noreply & flag))
		return MILTER_TEMPFAIL;
	c->failed = true;
	if (flag & (MILTER_P_NR_CONN | MILTER_P_NR_HELO))
		c->conn_failed = true;
	return MILTER_NOREPLY;
}

/* milter_cb_symbol - a macro's value, NULL when absent or empty */
static const char *milter_cb_symbol(struct milter_session *s, const char *name)
{
	const char *v = milter_session_macro(s, name);
	return v && *v ? v : NULL;
}

/* milter_cb_address - an envelope address without its angle brackets (malloc'd) */
static char *milter_cb_address(const char *a)
{
	size_t n = strlen(a);
	if (n >= 2 && a[0] == '<' && a[n - 1] == '>')
		return strndup(a + 1, n - 2);
	return strdup(a);
}

/* milter_cb_negotiate - ask for header changes and quarantine, header values as sent, no steps
 * the daemon does not use and no answers to the steps before the end of the message */
enum milter_status milter_cb_negotiate(struct milter_session *s, uint32_t mta_actions, uint32_t mta_protocol,
				       uint32_t *actions, uint32_t *protocol)
{
	struct milter_conn *c = milter_cb_conn(s);
	if (!c)
		return MILTER_TEMPFAIL;
	*actions = mta_actions & (MILTER_ACT_ADDHDRS | MILTER_ACT_CHGHDRS | MILTER_ACT_QUARANTINE);
	*protocol = mta_protocol & (MILTER_P_HDR_LEADSPC | MILTER_CB_NOT_SENT | MILTER_CB_NOREPLY);
	c->leadspc = (*protocol & MILTER_P_HDR_LEADSPC) != 0;
	c->noreply = *protocol & MILTER_CB_NOREPLY;
	return MILTER_CONTINUE;
}

/* milter_cb_client - the client's address as text: IPv4 and IPv6 (an IPv4-mapped one as IPv4;
 * Sendmail writes "IPv6:" before it), none for a local or unknown client; false if malformed */
static bool milter_cb_client(char family, const char *address, char *out, size_t cap)
{
	unsigned char a[sizeof(struct in6_addr)];
	out[0] = '\0';
	if (family == '4')
		return inet_pton(AF_INET, address, a) == 1 && inet_ntop(AF_INET, a, out, (socklen_t)cap);
	if (family != '6')
		return true; /* a local (unix socket) or unknown client has no address */
	if (strncasecmp(address, "IPv6:", 5) == 0)
		address += 5;
	if (inet_pton(AF_INET6, address, a) != 1)
		return false;
	if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a)) /* ::ffff:192.0.2.1 is the IPv4 client 192.0.2.1 */
		return inet_ntop(AF_INET, a + 12, out, (socklen_t)cap) != NULL;
	return inet_ntop(AF_INET6, a, out, (socklen_t)cap) != NULL;
}

/* milter_cb_connect - the client's address (IPv4, IPv6; none for a local connection) and the
 * receiving service */
enum milter_status milter_cb_connect(struct milter_session *s, const char *host, char family, const char *address)
{
	struct milter_conn *c = milter_cb_conn(s);
	if (!c)
		return MILTER_TEMPFAIL;
	if (!milter_cb_client(family, address, c->client_ip, sizeof c->client_ip)) {
		milter_log(DKMOD_LOG_WARNING, "connect from %s: malformed address %s", host, address);
		return milter_cb_fail(c, MILTER_P_NR_CONN);
	}
	const char *d = milter_cb_symbol(s, "{daemon_name}");
	free(c->daemon);
	c->daemon = d ? strdup(d) : NULL;
	milter_log(DKMOD_LOG_DEBUG, "connect from %s [%s] daemon_name=%s", host,
		   c->client_ip[0] ? c->client_ip : "unknown", d ? d : "-");
	return d && !c->daemon ? milter_cb_fail(c, MILTER_P_NR_CONN) : milter_cb_next(c, MILTER_P_NR_CONN);
}

/* milter_cb_helo - the HELO name */
enum milter_status milter_cb_helo(struct milter_session *s, const char *helo)
{
	struct milter_conn *c = milter_cb_conn(s);
	if (!c)
		return MILTER_TEMPFAIL;
	free(c->helo);
	c->helo = strdup(helo);
	return c->helo ? milter_cb_next(c, MILTER_P_NR_HELO) : milter_cb_fail(c, MILTER_P_NR_HELO);
}

/* milter_cb_envfrom - a new message: the sender (no <>, "" for the null sender) and the SASL login */
enum milter_status milter_cb_envfrom(struct milter_session *s, const char *from)
{
	struct milter_conn *c = milter_cb_conn(s);
	if (!c)
		return MILTER_TEMPFAIL;
	milter_cb_reset(c);
	const char *user = milter_cb_symbol(s, "{auth_authen}");
	c->mail_from = milter_cb_address(from);
	c->auth_user = user ? strdup(user) : NULL;
	return c->mail_from && (!user || c->auth_user) ? milter_cb_next(c, MILTER_P_NR_MAIL)
							 : milter_cb_fail(c, MILTER_P_NR_MAIL);
}

/* milter_cb_envrcpt - one recipient */
enum milter_status milter_cb_envrcpt(struct milter_session *s, const char *rcpt)
{
	struct milter_conn *c = milter_cb_conn(s);
	if (!c)
		return MILTER_TEMPFAIL;
	if (c->nrcpts >= MILTER_RCPTS_MAX)
		return milter_cb_next(c, MILTER_P_NR_RCPT);
	char **r = realloc(c->rcpts, (c->nrcpts + 1) * sizeof *r);
	if (!r)
		return milter_cb_fail(c, MILTER_P_NR_RCPT);
	c->rcpts = r;
	if (!(r[c->nrcpts] = milter_cb_address(rcpt)))
		return milter_cb_fail(c, MILTER_P_NR_RCPT);
	c->nrcpts++;
	return milter_cb_next(c, MILTER_P_NR_RCPT);
}

/* milter_cb_start - the message's engine and pipeline message, made at its first bytes; false if failed */
static bool milter_cb_start(struct milter_conn *c)
{
	if (c->msg || c->failed)
		return !c->failed;
	if (!(c->engine = milter_engine_get())) {
		c->failed = true;
		return false;
	}
	milter_cb_count(1);
	struct pipeline *p = milter_engine_pipeline(c->engine);
	const char *ip = c->client_ip[0] ? c->client_ip : NULL;
	struct pipeline_envelope env = {.mail_from = c->mail_from ? c->mail_from : "",
					.rcpts = (const char *const *)c->rcpts, .nrcpts = c->nrcpts,
					.client_ip = ip, .helo = c->helo, .auth_user = c->auth_user,
					.can_relay = c->auth_user || pipeline_relay_client(p, ip, c->daemon)};
	if (!(c->msg = pipeline_msg_new(p, &env)))
		c->failed = true;
	return !c->failed;
}

/* milter_cb_write - bytes to the message; a failure is remembered for the end */
static void milter_cb_write(struct milter_conn *c, const void *data, size_t len)
{
	if (len && milter_cb_start(c) && pipeline_msg_write(c->msg, data, len) != PIPELINE_OK)
		c->failed = true;
}

/* milter_cb_header - one field as "Name:value" with CRLF line ends (the MTA folds with LF) */
enum milter_status milter_cb_header(struct milter_session *s, const char *name, const char *value)
{
	struct milter_conn *c = milter_cb_conn(s);
	if (!c)
		return MILTER_TEMPFAIL;
	milter_cb_write(c, name, strlen(name));
	milter_cb_write(c, c->leadspc ? ":" : ": ", c->leadspc ? 1 : 2);
	for (const char *v = value; *v;) {
		size_t n = strcspn(v, "\r\n");
		milter_cb_write(c, v, n);
		v += n;
		if (*v == '\r' && v[1] == '\n')
			v++;
		if (*v) {
			milter_cb_write(c, "\r\n", 2);
			v++;
		}
	}
	milter_cb_write(c, "\r\n", 2);
	return milter_cb_next(c, MILTER_P_NR_HDR); /* a failed write is remembered for the end */
}

/* milter_cb_eoh - the blank line after the header block */
enum milter_status milter_cb_eoh(struct milter_session *s)
{
	struct milter_conn *c = milter_cb_conn(s);
	if (!c)
		return MILTER_TEMPFAIL;
	milter_cb_write(c, "\r\n", 2);
	c->body = true;
	return milter_cb_next(c, MILTER_P_NR_EOH);
}

/* milter_cb_body - a body chunk, streamed to the engine */
enum milter_status milter_cb_body(struct milter_session *s, const char *chunk, size_t len)
{
	struct milter_conn *c = milter_cb_conn(s);
	if (!c)
		return MILTER_TEMPFAIL;
	milter_cb_write(c, chunk, len);
	return milter_cb_next(c, MILTER_P_NR_BODY);
}

/* milter_cb_value - the value of a whole field "Name: value" for the MTA: LF line ends,
 * its leading blank kept if the MTA takes values as they are (malloc'd) */
static char *milter_cb_value(const char *field, bool leadspc)
{
	const char *v = strchr(field, ':');
	v = v ? v + 1 : field + strlen(field);
	if (!leadspc && *v == ' ')
		v++;
	char *out = malloc(strlen(v) + 1), *o = out;
	if (!out)
		return NULL;
	for (; *v; v++)
		if (!(*v == '\r' && v[1] == '\n'))
			*o++ = *v;
	*o = '\0';
	return out;
}

/* milter_cb_add - a whole field on top of the message; false on failure */
static bool milter_cb_add(struct milter_session *s, const struct milter_conn *c, const char *field)
{
	size_t n = strcspn(field, ":");
	char name[128];
	if (n == 0 || n >= sizeof name || !field[n])
		return false;
	memcpy(name, field, n);
	name[n] = '\0';
	char *value = milter_cb_value(field, c->leadspc);
	bool ok = value && milter_session_insheader(s, 0, name, value);
	free(value);
	return ok;
}

/* milter_cb_remove - remove the fields the engine names (forged A-R, every DomainKey-Status)
 * over the whole header, past the header limits too: by name and 1-based occurrence among the
 * received fields of that name, the bottom one of a name first so that no removal moves the
 * index of another; false on failure */
static bool milter_cb_remove(struct milter_session *s, const struct pipeline_msg *m)
{
	struct milter_removal {
		const char *name;
		size_t nth;
	} *list = NULL, *grown;
	size_t cursor = 0, nth, count, n = 0, cap = 0;
	const char *name;
	bool ok = true;
	while (pipeline_msg_removal_next(m, &cursor, &name, &nth, &count)) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			if (!(grown = realloc(list, cap * sizeof *list))) {
				free(list);
				return false;
			}
			list = grown;
		}
		list[n++] = (struct milter_removal){name, nth};
	}
	while (ok && n-- > 0) /* the list runs top down within each name */
		ok = list[n].nth < UINT32_MAX && milter_session_delheader(s, (uint32_t)list[n].nth + 1, list[n].name);
	free(list);
	return ok;
}

/* milter_cb_reply - set the SMTP reply "CODE X.Y.Z text" of a reject or tempfail */
static void milter_cb_reply(struct milter_session *s, const char *reply)
{
	char code[4], xcode[32], text[600];
	if (!reply || sscanf(reply, "%3[0-9] %31[0-9.]", code, xcode) != 2)
		return;
	const char *t = reply + strlen(code) + 1 + strlen(xcode);
	t += strspn(t, " ");
	/* "CODE X.Y.Z text": '%' doubled (Sendmail formats the text), no line break */
	size_t o = (size_t)snprintf(text, sizeof text, "%s %s%s", code, xcode, *t ? " " : "");
	for (; *t && o + 2 < sizeof text; t++) {
		if (*t == '%')
			text[o++] = '%';
		text[o++] = (*t == '\r' || *t == '\n') ? ' ' : *t;
	}
	text[o] = '\0';
	milter_session_reply(s, text);
}

/* milter_cb_tempfail - the answer to an internal failure */
static enum milter_status milter_cb_tempfail(struct milter_session *s, struct milter_conn *c, const char *why)
{
	milter_log(DKMOD_LOG_ERROR, "%s: %s; tempfail", milter_cb_symbol(s, "i") ? milter_cb_symbol(s, "i") : "-", why);
	milter_session_reply(s, "451 4.3.0 dkmod-milter: internal error, try again later");
	milter_cb_reset(c);
	return MILTER_TEMPFAIL;
}

/* milter_cb_eom - run the pipeline, edit the header, answer with the policy's action */
enum milter_status milter_cb_eom(struct milter_session *s)
{
	struct milter_conn *c = milter_cb_conn(s);
	if (!c)
		return MILTER_TEMPFAIL;
	if (!c->body)
		milter_cb_write(c, "\r\n", 2);
	if (!milter_cb_start(c) || c->failed)
		return milter_cb_tempfail(s, c, "the engine could not take the message");
	enum pipeline_status st = pipeline_msg_finish(c->msg);
	enum policy_action action = pipeline_msg_action(c->msg);
	const struct mta_code *code = mta_code(action);
	if (st != PIPELINE_OK && st != PIPELINE_EENGINE)
		return milter_cb_tempfail(s, c, "the pipeline failed");
	if (code->milter == MILTER_REJECT || code->milter == MILTER_TEMPFAIL) {
		milter_cb_reply(s, pipeline_msg_reply(c->msg));
		milter_cb_reset(c);
		return (enum milter_status)code->milter;
	}
	if (code->milter == MILTER_DISCARD) {
		milter_cb_reset(c);
		return MILTER_DISCARD;
	}
	if (!milter_cb_remove(s, c->msg))
		return milter_cb_tempfail(s, c, "a forged field could not be removed");
	for (size_t i = pipeline_msg_added_count(c->msg); i-- > 0;)
		if (!milter_cb_add(s, c, pipeline_msg_added(c->msg, i)))
			return milter_cb_tempfail(s, c, "a field could not be added");
	if (code->header && !milter_cb_add(s, c, code->header))
		return milter_cb_tempfail(s, c, "a field could not be added");
	if (code->milter_quarantine) {
		const char *why = pipeline_msg_reply(c->msg);
		if (!milter_session_quarantine(s, why && *why ? why : "dkmod policy"))
			return milter_cb_tempfail(s, c, "the MTA refused to quarantine");
	}
	milter_cb_reset(c);
	return MILTER_CONTINUE;
}

/* milter_cb_abort - the MTA dropped the message */
void milter_cb_abort(struct milter_session *s)
{
	struct milter_conn *c = milter_session_priv(s);
	if (c)
		milter_cb_reset(c);
}

/* milter_cb_close - the connection ends */
void milter_cb_close(struct milter_session *s)
{
	struct milter_conn *c = milter_session_priv(s);
	if (!c)
		return;
	milter_cb_reset(c);
	free(c->helo);
	free(c->daemon);
	free(c);
	milter_session_set_priv(s, NULL);
}
