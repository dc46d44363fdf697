/*
 * dkmod.h - the one public interface of the dkmod engine (with dkmod/report.h and
 * dkmod/keys.h, which it includes: programs include dkmod.h alone).
 *
 * The engine signs and verifies mail with DKIM (RFC 6376, RFC 8463) and
 * DomainKeys (RFC 4870) through a streaming push API:
 *
 *   dkmod_session_new -> dkmod_session_header()* -> dkmod_session_end_of_headers
 *     -> dkmod_session_body()* -> dkmod_session_finish
 *
 * or dkmod_session_write() with raw message bytes, which splits them itself.
 * The engine never prints, exits or calls syslog: it returns a status and
 * reports through the log callback of its context.
 *
 * Ownership: every pointer returned by a dkmod_session_* getter belongs to
 * the session and lives until dkmod_session_free().  Strings passed in are
 * copied unless a comment says otherwise.
 */
#ifndef DKMOD_H
#define DKMOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An API status: whether a call worked.  Not a verdict about mail. */
enum dkmod_status {
	DKMOD_OK = 0,
	DKMOD_ENOMEM,   /* out of memory */
	DKMOD_EINVAL,   /* bad argument or option */
	DKMOD_ESTATE,   /* call out of order (e.g. body before end of headers) */
	DKMOD_ELIMIT,   /* a configured limit was exceeded */
	DKMOD_EKEY,     /* a private key could not be loaded or used */
	DKMOD_EDNS,     /* the resolver could not be set up */
	DKMOD_EIO,      /* a file could not be read */
	DKMOD_ECRYPTO   /* the crypto library failed */
};

/* dkmod_strerror - a short English text for a status */
const char *dkmod_strerror(enum dkmod_status status);

/* The verdict on one signature, in RFC 8601 words. */
enum dkmod_result {
	DKMOD_RESULT_NONE = 0,
	DKMOD_RESULT_PASS,
	DKMOD_RESULT_FAIL,
	DKMOD_RESULT_NEUTRAL,
	DKMOD_RESULT_POLICY,
	DKMOD_RESULT_PERMERROR,
	DKMOD_RESULT_TEMPERROR
};

/* dkmod_result_name - "pass", "fail", ... for a result */
const char *dkmod_result_name(enum dkmod_result result);

enum dkmod_method { DKMOD_METHOD_DKIM = 0, DKMOD_METHOD_DOMAINKEYS };

/* DNSSEC state of the answer a verdict rests on. */
enum dkmod_dnssec { DKMOD_DNSSEC_UNKNOWN = 0, DKMOD_DNSSEC_INSECURE, DKMOD_DNSSEC_SECURE, DKMOD_DNSSEC_BOGUS };

/* dkmod_dnssec_name - "insecure", "secure", ... ("" for unknown) */
const char *dkmod_dnssec_name(enum dkmod_dnssec state);

enum dkmod_log_level { DKMOD_LOG_ERROR = 0, DKMOD_LOG_WARNING, DKMOD_LOG_INFO, DKMOD_LOG_DEBUG };

/* Log callback: msg is one line without newline, valid during the call. */
typedef void dkmod_log_fn(void *arg, enum dkmod_log_level level, const char *msg);

/* Signing algorithms. */
enum dkmod_algorithm {
	DKMOD_ALG_RSA_SHA256 = 0,
	DKMOD_ALG_RSA_SHA1,
	DKMOD_ALG_ED25519_SHA256
};

/* Canonicalizations (DKIM: simple, relaxed; DomainKeys: simple, nofws). */
enum dkmod_canon { DKMOD_CANON_SIMPLE = 0, DKMOD_CANON_RELAXED, DKMOD_CANON_NOFWS };

/* What a DNSSEC-bogus answer means for the verdict it would feed. */
enum dkmod_bogus {
	DKMOD_BOGUS_TEMPERROR = 0, /* default: treat as a failed lookup, retry later */
	DKMOD_BOGUS_PERMERROR,     /* treat as no record */
	DKMOD_BOGUS_INSECURE       /* use the answer anyway, reported as bogus */
};

