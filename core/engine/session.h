/*
 * session.h - the insides of a context and of a message session, shared by
 * the files that implement them (ctx.c, session.c, bodyhash.c, dkimverify.c,
 * dkimsign.c, ar.c).  Not part of the public interface.
 */
#ifndef DKMOD_SESSION_H
#define DKMOD_SESSION_H

#include "util/arena.h"
#include "body/canon.h"
#include "store/counters.h"
#include "key/crypto.h"
#include "msg/address.h"
#include "record/dkimsig.h"
#include "record/dksig.h"
#include "dkmod.h"
#include "dns/dns.h"
#include "msg/fieldindex.h"
#include "body/hashpair.h"
#include "msg/header.h"
#include "dns/keycache.h"
#include "key/pubkeys.h"
#include "util/str.h"

struct dkmod_ctx {
	struct dkmod_options opt;   /* strings point into owned copies below */
	struct arena strings;       /* copies of the option strings */
	struct dns *dns;            /* made on first use when there is a cache (ctx_dns) */
	bool dns_failed;
	struct pubkeys pubkeys;     /* decoded once per process */
	struct store *store;        /* shared state, NULL without one */
	struct keycache *cache;     /* shared answer cache, NULL without one */
	struct privkeys *privkeys;  /* signing keys loaded once per process */
	struct counters counters;   /* counts not yet written to the store */
	struct arena_block *arena_spare; /* blocks the sessions' arenas reuse (arena_init_spare) */
	struct str header_canon;    /* dkimverify_header_hash's buffer, kept from message to message */
	struct dkmod_session *spare_session; /* the last session freed, its arrays kept for the next */
};

/* One running body hash, shared by every signature with the same parameters. */
struct bodyhash {
	enum crypto_hash hash;
	enum dkmod_canon canon;
	bool domainkeys;
	long long limit;
	struct crypto_hasher *hasher;   /* the hash, or NULL when it runs in lane */
	struct hashpair *lane;          /* SHA-256 with the SHA extensions: paired with another body */
	const char *raw, *raw_end;      /* the raw body bytes being canonicalized (bodyhash_update_all) */
	struct canon_body *canon_state;
	unsigned char digest[CRYPTO_MAX_DIGEST];
	long long length;           /* canonical body length, after final */
	bool failed;                /* the hash library failed */
};

/* One lookup, shared by everything in the message that asks the same question. */
struct keylookup {
	char *name;
	enum dns_type type;
	bool done;
	bool cached;                /* answered from the shared cache */
	enum dns_rcode rcode;
	enum dkmod_dnssec dnssec;
	char **records;
	size_t *lengths;
	size_t count;
	char *why;
	struct dkmod_session *session;
};

/* One DKIM-Signature to verify. */
struct dkimcheck {
	size_t field;               /* index of the header field */
	enum dkimsig_status status;
	struct dkimsig sig;
	struct bodyhash *body;
	struct keylookup *key;
};

/* One signature to add. */
struct dkimsigner {
	struct dkmod_sign_request req;  /* strings copied into the session arena */
	const struct crypto_privkey *key;  /* owned by the context's privkeys */
	struct bodyhash *body;
	const char *failure;            /* why signing failed, or NULL */
	char *field;                    /* the finished header field */
};

/* The responsible sender (DomainKeys): the first Sender: field, else the first From:. */
struct sender {
	bool found;              /* a field was there */
	bool parsed;             /* and held an address */
	bool from_sender;        /* it was Sender: */
	size_t field;            /* its index */
	struct address addr;
};

/* One DomainKey-Signature to verify. */
struct dkcheck {
	size_t field;
	enum dksig_status status;
	struct dksig sig;
	struct bodyhash *stream;      /* SHA-1 of the signed headers, then the body */
	struct keylookup *key;
	const char *failure;          /* a reason found at end of headers, or NULL */
	const char *failure_status;   /* its finer status */
	enum dkmod_result header_verdict; /* PASS, or what a good signature gets (fieldscan_verdict) */
	const char *header_reason;
	struct sender sender;
};

/* One DomainKey-Signature to add. */
struct dksigner {
	struct dkmod_sign_request req;
	const struct crypto_privkey *key;  /* owned by the context's privkeys */
	struct bodyhash *stream;
	char domain[DKIMSIG_MAX_NAME];
	struct str h;                 /* h= as signed (empty when every field is signed) */
	const char *failure;
	char *field;
};

/* Fields RFC 5322 3.6 and RFC 2045 allow once (fieldscan.c). */
#define FIELDSCAN_SINGLE 14

