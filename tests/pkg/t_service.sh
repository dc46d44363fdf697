#!/usr/bin/env bash
# t_service.sh - `make install-service` for systems without the Debian packages:
# the unit runs $PREFIX/sbin/dkmod-milter as dkmod; systemd-sysusers, given the
# installed sysusers.d file, creates the dkmod user and group in an empty root;
# systemd-tmpfiles, given the tmpfiles.d file, creates /var/lib/dkmod there
# owned by that user, mode 0750.
. "$(dirname "$0")/../lib/common.sh"
for t in systemd-sysusers systemd-tmpfiles; do
	if ! command -v $t >/dev/null; then
		if [ "${CI:-}" = true ]; then fail "$t" "missing: install the Debian package systemd"; else
			skip "$t" "missing: install the Debian package systemd"; fi
		exit 0
	fi
done
st="$TMP/stage"
if ! make -s -C "$DKMOD_TOP" install-service PREFIX=/opt/dkmod DESTDIR="$st" >"$TMP/log" 2>&1; then
	fail "make install-service" "$(tail -3 "$TMP/log")"
	exit 0
fi
unit="$st/opt/dkmod/lib/systemd/system/dkmod-milter.service"
check_eq "the unit runs \$PREFIX/sbin/dkmod-milter" "$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$unit")" /opt/dkmod/sbin/dkmod-milter
check_eq "the unit's user" "$(sed -n 's/^User=//p' "$unit")" dkmod
mkdir -p "$st/etc"
systemd-sysusers --root="$st" "$st/opt/dkmod/lib/sysusers.d/dkmod.conf" >/dev/null 2>&1
uid=$(awk -F: '$1 == "dkmod" { print $3 }' "$st/etc/passwd" 2>/dev/null)
gid=$(awk -F: '$1 == "dkmod" { print $3 }' "$st/etc/group" 2>/dev/null)
[ -n "$uid" ] && [ -n "$gid" ] && pass "sysusers.d: the dkmod user and group" || fail "sysusers.d: the dkmod user and group" "none in $st/etc"
systemd-tmpfiles --root="$st" --create "$st/opt/dkmod/lib/tmpfiles.d/dkmod.conf" >/dev/null 2>&1
check_eq "tmpfiles.d: /var/lib/dkmod belongs to dkmod, mode 0750" "$(stat -c '%u:%g %a' "$st/var/lib/dkmod" 2>&1)" "$uid:$gid 750"
