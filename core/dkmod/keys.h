/*
 * dkmod/keys.h - key tools: the key record check (dkmod testkey), keys made or loaded,
 * their key records, month-named selectors and the rotation state.
 * Part of the public interface: included by dkmod.h, which programs include.
 */
#ifndef DKMOD_API_KEYS_H
#define DKMOD_API_KEYS_H

#ifndef DKMOD_H
#error "include dkmod.h, not dkmod/keys.h"
#endif

/*
 * Key record check (dkmod testkey): look up the record published for a
 * selector and compare it with the private key that is to sign with it.
 */

/* The outcome of a check; the values are the exit statuses of dkmod testkey. */
enum dkmod_keycheck {
	DKMOD_KEYCHECK_OK = 0,        /* the record parses and holds the key's public half */
	DKMOD_KEYCHECK_MISMATCH = 1,  /* a valid record of another key (or key type) */
	DKMOD_KEYCHECK_ABSENT = 2,    /* NXDOMAIN or NODATA */
	DKMOD_KEYCHECK_REVOKED = 3,   /* p= is empty */
	DKMOD_KEYCHECK_MALFORMED = 4, /* no record parses, or its key is unusable (e.g. truncated) */
	DKMOD_KEYCHECK_TEMPFAIL = 5   /* SERVFAIL, time-out, DNSSEC bogus: ask again later */
};

/* dkmod_keycheck_name - "ok", "mismatch", "absent", "revoked", "malformed", "tempfail" */
const char *dkmod_keycheck_name(enum dkmod_keycheck outcome);

#define DKMOD_KEYCHECK_NOTES 8
#define DKMOD_KEYCHECK_TEXT 160

/* What a check found; filled in by dkmod_keycheck, no pointers to free. */
struct dkmod_keycheck_report {
	enum dkmod_keycheck outcome;
	char name[256];              /* the name looked up: selector._domainkey.domain */
	char reason[DKMOD_KEYCHECK_TEXT]; /* why the outcome, or why the call failed ("" when ok) */
	char dns[16];                /* "answer", "nxdomain", "nodata", "servfail", "timeout", "error" */
	size_t records;              /* TXT records at the name */
	size_t record_len;           /* bytes of the record checked (all its strings) */
	unsigned ttl;                /* seconds */
	enum dkmod_dnssec dnssec;
	char key_type[8];            /* published k=: "rsa" or "ed25519" ("" if none parsed) */
	unsigned key_bits;           /* published key size; 0 if none */
	unsigned private_bits;       /* the private key's size */
	bool testing;                /* t=y */
	bool strict;                 /* t=s (DKIM) */
	size_t nnotes;
	char notes[DKMOD_KEYCHECK_NOTES][DKMOD_KEYCHECK_TEXT]; /* advice: weak key, several records, h= ... */
};

/* dkmod_key_file_check - whether signing can use the private key file at path, decided exactly
 * as the signer decides (opened once; owner and mode under the rule of doc/SECURITY.md
 * "Private key files"; parsed): DKMOD_OK, or DKMOD_EKEY with *why, a static text that says how
 * to fix it */
enum dkmod_status dkmod_key_file_check(const char *path, const char **why);
/* dkmod_key_file_rule - the mode and owner half of that rule for a key file of this mode and
 * owner (uid) when user (uid) signs with it, as a tool that checks for another user needs it:
 * NULL when allowed, else the static reason with the fix */
const char *dkmod_key_file_rule(unsigned long mode, unsigned long owner, unsigned long user);

/* dkmod_keycheck - look up selector._domainkey.domain through a resolver set up from ro (the
 * timeout defaults to 5000 ms), parse it as method m's key record and compare it with the
 * private key in key_file.  DKMOD_OK when the check ran (out->outcome says what it found);
 * DKMOD_EINVAL for a bad name, DKMOD_EKEY if the key file is unusable, DKMOD_EDNS if the
 * resolver cannot be set up, DKMOD_ENOMEM; out->reason then says why. */
enum dkmod_status dkmod_keycheck(const struct dkmod_resolver_options *ro, enum dkmod_method m, const char *domain,
				 const char *selector, const char *key_file, struct dkmod_keycheck_report *out);

/*
 * Key tools (dkmod keygen, zone, rotate): private keys made or loaded, the text of their key
 * records, BIND TXT presentation, month-named selectors and the rotation state file.  Text
 * results are malloc'd and NUL-terminated; the caller frees them with free().
 */
enum dkmod_key_type { DKMOD_KEY_RSA = 0, DKMOD_KEY_ED25519 };

/* Flags of a key record. */
#define DKMOD_KEY_TESTING 0x1u  /* t=y */
#define DKMOD_KEY_STRICT 0x2u   /* t=s (DKIM only): no subdomains in i= */

struct dkmod_key;
/* dkmod_key_generate - a new key: RSA of bits (512 to 8192) or Ed25519 (bits ignored); DKMOD_OK,
 * or DKMOD_EKEY / DKMOD_ENOMEM with *why (dkmod_key_error may say more) */
enum dkmod_status dkmod_key_generate(enum dkmod_key_type type, unsigned bits, struct dkmod_key **out,
				     const char **why);
/* dkmod_key_load - the private key in path, opened and checked as the signer does
 * (dkmod_key_file_check); DKMOD_OK, or DKMOD_EKEY / DKMOD_ENOMEM with *why */
enum dkmod_status dkmod_key_load(const char *path, struct dkmod_key **out, const char **why);
/* dkmod_key_type - RSA or Ed25519 */
enum dkmod_key_type dkmod_key_type(const struct dkmod_key *key);
/* dkmod_key_write_pem - write the key as unencrypted PKCS#8 PEM to a new file (O_EXCL, mode 0600);
 * DKMOD_OK, or DKMOD_EIO with *why and errno (EEXIST: the file exists) */
