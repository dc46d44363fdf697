/*
 * method.h - what the session gives a method (DKIM and DomainKeys verify
 * and sign, sender policies): the message's header fields, its arena and
 * options, the key caches, its body hashes and DNS lookups, and the sinks
 * for verdicts and added fields.  A method knows nothing else of the
 * session and never calls into it but through these.
 */
#ifndef DKMOD_METHOD_H
#define DKMOD_METHOD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "body/bodyhash.h"
#include "dkmod.h"
#include "dns/keycache.h"
#include "key/privkeys.h"
#include "key/pubkeys.h"
#include "msg/fieldindex.h"
#include "msg/header.h"
#include "msg/sender.h"
#include "util/arena.h"
#include "util/str.h"

#define METHOD_MAX_SIGNERS 8

struct lookups;

/* The sinks a method fills, kept by the session (arg is the host's). */
struct method_host {
	/* add_result - a new, zeroed result with empty strings; NULL on ENOMEM */
	struct dkmod_sig_result *(*add_result)(void *arg, enum dkmod_method method);
	/* add_field - queue a header field to prepend (text owned by the arena) */
	enum dkmod_status (*add_field)(void *arg, const char *text);
	/* header_verdict - PASS for a signature that verified, or the verdict and reason when the
	 * header was not fully seen, has two authors, or has an unsigned instance of a
	 * single-instance field the signature covers (count: how many instances of a name it covers) */
	enum dkmod_result (*header_verdict)(void *arg, size_t (*count)(void *count_arg, const char *name),
					    void *count_arg, const char **reason);
};

/* The message as a method sees it. */
struct method_msg {
	const struct dkmod_options *opt;
	struct arena *arena;            /* the message's: lives as long as its results */
	const struct header_field *fields; /* the stored fields (complete from the end of headers) */
	size_t nfields;
	size_t header_bytes;            /* bytes of all stored fields */
	struct fieldindex **index;      /* the fields by name, built on first use */
	bool overflow;                  /* limits were exceeded: fields are missing */
	const struct sender *sender;    /* the responsible sender (from the end of headers) */
	const struct sender *author;    /* the author (from the end of headers) */
	struct pubkeys *pubkeys;        /* decoded public keys, per process */
	struct privkeys *privkeys;      /* signing keys, per process */
	struct keycache *cache;         /* shared answer cache, or NULL */
	struct str *header_canon;       /* a buffer kept from message to message (hdrhash.c) */
	struct str *sign_field;         /* another, for the field being signed (dkimsign.c) */
	struct bodyhash_set *bodies;
	struct lookups *lookups;
	const struct method_host *host;
	void *host_arg;
};

/* The reason a method gives when out of memory (compared by address: ENOMEM, not another status). */
extern const char method_out_of_memory[];

/* method_clock - the clock of the options (fixed_now in tests) */
time_t method_clock(const struct dkmod_options *opt);
/* method_now - the message's clock */
time_t method_now(const struct method_msg *m);
/* method_log - log through the options' callback (printf-style) */
void method_log(const struct method_msg *m, enum dkmod_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* method_signature_fields - how many fields named name will be verified (at most
 * max_signatures; the rest are logged), with arena room for that many checks of size
 * bytes in *checks; SIZE_MAX when out of memory */
size_t method_signature_fields(const struct method_msg *m, const char *name, size_t size, void **checks);
/* method_add_result - a new, zeroed result with empty strings; NULL on ENOMEM */
struct dkmod_sig_result *method_add_result(const struct method_msg *m, enum dkmod_method method);
/* method_add_field - queue a header field to prepend */
enum dkmod_status method_add_field(const struct method_msg *m, const char *text);
/* method_header_verdict - the host's verdict on the header of a signature that verified */
enum dkmod_result method_header_verdict(const struct method_msg *m, size_t (*count)(void *arg, const char *name),
					void *arg, const char **reason);
/* method_key_name - selector._domainkey.domain into name (a cut name is still over 253
 * bytes, which a lookup refuses) */
void method_key_name(char *name, size_t size, const char *selector, const char *domain);

#endif
