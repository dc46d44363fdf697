# lib.sh - sourced by the end-to-end tests after tests/lib/common.sh: start real
# MTAs (Exim, Postfix, qpsmtpd) on free 127.0.0.1 ports, each with a private
# configuration, spool and logs under $TMP, delivering every accepted message
# (any domain) through tests/e2e/deliver.sh into DIR/<recipient>/new/<file>.
# tests/e2e/deps.sh installs what they need (e2e_have says what is missing).
#
#   exim_start [EXTRA_MAIN_CONFIG_FILE]  sets EXIM_PORT EXIM_PID EXIM_MAILDIR EXIM_DIR EXIM_CONF
#       env: EXIM_LOCAL_SCAN=/path.so (written as local_scan_path), EXIM_LOCAL_SCAN_TIMEOUT (30s),
#            EXIM_RELAY_HOSTS (127.0.0.1)
#   postfix_start                        sets POSTFIX_PORT POSTFIX_PID POSTFIX_MAILDIR POSTFIX_CONF
#                                        POSTFIX_DIR POSTFIX_SENDMAIL
#       env: POSTFIX_CONTENT_FILTER (e.g. "dkmod:dummy", set on the smtpd service),
#            POSTFIX_MASTER_EXTRA (lines appended to master.cf), POSTFIX_MAIN_EXTRA (to main.cf),
#            POSTFIX_MYNETWORKS (127.0.0.1/32)
#   qpsmtpd_start [PLUGIN_DIR]           sets QPSMTPD_PORT QPSMTPD_PID QPSMTPD_MAILDIR QPSMTPD_DIR
#       env: QPSMTPD_PLUGINS (plugin lines loaded before the queue plugin), QPSMTPD_RELAY_HOSTS
#   exim_stop, postfix_stop, qpsmtpd_stop (registered with at_exit; by PID only)
#   send_mail PORT FROM TO FILE [--auth USER PASS] [-- SWAKS_ARGS...]
#                                        swaks' status; transcript in $SEND_LOG
#   wait_delivered DIR COUNT [TIMEOUT]   true once DIR holds >= COUNT messages
#   delivered_files DIR [RCPT]           the delivered files, oldest first
#   mta_logs                             every log of this test, on stderr
#   e2e_case_verify                      Mail::DKIM-signed mail delivered with dkim=pass (to bob@),
#                                        a tampered copy with dkim=fail (to carol@); with the test's
#                                        send, wait_for and latest, and tests/adapters/lib.sh
#   e2e_have exim|postfix|qpsmtpd|swaks  true if installed (else prints why, on stdout)
#   e2e_tree_pids PID                    PID and its descendants
#   e2e_alive PID                        true while PID runs (a zombie counts as gone)
#   e2e_leftovers                        live processes of this test's MTAs (after the stops: none)
#   e2e_only_loopback PORT               true if nothing listens on PORT but 127.0.0.1
# The authenticated-submission user of every MTA is $E2E_AUTH_USER / $E2E_AUTH_PASS.
# Postfix's configuration directory is a slot $DKMOD_E2E_ROOT/postfix-conf/N (see
# _postfix_claim_slot), everything else of every MTA is under $TMP (made mode 711).
# Who runs what: Exim started with -C gives up root after reception ("exim user lost
# privilege" in its logs), so local_scan and deliveries run as Debian-exim; Postfix pipe
# services run as nobody here (pipe refuses root and postfix), and a filter's sendmail
# finds the instance through MAIL_CONFIG, which pipe passes on; qpsmtpd runs as user
# qpsmtpd under perl -T. Whatever a hook reads (a .so, a plugin, keys) must be readable
# by that user.

# shellcheck disable=SC2034 # the variables below are for the tests that source this file
E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_ROOT=${DKMOD_E2E_ROOT:-/opt/dkmod-e2e}
EXIM_ROOT=$E2E_ROOT/exim4
EXIM_BIN=$EXIM_ROOT/usr/sbin/exim4
EXIM_INCLUDE=$EXIM_ROOT/usr/include/exim4
E2E_AUTH_USER=${E2E_AUTH_USER:-testuser}
E2E_AUTH_PASS=${E2E_AUTH_PASS:-testpass}
E2E_HOST=mx.example.net
SEND_LOG="" _E2E_SENDS=0 _E2E_LOGS=()
EXIM_PORT="" EXIM_PID="" EXIM_MAILDIR="" EXIM_DIR="" EXIM_CONF=""
POSTFIX_PORT="" POSTFIX_PID="" POSTFIX_MAILDIR="" POSTFIX_DIR="" POSTFIX_CONF="" POSTFIX_SENDMAIL=""
QPSMTPD_PORT="" QPSMTPD_PID="" QPSMTPD_MAILDIR="" QPSMTPD_DIR=""

