#!/usr/bin/env bash
# t_postfix.sh - dkmod-pipe in a real Postfix (private instance on 127.0.0.1,
# the dkmod service and main.cf lines loaded from conf/mta/postfix-*.cf), a
# real nsd with the test zone, swaks as the client, keys made here.
# Proves: Mail::DKIM-signed mail arrives with dkim=pass; mail from an
# SPF-authorized client with spf=pass and dmarc=pass (master.cf macros); tampered mail gets
# dkim=fail and the default policy's action (delivered); forged results past the
# header limits are removed (and the default policy bounces such mail, 5.3.4);
# unsigned mail from a DMARC p=reject domain bounces with 5.7.1 and the DMARC
# text; under the opt-in historic.lua a tampered DomainKeys message of an o=-
# domain bounces with 5.7.1; an
# authenticated submission is signed (DomainKeys and DKIM) and verifies with
# Mail::DKIM and dkimpy; with nsd stopped mail is deferred (4.7.5, default.lua
# with dmarc_temperror = tempfail) and
# delivered after nsd is back and the queue is flushed; a broken policy
# (syntax error, runaway loop) defers, Postfix keeps running and the next
# message goes through; a 20 MB message arrives byte-identical below the
# added fields; no process is left behind.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
. "$(dirname "$0")/lib.sh"
. "$DKMOD_TOP/tests/adapters/lib.sh"
PIPE="$DKMOD_TOP/$BUILD/dkmod-pipe"
U=$E2E_AUTH_USER P=$E2E_AUTH_PASS

e2e_need "postfix e2e" "$PIPE" postfix swaks

# ---- keys, zone, nsd, configuration (all readable by nobody, who runs the filter)
e2e_stage nobody "$PIPE" || exit 1
CONF=$AD_DIR/dkmod.conf
RESOLVER="forward = { \"127.0.0.1@$NSD_PORT\" }, timeout = 2"
adapters_conf "$CONF" "$RESOLVER" "$AD_DIR/default.lua"
LOG=$AD_DIR/pipe.log
touch "$LOG" && chown nobody "$LOG"

# the dkmod service of conf/mta/postfix-master.cf, for this instance
master=$(awk '/^dkmod[ \t]/ { on = 1 } on && /^[^ \t]/ && !/^dkmod[ \t]/ { on = 0 } on' "$DKMOD_TOP/conf/mta/postfix-master.cf" |
	sed -e "s|user=dkmod|user=nobody|" \
		-e "s|/usr/bin/dkmod-pipe --config /etc/dkmod/dkmod.conf|$TMP/e2e-bin/dkmod-pipe --config $CONF --log-file $LOG|")
case $master in *"$TMP/e2e-bin/dkmod-pipe --config"*"-f \${sender} -- \${recipient}"*) ;;
*) fail "conf/mta/postfix-master.cf has the dkmod service" "$master"; exit 1 ;; esac
# shellcheck disable=SC2034 # read by postfix_start
POSTFIX_CONTENT_FILTER=dkmod:dummy POSTFIX_MASTER_EXTRA=$master
# shellcheck disable=SC2034
POSTFIX_MAIN_EXTRA="$(grep -v '^#' "$DKMOD_TOP/conf/mta/postfix-main.cf")
message_size_limit = 60000000"
if ! postfix_start 2>"$TMP/start.err"; then
	fail "postfix starts with the dkmod filter" "$(tail -n 5 "$TMP/start.err" | tr '\n' ' ')"
	exit 1
fi
pass "postfix $(postconf -h mail_version) starts with the dkmod service of conf/mta/ (port $POSTFIX_PORT)"
MAILLOG=$POSTFIX_DIR/log/maillog
BOX=$POSTFIX_MAILDIR

# send NAME FROM TO FILE [ARGS] - send with swaks; pass if it was accepted (250)
send() {
	local name=$1
	shift
	send_mail "$POSTFIX_PORT" "$@"
	check_eq "$name: accepted by smtpd" "$?" 0
}
# latest RCPT - the newest message delivered for RCPT
latest() { latest_delivered "$BOX" "$1"; }
# wait_for RCPT N - wait until RCPT holds N messages
wait_for() { wait_delivered "$BOX" "$2" 20 "$1" 2>/dev/null; }
# wait_log PATTERN [N] - wait until the maillog has N lines matching PATTERN (grep -E)
wait_log() {
	for _ in $(seq 200); do
		[ "$(grep -cE "$1" "$MAILLOG" 2>/dev/null)" -ge "${2:-1}" ] && return 0
		sleep 0.1
	done
	return 1
}

