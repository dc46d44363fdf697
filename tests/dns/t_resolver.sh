#!/usr/bin/env bash
# t_resolver.sh - dkmod verify's key lookups against real DNS servers on
# loopback: DNSSEC secure, insecure and bogus answers (zones signed at test
# time with ldns), SERVFAIL and time-out behind real delegations, NXDOMAIN,
# NODATA, several TXT records, a CNAME, a key too big for UDP, and parallel
# lookups through a proxy that delays every answer.  Messages and keys are made
# at test time.
#
# Servers (all stopped by PID at exit):
#   nsd          127.0.0.1:random   every test zone, and the parent zone
#                                   example.net that delegates two children
#   servfail nsd ADDR2:53           servfail.example.net configured, its zone
#                                   file missing: nsd answers SERVFAIL
#   silent       ADDR3:53           dnsdelay.py --drop: reads, never answers
#   delay proxy  127.0.0.1:random   dnsdelay.py: forwards to nsd, +200 ms
# ADDR2/ADDR3 are free addresses 127.53.x.y, so that the glue of example.net
# (which has no port) reaches them and libunbound follows a real referral
# (dkmod gets --stub example.net=nsd).  Binding port 53 needs root; without it
# (or with port 53 taken) the two servers listen on 127.0.0.1 at random ports
# and dkmod reaches them through stub zones of their own instead: the result
# lines say "delegation" or "stub".
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
. "$DKMOD_TOP/tests/lib/nsd.sh"
. "$DKMOD_TOP/tests/lib/dnssec.sh"
. "$DKMOD_TOP/tests/lib/dnsdelay.sh"

need_cmd "resolver" dig openssl ss "$NSD_BIN" "$NSD_CONTROL_BIN" "$PYTHON" "$LDNS_KEYGEN" "$LDNS_SIGNZONE" || exit 0
cd "$TMP" || exit 1
AUTHSERV=mx.test

# ms - milliseconds since the epoch
ms() { echo $(($(date +%s%N) / 1000000)); }

# spki PEM - the base64 DER public key (SubjectPublicKeyInfo) of a private key
spki() { openssl pkey -in "$1" -pubout -outform DER | base64 -w0; }

# message FILE DOMAIN - an unsigned test message from DOMAIN
message() {
	printf 'From: Sender <sender@%s>\r\nTo: rcpt@example.net\r\nSubject: resolver test\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\nMessage-ID: <%s@%s>\r\n\r\nHello.\r\n' \
		"$2" "$RANDOM" "$2" >"$1"
}

# signed OUT DOMAIN SELECTOR KEY [SIGN-ARGS...] - a message from DOMAIN signed by dkmod (d=DOMAIN s=SELECTOR)
signed() {
	local out=$1 domain=$2 sel=$3 key=$4
	shift 4
	message "$out.raw" "$domain"
	"$DKMOD" sign --domain "$domain" --selector "$sel" --key "$key" "$@" "$out.raw" >"$out" 2>"$out.err" ||
		{ echo "signing $out failed: $(cat "$out.err")" >&2; return 1; }
}

# verify NAME MSG ARGS... - run dkmod verify --json; sets AR (unfolded A-R), DKIM (dkim=...),
# DNSSEC (first "dnssec" of the JSON), REASON and TOOK (ms)
verify() {
	local name=$1 msg=$2 t0 t1
	shift 2
	t0=$(ms)
	"$DKMOD" verify --json --authserv-id "$AUTHSERV" "$@" "$msg" >"$name.out" 2>"$name.err"
	t1=$(ms)
	TOOK=$((t1 - t0))
	AR=$(ar_text "$name.out")
	DKIM=$(ar_results "$name.out" | grep -oE 'dkim=[a-z]+' | tr '\n' ' ' | sed 's/ $//')
	DNSSEC=$(grep -oE '"dnssec":"[a-z]*"' "$name.err" | head -n 1 | sed 's/.*:"//; s/"$//')
	REASON=$(grep -oE '"reason":"[^"]*"' "$name.err" | head -n 1 | sed 's/.*:"//; s/"$//')
}

# expect NAME WANT-DKIM [AR-SUBSTRING] - check the last verify's dkim= results and its A-R text
expect() {
	if [ "$DKIM" != "$2" ]; then
		fail "$1" "got '$DKIM', want '$2' (A-R: $AR; stderr: $(grep -v '^{' "$1.err" 2>/dev/null | head -c 300))"
	elif [ -n "${3:-}" ] && [[ $AR != *"$3"* ]]; then
		fail "$1" "A-R lacks '$3': $AR"
	else
		pass "$1"
	fi
}

