#!/usr/bin/env bash
# t_pipe.sh - dkmod-pipe without Postfix: a stand-in sendmail records what
# would be reinjected.  Exit status and output per action (accept, reject
# 69 with "5.7.1 ...", tempfail 75, discard, quarantine), the reinjected
# message (added fields on top in the message's line ends, the rest
# byte-identical), signing for relay clients (--auth-user, --relay,
# --relay-net), the null sender, SPF and DMARC from --client-ip, --helo
# and -f (and none without them), every internal failure deferring (75), the
# spool's switch from memory to a file at 4 MiB, and a 50 MB message spooled
# with bounded memory.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"
pipe_setup
ZONE="zone = \"$AD_DIR/example.com.zone\""
adapters_conf z.conf "$ZONE"
adapters_conf dead.conf "forward = { \"127.0.0.1@$(free_port)\" }, timeout = 1" "$AD_DIR/tempfail.lua"
adapters_conf hist.conf "$ZONE" "$AD_DIR/historic.lua"
adapters_conf loop.conf "$ZONE" "$AD_DIR/loop.lua"
adapters_conf syntax.conf "$ZONE" "$AD_DIR/syntax.lua"
adapters_conf quar.conf "$ZONE" "$AD_DIR/quarantine.lua"

mkdir out
cat >sendmail <<EOF
#!/bin/sh
# stand-in sendmail: arguments one a line, the message, a counter
printf '%s\n' "\$@" >$TMP/out/args
cat >$TMP/out/msg
echo x >>$TMP/out/count
case \${FAKE_SENDMAIL:-} in
fail) exit 1 ;;
kill) kill -KILL \$\$ ;;
esac
exit 0
EOF
chmod 755 sendmail

# run NAME WANT_RC CONF ARGS... <MSG - run dkmod-pipe; out.txt: its stdout; RC: its status
run() {
	local name=$1 want=$2 conf=$3
	shift 3
	rm -f out/args out/msg
	"$PIPE" --config "$conf" --sendmail "$TMP/sendmail" --log-file "$TMP/pipe.log" "$@" >out.txt 2>err.txt
	RC=$?
	check_eq "$name: exit $want" "$RC" "$want"
}
injected() { [ -f out/msg ]; }

# ---- actions
mail_from a@example.com >plain.eml
run "accept" 0 z.conf --client-ip 192.0.2.9 --helo h.example.org -f a@example.com -- b@example.net c@example.net <plain.eml
check_eq "accept: sendmail -G -i -f SENDER -- RCPTS" "$(tr '\n' ' ' <out/args)" "-G -i -f a@example.com -- b@example.net c@example.net "
check_eq "accept: nothing on stdout" "$(wc -c <out.txt)" 0
if injected && cmp -s <(strip_added out/msg Authentication-Results DomainKey-Status) plain.eml; then
	pass "accept: the message follows its new fields byte for byte"
else
	fail "accept: the message follows its new fields byte for byte" "$(head -c 300 out/msg 2>/dev/null)"
fi
check "accept: Authentication-Results on top" grep -q '^Authentication-Results: mx.example.net; dkim=none' out/msg

peer_sign plain.eml >signed.eml 2>/dev/null || fail "Mail::DKIM signs"
run "Mail::DKIM-signed" 0 z.conf -f a@example.com -- b@example.net <signed.eml
check_eq "Mail::DKIM-signed: dkim=pass" "$(ar_results out/msg)" "dkim=pass domainkeys=none"
sed 's/^Hello\./Hello!/' signed.eml >tampered.eml
run "tampered" 0 z.conf -f a@example.com -- b@example.net <tampered.eml
check_eq "tampered: dkim=fail, delivered (no policy of that domain)" "$(ar_results out/msg)" "dkim=fail domainkeys=none"

mail_from a@reject.example.com >reject.eml
run "reject (DMARC p=reject, unsigned)" 69 z.conf -f a@reject.example.com -- b@example.net <reject.eml
check "reject: 5.7.1 text on stdout" grep -q '^5\.7\.1 Message rejected by the DMARC policy of reject.example.com' out.txt
check_eq "reject: nothing reinjected" "$(injected && echo yes || echo no)" no
mail_from a@strict.example.com >strict.eml
run "DomainKeys o=-, unsigned: the default accepts" 0 z.conf -f a@strict.example.com -- b@example.net <strict.eml
run "DomainKeys o=-, unsigned, historic.lua: reject" 69 hist.conf -f a@strict.example.com -- b@example.net <strict.eml
check "historic.lua: 5.7.1 text on stdout" grep -q '^5\.7\.1 strict.example.com signs all its mail' out.txt
peer_sign_dk strict.eml >strict-dk.eml
run "o=- with a Mail::DKIM DomainKeys signature" 0 z.conf -f a@strict.example.com -- b@example.net <strict-dk.eml
check_eq "o=- signed: domainkeys=pass" "$(ar_results out/msg)" "dkim=none domainkeys=pass"

