#!/usr/bin/env bash
# t_stdio.sh - dkmod-stdio and the qpsmtpd plugin without qpsmtpd: replies
# per action (with the qpsmtpd constant and "deliver" from mta.h), fields
# to add and remove, signatures that verify once applied, pipelined
# requests answered in order, message bytes that look like protocol lines,
# hostile input (unknown lines, huge and bad lengths, truncation, NUL, long
# lines, too many recipients, bad client-ip and helo values, random bytes)
# answered with "error" and a clean exit, SPF and DMARC from client-ip,
# helo and mail-from (and from the plugin's remote_ip and hello_host), --once, a broken configuration deferring until it is fixed,
# SIGHUP reloading, a runaway policy, a 50 MB message in bounded memory,
# the parser under libFuzzer, and the plugin (in taint mode, through
# qpsmtpd's own plugin compiler) including its filter restart paths.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"
STDIO="$DKMOD_TOP/$BUILD/dkmod-stdio"
CLIENT=("$PYTHON" "$DKMOD_TOP/tests/adapters/stdio_client.py")
HARNESS=(perl -T "$DKMOD_TOP/tests/adapters/plugin_harness.pl" "$DKMOD_TOP/adapters/stdio/dkmod")
cd "$TMP" || exit 1
[ -x "$STDIO" ] || { fail "dkmod-stdio is built" "no $STDIO"; exit 1; }
adapters_setup "$TMP/ad" || { fail "keys and zone"; exit 1; }
ZONE="zone = \"$AD_DIR/example.com.zone\""
adapters_conf z.conf "$ZONE"
adapters_conf dead.conf "forward = { \"127.0.0.1@$(free_port)\" }, timeout = 1" "$AD_DIR/tempfail.lua"
adapters_conf hist.conf "$ZONE" "$AD_DIR/historic.lua"
adapters_conf loop.conf "$ZONE" "$AD_DIR/loop.lua"
adapters_conf quar.conf "$ZONE" "$AD_DIR/quarantine.lua"
mail_from a@example.com >plain.eml
mail_from a@strict.example.com >strict.eml
mail_from a@reject.example.com >reject.eml
mail_from a@disc.example.com >disc.eml
mail_from a@corp.example.com >corp.eml
printf 'From: a@example.com\nTo: b@example.net\nSubject: forged\nAuthentication-Results: mx.example.net; dkim=pass\n\nbody\n' >forged.eml

# serve NAME WANT_RC ARGS... <INPUT - run dkmod-stdio; sum.txt: the replies summarised
serve() {
	local name=$1 want=$2
	shift 2
	timeout 20 "$STDIO" "$@" >replies.txt 2>err.txt
	local rc=$?
	"${CLIENT[@]}" parse --fields "$TMP/fields" <replies.txt >sum.txt
	check_eq "$name: exit $want" "$rc" "$want"
}
mkdir fields
req() { "${CLIENT[@]}" req "$@"; }

# ---- one request per action
req --id a1 plain.eml | serve "accept" 0 --config z.conf
check_eq "accept: reply" "$(cat sum.txt)" \
	"id=a1 action=accept qpsmtpd=OK deliver=yes add=Authentication-Results,DomainKey-Status remove= reply=250 2.0.0 Ok"
check "accept: Authentication-Results decodes" grep -q '^Authentication-Results: mx.example.net; dkim=none' fields/1.fields
req reject.eml | serve "reject" 0 --config z.conf
check "reject: DENY with the policy's 550 5.7.1" grep -q '^id=- action=reject qpsmtpd=DENY deliver=no .* reply=550 5.7.1 Message rejected by the DMARC policy of reject.example.com' sum.txt
req strict.eml | serve "DomainKeys o=-, unsigned" 0 --config z.conf
check "DomainKeys o=-, unsigned: the default accepts" grep -q '^id=- action=accept ' sum.txt
req strict.eml | serve "DomainKeys o=-, unsigned, historic.lua" 0 --config hist.conf
check "historic.lua: DENY with 550 5.7.1" grep -q '^id=- action=reject qpsmtpd=DENY deliver=no .* reply=550 5.7.1 strict.example.com signs all' sum.txt
req strict.eml | serve "tempfail" 0 --config dead.conf
check "tempfail: DENYSOFT with 451 4.7.5" grep -q 'action=tempfail qpsmtpd=DENYSOFT deliver=no .* reply=451 4.7.5 ' sum.txt
req disc.eml | serve "discard" 0 --config hist.conf
check "discard: OK, not delivered" grep -q 'action=discard qpsmtpd=OK deliver=no ' sum.txt
req plain.eml | serve "quarantine" 0 --config quar.conf
check "quarantine: OK, delivered, marker field first" grep -q 'action=quarantine qpsmtpd=OK deliver=yes add=X-Dkmod-Quarantine,Authentication-Results,DomainKey-Status ' sum.txt
req forged.eml | serve "forged Authentication-Results" 0 --config z.conf
check "forged Authentication-Results: remove-header by name, occurrence and count" grep -q ' remove=Authentication-Results:0/1 ' sum.txt
forged_past_limits plain.eml >pastlimits.eml
req pastlimits.eml | serve "forged results past the header limits" 0 --config quar.conf
check "past the limits: every forged field named, by name, occurrence and count" grep -q \
	' remove=DomainKey-Status:0/2,DomainKey-Status:1/2,Authentication-Results:0/3,Authentication-Results:1/3 ' sum.txt