/* Resolver settings.  With zone_file set, answers come only from that file
 * (local data, no network) unless forwarders are also given. */
struct dkmod_resolver_options {
	const char *zone_file;          /* RFC 1035 master file served as local data */
	const char *const *forwarders;  /* "IP" or "IP@PORT", NULL-terminated, or NULL */
	const char *const *stubs;       /* "zone=IP[@PORT]" stub zones, NULL-terminated, or NULL */
	const char *trust_anchor_file;  /* DNSSEC trust anchor (DS/DNSKEY zone file) */
	bool use_resolv_conf;           /* forward to the servers in /etc/resolv.conf */
	unsigned timeout_ms;            /* budget for all lookups of one message */
	enum dkmod_bogus bogus;         /* what a bogus answer means */
};

/* The key and policy record cache shared by every process (LMDB). */
struct dkmod_cache_options {
	const char *state_dir;   /* directory of the shared state; NULL: no shared cache */
	size_t size;             /* entries, least recently used evicted; default 2048 */
	unsigned ttl;            /* seconds for answers; default 300 (never above the DNS TTL) */
	unsigned negative_ttl;   /* seconds for NXDOMAIN/NODATA; default 3600 (never above the DNS TTL) */
};

/* DMARC aggregate reports (RFC 9990): verdicts recorded in the shared state, in a store of their
 * own under cache.state_dir ("reports"), which the keycache filling up never clears. */
struct dkmod_report_options {
	bool record;             /* record the DMARC verdicts of domains that name a rua= address;
				  * default false */
	unsigned interval;       /* seconds of a reporting period, a divisor of a day from 3600 up
				  * (periods start at 0000 UTC); default 86400 */
	size_t max_rows;         /* rows per policy domain and period; default 1000 */
	size_t map_size;         /* bytes of the report store; rows in all: map_size / 4096;
				  * default 64 MiB */
};

/* Process-wide settings. */
struct dkmod_options {
	const char *authserv_id;   /* A-R authserv-id; default: the host name */
	unsigned min_key_bits;     /* smaller RSA keys give "policy"; default 1024 */
	unsigned max_signatures;   /* signatures verified per message; default 8 */
	unsigned clock_skew;       /* seconds allowed on t= and x=; default 300 */
	unsigned max_header_fields;/* default 1000 */
	size_t max_header_bytes;   /* all header fields together; default 1 MiB */
	bool allow_sha1;           /* accept rsa-sha1 DKIM signatures; default false (RFC 8301: policy) */
	time_t fixed_now;          /* if non-zero, the clock (tests) */
	bool check_policies;       /* verify: also look up DomainKeys and ADSP sender policies; default true */
	bool check_spf;            /* verify: SPF (RFC 7208) of the envelope given by dkmod_session_envelope;
				    * default true */
	bool check_dmarc;          /* verify: DMARC (RFC 9989) of the From domain; default true */
	const char *const *trusted_authserv_ids; /* verify: take SPF (and DKIM passes, for DMARC)
				    * from the Authentication-Results of these authserv-ids at the top
				    * of the header instead of checking (doc/dkmod.conf.5 "Trusted
				    * upstream results"); NULL-terminated, NULL: none (the default) */
	bool received_spf;         /* verify: add a Received-SPF field (RFC 7208 9.1) for the SPF
				    * check made here; default false */
	size_t signing_keys;       /* parsed signing keys kept per process, least recently used
				    * dropped first; default 1000 */
	struct dkmod_resolver_options resolver;
	struct dkmod_cache_options cache;
	struct dkmod_report_options report;
	dkmod_log_fn *log;         /* may be NULL */
	void *log_arg;
};

/* dkmod_options_init - fill in the defaults */
void dkmod_options_init(struct dkmod_options *options);

struct dkmod_ctx;
struct dkmod_session;

/* dkmod_ctx_new - a context for many sessions (one per process); copies options */
enum dkmod_status dkmod_ctx_new(const struct dkmod_options *options, struct dkmod_ctx **out);
/* dkmod_ctx_free - free a context and its resolver; NULL is fine */
void dkmod_ctx_free(struct dkmod_ctx *ctx);