# reason_has NAME WORD - check that the last verify's reason mentions WORD (case-insensitive)
reason_has() {
	if [[ ${REASON,,} == *"${2,,}"* ]]; then pass "$1"; else fail "$1" "reason '$REASON' lacks '$2'"; fi
}

# count FILE - the number in a count file (0 if none)
count() { if [ -s "$1" ]; then tr -dc 0-9 <"$1"; else echo 0; fi; }

# servfail_nsd_start DIR ADDR PORT - an nsd on ADDR@PORT that has servfail.example.net configured
# but cannot load it (no zone file), so it answers SERVFAIL there (and REFUSED elsewhere); sets SF_PID
servfail_nsd_start() {
	local dir=$1 addr=$2 port=$3 i out
	mkdir -p "$dir" || return 1
	{
		printf 'server:\n\tip-address: %s@%s\n\tserver-count: 1\n' "$addr" "$port"
		printf '\tusername: ""\n\tchroot: ""\n\tzonesdir: "%s"\n\tdatabase: ""\n' "$dir"
		printf '\tpidfile: "%s/nsd.pid"\n\txfrdfile: "%s/xfrd.state"\n' "$dir" "$dir"
		printf '\tzonelistfile: "%s/zone.list"\n\tlogfile: "%s/nsd.log"\n\tverbosity: 1\n' "$dir" "$dir"
		printf 'remote-control:\n\tcontrol-enable: yes\n\tcontrol-interface: "%s/nsd.ctl"\n' "$dir"
		printf 'zone:\n\tname: "servfail.example.net"\n\tzonefile: "missing.zone"\n'
	} >"$dir/nsd.conf"
	SF_PID=""
	"$NSD_BIN" -c "$dir/nsd.conf" >"$dir/nsd.out" 2>&1 || return 1
	for i in $(seq 100); do
		[ -s "$dir/nsd.pid" ] && SF_PID=$(tr -dc 0-9 <"$dir/nsd.pid")
		[ -n "$SF_PID" ] && break
		sleep 0.05
	done
	[ -n "$SF_PID" ] || return 1
	at_exit "_nsd_stop_pid $SF_PID tree"
	for i in $(seq 100); do
		out=$(dig @"$addr" -p "$port" +norec +time=1 +tries=1 servfail.example.net SOA 2>/dev/null)
		[[ $out == *"status: SERVFAIL"* ]] && return 0
		_nsd_alive "$SF_PID" || return 1
		sleep 0.05
	done
	return 1
}

# port53_free ADDR - true if nothing listens on ADDR:53 or on a wildcard :53 (UDP or TCP)
port53_free() {
	! ss -Hlnut 2>/dev/null | awk '{ print $5 }' | grep -qE "^($1|0\.0\.0\.0|\*|\[::\]):53$"
}

# ---- keys and zones ---------------------------------------------------------

if ! openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out k2048.pem 2>/dev/null ||
	! openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out k4096.pem 2>/dev/null; then
	fail "make RSA keys" "openssl genpkey"
	exit 1
fi
KEY="v=DKIM1; k=rsa; p=$(spki k2048.pem)"
# A 4096-bit key is about 800 bytes: over 512 but within libunbound's EDNS
# buffer (1232).  A long n= note takes the record past 1232 so that the UDP
# answer is truncated and libunbound must ask again over TCP.
note=$(head -c 600 /dev/zero | tr '\0' n)
BIGKEY="v=DKIM1; k=rsa; n=$note; p=$(spki k4096.pem)"

# zone_head ORIGIN - SOA, NS and the name server's address
zone_head() {
	# shellcheck disable=SC2016
	printf '$ORIGIN %s.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\n' "$1"
}

