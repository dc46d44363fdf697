# lib.sh - sourced by tests/adapters/t_*.sh and tests/e2e/t_postfix.sh,
# t_qpsmtpd.sh, t_exim.sh after tests/lib/common.sh: keys made at test time, one test
# zone (example.com) and dkmod configurations for the MTA adapters.
#
#   adapters_setup DIR [OWNER]   keys under DIR/keys (owned by OWNER, mode 600), the zone
#                                DIR/example.com.zone, policies DIR/{loop,syntax,quarantine}.lua,
#                                DIR/tempfail.lua (default.lua deferring when a DMARC record
#                                lookup fails: DNS down), DIR/historic.lua (the opt-in DomainKeys
#                                o=- and ADSP example); sets AD_DIR
#   pipe_setup                   PIPE, cd to TMP, adapters_setup in $TMP/ad (the pipe tests)
#   adapters_conf FILE RESOLVER [POLICY]
#                                a configuration: verify DomainKeys and DKIM, sign DomainKeys
#                                and DKIM for corp.example.com when the client may relay;
#                                RESOLVER is 'zone = "FILE"' or 'forward = { "127.0.0.1@P" }, ...'
#   mail_from ADDR [SUBJECT] [BODYLINE]   a small message (LF) on standard output
#   peer_sign FILE               FILE signed by Mail::DKIM (DKIM, d=peer.example.com), on stdout
#   peer_sign_dk FILE            FILE signed by Mail::DKIM (DomainKeys, d=strict.example.com)
#   strip_added FILE FIELDS...   FILE without the leading header fields named FIELDS (folded
#                                lines included), for byte comparisons with the original
#   forged_past_limits SRC       SRC with forged results of ours above and past 1500 filler
#                                fields, and another server's A-R (header.d=kept.example)
#   accept_policy FILE           a policy script that accepts all (adds X-Header-Truncated)
#   forged_checks NAME FILE      checks: the delivered FILE has none of the forged fields,
#                                the other server's field and all 1500 filler fields
#   ar_has FILE WANT             FILE has our Authentication-Results holding WANT (unfolded)
#   spf_delivered CLIENT [WANT]  e2e: mail from ann@spf.example.com delivered with spf=pass and
#                                dmarc=pass (uses the caller's send, wait_for, latest)
#
# Domains of the zone: strict.example.com publishes DomainKeys o=- (key "k"),
# disc.example.com ADSP discardable, peer.example.com a key "p" for the peers,
# corp.example.com our own signing key "s1", reject.example.com DMARC p=reject (and no key:
# its mail never passes), spf.example.com SPF for 127.0.0.1, 127.0.0.2 (the e2e tests'
# swaks), 192.0.2.0/25 and 3fff:5f::/48 (-all) and DMARC p=none.
# shellcheck shell=bash disable=SC2034 # the variables below are for the tests that source this file
AD_DIR=""
PEER_MDKIM="$DKMOD_TOP/tests/interop/peer_mdkim.pl"
PEER_DKIMPY="$DKMOD_TOP/tests/interop/peer_dkimpy.py"

# _ad_key FILE - an RSA-1024 key in FILE (mode 600); prints the public half (base64 DER)
_ad_key() {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$1" 2>/dev/null || return 1
	chmod 600 "$1"
	openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | base64 -w0
}

