# nsd.sh - sourced by shell tests after tests/lib/common.sh: a private nsd on
# 127.0.0.1 serving test zones, and a "silent" server that reads DNS queries
# and never answers (to produce real time-outs).
#
#   nsd_start DIR ZONEFILE:ZONENAME...  sets NSD_PORT, NSD_PID, NSD_DIR
#   nsd_stop                            (registered with at_exit)
#   nsd_queries                         prints how many queries nsd received
#   nsd_stat NAME                       prints one nsd counter (num.tcp, ...)
#   silent_udp_start [DIR]              sets SILENT_PORT, SILENT_PID
#   silent_stop                         (registered with at_exit)
#   silent_queries                      prints how many UDP queries it read
#
# Processes are stopped by their PID only, never by name.

NSD_BIN=${NSD_BIN:-$(command -v nsd || echo /usr/sbin/nsd)}
NSD_CONTROL_BIN=${NSD_CONTROL_BIN:-$(command -v nsd-control || echo /usr/sbin/nsd-control)}
NSD_PORT="" NSD_PID="" NSD_DIR=""
SILENT_PORT="" SILENT_PID="" SILENT_DIR=""

# _nsd_alive PID - true while PID runs (a zombie counts as gone)
_nsd_alive() {
	local state
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$state" ] && [ "$state" != Z ]
}

# _nsd_descendants PID - the PIDs of PID's children, grandchildren, ...
_nsd_descendants() {
	local parent=$1 f rest ppid pid
	for f in /proc/[0-9]*/stat; do
		rest=$(sed 's/.*) //' "$f" 2>/dev/null) || continue
		read -r _ ppid _ <<<"$rest"
		[ "$ppid" = "$parent" ] || continue
		pid=${f#/proc/}
		pid=${pid%/stat}
		echo "$pid"
		_nsd_descendants "$pid"
	done
}

# _nsd_stop_pid PID [tree] - TERM PID, wait up to 5 s, then KILL it (with "tree", its descendants too)
_nsd_stop_pid() {
	local pid=$1 i kids=""
	_nsd_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do
		_nsd_alive "$pid" || return 0
		sleep 0.1
	done
	[ "${2:-}" = tree ] && kids=$(_nsd_descendants "$pid")
	# shellcheck disable=SC2086
	kill -KILL "$pid" $kids 2>/dev/null
	return 0
}

# _nsd_write_conf DIR PORT ZONEFILE:ZONENAME... - write DIR/nsd.conf
_nsd_write_conf() {
	local dir=$1 port=$2 spec file zone n=0
	shift 2
	{
		printf 'server:\n'
		printf '\tip-address: 127.0.0.1\n\tport: %s\n\tserver-count: 1\n' "$port"
		printf '\tusername: ""\n\tchroot: ""\n\tzonesdir: "%s"\n\tdatabase: ""\n' "$dir"
		printf '\tpidfile: "%s/nsd.pid"\n\txfrdfile: "%s/xfrd.state"\n' "$dir" "$dir"
		printf '\tzonelistfile: "%s/zone.list"\n\tlogfile: "%s/nsd.log"\n\tverbosity: 1\n' "$dir" "$dir"
		# A control socket in DIR (no TCP port, no keys) only for nsd_queries.
		printf 'remote-control:\n\tcontrol-enable: yes\n\tcontrol-interface: "%s/nsd.ctl"\n' "$dir"
		for spec in "$@"; do
			file=${spec%%:*} zone=${spec#*:}
			n=$((n + 1))
			cp "$file" "$dir/zone$n.zone" || return 1
			printf 'zone:\n\tname: "%s"\n\tzonefile: "zone%s.zone"\n' "$zone" "$n"
		done
	} >"$dir/nsd.conf"
}

# _nsd_ready PORT ZONE - true if nsd answers ZONE SOA authoritatively
_nsd_ready() {
	local out
	out=$(dig @127.0.0.1 -p "$1" +norec +time=1 +tries=1 "$2" SOA 2>/dev/null) || return 1
	case $out in *"status: NOERROR"*) ;; *) return 1 ;; esac
	case $out in *"flags: qr aa"*) return 0 ;; esac
	return 1
}

