#!/usr/bin/env bash
# t_signtable_peers.sh - every rule shape of signing tables, checked by the
# real peers (Perl Mail::DKIM, Python dkimpy) against keys served by a real
# nsd on 127.0.0.1: a table entry with three signatures (the customer's
# domain in RSA and Ed25519 and the ESP's own domain), a .parent entry, the
# key template with the instance's selector, an address entry of a compiled
# table, and an inline dkim_domain block.  Every signature passes in both
# peers (dkmod-pipe, the Postfix adapter, logs the same reasoning as explain-sign
# at level debug); a field added after signing (one the recommended list oversigns)
# makes every signature fail in both.  Oversigning chosen per rule (a table's
# rule, a Lua sign hook, `dkmod sign --oversign/--no-oversign`): a field of the
# chosen list added after signing fails in both peers, one left out of it passes.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
HERE="$DKMOD_TOP/tests/interop"
MDKIM="perl $HERE/peer_mdkim.pl"
DKIMPY="$PYTHON $HERE/peer_dkimpy.py"
cd "$TMP" || exit 1

# key DOMAIN SELECTOR rsa|ed25519 - make keys/DOMAIN/SELECTOR.key (0600); print its TXT rdata
key() {
	local f="keys/$1/$2.key" p
	mkdir -p "keys/$1"
	if [ "$3" = ed25519 ]; then
		openssl genpkey -algorithm ed25519 -out "$f" 2>/dev/null
		p=$(openssl pkey -in "$f" -pubout -outform DER 2>/dev/null | tail -c 32 | base64 -w0)
	else
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$f" 2>/dev/null
		p=$(openssl pkey -in "$f" -pubout -outform DER 2>/dev/null | base64 -w0)
	fi
	chmod 600 "$f"
	echo "\"v=DKIM1; k=$3; p=$p\""
}
{
	zone_head example.com
	echo "c1._domainkey.customer IN TXT $(key customer.example.com c1 rsa)"
	echo "e1._domainkey.customer IN TXT $(key customer.example.com e1 ed25519)"
	echo "t1._domainkey.tmpl IN TXT $(key tmpl.example.com t1 rsa)"
	echo "a1._domainkey.vip IN TXT $(key vip.example.com a1 ed25519)"
	echo "b1._domainkey.inline IN TXT $(key inline.example.com b1 rsa)"
} >example.com.zone
{
	zone_head example.net
	echo "esp1._domainkey.esp IN TXT $(key esp.example.net esp1 rsa)"
} >example.net.zone
{
	zone_head example.org
	echo "p1._domainkey IN TXT $(key example.org p1 rsa)"
} >example.org.zone
nsd_start "$TMP/nsd" "$TMP/example.com.zone:example.com" "$TMP/example.net.zone:example.net" \
	"$TMP/example.org.zone:example.org" || { fail "nsd starts" "see $TMP/nsd"; exit 1; }
mkdir elsewhere && cd elsewhere || exit 1 # key files in the table are relative to the table, not to here

cat >../table.txt <<'T'
# customer's domain in RSA and Ed25519, and the ESP's own domain (feedback loops)
customer.example.com   customer.example.com:c1, customer.example.com:e1 esp.example.net:esp1
.example.org           example.org:p1
boss@vip.example.com   vip.example.com:a1:keys/vip.example.com/a1.key
T
check "signtable compile" "$DKMOD" signtable compile ../table.txt ../table.lmdb
cat >../text.conf <<'C'
dkim_sign "esp" {
  sign_table = "table.txt",
  key = "keys/%{d}/%{s}.key",
  selector = "t1",
  dkim_domain "inline.example.com" { selector = "b1" },
}
log { level = "warning" }
C
sed 's/table.txt/table.lmdb/' ../text.conf >../lmdb.conf

# mail FROM - a message with a List-Id (oversigned where present) and no Cc
mail() {
	printf 'From: %s\r\nTo: bob@example.net\r\nSubject: table test\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n' "$1"
	printf 'Message-ID: <%s@example.com>\r\nList-Id: <news.example.com>\r\nMIME-Version: 1.0\r\n' "$RANDOM"
	printf 'Content-Type: text/plain\r\n\r\nHello,\r\nsigned by the table.\r\n'
}
# peers FILE WANT NAME - both peers give WANT (pass or fail) for every one of the signatures
peers() {
	local n out
	n=$(grep -c '^DKIM-Signature:' "$1")
	for peer in mdkim dkimpy; do
		if [ $peer = mdkim ]; then out=$($MDKIM verify --dns-port "$NSD_PORT" <"$1"); else out=$($DKIMPY verify --dns-port "$NSD_PORT" <"$1"); fi
		got=$(grep -c "^dkim $2 " <<<"$out")
		if [ "$n" -gt 0 ] && [ "$got" = "$n" ]; then pass "$peer: $3: all $n signatures $2"; else fail "$peer: $3: $n signatures $2" "$out"; fi
	done
}
# sigs FILE - d:s:a of each DKIM signature, sorted
sigs() {
	tr -d '\r' <"$1" | awk '/^$/ { exit } /^[^ \t]/ { f = ($0 ~ /^DKIM-Signature:/) } f' | tr -d '\n\t ' |
		sed 's/DKIM-Signature:/\n/g' | sed -n 's/.*a=\([^;]*\);.*d=\([^;]*\);s=\([^;]*\);.*/\2:\3:\1/p' | sort | tr '\n' ' ' | sed 's/ $//'
}

