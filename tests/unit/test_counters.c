/*
 * test_counters.c - the pending counters of a process (core/store/counters.c) and a session's
 * counters (core/engine/session_count.c): names of a family (head GROUP middle TAIL) counted
 * through the memo keep their texts apart (two instances, one buffer reused for another text),
 * share a slot with the same name given whole, survive a flush (also one forced by a full
 * table) and are cut at 255 bytes as before; sessions of two instances of one context count
 * apart in the shared state.
 */
#include "session_fixture.h"
#include "store/counters.h"
#include "store/stats.h"
#include "store/store.h"

static char state[128];

/* Every counter of a store, as "name=value name=value ...". */
struct test_all {
	struct str text;
};

/* test_all_cb - add one counter to the text */
static void test_all_cb(void *arg, const char *name, long long value)
{
	struct test_all *a = arg;
	str_printf(&a->text, "%s%s=%lld", a->text.len ? " " : "", name, value);
}

/* One counter sought through stats_each. */
struct test_value {
	const char *name;
	long long value;
};

/* test_value_cb - note the value of the counter sought */
static void test_value_cb(void *arg, const char *name, long long value)
{
	struct test_value *v = arg;
	if (strcmp(name, v->name) == 0) {
		v->value = value;
	}
}

/* test_value - the value of one counter of st (0 if absent) */
static long long test_value(struct store *st, const char *name)
{
	struct test_value v = {.name = name};
	stats_each(st, test_value_cb, &v);
	return v.value;
}

/* test_reset - forget every counter of st */
static void test_reset(struct store *st)
{
	stats_reset(st, "");
}

/* test_check_all - every counter of st is want */
static void test_check_all(const char *name, struct store *st, const char *want)
{
	struct test_all a = {.text = STR_INIT};
	stats_each(st, test_all_cb, &a);
	CHECK_STR(name, str_cstr(&a.text), want);
	str_free(&a.text);
}

static const struct counters_family test_result = {"x.", ".result."}, test_answers = {"dns.answers.", ""};
static const struct counters_family test_heads[] = {
	{"f0.", "."}, {"f1.", "."}, {"f2.", "."}, {"f3.", "."}, {"f4.", "."}, {"f5.", "."}, {"f6.", "."},
	{"f7.", "."}, {"f8.", "."}, {"f9.", "."}, {"f10.", "."}, {"f11.", "."}, {"f12.", "."}, {"f13.", "."},
	{"f14.", "."}, {"f15.", "."}, {"f16.", "."}, {"f17.", "."}, {"f18.", "."}, {"f19.", "."}, {"f20.", "."},
	{"f21.", "."}, {"f22.", "."}, {"f23.", "."}, {"f24.", "."}, {"f25.", "."}, {"f26.", "."}, {"f27.", "."},
	{"f28.", "."}, {"f29.", "."}, {"f30.", "."}, {"f31.", "."}, {"f32.", "."}, {"f33.", "."}};
static struct counters test_c;

/* test_families - names of a family through the memo */
static void test_families(struct store *st)
{
	struct counters *c = &test_c;
	counters_add_family(c, st, &test_result, "a", "pass", 1);
	counters_add_family(c, st, &test_result, "b", "pass", 2);
	counters_add_family(c, st, &test_result, "a", "pass", 3);
	counters_add_family(c, st, &test_result, "a", "fail", 1);
	counters_add_family(c, st, &test_result, "a2", "pass", 1);
	counters_add_family(c, st, &test_result, "a", "policy", 1);
	counters_add_family(c, st, &test_result, "a", "pass", 1);
	counters_add_family(c, st, &test_result, "a2", "pass", 1);
	counters_add_family(c, st, &test_result, "a", "policy", 1);
	counters_add_family(c, st, &test_answers, "", "nxdomain", 1);
	counters_add_family(c, st, &test_answers, NULL, "nxdomain", 1);
	counters_flush(c, st);
	test_check_all("family: groups and tails apart, one name added up", st,
		       "dns.answers.nxdomain=2 x.a.result.fail=1 x.a.result.pass=5 x.a.result.policy=2 "
		       "x.a2.result.pass=2 x.b.result.pass=2");
	test_reset(st);

	size_t nheads = sizeof test_heads / sizeof *test_heads;
	for (size_t round = 0; round < 2; round++)
		for (size_t i = 0; i < nheads; i++)
			counters_add_family(c, st, &test_heads[i], "g", "t", (long long)i + 1);
	counters_flush(c, st);
	long long heads_ok = 0;
	for (size_t i = 0; i < nheads; i++) {
		char name[32];
		snprintf(name, sizeof name, "f%zu.g.t", i);
		heads_ok += test_value(st, name) == 2 * ((long long)i + 1);
	}
	CHECK_INT("family: families with the same group and tail apart", heads_ok, nheads);
	test_reset(st);

	char group[16] = "one", tail[16] = "pass";
	counters_add_family(c, st, &test_result, group, tail, 1);
	strcpy(group, "owe");
	counters_add_family(c, st, &test_result, group, tail, 1);
	strcpy(tail, "perm");
	counters_add_family(c, st, &test_result, group, tail, 1);
	strcpy(group, "one");
	strcpy(tail, "pass");
	counters_add_family(c, st, &test_result, group, tail, 1);
	counters_flush(c, st);
	test_check_all("family: a buffer reused for another text is another name", st,
		       "x.one.result.pass=2 x.owe.result.pass=1 x.owe.result.perm=1");
	test_reset(st);

	counters_add(c, st, "x.a.result.pass", 5);
	counters_add_family(c, st, &test_result, "a", "pass", 1);
	counters_add_family(c, st, &test_result, "a", "pass", 1);
	counters_add(c, st, "x.a.result.pass", 1);
	counters_flush(c, st);
	test_check_all("family: the same name given whole is the same counter", st, "x.a.result.pass=8");
	test_reset(st);

	counters_add_family(c, st, &test_result, "a", "pass", 1);
	counters_flush(c, st);
	counters_add_family(c, st, &test_result, "a", "pass", 2);
	counters_flush(c, st);
	CHECK_INT("family: counted after a flush", test_value(st, "x.a.result.pass"), 3);
	test_reset(st);

	/* a full table flushes on a new name: the memo's slots go with it */
	char tails[300][8];
	counters_add_family(c, st, &test_result, "a", "pass", 1);
	for (int i = 0; i < 300; i++) {
		snprintf(tails[i], sizeof tails[i], "t%u", (unsigned)i % 1000);
		counters_add_family(c, st, &test_result, "b", tails[i], i + 1);
	}
	counters_add_family(c, st, &test_result, "a", "pass", 1);
	for (int i = 0; i < 300; i += 7)
		counters_add_family(c, st, &test_result, "b", tails[i], 1000);
	counters_flush(c, st);
	CHECK_INT("family: counted across a flush of a full table", test_value(st, "x.a.result.pass"), 2);
	long long sum = 0, want = 0;
	for (int i = 0; i < 300; i++) {
		char name[64];
		snprintf(name, sizeof name, "x.b.result.%.7s", tails[i]);
		sum += test_value(st, name);
		want += i + 1 + (i % 7 == 0 ? 1000 : 0);
	}
	CHECK_INT("family: 300 names of one family, each counted", sum, want);
	test_reset(st);
}

