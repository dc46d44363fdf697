/* test_lua_pipeline.c - unit tests of the pipeline (adapters/common): the end of the
 * header block found across any split, header fields unfolded, folding and unfolding of
 * added fields, and whole messages fed byte by byte and in one piece through the
 * configuration and a policy script (action, reply, added and removed fields) */
#include <stdlib.h>
#include <unistd.h>

#include "pipeline_int.h"
#include "unit.h"

static char unit_dir[] = "/tmp/dkmod-unit-pipeline.XXXXXX";

/* unit_write - a file in the test directory; its path */
static const char *unit_write(const char *name, const char *text)
{
	return unit_write_in(unit_dir, name, text);
}

/* test_hdr_end - where the header block ends */
static void test_hdr_end(void)
{
	static const struct {
		const char *name, *text;
		size_t want;
	} cases[] = {
		{"CRLF block", "A: 1\r\nB: 2\r\n\r\nbody", 14},
		{"LF block", "A: 1\nB: 2\n\nbody", 11},
		{"no blank line yet", "A: 1\r\nB: 2\r\n", 0},
		{"blank line first (CRLF)", "\r\nbody", 2},
		{"blank line first (LF)", "\nbody", 1},
		{"folded field", "A: 1\r\n 2\r\n\r\n", 12},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		CHECK_INT(cases[i].name, pipeline_hdr_end(cases[i].text, strlen(cases[i].text), 0), cases[i].want);
}

/* test_hdr_parse - fields and unfolded values */
static void test_hdr_parse(void)
{
	const char *block = "From: Alice <a@Example.COM>\r\nSubject: one\r\n\ttwo  \r\nno colon here\r\n"
			    "Sender:   \r\nX-Empty:\r\n\r\n";
	struct pipeline_hdrs h;
	CHECK("parse", pipeline_hdr_parse(block, strlen(block), 100, &h));
	CHECK_INT("four fields with a colon", h.count, 4);
	if (h.count == 4) {
		CHECK_STR("name", h.fields[1].name, "Subject");
		CHECK_STR("value unfolded and trimmed", h.fields[1].value, "one\ttwo");
		CHECK_STR("empty value", h.fields[3].value, "");
	}
	char *domain;
	char *a = pipeline_hdr_address(&h, "From", &domain);
	CHECK_STR("From address", a, "a@Example.COM");
	CHECK_STR("domain in lower case", domain, "example.com");
	free(a);
	free(domain);
	a = pipeline_hdr_address(&h, "Sender", &domain);
	CHECK("an empty Sender names nobody", a == NULL && domain == NULL);
	pipeline_hdr_free(&h);
	CHECK("a limit on fields", pipeline_hdr_parse(block, strlen(block), 1, &h) && h.count == 1);
	pipeline_hdr_free(&h);
}

/* unit_ref_parse - the header block parse as first written (byte by byte), to compare the
 * faster one with: each field's "name\0value" (trimmed) appended to out, one per line */
static void unit_ref_parse(const char *buf, size_t len, size_t max, char *out)
{
	size_t nfields = 0;
	for (size_t i = 0; i < len; i++)
		nfields += (i == 0 || buf[i - 1] == '\n') && buf[i] != ' ' && buf[i] != '\t';
	if (nfields > max)
		nfields = max;
	char *store = malloc(len + 1), *o = store, *starts[300];
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		bool line_start = i == 0 || buf[i - 1] == '\n';
		if (line_start && buf[i] != ' ' && buf[i] != '\t') {
			if (n == nfields || buf[i] == '\r' || buf[i] == '\n')
				break;
			if (n)
				*o++ = '\0';
			starts[n++] = o;
		}
		if (buf[i] != '\r' && buf[i] != '\n' && buf[i] != '\0')
			*o++ = buf[i];
	}
	*o = '\0';
	*out = '\0';
	for (size_t i = 0; i < n; i++) {
		char *colon = strchr(starts[i], ':');
		if (!colon)
			continue;
		*colon = '\0';
		char *name = starts[i], *value = colon + 1;
		while (*name == ' ' || *name == '\t')
			name++;
		while (*value == ' ' || *value == '\t')
			value++;
		size_t nl = strlen(name), vl = strlen(value);
		while (nl && (name[nl - 1] == ' ' || name[nl - 1] == '\t'))
			nl--;
		while (vl && (value[vl - 1] == ' ' || value[vl - 1] == '\t'))
			vl--;
		sprintf(out + strlen(out), "%.*s=%.*s|", (int)nl, name, (int)vl, value);
	}
	free(store);
}

