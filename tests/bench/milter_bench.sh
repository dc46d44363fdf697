#!/usr/bin/env bash
# milter_bench.sh - `make bench-milter` (part of `make bench`): a private
# Postfix on 127.0.0.1 (delivery to discard(8), so only smtpd and the milter
# count), nsd with the test zone, and the same messages (1 KB: one inbound
# message signed by Mail::DKIM, to verify; one submission from
# corp.example.com, to sign; the load client names the inbound message's
# client 192.0.2.1 and the submission's 127.0.0.1 with XCLIENT) sent
# through (a) an smtpd without a milter, (b) one with dkmod-milter and
# (c) one with OpenDKIM's milter doing the same work: DKIM only (dkmod's
# DomainKeys methods are left out of this configuration, since OpenDKIM has
# none), relaxed/relaxed rsa-sha256 signing of the submission, verification of
# the inbound message.  Each milter first proves it does that work (miltertest:
# dkim=pass inserted for the inbound message, a DKIM-Signature for the
# submission) or its row is left out, saying why.
# A fourth setup, (d) dkmod-milter with no method configured (nothing
# verified or signed, the A-R field still added), measures what the milter
# protocol alone costs Postfix and the daemon; a fifth, (e) a bare milter
# (tests/bench/milter_bare.py) that asks Postfix for no step at all, the
# least any milter costs it.
# Prints messages/s, the CPU per message of the milter process, of the
# Postfix instance (its master and every process under it) and of the load
# client, how busy the processors were, and the time per message at one
# session (the latency the milter adds is the difference).
# Reports; never fails.  MILTER_BENCH_MESSAGES (default 3000),
# MILTER_BENCH_SESSIONS (8) and MILTER_BENCH_SOCKET (inet, the default: both
# milters on 127.0.0.1 ports; unix: on unix sockets in the test directory);
# MILTER_BENCH_STATS=1 prints dkmod's shared counters at the end (DNS, cache);
# MILTER_BENCH_SETUPS lists the setups in the order run (a setup may come
# again: the results file has a row per run, the summary the last of each).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
. "$(dirname "$0")/../e2e/lib.sh"
. "$DKMOD_TOP/tests/adapters/lib.sh"
MILTER="$DKMOD_TOP/$BUILD/dkmod-milter"
N=${MILTER_BENCH_MESSAGES:-3000} S=${MILTER_BENCH_SESSIONS:-8} LAT_N=300
OUT="$DKMOD_TOP/$BUILD/bench/milter.tsv"
LOAD=("$PYTHON" "$DKMOD_TOP/tests/bench/milter_load.py")
for t in postfix nsd; do
	command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { echo "milter bench: $t is not installed (make deps)"; exit 0; }
done
[ -x "$MILTER" ] || { echo "milter bench: no $MILTER"; exit 0; }

e2e_stage root "$MILTER" >/dev/null || { echo "milter bench: keys, zone or nsd failed"; exit 0; }
cd "$TMP" || exit 1
# nsd serves com as well, as on the Internet: DMARC's walk up the tree asks _dmarc.com and gets an
# NXDOMAIN the resolver keeps (without it nsd refuses, and the failure, kept by no cache, was a
# lookup through libunbound for every inbound message)
printf '$ORIGIN com.\n@ 3600 IN SOA a.gtld-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 900\n' >com.zone
nsd_stop
nsd_start "$TMP/nsd" "$AD_DIR/example.com.zone:example.com" "$TMP/com.zone:com" >/dev/null ||
	{ echo "milter bench: nsd does not start with the com zone"; exit 0; }
DPORT=$(free_port) OPORT=$(free_port) NPORT=$(free_port) BPORT=$(free_port)
# the milters' sockets: the daemons' form (inet:PORT@HOST), Postfix's for smtpd_milters
if [ "${MILTER_BENCH_SOCKET:-inet}" = unix ]; then
	DSOCK=unix:$TMP/dkmod.sock OSOCK=local:$TMP/opendkim.sock NSOCK=unix:$TMP/null.sock BSOCK=unix:$TMP/bare.sock
	DSMTPD=unix:$TMP/dkmod.sock OSMTPD=unix:$TMP/opendkim.sock NSMTPD=unix:$TMP/null.sock BSMTPD=unix:$TMP/bare.sock
else
	DSOCK=inet:$DPORT@127.0.0.1 OSOCK=inet:$OPORT@127.0.0.1 NSOCK=inet:$NPORT@127.0.0.1 BSOCK=inet:$BPORT@127.0.0.1
	DSMTPD=inet:127.0.0.1:$DPORT OSMTPD=inet:127.0.0.1:$OPORT NSMTPD=inet:127.0.0.1:$NPORT BSMTPD=inet:127.0.0.1:$BPORT
