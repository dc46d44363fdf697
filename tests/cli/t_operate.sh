#!/usr/bin/env bash
# t_operate.sh - operating dkmod as an administrator does: the console counts
# per configured instance (a second signing instance under its own name, a
# refused key as a failure) and refuses an unknown instance; the console never
# creates a state and exits 75 without one; the log's verified= counts
# signatures; signed submissions are not verified unless verify_signed asks.
# Run as root, also: tools leave no state the mail service's user cannot use.
. "$(dirname "$0")/../lib/common.sh"
cd "$TMP" || exit 1
install -m 600 "$DKMOD_TOP/conf/demo.key" rsa.key
install -m 600 "$DKMOD_TOP/conf/demo-ed25519.key" ed.key
cp "$DKMOD_TOP/conf/demo.zone" "$DKMOD_TOP/conf/sample.eml" .
mkdir state state2 state3 # (run as root, dkmod process would not make them: see the end)
# conf FILE STATE [VALIDATE-OPTIONS] - two signing instances, both validators, named
conf() {
	cat >"$1" <<CONF
dkim_sign "outbound" {
  sign_condition = "auth_user", key = "rsa.key",
  dkim_domain "example.com" { selector = "demo" },
}
dkim_sign "dkim_ed" {
  sign_condition = "auth_user", key = "ed.key",
  dkim_domain "example.com" { selector = "demo-ed", algorithm = "ed25519" },
}
dk_validate "dk_in" { }
dkim_validate "dkim_in" { ${3:-} }
keycache { state_dir = "$2" }
resolver { zone = "demo.zone" }
authserv_id "mx.example.net"
log { level = "info" }
CONF
}
stat_of() { "$DKMOD" console --state "$1" "$2 stats" 2>/dev/null | awk -v k="$3" '$1 == k { print $2 }'; }

# counters by configured instance
conf a.conf "$TMP/state"
"$DKMOD" process --config a.conf --auth-user alice sample.eml >signed.eml 2>err.txt
check_eq "signed by both instances" "$(grep -c '^DKIM-Signature:' signed.eml)" 2
check_eq "outbound counts its signature" "$(stat_of state dkim_sign:outbound dkim_sign.outbound.signed)" 1
check_eq "dkim_ed counts its own signature" "$(stat_of state dkim_sign:dkim_ed dkim_sign.dkim_ed.signed)" 1
check_eq "no count under the default name" "$(stat_of state dkim_sign:dkim_sign1 dkim_sign.dkim_sign1.signed)" ""
"$DKMOD" process --config a.conf signed.eml >verified.eml 2>err2.txt
check_eq "dkim_in counts the message" "$(stat_of state dkim_validate:dkim_in dkim_validate.dkim_in.messages)" 1
check_eq "dkim_in counts two passes" "$(stat_of state dkim_validate:dkim_in dkim_validate.dkim_in.result.pass)" 2
check_eq "dk_in counts the message" "$(stat_of state dk_validate:dk_in dk_validate.dk_in.messages)" 1
grep -q 'verified=2 ' err2.txt && pass "log: verified=2 for two signatures" || fail "log: verified=2" "$(cat err2.txt)"
"$DKMOD" process --config a.conf sample.eml >/dev/null 2>err3.txt
grep -q 'verified=0 ' err3.txt && pass "log: verified=0 for no signature" || fail "log: verified=0" "$(cat err3.txt)"

# a refused key is a failure of its instance
chmod 644 ed.key
"$DKMOD" process --config a.conf --auth-user alice sample.eml >/dev/null 2>err4.txt
check_eq "a refused key counts as dkim_ed failed" "$(stat_of state dkim_sign:dkim_ed dkim_sign.dkim_ed.failed)" 1
check_eq "outbound still signs" "$(stat_of state dkim_sign:outbound dkim_sign.outbound.signed)" 2
chmod 600 ed.key

