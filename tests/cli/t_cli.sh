#!/usr/bin/env bash
# t_cli.sh - the dkmod command itself: usage errors and exit statuses, output
# shape, line ends kept, hostile and odd input handed back intact, signing
# options, JSON details.  Keys come from the demo zone (local data).
. "$(dirname "$0")/../lib/common.sh"
cd "$TMP" || exit 1
CONF="$DKMOD_TOP/conf"
install -m 600 "$CONF/demo.key" "$CONF/demo-ed25519.key" "$TMP/"
V=("$DKMOD" verify --zone "$CONF/demo.zone" --authserv-id mx.example.net)
S=("$DKMOD" sign --domain example.com --selector demo --key "$TMP/demo.key")

status "no command: usage" 64 "$DKMOD"
status "unknown command: usage" 64 "$DKMOD" frobnicate
status "unknown option: usage" 64 "$DKMOD" verify --frob
status "option without value: usage" 64 "$DKMOD" verify --zone
status "bad number: usage" 64 "$DKMOD" verify --min-key-bits lots
status "two inputs: usage" 64 "$DKMOD" verify a b
status "sign without key: usage" 64 "$DKMOD" sign --domain example.com --selector s
status "sign bad canon: usage" 64 "${S[@]}" --canon relaxed/odd "$CONF/sample.eml"
status "sign domainkeys with ed25519: usage" 64 "$DKMOD" sign --type domainkeys --selector s --key k --algorithm ed25519-sha256
status "missing input file" 66 "${V[@]}" "$TMP/absent.eml"
status "directory as input" 66 "${V[@]}" "$TMP"
status "unreadable key" 78 "${S[@]/demo.key/absent.key}" "$CONF/sample.eml"
status "key of the wrong type" 78 "$DKMOD" sign --domain example.com --selector demo --key "$TMP/demo-ed25519.key" "$CONF/sample.eml"
install -m 644 "$CONF/demo.key" "$TMP/open.key"
status "a key readable by others is refused" 78 "$DKMOD" sign --domain example.com --selector demo --key "$TMP/open.key" "$CONF/sample.eml"
"$DKMOD" sign --domain example.com --selector demo --key "$TMP/open.key" "$CONF/sample.eml" 2>&1 >/dev/null | grep -q 'lets other users read it: refused (fix: chmod 600' &&
	pass "the refusal says why" || fail "the refusal says why"
status "help" 0 "$DKMOD" verify --help
status "version" 0 "$DKMOD" --version

# verify exits 0 whatever the verdict, and passes the message on
printf 'From: a@example.com\r\nDKIM-Signature: garbage\r\n\r\nbody\r\n' >bad.eml
"${V[@]}" bad.eml >bad.out 2>bad.err
check_eq "malformed signature: exit 0" "$?" 0
check_eq "malformed signature: verdict" "$(ar_results bad.out)" "dkim=permerror domainkeys=none"
if ar_text bad.out | grep -q 'reason="signature syntax error"'; then pass "malformed signature: reason"; else fail "malformed signature: reason" "$(ar_text bad.out)"; fi
awk 'a { print } /^DomainKey-Status:/ { a = 1 }' bad.out | cmp -s - bad.eml && pass "malformed signature: message intact" || fail "malformed signature: message intact"

# binary junk, NUL bytes and no header/body separator come back byte for byte
head -c 200000 /dev/urandom >junk.bin
"${V[@]}" junk.bin >junk.out 2>junk.err
check_eq "binary junk: exit 0" "$?" 0
n=$(awk '/^Authentication-Results:/{a=1;next} a && /^[ \t]/{next} {print NR-1; exit}' junk.out)
tail -n +"$((n + 2))" junk.out >/dev/null
if [ "$(tail -c 200000 junk.out | md5sum)" = "$(md5sum <junk.bin)" ]; then pass "binary junk: passed on intact"; else fail "binary junk: passed on intact"; fi

