#!/usr/bin/env bash
# t_domainkeys_peers.sh - DomainKeys interop with Perl Mail::DKIM (the one
# maintained peer that still speaks it), keys served by a real nsd on
# 127.0.0.1: both directions for simple and nofws, with and without h=, From
# and Sender, keys of 512 to 2048 bits, keys with g= and t=y; re-folding in
# transit; tampering; fields added above the signature; DomainKey-Status.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
MDKIM="perl $DKMOD_TOP/tests/interop/peer_mdkim.pl"

cd "$TMP" || exit 1
# dk_record KEYFILE EXTRA - a DomainKeys key record in 250-byte strings
dk_record() {
	local p
	p=$(openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | base64 -w0)
	echo "${2:-}k=rsa; p=$p" | fold -w 250 | sed 's/.*/"&"/' | tr '\n' ' '
}
for bits in 512 768 1024 2048; do
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:$bits -out k$bits.pem 2>/dev/null
done
{
	zone_head example.com
	for bits in 512 768 1024 2048; do echo "k$bits._domainkey IN TXT ( $(dk_record k$bits.pem) )"; done
	echo "galice._domainkey IN TXT ( $(dk_record k1024.pem 'g=alice; ') )"
	echo "gbob._domainkey IN TXT ( $(dk_record k1024.pem 'g=bob; ') )"
	echo "testing._domainkey IN TXT ( $(dk_record k1024.pem 't=y; ') )"
	echo "dotted.sel._domainkey IN TXT ( $(dk_record k1024.pem) )"
} >example.com.zone
nsd_start "$TMP/nsd" "$TMP/example.com.zone:example.com" || { fail "nsd starts"; exit 1; }
VERIFY=("$DKMOD" verify --min-key-bits 512 --resolver "127.0.0.1@$NSD_PORT" --authserv-id mx.example.net)

printf '%s\r\n' 'Received: from client.example.com by relay.example.com; Wed, 25 Nov 2026 10:00:02 +0000' \
	'From: Alice <alice@example.com>' 'To: Bob <bob@example.net>' 'Subject: DomainKeys  interop' \
	'Date: Wed, 25 Nov 2026 10:00:00 +0000' 'Message-ID: <dk-1@example.com>' '' 'Hello Bob,  ' \
	'	with tabs and  spaces.' '' >from.eml
printf '%s\r\n' 'From: Alice <alice@example.org>' 'Sender: List <alice@lists.example.com>' 'To: Bob <bob@example.net>' \
	'Subject: via a list' 'Date: Wed, 25 Nov 2026 10:00:00 +0000' '' 'Hello from the list.' >sender.eml

# dk_result FILE - the domainkeys= result of dkmod's A-R for FILE
dk_result() { ar_results "$1" | grep -oE 'domainkeys=[a-z]+' | head -1 | sed 's/.*=//'; }
# mdkim_dk FILE - Mail::DKIM's verdict on the DomainKeys signature of FILE
mdkim_dk() { $MDKIM verify --dns-port "$NSD_PORT" <"$1" | awk '$1 == "domainkeys" { print $2; exit }'; }

n=0
for bits in 512 768 1024 2048; do
	for canon in simple nofws; do
		for hdrs in "" "from:to:subject"; do
			n=$((n + 1))
			name="$bits bits $canon${hdrs:+ h=$hdrs}"
			"$DKMOD" sign --type domainkeys --selector k$bits --key k$bits.pem --canon $canon \
				${hdrs:+--headers $hdrs} from.eml >d$n.eml 2>d$n.err || { fail "dkmod signs $name" "$(cat d$n.err)"; continue; }
			check_eq "Mail::DKIM verifies dkmod DomainKeys $name" "$(mdkim_dk d$n.eml)" pass
			"${VERIFY[@]}" d$n.eml >vd$n.eml
			check_eq "dkmod verifies dkmod DomainKeys $name" "$(dk_result vd$n.eml)" pass
			$MDKIM sign --type domainkeys --domain example.com --selector k$bits --key k$bits.pem --canon $canon \
				${hdrs:+--headers $hdrs} <from.eml >p$n.eml 2>p$n.err || { fail "Mail::DKIM signs $name" "$(cat p$n.err)"; continue; }
			"${VERIFY[@]}" p$n.eml >vp$n.eml
			check_eq "dkmod verifies Mail::DKIM DomainKeys $name" "$(dk_result vp$n.eml)" pass
			if grep -q '^DomainKey-Status: good' vp$n.eml; then pass "DomainKey-Status good ($name)"; else fail "DomainKey-Status good ($name)" "$(grep DomainKey-Status vp$n.eml)"; fi
		done
	done
done
if grep -q '^DomainKey-Signature: .*h=' d2.eml || sed -n '1,/^\r$/p' d2.eml | tr -d '\r\n\t ' | grep -q 'h=From:To:Subject;'; then
	pass "h= written in the order signed"
else
	fail "h= written in the order signed" "$(sed -n '1,/^\r$/p' d2.eml | head -5)"
fi

