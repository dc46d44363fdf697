# dnsdelay.sh - sourced after common.sh and nsd.sh: start tests/lib/dnsdelay.py,
# a DNS proxy on 127.0.0.1 that delays, drops or mangles answers.

# dnsdelay_start DIR ARGS... - start tests/lib/dnsdelay.py; sets DD_PID, DD_PORT, DD_COUNT (its count file)
dnsdelay_start() {
	local dir=$1 i
	shift
	mkdir -p "$dir" || return 1
	rm -f "$dir/port"
	"$PYTHON" "$DKMOD_TOP/tests/lib/dnsdelay.py" --port-file "$dir/port" --count-file "$dir/count" "$@" \
		>"$dir/out" 2>&1 &
	DD_PID=$!
	DD_COUNT="$dir/count"
	at_exit "_nsd_stop_pid $DD_PID; wait $DD_PID 2>/dev/null"
	for i in $(seq 100); do
		if [ -s "$dir/port" ]; then
			DD_PORT=$(tr -dc 0-9 <"$dir/port")
			return 0
		fi
		_nsd_alive "$DD_PID" || break
		sleep 0.05
	done
	echo "dnsdelay_start: it did not start: $(cat "$dir/out")" >&2
	return 1
}

