/*
 * session.c - one message: the push API, the stored header fields, the
 * splitting of raw bytes into fields and body, the shared key lookups, and
 * what the caller reads back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/received_spf.h"
#include "engine/session.h"
#include "util/grow.h"

/* session_add_result - a new, zeroed result with empty strings; NULL on ENOMEM */
static struct dkmod_sig_result *session_add_result(struct dkmod_session *s, enum dkmod_method method)
{
	struct dkmod_sig_result *grown = grow_room(s->results, &s->results_cap, s->nresults, sizeof *grown, 8);
	if (!grown)
		return NULL;
	s->results = grown;
	struct dkmod_sig_result *r = &s->results[s->nresults++];
	memset(r, 0, sizeof *r);
	r->method = method;
	r->reason = r->domain = r->selector = r->identity = r->algorithm = r->b = r->dk_status = r->sender = "";
	r->body_length = -1;
	return r;
}

/* session_add_field - queue a header field to prepend (text owned by the arena) */
static enum dkmod_status session_add_field(struct dkmod_session *s, const char *text)
{
	const char **grown = grow_room(s->added, &s->added_cap, s->nadded, sizeof *grown, 8);
	if (!grown)
		return DKMOD_ENOMEM;
	s->added = grown;
	s->added[s->nadded++] = text;
	return DKMOD_OK;
}

/* session_host_result - add_result for the methods */
static struct dkmod_sig_result *session_host_result(void *arg, enum dkmod_method method)
{
	return session_add_result(arg, method);
}

/* session_host_field - add_field for the methods */
static enum dkmod_status session_host_field(void *arg, const char *text)
{
	return session_add_field(arg, text);
}

/* session_host_verdict - header_verdict for the methods */
static enum dkmod_result session_host_verdict(void *arg, size_t (*count)(void *count_arg, const char *name),
					      void *count_arg, const char **reason)
{
	return fieldscan_verdict(arg, count, count_arg, reason);
}

/* session_resolver - the context's resolver, made on first use (lookup.c) */
static struct dns *session_resolver(void *arg)
{
	return ctx_dns(arg);
}

static const struct method_host session_host = {session_host_result, session_host_field, session_host_verdict};

/* session_msg_init - what the methods see of a new session */
static void session_msg_init(struct dkmod_session *s)
{
	struct dkmod_ctx *ctx = s->ctx;
	s->lookups.resolver = session_resolver;
	s->lookups.resolver_arg = ctx;
	s->msg = (struct method_msg){.opt = &ctx->opt, .arena = &s->arena, .index = &s->index,
				     .sender = &s->sender, .author = &s->author, .pubkeys = &ctx->pubkeys, .privkeys = ctx->privkeys,
				     .cache = ctx->cache, .header_canon = &ctx->header_canon,
				     .sign_field = &ctx->sign_field, .bodies = &s->bodies,
				     .lookups = &s->lookups, .host = &session_host, .host_arg = s};
	s->bodies.arena = &s->arena;
}

/* session_msg_fields - at the end of the headers: the fields the methods see, and the
 * responsible sender and the author when a method needs them */
static void session_msg_fields(struct dkmod_session *s)
{
	s->msg.fields = s->fields;
	s->msg.nfields = s->nfields;
	s->msg.header_bytes = s->header_bytes;
	s->msg.overflow = s->overflow;
	if ((s->flags & DKMOD_SESSION_VERIFY) || s->dksign.nsigners) {
		session_sender(s);
		session_author(s);
	}
}

/* A freed session whose arrays are at most this long is kept by its context for the next one. */
#define SESSION_SPARE_FIELDS 256
#define SESSION_SPARE_ITEMS 64
#define SESSION_SPARE_BYTES 65536

/* The addresses session_clear empties, in the order they lie in the session. */
_Static_assert(offsetof(struct dkmod_session, sender.addr) < offsetof(struct dkmod_session, author.addr) &&
		       offsetof(struct dkmod_session, author.addr) < offsetof(struct dkmod_session, policy.author),
	       "session_clear takes the addresses in the order they lie");

