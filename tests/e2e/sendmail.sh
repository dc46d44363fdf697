# sendmail.sh - sourced by tests/e2e/t_milter_sendmail.sh after tests/e2e/lib.sh: a private
# Sendmail on 127.0.0.1 from the packages sendmail-bin and sendmail-cf that tests/e2e/deps.sh
# unpacks into $SENDMAIL_ROOT (never installed: they conflict with postfix).
#
#   sendmail_start MILTER_SPEC   sets SENDMAIL_PORT SENDMAIL_PID SENDMAIL_DIR SENDMAIL_MAILDIR
#       sendmail.cf made now by m4 from sendmail-cf's macros: the daemon on 127.0.0.1:PORT, its
#       own queue, every recipient delivered by tests/e2e/deliver.sh into SENDMAIL_MAILDIR (as
#       nobody; the header addresses left as they are, where a local mailer's rules would cut
#       To: bob@example.net to To: bob and break the signatures), any relaying allowed (the milter decides what to sign by the client's address),
#       and the milter lines of conf/mta/sendmail-milter.mc (F=T, timeouts) aimed at MILTER_SPEC
#   sendmail_stop                by PID (registered with at_exit)
# Sendmail qualifies its own host name at start: with an unqualified name that /etc/hosts does
# not qualify it asks DNS and waits for the timeouts, so the daemon runs in a mount namespace
# of its own (unshare -m) where /etc/hosts names 127.0.0.1 mx.example.net and /etc/resolv.conf
# points at 127.0.0.1; nothing of the system's files changes.
# shellcheck shell=bash disable=SC2034 # the variables below are for the test
SENDMAIL_ROOT=$E2E_ROOT/sendmail
SENDMAIL_BIN=$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail
SENDMAIL_CF=$SENDMAIL_ROOT/usr/share/sendmail/cf
SENDMAIL_PORT="" SENDMAIL_PID="" SENDMAIL_DIR="" SENDMAIL_MAILDIR=""

# sendmail_have - true if the unpacked Sendmail can run here; else says what lacks
sendmail_have() {
	[ -x "$SENDMAIL_BIN" ] && [ -f "$SENDMAIL_CF/m4/cf.m4" ] ||
		{ echo "no sendmail-bin and sendmail-cf unpacked in $SENDMAIL_ROOT (make deps runs tests/e2e/deps.sh)"; return 1; }
	if ldd "$SENDMAIL_BIN" | grep -q 'not found'; then
		echo "sendmail lacks libraries: $(ldd "$SENDMAIL_BIN" | awk '/not found/ { printf "%s ", $1 }')"
		return 1
	fi
	unshare -m true 2>/dev/null || { echo "unshare -m is not allowed here (the Sendmail instance needs its own /etc/hosts)"; return 1; }
}