# e2e_alive PID - true while PID runs (a zombie counts as gone)
e2e_alive() {
	local state
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$state" ] && [ "$state" != Z ]
}

# e2e_tree_pids PID - PID and all its descendants, one a line (one pass over /proc)
e2e_tree_pids() {
	e2e_alive "$1" || return 0
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
		{ i = match($0, /\) [A-Za-z] /); if (!i) next
		  split(substr($0, i + 2), a, " "); kids[a[2]] = kids[a[2]] " " $1 }
		END { q[1] = root; n = 1
		  for (h = 1; h <= n; h++) { print q[h]; c = split(kids[q[h]], k, " "); for (j = 1; j <= c; j++) q[++n] = k[j] } }'
}

# _e2e_stop PID - TERM PID (and, after 5 s, KILL it and its descendants); reap it if it is ours
_e2e_stop() {
	local pid=$1 i kids
	[ -n "$pid" ] || return 0
	if e2e_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		for i in $(seq 50); do
			e2e_alive "$pid" || break
			sleep 0.1
		done
		if e2e_alive "$pid"; then
			kids=$(e2e_tree_pids "$pid")
			# shellcheck disable=SC2086
			kill -KILL $kids 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# e2e_leftovers - live processes that belong to this test's MTAs: their command line names
# $TMP, or their environment the Postfix slot or the qpsmtpd config, under our root directory
# (empty when all is stopped)
e2e_leftovers() {
	local f pid root
	root=$(stat -L -c %d:%i /)
	{
		grep -laF "$TMP/" /proc/[0-9]*/cmdline
		[ -n "$POSTFIX_CONF" ] && grep -lzxF "MAIL_CONFIG=$POSTFIX_CONF" /proc/[0-9]*/environ
		[ -n "$QPSMTPD_DIR" ] && grep -lzxF "QPSMTPD_CONFIG=$QPSMTPD_DIR/config" /proc/[0-9]*/environ
	} 2>/dev/null | sort -u | while read -r f; do
		pid=${f#/proc/}
		pid=${pid%%/*}
		[ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ] && continue
		# a process under another root (the host of a chroot we run in) has its own slots
		[ "$(stat -L -c %d:%i "/proc/$pid/root/" 2>/dev/null)" = "$root" ] || continue
		e2e_alive "$pid" && echo "$pid"
	done
}

# e2e_only_loopback PORT - true if every TCP socket listening on PORT is bound to 127.0.0.1
e2e_only_loopback() {
	local hex
	hex=$(printf '%04X' "$1")
	! awk -v p="$hex" '$4 == "0A" { split($2, a, ":"); if (a[2] == p && a[1] != "0100007F") f = 1 }
		END { exit !f }' /proc/net/tcp /proc/net/tcp6
}

# _e2e_listening PORT - true if something listens on 127.0.0.1:PORT (TCP)
_e2e_listening() {
	local hex
	hex=$(printf '0100007F:%04X' "$1")
	awk -v a="$hex" '$2 == a && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp
}

# _e2e_wait_listen PORT PID [SECONDS] - wait until PORT listens; false if PID dies first
_e2e_wait_listen() {
	local i
	for i in $(seq $((${3:-15} * 10))); do
		_e2e_listening "$1" && return 0
		e2e_alive "$2" || return 1
		sleep 0.1
	done
	return 1
}

# _e2e_prepare - let the MTAs' users reach $TMP, and install the delivery script there
_e2e_prepare() {
	chmod 711 "$TMP"
	if [ ! -x "$TMP/e2e-bin/deliver.sh" ]; then
		mkdir -p "$TMP/e2e-bin"
		chmod 755 "$TMP/e2e-bin"
		install -m 755 "$E2E_LIB_DIR/deliver.sh" "$TMP/e2e-bin/deliver.sh"
	fi
}

# e2e_stage OWNER BIN - what a filter test starts from: keys, zone and configuration readable by
# OWNER ($AD_DIR), nsd serving the zone, BIN installed in $TMP/e2e-bin, the default policy beside
# the keys; 1 (and a FAIL) if a piece did not come up
e2e_stage() {
	_e2e_prepare
	adapters_setup "$TMP/ad" "$1" || { fail "keys and zone"; return 1; }
	nsd_start "$TMP/nsd" "$AD_DIR/example.com.zone:example.com" || { fail "nsd starts"; return 1; }
	install -m 755 "$2" "$TMP/e2e-bin/${2##*/}"
	install -m 644 "$DKMOD_TOP/lua/default.lua" "$AD_DIR/default.lua"
}

# _e2e_maildir DIR OWNER - create a delivery directory writable by OWNER only
_e2e_maildir() {
	mkdir -p "$1" && chown "$2" "$1" && chmod 755 "$1"
}

# e2e_have WHAT - true if WHAT (exim, postfix, qpsmtpd, swaks) is installed; else says what lacks
e2e_have() {
	case $1 in
	exim)
		[ -x "$EXIM_BIN" ] || { echo "no exim4-daemon-heavy unpacked at $EXIM_BIN (make deps runs tests/e2e/deps.sh)"; return 1; }
		getent passwd Debian-exim >/dev/null || { echo "no Debian-exim user (make deps runs tests/e2e/deps.sh)"; return 1; }
		if ldd "$EXIM_BIN" | grep -q 'not found'; then
			echo "exim4 lacks libraries: $(ldd "$EXIM_BIN" | awk '/not found/ { printf "%s ", $1 }')"
			return 1
		fi
		;;
	postfix)
		if [ ! -x /usr/sbin/postfix ] || [ ! -x /usr/sbin/saslpasswd2 ]; then
			echo "package postfix or sasl2-bin not installed (make deps)"
			return 1
		fi
		postconf -c /etc/postfix -h alternate_config_directories 2>/dev/null |
			grep -q "$E2E_ROOT/postfix-conf/8" ||
			{ echo "/etc/postfix/main.cf does not list $E2E_ROOT/postfix-conf/* (make deps runs tests/e2e/deps.sh)"; return 1; }
		[ -d "$E2E_ROOT/postfix-conf" ] || { echo "no $E2E_ROOT/postfix-conf (make deps runs tests/e2e/deps.sh)"; return 1; }
		;;
	qpsmtpd)
		[ -x /usr/bin/qpsmtpd-forkserver ] || { echo "package qpsmtpd not installed (make deps)"; return 1; }
		;;
	swaks)
		command -v swaks >/dev/null || { echo "package swaks not installed (make deps)"; return 1; }
		;;
	*) echo "e2e_have: unknown $1"; return 1 ;;
	esac
	return 0
}