/* session_clear - every field of s zero but its three addresses (3.8 KB of the session's 5.7), whose
 * texts are emptied: what follows a text's NUL is no part of an address (address.h) */
static void session_clear(struct dkmod_session *s)
{
	char *base = (char *)s;
	struct address *const keep[] = {&s->sender.addr, &s->author.addr, &s->policy.author};
	size_t from = 0;
	for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
		size_t at = (size_t)((char *)keep[i] - base);
		memset(base + from, 0, at - from);
		address_clear(keep[i]);
		from = at + sizeof *keep[i];
	}
	memset(base + from, 0, sizeof *s - from);
}

/* session_reuse - the context's spare session, emptied but with its arrays and buffers, or NULL */
static struct dkmod_session *session_reuse(struct dkmod_ctx *ctx)
{
	struct dkmod_session *s = ctx->spare_session;
	if (!s)
		return NULL;
	ctx->spare_session = NULL;
	struct header_field *fields = s->fields;
	struct dkmod_sig_result *results = s->results;
	const char **added = s->added;
	size_t fields_cap = s->fields_cap, results_cap = s->results_cap, added_cap = s->added_cap;
	struct str field = s->field, line = s->line;
	session_clear(s);
	s->fields = fields;
	s->fields_cap = fields_cap;
	s->results = results;
	s->results_cap = results_cap;
	s->added = added;
	s->added_cap = added_cap;
	s->field = field;
	s->line = line;
	str_clear(&s->field);
	str_clear(&s->line);
	return s;
}

/* session_release - free a session's arrays and the session */
static void session_release(struct dkmod_session *s)
{
	str_free(&s->field);
	str_free(&s->line);
	free(s->fields);
	free(s->results);
	free(s->added);
	free(s);
}

/* session_spare_free - free the context's spare session */
void session_spare_free(struct dkmod_ctx *ctx)
{
	if (ctx->spare_session)
		session_release(ctx->spare_session);
	ctx->spare_session = NULL;
}

/* dkmod_session_new - a session for one message (the context's spare one when it has one: no
 * allocation of the session, its field and result arrays or its line buffers per message) */
enum dkmod_status dkmod_session_new(struct dkmod_ctx *ctx, unsigned flags, struct dkmod_session **out)
{
	*out = NULL;
	if (!ctx)
		return DKMOD_EINVAL;
	struct dkmod_session *s = session_reuse(ctx);
	if (!s && !(s = calloc(1, sizeof *s)))
		return DKMOD_ENOMEM;
	s->ctx = ctx;
	s->flags = flags;
	s->ar_ours = s->ar_small;
	s->ar_ours_cap = sizeof s->ar_small;
	arena_init_spare(&s->arena, &ctx->arena_spare);
	session_msg_init(s);
	s->dns_counted = (struct dns_rounds){0};
	dns_rounds_reset(ctx->dns); /* a resolver serves one message at a time */
	*out = s;
	return DKMOD_OK;
}

/* dkmod_session_free - free a session */
void dkmod_session_free(struct dkmod_session *s)
{
	if (!s)
		return;
	/* lookups still in flight must not call back into freed memory */
	if (s->ctx->dns && dns_pending(s->ctx->dns))
		dns_wait(s->ctx->dns, 0);
	dns_hold_clock(s->ctx->dns, 0);
	session_auth_free(s);
	bodyhash_free_all(&s->bodies);
	dkimsign_free(&s->msg, &s->dkimsign);
	dksign_free(&s->msg, &s->dksign);
	if (s->ar_ours != s->ar_small)
		free(s->ar_ours);
	arena_free(&s->arena);
	struct dkmod_ctx *ctx = s->ctx;
	if (!ctx->spare_session && s->fields_cap <= SESSION_SPARE_FIELDS && s->results_cap <= SESSION_SPARE_ITEMS &&
	    s->added_cap <= SESSION_SPARE_ITEMS && s->field.cap <= SESSION_SPARE_BYTES &&
	    s->line.cap <= SESSION_SPARE_BYTES)
		ctx->spare_session = s;
	else
		session_release(s);
}

