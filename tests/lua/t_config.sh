#!/usr/bin/env bash
# t_config.sh - `dkmod config-check`: good configurations print "FILE: ok" and
# exit 0; each broken one prints exactly the expected "FILE:LINE: message"
# lines (unknown options, wrong types, unreadable keys, bad templates, bad
# canonicalization and algorithm names, duplicate instances, misplaced
# blocks, the milter block's socket and networks, Lua syntax and run-time
# errors, a runaway file) and exits 78.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
mkdir -p keys/example.com keys/example.org sub/keys/example.com
newkey keys/example.com/s1024.key >/dev/null && newkey keys/example.org/s1024.key >/dev/null &&
	newkey keys/example.com/2026-11.key >/dev/null && cp -p keys/example.com/s1024.key sub/keys/example.com/ || {
	fail "keys"
	exit 1
}
echo 'function verify(msg) return "accept" end' >policy.lua

# bad NAME EXPECTED... - the configuration on standard input gives exactly these lines, exit 78
bad() {
	local name=$1 rc
	shift
	cat >"$name.conf"
	"$DKMOD" config-check "$name.conf" >got.txt 2>&1
	rc=$?
	printf '%s\n' "$@" >want.txt
	if [ "$rc" = 78 ] && diff want.txt got.txt >/dev/null; then
		pass "$name"
	else
		fail "$name" "exit $rc: $(diff want.txt got.txt | tr '\n' ' ')"
	fi
}
# good NAME [FILE] - the configuration on standard input (or FILE) is fine
good() {
	local name=$1 f=${2:-$1.conf} out rc
	[ -n "${2:-}" ] || cat >"$f"
	out=$("$DKMOD" config-check "$f" 2>&1)
	rc=$?
	if [ "$rc" = 0 ] && [ "$out" = "$f: ok" ]; then pass "$name"; else fail "$name" "exit $rc: $out"; fi
}

good "the full example" <<'CONF'
dk_sign "dk_sign1" {
  sign_condition = "can_relay",        -- or "auth_user"; absent = sign whenever a key exists
  canon = "nofws", digest = "rsa-sha1",
  key = "keys/%{d}/%{s}.key",
  headers = { "from", "to", "subject" },
  dk_domain "example.com" { selector = "s1024" },
  dk_domain "mail.example.org" { selector = "s1024", base_domain = "example.org" },
}
dkim_sign "dkim_sign1" { canon = "relaxed/relaxed", digest = "rsa-sha256", key = "keys/%{d}/%{s}.key",
  headers = { "from", "to", "subject", "date" }, oversign = true, expire = 0, sign_condition = "auth_user",
  dkim_domain "example.com" { selector = "2026-11", algorithm = "rsa-sha256", identity = "@example.com" } }
dk_validate "dk_validate1" { }
dkim_validate "dkim_validate1" { min_key_bits = 1024, max_signatures = 8 }
keycache { size = 2048, ttl = 300, negative_ttl = 3600, state_dir = "state" }
resolver { forward = { "127.0.0.1@53" }, trust_anchor = "policy.lua", timeout = 5, dnssec_bogus = "temperror",
  stub = { ["zone.example"] = "127.0.0.1@5353" } }
policy "policy.lua"   -- relative paths are relative to the config file
log { level = "info", syslog = false }
authserv_id "mx.example.net"
CONF
good "locals and expressions" <<'CONF'
local keys = "keys/%{d}/%{s}.key"
local bits = 2 * 512
dkim_sign "a" { key = keys, dkim_domain "example.com" { selector = "s" .. bits } }
CONF
good "an empty file" </dev/null
printf 'dkim_sign "a" { key = "keys/%%{d}/%%{s}.key", dkim_domain "example.com" { selector = "s1024" } }\n' >sub/rel.conf
good "paths relative to the configuration file" sub/rel.conf
good "policy as a table" <<'CONF'
policy { file = "policy.lua", fallback = "accept", time_limit = 50, memory_limit = 16 }
CONF

bad unknown-option 'unknown-option.conf:4: dkim_sign "s": unknown option '\''canonicalization'\''' <<'CONF'
dkim_sign "s" {
  key = "keys/%{d}/%{s}.key",
  dkim_domain "example.com" { selector = "s1024" },
  canonicalization = "relaxed",
}
CONF
bad unknown-domain-option 'unknown-domain-option.conf:3: dkim_domain "example.com": selector is required' \
	'unknown-domain-option.conf:4: dkim_domain "example.com": unknown option '\''selektor'\''' <<'CONF'
