/*
 * test_verify_guard.c - the guards of issue 15 (second half), through the
 * public API with the demo key and zone (conf/demo.key, conf/demo.zone):
 * rsa-sha1 refused by default, h= lists over the bound refused, the work of a
 * signature's field selection bounded (DKIM and DomainKeys), a bare CR slipped
 * into a signed field breaking relaxed signatures, and the one rule for
 * private key files shared by the signer and dkmod_key_file_check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dkmod.h"
#include "key/keyfile.h"
#include "engine/session.h"
#include "unit.h"

static char dir[64], key[128], zone[128];
static const time_t now = 1764064800; /* 2025-11-25 */

static const char *const message = "From: Alice <alice@example.com>\r\n"
				   "To: Bob <bob@example.net>\r\n"
				   "Subject: Quarterly figures\r\n"
				   "Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n"
				   "\r\n"
				   "Hello Bob.\r\n";

/* new_ctx - a context on the demo zone, rsa-sha1 as asked */
static struct dkmod_ctx *new_ctx(bool allow_sha1)
{
	struct dkmod_options o;
	dkmod_options_init(&o);
	o.authserv_id = "mx.test.example";
	o.fixed_now = now;
	o.resolver.zone_file = zone;
	o.resolver.timeout_ms = 2000;
	if (allow_sha1)
		o.allow_sha1 = true;
	struct dkmod_ctx *ctx = NULL;
	return dkmod_ctx_new(&o, &ctx) == DKMOD_OK ? ctx : NULL;
}

/* sign_as - msg signed as r asks (demo key, domain and selector filled in), the new fields on
 * top, in out */
static bool sign_as(struct dkmod_ctx *ctx, struct dkmod_sign_request r, const char *msg, struct str *out)
{
	struct dkmod_session *s;
	r.domain = "example.com";
	r.selector = "demo";
	r.key_file = key;
	if (dkmod_session_new(ctx, 0, &s) != DKMOD_OK)
		return false;
	bool ok = dkmod_session_add_signer(s, &r) == DKMOD_OK && dkmod_session_write(s, msg, strlen(msg)) == DKMOD_OK &&
		  dkmod_session_finish(s) == DKMOD_OK && dkmod_session_added_count(s) == 1;
	str_clear(out);
	if (ok && (str_appends(out, dkmod_session_added(s, 0)) < 0 || str_appends(out, "\r\n") < 0 ||
		   str_appends(out, msg) < 0))
		ok = false;
	dkmod_session_free(s);
	return ok;
}

/* sign - msg signed with the demo key (DKIM relaxed/relaxed, algorithm alg) */
static bool sign(struct dkmod_ctx *ctx, enum dkmod_algorithm alg, const char *msg, struct str *out)
{
	struct dkmod_sign_request r;
	dkmod_sign_request_init(&r);
	r.algorithm = alg;
	return sign_as(ctx, r, msg, out);
}

/* verify - the results of each method m as "result[/reason];..." in out; the session's field
 * index work in *steps (0 when no index was built) */
static void verify(struct dkmod_ctx *ctx, const char *msg, enum dkmod_method m, struct str *out, size_t *steps)
{
	struct dkmod_session *s;
	str_clear(out);
	if (steps)
		*steps = 0;
	if (dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s) != DKMOD_OK)
		return;
	if (dkmod_session_write(s, msg, strlen(msg)) == DKMOD_OK && dkmod_session_finish(s) == DKMOD_OK) {
		for (size_t i = 0; i < dkmod_session_result_count(s); i++) {
			const struct dkmod_sig_result *r = dkmod_session_result(s, i);
			if (r->method == m)
				str_printf(out, "%s%s%s%s", out->len ? ";" : "", dkmod_result_name(r->result),
					   r->reason[0] ? "/" : "", r->reason);
		}
		if (steps && s->index)
			*steps = fieldindex_steps(s->index);
	} else {
		str_appends(out, "session error");
	}
	dkmod_session_free(s);
}

/* replace - msg with the first from replaced by to, in out; false if from is absent */
static bool replace(const char *msg, const char *from, const char *to, struct str *out)
{
	const char *at = strstr(msg, from);
	str_clear(out);
	if (!at)
		return false;
	str_append(out, msg, (size_t)(at - msg));
	str_appends(out, to);
	str_appends(out, at + strlen(from));
	return true;
}

