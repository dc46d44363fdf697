/* test_lua_binding.c - unit tests of the LuaJIT binding: configuration loading (values,
 * errors with lines, templates, names), the policy sandbox (hooks, results, escapes, time
 * and memory budgets, reload after a budget stop, stale msg objects) */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <luajit.h>
#include <lualib.h>

#include "budget.h"
#include "conf.h"
#include "policy.h"
#include "unit.h"

static char unit_dir[] = "/tmp/dkmod-unit-lua.XXXXXX";

/* unit_write - a file in the test directory; its path */
static const char *unit_write(const char *name, const char *text)
{
	return unit_write_in(unit_dir, name, text);
}

/* What a conf_requests explain callback heard, all lines joined. */
struct unit_said {
	char text[4096];
};

/* unit_say - a conf_explain_fn that keeps the lines */
static void unit_say(void *arg, enum dkmod_log_level level, const char *line)
{
	struct unit_said *s = arg;
	size_t n = strlen(s->text);
	snprintf(s->text + n, sizeof s->text - n, "%d %s\n", (int)level, line);
}

/* test_templates - key path templates */
static void test_templates(void)
{
	static const struct {
		const char *tmpl;
		bool ok;
		const char *out;
	} cases[] = {
		{"/k/%{d}/%{s}.key", true, "/k/example.com/sel.key"},
		{"%{s}-%{d}", true, "sel-example.com"},
		{"100%%", true, "100%"},
		{"plain", true, "plain"},
		{"%{x}", false, NULL},
		{"%d", false, NULL},
		{"end%", false, NULL},
		{"%{d", false, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char name[96], out[64];
		snprintf(name, sizeof name, "template %s", cases[i].tmpl);
		CHECK(name, (conf_template_check(cases[i].tmpl) == NULL) == cases[i].ok);
		if (cases[i].ok) {
			CHECK(name, conf_expand(cases[i].tmpl, "example.com", "sel", out, sizeof out));
			CHECK_STR(name, out, cases[i].out);
		}
	}
	char small[8];
	CHECK("template too long for the buffer", !conf_expand("%{d}", "example.com", "s", small, sizeof small));
}

/* test_names - canonicalizations, algorithms, domains, field names */
static void test_names(void)
{
	struct dkmod_sign_request r;
	dkmod_sign_request_init(&r);
	CHECK("canon relaxed/simple", dkmod_parse_canon(DKMOD_METHOD_DKIM, "relaxed/simple", &r) &&
					      r.header_canon == DKMOD_CANON_RELAXED && r.body_canon == DKMOD_CANON_SIMPLE);
	CHECK("canon simple alone", dkmod_parse_canon(DKMOD_METHOD_DKIM, "simple", &r) && r.body_canon == DKMOD_CANON_SIMPLE);
	CHECK("canon nofws is not DKIM", !dkmod_parse_canon(DKMOD_METHOD_DKIM, "nofws", &r));
	CHECK("canon relaxed/ is bad", !dkmod_parse_canon(DKMOD_METHOD_DKIM, "relaxed/", &r));
	CHECK("canon DomainKeys nofws", dkmod_parse_canon(DKMOD_METHOD_DOMAINKEYS, "nofws", &r) &&
						r.header_canon == DKMOD_CANON_NOFWS);
	CHECK("canon DomainKeys relaxed is bad", !dkmod_parse_canon(DKMOD_METHOD_DOMAINKEYS, "relaxed", &r));
	enum dkmod_algorithm a;
	CHECK("algorithm ed25519-sha256", dkmod_parse_algorithm(DKMOD_METHOD_DKIM, "ed25519-sha256", &a) &&
						  a == DKMOD_ALG_ED25519_SHA256);
	CHECK("DomainKeys: rsa-sha256 refused", !dkmod_parse_algorithm(DKMOD_METHOD_DOMAINKEYS, "rsa-sha256", &a));
	CHECK("domain example.com", dkmod_valid_domain("example.com"));
	CHECK("domain with a space", !dkmod_valid_domain("exa mple.com"));
	CHECK("domain with an empty label", !dkmod_valid_domain("a..b"));
	CHECK("within: equal", conf_domain_within("Example.com", "example.COM"));
	CHECK("within: parent", conf_domain_within("mail.example.com", "example.com"));
	CHECK("within: not a suffix label", !conf_domain_within("badexample.com", "example.com"));
	CHECK("field name X-Test", conf_valid_field_name("X-Test", 6));
	CHECK("field name with ':'", !conf_valid_field_name("X:", 2));
	CHECK("field name with a space", !conf_valid_field_name("X Y", 3));
	CHECK("field name with 8-bit", !conf_valid_field_name("X\xc3\x89", 3));
}

/* test_conf - a configuration read into struct conf, and errors with lines */
static void test_conf(void)
{
	char key[600];
	snprintf(key, sizeof key, "%s/k.key", unit_dir);
	unit_write("k.key", "not really a key\n");
	chmod(key, 0600);
	const char *path = unit_write("good.conf",
		"dkim_sign \"a\" {\n"
		"  key = \"%{s}.key\", canon = \"relaxed/simple\", sign_condition = \"auth_user\",\n"
		"  dkim_domain \"Example.com\" { selector = \"k\", headers = { \"from\", \"subject\" } },\n"
		"  dkim_domain \"mail.example.org\" { selector = \"j\", base_domain = \"example.org\", expire = 60 },\n"
		"}\n"
		"dk_validate \"v\" { check_policies = false }\n"
		"resolver { forward = \"127.0.0.1@5300\", timeout = 1.5, stub = { [\"z.example\"] = \"127.0.0.1\" } }\n"
		"keycache { size = 10, ttl = 60, signing_keys = 50 }\n"
		"authserv_id \"mx.example\"\n"
		"dmarc { enable = false }\n");
	struct conf_errors errs = {0};
	struct conf *c = conf_load(path, true, &errs);
	/* config-check decides on key files as the signer does: k.key is no key, j.key is missing */
	CHECK("config-check: the key that is no key is an error", !c && errs.count == 2 &&
		  strstr(errs.lines[0], "good.conf:3: ") && strstr(errs.lines[0], "k.key: not a PEM private key"));
	CHECK("config-check: the missing key is an error", !c && errs.count == 2 && strstr(errs.lines[1], "good.conf:4: ") &&
							       strstr(errs.lines[1], "j.key"));
	conf_errors_free(&errs);
	c = conf_load(path, false, &errs);
	CHECK_INT("good configuration: no errors", errs.count, 0);
	for (size_t i = 0; i < errs.count; i++)
		printf("# %s\n", errs.lines[i]);
	if (c) {
		CHECK_INT("one signer", c->nsigners, 1);
		CHECK_INT("two domains", c->signers[0].ndomains, 2);
		CHECK_INT("condition auth_user", c->signers[0].condition, CONF_SIGN_AUTH_USER);
		const struct conf_domain *d = &c->signers[0].domains[0];
		CHECK_STR("domain lower-cased", d->domain, "example.com");
		CHECK_STR("headers joined", d->req.headers, "from:subject");
		CHECK_INT("body canon inherited", d->req.body_canon, DKMOD_CANON_SIMPLE);
		CHECK_STR("base_domain is d=", c->signers[0].domains[1].req.domain, "example.org");
		CHECK_INT("expire", c->signers[0].domains[1].req.expire, 60);
		CHECK("verify on", c->verify);
		CHECK("check_policies off", !c->opt.check_policies);
		CHECK("dmarc { enable = false }: DMARC off, SPF on by default", !c->opt.check_dmarc && c->opt.check_spf);
		CHECK_INT("timeout in ms", c->opt.resolver.timeout_ms, 1500);
		CHECK_STR("forwarder", c->opt.resolver.forwarders[0], "127.0.0.1@5300");
		CHECK_STR("stub", c->opt.resolver.stubs[0], "z.example=127.0.0.1");
		CHECK_INT("cache size", c->opt.cache.size, 10);
		CHECK_INT("signing keys kept", c->opt.signing_keys, 50);
		CHECK_STR("authserv_id", c->opt.authserv_id, "mx.example");
		struct conf_request r[4];
		struct unit_said said = {0};
		struct conf_who who = {.dkim_domain = "example.com", .dk_domain = "example.com"};
		CHECK_INT("requests without auth_user", conf_requests(c, &who, r, 4, unit_say, &said, DKMOD_LOG_DEBUG), 0);
		who.auth_user = true;
		who.dkim_domain = "EXAMPLE.com";
		CHECK_INT("requests with auth_user", conf_requests(c, &who, r, 4, unit_say, &said, DKMOD_LOG_DEBUG), 1);
		CHECK_STR("request key expanded", r[0].req.key_file, key);
		who.auth_user = false;
		who.any_condition = true;
		CHECK_INT("requests ignoring conditions", conf_requests(c, &who, r, 4, NULL, NULL, DKMOD_LOG_DEBUG), 1);
		who = (struct conf_who){.dkim_domain = "mail.example.org", .auth_user = true};
		CHECK_INT("missing key skipped", conf_requests(c, &who, r, 4, unit_say, &said, DKMOD_LOG_DEBUG), 0);
		CHECK("missing key named", strstr(said.text, "j.key") != NULL);
	}
	conf_free(c);
	conf_errors_free(&errs);
	path = unit_write("spf.conf", "spf { enable = false }\n");
	c = conf_load(path, false, &errs);
	CHECK("spf { enable = false }: SPF off, DMARC on by default", c && !c->opt.check_spf && c->opt.check_dmarc);
	conf_free(c);
	conf_errors_free(&errs);
	path = unit_write("spf2.conf", "spf { enable = false }\nspf { enable = true }\ndmarc { enable = 1 }\n");
	c = conf_load(path, false, &errs);
	CHECK("spf twice and a dmarc enable that is no boolean: errors at lines 2 and 3", !c && errs.count == 2 &&
		  strstr(errs.lines[0], "spf2.conf:2: ") && strstr(errs.lines[1], "spf2.conf:3: "));
	conf_errors_free(&errs);
	path = unit_write("bad.conf", "dkim_sign \"a\" {\n  key = \"%{x}\",\n\n  frob = 1,\n}\nkeycache { size = \"x\" }\n");
	c = conf_load(path, true, &errs);
	CHECK("bad configuration refused", c == NULL);
	CHECK_INT("three errors", errs.count, 3);
	if (errs.count == 3) {
		CHECK("error 1 at line 2", strstr(errs.lines[0], "bad.conf:2: ") != NULL);
		CHECK("error 2 at line 4", strstr(errs.lines[1], "bad.conf:4: ") && strstr(errs.lines[1], "'frob'"));
		CHECK("error 3 at line 6", strstr(errs.lines[2], "bad.conf:6: ") != NULL);
	}
	conf_errors_free(&errs);
	c = conf_load("/nonexistent/dkmod.conf", false, &errs);
	CHECK("absent file", !c && errs.count == 1);
	conf_errors_free(&errs);
}

struct unit_log {
	char last[1024];
	int lines;
	long counted;
};

/* unit_log_fn - keep the last log line */
static void unit_log_fn(void *arg, enum dkmod_log_level level, const char *msg)
{
	struct unit_log *l = arg;
	(void)level;
	snprintf(l->last, sizeof l->last, "%s", msg);
	l->lines++;
}

/* unit_count_fn - add up counters */
static void unit_count_fn(void *arg, const char *name, long n)
{
	struct unit_log *l = arg;
	(void)name;
	l->counted += n;
}

/* unit_policy - a policy state for a script text */
static struct policy *unit_policy(const char *text, struct unit_log *log, unsigned ms, size_t memory)
{
	struct policy_options o = {.path = unit_write("p.lua", text), .time_ms = ms, .memory = memory,
				   .log = unit_log_fn, .log_arg = log, .count = unit_count_fn, .count_arg = log};
	char err[600];
	struct policy *p = policy_new(&o, err, sizeof err);
	if (!p)
		printf("# %s\n", err);
	return p;
}

/* test_policy - hooks, results and the sandbox */
static void test_policy(void)
{
	struct unit_log log = {.lines = 0};
	static const struct policy_header hdrs[] = {{"From", "a@example.com"}, {"Subject", "first"}, {"subject", "second"}};
	const char *rcpts[] = {"b@example.net"};
	struct policy_msg m = {.mail_from = "a@example.com", .rcpts = rcpts, .nrcpts = 1, .client_ip = "192.0.2.1",
			       .headers = hdrs, .nheaders = 3, .sender = "a@example.com", .sender_domain = "example.com",
			       .author = "a@example.com", .author_domain = "example.com"};
	struct policy *p = unit_policy(
		"local kept\n"
		"function verify(msg)\n"
		"  local s = msg:header('Subject', tonumber(msg:header('X-N') or 1))\n"
		"  if msg.client_ip ~= '192.0.2.1' or msg.recipients[1] ~= 'b@example.net' then return 'tempfail' end\n"
		"  if msg:header('subject', -1) ~= 'second' or #msg:headers('SUBJECT') ~= 2 then return 'tempfail' end\n"
		"  msg:add_header('X-Subject', s)\n"
		"  if not msg:add_header('Bad:', 'x') then msg:count('refused') end\n"
		"  if msg:dk_policy() ~= nil or #msg.signatures ~= 0 then return 'tempfail' end\n"
		"  if s == 'first' then return 'reject', 'go away' end\n"
		"  return 'accept'\n"
		"end\n"
		"function sign(msg)\n"
		"  if kept then return kept.sender end\n"
		"  kept = msg\n"
		"  return { { domain = 'example.com', selector = 's', key = '/k/%{d}/%{s}.key', headers = { 'from', 'to' },\n"
		"             oversign_headers = { 'subject', 'x-campaign' } },\n"
		"           { type = 'domainkeys', selector = 'dk', key = 'k', canon = 'simple' } }\n"
		"end\n",
		&log, 100, 32u << 20);
	CHECK("script loads", p != NULL);
	if (!p)
		return;
	CHECK("has verify", policy_has_hook(p, "verify"));
	CHECK("has sign", policy_has_hook(p, "sign"));
	struct policy_out out = {0};
	CHECK_INT("verify runs", policy_verify(p, &m, &out), POLICY_OK);
	CHECK_INT("action reject", out.action, POLICY_REJECT);
	CHECK_STR("reply as given", out.reply, "go away");
	CHECK_INT("one field added", out.nfields, 1);
	if (out.nfields)
		CHECK_STR("field value", out.fields[0].value, "first");
	CHECK_INT("refused header counted", log.counted, 1);
	CHECK("refused header logged", strstr(log.last, "add_header('Bad:') refused") != NULL);
	CHECK_INT("sign runs", policy_sign(p, &m, &out), POLICY_OK);
	CHECK_INT("two requests", out.nreqs, 2);
	if (out.nreqs == 2) {
		CHECK_STR("request 1 key expanded", out.reqs[0].req.key_file, "/k/example.com/s.key");
		CHECK_STR("request 1 headers", out.reqs[0].req.headers, "from:to");
		CHECK_STR("request 1 oversign_headers", out.reqs[0].req.oversign_headers, "subject:x-campaign");
		CHECK("request 2: the recommended list", out.reqs[1].req.oversign && !out.reqs[1].req.oversign_headers);
		CHECK_INT("request 2 DomainKeys", out.reqs[1].req.method, DKMOD_METHOD_DOMAINKEYS);
		CHECK_STR("request 2 defaults to the sender's domain", out.reqs[1].req.domain, "example.com");
		CHECK_INT("request 2 rsa-sha1", out.reqs[1].req.algorithm, DKMOD_ALG_RSA_SHA1);
	}
	CHECK_INT("a kept msg is dead", policy_sign(p, &m, &out), POLICY_FAILED);
	CHECK("a kept msg: why", strstr(out.why, "hook call that has returned") != NULL);
	policy_out_free(&out);
	policy_free(p);

	p = unit_policy("function sign(msg)\n return { { domain = 'example.com', selector = 's', key = 'k',\n"
			"   oversign_headers = 'subject:x bad' } }\nend\n", &log, 100, 32u << 20);
	memset(&out, 0, sizeof out);
	CHECK_INT("a bad oversign_headers: the hook fails", p ? (int)policy_sign(p, &m, &out) : -1, POLICY_FAILED);
	CHECK("a bad oversign_headers: why", strstr(out.why, "oversign_headers: 'subject:x bad' is not a field name"));
	policy_out_free(&out);
	policy_free(p);

	static const struct {
		const char *body;
		const char *why;
	} bad[] = {
		{"io.write('x')", "global 'io'"},
		{"os.exit(1)", "global 'os'"},
		{"require('ffi')", "global 'require'"},
		{"loadstring('x=1')()", "global 'loadstring'"},
		{"string.dump(verify)", "field 'dump'"},
		{"getfenv(1)", "global 'getfenv'"},
		{"debug.sethook()", "global 'debug'"},
		{"rawset(_G, 'a', 1)", "global 'rawset'"},
		{"newglobal = 1", "assignment to global 'newglobal'"},
		{"while true do end", "time limit of 50 ms exceeded"},
		{"local t = {} while true do t[#t + 1] = ('x'):rep(4096) .. #t end", "memory limit of 4 MB exceeded"},
		{"return 1", "verify returned a number, not an action"},
		{"return 'accept', 'x\\ny'", "bad reply"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char text[512], name[128];
		snprintf(text, sizeof text, "function verify(msg)\n do %s end\n return 'accept'\nend\n", bad[i].body);
		snprintf(name, sizeof name, "sandbox: %s", bad[i].body);
		p = unit_policy(text, &log, 50, 4u << 20);
		memset(&out, 0, sizeof out);
		CHECK_INT(name, p ? (int)policy_verify(p, &m, &out) : -1, POLICY_FAILED);
		if (!strstr(out.why, bad[i].why))
			printf("# why: %s\n", out.why);
		CHECK(name, strstr(out.why, bad[i].why) != NULL);
		policy_out_free(&out);
		policy_free(p);
	}
	/* after a budget stop the state is rebuilt and works again */
	p = unit_policy("function verify(msg)\n if msg.client_ip then while true do end end\n return 'accept'\nend\n",
			&log, 30, 8u << 20);
	memset(&out, 0, sizeof out);
	CHECK_INT("stopped call", p ? (int)policy_verify(p, &m, &out) : -1, POLICY_FAILED);
	struct policy_msg m2 = m;
	m2.client_ip = NULL;
	CHECK_INT("next call after the reload", p ? (int)policy_verify(p, &m2, &out) : -1, POLICY_OK);
	CHECK_INT("next call: accept", out.action, POLICY_ACCEPT);
	CHECK("reload logged", strstr(log.last, "reloaded") != NULL || log.lines > 0);
	policy_out_free(&out);
	policy_free(p);
	char err[600];
	struct policy_options o = {.path = unit_write("syntax.lua", "function verify(\n"), .time_ms = 50, .memory = 4u << 20};
	CHECK("syntax error refused", policy_new(&o, err, sizeof err) == NULL);
	CHECK("syntax error names the file and line", strstr(err, "syntax.lua:2:") != NULL);
}

/* test_budget - the allocator refuses past its limit; the hook stops a loop, also one
 * that catches the error with pcall */
static void test_budget(void)
{
	struct budget b;
	lua_State *L = budget_state_new(&b, 1u << 20);
	CHECK("a state", L != NULL);
	if (!L)
		return;
	/* x86-64 GC64 builds (Debian's libluajit2) take a custom allocator */
	CHECK("own allocator (GC64 build)", b.own_allocator);
	luaL_openlibs(L);
	/* count hooks run in interpreted code only */
	CHECK("JIT off", luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF));
	CHECK("bytes counted", b.used > 0 && b.used < b.limit);
	budget_arm(L, &b, 1000);
	int rc = luaL_loadstring(L, "local s = string.rep('x', 4 * 1024 * 1024)") || lua_pcall(L, 0, 0, 0);
	budget_disarm(L, &b);
	CHECK("4 MB refused under a 1 MB limit", rc != 0 && b.mem_exceeded && !b.time_exceeded);
	lua_settop(L, 0);
	lua_gc(L, LUA_GCCOLLECT, 0);
	CHECK("memory given back", b.used < b.limit / 2);
	budget_arm(L, &b, 30);
	rc = luaL_loadstring(L, "while true do pcall(function() while true do end end) end") || lua_pcall(L, 0, 0, 0);
	budget_disarm(L, &b);
	char why[100];
	CHECK("a loop in pcall is stopped", rc != 0 && b.time_exceeded);
	CHECK_STR("why", budget_why(&b, why, sizeof why), "time limit of 30 ms exceeded");
	lua_close(L);
}

int main(void)
{
	if (!mkdtemp(unit_dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_budget();
	test_templates();
	test_names();
	test_conf();
	test_policy();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", unit_dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", unit_dir);
	return unit_done();
}