enum session_phase { SESSION_HEADERS = 0, SESSION_BODY, SESSION_DONE };

#define SESSION_MAX_BODYHASHES 24
#define SESSION_MAX_LOOKUPS 32
#define SESSION_MAX_SIGNERS 8
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
	size_t single[FIELDSCAN_SINGLE]; /* occurrences of each single-instance field */
	bool skip_line;             /* inside a header line dropped for its length: skipped to its end */
	bool field_cut;             /* a line of the field being gathered was dropped for its length */

	/* dkmod_session_write: splitting raw bytes into fields */
	struct str field;           /* complete lines of the field being gathered */
	struct str line;            /* the line being read */
	size_t raw_header_bytes;
	bool eol_known, eol_lf;

	struct bodyhash *bodies[SESSION_MAX_BODYHASHES];
	size_t nbodies;
	size_t npairs;              /* pairs of body hashes run together (bodyhash.c) */
	struct keylookup *lookups[SESSION_MAX_LOOKUPS];
	size_t nlookups;
	long long deadline_ms;

	struct dkimcheck *checks;
	size_t nchecks;
	struct dkimsigner *signers;     /* room for SESSION_MAX_SIGNERS, made on the first request */
	size_t nsigners;
	struct dkcheck *dkchecks;
	size_t ndkchecks;
	struct dksigner *dksigners;     /* likewise */
	size_t ndksigners;

	struct dkmod_sig_result *results;
	size_t nresults, results_cap;

	/* sender policies (policy.c) */
	bool policies;                  /* looked up in this session */
	struct keylookup *dkp_lookup, *adsp_lookup, *exists_lookup;
	struct sender sender;           /* the responsible sender (sender_get) */
	bool sender_known;
	struct sender author_field;     /* the first From field and its address (author_get) */
	bool author_known;
	struct address author;
	bool author_ok;
	struct dkmod_dk_policy dk_policy;
	struct dkmod_adsp adsp;

	/* counters kept for the session until finish (stats.c) */
	struct dkmod_instances instances;
	unsigned dns_queries, cache_hits, cache_misses;
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
/* session_signature_fields - how many fields named name will be verified (at most
 * max_signatures; the rest are logged), with arena room for that many checks of size
 * bytes in *checks; SIZE_MAX when out of memory */
size_t session_signature_fields(struct dkmod_session *s, const char *name, size_t size, void **checks);
/* session_add_result - a new, zeroed result with empty strings; NULL on ENOMEM */
struct dkmod_sig_result *session_add_result(struct dkmod_session *s, enum dkmod_method method);
/* session_add_field - queue a header field to prepend (text owned by the arena) */
enum dkmod_status session_add_field(struct dkmod_session *s, const char *text);
/* session_lookup - start (or share) a lookup of name and type; NULL for a name over 253 bytes
 * (none can exist) or past the lookup limit */
struct keylookup *session_lookup(struct dkmod_session *s, const char *name, enum dns_type type);
/* session_lookup_txt - start (or share) a TXT lookup of name */
struct keylookup *session_lookup_txt(struct dkmod_session *s, const char *name);

/* session_lookup_verdict - the verdict when a key lookup failed, or PASS to go on */
enum dkmod_result session_lookup_verdict(const struct dkmod_ctx *ctx, const struct keylookup *k, const char **reason);

/* bodyhash_get - the body hash with these parameters, created on first use; NULL on failure */
struct bodyhash *bodyhash_get(struct dkmod_session *s, enum crypto_hash hash, enum dkmod_canon canon,
			      bool domainkeys, long long limit);
/* bodyhash_update_all - feed a raw body chunk to every body hash */
void bodyhash_update_all(struct dkmod_session *s, const void *data, size_t len);
/* bodyhash_final_all - finish every body hash */
void bodyhash_final_all(struct dkmod_session *s);
/* bodyhash_free_all - release every body hash */
void bodyhash_free_all(struct dkmod_session *s);

/* dkimverify_start - at end of headers: parse every DKIM-Signature, start key lookups */
enum dkmod_status dkimverify_start(struct dkmod_session *s);
/* dkimverify_finish - after the body and the lookups: a verdict per signature */
enum dkmod_status dkimverify_finish(struct dkmod_session *s);
/* dkimverify_header_hash - the header hash of the fields named in h= and of the signature
 * field text (b= empty); fields to be removed are skipped when signing (skip_removed) */
int dkimverify_header_hash(struct dkmod_session *s, enum crypto_hash hash, enum dkmod_canon canon,
			   const char *h, size_t h_len, const char *sig_text, size_t sig_len, bool skip_removed,
			   unsigned char *digest);