/* names - n copies of name joined by ':' */
static void names(struct str *out, const char *name, size_t n)
{
	str_clear(out);
	for (size_t i = 0; i < n; i++)
		str_printf(out, "%s%s", i ? ":" : "", name);
}

/* test_sha1 - RFC 8301: rsa-sha1 is refused unless allowed */
static void test_sha1(struct dkmod_ctx *strict, struct dkmod_ctx *lenient)
{
	struct str signed_msg = STR_INIT, out = STR_INIT;
	CHECK("sha1: signed", sign(strict, DKMOD_ALG_RSA_SHA1, message, &signed_msg));
	verify(strict, str_cstr(&signed_msg), DKMOD_METHOD_DKIM, &out, NULL);
	CHECK_STR("sha1: refused by default (policy, with the reason)", str_cstr(&out),
		  "policy/rsa-sha1 is not accepted (RFC 8301; allow_sha1 accepts it)");
	verify(lenient, str_cstr(&signed_msg), DKMOD_METHOD_DKIM, &out, NULL);
	CHECK_STR("sha1: accepted with allow_sha1", str_cstr(&out), "pass");
	CHECK("sha256: signed", sign(strict, DKMOD_ALG_RSA_SHA256, message, &signed_msg));
	verify(strict, str_cstr(&signed_msg), DKMOD_METHOD_DKIM, &out, NULL);
	CHECK_STR("sha256: passes by default", str_cstr(&out), "pass");
	str_free(&signed_msg);
	str_free(&out);
}

/* test_h_bound - an h= of more names than HEADER_MAX_SIGNED is refused, and below it the
 * selection walks each field once, however many names h= repeats */
static void test_h_bound(struct dkmod_ctx *ctx)
{
	struct str signed_msg = STR_INIT, h = STR_INIT, changed = STR_INIT, msg = STR_INIT, out = STR_INIT;
	CHECK("h= bound: signed", sign(ctx, DKMOD_ALG_RSA_SHA256, message, &signed_msg));
	const char *hs = strstr(str_cstr(&signed_msg), "h=");
	const char *he = hs ? strchr(hs, ';') : NULL;
	CHECK("h= bound: the signature has h=", he != NULL);
	if (!he)
		goto out;
	char old_h[512];
	snprintf(old_h, sizeof old_h, "%.*s", (int)(he - hs), hs);

	names(&h, "x-filler", HEADER_MAX_SIGNED);
	str_appends(&h, ":from");
	{
		struct str t = STR_INIT;
		str_printf(&t, "h=%s", str_cstr(&h));
		replace(str_cstr(&signed_msg), old_h, str_cstr(&t), &changed);
		str_free(&t);
	}
	verify(ctx, str_cstr(&changed), DKMOD_METHOD_DKIM, &out, NULL);
	CHECK_STR("h= bound: 257 names give permerror with the reason", str_cstr(&out),
		  "permerror/h= names more than 256 fields");

	/* 255 mentions of one name over 900 fields of that name, and From */
	names(&h, "x-filler", HEADER_MAX_SIGNED - 1);
	{
		struct str t = STR_INIT;
		str_printf(&t, "h=%s:from", str_cstr(&h));
		replace(str_cstr(&signed_msg), old_h, str_cstr(&t), &changed);
		str_free(&t);
	}
	const char *body = strstr(str_cstr(&changed), "\r\n\r\n");
	str_append(&msg, str_cstr(&changed), (size_t)(body - str_cstr(&changed)) + 2);
	const size_t fillers = 900;
	for (size_t i = 0; i < fillers; i++)
		str_printf(&msg, "X-Filler: %zu\r\n", i);
	str_appends(&msg, body + 2);
	size_t steps = 0;
	verify(ctx, str_cstr(&msg), DKMOD_METHOD_DKIM, &out, &steps);
	CHECK_STR("h= bound: 256 names are verified (and fail: h= was changed)", str_cstr(&out),
		  "fail/signature did not verify");
	size_t fields = fillers + 6, bound = 3 * (fields + HEADER_MAX_SIGNED);
	char name[160];
	snprintf(name, sizeof name, "h= bound: DKIM selection work %zu within 3 x (fields + names) = %zu (a walk per name: %zu)",
		 steps, bound, (size_t)(HEADER_MAX_SIGNED - 1) * fillers / 2);
	CHECK(name, steps > 0 && steps <= bound);

	/* DomainKeys: the same shape through h= of a DomainKey-Signature, hashed at end of headers */
	str_clear(&msg);
	names(&h, "x-filler", HEADER_MAX_SIGNED - 1);
	str_printf(&msg, "DomainKey-Signature: a=rsa-sha1; c=nofws; d=example.com; s=demo; h=%s:from; b=dGVzdA==\r\n",
		   str_cstr(&h));
	str_append(&msg, message, (size_t)(strstr(message, "\r\n\r\n") - message) + 2);
	for (size_t i = 0; i < fillers; i++)
		str_printf(&msg, "X-Filler: %zu\r\n", i);
	str_appends(&msg, "\r\nHello Bob.\r\n");
	verify(ctx, str_cstr(&msg), DKMOD_METHOD_DOMAINKEYS, &out, &steps);
	snprintf(name, sizeof name, "h= bound: DomainKeys selection work %zu within %zu", steps, bound);
	CHECK(name, steps > 0 && steps <= bound);
	str_clear(&msg);
	names(&h, "x-filler", HEADER_MAX_SIGNED + 1);
	str_printf(&msg, "DomainKey-Signature: a=rsa-sha1; c=nofws; d=example.com; s=demo; h=%s; b=dGVzdA==\r\n%s",
		   str_cstr(&h), message);
	verify(ctx, str_cstr(&msg), DKMOD_METHOD_DOMAINKEYS, &out, NULL);
	CHECK("h= bound: DomainKeys h= of 257 names is refused with the reason",
	      strstr(str_cstr(&out), "h= names more than 256 fields") != NULL);
out:
	str_free(&signed_msg);
	str_free(&h);
	str_free(&changed);
	str_free(&msg);
	str_free(&out);
}