cd "$TMP" || exit 1

# ---- 1, 2. Mail::DKIM-signed mail arrives with dkim=pass; tampered: dkim=fail, delivered (no policy)
e2e_case_verify

# ---- 1b. SPF and DMARC: pipe(8)'s ${client_address}, ${client_helo} and ${sender} reach dkmod-pipe
spf_delivered 127.0.0.1

# ---- 2b. forged results past the header limits (1500 filler fields): the default policy
# bounces the message (5.3.4); a policy that accepts it gets it without any forged field
mail_from pat@peer.example.com "past the limits" >lim.eml && forged_past_limits lim.eml >limf.eml
send "past the limits, default policy" pat@peer.example.com limits@example.net limf.eml
if wait_for pat@peer.example.com 1 && grep -q '^Status: 5\.3\.4' "$(latest pat@peer.example.com)"; then
	pass "past the limits, default policy: bounced with Status 5.3.4"
else
	fail "past the limits, default policy: bounced with Status 5.3.4" "$(grep -hm 3 -E '^(Status|Diagnostic)' "$(latest pat@peer.example.com)" 2>/dev/null | tr '\n' ' ')"
fi
cp "$AD_DIR/default.lua" "$TMP/default.lua.saved"
accept_policy "$AD_DIR/default.lua"
send "past the limits, accepting policy" pat@peer.example.com limits2@example.net limf.eml
if wait_for limits2@example.net 1; then
	f=$(latest limits2@example.net)
	forged_checks "postfix, past the limits" "$f"
	check "postfix, past the limits: the policy saw header_truncated" grep -q '^X-Header-Truncated: true' "$f"
else
	fail "past the limits, accepting policy: delivered" "nothing for limits2@example.net"
fi
cp "$TMP/default.lua.saved" "$AD_DIR/default.lua"

# ---- 3. unsigned from a DMARC p=reject domain: bounced by the filter with 5.7.1; under the
# opt-in historic.lua, tampered DomainKeys of an o=- domain: bounced with 5.7.1 too
policy_to() { adapters_conf "$CONF" "$RESOLVER" "$1"; }
bounced() { # WHO TEXT - WHO gets a bounce with Status 5.7.1 and TEXT
	if wait_for "$1" 1; then
		f=$(latest "$1")
		if grep -q '^Status: 5\.7\.1' "$f" && grep -q "$2" "$f"; then
			pass "$1 gets a bounce: Status 5.7.1 and the policy's text"
		else
			fail "$1 gets a bounce with 5.7.1" "$(grep -m 3 -E '^(Status|Diagnostic)' "$f" | tr '\n' ' ')"
		fi
	else
		fail "$1 gets a bounce" "none delivered"
	fi
}
mail_from tom@reject.example.com "unsigned from reject" >unsigned.eml
send "unsigned, DMARC p=reject" tom@reject.example.com erin@example.net unsigned.eml
bounced tom@reject.example.com 'rejected by the DMARC policy of reject.example.com'
check "the log shows dsn=5.7.1, status=bounced (DMARC text)" wait_log 'dsn=5\.7\.1, status=bounced \(Message rejected by the DMARC policy of reject\.example\.com' 1
mail_from sam@strict.example.com "DomainKeys, then tampered" >strict.eml
peer_sign_dk strict.eml | sed 's/^Hello\./Hello, tampered./' >strict-tampered.eml
policy_to "$AD_DIR/historic.lua"
send "tampered DomainKeys (o=-), historic.lua" sam@strict.example.com dave@example.net strict-tampered.eml
bounced sam@strict.example.com 'signs all its mail (DomainKeys o=-)'
check "the log shows dsn=5.7.1, status=bounced (o=- text)" wait_log 'dsn=5\.7\.1, status=bounced \(strict\.example\.com signs all its mail' 1
policy_to "$AD_DIR/default.lua"
check_eq "nothing delivered to the bounced recipients" "$(delivered_files "$BOX" dave@example.net; delivered_files "$BOX" erin@example.net)" ""

# ---- 4. an authenticated submission is signed (DomainKeys and DKIM) and verifies
mail_from alice@corp.example.com "authenticated submission" >corp.eml
send "authenticated submission" alice@corp.example.com frank@example.com corp.eml --auth "$U" "$P"
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
send "same sender, not authenticated" alice@corp.example.com grace@example.net corp2.eml
if wait_for grace@example.net 1; then
	check "not authenticated: not signed" bash -c "! grep -q '^DKIM-Signature' '$(latest grace@example.net)'"
