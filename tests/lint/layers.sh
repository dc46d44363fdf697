#!/usr/bin/env bash
# layers.sh DIR - the include graph of a core/ tree DIR: prints each broken rule and exits 1.
# A module is a .c file and its .h (folder/name); a module in several files says so by its
# file names (layers_module below).  Rules: no cycle between modules (tsort); no file outside
# engine/ includes a header of engine/ (methods get a message through method/method.h); no signer
# (method/*sign*) includes a verifier's header (method/*verify*).
dir=$(cd "${1:?usage: layers.sh DIR}" && pwd) || exit 2
bad=0
# layers_module - the module a file or header name (folder/name) belongs to: the engine's files
# share engine/session.h and are one module; elsewhere folder/X_Y is part of folder/X when X.h
# or X.c is there (crypto_hash.c of crypto, dmarc_walk.h of dmarc, store_lmdb.c of store)
layers_module() {
	local folder=${1%%/*} name=${1#*/}
	case $folder in engine) echo engine/session; return ;; esac
	case $name in *_*) [ -e "$dir/$folder/${name%%_*}.h" ] || [ -e "$dir/$folder/${name%%_*}.c" ] && name=${name%%_*} ;; esac
	echo "$folder/$name"
}
edges=$(cd "$dir" && for f in */*.[ch] *.h; do
	[ -f "$f" ] || continue
	from=$(layers_module "${f%.*}")
	sed -n 's/^#include "\([a-z0-9_]*\/[a-z0-9_]*\)\.h".*/\1/p' "$f" | while read -r inc; do
		to=$(layers_module "$inc")
		[ "$to" != "$from" ] && echo "$from $to $f"
	done
done)
if ! loop=$(cut -d' ' -f1,2 <<<"$edges" | tsort 2>&1 >/dev/null) || [ -n "$loop" ]; then
	echo "include cycle between modules: $(grep -v 'input contains a loop' <<<"$loop" | sed 's/^tsort: //' | tr '\n' ' ')"
	bad=1
fi
while read -r from to f; do
	case "$from:$to" in
	method/*:engine/*) echo "$f includes $to.h: a method sees the message through method/method.h"; bad=1 ;;
	engine/*:*) ;;
	*:engine/*) echo "$f includes $to.h: only the engine sees the engine (it is the top step)"; bad=1 ;;
	method/*sign*:method/*verify*) echo "$f includes $to.h: a signer does not import a verifier"; bad=1 ;;
	esac
done <<<"$edges"
exit $bad