/* dkmod_session_set_instances - name the instances this session counts under */
enum dkmod_status dkmod_session_set_instances(struct dkmod_session *s, const struct dkmod_instances *names)
{
	const char *const *in[] = {&names->dk_sign, &names->dkim_sign, &names->dk_validate, &names->dkim_validate};
	const char **out[] = {&s->instances.dk_sign, &s->instances.dkim_sign, &s->instances.dk_validate,
			      &s->instances.dkim_validate};
	for (size_t i = 0; i < 4; i++)
		if (*in[i] && !(*out[i] = arena_strdup(&s->arena, *in[i])))
			return DKMOD_ENOMEM;
	return DKMOD_OK;
}

/* dkmod_session_sign_only - no verification for this message */
enum dkmod_status dkmod_session_sign_only(struct dkmod_session *s)
{
	if (s->phase != SESSION_HEADERS)
		return DKMOD_ESTATE;
	s->flags = (s->flags & ~DKMOD_SESSION_VERIFY) | SESSION_STRIP_ONLY;
	return DKMOD_OK;
}

/* dkmod_session_add_signer - sign with this request */
enum dkmod_status dkmod_session_add_signer(struct dkmod_session *s, const struct dkmod_sign_request *req)
{
	if (s->phase != SESSION_HEADERS)
		return DKMOD_ESTATE;
	enum dkmod_status st = req->method == DKMOD_METHOD_DOMAINKEYS ? dksign_add(&s->msg, &s->dksign, req)
								 : dkimsign_add(&s->msg, &s->dkimsign, req);
	if (st != DKMOD_OK)
		session_count_signer(s, req, false); /* a refused key or request is a failed signature */
	return st;
}

/* dkmod_session_header - one whole header field */
enum dkmod_status dkmod_session_header(struct dkmod_session *s, const char *field, size_t len)
{
	if (s->phase != SESSION_HEADERS)
		return DKMOD_ESTATE;
	const struct dkmod_options *o = &s->ctx->opt;
	if (!s->overflow && (s->nfields >= o->max_header_fields || len > o->max_header_bytes - s->header_bytes)) {
		s->overflow = true;
		session_log(s->ctx, DKMOD_LOG_WARNING,
			    "header limits exceeded (%zu fields, %zu bytes): header not fully inspected", s->nfields,
			    s->header_bytes + len);
	}
	if (s->overflow) {
		fieldscan_tail(s, field, len, s->field_cut);
		return DKMOD_ELIMIT;
	}
	if (s->nfields == s->fields_cap) { /* the array grows seldom: no call per field */
		struct header_field *grown = grow_room(s->fields, &s->fields_cap, s->nfields, sizeof *grown, 32);
		if (!grown)
			return DKMOD_ENOMEM;
		s->fields = grown;
	}
	char *copy = arena_strndup(&s->arena, field, len);
	if (!copy)
		return DKMOD_ENOMEM;
	if (!header_field_init(&s->fields[s->nfields], copy, len))
		session_log(s->ctx, DKMOD_LOG_DEBUG, "malformed header field #%zu passed on unchanged", s->nfields + 1);
	s->nfields++;
	s->header_bytes += len;
	s->sender_known = s->author_known = false; /* found again with this field */
	return DKMOD_OK;
}

