#!/usr/bin/env bash
# t_faults.sh - faults and message accounting: every message handed in is
# delivered, deferred or rejected with an SMTP code, none disappears.
# Cases: the Nth malloc/calloc/realloc failing (LD_PRELOAD failmalloc.c)
# in `dkmod process` and dkmod-pipe; broken signing keys (missing,
# unreadable, world-readable, garbage, wrong type); a broken shared cache
# (missing dir, path under a regular file, corrupt data file, full tmpfs);
# dkmod-stdio killed or sent TERM mid-message; dkmod-pipe sent TERM while
# reading and while reinjecting.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../adapters/lib.sh"
PIPE="$DKMOD_TOP/$BUILD/dkmod-pipe"
# LD_PRELOAD cannot reach a static dkmod-pipe: the OOM sweep runs its dynamic twin (same objects)
PIPE_DYN="$DKMOD_TOP/$BUILD/dkmod-pipe-dynamic"
[ -x "$PIPE_DYN" ] || PIPE_DYN=$PIPE
STDIO="$DKMOD_TOP/$BUILD/dkmod-stdio"
CLIENT=("$PYTHON" "$DKMOD_TOP/tests/adapters/stdio_client.py")
cd "$TMP" || exit 1
for b in "$PIPE" "$STDIO" "$DKMOD"; do [ -x "$b" ] || { fail "built" "no $b"; exit 1; }; done
adapters_setup "$TMP/ad" || { fail "keys and zone"; exit 1; }
ZONE="zone = \"$AD_DIR/example.com.zone\""
adapters_conf z.conf "$ZONE"
echo "keycache { state_dir = \"$TMP/state\" }" >>z.conf
mail_from a@example.com >plain.eml
mail_from a@corp.example.com >corp.eml
peer_sign plain.eml >signed.eml 2>/dev/null
mail_from a@strict.example.com >strict.eml
mkdir out
cat >sendmail <<EOF
#!/bin/sh
# stub sendmail: stores the message in \$STORE (default out/msg); FAKE_SLOW=1 sleeps first
[ -n "\${FAKE_SLOW:-}" ] && sleep 3
cat >\${STORE:-$TMP/out/msg}
EOF
chmod 755 sendmail
HANDED=0 DELIVERED=0 DEFERRED=0 REJECTED=0 LOST=0

# account NAME RC [STORED] - book one dkmod-pipe run: 0 with a stored copy, 75, 69; anything else is lost
account() {
	local name=$1 rc=$2 stored=${3:-$TMP/out/msg}
	HANDED=$((HANDED + 1))
	case $rc in
	0) if [ -s "$stored" ]; then DELIVERED=$((DELIVERED + 1)); else LOST=$((LOST + 1)); fail "$name: exit 0, nothing reinjected"; fi ;;
	75) DEFERRED=$((DEFERRED + 1)) ;;
	69) REJECTED=$((REJECTED + 1)) ;;
	*) LOST=$((LOST + 1)); fail "$name: exit $rc is no SMTP outcome" ;;
	esac
}

# pipe_run NAME CONF ARGS... <MSG - run dkmod-pipe, book it; RC, out.txt, log.txt
pipe_run() {
	local name=$1 conf=$2
	shift 2
	rm -f out/msg
	"$PIPE" --config "$conf" --sendmail "$TMP/sendmail" --log-file "$TMP/log.txt" "$@" >out.txt 2>err.txt
	RC=$?
	account "$name" "$RC"
}

# intact FILE ORIG - FILE ends with ORIG byte for byte, below added fields only
intact() {
	local n
	n=$(wc -c <"$2")
	tail -c "$n" "$1" | cmp -s - "$2" &&
		! head -c $(($(wc -c <"$1") - n)) "$1" | grep -qvE '^(Authentication-Results|DomainKey-Status|DKIM-Signature|DomainKey-Signature):|^[[:space:]]'
}

# crash_where N CMD... - the object of the innermost frame when CMD crashes under gdb, allocation N failing
crash_where() {
	local n=$1 where=""
	shift
	command -v gdb >/dev/null || { echo "?"; return; }
	# a loaded machine can keep gdb from reaching the crash in time: a second try before the
	# crash counts as one nobody located (and so as dkmod's own)
	for _ in 1 2; do
		where=$(timeout 60 gdb -q -batch -ex 'set startup-with-shell off' -ex "set environment LD_PRELOAD=$TMP/failmalloc.so" \
			-ex "set environment FAILMALLOC_N=$n" -ex run -ex 'bt 3' --args "$@" 2>/dev/null <"$TMP/signed.eml" |
			grep -m 1 '^#0' | sed -E 's/.* from ([^ ]*).*/\1/; s/.* at ([^ ]*).*/\1/')
		[ -n "$where" ] && break
	done
	echo "$where"
}

