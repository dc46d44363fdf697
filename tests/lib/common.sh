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
# skip NAME WHY - only for what no package can give (a missing ../shared, the processor, privileges);
# a missing package is `lacks`
skip() { echo "SKIP: $1: ${2:-}"; }
# unmet NAME WHY - NAME cannot run for want of what `make deps` installs or sets up: SKIP, but FAIL
# under CI=true, where `make deps` has run
unmet() {
	if [ "${CI:-}" = true ]; then fail "$1" "$2"; else skip "$1" "$2"; fi
}
# lacks NAME PACKAGE WHY - NAME cannot run for want of PACKAGE (unmet)
lacks() { unmet "$1" "$3: install $2 (make deps)"; }
# need_cmd NAME CMD... - true if every CMD (a command or a /path) is installed; else `lacks` NAME the
# package tests/packages.list gives CMD in, and false
need_cmd() {
	local name=$1 c pkg
	shift
	for c in "$@"; do
		case $c in
		/*) [ -x "$c" ] && continue ;;
		*) command -v "$c" >/dev/null 2>&1 && continue ;;
		esac
		pkg=$(sh "$DKMOD_TOP/tests/packages.sh" owner "$c")
		lacks "$name" "${pkg:-the package of $c (none in tests/packages.list: add it)}" "no $c"
		return 1
	done
}
# need_perl NAME MODULE - true if Perl loads MODULE; else `lacks` NAME its package, and false
need_perl() {
	local pkg
	perl -M"$2" -e1 2>/dev/null && return 0
	pkg=$(sh "$DKMOD_TOP/tests/packages.sh" owner "perl:$2")
	lacks "$1" "${pkg:-the package of $2 (none in tests/packages.list: add it)}" "Perl cannot load $2"
	return 1
}
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
# status NAME WANT CMD... - check a command's exit status (its output is dropped)
status() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >/dev/null 2>&1 </dev/null
	rc=$?
	check_eq "$name" "$rc" "$want"
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
