#!/usr/bin/env bash
# t_examples.sh - lua/examples/strict.lua and lua/examples/testing.lua through
# `dkmod process` against a real nsd on 127.0.0.1 (and a silent server for
# time-outs): every branch of each, with DKIM, DomainKeys and mixed messages;
# testing.lua's DMARC notes (reject, quarantine, tempfail, p=none: nothing).
# (esp.lua is in t_sign.sh, default.lua in t_default.sh, historic.lua in t_historic.sh.)
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
P=$(newkey k.pem) || { fail "key"; exit 1; }
{
	zone_head example.com
	for d in good strict discardable all reject quar none dmslow; do
		echo "$d IN MX 10 mx.example.com."
		echo "k._domainkey.$d IN TXT \"k=rsa; p=$P\""
	done
	echo '_domainkey.strict IN TXT "o=-"'
	echo '_adsp._domainkey.discardable IN TXT "dkim=discardable"'
	echo '_adsp._domainkey.all IN TXT "dkim=all"'
	echo '_dmarc.reject IN TXT "v=DMARC1; p=reject"'
	echo '_dmarc.quar IN TXT "v=DMARC1; p=quarantine"'
	echo '_dmarc.none IN TXT "v=DMARC1; p=none"'
	echo '_dmarc.dmslow IN TXT "v=DMARC1; p=reject"'
} >example.com.zone
zone_head com >com.zone # the DMARC tree walk asks _dmarc.com: NXDOMAIN, not REFUSED
nsd_start "$TMP/nsd" "$TMP/example.com.zone:example.com" "$TMP/com.zone:com" || { fail "nsd starts"; exit 1; }
silent_udp_start "$TMP/silent" || { fail "silent server starts"; exit 1; }
for p in strict testing; do
	cat >"$p.conf" <<CONF
dk_validate "dk" { }
dkim_validate "dkim" { }
resolver { forward = "127.0.0.1@$NSD_PORT", stub = { ["slow.example.com"] = "127.0.0.1@$SILENT_PORT", ["k._domainkey.dmslow.example.com"] = "127.0.0.1@$SILENT_PORT" }, timeout = 1.5 }
policy "$LUA_TOP/examples/$p.lua"
authserv_id "mx.example.net"
log { level = "warning" }
CONF
done
mail a@good.example.com >u.eml
"$DKMOD" sign --domain good.example.com --selector k --key k.pem u.eml >dkim.eml
"$DKMOD" sign --type domainkeys --selector k --key k.pem u.eml >dk.eml
"$DKMOD" sign --type domainkeys --selector k --key k.pem dkim.eml >mixed.eml
sed 's/this is a test/this is not a test/' dkim.eml >dkimbad.eml
sed 's/this is a test/this is not a test/' dk.eml >dkbad.eml
sed 's/^DKIM-Signature: v=1;/DKIM-Signature: v=1; x=garbage;/' dkim.eml >perm.eml
mail a@slow.example.com | "$DKMOD" sign --domain slow.example.com --selector k --key k.pem >slow.eml

# strict.lua
process "strict: unsigned: accept" accept 0 --config strict.conf u.eml
process "strict: good DKIM: accept" accept 0 --config strict.conf dkim.eml
if ar_text out.eml | grep -q 'dkim=pass'; then pass "strict: A-R added"; else fail "strict: A-R added" "$(head -3 out.eml)"; fi
process "strict: good DomainKeys: accept" accept 0 --config strict.conf dk.eml
process "strict: good DKIM and DomainKeys: accept" accept 0 --config strict.conf mixed.eml
check_eq "strict: mixed: both pass" "$(ar_results out.eml)" "dkim=pass domainkeys=pass"
process "strict: broken DKIM: reject" reject 1 --config strict.conf dkimbad.eml
if grep -q 'reply="550 5.7.1 dkim signature of good.example.com is fail' err.txt; then pass "strict: reply names the signature"; else fail "strict: reply names the signature" "$(cat err.txt)"; fi
process "strict: broken DomainKeys: reject" reject 1 --config strict.conf dkbad.eml
process "strict: malformed signature (permerror): reject" reject 1 --config strict.conf perm.eml
process "strict: key lookup times out: tempfail" tempfail 2 --config strict.conf slow.eml
if grep -q 'reply="451 4.7.5 key lookup for slow.example.com failed' err.txt; then pass "strict: temperror reply"; else fail "strict: temperror reply" "$(cat err.txt)"; fi

# testing.lua: never refuses; says what it would have done
would() { # NAME FILE WANT_SUBSTRING
	process "testing: $1: accept" accept 0 --config testing.conf "$2"
	if sed '/^\r$/q' out.eml | grep -q "^X-Dkmod-Would: $3"; then pass "testing: $1: X-Dkmod-Would"; else
		fail "testing: $1: X-Dkmod-Would" "$(sed '/^\r$/q' out.eml | grep -i would)"; fi
}
mail a@strict.example.com >strict.eml
would "o=- unsigned" strict.eml "reject: strict.example.com signs all its mail"
mail a@discardable.example.com >disc.eml
would "ADSP discardable" disc.eml "discard: discardable.example.com publishes ADSP discardable"
mail a@all.example.com >all.eml
would "ADSP all" all.eml "tag: ADSP all without an author signature"
would "policy lookup times out" slow.eml "tempfail: DomainKeys policy lookup of slow.example.com failed"
would "broken DKIM" dkimbad.eml "note: dkim signature of good.example.com is fail"
"$DKMOD" sign --domain discardable.example.com --selector k --key k.pem --body-length disc.eml >discl.eml
printf 'Appended after signing.\r\n' >>discl.eml
would "ADSP discardable, l= over part of the body" discl.eml "discard: discardable.example.com signed only part"
would "l= over part of the body: a note" discl.eml "note: dkim signature of discardable.example.com leaves part"
process "testing: good DKIM: accept" accept 0 --config testing.conf dkim.eml
if sed '/^\r$/q' out.eml | grep -q '^X-Dkmod-Would:'; then fail "testing: good DKIM: nothing to say" "$(head -5 out.eml)"; else pass "testing: good DKIM: nothing to say"; fi
mail a@reject.example.com >reject.eml
would "DMARC p=reject, unsigned" reject.eml "reject: DMARC policy of reject.example.com (p=reject)"
mail a@quar.example.com >quar.eml
would "DMARC p=quarantine, unsigned" quar.eml "quarantine: DMARC policy of quar.example.com (p=quarantine)"
mail a@dmslow.example.com | "$DKMOD" sign --domain dmslow.example.com --selector k --key k.pem >dmslow.eml
would "DMARC p=reject, the author key lookup times out" dmslow.eml "tempfail: DMARC check of dmslow.example.com failed"
mail a@none.example.com >none.eml
process "testing: DMARC p=none: accept" accept 0 --config testing.conf none.eml
if sed '/^\r$/q' out.eml | grep -q '^X-Dkmod-Would:'; then fail "testing: DMARC p=none: nothing to say" "$(head -5 out.eml)"; else pass "testing: DMARC p=none: nothing to say"; fi