{
	zone_head signed.example.com
	echo "sel._domainkey TXT ( $(txt_strings "$KEY") )"
	echo "bad._domainkey TXT ( $(txt_strings "$KEY") )"
} >signed.zone
{
	zone_head expired.example.com
	echo "sel._domainkey TXT ( $(txt_strings "$KEY") )"
} >expired.zone
{
	zone_head example.org
	echo "sel._domainkey TXT ( $(txt_strings "$KEY") )"
	echo "empty._domainkey A 192.0.2.1"
	# Several TXT records at one name: dkmod sorts them bytewise and uses the
	# first that parses as a key record, so "garbage..." (sorted first) is
	# passed over for the key whatever order the server sends them in.
	echo "multi._domainkey TXT ( $(txt_strings "$KEY") )"
	echo 'multi._domainkey TXT "garbage; this is no key record"'
	echo "big._domainkey TXT ( $(txt_strings "$BIGKEY") )"
	for i in 1 2 3 4 5; do echo "sel._domainkey.d$i TXT ( $(txt_strings "$KEY") )"; done
} >example.org.zone
{
	zone_head customer.example
	echo "sel._domainkey CNAME sel._domainkey.esp.example."
} >customer.zone
{
	zone_head esp.example
	echo "sel._domainkey TXT ( $(txt_strings "$KEY") )"
} >esp.zone

# signed.example.com with a good key at sel and one altered after signing at bad
if ! dnssec_sign_zone signed.zone signed.example.com keys-signed >/dev/null ||
	! dnssec_alter_txt "$DNSSEC_SIGNED" bad._domainkey.signed.example.com "v=DKIM1; n=altered; k=rsa; p=$(spki k2048.pem)"; then
	fail "sign zone signed.example.com" "see stderr"
	exit 1
fi
signed_zone=$DNSSEC_SIGNED
cat "$DNSSEC_ANCHOR" >anchors
cp "$DNSSEC_ANCHOR_KEY" anchor-dnskey
# expired.example.com: signatures valid in January 2020 only
if ! dnssec_sign_zone expired.zone expired.example.com keys-expired 20200101 20200201 >/dev/null; then
	fail "sign zone expired.example.com" "see stderr"
	exit 1
fi
expired_zone=$DNSSEC_SIGNED
cat "$DNSSEC_ANCHOR" >>anchors
pass "zones signed ($DNSSEC_ALG)"

# ---- servers ----------------------------------------------------------------

# Where the two failing servers listen: 127.53.x.y:53 if possible (delegation), else 127.0.0.1 (stub)
MODE=stub
ADDR2=127.0.0.1 ADDR3=127.0.0.1 PORT2=$(free_port) PORT3=0
if [ "$(id -u)" = 0 ]; then
	for _ in 1 2 3 4 5; do
		x=$((RANDOM % 250 + 1)) y=$((RANDOM % 240 + 2))
		if port53_free "127.53.$x.$y" && port53_free "127.53.$x.$((y + 1))"; then
			MODE=delegation ADDR2=127.53.$x.$y ADDR3=127.53.$x.$((y + 1)) PORT2=53 PORT3=53
			break
		fi
	done
fi
if [ "$MODE" = delegation ] && ! servfail_nsd_start "$TMP/nsd-servfail" "$ADDR2" 53; then
	[ -n "${SF_PID:-}" ] && _nsd_stop_pid "$SF_PID" tree
	MODE=stub ADDR2=127.0.0.1 ADDR3=127.0.0.1 PORT2=$(free_port) PORT3=0
fi
if [ "$MODE" = stub ] && ! servfail_nsd_start "$TMP/nsd-servfail2" "$ADDR2" "$PORT2"; then
	fail "servfail nsd starts" "$(cat "$TMP"/nsd-servfail*/nsd.log 2>/dev/null | tail -n 3)"
	exit 1
fi
SF_DIR=$TMP/nsd-servfail
[ -d "$TMP/nsd-servfail2" ] && SF_DIR=$TMP/nsd-servfail2
if ! dnsdelay_start "$TMP/silent" --drop --listen "$ADDR3" --port "$PORT3"; then
	fail "silent server starts" "on $ADDR3:$PORT3"
	exit 1
fi
SILENT_ADDR=$ADDR3 SILENT_PORT=$DD_PORT SILENT_COUNT=$DD_COUNT
pass "failing servers start ($MODE: SERVFAIL at $ADDR2:$PORT2, silent at $SILENT_ADDR:$SILENT_PORT)"

# the parent zone: children delegated with glue (used as such in delegation mode)
{
	zone_head example.net
	echo "servfail NS ns.servfail"
	echo "ns.servfail A $ADDR2"
	echo "timeout NS ns.timeout"
	echo "ns.timeout A $SILENT_ADDR"
} >example.net.zone
# the top-level zones, as on the Internet: DMARC's tree walk (_dmarc.org, _dmarc.example.com)
# gets NXDOMAIN, not a refusal
for tld in com org net example; do zone_head "$tld" >"$tld.zone"; done

