#!/usr/bin/env bash
# t_faults.sh - broken DNS never loses a message: a server that is down,
# answers too late, answers garbage, truncates without a TCP service, or
# cuts its answer inside a record.  Each gives temperror within the time
# budget, and the message comes out whole below the added fields.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
. "$(dirname "$0")/../lib/dnsdelay.sh"
cd "$TMP" || exit 1
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out k.pem 2>/dev/null
P=$(openssl pkey -in k.pem -pubout -outform DER 2>/dev/null | base64 -w0)
{ zone_head example.com; printf 'k._domainkey IN TXT "v=DKIM1; k=rsa; p=%s"\n' "$P"; } >example.com.zone
nsd_start "$TMP/nsd" "$TMP/example.com.zone:example.com" || { fail "nsd starts"; exit 1; }
printf 'From: a@example.com\r\nTo: b@example.net\r\nSubject: faults\r\n\r\nbody line\r\n' >m.eml
"$DKMOD" sign --domain example.com --selector k --key k.pem m.eml >s.eml
"$DKMOD" verify --resolver "127.0.0.1@$NSD_PORT" s.eml >ok.eml
check_eq "the healthy server passes" "$(ar_results ok.eml)" "dkim=pass domainkeys=none"

# run_case NAME PORT - verify through PORT: temperror, in time, message whole
run_case() {
	local name=$1 port=$2 t0 t1 ms
	t0=$(date +%s%N)
	"$DKMOD" verify --resolver "127.0.0.1@$port" --timeout 1500 --authserv-id mx s.eml >"$name.out" 2>"$name.err"
	local rc=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	check_eq "$name: exit 0" "$rc" 0
	check_eq "$name: temperror" "$(ar_results "$name.out" | cut -d' ' -f1)" "dkim=temperror"
	[ "$ms" -lt 4000 ] && pass "$name: within the budget (${ms} ms)" || fail "$name: within the budget" "${ms} ms"
	awk 'a { print } /^DomainKey-Status:/ { a = 1 }' "$name.out" | cmp -s - s.eml && pass "$name: message whole" ||
		fail "$name: message whole" "differs"
}
down=$(free_port)
run_case "server down" "$down"
dnsdelay_start "$TMP/slow" --upstream "127.0.0.1:$NSD_PORT" --delay 3000 || exit 1
run_case "answers after the budget" "$DD_PORT"
for mode in garbage truncate badrdata; do
	dnsdelay_start "$TMP/$mode" --upstream "127.0.0.1:$NSD_PORT" --mangle "$mode" || exit 1
	run_case "answers $mode" "$DD_PORT"
done