/* One signature to add to a message. */
struct dkmod_sign_request {
	enum dkmod_method method;
	const char *domain;        /* d= */
	const char *selector;      /* s= */
	const char *key_file;      /* PEM private key (RSA PKCS#1/PKCS#8 or Ed25519) */
	enum dkmod_algorithm algorithm;
	enum dkmod_canon header_canon;
	enum dkmod_canon body_canon;
	const char *headers;       /* colon list to sign, or NULL for the default */
	const char *identity;      /* i=, or NULL */
	unsigned long expire;      /* x= = t= + expire, or 0 for none */
	bool oversign;             /* sign the oversigned fields once more than present; default true */
	const char *oversign_headers; /* colon list to oversign, or NULL for the recommended list (From,
				    * To, Cc, Subject, Date, Message-ID, Reply-To, MIME-Version,
				    * Content-*, ..., List-* where present) */
	long body_length;          /* l=, or -1 for none (the default) */
	const char *instance;      /* counted as dkim_sign.NAME / dk_sign.NAME; NULL: dkim_sign1 / dk_sign1 */
	bool algorithm_from_key;   /* DKIM: an Ed25519 key signs ed25519-sha256, an RSA key with
				    * algorithm if that is RSA, else rsa-sha256 (signing tables) */
};

/* dkmod_parse_canon - DKIM "header/body" (body defaults to simple; NULL: relaxed/relaxed),
 * DomainKeys "nofws" or "simple" (NULL: nofws), into req's header_canon and body_canon */
bool dkmod_parse_canon(enum dkmod_method m, const char *name, struct dkmod_sign_request *req);
/* dkmod_parse_algorithm - rsa-sha256, ed25519-sha256 (or ed25519), rsa-sha1; DomainKeys: rsa-sha1 only */
bool dkmod_parse_algorithm(enum dkmod_method m, const char *name, enum dkmod_algorithm *out);
/* dkmod_valid_domain - a domain name or selector: dot-separated labels of letters, digits, '-', '_' */
bool dkmod_valid_domain(const char *name);

/* dkmod_sign_request_init - defaults: DKIM rsa-sha256 relaxed/relaxed, the recommended fields oversigned */
void dkmod_sign_request_init(struct dkmod_sign_request *req);

#define DKMOD_SESSION_VERIFY 0x1u

/* dkmod_session_new - a session for one message; flags: DKMOD_SESSION_VERIFY */
enum dkmod_status dkmod_session_new(struct dkmod_ctx *ctx, unsigned flags, struct dkmod_session **out);
/* dkmod_session_free - free a session; NULL is fine */
void dkmod_session_free(struct dkmod_session *s);

/* Instance names under which a session's counters are kept in the shared state
 * (the console's "dk_sign:NAME stats"); NULL members keep the defaults
 * dk_sign1, dkim_sign1, dk_validate1, dkim_validate1. */
struct dkmod_instances {
	const char *dk_sign;
	const char *dkim_sign;
	const char *dk_validate;
	const char *dkim_validate;
};

/* dkmod_session_set_instances - name the instances this session counts under (strings copied) */
enum dkmod_status dkmod_session_set_instances(struct dkmod_session *s, const struct dkmod_instances *names);

/* dkmod_session_sign_only - before the end of the headers: do not verify this message (no
 * verdicts, no key or policy lookups, no Authentication-Results or DomainKey-Status), as for
 * outgoing mail that is only signed; fields claiming our verdicts are still removed */
enum dkmod_status dkmod_session_sign_only(struct dkmod_session *s);

/* dkmod_count - add delta to a counter of the shared state (e.g. policy actions); no-op without
 * one.  A delta of 0 makes the counter exist (at 0): adapters name their instances this way,
 * so that the console knows them before their first message. */
void dkmod_count(struct dkmod_ctx *ctx, const char *name, long long delta);

/* Reading and flushing the shared state from outside the mail path (the console); a state
 * that no process has made yet (no data.mdb in dir) is DKMOD_EIO and is not created. */