# _sendmail_mc MILTER_SPEC - the m4 source of this instance's sendmail.cf
_sendmail_mc() {
	local d=$SENDMAIL_DIR
	cat <<EOF
divert(-1)
include(\`$SENDMAIL_CF/m4/cf.m4')
divert(0)dnl
VERSIONID(\`dkmod e2e')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`$E2E_HOST')dnl
define(\`confSERVICE_SWITCH_FILE', \`$d/service.switch')dnl
define(\`QUEUE_DIR', \`$d/queue')dnl
define(\`confPID_FILE', \`$d/sendmail.pid')dnl
define(\`STATUS_FILE', \`$d/statistics')dnl
define(\`ALIAS_FILE', \`')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confTO_IDENT', \`0')dnl
define(\`confDELIVERY_MODE', \`background')dnl
define(\`confPRIVACY_FLAGS', \`goaway')dnl
define(\`confMAX_MESSAGE_SIZE', \`60000000')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`accept_unqualified_senders')dnl
FEATURE(\`promiscuous_relay')dnl
FEATURE(\`no_default_msa')dnl
DAEMON_OPTIONS(\`Port=$SENDMAIL_PORT, Addr=127.0.0.1, Name=MTA')dnl
EOF
	grep -v '^dnl' "$DKMOD_TOP/conf/mta/sendmail-milter.mc" | sed "s|local:/run/dkmod/milter.sock|$1|"
	cat <<EOF
MAILER(\`smtp')dnl
MAILER_DEFINITIONS
Me2edeliver, P=$TMP/e2e-bin/deliver.sh, F=lsDFMhnu9, S=EnvFromL/E2eHdrAsIs, R=EnvToL/E2eHdrAsIs, T=DNS/RFC822/X-Unix, U=65534:65534, A=deliver.sh $SENDMAIL_MAILDIR \$u
LOCAL_RULESETS
SE2eHdrAsIs
LOCAL_RULE_0
R\$+ < @ \$+ . > \$*	\$#e2edeliver \$@ localhost \$: \$1@\$2
R\$+ < @ \$+ > \$*	\$#e2edeliver \$@ localhost \$: \$1@\$2
EOF
}

# sendmail_start MILTER_SPEC - write sendmail.cf and start the daemon (foreground, -bD) on a free port
sendmail_start() {
	local why d
	why=$(sendmail_have) || { echo "sendmail_start: $why" >&2; return 1; }
	_e2e_prepare
	SENDMAIL_DIR=$TMP/sendmail
	SENDMAIL_MAILDIR=$TMP/sendmail-mail
	d=$SENDMAIL_DIR
	mkdir -p "$d/queue"
	chmod 755 "$d"
	chmod 700 "$d/queue"
	_e2e_maildir "$SENDMAIL_MAILDIR" nobody
	printf 'hosts files\naliases files\n' >"$d/service.switch"
	printf '127.0.0.1 %s localhost %s\n' "$E2E_HOST" "$(hostname)" >"$d/hosts"
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$d/resolv.conf"
	_E2E_LOGS+=("$d/sendmail.out")
	for _ in 1 2 3; do
		SENDMAIL_PORT=$(free_port)
		_sendmail_mc "$1" >"$d/sendmail.mc"
		m4 "$d/sendmail.mc" >"$d/sendmail.cf" 2>"$d/m4.err" || { cat "$d/m4.err" >&2; return 1; }
		# shellcheck disable=SC2016 # expanded by the inner shell
		unshare -m sh -c 'mount --bind "$1/hosts" /etc/hosts && mount --bind "$1/resolv.conf" /etc/resolv.conf &&
			exec "$2" -C "$1/sendmail.cf" -bD -q30m' sendmail "$d" "$SENDMAIL_BIN" >>"$d/sendmail.out" 2>&1 &
		SENDMAIL_PID=$!
		at_exit sendmail_stop
		_e2e_wait_listen "$SENDMAIL_PORT" "$SENDMAIL_PID" && return 0
		sendmail_stop
	done
	echo "sendmail_start: sendmail did not come up" >&2
	cat "$d/sendmail.out" >&2
	return 1
}

# sendmail_stop - stop the daemon by its PID (TERM; it ends its children)
# sendmail_submit FROM FILE - local submission as on a Sendmail host: the sendmail command as the
# mail submission program (FEATURE(msp), its own queue), which relays the message by SMTP to this
# instance on 127.0.0.1, through its milters; the command's exit status
sendmail_submit() {
	local d=$SENDMAIL_DIR
	if [ ! -f "$d/submit.cf" ]; then
		# the MSP refuses to run as root: nobody, as the delivery mailer, owns its queue
		mkdir -p "$d/clientmqueue"
		chown nobody:nogroup "$d/clientmqueue"
		chmod 770 "$d/clientmqueue"
		{
			echo 'divert(-1)'
			echo "include(\`$SENDMAIL_CF/m4/cf.m4')"
			echo 'divert(0)dnl'
			echo "VERSIONID(\`dkmod e2e submission')dnl"
			echo "OSTYPE(\`linux')dnl"
			echo "define(\`confDOMAIN_NAME', \`$E2E_HOST')dnl"
			echo "define(\`confRUN_AS_USER', \`nobody:nogroup')dnl"
			echo "define(\`MSP_QUEUE_DIR', \`$d/clientmqueue')dnl"
			echo "define(\`confPID_FILE', \`$d/sm-client.pid')dnl"
			echo "define(\`STATUS_FILE', \`$d/sm-client.st')dnl"
			echo "define(\`confSERVICE_SWITCH_FILE', \`$d/service.switch')dnl"
			echo "define(\`RELAY_MAILER_ARGS', \`TCP \$h $SENDMAIL_PORT')dnl"
			echo "FEATURE(\`msp', \`[127.0.0.1]')dnl"
		} >"$d/submit.mc"
		m4 "$d/submit.mc" >"$d/submit.cf" 2>"$d/m4-submit.err" || { cat "$d/m4-submit.err" >&2; return 1; }
	fi
	unshare -m sh -c 'mount --bind "$1/hosts" /etc/hosts && mount --bind "$1/resolv.conf" /etc/resolv.conf &&
		exec "$2" -C "$1/submit.cf" -t -f "$3"' sendmail "$d" "$SENDMAIL_BIN" "$1" <"$2" >>"$d/submit.out" 2>&1
}

sendmail_stop() {
	[ -n "$SENDMAIL_PID" ] || return 0
	_e2e_stop "$SENDMAIL_PID"
	SENDMAIL_PID=""
}
