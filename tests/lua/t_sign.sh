#!/usr/bin/env bash
# t_sign.sh - signing decisions of `dkmod process`: sign_condition auth_user,
# can_relay and none; the responsible sender (Sender:, else From:) picks the
# domain block; base_domain; DomainKeys and DKIM together; a missing key
# skips the signature with a log line; examples/esp.lua signs twice (the
# customer's domain and the ESP's).  Every signature is checked by
# `dkmod verify` against a real nsd on 127.0.0.1.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
mkdir -p keys/example.com keys/customer.example.com keys/esp.example.net keys/always.example.com
P1=$(newkey keys/example.com/k.key) && P2=$(newkey keys/customer.example.com/c1.key) &&
	P3=$(newkey keys/esp.example.net/esp1.key) && P4=$(newkey keys/always.example.com/a.key) || { fail "keys"; exit 1; }
{
	zone_head example.com
	echo "k._domainkey IN TXT \"k=rsa; p=$P1\""
	echo "c1._domainkey.customer IN TXT \"k=rsa; p=$P2\""
	echo "a._domainkey.always IN TXT \"k=rsa; p=$P4\""
} >example.com.zone
{
	echo '$ORIGIN example.net.'
	echo '$TTL 300'
	echo '@ IN SOA ns hostmaster 1 3600 600 86400 300'
	echo '@ IN NS ns.example.com.'
	echo "esp1._domainkey.esp IN TXT \"k=rsa; p=$P3\""
} >example.net.zone
nsd_start "$TMP/nsd" "$TMP/example.com.zone:example.com" "$TMP/example.net.zone:example.net" || { fail "nsd starts"; exit 1; }
V=("$DKMOD" verify --resolver "127.0.0.1@$NSD_PORT" --authserv-id mx)

cat >sign.conf <<'CONF'
dkim_sign "dkim_auth" {
  sign_condition = "auth_user",
  canon = "relaxed/simple", digest = "rsa-sha256",
  key = "keys/%{d}/%{s}.key",
  headers = { "from", "to", "subject" },
  dkim_domain "example.com" { selector = "k" },
}
dk_sign "dk_relay" {
  sign_condition = "can_relay",
  canon = "nofws", digest = "rsa-sha1",
  key = "keys/%{d}/%{s}.key",
  dk_domain "example.com" { selector = "k" },
  dk_domain "mail.example.com" { selector = "k", base_domain = "example.com" },
}
dkim_sign "dkim_always" {
  key = "keys/%{d}/%{s}.key",
  dkim_domain "always.example.com" { selector = "a", oversign = false },
  dkim_domain "nokey.example.com" { selector = "gone" },
}
log { level = "warning" }
CONF
# signed FILE - the signature fields of a message, as "dkim:d=... domainkeys:d=..."
signed() {
	awk '/^\r?$/ { exit } /^DKIM-Signature:/ { k = "dkim" } /^DomainKey-Signature:/ { k = "domainkeys" }
		k && match($0, /[ ;]d=[^;]*/) { d = substr($0, RSTART + 1, RLENGTH - 1); gsub(/[ \t\r]/, "", d); print k ":" d; k = "" }' "$1" |
		sort | tr '\n' ' ' | sed 's/ $//'
}
verified() { "${V[@]}" "$1" >v.eml 2>/dev/null; ar_results v.eml; }

