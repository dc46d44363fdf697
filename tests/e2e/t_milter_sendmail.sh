#!/usr/bin/env bash
# t_milter_sendmail.sh - dkmod-milter in a real Sendmail (sendmail-bin unpacked by
# tests/e2e/deps.sh, a private instance on 127.0.0.1: tests/e2e/sendmail.sh) with the
# INPUT_MAIL_FILTER lines of conf/mta/sendmail-milter.mc (F=T, timeouts), a real nsd with the
# test zone, swaks as the client.
# Proves: Mail::DKIM-signed mail from 127.0.0.2 arrives with dkim=pass; tampered mail with
# dkim=fail; unsigned mail from a DMARC p=reject domain, and under the opt-in historic.lua
# from a DomainKeys o=- domain, is refused with 550 during the SMTP dialogue (nothing
# delivered, no bounce); mail from 127.0.0.1 (relay_nets: the milter's rule for signing) arrives
# signed and verifies with Mail::DKIM and dkimpy, the same from 127.0.0.2 is not signed; a message
# submitted with the sendmail command (Sendmail's MSP relaying to the MTA) arrives signed; a
# forged Authentication-Results is removed and another host's kept; a killed daemon gives a 4xx
# (F=T), nothing delivered, and the sender's retry is delivered after a restart.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendmail.sh"
. "$DKMOD_TOP/tests/adapters/lib.sh"
. "$(dirname "$0")/milter.sh"

if ! why=$(sendmail_have); then
	unmet "sendmail milter e2e" "$why"
	exit 0
fi
need_cmd "sendmail milter e2e" m4 unshare || exit 0
e2e_need "sendmail milter e2e" "$MILTER" swaks

e2e_stage root "$MILTER" || exit 1
milter_conf
if milter_start; then pass "dkmod-milter listens on inet:$MPORT@127.0.0.1"; else fail "dkmod-milter starts" "$(tail -n 3 "$MLOG")"; exit 1; fi
if ! sendmail_start "inet:$MPORT@127.0.0.1" 2>"$TMP/start.err"; then
	fail "sendmail starts with the milter" "$(tail -n 5 "$TMP/start.err" | tr '\n' ' ')"
	exit 1
fi
pass "sendmail $("$SENDMAIL_BIN" -d0.1 -bt </dev/null 2>/dev/null | sed -n 's/^Version //p') starts with INPUT_MAIL_FILTER (port $SENDMAIL_PORT)"
check "sendmail.cf has the milter with F=T and the timeouts of conf/mta/sendmail-milter.mc" \
	grep -qE "^Xdkmod, S=inet:$MPORT@127.0.0.1, F=T, T=C:30s;S:30s;R:60s;E:5m" "$SENDMAIL_DIR/sendmail.cf"
BOX=$SENDMAIL_MAILDIR

# send NAME FROM TO FILE [ARGS], refused NAME CODE FROM TO FILE [ARGS] - to this Sendmail
send() { milter_send "$1" "$SENDMAIL_PORT" "${@:2}"; }
refused() { milter_refused "$1" "$2" "$SENDMAIL_PORT" "${@:3}"; }
latest() { latest_delivered "$BOX" "$1"; }
wait_for() { wait_delivered "$BOX" "$2" 20 "$1" 2>/dev/null; }
cd "$TMP" || exit 1

# ---- 1. Mail::DKIM-signed mail arrives with dkim=pass; tampered with dkim=fail
e2e_case_verify

# ---- 2. unsigned from a DMARC p=reject domain, and (historic.lua) from a DomainKeys o=- domain:
# 550 during the dialogue, nothing delivered, no bounce
mail_from tom@reject.example.com "unsigned from reject" >unsigned.eml
refused "unsigned, DMARC p=reject" '550 5\.7\.1 Message rejected by the DMARC policy of reject\.example\.com' \
	tom@reject.example.com erin@example.net unsigned.eml
