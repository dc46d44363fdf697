#!/usr/bin/env bash
# t_keys.sh - key management end to end: keygen (RSA 1024/2048/4096,
# Ed25519, DomainKeys), zone fragments loaded in a real nsd on 127.0.0.1
# (absolute names, a delegated _domainkey zone via --origin, a provider's key
# zone reached through customer CNAMEs, a customer subdomain delegated to a
# provider), signatures by dkmod verified by dkmod, Mail::DKIM and dkimpy;
# testkey outcomes and exit statuses; rotate over a simulated calendar with a
# grace period, and with a provider suffix.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
MDKIM="perl $DKMOD_TOP/tests/interop/peer_mdkim.pl"
DKIMPY="$PYTHON $DKMOD_TOP/tests/interop/peer_dkimpy.py"
cd "$TMP" || exit 1
K=$TMP/keys

# run NAME WANT CMD... - run CMD (output in $out, stderr in $err) and check its exit status
run() {
	local name=$1 want=$2 rc
	shift 2
	out=$("$@" 2>"$TMP/stderr")
	rc=$?
	err=$(cat "$TMP/stderr")
	check_eq "$name (exit $want)" "$rc" "$want"
}
# soa ORIGIN - the head of a zone file
soa() { printf '$ORIGIN %s.\n$TTL 300\n@ IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 300\n@ IN NS ns.example.com.\n' "$1"; }

# --- keygen ---
for bits in 1024 2048 4096; do
	run "keygen rsa $bits" 0 "$DKMOD" keygen --domain example.com --selector rsa$bits --bits $bits --out "$K"
	check_eq "keygen rsa $bits prints its .txt" "$out" "$(cat "$K/example.com/rsa$bits.txt")"
done
run "keygen ed25519" 0 "$DKMOD" keygen --domain example.com --selector ed --type ed25519 --out "$K"
case $out in *'"v=DKIM1; k=ed25519; p='*) pass "ed25519 record has k=ed25519" ;; *) fail "ed25519 record has k=ed25519" "$out" ;; esac
p=$(tr -d '\n' <"$K/example.com/ed.txt" | sed 's/.*p=\([^"]*\)".*/\1/')
check_eq "ed25519 p= is the raw 32-byte key" "$(echo "$p" | base64 -d | wc -c)" 32
run "keygen domainkeys" 0 "$DKMOD" keygen --domain example.com --selector dk --for domainkeys --out "$K"
case $out in 'dk._domainkey.example.com. IN TXT ( "k=rsa; p='*) pass "domainkeys record has no v=" ;; *) fail "domainkeys record has no v=" "$out" ;; esac
run "keygen flags" 0 "$DKMOD" keygen --domain example.com --selector flags --testing --no-subdomains --out "$K"
case $out in *'"v=DKIM1; k=rsa; t=y:s; p='*) pass "--testing --no-subdomains give t=y:s" ;; *) fail "--testing --no-subdomains give t=y:s" "$out" ;; esac

check_eq "private key mode 0600" "$(stat -c %a "$K/example.com/rsa2048.key")" 600
check_eq "ed25519 key mode 0600" "$(stat -c %a "$K/example.com/ed.key")" 600
if openssl pkey -in "$K/example.com/rsa2048.key" -noout 2>/dev/null && head -1 "$K/example.com/rsa2048.key" | grep -q 'BEGIN PRIVATE KEY'; then
	pass "key is PKCS#8 PEM"
else
	fail "key is PKCS#8 PEM" "$(head -1 "$K/example.com/rsa2048.key")"
