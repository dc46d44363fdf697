/*
 * test_session_trust.c - results from trusted upstream Authentication-Results
 * fields (session_trust.c) and the Received-SPF field (received_spf.c)
 * through the public API, on a zone file served as local data: the topmost
 * trusted field gives SPF, no SPF query is made, DMARC uses it; the same id
 * below an untrusted A-R field, below a Received field from outside, lower
 * than its topmost field, malformed, or naming another sender is not used;
 * an upstream dkim=pass counts for DMARC only where the engine has no verdict
 * of its own; Received-SPF with its key-value pairs, and the client's HELO
 * and MAIL FROM unable to break out of it.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "session_fixture.h"

static const char *const trusted[] = {"mx1.example.net", "filter.example.net", NULL};

/* One verified message and what came out. */
struct test_out {
	enum dkmod_status st;
	struct dkmod_spf_answer spf;
	bool spf_known;
	char trusted_id[64];
	enum dkmod_dmarc_result dmarc;
	bool dkim_aligned, spf_aligned;
	char ar[2048];
	char rendered[4096];
	char unfolded[4096];       /* rendered with the line ends of folds taken out */
};

/* test_unfold - text without the line ends that a blank follows (RFC 5322 unfolding), tabs as
 * spaces */
static void test_unfold(const char *text, char *out, size_t size)
{
	size_t n = 0;
	for (const char *p = text; *p && n + 1 < size; p++) {
		if (p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t')) {
			p++;
			continue;
		}
		out[n++] = *p == '\t' ? ' ' : *p;
	}
	out[n] = '\0';
}

/* test_ctx - a context on the test zone with the trusted ids (NULL: none) */
static struct dkmod_ctx *test_ctx(const char *const *ids, bool received_spf, const char *const *stubs, bool dmarc)
{
	struct dkmod_options o;
	dkmod_options_init(&o);
	o.authserv_id = "mx.test.example";
	o.fixed_now = now;
	o.resolver.zone_file = zone_path;
	o.resolver.stubs = stubs;
	o.resolver.timeout_ms = stubs ? 400 : 2000;
	o.check_policies = false;
	o.check_dmarc = dmarc;
	o.trusted_authserv_ids = ids;
	o.received_spf = received_spf;
	struct dkmod_ctx *ctx = NULL;
	return dkmod_ctx_new(&o, &ctx) == DKMOD_OK ? ctx : NULL;
}

/* test_run - verify top + body with the envelope (ip NULL: none given) */
static void test_run(struct dkmod_ctx *ctx, const char *ip, const char *helo, const char *mail_from, const char *top,
		     const char *msg, struct test_out *o)
{
	struct dkmod_session *s = NULL;
	char text[3000];
	memset(o, 0, sizeof *o);
	snprintf(text, sizeof text, "%s%s", top, msg);
	if (!ctx || (o->st = dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s)) != DKMOD_OK)
		return;
	if (ip || helo || mail_from)
		o->st = dkmod_session_envelope(s, ip, helo, mail_from);
	if (o->st == DKMOD_OK)
		o->st = feed(s, text, 5);
	if (o->st == DKMOD_OK) {
		o->spf_known = dkmod_session_spf(s, &o->spf);
		snprintf(o->trusted_id, sizeof o->trusted_id, "%s", o->spf.trusted ? o->spf.trusted : "(null)");
		const struct dkmod_dmarc *d = dkmod_session_dmarc(s);
		if (d)
			o->dmarc = d->result, o->dkim_aligned = d->dkim_aligned, o->spf_aligned = d->spf_aligned;
		struct str r = STR_INIT;
		render(s, text, &r);
		snprintf(o->rendered, sizeof o->rendered, "%s", str_cstr(&r));
		test_unfold(o->rendered, o->unfolded, sizeof o->unfolded);
		test_unfold(dkmod_session_ar_value(s) ? dkmod_session_ar_value(s) : "", o->ar, sizeof o->ar);
		str_free(&r);
	}
	o->spf.identity = o->spf.domain = o->spf.reason = o->spf.explanation = o->spf.trusted = "";
	dkmod_session_free(s);
}