# LF input keeps LF; the added fields use it too
sed 's/\r$//' "$CONF/sample.eml" >lf.eml
"${S[@]}" lf.eml >lf.signed
if grep -q $'\r' lf.signed; then fail "LF message stays LF" "CR found"; else pass "LF message stays LF"; fi
"${V[@]}" lf.signed >lf.out
check_eq "LF message verifies" "$(ar_results lf.out)" "dkim=pass domainkeys=none"
sed 's/$/\r/' "$CONF/sample.eml" >crlf.eml
"${S[@]}" crlf.eml >crlf.signed
if head -1 crlf.signed | grep -q $'\r$'; then pass "CRLF message gets CRLF fields"; else fail "CRLF message gets CRLF fields"; fi
"${V[@]}" <crlf.signed >stdin.out
check_eq "verify from standard input" "$(ar_results stdin.out)" "dkim=pass domainkeys=none"

# signing options
"${S[@]}" --identity alice@example.com --expire 3600 --headers from:to:subject:x-absent --body-length \
	--canon simple/simple --now 1800000000 crlf.eml >opts.signed
fields=$(sed -n '1,/^\r$/p' opts.signed | tr -d '\r\n\t ')
for want in "i=alice@example.com;" "t=1800000000;" "x=1800003600;" "c=simple/simple;" "h=from:from:to:to:subject:subject:reply-to:date:date:cc:message-id:message-id:in-reply-to:references:mime-version:mime-version:content-type:content-type:content-transfer-encoding:content-disposition:sender;" "l="; do
	case "$fields" in *"$want"*) pass "sign option gives $want" ;; *) fail "sign option gives $want" "$fields" ;; esac
done
"${V[@]}" --now 1800000100 opts.signed >opts.out
check_eq "options: verifies before x=" "$(ar_results opts.out)" "dkim=pass domainkeys=none"
"${V[@]}" --now 1800009999 opts.signed >late.out
check_eq "options: expired after x=" "$(ar_results late.out)" "dkim=permerror domainkeys=none"
status "identity outside the domain" 78 "${S[@]}" --identity joe@example.org crlf.eml

# --json details
"${V[@]}" --json crlf.signed 2>json.err >/dev/null
if "$PYTHON" -c 'import json,sys; d=json.loads(sys.stdin.read()); r=d["results"][0]; assert r["result"]=="pass" and r["key_bits"]==2048 and r["selector"]=="demo", r' <json.err; then
	pass "--json prints the details"
else
	fail "--json prints the details" "$(cat json.err)"
fi

# an oversized header block: verdict with a reason, message intact
{ for i in $(seq 1200); do printf 'X-Filler-%d: %d\r\n' "$i" "$i"; done; cat crlf.signed; } >big.eml
"${V[@]}" big.eml >big.out 2>big.err
if ar_text big.out | grep -q 'header not fully inspected (limits exceeded)'; then pass "too many fields: reason"; else fail "too many fields: reason" "$(head -3 big.out)"; fi
tail -c "$(wc -c <big.eml)" big.out | cmp -s - big.eml && pass "too many fields: message intact" || fail "too many fields: message intact"

# l= that leaves content unsigned is reported (pass, with the reason and partial_body)
"${S[@]}" --body-length crlf.eml >l.signed
{ cat l.signed; printf 'appended after signing\r\n'; } >l.appended
"${V[@]}" --json l.appended >l.out 2>l.json
check_eq "l= with appended content still passes" "$(ar_results l.out)" "dkim=pass domainkeys=none"
if ar_text l.out | grep -q 'reason="l= leaves part of the body unsigned"' && grep -q '"partial_body":true' l.json; then
	pass "l= covering part of the body is reported"
else
	fail "l= covering part of the body is reported" "$(ar_text l.out)"
fi
"${V[@]}" --authserv-id 'mx;injected' crlf.eml >/dev/null 2>&1
check_eq "an authserv-id that could split the field is refused" "$?" 70