typedef void dkmod_counter_fn(void *arg, const char *name, long long value);
/* dkmod_state_counters - every counter of the state in dir, in name order, plus
 * "cache.entries" and "cache.generation" */
enum dkmod_status dkmod_state_counters(const char *dir, dkmod_counter_fn *fn, void *arg);
/* dkmod_state_flush - drop cached records of domain and its subdomains (all when NULL)
 * and move the flush generation, so every process reloads its signing keys;
 * *removed gets the number of records dropped */
enum dkmod_status dkmod_state_flush(const char *dir, const char *domain, long *removed);
/* dkmod_state_reload - move the flush generation alone: every process reloads its signing keys
 * and signing tables; cached records stay */
enum dkmod_status dkmod_state_reload(const char *dir);

/* dkmod_session_add_signer - before end of headers: sign with this request */
enum dkmod_status dkmod_session_add_signer(struct dkmod_session *s, const struct dkmod_sign_request *req);

/* dkmod_session_header - one whole header field, folding and line end included or not */
enum dkmod_status dkmod_session_header(struct dkmod_session *s, const char *field, size_t len);
/* dkmod_session_fields_complete - at a line end, the header fields given to write() so far are
 * all of them: the last one is stored now (write() otherwise holds it until the next line
 * shows that it is not folded on), so that the getters below see it before signers are
 * added; the blank line that ends the header still comes through write() */
enum dkmod_status dkmod_session_fields_complete(struct dkmod_session *s);
/* dkmod_session_author - the author: the first address of the first From field (RFC 5322
 * 3.6.2), NULL if that field holds none (a later From is not looked at); its domain as
 * written in *domain if domain is not NULL.  The one author of the engine: ADSP and the A-R
 * header.from read it too.  Valid once the fields are given (dkmod_session_fields_complete
 * or end of headers); owned by the session, changed by a later dkmod_session_header */
const char *dkmod_session_author(struct dkmod_session *s, const char **domain);
/* dkmod_session_sender - the responsible sender (RFC 4870 3.2): the first address of the first
 * Sender field that holds one, else the author as above; NULL if none; as valid as the author */
const char *dkmod_session_sender(struct dkmod_session *s, const char **domain);
/* dkmod_session_end_of_headers - parse signatures, start key lookups */
enum dkmod_status dkmod_session_end_of_headers(struct dkmod_session *s);
/* dkmod_session_body - a body chunk of any size, split anywhere */
enum dkmod_status dkmod_session_body(struct dkmod_session *s, const void *data, size_t len);
/* dkmod_session_write - raw message bytes (headers, blank line, body), split anywhere */
enum dkmod_status dkmod_session_write(struct dkmod_session *s, const void *data, size_t len);
/* dkmod_session_finish - end of message: wait for lookups, verify, sign */
enum dkmod_status dkmod_session_finish(struct dkmod_session *s);

/* The verdict on one signature (or the "none" result of an unsigned message). */
struct dkmod_sig_result {
	enum dkmod_method method;
	enum dkmod_result result;
	const char *reason;        /* why, in a few words ("" on pass) */
	const char *domain;        /* d= ("" if unparsable) */
	const char *selector;      /* s= */
	const char *identity;      /* i= (decoded), "" if absent */
	const char *algorithm;     /* a= as written */
	const char *b;             /* b= without whitespace */
	const char *dk_status;     /* DomainKeys finer status ("good", "bad (no key)"...), "" for DKIM */
	const char *sender;        /* DomainKeys: responsible sender address, "" for DKIM */
	bool sender_from_sender;   /* DomainKeys: the sender came from Sender: */
	unsigned key_bits;         /* 0 if no key */
	bool testing;              /* key record t=y */
	long body_length;          /* l=, -1 if absent */
	bool partial_body;         /* l= covers less than the body: content after it is unsigned */
	long long body_bytes;      /* with partial_body: the canonical body bytes, of which l= were signed */
	enum dkmod_dnssec dnssec;
};

