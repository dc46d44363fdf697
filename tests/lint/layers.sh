#!/usr/bin/env bash
# layers.sh DIR - the include graph of a core/ tree DIR: prints each broken rule and exits 1.
# A module is a .c file and its .h (folder/name); a module in several files is named below:
# the engine's files that share engine/session.h, the OpenSSL files that share
# key/crypto_openssl.h, DMARC's files that share method/dmarc_walk.h.  Rules: no cycle between modules (tsort); no file outside
# engine/ includes a header of engine/ (methods get a message through method/method.h); no signer
# (method/*sign*) includes a verifier's header (method/*verify*).
dir=${1:?usage: layers.sh DIR}
session="engine/session engine/session_auth engine/session_count engine/session_sender engine/signtable_refresh engine/ctx engine/fieldscan engine/hdrwalk engine/ar"
crypto="key/crypto key/crypto_openssl key/crypto_hash key/crypto_pubkey key/crypto_privkey key/crypto_keygen"
dmarc="method/dmarc method/dmarc_walk method/dmarc_verdict"
bad=0
# layers_module - the module a file or header name (folder/name) belongs to
layers_module() {
	case " $session " in *" $1 "*) echo engine/session; return ;; esac
	case " $crypto " in *" $1 "*) echo key/crypto; return ;; esac
	case " $dmarc " in *" $1 "*) echo method/dmarc; return ;; esac
	echo "$1"
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