/* test_signer_caps - our signers never write an h= that verifiers refuse: with 300 Comments fields
 * (RFC 5322 allows many; 300 To fields would rightly fail as a single-instance field signed in part)
 * DKIM lists at most 256 names (and verifies), DomainKeys too */
static void test_signer_caps(struct dkmod_ctx *ctx)
{
	struct str msg = STR_INIT, signed_msg = STR_INIT, out = STR_INIT;
	const char *rest = strchr(message, '\n') + 1; /* the From line first, then 300 Comments fields */
	str_append(&msg, message, (size_t)(rest - message));
	for (int i = 0; i < 300; i++)
		str_printf(&msg, "Comments: c%d\r\n", i);
	str_appends(&msg, rest);
	struct dkmod_sign_request r;
	dkmod_sign_request_init(&r);
	r.headers = "from:subject:comments";
	CHECK("signer caps: DKIM signed", sign_as(ctx, r, str_cstr(&msg), &signed_msg));
	const char *h = strstr(str_cstr(&signed_msg), " h=");
	size_t names = 1;
	for (const char *p = h ? h : ""; *p && *p != ';'; p++)
		names += *p == ':';
	CHECK_INT("signer caps: DKIM h= lists 256 names", names, HEADER_MAX_SIGNED);
	verify(ctx, str_cstr(&signed_msg), DKMOD_METHOD_DKIM, &out, NULL);
	CHECK_STR("signer caps: DKIM verifies", str_cstr(&out), "pass");
	dkmod_sign_request_init(&r);
	r.method = DKMOD_METHOD_DOMAINKEYS;
	r.algorithm = DKMOD_ALG_RSA_SHA1;
	r.header_canon = r.body_canon = DKMOD_CANON_NOFWS;
	r.headers = "from:subject:comments";
	r.domain = NULL;
	CHECK("signer caps: DomainKeys signed", sign_as(ctx, r, str_cstr(&msg), &signed_msg));
	verify(ctx, str_cstr(&signed_msg), DKMOD_METHOD_DOMAINKEYS, &out, NULL);
	CHECK("signer caps: DomainKeys h= is not refused", str_cstr(&out)[0] && !strstr(str_cstr(&out), "h= names"));
	str_free(&msg);
	str_free(&signed_msg);
	str_free(&out);
}

/* test_bare_cr - relaxed canonicalization unfolds line ends only: a CR slipped into a signed
 * value (which a reader may show as a line break) breaks the signature */
