#!/usr/bin/env bash
# t_default.sh - lua/default.lua through `dkmod process` against a real nsd on
# 127.0.0.1: DMARC p=reject (550 5.7.1 naming the domain, or quarantine behind
# an after-queue filter), p=quarantine, p=none, t=y (one step milder), the policy for a
# subdomain without a record, a pass by an author signature, a pass resting on an l= signature over
# part of the body (a fail), the local dmarc_tag_only list, temperror (the
# record lookup times out: accept, or 451 4.7.5 with dmarc_temperror =
# "tempfail"; p=reject and the author key lookup times out: 451 4.7.5; p=none:
# accept); DomainKeys o=- and ADSP
# discardable no longer refuse mail (lua/examples/historic.lua does: t_historic);
# a header past the limits (reject 552 5.3.4, or quarantine with the forged field
# removed) and two From fields (reject).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
P=$(newkey k.pem) || { fail "key"; exit 1; }
{
	zone_head example.com
	for d in reject quar none treject tquar lists strict discardable relaxed dmslow noneslow; do
		echo "$d IN MX 10 mx.example.com."
		echo "k._domainkey.$d IN TXT \"k=rsa; p=$P\""
	done
	echo '_dmarc.reject IN TXT "v=DMARC1; p=reject"'
	echo 'sub.reject IN MX 10 mx.example.com.'
	echo '_dmarc.quar IN TXT "v=DMARC1; p=quarantine"'
	echo '_dmarc.none IN TXT "v=DMARC1; p=none"'
	echo '_dmarc.treject IN TXT "v=DMARC1; p=reject; t=y"'
	echo '_dmarc.tquar IN TXT "v=DMARC1; p=quarantine; t=y"'
	echo '_dmarc.lists IN TXT "v=DMARC1; p=reject"'
	echo '_dmarc.dmslow IN TXT "v=DMARC1; p=reject"'
	echo '_dmarc.noneslow IN TXT "v=DMARC1; p=none"'
	echo '_domainkey.strict IN TXT "o=-"'
	echo '_adsp._domainkey.discardable IN TXT "dkim=discardable"'
} >example.com.zone
zone_head com >com.zone # the DMARC tree walk asks _dmarc.com: NXDOMAIN, not REFUSED
nsd_start "$TMP/nsd" "$TMP/example.com.zone:example.com" "$TMP/com.zone:com" || { fail "nsd starts"; exit 1; }
silent_udp_start "$TMP/silent" || { fail "silent server starts"; exit 1; }
SLOW=(slow.example.com k._domainkey.dmslow.example.com k._domainkey.noneslow.example.com)
write_conf dkmod.conf "$LUA_TOP/default.lua" "${SLOW[@]}"
check "config-check of the test configuration" "$DKMOD" config-check dkmod.conf
reply() { sed -n 's/^action=.* reply="\(.*\)"$/\1/p' err.txt; }
dmarc_field() { tr -d '\r' <out.eml | sed -n '/^$/q; s/^X-Dkmod-Dmarc: //p'; }

# dkim DOMAIN FILE - sign with the test key
dkim() { "$DKMOD" sign --domain "$1" --selector k --key k.pem "$2"; }

# DMARC p=reject
mail a@reject.example.com >rej.eml
process "DMARC p=reject, unsigned: reject" reject 1 --config dkmod.conf rej.eml
check_eq "DMARC p=reject: the reply names the domain and DMARC" "$(reply)" \
	"550 5.7.1 Message rejected by the DMARC policy of reject.example.com (p=reject): it is not authenticated as mail from reject.example.com"
