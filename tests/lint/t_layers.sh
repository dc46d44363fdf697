#!/usr/bin/env bash
# t_layers.sh - the include graph of core/ keeps its rules (tests/lint/layers.sh): no
# cycle between modules, no method on the engine, no signer on a verifier.  Each rule can
# fail: layers.sh runs again on copies of core/ with one include added that breaks it.
. "$(dirname "$0")/../lib/common.sh"
cd "$DKMOD_TOP" || exit 1

out=$(bash tests/lint/layers.sh core 2>&1; echo "rc=$?")
check_eq "core/: no include cycle, no method on the engine, no signer on a verifier" "$out" "rc=0"

tmp=$(mktemp -d) || exit 1
at_exit "rm -rf '$tmp'"
# mutate FILE LINE - what layers.sh says of a copy of core/ with LINE added above FILE's first include
mutate() {
	rm -rf "$tmp/core" && cp -r core "$tmp/core" || return
	awk -v line="$2" '!done && /^#include "/ { print line; done = 1 } { print }' "core/$1" >"$tmp/core/$1"
	bash tests/lint/layers.sh "$tmp/core" 2>&1
	echo "rc=$?"
}
out=$(mutate key/pubkeys.h '#include "method/method.h"')
check "a cycle between modules fails (key/pubkeys.h including method/method.h)" \
	grep -q 'include cycle between modules: .*key/pubkeys' <<<"$out"
check "the failing run exits 1" grep -qx 'rc=1' <<<"$out"
out=$(mutate method/sendpolicy.c '#include "engine/session.h"')
check "a method including the engine fails" grep -q 'method/sendpolicy.c includes engine/session.h' <<<"$out"
out=$(mutate key/signtable.c '#include "engine/session.h"')
check "a lower step including the engine fails" grep -q 'key/signtable.c includes engine/session.h: only the engine' <<<"$out"
out=$(mutate method/dksign.c '#include "method/dkverify.h"')
check "a signer including a verifier fails" grep -q 'method/dksign.c includes method/dkverify.h: a signer' <<<"$out"