fi
adapters_conf dkmod.conf "forward = { \"127.0.0.1@$NSD_PORT\" }, timeout = 2" "$AD_DIR/default.lua"
mkdir -p state
# DKIM only, as OpenDKIM: no DomainKeys validation or signing block
sed -i '/^log { level = "info" }$/d; /^dk_validate /d; /^dk_sign /,/^}/d' dkmod.conf
printf 'keycache { state_dir = "%s/state" }\nlog { level = "warning" }\nmilter { socket = "%s" }\n' "$TMP" "$DSOCK" >>dkmod.conf
# (d): no method block, its own state directory
mkdir -p null-state
sed '/^dkim_validate /d; /^dkim_sign /,/^}/d; /^keycache /d; /^milter /d' dkmod.conf >null.conf
printf 'keycache { state_dir = "%s/null-state" }\nmilter { socket = "%s" }\n' "$TMP" "$NSOCK" >>null.conf
# the messages: 1 KB bodies
body=$(printf 'line %04d of a one kilobyte body, the same for every milter.......\n' $(seq 16))
printf 'From: alice@peer.example.com\nTo: bob@example.net\nSubject: inbound\nDate: Wed, 25 Nov 2026 12:00:00 +0000\nMessage-ID: <in.1@peer.example.com>\n\n%s\n' "$body" >in-plain.eml
peer_sign in-plain.eml >inbound.eml
printf 'From: alice@corp.example.com\nTo: bob@example.net\nSubject: submission\nDate: Wed, 25 Nov 2026 12:00:00 +0000\nMessage-ID: <sub.1@corp.example.com>\n\n%s\n' "$body" >submission.eml

"$TMP/e2e-bin/dkmod-milter" --config dkmod.conf --foreground >dkmod-milter.log 2>&1 &
DKPID=$!
at_exit 'kill -TERM $DKPID 2>/dev/null'
"$TMP/e2e-bin/dkmod-milter" --config null.conf --foreground >dkmod-null.log 2>&1 &
NUPID=$!
at_exit 'kill -TERM $NUPID 2>/dev/null'
sleep 1
kill -0 "$DKPID" 2>/dev/null || echo "milter bench: dkmod-milter did not start: $(tail -n 3 dkmod-milter.log)"
kill -0 "$NUPID" 2>/dev/null || echo "milter bench: dkmod-milter (no method) did not start: $(tail -n 3 dkmod-null.log)"
# (e): the least any milter asks of Postfix (tests/bench/milter_bare.py)
"$PYTHON" "$DKMOD_TOP/tests/bench/milter_bare.py" "$BSOCK" >bare.log 2>&1 &
BAPID=$!
at_exit 'kill -TERM $BAPID 2>/dev/null'
chmod 0666 "$TMP/dkmod.sock" "$TMP/null.sock" 2>/dev/null # a unix socket: smtpd (user postfix) connects to it
# OpenDKIM's milter, the same key and zone, its resolver (libunbound) forwarding to nsd
ODPID=""
if command -v opendkim >/dev/null; then
	# the peer's public key from the zone as TestPublicKeys: OpenDKIM 2.11's libunbound resolver
	# (ResolverConfiguration, forwarding to nsd) dies under the load with a garbled parse of
	# its own configuration file, so OpenDKIM asks no DNS here (dkmod-milter's warm key cache
	# asks none either)
	grep '^p._domainkey.peer IN TXT' "$AD_DIR/example.com.zone" |
		sed 's/^p._domainkey.peer IN TXT "\(.*\)"$/p._domainkey.peer.example.com \1/' >testkeys
	echo "s1._domainkey.corp.example.com corp.example.com:s1:$AD_DIR/keys/corp.example.com/s1.key" >keytable
	echo "*@corp.example.com s1._domainkey.corp.example.com" >signingtable
	cat >opendkim.conf <<EOF
Syslog no
Mode sv
Socket $OSOCK
KeyTable file:$TMP/keytable
SigningTable refile:$TMP/signingtable
InternalHosts 127.0.0.1
TestPublicKeys $TMP/testkeys
Canonicalization relaxed/relaxed
SignatureAlgorithm rsa-sha256
AuthservID mx.example.net
UserID root
UMask 000
RequireSafeKeys false
EOF
	# RequireSafeKeys: the key lies under the test directory in /tmp, a directory others may write,
	# for which OpenDKIM refuses to load it ("key data is not secure") and tempfails every submission
	opendkim -f -x opendkim.conf >opendkim.log 2>&1 &
	ODPID=$!
	at_exit 'kill -TERM $ODPID 2>/dev/null'
