#!/usr/bin/env bash
# t_historic.sh - lua/examples/historic.lua (the opt-in DomainKeys and ADSP policy)
# through `dkmod process` against a real nsd on 127.0.0.1: DomainKeys o=- with and without t=y, o=~, good, bad and missing
# signatures (DomainKeys, DKIM, both), ADSP all / discardable / unknown /
# nxdomain / pass, discardable turned into reject, and DNS time-outs (a stub
# zone to a server that never answers) for the policy, ADSP and a key lookup
# the verdict rests on: tempfail 451 4.7.5 rather than reject.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
P=$(newkey k.pem) || { fail "key"; exit 1; }
{
	zone_head example.com
	for d in strict testing relaxed dkslowkey all discardable unknown signed discslow; do
		echo "$d IN MX 10 mx.example.com."
		echo "k._domainkey.$d IN TXT \"k=rsa; p=$P\""
	done
	echo '_domainkey.strict IN TXT "o=-; r=postmaster@example.com"'
	echo '_domainkey.dkslowkey IN TXT "o=-"'
	echo '_domainkey.testing IN TXT "t=y; o=-"'
	echo '_domainkey.relaxed IN TXT "o=~"'
	echo '_adsp._domainkey.all IN TXT "dkim=all"'
	echo '_adsp._domainkey.discardable IN TXT "dkim=discardable"'
	echo '_adsp._domainkey.discslow IN TXT "dkim=discardable"'
	echo '_adsp._domainkey.unknown IN TXT "dkim=unknown"'
	echo '_adsp._domainkey.signed IN TXT "dkim=all"'
} >example.com.zone
nsd_start "$TMP/nsd" "$TMP/example.com.zone:example.com" || { fail "nsd starts"; exit 1; }
silent_udp_start "$TMP/silent" || { fail "silent server starts"; exit 1; }
SLOW=(slow.example.com k._domainkey.dkslowkey.example.com k._domainkey.discslow.example.com)
HIST=$LUA_TOP/examples/historic.lua
write_conf dkmod.conf "$HIST" "${SLOW[@]}"
setting reject "$HIST" 's/^local adsp_discardable = "discard"/local adsp_discardable = "reject"/' "${SLOW[@]}"
check "config-check of the test configuration" "$DKMOD" config-check dkmod.conf

# dk FILE / dkim DOMAIN FILE - sign with the test key
dk() { "$DKMOD" sign --type domainkeys --selector k --key k.pem "$1"; }
dkim() { "$DKMOD" sign --domain "$1" --selector k --key k.pem "$2"; }

# DomainKeys sender policy
mail a@strict.example.com >m.eml
process "o=- unsigned: reject" reject 1 --config dkmod.conf m.eml
check_eq "o=- unsigned: reply" "$(sed -n 's/^action=.* reply="\(.*\)"$/\1/p' err.txt)" \
	"550 5.7.1 strict.example.com signs all its mail (DomainKeys o=-) and this message has no valid signature"
check_eq "reject: nothing printed" "$(wc -c <out.eml)" 0
setting quar "$HIST" 's/^local dk_signs_all = "reject"/local dk_signs_all = "quarantine"/' "${SLOW[@]}"
process "o=- unsigned, dk_signs_all = quarantine (after-queue filters)" quarantine 4 --config quar.conf m.eml
dk m.eml >dk.eml
process "o=- with a good DomainKeys signature: accept" accept 0 --config dkmod.conf dk.eml
if ar_text out.eml | grep -q 'domainkeys=pass'; then pass "accepted: Authentication-Results added"; else fail "accepted: Authentication-Results added" "$(ar_text out.eml)"; fi
check_eq "accepted: the message follows unchanged" "$(sed '1,/^DomainKey-Status:/d' out.eml | md5sum)" "$(md5sum <dk.eml)"
sed 's/this is a test/this is a forgery/' dk.eml >dkbad.eml
process "o=- with a broken DomainKeys signature: reject" reject 1 --config dkmod.conf dkbad.eml
dkim strict.example.com m.eml >dkimonly.eml
process "o=- with only a DKIM signature: reject" reject 1 --config dkmod.conf dkimonly.eml
dkim strict.example.com dk.eml >mixed.eml
process "o=- with DomainKeys and DKIM signatures: accept" accept 0 --config dkmod.conf mixed.eml
check_eq "mixed: both verified" "$(ar_results out.eml)" "dkim=pass domainkeys=pass"
mail a@relaxed.example.com | "$DKMOD" sign --type domainkeys --selector k --key k.pem >other.eml
sed 's/^From: a@relaxed.example.com/From: a@strict.example.com/' other.eml >wrongdomain.eml
process "o=- with another domain's signature: reject" reject 1 --config dkmod.conf wrongdomain.eml
mail a@testing.example.com >t.eml
process "o=- with t=y, unsigned: accept" accept 0 --config dkmod.conf t.eml
mail a@relaxed.example.com >r.eml
process "o=~ unsigned: accept" accept 0 --config dkmod.conf r.eml
mail a@all.example.com b@strict.example.com >snd.eml
process "Sender: of an o=- domain decides: reject" reject 1 --config dkmod.conf snd.eml
process "o=- from a relaying client: only tagged" accept 0 --config dkmod.conf --relay m.eml
process "o=- from an authenticated client: only tagged" accept 0 --config dkmod.conf --auth-user alice m.eml