mail a@example.com >m.eml
process "no condition met: accept" accept 0 --config sign.conf m.eml
check_eq "no condition met: not signed" "$(signed out.eml)" ""
process "auth_user: accept" accept 0 --config sign.conf --auth-user alice m.eml
check_eq "auth_user: DKIM only" "$(signed out.eml)" "dkim:d=example.com"
check_eq "auth_user: the signature verifies" "$(verified out.eml)" "dkim=pass domainkeys=none"
if tr -d '\r\n\t ' <out.eml | grep -q 'h=from:from:to:to:subject:subject:reply-to:date:date:cc:message-id'; then pass "headers option: the listed fields signed, the recommended ones oversigned"; else fail "headers option" "$(grep -A3 '^DKIM-Signature' out.eml)"; fi
process "can_relay: accept" accept 0 --config sign.conf --relay m.eml
check_eq "can_relay: DomainKeys only" "$(signed out.eml)" "domainkeys:d=example.com"
check_eq "can_relay: the signature verifies" "$(verified out.eml)" "dkim=none domainkeys=pass"
process "both conditions: accept" accept 0 --config sign.conf --relay --auth-user alice m.eml
check_eq "both conditions: DomainKeys and DKIM" "$(signed out.eml)" "dkim:d=example.com domainkeys:d=example.com"
check_eq "both conditions: both verify" "$(verified out.eml)" "dkim=pass domainkeys=pass"
mail a@mail.example.com >sub.eml
process "base_domain: accept" accept 0 --config sign.conf --relay sub.eml
check_eq "base_domain: signs as the parent" "$(signed out.eml)" "domainkeys:d=example.com"
check_eq "base_domain: verifies" "$(verified out.eml)" "dkim=none domainkeys=pass"
mail a@elsewhere.example.org b@example.com >snd.eml
sed 's/level = "warning"/level = "info"/' sign.conf >sign-info.conf
process "Sender: picks the DomainKeys domain block" accept 0 --config sign-info.conf --relay --auth-user alice snd.eml
check_eq "DKIM follows From:, DomainKeys Sender:" "$(signed out.eml)" "domainkeys:d=example.com"
if grep -q 'dkim_auth: not signing for elsewhere.example.org: no dkim_domain block' err.txt; then
	pass "DKIM: no block for the From: domain: a log line"; else fail "DKIM: no block for the From: domain: a log line" "$(cat err.txt)"; fi
mail b@example.com a@elsewhere.example.org >snd2.eml
process "From: picks the DKIM domain block" accept 0 --config sign.conf --relay --auth-user alice snd2.eml
check_eq "DKIM aligned with From: whatever Sender: says" "$(signed out.eml)" "dkim:d=example.com"
check_eq "aligned signature verifies" "$(verified out.eml)" "dkim=pass domainkeys=none"
mail a@always.example.com >al.eml
process "no sign_condition: signs whenever a key exists" accept 0 --config sign.conf al.eml
check_eq "no sign_condition: signed" "$(signed out.eml)" "dkim:d=always.example.com"
check_eq "no sign_condition: verifies" "$(verified out.eml)" "dkim=pass domainkeys=none"
mail a@nokey.example.com >nk.eml
process "missing key file: accepted unsigned" accept 0 --config sign.conf nk.eml
check_eq "missing key file: not signed" "$(signed out.eml)" ""
if grep -q 'dkim_always: not signing as d=nokey.example.com s=gone .*key .*gone.key: No such file' err.txt; then pass "missing key file: a log line"; else fail "missing key file: a log line" "$(cat err.txt)"; fi
if "$DKMOD" config-check sign.conf >cc.txt 2>&1; then fail "config-check finds the missing key" "$(cat cc.txt)"; else
	check_eq "config-check finds the missing key" "$(cat cc.txt)" \
		"sign.conf:18: dkim_domain \"nokey.example.com\": key file keys/nokey.example.com/gone.key: No such file or directory"
fi

# oversigning per rule: none (oversign = false), or only the fields of oversign_headers
hlist() { tr -d '\r\n\t ' <"$1" | sed -n 's/.*DKIM-Signature:.*;h=\([^;]*\);.*/\1/p'; }
process "oversign = false: accept" accept 0 --config sign.conf al.eml
check_eq "oversign = false: each field as often as present" "$(hlist out.eml)" "from:subject:date:to:message-id"
cat >over.conf <<'CONF'
dkim_sign "o" {
  key = "keys/%{d}/%{s}.key",
  dkim_domain "example.com" { selector = "k", oversign_headers = { "subject", "x-campaign" } },
}
CONF
process "oversign_headers: accept" accept 0 --config over.conf m.eml
check_eq "oversign_headers: those fields once more, absent ones once" "$(hlist out.eml)" \
	"from:subject:subject:date:to:message-id:x-campaign"