req pastlimits.eml | serve "past the limits, default policy" 0 --config z.conf
check "past the limits, default policy: reject 552 5.3.4" grep -q 'action=reject qpsmtpd=DENY .* reply=552 5.3.4 ' sum.txt
printf ' leading: fold\nFrom: a@example.com\nAuthentication-Results: mx.example.net; dkim=pass\nSubject: s\n\nbody\n' >leading.eml
req leading.eml | serve "a header that begins with a folded line" 0 --config z.conf
check "a header that begins with a folded line: the A-R is the first of its name" grep -q ' remove=Authentication-Results:0/1 ' sum.txt

# ---- signing: apply the reply, then verify
req --relay --mail-from a@corp.example.com corp.eml | serve "relay client" 0 --config z.conf
"${CLIENT[@]}" rebuild fields/1.fields corp.eml "" >signed.eml
"$DKMOD" verify --zone "$AD_DIR/example.com.zone" --authserv-id t signed.eml >verified.eml
check_eq "relay client: the signatures verify once applied" "$(ar_results verified.eml)" "dkim=pass domainkeys=pass"
req --auth-user joe corp.eml | serve "authenticated client" 0 --config z.conf
check "authenticated client: signed, not verified (no verify_signed)" grep -q 'add=DKIM-Signature,DomainKey-Signature ' sum.txt

# ---- pipelining: 40 requests written at once, some bodies look like protocol lines
printf 'From: a@example.com\nSubject: tricky\n\nend\nmessage 5\naction reject\n\nend\n' >tricky.eml
: >empty.eml
for i in $(seq 40); do
	case $((i % 4)) in
	0) req --id "p$i" tricky.eml ;;
	1) req --id "p$i" plain.eml ;;
	2) req --id "p$i" reject.eml ;;
	3) req --id "p$i" empty.eml ;;
	esac
done >pipelined.req
serve "40 pipelined requests" 0 --config z.conf <pipelined.req
check_eq "pipelined: 40 replies" "$(wc -l <sum.txt)" 40
check_eq "pipelined: in order" "$(sed 's/ .*//' sum.txt | tr '\n' ' ')" "$(for i in $(seq 40); do printf 'id=p%s ' "$i"; done)"
check_eq "pipelined: tricky bodies accepted" "$(for i in $(seq 4 4 40); do grep "^id=p$i action=accept" sum.txt; done | wc -l)" 10
check_eq "pipelined: reject.example.com rejected" "$(grep -c 'action=reject' sum.txt)" 10

# ---- SPF and DMARC from the envelope lines (client-ip, helo, mail-from)
mail_from ann@spf.example.com spf >spf.eml
req --client-ip 192.0.2.9 --helo mx.spf.example.com --mail-from ann@spf.example.com spf.eml | serve "SPF-authorized client" 0 --config z.conf
check "SPF-authorized client: spf=pass, dmarc=pass" \
	ar_has fields/1.fields 'spf=pass smtp.mailfrom=ann@spf.example.com; dmarc=pass'
req --client-ip 3fff:60::1 --helo mx.spf.example.com --mail-from ann@spf.example.com spf.eml | serve "IPv6 client outside SPF" 0 --config z.conf
check "IPv6 client outside SPF: spf=fail, dmarc=fail" \
	ar_has fields/1.fields 'spf=fail smtp.mailfrom=ann@spf.example.com; dmarc=fail'
req --client-ip '' --helo '' --mail-from ann@spf.example.com spf.eml | serve "empty client-ip and helo" 0 --config z.conf
check "empty client-ip and helo: unknown, SPF not checked, DMARC still" \
	bash -c "grep -q 'dmarc=fail' fields/1.fields && ! grep -q 'spf=' fields/1.fields"

