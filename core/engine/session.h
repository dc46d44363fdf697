/*
 * session.h - the insides of a context and of a message session, shared by
 * the engine's files (ctx.c, session.c, session_count.c, fieldscan.c,
 * hdrwalk.c, ar.c).  The methods see a message only through method.h.
 * Not part of the public interface.
 */
#ifndef DKMOD_SESSION_H
#define DKMOD_SESSION_H

#include "body/bodyhash.h"
#include "dkmod.h"
#include "engine/ar.h"
#include "engine/fieldscan.h"
#include "engine/session_auth.h"
#include "dns/dns.h"
#include "dns/keycache.h"
#include "key/pubkeys.h"
#include "method/dkimsign.h"
#include "method/dkimverify.h"
#include "method/dksign.h"
#include "method/dkverify.h"
#include "method/lookup.h"
#include "method/method.h"
#include "method/sendpolicy.h"
#include "msg/header.h"
#include "msg/sender.h"
#include "store/counters.h"
#include "util/arena.h"
#include "util/str.h"

struct dkmod_ctx {
	struct dkmod_options opt;   /* strings point into owned copies below */
	struct arena strings;       /* copies of the option strings */
	struct dns *dns;            /* made on first use when there is a cache (ctx_dns) */
	bool dns_failed;
	struct pubkeys pubkeys;     /* decoded once per process */
	struct store *store;        /* shared state, NULL without one */
	struct store *report_store; /* the aggregate report rows (report.c), opened on first use */
	bool report_failed;         /* it could not be opened: logged once, not tried again */
	struct keycache *cache;     /* shared answer cache, NULL without one */
	struct arena cache_scratch; /* the records of the last shared-cache answer the resolver asked for */
	struct privkeys *privkeys;  /* signing keys loaded once per process */
	struct counters counters;   /* counts not yet written to the store */
	struct arena_block *arena_spare; /* blocks the sessions' arenas reuse (arena_init_spare) */
	struct str header_canon;    /* hdrhash_dkim's buffer, kept from message to message */
	struct str sign_field;      /* dkimsign_one's field, likewise */
	struct dkmod_session *spare_session; /* the last session freed, its arrays kept for the next */
};

enum session_phase { SESSION_HEADERS = 0, SESSION_BODY, SESSION_DONE };

/* A session flag beside DKMOD_SESSION_VERIFY: not verified, forged verdict fields removed */
#define SESSION_STRIP_ONLY 0x100u

struct dkmod_session {
	struct dkmod_ctx *ctx;
	unsigned flags;             /* DKMOD_SESSION_VERIFY, SESSION_STRIP_ONLY */
	enum session_phase phase;
	struct arena arena;

	struct header_field *fields;
	size_t nfields, fields_cap;
	size_t header_bytes;        /* bytes of all stored fields */
	struct fieldindex *index;   /* the fields by name, built when a signature needs it */
	bool overflow;              /* limits were exceeded: fields are missing */
	/* every field, past the limits too (fieldscan.c) */
	size_t nscanned;            /* stored fields scanned so far */
	size_t ar_count, dks_count; /* Authentication-Results and DomainKey-Status fields */
	unsigned char ar_small[8];  /* a bit per A-R field that goes (the first 64) */
	unsigned char *ar_ours;     /* ar_small, or a larger copy */
	size_t ar_ours_cap;         /* bytes of ar_ours */
	bool removal_failed;        /* out of memory noting a field that goes */
	struct dns_rounds dns_counted; /* the message's DNS round trips in sequence (at finish) */
	size_t single[FIELDSCAN_SINGLE]; /* occurrences of each single-instance field */
	bool skip_line;             /* inside a header line dropped for its length: skipped to its end */
	bool field_cut;             /* a line of the field being gathered was dropped for its length */

	/* dkmod_session_write: splitting raw bytes into fields */
	struct str field;           /* complete lines of the field being gathered */
	struct str line;            /* the line being read */
	size_t raw_header_bytes;
	bool eol_known, eol_lf;

	struct method_msg msg;          /* what the methods see of this message (session_msg) */
	struct bodyhash_set bodies;
	struct lookups lookups;
	long long deadline_ms;
	long long clock_ms;             /* the time at the end of the header (dns_now_ms), 0 before */

	struct dkimverify dkimverify;
	struct dkimsign dkimsign;
	struct dkverify dkverify;
	struct dksign dksign;

	struct dkmod_sig_result *results;
	size_t nresults, results_cap;

	struct sender sender;           /* the responsible sender (session_sender) */
	struct sender author;           /* the first From field and its address (session_author) */
	bool sender_known, author_known; /* found since the last field was stored */
	struct sendpolicy policy;       /* the historic sender policies (sendpolicy.c), when looked up */
	struct session_auth auth;       /* SPF and DMARC (session_auth.c) */

	/* counters kept for the session until finish (stats.c) */
	struct dkmod_instances instances;
	const char **added;
	size_t nadded, added_cap;
	char *ar;                   /* the Authentication-Results value, inside ar_field */
	char *ar_field;             /* the whole field */
};

/* session_count_signer - count one signature of req as signed or failed under its instance */
void session_count_signer(struct dkmod_session *s, const struct dkmod_sign_request *req, bool signed_ok);

/* session_spare_free - free the context's spare session */
void session_spare_free(struct dkmod_ctx *ctx);

/* session_count - add the session's counters to the shared state (once, at finish) */
void session_count(struct dkmod_session *s);

/* ctx_dns - the resolver, made now if it is not there yet; NULL (logged) on failure */
struct dns *ctx_dns(struct dkmod_ctx *ctx);

/* session_log - log through the context's callback (printf-style) */
void session_log(const struct dkmod_ctx *ctx, enum dkmod_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* session_now - the clock (fixed_now in tests) */
time_t session_now(const struct dkmod_ctx *ctx);
/* session_sender - the responsible sender of the fields stored so far, found once per field */
const struct sender *session_sender(struct dkmod_session *s);
/* session_author - the author of the fields stored so far (msg/sender.h's author_find) */
const struct sender *session_author(struct dkmod_session *s);
#endif
