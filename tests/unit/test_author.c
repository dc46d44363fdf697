/*
 * test_author.c - the engine's author and responsible sender through the public
 * API (core/msg/sender.c): dkmod_session_author, dkmod_session_sender, and
 * dkmod_session_fields_complete, which stores the field write() still holds,
 * so that an adapter can ask before it adds signers; the answers follow the
 * fields as they are stored, and agree with ADSP's author after finish.
 */
#include <stdlib.h>

#include "dkmod.h"
#include "unit.h"

/* test_or - s, or "(none)" for NULL */
static const char *test_or(const char *s)
{
	return s ? s : "(none)";
}

/* test_cases - author and sender of header blocks (written without their blank line) */
static void test_cases(struct dkmod_ctx *ctx)
{
	static const struct {
		const char *name, *head, *author, *author_domain, *sender;
	} cases[] = {
		{"one From", "From: Alice <alice@Example.COM>\r\nSubject: s\r\n", "alice@Example.COM", "Example.COM",
		 "alice@Example.COM"},
		{"From last, folded", "Subject: s\r\nFrom: Bob\r\n <bob@example.org>\r\n", "bob@example.org", "example.org",
		 "bob@example.org"},
		{"empty first From", "From:\r\nFrom: b@example.org\r\n", NULL, NULL, NULL},
		{"group without an address first", "From: undisclosed-recipients:;\r\nFrom: b@example.org\r\n", NULL, NULL,
		 NULL},
		{"no From", "Subject: s\r\n", NULL, NULL, NULL},
		{"Sender without an address", "Sender: evil doer\r\nFrom: c@example.com\r\n", "c@example.com", "example.com",
		 "c@example.com"},
		{"Sender with an address", "From: c@example.com\r\nSender: d@example.net\r\n", "c@example.com", "example.com",
		 "d@example.net"},
		{"bare LF", "From: e@example.com\n", "e@example.com", "example.com", "e@example.com"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct dkmod_session *s = NULL;
		char name[120];
		const char *domain = NULL, *sdomain = NULL;
		if (dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s) != DKMOD_OK) {
			CHECK(cases[i].name, 0);
			continue;
		}
		bool ok = dkmod_session_write(s, cases[i].head, strlen(cases[i].head)) == DKMOD_OK;
		snprintf(name, sizeof name, "%s: fields complete", cases[i].name);
		CHECK(name, ok && dkmod_session_fields_complete(s) == DKMOD_OK);
		snprintf(name, sizeof name, "%s: author", cases[i].name);
		CHECK_STR(name, test_or(dkmod_session_author(s, &domain)), test_or(cases[i].author));
		snprintf(name, sizeof name, "%s: author's domain", cases[i].name);
		CHECK_STR(name, test_or(domain), test_or(cases[i].author_domain));
		snprintf(name, sizeof name, "%s: responsible sender", cases[i].name);
		CHECK_STR(name, test_or(dkmod_session_sender(s, &sdomain)), test_or(cases[i].sender));
		dkmod_session_free(s);
	}
}

/* test_order - the field write() holds is stored by fields_complete; a field stored after an
 * answer changes it; fields_complete after the end of the headers is out of order; ADSP names
 * the same author */
static void test_order(struct dkmod_ctx *ctx)
{
	struct dkmod_session *s = NULL;
	if (dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s) != DKMOD_OK) {
		CHECK("order: session", 0);
		return;
	}
	const char *first = "Subject: s\r\n", *from = "From: f@example.com\r\n";
	dkmod_session_write(s, first, strlen(first));
	dkmod_session_fields_complete(s);
	CHECK("order: no author before the From field", dkmod_session_author(s, NULL) == NULL);
	dkmod_session_write(s, from, strlen(from));
	CHECK("order: write() still holds the last field", dkmod_session_author(s, NULL) == NULL);
	CHECK_INT("order: fields complete", dkmod_session_fields_complete(s), DKMOD_OK);
	CHECK_STR("order: the author once the field is stored", test_or(dkmod_session_author(s, NULL)),
		  "f@example.com");
	CHECK_STR("order: the sender too", test_or(dkmod_session_sender(s, NULL)), "f@example.com");
	CHECK_INT("order: the blank line ends the header", dkmod_session_write(s, "\r\nbody\r\n", 8), DKMOD_OK);
	CHECK_INT("order: fields complete after the end of the headers", dkmod_session_fields_complete(s),
		  DKMOD_ESTATE);
	CHECK_INT("order: finish", dkmod_session_finish(s), DKMOD_OK);
	const struct dkmod_adsp *a = dkmod_session_adsp(s);
	CHECK_STR("order: ADSP's author is the same", a ? a->author : "(no ADSP)", "f@example.com");
	dkmod_session_free(s);
}

int main(void)
{
	char dir[] = "/tmp/test_author.XXXXXX", zone[64];
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	/* answers from local data only: no network */
	snprintf(zone, sizeof zone, "%s/t.zone", dir);
	FILE *f = fopen(zone, "w");
	if (f) {
		fputs("$ORIGIN example.com.\n@ 300 IN SOA ns hostmaster 1 3600 600 86400 300\n@ 300 IN NS ns\n", f);
		fclose(f);
	}
	struct dkmod_options o;
	struct dkmod_ctx *ctx = NULL;
	dkmod_options_init(&o);
	o.authserv_id = "mx.test";
	o.resolver.zone_file = zone;
	o.resolver.timeout_ms = 2000;
	CHECK("context", f && dkmod_ctx_new(&o, &ctx) == DKMOD_OK);
	if (ctx) {
		test_cases(ctx);
		test_order(ctx);
	}
	dkmod_ctx_free(ctx);
	remove(zone);
	remove(dir);
	return unit_done();
}
