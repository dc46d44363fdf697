/*
 * keytool.h - the pure pieces of key management (dkmod keygen, zone, rotate):
 * key record text, BIND TXT presentation, month-named selectors, grace
 * periods, and the rotation state file.  No file or network access here.
 */
#ifndef DKMOD_KEYTOOL_H
#define DKMOD_KEYTOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "key/crypto.h"
#include "dkmod.h"
#include "util/str.h"

#define KEYTOOL_TESTING 0x1u  /* t=y */
#define KEYTOOL_STRICT 0x2u   /* t=s (DKIM only): no subdomains in i= */

#define KEYTOOL_MAX_SELECTOR 64

/* keytool_record - append the TXT data of a key record to out: DKIM
 * "v=DKIM1; k=rsa; [t=y; | t=s; | t=y:s; ]p=..." or DomainKeys "k=rsa; [t=y; ]p=...";
 * pub is a DER SPKI (RSA) or the raw 32 bytes (Ed25519); 0, or -1 (bad combination, memory) */
int keytool_record(struct str *out, enum dkmod_method m, enum crypto_keytype t, unsigned flags,
		   const unsigned char *pub, size_t pub_len);

/* keytool_bind_txt - append `OWNER IN TXT ( "..." "..." )` with the data in strings of at most
 * 255 bytes ('"' and '\' escaped); multiline puts each string on its own line; 0 or -1 */
int keytool_bind_txt(struct str *out, const char *owner, const char *data, size_t len, bool multiline);

/* keytool_bind_strings - the TXT data of BIND text: every quoted string joined (\X and \DDD
 * decoded), text outside quotes and after ';' comments ignored; 0, or -1 if none or unterminated */
int keytool_bind_strings(const char *text, size_t len, struct str *out);

/* keytool_record_info - method (DKIM if v= is present), flags and key type of record text;
 * 0, or -1 if it is not a key record */
int keytool_record_info(const char *data, size_t len, enum dkmod_method *m, unsigned *flags,
			enum crypto_keytype *t);


/* keytool_relative - name relative to origin ("@" for origin itself) into buf, or NULL if name
 * is not within origin; both may end in a dot and compare case-insensitively */
const char *keytool_relative(const char *name, const char *origin, char *buf, size_t cap);

/* keytool_selector - "YYYY-MM" of now in UTC, followed by ".suffix" if suffix is not NULL;
 * 0, or -1 if it does not fit in cap */
int keytool_selector(time_t now, const char *suffix, char *out, size_t cap);

/* keytool_in_series - true if name is "YYYY-MM" (suffix NULL) or "YYYY-MM.suffix" */
bool keytool_in_series(const char *name, const char *suffix);

/* keytool_duration - seconds of "Nd", "Nh" or "Ns" (N decimal, at most ten years); -1 on bad input */
long long keytool_duration(const char *s);

/* One selector in the rotation state: active since, retired at (0: still active). */
struct keytool_entry {
	char selector[KEYTOOL_MAX_SELECTOR];
	long long active;
	long long retired;
};

/* The state file DIR/D/selectors: lines "SELECTOR ACTIVE RETIRED", '#' comments. */
struct keytool_state {
	struct keytool_entry *entries;
	size_t count;
	size_t cap;
};

/* keytool_state_parse - read state text into st (appending); 0, or the 1-based line of an error */
size_t keytool_state_parse(struct keytool_state *st, const char *text, size_t len);
/* keytool_state_find - the entry of selector, or NULL */
struct keytool_entry *keytool_state_find(struct keytool_state *st, const char *selector);
/* keytool_state_add - a new entry; NULL when out of memory or the name is too long */
struct keytool_entry *keytool_state_add(struct keytool_state *st, const char *selector, long long active,
					long long retired);
/* keytool_state_remove - drop the entry of selector, if any */
void keytool_state_remove(struct keytool_state *st, const char *selector);
/* keytool_state_sort - order entries by activation time, then name */
void keytool_state_sort(struct keytool_state *st);
/* keytool_state_format - append the file text of st to out; 0 or -1 */
int keytool_state_format(const struct keytool_state *st, struct str *out);
/* keytool_state_free - release the entries */
void keytool_state_free(struct keytool_state *st);

/* What to do with a selector at a given time. */
enum keytool_verdict {
	KEYTOOL_ACTIVE = 0,  /* signing now */
	KEYTOOL_KEEP,        /* retired within the grace period: mail signed with it may still be verified */
	KEYTOOL_REMOVE       /* retired longer than the grace period ago */
};

/* keytool_verdict - the verdict on e at now with grace seconds */
enum keytool_verdict keytool_verdict(const struct keytool_entry *e, long long now, long long grace);

/* keytool_retire - retire every active entry of the series (see keytool_in_series) at now;
 * the number retired */
size_t keytool_retire(struct keytool_state *st, const char *suffix, long long now);

/* keytool_time - "YYYY-MM-DDTHH:MM:SSZ" of t into out (at least 21 bytes) */
void keytool_time(long long t, char *out, size_t cap);

#endif