/* dkmod_session_end_of_headers - parse signatures, start key lookups */
enum dkmod_status dkmod_session_end_of_headers(struct dkmod_session *s)
{
	if (s->phase != SESSION_HEADERS)
		return DKMOD_ESTATE;
	s->phase = SESSION_BODY;
	s->clock_ms = dns_now_ms();
	if (!s->deadline_ms) /* else set when the envelope started SPF */
		s->deadline_ms = s->clock_ms + s->ctx->opt.resolver.timeout_ms;
	dns_hold_clock(s->ctx->dns, s->clock_ms); /* the message's lookups read the clock once (dns.h) */
	enum dkmod_status st = DKMOD_OK;
	if (s->flags & (DKMOD_SESSION_VERIFY | SESSION_STRIP_ONLY))
		fieldscan_stored(s); /* forged results go from signed submissions too */
	session_msg_fields(s);
	if (s->flags & DKMOD_SESSION_VERIFY) {
		/* the message's cache lookups read one snapshot */
		keycache_hold(s->ctx->cache);
		st = dkimverify_start(&s->msg, &s->dkimverify);
		if (st == DKMOD_OK)
			st = dkverify_start(&s->msg, &s->dkverify);
		if (st == DKMOD_OK && s->ctx->opt.check_policies)
			st = sendpolicy_start(&s->msg, &s->policy);
		keycache_release(s->ctx->cache);
		if (st == DKMOD_OK && !session_auth_headers(s))
			st = DKMOD_ENOMEM;
	}
	if (st == DKMOD_OK)
		st = dkimsign_start(&s->msg, &s->dkimsign);
	if (st == DKMOD_OK)
		st = dksign_start(&s->msg, &s->dksign);
	return st;
}

/* dkmod_session_body - a body chunk */
enum dkmod_status dkmod_session_body(struct dkmod_session *s, const void *data, size_t len)
{
	if (s->phase != SESSION_BODY)
		return DKMOD_ESTATE;
	bodyhash_update_all(&s->bodies, data, len);
	return DKMOD_OK;
}

/* session_take_field - pass the gathered field to dkmod_session_header; ENOMEM is passed
 * up (a field dropped silently would vanish from the message and shift its offsets),
 * the limits only mark the session as overflowed */
static enum dkmod_status session_take_field(struct dkmod_session *s)
{
	enum dkmod_status st = DKMOD_OK;
	if (s->field.len)
		st = dkmod_session_header(s, s->field.data, s->field.len);
	str_clear(&s->field);
	s->field_cut = false;
	return st == DKMOD_ENOMEM ? st : DKMOD_OK;
}

/* session_line_room - how long a line may grow in s->line: past the limit, still the bytes a
 * header walk holds for a field's name (dkmod.h), so that the name and colon of a line too long
 * to keep are read (fieldscan.c) as the walk reads them */
static size_t session_line_room(const struct dkmod_session *s)
{
	size_t room = s->ctx->opt.max_header_bytes + 2, held = sizeof ((struct dkmod_header_walk *)0)->held;
	return room > held ? room : held;
}

/* session_drop_line - a line too long to keep (l[0..n) is all of it or its start): the header
 * is no longer fully inspected, but a field it starts is still counted (fieldscan.c) */
static void session_drop_line(struct dkmod_session *s, const char *l, size_t n)
{
	if (!s->overflow)
		session_log(s->ctx, DKMOD_LOG_WARNING, "a header line over %zu bytes: header not fully inspected",
			    s->ctx->opt.max_header_bytes);
	s->overflow = true;
	if ((l[0] == ' ' || l[0] == '\t') && s->field.len)
		s->field_cut = true; /* a folded line of the field being gathered */
	fieldscan_tail(s, l, n, true);
}

/* session_take_line - a complete line of the header block, l[0..n) (s->line, or the
 * caller's bytes when the whole line was there) */
