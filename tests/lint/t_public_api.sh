#!/usr/bin/env bash
# t_public_api.sh - the adapters, the dkmod command and the policy layer (lua/) use the
# engine through its public API alone (dkmod.h, the dkmod_* symbols core/libdkmod.map
# exports): no object of theirs references a core symbol outside it, no source of theirs
# includes a core header other than dkmod.h, and each program is linked once more against
# the shared library alone (tests/lint/public_api.mk; `make all` builds them).
# DKMOD_PUBLIC_API_SRC checks another source tree (the mutation check below uses it).
. "$(dirname "$0")/../lib/common.sh"
cd "$DKMOD_TOP" || exit 1
need_cmd "public API" nm readelf || exit 0
SO=$BUILD/libdkmod.so
AR=$BUILD/libdkmod.a
if [ ! -f "$SO" ] || [ ! -f "$AR" ]; then
	fail "public API" "no $SO or $AR (make all)"
	exit 0
fi

# core_includes DIR - "file: header" for each #include "X" of the .c and .h files under DIR
# that names a core header other than dkmod.h (X not found beside the file nor in lua/)
core_includes() {
	local f inc dir
	find "$1/adapters" "$1/lua" -name '*.[ch]' | sort | while read -r f; do
		dir=$(dirname "$f")
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" | while read -r inc; do
			[ "$inc" = dkmod.h ] && continue
			[ -f "$dir/$inc" ] || [ -f "$1/lua/$inc" ] && continue
			[ -f "$1/core/$inc" ] && echo "${f#"$1"/}: $inc"
		done
	done
}

# the check finds an internal header: a copy of an adapter that includes one
mut=$TMP/mut
mkdir -p "$mut/adapters/cli" "$mut/lua" "$mut/core/util"
: >"$mut/core/util/str.h"
printf '#include "dkmod.h"\n#include "util/str.h"\n' >"$mut/adapters/cli/x.c"
check_eq "the include check finds util/str.h in an adapter" "$(core_includes "$mut")" "adapters/cli/x.c: util/str.h"

found=$(core_includes "${DKMOD_PUBLIC_API_SRC:-.}")
check_eq "adapters and lua/ include no core header but dkmod.h" "$found" ""

# every global symbol of the core, and the ones the shared library exports
nm -g --defined-only "$AR" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u >"$TMP/core"
nm -D --defined-only "$SO" | awk 'NF == 3 && $2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u >"$TMP/public"
if [ -s "$TMP/core" ] && [ -s "$TMP/public" ] && ! grep -qv '^dkmod_' "$TMP/public"; then
	pass "the shared library exports dkmod_* only"
else
	fail "the shared library exports dkmod_* only" "$(grep -v '^dkmod_' "$TMP/public" | head -3 | tr '\n' ' ')"
fi
comm -23 "$TMP/core" "$TMP/public" >"$TMP/internal"

# internal_refs OBJ... - "object: symbol" for each internal core symbol the objects reference
internal_refs() {
	local o
	for o in "$@"; do
		nm -u "$o" | awk '{ print $NF }' | sort -u | comm -12 - "$TMP/internal" | sed "s|^|${o#"$BUILD"/}: |"
	done
}
# the check finds one: an object that calls str_grow
printf 'int str_grow(void *, unsigned long);\nint f(void);\nint f(void) { return str_grow(0, 0); }\n' >"$TMP/m.c"
if cc -c -o "$TMP/m.o" "$TMP/m.c" 2>/dev/null; then
	check_eq "the symbol check finds str_grow" "$(internal_refs "$TMP/m.o" | sed 's/.*: //')" "str_grow"
else
	fail "the symbol check finds str_grow" "cc cannot compile the probe"
fi

mapfile -t OBJS < <(find "$BUILD/adapters" "$BUILD/lua" -name '*.o' 2>/dev/null | grep -v "^$BUILD/san/" | sort)
if [ "${#OBJS[@]}" -lt 20 ]; then
	fail "objects of adapters/ and lua/" "only ${#OBJS[@]} under $BUILD (make all)"
else
	refs=$(internal_refs "${OBJS[@]}")
	check_eq "${#OBJS[@]} objects of adapters/ and lua/ reference no internal core symbol" "$refs" ""
fi

# the programs linked against the shared library alone
progs=(dkmod dkmod-stdio dkmod-pipe dkmod-milter)
for p in "${progs[@]}"; do
	bin=$BUILD/shared/$p
	if [ ! -x "$bin" ]; then
		fail "$p linked against libdkmod.so" "no $bin (make all)"
	elif ! readelf -d "$bin" | grep -q 'NEEDED.*\[libdkmod\.so\.0\]'; then
		fail "$p linked against libdkmod.so" "$bin does not need libdkmod.so.0"
	elif readelf -d "$bin" | grep -Eq 'NEEDED.*\[lib(crypto|unbound|lmdb|sodium)\.'; then
		fail "$p linked against libdkmod.so" "$bin uses a library of the core directly"
	else
		pass "$p linked against libdkmod.so"
	fi
done
# and it runs: the command against the shared library finds its subcommands
mkdir -p "$TMP/lib" && ln -s "$DKMOD_TOP/$SO" "$TMP/lib/libdkmod.so.0"
check "dkmod linked against libdkmod.so runs" env LD_LIBRARY_PATH="$TMP/lib" "$BUILD/shared/dkmod" keygen --help
