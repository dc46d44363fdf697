/*
 * keytool.c - the pure pieces of key management (dkmod_key_* of dkmod.h): key
 * record text, BIND TXT presentation and its reading back, month-named
 * selectors, grace periods and the rotation state.  The key objects are
 * keytool_key.c's.
 */
#include "key/keytool.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "record/base64.h"
#include "record/keyrec.h"
#include "record/tagvalue.h"
#include "util/grow.h"

#define KEYTOOL_TXT_STRING 255
#define KEYTOOL_MAX_GRACE (10LL * 365 * 86400)

/* keytool_record - append the TXT data of a key record */
int keytool_record(struct str *out, enum dkmod_method m, enum crypto_keytype t, unsigned flags,
		   const unsigned char *pub, size_t pub_len)
{
	static const char *const tflags[] = {"", "t=y; ", "t=s; ", "t=y:s; "};
	bool dk = m == DKMOD_METHOD_DOMAINKEYS;

	/* RFC 4870 knows RSA only and has no t=s */
	if (!pub || pub_len == 0 || (dk && (t != CRYPTO_KEY_RSA || (flags & DKMOD_KEY_STRICT))) ||
	    (t != CRYPTO_KEY_RSA && t != CRYPTO_KEY_ED25519))
		return -1;
	char *b64 = malloc(base64_encoded_len(pub_len) + 1);
	if (!b64)
		return -1;
	base64_encode(pub, pub_len, b64);
	int rc = str_printf(out, "%sk=%s; %sp=%s", dk ? "" : "v=DKIM1; ", t == CRYPTO_KEY_RSA ? "rsa" : "ed25519",
			    tflags[flags & (DKMOD_KEY_TESTING | DKMOD_KEY_STRICT)], b64);
	free(b64);
	return rc;
}

/* keytool_take - the text of s as a malloc'd string */
enum dkmod_status keytool_take(struct str *s, char **out, size_t *len)
{
	if (!s->data && str_reserve(s, 0) < 0)
		return DKMOD_ENOMEM;
	*out = s->data;
	if (len)
		*len = s->len;
	*s = (struct str)STR_INIT;
	return DKMOD_OK;
}

/* keytool_bind_txt - append `OWNER IN TXT ( "..." "..." )` in strings of at most 255 bytes */
static int keytool_bind_txt(struct str *out, const char *owner, const char *data, size_t len, bool multiline)
{
	if (str_printf(out, "%s IN TXT (", owner) < 0)
		return -1;
	size_t at = 0;
	do {
		size_t n = len - at < KEYTOOL_TXT_STRING ? len - at : KEYTOOL_TXT_STRING;
		if (str_appends(out, at > 0 && multiline ? "\n\t\"" : " \"") < 0)
			return -1;
		for (size_t i = at; i < at + n; i++) {
			unsigned char c = (unsigned char)data[i];
			int rc;
			if (c == '"' || c == '\\')
				rc = str_printf(out, "\\%c", c);
			else if (c < 0x20 || c >= 0x7f)
				rc = str_printf(out, "\\%03u", c);
			else
				rc = str_appendc(out, (char)c);
			if (rc < 0)
				return -1;
		}
		if (str_appendc(out, '"') < 0)
			return -1;
		at += n;
	} while (at < len);
	return str_appends(out, " )");
}

/* dkmod_key_bind_txt - `OWNER IN TXT ( "..." "..." )` in strings of at most 255 bytes */
enum dkmod_status dkmod_key_bind_txt(const char *owner, const char *data, size_t len, bool multiline, char **out)
{
	struct str s = STR_INIT;
	*out = NULL;
	if (keytool_bind_txt(&s, owner, data, len, multiline) < 0) {
		str_free(&s);
		return DKMOD_ENOMEM;
	}
	return keytool_take(&s, out, NULL);
}

/* keytool_bind_strings - append the TXT data of BIND text: the quoted strings joined */
static int keytool_bind_strings(const char *text, size_t len, struct str *out)
{
	size_t i = 0, strings = 0;

	while (i < len) {
		if (text[i] == ';') {
			while (i < len && text[i] != '\n')
				i++;
			continue;
		}
		if (text[i++] != '"')
			continue;
		bool closed = false;
		while (i < len) {
			char c = text[i++];
			if (c == '"') {
				closed = true;
				break;
			}
			if (c == '\\' && i < len) {
				if (i + 2 < len && isdigit((unsigned char)text[i]) && isdigit((unsigned char)text[i + 1]) &&
				    isdigit((unsigned char)text[i + 2])) {
					int v = (text[i] - '0') * 100 + (text[i + 1] - '0') * 10 + (text[i + 2] - '0');
					if (v > 255)
						return -1;
					c = (char)v;
					i += 3;
				} else {
					c = text[i++];
				}
			}
			if (str_appendc(out, c) < 0)
				return -1;
		}
		if (!closed)
			return -1;
		strings++;
	}
	return strings ? 0 : -1;
}

