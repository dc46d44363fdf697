#!/usr/bin/env bash
# t_deps.sh - tests/packages.list covers what the project's scripts take from the
# system (tests/lint/deps_check.py, both ways): every command a test script, tool
# or Makefile recipe runs and every Perl or Python module it loads comes from a
# listed package (or one every Debian system has), and every command and module
# the list names is used and given by its package.  Under CI=true, every package
# of the groups `make deps` installs is installed.  A command neither installed
# nor listed cannot be told from a word: the tests that run it fail under CI=true
# naming its package (need_cmd, tests/lib/common.sh).  DKMOD_PACKAGES_LIST
# checks another list (the mutation check of this test uses it).
. "$(dirname "$0")/../lib/common.sh"
cd "$DKMOD_TOP" || exit 1
LIST=${DKMOD_PACKAGES_LIST:-tests/packages.list}

# the files read: every script under tests/ and conf/ (uses.py tells shell, Perl and
# Python by name and first line), the CI script, the qpsmtpd plugin, the Makefile and
# its parts; fuzz regressions and seeds are data
mapfile -t FILES < <(find tests conf .ci Makefile adapters/stdio/dkmod -type f \
	-not -path 'tests/fuzz/regressions/*' -not -path 'tests/fuzz/seeds/*'; find . -path ./.build -prune -o -name '*.mk' -print)
"$PYTHON" tests/lint/deps_check.py "$LIST" "${FILES[@]}"

# the check can fail: drop from the list the first test package whose command is
# installed here (dig's, when it is) and the commands check must name that command
if [ -z "${DKMOD_PACKAGES_LIST:-}" ]; then
	read -r pkg cmd < <(sed 's/#.*//' "$LIST" | awk '$1 == "test" && $2 != "-" { for (i = 3; i <= NF; i++)
		if ($i !~ /[:\/]/) print ($i == "dig" ? 0 : 1), $2, $i }' | sort -s -k1,1n |
		while read -r _ p c; do PATH=/usr/sbin:/usr/bin:/sbin:/bin type -P "$c" >/dev/null && { echo "$p $c"; break; }; done)
	if [ -z "${pkg:-}" ]; then
		fail "the check fails without a package" "no command of the test group is installed"
	else
		awk -v p="$pkg" '$2 != p' "$LIST" >"$TMP/list"
		out=$("$PYTHON" tests/lint/deps_check.py "$TMP/list" "${FILES[@]}" | grep '^FAIL: ')
		case $out in
		*"come from listed or base packages: not in"*" $cmd ("*) pass "without $pkg in the list the check fails, naming $cmd" ;;
		*) fail "without $pkg in the list the check fails" "${out:-it passed}" ;;
		esac
	fi
fi

# a missing command: SKIP naming its package, FAIL under CI=true (tests/lib/common.sh)
check_eq "a missing command is a SKIP naming its package" "$(CI='' need_cmd probe /nonexistent/dig; echo "rc=$?")" \
	"SKIP: probe: no /nonexistent/dig: install bind9-dnsutils (make deps)
rc=1"
check_eq "CI=true: a missing command is a FAIL naming its package" "$(CI=true need_cmd probe /nonexistent/dig; echo "rc=$?")" \
	"FAIL: probe: no /nonexistent/dig: install bind9-dnsutils (make deps)
rc=1"
check_eq "CI=true: a missing Perl module is a FAIL naming its package" "$(CI=true need_perl probe Qpsmtpd::NoSuch; echo "rc=$?")" \
	"FAIL: probe: Perl cannot load Qpsmtpd::NoSuch: install the package of Qpsmtpd::NoSuch (none in tests/packages.list: add it) (make deps)
rc=1"
check_eq "an installed command passes need_cmd quietly" "$(CI=true need_cmd probe sh; echo "rc=$?")" "rc=0"

# what the two commands of the README run, in order (make -n: nothing is done)
demo=$(env -u MAKEFLAGS -u MFLAGS -u MAKEOVERRIDES make -n -s demo 2>&1 | grep -E 'packages\.sh|e2e/deps\.sh|conf/demo\.sh' | tr '\n' ';')
check_eq "make demo installs the build packages only, then runs the demo" "$demo" \
	"sh tests/packages.sh install build;sh conf/demo.sh $BUILD/dkmod;"
tst=$(env -u MAKEFLAGS -u MFLAGS -u MAKEOVERRIDES make -n -s test T= 2>&1 | grep -E 'packages\.sh|e2e/deps\.sh|--no-print-directory all|tests/run' | sed 's/^make[^ ]* /make /' | tr '\n' ';')
check_eq "make test installs every package and sets up the MTAs before it builds" "$tst" \
	"sh tests/packages.sh install build test mta;bash tests/e2e/deps.sh;make --no-print-directory all unit san-unit demo-keys;set -f; BUILD=$BUILD bash tests/run ;"

if [ "${CI:-}" = true ]; then
	miss=$(sh tests/packages.sh missing build test mta | tr '\n' ' ')
	check_eq "CI: every package of the groups build, test and mta is installed" "${miss% }" ""
fi
