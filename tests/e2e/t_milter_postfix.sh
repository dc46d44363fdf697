#!/usr/bin/env bash
# t_milter_postfix.sh - dkmod-milter in a real Postfix (private instance on
# 127.0.0.1) through smtpd_milters and non_smtpd_milters with the main.cf
# lines of conf/mta/postfix-milter.cf, a real nsd with the test zone, swaks
# as the client (from 127.0.0.2, outside relay_nets).
# Proves: Mail::DKIM-signed mail arrives with dkim=pass (relaxed, and simple
# with odd blanks and folding); tampered mail with
# dkim=fail; mail from an SPF-authorized client with spf=pass and dmarc=pass;
# unsigned mail from a DMARC p=reject domain is refused with 550
# 5.7.1 and the DMARC text during the SMTP dialogue (the swaks transcript; no bounce, nothing
# queued); an authenticated submission and a message given to Postfix's
# sendmail command arrive signed and verify with Mail::DKIM and dkimpy; an
# unauthenticated client is not signed; a forged Authentication-Results is
# removed and another one kept; with nsd stopped mail is refused with 4xx
# (default.lua with dmarc_temperror = tempfail) and accepted once DNS is back; a killed daemon gives 451 (Postfix's
# milter_default_action = tempfail), not loss, and mail flows again after a
# restart; a 20 MB message arrives byte-identical below the added fields.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
. "$(dirname "$0")/lib.sh"
. "$DKMOD_TOP/tests/adapters/lib.sh"
. "$(dirname "$0")/milter.sh"
U=$E2E_AUTH_USER P=$E2E_AUTH_PASS

e2e_need "postfix milter e2e" "$MILTER" postfix swaks

e2e_stage root "$MILTER" || exit 1
milter_conf
if milter_start; then pass "dkmod-milter listens on inet:$MPORT@127.0.0.1"; else fail "dkmod-milter starts" "$(tail -n 3 "$MLOG")"; exit 1; fi

# the main.cf lines of conf/mta/postfix-milter.cf, pointed at this daemon
main=$(grep -v '^#' "$DKMOD_TOP/conf/mta/postfix-milter.cf" | sed "s|unix:/run/dkmod/milter.sock|inet:127.0.0.1:$MPORT|")
case $main in *"smtpd_milters = inet:127.0.0.1:$MPORT"*"non_smtpd_milters = inet:127.0.0.1:$MPORT"*) ;;
*) fail "conf/mta/postfix-milter.cf has smtpd_milters and non_smtpd_milters" "$main"; exit 1 ;; esac
# shellcheck disable=SC2034 # read by postfix_start
POSTFIX_MAIN_EXTRA="$main
message_size_limit = 60000000"
if ! postfix_start 2>"$TMP/start.err"; then
	fail "postfix starts with the milter" "$(tail -n 5 "$TMP/start.err" | tr '\n' ' ')"
	exit 1
fi
pass "postfix $(postconf -h mail_version) starts with smtpd_milters and non_smtpd_milters (port $POSTFIX_PORT)"
MAILLOG=$POSTFIX_DIR/log/maillog
BOX=$POSTFIX_MAILDIR

# send NAME FROM TO FILE [ARGS], refused NAME CODE FROM TO FILE [ARGS] - to this Postfix
send() { milter_send "$1" "$POSTFIX_PORT" "${@:2}"; }
refused() { milter_refused "$1" "$2" "$POSTFIX_PORT" "${@:3}"; }
latest() { latest_delivered "$BOX" "$1"; }
wait_for() { wait_delivered "$BOX" "$2" 20 "$1" 2>/dev/null; }

cd "$TMP" || exit 1

# ---- 1. Mail::DKIM-signed mail arrives with dkim=pass; tampered with dkim=fail
e2e_case_verify
check "Mail::DKIM-signed: Authentication-Results on top (above Postfix's Received; Return-Path is the delivery's)" \
	bash -c "grep -v '^Return-Path:' '$(latest bob@example.net)' | head -n 1 | grep -q '^Authentication-Results: mx.example.net;'"