# ---- hostile input: an error reply and exit 65, never a crash or a hang
hostile() { # NAME WANT_ERROR - input on stdin
	serve "$1" 65 --config z.conf
	check_eq "$1: error reply" "$(tail -n 1 sum.txt)" "$2"
}
printf 'hello world\n' | hostile "unknown keyword" "id=- error=unknown keyword"
printf 'id x\nmessage 99999999999999999999\n' | hostile "huge length" "id=x error=message length over the limit"
printf 'message -5\n' | hostile "negative length" "id=- error=bad message length"
printf 'message 12abc\n' | hostile "bad length" "id=- error=bad message length"
printf 'message 1001\n' | serve "over --max-message" 65 --config z.conf --max-message 1000
check_eq "over --max-message: error reply" "$(cat sum.txt)" "id=- error=message length over the limit"
{ printf 'id t\nmessage 100\n'; head -c 10 plain.eml; } | hostile "EOF inside a message" "id=t error=end of input inside a message"
printf 'id t\nmail-from a@b\n' | hostile "EOF inside an envelope" "id=t error=end of input inside a request"
head -c 5000 /dev/zero | tr '\0' a | hostile "line too long" "id=- error=envelope line too long"
printf 'mail-from a\0b\n' | hostile "NUL in a line" "id=- error=NUL byte in an envelope line"
printf 'mail-from a\nmail-from b\n' | hostile "duplicate mail-from" "id=- error=duplicate mail-from"
printf 'relay maybe\n' | hostile "bad relay" "id=- error=relay must be 0 or 1"
printf 'client-ip 192.0.2.300\n' | hostile "bad client-ip" "id=- error=bad client-ip"
printf 'client-ip 192.0.2.1 x\n' | hostile "client-ip with more after it" "id=- error=bad client-ip"
printf 'client-ip 192.0.2.1\nclient-ip 192.0.2.2\n' | hostile "duplicate client-ip" "id=- error=duplicate client-ip"
printf 'helo two words\n' | hostile "helo with a blank" "id=- error=bad helo"
printf 'helo a\001b\n' | hostile "helo with a control byte" "id=- error=bad helo"
{ printf 'helo '; head -c 256 /dev/zero | tr '\0' a; echo; } | hostile "helo over 255 bytes" "id=- error=bad helo"
for i in $(seq 10001); do echo "rcpt r$i@example.net"; done | hostile "10001 recipients" "id=- error=too many rcpt lines"
{ req --id ok plain.eml; printf 'garbage\n'; } | serve "good request, then garbage" 65 --config z.conf
check_eq "good request, then garbage: both replies" "$(sed 's/ .*//' sum.txt | tr '\n' ' ')" "id=ok id=- "
: | serve "empty input" 0 --config z.conf
check_eq "empty input: no reply" "$(wc -c <replies.txt)" 0
bad=0
for i in $(seq 40); do
	head -c $((RANDOM * 4)) /dev/urandom >rnd.bin
	[ $((i % 2)) = 0 ] && { req plain.eml; cat rnd.bin; } >rnd2.bin && mv rnd2.bin rnd.bin
	timeout 20 "$STDIO" --config z.conf <rnd.bin >replies.txt 2>/dev/null
	rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 65 ]; then bad=$((bad + 1)); cp rnd.bin "bad$i.bin"; fi
	[ "$rc" = 65 ] && [ "$(tail -c 4 replies.txt)" != "end" ] && [ "$(tail -n 1 replies.txt)" != end ] && bad=$((bad + 1))
done
check_eq "40 random inputs: exit 0 or 65 with a complete error reply" "$bad" 0

# ---- --once, a broken configuration, SIGHUP, a runaway policy
{ req --id o1 plain.eml; req --id o2 plain.eml; } | serve "--once" 0 --config z.conf --once
check_eq "--once: one reply" "$(sed 's/ .*//' sum.txt)" "id=o1"
cp z.conf live.conf
echo 'this is not lua (' >broken.conf
"${CLIENT[@]}" session "$STDIO" --config "$TMP/broken.conf" -- send:plain.eml "write:$TMP/broken.conf:$(sed ':a;N;$!ba;s/\n/\\n/g' z.conf)" send:plain.eml >session.txt 2>err.txt
check "broken configuration: tempfail 451 4.3.0" grep -q '^id=1 action=tempfail qpsmtpd=DENYSOFT .*reply=451 4.3.0 dkmod: configuration error' session.txt
check "fixed configuration: next request accepted" grep -q '^id=2 action=accept' session.txt
"${CLIENT[@]}" session "$STDIO" --config "$TMP/live.conf" -- send:plain.eml "write:$TMP/live.conf:$(sed ':a;N;$!ba;s/\n/\\n/g' quar.conf)" hup send:plain.eml >session.txt 2>err.txt
check_eq "SIGHUP: reloaded between messages" "$(grep -o 'action=[a-z]*' session.txt | tr '\n' ' ')" "action=accept action=quarantine "
"${CLIENT[@]}" session "$STDIO" --config "$TMP/loop.conf" -- send:plain.eml send:plain.eml >session.txt 2>err.txt
check_eq "runaway policy: fallback tempfail, process goes on" "$(grep -o 'action=[a-z]*' session.txt | tr '\n' ' ')" "action=tempfail action=tempfail "
check "runaway policy: fallback reply" grep -q 'reply=451 4.3.0 Local policy error' session.txt
check_eq "runaway policy: clean exit" "$(tail -n 1 session.txt)" "exit 0"