#define MSG "From: Ann <ann@example.com>\r\nTo: bob@example.net\r\nSubject: hi\r\n\r\nHello.\r\n"
#define RCVD "Received: from evil.example (evil.example [198.51.100.7])\r\n\tby mx1.example.net with ESMTP; now\r\n"
#define TRUSTED_PASS "Authentication-Results: mx1.example.net; spf=pass smtp.mailfrom=bounce@example.com\r\n"
#define FORGED_PASS "Authentication-Results: mx1.example.net; spf=pass smtp.mailfrom=bounce@example.com\r\n"

/* test_taken - the topmost trusted field gives SPF: a pass the engine would have failed */
static void test_taken(struct dkmod_ctx *ctx)
{
	struct test_out o;
	test_run(ctx, "198.51.100.7", "evil.example", "bounce@example.com", TRUSTED_PASS RCVD, MSG, &o);
	CHECK_INT("taken: session ok", o.st, DKMOD_OK);
	CHECK("taken: spf pass from the trusted id", o.spf_known && o.spf.result == DKMOD_SPF_PASS &&
							    !strcmp(o.trusted_id, "mx1.example.net"));
	CHECK("taken: DMARC passes by the trusted SPF result", o.dmarc == DKMOD_DMARC_PASS && o.spf_aligned);
	CHECK("taken: our A-R says where the result came from",
	      strstr(o.ar, " spf=pass (from trusted mx1.example.net) smtp.mailfrom=bounce@example.com;") != NULL);
	test_run(ctx, NULL, NULL, NULL, "Received: from a by filter.example.net; now\r\n" TRUSTED_PASS RCVD, MSG, &o);
	CHECK("taken: without an envelope, below a Received inside the site",
	      o.spf.result == DKMOD_SPF_PASS && !strcmp(o.trusted_id, "mx1.example.net") && o.dmarc == DKMOD_DMARC_PASS);
	test_run(ctx, "198.51.100.7", "evil.example", "bounce@example.com",
		 "Authentication-Results: filter.example.net; dkim=none\r\n" TRUSTED_PASS RCVD, MSG, &o);
	CHECK("taken: below another trusted id's field", o.spf.result == DKMOD_SPF_PASS);
	test_run(ctx, NULL, NULL, NULL, "Authentication-Results: mx1.example.net; spf=pass smtp.mailfrom=\"a@b\x01.example\"\r\n",
		 MSG, &o);
	CHECK("not taken: an smtp.mailfrom with a control byte (no envelope: no SPF)",
	      !o.spf_known && o.spf.result == DKMOD_SPF_NONE && !strstr(o.ar, "spf="));
	test_run(ctx, NULL, NULL, NULL, "Authentication-Results: mx1.example.net; spf=pass smtp.mailfrom=a@b..example\r\n",
		 MSG, &o);
	CHECK("not taken: an smtp.mailfrom whose domain is no name", !o.spf_known && !strstr(o.ar, "spf="));
	test_run(ctx, "198.51.100.7", "evil.example", "bounce@example.com", RCVD, MSG, &o);
	CHECK("no field: checked here, fail", o.spf.result == DKMOD_SPF_FAIL && !strcmp(o.trusted_id, "") &&
						      o.dmarc == DKMOD_DMARC_FAIL && !strstr(o.ar, "trusted"));
}

