/*
 * signtable.c - signing tables (dkmod.h): which domains, selectors and key
 * files sign the mail of an address.  A text table is read whole into one
 * buffer of "key\0value\0" items with an open-addressing index; a compiled
 * table (signtable_compiled.c) is a small LMDB file that is mapped, not read, so
 * a table of 100,000 domains costs the pages its lookups touch.  A new version
 * is loaded beside the one in use and swapped in only when it loaded whole.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "key/signtable.h"
#include "key/signtable_compiled.h"
#include "util/str.h"

#define SIGNTABLE_SNIFF 4096        /* a NUL in the first bytes: a compiled table */

/* One loaded version of a table. */
struct signtable_data {
	struct signtable_compiled *compiled; /* else the text items below */
	char *buf;                  /* "key\0value\0" items */
	uint32_t *slots;            /* offset + 1 of an item's key, 0 when empty */
	size_t mask, count;
};

struct dkmod_signtable {
	char *path;
	struct signtable_data *cur;
	struct stat st;             /* the file the version in use came from */
	long long checked;          /* the second of the last look at the file */
	unsigned long long generation;
	unsigned long version;
};

/* signtable_data_free - NULL is fine */
static void signtable_data_free(struct signtable_data *d)
{
	if (!d)
		return;
	signtable_compiled_close(d->compiled);
	free(d->buf);
	free(d->slots);
	free(d);
}

/* signtable_get - the value of key in d: 1 found, 0 not, -1 error */
static int signtable_get(const struct signtable_data *d, const char *key, char *val, size_t size)
{
	size_t n = strlen(key);
	if (d->compiled)
		return signtable_compiled_get(d->compiled, key, val, size);
	for (size_t i = str_hash(key, n) & d->mask; d->slots[i]; i = (i + 1) & d->mask) {
		const char *k = d->buf + d->slots[i] - 1;
		if (strcmp(k, key) == 0) {
			snprintf(val, size, "%s", k + n + 1);
			return 1;
		}
	}
	return 0;
}

/* signtable_valid_key - *, .domain, domain or local@domain (lower case) */
static bool signtable_valid_key(const char *k)
{
	const char *at = strrchr(k, '@');
	if (strcmp(k, "*") == 0)
		return true;
	if (at)
		return at > k && dkmod_valid_domain(at + 1);
	return dkmod_valid_domain(k[0] == '.' ? k + 1 : k);
}

/* signtable_expand - s with %{d} replaced by domain, into out; false if it does not fit */
static bool signtable_expand(const char *s, size_t len, const char *domain, char *out, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		const char *piece = s + i;
		size_t pl = 1;
		if (len - i >= 4 && memcmp(s + i, "%{d}", 4) == 0) {
			piece = domain;
			pl = strlen(domain);
			i += 3;
		}
		if (pl >= size - n)
			return false;
		memcpy(out + n, piece, pl);
		n += pl;
	}
	out[n] = '\0';
	return true;
}

/* signtable_parse_value - the signatures of a value for domain; false and why if it is bad */
static bool signtable_parse_value(const char *v, const char *domain, struct dkmod_signtable_match *m, char *why,
				  size_t why_size)
{
	m->nsigs = 0;
	for (const char *p = v;;) {
		p += strspn(p, " \t,");
		if (!*p)
			break;
		size_t len = strcspn(p, " \t,");
		const char *c1 = memchr(p, ':', len), *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - p)) : NULL;
		struct dkmod_signtable_sig *g = &m->sigs[m->nsigs];
		const char *end = p + len, *send = c2 ? c2 : end;
		if (m->nsigs == DKMOD_SIGNTABLE_MAX) {
			snprintf(why, why_size, "more than %d signatures", DKMOD_SIGNTABLE_MAX);
			return false;
		}
		if (!c1 || !signtable_expand(p, (size_t)(c1 - p), domain, g->domain, sizeof g->domain) ||
		    !signtable_expand(c1 + 1, (size_t)(send - c1 - 1), "", g->selector, sizeof g->selector) ||
		    !signtable_expand(c2 ? c2 + 1 : end, c2 ? (size_t)(end - c2 - 1) : 0, domain, g->key_file,
				      sizeof g->key_file) ||
		    !dkmod_valid_domain(g->domain) || !dkmod_valid_domain(g->selector) || (c2 && !g->key_file[0])) {
			snprintf(why, why_size, "'%.*s' is not domain:selector[:keyfile]", (int)(len > 200 ? 200 : len), p);
			return false;
		}
		m->nsigs++;
		p = end;
	}
	if (!m->nsigs)
		snprintf(why, why_size, "no signature");
	return m->nsigs > 0;
}