check_eq "reject: nothing printed" "$(wc -c <out.eml)" 0
dkim reject.example.com rej.eml >rejs.eml
process "DMARC p=reject, author signature: accept" accept 0 --config dkmod.conf rejs.eml
if ar_text out.eml | grep -q 'dmarc=pass'; then pass "accepted: A-R says dmarc=pass"; else fail "accepted: A-R says dmarc=pass" "$(ar_text out.eml)"; fi
check_eq "DMARC pass: no X-Dkmod-Dmarc field" "$(dmarc_field)" ""
dkim relaxed.example.com rej.eml >rej3.eml
process "DMARC p=reject, third-party signature only: reject" reject 1 --config dkmod.conf rej3.eml
mail a@sub.reject.example.com >sub.eml
process "DMARC p=reject for a subdomain without a record: reject" reject 1 --config dkmod.conf sub.eml
if reply | grep -q 'DMARC policy of sub.reject.example.com (p=reject)'; then pass "subdomain: the reply names the subdomain and the policy applied"; else fail "subdomain: the reply names the subdomain and the policy applied" "$(reply)"; fi
setting dmq "$LUA_TOP/default.lua" 's/^local dmarc_reject = "reject"/local dmarc_reject = "quarantine"/' "${SLOW[@]}"
process "DMARC p=reject, dmarc_reject = quarantine (after-queue filters)" quarantine 4 --config dmq.conf rej.eml
check_eq "quarantined: tagged" "$(dmarc_field)" "fail (p=reject)"
process "DMARC p=reject from a relaying client: accept" accept 0 --config dkmod.conf --relay rej.eml
process "DMARC p=reject from an authenticated client: accept" accept 0 --config dkmod.conf --auth-user alice rej.eml
# l=: a pass resting on a signature over part of the body is no pass
"$DKMOD" sign --domain reject.example.com --selector k --key k.pem --body-length rej.eml >rejl.eml
process "DMARC p=reject, l= signature over the whole body: accept" accept 0 --config dkmod.conf rejl.eml
printf 'Appended after signing: click here.\r\n' >>rejl.eml
process "DMARC p=reject, l= signature over part of the body: reject" reject 1 --config dkmod.conf rejl.eml

# p=quarantine, p=none, t=y
mail a@quar.example.com >quar.eml
process "DMARC p=quarantine, unsigned: quarantine" quarantine 4 --config dkmod.conf quar.eml
check_eq "quarantine: X-Dkmod-Dmarc" "$(dmarc_field)" "fail (p=quarantine)"
mail a@none.example.com >none.eml
process "DMARC p=none, unsigned: accept" accept 0 --config dkmod.conf none.eml
check_eq "p=none: not tagged" "$(dmarc_field)" ""
if ar_text out.eml | grep -q 'dmarc=fail'; then pass "p=none: A-R says dmarc=fail"; else fail "p=none: A-R says dmarc=fail" "$(ar_text out.eml)"; fi
mail a@treject.example.com >trej.eml
process "DMARC p=reject t=y, unsigned: quarantine (one step milder)" quarantine 4 --config dkmod.conf trej.eml
check_eq "t=y: X-Dkmod-Dmarc" "$(dmarc_field)" "fail (p=reject t=y)"
mail a@tquar.example.com >tquar.eml
process "DMARC p=quarantine t=y, unsigned: accept (one step milder)" accept 0 --config dkmod.conf tquar.eml

# the local list of domains that are only tagged
mail a@lists.example.com >lists.eml
process "DMARC p=reject, not on dmarc_tag_only: reject" reject 1 --config dkmod.conf lists.eml
setting tag "$LUA_TOP/default.lua" 's/^  -- "lists.example.org",/  "lists.example.com",/' "${SLOW[@]}"
process "DMARC p=reject, on dmarc_tag_only: accept" accept 0 --config tag.conf lists.eml
check_eq "dmarc_tag_only: tagged" "$(dmarc_field)" "fail (p=reject, only tagged here)"
process "dmarc_tag_only: other domains still rejected" reject 1 --config tag.conf rej.eml

# temperror
mail a@slow.example.com >slow.eml
process "DMARC record lookup times out: accept (nothing known)" accept 0 --config dkmod.conf slow.eml
if ar_text out.eml | grep -q 'dmarc=temperror'; then pass "temperror accepted: A-R says dmarc=temperror"; else fail "temperror accepted: A-R says dmarc=temperror" "$(ar_text out.eml)"; fi
setting tfail "$LUA_TOP/default.lua" 's/^local dmarc_temperror = "accept"/local dmarc_temperror = "tempfail"/' "${SLOW[@]}"
process "DMARC record lookup times out, dmarc_temperror = tempfail: tempfail" tempfail 2 --config tfail.conf slow.eml
check_eq "record time-out: 451 4.7.5" "$(reply)" \
	"451 4.7.5 DMARC check of slow.example.com failed temporarily (DMARC record lookup failed), try again later"
mail a@dmslow.example.com >dmslow0.eml
dkim dmslow.example.com dmslow0.eml >dmslow.eml
process "DMARC p=reject, the author key lookup times out: tempfail" tempfail 2 --config dkmod.conf dmslow.eml
check_eq "p=reject, key time-out: 451 4.7.5" "$(reply)" \
	"451 4.7.5 DMARC check of dmslow.example.com failed temporarily (an identifier's check or organizational domain failed temporarily), try again later"
