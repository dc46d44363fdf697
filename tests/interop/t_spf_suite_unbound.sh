#!/usr/bin/env bash
# t_spf_suite_unbound.sh - the openspf RFC 7208 suite (../shared/interop/spf)
# through the real resolver path: each scenario's zonedata becomes a zone file
# that libunbound serves as local data (`dkmod spf --zone`), names that must
# time out are sent (--stub) to a silent server on 127.0.0.1.  The same suite
# runs against a scripted resolver in tests/unit/test_spf_suite.c; this run
# checks what that one cannot: the answers as libunbound formats them (TXT
# strings joined, MX, PTR, AAAA, CNAME chains and loops, \DDD names) and real
# time-outs.  Explanations are compared ignoring case (see test_spf_suite.c).
. "$(dirname "$0")/../lib/common.sh"
. "$DKMOD_TOP/tests/lib/nsd.sh"
SUITE="$DKMOD_TOP/../shared/interop/spf/rfc7208-tests.yml"
if [ ! -f "$SUITE" ]; then
	skip "spf suite (libunbound)" "$SUITE not found (the openspf suite lives beside the project in ../shared/interop/spf)"
	exit 0
fi
need_cmd "spf suite (libunbound)" "$PYTHON" || exit 0
if ! "$PYTHON" -c 'import yaml' 2>/dev/null; then
	lacks "spf suite (libunbound)" python3-yaml "python3 cannot import yaml"
	exit 0
fi
if ! "$PYTHON" "$DKMOD_TOP/tests/interop/spf_suite.py" "$SUITE" --zones "$TMP" 2>"$TMP/convert.err"; then
	fail "spf suite (libunbound): convert" "$(tail -n 3 "$TMP/convert.err" | tr '\n' ' ')"
	exit 0
fi
silent_udp_start "$TMP/silent" || { fail "spf suite (libunbound): silent server" "did not start"; exit 0; }

# unhex HEX - the text of a hex field
unhex() { "$PYTHON" -c 'import sys; print(bytes.fromhex(sys.argv[1]).decode("utf-8"))' "$1"; }

run=0 passed=0
while IFS=$'\x1f' read -r n scenario test host helo mailfrom results exp; do
	stubs=()
	while read -r s; do
		[ -n "$s" ] && stubs+=(--stub "$s=127.0.0.1@$SILENT_PORT")
	done <"$TMP/$n.stubs"
	out=$("$DKMOD" spf --zone "$TMP/$n.zone" "${stubs[@]}" --timeout 1000 --receiver receiver.example.net \
		--ip "$host" --helo "$helo" --mail-from "$mailfrom" 2>&1)
	got=$(sed -n '1s/^spf=\([a-z]*\).*/\1/p' <<<"$out")
	ok=false
	case ",$results," in *",$got,"*) ok=true ;; esac
	if $ok && [ "$exp" != "-" ] && [ "$got" = fail ]; then
		want=$(unhex "$exp")
		have=$(sed -n 's/^explanation: //p' <<<"$out")
		[ "$want" = DEFAULT ] && want=""
		[ "${want,,}" = "${have,,}" ] || ok=false
	fi
	run=$((run + 1))
	if $ok; then
		passed=$((passed + 1))
		pass "spf suite (libunbound): $scenario: $test"
	else
		fail "spf suite (libunbound): $scenario: $test" "want $results${exp:+ ($exp)}, got: $(tr '\n' ' ' <<<"$out")"
	fi
done <"$TMP/cases"
echo "spf suite (libunbound): $run cases run, $passed passed"
[ "$run" -ge 200 ] && pass "spf suite (libunbound): every case ran" || fail "spf suite (libunbound): every case ran" "$run cases"
