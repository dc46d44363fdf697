# bench.mk - `make bench` (throughput against the OpenSSL floor, the table in
# doc/PERFORMANCE.md) and `make bench-smoke` (a tiny run for the test suite).
# Not part of `all` or `test`: a benchmark reports, it never fails the build.
BENCH_BIN = $(BUILD)/bench/dkmod-bench
BENCH_SRC := $(sort $(wildcard tests/bench/*.c))
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/%.o)
# the bench counts the engine's key decodes and key loads by wrapping them
BENCH_WRAP = -Wl,--wrap=crypto_pubkey_from_spki -Wl,--wrap=crypto_pubkey_from_ed25519 \
	-Wl,--wrap=crypto_privkey_read
# the stand-in sendmail of the pipe cell (tests/bench/sink/: not linked into the bench)
BENCH_SINK = $(BUILD)/bench/dkmod-bench-sink
# extra options for the bench program, e.g. make bench BENCH_ARGS='--sizes 10k --runs 3'
BENCH_ARGS ?=

.PHONY: bench bench-smoke bench-milter

$(BENCH_OBJ): tests/bench/bench.h

$(BENCH_BIN): $(BENCH_OBJ) $(BUILD)/libdkmod.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(BENCH_OBJ) $(BENCH_WRAP) $(BUILD)/libdkmod.a $(PKG_LIBS) -lm

$(BENCH_SINK): tests/bench/sink/bench_sink.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -static -o $@ $< || $(CC) -O2 -Wall -Wextra -Werror -o $@ $<

# the process cells run the adapters as the MTAs do
BENCH_PROGS = $(BENCH_BIN) $(BUILD)/dkmod $(BUILD)/dkmod-pipe $(BUILD)/dkmod-stdio $(BENCH_SINK)

bench: $(BENCH_PROGS)
	$(BENCH_BIN) --build $(BUILD) $(BENCH_ARGS)
	-[ ! -x $(BUILD)/dkmod-milter ] || bash tests/bench/milter_bench.sh

# dkmod-milter in a real Postfix against Postfix without a milter (tests/bench/milter_bench.sh)
bench-milter: $(BUILD)/dkmod-milter
	bash tests/bench/milter_bench.sh

bench-smoke: $(BENCH_PROGS)
	$(BENCH_BIN) --build $(BUILD) --smoke --out $(BUILD)/bench/smoke.tsv