static enum dkmod_status session_take_line(struct dkmod_session *s, const char *l, size_t n)
{
	if (!s->eol_known && n && l[n - 1] == '\n') {
		s->eol_known = true;
		s->eol_lf = !(n >= 2 && l[n - 2] == '\r');
	}
	if ((n == 1 && l[0] == '\n') || (n == 2 && l[0] == '\r' && l[1] == '\n')) {
		str_clear(&s->line);
		if (session_take_field(s) != DKMOD_OK)
			return DKMOD_ENOMEM;
		return dkmod_session_end_of_headers(s);
	}
	if ((l[0] == ' ' || l[0] == '\t') && s->field.len) {
		if (s->field.len + n > s->ctx->opt.max_header_bytes)
			s->overflow = s->field_cut = true;
		else if (str_append(&s->field, l, n) < 0)
			return DKMOD_ENOMEM;
	} else {
		if (session_take_field(s) != DKMOD_OK)
			return DKMOD_ENOMEM;
		if (n > s->ctx->opt.max_header_bytes)
			session_drop_line(s, l, n);
		else if (str_append(&s->field, l, n) < 0)
			return DKMOD_ENOMEM;
	}
	str_clear(&s->line);
	return DKMOD_OK;
}

/* session_whole_field - the length of the header field starting at p (its first line is
 * first bytes long) if all its lines and the first byte of the next line are in p[0..len)
 * and it is within the limits; 0 if it must be gathered line by line */
static size_t session_whole_field(const struct dkmod_session *s, const char *p, size_t len, size_t first)
{
	if ((first == 1 && p[0] == '\n') || (first == 2 && p[0] == '\r' && p[1] == '\n'))
		return 0; /* the blank line that ends the header */
	size_t total = first;
	while (total < len && (p[total] == ' ' || p[total] == '\t')) {
		const char *nl = memchr(p + total, '\n', len - total);
		if (!nl)
			return 0;
		total = (size_t)(nl - p) + 1;
	}
	return total < len && total <= s->ctx->opt.max_header_bytes ? total : 0;
}

/* dkmod_session_write - raw message bytes, split anywhere */
enum dkmod_status dkmod_session_write(struct dkmod_session *s, const void *data, size_t len)
{
	const char *p = data;
	while (len && s->phase == SESSION_HEADERS) {
		if (s->skip_line) {
			/* the rest of a line over the limit: never the start of a field or of the body */
			const char *end = memchr(p, '\n', len);
			size_t skip = end ? (size_t)(end - p) + 1 : len;
			s->raw_header_bytes += skip;
			s->skip_line = !end;
			p += skip;
			len -= skip;
			continue;
		}
		/* the first byte of a line that does not fold ends the field before it: stored now, so
		 * that what follows (a line over the limits, the end of input) cannot depend on where
		 * the input was cut */
		if (!s->line.len && s->field.len && p[0] != ' ' && p[0] != '\t' && session_take_field(s) != DKMOD_OK)
			return DKMOD_ENOMEM;
		const char *nl = memchr(p, '\n', len);
		size_t take = nl ? (size_t)(nl - p) + 1 : len;
		s->raw_header_bytes += take;
		size_t whole = nl && !s->line.len && !s->field.len ? session_whole_field(s, p, len, take) : 0;
		if (whole) {
			/* the whole field and the start of the next line are here: stored from where it lies */
			if (!s->eol_known) {
				s->eol_known = true;
				s->eol_lf = !(take >= 2 && p[take - 2] == '\r');
			}
			s->raw_header_bytes += whole - take;
			enum dkmod_status st = dkmod_session_header(s, p, whole);
			if (st == DKMOD_ENOMEM)
				return st;
			p += whole;
			len -= whole;
			continue;
		}
		if (nl && !s->line.len) {
			/* the whole line is here: taken where it lies, without a copy into s->line */
			enum dkmod_status st = DKMOD_OK;
			if (take <= s->ctx->opt.max_header_bytes + 2)
				st = session_take_line(s, p, take);
			else
				session_drop_line(s, p, take);
			p += take;
			len -= take;
			if (st != DKMOD_OK)
				return st;
			continue;
		}
		/* a line is only kept while it fits: an endless line must not eat memory */
		if (s->line.len + take <= session_line_room(s)) {
			if (str_append(&s->line, p, take) < 0)
				return DKMOD_ENOMEM;
		} else {
			/* the whole line is dropped, also what of it comes in later writes */
			if (s->line.len)
				session_drop_line(s, s->line.data, s->line.len);
			else
				session_drop_line(s, p, take);
			str_clear(&s->line);
			s->skip_line = !nl;
		}
		p += take;
		len -= take;
		if (nl) {
			enum dkmod_status st = s->line.len ? session_take_line(s, s->line.data, s->line.len) : DKMOD_OK;
			if (st != DKMOD_OK)
				return st;
		}
	}
	if (len && s->phase == SESSION_BODY)
		return dkmod_session_body(s, p, len);
	return s->phase == SESSION_DONE && len ? DKMOD_ESTATE : DKMOD_OK;
}

