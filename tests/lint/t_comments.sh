#!/usr/bin/env bash
# t_comments.sh - every function of core/, adapters/ and lua/ has its one-line comment above it
# (tests/lint/fn_comments.py); the check fails on a copy with one comment taken away.
. "$(dirname "$0")/../lib/common.sh"
cd "$DKMOD_TOP" || exit 1
need_cmd "function comments" python3 || exit 0

out=$(python3 tests/lint/fn_comments.py core adapters lua 2>&1)
check_eq "every function of core/, adapters/ and lua/ has a comment above it" "$out" ""

mkdir -p "$TMP/core" && cp core/util/arena.c "$TMP/core/arena.c" || exit 1
first=$(grep -n -m 1 '^/\* arena_' "$TMP/core/arena.c" | cut -d: -f1)
sed -i "${first}d" "$TMP/core/arena.c"
out=$(python3 tests/lint/fn_comments.py "$TMP/core" 2>&1; echo "rc=$?")
check "a function whose comment was removed is named" grep -q 'arena.c:[0-9]*: arena_' <<<"$out"
check "and the check exits 1" grep -qx 'rc=1' <<<"$out"