# unknown instances and missing states
"$DKMOD" console --state state 'dkim_validate:no_such stats' >out.txt 2>msg.txt
check_eq "unknown instance exits 64" "$?" 64
grep -q 'no instance dkim_validate:no_such.*known: dkim_in' msg.txt && pass "unknown instance: message names the known ones" ||
	fail "unknown instance: message" "$(cat msg.txt)"
check_eq "unknown instance prints no counters" "$(wc -c <out.txt)" 0
"$DKMOD" console --state state 'dkim_validate:no_such flush keycache' >/dev/null 2>&1
check_eq "unknown instance: no flush (exit 64)" "$?" 64
conf b.conf "$TMP/state2"
"$DKMOD" config-check b.conf >/dev/null 2>&1
"$DKMOD" process --config b.conf /dev/null >/dev/null 2>&1 </dev/null
check_eq "a configured instance is known before its first message" \
	"$(stat_of state2 dk_validate:dk_in dk_validate.dk_in.messages)" 0
"$DKMOD" console --state "$TMP/nostate" 'dkim_validate:dkim_in stats' >/dev/null 2>msg.txt
check_eq "console without a state exits 75" "$?" 75
[ ! -e "$TMP/nostate" ] && pass "console creates no state" || fail "console creates no state" "$(ls -ld "$TMP/nostate")"
grep -q 'no shared state in' msg.txt && pass "console says why" || fail "console says why" "$(cat msg.txt)"

# signed submissions are only signed; verify_signed = true verifies them too
grep -q '^Authentication-Results:' signed.eml && fail "signed submission: no Authentication-Results" "$(sed '/^$/q' signed.eml)" ||
	pass "signed submission: no Authentication-Results"
grep -q '^DomainKey-Status:' signed.eml && fail "signed submission: no DomainKey-Status" || pass "signed submission: no DomainKey-Status"
{ printf 'Authentication-Results: mx.example.net; dkim=pass header.d=example.com\n'; cat sample.eml; } >forged.eml
"$DKMOD" process --config a.conf --auth-user alice forged.eml >out.eml 2>/dev/null
grep -q 'dkim=pass header.d=example.com' out.eml && fail "signed submission: a forged A-R is still removed" "$(sed '/^$/q' out.eml)" ||
	pass "signed submission: a forged A-R is still removed"
# ... and so are forged results below the header limits (1500 filler fields), wherever they are
awk 'done || !/^\r?$/ { print; next }
	{ for (i = 0; i < 1500; i++) printf "X-Filler-%d: %d\n", i, i
	  print "Authentication-Results: mx.example.net; dkim=pass header.d=example.com"
	  print "DomainKey-Status: good"; print; done = 1 }' sample.eml >forged-deep.eml
"$DKMOD" process --config a.conf --auth-user alice forged-deep.eml >out.eml 2>/dev/null
check_eq "signed submission past the header limits: handed on with every filler field" "$(grep -c '^X-Filler-' out.eml)" 1500
check_eq "signed submission past the header limits: no forged A-R or DomainKey-Status left" \
	"$(grep -c -e 'dkim=pass header.d=example.com' -e '^DomainKey-Status: good' out.eml)" 0
conf c.conf "$TMP/state3" "verify_signed = true"
"$DKMOD" process --config c.conf --auth-user alice sample.eml >both.eml 2>/dev/null
grep -q '^Authentication-Results: mx.example.net;' both.eml && pass "verify_signed = true: verified as well" ||
	fail "verify_signed = true" "$(sed '/^$/q' both.eml)"

