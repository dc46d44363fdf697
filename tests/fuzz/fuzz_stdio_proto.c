/*
 * fuzz_stdio_proto.c - libFuzzer target of the dkmod-stdio request parser
 * (adapters/stdio/stdio_proto.c).  The input is fed in pieces whose sizes
 * come from its first byte; the parser must never crash, must hand out
 * exactly the announced number of message bytes per request, inside the
 * given buffer, and must stay in its error state once there.
 * Built by tests/fuzz/fuzz.mk with adapters/stdio/stdio_proto.c (make fuzz).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "stdio_proto.h"

/* fuzz_stdio_check - abort when an invariant fails */
static void fuzz_stdio_check(int ok)
{
	if (!ok)
		abort();
}

/* LLVMFuzzerTestOneInput - feed the input in pieces, checking each event */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct stdio_proto p;
	if (size == 0)
		return 0;
	size_t step = (size_t)data[0] % 97 + 1;
	stdio_proto_init(&p, 1u << 20);
	const char *in = (const char *)data + 1;
	size_t n = size - 1, off = 0;
	uint64_t got = 0;
	int failed = 0;
	while (off <= n) {
		size_t piece = n - off < step ? n - off : step;
		size_t used = 0;
		for (;;) {
			enum stdio_proto_event ev;
			const char *d;
			size_t len;
			size_t u = stdio_proto_feed(&p, in + off + used, piece - used, &ev, &d, &len);
			fuzz_stdio_check(u <= piece - used);
			used += u;
			if (ev == STDIO_PROTO_MORE) {
				fuzz_stdio_check(used == piece);
				break;
			}
			if (ev == STDIO_PROTO_ERROR) {
				fuzz_stdio_check(p.error != NULL);
				failed = 1;
				break;
			}
			if (ev == STDIO_PROTO_REQUEST)
				got = 0;
			if (ev == STDIO_PROTO_DATA) {
				fuzz_stdio_check(d >= in && d + len <= in + n && len > 0);
				got += len;
			}
			if (ev == STDIO_PROTO_END)
				fuzz_stdio_check(got == p.req.length);
		}
		if (failed || piece == 0)
			break;
		off += piece;
	}
	if (failed) {
		enum stdio_proto_event ev;
		const char *d;
		size_t len;
		stdio_proto_feed(&p, "x", 1, &ev, &d, &len);
		fuzz_stdio_check(ev == STDIO_PROTO_ERROR && stdio_proto_eof(&p) != NULL);
	}
	stdio_proto_free(&p);
	return 0;
}
