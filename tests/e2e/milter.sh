# milter.sh - sourced by the dkmod-milter end-to-end tests (t_milter_postfix.sh,
# t_milter_sendmail.sh) after tests/e2e/lib.sh and tests/adapters/lib.sh: the daemon
# from $TMP/e2e-bin (e2e_stage), its configuration and log, the MTA's client side.
#   milter_conf             $CONF: adapters_conf with nsd as resolver, the default policy, and a
#                           milter block on inet:$MPORT@127.0.0.1 signing for 127.0.0.1/32
#   milter_start            start the daemon (MPID), wait until it listens; false if it does not
#   milter_reload           SIGHUP it and wait until it says it reloaded
#   milter_send NAME PORT FROM TO FILE [ARGS]      swaks from 127.0.0.2; pass if accepted
#   milter_refused NAME CODE PORT FROM TO FILE [ARGS]  pass if the dialogue got CODE (a regex)
# The cases both MTAs run, with the caller's send, refused, wait_for, latest and $BOX:
#   milter_case_forged       a forged Authentication-Results removed, another host's kept
#   milter_case_killed WHAT  a killed daemon: 4xx (WHAT: the MTA setting that says so), nothing
#                            delivered, the retry delivered after a restart
# shellcheck shell=bash disable=SC2034 # the variables below are for the tests
MILTER="$DKMOD_TOP/$BUILD/dkmod-milter"
MPID="" MPORT="" MLOG="" CONF=""

# milter_conf - the daemon's configuration ($CONF) and port ($MPORT)
milter_conf() {
	CONF=$AD_DIR/dkmod.conf
	MPORT=$(free_port)
	MLOG=$TMP/milter.log
	adapters_conf "$CONF" "forward = { \"127.0.0.1@$NSD_PORT\" }, timeout = 2" "$AD_DIR/default.lua"
	printf 'milter { socket = "inet:%s@127.0.0.1", relay_nets = { "127.0.0.1/32" } }\n' "$MPORT" >>"$CONF"
	at_exit 'kill -KILL $MPID 2>/dev/null'
}

# milter_start - start dkmod-milter in the foreground (MPID) and wait until it listens
milter_start() {
	"$TMP/e2e-bin/dkmod-milter" --config "$CONF" --foreground --log-level debug >>"$MLOG" 2>&1 &
	MPID=$!
	for _ in $(seq 100); do
		grep -q "listening on inet:$MPORT@127.0.0.1" "$MLOG" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# milter_reload - SIGHUP the daemon and wait until it says so
milter_reload() {
	local n
	n=$(grep -c 'reloaded' "$MLOG")
	kill -HUP "$MPID"
	for _ in $(seq 100); do [ "$(grep -c 'reloaded' "$MLOG")" -gt "$n" ] && return 0; sleep 0.05; done
	return 1
}

# milter_send NAME PORT FROM TO FILE [ARGS] - swaks from 127.0.0.2; pass if accepted (250)
milter_send() {
	local name=$1 port=$2
	shift 2
	send_mail "$port" "$@" -- --local-interface 127.0.0.2
	check_eq "$name: accepted" "$?" 0
}

# milter_refused NAME CODE PORT FROM TO FILE [ARGS] - swaks from 127.0.0.2; pass if the
# dialogue got CODE (a regex from the start of the reply)
milter_refused() {
	local name=$1 code=$2 port=$3
	shift 3
	send_mail "$port" "$@" -- --local-interface 127.0.0.2
	if grep -qE "^<\*\* +$code" "$SEND_LOG"; then
		pass "$name: refused in the dialogue: $(grep -m1 -E "^<\*\* +$code" "$SEND_LOG" | cut -c1-110)"
	else
		fail "$name: refused with $code" "$(grep -E '^(<\*\*|<-  250|\*\*\*)' "$SEND_LOG" | tail -n 2 | tr '\n' ' ')"
	fi
}

# milter_case_forged - our forged Authentication-Results removed, another host's kept
milter_case_forged() {
	local f
	printf 'From: alice@peer.example.com\nTo: ivan@example.net\nSubject: forged\nAuthentication-Results: other.example; spf=pass smtp.mailfrom=peer.example.com\nAuthentication-Results: mx.example.net; dkim=pass header.d=peer.example.com\nMessage-ID: <forged.1@example.com>\n\nbody\n' >forged.eml
	send "forged A-R" alice@peer.example.com ivan@example.net forged.eml
	if wait_for ivan@example.net 1; then
		f=$(latest ivan@example.net)
		check_eq "forged A-R: one A-R of mx.example.net left (ours, dkim=none)" \
			"$(grep -c '^Authentication-Results: mx.example.net;' "$f"):$(ar_results "$f")" "1:dkim=none domainkeys=none"
		check "forged A-R: the forged one is gone" bash -c "! grep -q 'dkim=pass header.d=peer.example.com' '$f'"
		check "forged A-R: the other host's A-R is kept" grep -q '^Authentication-Results: other.example; spf=pass' "$f"
	else
		fail "forged A-R: delivered" "nothing for ivan@example.net"
	fi
}

# milter_case_killed WHAT - kill the daemon: a 4xx (WHAT names the MTA's setting), nothing
# delivered; restart it: the sender's retry is delivered
milter_case_killed() {
	kill -KILL "$MPID"
	wait "$MPID" 2>/dev/null
	mail_from alice@peer.example.com "daemon killed" >killed.eml
	refused "daemon killed ($1)" '4[0-9][0-9] ' alice@peer.example.com kate@example.net killed.eml
	sleep 1
	check_eq "daemon killed: nothing delivered" "$(delivered_files "$BOX" kate@example.net)" ""
	if milter_start; then pass "dkmod-milter restarted"; else fail "dkmod-milter restarts" "$(tail -n 3 "$MLOG")"; fi
	send "after the restart: the sender's retry" alice@peer.example.com kate@example.net killed.eml
	check "after the restart: delivered" wait_for kate@example.net 1
}
