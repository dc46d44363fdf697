#!/usr/bin/env bash
# t_trust.sh - trusted upstream results and Received-SPF through dkmod-pipe
# (a stand-in sendmail records what would be reinjected), with
# spf { trusted_authserv_ids, received_spf } in the configuration: the SPF
# result of the topmost trusted Authentication-Results field is used (no
# Received-SPF of ours, DMARC passes by it, our A-R names the trusted id);
# the same field below a Received field from outside the site is not, SPF is
# checked here and Received-SPF added below our A-R (through dkmod-milter
# too, with miltertest as the MTA); a HELO name and MAIL
# FROM with CR/LF and quotes add no field; msg.spf.trusted in the policy
# script; config errors name file:line.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"
pipe_setup
adapters_conf t.conf "zone = \"$AD_DIR/example.com.zone\""
printf 'spf { trusted_authserv_ids = { "mx1.example.net", "filter.example.net" }, received_spf = true }\n' >>t.conf
mkdir out
printf '#!/bin/sh\ncat >%s/out/msg\n' "$TMP" >sendmail
chmod 755 sendmail

# run NAME CLIENT HELO SENDER <MSG - dkmod-pipe, exit 0 expected; the message in out/msg
run() {
	rm -f out/msg
	"$PIPE" --config t.conf --sendmail "$TMP/sendmail" --log-file "$TMP/pipe.log" --client-ip "$2" --helo "$3" \
		-f "$4" -- b@example.net >out.txt 2>err.txt
	check_eq "$1: exit 0" "$?" 0
}
# unfolded FILE - the header of FILE with folds joined, CR dropped
unfolded() { sed '/^\r\?$/q' "$1" | tr -d '\r' | awk '/^[ \t]/ { sub(/^[ \t]+/, ""); printf " %s", $0; next } NR > 1 { print "" } { printf "%s", $0 } END { print "" }'; }

RCVD_OUT='Received: from evil.example (evil.example [198.51.100.9]) by mx1.example.net with ESMTP; Wed, 25 Nov 2026 12:00:00 +0000'
TRUSTED='Authentication-Results: mx1.example.net; spf=pass smtp.mailfrom=ann@spf.example.com'
mail_from ann@spf.example.com >plain.eml
{ echo "$TRUSTED"; echo "$RCVD_OUT"; cat plain.eml; } >trusted.eml
run "trusted" 198.51.100.9 evil.example ann@spf.example.com <trusted.eml
check "trusted: the upstream pass used, DMARC passes by it" \
	ar_has out/msg "spf=pass (from trusted mx1.example.net) smtp.mailfrom=ann@spf.example.com; dmarc=pass"
check "trusted: no Received-SPF of ours (none checked here)" bash -c "! grep -qi '^Received-SPF:' out/msg"
check "trusted: the log says SPF was not checked here" grep -q "spf: pass for ann@spf.example.com from trusted mx1.example.net" pipe.log
check "trusted: the trusted field stays" grep -qxF "$TRUSTED" out/msg

{ echo "Received: from relay.evil.example by evil.example; Wed, 25 Nov 2026 11:00:00 +0000"; echo "$TRUSTED"; cat plain.eml; } >below.eml
run "below a foreign Received" 198.51.100.9 evil.example ann@spf.example.com <below.eml
check "below a foreign Received: checked here, spf=fail, dmarc=fail" \
	ar_has out/msg "spf=fail smtp.mailfrom=ann@spf.example.com; dmarc=fail"
hdr=$(unfolded out/msg)
check "below a foreign Received: Received-SPF second, below our A-R" grep -q \
	"^Received-SPF: fail (mx.example.net: domain of ann@spf.example.com does not designate" <(sed -n 2p <<<"$hdr")
check "below a foreign Received: its key-value pairs" grep -qF "receiver=mx.example.net; client-ip=198.51.100.9; envelope-from=\"ann@spf.example.com\"; helo=evil.example; identity=mailfrom; mechanism=all" <<<"$hdr"

run "checked here, pass" 192.0.2.9 mx.spf.example.com ann@spf.example.com <plain.eml
check "checked here, pass: Received-SPF pass" grep -qF "Received-SPF: pass (mx.example.net: domain of ann@spf.example.com designates 192.0.2.9 as permitted sender)" <(unfolded out/msg)