cp "$AD_DIR/default.lua" "$TMP/default.lua.saved"
cp "$AD_DIR/historic.lua" "$AD_DIR/default.lua"
check "historic.lua loaded (SIGHUP)" milter_reload
mail_from sam@strict.example.com "unsigned from o=-" >strict.eml
refused "unsigned, DomainKeys o=- (historic.lua)" '550 ' sam@strict.example.com erin@example.net strict.eml
cp "$TMP/default.lua.saved" "$AD_DIR/default.lua"
check "the default policy is back (SIGHUP)" milter_reload
sleep 1
check_eq "refused mail: nothing delivered, no bounce" \
	"$(delivered_files "$BOX" erin@example.net; delivered_files "$BOX" tom@reject.example.com; delivered_files "$BOX" sam@strict.example.com)" ""

# ---- 3. mail from 127.0.0.1 (relay_nets) is signed and verifies; from 127.0.0.2 it is not
mail_from alice@corp.example.com "from the relay network" >corp.eml
send_mail "$SENDMAIL_PORT" alice@corp.example.com frank@example.com corp.eml -- --local-interface 127.0.0.1
check_eq "from 127.0.0.1: accepted" "$?" 0
if wait_for frank@example.com 1; then
	f=$(latest frank@example.com)
	check "from 127.0.0.1: DKIM-Signature d=corp.example.com" grep -q '^DKIM-Signature: .*d=corp.example.com' "$f"
	check_eq "from 127.0.0.1: Mail::DKIM and dkimpy verify the delivered copy" "$(peer_verdicts "$f")" "mdkim:pass dkimpy:pass"
else
	fail "from 127.0.0.1: delivered" "nothing for frank@example.com"
	mta_logs
fi
mail_from alice@corp.example.com "not from the relay network" >corp2.eml
send "from 127.0.0.2" alice@corp.example.com grace@example.net corp2.eml
if wait_for grace@example.net 1; then
	check "from 127.0.0.2: not signed" bash -c "! grep -q '^DKIM-Signature' '$(latest grace@example.net)'"
else
	fail "from 127.0.0.2: delivered" "nothing for grace@example.net"
fi

# ---- 3b. local submission (the sendmail command as Sendmail's MSP, relaying to this instance by
# SMTP from 127.0.0.1): signed, and the signature verifies with both peers
printf 'From: alice@corp.example.com\nTo: henry@example.com\nSubject: local submission\nDate: Wed, 25 Nov 2026 12:00:00 +0000\nMessage-ID: <msp.%s@corp.example.com>\n\nSubmitted with the sendmail command.\n' "$$" >msp.eml
if sendmail_submit alice@corp.example.com msp.eml; then
	pass "local submission: the sendmail command took the message"
	if wait_for henry@example.com 1; then
		f=$(latest henry@example.com)
		check "local submission: DKIM-Signature d=corp.example.com" grep -q '^DKIM-Signature: .*d=corp.example.com' "$f"
		check_eq "local submission: Mail::DKIM and dkimpy verify the delivered copy" "$(peer_verdicts "$f")" "mdkim:pass dkimpy:pass"
	else
		fail "local submission: delivered" "nothing for henry@example.com: $(tail -n 3 "$SENDMAIL_DIR/submit.out" | tr '\n' ' ')"
		mta_logs
	fi
else
	fail "local submission: the sendmail command took the message" "$(tail -n 3 "$SENDMAIL_DIR/submit.out" | tr '\n' ' ')"
fi

# ---- 4. forged Authentication-Results removed, another host's kept
milter_case_forged

# ---- 5. a killed daemon: 4xx (F=T), nothing delivered; the retry is delivered after a restart
milter_case_killed F=T

kill -TERM "$MPID"
rc=0
wait "$MPID" || rc=$?
MPID=""
check_eq "dkmod-milter stops on SIGTERM with status 0" "$rc" 0
pids=$(e2e_tree_pids "$SENDMAIL_PID")
nsd_stop
sendmail_stop
# shellcheck disable=SC2086
e2e_check_gone "sendmail stopped, no process left" $pids