/* dkmod_session_result_count - verdicts after finish (one per signature seen) */
size_t dkmod_session_result_count(const struct dkmod_session *s);
/* dkmod_session_result - verdict i, valid until the session is freed */
const struct dkmod_sig_result *dkmod_session_result(const struct dkmod_session *s, size_t i);
/* dkmod_session_dns_rounds - after finish: the DNS round trips the message waited for one after
 * another (the longest chain of lookups each asked from an answer, or after a wait for answers:
 * key, policy, SPF and DMARC lookups that need no answer first all start at once; an answer at
 * hand in the memo or shared cache takes none), and in *queries (if not NULL) the lookups that
 * went out to the resolver */
unsigned dkmod_session_dns_rounds(const struct dkmod_session *s, unsigned *queries);

/* The DomainKeys sender policy (RFC 4870 3.6) of the responsible sender's domain. */
struct dkmod_dk_policy {
	const char *domain;        /* the sender's domain, "" if there is no sender address */
	bool found;                /* a policy record is published (else the default o=~) */
	bool signs_all;            /* o=- : the domain signs all its mail */
	bool testing;              /* t=y : do not act on the policy */
	const char *report_to;     /* r=, "" if absent */
	const char *notes;         /* n=, "" if absent */
	const char *verdict;       /* accept, reject, neutral, temperror, permerror (policy.dk in A-R) */
	const char *reason;        /* why, "" if nothing to say */
	enum dkmod_dnssec dnssec;
};

/* The ADSP record (RFC 5617) of the author's domain, and its result. */
struct dkmod_adsp {
	const char *domain;        /* the author domain (From:), "" if none */
	const char *author;        /* the author address, "" if none */
	const char *practice;      /* unknown, all, discardable, "" without a record */
	const char *result;        /* none, pass, unknown, fail, discard, nxdomain, temperror, permerror */
	enum dkmod_dnssec dnssec;
};

/* dkmod_session_dk_policy - after finish, in verify sessions with check_policies; else NULL */
const struct dkmod_dk_policy *dkmod_session_dk_policy(const struct dkmod_session *s);
/* dkmod_session_adsp - after finish, in verify sessions with check_policies; else NULL */
const struct dkmod_adsp *dkmod_session_adsp(const struct dkmod_session *s);

/* dkmod_session_ar_value - the Authentication-Results value (without field name) */
const char *dkmod_session_ar_value(struct dkmod_session *s);

/* Header fields the message gains, in order, to go above everything else:
 * whole fields ("Name: value"), folded with CRLF, without the final CRLF. */
size_t dkmod_session_added_count(const struct dkmod_session *s);
const char *dkmod_session_added(const struct dkmod_session *s, size_t i);

/* The received header fields, raw as given (line ends included), and whether
 * a field is to be removed (forged A-R of our authserv-id, DomainKey-Status). */
size_t dkmod_session_header_count(const struct dkmod_session *s);
const char *dkmod_session_header_raw(const struct dkmod_session *s, size_t i, size_t *len);
bool dkmod_session_header_removed(const struct dkmod_session *s, size_t i);

/* Fields to remove, named by field name and occurrence (0: the topmost field of that name),
 * over the whole header as received, also past the header limits: Authentication-Results
 * fields of our authserv-id (and those whose authserv-id does not parse) and every
 * DomainKey-Status field.  Valid after end of headers in verify and sign-only sessions. */
bool dkmod_session_field_removed(const struct dkmod_session *s, const char *name, size_t name_len, size_t nth);
/* dkmod_session_removal_next - the next field to remove from *cursor (start at 0): its name,
 * occurrence, and how many received fields have that name; false when there are no more */
bool dkmod_session_removal_next(const struct dkmod_session *s, size_t *cursor, const char **name, size_t *nth,
				size_t *count);
/* dkmod_header_name - the length of a raw field's name as the engine reads it (WSP before
 * the colon is not part of it); 0 if the field has no name (e.g. it begins with WSP) */
size_t dkmod_header_name(const char *field, size_t len);

/* Walks the received header in order and tells which fields to leave out; for raw bytes it
 * hands on the bytes to keep.  Zero-initialised by dkmod_header_walk_init. */