/* dkmod_key_bind_strings - the TXT data of BIND text */
enum dkmod_status dkmod_key_bind_strings(const char *text, size_t len, char **out, size_t *out_len)
{
	struct str s = STR_INIT;
	*out = NULL;
	if (keytool_bind_strings(text, len, &s) < 0) {
		str_free(&s);
		return DKMOD_EINVAL;
	}
	return keytool_take(&s, out, out_len);
}

/* dkmod_key_record_info - method, flags and key type of record text */
bool dkmod_key_record_info(const char *data, size_t len, enum dkmod_method *m, unsigned *flags,
			   enum dkmod_key_type *t)
{
	struct tagvalue_list list;
	struct keyrec *rec = malloc(sizeof *rec);
	bool ok = false;

	if (!rec || tagvalue_parse(data, len, &list, NULL) != TAGVALUE_OK)
		goto out;
	/* an RFC 4870 record has no v=; ours always write v=DKIM1 for DKIM */
	*m = tagvalue_get(&list, "v") ? DKMOD_METHOD_DKIM : DKMOD_METHOD_DOMAINKEYS;
	if ((*m == DKMOD_METHOD_DKIM ? keyrec_parse_dkim(data, len, rec) : keyrec_parse_domainkeys(data, len, rec)) !=
	    KEYREC_OK)
		goto out;
	*flags = (rec->testing ? DKMOD_KEY_TESTING : 0) | (rec->strict_identity ? DKMOD_KEY_STRICT : 0);
	*t = rec->type == KEYREC_ED25519 ? DKMOD_KEY_ED25519 : DKMOD_KEY_RSA;
	ok = true;
out:
	free(rec);
	return ok;
}

/* keytool_strip_len - length of name without final dots */
static size_t keytool_strip_len(const char *name)
{
	size_t n = strlen(name);

	while (n > 0 && name[n - 1] == '.')
		n--;
	return n;
}

/* dkmod_key_relative - name relative to origin ("@" for origin itself), or NULL */
const char *dkmod_key_relative(const char *name, const char *origin, char *buf, size_t cap)
{
	size_t n = keytool_strip_len(name), o = keytool_strip_len(origin);

	if (o == 0 || n < o || strncasecmp(name + n - o, origin, o) != 0)
		return NULL;
	if (n == o) {
		snprintf(buf, cap, "@");
		return buf;
	}
	if (name[n - o - 1] != '.' || n - o - 1 >= cap)
		return NULL;
	memcpy(buf, name, n - o - 1);
	buf[n - o - 1] = '\0';
	return buf;
}