fi
sum=$(sha256sum "$K/example.com/rsa2048.key")
run "keygen refuses to overwrite" 73 "$DKMOD" keygen --domain example.com --selector rsa2048 --out "$K"
case $err in *exists*refusing*) pass "refusal says why" ;; *) fail "refusal says why" "$err" ;; esac
check_eq "existing key unchanged" "$(sha256sum "$K/example.com/rsa2048.key")" "$sum"
# the longest string of each record, and the string count of the 4096-bit one
longest=$(cat "$K"/example.com/*.txt | grep -o '"[^"]*"' | awk '{ if (length($0) - 2 > m) m = length($0) - 2 } END { print m }')
if [ "$longest" -le 255 ]; then pass "TXT strings at most 255 bytes"; else fail "TXT strings at most 255 bytes" "$longest"; fi
check_eq "4096-bit record split in 3 strings" "$(grep -o '"[^"]*"' "$K/example.com/rsa4096.txt" | wc -l)" 3

run "domainkeys --no-subdomains is a usage error" 64 "$DKMOD" keygen --domain example.com --selector x --for domainkeys --no-subdomains --out "$K"
run "domainkeys ed25519 is a usage error" 64 "$DKMOD" keygen --domain example.com --selector x --for domainkeys --type ed25519 --out "$K"
run "dkim 512 bits is a usage error" 64 "$DKMOD" keygen --domain example.com --selector x --bits 512 --out "$K"
run "8192 bits is a usage error" 64 "$DKMOD" keygen --domain example.com --selector x --bits 8192 --out "$K"
run "domainkeys 512 bits with a warning" 0 "$DKMOD" keygen --domain example.com --selector dk512 --for domainkeys --bits 512 --out "$TMP/weak"
case $err in *warning*512*) pass "512-bit warning" ;; *) fail "512-bit warning" "$err" ;; esac
run "bad selector is a usage error" 64 "$DKMOD" keygen --domain example.com --selector ../x --out "$K"

# --- zone with absolute names, plus test records ---
run "zone" 0 "$DKMOD" zone --keys "$K" --policy-dk 'o=~' --adsp unknown
echo "$out" >frag.zone
for s in rsa1024 rsa2048 rsa4096 ed dk flags; do
	grep -q "^$s._domainkey.example.com. IN TXT" frag.zone && pass "zone has $s" || fail "zone has $s" "$(head -3 frag.zone)"
done
grep -q '^flags._domainkey.example.com. IN TXT ( "v=DKIM1; k=rsa; t=y:s; p=' frag.zone && pass "zone keeps flags from .txt" || fail "zone keeps flags from .txt"
grep -q '^dk._domainkey.example.com. IN TXT ( "k=rsa; p=' frag.zone && pass "zone keeps DomainKeys form" || fail "zone keeps DomainKeys form"
grep -q '^_domainkey.example.com. IN TXT ( "o=~" )' frag.zone && pass "zone DomainKeys policy" || fail "zone DomainKeys policy"
grep -q '^_adsp._domainkey.example.com. IN TXT ( "dkim=unknown" )' frag.zone && pass "zone ADSP record" || fail "zone ADSP record"
# a key file without its .txt gives a plain DKIM record
mkdir -p plain/example.com && cp "$K/example.com/rsa1024.key" plain/example.com/
run "zone without .txt" 0 "$DKMOD" zone --keys plain
case $out in *'rsa1024._domainkey.example.com. IN TXT ( "v=DKIM1; k=rsa; p='*) pass "plain record without .txt" ;; *) fail "plain record without .txt" "$out" ;; esac
run "zone of an empty directory" 66 "$DKMOD" zone --keys "$TMP/empty-nothing"
run "--policy-testing alone is a usage error" 64 "$DKMOD" zone --keys "$K" --policy-testing

trunc=$(grep -o '"[^"]*"' "$K/example.com/rsa2048.txt" | head -1)
{
	soa example.com
	echo 'ns IN A 127.0.0.1'
	cat frag.zone
	echo 'revoked._domainkey IN TXT "v=DKIM1; k=rsa; p="'
	echo "trunc._domainkey IN TXT $trunc"
	echo 'junk._domainkey IN TXT "this is not a key"'
	echo 'nodata._domainkey IN A 192.0.2.1'
} >example.com.zone

# --- a delegated _domainkey zone run by the mail team (--origin) ---
run "keygen example.org" 0 "$DKMOD" keygen --domain example.org --selector s1 --out "$TMP/org"
run "zone --origin" 0 "$DKMOD" zone --keys "$TMP/org" --origin _domainkey.example.org --policy-dk o=- --adsp all
case $out in *$'\ns1 IN TXT ( "v=DKIM1;'*) pass "--origin gives relative names" ;; *) fail "--origin gives relative names" "$out" ;; esac
case $out in *$'\n@ IN TXT ( "o=-" )'*) pass "--origin puts the DomainKeys policy at the apex" ;; *) fail "--origin puts the DomainKeys policy at the apex" "$out" ;; esac
{ soa _domainkey.example.org; echo "$out"; } >dk.example.org.zone
{ soa example.org; echo '_domainkey IN NS ns.example.com.'; } >example.org.zone

# --- a provider's key zone and customer CNAMEs (rotate --suffix makes the selector) ---
run "rotate with suffix" 0 "$DKMOD" rotate --keys "$TMP/esp" --domain example.net --suffix myesp --now 1796083200
case $out in "new 2026-12.myesp"$'\n'"publish 2026-12.myesp._domainkey.example.net. IN TXT ( \"v=DKIM1; k=rsa; p="*) pass "suffix selector and publish line" ;; *) fail "suffix selector and publish line" "$out" ;; esac
run "zone --provider-zone" 0 "$DKMOD" zone --keys "$TMP/esp" --provider-zone keys.esp.test --origin keys.esp.test
{ soa keys.esp.test; echo "$out"; } >keys.esp.test.zone
run "zone --cnames" 0 "$DKMOD" zone --keys "$TMP/esp" --provider-zone keys.esp.test --cnames
check_eq "customer CNAME" "$(echo "$out" | grep -v '^;')" "2026-12.myesp._domainkey.example.net. IN CNAME 2026-12.myesp._domainkey.example.net.keys.esp.test."
{ soa example.net; echo "$out"; } >example.net.zone

# --- a provider serving a customer subdomain delegated to it: myesp._domainkey.example.info ---
run "rotate for a delegated customer subdomain" 0 "$DKMOD" rotate --keys "$TMP/esp2" --domain example.info --suffix myesp --now 1796083200
run "zone --origin for the customer subdomain" 0 "$DKMOD" zone --keys "$TMP/esp2" --origin myesp._domainkey.example.info
case $out in *$'\n2026-12 IN TXT ( "v=DKIM1;'*) pass "customer subdomain names are the months" ;; *) fail "customer subdomain names are the months" "$out" ;; esac
{ soa myesp._domainkey.example.info; echo "$out"; } >myesp.example.info.zone
{ soa example.info; echo 'myesp._domainkey IN NS ns.example.com.'; } >example.info.zone

if ! nsd_start "$TMP/nsd" example.com.zone:example.com example.org.zone:example.org \
	dk.example.org.zone:_domainkey.example.org example.net.zone:example.net keys.esp.test.zone:keys.esp.test \
	example.info.zone:example.info myesp.example.info.zone:myesp._domainkey.example.info; then
	fail "nsd loads the zones" "see $TMP/nsd"
	exit 1
fi
pass "nsd loads the zones"

printf '%s\r\n' 'From: Alice <alice@example.com>' 'To: Bob <bob@example.net>' 'Subject: key test' \
	'Date: Wed, 25 Nov 2026 10:00:00 +0000' 'Message-ID: <keys-1@example.com>' '' 'Hello Bob,' '' >msg.eml
VERIFY=("$DKMOD" verify --resolver "127.0.0.1@$NSD_PORT" --authserv-id mx.test)

# sign_verify NAME DOMAIN SELECTOR KEY PEERS SIGN-OPTIONS... - sign with dkmod, verify with dkmod and PEERS
sign_verify() {
	local name=$1 d=$2 s=$3 key=$4 peers=$5 res
	shift 5
	if ! "$DKMOD" sign --domain "$d" --selector "$s" --key "$key" "$@" msg.eml >"$name.eml" 2>"$name.err"; then
		fail "dkmod signs $name" "$(cat "$name.err")"
		return
	fi
	"${VERIFY[@]}" "$name.eml" >"$name.v"
	res=$(ar_results "$name.v")
	case " $res " in *" dkim=pass "* | *" domainkeys=pass "*) pass "dkmod verifies $name" ;; *) fail "dkmod verifies $name" "$(ar_text "$name.v")" ;; esac
	if [[ $peers == *mdkim* ]]; then
		res=$($MDKIM verify --dns-port "$NSD_PORT" <"$name.eml")
		if grep -qE '^(dkim|domainkeys) pass' <<<"$res"; then pass "Mail::DKIM verifies $name"; else fail "Mail::DKIM verifies $name" "$res"; fi
	fi
	if [[ $peers == *dkimpy* ]]; then
		res=$($DKIMPY verify --dns-port "$NSD_PORT" <"$name.eml")
		if grep -q '^dkim pass' <<<"$res"; then pass "dkimpy verifies $name"; else fail "dkimpy verifies $name" "$res"; fi
	fi
}
for s in rsa1024 rsa2048 rsa4096; do
	sign_verify "$s" example.com $s "$K/example.com/$s.key" "mdkim dkimpy"
done
sign_verify ed25519 example.com ed "$K/example.com/ed.key" "mdkim dkimpy" --algorithm ed25519-sha256
sign_verify domainkeys example.com dk "$K/example.com/dk.key" mdkim --type domainkeys
sign_verify delegated example.org s1 "$TMP/org/example.org/s1.key" "mdkim dkimpy"
sign_verify esp-cname example.net 2026-12.myesp "$TMP/esp/example.net/2026-12.myesp.key" "mdkim dkimpy"
sign_verify esp-subdomain example.info 2026-12.myesp "$TMP/esp2/example.info/2026-12.myesp.key" "mdkim dkimpy"

# --- testkey ---
TK=("$DKMOD" testkey --resolver "127.0.0.1@$NSD_PORT" --domain example.com)
run "testkey ok" 0 "${TK[@]}" --selector rsa2048 --key "$K/example.com/rsa2048.key"
case $out in *"key: rsa, 2048 bits"*"result: ok"*) pass "testkey reports size and result" ;; *) fail "testkey reports size and result" "$out" ;; esac
case $out in *"dnssec: insecure"*) pass "testkey reports the DNSSEC state" ;; *) fail "testkey reports the DNSSEC state" "$out" ;; esac
run "testkey ed25519 ok" 0 "${TK[@]}" --selector ed --key "$K/example.com/ed.key"
run "testkey 4096 ok (TCP-sized answer)" 0 "${TK[@]}" --selector rsa4096 --key "$K/example.com/rsa4096.key"
run "testkey flags" 0 "${TK[@]}" --selector flags --key "$K/example.com/flags.key"
case $out in *"flags: testing (t=y), no subdomains (t=s)"*) pass "testkey reports t=y and t=s" ;; *) fail "testkey reports t=y and t=s" "$out" ;; esac
run "testkey domainkeys ok" 0 "${TK[@]}" --type domainkeys --selector dk --key "$K/example.com/dk.key"
run "testkey mismatch" 1 "${TK[@]}" --selector rsa2048 --key "$K/example.com/rsa1024.key"
run "testkey key type mismatch" 1 "${TK[@]}" --selector ed --key "$K/example.com/rsa1024.key"
run "testkey absent (NXDOMAIN)" 2 "${TK[@]}" --selector missing --key "$K/example.com/rsa2048.key"
run "testkey absent (NODATA)" 2 "${TK[@]}" --selector nodata --key "$K/example.com/rsa2048.key"
run "testkey revoked" 3 "${TK[@]}" --selector revoked --key "$K/example.com/rsa2048.key"
run "testkey truncated" 4 "${TK[@]}" --selector trunc --key "$K/example.com/rsa2048.key"
case $out in *"result: malformed"*) pass "truncated record reported malformed" ;; *) fail "truncated record reported malformed" "$out" ;; esac
run "testkey not a key record" 4 "${TK[@]}" --selector junk --key "$K/example.com/rsa2048.key"
run "testkey delegated zone" 0 "$DKMOD" testkey --resolver "127.0.0.1@$NSD_PORT" --domain example.org --selector s1 --key "$TMP/org/example.org/s1.key"
run "testkey through the CNAME" 0 "$DKMOD" testkey --resolver "127.0.0.1@$NSD_PORT" --domain example.net --selector 2026-12.myesp --key "$TMP/esp/example.net/2026-12.myesp.key"
run "testkey --zone file" 0 "$DKMOD" testkey --zone example.com.zone --domain example.com --selector rsa1024 --key "$K/example.com/rsa1024.key"
run "testkey without --key is a usage error" 64 "${TK[@]}" --selector rsa2048
# testkey refuses what the signer refuses (one rule, core/key/keyfile.c), and accepts 0640
for mode in 644 660 604; do
	install -m "$mode" "$K/example.com/rsa2048.key" "$TMP/open$mode.key"
	run "testkey refuses a key file of mode $mode" 66 "${TK[@]}" --selector rsa2048 --key "$TMP/open$mode.key"
	case $err in *chmod*) pass "testkey: mode $mode: the refusal says how to fix it" ;; *) fail "testkey: mode $mode: the refusal says how to fix it" "$err" ;; esac
	printf 'From: a@example.com\r\n\r\nx\r\n' | "$DKMOD" sign --domain example.com --selector rsa2048 --key "$TMP/open$mode.key" >/dev/null 2>"$TMP/sign.err"
	check "the signer refuses the same file (mode $mode)" grep -q chmod "$TMP/sign.err"
done
install -m 640 "$K/example.com/rsa2048.key" "$TMP/group.key"
run "testkey accepts a key file of mode 640" 0 "${TK[@]}" --selector rsa2048 --key "$TMP/group.key"
case $out in *"readable by group"*) fail "testkey: no advice against 640" "$out" ;; *) pass "testkey: no advice against 640" ;; esac
run "testkey unreadable key" 66 "${TK[@]}" --selector rsa2048 --key "$TMP/nokey.pem"
if silent_udp_start "$TMP/silent"; then
	run "testkey temporary failure (time-out)" 5 "$DKMOD" testkey --resolver "127.0.0.1@$SILENT_PORT" --timeout 1000 \
		--domain example.com --selector rsa2048 --key "$K/example.com/rsa2048.key"
else
	fail "testkey temporary failure" "the silent server did not start"
fi

# --- rotate over a simulated calendar: runs on days 1, 4, 8 and 9 of each month at noon UTC ---
R=$TMP/rot
GRACE=$((7 * 86400))
declare -A retired=()
active="" bad_remove=0 bad_keep=0 bad_active=0 removes=0 keeps=0 unpublished=0
for month in $(seq 0 13); do
	for day in 1 4 8 9; do
		now=$(date -u -d "$(printf '%04d-%02d-%02d 12:00:00' $((2026 + month / 12)) $((month % 12 + 1)) "$day")" +%s)
		sel=$(date -u -d "@$now" +%Y-%m)
		out=$("$DKMOD" rotate --keys "$R" --domain example.com --grace 7d --now "$now" --type ed25519 2>&1) || {
			fail "rotate at $now" "$out"
			continue
		}
		if grep -q "^new $sel$" <<<"$out"; then
			[ -n "$active" ] && retired[$active]=$now
			active=$sel
		fi
		grep -q "^active $sel since " <<<"$out" || bad_active=$((bad_active + 1))
		zone=$("$DKMOD" zone --keys "$R")
		for s in "${!retired[@]}"; do
			age=$((now - ${retired[$s]}))
			if grep -q "^remove $s$" <<<"$out"; then
				removes=$((removes + 1))
				[ "$age" -le "$GRACE" ] && bad_remove=$((bad_remove + 1))
				# the administrator removes it, as the line says
				rm -f "$R/example.com/$s.key" "$R/example.com/$s.txt"
				unset "retired[$s]"
			elif grep -q "^keep $s until " <<<"$out"; then
				keeps=$((keeps + 1))
				[ "$age" -gt "$GRACE" ] && bad_keep=$((bad_keep + 1))
				grep -q "^$s._domainkey.example.com. IN TXT" <<<"$zone" || unpublished=$((unpublished + 1))
			else
				bad_keep=$((bad_keep + 1))
			fi
		done
	done
done
check_eq "rotate: nothing used within the grace is listed remove" "$bad_remove" 0
check_eq "rotate: retired past the grace are listed remove, within it keep" "$bad_keep" 0
check_eq "rotate: kept selectors stay in the zone" "$unpublished" 0
check_eq "rotate: this month's selector is active" "$bad_active" 0
if [ "$removes" -ge 12 ] && [ "$keeps" -ge 24 ]; then pass "rotate: calendar saw keeps and removes"; else fail "rotate: calendar saw keeps and removes" "keeps $keeps removes $removes"; fi
check_eq "rotate: removed selectors leave the state" "$(grep -vc '^#' "$R/example.com/selectors")" 2
run "rotate again in the same month" 0 "$DKMOD" rotate --keys "$R" --domain example.com --now "$now" --type ed25519
case $out in "exists $sel"*) pass "rotate says the selector exists" ;; *) fail "rotate says the selector exists" "$out" ;; esac
run "rotate bad grace" 64 "$DKMOD" rotate --keys "$R" --domain example.com --grace 7x
run "rotate backwards" 65 "$DKMOD" rotate --keys "$R" --domain example.com --now 1767225600
echo "2026-01 nonsense" >>"$R/example.com/selectors"
run "rotate bad state file" 65 "$DKMOD" rotate --keys "$R" --domain example.com --now "$now"
# the plain series and the suffix series are rotated apart
run "rotate suffix series beside the plain one" 0 "$DKMOD" rotate --keys "$TMP/esp" --domain example.net --suffix myesp --now 1798761600 --grace 36h
case $out in *"new 2027-01.myesp"*"keep 2026-12.myesp until 2027-01-02T12:00:00Z"*) pass "suffix series rotates with its grace" ;;
*) fail "suffix series rotates with its grace" "$out" ;; esac
exit 0
