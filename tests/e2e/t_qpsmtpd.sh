#!/usr/bin/env bash
# t_qpsmtpd.sh - the dkmod plugin and dkmod-stdio in a real qpsmtpd
# (forkserver on 127.0.0.1, as user qpsmtpd under perl -T; the plugin line
# loaded from conf/mta/qpsmtpd-plugins), a real nsd with the test zone,
# swaks as the client, keys made here.  127.0.0.1 is not a relay client
# here, so only authenticated sessions are signed and trusted.
# Proves: Mail::DKIM-signed mail arrives with dkim=pass, our
# Authentication-Results above qpsmtpd's; mail from an SPF-authorized client
# with spf=pass and dmarc=pass; tampered mail gets dkim=fail and
# the default policy's action (delivered; 550 for a DomainKeys o=- domain
# under the opt-in historic.lua); forged results past the header limits are
# removed (the default policy refuses such mail, 552 5.3.4), also when the
# header begins with a folded line; unsigned mail from a DMARC p=reject domain
# gets 550 5.7.1 with the DMARC text at the end of DATA; an
# authenticated submission is signed (DomainKeys and DKIM) and verifies
# with Mail::DKIM and dkimpy; with nsd stopped the client gets 451 (default.lua
# with dmarc_temperror = tempfail) and a
# later resend is delivered; a broken policy (syntax error, runaway loop)
# gives 451, qpsmtpd keeps running and the next message goes through; a
# 20 MB message arrives byte-identical below the added fields; no process
# (qpsmtpd or filter) is left behind.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
. "$(dirname "$0")/lib.sh"
. "$DKMOD_TOP/tests/adapters/lib.sh"
STDIO="$DKMOD_TOP/$BUILD/dkmod-stdio"
U=$E2E_AUTH_USER P=$E2E_AUTH_PASS

e2e_need "qpsmtpd e2e" "$STDIO" qpsmtpd swaks

# ---- keys, zone, nsd, configuration, plugin (readable by user qpsmtpd)
e2e_stage qpsmtpd "$STDIO" || exit 1
mkdir -p "$TMP/qplugins"
chmod 755 "$TMP/qplugins"
install -m 644 "$DKMOD_TOP/adapters/stdio/dkmod" "$TMP/qplugins/dkmod"
CONF=$AD_DIR/dkmod.conf
RESOLVER="forward = { \"127.0.0.1@$NSD_PORT\" }, timeout = 2"
adapters_conf "$CONF" "$RESOLVER" "$AD_DIR/default.lua"
line=$(grep -v '^#' "$DKMOD_TOP/conf/mta/qpsmtpd-plugins" | grep . |
	sed -e "s|/usr/bin/dkmod-stdio|$TMP/e2e-bin/dkmod-stdio|" -e "s|/etc/dkmod/dkmod.conf|$CONF|" -e 's|timeout 60|timeout 30|')
case $line in "dkmod stdio $TMP/e2e-bin/dkmod-stdio config $CONF timeout 30") ;;
*) fail "conf/mta/qpsmtpd-plugins has the plugin line" "$line"; exit 1 ;; esac
# shellcheck disable=SC2034 # read by qpsmtpd_start
QPSMTPD_PLUGINS=$line QPSMTPD_RELAY_HOSTS=192.0.2.254
if ! qpsmtpd_start "$TMP/qplugins" 2>"$TMP/start.err"; then
	fail "qpsmtpd starts with the dkmod plugin" "$(tail -n 5 "$TMP/start.err" | tr '\n' ' ')"
	exit 1
fi
pass "qpsmtpd $(dpkg-query -W -f='${Version}' qpsmtpd 2>/dev/null) starts with the plugin line of conf/mta/ (port $QPSMTPD_PORT)"
BOX=$QPSMTPD_MAILDIR
QLOG=$QPSMTPD_DIR/qpsmtpd.log

# send NAME WANT FROM TO FILE [ARGS] - send with swaks; pass if the DATA answer starts with WANT
send() {
	local name=$1 want=$2 got
	shift 2
	send_mail "$QPSMTPD_PORT" "$@"
	got=$(grep -A1 '^ -> \.$' "$SEND_LOG" | sed -n 's/^<[-*~]* *\([0-9][0-9][0-9] .*\)/\1/p' | tail -n 1)
	case $got in
	"$want"*) pass "$name: $got" ;;
	*) fail "$name: answer $want" "got '$got'" ;;
	esac
}
# latest RCPT - the newest message delivered for RCPT
latest() { latest_delivered "$BOX" "$1"; }
# wait_for RCPT N - wait until RCPT holds N messages
wait_for() { wait_delivered "$BOX" "$2" 20 "$1" 2>/dev/null; }

cd "$TMP" || exit 1

