#!/usr/bin/env bash
# t_bench_smoke.sh - `make bench-smoke` builds the benchmark and runs it tiny
# (1 KB, one run, a few iterations); every cell must be in the results file
# with a number (n/a only where the part measured does not exist yet).
. "$(dirname "$0")/../lib/common.sh"
cd "$DKMOD_TOP" || exit 1
tsv="$BUILD/bench/smoke.tsv"
rm -f "$tsv"

if make -s -C "$DKMOD_TOP" BUILD="$BUILD" bench-smoke >"$TMP/out" 2>&1; then
	pass "make bench-smoke"
else
	fail "make bench-smoke" "$(tail -n 5 "$TMP/out" | tr '\n' ' ')"
	exit 0
fi
grep -q '^sign_dkim_rsa-sha256_relaxed ' "$TMP/out" && grep -q '^# targets: ' "$TMP/out"
check_eq "table printed" "$?" 0

# every line: name, size, value, unit, ratio (a number or -)
bad=$(awk -F'\t' 'NF != 5 || $2 !~ /^[0-9]+$/ || ($5 != "-" && $5 !~ /^[0-9.e+-]+$/)' "$tsv" | head -n 3)
check_eq "results file well formed" "$bad" ""

# cell_value NAME SIZE - the value column of a cell ("" if absent)
cell_value() { awk -F'\t' -v n="$1" -v s="$2" '$1 == n && $2 == s { print $3; exit }' "$tsv"; }

# check_cell NAME SIZE RULE - RULE: positive, number (>= 0 or any sign for "any"), or na-ok
check_cell() {
	local v
	v=$(cell_value "$1" "$2")
	case "$3:$v" in
	*:) fail "cell $1 $2" "missing" ;;
	na-ok:n/a) pass "cell $1 $2 (n/a)" ;;
	*:n/a) fail "cell $1 $2" "n/a" ;;
	*)
		if awk -v v="$v" -v r="$3" 'BEGIN { ok = (v ~ /^-?[0-9.e+-]+$/); if (r != "any") ok = ok && v + 0 >= 0;
			if (r == "positive" || r == "na-ok") ok = ok && v + 0 > 0; exit !ok }'; then
			pass "cell $1 $2 = $v"
		else
			fail "cell $1 $2" "value '$v' is not $3"
		fi ;;
	esac
}

for m in dkim_rsa-sha256_relaxed dkim_rsa-sha256_simple dkim_ed25519-sha256_relaxed dkim_rsa-sha1_relaxed \
	dk_nofws dk_simple; do
	check_cell "sign_$m" 1024 positive
	check_cell "verify_$m" 1024 positive
done
check_cell verify_dkim_3sig 1024 positive
# realistic messages signed by dkimpy, verified and signed by the engine
for m in rsa-sha256 ed25519-sha256; do
	check_cell "verify_real_$m" 1024 positive
	check_cell "sign_real_$m" 1024 positive
done
# the same rsa-sha256 verification with SPF (an envelope) and DMARC on, and with both off; their time ratio
check_cell verify_real_spf_dmarc_rsa-sha256 1024 positive
check_cell verify_real_plain_rsa-sha256 1024 positive
check_cell spf_dmarc_cost_real 1024 positive
t=$(awk '$1 == "spf_dmarc_cost_real" { print $7 }' "$TMP/out")
check_eq "SPF and DMARC cost target" "$t" "<=1.10"
for c in dkim_simple_null dkim_simple_sha256 dkim_relaxed_null dkim_relaxed_sha256 dk_simple_null dk_simple_sha1 \
	dk_nofws_null dk_nofws_sha1; do
	check_cell "canon_$c" 1024 positive
done
check_cell privkey_loads_per_msg 1024 number
check_cell pubkey_decodes_per_msg 1024 number
check_cell pubkey_decodes_per_msg_3sig 1024 number
check_cell verify_cache_warm 1024 na-ok
check_cell verify_cache_cold 1024 na-ok
check_cell pipe_verify_process 1024 positive
check_cell pipe_overhead 1024 any
check_cell sink_process 1024 positive
check_cell cli_verify_process 1024 positive
check_cell stdio_verify 1024 na-ok
check_cell rss_verify 1024 positive
check_cell sign_table_100k 1024 positive
check_cell rss_one_domain 1024 positive
check_cell rss_table_100k 1024 positive
check_cell rss_table_100k_growth 1024 any
check_cell rss_table_100k_anon_growth 1024 any

# the Ed25519 floor is libsodium's, and its cells are judged against 0.90 of it
grep -q '^# OpenSSL .*, libsodium [0-9]' "$TMP/out"
check_eq "libsodium named as a floor" "$?" 0
t=$(awk '$1 == "verify_real_ed25519-sha256" { print $7 }' "$TMP/out")
check_eq "ed25519 target against libsodium" "$t" ">=0.90"
t=$(awk '$1 == "verify_real_rsa-sha256" { print $7 }' "$TMP/out")
check_eq "realistic rsa verify target" "$t" ">=0.85"

# ratios to the floor are there for the engine cells
r=$(awk -F'\t' '$1 == "verify_dkim_rsa-sha256_relaxed" { print $5 }' "$tsv")
if awk -v r="$r" 'BEGIN { exit !(r ~ /^[0-9.]+$/ && r > 0) }'; then
	pass "ratio to floor ($r)"
else
	fail "ratio to floor" "got '$r'"
fi