helo=$'evil.example\r\nX-Injected: helo (a) "q"'
sender=$'a"b\\"c\r\nX-Injected2: from@spf.example.com'
run "injection" 198.51.100.9 "$helo" "$sender" <plain.eml
check "injection: the message was passed on" test -s out/msg
check "injection: no field of the client's making" bash -c "! grep -qiE '^X-Injected' out/msg"
check "injection: every line of the added fields is a field or a fold" \
	bash -c "sed '/^Subject:/q' out/msg | grep -vE '^(Authentication-Results|Received-SPF|DomainKey-Status|From|To|Subject):|^[ 	]' | grep -q . && exit 1 || exit 0"
check "injection: quotes escaped in helo=" grep -qF 'helo="evil.exampleX-Injected: helo (a) \"q\""' <(unfolded out/msg)

# the same through dkmod-milter (miltertest as the MTA): Received-SPF and the trusted result
MILTER="$DKMOD_TOP/$BUILD/dkmod-milter"
if [ ! -x "$MILTER" ]; then
	fail "dkmod-milter is built" "make all"
elif need_cmd "miltertest" miltertest; then
	cp t.conf m.conf
	printf 'milter { socket = "unix:%s/milter.sock" }\n' "$TMP" >>m.conf
	"$MILTER" --config m.conf --foreground --pidfile "$TMP/milter.pid" >>milter.err 2>&1 &
	MPID=$!
	at_exit 'kill -TERM $MPID 2>/dev/null; wait $MPID 2>/dev/null'
	for _ in $(seq 100); do [ -S "$TMP/milter.sock" ] && break; sleep 0.05; done
	# mt MSG IP FROM - one message through miltertest; its lines (folds squeezed) in mt.txt
	mt() {
		timeout 60 miltertest -s "$DKMOD_TOP/tests/adapters/milter/mt_send.lua" -D "sock=unix:$TMP/milter.sock" \
			-D "msg=$1" -D "ip=$2" -D "from=$3" -D helo=evil.example 2>mt.err | tr -s ' ' >mt.txt
	}
	mt below.eml 198.51.100.9 ann@spf.example.com
	check "milter: Received-SPF inserted for a check made here" \
		grep -qF "insert Received-SPF: fail (mx.example.net: domain of ann@spf.example.com does not designate 198.51.100.9" mt.txt
	mt trusted.eml 198.51.100.9 ann@spf.example.com
	check "milter: the trusted result in the inserted A-R" \
		grep -qF "spf=pass (from trusted mx1.example.net) smtp.mailfrom=ann@spf.example.com; dmarc=pass" mt.txt
	check "milter: no Received-SPF for the trusted result" bash -c "! grep -q '^insert Received-SPF' mt.txt"
fi

# msg.spf.trusted in the policy script
cat >trusted.lua <<'LUA'
function verify(msg)
  msg:add_header("X-SPF-Trusted", msg.spf and msg.spf.trusted or "not trusted")
  msg:add_header("X-SPF-Reason", msg.spf and msg.spf.reason or "")
  return "accept"
end
LUA
adapters_conf l.conf "zone = \"$AD_DIR/example.com.zone\"" "$TMP/trusted.lua"
printf 'spf { trusted_authserv_ids = { "mx1.example.net" } }\n' >>l.conf
rm -f out/msg
"$PIPE" --config l.conf --sendmail "$TMP/sendmail" --log-file "$TMP/pipe.log" --client-ip 198.51.100.9 \
	--helo evil.example -f ann@spf.example.com -- b@example.net <trusted.eml >out.txt 2>err.txt
check "lua: msg.spf.trusted names the id" grep -qx 'X-SPF-Trusted: mx1.example.net' out/msg
check "lua: msg.spf.reason says where the result came from" grep -qx 'X-SPF-Reason: from trusted mx1.example.net' out/msg
"$PIPE" --config l.conf --sendmail "$TMP/sendmail" --log-file "$TMP/pipe.log" --client-ip 198.51.100.9 \
	--helo evil.example -f ann@spf.example.com -- b@example.net <below.eml >out.txt 2>err.txt
check "lua: msg.spf.trusted is nil for a check made here" grep -qx 'X-SPF-Trusted: not trusted' out/msg

printf 'spf { trusted_authserv_ids = { "mx1.example.net", "bad id" } }\n' >bad.conf
"$DKMOD" config-check bad.conf >bad.txt 2>&1
check_eq "config: a trusted id with a space refused (EX_CONFIG)" "$?" 78
check "config: the error names file:line" grep -q "bad.conf:1: spf: trusted_authserv_ids takes" bad.txt
printf 'spf { received_spf = "yes" }\n' >bad2.conf
"$DKMOD" config-check bad2.conf >bad2.txt 2>&1
check "config: received_spf takes a boolean (file:line)" grep -q "bad2.conf:1:" bad2.txt
