/*
 * exim_scan.c - local_scan() for Exim (Debian exim4-daemon-heavy loads it
 * through local_scan_path; upstream Exim links it in, doc/adapter-exim.md).
 * Streams Exim's header list and the spool body into the pipeline, then
 * adds its fields on top, marks the ones it removes as deleted, and maps
 * the action through adapters/common/mta.h.  Engine steps run with the
 * asynchronous signals blocked (exim_proc.c says why).  The only file that
 * includes Exim's local_scan.h, built with -Wno-strict-prototypes for it.
 */
#define LOCAL_SCAN
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <local_scan.h>

#include "../common/mta.h"
#include "exim.h"

#define EXIM_SCAN_CHUNK 65536

int local_scan_version_major(void);
int local_scan_version_minor(void);

/* local_scan_version_major - the ABI major version this object was built for */
int local_scan_version_major(void)
{
	return LOCAL_SCAN_ABI_VERSION_MAJOR;
}

/* local_scan_version_minor - the ABI minor version this object was built for */
int local_scan_version_minor(void)
{
	return LOCAL_SCAN_ABI_VERSION_MINOR;
}

/* exim_scan_log - a line to Exim's main log (and its panic log if serious); during
 * reception Exim puts the message id in front itself */
static void exim_scan_log(bool panic, const char *line)
{
	log_write(0, LOG_MAIN | (panic ? LOG_PANIC : 0), "%s", line);
}

/* exim_scan_var - the value of an Exim expansion, NULL if it fails or is empty */
static const char *exim_scan_var(const char *expr)
{
	uschar *v = expand_string((uschar *)expr);
	return v && *v ? (const char *)v : NULL;
}

/* exim_scan_can_relay - authenticated, submitted locally, or from a host in relay_from_hosts */
static bool exim_scan_can_relay(const char *auth_user)
{
	if (auth_user || !sender_host_address)
		return true;
	/* A "+name" of a list that does not exist kills Exim: ask for the list first. */
	if (!exim_scan_var("${listnamed_h:relay_from_hosts}"))
		return false;
	return lss_match_host(sender_host_name, sender_host_address, (uschar *)"+relay_from_hosts") == OK;
}

/* exim_scan_code - Exim's local_scan value of an mta.h code */
static int exim_scan_code(int mta)
{
	switch (mta) {
	case MTA_EXIM_ACCEPT:
		return LOCAL_SCAN_ACCEPT;
	case MTA_EXIM_ACCEPT_FREEZE:
		return LOCAL_SCAN_ACCEPT_FREEZE;
	case MTA_EXIM_REJECT:
		return LOCAL_SCAN_REJECT;
	default:
		return LOCAL_SCAN_TEMPREJECT;
	}
}

/* exim_scan_write - one engine step: bytes into the message; false on failure */
static bool exim_scan_write(struct pipeline_msg *m, const void *data, size_t len)
{
	exim_proc_engine_enter();
	enum pipeline_status st = pipeline_msg_write(m, data, len);
	exim_proc_engine_leave();
	return st == PIPELINE_OK;
}

/* exim_scan_feed - the header list (deleted lines and Exim's own Received skipped), the blank
 * line, the body from fd; the lines fed go to hl (nh of them); false on a failure (logged).
 * Exim's own Received (the first line, type 'P') is rewritten after local_scan returns (its
 * timestamp becomes the end of reception): a signature that covered it would break whenever
 * a second turned during local_scan, so the engine never sees it and the fields it adds go
 * below it (exim_scan_fields) */
static bool exim_scan_feed(struct pipeline_msg *m, int fd, header_line **hl, size_t *nh)
{
	*nh = 0;
	for (header_line *h = header_list; h; h = h->next) {
		if (h->type == '*' || (h == header_list && h->type == 'P'))
			continue;
		hl[(*nh)++] = h;
		if (!exim_scan_write(m, h->text, (size_t)h->slen))
			return false;
	}
	if (!exim_scan_write(m, "\n", 1))
		return false;
	char *buf = malloc(EXIM_SCAN_CHUNK);
	bool ok = buf != NULL;
	while (ok) {
		ssize_t n = read(fd, buf, EXIM_SCAN_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			exim_scan_log(false, "dkmod: cannot read the spooled body");
			ok = false;
		} else if (n == 0) {
			break;
		} else {
			ok = exim_scan_write(m, buf, (size_t)n);
		}
	}
	free(buf);
	return ok;
}

/* exim_scan_fields - add the pipeline's fields on top, below Exim's own Received (first on
 * top), mark removed ones */