run "tempfail (DNS down)" 75 dead.conf -f a@strict.example.com -- b@example.net <strict.eml
check "tempfail: 4.7.5 text on stdout" grep -q '^4\.7\.5 DMARC check of strict.example.com failed temporarily' out.txt
check_eq "tempfail: nothing reinjected" "$(injected && echo yes || echo no)" no

mail_from a@disc.example.com >disc.eml
run "discard (ADSP discardable, unsigned, historic.lua)" 0 hist.conf -f a@disc.example.com -- b@example.net <disc.eml
check_eq "discard: nothing reinjected" "$(injected && echo yes || echo no)" no

run "quarantine" 0 quar.conf -f a@example.com -- b@example.net <plain.eml
check_eq "quarantine: marker field on top" "$(head -n 1 out/msg 2>/dev/null)" "X-Dkmod-Quarantine: yes"

# ---- envelope details
run "null sender" 0 z.conf -f '' -- b@example.net <plain.eml
check_eq "null sender: sendmail -f ''" "$(sed -n 3,4p out/args | tr '\n' '|')" "-f||"
tr -d '\r' <plain.eml | sed 's/$/\r/' >crlf.eml
run "CRLF message" 0 z.conf -f a@example.com -- b@example.net <crlf.eml
if [ "$(head -n 1 out/msg | od -c | grep -c '\\r')" = 1 ] && cmp -s <(strip_added out/msg Authentication-Results DomainKey-Status) crlf.eml; then
	pass "CRLF message: added fields in CRLF, the rest unchanged"
else
	fail "CRLF message: added fields in CRLF, the rest unchanged" "$(head -n 2 out/msg | od -c | head -n 3)"
fi

# ---- signing for relay clients
mail_from a@corp.example.com >corp.eml
# SPF and DMARC from pipe(8)'s ${client_address}, ${client_helo} and ${sender}
mail_from ann@spf.example.com spf >spf.eml
run "SPF-authorized client" 0 z.conf --client-ip 192.0.2.9 --helo mx.spf.example.com -f ann@spf.example.com -- b@example.net <spf.eml
check "SPF-authorized client: spf=pass, dmarc=pass" ar_has out/msg "spf=pass smtp.mailfrom=ann@spf.example.com; dmarc=pass"
run "IPv6 client outside SPF" 0 z.conf --client-ip 3fff:60::1 --helo mx.spf.example.com -f ann@spf.example.com -- b@example.net <spf.eml
check "IPv6 client outside SPF: spf=fail, dmarc=fail" ar_has out/msg "spf=fail smtp.mailfrom=ann@spf.example.com; dmarc=fail"
run "null sender" 0 z.conf --client-ip 192.0.2.9 --helo spf.example.com -f '' -- b@example.net <spf.eml
check "null sender: the HELO name checked" ar_has out/msg "spf=pass smtp.mailfrom=postmaster@spf.example.com"
run "no --client-ip (an old master.cf line)" 0 z.conf -f ann@spf.example.com -- b@example.net <spf.eml
check "no --client-ip: delivered, SPF not checked, DMARC from DKIM alone" \
	bash -c "grep -q '^Authentication-Results:' out/msg && ! grep -q 'spf=' out/msg && grep -q 'dmarc=fail' out/msg"
run "--client-ip not an address" 0 z.conf --client-ip bogus --helo mx.spf.example.com -f ann@spf.example.com -- b@example.net <spf.eml
check "--client-ip not an address: delivered, SPF not checked, logged" \
	bash -c "! grep -q 'spf=' out/msg && grep -q 'spf: not checked' pipe.log"