struct dkmod_header_walk {
	const struct dkmod_session *s;
	size_t ar, dks;          /* Authentication-Results and DomainKey-Status fields so far */
	int state;               /* raw bytes: where in a line the walk is */
	bool drop;               /* the current field goes */
	char held[1024];         /* a field's first bytes, until its name is known */
	size_t nheld;
};
/* dkmod_header_walk_init - walk s's fields from the top */
void dkmod_header_walk_init(struct dkmod_header_walk *w, const struct dkmod_session *s);
/* dkmod_header_walk_field - the next received field (raw; its first line is enough): true if it goes */
bool dkmod_header_walk_field(struct dkmod_header_walk *w, const char *field, size_t len);
/* Receives the bytes to keep; false stops the walk. */
typedef bool dkmod_emit_fn(void *arg, const char *data, size_t len);
/* dkmod_header_walk_bytes - raw header bytes, split anywhere: the kept ones go to emit; returns
 * how many bytes belonged to the header (blank line included: the walk is then done and the
 * rest is the body), or SIZE_MAX if emit failed or a name of a field that goes stands before
 * over 1 KB of blanks and its colon (the caller must not pass the message on) */
size_t dkmod_header_walk_bytes(struct dkmod_header_walk *w, const char *data, size_t len, dkmod_emit_fn *emit,
			       void *arg);
/* dkmod_header_walk_end - the input ended inside the header: emit what is held; false if emit failed */
bool dkmod_header_walk_end(struct dkmod_header_walk *w, dkmod_emit_fn *emit, void *arg);
/* dkmod_header_walk_done - true once the blank line that ends the header went by */
bool dkmod_header_walk_done(const struct dkmod_header_walk *w);

/* dkmod_header_fold - the field "Name: value" folded with CRLF at the blanks of value (kept as
 * they are: unfolding gives value back) to lines of at most 78 columns where its words allow;
 * malloc'd (free() it), NULL if out of memory */
char *dkmod_header_fold(const char *name, const char *value);

/* dkmod_session_duplicates - the fields RFC 5322 3.6 (and MIME) allow once that occur more
 * than once (From, Sender, Subject, To, Date, Message-ID, Content-Type...): up to max names
 * in names; returns how many there are */
size_t dkmod_session_duplicates(const struct dkmod_session *s, const char **names, size_t max);

/* dkmod_session_eol - "\n" if the message used bare LF line ends, else "\r\n" */
const char *dkmod_session_eol(const struct dkmod_session *s);
/* dkmod_session_header_bytes - raw bytes of headers and blank line seen by write() */
size_t dkmod_session_header_bytes(const struct dkmod_session *s);
/* dkmod_session_intact - false if the header limits were exceeded: fields past them were not
 * stored (dkmod_session_header_count stops there), no signature passes and the policy script
 * is told; fields to remove are still named by dkmod_session_field_removed */
bool dkmod_session_intact(const struct dkmod_session *s);

/*
 * Signing tables (dkmod.conf(5) sign_table): the domains, selectors and key files that sign the
 * mail of an address.  A text map of lines "KEY SIGNATURE..." or the same compiled into one
 * LMDB file by dkmod_signtable_compile.  KEY is local@domain, domain, .parent (any subdomain of
 * parent) or * (the default); a SIGNATURE is domain:selector[:keyfile], signatures separated by
 * commas or blanks; %{d} in one stands for the domain looked up; without a keyfile the caller's
 * key path template gives the key.  A table is reopened when its file changes (looked at once
 * a second) or the shared flush generation moves; a lookup copies what it finds, so a message
 * whose lookups follow one refresh is signed with one version of the table.
 */
#define DKMOD_SIGNTABLE_MAX 8    /* signatures of one entry */
struct dkmod_signtable;
struct dkmod_signtable_sig {
	char domain[254];
	char selector[64];
	char key_file[1024];     /* "" when the entry names none */
};
struct dkmod_signtable_match {
	char key[320];           /* the entry that matched (address, domain, .parent or *) */
	size_t nsigs;
	struct dkmod_signtable_sig sigs[DKMOD_SIGNTABLE_MAX];
};