# dkmod-stdio with standard error lost (qpsmtpd --detach): its lines reach log { file }
STDIO="$DKMOD_TOP/$BUILD/dkmod-stdio"
sed "s|log { level = \"info\" }|log { level = \"info\", file = \"$TMP/dkmod.log\" }|" a.conf >f.conf
"$PYTHON" "$DKMOD_TOP/tests/adapters/stdio_client.py" req signed.eml >req.bin
{ cat req.bin; printf 'garbage\n'; } | timeout 20 "$STDIO" --config f.conf >/dev/null 2>/dev/null
grep -q 'dkmod\[[0-9]*\]: info: dkim=pass d=example.com s=demo$' dkmod.log &&
	pass "stdio: per-signature lines in log { file }" || fail "stdio: per-signature lines in log { file }" "$(cat dkmod.log)"
grep -q 'dkmod\[[0-9]*\]: error: .*' dkmod.log && pass "stdio: its own error lines in log { file } too" ||
	fail "stdio: own lines in log { file }" "$(cat dkmod.log)"
# without log { file }, standard error lost: syslog (a private /dev with its own /dev/log)
if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
	cat >syslogd.py <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1], "w").close()
s.settimeout(10)
with open(sys.argv[2], "wb") as out:
    try:
        while True:
            out.write(s.recv(65536) + b"\n"); out.flush()
    except socket.timeout:
        pass
PY
	unshare -m --propagation private bash -c '
		mount -t tmpfs none /dev && mknod -m 666 /dev/null c 1 3 || exit 1
		"$0" syslogd.py ready syslog.txt & pid=$!
		for _ in $(seq 50); do [ -e ready ] && break; sleep 0.1; done
		timeout 20 "$1" --config a.conf <req.bin >/dev/null 2>/dev/null
		sleep 0.5; kill $pid' "$PYTHON" "$STDIO"
	grep -q 'dkmod.*info: dkim=pass d=example.com s=demo$' syslog.txt && pass "stdio: standard error lost, its lines go to syslog" ||
		fail "stdio: standard error lost, its lines go to syslog" "$(cat syslog.txt 2>&1)"
else
	skip "stdio: syslog when standard error is lost" "needs root and unshare -m"
fi
printf 'log { file = "x.log", syslog = true }\n' >g.conf
"$DKMOD" config-check g.conf >out.txt 2>&1
grep -q 'file and syslog = true exclude' out.txt && pass "config-check: log file and syslog" || fail "config-check: log file and syslog" "$(cat out.txt)"

# a sign hook's requests count under their instance field
cat >hook.lua <<'LUA'
function sign(msg)
  if not msg.auth_user then return nil end
  return { { domain = "example.com", selector = "demo", key = "rsa.key", instance = "hooked" } }
end
LUA
sed 's|^authserv_id|policy "hook.lua"\nauthserv_id|' a.conf >h.conf
"$DKMOD" process --config h.conf --auth-user alice sample.eml >/dev/null 2>&1
check_eq "a sign hook's request counts under its instance" "$(stat_of state dkim_sign:hooked dkim_sign.hooked.signed)" 1
sed -i 's/instance = "hooked"/instance = "bad name"/' hook.lua
"$DKMOD" process --config h.conf --auth-user alice sample.eml >/dev/null 2>err.txt
grep -q 'instance is 1 to 100 letters' err.txt && pass "a sign hook's instance with a space is refused" || fail "hook instance refused" "$(cat err.txt)"

# zone: policy records per domain
"$DKMOD" keygen -q --type ed25519 --domain a.example --selector s --out zk >/dev/null &&
	"$DKMOD" keygen -q --type ed25519 --domain b.example --selector s --out zk >/dev/null
"$DKMOD" zone --keys zk --domain a.example --policy-dk o=- --adsp all >a.zone 2>msg.txt
grep -q '^_domainkey.a.example. IN TXT ( "o=-" )' a.zone && grep -q '^_adsp._domainkey.a.example. IN TXT' a.zone &&
	pass "zone --domain: the policy of that domain" || fail "zone --domain: policy" "$(cat a.zone msg.txt)"
grep -q 'b\.example' a.zone && fail "zone --domain: no records of other domains" "$(cat a.zone)" ||
	pass "zone --domain: no records of other domains"
