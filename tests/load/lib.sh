# lib.sh - sourced by tests/load/*.sh after tests/lib/common.sh, nsd.sh and
# tests/adapters/lib.sh: a real nsd serving the adapters' test zone, a
# configuration with the shared cache in one state dir, a mixed corpus, and
# the concurrent stdio and pipe load phases driven by tests/load/client.py.
#
#   load_setup DIR          keys, zone, nsd, DIR/load.conf, DIR/state, stub sendmail
#   load_corpus DIR         DIR/corpus/*.eml and DIR/manifest (file class action relay sender)
#   load_phase MODE N C     N messages through C concurrent clients; sets PH_* results
# shellcheck shell=bash disable=SC2034
LOAD_CLIENT="$DKMOD_TOP/tests/load/client.py"
STDIO="$DKMOD_TOP/$BUILD/dkmod-stdio"
PIPE="$DKMOD_TOP/$BUILD/dkmod-pipe"
LD=""

# load_setup DIR - keys and zone, nsd on loopback, the configuration and a stub sendmail
load_setup() {
	LD=$1
	mkdir -p "$LD" || return 1
	adapters_setup "$LD/ad" || return 1
	nsd_start "$LD/nsd" "$AD_DIR/example.com.zone:example.com" || return 1
	adapters_conf "$LD/load.conf" "forward = { \"127.0.0.1@$NSD_PORT\" }, timeout = 5"
	mkdir -p "$LD/state" && echo "keycache { state_dir = \"$LD/state\" }" >>"$LD/load.conf"
	sed -i 's/level = "info"/level = "warning"/' "$LD/load.conf"
	# relay mail is signed and verified too: every message counts under dkim_validate1
	sed -i 's/^dk_validate "dk_validate1" { }/dk_validate "dk_validate1" { verify_signed = true }/' "$LD/load.conf"
	cat >"$LD/sendmail" <<EOS
#!/bin/sh
# stub sendmail: stores the message when LOAD_STORE names a file, else discards it
if [ -n "\${LOAD_STORE:-}" ]; then cat >"\$LOAD_STORE"; else cat >/dev/null; fi
EOS
	chmod 755 "$LD/sendmail"
}

# _load_body FILE SIZE - a message body of about SIZE bytes appended to FILE
_load_body() {
	"$PYTHON" - "$1" "$2" <<'PY'
import sys
path, size = sys.argv[1], int(sys.argv[2])
crlf = size % 3 == 0
eol = "\r\n" if crlf else "\n"
with open(path, "rb") as f:
    head = f.read().replace(b"\n", eol.encode())
out = [head, eol.encode(), ("LINE 0 marker" + eol).encode()]
n, i = len(head), 1
while n < size:
    line = ("LINE %d " % i + "".join(chr(33 + (i * 7 + k) % 90) for k in range(60)) + eol).encode()
    out.append(line)
    n += len(line)
    i += 1
open(path, "wb").write(b"".join(out))
PY
}