mail a@noneslow.example.com >noneslow0.eml
dkim noneslow.example.com noneslow0.eml >noneslow.eml
process "DMARC p=none, the author key lookup times out: accept" accept 0 --config dkmod.conf noneslow.eml
process "DMARC p=none, key time-out, dmarc_temperror = tempfail: accept" accept 0 --config tfail.conf noneslow.eml

# the historic policies are not the default's any more (lua/examples/historic.lua: t_historic.sh)
mail a@strict.example.com >strict.eml
process "DomainKeys o=-, unsigned, no DMARC record: accept" accept 0 --config dkmod.conf strict.eml
if ar_text out.eml | grep -q 'domainkeys=none'; then pass "o=-: A-R still reports DomainKeys"; else fail "o=-: A-R still reports DomainKeys" "$(ar_text out.eml)"; fi
mail a@discardable.example.com >disc.eml
process "ADSP discardable, unsigned, no DMARC record: accept" accept 0 --config dkmod.conf disc.eml

# Header limits and duplicate authors (default.lua's header check comes first, for everyone)
setting hquar "$LUA_TOP/default.lua" 's/^local truncated_header = "reject"/local truncated_header = "quarantine"/' "${SLOW[@]}"
# filler FILE N - FILE with N filler fields and a forged Authentication-Results of ours below them
filler() {
	awk -v n="$2" 'done || !/^\r?$/ { print; next }
		{ for (i = 0; i < n; i++) printf "X-Filler-%d: %d\r\n", i, i
		  printf "Authentication-Results: \"mx.example\\.net\"; dkim=pass header.d=relaxed.example.com\r\n"
		  print; done = 1 }' "$1"
}
mail a@relaxed.example.com >r.eml
dkim relaxed.example.com r.eml >rs.eml
filler rs.eml 1500 >big.eml
process "signed, 1500 filler fields: reject (header not fully inspected)" reject 1 --config dkmod.conf big.eml
check_eq "past the limits: 552 5.3.4" "$(sed -n 's/^action=.* reply="\(.*\)"$/\1/p' err.txt)" \
	"552 5.3.4 Message header too large to be checked"
process "past the limits, from a relaying client: still reject" reject 1 --config dkmod.conf --relay big.eml
process "past the limits, truncated_header = quarantine: quarantine" quarantine 4 --config hquar.conf big.eml
if ar_text out.eml | grep -q 'dkim=permerror.*not fully inspected'; then pass "past the limits: dkim=permerror, not pass"; else fail "past the limits: dkim=permerror" "$(ar_text out.eml)"; fi
if grep -q 'mx.example.*dkim=pass header.d=relaxed.example.com' out.eml; then fail "past the limits: the forged A-R (quoted authserv-id) is removed" "still there"; else pass "past the limits: the forged A-R (quoted authserv-id) is removed"; fi
first=$(head -n 1 big.eml)
if awk -v first="$first" 'f || $0 == first { f = 1; print }' out.eml | cmp -s - <(grep -v 'header.d=relaxed' big.eml); then
	pass "past the limits: the rest of the message whole below the added fields"
else
	fail "past the limits: the rest of the message whole below the added fields" "$(wc -c <out.eml) bytes out"
fi
{ printf 'From: Mallory <ceo@relaxed.example.com>\r\n'; cat rs.eml; } >twofrom.eml
process "two From fields, the top one unsigned: reject" reject 1 --config dkmod.conf twofrom.eml
check_eq "two From fields: 550 5.7.1" "$(sed -n 's/^action=.* reply="\(.*\)"$/\1/p' err.txt)" \
	"550 5.7.1 Message has more than one From or Sender field (RFC 5322 3.6)"
process "two From fields, from an authenticated client: still reject" reject 1 --config dkmod.conf --auth-user joe twofrom.eml
process "two From fields, quarantine config (duplicate_author stays reject)" reject 1 --config hquar.conf twofrom.eml

# several messages in one process: each gets its own verdict
"$DKMOD" process --config dkmod.conf rej.eml rejs.eml quar.eml none.eml >multi.out 2>multi.err
check_eq "four messages in one process: exit status of the last" "$?" 0
check_eq "four messages in one process: actions" \
	"$(sed -n 's/^\([^ ]*\): action=\([a-z]*\).*/\1=\2/p' multi.err | tr '\n' ' ')" \
	"rej.eml=reject rejs.eml=accept quar.eml=quarantine none.eml=accept "
