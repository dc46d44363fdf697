# lib.sh - sourced by tests/lua/t_*.sh after tests/lib/common.sh: keys, test
# messages, and running `dkmod process` with a check of its action.
#
#   newkey FILE                       an RSA-1024 key (mode 0600); prints its public half (base64)
#   mail FROM [SENDER] [SUBJECT]      a small message on standard output (CRLF)
#   process NAME WANT_ACTION WANT_RC ARGS...
#                                     run dkmod process ARGS; out.eml/err.txt keep the output;
#                                     pass if the action and the exit status are as wanted
#   action_of FILE                    the action word of an err.txt
#   has_field FILE NAME [VALUE]       the message has a field NAME (with VALUE) above the body
#   write_conf FILE POLICY [SLOW...]  a verifying configuration (DomainKeys, DKIM) with the nsd
#                                     of NSD_PORT; the names SLOW go to the silent server
#                                     (SILENT_PORT) and time out
#   setting NAME SCRIPT SED [SLOW...] NAME.lua: SCRIPT with one setting changed by SED (a
#                                     failure if SED changed nothing); NAME.conf runs it

LUA_TOP="$DKMOD_TOP/lua"

newkey() {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$1" 2>/dev/null || return 1
	chmod 600 "$1"
	openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | base64 -w0
}

mail() {
	printf 'From: %s\r\n' "$1"
	[ -n "${2:-}" ] && printf 'Sender: %s\r\n' "$2"
	printf 'To: bob@example.net\r\nSubject: %s\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n' "${3:-test}"
	printf 'Message-ID: <%s@example.com>\r\n\r\nHello,\r\nthis is a test.\r\n' "$RANDOM$RANDOM"
}

action_of() {
	sed -n 's/^\(.*: \)\{0,1\}action=\([a-z]*\) .*/\2/p' "$1" | tail -n 1
}

process() {
	local name=$1 want=$2 want_rc=$3 rc got
	shift 3
	"$DKMOD" process "$@" >out.eml 2>err.txt </dev/null
	rc=$?
	got=$(action_of err.txt)
	if [ "$got" = "$want" ] && [ "$rc" = "$want_rc" ]; then
		pass "$name"
	else
		fail "$name" "action '$got' exit $rc, want '$want' exit $want_rc: $(grep -v '^dkmod: info' err.txt | tail -n 3 | tr '\n' ' ')"
	fi
}

has_field() {
	awk -v n="$2" -v v="${3:-}" '
		/^\r?$/ { exit }
		{ sub(/\r$/, "") }
		index(tolower($0), tolower(n) ":") == 1 {
			x = substr($0, length(n) + 2); sub(/^[ \t]+/, "", x)
			if (v == "" || x == v) { found = 1; exit }
		}
		END { exit !found }' "$1"
}

write_conf() {
	local file=$1 policy=$2 stubs="" n
	shift 2
	for n in "$@"; do stubs="$stubs [\"$n\"] = \"127.0.0.1@$SILENT_PORT\","; done
	cat >"$file" <<CONF
dk_validate "dk_validate1" { }
dkim_validate "dkim_validate1" { min_key_bits = 1024 }
resolver { forward = { "127.0.0.1@$NSD_PORT" }, stub = {$stubs }, timeout = 1.5 }
policy "$policy"
authserv_id "mx.example.net"
log { level = "warning" }
CONF
}

setting() {
	local name=$1 script=$2 expr=$3
	shift 3
	sed "$expr" "$script" >"$name.lua"
	cmp -s "$name.lua" "$script" && fail "$(basename "$script"): the setting for $name found" "sed did not match"
	write_conf "$name.conf" "$name.lua" "$@"
}
