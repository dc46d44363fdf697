#!/usr/bin/env bash
# t_verify_auth.sh - SPF and DMARC in `dkmod verify` (--client-ip, --helo,
# --mail-from) on a zone file publishing SPF and DMARC records (local data):
# DMARC pass by DKIM alignment and by SPF alignment, fail under p=reject,
# t=y, none without a record, temperror when the From domain's server is
# silent (within one time budget), and without an envelope spf=none and
# DMARC from DKIM alone; the A-R fields and the JSON; a trusted upstream
# SPF result (--trusted-authserv-id) and Received-SPF (--received-spf).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
cd "$TMP" || exit 1
CONF="$DKMOD_TOP/conf"
install -m 600 "$CONF/demo.key" "$TMP/"
{
	# the demo zone's keys, without its own DMARC record and top-level zone (given below)
	sed "/^; example.com's DMARC record/,\$d" "$CONF/demo.zone"
	cat <<'ZONE'
$ORIGIN example.com.
@          TXT "v=spf1 ip4:192.0.2.1 -all"
bounce     TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc     TXT "v=DMARC1; p=reject; sp=quarantine"
testing    TXT "v=spf1 -all"
_dmarc.testing TXT "v=DMARC1; p=reject; t=y"
$ORIGIN com.
@ SOA ns hostmaster 1 3600 600 86400 60
$ORIGIN org.
@ SOA ns hostmaster 1 3600 600 86400 60
norecord   TXT "v=spf1 ip4:192.0.2.1 -all"
ZONE
} >auth.zone
V=("$DKMOD" verify --zone "$TMP/auth.zone" --authserv-id mx.example.net)
"$DKMOD" sign --domain example.com --selector demo --key "$TMP/demo.key" "$CONF/sample.eml" >signed.eml 2>/dev/null
# msg FROM - an unsigned message from FROM
msg() { printf 'From: %s\r\nTo: bob@example.net\r\nSubject: s\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\nbody\r\n' "$1"; }
# auth NAME WANT FILE ARGS... - the spf= and dmarc= part of the A-R of dkmod verify ARGS FILE
auth() {
	local name=$1 want=$2 file=$3 got
	shift 3
	"${V[@]}" "$@" "$file" >out.eml 2>err.txt
	got=$(ar_text out.eml | grep -oE '(spf|dmarc)=.*$')
	check_eq "$name" "$got" "$want"
}
E=(--client-ip 192.0.2.1 --helo mail.example.com)
auth "no envelope: no spf resinfo, DMARC pass by DKIM alignment" \
	"dmarc=pass (p=reject sp=quarantine dis=none) header.from=example.com" signed.eml
"${V[@]}" --json signed.eml 2>json.txt >/dev/null
check_eq "no envelope: spf none in the JSON" "$(grep -oE '"spf":\{[^}]*\}' json.txt)" '"spf":{"result":"none","checked":false}'
grep -q '"dmarc":{"result":"pass","testing":false,"dkim_aligned":true,"spf_aligned":false' json.txt &&
	pass "no envelope: the JSON's dmarc, DKIM aligned" || fail "no envelope: the JSON's dmarc, DKIM aligned" "$(cat json.txt)"
msg 'Ann <ann@example.com>' >plain.eml
auth "SPF alignment: pass" \
	"spf=pass smtp.mailfrom=b@bounce.example.com; dmarc=pass (p=reject sp=quarantine dis=none) header.from=example.com" \
	plain.eml "${E[@]}" --mail-from b@bounce.example.com
auth "p=reject: fail, disposition reject" \
	"spf=fail smtp.mailfrom=b@bounce.example.com; dmarc=fail (p=reject sp=quarantine dis=reject) reason=\"no aligned identifier\" header.from=example.com" \
	plain.eml --client-ip 198.51.100.9 --helo evil.example.net --mail-from b@bounce.example.com
msg 'ann@testing.example.com' >testing.eml
auth "t=y: fail, quarantine asked" \
	"spf=fail smtp.mailfrom=b@testing.example.com; dmarc=fail (p=reject sp=reject dis=quarantine) reason=\"no aligned identifier\" header.from=testing.example.com" \
	testing.eml "${E[@]}" --mail-from b@testing.example.com
