#!/usr/bin/env bash
# t_install.sh - make install honours PREFIX and DESTDIR: the library (static
# and shared), the header, a pkg-config file that a program builds with, and
# the dkmod command.
. "$(dirname "$0")/../lib/common.sh"
stage="$TMP/stage"
if ! make -s -C "$DKMOD_TOP" install PREFIX=/opt/dkmod DESTDIR="$stage" BUILD="$BUILD" >"$TMP/install.log" 2>&1; then
	fail "make install" "$(tail -5 "$TMP/install.log")"
	exit 0
fi
for f in bin/dkmod lib/libdkmod.a lib/libdkmod.so lib/libdkmod.so.0 include/dkmod.h include/dkmod/report.h include/dkmod/keys.h lib/pkgconfig/dkmod.pc; do
	[ -e "$stage/opt/dkmod/$f" ] && pass "installs $f" || fail "installs $f" "missing"
done
grep -q '^prefix=/opt/dkmod$' "$stage/opt/dkmod/lib/pkgconfig/dkmod.pc" && pass "pkg-config prefix" || fail "pkg-config prefix"
cat >"$TMP/use.c" <<'C'
#include <dkmod.h>
#include <stdio.h>
int main(void)
{
	struct dkmod_options o;
	dkmod_options_init(&o);
	/* dkmod_keycheck_name is declared in dkmod/keys.h, which dkmod.h includes */
	printf("%s %u %s\n", dkmod_result_name(DKMOD_RESULT_PASS), o.min_key_bits, dkmod_keycheck_name(DKMOD_KEYCHECK_OK));
	return 0;
}
C
need_cmd "a program builds with pkg-config" cc pkg-config || exit 0
if PKG_CONFIG_PATH="$stage/opt/dkmod/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage" \
	cc -o "$TMP/use" "$TMP/use.c" $(PKG_CONFIG_PATH="$stage/opt/dkmod/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage" pkg-config --cflags --libs --static dkmod) 2>"$TMP/cc.log"; then
	check_eq "a program builds with pkg-config and runs" "$(LD_LIBRARY_PATH="$stage/opt/dkmod/lib" "$TMP/use")" "pass 1024 ok"
else
	fail "a program builds with pkg-config" "$(cat "$TMP/cc.log")"
fi
if nm -D --defined-only "$stage/opt/dkmod/lib/libdkmod.so" | awk '$2 != "A" {print $3}' | grep -v '^dkmod_' | grep -q .; then
	fail "the shared library exports dkmod_* only" "$(nm -D --defined-only "$stage/opt/dkmod/lib/libdkmod.so" | grep -v ' dkmod_' | head -3)"
else
	pass "the shared library exports dkmod_* only"
fi
"$stage/opt/dkmod/bin/dkmod" --version >/dev/null && pass "installed dkmod runs" || fail "installed dkmod runs"
