#!/usr/bin/env bash
# t_milter.sh - dkmod-milter spoken to by miltertest(8) (the OpenDKIM
# project's milter client, Lua scripts) and by raw bytes: inbound signed
# mail gets dkim=pass inserted at the top; an authenticated submission, a
# client in relay_nets and a submission {daemon_name} are signed (the
# signature verifies with Mail::DKIM), an outside client is not; tampered
# mail gets dkim=fail; unsigned mail from a DomainKeys o=- domain is
# rejected with 550 5.7.1; the client address, HELO and MAIL FROM give SPF
# (IPv4, IPv6, the null sender by its HELO name) and DMARC in the A-R, and
# the verdicts are recorded for the aggregate report; a forged
# Authentication-Results is deleted; a quarantine policy asks the MTA to
# quarantine; DNS down answers tempfail (451); malformed protocol input (bad
# lengths, unknown commands, truncation, random bytes) closes that connection
# and the daemon keeps serving; SIGHUP reloads (a broken file keeps the old
# configuration);
# SIGTERM stops cleanly and removes the pid file.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"
MILTER="$DKMOD_TOP/$BUILD/dkmod-milter"
MT_SEND="$DKMOD_TOP/tests/adapters/milter/mt_send.lua"
cd "$TMP" || exit 1
if [ ! -x "$MILTER" ]; then
	fail "dkmod-milter is built" "make all"
	exit 0
fi
if ! command -v miltertest >/dev/null; then
	if [ "${CI:-}" = true ]; then fail "miltertest" "install the Debian package miltertest"; else skip "miltertest" "not installed (Debian package miltertest)"; fi
	exit 0
fi
adapters_setup "$TMP/ad" || { fail "keys and zone"; exit 1; }
ZONE="zone = \"$AD_DIR/example.com.zone\""
SOCK="unix:$TMP/milter.sock"
milter_conf() { # FILE RESOLVER [POLICY] - the adapters' configuration plus a milter block
	adapters_conf "$1" "$2" "${3:-}"
	printf 'milter { socket = "%s", relay_nets = { "10.1.0.0/16", "2001:db8::/32" }, submission = { "ORIGINATING" } }\n' "$SOCK" >>"$1"
}
milter_conf m.conf "$ZONE"
MPID=""
milter_start() { # CONF - start dkmod-milter in the foreground; wait for its socket
	rm -f "$TMP/milter.sock"
	"$MILTER" --config "$1" --foreground --pidfile "$TMP/milter.pid" >>"$TMP/milter.err" 2>&1 &
	MPID=$!
	for _ in $(seq 100); do [ -S "$TMP/milter.sock" ] && return 0; sleep 0.05; done
	return 1
}
milter_stop() {
	[ -n "$MPID" ] || return 0
	kill -TERM "$MPID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$MPID" 2>/dev/null || break; sleep 0.05; done
	wait "$MPID" 2>/dev/null
	MPID=""
}
at_exit 'kill -KILL $MPID 2>/dev/null'
# mt NAME MSG [VAR=VALUE...] - run mt_send.lua; its lines in out.txt
mt() {
	local name=$1 msg=$2 defs=()
	shift 2
	for d in "$@"; do defs+=(-D "$d"); done
	if ! timeout 60 miltertest -s "$MT_SEND" -D "sock=$SOCK" -D "msg=$msg" "${defs[@]}" >out.txt 2>mt.err; then
		fail "$name: miltertest ran" "$(tr '\n' ' ' <mt.err | cut -c1-300)"
		return 1
	fi
}
has() { grep -qF -- "$1" out.txt; }

if milter_start m.conf; then pass "dkmod-milter starts on $SOCK"; else fail "dkmod-milter starts" "$(tail -n 3 milter.err)"; exit 1; fi
check_eq "the pid file names it" "$(cat "$TMP/milter.pid" 2>/dev/null)" "$MPID"

mail_from alice@peer.example.com "signed" >plain.eml
peer_sign plain.eml >signed.eml
if mt "signed inbound" signed.eml; then
	check "signed inbound: continue" has "reply c"
	check "signed inbound: Authentication-Results with dkim=pass inserted" \
		grep -qE '^insert Authentication-Results: mx\.example\.net;.*dkim=pass' out.txt
fi
sed 's/^Hello\./Hello, tampered./' signed.eml >tampered.eml
if mt "tampered" tampered.eml; then
	check "tampered: dkim=fail" grep -qE '^insert Authentication-Results:.*dkim=fail' out.txt
