/*
 * test_spfkept.c - an SPF record parsed once while the resolver's memo keeps
 * its answer (core/method/spfkept.c): the next message's parse is the kept one,
 * equal to a fresh parse in every field, its specs pointing into its own text;
 * a syntax error kept with its reason; nothing kept for an answer not from the memo.
 */
#include <string.h>

#include "dns/dns_memo.h"
#include "method/spf.h"
#include "unit.h"

/* test_same - rec agrees with want in every field, its specs inside its own text */
static void test_same(const char *what, const struct spfrec *rec, const struct spfrec *want)
{
	CHECK_INT(what, rec->nterms, want->nterms);
	for (size_t i = 0; i < want->nterms && i < rec->nterms; i++) {
		const struct spfrec_term *a = &rec->terms[i], *b = &want->terms[i];
		CHECK("mechanism, qualifier, prefixes and address", a->mech == b->mech && a->qualifier == b->qualifier &&
		      a->cidr4 == b->cidr4 && a->cidr6 == b->cidr6 && !memcmp(a->addr, b->addr, sizeof a->addr));
		CHECK("a spec where the fresh parse has one", !a->spec == !b->spec);
		if (a->spec && b->spec) {
			CHECK_STR("the spec", a->spec, b->spec);
			CHECK("the spec inside the record's own text", a->spec > rec->text && a->spec < rec->text + sizeof rec->text);
		}
	}
	CHECK_STR("redirect=", rec->redirect ? rec->redirect : "(none)", want->redirect ? want->redirect : "(none)");
	CHECK_STR("exp=", rec->exp ? rec->exp : "(none)", want->exp ? want->exp : "(none)");
	CHECK("exp= inside the record's own text", !rec->exp || (rec->exp > rec->text && rec->exp < rec->text + sizeof rec->text));
}

static struct spfrec fresh, first, second, badrec;

/* main - parse through the memo twice, a bad record, an answer from outside the memo */
int main(void)
{
	struct dns_memo *m = dns_memo_new();
	const char *txt = "v=spf1 ip4:192.0.2.0/24 -mx:%{d}.example/28 ~include:_spf.example.net ip6:2001:db8::/32 "
			  "?a exp=explain.%{d} redirect=other.example";
	const char *recs[2] = {"not spf", txt};
	size_t lens[2] = {7, strlen(txt)};
	struct dns_result r = {.rcode = DNS_ANSWER, .records = recs, .lengths = lens, .count = 2, .ttl = 300, .why = ""};
	struct dns_result got;
	const char *why = NULL;

	CHECK("the record parses", spfrec_parse(txt, lens[1], &fresh, &why));
	dns_memo_put(m, "example.com", DNS_TYPE_TXT, &r, 0);
	struct dns_memo_entry *e = dns_memo_get(m, "example.com", DNS_TYPE_TXT, 0);
	dns_memo_result(e, 0, &got);
	CHECK("nothing kept before the first parse", dns_result_parsed(&got, DNS_PARSED_SPF) == NULL);
	CHECK("the first message parses", spfkept_parse(&got, 1, &first, &why));
	test_same("the first parse", &first, &fresh);
	CHECK("the parse is kept with the memo's answer", dns_result_parsed(&got, DNS_PARSED_SPF) != NULL);
	dns_memo_drop(e);

	e = dns_memo_get(m, "example.com", DNS_TYPE_TXT, 1000);
	dns_memo_result(e, 1000, &got);
	memset(&second, 0x5a, sizeof second);
	CHECK("the next message takes the kept parse", spfkept_parse(&got, 1, &second, &why));
	test_same("the kept parse", &second, &fresh);
	CHECK("not as a DMARC parse", dns_result_parsed(&got, DNS_PARSED_DMARC) == NULL);
	dns_memo_drop(e);

	/* a syntax error is kept with its reason */
	const char *bad[1] = {"v=spf1 ip4:192.0.2.300 -all"};
	size_t badlen[1] = {strlen(bad[0])};
	struct dns_result rb = {.rcode = DNS_ANSWER, .records = bad, .lengths = badlen, .count = 1, .ttl = 300, .why = ""};
	const char *want_why = NULL;
	CHECK("the bad record fails", !spfrec_parse(bad[0], badlen[0], &badrec, &want_why));
	dns_memo_put(m, "bad.example", DNS_TYPE_TXT, &rb, 0);
	for (int round = 0; round < 2; round++) {
		e = dns_memo_get(m, "bad.example", DNS_TYPE_TXT, 0);
		dns_memo_result(e, 0, &got);
		why = NULL;
		CHECK(round ? "a kept syntax error fails again" : "a syntax error fails", !spfkept_parse(&got, 0, &second, &why));
		CHECK_STR("with the parser's reason", why ? why : "(none)", want_why);
		CHECK("the error is kept", dns_result_parsed(&got, DNS_PARSED_SPF) != NULL);
		dns_memo_drop(e);
	}

	/* an answer from outside the memo is parsed, nothing kept */
	CHECK("an answer not from the memo parses", spfkept_parse(&r, 1, &first, &why));
	test_same("its parse", &first, &fresh);
	dns_memo_free(m);
	return unit_done();
}
