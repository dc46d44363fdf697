#!/usr/bin/env bash
# tests/e2e/deps.sh - set up what the end-to-end MTA tests need, idempotently, and
# say what it changed:
#   the group mta of           installed as Debian packages by tests/packages.sh:
#   tests/packages.list        postfix, sasl2-bin, qpsmtpd, swaks...; no service is
#                              started or left enabled (policy-rc.d exit 101 while
#                              installing; debconf: postfix "No configuration",
#                              qpsmtpd not started)
#   the group exim             exim4-daemon-heavy and exim4-dev, unpacked (apt-get
#                              download + dpkg -x) into $DKMOD_E2E_ROOT/exim4
#                              (exim4 conflicts with postfix as a package)
#   the Debian-exim user       the Debian exim binary requires it
#   /etc/postfix/main.cf       lists $DKMOD_E2E_ROOT/postfix-conf/1..8 in
#                              alternate_config_directories (set-gid postdrop
#                              trusts no other MAIL_CONFIG); written only if
#                              absent, else the directories are added with postconf
# Every change is recorded in $DKMOD_E2E_ROOT/changes (default /opt/dkmod-e2e);
# --undo reverts them: purges the packages tests/packages.sh recorded, restores
# main.cf, removes the user it added and $DKMOD_E2E_ROOT.
# Usage: tests/e2e/deps.sh [--check | --undo]   (--check: change nothing, exit 1
# if anything is missing)
set -eu
E2E_ROOT=${DKMOD_E2E_ROOT:-/opt/dkmod-e2e}
EXIM_ROOT=$E2E_ROOT/exim4
CHANGES=$E2E_ROOT/changes
POSTFIX_SLOTS=8
PACKAGES="sh $(dirname "$0")/../packages.sh"
MODE=${1:-}
EXIM_DEBS=$($PACKAGES list exim | tr '\n' ' ')
export DEBIAN_FRONTEND=noninteractive
did=""

# say MSG - print one line of what this script does
say() { echo "e2e-deps: $*"; }

# changed WHAT... - record one change (for --undo)
changed() {
	mkdir -p "$E2E_ROOT"
	echo "$*" >>"$CHANGES"
	did="$did $1"
}

# pkg_ok NAME - true if the Debian package NAME is installed
pkg_ok() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

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

