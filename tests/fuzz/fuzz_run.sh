#!/bin/sh
# fuzz_run.sh - run one fuzz target: fuzz_run.sh TARGET SECONDS
# Inputs: the kept corpus tests/fuzz/corpus/TARGET, the generated seeds
# $FUZZ_DIR/seeds/TARGET, tests/fuzz/seeds/TARGET and
# tests/fuzz/regressions/TARGET; new inputs go to a scratch directory
# ($FUZZ_CORPUS, default $FUZZ_DIR/corpus/TARGET).  With FUZZ_MERGE=1 the
# kept corpus is then rebuilt with libFuzzer's -merge=1: the smallest set of
# inputs from the kept corpus and the scratch directory that reaches every
# coverage feature they reach beyond what the seeds and regressions reach
# (so it stays minimized, and coverage accumulates from run to run).
# Prints "fuzz_TARGET: N execs in S s (R/s), M new units[, corpus A -> B files]",
# and on a crash the path of the input (under $FUZZ_DIR/crashes/TARGET/);
# exits non-zero on a crash.  SECONDS is wall time (libFuzzer's
# -max_total_time).  libFuzzer's output goes to $FUZZ_LOG (default
# $FUZZ_DIR/fuzz_TARGET.log).
set -u
t=$1
secs=$2
dir=${FUZZ_DIR:-.build/fuzz}
scratch=${FUZZ_CORPUS:-$dir/corpus/$t}
top=$(cd "$(dirname "$0")/../.." && pwd)
kept=$top/tests/fuzz/corpus/$t
case "$t" in
verify) max_len=16384 ;;
canon | zonefile) max_len=8192 ;;
*) max_len=4096 ;;
esac
mkdir -p "$scratch" "$dir/crashes/$t"
dir=$(cd "$dir" && pwd)
seeds=
for d in "$dir/seeds/$t" "$top/tests/fuzz/seeds/$t" "$top/tests/fuzz/regressions/$t"; do
	[ -d "$d" ] && seeds="$seeds $d"
done
log=${FUZZ_LOG:-$dir/fuzz_$t.log}
start=$(date +%s)
kept_dir=
[ -d "$kept" ] && kept_dir=$kept
# shellcheck disable=SC2086
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
	"$dir/fuzz_$t" -max_len=$max_len -max_total_time="$secs" -timeout=25 -rss_limit_mb=2560 \
	-print_final_stats=1 -artifact_prefix="$dir/crashes/$t/" "$scratch" $kept_dir $seeds >"$log" 2>&1
rc=$?
# 72 is libFuzzer's status when interrupted (SIGINT): a run cut short, not a crash
[ $rc -eq 72 ] && rc=0
took=$(($(date +%s) - start))
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
units=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -n 1)
rate=$((${execs:-0} / (took > 0 ? took : 1)))
merged=
if [ $rc -eq 0 ] && [ "${FUZZ_MERGE:-0}" = 1 ]; then
	# the seeds go first into a fresh directory, so that only what they miss is kept
	fresh=$dir/merge-$t
	rm -rf "$fresh" && mkdir -p "$fresh" "$kept"
	for d in $seeds; do
		find "$d" -type f -exec cp {} "$fresh/" \; 2>/dev/null
	done
	# libFuzzer names merged inputs by their SHA-1; the seeds are told apart by name
	(cd "$fresh" && ls) >"$fresh.seeds"
	before=$(find "$kept" -type f | wc -l)
	# verify reaches thousands of hit-count features: its corpus keeps new edges only
	[ "$t" = verify ] && counters=-use_counters=0 || counters=
	# shellcheck disable=SC2086
	if ASAN_OPTIONS=detect_leaks=0 "$dir/fuzz_$t" -merge=1 $counters -max_len=$max_len -timeout=25 \
		-rss_limit_mb=2560 "$fresh" "$kept" "$scratch" >"$log.merge" 2>&1; then
		(cd "$fresh" && xargs rm -f <"$fresh.seeds")
		rm -f "$kept"/* && cp "$fresh"/* "$kept/" 2>/dev/null
		merged=", corpus $before -> $(find "$kept" -type f | wc -l) files"
	else
		merged=", corpus merge failed (see $log.merge)"
	fi
	rm -rf "$fresh" "$fresh.seeds"
fi
echo "fuzz_$t: ${execs:-?} execs in $took s ($rate/s), ${units:-?} new units$merged"
if [ $rc -ne 0 ]; then
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	echo "fuzz_$t: CRASH (status $rc): ${crash:-see $log}"
	grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz_[a-z]+: |.*runtime error)' "$log" | head -n 4
	exit 1
fi