# ---------------------------------------------------------------- Exim

# _exim_write_conf FILE EXTRA - write a minimal Exim configuration for this instance
_exim_write_conf() {
	local f=$1 extra=$2
	{
		cat <<EOF
# e2e Exim instance (written by tests/e2e/lib.sh)
exim_path = $EXIM_BIN
primary_hostname = $E2E_HOST
qualify_domain = example.net
spool_directory = $EXIM_DIR/spool
log_file_path = $EXIM_DIR/log/%slog
pid_file_path = $EXIM_DIR/exim.pid
local_interfaces = 127.0.0.1
daemon_smtp_ports = $EXIM_PORT
keep_environment =
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
never_users =
log_selector = +smtp_protocol_error +smtp_syntax_error +received_recipients
domainlist local_domains = example.net
hostlist relay_from_hosts = <; ${EXIM_RELAY_HOSTS-127.0.0.1}
acl_smtp_rcpt = acl_rcpt
EOF
		if [ -n "${EXIM_LOCAL_SCAN:-}" ]; then
			echo "local_scan_path = $EXIM_LOCAL_SCAN"
			echo "local_scan_timeout = ${EXIM_LOCAL_SCAN_TIMEOUT:-30s}"
		fi
		if [ -n "$extra" ]; then
			echo "# from $extra"
			cat "$extra"
		fi
		cat <<EOF

begin acl
acl_rcpt:
  accept  domains = +local_domains
  accept  hosts = +relay_from_hosts
  accept  authenticated = *
  deny    message = relay not permitted

begin routers
everything:
  driver = accept
  transport = e2e_deliver

begin transports
e2e_deliver:
  driver = pipe
  command = $TMP/e2e-bin/deliver.sh $EXIM_MAILDIR
  user = Debian-exim
  group = Debian-exim
  return_path_add
  envelope_to_add
  message_prefix =
  message_suffix =
  temp_errors = *
  log_output

begin retry
*  *  F,1h,10s

begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and {{eq{\$auth2}{$E2E_AUTH_USER}}{eq{\$auth3}{$E2E_AUTH_PASS}}}}
  server_set_id = \$auth2
  server_advertise_condition = true
EOF
	} >"$f"
}

