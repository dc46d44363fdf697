/*
 * pipeline_msg.c - one message through the pipeline.  The header block is
 * held back until it is complete, because the signing decision (the
 * configuration's domain blocks or the sign hook) needs Sender: and From:
 * and signers must be added before the engine sees the end of the headers.
 * Then bytes stream to the engine; at the end come verification, the
 * verify hook, and the action with its reply and fields.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pipeline_int.h"

/* Slack over the engine's header limit before the pipeline stops holding headers back. */
#define PIPELINE_HEADER_SLACK 65536

enum pipeline_phase { PIPELINE_HEADERS = 0, PIPELINE_BODY, PIPELINE_DONE };

struct pipeline_msg {
	struct pipeline *p;
	struct dkmod_session *s;
	enum pipeline_phase phase;
	enum pipeline_status st;
	/* the envelope, copied (in the same allocation, after the struct) */
	char *mail_from, *client_ip, *helo, *auth_user;
	char **rcpts;
	size_t nrcpts;
	bool can_relay;
	/* the header block until it is complete */
	char *hbuf;
	size_t hlen, hcap;
	struct pipeline_hdrs hdrs;
	char *sender, *sender_domain, *author, *author_domain;
	/* the policy's results */
	struct policy_out out;
	bool hook_failed;
	size_t signing;
	/* the outcome */
	enum policy_action action;
	char *reply;
	char **added;
	size_t nadded;
	char *ar_value;
};

/* pipeline_env_copy - a copy of s at *at, which moves past it (NULL stays NULL) */
static char *pipeline_env_copy(char **at, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *c = memcpy(*at, s, n);
	*at += n;
	return c;
}

/* pipeline_msg_new - a message; it and its copy of the envelope are one allocation; the
 * envelope goes to the session at once, which starts SPF before the header arrives */
struct pipeline_msg *pipeline_msg_new(struct pipeline *p, const struct pipeline_envelope *env)
{
	const char *one[] = {env->mail_from, env->client_ip, env->helo, env->auth_user};
	size_t bytes = 0;
	for (size_t i = 0; i < sizeof one / sizeof *one; i++)
		bytes += one[i] ? strlen(one[i]) + 1 : 0;
	for (size_t i = 0; i < env->nrcpts && bytes < SIZE_MAX / 4; i++)
		bytes += strlen(env->rcpts[i]) + 1;
	if (bytes >= SIZE_MAX / 4 || env->nrcpts >= SIZE_MAX / 4 / sizeof(char *))
		return NULL;
	struct pipeline_msg *m = calloc(1, sizeof *m + (env->nrcpts + 1) * sizeof(char *) + bytes);
	if (!m)
		return NULL;
	m->p = p;
	m->can_relay = env->can_relay;
	m->rcpts = (char **)(m + 1);
	char *at = (char *)(m->rcpts + env->nrcpts + 1);
	m->mail_from = pipeline_env_copy(&at, env->mail_from);
	m->client_ip = pipeline_env_copy(&at, env->client_ip);
	m->helo = pipeline_env_copy(&at, env->helo);
	m->auth_user = pipeline_env_copy(&at, env->auth_user);
	for (; m->nrcpts < env->nrcpts; m->nrcpts++)
		m->rcpts[m->nrcpts] = pipeline_env_copy(&at, env->rcpts[m->nrcpts]);
	struct dkmod_instances names = {.dk_validate = p->conf->dk_validate_name,
					.dkim_validate = p->conf->dkim_validate_name};
	if (dkmod_session_new(p->ctx, p->conf->verify ? DKMOD_SESSION_VERIFY : 0, &m->s) != DKMOD_OK ||
	    dkmod_session_set_instances(m->s, &names) != DKMOD_OK ||
	    dkmod_session_envelope(m->s, m->client_ip, m->helo, m->mail_from) == DKMOD_ENOMEM) {
		pipeline_msg_free(m); /* another envelope failure was logged by the engine: SPF is not checked */
		return NULL;
	}
	return m;
}