# the responsible sender: Sender: wins over From:, d= may be a parent domain
"$DKMOD" sign --type domainkeys --domain example.com --selector k1024 --key k1024.pem sender.eml >s.eml 2>s.err
check_eq "Mail::DKIM verifies a Sender: signature with a parent d=" "$(mdkim_dk s.eml)" pass
"${VERIFY[@]}" s.eml >vs.eml
check_eq "dkmod verifies a Sender: signature" "$(dk_result vs.eml)" pass
if ar_text vs.eml | grep -q 'header.sender=alice@lists.example.com'; then pass "A-R names header.sender"; else fail "A-R names header.sender" "$(ar_text vs.eml)"; fi
if "$DKMOD" sign --type domainkeys --domain example.net --selector k1024 --key k1024.pem sender.eml >/dev/null 2>&1; then
	fail "signing refuses a d= the sender is not within" "signed"
else
	pass "signing refuses a d= the sender is not within"
fi

# keys with g= and t=y, and a selector with dots
for case in "galice pass" "gbob permerror" "testing pass" "dotted.sel pass"; do
	set -- $case
	"$DKMOD" sign --type domainkeys --selector "$1" --key k1024.pem from.eml >g-$1.eml
	"${VERIFY[@]}" g-$1.eml >vg-$1.eml
	check_eq "key $1: dkmod verdict" "$(dk_result vg-$1.eml)" "$2"
	want=$2
	[ "$want" = permerror ] && want=invalid
	check_eq "key $1: Mail::DKIM verdict" "$(mdkim_dk g-$1.eml)" "$want"
done
if "$DKMOD" verify --json --min-key-bits 512 --resolver "127.0.0.1@$NSD_PORT" g-testing.eml 2>&1 >/dev/null | grep -q '"testing":true'; then
	pass "t=y is reported"
else
	fail "t=y is reported"
fi

# re-folding in transit passes nofws and fails simple; tampering fails both
for canon in simple nofws; do
	"$DKMOD" sign --type domainkeys --selector k1024 --key k1024.pem --canon $canon from.eml >t-$canon.eml
	sed 's/^Subject: DomainKeys  interop/Subject: DomainKeys\r\n\tinterop/' t-$canon.eml >rf-$canon.eml
	"${VERIFY[@]}" rf-$canon.eml >vrf-$canon.eml
	sed 's/with tabs/with no tabs/' t-$canon.eml >tb-$canon.eml
	"${VERIFY[@]}" tb-$canon.eml >vtb-$canon.eml
	sed 's/^To: Bob/To: Mallory/' t-$canon.eml >th-$canon.eml
	"${VERIFY[@]}" th-$canon.eml >vth-$canon.eml
	check_eq "$canon: body tampering fails" "$(dk_result vtb-$canon.eml)" fail
	check_eq "$canon: signed header tampering fails" "$(dk_result vth-$canon.eml)" fail
	check_eq "$canon: Mail::DKIM sees the body tampering" "$(mdkim_dk tb-$canon.eml)" fail
	{ printf 'Received: from relay2.example.net by mx.example.net\r\nX-Spam: no\r\nDomainKey-Status: good\r\n'; cat tb-$canon.eml; } >forged-$canon.eml
	"${VERIFY[@]}" forged-$canon.eml >vforged-$canon.eml
	if grep -c '^DomainKey-Status:' vforged-$canon.eml | grep -qx 1 && grep -q '^DomainKey-Status: bad' vforged-$canon.eml; then
		pass "$canon: a forged DomainKey-Status is replaced"
	else
		fail "$canon: a forged DomainKey-Status is replaced" "$(grep DomainKey-Status vforged-$canon.eml)"
	fi
	{ printf 'Received: from relay2.example.net by mx.example.net\r\nX-Spam: no\r\n'; cat t-$canon.eml; } >above-$canon.eml
	"${VERIFY[@]}" above-$canon.eml >vabove-$canon.eml
	check_eq "$canon: fields added above the signature do not matter" "$(dk_result vabove-$canon.eml)" pass
	{ printf 'Sender: Mallory <m@evil.example>\r\n'; cat t-$canon.eml; } >sabove-$canon.eml
	"${VERIFY[@]}" sabove-$canon.eml >vsabove-$canon.eml
	check_eq "$canon: a Sender: added above the signature breaks it" "$(dk_result vsabove-$canon.eml)" permerror
done
check_eq "nofws survives re-folding" "$(dk_result vrf-nofws.eml)" pass
check_eq "simple does not survive re-folding" "$(dk_result vrf-simple.eml)" fail
check_eq "Mail::DKIM agrees on nofws re-folding" "$(mdkim_dk rf-nofws.eml)" pass

# unsigned mail
"${VERIFY[@]}" from.eml >vu.eml
check_eq "unsigned mail: domainkeys=none" "$(dk_result vu.eml)" none
if grep -q '^DomainKey-Status: no signature' vu.eml; then pass "unsigned mail: DomainKey-Status: no signature"; else fail "unsigned mail: DomainKey-Status: no signature"; fi

# DomainKeys and DKIM on one message in one pass, read once by the verifier
"$DKMOD" sign --type domainkeys --selector k1024 --key k1024.pem --next --type dkim --domain example.com \
	--selector k2048 --key k2048.pem from.eml >both.eml
"${VERIFY[@]}" both.eml >vboth.eml
check_eq "one pass with both kinds" "$(ar_results vboth.eml)" "dkim=pass domainkeys=pass"