fi
sleep 1
# does_work NAME PORT - the milter at PORT verifies the inbound message and signs the submission
does_work() {
	local mt="$DKMOD_TOP/tests/adapters/milter/mt_send.lua"
	command -v miltertest >/dev/null || { echo "miltertest is not installed (make deps)"; return 1; }
	timeout 30 miltertest -s "$mt" -D "sock=$2" -D msg=inbound.eml -D from=alice@peer.example.com >"mt-$1-in.txt" 2>&1 &&
		grep -q '^insert Authentication-Results:.*dkim=pass' "mt-$1-in.txt" ||
		{ echo "$1 did not verify the inbound message: $(tr '\n' ' ' <"mt-$1-in.txt" | cut -c1-200)"; return 1; }
	timeout 30 miltertest -s "$mt" -D "sock=$2" -D msg=submission.eml -D ip=127.0.0.1 -D from=alice@corp.example.com >"mt-$1-sub.txt" 2>&1 &&
		grep -q '^insert DKIM-Signature:.*d=corp.example.com' "mt-$1-sub.txt" ||
		{ echo "$1 did not sign the submission: $(tr '\n' ' ' <"mt-$1-sub.txt" | cut -c1-200)"; return 1; }
}
# one smtpd per setup (no reload between them): the instance's own port without a milter
P_DK=$(free_port) P_OD=$(free_port) P_NU=$(free_port) P_BA=$(free_port)
# shellcheck disable=SC2034 # read by postfix_start
POSTFIX_MAIN_EXTRA="default_transport = discard
relay_transport = discard
milter_default_action = tempfail
milter_protocol = 6
smtpd_authorized_xclient_hosts = 127.0.0.1, 192.0.2.1
relay_domains = example.net"
# shellcheck disable=SC2034
POSTFIX_MASTER_EXTRA="127.0.0.1:$P_DK inet n - n - - smtpd
  -o smtpd_milters=$DSMTPD
127.0.0.1:$P_OD inet n - n - - smtpd
  -o smtpd_milters=$OSMTPD
127.0.0.1:$P_NU inet n - n - - smtpd
  -o smtpd_milters=$NSMTPD
127.0.0.1:$P_BA inet n - n - - smtpd
  -o smtpd_milters=$BSMTPD"
