/*
 * milter_cb.c - the milter protocol side of dkmod-milter (libmilter calls
 * these, one thread per connection).  The connection's facts (client
 * address, {daemon_name}, HELO) and the envelope ({auth_authen}, MAIL FROM,
 * RCPT TO) make the pipeline's envelope; header fields and body chunks are
 * streamed into the message's own engine as they come; at the end of the
 * message the added fields go on top (smfi_insheader at 0), forged ones
 * are removed by name and position among the fields of that name
 * (smfi_chgheader), and the policy's action is the reply.  Any internal
 * failure answers tempfail: the MTA keeps the message.
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

#include <libmilter/mfapi.h>

#include "../common/mta.h"
#include "milter.h"

#define MILTER_RCPTS_MAX 1000 /* recipients passed to the policy; more are accepted but not listed */

/* One SMTP connection (or one local submission) and its message in progress. */
struct milter_conn {
	char client_ip[INET6_ADDRSTRLEN + 8];
	char *helo, *daemon;
	bool leadspc;                 /* the MTA sends header values with their leading blanks */
	unsigned long noreply;        /* SMFIP_NR_* the MTA agreed to: those callbacks answer nothing */
	bool conn_failed;             /* connect or HELO failed under SMFIP_NR_*: every message tempfails */
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
static bool milter_cb_local; /* the daemon listens on a unix socket: MILTER_CB_LOCAL_ONLY is asked for */

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

/* milter_cb_conn - the connection's state, made if the MTA did not negotiate; NULL if out of memory */
static struct milter_conn *milter_cb_conn(SMFICTX *ctx)
{
	struct milter_conn *c = smfi_getpriv(ctx);
	if (!c && (c = calloc(1, sizeof *c)))
		smfi_setpriv(ctx, c);
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
 * of the message, whose answer is the policy's; each answer saved is a round trip the MTA skips. */
#define MILTER_CB_NOREPLY \
	(SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)
/* Those, and DATA (not sent), are asked for on a unix socket only: on TCP the MTA's writes that no
 * answer follows wait behind Nagle's algorithm for the daemon's delayed ACK (in the bench, 47 ms
 * a message instead of 2.8 with either). */
#define MILTER_CB_LOCAL_ONLY (MILTER_CB_NOREPLY | SMFIP_NODATA)

/* milter_cb_next - the answer of a step that went well: none if the MTA agreed to go on without (flag) */
static sfsistat milter_cb_next(const struct milter_conn *c, unsigned long flag)
{
	return c->noreply & flag ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* milter_cb_fail - the answer of a step that failed: tempfail now, or where the MTA takes no answer,
 * at the end of the message (the connection's steps: of every message) */
static sfsistat milter_cb_fail(struct milter_conn *c, unsigned long flag)
{
	if (!(c->noreply & flag))
		return SMFIS_TEMPFAIL;
	c->failed = true;
	if (flag & (SMFIP_NR_CONN | SMFIP_NR_HELO))
		c->conn_failed = true;
	return SMFIS_NOREPLY;
}

/* milter_cb_symbol - a macro's value, NULL when absent or empty */
static char *milter_cb_symbol(SMFICTX *ctx, const char *name)
{
	char *v = smfi_getsymval(ctx, (char *)name);
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
static sfsistat milter_cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
				    unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
				    unsigned long *pf3)
{
	struct milter_conn *c = milter_cb_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE);
	*pf1 = f1 & (SMFIP_HDR_LEADSPC | SMFIP_NOUNKNOWN | (milter_cb_local ? MILTER_CB_LOCAL_ONLY : 0));
	c->leadspc = (f1 & SMFIP_HDR_LEADSPC) != 0;
	c->noreply = *pf1 & MILTER_CB_NOREPLY;
	*pf2 = *pf3 = 0;
	return SMFIS_CONTINUE;
}

/* milter_cb_connect - the client's address (IPv4, IPv6; none for a local connection) and the
 * receiving service */
static sfsistat milter_cb_connect(SMFICTX *ctx, char *host, struct sockaddr *addr)
{
	struct milter_conn *c = milter_cb_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	c->client_ip[0] = '\0'; /* a local (unix socket) connection has no address */
	if (addr && addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)addr)->sin_addr, c->client_ip, sizeof c->client_ip);
	else if (addr && addr->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((struct sockaddr_in6 *)addr)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) /* ::ffff:192.0.2.1 is the IPv4 client 192.0.2.1 */
			inet_ntop(AF_INET, &a6->s6_addr[12], c->client_ip, sizeof c->client_ip);
		else
			inet_ntop(AF_INET6, a6, c->client_ip, sizeof c->client_ip);
	}
	const char *d = milter_cb_symbol(ctx, "{daemon_name}");
	free(c->daemon);
	c->daemon = d ? strdup(d) : NULL;
	milter_log(DKMOD_LOG_DEBUG, "connect from %s [%s] daemon_name=%s", host ? host : "?",
		   c->client_ip[0] ? c->client_ip : "unknown", d ? d : "-");
	return d && !c->daemon ? milter_cb_fail(c, SMFIP_NR_CONN) : milter_cb_next(c, SMFIP_NR_CONN);
}

