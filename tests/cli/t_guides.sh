#!/usr/bin/env bash
# t_guides.sh - the install and configuration steps of the guides, as written.
# Every `make TARGET` the guides, README and conf/mta snippets name is a target
# of the Makefile; the `make install ...` lines of the adapter guides run into
# a staging directory (DESTDIR), and every installed path the guides name
# (/usr/... or /etc/dkmod/... with "dkmod" in it) is there, unless a guide's
# own `install` line makes it; the qpsmtpd plugin directory of the guide holds
# a file named as the plugin line says; the sample configuration, installed
# for real under a temporary prefix, passes `dkmod config-check` there, also
# after its own signing steps, and a second install never replaces it.
. "$(dirname "$0")/../lib/common.sh"
cd "$TMP" || exit 1
T=$DKMOD_TOP
GUIDES=("$T/README.md" "$T"/doc/adapter-*.md "$T/doc/keys-and-dns.md" "$T"/conf/mta/* "$T"/doc/*.[578])

# code - the code of a guide: indented lines, `spans` and snippet lines
code() {
	awk '/^(    |\t)/ { print; next } { while (match($0, /`[^`]+`/)) { print substr($0, RSTART + 1, RLENGTH - 2); $0 = substr($0, RSTART + RLENGTH) } }' "$1"
	case $1 in */conf/mta/*) cat "$1" ;; esac
}

# 1. every make target named is one the Makefile has (Exim's own build steps excepted)
targets=$(for g in "${GUIDES[@]}"; do code "$g"; done |
	grep -oE '(^|[ ;&($])make( +-[A-Za-z]+)*( +[A-Za-z_]+=[^ ]+)* +[a-z][a-z-]*' |
	awk '{ print $NF }' | grep -vxE 'configure|config' | sort -u)
[ -n "$targets" ] && pass "the guides name make targets" || fail "the guides name make targets" "none found"
for t in $targets; do
	if make -n -s -C "$T" "$t" BUILD="$BUILD" DESTDIR="$TMP/dry" >/dev/null 2>"$TMP/make.err"; then
		pass "make $t (named in the guides) exists"
	else
		fail "make $t (named in the guides) exists" "$(tail -2 "$TMP/make.err")"
	fi
done

# 2. the install lines of the guides, as written, into a staging directory
stage="$TMP/stage"
installs=$(for g in "$T"/doc/adapter-*.md "$T/README.md"; do code "$g"; done |
	grep -oE '^ *make install[a-z-]*( +[A-Z_]+=[^ ]+)*' | sed 's/^ *//; s/ DESTDIR=[^ ]*//' | sort -u)
[ -n "$installs" ] && pass "the adapter guides say how to install" || fail "the adapter guides say how to install" "no make install line"
while read -r line; do
	[ -n "$line" ] || continue
	# shellcheck disable=SC2086 # the guide's words, split as the shell would
	if make -s -C "$T" ${line#make } DESTDIR="$stage" BUILD="$BUILD" >"$TMP/inst.log" 2>&1; then
		pass "guide step: $line"
	else
		fail "guide step: $line" "$(tail -3 "$TMP/inst.log")"
	fi
done <<<"$installs"
# what a make install with the default prefix gives, which guides mention as the alternative
make -s -C "$T" install DESTDIR="$stage" BUILD="$BUILD" >/dev/null 2>&1 || fail "make install (default prefix)"

# 3. every installed path the guides name is there (keys, Exim's files and other
#    configurations than dkmod.conf are the administrator's to make)
made=$(for g in "${GUIDES[@]}"; do code "$g"; done | grep -oE '(^|[ ;])install( +-[A-Za-z]+( [0-9]+)?)* .*' |
	grep -oE '/(usr|etc|var)/[^ ]+$')
paths=$(for g in "${GUIDES[@]}"; do code "$g"; done | grep -oE '/(usr|etc)/[A-Za-z0-9_./-]*dkmod[A-Za-z0-9_./-]*' |
	sed 's/[.]$//' | grep -vE '^/etc/dkmod/(keys|exim\.conf)|^/etc/exim4/' | sort -u)
n=0
for p in $paths; do
	n=$((n + 1))
	if [ -e "$stage$p" ]; then
		pass "named in the guides and installed: $p"
	elif grep -qxF "$p" <<<"$made"; then
		pass "named in the guides and made by a guide's install step: $p"
	else
		fail "named in the guides and installed: $p" "make install puts no such file"
	fi
done
[ "$n" -ge 8 ] && pass "the guides name the installed paths ($n)" || fail "the guides name the installed paths" "only $n"

# 4. qpsmtpd: the plugin directory of the guide holds the file the plugins line names
plugin=$(grep -v '^#' "$T/conf/mta/qpsmtpd-plugins" | awk 'NF { print $1; exit }')
dirs=$(awk 'BEGIN { RS = "" } /plugin_dirs/' "$T/doc/adapter-qpsmtpd.md" "$T/conf/mta/qpsmtpd-plugins" |
	grep -oE '/usr/[A-Za-z0-9_./-]*dkmod[A-Za-z0-9_./-]*' | sed 's/[.]$//' | sort -u)
found=0
for d in $dirs; do
	[ -d "$stage$d" ] || continue
	found=1
	[ -f "$stage$d/$plugin" ] && pass "qpsmtpd: $d (plugin_dirs) holds the plugin '$plugin'" ||
		fail "qpsmtpd: $d holds the plugin '$plugin'" "$(ls "$stage$d")"
done
[ "$found" = 1 ] && pass "qpsmtpd: the guide names the installed plugin directory" ||
	fail "qpsmtpd: the guide names the installed plugin directory" "dirs: $dirs"

# 5. the sample configuration where it is installed
inst="$TMP/inst"
make -s -C "$T" install PREFIX="$inst" SYSCONFDIR="$inst/etc" BUILD="$BUILD" >/dev/null 2>&1 || fail "install under $inst"
conf="$inst/etc/dkmod/dkmod.conf"
check_eq "installed sample: config-check" "$("$inst/bin/dkmod" config-check "$conf" 2>&1)" "$conf: ok"
cmp -s "$conf" "$inst/share/dkmod/dkmod.conf.sample" && pass "the sample is also in share/dkmod" ||
	fail "the sample is also in share/dkmod"
grep -q "^policy \"$inst/share/dkmod/lua/default.lua\"" "$conf" && pass "installed sample: the installed default policy" ||
	fail "installed sample: the installed default policy" "$(grep ^policy "$conf")"
# its own signing steps: the keygen line of its comments, then the block uncommented
keygen=$(sed -n 's/^--   dkmod keygen /keygen /p' "$conf" | sed "s/--owner USER/--owner $(id -un)/")
# shellcheck disable=SC2086 # the sample's words
if [ -n "$keygen" ] && "$inst/bin/dkmod" $keygen -q >/dev/null 2>"$TMP/kg.err"; then
	pass "installed sample: its keygen step"
else
	fail "installed sample: its keygen step" "'$keygen' $(cat "$TMP/kg.err")"
fi
sed -i '/^-- dkim_sign /,/^-- }/ s/^-- //' "$conf"
grep -q '^dkim_sign "outbound"' "$conf" && pass "installed sample: signing block uncommented" || fail "sample: signing block" "$(cat "$conf")"
check_eq "installed sample with signing: config-check" "$("$inst/bin/dkmod" config-check "$conf" 2>&1)" "$conf: ok"
make -s -C "$T" install PREFIX="$inst" SYSCONFDIR="$inst/etc" BUILD="$BUILD" >/dev/null 2>&1
grep -q '^dkim_sign "outbound"' "$conf" && pass "a second make install keeps the administrator's configuration" ||
	fail "a second make install keeps the administrator's configuration"
