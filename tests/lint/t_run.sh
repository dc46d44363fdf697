#!/usr/bin/env bash
# t_run.sh - tests/run refuses a build older than its sources (a stale binary tests old
# code): run against a build directory with nothing built, it fails at once and runs nothing.
. "$(dirname "$0")/../lib/common.sh"
cd "$DKMOD_TOP" || exit 1
tmp=$(mktemp -d) || exit 1
at_exit "rm -rf '$tmp'"
out=$(BUILD="$tmp/build" bash tests/run 'unit/*' 2>&1; echo "rc=$?")
check "an out-of-date build is refused" grep -q '^FAIL: the build in .* is older than its sources' <<<"$out"
check "and nothing runs" eval '! grep -q "^== " <<<"$out"'
check_eq "the run fails" "$(tail -n 1 <<<"$out")" "rc=1"
check "the build this run uses is up to date" env -u MAKEFLAGS -u MFLAGS -u MAKEOVERRIDES make -q BUILD="$BUILD" all unit san-unit