fi
mail_from tom@reject.example.com "unsigned from a DMARC p=reject domain" >reject.eml
if mt "unsigned, DMARC p=reject" reject.eml from=tom@reject.example.com; then
	check "unsigned, DMARC p=reject: refused with a reply of its own" has "reply y"
	check "unsigned, DMARC p=reject: the reply is 550 5.7.1 with the policy's text" grep -q 'action=reject sender=tom@reject.example.com .*reply="550 5.7.1 Message rejected by the DMARC policy of reject.example.com' milter.err
	check "unsigned, DMARC p=reject: no field added" bash -c "! grep -q '^insert' out.txt"
fi
mail_from tom@strict.example.com "unsigned from strict" >strict.eml
if mt "unsigned o=-" strict.eml from=tom@strict.example.com; then
	check "unsigned o=-: accepted by the default policy, A-R inserted" grep -qE '^insert Authentication-Results:.*domainkeys=none' out.txt
fi
printf 'From: a@example.com\nTo: b@example.net\nSubject: forged\nAuthentication-Results: other.example; spf=pass\nAuthentication-Results: mx.example.net; dkim=pass\n\nbody\n' >forged.eml
if mt "forged A-R" forged.eml; then
	check "forged A-R: deleted" has "delete Authentication-Results"
	check "forged A-R: a true one inserted" grep -qE '^insert Authentication-Results: mx\.example\.net;.*dkim=none' out.txt
fi

# SPF and DMARC from the connection: the client address, HELO and MAIL FROM reach the engine
mail_from ann@spf.example.com "spf" >spf.eml
# spf_case NAME WANT VAR=VALUE... - spf.eml from the client and sender given; WANT in the inserted
# A-R (its folds squeezed to one blank)
spf_case() {
	local name=$1 want=$2
	shift 2
	if mt "$name" spf.eml "$@"; then
		check "$name: $want" grep -qF -- "$want" <(tr -s ' ' <out.txt) # folds squeezed
	fi
}
spf_case "SPF-authorized IPv4 client" "spf=pass smtp.mailfrom=ann@spf.example.com; dmarc=pass" \
	ip=192.0.2.9 from=ann@spf.example.com
spf_case "IPv4 client outside the SPF record" "spf=fail smtp.mailfrom=ann@spf.example.com; dmarc=fail" \
	ip=192.0.2.200 from=ann@spf.example.com
spf_case "SPF-authorized IPv6 client" "spf=pass smtp.mailfrom=ann@spf.example.com; dmarc=pass" ip=3fff:5f::25 from=ann@spf.example.com
spf_case "IPv6 client outside the SPF record" "spf=fail smtp.mailfrom=ann@spf.example.com" ip=3fff:60::25 from=ann@spf.example.com
spf_case "null sender: the HELO name is checked" "spf=pass smtp.mailfrom=postmaster@spf.example.com" \
	ip=192.0.2.9 from= helo=spf.example.com
spf_case "IPv4-mapped IPv6 client" "spf=pass smtp.mailfrom=ann@spf.example.com; dmarc=pass" \
	ip=::ffff:192.0.2.9 from=ann@spf.example.com

# DMARC aggregate reports: the milter records each verdict with what it did (spf.example.com
# asks for reports), and `dkmod report` makes one report of both
milter_stop
milter_conf rep.conf "$ZONE"
printf 'keycache { state_dir = "%s" }\ndmarc_reports { record = true }\n' "$TMP/rstate" >>rep.conf
mkdir rstate rout
milter_start rep.conf || fail "dkmod-milter starts with reports" "$(tail -n 3 milter.err)"
mt "report: an SPF pass" spf.eml ip=192.0.2.9 from=ann@spf.example.com
mt "report: an SPF fail" spf.eml ip=192.0.2.200 from=ann@spf.example.com
milter_stop
milter_start m.conf || fail "dkmod-milter restarts" "$(tail -n 3 milter.err)"
"$DKMOD" report --config rep.conf --now $(($(date +%s) + 86400)) --dir "$TMP/rout" >report.out 2>&1
check_eq "report: the milter's two verdicts in one report" \
	"$(gunzip -c rout/*.xml.gz 2>/dev/null | grep -oE '<(source_ip|count|disposition|envelope_to)>[^<]*|<spf>[a-z]+' | tr '\n' ' ')" \
	"<source_ip>192.0.2.200 <count>1 <disposition>none <spf>fail <envelope_to>example.net <source_ip>192.0.2.9 <count>1 <disposition>none <spf>pass <envelope_to>example.net "