dkim_sign "s" {
  key = "keys/%{d}/%{s}.key",
  dkim_domain "example.com" {
    selektor = "s1024",
  },
}
CONF
bad wrong-type 'wrong-type.conf:3: dkim_validate "v": min_key_bits must be a whole number, not string' \
	'wrong-type.conf:4: dkim_validate "v": max_signatures must be a whole number, not number' <<'CONF'
dkim_validate "v" {
  -- numbers, not strings
  min_key_bits = "1024",
  max_signatures = 2.5,
}
CONF
# key files: config-check decides as the signer does (core/key/keyfile.c): 0644 and 0660 are refused
# with the fix, 0640 is fine
install -m 644 keys/example.com/s1024.key keys/example.com/open.key
install -m 660 keys/example.com/s1024.key keys/example.com/gw.key
install -m 640 keys/example.com/s1024.key keys/example.com/group.key
install -m 600 policy.lua notkey.pem
bad open-key 'open-key.conf:2: dkim_domain "example.com": key file keys/example.com/open.key: key file mode lets other users read it: refused (fix: chmod 600, or 640 with the service'"'"'s group)' <<'CONF'
dkim_sign "s" { key = "keys/%{d}/open.key",
  dkim_domain "example.com" { selector = "s1024" } }
CONF
bad group-writable-key 'group-writable-key.conf:2: dkim_domain "example.com": key file keys/example.com/gw.key: key file mode lets its group or others write it: refused (fix: chmod 600 or 640 on it)' <<'CONF'
dkim_sign "s" { key = "keys/%{d}/gw.key",
  dkim_domain "example.com" { selector = "s1024" } }
CONF
bad not-a-key 'not-a-key.conf:2: dkim_domain "example.com": key file notkey.pem: not a PEM private key' <<'CONF'
dkim_sign "s" { key = "notkey.pem",
  dkim_domain "example.com" { selector = "s1024" } }
CONF
good "a key file of mode 0640" <<'CONF'
dkim_sign "s" { key = "keys/%{d}/group.key",
  dkim_domain "example.com" { selector = "s1024" } }
CONF
bad unreadable-key 'unreadable-key.conf:5: dk_domain "example.net": key file keys/example.net/s1024.key: No such file or directory' <<'CONF'
dk_sign "dk" {
  canon = "nofws",
  key = "keys/%{d}/%{s}.key",
  dk_domain "example.com" { selector = "s1024" },
  dk_domain "example.net" { selector = "s1024" },
}
CONF
bad unreadable-domain-key 'unreadable-domain-key.conf:4: dkim_domain "example.com": key file keys/other.key: No such file or directory' <<'CONF'
dkim_sign "s" {
  key = "keys/%{d}/%{s}.key",
  dkim_domain "example.com" { selector = "s1024",
    key = "keys/other.key" },
}
CONF
bad bad-template 'bad-template.conf:2: dkim_sign "s": key '\''keys/%{domain}/%{s}.key'\'': unknown %{...} in a template (only %{d} and %{s})' <<'CONF'
dkim_sign "s" {
  key = "keys/%{domain}/%{s}.key",
  dkim_domain "example.com" { selector = "s1024" },
}
CONF
bad lone-percent 'lone-percent.conf:1: dkim_sign "s": key '\''keys/100%.key'\'': a lone % in a template (write %% for a percent sign)' <<'CONF'
dkim_sign "s" { key = "keys/100%.key", dkim_domain "example.com" { selector = "s1024" } }
CONF
bad bad-canon 'bad-canon.conf:3: dkim_sign "s": canon '\''relaxed/nofws'\'' is not simple or relaxed, as header/body (e.g. relaxed/simple)' \
	'bad-canon.conf:4: dkim_sign "s": digest '\''rsa-sha512'\'' is not rsa-sha256, rsa-sha1 or ed25519-sha256' <<'CONF'
dkim_sign "s" {
  key = "keys/%{d}/%{s}.key",
  canon = "relaxed/nofws",
  digest = "rsa-sha512",
  dkim_domain "example.com" { selector = "s1024" },
}
CONF
bad dk-digest 'dk-digest.conf:2: dk_sign "d": canon '\''relaxed'\'' is not nofws or simple' \
	'dk-digest.conf:2: dk_sign "d": digest '\''rsa-sha256'\'' is not rsa-sha1 (DomainKeys has no other)' <<'CONF'
