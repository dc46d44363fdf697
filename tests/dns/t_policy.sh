#!/usr/bin/env bash
# t_policy.sh - sender policies through a real nsd on 127.0.0.1: the
# DomainKeys policy of the sender's domain (o=-, o=- with t=y, o=~, none,
# malformed, lookup failure) reported as policy.dk=, and ADSP of the author's
# domain (all, discardable, unknown, none, nxdomain, temperror, pass)
# reported as dkim-adsp=.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
cd "$TMP" || exit 1
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out k.pem 2>/dev/null
P=$(openssl pkey -in k.pem -pubout -outform DER 2>/dev/null | base64 -w0)
{
	zone_head example.com
	for d in strict testing relaxed nopolicy broken all discardable unknown noadsp signed; do echo "$d IN MX 10 mx.example.com."; done
	echo "k._domainkey.signed IN TXT \"v=DKIM1; k=rsa; p=$P\""
	echo "k._domainkey.strict IN TXT \"k=rsa; p=$P\""
	echo '_domainkey.strict IN TXT "o=-; r=postmaster@example.com"'
	echo '_domainkey.testing IN TXT "t=y; o=-"'
	echo '_domainkey.relaxed IN TXT "o=~"'
	echo '_domainkey.broken IN TXT "o=maybe"'
	echo '_adsp._domainkey.all IN TXT "dkim=all"'
	echo '_adsp._domainkey.discardable IN TXT "dkim=discardable"'
	echo '_adsp._domainkey.unknown IN TXT "dkim=unknown"'
	echo '_adsp._domainkey.signed IN TXT "dkim=all"'
} >example.com.zone
nsd_start "$TMP/nsd" "$TMP/example.com.zone:example.com" || { fail "nsd starts"; exit 1; }
silent_udp_start "$TMP/silent" || { fail "silent server starts"; exit 1; }
V=("$DKMOD" verify --resolver "127.0.0.1@$NSD_PORT" --stub "slow.example.com=127.0.0.1@$SILENT_PORT" --timeout 1500 --authserv-id mx)

# msg FROM [SENDER] - a message from that address
msg() {
	printf 'From: %s\r\n' "$1"
	[ -n "${2:-}" ] && printf 'Sender: %s\r\n' "$2"
	printf 'To: bob@example.net\r\nSubject: policy\r\n\r\nbody\r\n'
}
# policy_dk FILE / adsp FILE - the reported values
policy_dk() { ar_text "$1" | grep -oE 'policy\.dk=[a-z]+' | sed 's/.*=//'; }
adsp() { ar_text "$1" | grep -oE 'dkim-adsp=[a-z]+' | sed 's/.*=//'; }

while read -r from sender want_dk want_adsp; do
	[ "$sender" = - ] && sender=""
	msg "$from" "$sender" >m.eml
	"${V[@]}" m.eml >out.eml 2>err.txt
	check_eq "policy.dk for ${sender:-$from}" "$(policy_dk out.eml)" "$want_dk"
	check_eq "dkim-adsp for $from" "$(adsp out.eml)" "$want_adsp"
done <<'CASES'
a@strict.example.com - reject none
a@testing.example.com - neutral none
a@relaxed.example.com - neutral none
a@nopolicy.example.com - neutral none
a@broken.example.com - permerror none
a@slow.example.com - temperror temperror
a@all.example.com - neutral fail
a@discardable.example.com - neutral discard
a@unknown.example.com - neutral unknown
a@noadsp.example.com - neutral none
a@nonexistent.example.com - neutral nxdomain
a@all.example.com b@strict.example.com reject fail
a@strict.example.com b@relaxed.example.com neutral none
CASES

# a good signature: DomainKeys accept, ADSP pass for an author signature
msg a@strict.example.com >s.eml
"$DKMOD" sign --type domainkeys --selector k --key k.pem s.eml >dk.eml
"${V[@]}" dk.eml >vdk.eml
check_eq "good DomainKeys signature: accept" "$(policy_dk vdk.eml)" accept
msg a@signed.example.com >a.eml
"$DKMOD" sign --domain signed.example.com --selector k --key k.pem a.eml >dkim.eml
"${V[@]}" --json dkim.eml >vdkim.eml 2>json.txt
check_eq "author signature: ADSP pass" "$(adsp vdkim.eml)" pass
if ar_text vdkim.eml | grep -q 'dkim-adsp=pass header.from=a@signed.example.com'; then pass "dkim-adsp names header.from"; else fail "dkim-adsp names header.from" "$(ar_text vdkim.eml)"; fi
# a third-party signature is not an author signature
msg a@all.example.com | "$DKMOD" sign --domain signed.example.com --selector k --key k.pem >third.eml
"${V[@]}" third.eml >vthird.eml
check_eq "third-party signature: ADSP fail for dkim=all" "$(adsp vthird.eml)" fail
check_eq "third-party signature still passes" "$(ar_results vthird.eml)" "dkim=pass domainkeys=none"