# exim_start [EXTRA_MAIN_CONFIG_FILE] - start a private exim4-daemon-heavy on 127.0.0.1:EXIM_PORT
exim_start() {
	local extra=${1:-} why
	why=$(e2e_have exim) || { echo "exim_start: $why" >&2; return 1; }
	_e2e_prepare
	EXIM_DIR=$TMP/exim
	EXIM_MAILDIR=$TMP/exim-mail
	EXIM_CONF=$EXIM_DIR/exim.conf
	mkdir -p "$EXIM_DIR/spool" "$EXIM_DIR/log"
	chown Debian-exim:Debian-exim "$EXIM_DIR/spool" "$EXIM_DIR/log"
	chmod 755 "$EXIM_DIR"
	_e2e_maildir "$EXIM_MAILDIR" Debian-exim
	_E2E_LOGS+=("$EXIM_DIR/log/mainlog" "$EXIM_DIR/log/rejectlog" "$EXIM_DIR/log/paniclog" "$EXIM_DIR/exim.out")
	for _ in 1 2 3; do
		EXIM_PORT=$(free_port)
		_exim_write_conf "$EXIM_CONF" "$extra"
		if ! "$EXIM_BIN" -C "$EXIM_CONF" -bV >"$EXIM_DIR/exim.out" 2>&1; then
			echo "exim_start: configuration refused" >&2
			cat "$EXIM_DIR/exim.out" >&2
			return 1
		fi
		# -bdf: the daemon stays in the foreground, so its PID is $! (our child)
		"$EXIM_BIN" -C "$EXIM_CONF" -bdf >>"$EXIM_DIR/exim.out" 2>&1 </dev/null &
		EXIM_PID=$!
		at_exit exim_stop
		_e2e_wait_listen "$EXIM_PORT" "$EXIM_PID" && return 0
		exim_stop
	done
	echo "exim_start: exim did not come up" >&2
	cat "$EXIM_DIR/exim.out" "$EXIM_DIR/log/paniclog" "$EXIM_DIR/log/mainlog" >&2 2>/dev/null
	return 1
}

# exim_stop - stop the Exim daemon by its PID
exim_stop() {
	[ -n "$EXIM_PID" ] || return 0
	_e2e_stop "$EXIM_PID"
	EXIM_PID=""
}

# ---------------------------------------------------------------- Postfix