dk_sign "d" { key = "keys/%{d}/%{s}.key",
  digest = "rsa-sha256", canon = "relaxed",
  dk_domain "example.com" { selector = "s1024" } }
CONF
bad duplicate-names 'duplicate-names.conf:5: duplicate instance name '\''one'\'' (first at line 1)' <<'CONF'
dkim_sign "one" {
  key = "keys/%{d}/%{s}.key",
  dkim_domain "example.com" { selector = "s1024" },
}
dkim_validate "one" { }
CONF
bad duplicate-domain 'duplicate-domain.conf:4: dkim_domain "Example.COM": example.com is already configured in dkim_sign "s" (line 3)' <<'CONF'
dkim_sign "s" {
  key = "keys/%{d}/%{s}.key",
  dkim_domain "example.com" { selector = "s1024" },
  dkim_domain "Example.COM" { selector = "s1024" },
}
CONF
bad twice 'twice.conf:2: keycache may appear only once (first at line 1)' <<'CONF'
keycache { size = 10 }
keycache { size = 20 }
CONF
bad syntax 'syntax.conf:3: '\''}'\'' expected (to close '\''{'\'' at line 1) near '\''dkim_domain'\''' <<'CONF'
dkim_sign "s" {
  key = "keys/%{d}/%{s}.key"
  dkim_domain "example.com" { selector = "s1024" },
}
CONF
bad misspelt 'misspelt.conf:2: unknown directive '\''dkim_sing'\''' <<'CONF'
-- a typo
dkim_sing "s" { }
CONF
bad assignment 'assignment.conf:1: assignment to '\''keys'\'': only directives and local variables are allowed' <<'CONF'
keys = "keys/%{d}/%{s}.key"
CONF
bad runtime 'runtime.conf:2: attempt to perform arithmetic on local '\''a'\'' (a table value)' <<'CONF'
local a = {}
local b = a + 1
CONF
bad runaway 'runaway.conf: time limit of 2000 ms exceeded' <<'CONF'
while true do end
CONF
bad misplaced 'misplaced.conf:3: dkim_sign "s": only dkim_domain blocks go in its list, not dk_domain' \
	'misplaced.conf:3: dk_domain belongs in the list of a dk_sign block' \
	'misplaced.conf:5: dkim_domain belongs in the list of a dkim_sign block' <<'CONF'
dkim_sign "s" {
  key = "keys/%{d}/%{s}.key",
  dk_domain "example.com" { selector = "s1024" },
}
dkim_domain "example.org" { selector = "s1024" }
CONF
bad domain-checks 'domain-checks.conf:3: dkim_domain "example.com": selector is required' \
	'domain-checks.conf:4: dkim_domain "example.org": base_domain '\''example.com'\'' is not example.org or a parent of it' \
	'domain-checks.conf:5: dkim_domain "not a domain": '\''not a domain'\'' is not a domain name' \
	'domain-checks.conf:6: dkim_domain "sub.example.com": identity '\''bob@example.org'\'' is not an address within sub.example.com' \
	'domain-checks.conf:7: dkim_domain "x.example.com": headers: '\''bad name'\'' is not a header field name' \
	'domain-checks.conf:7: dkim_domain "x.example.com": key file keys/x.example.com/s1024.key: No such file or directory' <<'CONF'
dkim_sign "s" {
  key = "keys/%{d}/%{s}.key",
  dkim_domain "example.com" { },
  dkim_domain "example.org" { selector = "s1024", base_domain = "example.com" },
  dkim_domain "not a domain" { selector = "s1024" },
  dkim_domain "sub.example.com" { selector = "s1024", identity = "bob@example.org" },
  dkim_domain "x.example.com" { selector = "s1024", headers = { "from", "bad name" } },
}
CONF
bad no-key 'no-key.conf:1: dkim_domain "example.com": no key: set key in dkim_sign "s" or in this block' <<'CONF'
dkim_sign "s" { dkim_domain "example.com" { selector = "s1024" } }
CONF
bad no-table 'no-table.conf:1: dk_sign "d" needs a table of options: dk_sign "d" { ... }' \
	'no-table.conf:2: dkim_sign needs a name: dkim_sign "name" { ... }' <<'CONF'
dk_sign "d"
dkim_sign { key = "k" }
CONF
bad sign-condition 'sign-condition.conf:2: dkim_sign "s": sign_condition is can_relay or auth_user, not '\''always'\''' <<'CONF'
dkim_sign "s" { key = "keys/%{d}/%{s}.key",
  sign_condition = "always",
  dkim_domain "example.com" { selector = "s1024" } }
CONF
bad resolver 'resolver.conf:2: resolver: forward '\''127.0.0.1@99999'\'' is not IP or IP@PORT' \
	'resolver.conf:3: resolver: stub '\''zone.example=nowhere'\'' is not { ["zone"] = "IP@PORT" }' \
	'resolver.conf:4: resolver: timeout is 0.001 to 600 seconds' \
	'resolver.conf:5: resolver: dnssec_bogus is temperror, permerror or insecure, not '\''ignore'\''' \
	'resolver.conf:6: resolver: trust_anchor absent.key: No such file or directory' \
	'resolver.conf:7: resolver: zone absent.zone: No such file or directory' <<'CONF'
resolver {
  forward = { "127.0.0.1@53", "127.0.0.1@99999" },
  stub = { ["zone.example"] = "nowhere" },
  timeout = 0,
  dnssec_bogus = "ignore",
  trust_anchor = "absent.key",
  zone = "absent.zone",
}
CONF
bad others 'others.conf:1: keycache: size is 1 to 10000000 entries' \
	'others.conf:2: policy: fallback is tempfail, accept or reject, not '\''discard'\''' \
	'others.conf:3: log: level is error, warning, info or debug, not '\''loud'\''' \
	'others.conf:4: authserv_id takes a name without spaces: authserv_id "mx.example.net"' <<'CONF'
keycache { size = 0 }
policy { file = "policy.lua", fallback = "discard" }
log { level = "loud" }
authserv_id "mx example net"
CONF
bad milter 'milter.conf:2: milter: socket is unix:PATH, inet:PORT@HOST or inet6:PORT@HOST, not '\''/run/x.sock'\''' \
	'milter.conf:3: milter: relay_nets entry '\''10.0.0.0/33'\'' is not ADDRESS/BITS' \
	'milter.conf:3: milter: relay_nets entry '\''example.com'\'' is not ADDRESS/BITS' \
	'milter.conf:5: milter may appear only once (first at line 1)' <<'CONF'
milter {
  socket = "/run/x.sock",
  relay_nets = { "10.0.0.0/8", "10.0.0.0/33", "example.com", "2001:db8::/32", "192.0.2.1" },
}
milter { }
CONF
good milter-ok <<'CONF'
milter { socket = "inet:8891@127.0.0.1", relay_nets = "127.0.0.1/32", submission = { "ORIGINATING", "MSA" } }
CONF
bad missing-policy 'missing-policy.conf:1: policy: script absent.lua: No such file or directory' <<'CONF'
policy "absent.lua"
CONF
printf 'function verify(msg)\n  ? \nend\n' >bad.lua
bad policy-script-error 'bad.lua:2: unexpected symbol near '\''?'\''' <<'CONF'
policy "bad.lua"
CONF

# usage and exit statuses
"$DKMOD" config-check absent.conf >got.txt 2>&1
check_eq "absent file: exit 78" "$?" 78
check_eq "absent file: message" "$(cat got.txt)" "absent.conf: cannot read the file"
"$DKMOD" config-check >/dev/null 2>&1
check_eq "no file: usage, exit 64" "$?" 64
"$DKMOD" config-check a.conf b.conf >/dev/null 2>&1
check_eq "two files: usage, exit 64" "$?" 64
"$DKMOD" process --config twice.conf /dev/null >/dev/null 2>got.txt
check_eq "process with a bad configuration: exit 78" "$?" 78
check_eq "process with a bad configuration: the error" "$(cat got.txt)" "twice.conf:2: keycache may appear only once (first at line 1)"
"$DKMOD" process good.conf >/dev/null 2>&1
check_eq "process without --config: usage, exit 64" "$?" 64
"$DKMOD" process --config "the full example.conf" absent.eml >/dev/null 2>&1
check_eq "process of an absent file: exit 66" "$?" 66
