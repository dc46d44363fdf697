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
		CHECK_INT(name, pipeline_msg_action(m), PIPELINE_ACCEPT);
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
	CHECK_INT("other sender: reject", m ? (int)pipeline_msg_action(m) : -1, PIPELINE_REJECT);
	CHECK_STR("reply gets the default codes", m ? pipeline_msg_reply(m) : NULL, "550 5.7.1 who?");
	CHECK_STR("LF message", m ? pipeline_msg_eol(m) : NULL, "\n");
	pipeline_msg_free(m);
	m = unit_run(p, "From: a@example.com\r\nSubject: hold\r\n", 0);
	CHECK_INT("headers only, no blank line: quarantine", m ? (int)pipeline_msg_action(m) : -1, PIPELINE_QUARANTINE);
	pipeline_msg_free(m);
	m = unit_run(p, "\r\nno header at all\r\n", 0);
	CHECK_INT("no header: reject (no sender)", m ? (int)pipeline_msg_action(m) : -1, PIPELINE_REJECT);
	pipeline_msg_free(m);
	pipeline_free(p);
	conf = unit_write("bad.conf", "policy \"absent.lua\"\n");
	CHECK("a bad configuration: no pipeline", pipeline_new(conf, &o, unit_report, NULL) == NULL);
	CHECK_INT("pipeline_check counts the error", pipeline_check(conf, unit_report, NULL), 1);
}

int main(void)
{
	if (!mkdtemp(unit_dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_hdr_end();
	test_hdr_parse();
	test_fold();
	test_pipeline();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", unit_dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", unit_dir);
	return unit_done();
}