/* dkimsign_add - before end of headers: load the key and queue a signature */
enum dkmod_status dkimsign_add(struct dkmod_session *s, const struct dkmod_sign_request *req);
/* dkimsign_start - at end of headers: set up the body hashes */
enum dkmod_status dkimsign_start(struct dkmod_session *s);
/* dkimsign_finish - build and sign each DKIM-Signature field */
enum dkmod_status dkimsign_finish(struct dkmod_session *s);
/* dkimsign_free - forget the signers */
void dkimsign_free(struct dkmod_session *s);

/* sender_find - the responsible sender of the stored fields */
void sender_find(const struct dkmod_session *s, struct sender *out);
/* sender_get - the responsible sender of the session's fields, found once; a field stored
 * later (dkmod_session_header) makes it be found again */
const struct sender *sender_get(struct dkmod_session *s);
/* author_get - the author: the first From field and its first address (RFC 5322 3.6.2), found
 * as sender_get finds the sender */
const struct sender *author_get(struct dkmod_session *s);

/* dkverify_start - at end of headers: parse every DomainKey-Signature, hash the signed
 * headers, start key lookups */
enum dkmod_status dkverify_start(struct dkmod_session *s);
/* dkverify_finish - a verdict per DomainKey-Signature, and the DomainKey-Status field */
enum dkmod_status dkverify_finish(struct dkmod_session *s);
/* dkverify_status_field - the DomainKey-Status field for the verdicts, or NULL */
const char *dkverify_status_field(struct dkmod_session *s);
/* dkverify_hash_headers - feed the fields a DomainKeys signature covers into its stream:
 * the fields from index first on, filtered by h= when h is not NULL (in h= order, as
 * the peer does), without fields to be removed when signing (skip_removed); each
 * field used is marked in signed_fields (nfields entries) */
int dkverify_hash_headers(struct dkmod_session *s, struct bodyhash *stream, enum dkmod_canon canon, size_t first,
			  const char *h, size_t h_len, bool skip_removed, bool *signed_fields);

/* dksign_add - queue a DomainKeys signature */
enum dkmod_status dksign_add(struct dkmod_session *s, const struct dkmod_sign_request *req);
/* dksign_start - at end of headers: choose d=, hash the headers */
enum dkmod_status dksign_start(struct dkmod_session *s);
/* dksign_finish - sign and build each DomainKey-Signature field */
enum dkmod_status dksign_finish(struct dkmod_session *s);
/* dksign_free - release buffers */
void dksign_free(struct dkmod_session *s);

/* policy_start - at end of headers: start the DomainKeys policy, ADSP and author-domain lookups */
enum dkmod_status policy_start(struct dkmod_session *s);
/* policy_finish - after the verdicts: the DomainKeys policy verdict and the ADSP result */
enum dkmod_status policy_finish(struct dkmod_session *s);

/* ar_b_prefix - how many characters of result k's b= tell it apart from the others (at least 8) */
size_t ar_b_prefix(const struct dkmod_session *s, size_t k);
/* ar_build - the Authentication-Results value from the session's results; NULL when out
 * of memory.  The whole field, "Authentication-Results: " and the value, is s->ar_field. */
char *ar_build(struct dkmod_session *s);
/* fieldscan_stored - count the stored fields not counted yet, mark those that go */
void fieldscan_stored(struct dkmod_session *s);
/* fieldscan_tail - a field past the limits (raw; cut: a line of it was dropped for its length,
 * or raw is only its start): counted, noted if it goes */
void fieldscan_tail(struct dkmod_session *s, const char *raw, size_t len, bool cut);
/* fieldscan_author_twice - true if From or Sender occurs more than once */
bool fieldscan_author_twice(const struct dkmod_session *s);
/* fieldscan_verdict - PASS for a signature that verified, or the verdict and reason when the
 * header was not fully seen, has two authors, or has an unsigned instance of a single-instance
 * field the signature covers (count: how many instances of a name it covers) */
enum dkmod_result fieldscan_verdict(struct dkmod_session *s, size_t (*count)(void *arg, const char *name),
				    void *arg, const char **reason);

/* Whose an Authentication-Results field is. */
enum ar_owner { AR_OTHER = 0, AR_OURS, AR_UNSURE };
/* ar_authserv_id - whether an A-R field value names authserv_id (RFC 8601 and RFC 5322
 * syntax, case-insensitive); AR_UNSURE when it has no authserv-id that parses */
enum ar_owner ar_authserv_id(const char *value, size_t len, const char *authserv_id);

#endif
