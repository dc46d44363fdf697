/*
 * fuzz_milter_proto.c - libFuzzer target of dkmod-milter's wire format
 * (adapters/milter/milter_proto.c).  The input is taken as the MTA's byte
 * stream: packets are taken one after the other and each is decoded as
 * every command would be (negotiation, CONNECT, strings, macros); every
 * piece handed out must lie inside the input, and the replies built from
 * what was decoded must frame themselves (length, letter, data).
 * Built by tests/fuzz/fuzz.mk with adapters/milter/milter_proto.c (make fuzz).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "milter_proto.h"

/* fuzz_milter_check - abort when an invariant fails */
static void fuzz_milter_check(int ok)
{
	if (!ok)
		abort();
}

/* fuzz_milter_inside - p[0..n] (with its NUL) lies in the input */
static int fuzz_milter_inside(const char *p, size_t n, const char *in, size_t size)
{
	return p >= in && (size_t)(p - in) + n <= size;
}

/* fuzz_milter_framed - o holds whole replies and nothing else */
static void fuzz_milter_framed(const struct milter_out *o)
{
	size_t at = 0;
	while (at < o->len) {
		fuzz_milter_check(o->len - at >= 5);
		size_t n = milter_proto_u32(o->buf + at);
		fuzz_milter_check(n >= 1 && n <= o->len - at - 4);
		at += 4 + n;
	}
}

/* fuzz_milter_packet - decode p every way; reply with what came out */
static void fuzz_milter_packet(const struct milter_packet *p, const char *in, size_t size, struct milter_out *o)
{
	struct milter_optneg neg;
	struct milter_connect c;
	const char *v[4];
	fuzz_milter_check(fuzz_milter_inside(p->data, p->len, in, size));
	if (milter_proto_optneg(p, &neg)) {
		fuzz_milter_check(p->len >= 12 && neg.version >= 2);
		milter_proto_put_optneg(o, &neg);
	}
	if (milter_proto_connect(p, &c)) {
		fuzz_milter_check(fuzz_milter_inside(c.host, strlen(c.host) + 1, p->data, p->len + (size_t)(p->data - in)));
		fuzz_milter_check(c.family == 'U' || c.address != NULL);
		if (c.address) {
			fuzz_milter_check(fuzz_milter_inside(c.address, strlen(c.address) + 1, in, size));
			milter_proto_put_text(o, MILTER_REPLY_QUARANTINE, c.address);
		}
	}
	int n = milter_proto_strings(p, v, 4);
	fuzz_milter_check(n <= 4);
	for (int i = 0; i < n; i++)
		fuzz_milter_check(fuzz_milter_inside(v[i], strlen(v[i]) + 1, in, size));
	if (n >= 2)
		milter_proto_put_header(o, MILTER_REPLY_INSHEADER, 0, v[0], v[1]);
	if (p->len > 1) {
		const char *m = milter_proto_macro_get(p->data + 1, p->len - 1, "{daemon_name}");
		if (m)
			fuzz_milter_check(fuzz_milter_inside(m, strlen(m) + 1, in, size));
		m = milter_proto_macro_get(p->data + 1, p->len - 1, "i");
		if (m)
			fuzz_milter_check(fuzz_milter_inside(m, strlen(m) + 1, in, size));
	}
	milter_proto_put(o, MILTER_REPLY_CONTINUE, NULL, 0);
}

/* LLVMFuzzerTestOneInput - take packets until the input ends or a bad length */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct milter_out o = {0};
	size_t at = 0;
	for (;;) {
		struct milter_packet p;
		size_t used = 0, need = 0;
		enum milter_take t = milter_proto_take(in + at, size - at, &p, &used, &need);
		if (t == MILTER_TAKE_MORE) {
			fuzz_milter_check(need > size - at && need <= MILTER_PROTO_MAX + 4);
			break;
		}
		if (t == MILTER_TAKE_BAD)
			break;
		fuzz_milter_check(used >= 5 && used <= size - at && used == p.len + 5);
		fuzz_milter_packet(&p, in, size, &o);
		at += used;
	}
	fuzz_milter_check(!o.failed);
	fuzz_milter_framed(&o);
	milter_proto_out_free(&o);
	return 0;
}