# ---- 1. Mail::DKIM-signed: dkim=pass, our Authentication-Results above qpsmtpd's
mail_from alice@peer.example.com "signed by Mail::DKIM" >plain.eml
peer_sign plain.eml >signed.eml
send "Mail::DKIM-signed" 250 alice@peer.example.com bob@example.net signed.eml
if wait_for bob@example.net 1; then
	f=$(latest bob@example.net)
	check_eq "Mail::DKIM-signed: delivered with dkim=pass" "$(ar_results "$f")" "dkim=pass domainkeys=none"
	check_eq "Mail::DKIM-signed: ours on top, then qpsmtpd's Received and Authentication-Results" \
		"$(grep -oE '^(Authentication-Results: [a-z.]+; [a-z]+|DomainKey-Status|Received|DKIM-Signature)' "$f" | head -n 5 | tr '\n' '|')" \
		"Authentication-Results: mx.example.net; dkim|DomainKey-Status|Received|Authentication-Results: mx.example.net; auth|DKIM-Signature|"
else
	fail "Mail::DKIM-signed: delivered" "nothing for bob@example.net"
	mta_logs
fi

# ---- 1b. SPF and DMARC: the plugin sends remote_ip, hello_host and the sender
spf_delivered 127.0.0.1 250

# ---- 2. tampered: dkim=fail and delivered; tampered DomainKeys of an o=- domain: 550
sed 's/^Hello\./Hello, tampered./' signed.eml >tampered.eml
send "tampered DKIM" 250 alice@peer.example.com carol@example.net tampered.eml
if wait_for carol@example.net 1; then
	check_eq "tampered DKIM: dkim=fail, delivered (the default policy accepts)" "$(ar_results "$(latest carol@example.net)")" "dkim=fail domainkeys=none"
else
	fail "tampered DKIM: delivered" "nothing for carol@example.net"
fi
mail_from sam@strict.example.com "DomainKeys, then tampered" >strict.eml
peer_sign_dk strict.eml | sed 's/^Hello\./Hello, tampered./' >strict-tampered.eml
cp "$AD_DIR/default.lua" "$TMP/default.lua.saved"
cp "$AD_DIR/historic.lua" "$AD_DIR/default.lua"
send "tampered DomainKeys (o=-), historic.lua: rejected" "550 5.7.1 strict.example.com signs all its mail" sam@strict.example.com dave@example.net strict-tampered.eml
cp "$TMP/default.lua.saved" "$AD_DIR/default.lua"

# ---- 2b. forged results past the header limits (1500 filler fields): the default policy
# refuses (552 5.3.4); a policy that accepts gets the message without any forged field; a
# header that begins with a folded line loses the forged field, not another one
mail_from pat@peer.example.com "past the limits" >lim.eml && forged_past_limits lim.eml >limf.eml
send "past the limits, default policy: refused" "552 5.3.4 Message header too large" pat@peer.example.com limits@example.net limf.eml
cp "$AD_DIR/default.lua" "$TMP/default.lua.saved"
accept_policy "$AD_DIR/default.lua"
send "past the limits, accepting policy" 250 pat@peer.example.com limits2@example.net limf.eml
if wait_for limits2@example.net 1; then
	f=$(latest limits2@example.net)
	forged_checks "qpsmtpd, past the limits" "$f"
	check "qpsmtpd, past the limits: the policy saw header_truncated" grep -q '^X-Header-Truncated: true' "$f"
else
	fail "past the limits, accepting policy: delivered" "nothing for limits2@example.net"
fi
printf ' leading: fold\nFrom: pat@peer.example.com\nAuthentication-Results: mx.example.net; dkim=pass header.d=forged.example\nSubject: fold\n\nbody\n' >fold.eml
send_mail "$QPSMTPD_PORT" pat@peer.example.com fold@example.net fold.eml
if wait_for fold@example.net 1; then
	f=$(latest fold@example.net)
	check_eq "header beginning with a fold: the forged A-R gone, From kept" \
		"$(grep -c 'header.d=forged.example' "$f") $(grep -c '^From: pat@peer.example.com' "$f")" "0 1"
else
	check "header beginning with a fold: deferred (451) when the views differ, not delivered" \
		grep -q '^<[-*~]* *451 ' "$SEND_LOG"
fi
cp "$TMP/default.lua.saved" "$AD_DIR/default.lua"

# ---- 3. unsigned from a DMARC p=reject domain: 550 5.7.1 at the end of DATA
mail_from tom@reject.example.com "unsigned from reject" >unsigned.eml
send "unsigned, DMARC p=reject: rejected" "550 5.7.1 Message rejected by the DMARC policy of reject.example.com" tom@reject.example.com erin@example.net unsigned.eml
peer_sign_dk strict.eml >strict-dk.eml
send "o=- with a good Mail::DKIM DomainKeys signature" 250 sam@strict.example.com erin@example.net strict-dk.eml
if wait_for erin@example.net 1; then
	check_eq "good DomainKeys signature: domainkeys=pass" "$(ar_results "$(latest erin@example.net)")" "dkim=none domainkeys=pass"