/* dkmod_key_selector - "YYYY-MM[.suffix]" of now in UTC */
int dkmod_key_selector(time_t now, const char *suffix, char *out, size_t cap)
{
	struct tm tm;
	int n;

	if (!gmtime_r(&now, &tm))
		return -1;
	if (suffix)
		n = snprintf(out, cap, "%04d-%02d.%s", tm.tm_year + 1900, tm.tm_mon + 1, suffix);
	else
		n = snprintf(out, cap, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* dkmod_key_in_series - true if name is "YYYY-MM" or "YYYY-MM.suffix" */
bool dkmod_key_in_series(const char *name, const char *suffix)
{
	for (int i = 0; i < 7; i++) {
		if (i == 4 ? name[i] != '-' : !isdigit((unsigned char)name[i]))
			return false;
	}
	int month = (name[5] - '0') * 10 + (name[6] - '0');
	if (month < 1 || month > 12)
		return false;
	if (!suffix)
		return name[7] == '\0';
	return name[7] == '.' && strcmp(name + 8, suffix) == 0;
}

/* dkmod_key_duration - seconds of "Nd", "Nh" or "Ns"; -1 on bad input */
long long dkmod_key_duration(const char *s)
{
	long long v = 0;
	size_t i = 0;

	for (; isdigit((unsigned char)s[i]); i++) {
		v = v * 10 + (s[i] - '0');
		if (v > KEYTOOL_MAX_GRACE)
			return -1;
	}
	if (i == 0 || s[i] == '\0' || s[i + 1] != '\0')
		return -1;
	switch (s[i]) {
	case 'd':
		v *= 86400;
		break;
	case 'h':
		v *= 3600;
		break;
	case 's':
		break;
	default:
		return -1;
	}
	return v > KEYTOOL_MAX_GRACE ? -1 : v;
}

/* dkmod_key_state_find - the entry of selector, or NULL */
struct dkmod_key_entry *dkmod_key_state_find(struct dkmod_key_state *st, const char *selector)
{
	for (size_t i = 0; i < st->count; i++)
		if (strcmp(st->entries[i].selector, selector) == 0)
			return &st->entries[i];
	return NULL;
}

/* dkmod_key_state_add - a new entry */
struct dkmod_key_entry *dkmod_key_state_add(struct dkmod_key_state *st, const char *selector, long long active,
					long long retired)
{
	if (strlen(selector) >= DKMOD_KEY_MAX_SELECTOR)
		return NULL;
	struct dkmod_key_entry *grown = grow_room(st->entries, &st->cap, st->count, sizeof *grown, 8);
	if (!grown)
		return NULL;
	st->entries = grown;
	struct dkmod_key_entry *e = &st->entries[st->count++];
	memset(e, 0, sizeof *e);
	strcpy(e->selector, selector);
	e->active = active;
	e->retired = retired;
	return e;
}

/* dkmod_key_state_remove - drop the entry of selector, if any */
void dkmod_key_state_remove(struct dkmod_key_state *st, const char *selector)
{
	struct dkmod_key_entry *e = dkmod_key_state_find(st, selector);

	if (!e)
		return;
	size_t i = (size_t)(e - st->entries);
	memmove(e, e + 1, (st->count - i - 1) * sizeof *e);
	st->count--;
}

/* keytool_number - a decimal number of at most 18 digits; false if not */
static bool keytool_number(const char *s, long long *out)
{
	size_t n = strlen(s);

	if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
		return false;
	*out = strtoll(s, NULL, 10);
	return true;
}

/* keytool_state_line - one non-comment line "SELECTOR ACTIVE RETIRED"; false if malformed */
static bool keytool_state_line(struct dkmod_key_state *st, char *line)
{
	char *save = NULL;
	char *sel = strtok_r(line, " \t", &save);
	char *active = strtok_r(NULL, " \t", &save);
	char *retired = strtok_r(NULL, " \t", &save);
	long long a, r;

	if (!sel || !retired || strtok_r(NULL, " \t", &save) || !dkmod_valid_domain(sel) ||
	    !keytool_number(active, &a) || !keytool_number(retired, &r) || (r != 0 && r < a) ||
	    dkmod_key_state_find(st, sel))
		return false;
	return dkmod_key_state_add(st, sel, a, r) != NULL;
}

/* dkmod_key_state_parse - read state text into st; 0, or the 1-based line of an error */
size_t dkmod_key_state_parse(struct dkmod_key_state *st, const char *text, size_t len)
{
	size_t lineno = 0, at = 0;
	char line[256];

	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
		lineno++;
		if (n >= sizeof line)
			return lineno;
		memcpy(line, text + at, n);
		line[n] = '\0';
		at += n + (nl ? 1 : 0);
		char *p = line + strspn(line, " \t\r");
		p[strcspn(p, "#\r")] = '\0';
		if (p[strspn(p, " \t")] == '\0')
			continue;
		if (!keytool_state_line(st, p))
			return lineno;
	}
	return 0;
}

/* keytool_entry_cmp - by activation time, then name */
static int keytool_entry_cmp(const void *a, const void *b)
{
	const struct dkmod_key_entry *x = a, *y = b;

	if (x->active != y->active)
		return x->active < y->active ? -1 : 1;
	return strcmp(x->selector, y->selector);
}

/* dkmod_key_state_sort - order entries by activation time, then name */
void dkmod_key_state_sort(struct dkmod_key_state *st)
{
	if (st->count > 1)
		qsort(st->entries, st->count, sizeof *st->entries, keytool_entry_cmp);
}

/* dkmod_key_state_format - the file text of st */
enum dkmod_status dkmod_key_state_format(const struct dkmod_key_state *st, char **out, size_t *len)
{
	struct str s = STR_INIT;
	*out = NULL;
	int rc = str_appends(&s, "# dkmod rotate: selector, active since, retired at (seconds since the epoch; 0: active)\n");
	for (size_t i = 0; rc == 0 && i < st->count; i++) {
		const struct dkmod_key_entry *e = &st->entries[i];
		rc = str_printf(&s, "%s %lld %lld\n", e->selector, e->active, e->retired);
	}
	if (rc < 0) {
		str_free(&s);
		return DKMOD_ENOMEM;
	}
	return keytool_take(&s, out, len);
}

/* dkmod_key_state_free - release the entries */
void dkmod_key_state_free(struct dkmod_key_state *st)
{
	free(st->entries);
	memset(st, 0, sizeof *st);
}

/* dkmod_key_verdict - the verdict on e at now with grace seconds */
enum dkmod_key_verdict dkmod_key_verdict(const struct dkmod_key_entry *e, long long now, long long grace)
{
	if (e->retired == 0)
		return DKMOD_KEY_ACTIVE;
	/* mail signed just before retirement may sit in queues or be re-verified for the whole grace */
	return now - e->retired > grace ? DKMOD_KEY_REMOVE : DKMOD_KEY_KEEP;
}

/* dkmod_key_retire - retire every active entry of the series at now */
size_t dkmod_key_retire(struct dkmod_key_state *st, const char *suffix, long long now)
{
	size_t n = 0;

	for (size_t i = 0; i < st->count; i++) {
		struct dkmod_key_entry *e = &st->entries[i];
		if (e->retired == 0 && dkmod_key_in_series(e->selector, suffix)) {
			e->retired = now > e->active ? now : e->active;
			n++;
		}
	}
	return n;
}

/* dkmod_key_time - "YYYY-MM-DDTHH:MM:SSZ" of t */
void dkmod_key_time(long long t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, cap, "%lld", t);
}