enum dkmod_status dkmod_key_write_pem(const struct dkmod_key *key, const char *path, const char **why);
/* dkmod_key_free - NULL is fine */
void dkmod_key_free(struct dkmod_key *key);
/* dkmod_key_error - the crypto library's last error as text, never NULL */
const char *dkmod_key_error(void);
/* dkmod_key_error_strings - load the crypto library's error texts for dkmod_key_error; before any
 * other call (the engine starts the crypto library without them) */
void dkmod_key_error_strings(void);

/* dkmod_key_record - the TXT data of the key record of key's public half: DKIM
 * "v=DKIM1; k=rsa; [t=y; | t=s; | t=y:s; ]p=..." or DomainKeys "k=rsa; [t=y; ]p=..." (flags:
 * DKMOD_KEY_*) into *out (its length in *len if len is not NULL); DKMOD_EINVAL for a combination
 * the method does not know (DomainKeys: RSA only, no t=s) */
enum dkmod_status dkmod_key_record(const struct dkmod_key *key, enum dkmod_method m, unsigned flags, char **out,
				   size_t *len);
/* dkmod_key_bind_txt - `OWNER IN TXT ( "..." "..." )` of the len bytes of data, in strings of at
 * most 255 bytes ('"' and '\' escaped); multiline puts each string on its own line */
enum dkmod_status dkmod_key_bind_txt(const char *owner, const char *data, size_t len, bool multiline, char **out);
/* dkmod_key_bind_strings - the TXT data of BIND text: every quoted string joined (\X and \DDD
 * decoded), text outside quotes and after ';' comments ignored; DKMOD_EINVAL if there is no
 * string, one is unterminated, or memory ran out */
enum dkmod_status dkmod_key_bind_strings(const char *text, size_t len, char **out, size_t *out_len);
/* dkmod_key_record_info - method (DKIM if v= is present), flags and key type of record text;
 * false if it is not a key record */
bool dkmod_key_record_info(const char *data, size_t len, enum dkmod_method *m, unsigned *flags,
			   enum dkmod_key_type *type);
/* dkmod_key_relative - name relative to origin ("@" for origin itself) into buf, or NULL if name
 * is not within origin; both may end in a dot and compare case-insensitively */
const char *dkmod_key_relative(const char *name, const char *origin, char *buf, size_t cap);

/* dkmod_key_selector - "YYYY-MM" of now in UTC, followed by ".suffix" if suffix is not NULL;
 * 0, or -1 if it does not fit in cap */
int dkmod_key_selector(time_t now, const char *suffix, char *out, size_t cap);
/* dkmod_key_in_series - true if name is "YYYY-MM" (suffix NULL) or "YYYY-MM.suffix" */
bool dkmod_key_in_series(const char *name, const char *suffix);
/* dkmod_key_duration - seconds of "Nd", "Nh" or "Ns" (N decimal, at most ten years); -1 on bad input */
long long dkmod_key_duration(const char *s);

#define DKMOD_KEY_MAX_SELECTOR 64

/* One selector in the rotation state: active since, retired at (0: still active). */
struct dkmod_key_entry {
	char selector[DKMOD_KEY_MAX_SELECTOR];
	long long active;
	long long retired;
};

/* The rotation state file DIR/D/selectors: lines "SELECTOR ACTIVE RETIRED", '#' comments. */
struct dkmod_key_state {
	struct dkmod_key_entry *entries;
	size_t count;
	size_t cap;
};

/* dkmod_key_state_parse - read state text into st (appending); 0, or the 1-based line of an error */
size_t dkmod_key_state_parse(struct dkmod_key_state *st, const char *text, size_t len);
/* dkmod_key_state_find - the entry of selector, or NULL */
struct dkmod_key_entry *dkmod_key_state_find(struct dkmod_key_state *st, const char *selector);
/* dkmod_key_state_add - a new entry; NULL when out of memory or the name is too long */
struct dkmod_key_entry *dkmod_key_state_add(struct dkmod_key_state *st, const char *selector, long long active,
					    long long retired);
/* dkmod_key_state_remove - drop the entry of selector, if any */
void dkmod_key_state_remove(struct dkmod_key_state *st, const char *selector);
/* dkmod_key_state_sort - order entries by activation time, then name */
void dkmod_key_state_sort(struct dkmod_key_state *st);
/* dkmod_key_state_format - the file text of st into *out (its length in *len if not NULL) */
enum dkmod_status dkmod_key_state_format(const struct dkmod_key_state *st, char **out, size_t *len);
/* dkmod_key_state_free - release the entries */
void dkmod_key_state_free(struct dkmod_key_state *st);

/* What to do with a selector at a given time. */
enum dkmod_key_verdict {
	DKMOD_KEY_ACTIVE = 0,  /* signing now */
	DKMOD_KEY_KEEP,        /* retired within the grace period: mail signed with it may still be verified */
	DKMOD_KEY_REMOVE       /* retired longer than the grace period ago */
};

/* dkmod_key_verdict - the verdict on e at now with grace seconds */
enum dkmod_key_verdict dkmod_key_verdict(const struct dkmod_key_entry *e, long long now, long long grace);
/* dkmod_key_retire - retire every active entry of the series (see dkmod_key_in_series) at now;
 * the number retired */
size_t dkmod_key_retire(struct dkmod_key_state *st, const char *suffix, long long now);
/* dkmod_key_time - "YYYY-MM-DDTHH:MM:SSZ" of t into out (at least 21 bytes) */
void dkmod_key_time(long long t, char *out, size_t cap);

#endif
