/* test_lua_pipeline.c - unit tests of the pipeline (adapters/common): the end of the
 * header block found across any split, the engine's header fields unfolded for scripts,
 * the author and sender scripts see (the engine's), folding and unfolding of added
 * fields, and whole messages fed byte by byte and in one piece through the configuration
 * and a policy script (action, reply, added and removed fields) */
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

/* unit_fields - the fields of a header block as the engine stores them and the pipeline shows
 * them to scripts, "name=value|" each, into out (cap bytes); false if something failed */
static bool unit_fields(struct dkmod_ctx *ctx, const char *block, size_t len, char *out, size_t cap)
{
	struct dkmod_session *s = NULL;
	struct pipeline_hdrs h;
	*out = '\0';
	if (dkmod_session_new(ctx, 0, &s) != DKMOD_OK || dkmod_session_write(s, block, len) != DKMOD_OK) {
		dkmod_session_free(s);
		return false;
	}
	dkmod_session_fields_complete(s); /* DKMOD_ESTATE once a blank line ended the header */
	bool ok = pipeline_hdr_fields(s, &h);
	for (size_t i = 0; ok && i < h.count; i++) {
		size_t n = strlen(out);
		snprintf(out + n, cap - n, "%s=%s|", h.fields[i].name, h.fields[i].value);
	}
	if (ok)
		pipeline_hdr_free(&h);
	dkmod_session_free(s);
	return ok;
}

/* test_hdr_fields - the engine's fields with names and values unfolded and trimmed */
static void test_hdr_fields(struct dkmod_ctx *ctx)
{
	const char *block = "From: Alice <a@Example.COM>\r\nSubject: one\r\n\ttwo  \r\nno colon here\r\n"
			    "Sender:   \r\nX-Empty:\r\nName : x\r\n\r\nBody: not a field\r\n";
	char got[512];
	CHECK("fields", unit_fields(ctx, block, strlen(block), got, sizeof got));
	CHECK_STR("fields with a colon, unfolded and trimmed, up to the blank line", got,
		  "From=Alice <a@Example.COM>|Subject=one\ttwo|Sender=|X-Empty=|Name=x|");
	CHECK("no fields", unit_fields(ctx, "\r\nA: b\r\n", 7, got, sizeof got) && !*got);
}

/* unit_ref_parse - the fields of a header block byte by byte, as the engine splits them (a line
 * that does not start with a blank starts a field; a line "\n" or "\r\n" ends the block), to
 * compare the pipeline's faster copy with: each field's "name=value|" (trimmed) into out */