static void test_bare_cr(struct dkmod_ctx *ctx)
{
	static const struct {
		const char *name, *from, *to;
	} cases[] = {
		{"a CR before a space", "Subject: Quarterly figures", "Subject: Quarterly\r figures"},
		{"a CR after a space", "Subject: Quarterly figures", "Subject: Quarterly \rfigures"},
		{"a CR at the end of the value", "Subject: Quarterly figures\r\n", "Subject: Quarterly figures\r\r\n"},
		{"a CR between words", "To: Bob <bob@example.net>", "To: Bob\r<bob@example.net>"},
	};
	struct str signed_msg = STR_INIT, changed = STR_INIT, out = STR_INIT;
	CHECK("bare CR: signed", sign(ctx, DKMOD_ALG_RSA_SHA256, message, &signed_msg));
	verify(ctx, str_cstr(&signed_msg), DKMOD_METHOD_DKIM, &out, NULL);
	CHECK_STR("bare CR: the untouched copy passes", str_cstr(&out), "pass");
	char name[160];
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		snprintf(name, sizeof name, "bare CR: %s: inserted", cases[i].name);
		CHECK(name, replace(str_cstr(&signed_msg), cases[i].from, cases[i].to, &changed));
		verify(ctx, str_cstr(&changed), DKMOD_METHOD_DKIM, &out, NULL);
		snprintf(name, sizeof name, "bare CR: %s breaks the signature", cases[i].name);
		CHECK_STR(name, str_cstr(&out), "fail/signature did not verify");
	}
	/* a field folded with CRLF and WSP is still unfolded */
	replace(str_cstr(&signed_msg), "Subject: Quarterly figures", "Subject: Quarterly\r\n\t figures", &changed);
	verify(ctx, str_cstr(&changed), DKMOD_METHOD_DKIM, &out, NULL);
	CHECK_STR("bare CR: refolding with CRLF still passes", str_cstr(&out), "pass");
	/* what a signer signed with the CR in it verifies */
	struct str with_cr = STR_INIT;
	replace(message, "Quarterly figures", "Quarterly\rfigures", &with_cr);
	CHECK("bare CR: a field with a CR signed", sign(ctx, DKMOD_ALG_RSA_SHA256, str_cstr(&with_cr), &signed_msg));
	verify(ctx, str_cstr(&signed_msg), DKMOD_METHOD_DKIM, &out, NULL);
	CHECK_STR("bare CR: signed with the CR, it verifies", str_cstr(&out), "pass");
	replace(str_cstr(&signed_msg), "Quarterly\rfigures", "Quarterlyfigures", &changed);
	verify(ctx, str_cstr(&changed), DKMOD_METHOD_DKIM, &out, NULL);
	CHECK_STR("bare CR: taking it out breaks it", str_cstr(&out), "fail/signature did not verify");
	str_free(&with_cr);
	str_free(&signed_msg);
	str_free(&changed);
	str_free(&out);
}

/* refusal - keyfile_refusal of a regular file of mode and owner */
static const char *refusal(mode_t mode, uid_t uid)
{
	struct stat st;
	memset(&st, 0, sizeof st);
	st.st_mode = S_IFREG | mode;
	st.st_size = 1700;
	st.st_uid = uid;
	return keyfile_refusal(&st);
}

/* test_owner_rule - the owner half of the rule, as a user other than root */
static int test_owner_rule(uid_t me)
{
	int bad = 0;
	bad += refusal(0600, me) != NULL;
	bad += refusal(0640, 0) != NULL;
	const char *why = refusal(0600, me + 1);
	bad += !why || !strstr(why, "chown");
	return bad;
}

/* test_key_rule - one rule for private key files, stated in keyfile.c and applied alike by the
 * signer and by dkmod_key_file_check (config-check, testkey) */