# DNS failures the decision rests on
mail a@slow.example.com >slow.eml
process "policy lookup times out: tempfail" tempfail 2 --config dkmod.conf slow.eml
if grep -q 'reply="451 4.7.5 ' err.txt; then pass "time-out: 451 4.7.5"; else fail "time-out: 451 4.7.5" "$(cat err.txt)"; fi
mail a@dkslowkey.example.com | "$DKMOD" sign --type domainkeys --selector k --key k.pem >dkslow.eml
process "o=- and the key lookup of its signature times out: tempfail" tempfail 2 --config dkmod.conf dkslow.eml
if grep -q 'reply="451 4.7.5 DNS lookup of the DomainKeys key' err.txt; then pass "key time-out: reply names the key"; else fail "key time-out: reply names the key" "$(cat err.txt)"; fi

# ADSP
mail a@all.example.com >all.eml
process "ADSP all, unsigned: accept" accept 0 --config dkmod.conf all.eml
if has_field out.eml X-Dkmod-Adsp fail; then pass "ADSP all: tagged X-Dkmod-Adsp: fail"; else fail "ADSP all: tagged" "$(head -5 out.eml)"; fi
mail a@discardable.example.com >disc.eml
process "ADSP discardable, unsigned: discard" discard 3 --config dkmod.conf disc.eml
check_eq "discard: nothing printed" "$(wc -c <out.eml)" 0
process "ADSP discardable with adsp_discardable = reject: reject" reject 1 --config reject.conf disc.eml
dkim all.example.com disc.eml >disc3.eml
process "ADSP discardable, third-party signature only: discard" discard 3 --config dkmod.conf disc3.eml
dkim discardable.example.com disc.eml >disc2.eml
process "ADSP discardable with an author signature: accept" accept 0 --config dkmod.conf disc2.eml
mail a@unknown.example.com >unk.eml
process "ADSP unknown: accept" accept 0 --config dkmod.conf unk.eml
if has_field out.eml X-Dkmod-Adsp; then fail "ADSP unknown: not tagged" "$(head -5 out.eml)"; else pass "ADSP unknown: not tagged"; fi
mail a@nonexistent.example.com >nx.eml
process "ADSP nxdomain: accept" accept 0 --config dkmod.conf nx.eml
if has_field out.eml X-Dkmod-Adsp nxdomain; then pass "ADSP nxdomain: tagged"; else fail "ADSP nxdomain: tagged" "$(head -5 out.eml)"; fi
mail a@signed.example.com | "$DKMOD" sign --domain signed.example.com --selector k --key k.pem >signed.eml
process "ADSP all with an author signature: accept" accept 0 --config dkmod.conf signed.eml
if has_field out.eml X-Dkmod-Adsp; then fail "ADSP pass: not tagged" "$(head -5 out.eml)"; else pass "ADSP pass: not tagged"; fi
# l=: a signature that leaves part of the body unsigned is no author signature for the policy
"$DKMOD" sign --domain discardable.example.com --selector k --key k.pem --body-length disc.eml >discl.eml
process "ADSP discardable, l= signature over the whole body: accept" accept 0 --config dkmod.conf discl.eml
printf 'Appended after signing: click here.\r\n' >>discl.eml
process "ADSP discardable, l= signature over part of the body: discard" discard 3 --config dkmod.conf discl.eml
mail a@signed.example.com | "$DKMOD" sign --domain signed.example.com --selector k --key k.pem --body-length >signedl.eml
printf 'Appended after signing.\r\n' >>signedl.eml
process "ADSP all, l= signature over part of the body: accept" accept 0 --config dkmod.conf signedl.eml
if has_field out.eml X-Dkmod-Adsp fail; then pass "ADSP all, partial body: tagged X-Dkmod-Adsp: fail"; else fail "ADSP all, partial body: tagged" "$(head -5 out.eml)"; fi
if grep -q 'dkim=pass (.*) (l=25 of 50 body bytes signed)' <(tr -d '\r' <out.eml | sed -n '/^Authentication-Results:/,/^[^ \t]/p' | tr '\n\t' '  ' | tr -s ' '); then
	pass "partial body: the A-R comment says how much was signed"
else
	fail "partial body: the A-R comment says how much was signed" "$(sed -n '/^Authentication-Results:/,/^[A-Z]/p' out.eml | head -6 | tr '\r\n' '  ')"
fi
mail a@discslow.example.com | "$DKMOD" sign --domain discslow.example.com --selector k --key k.pem >discslow.eml
process "ADSP discardable, author key lookup times out: tempfail" tempfail 2 --config dkmod.conf discslow.eml