/* test_hdr_parse_random - the parse agrees with the byte-by-byte one on random blocks of
 * field names, colons, blanks, CR, LF and NUL */
static void test_hdr_parse_random(void)
{
	static const char alphabet[] = "ab:: \t\r\n\n\0xyzabcdefgh";
	unsigned seed = 7;
	size_t bad = 0;
	for (int round = 0; round < 20000; round++) {
		char buf[260], want[4096], got[4096] = "";
		seed = seed * 1103515245u + 12345u;
		size_t len = (seed >> 8) % sizeof buf;
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		size_t max = round % 3 == 0 ? 2 : 1000;
		unit_ref_parse(buf, len, max, want);
		struct pipeline_hdrs h;
		if (!pipeline_hdr_parse(buf, len, max, &h)) {
			bad++;
			continue;
		}
		for (size_t i = 0; i < h.count; i++)
			sprintf(got + strlen(got), "%s=%s|", h.fields[i].name, h.fields[i].value);
		pipeline_hdr_free(&h);
		if (strcmp(got, want) != 0 && bad++ == 0)
			printf("# round %d: got %s, want %s\n", round, got, want);
	}
	CHECK_INT("20000 random header blocks parse as byte by byte", bad, 0);
}

/* test_fold - folding added fields and unfolding the A-R value */
static void test_fold(void)
{
	char value[400] = "";
	for (int i = 0; i < 30; i++)
		strcat(value, i ? " word" : "word");
	char *f = pipeline_hdr_fold("X-Long", value);
	bool ok = f != NULL;
	size_t longest = 0;
	for (const char *p = f; ok && *p;) {
		size_t n = strcspn(p, "\r");
		longest = n > longest ? n : longest;
		p += n;
		if (*p)
			ok = p[1] == '\n' && (p[2] == ' ' || p[2] == '\t'), p += 2;
	}
	CHECK("folded lines end in CRLF and go on with a blank", ok);
	CHECK("folded lines are at most 78", longest <= 78);
	char *back = f ? pipeline_hdr_unfold(f) : NULL;
	CHECK("unfolding gives the field back", back && strncmp(back, "X-Long: ", 8) == 0 && strcmp(back + 8, value) == 0);
	free(back);
	free(f);
	f = pipeline_hdr_fold("X-Short", "a b");
	CHECK_STR("a short field stays on one line", f, "X-Short: a b");
	free(f);
	back = pipeline_hdr_unfold("mx;\r\n\tdkim=pass;\r\n\tdomainkeys=none");
	CHECK_STR("A-R value on one line", back, "mx; dkim=pass; domainkeys=none");
	free(back);
}

/* unit_report - configuration errors as comments */
static void unit_report(void *arg, const char *line)
{
	(void)arg;
	printf("# %s\n", line);
}

/* unit_run - a message through the pipeline, in chunks of size step (0: one piece) */
static struct pipeline_msg *unit_run(struct pipeline *p, const char *text, size_t step)
{
	const char *rcpts[] = {"b@example.net"};
	struct pipeline_envelope env = {.mail_from = "a@example.com", .rcpts = rcpts, .nrcpts = 1,
					.client_ip = "192.0.2.7", .helo = "mail.example.com"};
	struct pipeline_msg *m = pipeline_msg_new(p, &env);
	if (!m)
		return NULL;
	size_t len = strlen(text);
	for (size_t i = 0; i < len; i += step ? step : len)
		if (pipeline_msg_write(m, text + i, step && len - i > step ? step : len - i) != PIPELINE_OK)
			break;
	if (pipeline_msg_finish(m) != PIPELINE_OK) {
		pipeline_msg_free(m);
		return NULL;
	}
	return m;
}

