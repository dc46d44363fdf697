/* test_lua_pipeline_tables.c - signing tables through the pipeline: with a compiled table of
 * 100,000 domains and the key template, mail gets the right key for an exact domain, an
 * address, a subdomain of a .parent entry, the default, and (without a table entry) the
 * template's key of the domain or its nearest parent; an entry whose key file is missing
 * signs nothing and says why.  While another process replaces the table again and again,
 * every message is signed, each wholly with the old or wholly with the new version. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pipeline_int.h"
#include "unit.h"

#define NDOMAINS 100000

static char unit_dir[] = "/tmp/dkmod-unit-tables.XXXXXX";
static char unit_logged[8192];

/* unit_log - keep the log lines of a pipeline */
static void unit_log(void *arg, enum dkmod_log_level level, const char *msg)
{
	size_t l = strlen(unit_logged);
	snprintf(unit_logged + l, sizeof unit_logged - l, "%s\n", msg);
}

/* unit_report - a configuration error */
static void unit_report(void *arg, const char *line)
{
	printf("# config: %s\n", line);
}

/* unit_key - an Ed25519 key at keys/DOMAIN/SELECTOR.key under the test directory */
static bool unit_key(const char *domain, const char *selector)
{
	char cmd[1200];
	snprintf(cmd, sizeof cmd,
		 "mkdir -p %s/keys/%s && openssl genpkey -algorithm ed25519 -out %s/keys/%s/%s.key 2>/dev/null && "
		 "chmod 600 %s/keys/%s/%s.key",
		 unit_dir, domain, unit_dir, domain, selector, unit_dir, domain, selector);
	return system(cmd) == 0;
}

/* unit_sign - the "d=D s=S" pairs of the DKIM signatures mail from `from` gets, joined by
 * spaces in the order added ("" if none; "!" if the pipeline failed) */
static const char *unit_sign(struct pipeline *p, const char *from)
{
	static char out[600];
	char msg[400];
	snprintf(msg, sizeof msg, "From: %s\r\nTo: b@example.net\r\nSubject: t\r\n\r\nbody\r\n", from);
	struct pipeline_envelope env = {.mail_from = from};
	struct pipeline_msg *m = pipeline_msg_new(p, &env);
	out[0] = '\0';
	if (!m || pipeline_msg_write(m, msg, strlen(msg)) != PIPELINE_OK || pipeline_msg_finish(m) != PIPELINE_OK) {
		pipeline_msg_free(m);
		return "!";
	}
	for (size_t i = 0; i < pipeline_msg_added_count(m); i++) {
		char f[2000];
		size_t k = 0;
		for (const char *c = pipeline_msg_added(m, i); *c && k + 1 < sizeof f; c++)
			if (*c != ' ' && *c != '\t' && *c != '\r' && *c != '\n')
				f[k++] = *c;
		f[k] = '\0';
		const char *d = strstr(f, ";d="), *s = strstr(f, ";s=");
		if (strncmp(f, "DKIM-Signature:", 15) != 0 || !d || !s)
			continue;
		size_t l = strlen(out);
		snprintf(out + l, sizeof out - l, "%sd=%.*s s=%.*s", l ? " " : "", (int)strcspn(d + 3, ";"), d + 3,
			 (int)strcspn(s + 3, ";"), s + 3);
	}
	pipeline_msg_free(m);
	return out;
}

/* unit_pipeline - a pipeline of the configuration text, written as name */
static struct pipeline *unit_pipeline(const char *name, const char *text)
{
	const char *conf = unit_write_in(unit_dir, name, text);
	struct pipeline_options o = {.log = unit_log, .log_level = DKMOD_LOG_INFO};
	return pipeline_new(conf, &o, unit_report, NULL);
}