/* dkmod_signtable_open - open a text or compiled table; *why (and a file:line for text) on failure */
enum dkmod_status dkmod_signtable_open(const char *path, struct dkmod_signtable **out, char *why, size_t why_size);
/* dkmod_signtable_refresh - reopen the table if its file changed (looked at no more than once per
 * second) or, with ctx, if its flush generation moved; force: look now.  On failure the old
 * version stays and *why says why; *reloaded (if not NULL) tells whether a new version is in use */
enum dkmod_status dkmod_signtable_refresh(struct dkmod_signtable *t, struct dkmod_ctx *ctx, bool force,
					  bool *reloaded, char *why, size_t why_size);
/* dkmod_signtable_lookup - the entry for address (may be NULL) or domain: address, domain, each
 * parent as .parent (nearest first), then *.  1 found (in *m), 0 none, -1 a bad entry (*why) */
int dkmod_signtable_lookup(const struct dkmod_signtable *t, const char *address, const char *domain,
			   struct dkmod_signtable_match *m, char *why, size_t why_size);
/* dkmod_signtable_each - fn for every entry (key order for a compiled table) with its signatures
 * parsed: %{d} is the entry's domain for an address or domain entry, and "*" (any domain the entry
 * covers) for .parent and * entries, in the domain and key file alike; an entry that does not
 * parse is given with nsigs 0 and its reason in why.  Stops when fn returns non-zero; -1 if the
 * table cannot be read, else 0 */
typedef int dkmod_signtable_entry_fn(void *arg, const struct dkmod_signtable_match *m, const char *why);
int dkmod_signtable_each(const struct dkmod_signtable *t, dkmod_signtable_entry_fn *fn, void *arg);
/* dkmod_signtable_version - how many versions were loaded (1 after open) */
unsigned long dkmod_signtable_version(const struct dkmod_signtable *t);
/* dkmod_signtable_free - NULL is fine */
void dkmod_signtable_free(struct dkmod_signtable *t);
/* dkmod_signtable_compile - the text table src as a compiled table at dst (written beside it, then
 * renamed: processes see the old or the new one); *entries gets the count */
enum dkmod_status dkmod_signtable_compile(const char *src, const char *dst, size_t *entries, char *why,
					  size_t why_size);

/*
 * SPF (RFC 7208): the result of check_host() for one SMTP client, and a check of one client
 * on a resolver of its own (`dkmod spf`).
 */
enum dkmod_spf_result {
	DKMOD_SPF_NONE = 0,
	DKMOD_SPF_NEUTRAL,
	DKMOD_SPF_PASS,
	DKMOD_SPF_FAIL,
	DKMOD_SPF_SOFTFAIL,
	DKMOD_SPF_TEMPERROR,
	DKMOD_SPF_PERMERROR
};

/* dkmod_spf_result_name - "none", "neutral", "pass", ...: the one name table */
const char *dkmod_spf_result_name(enum dkmod_spf_result r);
/* dkmod_spf_result_parse - the result of a name (case-insensitive); -1 if none */
int dkmod_spf_result_parse(const char *name);

/* What to check: the client, its HELO name and MAIL FROM (NULL: check the HELO identity;
 * "": the null sender, checked as postmaster@HELO). */
struct dkmod_spf_query {
	const char *ip;            /* IPv4 or IPv6 text */
	const char *helo;
	const char *mail_from;
	const char *receiver;      /* this host's name for the r macro; NULL: "unknown" */
	long long now;             /* the t macro: seconds since the epoch */
};

/* What came out; the strings live as long as the check. */
struct dkmod_spf_answer {
	enum dkmod_spf_result result;
	bool helo_scope;           /* the HELO identity was checked, not MAIL FROM */
	const char *identity;      /* local@domain, postmaster@helo or the HELO name */
	const char *domain;        /* the domain whose record was checked first */
	const char *explanation;   /* exp= text for fail, "" if none */
	const char *reason;        /* the mechanism that matched, or the error */
	unsigned dns_terms;        /* DNS-querying terms evaluated */
	unsigned void_lookups;
	const char *trusted;       /* the trusted authserv-id whose A-R field gave the result (no
				    * check made here: reason says which field), "" or NULL if checked */
};

