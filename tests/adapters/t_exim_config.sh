#!/usr/bin/env bash
# t_exim_config.sh - the Exim adapter never takes its configuration path from the
# environment: Exim is setuid root, so $DKMOD_CONFIG is whatever the local user running
# it chose.  A probe linked with the adapter's exim_proc.o prints the path it would load.
. "$(dirname "$0")/../lib/common.sh"
cd "$DKMOD_TOP" || exit 1
OBJ=$BUILD/adapters/exim/exim_proc.o
if [ ! -f "$OBJ" ]; then
	skip "Exim adapter configuration path" "no $OBJ (the Exim object is not built: no local_scan.h)"
	exit 0
fi
PROBE=$BUILD/tests/exim_config_probe
[ -x "$PROBE" ] || { fail "the probe is built with exim_proc.o" "no $PROBE (make unit builds it)"; exit 0; }
check_eq "no DKMOD_CONFIG: the built-in path" "$(env -u DKMOD_CONFIG "$PROBE")" "/etc/dkmod/dkmod.conf"
check_eq "DKMOD_CONFIG set by the caller: ignored" "$(DKMOD_CONFIG="$TMP/evil.conf" "$PROBE")" "/etc/dkmod/dkmod.conf"
if grep -rq 'DKMOD_CONFIG' adapters/exim conf/mta doc/adapter-exim.md; then
	fail "no Exim file or snippet mentions DKMOD_CONFIG" "$(grep -rl 'DKMOD_CONFIG' adapters/exim conf/mta doc/adapter-exim.md | tr '\n' ' ')"
else
	pass "no Exim file or snippet mentions DKMOD_CONFIG"
fi