/* test_pipeline - whole messages */
static void test_pipeline(void)
{
	unit_write("p.lua", "function verify(msg)\n"
			    "  msg:add_header('X-Seen', (msg:header('Subject') or '-') .. ' ' .. msg.client_ip)\n"
			    "  if msg.sender_domain ~= 'example.com' then return 'reject', 'who?' end\n"
			    "  if msg:header('Subject') == 'hold' then return 'quarantine' end\n"
			    "  return 'accept'\n"
			    "end\n");
	/* verification on, against a zone file (local data: no network) */
	unit_write("t.zone", "$ORIGIN example.com.\n@ 300 IN SOA ns hostmaster 1 3600 600 86400 300\n@ 300 IN NS ns\n"
			     "ns 300 IN A 127.0.0.1\n@ 300 IN MX 10 ns\n");
	const char *conf = unit_write("p.conf", "policy \"p.lua\"\nlog { level = \"error\" }\nauthserv_id \"mx.test\"\n"
						"dkim_validate \"v\" { }\nresolver { zone = \"t.zone\", timeout = 2 }\n");
	struct pipeline_options o = {.log_level = -1};
	struct pipeline *p = pipeline_new(conf, &o, unit_report, NULL);
	CHECK("pipeline_new", p != NULL);
	if (!p)
		return;
	const char *msg = "From: a@example.com\r\nSubject: hello\r\nAuthentication-Results: mx.test; dkim=pass\r\n"
			  "\r\nbody\r\n";
	size_t steps[] = {0, 1, 2, 3, 7};
	for (size_t k = 0; k < sizeof steps / sizeof *steps; k++) {
		char name[80];
		struct pipeline_msg *m = unit_run(p, msg, steps[k]);
		snprintf(name, sizeof name, "fed in chunks of %zu: runs", steps[k]);
		CHECK(name, m != NULL);
		if (!m)
			continue;
		snprintf(name, sizeof name, "fed in chunks of %zu: accept", steps[k]);
		CHECK_INT(name, pipeline_msg_action(m), POLICY_ACCEPT);
		snprintf(name, sizeof name, "fed in chunks of %zu: script's field", steps[k]);
		CHECK_STR(name, pipeline_msg_added(m, 0), "X-Seen: hello 192.0.2.7");
		snprintf(name, sizeof name, "fed in chunks of %zu: three fields received", steps[k]);
		CHECK_INT(name, pipeline_msg_header_count(m), 3);
		snprintf(name, sizeof name, "fed in chunks of %zu: forged A-R removed", steps[k]);
		CHECK(name, pipeline_msg_header_removed(m, 2) && !pipeline_msg_header_removed(m, 0));
		CHECK_STR("reply of accept", pipeline_msg_reply(m), "250 2.0.0 Ok");
		CHECK_STR("CRLF message", pipeline_msg_eol(m), "\r\n");
		CHECK("intact", pipeline_msg_intact(m));
		pipeline_msg_free(m);
	}
	struct pipeline_msg *m = unit_run(p, "From: a@example.org\nSubject: x\n\nbody\n", 1);
	CHECK_INT("other sender: reject", m ? (int)pipeline_msg_action(m) : -1, POLICY_REJECT);
	CHECK_STR("reply gets the default codes", m ? pipeline_msg_reply(m) : NULL, "550 5.7.1 who?");
	CHECK_STR("LF message", m ? pipeline_msg_eol(m) : NULL, "\n");
	pipeline_msg_free(m);
	m = unit_run(p, "From: a@example.com\r\nSubject: hold\r\n", 0);
	CHECK_INT("headers only, no blank line: quarantine", m ? (int)pipeline_msg_action(m) : -1, POLICY_QUARANTINE);
	pipeline_msg_free(m);
	/* every two-piece split of the header block (its end in the first piece, the second, or
	 * across them) gives what one piece gives */
	static const char *const splits[] = {
		"From: a@example.com\r\nSubject: hello\r\n\r\nbody\r\n",
		"From: a@example.com\nSubject: hello\n\nbody\n",
		"From: a@example.com\nSubject: hello\n\r\nbody\n",
		"From: a@example.com\r\nSubject: he\rllo\r\n folded\r\n\r\n\r\n",
		"\r\nSubject: not a field\r\n\r\n",
		"\nSubject: not a field\n",
	};
	for (size_t k = 0; k < sizeof splits / sizeof *splits; k++) {
		const char *text = splits[k];
		size_t len = strlen(text), bad = 0;
		struct pipeline_msg *one = unit_run(p, text, 0);
		for (size_t cut = 1; one && cut < len; cut++) {
			const char *rcpts[] = {"b@example.net"};
			struct pipeline_envelope env = {.mail_from = "a@example.com", .rcpts = rcpts, .nrcpts = 1,
							.client_ip = "192.0.2.7", .helo = "mail.example.com"};
			struct pipeline_msg *m2 = pipeline_msg_new(p, &env);
			bool ok = m2 && pipeline_msg_write(m2, text, cut) == PIPELINE_OK &&
				  pipeline_msg_write(m2, text + cut, len - cut) == PIPELINE_OK &&
				  pipeline_msg_finish(m2) == PIPELINE_OK &&
				  pipeline_msg_action(m2) == pipeline_msg_action(one) &&
				  pipeline_msg_header_count(m2) == pipeline_msg_header_count(one) &&
				  pipeline_msg_added_count(m2) == pipeline_msg_added_count(one);
			for (size_t i = 0; ok && i < pipeline_msg_added_count(one); i++)
				ok = strcmp(pipeline_msg_added(m2, i), pipeline_msg_added(one, i)) == 0;
			bad += !ok;
			pipeline_msg_free(m2);
		}
		char name[80];
		snprintf(name, sizeof name, "message %zu: every two-piece split as one piece", k);
		CHECK(name, one && bad == 0);
		pipeline_msg_free(one);
	}
	m = unit_run(p, "\r\nno header at all\r\n", 0);
	CHECK_INT("no header: reject (no sender)", m ? (int)pipeline_msg_action(m) : -1, POLICY_REJECT);
	pipeline_msg_free(m);
	pipeline_free(p);
	conf = unit_write("bad.conf", "policy \"absent.lua\"\n");
	CHECK("a bad configuration: no pipeline", pipeline_new(conf, &o, unit_report, NULL) == NULL);
	CHECK_INT("pipeline_check counts the error", pipeline_check(conf, unit_report, NULL), 1);
}