check_eq "oversign_headers: verifies" "$(verified out.eml)" "dkim=pass domainkeys=none"

# config-check: a bad signing table and a selector without a key template, with file and line
printf 'a.example.com a.example.com:s1\nbad entry!\n' >bad-table.txt
cat >badtable.conf <<'CONF'
dkim_sign "t" {
  sign_table = "bad-table.txt",
  key = "keys/%{d}/%{s}.key",
}
dkim_sign "u" { selector = "s1" }
CONF
"$DKMOD" config-check badtable.conf >cc2.txt 2>&1
check_eq "config-check: bad table and lone selector" "$(cat cc2.txt)" "badtable.conf:2: dkim_sign \"t\": sign_table: bad-table.txt:2: 'entry!' is not domain:selector[:keyfile]
badtable.conf:5: dkim_sign \"u\": selector needs key, a template such as \"keys/%{d}/%{s}.key\""

# explain-sign: the reasoning of every instance, on standard output
"$DKMOD" explain-sign --config sign.conf --auth-user alice snd2.eml >why.txt 2>&1
if grep -q '^dkim_auth: signs for the author (From:): example.com$' why.txt &&
	grep -q '^dkim_auth: signing as d=example.com s=k with key .*keys/example.com/k.key (dkim_domain "example.com" at line 6)$' why.txt &&
	grep -q '^dk_relay: not signing: the client may not relay$' why.txt &&
	grep -q '^dkim_always: not signing for example.com: no dkim_domain block$' why.txt &&
	grep -q '^signatures: 1$' why.txt; then pass "explain-sign: which rule, which key, why not the others"; else fail "explain-sign" "$(cat why.txt)"; fi
if grep -q 'DKIM-Signature' why.txt; then fail "explain-sign prints no message"; else pass "explain-sign prints no message"; fi
# console reload: on the state a configuration made, for its instances only
mkdir -p state
{ echo 'keycache { state_dir = "state" }'; cat sign.conf; } >sign-state.conf
"$DKMOD" process --config sign-state.conf m.eml >/dev/null 2>&1
check "console reload" "$DKMOD" console --state state 'dkim_sign:dkim_auth reload'
if "$DKMOD" console --state state 'dkim_sign:no_such reload' >/dev/null 2>&1; then
	fail "console reload of an unknown instance fails"
else pass "console reload of an unknown instance fails"; fi

# examples/esp.lua: the customer's domain and the ESP's
cat >esp.conf <<CONF
dkim_sign "customers" {
  key = "keys/%{d}/%{s}.key",
  dkim_domain "customer.example.com" { selector = "c1" },
}
policy "$LUA_TOP/examples/esp.lua"
log { level = "warning" }
CONF
# esp.lua's key path is relative to the configuration file: keys/ is beside esp.conf
check "esp.lua: config-check" "$DKMOD" config-check esp.conf
mail a@customer.example.com >c.eml
process "esp.lua: customer mail" accept 0 --config esp.conf --auth-user cust1 --stats c.eml
check_eq "esp.lua: two DKIM signatures" "$(signed out.eml)" "dkim:d=customer.example.com dkim:d=esp.example.net"
check_eq "esp.lua: both verify" "$(verified out.eml)" "dkim=pass dkim=pass domainkeys=none"
if grep -q '^count esp.signed=2$' err.txt; then pass "esp.lua: msg:count"; else fail "esp.lua: msg:count" "$(cat err.txt)"; fi
mail a@unknown-customer.example.com >u.eml
process "esp.lua: a customer without a domain block" accept 0 --config esp.conf --auth-user cust2 u.eml
check_eq "esp.lua: only the ESP's signature" "$(signed out.eml)" "dkim:d=esp.example.net"
process "esp.lua: not a customer" accept 0 --config esp.conf c.eml
check_eq "esp.lua: not a customer: not signed" "$(signed out.eml)" ""
