/*
 * test_signtable.c - signing tables: a table of 100,000 domains made here, as text and
 * compiled (LMDB), gives the right entry for an address, an exact domain, a subdomain of a
 * .parent entry and the default, with %{d} expanded; bad tables are refused with file:line;
 * a changed file or a moved flush generation loads a new version, a broken file leaves the old
 * version in use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dkmod.h"
#include "key/signtable_compiled.h"
#include "store/store.h"
#include "unit.h"

#define NDOMAINS 100000

static char unit_dir[] = "/tmp/dkmod-unit-signtable.XXXXXX";

/* unit_big_table - write the table of NDOMAINS domains and the special entries; its path */
static const char *unit_big_table(void)
{
	static char path[600];
	snprintf(path, sizeof path, "%s/big.txt", unit_dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return path;
	fprintf(f, "# a generated table\n\n");
	for (int i = 0; i < NDOMAINS; i++)
		fprintf(f, "d%d.example.com\td%d.example.com:s%d\n", i, i, i);
	for (int i = 0; i < 1000; i++) /* the shape whose value the compiled form stores once */
		fprintf(f, "e%d.example.com e%d.example.com:may:/keys/e%d.example.com/may.key\n", i, i, i);
	fprintf(f, "q.example q.example:q.example:/k/q.example.key\n"); /* a selector is not the domain */
	fprintf(f, "Boss@D7.example.com  d7.example.com:boss:/keys/boss.key\r\n");
	fprintf(f, ".parent.example  parent.example:par, esp.example.net:esp1:/keys/esp.key\n");
	fprintf(f, "*  %%{d}:def:/keys/%%{d}/def.key\n");
	fclose(f);
	return path;
}

/* unit_sig - "d s key" of signature i of a match */
static const char *unit_sig(const struct dkmod_signtable_match *m, size_t i)
{
	static char out[1400];
	if (i >= m->nsigs)
		return "(none)";
	snprintf(out, sizeof out, "%s %s %s", m->sigs[i].domain, m->sigs[i].selector, m->sigs[i].key_file);
	return out;
}

/* test_lookups - the lookup order on one form of the big table */
static void test_lookups(const char *form, const struct dkmod_signtable *t)
{
	struct dkmod_signtable_match m;
	char why[600] = "", name[120];
#define LOOK(what, addr, dom, want_key, want_sig0)                                                  \
	do {                                                                                        \
		snprintf(name, sizeof name, "%s: %s", form, what);                                  \
		CHECK_INT(name, dkmod_signtable_lookup(t, addr, dom, &m, why, sizeof why), 1);      \
		snprintf(name, sizeof name, "%s: %s: entry", form, what);                           \
		CHECK_STR(name, m.key, want_key);                                                   \
		snprintf(name, sizeof name, "%s: %s: signature", form, what);                       \
		CHECK_STR(name, unit_sig(&m, 0), want_sig0);                                        \
	} while (0)
	LOOK("exact domain (first)", NULL, "d0.example.com", "d0.example.com", "d0.example.com s0 ");
	LOOK("exact domain (middle)", "x@d54321.example.com", "d54321.example.com", "d54321.example.com",
	     "d54321.example.com s54321 ");
	LOOK("exact domain (last), any case", NULL, "D99999.Example.COM", "d99999.example.com",
	     "d99999.example.com s99999 ");
	LOOK("address before domain", "boss@d7.example.com", "d7.example.com", "boss@d7.example.com",
	     "d7.example.com boss /keys/boss.key");
	LOOK("another address of the domain", "clerk@d7.example.com", "d7.example.com", "d7.example.com",
	     "d7.example.com s7 ");
	LOOK("subdomain of a .parent entry", "a@mail.eu.parent.example", "mail.eu.parent.example", ".parent.example",
	     "parent.example par ");
	snprintf(name, sizeof name, "%s: a .parent entry signs twice", form);
	CHECK_STR(name, unit_sig(&m, 1), "esp.example.net esp1 /keys/esp.key");
	LOOK("a .parent entry is not the parent itself", NULL, "parent.example", "*",
	     "parent.example def /keys/parent.example/def.key");
	LOOK("subdomain of an exact entry: the default", NULL, "sub.d5.example.com", "*",
	     "sub.d5.example.com def /keys/sub.d5.example.com/def.key");
	LOOK("unknown domain: the default, %{d} expanded", "a@nowhere.test", "nowhere.test", "*",
	     "nowhere.test def /keys/nowhere.test/def.key");
	LOOK("a shared value, %{d} expanded (first)", NULL, "e0.example.com", "e0.example.com",
	     "e0.example.com may /keys/e0.example.com/may.key");
	LOOK("a shared value, %{d} expanded (last)", NULL, "e999.example.com", "e999.example.com",
	     "e999.example.com may /keys/e999.example.com/may.key");
	LOOK("a selector named as the domain stays", NULL, "q.example", "q.example", "q.example q.example /k/q.example.key");
	snprintf(name, sizeof name, "%s: not a domain: nothing", form);
	CHECK_INT(name, dkmod_signtable_lookup(t, NULL, "bad domain", &m, why, sizeof why), 0);
#undef LOOK
}

/* test_big - the table of 100,000 domains, as text and compiled */
static void test_big(void)
{
	const char *txt = unit_big_table();
	char lmdb[600], why[600] = "";
	snprintf(lmdb, sizeof lmdb, "%s/big.lmdb", unit_dir);
	struct dkmod_signtable *t = NULL;
	CHECK_INT("the text table opens", dkmod_signtable_open(txt, &t, why, sizeof why), DKMOD_OK);
	if (t)
		test_lookups("text", t);
	dkmod_signtable_free(t);
	size_t n = 0;
	CHECK_INT("the table compiles", dkmod_signtable_compile(txt, lmdb, &n, why, sizeof why), DKMOD_OK);
	CHECK_INT("every entry compiled", n, NDOMAINS + 1000 + 4);
	struct stat st;
	/* one LMDB node an entry, as format 1 had, takes 46 bytes an entry of this table */
	CHECK("the compiled table is small: under 40 bytes an entry",
	      stat(lmdb, &st) == 0 && (size_t)st.st_size < (size_t)n * 40);
	printf("# compiled: %lld bytes, %.1f an entry\n", (long long)st.st_size, (double)st.st_size / (double)n);
	t = NULL;
	CHECK_INT("the compiled table opens", dkmod_signtable_open(lmdb, &t, why, sizeof why), DKMOD_OK);
	if (t)
		test_lookups("compiled", t);
	dkmod_signtable_free(t);
	CHECK_INT("a compiled table is not compiled again", dkmod_signtable_compile(lmdb, txt, &n, why, sizeof why),
		  DKMOD_EINVAL);
}

/* test_shared - an ESP's table, every domain with the same selector and key template: the value is
 * stored once, so the compiled table holds little more than the domains */
static void test_shared(void)
{
	char txt[600], lmdb[600], why[600] = "";
	snprintf(txt, sizeof txt, "%s/shared.txt", unit_dir);
	snprintf(lmdb, sizeof lmdb, "%s/shared.lmdb", unit_dir);
	FILE *f = fopen(txt, "w");
	for (int i = 0; f && i < 20000; i++)
		fprintf(f, "f%d.example.com f%d.example.com:may:/keys/f%d.example.com/may.key\n", i, i, i);
	if (f)
		fclose(f);
	size_t n = 0;
	struct stat st;
	CHECK_INT("the shared table compiles", dkmod_signtable_compile(txt, lmdb, &n, why, sizeof why), DKMOD_OK);
	CHECK("its value is stored once: under 26 bytes an entry (82 with the value written in each)",
	      stat(lmdb, &st) == 0 && n == 20000 && (size_t)st.st_size < n * 26);
	printf("# shared: %lld bytes, %.1f an entry\n", (long long)st.st_size, (double)st.st_size / (double)(n ? n : 1));
}

/* test_damaged_buckets - bucket and value records changed at random (read from their own allocations,
 * so that ASan sees a read past their end): every lookup answers 1, 0 or -1, never more */
static void test_damaged_buckets(void)
{
	static const char bucket[] = "\x09" "a.example" "\x17" "a.example:s" "\x09" "b.example" "\x00"
				     "\x09" "c.example" "\x02";
	static const char values[] = "\x02\0\0\0" "\0\0\0\0" "\x07\0\0\0" "%{d}:s\0" "c.example:t";
	static const char *const keys[] = {"a.example", "b.example", "c.example", "d.example"};
	static const char *const want[] = {"a.example:s", "%{d}:s", "c.example:t", NULL};
	char val[64];
	bool right = true;
	for (size_t k = 0; k < 4; k++) {
		int rc = signtable_compiled_find(bucket, sizeof bucket - 1, values, sizeof values, keys[k], val, sizeof val);
		right = right && rc == (want[k] ? 1 : 0) && (!want[k] || strcmp(val, want[k]) == 0);
	}
	CHECK("a packed bucket: inline and shared values found", right);
	CHECK("a value longer than the room is an error, not cut",
	      signtable_compiled_find(bucket, sizeof bucket - 1, values, sizeof values, "a.example", val, 11) == -1);
	unsigned seed = 19;
	size_t bad_answers = 0, tries = 0;
	for (int i = 0; i < 20000; i++, tries++) {
		size_t bl = sizeof bucket - 1, vl = sizeof values; /* perhaps cut short, then a few bytes changed */
		bl -= (size_t)(rand_r(&seed) % 3 == 0 ? rand_r(&seed) % (int)bl : 0);
		vl -= (size_t)(rand_r(&seed) % 3 == 0 ? rand_r(&seed) % (int)vl : 0);
		unsigned char *b = malloc(bl), *v = malloc(vl);
		memcpy(b, bucket, bl);
		memcpy(v, values, vl);
		for (int f = rand_r(&seed) % 4; f > 0; f--) {
			if (rand_r(&seed) % 2)
				b[(size_t)rand_r(&seed) % bl] = (unsigned char)rand_r(&seed);
			else
				v[(size_t)rand_r(&seed) % vl] = (unsigned char)rand_r(&seed);
		}
		for (size_t k = 0; k < 4; k++) {
			memset(val, 'x', sizeof val);
			int rc = signtable_compiled_find(b, bl, v, vl, keys[k], val, sizeof val);
			if (rc < -1 || rc > 1 || (rc == 1 && !memchr(val, '\0', sizeof val)))
				bad_answers++;
		}
		free(b);
		free(v);
	}
	CHECK("20,000 damaged buckets: every lookup answers 1, 0 or -1 with a whole value", bad_answers == 0 && tries);
}

/* test_bad - tables refused with the file and line */
static void test_bad(void)
{
	static const struct {
		const char *name, *text, *why;
	} cases[] = {
		{"a key that is no domain", "ok.example d:s\nbad_key! d:s\n", "bad.txt:2: 'bad_key!' is not an address"},
		{"a signature without selector", "a.example a.example\n", "bad.txt:1: 'a.example' is not domain:selector"},
		{"an empty key file", "a.example a.example:s:\n", "bad.txt:1: 'a.example:s:' is not domain:selector"},
		{"no signature", "a.example\n", "bad.txt:1: no signature"},
		{"nine signatures", "a.example a:1 a:2 a:3 a:4 a:5 a:6 a:7 a:8 a:9\n", "bad.txt:1: more than 8 signatures"},
		{"a key listed twice", "a.example a:s\nA.example a:t\n", "bad.txt: a.example is listed twice"},
		{"a bad selector", "a.example a:s!x\n", "bad.txt:1: 'a:s!x' is not domain:selector"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct dkmod_signtable *t = NULL;
		char why[600] = "";
		const char *path = unit_write_in(unit_dir, "bad.txt", cases[i].text);
		CHECK(cases[i].name, dkmod_signtable_open(path, &t, why, sizeof why) == DKMOD_EIO && !t);
		const char *at = strstr(why, "bad.txt");
		char name[120];
		snprintf(name, sizeof name, "%s: why", cases[i].name);
		CHECK(name, at && strncmp(at, cases[i].why, strlen(cases[i].why)) == 0);
		if (!at || strncmp(at, cases[i].why, strlen(cases[i].why)) != 0)
			printf("# got: %s\n", why);
	}
	struct dkmod_signtable *t = NULL;
	char why[600];
	CHECK("a missing file", dkmod_signtable_open("/nonexistent/t", &t, why, sizeof why) == DKMOD_EIO && !t);
	const char *path = unit_write_in(unit_dir, "nodefault.txt", "a.example a.example:s\n");
	struct dkmod_signtable_match m;
	CHECK("without * an unknown domain has no entry", dkmod_signtable_open(path, &t, why, sizeof why) == DKMOD_OK &&
								  dkmod_signtable_lookup(t, "x@b.example", "b.example", &m, why, sizeof why) == 0);
	dkmod_signtable_free(t);
}

/* One item of a map file: key and value may hold NUL bytes. */
struct unit_item {
	const char *key;
	size_t klen;
	const char *val;
	size_t vlen;
};

/* The items of a map file for store_map_write, in key order. */
struct unit_items {
	const struct unit_item *items;
	size_t count, next;
};

/* unit_next_item - the next item, then the end (a store_map_write callback) */
static int unit_next_item(void *arg, const void **key, size_t *klen, const void **val, size_t *vlen)
{
	struct unit_items *it = arg;
	if (it->next == it->count)
		return 0;
	const struct unit_item *i = &it->items[it->next++];
	*key = i->key;
	*klen = i->klen;
	*val = i->val;
	*vlen = i->vlen;
	return 1;
}

/* unit_open_raw - open a map file written with the items; the table or NULL and why */
static struct dkmod_signtable *unit_open_raw(const char *name, const struct unit_item *items, size_t count,
					     char *why, size_t why_size)
{
	char path[600];
	struct unit_items it = {.items = items, .count = count};
	struct dkmod_signtable *t = NULL;
	snprintf(path, sizeof path, "%s/%s", unit_dir, name);
	if (store_map_write(path, 1 << 20, unit_next_item, &it, why, why_size) != 0)
		return NULL;
	dkmod_signtable_open(path, &t, why, why_size);
	return t;
}

/* test_hostile_compiled - a compiled table written by something else: a bad or damaged entry is an
 * error (never the default), a table of another format or a file that is not LMDB is refused */
static void test_hostile_compiled(void)
{
	char why[600] = "";
	struct dkmod_signtable *t = NULL;
	struct dkmod_signtable_match m;
	/* bucket 0 of 1: a.example with an inline value that is no signature, b.example with shared value 5
	 * of 1, then an entry cut short */
	static const char bucket[] = "\x09" "a.example" "\x23" "a.example:%{d}!:x" "\x09" "b.example" "\x0a"
				     "\x09" "c.exam";
	static const char values[] = "\x01\0\0\0" "\0\0\0\0" "x:s";
#define UNIT_ITEM(k, v) {k, sizeof k - 1, v, sizeof v - 1}
	static const struct unit_item good[] = {UNIT_ITEM("\0\0\0\0", bucket),
						UNIT_ITEM("~signtable", "dkmod-signtable 2 buckets=1"),
						{"~values", 7, values, sizeof values}};
	t = unit_open_raw("hostile.lmdb", good, 3, why, sizeof why);
	if (!t)
		printf("# %s\n", why);
	CHECK("a hand-made table of format 2 opens", t != NULL);
	if (t) {
		CHECK("a bad entry is an error", dkmod_signtable_lookup(t, NULL, "a.example", &m, why, sizeof why) == -1 &&
							strstr(why, "entry a.example:") != NULL);
		CHECK("a shared value that is not there is an error",
		      dkmod_signtable_lookup(t, NULL, "b.example", &m, why, sizeof why) == -1 &&
			      strstr(why, "entry b.example cannot be read") != NULL);
		CHECK("an entry cut short is an error, not the default",
		      dkmod_signtable_lookup(t, NULL, "d.example", &m, why, sizeof why) == -1);
	}
	dkmod_signtable_free(t);
	static const struct unit_item old[] = {UNIT_ITEM("a.example", "a.example:s")};
	t = unit_open_raw("old.lmdb", old, 1, why, sizeof why);
	CHECK("a table of format 1 (no ~signtable) is refused: compile it again",
	      !t && strstr(why, "compile the text table again with `dkmod signtable compile`"));
	dkmod_signtable_free(t);
	static const struct unit_item later[] = {UNIT_ITEM("~signtable", "dkmod-signtable 3 buckets=1"),
						 UNIT_ITEM("~values", "\0\0\0\0")};
	t = unit_open_raw("later.lmdb", later, 2, why, sizeof why);
	CHECK("a table of format 3 is refused, naming the formats", !t && strstr(why, "of format 3, this dkmod reads format 2"));
	dkmod_signtable_free(t);
	static const struct unit_item nobuckets[] = {UNIT_ITEM("~signtable", "dkmod-signtable 2 buckets=0"),
						     UNIT_ITEM("~values", "\0\0\0\0")};
	t = unit_open_raw("nobuckets.lmdb", nobuckets, 2, why, sizeof why);
#undef UNIT_ITEM
	CHECK("a table without buckets is refused as damaged", !t && strstr(why, "damaged"));
	dkmod_signtable_free(t);
	t = NULL;
	const char *junk = unit_write_in(unit_dir, "junk.lmdb", "x");
	FILE *f = fopen(junk, "ab");
	if (f) {
		fputc('\0', f); /* looks compiled */
		fclose(f);
	}
	CHECK("a file with a NUL that is no LMDB file is refused",
	      dkmod_signtable_open(junk, &t, why, sizeof why) == DKMOD_EIO && !t && strstr(why, "not a compiled signing table"));
}

/* test_reload - a new version when the file changes; a broken one keeps the old */
static void test_reload(void)
{
	const char *path = unit_write_in(unit_dir, "r.txt", "a.example a.example:old\n");
	struct dkmod_signtable *t = NULL;
	struct dkmod_signtable_match m;
	char why[600] = "", tmp[600];
	bool reloaded = true;
	CHECK("opens", dkmod_signtable_open(path, &t, why, sizeof why) == DKMOD_OK);
	if (!t)
		return;
	CHECK_INT("version 1", dkmod_signtable_version(t), 1);
	CHECK("unchanged: no new version", dkmod_signtable_refresh(t, NULL, true, &reloaded, why, sizeof why) == DKMOD_OK &&
						     !reloaded);
	/* replaced the way an administrator should: written beside, renamed over */
	unit_write_in(unit_dir, "r.new", "a.example a.example:new\n");
	snprintf(tmp, sizeof tmp, "%s/r.new", unit_dir);
	CHECK("renamed", rename(tmp, path) == 0);
	CHECK("changed: a new version", dkmod_signtable_refresh(t, NULL, true, &reloaded, why, sizeof why) == DKMOD_OK &&
						reloaded && dkmod_signtable_version(t) == 2);
	CHECK("the new entry is used", dkmod_signtable_lookup(t, NULL, "a.example", &m, why, sizeof why) == 1 &&
					       strcmp(m.sigs[0].selector, "new") == 0);
	unit_write_in(unit_dir, "r.new", "a.example a.example:broken:\n");
	CHECK("renamed again", rename(tmp, path) == 0);
	CHECK("a broken file is refused", dkmod_signtable_refresh(t, NULL, true, &reloaded, why, sizeof why) == DKMOD_EIO &&
						  !reloaded && strstr(why, "r.txt:1:") != NULL);
	CHECK("and the version before stays in use", dkmod_signtable_lookup(t, NULL, "a.example", &m, why, sizeof why) == 1 &&
							  strcmp(m.sigs[0].selector, "new") == 0 &&
							  dkmod_signtable_version(t) == 2);
	/* the console's reload (and flush) moves the shared generation: the table is loaded again */
	char state[600];
	struct dkmod_options o;
	struct dkmod_ctx *ctx = NULL;
	snprintf(state, sizeof state, "%s/state", unit_dir);
	dkmod_options_init(&o);
	o.cache.state_dir = state;
	CHECK("a context with shared state", dkmod_ctx_new(&o, &ctx) == DKMOD_OK);
	unit_write_in(unit_dir, "r.new", "a.example a.example:fixed\n");
	CHECK("fixed", rename(tmp, path) == 0);
	CHECK("the generation read first", dkmod_signtable_refresh(t, ctx, true, &reloaded, why, sizeof why) == DKMOD_OK);
	unsigned long v = dkmod_signtable_version(t);
	CHECK("same file, same generation: no new version",
	      dkmod_signtable_refresh(t, ctx, true, &reloaded, why, sizeof why) == DKMOD_OK && !reloaded);
	pid_t pid = fork(); /* the console is another process */
	if (pid == 0)
		_exit(dkmod_state_reload(state) == DKMOD_OK ? 0 : 1);
	int status = 1;
	CHECK("reload asked for", pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK("a moved flush generation: a new version",
	      dkmod_signtable_refresh(t, ctx, true, &reloaded, why, sizeof why) == DKMOD_OK && reloaded &&
		      dkmod_signtable_version(t) == v + 1);
	dkmod_ctx_free(ctx);
	dkmod_signtable_free(t);
}

int main(void)
{
	if (!mkdtemp(unit_dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_big();
	test_shared();
	test_damaged_buckets();
	test_bad();
	test_hostile_compiled();
	test_reload();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", unit_dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", unit_dir);
	return unit_done();
}