/* dkmod_session_fields_complete - store what write() still gathers; an unfinished last line
 * is a line like any other (a new field unless it starts with WSP), so the fields are the
 * same whether the field before it was stored whole or is still gathered */
enum dkmod_status dkmod_session_fields_complete(struct dkmod_session *s)
{
	if (s->phase != SESSION_HEADERS)
		return DKMOD_ESTATE;
	if (s->line.len) {
		enum dkmod_status st = session_take_line(s, s->line.data, s->line.len);
		if (st != DKMOD_OK || s->phase != SESSION_HEADERS)
			return st;
	}
	return session_take_field(s) != DKMOD_OK ? DKMOD_ENOMEM : DKMOD_OK;
}

/* session_flush_headers - the input ended inside the header block */
static enum dkmod_status session_flush_headers(struct dkmod_session *s)
{
	enum dkmod_status st = dkmod_session_fields_complete(s);
	return st != DKMOD_OK ? st : dkmod_session_end_of_headers(s);
}

/* dkmod_session_finish - end of message */
enum dkmod_status dkmod_session_finish(struct dkmod_session *s)
{
	enum dkmod_status st = DKMOD_OK;
	if (s->phase == SESSION_DONE)
		return DKMOD_ESTATE;
	if (s->phase == SESSION_HEADERS && (st = session_flush_headers(s)) != DKMOD_OK)
		return st;
	s->phase = SESSION_DONE;
	bodyhash_final_all(&s->bodies);
	bool auth = (s->flags & DKMOD_SESSION_VERIFY) && (s->auth.spf || s->auth.dmarc); /* session_auth.c */
	if (s->ctx->dns && (s->lookups.n || auth))
		dns_wait(s->ctx->dns, s->deadline_ms);
	if (s->flags & DKMOD_SESSION_VERIFY) {
		st = dkimverify_finish(&s->msg, &s->dkimverify);
		if (st == DKMOD_OK)
			st = dkverify_finish(&s->msg, &s->dkverify);
		if (st == DKMOD_OK && s->policy.started)
			st = sendpolicy_finish(&s->msg, &s->policy, s->results, s->nresults);
		if (st == DKMOD_OK && !session_auth_finish(s))
			st = DKMOD_ENOMEM;
		if (st == DKMOD_OK && !(s->ar = ar_build(s)))
			st = DKMOD_ENOMEM;
	}
	s->dns_counted = dns_rounds(s->ctx->dns);
	/* the added fields stack up: each one goes above those added before it, and a
	 * DomainKey-Signature must stay directly above the fields it hashed */
	enum dkmod_status sign_st = dksign_finish(&s->msg, &s->dksign);
	const char *dk_status = s->flags & DKMOD_SESSION_VERIFY ? dkverify_status_field(&s->msg, &s->dkverify) : NULL;
	if (st == DKMOD_OK && dk_status)
		st = session_add_field(s, dk_status);
	enum dkmod_status st2 = dkimsign_finish(&s->msg, &s->dkimsign);
	if (sign_st == DKMOD_OK)
		sign_st = st2;
	const char *received_spf = NULL; /* below our A-R (received_spf.c) */
	if (st == DKMOD_OK && !received_spf_build(s, &received_spf))
		st = DKMOD_ENOMEM;
	if (st == DKMOD_OK && received_spf)
		st = session_add_field(s, received_spf);
	if (st == DKMOD_OK && s->ar)
		st = session_add_field(s, s->ar_field);
	session_count(s);
	if (st == DKMOD_OK && s->removal_failed)
		st = DKMOD_ENOMEM; /* a forged field could not be noted: the message must not go on */
	return st != DKMOD_OK ? st : sign_st;
}