# _postfix_write_conf - write main.cf, master.cf and the SASL files of this instance
_postfix_write_conf() {
	local c=$POSTFIX_CONF
	[ -n "$c" ] || return 1
	cat >"$c/main.cf" <<EOF
# e2e Postfix instance (written by tests/e2e/lib.sh)
compatibility_level = 3.6
queue_directory = $POSTFIX_DIR/queue
data_directory = $POSTFIX_DIR/data
mail_owner = postfix
setgid_group = postdrop
myhostname = $E2E_HOST
mydomain = example.net
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = ${POSTFIX_MYNETWORKS-127.0.0.1/32}
relay_domains = example.net
default_transport = e2edeliver
relay_transport = e2edeliver
local_recipient_maps =
alias_maps =
alias_database =
biff = no
append_dot_mydomain = no
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtputf8_enable = no
maillog_file = $POSTFIX_DIR/log/maillog
maillog_file_prefixes = $POSTFIX_DIR/log
smtpd_banner = \$myhostname ESMTP Postfix (e2e)
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $c/sasl
smtpd_sasl_local_domain =
smtpd_tls_security_level = none
smtpd_tls_auth_only = no
e2edeliver_destination_recipient_limit = 1
delay_warning_time = 0
local_header_rewrite_clients = permit_mynetworks, permit_sasl_authenticated
EOF
	[ -n "${POSTFIX_MAIN_EXTRA:-}" ] && printf '%s\n' "$POSTFIX_MAIN_EXTRA" >>"$c/main.cf"
	{
		echo "# e2e Postfix instance (written by tests/e2e/lib.sh); nothing chrooted"
		echo "# service type  private unpriv  chroot  wakeup  maxproc command + args"
		echo "127.0.0.1:$POSTFIX_PORT inet n - n - - smtpd"
		[ -n "${POSTFIX_CONTENT_FILTER:-}" ] && echo "  -o content_filter=$POSTFIX_CONTENT_FILTER"
		cat <<EOF
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
e2edeliver unix -       n       n       -       -       pipe
  flags=R user=nobody argv=$TMP/e2e-bin/deliver.sh $POSTFIX_MAILDIR \${recipient}
EOF
		[ -n "${POSTFIX_MASTER_EXTRA:-}" ] && printf '%s\n' "$POSTFIX_MASTER_EXTRA"
	} >"$c/master.cf"
	mkdir -p "$c/sasl"
	cat >"$c/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $c/sasl/sasldb2
mech_list: PLAIN LOGIN
EOF
	rm -f "$c/sasl/sasldb2"
	echo "$E2E_AUTH_PASS" | saslpasswd2 -p -c -f "$c/sasl/sasldb2" -u "$E2E_HOST" "$E2E_AUTH_USER" || return 1
	chown root:postfix "$c/sasl/sasldb2"
	chmod 640 "$c/sasl/sasldb2"
}

# _postfix_claim_slot - take a free configuration directory $E2E_ROOT/postfix-conf/N as POSTFIX_CONF
# (set-gid postdrop trusts only those that /etc/postfix/main.cf lists; mkdir is the lock, and a
# slot whose owning test process is gone is taken over)
_postfix_claim_slot() {
	local i d owner
	for i in $(seq 8); do
		d=$E2E_ROOT/postfix-conf/$i
		if [ -d "$d" ]; then
			owner=$(cat "$d/.owner" 2>/dev/null)
			if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then
				rm -rf "$d"
			elif [ -z "$owner" ] && [ -n "$(find "$d" -maxdepth 0 -mmin +10)" ]; then
				rm -rf "$d"
			fi
		fi
		mkdir "$d" 2>/dev/null || continue
		echo "$$" >"$d/.owner"
		POSTFIX_CONF=$d
		at_exit "rm -rf '$d'"
		return 0
	done
	echo "postfix_start: all 8 configuration slots in $E2E_ROOT/postfix-conf are taken" >&2
	return 1
}

