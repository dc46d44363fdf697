#!/usr/bin/env bash
# t_docs.sh - the examples of doc/dkmod.conf.5 and doc/dkmod-lua.7 run as
# written.  An example is the .EX/.EE block after a comment line
#   .\" example config: NAME
#   .\" example policy: NAME from=ADDR [subject=S] [auth=U] [relay] expect=ACTION [field=F] [signed=N]
# Configuration examples must pass `dkmod config-check` once the files they
# name exist (keys are made, the policy script is lua/default.lua, a zone is
# conf/demo.zone); policy examples run through `dkmod process` with a small
# configuration and a zone file, and must give the action (and the field, and
# the number of DKIM signatures) the comment names.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1

# extract MANPAGE KIND - write each example of KIND to KIND/NAME and list "NAME ATTRS" in KIND.list
extract() {
	mkdir -p "$2"
	awk -v kind="$2" -v dir="$2" '
		$0 ~ "^[.]\\\\\" example " kind ": " { name = $4; attrs = $0; sub(/^[^:]*: [^ ]*/, "", attrs); want = 1; next }
		want && /^[.]EX/ { cap = 1; out = dir "/" name; printf "" >out; next }
		cap && /^[.]EE/ { cap = 0; want = 0; close(out); print name attrs >>(dir ".list"); next }
		cap { gsub(/\\-/, "-"); gsub(/\\\(dq/, "\""); gsub(/\\e/, "\\"); print >>out }
	' "$1"
}
extract "$DKMOD_TOP/doc/dkmod.conf.5" config
extract "$DKMOD_TOP/doc/dkmod-lua.7" policy
check_eq "dkmod.conf(5) has configuration examples" "$([ -s config.list ] && wc -l <config.list)" 3
check_eq "dkmod-lua(7) has policy examples" "$([ -s policy.list ] && wc -l <policy.list)" 5

# provide DIR CONF - run config-check in DIR and make the files it misses; prints the last output
provide() {
	local dir=$1 conf=$2 out i p
	for i in 1 2 3 4 5 6 7 8; do
		out=$(cd "$dir" && "$DKMOD" config-check "$conf" 2>&1) && break
		while IFS= read -r p; do
			mkdir -p "$dir/$(dirname "$p")" && newkey "$dir/$p" >/dev/null
		done < <(printf '%s\n' "$out" | sed -n 's/.*key file \(.*\): No such file or directory$/\1/p')
		while IFS= read -r p; do
			mkdir -p "$dir/$(dirname "$p")" && cp "$LUA_TOP/default.lua" "$dir/$p"
		done < <(printf '%s\n' "$out" | sed -n 's/.*policy: script \(.*\): No such file or directory$/\1/p')
		while IFS= read -r p; do
			mkdir -p "$dir/$(dirname "$p")" && cp "$DKMOD_TOP/conf/demo.zone" "$dir/$p"
		done < <(printf '%s\n' "$out" | sed -n 's/.*resolver: zone \(.*\): No such file or directory$/\1/p')
	done
	printf '%s\n' "$out"
}

while read -r name _; do
	mkdir -p "run-$name"
	cp "config/$name" "run-$name/dkmod.conf"
	out=$(provide "run-$name" dkmod.conf)
	check_eq "dkmod.conf(5) example '$name': config-check" "$out" "dkmod.conf: ok"
done <config.list

# the configuration the policy examples run with
cat >test.zone <<'ZONE'
$ORIGIN example.com.
$TTL 300
@ IN SOA ns hostmaster 1 3600 600 86400 300
@ IN NS ns
ns IN A 127.0.0.1
@ IN MX 10 mx
_domainkey IN TXT "o=-"
ZONE
while read -r name attrs; do
	from="" subject=test auth="" relay="" expect="" field="" signed=""
	for a in $attrs; do
		case $a in
		from=*) from=${a#from=} ;; subject=*) subject=${a#subject=} ;; auth=*) auth=${a#auth=} ;;
		relay) relay=1 ;; expect=*) expect=${a#expect=} ;; field=*) field=${a#field=} ;;
		signed=*) signed=${a#signed=} ;; *) fail "policy example '$name'" "unknown attribute $a" ;;
		esac
	done
	d="pol-$name"
	mkdir -p "$d"
	cp "policy/$name" "$d/policy.lua"
	cp test.zone "$d/"
	cat >"$d/dkmod.conf" <<'CONF'
dkim_sign "doc" { key = "keys/%{d}/%{s}.key", dkim_domain "example.com" { selector = "s1" } }
dk_validate "dk_in" { }
dkim_validate "dkim_in" { verify_signed = true } -- "doc" signs every message here
resolver { zone = "test.zone", timeout = 2 }
policy "policy.lua"
authserv_id "mx.example.net"
CONF
	out=$(provide "$d" dkmod.conf)
	check_eq "dkmod-lua(7) example '$name': config-check" "$out" "dkmod.conf: ok"
	mail "$from" "" "$subject" >"$d/m.eml"
	args=(--config dkmod.conf)
	[ -n "$auth" ] && args+=(--auth-user "$auth")
	[ -n "$relay" ] && args+=(--relay)
	# keys a sign hook asks for are made once the log names them
	for _ in 1 2 3; do
		(cd "$d" && "$DKMOD" process "${args[@]}" m.eml >out.eml 2>err.txt)
		rc=$?
		missing=$(sed -n 's/.*signing key \(.*\): cannot read key file$/\1/p' "$d/err.txt")
		[ -z "$missing" ] && break
		for p in $missing; do mkdir -p "$d/$(dirname "$p")" && newkey "$d/$p" >/dev/null; done
	done
	check_eq "dkmod-lua(7) example '$name': action" "$(action_of "$d/err.txt")" "$expect"
	if [ -n "$field" ]; then
		if has_field "$d/out.eml" "$field"; then pass "dkmod-lua(7) example '$name': $field added"; else
			fail "dkmod-lua(7) example '$name': $field added" "$(head -n 5 "$d/out.eml")"; fi
	fi
	if [ -n "$signed" ]; then
		check_eq "dkmod-lua(7) example '$name': signatures" "$(grep -c '^DKIM-Signature:' "$d/out.eml")" "$signed"
	fi
	if grep -q 'hook failed' "$d/err.txt"; then fail "dkmod-lua(7) example '$name': no script error" "$(cat "$d/err.txt")"; fi
done <policy.list

# the shipped scripts load, and every policy example passes config-check on its own
for s in "$LUA_TOP"/default.lua "$LUA_TOP"/examples/*.lua; do
	printf 'policy "%s"\n' "$s" >shipped.conf
	check "shipped script ${s#"$DKMOD_TOP"/}: config-check" "$DKMOD" config-check shipped.conf
done

# conf/dkmod.conf: the sample configuration runs as it is, signing and verifying
SAMPLE="$DKMOD_TOP/conf/dkmod.conf"
check_eq "conf/dkmod.conf: config-check" "$("$DKMOD" config-check "$SAMPLE" 2>&1)" "$SAMPLE: ok"
process "conf/dkmod.conf: sign the sample message" accept 0 --config "$SAMPLE" --auth-user alice "$DKMOD_TOP/conf/sample.eml"
check_eq "conf/dkmod.conf: two signatures" "$(grep -c '^DKIM-Signature:' out.eml)" 2
cp out.eml signed.eml
process "conf/dkmod.conf: verify the signed message" accept 0 --config "$SAMPLE" signed.eml
check_eq "conf/dkmod.conf: both verify" "$(ar_results out.eml)" "dkim=pass dkim=pass domainkeys=none"