"$DKMOD" zone --keys zk --policy-dk o=- >all.zone 2>msg.txt
grep -q 'given to all 2 domains' msg.txt && pass "zone: a policy for every domain is said" || fail "zone: policy note" "$(cat msg.txt)"
"$DKMOD" zone --keys zk --domain c.example >/dev/null 2>&1
check_eq "zone --domain without keys exits 66" "$?" 66

if [ "$(id -u)" != 0 ]; then
	skip "ownership as root" "not root"
	exit 0
fi
# tools run as root leave nothing the service's user cannot use
svc=nobody
svcg=$(id -gn "$svc")
mkdir -p svcstate && chown "$svc:$svcg" svcstate
conf d.conf "$TMP/svcstate"
"$DKMOD" process --config d.conf --auth-user alice sample.eml >/dev/null 2>&1
check_eq "root's process: data.mdb belongs to the state directory's owner" "$(stat -c %U svcstate/data.mdb)" "$svc"
check_eq "root's process: lock.mdb belongs to the state directory's owner" "$(stat -c %U svcstate/lock.mdb)" "$svc"
conf e.conf "$TMP/newstate"
"$DKMOD" process --config e.conf --auth-user alice sample.eml >/dev/null 2>err.txt
[ ! -e newstate ] && pass "root's process does not create a missing state directory" || fail "root creates no state dir" "$(ls -ld newstate)"
grep -q 'not created by root' err.txt && pass "root's process says why" || fail "root's process says why" "$(cat err.txt)"
sed -i "s|keycache { state_dir = \"$TMP/newstate\" }|keycache { state_dir = \"$TMP/newstate\", owner = \"$svc\" }|" e.conf
"$DKMOD" process --config e.conf --auth-user alice sample.eml >/dev/null 2>&1
check_eq "keycache owner: the state directory is made for that user" "$(stat -c %U newstate 2>&1)" "$svc"
check_eq "keycache owner: its files too" "$(stat -c %U newstate/data.mdb 2>&1)" "$svc"
sed -i 's|owner = "nobody"|owner = "no-such-user-dkmod"|' e.conf
"$DKMOD" config-check e.conf >out.txt 2>&1
grep -q "owner 'no-such-user-dkmod' is no user" out.txt && pass "config-check: unknown owner" || fail "config-check: unknown owner" "$(cat out.txt)"

mkdir -p keys && chown "$svc:$svcg" keys
"$DKMOD" keygen -q --domain example.org --selector s1 --out keys >/dev/null 2>&1
check_eq "keygen as root: the domain directory takes the key directory's owner" "$(stat -c %U keys/example.org)" "$svc"
check_eq "keygen as root: the key too, mode 0600" "$(stat -c '%U %a' keys/example.org/s1.key)" "$svc 600"
mkdir -p rootkeys
"$DKMOD" keygen -q --domain example.org --selector s1 --out rootkeys --owner "$svc" >/dev/null 2>&1
check_eq "keygen --owner" "$(stat -c %U rootkeys/example.org rootkeys/example.org/s1.key | tr '\n' ' ')" "$svc $svc "
"$DKMOD" keygen --domain example.org --selector s2 --out rootkeys >/dev/null 2>msg.txt
grep -q 'belongs to root' msg.txt && pass "keygen as root into root's directory says so" || fail "keygen root note" "$(cat msg.txt)"
"$DKMOD" keygen --domain example.org --selector s3 --out rootkeys --owner no-such-user-dkmod >/dev/null 2>&1
check_eq "keygen --owner of no user exits 64" "$?" 64
"$DKMOD" rotate --keys keys --domain example.net --now 1780000000 >/dev/null 2>&1
check_eq "rotate as root: directory, key and state file take the key directory's owner" \
	"$(stat -c %U keys/example.net keys/example.net/2026-05.key keys/example.net/selectors | sort -u)" "$svc"