# DMARC aggregate reports: what the pipe did with each message is recorded (spf.example.com asks
# for reports), and `dkmod report` makes one report of both
cp z.conf rep.conf
printf 'keycache { state_dir = "%s" }\ndmarc_reports { record = true }\n' "$TMP/rstate" >>rep.conf
mkdir rstate rout
run "report: an SPF pass recorded" 0 rep.conf --client-ip 192.0.2.9 --helo mx.spf.example.com -f ann@spf.example.com -- b@example.net <spf.eml
run "report: an SPF fail recorded" 0 rep.conf --client-ip 3fff:60::1 --helo mx.spf.example.com -f ann@spf.example.com -- b@example.net <spf.eml
"$DKMOD" report --config rep.conf --now $(($(date +%s) + 86400)) --dir "$TMP/rout" >report.out 2>&1
check_eq "report: the pipe's two verdicts in one report" \
	"$(gunzip -c rout/*.xml.gz | grep -oE '<(source_ip|count|disposition|envelope_to)>[^<]*' | tr '\n' ' ')" \
	"<source_ip>192.0.2.9 <count>1 <disposition>none <envelope_to>example.net <source_ip>3fff:60::1 <count>1 <disposition>none <envelope_to>example.net "

signed_as() { # the signature methods of the reinjected message, verified by dkmod verify
	strip_added out/msg Authentication-Results DomainKey-Status >resigned.eml
	"$DKMOD" verify --zone "$AD_DIR/example.com.zone" --authserv-id t resigned.eml >verified.eml
	ar_results verified.eml
}
run "auth user: signed" 0 z.conf --auth-user joe --client-ip 192.0.2.9 -f a@corp.example.com -- b@example.net <corp.eml
check_eq "auth user: DKIM and DomainKeys signatures verify" "$(signed_as)" "dkim=pass domainkeys=pass"
run "empty macros: not a relay client" 0 z.conf --auth-user '' --client-ip '' --helo '' --queue-id '' -f a@corp.example.com -- b@example.net <corp.eml
check "empty macros: not signed" bash -c "! grep -q '^DKIM-Signature' out/msg"
run "--relay-net 10.0.0.0/8, client 10.1.2.3" 0 z.conf --relay-net 10.0.0.0/8 --relay-net 2001:db8::/32 --client-ip 10.1.2.3 -f a@corp.example.com -- b@example.net <corp.eml
check "--relay-net match: signed" grep -q '^DKIM-Signature: .*d=corp.example.com' out/msg
run "--relay-net, client 2001:db8::1" 0 z.conf --relay-net 10.0.0.0/8 --relay-net 2001:db8::/32 --client-ip 2001:db8::1 -f a@corp.example.com -- b@example.net <corp.eml
check "--relay-net IPv6 match: signed" grep -q '^DKIM-Signature: .*d=corp.example.com' out/msg
run "--relay-net, client 192.0.2.1" 0 z.conf --relay-net 10.0.0.0/8 --client-ip 192.0.2.1 -f a@corp.example.com -- b@example.net <corp.eml
check "--relay-net no match: not signed" bash -c "! grep -q '^DKIM-Signature' out/msg"
run "--relay" 0 z.conf --relay -f a@corp.example.com -- b@example.net <corp.eml
check "--relay: signed" grep -q '^DKIM-Signature: .*d=corp.example.com' out/msg

# ---- every failure of the filter defers (75) and reinjects nothing
run "missing configuration" 75 "$TMP/nonexistent.conf" -f a@example.com -- b@example.net <plain.eml
check "missing configuration: 4.3.5 text" grep -q '^4\.3\.5 dkmod-pipe: configuration error' out.txt
run "policy with a syntax error" 75 syntax.conf -f a@example.com -- b@example.net <plain.eml
start=$(date +%s%N)
run "runaway policy: fallback tempfail" 75 loop.conf -f a@example.com -- b@example.net <plain.eml
check "runaway policy: stopped within 3 s" test $(((($(date +%s%N) - start) / 1000000) < 3000)) = 1
check_eq "runaway policy: nothing reinjected" "$(injected && echo yes || echo no)" no
FAKE_SENDMAIL="fail" run "sendmail exits 1" 75 z.conf -f a@example.com -- b@example.net <plain.eml
FAKE_SENDMAIL="kill" run "sendmail killed" 75 z.conf -f a@example.com -- b@example.net <plain.eml
"$PIPE" --config z.conf --sendmail /nonexistent/sendmail -f a@example.com -- b@example.net <plain.eml >out.txt 2>&1
check_eq "sendmail missing: exit 75" "$?" 75
run "no -f: usage error defers" 75 z.conf -- b@example.net <plain.eml
run "unknown option defers" 75 z.conf --bogus -f a@example.com -- b@example.net <plain.eml
run "no recipient defers" 75 z.conf -f a@example.com -- <plain.eml
"$PIPE" --help >out.txt
check_eq "--help: exit 0" "$?" 0
# a signal while the message is still arriving
rm -f out/msg
mkfifo slow.fifo
"$PIPE" --config z.conf --sendmail "$TMP/sendmail" -f a@example.com -- b@example.net <slow.fifo >out.txt 2>&1 &
pid=$!
exec 7>slow.fifo
head -c 100 plain.eml >&7
sleep 0.5
kill -TERM "$pid"
wait "$pid"
check_eq "SIGTERM mid-message: exit 75" "$?" 75
exec 7>&-
check_eq "SIGTERM mid-message: nothing reinjected" "$(injected && echo yes || echo no)" no
check "log lines name the action" grep -q 'action=reject' "$TMP/pipe.log"