fi
check_eq "nothing delivered for the rejected message" "$(delivered_files "$BOX" dave@example.net)" ""

# ---- 4. an authenticated submission is signed (DomainKeys and DKIM) and verifies
mail_from alice@corp.example.com "authenticated submission" >corp.eml
send "authenticated submission" 250 alice@corp.example.com frank@example.com corp.eml --auth "$U" "$P"
if wait_for frank@example.com 1; then
	f=$(latest frank@example.com)
	check "submission: DKIM-Signature d=corp.example.com" grep -q '^DKIM-Signature: .*d=corp.example.com' "$f"
	check "submission: DomainKey-Signature d=corp.example.com" grep -q '^DomainKey-Signature: .*d=corp.example.com' "$f"
	check_eq "submission: Mail::DKIM and dkimpy verify the delivered copy" "$(peer_verdicts "$f")" "mdkim:pass dkimpy:pass"
	check_eq "submission: Mail::DKIM passes both signatures" \
		"$(perl "$PEER_MDKIM" verify --dns-port "$NSD_PORT" <"$f" | grep -E '^(dkim|domainkeys) ' | cut -d' ' -f1,2 | sort | tr '\n' ' ')" \
		"dkim pass domainkeys pass "
else
	fail "submission: delivered" "nothing for frank@example.com"
	mta_logs
fi
mail_from alice@corp.example.com "not authenticated" >corp2.eml
send "same sender, not authenticated" 250 alice@corp.example.com grace@example.net corp2.eml
if wait_for grace@example.net 1; then
	check "not authenticated: not signed" bash -c "! grep -q '^DKIM-Signature' '$(latest grace@example.net)'"
fi

# ---- 5. DNS down: 451; a resend once nsd is back on the same port is delivered
nsd_stop
cp "$AD_DIR/tempfail.lua" "$AD_DIR/default.lua"
send "DNS down: deferred" "451 4.7.5 DMARC check of strict.example.com failed temporarily" sam@strict.example.com henry@example.net strict-dk.eml
cp "$TMP/default.lua.saved" "$AD_DIR/default.lua"
check_eq "DNS down: nothing delivered" "$(delivered_files "$BOX" henry@example.net)" ""
"$NSD_BIN" -c "$NSD_DIR/nsd.conf" >>"$NSD_DIR/nsd.out" 2>&1
for _ in $(seq 50); do _nsd_ready "$NSD_PORT" example.com && break; sleep 0.1; done
NSD_PID=$(tr -dc 0-9 <"$NSD_DIR/nsd.pid")
check "nsd is back on port $NSD_PORT" _nsd_ready "$NSD_PORT" example.com
send "DNS back: the resend is accepted" 250 sam@strict.example.com henry@example.net strict-dk.eml
if wait_for henry@example.net 1; then
	check_eq "DNS back: delivered with domainkeys=pass" "$(ar_results "$(latest henry@example.net)")" "dkim=none domainkeys=pass"
fi

# ---- 6. a broken policy gives 451; qpsmtpd keeps running; the next message goes through
policy_to() { adapters_conf "$CONF" "$RESOLVER" "$1"; }
policy_to "$AD_DIR/syntax.lua"
mail_from alice@peer.example.com "policy with a syntax error" >m1.eml
send "policy syntax error: deferred" "451 4.3.0 dkmod: configuration error" alice@peer.example.com ivan@example.net m1.eml
policy_to "$AD_DIR/loop.lua"
mail_from alice@peer.example.com "runaway policy" >m2.eml
send "runaway policy: fallback tempfail" "451 4.3.0 Local policy error" alice@peer.example.com judy@example.net m2.eml
check "qpsmtpd still running" e2e_alive "$QPSMTPD_PID"
policy_to "$AD_DIR/default.lua"
send "the next message after the fix" 250 alice@peer.example.com kate@example.net m1.eml
check "the next message after the fix: delivered" wait_for kate@example.net 1
check_eq "nothing delivered for the deferred ones" "$(delivered_files "$BOX" ivan@example.net; delivered_files "$BOX" judy@example.net)" ""

# ---- 7. a 20 MB message arrives byte-identical below the added fields
e2e_big_signed big-signed.eml
start=$(date +%s)
send "20 MB message" 250 alice@peer.example.com leo@example.net big-signed.eml
if wait_for leo@example.net 1; then
	e2e_check_big "$(latest leo@example.net)" big-signed.eml "$start"
else
	fail "20 MB message: delivered" "$(tail -n 5 "$QLOG" | tr '\n' ' ')"
fi
rm -f big.eml big-signed.eml

check "the plugin logged its actions" grep -q 'dkmod.*action=reject' "$QLOG"
pids=$(e2e_tree_pids "$QPSMTPD_PID")
nsd_stop
qpsmtpd_stop
# shellcheck disable=SC2086
e2e_check_gone "qpsmtpd stopped, no process (qpsmtpd or filter) left" $pids $(pgrep -f "^$TMP/e2e-bin/dkmod-stdio")