# SPF and DMARC: the client's address (127.0.0.2), its EHLO and MAIL FROM reach the engine
spf_delivered 127.0.0.2

# simple/simple: the header fields reach the engine byte for byte (blanks, folding)
printf 'From: alice@peer.example.com\nTo:   bob2@example.net,\n\tother@example.net\nSubject:  two  spaces\t and a tab\nDate: Wed, 25 Nov 2026 12:00:00 +0000\nMessage-ID: <simple.1@example.com>\n\nbody  with  spaces \n\n' >simple.eml
perl "$PEER_MDKIM" sign --type dkim --domain peer.example.com --selector p --canon simple/simple \
	--key "$AD_DIR/keys/peer/p.key" <simple.eml >simple-signed.eml
send "simple/simple signature" alice@peer.example.com bob2@example.net simple-signed.eml
if wait_for bob2@example.net 1; then
	check_eq "simple/simple signature: dkim=pass" "$(ar_results "$(latest bob2@example.net)")" "dkim=pass domainkeys=none"
else
	fail "simple/simple signature: delivered" "nothing for bob2@example.net"
fi

# ---- 2. unsigned from a DMARC p=reject domain: 550 during the dialogue, no bounce
mail_from tom@reject.example.com "unsigned from reject" >unsigned.eml
refused "unsigned, DMARC p=reject" '550 5\.7\.1 Message rejected by the DMARC policy of reject\.example\.com' tom@reject.example.com erin@example.net unsigned.eml
sleep 1
check_eq "unsigned, DMARC p=reject: nothing delivered, no bounce" "$(delivered_files "$BOX" erin@example.net; delivered_files "$BOX" tom@reject.example.com)" ""
check "unsigned, DMARC p=reject: Postfix logs the milter reject" grep -q 'milter-reject: END-OF-MESSAGE .*5\.7\.1 Message rejected by the DMARC policy of reject\.example\.com' "$MAILLOG"

# ---- 3. authenticated submission and the sendmail command: signed, verified by both peers
mail_from alice@corp.example.com "authenticated submission" >corp.eml
send "authenticated submission" alice@corp.example.com frank@example.com corp.eml --auth "$U" "$P"
if wait_for frank@example.com 1; then
	f=$(latest frank@example.com)
	check "submission: DKIM-Signature d=corp.example.com" grep -q '^DKIM-Signature: .*d=corp.example.com' "$f"
	check_eq "submission: Mail::DKIM and dkimpy verify the delivered copy" "$(peer_verdicts "$f")" "mdkim:pass dkimpy:pass"
else
	fail "submission: delivered" "nothing for frank@example.com"
	mta_logs
fi
mail_from alice@corp.example.com "not authenticated" >corp2.eml
send "not authenticated (127.0.0.2)" alice@corp.example.com grace@example.net corp2.eml
if wait_for grace@example.net 1; then
	check "not authenticated: not signed" bash -c "! grep -q '^DKIM-Signature' '$(latest grace@example.net)'"
else
	fail "not authenticated: delivered" "nothing for grace@example.net"
fi
mail_from alice@corp.example.com "sendmail command" >local.eml
$POSTFIX_SENDMAIL -f alice@corp.example.com heidi@example.net <local.eml
check_eq "sendmail command: accepted" "$?" 0
if wait_for heidi@example.net 1; then
	f=$(latest heidi@example.net)
	check "sendmail command: signed (DKIM-Signature d=corp.example.com)" grep -q '^DKIM-Signature: .*d=corp.example.com' "$f"
	check_eq "sendmail command: Mail::DKIM and dkimpy verify the delivered copy" "$(peer_verdicts "$f")" "mdkim:pass dkimpy:pass"
	check "sendmail command: the milter saw Postfix's local client (127.0.0.1, not SMTP)" \
		grep -q 'connect from localhost \[127.0.0.1\]' "$MLOG"
else
	fail "sendmail command: delivered" "$(grep heidi "$MAILLOG" | tail -n 2 | tr '\n' ' ')"
fi

# ---- 4. forged Authentication-Results removed, another kept
milter_case_forged

