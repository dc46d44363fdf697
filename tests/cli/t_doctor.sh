#!/usr/bin/env bash
# t_doctor.sh - `dkmod doctor --as nobody`: a configuration whose files the user
# cannot reach (a private parent directory, a root-only configuration, policy
# script and key, a key other users can read, a missing key, a state directory
# and state file the user cannot write, a missing socket directory) gives one
# problem line with its fix each, exit 78; carrying out the printed fixes makes
# it report ok (exit 0), and the user then really can run config-check (it
# opens every key) where before it could not; run as the user itself, a directory it
# cannot enter is named as such.  Needs root (files of other users).
. "$(dirname "$0")/../lib/common.sh"
if [ "$(id -u)" != 0 ]; then
	skip "dkmod doctor" "needs root to make files the test user cannot read"
	exit 0
fi
user=nobody group=$(id -gn nobody)
chmod 0700 "$TMP"
mkdir -p "$TMP/etc" "$TMP/bin"
"$DKMOD" keygen --domain example.com --selector s1 --out "$TMP/keys" >/dev/null 2>&1
"$DKMOD" keygen --domain example.net --selector s1 --out "$TMP/keys" >/dev/null 2>&1
chmod 0644 "$TMP/keys/example.net/s1.key"
cp "$DKMOD_TOP/lua/default.lua" "$TMP/etc/policy.lua"
chmod 0600 "$TMP/etc/policy.lua"
install -d -m 0755 "$TMP/state"
install -m 0644 /dev/null "$TMP/state/data.mdb"
cat >"$TMP/etc/dkmod.conf" <<EOF
dkim_sign "out" {
  key = "$TMP/keys/%{d}/%{s}.key",
  dkim_domain "example.com" { selector = "s1" },
  dkim_domain "example.net" { selector = "s1" },
  dkim_domain "example.org" { selector = "s2" },
}
dkim_validate "in" { }
keycache { state_dir = "$TMP/state" }
policy "$TMP/etc/policy.lua"
EOF
chmod 0600 "$TMP/etc/dkmod.conf"
install -m 0755 "$DKMOD" "$TMP/bin/dkmod"
sock="unix:$TMP/run/milter.sock"

out=$("$DKMOD" doctor --as "$user" --socket "$sock" "$TMP/etc/dkmod.conf" 2>&1)
check_eq "problems: exit 78" "$?" 78
# expect NAME PROBLEM-TEXT FIX-TEXT - the problem line is followed by its fix line (FIX-TEXT empty: any)
expect() {
	if printf '%s\n' "$out" | grep -F -A1 -- "$2" | grep -qF -- "${3:+  fix: $3}"; then
		pass "$1"
	else
		fail "$1" "no '$2' with fix '$3' in: $(printf '%s\n' "$out" | tr '\n' '|')"
	fi
}
expect "private parent directory" "problem: directory $TMP: user $user lacks x" \
	"chgrp $group $TMP && chmod g+x $TMP"
expect "root-only configuration" "problem: configuration $TMP/etc/dkmod.conf: user $user lacks r" \
	"chgrp $group $TMP/etc/dkmod.conf && chmod g+r $TMP/etc/dkmod.conf"
expect "root-only policy script" "problem: policy script $TMP/etc/policy.lua: user $user lacks r" \
	"chgrp $group $TMP/etc/policy.lua && chmod g+r $TMP/etc/policy.lua"
expect "private key directory" "problem: directory $TMP/keys: user $user lacks x" \
	"chgrp $group $TMP/keys && chmod g+x $TMP/keys"
expect "root-only key" "problem: key file $TMP/keys/example.com/s1.key: user $user lacks r" \
	"chgrp $group $TMP/keys/example.com/s1.key && chmod g+r $TMP/keys/example.com/s1.key"
expect "key other users can read" "problem: key file $TMP/keys/example.net/s1.key: key file mode lets other users read it: refused" \
	"chmod go-w,o-rwx $TMP/keys/example.net/s1.key"
expect "missing key" "problem: key file $TMP/keys/example.org/s2.key: does not exist" \
	"dkmod keygen --domain example.org --selector s2 --out $TMP/keys"