# adapters_setup DIR [OWNER] - keys, zone and policy scripts
adapters_setup() {
	local d=$1 owner=${2:-} pk pp pc
	AD_DIR=$d
	mkdir -p "$d/keys/corp.example.com" "$d/keys/peer" "$d/keys/strict" || return 1
	pk=$(_ad_key "$d/keys/strict/k.key") && pp=$(_ad_key "$d/keys/peer/p.key") &&
		pc=$(_ad_key "$d/keys/corp.example.com/s1.key") || return 1
	cat >"$d/example.com.zone" <<EOF
\$ORIGIN example.com.
\$TTL 300
@ IN SOA ns hostmaster 1 3600 600 86400 300
@ IN NS ns
ns IN A 127.0.0.1
k._domainkey.strict IN TXT "k=rsa; p=$pk"
_domainkey.strict IN TXT "o=-"
_adsp._domainkey.disc IN TXT "dkim=discardable"
p._domainkey.peer IN TXT "v=DKIM1; k=rsa; p=$pp"
s1._domainkey.corp IN TXT "k=rsa; p=$pc"
reject IN MX 10 ns
_dmarc.reject IN TXT "v=DMARC1; p=reject"
spf IN TXT "v=spf1 ip4:127.0.0.1 ip4:127.0.0.2 ip4:192.0.2.0/25 ip6:3fff:5f::/48 -all"
_dmarc.spf IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@spf.example.com"
EOF
	cat >"$d/loop.lua" <<'EOF'
-- a runaway verify hook: the time budget stops it, the fallback applies
function verify(msg) while true do end end
EOF
	cat >"$d/syntax.lua" <<'EOF'
-- a syntax error
function verify(msg) return "accept" end end
EOF
	cat >"$d/quarantine.lua" <<'EOF'
-- everything is quarantined, with the engine's Authentication-Results
function verify(msg)
  if msg.authentication_results then msg:add_header("Authentication-Results", msg.authentication_results) end
  return "quarantine"
end
EOF
	sed 's/^local dmarc_temperror = "accept"/local dmarc_temperror = "tempfail"/' \
		"$DKMOD_TOP/lua/default.lua" >"$d/tempfail.lua" || return 1
	grep -q '^local dmarc_temperror = "tempfail"' "$d/tempfail.lua" || return 1
	cp "$DKMOD_TOP/lua/examples/historic.lua" "$d/historic.lua" || return 1
	if [ -n "$owner" ]; then
		chown -R "$owner" "$d/keys"
		chmod 755 "$d" "$d/keys" "$d/keys"/*
		chmod 644 "$d"/*.lua "$d/example.com.zone"
	fi
}

# pipe_setup - for the dkmod-pipe tests: PIPE (the built program), the working directory TMP, the
# keys and zone of adapters_setup in $TMP/ad; ends the test (failing) when one is missing
pipe_setup() {
	PIPE="$DKMOD_TOP/$BUILD/dkmod-pipe"
	cd "$TMP" || exit 1
	[ -x "$PIPE" ] || { fail "dkmod-pipe is built" "no $PIPE"; exit 1; }
	adapters_setup "$TMP/ad" || { fail "keys and zone"; exit 1; }
}

# adapters_conf FILE RESOLVER [POLICY] - a configuration for the adapters
adapters_conf() {
	cat >"$1" <<EOF
dk_validate "dk_validate1" { }
dkim_validate "dkim_validate1" { min_key_bits = 1024 }
dk_sign "dk_sign1" {
  sign_condition = "can_relay", canon = "nofws", digest = "rsa-sha1",
  key = "$AD_DIR/keys/%{d}/%{s}.key",
  dk_domain "corp.example.com" { selector = "s1" },
}
dkim_sign "dkim_sign1" {
  sign_condition = "can_relay", canon = "relaxed/relaxed", digest = "rsa-sha256",
  key = "$AD_DIR/keys/%{d}/%{s}.key",
  dkim_domain "corp.example.com" { selector = "s1" },
}
resolver { $2 }
policy { file = "${3:-$DKMOD_TOP/lua/default.lua}", time_limit = 200 }
authserv_id "mx.example.net"
log { level = "info" }
EOF
	chmod 644 "$1"
}

# mail_from ADDR [SUBJECT] [BODYLINE] - a small message with LF line ends
mail_from() {
	printf 'From: %s\nTo: bob@example.net\nSubject: %s\nDate: Wed, 25 Nov 2026 12:00:00 +0000\n' "$1" "${2:-test}"
	printf 'Message-ID: <%s.%s@example.com>\n\n%s\nsecond line\n' "$RANDOM$RANDOM" "$$" "${3:-Hello.}"
}

# forged_past_limits SRC - SRC with forged results of ours (Authentication-Results in two forms,
# DomainKey-Status) above and below 1500 filler fields (past the 1000-field limit), and another
# server's Authentication-Results that must stay
forged_past_limits() {
	awk 'done || !/^\r?$/ { print; next }
		{ print "Authentication-Results: mx.example.net; dkim=pass header.d=forged.example"
		  print "DomainKey-Status: good"
		  for (i = 0; i < 1500; i++) printf "X-Filler-%d: %d\n", i, i
		  print "Authentication-Results: (c) \"MX.Example\\.NET\" 1; dkim=pass header.d=forged.example"
		  print "DomainKey-Status: good"
		  print "Authentication-Results: other.example; dkim=pass header.d=kept.example"
		  print; done = 1 }' "$1"
}

# accept_policy FILE - a policy that accepts everything, with the engine's Authentication-Results
# and X-Header-Truncated: what msg.header_truncated said
accept_policy() {
	cat >"$1" <<'EOF'
-- accept everything, with the engine's Authentication-Results and what it says of the header
function verify(msg)
  if msg.authentication_results then msg:add_header("Authentication-Results", msg.authentication_results) end
  msg:add_header("X-Header-Truncated", tostring(msg.header_truncated))
  return "accept"
end
EOF
}

# forged_checks NAME FILE - the delivered FILE has no forged result left, keeps the other
# server's field and every filler field
forged_checks() {
	check_eq "$1: no forged Authentication-Results left" "$(grep -c 'header.d=forged.example' "$2")" 0
	check_eq "$1: no DomainKey-Status but ours" "$(grep -c '^DomainKey-Status: good' "$2")" 0
	check "$1: another server's Authentication-Results kept" grep -q 'header.d=kept.example' "$2"
	check_eq "$1: every filler field kept" "$(grep -c '^X-Filler-' "$2")" 1500
}

# peer_sign FILE - signed by Mail::DKIM with the peer key
peer_sign() {
	perl "$PEER_MDKIM" sign --type dkim --domain peer.example.com --selector p --key "$AD_DIR/keys/peer/p.key" <"$1"
}

# peer_sign_dk FILE - signed by Mail::DKIM (DomainKeys) with the strict domain's key
peer_sign_dk() {
	perl "$PEER_MDKIM" sign --type domainkeys --domain strict.example.com --selector k \
		--key "$AD_DIR/keys/strict/k.key" <"$1"
}

# strip_added FILE FIELDS... - FILE without its leading fields named FIELDS
strip_added() {
	local f=$1
	shift
	"$PYTHON" - "$f" "$@" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
names = [n.lower().encode() for n in sys.argv[2:]]
pos = 0
while True:
    end = data.find(b"\n", pos)
    if end < 0:
        break
    name = data[pos:end].split(b":", 1)[0].strip().lower()
    if name not in names:
        break
    pos = end + 1
    while pos < len(data) and data[pos:pos + 1] in (b" ", b"\t"):
        pos = data.find(b"\n", pos) + 1
sys.stdout.buffer.write(data[pos:])
PY
}

# peer_verdicts FILE - "mdkim:OVERALL dkimpy:OVERALL" of the two peer verifiers (keys at $NSD_PORT)
peer_verdicts() {
	local m d
	m=$(perl "$PEER_MDKIM" verify --dns-port "$NSD_PORT" <"$1" | sed -n 's/^overall //p')
	d=$("$PYTHON" "$PEER_DKIMPY" verify --dns-port "$NSD_PORT" <"$1" | sed -n 's/^overall //p')
	echo "mdkim:$m dkimpy:$d"
}

# big_message FILE MB - an unsigned message of about MB megabytes (76-column printable lines)
big_message() {
	"$PYTHON" - "$1" "$2" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"From: a@example.com\nTo: b@example.net\nSubject: big\n\n")
    line = b"".join(bytes([33 + (i * 7) % 90]) for i in range(76)) + b"\n"
    for i in range(int(sys.argv[2]) * 1024 * 1024 // len(line)):
        f.write(line)
PY
}

# ar_has FILE WANT - FILE (a message or a list of fields) has an Authentication-Results field of
# mx.example.net holding WANT once unfolded (line ends dropped, blanks squeezed to one space)
ar_has() {
	awk '/^Authentication-Results: mx\.example\.net;/ { on = 1; printf "\n"; printf "%s", $0; next }
		on && /^[ \t]/ { printf "%s", $0; next } { on = 0 }' "$1" | tr -d '\r' | tr -s ' \t' '  ' | grep -qF -- "$2"
}

# spf_delivered CLIENT [WANT] - an e2e case: mail from ann@spf.example.com sent to spf@example.net
# with the caller's send (WANT: its expected answer, for a send that takes one), waited for with
# its wait_for and read with its latest; the delivered copy must say spf=pass and dmarc=pass
# (CLIENT, the sending address, names the case)
spf_delivered() {
	mail_from ann@spf.example.com "SPF-authorized client" >spf.eml
	send "SPF-authorized client" "${@:2}" ann@spf.example.com spf@example.net spf.eml
	if wait_for spf@example.net 1; then
		check "SPF-authorized client ($1): spf=pass smtp.mailfrom=ann@spf.example.com and dmarc=pass" \
			ar_has "$(latest spf@example.net)" 'spf=pass smtp.mailfrom=ann@spf.example.com; dmarc=pass'
	else
		fail "SPF-authorized client: delivered" "nothing for spf@example.net"
	fi
}
