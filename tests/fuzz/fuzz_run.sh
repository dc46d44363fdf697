#!/bin/sh
# fuzz_run.sh - run one fuzz target: fuzz_run.sh TARGET SECONDS
# Inputs: the corpus directory ($FUZZ_CORPUS, default $FUZZ_DIR/corpus/TARGET;
# new inputs go there), the generated seeds $FUZZ_DIR/seeds/TARGET,
# tests/fuzz/seeds/TARGET and tests/fuzz/regressions/TARGET.  Prints one line,
# "fuzz_TARGET: N execs in S s (R/s), M new units", and on a crash the path of
# the input (under $FUZZ_DIR/crashes/TARGET/); exits non-zero on a crash.
# libFuzzer's output goes to $FUZZ_LOG (default $FUZZ_DIR/fuzz_TARGET.log).
set -u
t=$1
secs=$2
dir=${FUZZ_DIR:-.build/fuzz}
corpus=${FUZZ_CORPUS:-$dir/corpus/$t}
top=$(cd "$(dirname "$0")/../.." && pwd)
case "$t" in
verify) max_len=16384 ;;
canon | zonefile) max_len=8192 ;;
*) max_len=4096 ;;
esac
mkdir -p "$corpus" "$dir/crashes/$t"
set -- "$corpus"
for d in "$dir/seeds/$t" "$top/tests/fuzz/seeds/$t" "$top/tests/fuzz/regressions/$t"; do
	[ -d "$d" ] && set -- "$@" "$d"
done
log=${FUZZ_LOG:-$dir/fuzz_$t.log}
start=$(date +%s)
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
	"$dir/fuzz_$t" -max_len=$max_len -max_total_time="$secs" -timeout=25 -rss_limit_mb=2560 \
	-print_final_stats=1 -artifact_prefix="$dir/crashes/$t/" "$@" >"$log" 2>&1
rc=$?
took=$(($(date +%s) - start))
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
units=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -n 1)
rate=$((${execs:-0} / (took > 0 ? took : 1)))
echo "fuzz_$t: ${execs:-?} execs in $took s ($rate/s), ${units:-?} new units"
if [ $rc -ne 0 ]; then
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	echo "fuzz_$t: CRASH (status $rc): ${crash:-see $log}"
	grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz_[a-z]+: |.*runtime error)' "$log" | head -n 4
	exit 1
fi