/* pipeline_msg_free - NULL is fine */
void pipeline_msg_free(struct pipeline_msg *m)
{
	if (!m)
		return;
	dkmod_session_free(m->s);
	free(m->hbuf);
	pipeline_hdr_free(&m->hdrs);
	free(m->sender);
	free(m->sender_domain);
	free(m->author);
	free(m->author_domain);
	policy_out_free(&m->out);
	free(m->reply);
	for (size_t i = 0; i < m->nadded; i++)
		free(m->added[i]);
	free(m->added);
	free(m->ar_value);
	free(m);
}

/* pipeline_policy_msg - what the hooks see */
static struct policy_msg pipeline_policy_msg(const struct pipeline_msg *m)
{
	struct policy_msg pm = {
		.mail_from = m->mail_from, .rcpts = (const char *const *)m->rcpts, .nrcpts = m->nrcpts,
		.client_ip = m->client_ip, .helo = m->helo, .auth_user = m->auth_user, .can_relay = m->can_relay,
		.headers = m->hdrs.fields, .nheaders = m->hdrs.count, .sender = m->sender,
		.sender_domain = m->sender_domain, .author = m->author, .author_domain = m->author_domain,
		.signing = m->signing};
	return pm;
}

/* pipeline_hook_failed - a hook failed: the fallback applies, and a log line says why */
static void pipeline_hook_failed(struct pipeline_msg *m, const char *hook)
{
	m->hook_failed = true;
	pipeline_log(m->p, DKMOD_LOG_ERROR, "policy: %s hook failed: %s; fallback action %s", hook, m->out.why,
		     m->p->conf->fallback);
}

/* pipeline_explain - the reasoning of the signing decision, as log lines */
static void pipeline_explain(void *arg, enum dkmod_log_level level, const char *line)
{
	pipeline_log(arg, level, "sign: %s", line);
}

/* pipeline_requests - the signatures this message gets: from the sign hook, else the configuration */
static size_t pipeline_requests(struct pipeline_msg *m, struct conf_request **reqs)
{
	struct pipeline *p = m->p;
	conf_tables_refresh(p->conf, p->ctx, pipeline_explain, p); /* the hook's msg:configured_signatures() too */
	if (policy_has_hook(p->policy, "sign")) {
		pipeline_log(p, DKMOD_LOG_DEBUG, "sign: the policy script's sign hook decides");
		struct policy_msg pm = pipeline_policy_msg(m);
		enum policy_status st = policy_sign(p->policy, &pm, &m->out);
		if (st == POLICY_ENOMEM)
			m->st = PIPELINE_ENOMEM;
		else if (st == POLICY_FAILED)
			pipeline_hook_failed(m, "sign");
		*reqs = m->out.reqs;
		return st == POLICY_OK ? m->out.nreqs : 0;
	}
	if (p->conf->nsigners == 0 || !m->sender_domain || !*m->sender_domain)
		return 0; /* nothing to sign (what conf_requests would say) */
	if (!m->out.reqs && !(m->out.reqs = calloc(POLICY_MAX_REQUESTS, sizeof *m->out.reqs))) {
		m->st = PIPELINE_ENOMEM;
		return 0;
	}
	*reqs = m->out.reqs;
	struct conf_who who = {.dkim_address = m->author, .dkim_domain = m->author_domain, .dk_address = m->sender,
			       .dk_domain = m->sender_domain, .can_relay = m->can_relay,
			       .auth_user = m->auth_user && *m->auth_user};
	return conf_requests(p->conf, &who, m->out.reqs, POLICY_MAX_REQUESTS, pipeline_explain, p, p->level);
}

/* pipeline_wants_headers - whether anything reads the parsed header fields: the signing
 * decision, the hooks, or the info line that names the sender */
static bool pipeline_wants_headers(const struct pipeline *p)
{
	return p->conf->nsigners > 0 || policy_has_hook(p->policy, "sign") || policy_has_hook(p->policy, "verify") ||
	       p->level >= DKMOD_LOG_INFO;
}

/* pipeline_address - copies of an address the engine found and of its domain in lower case
 * (none if addr is NULL); false if out of memory */