# ---- out of memory: the Nth allocation fails (gdb names the library a crash is in)
need_cmd "gdb for the crash reports" gdb
if cp "$DKMOD_TOP/$BUILD/tests/failmalloc.so" failmalloc.so 2>cc.txt; then
	# oom_sweep NAME KIND - sweep N for KIND (process or pipe), print a tally of outcomes
	oom_sweep() {
		local name=$1 kind=$2 n rc calls where step sig=0 third=0 bad=0 tally="" out caller
		declare -A seen=()
		rm -f rep.txt
		if [ "$kind" = process ]; then
			FAILMALLOC_N=0 FAILMALLOC_REPORT=rep.txt LD_PRELOAD=$TMP/failmalloc.so \
				"$DKMOD" process --config z.conf --relay signed.eml >/dev/null 2>&1
		else
			FAILMALLOC_N=0 FAILMALLOC_REPORT=rep.txt LD_PRELOAD=$TMP/failmalloc.so \
				"$PIPE_DYN" --config z.conf --sendmail "$TMP/sendmail" --relay -f a@example.com -- b@example.net <signed.eml >/dev/null 2>&1
		fi
		calls=$(sed -n 's/^calls=//p' rep.txt | tail -n 1)
		[ -n "$calls" ] || { fail "$name: count allocations" "no report"; return; }
		step=$(((calls + 59) / 60))
		for n in $(seq 1 7 400) $(seq 401 "$step" "$calls"); do
			rm -f rep.txt out/msg oom.out
			if [ "$kind" = process ]; then
				FAILMALLOC_N=$n FAILMALLOC_REPORT=rep.txt LD_PRELOAD=$TMP/failmalloc.so \
					timeout 20 "$DKMOD" process --config z.conf --relay signed.eml >oom.out 2>oom.err
				rc=$?
			else
				FAILMALLOC_N=$n FAILMALLOC_REPORT=rep.txt LD_PRELOAD=$TMP/failmalloc.so \
					timeout 20 "$PIPE_DYN" --config z.conf --sendmail "$TMP/sendmail" --relay --log-file oom.err \
					-f a@example.com -- b@example.net <signed.eml >oom.out 2>>oom.err
				rc=$?
			fi
			caller=$(sed -n 's/^failed=[0-9]* caller=//p' rep.txt)
			if { [ "$rc" -gt 128 ] && [ "$rc" != 143 ]; } || [ "$rc" = 124 ]; then
				# where did it die? the shim's own record of the crashing run; else the innermost
				# frame of a rerun under gdb, same N
				where=$(sed -n 's/^crash=\([^ ]*\) .*/\1/p' rep.txt | head -n 1)
				if [ -n "$where" ]; then
					:
				elif [ "$kind" = process ]; then
					where=$(crash_where "$n" "$DKMOD" process --config z.conf --relay "$TMP/signed.eml")
				else
					where=$(crash_where "$n" "$PIPE_DYN" --config z.conf --sendmail "$TMP/sendmail" --relay -f a@example.com -- b@example.net)
				fi
				echo "  $name: N=$n exit $rc: the failed allocation was called from ${caller##*/}, the crash is in ${where:-?}"
				case $where in
				*/lib*.so* | lib*.so*) third=$((third + 1)); seen["${where##*/}"]=1; out=third-party-crash ;;
				*) sig=$((sig + 1)); out=crash ;;
				esac
				[ "$kind" = pipe ] && account "$name N=$n" "$rc"
			elif [ "$kind" = process ]; then
				case $rc in
				0) if intact oom.out signed.eml; then out=accept; else out=accept-damaged; bad=$((bad + 1)); fi ;;
				2 | 70 | 78) out=tempfail-$rc ;;
				*) out=other-$rc; bad=$((bad + 1)) ;;
				esac
			else
				account "$name N=$n" "$rc"
				case $rc in
				0) if [ -f out/msg ] && intact out/msg signed.eml; then out=delivered; else out=delivered-damaged; bad=$((bad + 1)); cp out/msg "$TMP/damaged.$n"; echo "  $name: N=$n delivered a damaged copy: $(tail -n 2 oom.err | tr '\n' ' ')"; fi ;;
				75) out=deferred-75 ;;
				*) out=other-$rc; bad=$((bad + 1)) ;;
				esac
			fi
			tally="$tally $out"
		done
		echo "  $name ($calls allocations per run): $(echo $tally | tr ' ' '\n' | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
		check_eq "$name: no crash in dkmod's own code" "$sig" 0
		check_eq "$name: every outcome defined (accept intact or tempfail)" "$bad" 0
		if [ "$third" -gt 0 ]; then
			skip "$name: third-party library crashed after its allocation failed" "$third runs, in ${!seen[*]}"
		else
			pass "$name: no third-party crash"
		fi
	}
	oom_sweep "OOM dkmod process" process
	oom_sweep "OOM dkmod-pipe" pipe