/* signtable_index - build the index of the items in d->buf (used bytes); false and why on a duplicate */
static bool signtable_index(struct signtable_data *d, size_t used, char *why, size_t why_size)
{
	size_t cap = 16;
	while (cap < d->count * 2 + 2)
		cap *= 2;
	if (!(d->slots = calloc(cap, sizeof *d->slots))) {
		snprintf(why, why_size, "out of memory");
		return false;
	}
	d->mask = cap - 1;
	for (size_t off = 0; off < used;) {
		const char *k = d->buf + off;
		size_t kl = strlen(k), i = str_hash(k, kl) & d->mask;
		for (; d->slots[i]; i = (i + 1) & d->mask)
			if (strcmp(d->buf + d->slots[i] - 1, k) == 0) {
				snprintf(why, why_size, "%s is listed twice", k);
				return false;
			}
		d->slots[i] = (uint32_t)off + 1;
		off += kl + 1;
		off += strlen(d->buf + off) + 1;
	}
	return true;
}

/* signtable_parse_text - the items of a text table (text is changed); NULL and why on failure */
static struct signtable_data *signtable_parse_text(const char *path, char *text, size_t len, char *why,
						   size_t why_size)
{
	struct signtable_data *d = calloc(1, sizeof *d);
	if (len >= UINT32_MAX - 1 || !d || !(d->buf = malloc(len + 2))) {
		free(d);
		snprintf(why, why_size, "%s: %s", path, len >= UINT32_MAX - 1 ? "too large" : "out of memory");
		return NULL;
	}
	size_t used = 0, lineno = 0;
	char err[200];
	struct dkmod_signtable_match m;
	for (char *line = text, *next; line < text + len; line = next) {
		lineno++;
		char *nl = memchr(line, '\n', (size_t)(text + len - line));
		next = nl ? nl + 1 : text + len;
		*(nl ? nl : text + len) = '\0';
		char *k = line + strspn(line, " \t\r");
		if (*k == '#' || !*k)
			continue;
		size_t kl = strcspn(k, " \t\r");
		char *v = k + kl + strspn(k + kl, " \t");
		size_t vl = strlen(v);
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		v[vl] = '\0';
		k[kl] = '\0';
		for (char *c = k; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (!signtable_valid_key(k))
			snprintf(err, sizeof err, "'%.100s' is not an address, domain, .parent or *", k);
		else if (vl >= SIGNTABLE_VALUE_MAX)
			snprintf(err, sizeof err, "the signatures are longer than %d bytes", SIGNTABLE_VALUE_MAX);
		else if (signtable_parse_value(v, "example.com", &m, err, sizeof err))
			err[0] = '\0';
		if (err[0]) {
			snprintf(why, why_size, "%s:%zu: %s", path, lineno, err);
			signtable_data_free(d);
			return NULL;
		}
		memcpy(d->buf + used, k, kl + 1);
		memcpy(d->buf + used + kl + 1, v, vl + 1);
		used += kl + vl + 2;
		d->count++;
	}
	if (!signtable_index(d, used, err, sizeof err)) {
		snprintf(why, why_size, "%s: %s", path, err);
		signtable_data_free(d);
		return NULL;
	}
	return d;
}

/* signtable_load - a version of the table at path and the file it came from; NULL and why on failure */
static struct signtable_data *signtable_load(const char *path, struct stat *st, char *why, size_t why_size)
{
	FILE *f = fopen(path, "rb");
	if (!f || fstat(fileno(f), st) != 0 || !S_ISREG(st->st_mode)) {
		snprintf(why, why_size, "%s: %s", path, f ? "not a regular file" : strerror(errno));
		if (f)
			fclose(f);
		return NULL;
	}
	size_t len = (size_t)st->st_size;
	char head[SIGNTABLE_SNIFF], err[400];
	size_t got = fread(head, 1, sizeof head, f);
	struct signtable_data *d = NULL;
	if (memchr(head, '\0', got)) { /* compiled: mapped, never read whole */
		fclose(f);
		if (!(d = calloc(1, sizeof *d)))
			snprintf(why, why_size, "out of memory");
		else if (!(d->compiled = signtable_compiled_open(path, err, sizeof err))) {
			snprintf(why, why_size, "%s: %s", path, err);
			free(d);
			d = NULL;
		}
		return d;
	}
	char *text = got <= len ? malloc(len + 1) : NULL; /* more than its size: it is being written */
	if (text)
		memcpy(text, head, got);
	if (text && got < len)
		got += fread(text + got, 1, len - got, f);
	fclose(f);
	if (!text || got != len) {
		free(text);
		snprintf(why, why_size, "%s: %s", path, text || got > len ? "cannot be read whole" : "out of memory");
		return NULL;
	}
	text[len] = '\0';
	d = signtable_parse_text(path, text, len, why, why_size);
	free(text);
	return d;
}

/* dkmod_signtable_open - open a text or compiled table */
enum dkmod_status dkmod_signtable_open(const char *path, struct dkmod_signtable **out, char *why, size_t why_size)
{
	struct dkmod_signtable *t = calloc(1, sizeof *t);
	*out = NULL;
	if (!t || !(t->path = strdup(path))) {
		free(t);
		snprintf(why, why_size, "out of memory");
		return DKMOD_ENOMEM;
	}
	if (!(t->cur = signtable_load(path, &t->st, why, why_size))) {
		dkmod_signtable_free(t);
		return DKMOD_EIO;
	}
	t->checked = (long long)time(NULL);
	t->version = 1;
	*out = t;
	return DKMOD_OK;
}

/* signtable_generation - the flush generation the table was loaded at */
unsigned long long signtable_generation(const struct dkmod_signtable *t)
{
	return t->generation;
}

/* signtable_refresh - reopen the table if its file changed or the flush generation gen moved */
enum dkmod_status signtable_refresh(struct dkmod_signtable *t, unsigned long long gen, bool force, bool *reloaded,
				    char *why, size_t why_size)
{
	long long now = (long long)time(NULL);
	struct stat st;
	if (reloaded)
		*reloaded = false;
	if (!force && now == t->checked)
		return DKMOD_OK;
	t->checked = now;
	if (stat(t->path, &st) == 0 && gen == t->generation && st.st_dev == t->st.st_dev &&
	    st.st_ino == t->st.st_ino && st.st_size == t->st.st_size && st.st_mtim.tv_sec == t->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == t->st.st_mtim.tv_nsec)
		return DKMOD_OK;
	struct signtable_data *d = signtable_load(t->path, &st, why, why_size);
	if (!d)
		return DKMOD_EIO;
	signtable_data_free(t->cur);
	t->cur = d;
	t->st = st;
	t->generation = gen;
	t->version++;
	if (reloaded)
		*reloaded = true;
	return DKMOD_OK;
}

/* signtable_try - look key up; 1 found (parsed into m), 0 not, -1 bad */
static int signtable_try(const struct dkmod_signtable *t, const char *key, const char *domain,
			 struct dkmod_signtable_match *m, char *why, size_t why_size)
{
	char val[SIGNTABLE_VALUE_MAX];
	int rc = signtable_get(t->cur, key, val, sizeof val);
	if (rc < 0) {
		snprintf(why, why_size, "%s: entry %s cannot be read", t->path, key);
		return -1;
	}
	if (rc == 0)
		return 0;
	snprintf(m->key, sizeof m->key, "%s", key);
	char err[200];
	if (!signtable_parse_value(val, domain, m, err, sizeof err)) {
		snprintf(why, why_size, "%s: entry %s: %s", t->path, key, err);
		return -1;
	}
	return 1;
}

/* dkmod_signtable_lookup - the entry for address or domain: address, domain, parents, * */
int dkmod_signtable_lookup(const struct dkmod_signtable *t, const char *address, const char *domain,
			   struct dkmod_signtable_match *m, char *why, size_t why_size)
{
	char key[320], dom[256];
	int rc;
	memset(m, 0, sizeof *m);
	if (!domain || snprintf(dom, sizeof dom, "%s", domain) >= (int)sizeof dom || !dkmod_valid_domain(dom))
		return 0;
	for (char *c = dom; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (address && snprintf(key, sizeof key, "%s", address) < (int)sizeof key) {
		for (char *c = key; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if ((rc = signtable_try(t, key, dom, m, why, why_size)) != 0)
			return rc;
	}
	if ((rc = signtable_try(t, dom, dom, m, why, why_size)) != 0)
		return rc;
	for (const char *p = strchr(dom, '.'); p; p = strchr(p + 1, '.')) {
		if ((rc = signtable_try(t, p, dom, m, why, why_size)) != 0)
			return rc;
	}
	return signtable_try(t, "*", dom, m, why, why_size);
}

#define SIGNTABLE_ANY "any.invalid" /* stands for %{d} of a .parent or * entry while it is parsed */

/* signtable_star - every SIGNTABLE_ANY in s made "*" */
static void signtable_star(char *s)
{
	for (char *p; (p = strstr(s, SIGNTABLE_ANY));) {
		size_t n = strlen(SIGNTABLE_ANY);
		*p = '*';
		memmove(p + 1, p + n, strlen(p + n) + 1);
	}
}

/* Where dkmod_signtable_each goes, for each entry of a version. */
struct signtable_walk {
	dkmod_signtable_entry_fn *fn;
	void *arg;
};

/* signtable_each_item - parse one key and value and hand them to the walk's fn */
static int signtable_each_item(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct signtable_walk *w = arg;
	struct dkmod_signtable_match m = {.nsigs = 0};
	char v[SIGNTABLE_VALUE_MAX], why[200] = "";
	snprintf(m.key, sizeof m.key, "%.*s", (int)klen, (const char *)key);
	snprintf(v, sizeof v, "%.*s", (int)vlen, (const char *)val);
	const char *at = strrchr(m.key, '@');
	bool any = m.key[0] == '*' || m.key[0] == '.';
	if (!signtable_parse_value(v, any ? SIGNTABLE_ANY : at ? at + 1 : m.key, &m, why, sizeof why))
		m.nsigs = 0;
	for (size_t i = 0; any && i < m.nsigs; i++) {
		signtable_star(m.sigs[i].domain);
		signtable_star(m.sigs[i].key_file);
	}
	return w->fn(w->arg, &m, m.nsigs ? NULL : why);
}

/* dkmod_signtable_each - every entry of the version in use, parsed, to fn */
int dkmod_signtable_each(const struct dkmod_signtable *t, dkmod_signtable_entry_fn *fn, void *arg)
{
	struct signtable_walk w = {fn, arg};
	const struct signtable_data *d = t->cur;
	if (d->compiled)
		return signtable_compiled_each(d->compiled, signtable_each_item, &w);
	for (size_t i = 0; i <= d->mask; i++) {
		const char *k = d->slots[i] ? d->buf + d->slots[i] - 1 : NULL;
		if (k && signtable_each_item(&w, k, strlen(k), k + strlen(k) + 1, strlen(k + strlen(k) + 1)))
			break;
	}
	return 0;
}

/* dkmod_signtable_version - how many versions were loaded */
unsigned long dkmod_signtable_version(const struct dkmod_signtable *t)
{
	return t->version;
}

/* dkmod_signtable_free - NULL is fine */
void dkmod_signtable_free(struct dkmod_signtable *t)
{
	if (!t)
		return;
	signtable_data_free(t->cur);
	free(t->path);
	free(t);
}

/* signtable_cmp_offset - the order of two items in their buffer (qsort) */
static int signtable_cmp_offset(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	return (x > y) - (x < y);
}

/* dkmod_signtable_compile - the text table src as a compiled table at dst */
enum dkmod_status dkmod_signtable_compile(const char *src, const char *dst, size_t *entries, char *why,
					  size_t why_size)
{
	struct stat st;
	struct signtable_data *d = signtable_load(src, &st, why, why_size);
	*entries = 0;
	if (!d)
		return DKMOD_EIO;
	if (d->compiled) {
		snprintf(why, why_size, "%s: already compiled", src);
		signtable_data_free(d);
		return DKMOD_EINVAL;
	}
	const char **items = malloc((d->count + 1) * sizeof *items);
	if (!items) {
		signtable_data_free(d);
		snprintf(why, why_size, "out of memory");
		return DKMOD_ENOMEM;
	}
	for (size_t i = 0, j = 0; i <= d->mask; i++) /* in table order: the offsets of the items */
		if (d->slots[i])
			items[j++] = d->buf + d->slots[i] - 1;
	qsort(items, d->count, sizeof *items, signtable_cmp_offset);
	int rc = signtable_compiled_write(dst, items, d->count, why, why_size);
	free(items);
	*entries = d->count;
	signtable_data_free(d);
	return rc == 0 ? DKMOD_OK : DKMOD_EIO;
}