expect "state directory not writable" "problem: state directory $TMP/state: user $user lacks w" \
	"chgrp $group $TMP/state && chmod g+w $TMP/state"
expect "state file not writable" "problem: state file $TMP/state/data.mdb: user $user lacks w" \
	"chgrp $group $TMP/state/data.mdb && chmod g+w $TMP/state/data.mdb"
expect "missing socket directory" "problem: socket directory $TMP/run: does not exist" \
	"install -d -o $user -g $group -m 0750 $TMP/run"
# the keys of example.com and example.net share a directory: its problem is told once
check_eq "each directory told once" "$(printf '%s\n' "$out" | grep -c "^problem: directory $TMP/keys:")" 1
check_eq "example.net's key is readable by the user: only the other-users problem" \
	"$(printf '%s\n' "$out" | grep -c "^problem: key file $TMP/keys/example.net/s1.key")" 1

check "before the fixes, config-check as $user fails" \
	sh -c "! setpriv --reuid=$user --regid=$group --init-groups '$TMP/bin/dkmod' config-check '$TMP/etc/dkmod.conf'"

# carry out the fixes as printed (a new key needs a second round: keygen makes it root's)
rc=78
for round in 1 2 3; do
	printf '%s\n' "$out" | sed -n 's/^  fix: //p' | grep -v '^create it' >"$TMP/fixes.sh"
	[ -s "$TMP/fixes.sh" ] || break
	PATH="$TMP/bin:$PATH" sh -e "$TMP/fixes.sh" >/dev/null 2>&1 || fail "fixes of round $round run" "$(cat "$TMP/fixes.sh")"
	out=$("$DKMOD" doctor --as "$user" --socket "$sock" "$TMP/etc/dkmod.conf" 2>&1)
	rc=$?
done
check_eq "after the fixes: exit 0" "$rc" 0
if printf '%s\n' "$out" | tail -1 | grep -q "^dkmod doctor: ok"; then pass "after the fixes: ok"; else
	fail "after the fixes: ok" "$(printf '%s\n' "$out" | tr '\n' '|')"; fi
check "after the fixes, config-check as $user passes (it opens every key)" \
	setpriv --reuid="$user" --regid="$group" --init-groups "$TMP/bin/dkmod" config-check "$TMP/etc/dkmod.conf"
check "after the fixes, $user can create the socket's file" \
	setpriv --reuid="$user" --regid="$group" --init-groups touch "$TMP/run/milter.sock"

out=$("$DKMOD" doctor --as "$user" --socket inet:8891@127.0.0.1 "$TMP/etc/dkmod.conf" 2>&1)
check_eq "an inet socket has no directory to check" "$?" 0

# the signer's rule, not a copy: a group-writable key is refused (the signer refuses it too),
# and so is a key of a third user
chmod 0660 "$TMP/keys/example.net/s1.key"
out=$("$DKMOD" doctor --as "$user" --socket none "$TMP/etc/dkmod.conf" 2>&1)
expect "group-writable key" "problem: key file $TMP/keys/example.net/s1.key: key file mode lets its group or others write it: refused" \
	"chmod go-w,o-rwx $TMP/keys/example.net/s1.key"
chmod 0640 "$TMP/keys/example.net/s1.key"
chown daemon "$TMP/keys/example.net/s1.key"
out=$("$DKMOD" doctor --as "$user" --socket none "$TMP/etc/dkmod.conf" 2>&1)
expect "key of another user" "problem: key file $TMP/keys/example.net/s1.key: key file belongs to another user" \
	"chown $user $TMP/keys/example.net/s1.key"
chown "$user" "$TMP/keys/example.net/s1.key"
"$DKMOD" doctor --as no-such-user-dkmod "$TMP/etc/dkmod.conf" >/dev/null 2>&1
check_eq "an unknown user: exit 67" "$?" 67
"$DKMOD" doctor --as "$user" >/dev/null 2>&1
check_eq "no configuration: exit 64" "$?" 64
printf 'dkim_validate "x" { bogus = 1 }\n' >"$TMP/etc/bad.conf"
"$DKMOD" doctor --as "$user" "$TMP/etc/bad.conf" >/dev/null 2>&1
check_eq "a broken configuration: exit 78" "$?" 78