else
	fail "OOM sweep" "no $BUILD/tests/failmalloc.so (make unit builds it): $(head -n 1 cc.txt)"
fi

# ---- signing keys
keyconf() { # FILE KEYPATH - z.conf signing with KEYPATH
	sed "s|key = \"$AD_DIR/keys/%{d}/%{s}.key\"|key = \"$2\"|" z.conf >"$1"
}
cp "$AD_DIR/keys/corp.example.com/s1.key" good.key
mkdir keydir
cp good.key open.key && chmod 644 open.key
head -c 900 /dev/urandom >garbage.key && chmod 600 garbage.key
openssl genpkey -algorithm ED25519 -out ed.key 2>/dev/null && chmod 600 ed.key
openssl pkey -in good.key -pubout -out pub.key 2>/dev/null && chmod 600 pub.key
for k in "missing:$TMP/nonexistent.key" "unreadable (a directory):$TMP/keydir" "world-readable:$TMP/open.key" \
	"garbage:$TMP/garbage.key" "wrong type (Ed25519 for rsa-sha256 and DomainKeys):$TMP/ed.key" "wrong type (public key):$TMP/pub.key"; do
	name="key ${k%%:*}"
	keyconf k.conf "${k#*:}"
	: >log.txt
	pipe_run "$name" k.conf --relay -f a@corp.example.com -- b@example.net <corp.eml
	logl=$(grep -i -m 1 -E 'key' log.txt)
	if [ "$RC" = 75 ]; then
		check "$name: deferred (75) with a log line" test -n "$logl"
	elif [ "$RC" = 0 ] && ! grep -q '^DKIM-Signature' out/msg; then
		check "$name: passed on unsigned, with a log line" test -n "$logl"
	else
		fail "$name: deferred or passed unsigned" "exit $RC, $(grep -c '^DKIM-Signature' out/msg 2>/dev/null) signatures"
	fi
	echo "  $name: exit $RC; log: ${logl:0:160}"
done
keyconf k.conf "$TMP/open.key"
"$DKMOD" process --config k.conf --relay corp.eml >/dev/null 2>perr.txt
check "world-readable key: the refusal names the reason" grep -q -i -E 'readable|accessible|permission|mode' perr.txt

# ---- the shared cache
cacheconf() { # FILE DIR - z.conf with the state in DIR
	sed "s|state_dir = \"$TMP/state\"|state_dir = \"$2\"|" z.conf >"$1"
}
# cache_case NAME DIR - signed, relay and plain mail through pipe with the state in DIR
cache_case() {
	cacheconf c.conf "$2"
	pipe_run "$1: verify" c.conf -f a@example.com -- b@example.net <signed.eml
	check_eq "$1: verified mail delivered" "$RC/$(ar_results out/msg)" "0/dkim=pass domainkeys=none"
	pipe_run "$1: sign" c.conf --relay -f a@corp.example.com -- b@example.net <corp.eml
	check "$1: relay mail signed and delivered" grep -q '^DKIM-Signature' out/msg
	req signed.eml | timeout 20 "$STDIO" --config c.conf >rep.txt 2>/dev/null
	check "$1: dkmod-stdio accepts" grep -q '^action accept' rep.txt
	HANDED=$((HANDED + 1)) DELIVERED=$((DELIVERED + 1))
}
req() { "${CLIENT[@]}" req "$@"; }
cache_case "cache: missing dir" "$TMP/nostate/deeper/state"
touch regular
cache_case "cache: path under a regular file" "$TMP/regular/state"
mkdir corrupt && head -c 200000 /dev/urandom >corrupt/data.mdb && head -c 8192 /dev/urandom >corrupt/lock.mdb
cache_case "cache: corrupt data and lock files" "$TMP/corrupt"
mkdir full
if mount -t tmpfs -o size=200k tmpfs "$TMP/full" 2>/dev/null; then
	at_exit "umount '$TMP/full'"
	head -c 190000 /dev/zero >full/filler 2>/dev/null
	cache_case "cache: full disk (200k tmpfs)" "$TMP/full/state"
	rm -f full/filler
	head -c 120000 /dev/zero >full/filler2 2>/dev/null
	cache_case "cache: nearly full disk" "$TMP/full/state2"
