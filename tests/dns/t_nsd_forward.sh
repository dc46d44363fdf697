#!/usr/bin/env bash
# t_nsd_forward.sh - the libunbound backend against a real authoritative
# server: a private nsd on 127.0.0.1 reached as forwarder and as stub, and a
# silent server for time-outs, asked through dnsq (tests/dns/dnsq.c, built by
# make unit: tests/dns/dns.mk).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
. "$DKMOD_TOP/tests/lib/nsd.sh"

cd "$DKMOD_TOP" || exit 1
need_cmd "nsd forward" dig "$NSD_BIN" || exit 0
DNSQ=$DKMOD_TOP/$BUILD/tests/dnsq
[ -x "$DNSQ" ] || { fail "dnsq built" "no $DNSQ (make unit builds it)"; exit 1; }

# a string of N bytes
rep() { head -c "$1" /dev/zero | tr '\0' "$2"; }
big=""
bigzone=""
for c in a b c d e f g h i j; do
	big+=$(rep 200 "$c")
	bigzone+=" \"$(rep 200 "$c")\""
done

cat >"$TMP/example.com.zone" <<EOF
\$ORIGIN example.com.
\$TTL 300
@ SOA ns hostmaster 1 3600 600 86400 60
@ NS ns
ns A 127.0.0.1
sel._domainkey TXT ( "v=DKIM1; k=rsa; " ; two strings
	"p=abc" )
two TXT "b"
two TXT "a"
big TXT ($bigzone )
alias CNAME sel._domainkey
www A 192.0.2.1
EOF

if ! nsd_start "$TMP/nsd" "$TMP/example.com.zone:example.com"; then
	fail "nsd start" "see above"
	exit 1
fi
pass "nsd start"

# ms - milliseconds of a monotonic-enough clock
ms() { echo $(($(date +%s%N) / 1000000)); }
# q ARGS... - run dnsq, output in $got (stdout) and $err (stderr)
q() {
	got=$("$DNSQ" "$@" 2>"$TMP/err")
	err=$(cat "$TMP/err")
}
# qeq NAME GOT WANT - like check_eq, with dnsq's stderr on failure
qeq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'${err:+ (stderr: $err)}"; fi
}

fwd=(--forward "127.0.0.1@$NSD_PORT" --timeout 3000)
q "${fwd[@]}" sel._domainkey.example.com
qeq "forward: TXT answer" "$got" 'sel._domainkey.example.com answer insecure 1 300 "v=DKIM1; k=rsa; p=abc"'
q "${fwd[@]}" nope.example.com
qeq "forward: nxdomain" "${got% *}" "nope.example.com nxdomain insecure 0"
q "${fwd[@]}" www.example.com
qeq "forward: nodata" "${got% *}" "www.example.com nodata insecure 0"
q "${fwd[@]}" --type A www.example.com
qeq "forward: A" "$got" "www.example.com answer insecure 1 300 192.0.2.1"
q "${fwd[@]}" two.example.com
qeq "forward: two TXT sorted" "$got" 'two.example.com answer insecure 2 300 "a" "b"'
q "${fwd[@]}" alias.example.com
qeq "forward: TXT through CNAME" "$got" 'alias.example.com answer insecure 1 300 "v=DKIM1; k=rsa; p=abc"'

tcp0=$(nsd_stat num.tcp || echo 0)
q "${fwd[@]}" big.example.com
qeq "forward: big TXT (${#big} bytes) over TCP" "$got" "big.example.com answer insecure 1 300 \"$big\""
tcp1=$(nsd_stat num.tcp || echo 0)
if [ "$tcp1" -gt "$tcp0" ]; then pass "forward: big answer came by TCP"; else fail "forward: big answer came by TCP" "num.tcp $tcp0 -> $tcp1"; fi

q0=$(nsd_queries)
q "${fwd[@]}" counted.example.com
q1=$(nsd_queries)
if [ -n "$q0" ] && [ -n "$q1" ] && [ "$q1" -gt "$q0" ]; then
	pass "nsd_queries counts"
else
	fail "nsd_queries counts" "'$q0' -> '$q1'"
fi

q --stub "example.com=127.0.0.1@$NSD_PORT" --timeout 3000 sel._domainkey.example.com
qeq "stub: TXT answer" "$got" 'sel._domainkey.example.com answer insecure 1 300 "v=DKIM1; k=rsa; p=abc"'

t0=$(ms)
q --stub "other.test=127.0.0.1@$NSD_PORT" --timeout 3000 sel._domainkey.other.test
t1=$(ms)
qeq "stub: refused zone gives servfail" "${got% *}" "sel._domainkey.other.test servfail insecure 0"
if [ $((t1 - t0)) -lt 3500 ]; then pass "stub: servfail in time"; else fail "stub: servfail in time" "$((t1 - t0)) ms"; fi

cat >"$TMP/local.zone" <<'EOF'
$ORIGIN local.test.
sel._domainkey 60 TXT "from the file"
EOF
q --zone "$TMP/local.zone" "${fwd[@]}" sel._domainkey.local.test sel._domainkey.example.com nope.local.test
qeq "zone file and forwarder" "$got" 'sel._domainkey.local.test answer insecure 1 60 "from the file"
sel._domainkey.example.com answer insecure 1 300 "v=DKIM1; k=rsa; p=abc"
nope.local.test nxdomain insecure 0 60'

if silent_udp_start "$TMP/silent"; then
	pass "silent server start"
	t0=$(ms)
	q --stub "silent.test=127.0.0.1@$SILENT_PORT" --stub "example.com=127.0.0.1@$NSD_PORT" --timeout 500 \
		sel._domainkey.silent.test sel._domainkey.example.com
	t1=$(ms)
	qeq "stub: silent server times out" "$got" 'sel._domainkey.silent.test timeout unknown 0 0
sel._domainkey.example.com answer insecure 1 300 "v=DKIM1; k=rsa; p=abc"'
	took=$((t1 - t0))
	if [ "$took" -ge 450 ] && [ "$took" -lt 1500 ]; then
		pass "stub: time-out within the budget"
	else
		fail "stub: time-out within the budget" "$took ms for a 500 ms budget"
	fi
	n=$(silent_queries)
	if [ "$n" -gt 0 ]; then pass "stub: silent server was asked"; else fail "stub: silent server was asked" "$n"; fi
else
	fail "silent server start" "see above"
fi

pids="$NSD_PID $SILENT_PID"
nsd_stop
silent_stop
left=""
for p in $pids; do _nsd_alive "$p" && left+=" $p"; done
check_eq "all servers stopped" "$left" ""