# postfix_start - start a private Postfix (postfix -c DIR start) with smtpd on 127.0.0.1:POSTFIX_PORT
postfix_start() {
	local why i
	why=$(e2e_have postfix) || { echo "postfix_start: $why" >&2; return 1; }
	_e2e_prepare
	POSTFIX_DIR=$TMP/postfix
	POSTFIX_MAILDIR=$TMP/postfix-mail
	_postfix_claim_slot || return 1
	# shellcheck disable=SC2034 # for the tests
	POSTFIX_SENDMAIL="/usr/sbin/sendmail -C $POSTFIX_CONF"
	mkdir -p "$POSTFIX_DIR/queue" "$POSTFIX_DIR/data" "$POSTFIX_DIR/log"
	chmod 755 "$POSTFIX_DIR" "$POSTFIX_CONF"
	chown postfix "$POSTFIX_DIR/data"
	_e2e_maildir "$POSTFIX_MAILDIR" nobody
	_E2E_LOGS+=("$POSTFIX_DIR/log/maillog" "$POSTFIX_DIR/postfix.out")
	for _ in 1 2 3; do
		POSTFIX_PORT=$(free_port)
		_postfix_write_conf || return 1
		rm -f "$POSTFIX_DIR/queue/pid/master.pid"
		if ! postfix -c "$POSTFIX_CONF" start >"$POSTFIX_DIR/postfix.out" 2>&1; then
			echo "postfix_start: postfix start failed" >&2
			cat "$POSTFIX_DIR/postfix.out" "$POSTFIX_DIR/log/maillog" >&2 2>/dev/null
			return 1
		fi
		POSTFIX_PID=""
		for i in $(seq 100); do
			[ -s "$POSTFIX_DIR/queue/pid/master.pid" ] &&
				POSTFIX_PID=$(tr -dc 0-9 <"$POSTFIX_DIR/queue/pid/master.pid") && [ -n "$POSTFIX_PID" ] && break
			sleep 0.1
		done
		[ -n "$POSTFIX_PID" ] || break
		at_exit postfix_stop
		_e2e_wait_listen "$POSTFIX_PORT" "$POSTFIX_PID" && return 0
		postfix_stop
	done
	echo "postfix_start: postfix did not come up" >&2
	cat "$POSTFIX_DIR/postfix.out" "$POSTFIX_DIR/log/maillog" >&2 2>/dev/null
	return 1
}

# postfix_stop - stop the Postfix master by its PID (it stops its own children)
postfix_stop() {
	[ -n "$POSTFIX_PID" ] || return 0
	_e2e_stop "$POSTFIX_PID"
	POSTFIX_PID=""
}

# ---------------------------------------------------------------- qpsmtpd

# _qpsmtpd_write_conf PLUGIN_DIR - write this instance's config directory
_qpsmtpd_write_conf() {
	local c=$QPSMTPD_DIR/config
	mkdir -p "$c"
	echo "$E2E_HOST" >"$c/me"
	echo example.net >"$c/rcpthosts"
	# shellcheck disable=SC2086 # a list: one address or prefix a line
	printf '%s\n' ${QPSMTPD_RELAY_HOSTS-127.0.0.1} >"$c/relayclients"
	echo "$QPSMTPD_DIR/spool" >"$c/spool_dir"
	echo 6 >"$c/loglevel"
	{
		echo "$QPSMTPD_DIR/plugins"
		[ -n "$1" ] && echo "$1"
		echo /usr/share/qpsmtpd/plugins
	} >"$c/plugin_dirs"
	{
		echo relay
		echo "e2e_auth $E2E_AUTH_USER $E2E_AUTH_PASS"
		[ -n "${QPSMTPD_PLUGINS:-}" ] && printf '%s\n' "$QPSMTPD_PLUGINS"
		echo rcpt_ok
		echo "e2e_queue $QPSMTPD_MAILDIR"
	} >"$c/plugins"
	chmod -R a+rX "$c"
}

# qpsmtpd_start [PLUGIN_DIR] - start qpsmtpd-forkserver on 127.0.0.1:QPSMTPD_PORT (as user
# qpsmtpd); PLUGIN_DIR joins the plugin search path, QPSMTPD_PLUGINS lists plugins to load
qpsmtpd_start() {
	local pdir=${1:-} why
	why=$(e2e_have qpsmtpd) || { echo "qpsmtpd_start: $why" >&2; return 1; }
	[ -z "$pdir" ] || pdir=$(cd "$pdir" && pwd) || return 1
	_e2e_prepare
	QPSMTPD_DIR=$TMP/qpsmtpd
	QPSMTPD_MAILDIR=$TMP/qpsmtpd-mail
	mkdir -p "$QPSMTPD_DIR/plugins" "$QPSMTPD_DIR/spool"
	chmod 755 "$QPSMTPD_DIR" "$QPSMTPD_DIR/plugins"
	chown qpsmtpd:qpsmtpd "$QPSMTPD_DIR/spool"
	chmod 700 "$QPSMTPD_DIR/spool"
	install -m 644 "$E2E_LIB_DIR/qpsmtpd/e2e_queue" "$E2E_LIB_DIR/qpsmtpd/e2e_auth" "$QPSMTPD_DIR/plugins/"
	_e2e_maildir "$QPSMTPD_MAILDIR" qpsmtpd
	_E2E_LOGS+=("$QPSMTPD_DIR/qpsmtpd.log")
	for _ in 1 2 3; do
		QPSMTPD_PORT=$(free_port)
		_qpsmtpd_write_conf "$pdir"
		rm -f "$QPSMTPD_DIR/qpsmtpd.pid"
		# in the foreground (no --detach), so its PID is $! (our child)
		(cd "$QPSMTPD_DIR" && QPSMTPD_CONFIG=$QPSMTPD_DIR/config exec /usr/bin/qpsmtpd-forkserver \
			-l 127.0.0.1 -p "$QPSMTPD_PORT" -u qpsmtpd -H --pid-file "$QPSMTPD_DIR/qpsmtpd.pid") \
			>"$QPSMTPD_DIR/qpsmtpd.log" 2>&1 </dev/null &
		QPSMTPD_PID=$!
		at_exit qpsmtpd_stop
		_e2e_wait_listen "$QPSMTPD_PORT" "$QPSMTPD_PID" && return 0
		qpsmtpd_stop
	done
	echo "qpsmtpd_start: qpsmtpd did not come up" >&2
	cat "$QPSMTPD_DIR/qpsmtpd.log" >&2 2>/dev/null
	return 1
}