# ---- the spool: in memory up to 4 MiB, beyond that all in a temporary file in $TMPDIR;
# byte for byte on both sides of the boundary, and only a larger message needs the file
big_message mid.eml 5
for n in 4194303 4194304 4194305; do
	head -c "$n" mid.eml >"m$n.eml"
	rm -f out/msg
	TMPDIR=$TMP/no-such-dir "$PIPE" --config z.conf --sendmail "$TMP/sendmail" -f a@example.com -- b@example.net \
		<"m$n.eml" >out.txt 2>&1
	rc=$?
	if [ "$n" -le 4194304 ]; then
		check_eq "$n bytes, no spool directory: exit 0 (kept in memory)" "$rc" 0
	else
		check_eq "$n bytes, no spool directory: exit 75 (needs the file)" "$rc" 75
		check_eq "$n bytes, no spool directory: nothing reinjected" "$(injected && echo yes || echo no)" no
		run "$n bytes (memory, then a file)" 0 z.conf -f a@example.com -- b@example.net <"m$n.eml"
	fi
	if cmp -s <(strip_added out/msg Authentication-Results DomainKey-Status) "m$n.eml"; then
		pass "$n bytes: reinjected byte for byte"
	else
		fail "$n bytes: reinjected byte for byte" "sizes $(wc -c <out/msg) $n"
	fi
done
rm -f mid.eml m41943*.eml

# ---- a large message whose header loses a field (a forged Authentication-Results of ours): the
# body goes to sendmail straight from the spooled pages (vmsplice), byte for byte after the header
big_message forged-big.eml 1
{ echo 'Authentication-Results: mx.example.net; dkim=pass header.d=example.com'; cat forged-big.eml; } >forged.eml
run "1 MB message with a forged Authentication-Results" 0 z.conf -f a@example.com -- b@example.net <forged.eml
check "1 MB, forged field: gone from the reinjected message" sh -c '! grep -q "dkim=pass header.d=example.com" out/msg'
if cmp -s <(strip_added out/msg Authentication-Results DomainKey-Status) forged-big.eml; then
	pass "1 MB, forged field: the rest reinjected byte for byte"
else
	fail "1 MB, forged field: the rest reinjected byte for byte" "sizes $(wc -c <out/msg) $(wc -c <forged-big.eml)"
fi
rm -f forged-big.eml forged.eml

# ---- forged results past the header limits: removed wherever they are; the policy decides
forged_past_limits plain.eml >pastlimits.eml
run "past the limits, quarantine policy" 0 quar.conf -f a@example.com -- b@example.net <pastlimits.eml
forged_checks "past the limits (pipe)" out/msg
if ar_text out/msg | grep -q 'not fully inspected\|header limits'; then pass "past the limits (pipe): our A-R says why"; else fail "past the limits (pipe): our A-R says why" "$(ar_text out/msg)"; fi
run "past the limits, default policy: rejected" 69 z.conf -f a@example.com -- b@example.net <pastlimits.eml
check "past the limits, default policy: 5.3.4 on stdout" grep -q '^5\.3\.4 Message header too large' out.txt
rm -f pastlimits.eml

# ---- a 50 MB message: spooled, memory bounded, reinjected byte for byte
big_message big.eml 50
start=$(date +%s%N)
/usr/bin/time -f '%M' -o rss.txt "$PIPE" --config z.conf --sendmail "$TMP/sendmail" -f a@example.com -- b@example.net <big.eml >out.txt 2>&1
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check_eq "50 MB message: exit 0 ($ms ms)" "$rc" 0
rss=$(tail -n 1 rss.txt)
if [ -n "$rss" ] && [ "$rss" -lt 40000 ]; then pass "50 MB message: max RSS ${rss} KB (< 40 MB)"; else fail "50 MB message: max RSS" "${rss} KB"; fi
if cmp -s <(strip_added out/msg Authentication-Results DomainKey-Status) big.eml; then
	pass "50 MB message: reinjected byte for byte"
else
	fail "50 MB message: reinjected byte for byte" "sizes $(wc -c <out/msg) $(wc -c <big.eml)"
fi
rm -f big.eml out/msg