else
	skip "cache: full disk" "cannot mount a tmpfs (needs root with mount rights; no package gives them)"
fi

# ---- processes stopped mid-message
big() { # a 3 MB message on stdout
	cat plain.eml
	head -c 3000000 /dev/zero | tr '\0' x | fold -w 70
}
big >big.eml
# stdio_signal SIG - dkmod-stdio gets SIG while a request is half written; prints what came back
stdio_signal() {
	"$PYTHON" - "$STDIO" "$TMP/z.conf" "$TMP/big.eml" "$1" <<'PY'
import os, signal, subprocess, sys, time
sys.path.insert(0, os.environ["DKMOD_TOP"] + "/tests/adapters")
import stdio_client
stdio, conf, big, sig = sys.argv[1:5]
p = subprocess.Popen([stdio, "--config", conf], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
req = stdio_client.request(big, rid="1")
p.stdin.write(req[: len(req) // 2]); p.stdin.flush()
time.sleep(0.3)
p.send_signal(getattr(signal, sig))
out = p.stdout.read()
rc = p.wait()
print("rc=%d bytes=%d complete=%s" % (rc, len(out), out == b"" or out.endswith(b"end\n")))
# a new filter answers the next message
p = subprocess.Popen([stdio, "--config", conf], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
out, _ = p.communicate(stdio_client.request(big, rid="2"))
print("restart", b"id 2\naction accept" in out)
PY
}
export DKMOD_TOP
res=$(stdio_signal SIGKILL)
check_eq "dkmod-stdio killed mid-message: client sees EOF, no reply" "$(head -n 1 <<<"$res")" "rc=-9 bytes=0 complete=True"
check_eq "dkmod-stdio killed: a restarted filter answers the next" "$(tail -n 1 <<<"$res")" "restart True"
res=$(stdio_signal SIGTERM)
case $(head -n 1 <<<"$res") in
"rc=-15 bytes=0 complete=True" | "rc=0 "*"complete=True") pass "dkmod-stdio SIGTERM mid-message: no partial reply ($(head -n 1 <<<"$res"))" ;;
*) fail "dkmod-stdio SIGTERM mid-message: no partial reply" "$res" ;;
esac
check_eq "dkmod-stdio SIGTERM: a restarted filter answers the next" "$(tail -n 1 <<<"$res")" "restart True"
HANDED=$((HANDED + 2)) DEFERRED=$((DEFERRED + 2)) # the MTA's client saw EOF: 451, it retries

# pipe_term NAME [slow] - dkmod-pipe gets TERM while reading stdin, or (slow) while sendmail runs
pipe_term() {
	rm -f out/msg slow.fifo
	mkfifo slow.fifo
	FAKE_SLOW=${2:-} "$PIPE" --config z.conf --sendmail "$TMP/sendmail" --log-file "$TMP/log.txt" \
		-f a@example.com -- b@example.net <slow.fifo >out.txt 2>&1 &
	local pid=$! feeder
	if [ -n "${2:-}" ]; then cat big.eml >slow.fifo; else { head -c 1000 big.eml; sleep 1; } >slow.fifo & fi
	feeder=$!
	sleep 0.5
	kill -TERM "$pid"
	wait "$pid"
	RC=$?
	wait "$feeder" 2>/dev/null
	sleep 0.1
	account "$1" "$RC"
	check_eq "$1: exit 75 (Postfix retries)" "$RC" 75
	check_eq "$1: nothing delivered" "$([ -s out/msg ] && echo yes || echo no)" no
}
pipe_term "dkmod-pipe SIGTERM while reading"
pipe_term "dkmod-pipe SIGTERM during reinjection" slow

# ---- accounting
echo "  accounting: handed in $HANDED = delivered $DELIVERED + deferred $DEFERRED + rejected $REJECTED (lost $LOST)"
check_eq "no message lost" "$LOST/$((DELIVERED + DEFERRED + REJECTED))" "0/$HANDED"