# qpsmtpd_stop - stop qpsmtpd-forkserver by its PID
qpsmtpd_stop() {
	[ -n "$QPSMTPD_PID" ] || return 0
	_e2e_stop "$QPSMTPD_PID"
	QPSMTPD_PID=""
}

# ---------------------------------------------------------------- swaks and mailboxes

# send_mail PORT FROM TO FILE [--auth USER PASS] [-- SWAKS_ARGS...] - send FILE with swaks
# (TO may list several recipients, comma separated); returns swaks' status, transcript in $SEND_LOG
send_mail() {
	local port=$1 from=$2 to=$3 file=$4 rc
	local args=(--server 127.0.0.1 --port "$port" --helo client.example.org
		--from "$from" --to "$to" --timeout 30)
	shift 4
	while [ $# -gt 0 ]; do
		case $1 in
		--auth)
			args+=(--auth PLAIN --auth-user "$2" --auth-password "$3")
			shift 3
			;;
		--)
			shift
			args+=("$@")
			break
			;;
		*)
			echo "send_mail: unknown option $1" >&2
			return 1
			;;
		esac
	done
	mkdir -p "$TMP/swaks"
	_E2E_SENDS=$((_E2E_SENDS + 1))
	SEND_LOG=$TMP/swaks/$_E2E_SENDS.log
	_E2E_LOGS+=("$SEND_LOG")
	# Send FILE's bytes as they are: swaks' own fix-up would rebuild the header and
	# add a blank line at the end; so CRLF, dot-stuffing and the final dot are done here.
	"$PYTHON" - "$file" "$SEND_LOG.data" <<'PY' || return 1
import re, sys
d = open(sys.argv[1], "rb").read()
d = re.sub(rb"\r?\n", b"\r\n", d)
if d and not d.endswith(b"\r\n"):
    d += b"\r\n"
d = re.sub(rb"(?m)^\.", b"..", d)
open(sys.argv[2], "wb").write(d + b".")
PY
	args+=(--no-data-fixup --data "@$SEND_LOG.data")
	swaks "${args[@]}" >"$SEND_LOG" 2>&1 </dev/null
	rc=$?
	return "$rc"
}

# delivered_files DIR [RCPT] - the messages delivered into DIR (for RCPT only, if given), oldest first
delivered_files() {
	local box=${2:+$(printf '%s' "$2" | tr 'A-Z/' 'a-z_')}
	[ -d "$1" ] || return 0
	find "$1${box:+/$box}" -path '*/new/*' -type f -printf '%T@ %p\n' 2>/dev/null | sort -n | cut -d' ' -f2-
}

