# common.sh - sourced by the shell tests (tests/*/t_*.sh).
# Gives: pass/fail/skip/check reporters, $DKMOD (the built command), $INTEROP
# (the shared interop corpus, empty if absent), $TMP (removed on exit) and
# at_exit for clean-up (processes are stopped by PID there).
set -u
DKMOD_TOP=${DKMOD_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-.build}
DKMOD="$DKMOD_TOP/$BUILD/dkmod"
PYTHON=/usr/bin/python3
INTEROP=""
[ -d "$DKMOD_TOP/../shared/interop/mail-dkim" ] && INTEROP="$DKMOD_TOP/../shared/interop/mail-dkim"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dkmod-test.XXXXXX")
_exit_hooks=()
# at_exit CMD - run CMD (a string) when the test ends, last registered first
at_exit() { _exit_hooks=("$1" "${_exit_hooks[@]}"); }
_run_exit_hooks() {
	local h
	for h in "${_exit_hooks[@]}"; do eval "$h" || true; done
	rm -rf "$TMP"
}
trap _run_exit_hooks EXIT

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: ${2:-}"; }
skip() { echo "SKIP: $1: ${2:-}"; }
# check NAME CMD... - pass if CMD succeeds, else fail with its output
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$(echo "$out" | tail -n 3 | tr '\n' ' ')"; fi
}
# check_eq NAME GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}
# free_port - a TCP+UDP port on 127.0.0.1 that nothing listens on now
free_port() {
	"$PYTHON" - <<'PY'
import socket
for _ in range(50):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close(); continue
    u.close(); t.close()
    print(port)
    break
PY
}
# ar_text FILE - the first Authentication-Results field of a message, unfolded on one line
ar_text() {
	awk '/^\r?$/ { exit } /^Authentication-Results:/ { a = 1; printf "%s", $0; next }
		a && /^[ \t]/ { printf " %s", $0; next } a { exit }' "$1" | tr -d '\r' | tr -s ' \t' '  '
	echo
}
# ar_results FILE - the dkim= and domainkeys= results of that field, space separated
ar_results() {
	ar_text "$1" | grep -oE '(dkim|domainkeys)=[a-z]+' | tr '\n' ' ' | sed 's/ $//'
}