static void exim_scan_fields(struct pipeline_msg *m, header_line **hl, size_t nh)
{
	/* Exim's own Received is the first line (type 'P') when it adds one: each field goes
	 * directly after it, so the last added is the topmost of ours */
	bool below_received = header_list && header_list->type == 'P';
	for (size_t i = pipeline_msg_added_count(m); i-- > 0;) {
		char *f = exim_field_lf(pipeline_msg_added(m, i));
		if (f && below_received)
			header_add_at_position(TRUE, US "Received", FALSE, ' ', "%s", f);
		else if (f)
			header_add_at_position(FALSE, NULL, FALSE, ' ', "%s", f);
		else
			exim_scan_log(false, "dkmod: an added field is too long for Exim (or out of memory); dropped");
		free(f);
	}
	/* the engine saw exactly these lines: the walk names them as it counted them, past the
	 * header limits too */
	struct dkmod_header_walk walk;
	pipeline_msg_header_walk(m, &walk);
	for (size_t i = 0; i < nh; i++)
		if (dkmod_header_walk_field(&walk, (const char *)hl[i]->text, (size_t)hl[i]->slen))
			hl[i]->type = '*'; /* how Exim marks a deleted header line */
}

/* exim_scan_envelope - the envelope and connection of the message (rcpts: recipients_count slots) */
static struct pipeline_envelope exim_scan_envelope(const char **rcpts)
{
	struct pipeline_envelope env = {.mail_from = sender_address ? (const char *)sender_address : "",
					.rcpts = rcpts,
					.client_ip = (const char *)sender_host_address,
					.helo = exim_scan_var("$sender_helo_name")};
	for (int i = 0; i < recipients_count; i++)
		rcpts[env.nrcpts++] = (const char *)recipients_list[i].address;
	if (sender_host_authenticated) {
		env.auth_user = exim_scan_var("$authenticated_id");
		if (!env.auth_user)
			env.auth_user = (const char *)sender_host_authenticated;
	}
	env.can_relay = exim_scan_can_relay(env.auth_user);
	return env;
}

/* exim_scan_message - run one message; the action and its reply, or false on a failure */
static bool exim_scan_message(struct pipeline *p, int fd, enum policy_action *action, char **reply)
{
	size_t nh = 0;
	for (header_line *h = header_list; h; h = h->next)
		nh++;
	header_line **hl = malloc((nh + 1) * sizeof *hl);
	const char **rcpts = malloc(((size_t)(recipients_count > 0 ? recipients_count : 0) + 1) * sizeof *rcpts);
	struct pipeline_msg *m = NULL;
	bool ok = hl && rcpts;
	if (ok) {
		struct pipeline_envelope env = exim_scan_envelope(rcpts);
		ok = (m = exim_proc_msg_new(p, &env)) != NULL;
	}
	ok = ok && exim_scan_feed(m, fd, hl, &nh);
	if (ok) {
		exim_proc_engine_enter();
		ok = pipeline_msg_finish(m) == PIPELINE_OK;
		exim_proc_engine_leave();
	}
	if (ok) {
		*action = pipeline_msg_action(m);
		*reply = strdup(pipeline_msg_reply(m));
		ok = *reply != NULL;
	}
	if (ok && (*action == POLICY_ACCEPT || *action == POLICY_QUARANTINE))
		exim_scan_fields(m, hl, nh);
	exim_proc_msg_end();
	free(hl);
	free(rcpts);
	return ok;
}

/* local_scan - Exim's hook: verify or sign the message, say what to do with it */
int local_scan(int fd, uschar **return_text)
{
	enum policy_action action;
	char *reply = NULL;
	struct pipeline *p = exim_proc_start(exim_scan_log) ? exim_proc_pipeline(exim_scan_log) : NULL;
	if (p)
		exim_proc_budget_check(exim_scan_log);
	if (!p || !exim_scan_message(p, fd, &action, &reply)) {
		struct exim_fallback fb = exim_proc_fallback();
		action = fb.action;
		free(reply);
		reply = strdup(fb.reply);
		if (p)
			exim_scan_log(false, "dkmod: internal failure on this message; fallback action applied");
	}
	const struct mta_code *code = reply ? mta_code(action) : mta_internal_failure();
	if (code->header && (code->exim == MTA_EXIM_ACCEPT || code->exim == MTA_EXIM_ACCEPT_FREEZE))
		header_add_at_position(FALSE, NULL, FALSE, ' ', "%s\n", code->header);
	if (code->exim_blackhole)
		recipients_count = 0;
	*return_text = NULL;
	if (code->exim != MTA_EXIM_ACCEPT)
		*return_text = string_copy((uschar *)exim_reply_text(reply ? reply : "451 4.3.0 Out of memory"));
	free(reply);
	return exim_scan_code(code->exim);
}