# ---- a 50 MB message: memory stays bounded
big_message big.eml 50
start=$(date +%s%N)
"${CLIENT[@]}" session "$STDIO" --config "$TMP/z.conf" -- send:plain.eml send:big.eml send:plain.eml rss >session.txt 2>err.txt
ms=$((($(date +%s%N) - start) / 1000000))
check_eq "50 MB message among small ones: accepted ($ms ms)" "$(grep -c 'action=accept' session.txt)" 3
rss=$(sed -n 's/^rss //p' session.txt)
if [ -n "$rss" ] && [ "$rss" -lt 40000 ]; then pass "50 MB message: peak RSS ${rss} KB (< 40 MB)"; else fail "50 MB message: peak RSS" "${rss:-?} KB"; fi
rm -f big.eml

# (the request parser is fuzzed by tests/fuzz: fuzz_stdio_proto, make fuzz)

# ---- the qpsmtpd plugin, outside qpsmtpd (taint mode, qpsmtpd's plugin compiler)
need_perl "qpsmtpd plugin" Qpsmtpd::Plugin || exit 0
H() { "${HARNESS[@]}" "$TMP/hout" stdio "$STDIO" config "$TMP/$1" timeout "${2:-5}" -- "${@:3}" 2>harness.err; }
mkdir hout
# under historic.lua: strict.eml (o=-) is rejected and disc.eml (ADSP discardable) discarded
H hist.conf 5 "$TMP/forged.eml:relay" "$TMP/strict.eml" "$TMP/disc.eml" "$TMP/corp.eml:auth=joe" end pid >h.txt
check_eq "plugin: accept continues (DECLINED)" "$(sed -n 1p h.txt)" "1 DECLINED - -"
check_eq "plugin: fields on top, qpsmtpd's fields below, forged A-R gone" \
	"$(grep -o '^[A-Za-z-]*:' hout/1.hdr | tr '\n' ' ')" \
	"Authentication-Results: DomainKey-Status: Received: Authentication-Results: From: To: Subject: "
check "plugin: qpsmtpd's own Authentication-Results kept" grep -q '^Authentication-Results: mx.example.net; auth=none' hout/1.hdr
check_eq "plugin: reject answers the policy's 550 5.7.1" "$(sed -n 2p h.txt | cut -c1-40)" "2 DONE 550 5.7.1 strict.example.com sign"
check_eq "plugin: discard answers 250 without queueing" "$(sed -n 3p h.txt)" "3 DONE 250 2.0.0 Ok (discarded)"
check "plugin: authenticated submission signed" grep -q '^DKIM-Signature: .*d=corp.example.com' hout/4.hdr
check_eq "plugin: post-connection stops the filter" "$(sed -n 5p h.txt)" "pid none"
H quar.conf 5 "$TMP/pastlimits.eml" >h.txt
check_eq "plugin, past the limits: quarantined, delivered" "$(cat h.txt)" "1 DECLINED - -"
forged_checks "plugin, past the limits" hout/1.hdr
H z.conf 5 "$TMP/leading.eml" >h.txt
if [ "$(cat h.txt)" = "1 DECLINED - -" ]; then
	check_eq "plugin, header beginning with a fold: the forged A-R gone, From kept" \
		"$(grep -c 'dkim=pass$' hout/1.hdr) $(grep -c '^From: a@example.com' hout/1.hdr)" "0 1"
else
	check_eq "plugin, header beginning with a fold: deferred when the views differ" "$(cat h.txt)" \
		"1 DONE 451 4.3.0 Temporary filter failure, try again later"