static void unit_ref_parse(const char *buf, size_t len, char *out)
{
	char *store = malloc(len + 1), *o = store, *starts[300];
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		bool line_start = i == 0 || buf[i - 1] == '\n';
		if (line_start && buf[i] != ' ' && buf[i] != '\t') {
			if (buf[i] == '\n' || (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n'))
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

/* test_hdr_fields_random - the pipeline's fields agree with the byte-by-byte split on random
 * blocks of field names, colons, blanks, CR, LF and NUL */
static void test_hdr_fields_random(struct dkmod_ctx *ctx)
{
	static const char alphabet[] = "ab:: \t\r\n\n\0xyzabcdefgh";
	unsigned seed = 7;
	size_t bad = 0;
	for (int round = 0; round < 20000; round++) {
		char buf[260], want[4096], got[4096];
		seed = seed * 1103515245u + 12345u;
		size_t len = (seed >> 8) % sizeof buf;
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		unit_ref_parse(buf, len, want);
		if (!unit_fields(ctx, buf, len, got, sizeof got) || (strcmp(got, want) != 0 && bad++ == 0))
			printf("# round %d: got %s, want %s\n", round, got, want);
	}
	CHECK_INT("20000 random header blocks split as byte by byte", bad, 0);
}

/* test_fold - folding added fields and unfolding the A-R value */
static void test_fold(void)
{
	char value[400] = "";
	for (int i = 0; i < 30; i++)
		strcat(value, i ? " word" : "word");
	char *f = dkmod_header_fold("X-Long", value);
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
	f = dkmod_header_fold("X-Short", "a b");
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

/* unit_pipeline - a pipeline of script, verifying against t.zone, configured in conf_name */
static struct pipeline *unit_pipeline(const char *conf_name, const char *script)
{
	char text[300];
	snprintf(text, sizeof text, "policy \"%s\"\nlog { level = \"error\" }\nauthserv_id \"mx.test\"\n"
				    "dkim_validate \"v\" { }\nresolver { zone = \"t.zone\", timeout = 2 }\n", script);
	struct pipeline_options o = {.log_level = -1};
	return pipeline_new(unit_write(conf_name, text), &o, unit_report, NULL);
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
	struct pipeline *p = unit_pipeline("p.conf", "p.lua");
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
	struct pipeline_options o = {.log_level = -1};
	const char *conf = unit_write("bad.conf", "policy \"absent.lua\"\n");
	CHECK("a bad configuration: no pipeline", pipeline_new(conf, &o, unit_report, NULL) == NULL);
	CHECK_INT("pipeline_check counts the error", pipeline_check(conf, unit_report, NULL), 1);
}

/* unit_added - the value of the added field name (after "name: "), or "(none)" */
static const char *unit_added(struct pipeline_msg *m, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; m && i < pipeline_msg_added_count(m); i++) {
		const char *f = pipeline_msg_added(m, i);
		if (strncmp(f, name, n) == 0 && f[n] == ':')
			return f + n + 2;
	}
	return "(none)";
}

/* test_author - the script's msg.author and msg.sender are the engine's, the author ADSP and
 * the A-R name (the first address of the first From field): an empty first From names no
 * author even when a later From holds an address */
static void test_author(void)
{
	unit_write("a.lua", "function verify(msg)\n"
			    "  msg:add_header('X-Author', (msg.author or '-') .. ' ' .. (msg.author_domain or '-'))\n"
			    "  msg:add_header('X-Sender', msg.sender or '-')\n"
			    "  local a = msg:adsp()\n"
			    "  msg:add_header('X-ADSP-Author', a and a.author or '-')\n"
			    "  msg:add_header('X-AR', msg.authentication_results or '-')\n"
			    "  return 'accept'\n"
			    "end\n");
	struct pipeline *p = unit_pipeline("a.conf", "a.lua");
	CHECK("author: pipeline_new", p != NULL);
	static const struct {
		const char *name, *head, *author, *sender, *adsp, *ar_from;
	} cases[] = {
		{"one From", "From: Alice <a@Example.COM>\r\n", "a@Example.COM example.com", "a@Example.COM",
		 "a@Example.COM", "header.from=a@Example.COM"},
		{"empty first From", "From:\r\nFrom: b@example.org\r\n", "- -", "-", "-", NULL},
		{"group without address first", "From: undisclosed-recipients:;\r\nFrom: b@example.org\r\n", "- -", "-",
		 "-", NULL},
		{"Sender without address", "Sender: nobody\r\nFrom: c@example.com\r\n", "c@example.com example.com",
		 "c@example.com", "c@example.com", "header.from=c@example.com"},
		{"Sender with address", "Sender: d@example.net\r\nFrom: c@example.com\r\n", "c@example.com example.com",
		 "d@example.net", "c@example.com", "header.from=c@example.com"},
	};
	for (size_t i = 0; p && i < sizeof cases / sizeof *cases; i++) {
		char text[300], name[120];
		snprintf(text, sizeof text, "%sSubject: s\r\n\r\nbody\r\n", cases[i].head);
		struct pipeline_msg *m = unit_run(p, text, 0);
		snprintf(name, sizeof name, "author, %s: msg.author", cases[i].name);
		CHECK_STR(name, unit_added(m, "X-Author"), cases[i].author);
		snprintf(name, sizeof name, "author, %s: msg.sender", cases[i].name);
		CHECK_STR(name, unit_added(m, "X-Sender"), cases[i].sender);
		snprintf(name, sizeof name, "author, %s: ADSP's author as the script's", cases[i].name);
		CHECK_STR(name, unit_added(m, "X-ADSP-Author"), cases[i].adsp);
		const char *ar = unit_added(m, "X-AR");
		snprintf(name, sizeof name, "author, %s: the A-R's dkim-adsp header.from", cases[i].name);
		CHECK(name, strstr(ar, "dkim-adsp=") &&
				    (cases[i].ar_from ? strstr(ar, cases[i].ar_from) != NULL : !strstr(ar, "header.from=")));
		pipeline_msg_free(m);
	}
	pipeline_free(p);
}

/* test_dmarc_msg - msg.dmarc and msg.spf in the script: DMARC from DKIM alone (no envelope
 * through the pipeline yet: msg.spf is nil), the domain's p=reject and t=y, nil with dmarc off */
static void test_dmarc_msg(void)
{
	unit_write("d.lua", "function verify(msg)\n"
			    "  local d = msg.dmarc\n"
			    "  msg:add_header('X-DMARC', d and (d.result .. ' ' .. (d.policy or '-') .. ' ' .. d.disposition .. ' ' ..\n"
			    "    tostring(d.testing) .. ' ' .. d.author_domain .. ' ' .. (d.org_domain or '-') .. ' ' ..\n"
			    "    tostring(d.dkim_aligned) .. ' ' .. tostring(d.spf_aligned)) or 'nil')\n"
			    "  msg:add_header('X-SPF', msg.spf and msg.spf.result or 'nil')\n"
			    "  return 'accept'\n"
			    "end\n");
	unit_write("d.zone", "$ORIGIN example.com.\n@ 300 IN SOA ns hostmaster 1 3600 600 86400 300\n@ 300 IN NS ns\n"
			     "_dmarc 300 IN TXT \"v=DMARC1; p=reject\"\n_dmarc.test 300 IN TXT \"v=DMARC1; p=reject; t=y\"\n"
			     "$ORIGIN com.\n@ 300 IN SOA ns hostmaster 1 3600 600 86400 300\n");
	static const char *const confs[] = {"", "dmarc { enable = false }\n"};
	static const struct {
		const char *from, *want;
	} cases[] = {{"a@example.com", "fail reject reject false example.com example.com false false"},
		     {"a@test.example.com", "fail reject quarantine true test.example.com example.com false false"}};
	for (size_t c = 0; c < 2; c++) {
		char text[400], name[120];
		snprintf(text, sizeof text, "policy \"d.lua\"\nlog { level = \"error\" }\nauthserv_id \"mx.test\"\n"
					    "dkim_validate \"v\" { }\nresolver { zone = \"d.zone\", timeout = 2 }\n%s", confs[c]);
		struct pipeline_options o = {.log_level = -1};
		struct pipeline *p = pipeline_new(unit_write("d.conf", text), &o, unit_report, NULL);
		CHECK("dmarc: pipeline_new", p != NULL);
		for (size_t i = 0; p && i < sizeof cases / sizeof *cases; i++) {
			snprintf(text, sizeof text, "From: %s\r\nSubject: s\r\n\r\nbody\r\n", cases[i].from);
			struct pipeline_msg *m = unit_run(p, text, 0);
			snprintf(name, sizeof name, "dmarc %s, From %s: msg.dmarc", c ? "off" : "on", cases[i].from);
			CHECK_STR(name, unit_added(m, "X-DMARC"), c ? "nil" : cases[i].want);
			snprintf(name, sizeof name, "dmarc %s, From %s: the pipeline's envelope checked, msg.spf none (no record)",
				 c ? "off" : "on", cases[i].from);
			CHECK_STR(name, unit_added(m, "X-SPF"), "none");
			pipeline_msg_free(m);
		}
		pipeline_free(p);
	}
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
	struct dkmod_options o;
	struct dkmod_ctx *ctx = NULL;
	dkmod_options_init(&o);
	o.authserv_id = "mx.test";
	CHECK("a context", dkmod_ctx_new(&o, &ctx) == DKMOD_OK);
	if (ctx) {
		test_hdr_fields(ctx);
		test_hdr_fields_random(ctx);
	}
	dkmod_ctx_free(ctx);
	test_fold();
	test_pipeline();
	test_author();
	test_dmarc_msg();
	test_no_readers();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", unit_dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", unit_dir);
	return unit_done();
}