# run as the user itself (not root), a directory it cannot enter is named as such, not as missing
pub=$(mktemp -d /tmp/dkmod-doctor.XXXXXX)
at_exit "rm -rf '$pub'"
chmod 0755 "$pub"
install -d -m 0700 "$pub/private" "$pub/private/state"
printf 'dkim_validate "in" { }\nkeycache { state_dir = "%s/private/state" }\n' "$pub" >"$pub/dkmod.conf"
install -m 0755 "$DKMOD" "$pub/dkmod"
out=$(setpriv --reuid="$user" --regid="$group" --init-groups "$pub/dkmod" doctor --as "$user" --socket none "$pub/dkmod.conf" 2>&1)
expect "run as the user: an unreadable directory cannot be examined" \
	"problem: state directory $pub/private/state: cannot be examined: Permission denied (run dkmod doctor as root)" ""

# ---- signing tables: the table file, and the key file of every entry (its own, relative to the
# table; the instance's template; for a * entry and a template with a selector, each file the
# path matches), text and compiled alike
st=$TMP/st
install -d -m 0755 "$st" "$st/keys" "$st/tkeys"
for ds in example.com/t1 any.example/star other.example/auto; do
	"$DKMOD" keygen --domain "${ds%/*}" --selector "${ds#*/}" --out "$st/keys" >/dev/null 2>&1
done
"$DKMOD" keygen --domain shop.example.com --selector t2 --out "$st/tkeys" >/dev/null 2>&1
chmod 0755 "$st/keys"/* "$st/tkeys"/*
printf 'example.com example.com:t1\nshop.example.com shop.example.com:t2:tkeys/shop.example.com/t2.key\n* %%{d}:star\n' >"$st/table.txt"
chmod 0600 "$st/table.txt"
"$DKMOD" signtable compile "$st/table.txt" "$st/table.lmdb" >/dev/null
chmod 0600 "$st/table.lmdb"
# table_conf TABLE - a configuration signing from TABLE with the template and a selector of its own
table_conf() {
	printf 'dkim_sign "out" {\n  sign_table = "%s",\n  key = "%s/keys/%%{d}/%%{s}.key",\n  selector = "auto",\n}\n' \
		"$1" "$st" >"$st/dkmod.conf"
}
for table in table.txt table.lmdb; do
	table_conf "$st/$table"
	out=$("$DKMOD" doctor --as "$user" --socket none "$st/dkmod.conf" 2>&1)
	check_eq "$table: problems: exit 78" "$?" 78
	expect "$table: the table the user cannot read" "problem: signing table $st/$table: user $user lacks r" \
		"chgrp $group $st/$table && chmod g+r $st/$table"
	for k in keys/example.com/t1.key tkeys/shop.example.com/t2.key keys/any.example/star.key keys/other.example/auto.key; do
		expect "$table: key $k (root's, mode 0600)" "problem: key file $st/$k: user $user lacks r" \
			"chgrp $group $st/$k && chmod g+r $st/$k"
	done
done
rc=78
for round in 1 2; do
	printf '%s\n' "$out" | sed -n 's/^  fix: //p' >"$TMP/fixes.sh"
	[ -s "$TMP/fixes.sh" ] || break
	sh -e "$TMP/fixes.sh" >/dev/null 2>&1 || fail "table fixes of round $round run" "$(cat "$TMP/fixes.sh")"
	out=$("$DKMOD" doctor --as "$user" --socket none "$st/dkmod.conf" 2>&1)
	rc=$?
done
check_eq "tables: after the fixes: exit 0" "$rc:$(printf '%s\n' "$out" | grep -c '^ok: key file')" "0:4"
table_conf "$st/table.lmdb"
check "tables: after the fixes, $user signs from the compiled table (the * entry's key)" \
	sh -c "printf 'From: a@any.example\nSubject: t\n\nbody\n' | setpriv --reuid=$user --regid=$group --init-groups '$TMP/bin/dkmod' process --config '$st/dkmod.conf' --relay 2>&1 | grep -q '^DKIM-Signature:.*d=any.example'"