/* test_long_names - names cut at 255 bytes, groups too long for the memo */
static void test_long_names(struct store *st)
{
	struct counters *c = &test_c;
	char group[301], cut[256], mid[101];
	memset(group, 'g', 300);
	group[300] = '\0';
	memcpy(cut, "x.", 2);
	memcpy(cut + 2, group, 253);
	cut[255] = '\0';
	counters_add_family(c, st, &test_result, group, "pass", 1);
	counters_add_family(c, st, &test_result, group, "fail", 2);
	counters_add_family(c, st, &test_result, group, "pass", 4);
	counters_flush(c, st);
	CHECK_INT("long: cut at 255 bytes, one counter", test_value(st, cut), 7);
	CHECK_INT("long: the cut name is 255 bytes", strlen(cut), 255);
	test_reset(st);

	memset(mid, 'm', 100);
	mid[100] = '\0';
	char name[200];
	snprintf(name, sizeof name, "x.%s.result.pass", mid);
	for (int i = 0; i < 3; i++)
		counters_add_family(c, st, &test_result, mid, "pass", 1);
	counters_flush(c, st);
	CHECK_INT("long: a group longer than the memo keeps counts", test_value(st, name), 3);
	test_reset(st);
}

/* Counters of the shared state read through the public API */
struct test_state_value {
	const char *name;
	long long value;
};

/* test_state_cb - note the value of the counter sought */
static void test_state_cb(void *arg, const char *name, long long value)
{
	struct test_state_value *v = arg;
	if (strcmp(name, v->name) == 0)
		v->value = value;
}

/* test_state - a counter of the state in state (0 if absent) */
static long long test_state(const char *name)
{
	struct test_state_value v = {.name = name};
	dkmod_state_counters(state, test_state_cb, &v);
	return v.value;
}

/* test_sessions - sessions of two instances of one context count apart */
static void test_sessions(void)
{
	struct dkmod_options o;
	fixture_options(&o, now);
	o.check_policies = false;
	o.cache.state_dir = state;
	struct dkmod_ctx *ctx = NULL;
	CHECK_INT("sessions: context", dkmod_ctx_new(&o, &ctx), DKMOD_OK);
	if (!ctx)
		return;
	const char *msg = "From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nbody\r\n";
	char dkim[16], dk[16];
	const char *order[] = {"in_a", "in_b", "in_a", "in_a", "in_b"};
	for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
		struct dkmod_session *s;
		snprintf(dkim, sizeof dkim, "%s", order[i]);
		snprintf(dk, sizeof dk, "dk_%s", order[i]);
		struct dkmod_instances in = {.dkim_validate = dkim, .dk_validate = dk};
		if (dkmod_session_new(ctx, DKMOD_SESSION_VERIFY, &s) != DKMOD_OK)
			break;
		dkmod_session_set_instances(s, &in);
		feed(s, msg, 0);
		dkmod_session_free(s);
	}
	dkmod_ctx_free(ctx);
	CHECK_INT("sessions: in_a counts its messages", test_state("dkim_validate.in_a.messages"), 3);
	CHECK_INT("sessions: in_b counts its messages", test_state("dkim_validate.in_b.messages"), 2);
	CHECK_INT("sessions: dk_in_a counts its messages", test_state("dk_validate.dk_in_a.messages"), 3);
	CHECK_INT("sessions: dk_in_b counts its messages", test_state("dk_validate.dk_in_b.messages"), 2);
	CHECK_INT("sessions: no count under the default name", test_state("dkim_validate.dkim_validate1.messages"), 0);
}

int main(void)
{
	if (!fixture_start()) {
		perror("mkdtemp");
		return 1;
	}
	fixture_zone();
	snprintf(state, sizeof state, "%s/state", dir);
	struct store *st = store_open(state, 0, NULL, NULL);
	CHECK("open: store", st != NULL);
	if (st) {
		test_families(st);
		test_long_names(st);
		counters_free(&test_c);
		test_reset(st);
		store_close(st);
	}
	test_sessions();
	fixture_end();
	return unit_done();
}