struct dkmod_spf;

/* dkmod_spf_check - run the check on a resolver set up from ro (its timeout, default 5000 ms,
 * bounds the wait) and keep the result in *out.  DKMOD_EDNS when the resolver cannot be set
 * up, DKMOD_EINVAL for a bad query, DKMOD_ENOMEM; *why then says why. */
enum dkmod_status dkmod_spf_check(const struct dkmod_resolver_options *ro, const struct dkmod_spf_query *q,
				  struct dkmod_spf **out, const char **why);
/* dkmod_spf_answer - the result of a check */
void dkmod_spf_answer(const struct dkmod_spf *s, struct dkmod_spf_answer *a);
void dkmod_spf_free(struct dkmod_spf *s);

/* dkmod_session_envelope - the SMTP envelope, before or during the header (not after the end
 * of the headers): the client's address, its HELO/EHLO name and MAIL FROM without <> (""
 * for the null sender); NULL for what is not known.  In a verifying session with check_spf
 * the SPF check starts at once on the session's resolver, beside the key lookups and within
 * the message's DNS time budget (with trusted_authserv_ids, at the end of the headers, and
 * only when no trusted field gave the result).  Strings are copied.  Without an envelope (or without a
 * client address, or with neither a HELO name nor a sender) SPF is not looked up and its
 * result is none; DMARC then rests on DKIM alone.  DKMOD_ESTATE
 * after the end of the headers or a second time; DKMOD_EINVAL for an address that is not one */
enum dkmod_status dkmod_session_envelope(struct dkmod_session *s, const char *client_ip, const char *helo,
					 const char *mail_from);
/* dkmod_session_spf - after finish: the SPF result into *a (strings owned by the session);
 * false, with *a saying none, when SPF was not checked */
bool dkmod_session_spf(const struct dkmod_session *s, struct dkmod_spf_answer *a);

/*
 * DMARC (RFC 9989) of the From domain of a verified message, from the DKIM verdicts and SPF.
 */
enum dkmod_dmarc_result {
	DKMOD_DMARC_NONE = 0,
	DKMOD_DMARC_PASS,
	DKMOD_DMARC_FAIL,
	DKMOD_DMARC_TEMPERROR,
	DKMOD_DMARC_PERMERROR
};

/* dkmod_dmarc_result_name - "none", "pass", "fail", "temperror", "permerror" */
const char *dkmod_dmarc_result_name(enum dkmod_dmarc_result r);

/* The DMARC verdict of a message; strings owned by the session, "" when not known. */
struct dkmod_dmarc {
	enum dkmod_dmarc_result result;
	const char *reason;          /* why, "" on pass */
	const char *author_domain;   /* the From domain */
	const char *org_domain;      /* its organizational domain */
	const char *record_domain;   /* where the policy record was found, "" if none */
	bool have_record;
	const char *p, *sp;          /* the record's p= and sp= ("none", "quarantine", "reject") */
	const char *policy;          /* the policy that applies to the author domain */
	const char *policy_tag;      /* the tag it came from: "p", "sp", "np" ("" without a record) */
	bool testing;                /* t=y */
	const char *disposition;     /* what the domain asks for this message: "none" on pass, else
				      * the policy, one step milder under t=y */
	bool dkim_aligned, spf_aligned;
	const char *dkim_domain;     /* the first aligned passing d=, "" if none */
	const char *spf_domain;      /* the SPF domain when aligned and passing, "" if not */
	unsigned queries, rounds;    /* DNS queries asked, rounds of them one after another */
};

/* dkmod_session_dmarc - after finish, in verify sessions with check_dmarc; else NULL */
const struct dkmod_dmarc *dkmod_session_dmarc(const struct dkmod_session *s);

/* The parts of the interface kept in files of their own. */
#include "dkmod/report.h"
#include "dkmod/keys.h"

#ifdef __cplusplus
}
#endif
#endif
