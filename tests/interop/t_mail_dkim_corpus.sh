#!/usr/bin/env bash
# t_mail_dkim_corpus.sh - the Mail::DKIM verification corpus (../shared/interop,
# read in place) against its expected RFC results, with the minimum key size
# lowered to 512 bits as the table says, and rsa-sha1 accepted (--allow-sha1): the table
# gives RFC 6376 results, and many of its messages are signed rsa-sha1, which
# RFC 8301 makes dkmod refuse by default (tests/interop/t_dkim_peers.sh and
# tests/unit/test_verify_guard.c cover the refusal).  Its DNS data is served by a real nsd
# on 127.0.0.1; the two names whose lookups must fail do so for real: a time-out
# through a stub zone pointing at a server that never answers, and SERVFAIL
# through a stub zone pointing at a server that refuses the zone.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
if [ -z "$INTEROP" ]; then
	skip "mail-dkim corpus" "../shared/interop is not beside this checkout (no package gives it)"
	exit 0
fi
cd "$TMP" || exit 1
"$PYTHON" "$DKMOD_TOP/tests/interop/fake_dns_zone.py" "$INTEROP/FAKE_DNS.dat" zones >zones.txt 2>specials.txt ||
	{ fail "corpus DNS data converts" "$(cat specials.txt)"; exit 1; }
specs=()
while read -r kind name file; do
	[ "$kind" = zone ] && specs+=("$file:$name")
done <zones.txt

# a second server that serves only an unrelated zone: it refuses everything else
zone_head refuser.example >refuser.zone
nsd_start "$TMP/nsd-refuser" "$TMP/refuser.zone:refuser.example" || { fail "refusing nsd starts"; exit 1; }
REFUSER_PORT=$NSD_PORT
at_exit "_nsd_stop_pid $NSD_PID tree"
NSD_PID=""
nsd_start "$TMP/nsd" "${specs[@]}" || { fail "corpus nsd starts"; exit 1; }
silent_udp_start "$TMP/silent" || { fail "silent server starts"; exit 1; }

stubs=()
while read -r kind name text; do
	[ "$kind" = special ] || continue
	zone=${name#*._domainkey.}
	case "$text" in
	*SERVFAIL*) stubs+=(--stub "$zone=127.0.0.1@$REFUSER_PORT") ;;
	*) stubs+=(--stub "$zone=127.0.0.1@$SILENT_PORT") ;;
	esac
done <specials.txt

# best RESULTS... - the most favourable of several results
best() {
	local r
	for r in pass policy fail neutral temperror permerror none; do
		case " $* " in *" $r "*) echo "$r"; return ;; esac
	done
	echo none
}

rows=0
while IFS=$'\t' read -r file method peer rfc note; do
	case "$file" in '#'* | '') continue ;; esac
	rows=$((rows + 1))
	if [ "$rfc" = skip ]; then
		skip "corpus $file" "$note"
		continue
	fi
	"$DKMOD" verify --min-key-bits 512 --allow-sha1 --timeout 2000 --authserv-id mx.example.net \
		--resolver "127.0.0.1@$NSD_PORT" "${stubs[@]}" "$INTEROP/corpus/$file" >"out-$file" 2>"err-$file"
	rc=$?
	results=$(ar_text "out-$file" | grep -oE "(^|[; ])$method=[a-z]+" | sed 's/.*=//' | tr '\n' ' ')
	got=$(best $results)
	if [ $rc -eq 0 ] && [ "$got" = "$rfc" ]; then
		pass "corpus $file ($method $rfc)"
	else
		fail "corpus $file" "$method: got '$got' (all: $results; exit $rc), want '$rfc' ($note) $(head -c 300 "err-$file")"
	fi
done <"$INTEROP/expected.tsv"
[ "$rows" -gt 70 ] && pass "corpus has its rows ($rows)" || fail "corpus has its rows" "$rows"