msg 'ann@norecord.org' >norecord.eml
auth "no record: none" "spf=pass smtp.mailfrom=a@norecord.org; dmarc=none reason=\"no DMARC record\" header.from=norecord.org" \
	norecord.eml "${E[@]}" --mail-from a@norecord.org
auth "the null sender: postmaster@HELO" \
	"spf=pass smtp.mailfrom=postmaster@bounce.example.com; dmarc=pass (p=reject sp=quarantine dis=none) header.from=example.com" \
	plain.eml --client-ip 192.0.2.1 --helo bounce.example.com --mail-from ''
# trusted upstream results (--trusted-authserv-id) and Received-SPF (--received-spf)
{ printf 'Authentication-Results: mx1.example.net; spf=pass smtp.mailfrom=b@bounce.example.com\r\n'; cat plain.eml; } >trusted.eml
auth "trusted upstream SPF: used, DMARC passes by it" \
	"spf=pass (from trusted mx1.example.net) smtp.mailfrom=b@bounce.example.com; dmarc=pass (p=reject sp=quarantine dis=none) header.from=example.com" \
	trusted.eml --client-ip 198.51.100.9 --helo evil.example.net --mail-from b@bounce.example.com \
	--trusted-authserv-id mx1.example.net --received-spf
check "trusted upstream SPF: no Received-SPF" bash -c "! grep -q '^Received-SPF:' out.eml"
"${V[@]}" --json --trusted-authserv-id mx1.example.net trusted.eml 2>json.txt >/dev/null
check "trusted upstream SPF: the JSON names the id" grep -qF '"reason":"from trusted mx1.example.net","explanation":"","trusted":"mx1.example.net"}' json.txt
auth "not trusted: checked here" \
	"spf=fail smtp.mailfrom=b@bounce.example.com; dmarc=fail (p=reject sp=quarantine dis=reject) reason=\"no aligned identifier\" header.from=example.com" \
	trusted.eml --client-ip 198.51.100.9 --helo evil.example.net --mail-from b@bounce.example.com \
	--trusted-authserv-id mx2.example.net --received-spf
check "not trusted: Received-SPF fail, the field below our A-R" \
	bash -c "tail -n +2 out.eml | grep -m1 -E '^[^[:space:]]' | grep -q '^Received-SPF: fail (mx.example.net: domain of b@bounce.example.com does'"
status "a bad client address: usage" 64 "${V[@]}" --client-ip 300.1.1.1 --helo a.example.com plain.eml
status "--mail-from without a value: usage" 64 "${V[@]}" --mail-from

if silent_udp_start; then
	msg 'ann@slow.example' >slow.eml
	start=$(date +%s%N)
	auth "a silent server: temperror" \
		"spf=temperror smtp.mailfrom=a@slow.example; dmarc=temperror reason=\"DMARC record lookup failed\" header.from=slow.example" \
		slow.eml --stub "slow.example=127.0.0.1@$SILENT_PORT" --timeout 500 "${E[@]}" --mail-from a@slow.example
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -lt 2500 ] && pass "a silent server: SPF and DMARC share one budget" ||
		fail "a silent server: SPF and DMARC share one budget" "took $ms ms with --timeout 500"
else
	fail "silent server" "did not start"
fi

# counters: SPF and DMARC results under the dkim_validate instance
"${V[@]}" --state "$TMP/state" "${E[@]}" --mail-from b@bounce.example.com plain.eml >/dev/null 2>&1
"${V[@]}" --state "$TMP/state" signed.eml >/dev/null 2>&1
stats=$("$DKMOD" console --state "$TMP/state" 'dkim_validate:dkim_validate1 stats')
check_eq "counters: one spf pass (the message without an envelope is not counted)" \
	"$(awk '$1 == "dkim_validate.dkim_validate1.spf.pass" {print $2}' <<<"$stats")" 1
check_eq "counters: two dmarc passes" "$(awk '$1 == "dkim_validate.dkim_validate1.dmarc.pass" {print $2}' <<<"$stats")" 2