if ! nsd_start "$TMP/nsd" "$signed_zone:signed.example.com" "$expired_zone:expired.example.com" \
	"example.org.zone:example.org" "customer.zone:customer.example" "esp.zone:esp.example" \
	"example.net.zone:example.net" com.zone:com org.zone:org net.zone:net example.zone:example; then
	fail "nsd starts" "see stderr"
	exit 1
fi
pass "nsd starts"
# Everything is forwarded to nsd (nothing leaves loopback); the failing zones
# go by stub, as a forwarder passes no referral on.
FWD=(--resolver "127.0.0.1@$NSD_PORT" --timeout 3000)
if [ "$MODE" = delegation ]; then
	DELEG=(--stub "example.net=127.0.0.1@$NSD_PORT")
else
	DELEG=(--stub "servfail.example.net=$ADDR2@$PORT2" --stub "timeout.example.net=$SILENT_ADDR@$SILENT_PORT")
fi

# ---- DNSSEC -----------------------------------------------------------------

signed m-secure signed.example.com sel k2048.pem || exit 1
verify secure m-secure "${FWD[@]}" --trust-anchor anchors
expect "secure: signed zone, DS anchor" "dkim=pass" "dkim=pass (2048-bit key; secure)"
check_eq "secure: JSON dnssec" "$DNSSEC" secure
verify secure-key m-secure "${FWD[@]}" --trust-anchor anchor-dnskey
expect "secure: signed zone, DNSKEY anchor" "dkim=pass" "dkim=pass (2048-bit key; secure)"
verify no-anchor m-secure "${FWD[@]}"
expect "signed zone without anchor: insecure" "dkim=pass" "dkim=pass (2048-bit key; insecure)"

signed m-insecure example.org sel k2048.pem || exit 1
verify insecure m-insecure "${FWD[@]}" --trust-anchor anchors
expect "insecure: unsigned zone with an anchor elsewhere" "dkim=pass" "dkim=pass (2048-bit key; insecure)"
check_eq "insecure: JSON dnssec" "$DNSSEC" insecure

signed m-bogus signed.example.com bad k2048.pem || exit 1
verify bogus m-bogus "${FWD[@]}" --trust-anchor anchors
expect "bogus (TXT altered after signing): temperror" "dkim=temperror"
reason_has "bogus: reason mentions DNSSEC" DNSSEC
check_eq "bogus: JSON dnssec" "$DNSSEC" bogus
verify bogus-perm m-bogus "${FWD[@]}" --trust-anchor anchors --dnssec-bogus permerror
expect "bogus, --dnssec-bogus permerror: permerror" "dkim=permerror"
reason_has "bogus, permerror: reason mentions DNSSEC" DNSSEC
verify bogus-insecure m-bogus "${FWD[@]}" --trust-anchor anchors --dnssec-bogus insecure
expect "bogus, --dnssec-bogus insecure: verdict computed" "dkim=pass"
# libunbound's permissive mode (val-permissive-mode, which this option sets)
# hands the bogus answer over but marks it indeterminate, not bogus: the
# ub_result says neither secure nor bogus, so dkmod can only report it
# insecure.  Never secure, whichever of the two.
case $DNSSEC in
bogus | insecure) pass "bogus, insecure mode: reported '$DNSSEC', not secure" ;;
*) fail "bogus, insecure mode: reported bogus or insecure" "dnssec '$DNSSEC'; A-R: $AR" ;;
esac

signed m-expired expired.example.com sel k2048.pem || exit 1
verify expired m-expired "${FWD[@]}" --trust-anchor anchors
expect "bogus (expired signatures): temperror" "dkim=temperror"
check_eq "expired: JSON dnssec" "$DNSSEC" bogus

# ---- failing servers --------------------------------------------------------

signed m-servfail servfail.example.net sel k2048.pem || exit 1
sf0=$(NSD_DIR=$SF_DIR nsd_stat num.queries || echo 0)
verify servfail m-servfail "${FWD[@]}" "${DELEG[@]}"
expect "SERVFAIL ($MODE): temperror" "dkim=temperror"
reason_has "SERVFAIL: reason mentions SERVFAIL" SERVFAIL
sf1=$(NSD_DIR=$SF_DIR nsd_stat num.queries || echo 0)
if [ "$sf1" -gt "$sf0" ]; then
	pass "SERVFAIL: the servfail server was asked ($((sf1 - sf0)) queries, ${TOOK} ms)"