static void test_key_rule(struct dkmod_ctx *ctx)
{
	static const struct {
		mode_t mode;
		const char *fix; /* NULL: accepted */
	} modes[] = {
		{0600, NULL}, {0400, NULL}, {0640, NULL}, {0440, NULL}, {0700, NULL},
		{0644, "chmod"}, {0604, "chmod"}, {0660, "chmod"}, {0620, "chmod"}, {0602, "chmod"}, {0666, "chmod"},
	};
	char name[160], copy[160], cmd[400];
	for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
		/* a file of its own per mode: the signer looks at a file it loaded once a second */
		snprintf(copy, sizeof copy, "%s/copy%zu.key", dir, i);
		snprintf(cmd, sizeof cmd, "cp %s %s", key, copy);
		CHECK("key rule: copy of the demo key", system(cmd) == 0);
		const char *why = refusal(modes[i].mode, geteuid());
		snprintf(name, sizeof name, "key rule: mode %04o %s", (unsigned)modes[i].mode,
			 modes[i].fix ? "refused, with the fix" : "accepted");
		CHECK(name, modes[i].fix ? why && strstr(why, modes[i].fix) : !why);
		chmod(copy, modes[i].mode);
		struct dkmod_sign_request r;
		struct dkmod_session *s = NULL;
		dkmod_sign_request_init(&r);
		r.domain = "example.com";
		r.selector = "demo";
		r.key_file = copy;
		enum dkmod_status signer = dkmod_session_new(ctx, 0, &s) == DKMOD_OK ? dkmod_session_add_signer(s, &r)
										   : DKMOD_ENOMEM;
		dkmod_session_free(s);
		const char *cwhy = "";
		enum dkmod_status check = dkmod_key_file_check(copy, &cwhy);
		snprintf(name, sizeof name, "key rule: mode %04o: signer and key file check agree (%s)",
			 (unsigned)modes[i].mode, modes[i].fix ? "both refuse" : "both accept");
		CHECK(name, modes[i].fix ? signer == DKMOD_EKEY && check == DKMOD_EKEY && strstr(cwhy, "chmod")
					 : signer == DKMOD_OK && check == DKMOD_OK);
	}
	struct stat st;
	memset(&st, 0, sizeof st);
	st.st_mode = S_IFDIR | 0700;
	CHECK("key rule: a directory is refused", keyfile_refusal(&st) != NULL);
	const char *cwhy = "";
	CHECK("key rule: the check refuses what is no key", dkmod_key_file_check(zone, &cwhy) == DKMOD_EKEY);
	/* the rule for a named user, as dkmod doctor --as asks it */
	CHECK("key rule: for user 998, a key of 998 is fine", dkmod_key_file_rule(0100600, 998, 998) == NULL);
	CHECK("key rule: for user 998, a key of root 0640 is fine", dkmod_key_file_rule(0100640, 0, 998) == NULL);
	CHECK("key rule: for user 998, a key of user 1000 is refused",
	      dkmod_key_file_rule(0100600, 1000, 998) && strstr(dkmod_key_file_rule(0100600, 1000, 998), "chown"));
	CHECK("key rule: for user 998, 0644 is refused", dkmod_key_file_rule(0100644, 998, 998) != NULL);
	CHECK("key rule: for root, any owner", dkmod_key_file_rule(0100600, 1000, 0) == NULL);
	/* owners: root and the process's user; root itself accepts any owner */
	if (geteuid() == 0) {
		CHECK("key rule: as root, a key owned by another user is accepted", refusal(0600, 1234) == NULL);
		pid_t pid = fork();
		if (pid == 0)
			_exit(setuid(65534) != 0 ? 99 : test_owner_rule(65534));
		int status = 0;
		waitpid(pid, &status, 0);
		CHECK_INT("key rule: as another user, only root's and one's own keys", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			  0);
	} else {
		CHECK_INT("key rule: only root's and one's own keys", test_owner_rule(geteuid()), 0);
	}
}

int main(void)
{
	const char *top = getenv("DKMOD_TOP") ? getenv("DKMOD_TOP") : ".";
	snprintf(dir, sizeof dir, "%s/dkmod-guard-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	snprintf(key, sizeof key, "%s/demo.key", dir);
	snprintf(zone, sizeof zone, "%s/conf/demo.zone", top);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "install -m 600 %s/conf/demo.key %s", top, key);
	CHECK("demo key installed (mode 600)", system(cmd) == 0);
	struct dkmod_ctx *strict = new_ctx(false), *lenient = new_ctx(true);
	CHECK("contexts on the demo zone", strict && lenient);
	if (strict && lenient) {
		test_sha1(strict, lenient);
		test_h_bound(strict);
		test_bare_cr(strict);
		test_signer_caps(strict);
		test_key_rule(strict);
	}
	dkmod_ctx_free(strict);
	dkmod_ctx_free(lenient);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done();
}