/* test_big_table - the right key from a compiled table of 100,000 domains and the template */
static void test_big_table(void)
{
	char path[600], lmdb[600], why[600];
	snprintf(path, sizeof path, "%s/big.txt", unit_dir);
	snprintf(lmdb, sizeof lmdb, "%s/big.lmdb", unit_dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	for (int i = 0; i < NDOMAINS; i++)
		fprintf(f, "d%d.example.com d%d.example.com:s%d\n", i, i, i);
	fprintf(f, "boss@d7.example.com d7.example.com:boss\n.parent.example parent.example:par\n* %%{d}:def\n");
	fclose(f);
	size_t n;
	CHECK("100,000 domains compiled", dkmod_signtable_compile(path, lmdb, &n, why, sizeof why) == DKMOD_OK &&
						   n == NDOMAINS + 3);
	CHECK("keys made", unit_key("d7.example.com", "s7") && unit_key("d99999.example.com", "s99999") &&
				   unit_key("d7.example.com", "boss") && unit_key("parent.example", "par") &&
				   unit_key("other.test", "def") && unit_key("tmpl.example.net", "tpl"));
	struct pipeline *p = unit_pipeline("big.conf", "dkim_sign \"esp\" {\n  sign_table = \"big.lmdb\",\n"
						       "  key = \"keys/%{d}/%{s}.key\",\n}\n");
	CHECK("the pipeline starts", p != NULL);
	if (!p)
		return;
	CHECK_STR("exact domain", unit_sign(p, "a@d7.example.com"), "d=d7.example.com s=s7");
	CHECK_STR("exact domain, the last line", unit_sign(p, "a@d99999.example.com"), "d=d99999.example.com s=s99999");
	CHECK_STR("address entry", unit_sign(p, "boss@d7.example.com"), "d=d7.example.com s=boss");
	CHECK_STR("subdomain of a .parent entry", unit_sign(p, "a@x.y.parent.example"), "d=parent.example s=par");
	CHECK_STR("default entry", unit_sign(p, "a@other.test"), "d=other.test s=def");
	unit_logged[0] = '\0';
	CHECK_STR("an entry without its key file: not signed", unit_sign(p, "a@d8.example.com"), "");
	CHECK("and the log says why", strstr(unit_logged, "esp: not signing as d=d8.example.com s=s8") &&
					      strstr(unit_logged, "No such file"));
	pipeline_free(p);
	p = unit_pipeline("tmpl.conf", "dkim_sign \"esp\" {\n  key = \"keys/%{d}/%{s}.key\",\n  selector = \"tpl\",\n"
				       "  dkim_domain \"inline.example\" { selector = \"s\", key = \"keys/none.key\" },\n}\n"
				       "log { level = \"info\" }\n");
	CHECK("the template pipeline starts", p != NULL);
	if (!p)
		return;
	CHECK_STR("template: the domain's key", unit_sign(p, "a@tmpl.example.net"), "d=tmpl.example.net s=tpl");
	CHECK_STR("template: the nearest parent's key", unit_sign(p, "a@mail.tmpl.example.net"),
		  "d=tmpl.example.net s=tpl");
	unit_logged[0] = '\0';
	CHECK_STR("template: no key file, no signature", unit_sign(p, "a@example.org"), "");
	CHECK("and the log says why", strstr(unit_logged, "esp: not signing for example.org: no dkim_domain block or key "
							  "file from the key template") != NULL);
	pipeline_free(p);
}

/* unit_flip - in a child: replace the table (compiled, or text renamed over) every 20 ms for ms */
static pid_t unit_flip(const char *table, bool compiled, int ms)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	char src[600], tmp[600], why[600];
	size_t n;
	snprintf(src, sizeof src, "%s/flip.src", unit_dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", table);
	/* the first write is the old version; the last one (when ms > 0) always the new */
	int writes = ms > 0 ? (ms / 20) | 1 : 0; /* an odd last index: "new" */
	for (int i = 0; i <= writes; i++) {
		const char *v = i % 2 ? "new" : "old";
		FILE *f = fopen(compiled ? src : tmp, "w");
		if (!f)
			_exit(1);
		fprintf(f, "customer.example.com customer.example.com:%s1, esp.example.net:%s2\n", v, v);
		fclose(f);
		if (compiled ? dkmod_signtable_compile(src, table, &n, why, sizeof why) != DKMOD_OK : rename(tmp, table) != 0)
			_exit(1);
		nanosleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
	}
	_exit(0);
}

/* test_reload_while_signing - every message signed, each with one version of the table */
static void test_reload_while_signing(bool compiled)
{
	const char *form = compiled ? "compiled" : "text";
	char table[600], conf[800], name[120];
	snprintf(table, sizeof table, "%s/flip.%s", unit_dir, compiled ? "lmdb" : "txt");
	CHECK("keys made", unit_key("customer.example.com", "old1") && unit_key("customer.example.com", "new1") &&
				   unit_key("esp.example.net", "old2") && unit_key("esp.example.net", "new2"));
	pid_t pid = unit_flip(table, compiled, 0); /* the first version, written at once */
	int status = 1;
	waitpid(pid, &status, 0);
	snprintf(conf, sizeof conf, "dkim_sign \"esp\" {\n  sign_table = \"%s\",\n  key = \"keys/%%{d}/%%{s}.key\",\n}\n",
		 table);
	struct pipeline *p = unit_pipeline("flip.conf", conf);
	CHECK("the pipeline starts", status == 0 && p != NULL);
	if (!p)
		return;
	pid = unit_flip(table, compiled, 3500);
	size_t old = 0, new = 0, mixed = 0, lost = 0;
	struct timespec end = {0}, now;
	for (bool done = false;;) {
		/* after the last (new) version was written, go on until a reload shows it: the
		 * engine looks at the file at most once a second */
		if (!done && waitpid(pid, &status, WNOHANG) == pid) {
			done = true;
			clock_gettime(CLOCK_MONOTONIC, &end);
			end.tv_sec += 3;
		}
		const char *got = unit_sign(p, "a@customer.example.com");
		if (strcmp(got, "d=esp.example.net s=old2 d=customer.example.com s=old1") == 0)
			old++;
		else if (strcmp(got, "d=esp.example.net s=new2 d=customer.example.com s=new1") == 0)
			new++;
		else if (strstr(got, "old") && strstr(got, "new"))
			mixed++;
		else if (lost++ == 0)
			printf("# %s: a message got '%s'\n", form, got);
		if (done && (new > 0 || (clock_gettime(CLOCK_MONOTONIC, &now), now.tv_sec > end.tv_sec)))
			break;
	}
	printf("# %s: %zu messages with the old table, %zu with the new\n", form, old, new);
	snprintf(name, sizeof name, "%s: the table was replaced all along", form);
	CHECK(name, WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(name, sizeof name, "%s: both versions signed messages (the table reloaded)", form);
	CHECK(name, old > 0 && new > 0);
	snprintf(name, sizeof name, "%s: no message signed with a mix", form);
	CHECK_INT(name, mixed, 0);
	snprintf(name, sizeof name, "%s: no message lost or signed partly", form);
	CHECK_INT(name, lost, 0);
	pipeline_free(p);
}

int main(void)
{
	if (!mkdtemp(unit_dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_big_table();
	test_reload_while_signing(true);
	test_reload_while_signing(false);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", unit_dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", unit_dir);
	return unit_done();
}
