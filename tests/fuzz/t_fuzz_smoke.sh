#!/usr/bin/env bash
# t_fuzz_smoke.sh - the fuzz targets of tests/fuzz: build them (SKIP without
# clang's libFuzzer), replay every regression input, every seed and the kept
# corpus (tests/fuzz/corpus/<target>), then run each target
# FUZZ_SMOKE_SECONDS (default 20) from all of them: PASS per target
# when nothing crashed, with the executions per second.
. "$(dirname "$0")/../lib/common.sh"
cd "$DKMOD_TOP" || exit 1
SECS=${FUZZ_SMOKE_SECONDS:-20}
FUZZ_DIR="$BUILD/fuzz"
TARGETS="header tagvalue records canon verify zonefile config hashpair stdio_proto removal dmarcrec dmarc"

printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return d && n == 1; }\n' >"$TMP/probe.c"
need_cmd "fuzz targets" clang || exit 0
if ! clang -fsanitize=fuzzer,address,undefined -o "$TMP/probe" "$TMP/probe.c" >"$TMP/probe.txt" 2>&1; then
	lacks "fuzz targets" libclang-rt-14-dev "clang cannot link libFuzzer: $(head -n 1 "$TMP/probe.txt")"
	exit 0
fi
if ! make -s -j2 fuzz-build BUILD="$BUILD" >"$TMP/build.log" 2>&1; then
	fail "fuzz targets build" "$(grep -E 'error|Error' "$TMP/build.log" | head -n 3 | tr '\n' ' ')"
	exit 0
fi
pass "fuzz targets build"

# replay DIR... - run the target once on every file of the directories (no fuzzing)
replay() {
	local t=$1 name=$2 files
	shift 2
	files=$(find "$@" -type f 2>/dev/null | sort)
	if [ -z "$files" ]; then
		pass "fuzz_$t $name: none"
		return
	fi
	local n
	n=$(echo "$files" | wc -l)
	# shellcheck disable=SC2086
	if echo "$files" | xargs "$FUZZ_DIR/fuzz_$t" >"$TMP/replay-$t.log" 2>&1; then
		pass "fuzz_$t $name replay ($n inputs)"
	else
		fail "fuzz_$t $name replay" "$(grep -E '^(Running|==[0-9]+==ERROR|SUMMARY|fuzz_[a-z]+: |.*runtime error)' "$TMP/replay-$t.log" | tail -n 4 | tr '\n' ' ')"
	fi
}

for t in $TARGETS; do
	replay "$t" regressions "tests/fuzz/regressions/$t"
	replay "$t" seeds "tests/fuzz/seeds/$t" "$FUZZ_DIR/seeds/$t"
	replay "$t" corpus "tests/fuzz/corpus/$t"
done
for t in $TARGETS; do
	if out=$(FUZZ_DIR="$FUZZ_DIR" FUZZ_CORPUS="$TMP/corpus-$t" FUZZ_LOG="$TMP/fuzz-$t.log" sh tests/fuzz/fuzz_run.sh "$t" "$SECS"); then
		pass "fuzz_$t runs ${SECS} s without a crash: ${out#fuzz_$t: }"
	else
		fail "fuzz_$t runs ${SECS} s without a crash" "$(echo "$out" | tr '\n' ' ')"
	fi
done