postfix_start >/dev/null 2>&1 || { echo "milter bench: postfix does not start"; exit 0; }
at_exit 'postfix_stop; nsd_stop'
sleep 1

ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# postfix_ticks - the Postfix instance's CPU ticks: its master (and the children it reaped) and the
# master's children alive now (smtpd, cleanup, qmgr, discard...)
postfix_ticks() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v m="$POSTFIX_PID" '{ pid = $1; sub(/.*\) /, "") }
		pid == m || $2 == m { t += $12 + $13 + $14 + $15 } END { print t + 0 }'
}
now_ns() { date +%s%N; }
# busy_ticks - the machine's busy ticks, all processors (/proc/stat: all but idle and iowait)
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
HZ=$(getconf CLK_TCK) NCPU=$(nproc)
mkdir -p "$(dirname "$OUT")"
printf 'setup\tmessages_per_s\tmilter_cpu_ms_per_msg\tms_per_msg_one_session\trefused\tpostfix_cpu_ms_per_msg\tclient_cpu_ms_per_msg\tmachine_busy\n' >"$OUT"
for setup in ${MILTER_BENCH_SETUPS:-none dkmod-milter opendkim dkmod-nomethod bare}; do
	case $setup in
	none) port=$POSTFIX_PORT pid="" ;;
	dkmod-nomethod) port=$P_NU pid=$NUPID mport=$NSOCK ;;
	bare) port=$P_BA pid=$BAPID mport=$BSOCK ;;
	dkmod-milter) port=$P_DK pid=$DKPID mport=$DSOCK ;;
	opendkim) port=$P_OD pid=$ODPID mport=$OSOCK ;;
	esac
	if [ "$setup" != none ] && [ "$setup" != dkmod-nomethod ] && [ "$setup" != bare ]; then
		if [ -z "$pid" ]; then
			echo "milter bench: $setup is not installed (make deps), no row"
			continue
		fi
		why=$(does_work "$setup" "$mport") || { echo "milter bench: $why; no row"; continue; }
	fi
	"${LOAD[@]}" "$port" "$S" 200 inbound.eml submission.eml >/dev/null # warm: caches, processes
	c0=0 c1=0
	[ -n "$pid" ] && c0=$(ticks "$pid")
	p0=$(postfix_ticks) b0=$(busy_ticks) w0=$(now_ns)
	read -r n secs refused lcpu < <("${LOAD[@]}" "$port" "$S" "$N" inbound.eml submission.eml)
	p1=$(postfix_ticks) b1=$(busy_ticks) w1=$(now_ns)
	[ -n "$pid" ] && c1=$(ticks "$pid")
	if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
		echo "milter bench: $setup died under the load: $(tail -n 3 "$setup.log" | tr '\n' ' '); no row"
		continue
	fi
	read -r _ lsecs lref _ < <("${LOAD[@]}" "$port" 1 "$LAT_N" inbound.eml submission.eml)
	rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
	cpu=$(awk -v c=$((c1 - c0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.3f", c * 1000 / hz / n }')
	lat=$(awk -v s="$lsecs" -v n="$LAT_N" 'BEGIN { printf "%.3f", s * 1000 / n }')
	pcpu=$(awk -v c=$((p1 - p0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.3f", c * 1000 / hz / n }')
	ccpu=$(awk -v c="$lcpu" -v n="$n" 'BEGIN { printf "%.3f", c * 1000 / n }')
	busy=$(awk -v c=$((b1 - b0)) -v hz="$HZ" -v ns=$((w1 - w0)) -v k="$NCPU" 'BEGIN { printf "%.2f", c / hz / (ns / 1e9) / k }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$setup" "$rate" "$cpu" "$lat" "$((refused + lref))" \
		"$pcpu" "$ccpu" "$busy" >>"$OUT"
done
awk -F'\t' 'NR > 1 { r[$1] = $2; c[$1] = $3; l[$1] = $4; x[$1] = $5; p[$1] = $6; lc[$1] = $7; b[$1] = $8 }
	END {
		printf "%-14s %10s %13s %16s %7s %14s %13s %13s %5s\n", "milter", "messages/s", "milter CPU", "ms/msg (1 sess.)",
			"refused", "Postfix CPU", "load CPU", "all three", "busy"
		split("none dkmod-milter opendkim dkmod-nomethod bare", k, " ")
		for (i = 1; i <= 5; i++) if (k[i] in r) {
			t[k[i]] = c[k[i]] + p[k[i]] + lc[k[i]]
			printf "%-14s %10s %10s ms %16s %7s %11s ms %10s ms %10.3f ms %5s\n", k[i], r[k[i]], c[k[i]], l[k[i]], x[k[i]],
				p[k[i]], lc[k[i]], t[k[i]], b[k[i]]
		}
		print "(CPU columns: per message; busy: the share of all processors in use during the run)"
		printf "dkmod-milter throughput / no milter: %.2f (target >= 0.9)\n", r["dkmod-milter"] / r["none"]
		printf "time added per message at one session: %.3f ms (target <= 2)\n", l["dkmod-milter"] - l["none"]
		# where the machine is the limit, throughput goes as the inverse of the CPU each message takes
		printf "Postfix CPU per message added by dkmod-milter: %.3f ms; CPU per message of all three, no milter / dkmod-milter: %.2f\n",
			p["dkmod-milter"] - p["none"], t["none"] / t["dkmod-milter"]
		if ("dkmod-nomethod" in r) {
			printf "dkmod-milter with no method (the protocol alone) / no milter: %.2f\n", r["dkmod-nomethod"] / r["none"]
			printf "Postfix CPU per message added by dkmod-milter with no method: %.3f ms\n", p["dkmod-nomethod"] - p["none"]
		}
		if ("bare" in r) {
			printf "bare milter (asks for no step) / no milter: %.2f\n", r["bare"] / r["none"]
			# the floor of any milter: Postfix'"'"'s CPU for it alone caps the ratio where the CPU is the limit
			d = p["bare"] - p["none"]
			printf "Postfix CPU per message added by the bare milter: %.3f ms, %.0f%% of all three without a milter: where the CPU is the limit, no milter can keep Postfix above %.2f of its throughput without one\n",
				d, 100 * d / t["none"], t["none"] / (t["none"] + d)
		}
		if ("opendkim" in r) {
			printf "opendkim throughput / no milter: %.2f\n", r["opendkim"] / r["none"]
			if (c["opendkim"] > 0) printf "dkmod-milter CPU per message / opendkim: %.2f (target <= 0.5)\n", c["dkmod-milter"] / c["opendkim"]
		}
	}' "$OUT"
echo "dkmod-milter log: $(grep -c . dkmod-milter.log) lines"
[ -n "${MILTER_BENCH_STATS:-}" ] && "$DKMOD_TOP/$BUILD/dkmod" console --state "$TMP/state" stats 2>&1 | head -60
echo "(table in $OUT)"