else
	fail "not authenticated: delivered" "nothing for grace@example.net"
fi

# ---- 5. DNS down: deferred with 4.7.5; nsd back on the same port, flush: delivered
nsd_stop
policy_to "$AD_DIR/tempfail.lua"
peer_sign_dk strict.eml >strict-dk.eml
send "DNS down" sam@strict.example.com henry@example.net strict-dk.eml
if wait_log 'to=<henry@example.net>.*dsn=4\.7\.5, status=deferred \(DMARC check of strict\.example\.com'; then
	pass "DNS down: deferred with 4.7.5 (pipe exit 75)"
else
	fail "DNS down: deferred with 4.7.5" "$(grep henry "$MAILLOG" | tail -n 2 | tr '\n' ' ')"
fi
check_eq "DNS down: nothing delivered yet" "$(delivered_files "$BOX" henry@example.net)" ""
"$NSD_BIN" -c "$NSD_DIR/nsd.conf" >>"$NSD_DIR/nsd.out" 2>&1
for _ in $(seq 50); do _nsd_ready "$NSD_PORT" example.com && break; sleep 0.1; done
NSD_PID=$(tr -dc 0-9 <"$NSD_DIR/nsd.pid")
policy_to "$AD_DIR/default.lua"
check "nsd is back on port $NSD_PORT" _nsd_ready "$NSD_PORT" example.com
start=$(date +%s)
postqueue -c "$POSTFIX_CONF" -f
if wait_for henry@example.net 1; then
	check_eq "DNS back, queue flushed: delivered with domainkeys=pass ($(($(date +%s) - start)) s)" \
		"$(ar_results "$(latest henry@example.net)")" "dkim=none domainkeys=pass"
else
	fail "DNS back, queue flushed: delivered" "$(grep henry "$MAILLOG" | tail -n 2 | tr '\n' ' ')"
fi

# ---- 6. a broken policy defers; Postfix keeps running; the next message goes through
policy_to "$AD_DIR/syntax.lua"
mail_from alice@peer.example.com "policy with a syntax error" >m1.eml
send "policy syntax error" alice@peer.example.com ivan@example.net m1.eml
check "policy syntax error: deferred (4.3.5 configuration error)" wait_log 'to=<ivan@example.net>.*dsn=4\.3\.5, status=deferred \(dkmod-pipe: configuration error'
policy_to "$AD_DIR/loop.lua"
mail_from alice@peer.example.com "runaway policy" >m2.eml
send "runaway policy" alice@peer.example.com judy@example.net m2.eml
check "runaway policy: fallback tempfail, deferred (4.3.0)" wait_log 'to=<judy@example.net>.*dsn=4\.3\.0, status=deferred \(Local policy error'
check "postfix master still running" e2e_alive "$POSTFIX_PID"
policy_to "$AD_DIR/default.lua"
mail_from alice@peer.example.com "after the fix" >m3.eml
send "next message after the fix" alice@peer.example.com kate@example.net m3.eml
check "next message after the fix: delivered" wait_for kate@example.net 1
postqueue -c "$POSTFIX_CONF" -f
if wait_for ivan@example.net 1 && wait_for judy@example.net 1; then
	pass "the deferred messages are delivered after the fix and a flush"
else
	fail "the deferred messages are delivered after the fix and a flush" "$(grep -E 'ivan|judy' "$MAILLOG" | tail -n 2 | tr '\n' ' ')"
fi

# ---- 7. a 20 MB message arrives byte-identical below the added fields
e2e_big_signed big-signed.eml
start=$(date +%s)
send "20 MB message" alice@peer.example.com leo@example.net big-signed.eml
if wait_for leo@example.net 1; then
	e2e_check_big "$(latest leo@example.net)" big-signed.eml "$start"
else
	fail "20 MB message: delivered" "$(grep leo "$MAILLOG" | tail -n 2 | tr '\n' ' ')"
fi
rm -f big.eml big-signed.eml

check "the filter logged its actions" grep -q 'action=reject exit=69' "$LOG"
pids=$(e2e_tree_pids "$POSTFIX_PID")
nsd_stop
postfix_stop
# shellcheck disable=SC2086
e2e_check_gone "postfix stopped, no process left" $pids