static bool pipeline_address(const char *addr, const char *domain, char **a, char **d)
{
	if (!addr)
		return true;
	if (!(*a = strdup(addr)) || !(*d = strdup(domain)))
		return false;
	for (char *c = *d; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	return true;
}

/* pipeline_give_fields - the header block but its blank line (the first end bytes of hdr) to the
 * engine, whose fields, author and responsible sender (dkmod.h) the signing decision and the
 * hooks read; the bytes given to the engine, or 0 with m->st set */
static size_t pipeline_give_fields(struct pipeline_msg *m, const char *hdr, size_t end)
{
	const char *author_domain = NULL, *sender_domain = NULL;
	size_t fields = end - (end >= 2 && hdr[end - 2] == '\r' ? 2 : 1);
	enum dkmod_status st = dkmod_session_write(m->s, hdr, fields);
	if (st == DKMOD_OK)
		st = dkmod_session_fields_complete(m->s);
	if (st != DKMOD_OK) {
		m->st = st == DKMOD_ENOMEM ? PIPELINE_ENOMEM : PIPELINE_EENGINE;
		return 0;
	}
	const char *author = dkmod_session_author(m->s, &author_domain);
	const char *sender = dkmod_session_sender(m->s, &sender_domain);
	if (!pipeline_hdr_fields(m->s, &m->hdrs) ||
	    !pipeline_address(author, author_domain, &m->author, &m->author_domain) ||
	    !pipeline_address(sender, sender_domain, &m->sender, &m->sender_domain))
		m->st = PIPELINE_ENOMEM;
	return fields;
}

/* pipeline_eoh - the header block is complete: it is the first end bytes of hdr (0 if it was
 * too large to hold); decide the signers, then give the engine the len bytes at hdr */
static enum pipeline_status pipeline_eoh(struct pipeline_msg *m, const char *hdr, size_t end, size_t len)
{
	struct pipeline *p = m->p;
	struct conf_request *reqs = NULL;
	size_t n = 0, given = 0;
	if (end == 0) {
		pipeline_log(p, DKMOD_LOG_WARNING, "header block larger than %zu bytes: not signed",
			     p->conf->opt.max_header_bytes);
	} else if (!pipeline_wants_headers(p)) {
		/* no signing blocks, no hook and no info log line: nothing would read the fields */
	} else {
		given = pipeline_give_fields(m, hdr, end);
		if (m->st != PIPELINE_OK)
			return m->st;
		n = pipeline_requests(m, &reqs);
	}
	for (size_t i = 0; m->st == PIPELINE_OK && i < n; i++) {
		enum dkmod_status st = dkmod_session_add_signer(m->s, &reqs[i].req);
		if (st == DKMOD_ENOMEM)
			m->st = PIPELINE_ENOMEM;
		else if (st != DKMOD_OK)
			pipeline_log(p, DKMOD_LOG_ERROR, "cannot sign as d=%s s=%s (%s): %s", reqs[i].req.domain,
				     reqs[i].req.selector, reqs[i].instance, dkmod_strerror(st));
		else
			m->signing++;
	}
	if (m->signing && !p->conf->verify_signed && dkmod_session_sign_only(m->s) != DKMOD_OK)
		m->st = PIPELINE_EENGINE; /* outgoing mail that is signed is not verified too, unless asked */
	m->phase = PIPELINE_BODY;
	if (m->st == PIPELINE_OK && len > given && dkmod_session_write(m->s, hdr + given, len - given) != DKMOD_OK)
		m->st = PIPELINE_EENGINE;
	free(m->hbuf);
	m->hbuf = NULL;
	m->hlen = m->hcap = 0;
	return m->st;
}

/* pipeline_hold - keep len more bytes of the header block until it is complete */
static bool pipeline_hold(struct pipeline_msg *m, const char *data, size_t len)
{
	if (m->hlen + len > m->hcap) {
		size_t cap = (m->hlen + len) * 2 + 4096;
		char *b = realloc(m->hbuf, cap);
		if (!b)
			return false;
		m->hbuf = b;
		m->hcap = cap;
	}
	memcpy(m->hbuf + m->hlen, data, len);
	m->hlen += len;
	return true;
}

/* pipeline_hdr_rest - how many bytes of data complete the header block begun by the bytes
 * held (which do not complete it), or 0 if data does not */
static size_t pipeline_hdr_rest(const struct pipeline_msg *m, const char *data, size_t len)
{
	const char *h = m->hbuf;
	size_t n = m->hlen;
	if (n == 0)
		return pipeline_hdr_end(data, len, 0);
	if (len == 0)
		return 0;
	/* a blank line first, its CR held */
	if (n == 1 && h[0] == '\r' && data[0] == '\n')
		return 1;
	/* a blank line across the two: "\n" + "\n", "\n" + "\r\n", "\n\r" + "\n" */
	if (h[n - 1] == '\n' && data[0] == '\n')
		return 1;
	if (h[n - 1] == '\n' && len >= 2 && data[0] == '\r' && data[1] == '\n')
		return 2;
	if (n >= 2 && h[n - 2] == '\n' && h[n - 1] == '\r' && data[0] == '\n')
		return 1;
	return pipeline_hdr_blank(data, len, 0);
}

/* pipeline_msg_write - raw message bytes.  The header block is held back only when it comes
 * in more than one piece, and only up to its end: the body goes to the engine as given. */
enum pipeline_status pipeline_msg_write(struct pipeline_msg *m, const void *data, size_t len)
{
	if (m->st != PIPELINE_OK || m->phase == PIPELINE_DONE)
		return m->st != PIPELINE_OK ? m->st : PIPELINE_EENGINE;
	if (m->phase == PIPELINE_BODY) {
		if (len && dkmod_session_write(m->s, data, len) != DKMOD_OK)
			m->st = PIPELINE_EENGINE;
		return m->st;
	}
	const char *d = data;
	size_t end = pipeline_hdr_rest(m, d, len);
	if (end == 0) {
		if (m->hlen + len <= m->p->conf->opt.max_header_bytes + PIPELINE_HEADER_SLACK)
			return pipeline_hold(m, d, len) ? PIPELINE_OK : (m->st = PIPELINE_ENOMEM);
		/* too large to hold: what is held goes on unsigned, then the rest */
		if (pipeline_eoh(m, m->hbuf, 0, m->hlen) != PIPELINE_OK)
			return m->st;
	} else if (m->hlen == 0) {
		/* the whole header block in this piece: nothing to hold */
		if (pipeline_eoh(m, d, end, end) != PIPELINE_OK)
			return m->st;
	} else {
		if (!pipeline_hold(m, d, end))
			return m->st = PIPELINE_ENOMEM;
		if (pipeline_eoh(m, m->hbuf, m->hlen, m->hlen) != PIPELINE_OK)
			return m->st;
	}
	if (len > end && dkmod_session_write(m->s, d + end, len - end) != DKMOD_OK)
		m->st = PIPELINE_EENGINE;
	return m->st;
}

/* pipeline_default_reply - the reply of an action when the script gave none (or only text) */
static const char *pipeline_default_reply(enum policy_action a, bool fallback)
{
	switch (a) {
	case POLICY_REJECT:
		return fallback ? "550 5.7.1 Message refused by local policy" : "550 5.7.1 Message rejected by policy";
	case POLICY_TEMPFAIL:
		return fallback ? "451 4.3.0 Local policy error, try again later"
				: "451 4.7.1 Message deferred by policy, try again later";
	case POLICY_DISCARD:
		return "250 2.0.0 Ok (discarded)";
	case POLICY_QUARANTINE:
		return "250 2.0.0 Ok (quarantined)";
	default:
		return "250 2.0.0 Ok";
	}
}

/* pipeline_set_reply - the reply: the script's text (given a code if it has none) or the default */
static bool pipeline_set_reply(struct pipeline_msg *m, const char *text, bool fallback)
{
	const char *def = pipeline_default_reply(m->action, fallback);
	free(m->reply);
	if (!text) {
		m->reply = strdup(def);
	} else if (text[0] >= '2' && text[0] <= '5' && strspn(text, "0123456789") == 3) {
		m->reply = strdup(text);
	} else {
		/* "550 5.7.1 " from the default */
		size_t codes = strcspn(def + 4, " ") + 5;
		if ((m->reply = malloc(codes + strlen(text) + 1)))
			sprintf(m->reply, "%.*s%s", (int)codes, def, text);
	}
	return m->reply != NULL;
}

/* pipeline_add - append a field to the added list (takes f) */
static bool pipeline_add(struct pipeline_msg *m, char *f)
{
	char **a = f ? realloc(m->added, (m->nadded + 1) * sizeof *a) : NULL;
	if (!a) {
		free(f);
		return false;
	}
	m->added = a;
	m->added[m->nadded++] = f;
	return true;
}

/* pipeline_fields - the script's fields on top, then the engine's (its Authentication-Results
 * only if no verify hook decided about it) */
static bool pipeline_fields(struct pipeline_msg *m, bool ar_by_script)
{
	for (size_t i = 0; i < m->out.nfields; i++)
		if (!pipeline_add(m, dkmod_header_fold(m->out.fields[i].name, m->out.fields[i].value)))
			return false;
	for (size_t i = 0; i < dkmod_session_added_count(m->s); i++) {
		const char *f = dkmod_session_added(m->s, i);
		if (ar_by_script && strncasecmp(f, "Authentication-Results:", 23) == 0)
			continue;
		if (!pipeline_add(m, strdup(f)))
			return false;
	}
	return true;
}

/* pipeline_verify - the verify hook; true if it decided (else the fallback or accept applies) */
static bool pipeline_verify(struct pipeline_msg *m)
{
	struct pipeline *p = m->p;
	if (m->hook_failed || !policy_has_hook(p->policy, "verify"))
		return false;
	const char *ar = dkmod_session_ar_value(m->s);
	if (ar && !(m->ar_value = pipeline_hdr_unfold(ar))) {
		m->st = PIPELINE_ENOMEM;
		return false;
	}
	struct policy_msg pm = pipeline_policy_msg(m);
	pm.session = m->s;
	pm.ar_value = m->ar_value;
	enum policy_status st = policy_verify(p->policy, &pm, &m->out);
	if (st == POLICY_ENOMEM)
		m->st = PIPELINE_ENOMEM;
	else if (st == POLICY_FAILED)
		pipeline_hook_failed(m, "verify");
	if (st != POLICY_OK)
		return false;
	m->action = m->out.action;
	return true;
}

/* pipeline_report - the DMARC verdict, the action and the script's override reason (if its
 * verify gave one) for the aggregate report (RFC 9990); a message the sender will retry
 * (tempfail) is counted when it comes back */
static void pipeline_report(struct pipeline_msg *m)
{
	static const int applied[POLICY_ACTIONS] = {
		[POLICY_ACCEPT] = DKMOD_APPLIED_DELIVER, [POLICY_REJECT] = DKMOD_APPLIED_REJECT, [POLICY_TEMPFAIL] = -1,
		[POLICY_DISCARD] = DKMOD_APPLIED_REJECT, [POLICY_QUARANTINE] = DKMOD_APPLIED_QUARANTINE};
	const char *to = m->nrcpts ? strrchr(m->rcpts[0], '@') : NULL;
	struct dkmod_report_reason why = {m->out.report_reason, m->out.report_comment};
	bool given = m->out.has_action && m->out.report_reason[0];
	if (applied[m->action] >= 0 && dkmod_session_dmarc(m->s))
		dkmod_session_report_reason(m->s, (enum dkmod_report_applied)applied[m->action], to ? to + 1 : NULL,
					    given ? &why : NULL);
}

/* pipeline_msg_finish - end of message */
enum pipeline_status pipeline_msg_finish(struct pipeline_msg *m)
{
	struct pipeline *p = m->p;
	if (m->phase == PIPELINE_DONE)
		return m->st != PIPELINE_OK ? m->st : PIPELINE_EENGINE;
	if (m->st == PIPELINE_OK && m->phase == PIPELINE_HEADERS)
		pipeline_eoh(m, m->hbuf, m->hlen <= p->conf->opt.max_header_bytes ? m->hlen : 0, m->hlen);
	m->phase = PIPELINE_DONE;
	enum dkmod_status st = m->st == PIPELINE_OK ? dkmod_session_finish(m->s) : DKMOD_OK;
	if (st != DKMOD_OK) {
		pipeline_log(p, DKMOD_LOG_ERROR, "engine: %s", dkmod_strerror(st));
		m->st = st == DKMOD_ENOMEM ? PIPELINE_ENOMEM : PIPELINE_EENGINE;
	}
	bool decided = m->st == PIPELINE_OK && pipeline_verify(m);
	if (m->st != PIPELINE_OK) {
		m->action = POLICY_TEMPFAIL;
		m->reply = strdup("451 4.3.0 Internal error, try again later");
		return m->st;
	}
	enum policy_action fb = POLICY_TEMPFAIL;
	if (m->hook_failed)
		policy_action_parse(p->conf->fallback, &fb);
	if (!decided)
		m->action = m->hook_failed ? fb : POLICY_ACCEPT;
	if (!pipeline_set_reply(m, decided ? m->out.reply : NULL, m->hook_failed) || !pipeline_fields(m, decided)) {
		m->action = POLICY_TEMPFAIL;
		return m->st = PIPELINE_ENOMEM;
	}
	pipeline_report(m);
	size_t verified = 0; /* signatures checked: a "none" verdict stands for their absence */
	for (size_t i = 0; i < dkmod_session_result_count(m->s); i++)
		verified += dkmod_session_result(m->s, i)->result != DKMOD_RESULT_NONE;
	pipeline_log(p, DKMOD_LOG_INFO, "action=%s sender=%s signed=%zu verified=%zu reply=\"%s\"",
		     policy_action_name(m->action), m->sender ? m->sender : "<>", m->signing, verified, m->reply);
	return PIPELINE_OK;
}

/* pipeline_msg_action - the action */
enum policy_action pipeline_msg_action(const struct pipeline_msg *m)
{
	return m->action;
}

/* pipeline_msg_reply - the reply text */
const char *pipeline_msg_reply(const struct pipeline_msg *m)
{
	return m->reply ? m->reply : pipeline_default_reply(m->action, false);
}

/* pipeline_msg_signing - signatures the message is getting */
size_t pipeline_msg_signing(const struct pipeline_msg *m)
{
	return m->signing;
}

/* pipeline_msg_added_count - fields to add */
size_t pipeline_msg_added_count(const struct pipeline_msg *m)
{
	return m->nadded;
}

/* pipeline_msg_added - field i to add, the first on top */
const char *pipeline_msg_added(const struct pipeline_msg *m, size_t i)
{
	return i < m->nadded ? m->added[i] : NULL;
}

/* pipeline_msg_header_count - the received fields */
size_t pipeline_msg_header_count(const struct pipeline_msg *m)
{
	return dkmod_session_header_count(m->s);
}

/* pipeline_msg_header_raw - received field i as given */
const char *pipeline_msg_header_raw(const struct pipeline_msg *m, size_t i, size_t *len)
{
	return dkmod_session_header_raw(m->s, i, len);
}

/* pipeline_msg_header_removed - received field i is to go */
bool pipeline_msg_header_removed(const struct pipeline_msg *m, size_t i)
{
	return dkmod_session_header_removed(m->s, i);
}

/* pipeline_msg_intact - the header limits held */
bool pipeline_msg_intact(const struct pipeline_msg *m)
{
	return dkmod_session_intact(m->s);
}

/* pipeline_msg_removes - any received field goes */
bool pipeline_msg_removes(const struct pipeline_msg *m)
{
	size_t cursor = 0, nth, count;
	const char *name;
	return pipeline_msg_removal_next(m, &cursor, &name, &nth, &count);
}

/* pipeline_msg_header_walk - a walk that leaves out the fields to go */
void pipeline_msg_header_walk(const struct pipeline_msg *m, struct dkmod_header_walk *w)
{
	dkmod_header_walk_init(w, m->s);
}

/* pipeline_msg_removal_next - the next field to go */
bool pipeline_msg_removal_next(const struct pipeline_msg *m, size_t *cursor, const char **name, size_t *nth,
			       size_t *count)
{
	return dkmod_session_removal_next(m->s, cursor, name, nth, count);
}

/* pipeline_msg_eol - the message's line end */
const char *pipeline_msg_eol(const struct pipeline_msg *m)
{
	return dkmod_session_eol(m->s);
}