# signing: who may relay
mail_from alice@corp.example.com "submission" >corp.eml
for who in "authenticated:user=alice" "relay_nets client:ip=10.1.2.3" "relay_nets IPv6 client:ip=2001:db8::5" \
	"submission daemon:daemon=ORIGINATING"; do
	name=${who%%:*}
	if mt "$name" corp.eml from=alice@corp.example.com "${who#*:}"; then
		check "$name: DKIM-Signature d=corp.example.com inserted" grep -qE '^insert DKIM-Signature:.*d=corp\.example\.com' out.txt
		check "$name: DomainKey-Signature inserted" grep -qE '^insert DomainKey-Signature:.*d=corp\.example\.com' out.txt
	fi
done
if mt "outside client" corp.eml from=alice@corp.example.com ip=192.0.2.7; then
	check "outside client: not signed" bash -c "! grep -q '^insert DKIM-Signature' out.txt"
fi

# the policy's other actions and DNS trouble
adapters_conf q.conf "$ZONE" "$AD_DIR/quarantine.lua"
adapters_conf dead.conf "forward = { \"127.0.0.1@$(free_port)\" }, timeout = 1" "$AD_DIR/tempfail.lua"
for c in q dead; do printf 'milter { socket = "%s" }\n' "$SOCK" >>"$c.conf"; done
milter_stop
if milter_start q.conf && mt "quarantine policy" plain.eml; then
	check "quarantine policy: the MTA is asked to quarantine" has "quarantine"
	check "quarantine policy: continue, with the marker field" grep -q '^insert X-Dkmod-Quarantine: *yes' out.txt
fi
# without relay_nets: loopback clients (Postfix's local submissions) may relay, others not
if mt "no relay_nets, loopback client" corp.eml from=alice@corp.example.com ip=127.0.0.1; then
	check "no relay_nets, loopback client: signed" grep -qE '^insert DKIM-Signature:.*d=corp\.example\.com' out.txt
fi
if mt "no relay_nets, 10.1.2.3" corp.eml from=alice@corp.example.com ip=10.1.2.3; then
	check "no relay_nets, 10.1.2.3: not signed" bash -c "! grep -q '^insert DKIM-Signature' out.txt"
fi
milter_stop
if milter_start dead.conf && mt "DNS down" signed.eml; then
	check "DNS down: tempfail with a reply of its own" has "reply y"
	check "DNS down: the reply is 4xx" grep -qE 'action=tempfail .*reply="4[0-9][0-9] ' milter.err
fi
milter_stop

# malformed protocol input: each bad connection is dropped, the daemon goes on serving
milter_start m.conf || fail "dkmod-milter restarts" "$(tail -n 3 milter.err)"
"$PYTHON" "$DKMOD_TOP/tests/adapters/milter/mt_raw.py" "$TMP/milter.sock" >raw.txt 2>raw.err
check_eq "malformed input: ten cases sent" "$(wc -l <raw.txt)" 10
check "malformed input: no connection left hanging" bash -c "! grep -q ' hung\$' raw.txt"
check "malformed input: the daemon is still running" kill -0 "$MPID"
if mt "after malformed input" signed.eml; then
	check "after malformed input: dkim=pass" grep -qE '^insert Authentication-Results:.*dkim=pass' out.txt
fi

# protocol negotiation: no answers before the end of the message (SMFIP_NR_CONN, HELO, MAIL, RCPT,
# HDR, EOH, BODY) and no DATA or unknown steps, on a unix socket and on TCP (where the daemon ACKs
# each packet at once, so that the MTA's unanswered writes do not wait for a delayed ACK)
# nr_flags WHERE - the flags of milter protocol 6 asked for, of those named above
nr_flags() {
	local f
	f=$("$PYTHON" "$DKMOD_TOP/tests/adapters/milter/mt_raw.py" --negotiate "$1" 2>&1)
	case $f in 0x*) printf '%#x\n' $((f & 0xCF380)) ;; *) echo "$f" ;; esac
}
check_eq "negotiation on a unix socket: no answers before the end, no DATA" "$(nr_flags "$TMP/milter.sock")" 0xcf380
IPORT=$(free_port)
"$MILTER" --config m.conf --socket "inet:$IPORT@127.0.0.1" --foreground >"$TMP/inet.err" 2>&1 &
IPID=$!
at_exit 'kill -KILL $IPID 2>/dev/null'
for _ in $(seq 100); do grep -q "listening on inet:$IPORT" "$TMP/inet.err" && break; sleep 0.05; done
check_eq "negotiation on TCP: no answers before the end, no DATA" "$(nr_flags "$IPORT")" 0xcf380
if timeout 60 miltertest -s "$MT_SEND" -D "sock=inet:$IPORT@127.0.0.1" -D "msg=$TMP/signed.eml" >tcp.txt 2>&1; then
	check "a message over TCP: dkim=pass" grep -qE '^insert Authentication-Results:.*dkim=pass' tcp.txt