# load_corpus DIR - signed (DKIM, DomainKeys), unsigned, tampered, to-sign and to-reject messages
load_corpus() {
	local d=$1/corpus man=$1/manifest i size f
	local sizes=(1024 1100 2048 2500 3000 4096 6000 10000 20000 50000 200000 1048576)
	mkdir -p "$d" && : >"$man"
	i=0
	for size in "${sizes[@]}"; do
		i=$((i + 1))
		mail_from a@example.com "load $i" | sed '/^$/,$d' >"$d/base.hdr"
		# DKIM-signed by the peer key: pass
		cp "$d/base.hdr" "$d/u$i.eml" && _load_body "$d/u$i.eml" "$size"
		peer_sign "$d/u$i.eml" >"$d/dkim$i.eml" || return 1
		echo "$d/dkim$i.eml dkim accept 0 a@example.com" >>"$man"
		# tampered: the body changed after signing (dkim=fail, delivered)
		sed 's/^LINE 0 marker/LINE 0 MARKER/' "$d/dkim$i.eml" >"$d/tamp$i.eml"
		echo "$d/tamp$i.eml tampered accept 0 a@example.com" >>"$man"
		# unsigned, no policy: delivered
		echo "$d/u$i.eml unsigned accept 0 a@example.com" >>"$man"
		# DomainKeys-signed by the strict domain (o=-): pass
		mail_from a@strict.example.com "load dk $i" | sed '/^$/,$d' >"$d/s.hdr"
		cp "$d/s.hdr" "$d/su$i.eml" && _load_body "$d/su$i.eml" "$size"
		"$DKMOD" sign --type domainkeys --domain strict.example.com --selector k \
			--key "$AD_DIR/keys/strict/k.key" "$d/su$i.eml" >"$d/dk$i.eml" || return 1
		echo "$d/dk$i.eml dk accept 0 a@strict.example.com" >>"$man"
		# unsigned from the DMARC p=reject domain: rejected
		mail_from a@reject.example.com "load reject $i" | sed '/^$/,$d' >"$d/r.hdr"
		cp "$d/r.hdr" "$d/ru$i.eml" && _load_body "$d/ru$i.eml" "$size"
		echo "$d/ru$i.eml reject reject 0 a@reject.example.com" >>"$man"
		# from a relay client of corp.example.com: signed with DKIM and DomainKeys
		mail_from a@corp.example.com "load corp $i" | sed '/^$/,$d' >"$d/c$i.eml"
		_load_body "$d/c$i.eml" "$size"
		echo "$d/c$i.eml relay accept 1 a@corp.example.com" >>"$man"
	done
	rm -f "$d"/*.hdr
	# spread the classes and sizes over the order messages are sent in
	"$PYTHON" -c 'import random,sys; l=open(sys.argv[1]).readlines(); random.Random(7).shuffle(l); open(sys.argv[1],"w").writelines(l)' "$man"
}

# load_phase MODE N C - run C clients (stdio or pipe) over N messages; prints and sets PH_*
load_phase() {
	local mode=$1 n=$2 c=$3 k pids=() start end
	start=$(date +%s%N)
	for k in $(seq 0 $((c - 1))); do
		"$PYTHON" "$LOAD_CLIENT" "$mode" --manifest "$LD/manifest" --config "$LD/load.conf" \
			--stdio "$STDIO" --pipe "$PIPE" --sendmail "$LD/sendmail" --total "$n" --clients "$c" \
			--index "$k" --store "$LD/stored" >"$LD/$mode.$k.out" 2>"$LD/$mode.$k.err" &
		pids+=($!)
	done
	for k in "${pids[@]}"; do wait "$k"; done
	end=$(date +%s%N)
	PH_MS=$(((end - start) / 1000000))
	PH_SENT=$(cat "$LD/$mode".*.out | awk '/^summary/ { for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == "sent") s += a[2] } } END { print s + 0 }')
	PH_OK=$(cat "$LD/$mode".*.out | awk '/^summary/ { for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == "ok") s += a[2] } } END { print s + 0 }')
	PH_ERR=$(cat "$LD/$mode".*.out | awk '/^summary/ { for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == "errors") s += a[2] } } END { print s + 0 }')
	PH_SUMMARIES=$(grep -h '^summary' "$LD/$mode".*.out)
	PH_ERRLINES=$(grep -h '^error' "$LD/$mode".*.out | head -n 5)
	PH_RATE=$(awk -v n="$PH_SENT" -v ms="$PH_MS" 'BEGIN { printf "%.0f", ms ? n * 1000 / ms : 0 }')
}

# load_stat NAME - one counter of the shared state's dkim_validate1 instance (or a shared one)
load_stat() {
	"$DKMOD" console --state "$LD/state" 'dkim_validate:dkim_validate1 stats' | awk -v k="$1" '$1 == k { print $2 }'
}
