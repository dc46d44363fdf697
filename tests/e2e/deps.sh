#!/usr/bin/env bash
# tests/e2e/deps.sh - install what the end-to-end MTA tests need, idempotently:
#   postfix, qpsmtpd, swaks, gcc   installed as Debian packages; no service is
#                                  started or left enabled, postfix is left
#                                  unconfigured ("No configuration")
#   exim4-daemon-heavy, exim4-dev  unpacked (apt-get download + dpkg -x) into
#                                  $DKMOD_E2E_ROOT/exim4 (exim4 conflicts with
#                                  postfix as a package), plus the libraries
#                                  the heavy daemon links and the Debian-exim user
# Runs `apt-get update` once, and only if something is missing. Prints what it
# did; exits non-zero if something could not be installed.
# Usage: tests/e2e/deps.sh [--check]   (--check: install nothing, exit 1 if
# anything is missing)
set -eu
E2E_ROOT=${DKMOD_E2E_ROOT:-/opt/dkmod-e2e}
EXIM_ROOT=$E2E_ROOT/exim4
CHECK_ONLY=0
[ "${1:-}" = --check ] && CHECK_ONLY=1

PKGS="postfix qpsmtpd swaks gcc libc6-dev libmariadb3 libidn12 libspf2-2"
EXIM_DEBS="exim4-daemon-heavy exim4-dev"
export DEBIAN_FRONTEND=noninteractive
updated=0
did=""

# say MSG - print one line of what this script does
say() { echo "e2e-deps: $*"; }

# pkg_ok NAME - true if the Debian package NAME is installed
pkg_ok() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

# apt_update_once - apt-get update, at most once per run
apt_update_once() {
	[ "$updated" = 1 ] && return 0
	say "apt-get update"
	apt-get update -qq
	updated=1
}

# with_no_services CMD... - run CMD while invoke-rc.d refuses to start services (policy-rc.d exit 101)
with_no_services() {
	local own=0 rc=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\n# dkmod e2e deps: start no service while packages install\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		own=1
	fi
	"$@" || rc=$?
	[ "$own" = 1 ] && rm -f /usr/sbin/policy-rc.d
	return "$rc"
}

# preseed - debconf answers: postfix "No configuration", qpsmtpd not started and queueing nowhere
preseed() {
	debconf-set-selections <<'EOF'
postfix postfix/main_mailer_type select No configuration
qpsmtpd qpsmtpd/startup_enabled boolean false
qpsmtpd qpsmtpd/queue_plugin select none
qpsmtpd qpsmtpd/queue_none_confirm boolean true
EOF
}

# apt_install PKG... - install packages with no service started
apt_install() {
	apt_update_once
	preseed
	say "apt-get install $*"
	with_no_services apt-get install -y -qq -o Dpkg::Options::=--force-confdef \
		-o Dpkg::Options::=--force-confold "$@" >/dev/null
	did="$did installed($*)"
}

# disable_services - make sure postfix and qpsmtpd run as no system service now or at boot
disable_services() {
	local s pid
	for s in postfix qpsmtpd; do
		if [ -d /run/systemd/system ] && systemctl is-enabled -q "$s" 2>/dev/null; then
			systemctl disable -q --now "$s" && say "disabled the $s service"
		fi
	done
	# A system postfix started anyway (not by us): say so; stopping it is the admin's call.
	if [ -s /var/spool/postfix/pid/master.pid ]; then
		pid=$(tr -dc 0-9 </var/spool/postfix/pid/master.pid)
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
			say "WARNING: a system postfix master runs (pid $pid); the e2e tests do not use it"
	fi
	return 0
}

# exim_unpacked - true if the private exim4 tree is complete
exim_unpacked() {
	[ -x "$EXIM_ROOT/usr/sbin/exim4" ] && [ -f "$EXIM_ROOT/usr/include/exim4/local_scan.h" ] &&
		[ -f "$EXIM_ROOT/.debs" ]
}

# exim_runtime_pkgs DEB - the packages DEB depends on, less exim4-base and debconf
exim_runtime_pkgs() {
	dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*//; s/:any//; s/ //g' |
		grep -vE '^(exim4-base|debconf|debconf-2.0|)$'
}

# exim_unpack - download and unpack exim4-daemon-heavy + exim4-dev into $EXIM_ROOT
exim_unpack() {
	local dl p need=""
	apt_update_once
	dl=$(mktemp -d)
	chmod 755 "$dl" # apt's _apt user downloads into it
	say "apt-get download $EXIM_DEBS; dpkg -x into $EXIM_ROOT"
	(cd "$dl" && apt-get download -qq $EXIM_DEBS 2>/dev/null)
	for p in $(exim_runtime_pkgs "$dl"/exim4-daemon-heavy_*.deb); do
		pkg_ok "$p" || need="$need $p"
	done
	# shellcheck disable=SC2086
	[ -n "$need" ] && apt_install $need
	rm -rf "$EXIM_ROOT.new"
	mkdir -p "$EXIM_ROOT.new"
	for p in "$dl"/*.deb; do dpkg -x "$p" "$EXIM_ROOT.new"; done
	(cd "$dl" && ls ./*.deb | sed 's|^\./||') >"$EXIM_ROOT.new/.debs"
	rm -rf "$EXIM_ROOT" "$dl"
	mv "$EXIM_ROOT.new" "$EXIM_ROOT"
	did="$did unpacked(exim4)"
}

# exim_user - create the Debian-exim system user the Debian exim binary requires
exim_user() {
	getent passwd Debian-exim >/dev/null && return 0
	say "adding system user Debian-exim"
	adduser --quiet --system --group --no-create-home --home /var/spool/exim4 \
		--disabled-login --force-badname Debian-exim 2>/dev/null ||
		useradd -r -U -d /var/spool/exim4 -s /usr/sbin/nologin Debian-exim
	did="$did user(Debian-exim)"
}

# exim_libs_missing - the libraries the unpacked exim4 cannot find (empty if none)
exim_libs_missing() {
	ldd "$EXIM_ROOT/usr/sbin/exim4" 2>/dev/null | awk '/not found/ { print $1 }'
}

missing=""
for p in $PKGS; do pkg_ok "$p" || missing="$missing $p"; done
ok_exim=1
exim_unpacked || ok_exim=0
ok_user=1
getent passwd Debian-exim >/dev/null || ok_user=0

if [ "$CHECK_ONLY" = 1 ]; then
	rc=0
	[ -n "$missing" ] && { say "missing packages:$missing"; rc=1; }
	[ "$ok_exim" = 0 ] && { say "missing the unpacked exim4 in $EXIM_ROOT"; rc=1; }
	[ "$ok_user" = 0 ] && { say "missing the Debian-exim user"; rc=1; }
	[ "$ok_exim" = 1 ] && [ -n "$(exim_libs_missing)" ] && { say "exim4 lacks: $(exim_libs_missing | tr '\n' ' ')"; rc=1; }
	[ "$rc" = 0 ] && say "all present"
	exit "$rc"
fi

# shellcheck disable=SC2086
[ -n "$missing" ] && apt_install $missing
[ "$ok_exim" = 1 ] || exim_unpack
exim_user
libs=$(exim_libs_missing)
if [ -n "$libs" ]; then
	say "exim4 still lacks libraries: $(echo "$libs" | tr '\n' ' ')"
	exit 1
fi
disable_services
if [ -z "$did" ]; then
	say "everything already there (exim4: $(cat "$EXIM_ROOT/.debs" | tr '\n' ' '))"
else
	say "done:$did"
fi