/* milter_cb_helo - the HELO name */
static sfsistat milter_cb_helo(SMFICTX *ctx, char *helo)
{
	struct milter_conn *c = milter_cb_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	free(c->helo);
	c->helo = strdup(helo);
	return c->helo ? milter_cb_next(c, SMFIP_NR_HELO) : milter_cb_fail(c, SMFIP_NR_HELO);
}

/* milter_cb_envfrom - a new message: the sender (no <>, "" for the null sender) and the SASL login */
static sfsistat milter_cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct milter_conn *c = milter_cb_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	milter_cb_reset(c);
	const char *user = milter_cb_symbol(ctx, "{auth_authen}");
	c->mail_from = milter_cb_address(argv[0] ? argv[0] : "");
	c->auth_user = user ? strdup(user) : NULL;
	return c->mail_from && (!user || c->auth_user) ? milter_cb_next(c, SMFIP_NR_MAIL) : milter_cb_fail(c, SMFIP_NR_MAIL);
}

/* milter_cb_envrcpt - one recipient */
static sfsistat milter_cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct milter_conn *c = milter_cb_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	if (c->nrcpts >= MILTER_RCPTS_MAX)
		return milter_cb_next(c, SMFIP_NR_RCPT);
	char **r = realloc(c->rcpts, (c->nrcpts + 1) * sizeof *r);
	if (!r)
		return milter_cb_fail(c, SMFIP_NR_RCPT);
	c->rcpts = r;
	if (!(r[c->nrcpts] = milter_cb_address(argv[0] ? argv[0] : "")))
		return milter_cb_fail(c, SMFIP_NR_RCPT);
	c->nrcpts++;
	return milter_cb_next(c, SMFIP_NR_RCPT);
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
static sfsistat milter_cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct milter_conn *c = milter_cb_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
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
	return milter_cb_next(c, SMFIP_NR_HDR); /* a failed write is remembered for the end */
}

/* milter_cb_eoh - the blank line after the header block */
static sfsistat milter_cb_eoh(SMFICTX *ctx)
{
	struct milter_conn *c = milter_cb_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	milter_cb_write(c, "\r\n", 2);
	c->body = true;
	return milter_cb_next(c, SMFIP_NR_EOH);
}

/* milter_cb_body - a body chunk, streamed to the engine */
static sfsistat milter_cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct milter_conn *c = milter_cb_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	milter_cb_write(c, chunk, len);
	return milter_cb_next(c, SMFIP_NR_BODY);
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
static bool milter_cb_add(SMFICTX *ctx, const struct milter_conn *c, const char *field)
{
	size_t n = strcspn(field, ":");
	char name[128];
	if (n == 0 || n >= sizeof name || !field[n])
		return false;
	memcpy(name, field, n);
	name[n] = '\0';
	char *value = milter_cb_value(field, c->leadspc);
	bool ok = value && smfi_insheader(ctx, 0, name, value) == MI_SUCCESS;
	free(value);
	return ok;
}

/* milter_cb_remove - remove the fields the engine names (forged A-R, every DomainKey-Status)
 * over the whole header, past the header limits too: by name and 1-based occurrence among the
 * received fields of that name, the bottom one of a name first so that no removal moves the
 * index of another; false on failure */
static bool milter_cb_remove(SMFICTX *ctx, const struct pipeline_msg *m)
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
		ok = list[n].nth < INT_MAX &&
		     smfi_chgheader(ctx, (char *)list[n].name, (int)list[n].nth + 1, NULL) == MI_SUCCESS;
	free(list);
	return ok;
}