for conf in text lmdb; do
	for shape in "customer.example.com a@customer.example.com customer.example.com:c1:rsa-sha256 customer.example.com:e1:ed25519-sha256 esp.example.net:esp1:rsa-sha256" \
		"parent a@news.example.org example.org:p1:rsa-sha256" \
		"template a@tmpl.example.com tmpl.example.com:t1:rsa-sha256" \
		"address boss@vip.example.com vip.example.com:a1:ed25519-sha256" \
		"block a@inline.example.com inline.example.com:b1:rsa-sha256"; do
		read -r name from want <<<"$shape"
		mail "$from" >"m-$name.eml"
		"$DKMOD" process --config "../$conf.conf" "m-$name.eml" >"s-$conf-$name.eml" 2>"e-$conf-$name.txt"
		check_eq "$conf $name: the signatures" "$(sigs "s-$conf-$name.eml")" "$want"
		peers "s-$conf-$name.eml" pass "$conf $name"
		# a Cc added after signing: the recommended list oversigns Cc, so every signature breaks
		sed '0,/^To: /s//Cc: mallory@example.net\r\nTo: /' "s-$conf-$name.eml" >"t-$conf-$name.eml"
		peers "t-$conf-$name.eml" fail "$conf $name, Cc added after signing"
	done
done
# a second List-Id added: present fields of the list are oversigned too
sed '0,/^List-Id: /s//List-Id: <evil.example.net>\r\nList-Id: /' s-text-customer.example.com.eml >list.eml
peers list.eml fail "a List-Id added after signing"
# DomainKeys from a table: signed for the responsible sender (Sender:, else From:); Mail::DKIM checks
printf '.example.org example.org:p1\n' >../dktable.txt
cat >../dk.conf <<'C'
dk_sign "dk" { sign_table = "dktable.txt", key = "keys/%{d}/%{s}.key" }
C
{ printf 'From: a@customer.example.com\r\nSender: list@news.example.org\r\n'; mail x | sed 1d; } >dk.eml
"$DKMOD" process --config ../dk.conf dk.eml >dk-s.eml 2>dk-e.txt
out=$($MDKIM verify --dns-port "$NSD_PORT" <dk-s.eml)
if grep -q '^domainkeys pass d=example.org s=p1' <<<"$out"; then pass "mdkim: DomainKeys from a .parent entry of the Sender: domain passes"; else fail "mdkim: DomainKeys from a table" "$out $(cat dk-e.txt)"; fi
sed '0,/^To: /s//Cc: mallory@example.net\r\nTo: /' dk-s.eml >dk-t.eml
out=$($MDKIM verify --dns-port "$NSD_PORT" <dk-t.eml)
if grep -q '^domainkeys fail d=example.org' <<<"$out"; then pass "mdkim: DomainKeys, Cc added after signing: fails"; else fail "mdkim: DomainKeys, Cc added" "$out"; fi

# a domain without an entry, block or key file is not signed, and the log says why
mail a@nowhere.example.net >n.eml
"$DKMOD" explain-sign --config ../text.conf n.eml >why.txt 2>&1
if grep -q 'esp: not signing for nowhere.example.net: no dkim_domain block, sign_table entry or key file' why.txt &&
	grep -q '^signatures: 0$' why.txt; then pass "explain-sign: no entry, block or key: not signed"; else fail "explain-sign: unsigned domain" "$(cat why.txt)"; fi

# Oversigning per rule.  over FILE FIELD VALUE - FILE with one more FIELD before To:
over() { sed "0,/^To: /s//$2: $3\r\nTo: /" "$1"; }
# over_peers NAME SIGNED - X-Campaign added fails, Cc added passes (X-Campaign alone is oversigned)
over_peers() {
	peers "$2" pass "$1"
	over "$2" X-Campaign evil >"$2.x"
	peers "$2.x" fail "$1, X-Campaign added after signing"
	over "$2" Cc mallory@example.net >"$2.c"
	peers "$2.c" pass "$1, Cc added (not in its list)"
}
{ mail a@customer.example.com | sed '/^Subject: /a X-Campaign: spring\r'; } >camp.eml
"$DKMOD" sign --domain customer.example.com --selector c1 --key ../keys/customer.example.com/c1.key camp.eml >cli-d.eml
peers cli-d.eml pass "dkmod sign"
over cli-d.eml Cc mallory@example.net >cli-d.c
peers cli-d.c fail "dkmod sign (the recommended list), Cc added after signing"
"$DKMOD" sign --domain customer.example.com --selector c1 --key ../keys/customer.example.com/c1.key --no-oversign \
	camp.eml >cli-n.eml
