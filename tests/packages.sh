#!/bin/sh
# tests/packages.sh - read tests/packages.list, and install from it.
#   packages.sh list GROUP...      the packages of the groups, one a line
#   packages.sh missing GROUP...   those of them not installed (exit 1 if any)
#   packages.sh install GROUP...   install the missing ones: `apt-get update`
#                                  once, then one `apt-get install -y`
#   packages.sh owner NAME         the package whose GIVES names NAME (a command,
#                                  /path or its last part, perl:Module or
#                                  py:module), empty if none
# Installing anything but the build group starts no service (policy-rc.d exit
# 101 while apt runs; debconf: postfix "No configuration", qpsmtpd not
# started), and records what it installed in $DKMOD_E2E_ROOT/changes, so that
# `tests/e2e/deps.sh --undo` can remove it again.
set -eu
LIST=$(dirname "$0")/packages.list
E2E_ROOT=${DKMOD_E2E_ROOT:-/opt/dkmod-e2e}

# entries - the list without comments: GROUP PACKAGE GIVES...
entries() { sed 's/#.*//' "$LIST" | awk 'NF >= 2'; }

# list GROUP... - the packages of the groups
list() {
	entries | awk -v groups=" $* " 'index(groups, " " $1 " ") && $2 != "-" { print $2 }'
}

# installed PKG - true if PKG is installed
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

# missing GROUP... - the packages of the groups not installed
missing() {
	for p in $(list "$@"); do installed "$p" || echo "$p"; done
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

# apt_install_quiet PKG... - apt-get install with no service started (policy-rc.d exit 101)
apt_install_quiet() {
	own=0 rc=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\n# dkmod tests/packages.sh: start no service while packages install\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		own=1
	fi
	apt-get install -y -qq -o DPkg::Lock::Timeout=900 -o Dpkg::Options::=--force-confdef \
		-o Dpkg::Options::=--force-confold "$@" || rc=$?
	[ "$own" = 0 ] || rm -f /usr/sbin/policy-rc.d
	return "$rc"
}

case ${1:-} in
list)
	shift
	list "$@"
	;;
missing)
	shift
	out=$(missing "$@")
	[ -z "$out" ] || { echo "$out"; exit 1; }
	;;
install)
	shift
	need=$(missing "$@" | tr '\n' ' ')
	if [ -z "$need" ]; then
		echo "deps ($*): all installed"
		exit 0
	fi
	# the packages the undo may remove: those of the groups other than build
	record=$(for g in "$@"; do [ "$g" = build ] || missing "$g"; done | tr '\n' ' ')
	echo "deps ($*): apt-get update; apt-get install $need"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	if [ "$*" = build ]; then
		# shellcheck disable=SC2086 # a list of packages
		apt-get install -y -qq -o DPkg::Lock::Timeout=900 $need
	else
		preseed
		# shellcheck disable=SC2086
		apt_install_quiet $need
		if [ -n "${record% }" ]; then
			mkdir -p "$E2E_ROOT"
			echo "installed $record" >>"$E2E_ROOT/changes"
		fi
	fi
	;;
owner)
	# a /path matches itself or its last component
	entries | awk -v n="$2" 'BEGIN { b = n; sub(/.*\//, "", b) }
		{ for (i = 3; i <= NF; i++) if ($i == n || $i == b) { print $2; exit } }'
	;;
*)
	echo "usage: $0 list|missing|install GROUP... | owner NAME" >&2
	exit 64
	;;
esac