# nsd_start DIR ZONEFILE:ZONENAME... - start nsd on 127.0.0.1 serving the zones
nsd_start() {
	local dir=$1 i spec ok
	shift
	if [ ! -x "$NSD_BIN" ]; then
		echo "nsd_start: no nsd (package nsd)" >&2
		return 1
	fi
	if ! command -v dig >/dev/null; then
		echo "nsd_start: no dig to ask nsd whether it answers (package bind9-dnsutils)" >&2
		return 1
	fi
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd)
	NSD_DIR=$dir
	# free_port can race with another process taking the port: try again then
	for _ in 1 2 3; do
		NSD_PORT=$(free_port)
		rm -f "$dir/nsd.pid"
		_nsd_write_conf "$dir" "$NSD_PORT" "$@" || return 1
		if ! "$NSD_BIN" -c "$dir/nsd.conf" >"$dir/nsd.out" 2>&1; then
			continue
		fi
		NSD_PID=""
		for i in $(seq 100); do
			if [ -s "$dir/nsd.pid" ]; then
				NSD_PID=$(tr -dc 0-9 <"$dir/nsd.pid")
				[ -n "$NSD_PID" ] && break
			fi
			sleep 0.1
		done
		if [ -z "$NSD_PID" ]; then
			echo "nsd_start: no pidfile" >&2
			cat "$dir/nsd.out" "$dir/nsd.log" >&2 2>/dev/null
			return 1
		fi
		at_exit nsd_stop
		for i in $(seq 100); do
			_nsd_alive "$NSD_PID" || break
			ok=1
			for spec in "$@"; do
				_nsd_ready "$NSD_PORT" "${spec#*:}" || { ok=0; break; }
			done
			[ "$ok" = 1 ] && return 0
			sleep 0.1
		done
		nsd_stop
	done
	echo "nsd_start: nsd did not come up" >&2
	cat "$dir/nsd.out" "$dir/nsd.log" >&2 2>/dev/null
	return 1
}

# zone_head ORIGIN [TTL] - the start of a test zone: $ORIGIN, $TTL, SOA, NS and the name
# server's address (the negative TTL is TTL too)
zone_head() {
	local t=${2:-300}
	printf '$ORIGIN %s.\n$TTL %s\n@ IN SOA ns hostmaster 1 3600 600 86400 %s\n@ IN NS ns\nns IN A 127.0.0.1\n' \
		"$1" "$t" "$t"
}

# nsd_stop - stop the nsd of nsd_start by its PID (if it must be killed, its own children too)
nsd_stop() {
	[ -n "$NSD_PID" ] || return 0
	_nsd_stop_pid "$NSD_PID" tree
	NSD_PID=""
}

# nsd_stat NAME - one counter of this nsd (e.g. num.queries, num.tcp), from its control socket
nsd_stat() {
	[ -n "$NSD_DIR" ] && [ -x "$NSD_CONTROL_BIN" ] || return 1
	"$NSD_CONTROL_BIN" -c "$NSD_DIR/nsd.conf" stats_noreset 2>/dev/null | sed -n "s/^$1=//p" | grep .
}

# nsd_queries - queries this nsd received so far (UDP and TCP, nsd_start's own dig included)
nsd_queries() {
	nsd_stat num.queries
}

# silent_udp_start [DIR] - a server on 127.0.0.1 (UDP and TCP) that reads queries and never answers
silent_udp_start() {
	local i
	SILENT_DIR=${1:-$TMP/silent}
	mkdir -p "$SILENT_DIR" || return 1
	rm -f "$SILENT_DIR/port" "$SILENT_DIR/count"
	"$PYTHON" - "$SILENT_DIR" >"$SILENT_DIR/out" 2>&1 <<'PY' &
import os, select, socket, sys
d = sys.argv[1]
for _ in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        t.bind(("127.0.0.1", port))
    except OSError:
        u.close(); t.close(); continue
    break
t.listen(16)
with open(os.path.join(d, "port.tmp"), "w") as f:
    f.write("%d\n" % port)
os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
conns, count = [], 0
while True:
    r, _, _ = select.select([u, t] + conns, [], [])
    for s in r:
        if s is u:
            u.recvfrom(65535)
            count += 1
            with open(os.path.join(d, "count"), "w") as f:
                f.write("%d\n" % count)
        elif s is t:
            c, _ = t.accept()
            conns.append(c)
        elif not s.recv(65535):
            conns.remove(s)
            s.close()
PY
	SILENT_PID=$!
	at_exit silent_stop
	for i in $(seq 100); do
		if [ -s "$SILENT_DIR/port" ]; then
			SILENT_PORT=$(tr -dc 0-9 <"$SILENT_DIR/port")
			return 0
		fi
		kill -0 "$SILENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "silent_udp_start: it did not start" >&2
	cat "$SILENT_DIR/out" >&2 2>/dev/null
	return 1
}

# silent_stop - stop the silent server (our child: TERM, wait up to 5 s, KILL, reap)
silent_stop() {
	[ -n "$SILENT_PID" ] || return 0
	_nsd_stop_pid "$SILENT_PID"
	wait "$SILENT_PID" 2>/dev/null
	SILENT_PID=""
}

# silent_queries - UDP queries the silent server has read
silent_queries() {
	if [ -s "$SILENT_DIR/count" ]; then cat "$SILENT_DIR/count"; else echo 0; fi
}