# wait_delivered DIR COUNT [TIMEOUT] [RCPT] - wait (default 20 s) until DIR holds at least COUNT
# messages (for RCPT only, if given)
wait_delivered() {
	local i n
	for i in $(seq $((${3:-20} * 10))); do
		n=$(delivered_files "$1" "${4:-}" | wc -l)
		[ "$n" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "wait_delivered: $1 holds $n message(s)${4:+ for $4}, wanted $2" >&2
	return 1
}

# latest_delivered DIR RCPT - the newest message delivered for RCPT
latest_delivered() { delivered_files "$1" "$2" | tail -n 1; }

# e2e_need NAME BINARY TOOL... - skip the test (exit 0; a FAIL under CI=true) unless every TOOL
# is there; fail (exit 1) unless the adapter BINARY is built
e2e_need() {
	local name=$1 bin=$2 what why
	shift 2
	for what in "$@"; do
		if ! why=$(e2e_have "$what"); then
			unmet "$name" "$why"
			exit 0
		fi
	done
	[ -x "$bin" ] || { fail "${bin##*/} is built" "no $bin"; exit 1; }
}


# mta_logs - print every MTA log and swaks transcript of this test on stderr
# e2e_case_verify - signed.eml (Mail::DKIM) delivered with dkim=pass, a tampered copy with dkim=fail
e2e_case_verify() {
	mail_from alice@peer.example.com "signed by Mail::DKIM" >plain.eml
	peer_sign plain.eml >signed.eml
	send "Mail::DKIM-signed" alice@peer.example.com bob@example.net signed.eml
	if wait_for bob@example.net 1; then
		check_eq "Mail::DKIM-signed: delivered with dkim=pass" "$(ar_results "$(latest bob@example.net)")" "dkim=pass domainkeys=none"
	else
		fail "Mail::DKIM-signed: delivered" "nothing for bob@example.net"
		mta_logs
	fi
	sed 's/^Hello\./Hello, tampered./' signed.eml >tampered.eml
	send "tampered" alice@peer.example.com carol@example.net tampered.eml
	if wait_for carol@example.net 1; then
		check_eq "tampered: delivered with dkim=fail" "$(ar_results "$(latest carol@example.net)")" "dkim=fail domainkeys=none"
	else
		fail "tampered: delivered" "nothing for carol@example.net"
	fi
}

mta_logs() {
	local f
	for f in "${_E2E_LOGS[@]}"; do
		[ -s "$f" ] || continue
		echo "---- $f" >&2
		tail -n 60 "$f" >&2
	done
}

# e2e_big_signed FILE - a 20 MB message from alice@peer.example.com to leo@example.net, signed
# by Mail::DKIM, in FILE (the unsigned one, big.eml, is removed)
e2e_big_signed() {
	"$PYTHON" - big.eml <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"From: alice@peer.example.com\nTo: leo@example.net\nSubject: big\n"
            b"Date: Wed, 25 Nov 2026 12:00:00 +0000\nMessage-ID: <big.1@example.com>\n\n")
    n = 0
    while f.tell() < 20 * 1024 * 1024:
        n += 1
        f.write(b"%08d " % n + bytes(33 + (n + i) % 94 for i in range(70)) + b"\n")
PY
	peer_sign big.eml >"$1"
	rm -f big.eml
}

# e2e_check_big FILE SENT START - a big message FILE delivered byte for byte below the
# added fields (SENT is what was sent; START the send time in seconds) and passing DKIM
e2e_check_big() {
	local f=$1 sent=$2 start=$3 size
	size=$(wc -c <"$sent")
	head -c $(($(wc -c <"$f") - size)) "$f" >"$TMP/big-top.txt"
	if tail -c "$size" "$f" | cmp -s - "$sent" && ! grep -q '^$' "$TMP/big-top.txt"; then
		pass "20 MB message: byte-identical below the added fields ($(($(date +%s) - start)) s)"
	else
		fail "20 MB message: byte-identical below the added fields" "$(wc -c <"$f") bytes delivered, $size sent"
	fi
	check_eq "20 MB message: dkim=pass" "$(ar_results "$f")" "dkim=pass domainkeys=none"
}

# e2e_check_gone CHECK PIDS... - pass CHECK if PIDS and every leftover of this test are gone (5 s grace)
e2e_check_gone() {
	local name=$1 left p
	shift
	for _ in $(seq 50); do
		left=""
		for p in "$@" $(e2e_leftovers); do e2e_alive "$p" && left="$left $p"; done
		[ -z "$left" ] && break
		sleep 0.1
	done
	if [ -z "$left" ]; then pass "$name"; else fail "$name" "still running:$left"; fi
}