# ---- 4b. forged results past the header limits (1500 filler fields): the default policy
# refuses the message in the dialogue (552); with a policy that accepts it, it arrives without
# any forged field (the milter deletes them by name and occurrence, wherever they are)
mail_from pat@peer.example.com "past the limits" >lim.eml && forged_past_limits lim.eml >limf.eml
refused "past the limits, default policy" '552 ' pat@peer.example.com limits@example.net limf.eml
cp "$AD_DIR/default.lua" "$TMP/default.lua.saved"
accept_policy "$AD_DIR/default.lua"
check "past the limits: the accepting policy is loaded (SIGHUP)" milter_reload
send "past the limits, accepting policy" pat@peer.example.com limits2@example.net limf.eml
if wait_for limits2@example.net 1; then
	f=$(latest limits2@example.net)
	forged_checks "milter, past the limits" "$f"
	check "milter, past the limits: the policy saw header_truncated" grep -q '^X-Header-Truncated: true' "$f"
else
	fail "past the limits, accepting policy: delivered" "nothing for limits2@example.net"
fi
cp "$TMP/default.lua.saved" "$AD_DIR/default.lua"
check "past the limits: the default policy is back (SIGHUP)" milter_reload

# ---- 5. DNS down: 4xx in the dialogue (default.lua with dmarc_temperror = tempfail); accepted
# once DNS is back
cp "$AD_DIR/tempfail.lua" "$AD_DIR/default.lua"
check "DNS down: the tempfail policy loaded (SIGHUP)" milter_reload
nsd_stop
peer_sign_dk <(mail_from sam@strict.example.com "DomainKeys, DNS down") >strict-dk.eml
refused "DNS down" '4[0-9][0-9] ' sam@strict.example.com judy@example.net strict-dk.eml
check_eq "DNS down: nothing delivered" "$(delivered_files "$BOX" judy@example.net)" ""
"$NSD_BIN" -c "$NSD_DIR/nsd.conf" >>"$NSD_DIR/nsd.out" 2>&1
for _ in $(seq 50); do _nsd_ready "$NSD_PORT" example.com && break; sleep 0.1; done
NSD_PID=$(tr -dc 0-9 <"$NSD_DIR/nsd.pid")
cp "$TMP/default.lua.saved" "$AD_DIR/default.lua"
check "DNS back: the default policy is back (SIGHUP)" milter_reload
send "DNS back: the sender's retry" sam@strict.example.com judy@example.net strict-dk.eml
if wait_for judy@example.net 1; then
	check_eq "DNS back: delivered with domainkeys=pass" "$(ar_results "$(latest judy@example.net)")" "dkim=none domainkeys=pass"
else
	fail "DNS back: delivered" "nothing for judy@example.net"
fi

# ---- 6. a killed daemon: tempfail (milter_default_action), then mail flows after a restart
milter_case_killed milter_default_action

# ---- 7. a 20 MB message arrives byte-identical below the added fields
e2e_big_signed big-signed.eml
start=$(date +%s)
send "20 MB message" alice@peer.example.com leo@example.net big-signed.eml
if wait_for leo@example.net 1; then
	e2e_check_big "$(latest leo@example.net)" big-signed.eml "$start"
else
	fail "20 MB message: delivered" "$(grep leo "$MAILLOG" | tail -n 2 | tr '\n' ' ')"
fi
rss=$(awk '/VmHWM/ { print $2 }' "/proc/$MPID/status" 2>/dev/null)
check "20 MB message: the daemon's peak memory stays under 64 MB (${rss:-?} kB)" test "${rss:-999999}" -lt 65536
rm -f big.eml big-signed.eml

kill -TERM "$MPID"
rc=0
wait "$MPID" || rc=$?
MPID=""
check_eq "dkmod-milter stops on SIGTERM with status 0" "$rc" 0
pids=$(e2e_tree_pids "$POSTFIX_PID")
nsd_stop
postfix_stop
# shellcheck disable=SC2086
e2e_check_gone "postfix stopped, no process left" $pids