static char unit_logged[2048];

/* unit_log - keep the log lines of a pipeline */
static void unit_log(void *arg, enum dkmod_log_level level, const char *msg)
{
	(void)arg;
	(void)level;
	size_t l = strlen(unit_logged);
	snprintf(unit_logged + l, sizeof unit_logged - l, "%s\n", msg);
}

/* test_no_readers - without signing blocks, hooks or info lines nobody reads the header
 * fields, so they are not parsed; the outcome is the same, and at level info the line that
 * names the sender still does */
static void test_no_readers(void)
{
	const char *msg = "From: Alice <a@example.com>\r\nSubject: hello\r\n\r\nbody\r\n";
	const char *levels[] = {"warning", "info"};
	char *added[2] = {NULL, NULL};
	for (int i = 0; i < 2; i++) {
		char text[400], name[80];
		snprintf(text, sizeof text, "log { level = \"%s\" }\nauthserv_id \"mx.test\"\ndkim_validate \"v\" { }\n"
					    "resolver { zone = \"t.zone\", timeout = 2 }\n", levels[i]);
		const char *conf = unit_write(i ? "info.conf" : "warn.conf", text);
		struct pipeline_options o = {.log = unit_log, .log_level = -1};
		struct pipeline *p = pipeline_new(conf, &o, unit_report, NULL);
		unit_logged[0] = '\0';
		struct pipeline_msg *m = p ? unit_run(p, msg, 0) : NULL;
		snprintf(name, sizeof name, "no script, level %s: accept", levels[i]);
		CHECK_INT(name, m ? (int)pipeline_msg_action(m) : -1, POLICY_ACCEPT);
		if (m && pipeline_msg_added_count(m) > 0)
			added[i] = strdup(pipeline_msg_added(m, 0));
		pipeline_msg_free(m);
		pipeline_free(p);
	}
	CHECK("no script: the same Authentication-Results at both levels",
	      added[0] && added[1] && strcmp(added[0], added[1]) == 0);
	CHECK("no script, level info: the line names the sender", strstr(unit_logged, "sender=a@example.com") != NULL);
	free(added[0]);
	free(added[1]);
}

int main(void)
{
	if (!mkdtemp(unit_dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_hdr_end();
	test_hdr_parse();
	test_hdr_parse_random();
	test_fold();
	test_pipeline();
	test_no_readers();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", unit_dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", unit_dir);
	return unit_done();
}