fi
printf 'From: a@example.com\nAuthentication-Results : mx.example.net; dkim=pass\nSubject: s\n\nbody\n' >spaced.eml
H z.conf 5 "$TMP/spaced.eml" >h.txt
if [ "$(cat h.txt)" = "1 DECLINED - -" ]; then
	check_eq "plugin, A-R with a blank before its colon: gone" "$(grep -c 'dkim=pass$' hout/1.hdr)" 0
else
	check_eq "plugin, A-R with a blank before its colon: deferred when the views differ" "$(cat h.txt)" \
		"1 DONE 451 4.3.0 Temporary filter failure, try again later"
fi
H z.conf 5 "$TMP/spf.eml:from=ann@spf.example.com" "$TMP/spf.eml:from=ann@spf.example.com:ip=192.0.2.200" \
	"$TMP/spf.eml:from=:helo=bad helo" >h.txt
check_eq "plugin: SPF cases delivered" "$(cut -d' ' -f2 h.txt | tr '\n' ' ')" "DECLINED DECLINED DECLINED "
check "plugin: remote_ip, hello_host and the sender give spf=pass and dmarc=pass" \
	ar_has hout/1.hdr 'spf=pass smtp.mailfrom=ann@spf.example.com; dmarc=pass'
check "plugin: a client outside the SPF record gets spf=fail" \
	ar_has hout/2.hdr 'spf=fail smtp.mailfrom=ann@spf.example.com'
check "plugin: a HELO name with a blank is left out (null sender: SPF not checked)" \
	bash -c "grep -q 'dmarc=fail' hout/3.hdr && ! grep -q 'spf=' hout/3.hdr"
H dead.conf 5 "$TMP/strict.eml" >h.txt
check_eq "plugin: tempfail answers 451 4.7.5" "$(cut -c1-17 h.txt)" "1 DONE 451 4.7.5 "
H z.conf 5 "$TMP/plain.eml" pid kill "$TMP/plain.eml" pid >h.txt
p1=$(sed -n 2p h.txt) p2=$(sed -n 4p h.txt)
if [ "$(sed -n 3p h.txt)" = "2 DECLINED - -" ] && [ "$p1" != "$p2" ]; then
	pass "plugin: a filter killed between messages is restarted, nothing lost ($p1 -> $p2)"
else
	fail "plugin: a filter killed between messages is restarted" "$(tr '\n' '|' <h.txt)"
fi
start=$(date +%s)
H z.conf 2 "$TMP/plain.eml" pid stop "$TMP/plain.eml" "$TMP/plain.eml" pid >h.txt
p1=$(sed -n 2p h.txt) p2=$(sed -n 5p h.txt)
check_eq "plugin: a hung filter times out: 451" "$(sed -n 3p h.txt)" "2 DONE 451 4.3.0 Temporary filter failure, try again later"
if [ "$(sed -n 4p h.txt)" = "3 DECLINED - -" ] && [ "$p1" != "$p2" ]; then
	pass "plugin: after the time-out a new filter serves the next message ($(($(date +%s) - start)) s)"
else
	fail "plugin: after the time-out a new filter serves the next message" "$(tr '\n' '|' <h.txt)"
fi
cat >dying.sh <<'EOF'
#!/bin/sh
# a filter that dies in the middle of its first message
head -c 200 >/dev/null
exit 1
EOF
chmod 755 dying.sh
"${HARNESS[@]}" "$TMP/hout" stdio "$TMP/dying.sh" timeout 5 -- "$TMP/plain.eml" >h.txt 2>harness.err
check_eq "plugin: a filter dying mid-message: 451, not lost" "$(cat h.txt)" "1 DONE 451 4.3.0 Temporary filter failure, try again later"
head -c 3000000 /dev/zero | tr '\0' x | fold -w 70 | sed '1i From: a@example.com\nSubject: big\n' >big3.eml
"${HARNESS[@]}" "$TMP/hout" stdio "$TMP/dying.sh" timeout 5 -- "$TMP/big3.eml" >h.txt 2>harness.err
check_eq "plugin: a filter dying during a 3 MB write: 451 (no SIGPIPE death)" "$(cat h.txt)" "1 DONE 451 4.3.0 Temporary filter failure, try again later"
"${HARNESS[@]}" "$TMP/hout" stdio "$TMP/nonexistent" timeout 5 -- "$TMP/plain.eml" >h.txt 2>harness.err
check_eq "plugin: a missing filter: 451" "$(cat h.txt)" "1 DONE 451 4.3.0 Temporary filter failure, try again later"
if "${HARNESS[@]}" "$TMP/hout" stdio relative/path -- >h.txt 2>&1; then
	fail "plugin: a relative filter path is refused" "accepted"
else
	check "plugin: a relative filter path is refused" grep -q 'must be an absolute path' h.txt
fi