/* milter_cb_reply - set the SMTP reply "CODE X.Y.Z text" of a reject or tempfail */
static void milter_cb_reply(SMFICTX *ctx, const char *reply)
{
	char code[4], xcode[32], text[512];
	size_t o = 0;
	if (!reply || sscanf(reply, "%3[0-9] %31[0-9.]", code, xcode) != 2)
		return;
	const char *t = reply + strlen(code) + 1 + strlen(xcode);
	t += strspn(t, " ");
	for (; *t && o + 2 < sizeof text; t++) {
		if (*t == '%')
			text[o++] = '%';
		text[o++] = (*t == '\r' || *t == '\n') ? ' ' : *t;
	}
	text[o] = '\0';
	smfi_setreply(ctx, code, xcode, o ? text : NULL);
}

/* milter_cb_tempfail - the answer to an internal failure */
static sfsistat milter_cb_tempfail(SMFICTX *ctx, struct milter_conn *c, const char *why)
{
	milter_log(DKMOD_LOG_ERROR, "%s: %s; tempfail", milter_cb_symbol(ctx, "i") ? milter_cb_symbol(ctx, "i") : "-",
		   why);
	smfi_setreply(ctx, "451", "4.3.0", "dkmod-milter: internal error, try again later");
	milter_cb_reset(c);
	return SMFIS_TEMPFAIL;
}

/* milter_cb_eom - run the pipeline, edit the header, answer with the policy's action */
static sfsistat milter_cb_eom(SMFICTX *ctx)
{
	struct milter_conn *c = milter_cb_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	if (!c->body)
		milter_cb_write(c, "\r\n", 2);
	if (!milter_cb_start(c) || c->failed)
		return milter_cb_tempfail(ctx, c, "the engine could not take the message");
	enum pipeline_status st = pipeline_msg_finish(c->msg);
	enum policy_action action = pipeline_msg_action(c->msg);
	const struct mta_code *code = mta_code(action);
	if (st != PIPELINE_OK && st != PIPELINE_EENGINE)
		return milter_cb_tempfail(ctx, c, "the pipeline failed");
	if (code->milter == MTA_MILTER_REJECT || code->milter == MTA_MILTER_TEMPFAIL) {
		milter_cb_reply(ctx, pipeline_msg_reply(c->msg));
		milter_cb_reset(c);
		return code->milter;
	}
	if (code->milter == MTA_MILTER_DISCARD) {
		milter_cb_reset(c);
		return SMFIS_DISCARD;
	}
	if (!milter_cb_remove(ctx, c->msg))
		return milter_cb_tempfail(ctx, c, "a forged field could not be removed");
	for (size_t i = pipeline_msg_added_count(c->msg); i-- > 0;)
		if (!milter_cb_add(ctx, c, pipeline_msg_added(c->msg, i)))
			return milter_cb_tempfail(ctx, c, "a field could not be added");
	if (code->header && !milter_cb_add(ctx, c, code->header))
		return milter_cb_tempfail(ctx, c, "a field could not be added");
	if (code->milter_quarantine) {
		const char *why = pipeline_msg_reply(c->msg);
		if (smfi_quarantine(ctx, (char *)(why && *why ? why : "dkmod policy")) != MI_SUCCESS)
			return milter_cb_tempfail(ctx, c, "the MTA refused to quarantine");
	}
	milter_cb_reset(c);
	return SMFIS_CONTINUE;
}

/* milter_cb_abort - the MTA dropped the message */
static sfsistat milter_cb_abort(SMFICTX *ctx)
{
	struct milter_conn *c = smfi_getpriv(ctx);
	if (c)
		milter_cb_reset(c);
	return SMFIS_CONTINUE;
}

/* milter_cb_close - the connection ends */
static sfsistat milter_cb_close(SMFICTX *ctx)
{
	struct milter_conn *c = smfi_getpriv(ctx);
	if (!c)
		return SMFIS_CONTINUE;
	milter_cb_reset(c);
	free(c->helo);
	free(c->daemon);
	free(c);
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

/* milter_cb_register - the filter description; local: the daemon listens on a unix socket */
bool milter_cb_register(bool local)
{
	milter_cb_local = local;
	static struct smfiDesc desc = {
		.xxfi_name = "dkmod-milter",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
		.xxfi_connect = milter_cb_connect,
		.xxfi_helo = milter_cb_helo,
		.xxfi_envfrom = milter_cb_envfrom,
		.xxfi_envrcpt = milter_cb_envrcpt,
		.xxfi_header = milter_cb_header,
		.xxfi_eoh = milter_cb_eoh,
		.xxfi_body = milter_cb_body,
		.xxfi_eom = milter_cb_eom,
		.xxfi_abort = milter_cb_abort,
		.xxfi_close = milter_cb_close,
		.xxfi_negotiate = milter_cb_negotiate,
	};
	return smfi_register(desc) == MI_SUCCESS;
}