else
	fail "a message over TCP: miltertest ran" "$(tr '\n' ' ' <tcp.txt | cut -c1-300)"
fi
# a connection the MTA reuses for another SMTP session (QUIT_NC): negotiated again, served again
check_eq "a reused connection: negotiated again after QUIT_NC" "$("$PYTHON" "$DKMOD_TOP/tests/adapters/milter/mt_raw.py" --reuse "$TMP/milter.sock" 2>&1)" "negotiated negotiated continue"
kill -TERM "$IPID"
wait "$IPID" 2>/dev/null

# many connections at once: every one gets its own engine and the right verdict
# mt_parallel N PREFIX - N sessions of signed.eml at once; their lines in PREFIX1.txt ... PREFIXN.txt
mt_parallel() {
	local pids=() i
	for i in $(seq "$1"); do
		timeout 60 miltertest -s "$MT_SEND" -D "sock=$SOCK" -D "msg=$TMP/signed.eml" >"$2$i.txt" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}" 2>/dev/null
}
mt_parallel 8 par
check_eq "8 concurrent connections: 8 times dkim=pass" "$(cat par*.txt | grep -cE '^insert Authentication-Results:.*dkim=pass')" 8

# runaway policies in several threads at once: each is stopped by its own time budget
milter_stop
adapters_conf loop.conf "$ZONE" "$AD_DIR/loop.lua"
printf 'milter { socket = "%s" }\n' "$SOCK" >>loop.conf
milter_start loop.conf || fail "dkmod-milter starts with loop.conf" "$(tail -n 3 milter.err)"
mt_parallel 4 loop
check_eq "4 runaway policies at once: each stopped, fallback tempfail" "$(cat loop*.txt | grep -c '^reply y')" 4
milter_stop
milter_start m.conf || fail "dkmod-milter restarts" "$(tail -n 3 milter.err)"

# SIGHUP: a new configuration for new connections; a broken file keeps the old one
# (a message in progress across the reload finishes with the configuration it started with)
(timeout 60 miltertest -s "$MT_SEND" -D "sock=$SOCK" -D "msg=$TMP/plain.eml" -D pause=3 >inflight.txt 2>&1) &
inflight=$!
sleep 1
adapters_conf m.conf "$ZONE" "$AD_DIR/quarantine.lua"
printf 'milter { socket = "%s" }\n' "$SOCK" >>m.conf
kill -HUP "$MPID"
for _ in $(seq 100); do grep -q 'reloaded' milter.err && break; sleep 0.05; done
check "SIGHUP: the reload is logged" grep -q 'configuration m.conf reloaded' milter.err
if mt "after SIGHUP" plain.eml; then
	check "after SIGHUP: a new connection gets the new policy (quarantine)" has "quarantine"
fi
wait "$inflight"
check "SIGHUP: the message in progress was not dropped (continue)" grep -q '^reply c' inflight.txt
check "SIGHUP: the message in progress kept the old policy (no quarantine)" bash -c "! grep -q quarantine inflight.txt"
echo 'this is not a configuration' >m.conf
kill -HUP "$MPID"
for _ in $(seq 100); do grep -q 'reload of m.conf failed' milter.err && break; sleep 0.05; done
check "SIGHUP with a broken file: the failure is logged, the old configuration stays" grep -q 'reload of m.conf failed; the configuration loaded before stays in use' milter.err
check "SIGHUP with a broken file: the daemon is still running" kill -0 "$MPID"
if mt "after a failed reload" plain.eml; then
	check "after a failed reload: the configuration before it (quarantine) applies" has "quarantine"
fi

# SIGTERM: a clean stop, the pid file removed
kill -TERM "$MPID"
rc=0
wait "$MPID" || rc=$?
MPID=""
check_eq "SIGTERM: exit status 0" "$rc" 0
check "SIGTERM: the pid file is removed" test ! -e "$TMP/milter.pid"
check "SIGTERM: 'stopped' logged" grep -q 'dkmod-milter: stopped' milter.err