# exim_unpack - download and unpack the exim group into $EXIM_ROOT; the packages the daemon
# depends on must be installed already (group mta of tests/packages.list)
exim_unpack() {
	local dl p need=""
	dl=$(mktemp -d)
	chmod 755 "$dl" # apt's _apt user downloads into it
	say "apt-get download $EXIM_DEBS; dpkg -x into $EXIM_ROOT"
	# shellcheck disable=SC2086 # a list of packages; the package lists may be missing or stale
	if ! (cd "$dl" && apt-get download -qq $EXIM_DEBS 2>/dev/null); then
		say "apt-get update"
		apt-get update -qq
		(cd "$dl" && apt-get download -qq $EXIM_DEBS)
	fi
	for p in $(exim_runtime_pkgs "$dl"/exim4-daemon-heavy_*.deb); do
		pkg_ok "$p" || need="$need $p"
	done
	if [ -n "$need" ]; then
		say "exim4-daemon-heavy needs$need: add them to the group mta of tests/packages.list"
		rm -rf "$dl"
		return 1
	fi
	rm -rf "$EXIM_ROOT.new"
	mkdir -p "$EXIM_ROOT.new"
	for p in "$dl"/*.deb; do dpkg -x "$p" "$EXIM_ROOT.new"; done
	(cd "$dl" && printf '%s\n' *.deb) >"$EXIM_ROOT.new/.debs"
	rm -rf "$EXIM_ROOT" "$dl"
	mv "$EXIM_ROOT.new" "$EXIM_ROOT"
	changed unpacked "$EXIM_ROOT"
}

# exim_user - create the Debian-exim system user the Debian exim binary requires
exim_user() {
	getent passwd Debian-exim >/dev/null && return 0
	say "adding system user Debian-exim"
	adduser --quiet --system --group --no-create-home --home /var/spool/exim4 \
		--disabled-login --force-badname Debian-exim 2>/dev/null ||
		useradd -r -U -d /var/spool/exim4 -s /usr/sbin/nologin Debian-exim
	changed user Debian-exim
}

# exim_libs_missing - the libraries the unpacked exim4 cannot find (empty if none)
exim_libs_missing() {
	ldd "$EXIM_ROOT/usr/sbin/exim4" 2>/dev/null | awk '/not found/ { print $1 }'
}

# postfix_slots - the fixed configuration directories the e2e Postfix instances use
postfix_slots() {
	local i
	for i in $(seq "$POSTFIX_SLOTS"); do echo "$E2E_ROOT/postfix-conf/$i"; done
}

# postfix_slots_listed - true if the default main.cf lists every slot in alternate_config_directories
postfix_slots_listed() {
	local have s
	[ -f /etc/postfix/main.cf ] || return 1
	have=" $(postconf -c /etc/postfix -h alternate_config_directories 2>/dev/null | tr ',' ' ') "
	for s in $(postfix_slots); do
		case $have in *" $s "*) ;; *) return 1 ;; esac
	done
}

# postfix_allow_slots - let set-gid postdrop trust the slots: list them in /etc/postfix/main.cf
# (postdrop, run by a content filter's `sendmail`, accepts a MAIL_CONFIG directory only if the
# default main.cf names it). A main.cf we write also keeps any started system Postfix off inet.
postfix_allow_slots() {
	local slots have
	mkdir -p "$E2E_ROOT/postfix-conf"
	chmod 755 "$E2E_ROOT" "$E2E_ROOT/postfix-conf"
	postfix_slots_listed && return 0
	slots=$(postfix_slots | tr '\n' ' ' | sed 's/ $//; s/ /, /g')
	if [ ! -f /etc/postfix/main.cf ]; then
		say "writing /etc/postfix/main.cf (alternate_config_directories for the e2e instances, no inet service)"
		cat >/etc/postfix/main.cf <<EOF
# Written by dkmod's tests/e2e/deps.sh. The system Postfix is not configured ("No
# configuration") and not meant to run: the e2e tests start private instances whose
# configuration directories are listed here so that set-gid postdrop accepts them.
# Should this instance be started anyway, it listens on no network socket.
compatibility_level = 3.6
alternate_config_directories = $slots
master_service_disable = inet
inet_interfaces = loopback-only
mydestination =
EOF
		changed wrote /etc/postfix/main.cf
	else
		have=$(postconf -c /etc/postfix -h alternate_config_directories 2>/dev/null)
		say "adding the e2e instances to alternate_config_directories in /etc/postfix/main.cf"
		postconf -c /etc/postfix -e "alternate_config_directories = ${have:+$have, }$slots"
		changed postconf "alternate_config_directories = $have"
	fi
}

# undo - revert what the records in $CHANGES say, newest first, then remove $E2E_ROOT
undo() {
	local what rest pkgs=""
	[ -f "$CHANGES" ] || { say "nothing recorded in $CHANGES"; rm -rf "$E2E_ROOT"; return 0; }
	while read -r what rest; do
		case $what in
		installed) pkgs="$pkgs $rest" ;;
		user)
			say "removing the user $rest"
			userdel "$rest" 2>/dev/null || deluser --quiet "$rest" || true
			;;
		wrote)
			say "removing $rest"
			rm -f "$rest"
			;;
		postconf)
			say "restoring /etc/postfix/main.cf: $rest"
			postconf -c /etc/postfix -e "$rest" || true
			;;
		esac
	done < <(tac "$CHANGES")
	if [ -n "$pkgs" ]; then
		say "apt-get purge$pkgs"
		# shellcheck disable=SC2086 # a list of packages
		apt-get purge -y -qq -o DPkg::Lock::Timeout=900 $pkgs
	fi
	say "removing $E2E_ROOT"
	rm -rf "$E2E_ROOT"
}

[ "$MODE" = --undo ] && { undo; exit 0; }
missing=$($PACKAGES missing mta | tr '\n' ' ') || true
ok_exim=1
exim_unpacked || ok_exim=0
ok_user=1
getent passwd Debian-exim >/dev/null || ok_user=0

if [ "$MODE" = --check ]; then
	rc=0
	[ -n "$missing" ] && { say "missing packages: $missing"; rc=1; }
	[ "$ok_exim" = 0 ] && { say "missing the unpacked exim4 in $EXIM_ROOT"; rc=1; }
	[ "$ok_user" = 0 ] && { say "missing the Debian-exim user"; rc=1; }
	postfix_slots_listed || { say "/etc/postfix/main.cf does not list the e2e instances"; rc=1; }
	[ "$ok_exim" = 1 ] && [ -n "$(exim_libs_missing)" ] && { say "exim4 lacks: $(exim_libs_missing | tr '\n' ' ')"; rc=1; }
	[ "$rc" = 0 ] && say "all present"
	exit "$rc"
fi

[ -n "$missing" ] && $PACKAGES install mta
[ "$ok_exim" = 1 ] || exim_unpack
exim_user
postfix_allow_slots
libs=$(exim_libs_missing)
if [ -n "$libs" ]; then
	say "exim4 still lacks libraries: $(echo "$libs" | tr '\n' ' ')"
	exit 1
fi
disable_services
if [ -z "$did" ]; then
	say "everything already there (exim4: $(tr '\n' ' ' <"$EXIM_ROOT/.debs"))"
else
	say "changed:$did"
fi
if [ -s "$CHANGES" ]; then
	say "all changes so far are recorded in $CHANGES; 'make deps-undo' reverts them"
fi
