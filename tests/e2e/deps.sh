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
#   the group sendmail         sendmail-bin and sendmail-cf, likewise into
#                              $DKMOD_E2E_ROOT/sendmail (it conflicts with postfix too)
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
SENDMAIL_ROOT=$E2E_ROOT/sendmail
CHANGES=$E2E_ROOT/changes
POSTFIX_SLOTS=8
PACKAGES="sh $(dirname "$0")/../packages.sh"
MODE=${1:-}
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

# sendmail_unpacked - true if the private sendmail tree is complete
sendmail_unpacked() {
	[ -x "$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" ] &&
		[ -f "$SENDMAIL_ROOT/usr/share/sendmail/cf/m4/cf.m4" ] && [ -f "$SENDMAIL_ROOT/.debs" ]
}

# runtime_pkgs DEB - the packages DEB depends on, less those unpacked beside it or not needed
# unpacked (exim4-base, sendmail-base, debconf)
runtime_pkgs() {
	dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*//; s/:any//; s/ //g' |
		grep -vE '^(exim4-base|sendmail-base|sendmail-cf|debconf|debconf-2.0|)$'
}

# unpack GROUP ROOT MAIN - download the packages of GROUP and unpack them into ROOT; the packages
# MAIN (one of them) depends on must be installed already (group mta of tests/packages.list)
unpack() {
	local group=$1 root=$2 main=$3 debs dl p need=""
	debs=$($PACKAGES list "$group" | tr '\n' ' ')
	dl=$(mktemp -d)
	chmod 755 "$dl" # apt's _apt user downloads into it
	say "apt-get download $debs; dpkg -x into $root"
	# shellcheck disable=SC2086 # a list of packages; the package lists may be missing or stale
	if ! (cd "$dl" && apt-get download -qq $debs 2>/dev/null); then
		say "apt-get update"
		apt-get update -qq
		(cd "$dl" && apt-get download -qq $debs)
	fi
	for p in $(runtime_pkgs "$dl/${main}"_*.deb); do
		pkg_ok "$p" || need="$need $p"
	done
	if [ -n "$need" ]; then
		say "$main needs$need: add them to the group mta of tests/packages.list"
		rm -rf "$dl"
		return 1
	fi
	rm -rf "$root.new"
	mkdir -p "$root.new"
	for p in "$dl"/*.deb; do dpkg -x "$p" "$root.new"; done
	(cd "$dl" && printf '%s\n' *.deb) >"$root.new/.debs"
	rm -rf "$root" "$dl"
	mv "$root.new" "$root"
	changed unpacked "$root"
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

# libs_missing - the libraries the unpacked exim4 and sendmail cannot find (empty if none)
libs_missing() {
	ldd "$EXIM_ROOT/usr/sbin/exim4" "$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" 2>/dev/null |
		awk '/not found/ { print $1 }' | sort -u
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
ok_sendmail=1
sendmail_unpacked || ok_sendmail=0
ok_user=1
getent passwd Debian-exim >/dev/null || ok_user=0

if [ "$MODE" = --check ]; then
	rc=0
	[ -n "$missing" ] && { say "missing packages: $missing"; rc=1; }
	[ "$ok_exim" = 0 ] && { say "missing the unpacked exim4 in $EXIM_ROOT"; rc=1; }
	[ "$ok_sendmail" = 0 ] && { say "missing the unpacked sendmail in $SENDMAIL_ROOT"; rc=1; }
	[ "$ok_user" = 0 ] && { say "missing the Debian-exim user"; rc=1; }
	postfix_slots_listed || { say "/etc/postfix/main.cf does not list the e2e instances"; rc=1; }
	[ -n "$(libs_missing)" ] && { say "exim4 or sendmail lacks: $(libs_missing | tr '\n' ' ')"; rc=1; }
	[ "$rc" = 0 ] && say "all present"
	exit "$rc"
fi

[ -n "$missing" ] && $PACKAGES install mta
[ "$ok_exim" = 1 ] || unpack exim "$EXIM_ROOT" exim4-daemon-heavy
[ "$ok_sendmail" = 1 ] || unpack sendmail "$SENDMAIL_ROOT" sendmail-bin
exim_user
postfix_allow_slots
libs=$(libs_missing)
if [ -n "$libs" ]; then
	say "exim4 or sendmail still lacks libraries: $(echo "$libs" | tr '\n' ' ')"
	exit 1
fi
disable_services
if [ -z "$did" ]; then
	say "everything already there (exim4: $(tr '\n' ' ' <"$EXIM_ROOT/.debs"); sendmail: $(tr '\n' ' ' <"$SENDMAIL_ROOT/.debs"))"
else
	say "changed:$did"
fi
if [ -s "$CHANGES" ]; then
	say "all changes so far are recorded in $CHANGES; 'make deps-undo' reverts them"
fi