else
	fail "SERVFAIL: the servfail server was asked" "num.queries $sf0 -> $sf1"
fi

signed m-timeout timeout.example.net sel k2048.pem || exit 1
s0=$(count "$SILENT_COUNT")
verify timeout m-timeout "${FWD[@]}" "${DELEG[@]}" --timeout 1500
expect "time-out ($MODE): temperror" "dkim=temperror"
reason_has "time-out: reason says timed out" "timed out"
if [ "$TOOK" -lt 4000 ]; then
	pass "time-out: verify finished in $TOOK ms (budget 1500)"
else
	fail "time-out: verify finished in time" "$TOOK ms for --timeout 1500"
fi
s1=$(count "$SILENT_COUNT")
if [ "$s1" -gt "$s0" ]; then pass "time-out: the silent server was asked ($((s1 - s0)) queries)"; else
	fail "time-out: the silent server was asked" "count $s0 -> $s1"; fi

# ---- answers of an unsigned zone --------------------------------------------

signed m-nx example.org gone k2048.pem || exit 1
verify nxdomain m-nx "${FWD[@]}"
expect "NXDOMAIN: permerror" "dkim=permerror"
reason_has "NXDOMAIN: reason says no key" "no key"

signed m-nodata example.org empty k2048.pem || exit 1
verify nodata m-nodata "${FWD[@]}"
expect "NODATA (name has only an A record): permerror" "dkim=permerror"
reason_has "NODATA: reason says no key record" "no key record"

signed m-multi example.org multi k2048.pem || exit 1
verify multi m-multi "${FWD[@]}"
expect "several TXT records (garbage sorts first): pass" "dkim=pass"

signed m-cname customer.example sel k2048.pem || exit 1
verify cname m-cname "${FWD[@]}"
expect "CNAME to an ESP's key: pass" "dkim=pass" "dkim=pass (2048-bit key; insecure)"

signed m-big example.org big k4096.pem || exit 1
tcp0=$(nsd_stat num.tcp || echo "")
verify big m-big "${FWD[@]}"
tcp1=$(nsd_stat num.tcp || echo "")
expect "4096-bit key, ${#BIGKEY}-byte record: pass" "dkim=pass" "dkim=pass (4096-bit key"
if [ -z "$tcp0" ] || [ -z "$tcp1" ]; then
	fail "big record came over TCP" "nsd-control gave no statistics"
elif [ "$tcp1" -gt "$tcp0" ]; then
	pass "big record came over TCP (num.tcp $tcp0 -> $tcp1)"
else
	fail "big record came over TCP" "num.tcp $tcp0 -> $tcp1"
fi

# ---- parallel lookups -------------------------------------------------------

args=()
for i in 1 2 3 4 5; do
	[ "$i" -gt 1 ] && args+=(--next)
	args+=(--domain "d$i.example.org" --selector sel --key k2048.pem)
done
message m-five.raw d1.example.org
if ! "$DKMOD" sign "${args[@]}" m-five.raw >m-five 2>m-five.err; then
	fail "sign with 5 domains" "$(cat m-five.err)"
elif ! dnsdelay_start "$TMP/delay" --upstream "127.0.0.1:$NSD_PORT" --delay 200; then
	fail "delay proxy starts" "see stderr"
else
	verify five m-five --resolver "127.0.0.1@$DD_PORT" --timeout 3000
	expect "5 signatures, 5 domains, 200 ms per answer: all pass" "dkim=pass dkim=pass dkim=pass dkim=pass dkim=pass"
	n=$(count "$DD_COUNT")
	if [ "$TOOK" -ge 200 ] && [ "$TOOK" -lt 900 ]; then
		pass "lookups ran in parallel: $TOOK ms for $n delayed answers"
	else
		fail "lookups ran in parallel" "$TOOK ms for $n queries delayed 200 ms each (want 200..899)"
	fi
	if [ "$n" -ge 5 ]; then pass "the proxy saw every key lookup ($n queries)"; else
		fail "the proxy saw every key lookup" "$n queries"; fi
fi