peers cli-n.eml pass "dkmod sign --no-oversign"
over cli-n.eml Cc mallory@example.net >cli-n.c
peers cli-n.c pass "dkmod sign --no-oversign, Cc added after signing"
"$DKMOD" sign --domain customer.example.com --selector c1 --key ../keys/customer.example.com/c1.key \
	--oversign x-campaign camp.eml >cli-o.eml
over_peers "dkmod sign --oversign x-campaign" cli-o.eml
if "$DKMOD" sign --domain customer.example.com --selector c1 --key ../keys/customer.example.com/c1.key \
	--oversign 'x-campaign:bad field' camp.eml >/dev/null 2>cli-bad.txt; then fail "--oversign refuses a bad field name"
else check "--oversign refuses a bad field name" grep -q "oversign takes field names" cli-bad.txt; fi
# a table's rule: oversign_headers of the dkim_sign block that names the table
cat >../over-table.conf <<'C'
dkim_sign "esp" { sign_table = "table.lmdb", key = "keys/%{d}/%{s}.key", oversign_headers = { "x-campaign" } }
log { level = "warning" }
C
"$DKMOD" process --config ../over-table.conf camp.eml >tab-o.eml 2>tab-o.txt
three="customer.example.com:c1:rsa-sha256 customer.example.com:e1:ed25519-sha256 esp.example.net:esp1:rsa-sha256"
check_eq "sign_table rule with oversign_headers: the entry's three signatures" "$(sigs tab-o.eml)" "$three"
over_peers "sign_table rule with oversign_headers" tab-o.eml
# a Lua sign hook: its request's oversign_headers
cat >../over.lua <<'L'
function sign(msg)
  return { { domain = "customer.example.com", selector = "c1", key = "keys/%{d}/%{s}.key",
             oversign_headers = { "x-campaign" } } }
end
L
cat >../over-lua.conf <<'C'
policy "over.lua"
log { level = "warning" }
C
"$DKMOD" process --config ../over-lua.conf camp.eml >lua-o.eml 2>lua-o.txt
over_peers "Lua sign hook with oversign_headers" lua-o.eml
# a hook that passes on the configuration's requests (msg:configured_signatures(), the table opened
# for it) keeps their oversign_headers, key files and algorithm from the key
echo 'function sign(msg) return msg:configured_signatures() end' >../pass.lua
{ echo 'policy "pass.lua"'; cat ../over-table.conf; } >../over-pass.conf
"$DKMOD" process --config ../over-pass.conf camp.eml >lua-p.eml 2>lua-p.txt
check_eq "a hook passing on a table's requests: all three signatures (the key says Ed25519 or RSA)" \
	"$(sigs lua-p.eml)" "$three"
over_peers "Lua hook passing on a rule's oversign_headers" lua-p.eml

# an adapter logs the reasoning at level debug: dkmod-pipe with a stand-in sendmail
printf '#!/bin/sh\ncat >"%s/reinjected.eml"\n' "$TMP" >../sendmail && chmod 755 ../sendmail
sed 's/level = "warning"/level = "debug"/' ../lmdb.conf >../debug.conf
for who in a@customer.example.com a@nowhere.example.net; do
	mail "$who" | "$DKMOD_TOP/$BUILD/dkmod-pipe" --config ../debug.conf --sendmail ../sendmail --log-file ../pipe.log \
		--relay -f "$who" -- bob@example.net >/dev/null 2>&1 || fail "dkmod-pipe signs for $who" "exit $?"
done
check "dkmod-pipe at level debug: the author's domain" grep -q 'esp: signs for the author (From:): customer.example.com' ../pipe.log
check "dkmod-pipe at level debug: which entry, key and selector" \
	grep -q 'esp: signing as d=esp.example.net s=esp1 with key .*keys/esp.example.net/esp1.key (sign_table .*table.lmdb entry customer.example.com)' ../pipe.log
check "dkmod-pipe at level debug: why a domain gets no signature" \
	grep -q 'esp: sign_table .*table.lmdb has no entry for a@nowhere.example.net, nowhere.example.net, its parents or \*' ../pipe.log
check "dkmod-pipe: no signature for it, and says why" \
	grep -q 'esp: not signing for nowhere.example.net: no dkim_domain block, sign_table entry or key file' ../pipe.log