/* test_ignored - fields of the trusted id that an attacker could have written */
static void test_ignored(struct dkmod_ctx *ctx)
{
	static const struct {
		const char *name, *top;
	} cases[] = {
		{"below an A-R field of an untrusted id",
		 "Authentication-Results: other.example; spf=none\r\n" FORGED_PASS RCVD},
		{"below an A-R field of ours (removed as forged)",
		 "Authentication-Results: mx.test.example; spf=none\r\n" FORGED_PASS RCVD},
		{"below an A-R field whose id does not parse", "Authentication-Results: ; spf=none\r\n" FORGED_PASS RCVD},
		{"below a Received field from outside the site",
		 RCVD "Received: from x by relay.evil.example; now\r\n" FORGED_PASS},
		{"below a Received field that names no host", "Received: from x; now\r\n" FORGED_PASS},
		{"lower than the id's topmost field",
		 "Authentication-Results: mx1.example.net; spf=fail smtp.mailfrom=bounce@example.com\r\n" RCVD FORGED_PASS},
		{"lower than the id's topmost field, which has no spf result",
		 "Authentication-Results: mx1.example.net; dkim=none\r\n" RCVD FORGED_PASS},
		{"malformed topmost field", "Authentication-Results: mx1.example.net; spf=pass smtp.mailfrom\r\n" FORGED_PASS},
		{"another sender than the envelope's",
		 "Authentication-Results: mx1.example.net; spf=pass smtp.mailfrom=x@bounce.example.com\r\n"},
		{"two spf results that disagree",
		 "Authentication-Results: mx1.example.net; spf=pass smtp.mailfrom=bounce@example.com;\r\n"
		 " spf=fail smtp.mailfrom=bounce@example.com\r\n"},
		{"an spf result without an identity", "Authentication-Results: mx1.example.net; spf=pass\r\n"},
		{"an spf result RFC 7208 does not have",
		 "Authentication-Results: mx1.example.net; spf=policy smtp.mailfrom=bounce@example.com\r\n"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct test_out o;
		char name[160];
		test_run(ctx, "198.51.100.7", "evil.example", "bounce@example.com", cases[i].top, MSG, &o);
		snprintf(name, sizeof name, "ignored %s: checked here, spf fail, dmarc fail", cases[i].name);
		bool fail = o.spf.result == DKMOD_SPF_FAIL && !strcmp(o.trusted_id, "") && o.dmarc == DKMOD_DMARC_FAIL;
		if (i == 5) /* the topmost field's own fail is taken */
			fail = o.spf.result == DKMOD_SPF_FAIL && !strcmp(o.trusted_id, "mx1.example.net");
		CHECK(name, o.st == DKMOD_OK && fail);
	}
}

/* test_no_query - with a trusted result no SPF query leaves (a silent server sees none); without,
 * one does */
static void test_no_query(void)
{
	char stub[100];
	int fd = unit_silent_stub("no query", "slow.example", stub, sizeof stub);
	if (fd < 0)
		return;
	const char *stubs[2] = {stub, NULL};
	struct dkmod_ctx *ctx = test_ctx(trusted, false, stubs, false);
	struct test_out o;
	char buf[512];
	test_run(ctx, "192.0.2.9", "mail.slow.example", "a@slow.example",
		 "Authentication-Results: mx1.example.net; spf=softfail smtp.mailfrom=a@slow.example\r\n", MSG, &o);
	CHECK("no query: trusted softfail taken", o.spf.result == DKMOD_SPF_SOFTFAIL);
	CHECK("no query: the server got no query", recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 0);
	test_run(ctx, "192.0.2.9", "mail.slow.example", "a@slow.example",
		 "Authentication-Results: other.example; spf=softfail smtp.mailfrom=a@slow.example\r\n", MSG, &o);
	CHECK("untrusted: checked here, temperror", o.spf.result == DKMOD_SPF_TEMPERROR);
	CHECK("untrusted: the server got the SPF query", recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0);
	dkmod_ctx_free(ctx);
	close(fd);
}

/* test_dkim - an upstream dkim=pass counts for DMARC where the engine has no verdict for its d= */
static void test_dkim(struct dkmod_ctx *ctx)
{
	struct test_out o;
	struct str buf = STR_INIT;
	test_run(ctx, "198.51.100.7", "evil.example", "x@other.example",
		 "Authentication-Results: mx1.example.net; dkim=pass header.d=example.com header.i=@example.com\r\n",
		 MSG, &o);
	CHECK("upstream dkim: DMARC passes by it", o.dmarc == DKMOD_DMARC_PASS && o.dkim_aligned);
	CHECK("upstream dkim: in our A-R",
	      strstr(o.ar, " dkim=pass (from trusted mx1.example.net) header.d=example.com header.i=@example.com;"));
	struct dkmod_sign_request r;
	request(&r, "rsa2048", DKMOD_ALG_RSA_SHA256);
	if (sign(ctx, &r, 1, MSG, &buf)) {
		char *body = strstr(buf.data, "Hello.");
		if (body)
			body[0] = 'J'; /* changed after signing: the engine's verdict is fail */
		test_run(ctx, "198.51.100.7", "evil.example", "x@other.example",
			 "Authentication-Results: mx1.example.net; dkim=pass header.d=example.com\r\n", str_cstr(&buf), &o);
		CHECK("upstream dkim: the engine's own fail stands", o.dmarc == DKMOD_DMARC_FAIL && !o.dkim_aligned &&
									     !strstr(o.ar, "from trusted"));
	}
	str_free(&buf);
}

/* test_received_spf - the field, below our A-R; nothing for a trusted result; the client's words
 * cannot add a line, a field or a key */
static void test_received_spf(void)
{
	struct dkmod_ctx *ctx = test_ctx(trusted, true, NULL, true);
	struct test_out o;
	test_run(ctx, "192.0.2.1", "mail.example.com", "bounce@example.com", "", MSG, &o);
	CHECK("received-spf: below our A-R, above the message",
	      !strncmp(o.unfolded, "Authentication-Results: mx.test.example;", 40) &&
		      strstr(o.unfolded, "\r\nReceived-SPF: pass (mx.test.example: domain of bounce@example.com "
					 "designates 192.0.2.1") &&
		      strstr(o.unfolded, "Received-SPF") < strstr(o.unfolded, "From: Ann"));
	CHECK("received-spf: the key-value pairs",
	      strstr(o.unfolded, "receiver=mx.test.example; client-ip=192.0.2.1;") &&
		      strstr(o.unfolded, "envelope-from=\"bounce@example.com\"; helo=mail.example.com; identity=mailfrom;") &&
		      strstr(o.unfolded, "identity=mailfrom; mechanism=ip4\r\n"));
	test_run(ctx, "192.0.2.1", "mail.example.com", "bounce@example.com", TRUSTED_PASS, MSG, &o);
	CHECK("received-spf: none for a trusted result", !strstr(o.unfolded, "Received-SPF"));
	test_run(ctx, "192.0.2.1", "mail.example.com", "a@perm.example.com", "", MSG, &o);
	CHECK("received-spf: a permerror with its problem, no mechanism",
	      strstr(o.unfolded, "Received-SPF: permerror (mx.test.example: permanent error checking a@perm.example.com)") &&
		      strstr(o.unfolded, "identity=mailfrom; problem=\"") && !strstr(o.unfolded, "mechanism="));
	test_run(ctx, "192.0.2.1", "bounce.example.com", NULL, "", MSG, &o);
	CHECK("received-spf: the HELO identity, no envelope-from when MAIL FROM is not known",
	      strstr(o.unfolded, "Received-SPF: pass (mx.test.example: domain of bounce.example.com designates") &&
		      strstr(o.unfolded, "client-ip=192.0.2.1; helo=bounce.example.com; identity=helo;") &&
		      !strstr(o.unfolded, "envelope-from"));
	test_run(ctx, "192.0.2.1", "bounce.example.com", "", "", MSG, &o);
	CHECK("received-spf: the null sender is envelope-from=\"\"",
	      strstr(o.unfolded, "client-ip=192.0.2.1; envelope-from=\"\"; helo=bounce.example.com; identity=mailfrom;"));
	test_run(ctx, "198.51.100.7", "x)\r\nX-Injected: yes; receiver=evil (", "a\"b\\\"; helo=evil\r\nX-Two: y@example.com",
		 "", MSG, &o);
	const char *f = strstr(o.unfolded, "Received-SPF: fail");
	CHECK("injection: the field is there", f != NULL);
	static const char *const names[] = {"Authentication-Results:", "Received-SPF:", "DomainKey-Status:", "From:",
					    "To:", "Subject:", " ", "\t"};
	bool lines_ok = true; /* every line of the header starts a field we know of or is a fold */
	for (const char *p = o.rendered; *p && strncmp(p, "\r\n", 2) != 0; p = strstr(p, "\r\n") + 2) {
		bool known = false;
		for (size_t i = 0; i < sizeof names / sizeof *names; i++)
			known = known || !strncmp(p, names[i], strlen(names[i]));
		lines_ok = lines_ok && known;
	}
	CHECK("injection: no line of its own for the client's words", lines_ok && !strstr(o.rendered, "\nX-Injected") &&
									   !strstr(o.rendered, "\nX-Two"));
	CHECK("injection: quotes escaped in envelope-from",
	      f && strstr(f, "envelope-from=\"a\\\"b\\\\\\\"; helo=evilX-Two: y@example.com\""));
	CHECK("injection: the HELO, quoted, in helo=", f && strstr(f, "helo=\"x)X-Injected: yes; receiver=evil (\""));
	char long_helo[3001];
	memset(long_helo, 'a', sizeof long_helo - 1);
	long_helo[sizeof long_helo - 1] = '\0';
	test_run(ctx, "198.51.100.7", long_helo, "bounce@example.com", "", MSG, &o);
	char cut[420] = "helo="; /* the first 400 bytes, then the next key */
	memset(cut + 5, 'a', 400);
	strcpy(cut + 405, "; identity=");
	size_t longest = 0;
	for (const char *p = o.rendered; *p;) {
		size_t n = strcspn(p, "\r\n");
		longest = n > longest ? n : longest;
		p += n + strspn(p + n, "\r\n");
	}
	CHECK("a 3000-byte HELO: cut in Received-SPF, no line near 998 bytes",
	      strstr(o.unfolded, cut) && longest < 500);
	test_run(ctx, "198.51.100.7", "h.example", "a)(b\\)@example.com", "", MSG, &o);
	f = strstr(o.unfolded, "Received-SPF: fail (");
	const char *close = f ? strchr(f, ')') : NULL, *end = f ? strstr(f, "as permitted sender)") : NULL;
	CHECK("injection: MAIL FROM cannot close the comment or escape from it",
	      close && end && close == end + 19 && strstr(f, "domain of a??b??@example.com does not"));
	dkmod_ctx_free(ctx);
}

/* test_options - an id that is not a token refuses the context */
static void test_options(void)
{
	const char *const bad[] = {"mx1.example.net", "evil)id", NULL};
	CHECK("options: a trusted id with ')' refused", test_ctx(bad, false, NULL, true) == NULL);
	struct dkmod_options o;
	dkmod_options_init(&o);
	CHECK("options: no trusted ids and no Received-SPF by default", !o.trusted_authserv_ids && !o.received_spf);
}

int main(void)
{
	bool keys;
	if (!fixture_auth_start(&keys))
		return 1;
	str_appends(&zone, "_dmarc IN TXT \"v=DMARC1; p=reject\"\n"
			   "perm IN TXT \"v=spf1 nonsense:x -all\"\n"
			   "$ORIGIN com.\n@ IN SOA ns hostmaster 1 3600 600 86400 60\n"
			   "$ORIGIN example.\n@ IN SOA ns hostmaster 1 3600 600 86400 60\n"
			   "other IN TXT \"v=spf1 -all\"\n");
	fixture_zone();
	struct dkmod_ctx *ctx = test_ctx(trusted, false, NULL, true);
	CHECK("context with trusted ids", ctx != NULL);
	if (ctx) {
		test_taken(ctx);
		test_ignored(ctx);
		if (keys)
			test_dkim(ctx);
	}
	dkmod_ctx_free(ctx);
	test_no_query();
	test_received_spf();
	test_options();
	fixture_end();
	return unit_done();
}