/* dkmod_session_result_count - verdicts after finish */
size_t dkmod_session_result_count(const struct dkmod_session *s)
{
	return s->phase == SESSION_DONE ? s->nresults : 0;
}

/* dkmod_session_result - verdict i */
const struct dkmod_sig_result *dkmod_session_result(const struct dkmod_session *s, size_t i)
{
	return i < dkmod_session_result_count(s) ? &s->results[i] : NULL;
}

/* dkmod_session_dns_rounds - the DNS round trips in sequence, and the lookups sent, after finish */
unsigned dkmod_session_dns_rounds(const struct dkmod_session *s, unsigned *queries)
{
	bool done = s->phase == SESSION_DONE;
	if (queries)
		*queries = done ? s->dns_counted.queries : 0;
	return done ? s->dns_counted.rounds : 0;
}

/* dkmod_session_dk_policy - the DomainKeys policy verdict, or NULL */
const struct dkmod_dk_policy *dkmod_session_dk_policy(const struct dkmod_session *s)
{
	return s->phase == SESSION_DONE && s->policy.started ? &s->policy.dk : NULL;
}

/* dkmod_session_adsp - the ADSP result, or NULL */
const struct dkmod_adsp *dkmod_session_adsp(const struct dkmod_session *s)
{
	return s->phase == SESSION_DONE && s->policy.started ? &s->policy.adsp : NULL;
}

/* dkmod_session_ar_value - the Authentication-Results value */
const char *dkmod_session_ar_value(struct dkmod_session *s)
{
	return s->ar;
}

/* dkmod_session_added_count - header fields the message gains */
size_t dkmod_session_added_count(const struct dkmod_session *s)
{
	return s->nadded;
}

/* dkmod_session_added - added field i; the first goes on top */
const char *dkmod_session_added(const struct dkmod_session *s, size_t i)
{
	return i < s->nadded ? s->added[s->nadded - 1 - i] : NULL;
}

/* dkmod_session_header_count - the received header fields */
size_t dkmod_session_header_count(const struct dkmod_session *s)
{
	return s->nfields;
}

/* dkmod_session_header_raw - received field i, raw */
const char *dkmod_session_header_raw(const struct dkmod_session *s, size_t i, size_t *len)
{
	if (i >= s->nfields) {
		*len = 0;
		return NULL;
	}
	*len = s->fields[i].raw_len;
	return s->fields[i].raw;
}

/* dkmod_session_header_removed - whether field i is to be removed */
bool dkmod_session_header_removed(const struct dkmod_session *s, size_t i)
{
	return i < s->nfields && s->fields[i].removed;
}

/* dkmod_session_eol - the message's line end */
const char *dkmod_session_eol(const struct dkmod_session *s)
{
	return s->eol_lf ? "\n" : "\r\n";
}

/* dkmod_session_header_bytes - raw bytes of headers and blank line seen by write() */
size_t dkmod_session_header_bytes(const struct dkmod_session *s)
{
	return s->raw_header_bytes;
}

/* dkmod_session_intact - false if limits made the session give up on the headers */
bool dkmod_session_intact(const struct dkmod_session *s)
{
	return !s->overflow;
}
