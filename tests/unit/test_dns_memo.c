/*
 * test_dns_memo.c - the resolver's memo of recent answers (core/dns/dns_memo.c):
 * kept for the TTL and no longer, negative answers without a TTL for a short
 * while, failures and bogus answers never, a held answer outliving its slot.
 */
#include <string.h>

#include "dns/dns_memo.h"
#include "unit.h"

/* test_answer - a result of rcode with the given records and TTL */
static struct dns_result test_answer(enum dns_rcode rcode, const char *const *records, const size_t *lengths,
				     size_t count, unsigned ttl)
{
	return (struct dns_result){.rcode = rcode, .dnssec = DKMOD_DNSSEC_INSECURE, .records = records,
				   .lengths = lengths, .count = count, .ttl = ttl, .why = ""};
}

/* main - put and get through expiry, kinds of answers and slot reuse */
int main(void)
{
	struct dns_memo *m = dns_memo_new();
	CHECK("a memo", m != NULL);
	const char *recs[2] = {"v=DMARC1; p=reject", "second\0with a NUL"};
	size_t lens[2] = {18, 17};
	struct dns_result r = test_answer(DNS_ANSWER, recs, lens, 2, 300), got;

	CHECK("nothing before a put", dns_memo_get(m, "_dmarc.example.com", DNS_TYPE_TXT, 1000) == NULL);
	dns_memo_put(m, "_dmarc.example.com", DNS_TYPE_TXT, &r, 1000);
	struct dns_memo_entry *e = dns_memo_get(m, "_DMARC.Example.COM", DNS_TYPE_TXT, 2000);
	CHECK("an answer is found again (names compare without case)", e != NULL);
	if (e) {
		dns_memo_result(e, 2000, &got);
		CHECK_INT("its rcode", got.rcode, DNS_ANSWER);
		CHECK_INT("its records", got.count, 2);
		CHECK_MEM("the first record", got.records[0], got.lengths[0], recs[0], lens[0]);
		CHECK_MEM("the second, NUL and all", got.records[1], got.lengths[1], recs[1], lens[1]);
		CHECK_INT("the TTL is what is left of it", got.ttl, 299);
		/* a parsed form kept with the answer: the next message asking takes it */
		CHECK("no parsed form at first", dns_result_parsed(&got, DNS_PARSED_DMARC) == NULL);
		int parsed = 42;
		dns_result_keep_parsed(&got, DNS_PARSED_DMARC, &parsed, sizeof parsed);
		parsed = 0;
		dns_memo_drop(e);
	}
	if ((e = dns_memo_get(m, "_dmarc.example.com", DNS_TYPE_TXT, 3000)) != NULL) {
		dns_memo_result(e, 3000, &got);
		const int *kept = dns_result_parsed(&got, DNS_PARSED_DMARC);
		CHECK("the parsed form is kept with the answer (a copy)", kept && *kept == 42);
		CHECK("not as another kind", dns_result_parsed(&got, DNS_PARSED_NONE) == NULL);
		dns_memo_drop(e);
	} else {
		CHECK("the answer is found a second time", false);
	}
	struct dns_result fresh = test_answer(DNS_ANSWER, recs, lens, 2, 300);
	CHECK("an answer not from the memo has none", dns_result_parsed(&fresh, DNS_PARSED_DMARC) == NULL);
	CHECK("not for another type", dns_memo_get(m, "_dmarc.example.com", DNS_TYPE_MX, 2000) == NULL);
	CHECK("gone once the TTL ran out", dns_memo_get(m, "_dmarc.example.com", DNS_TYPE_TXT, 301000) == NULL);

	struct dns_result nx = test_answer(DNS_NXDOMAIN, NULL, NULL, 0, 0);
	dns_memo_put(m, "_dmarc.com", DNS_TYPE_TXT, &nx, 0);
	e = dns_memo_get(m, "_dmarc.com", DNS_TYPE_TXT, (DNS_MEMO_NEGATIVE_TTL - 1) * 1000LL);
	CHECK("NXDOMAIN without a TTL is kept for a while", e != NULL);
	dns_memo_drop(e);
	CHECK("and not longer", dns_memo_get(m, "_dmarc.com", DNS_TYPE_TXT, DNS_MEMO_NEGATIVE_TTL * 1000LL) == NULL);
	struct dns_result zero = test_answer(DNS_ANSWER, recs, lens, 1, 0);
	dns_memo_put(m, "zero.example.com", DNS_TYPE_TXT, &zero, 0);
	CHECK("an answer of TTL 0 is not kept", dns_memo_get(m, "zero.example.com", DNS_TYPE_TXT, 0) == NULL);
	struct dns_result fail = test_answer(DNS_SERVFAIL, NULL, NULL, 0, 300);
	dns_memo_put(m, "fail.example.com", DNS_TYPE_TXT, &fail, 0);
	CHECK("a failure is not kept", dns_memo_get(m, "fail.example.com", DNS_TYPE_TXT, 0) == NULL);
	struct dns_result bogus = r;
	bogus.dnssec = DKMOD_DNSSEC_BOGUS;
	dns_memo_put(m, "bogus.example.com", DNS_TYPE_TXT, &bogus, 0);
	CHECK("a bogus answer is not kept", dns_memo_get(m, "bogus.example.com", DNS_TYPE_TXT, 0) == NULL);

	/* a held answer survives a new answer for its name and the memo itself */
	dns_memo_put(m, "held.example.com", DNS_TYPE_TXT, &r, 0);
	e = dns_memo_get(m, "held.example.com", DNS_TYPE_TXT, 0);
	struct dns_result other = test_answer(DNS_ANSWER, recs + 1, lens + 1, 1, 60);
	dns_memo_put(m, "held.example.com", DNS_TYPE_TXT, &other, 0);
	struct dns_memo_entry *e2 = dns_memo_get(m, "held.example.com", DNS_TYPE_TXT, 0);
	CHECK("the newer answer replaces the older", e2 != NULL);
	if (e2) {
		dns_memo_result(e2, 0, &got);
		CHECK_MEM("the newer record", got.records[0], got.lengths[0], recs[1], lens[1]);
		dns_memo_drop(e2);
	}
	dns_memo_free(m);
	CHECK("the held one is still readable", e != NULL);
	if (e) {
		dns_memo_result(e, 0, &got);
		CHECK_MEM("its record", got.records[0], got.lengths[0], recs[0], lens[0]);
		dns_memo_drop(e);
	}
	return unit_done();
}
