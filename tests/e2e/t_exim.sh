#!/usr/bin/env bash
# t_exim.sh - the Exim adapter end to end: a real exim4-daemon-heavy on
# 127.0.0.1 (tests/e2e/lib.sh) loads $BUILD/dkmod_local_scan.so, its dkmod.conf
# beside it, keys made now, a real nsd serving the test zones, swaks (and
# smtplib for two messages in one session) as the client.  Proves: Mail::DKIM
# signed mail gets dkim=pass; mail from 127.0.0.1 gets spf=pass (and
# dmarc=pass) from a domain authorizing it, spf=fail from one that does not;
# a tampered copy dkim=fail and the default policy's action (accept,
# tagged), a forged Authentication-Results removed;
# forged results past the header limits removed, such a message refused by the default policy;
# unsigned mail from a DMARC p=reject domain 550 at SMTP time with the DMARC
# text, DomainKeys o=- unsigned mail likewise under the opt-in historic.lua; an
# authenticated submission delivered signed (DomainKeys + DKIM) and verified
# by Mail::DKIM and dkimpy; DNS down: 451 (default.lua with dmarc_temperror =
# tempfail), delivered once it is back; a
# policy with a syntax error or a runaway loop: the fallback (451), Exim keeps
# running, the next message (same session) is handled; a 20 MB message
# arrives byte-identical apart from the fields Exim and dkmod add; quarantine
# freezes, discard blackholes; a host in relay_from_hosts signs too; a
# local_scan_timeout below dkmod's budget: a warning, Exim's 421, the next
# connection handled; conf/mta/exim4-main.conf is the snippet Exim loads;
# nothing left running.  TIME: lines give the timings.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
. "$(dirname "$0")/lib.sh"
. "$DKMOD_TOP/tests/adapters/lib.sh"
HERE="$DKMOD_TOP/tests/interop"
SO="$DKMOD_TOP/$BUILD/dkmod_local_scan.so"
U=$E2E_AUTH_USER P=$E2E_AUTH_PASS

for what in exim swaks; do
	if ! why=$(e2e_have "$what"); then
		unmet "exim adapter" "$why"
		exit 0
	fi
done
if [ ! -f "$SO" ]; then
	unmet "exim adapter" "no $SO (make all builds it when exim4-dev's local_scan.h is there: make deps unpacks it)"
	exit 0
fi
cd "$TMP" || exit 1

# now_ms - milliseconds since the epoch
now_ms() { date +%s%3N; }
# took NAME START - "NAME: N ms" for the report
took() { echo "TIME: $1: $(($(now_ms) - $2)) ms"; }

# ---- keys and zones (sender domains under example.org, ours under example.com)
DK=$TMP/dk
mkdir -p "$DK/keys/example.com" "$DK/state"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out in.pem 2>/dev/null &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$DK/keys/example.com/s1.key" 2>/dev/null &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$DK/keys/example.com/dk1.key" 2>/dev/null ||
	{ fail "keys"; exit 1; }
pub() { openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | base64 -w0 | fold -w 250 | sed 's/.*/"&"/' | tr '\n' ' '; }
{
	echo '$ORIGIN example.org.'
	echo '$TTL 300'
	echo '@ IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 300'
	echo '@ IN NS ns.example.com.'
	for d in mdkim strict down plain loop broken; do
		echo "$d IN MX 10 mx.example.net."
		echo "k1._domainkey.$d IN TXT ( \"k=rsa; p=\" $(pub in.pem) )"
	done
	echo '_domainkey.strict IN TXT "o=-; r=postmaster@example.org"'
	echo 'reject IN MX 10 mx.example.net.'
	echo '_dmarc.reject IN TXT "v=DMARC1; p=reject"'
	echo 'spf IN TXT "v=spf1 ip4:127.0.0.1 -all"'
	echo '_dmarc.spf IN TXT "v=DMARC1; p=none"'
	echo 'spfother IN TXT "v=spf1 ip4:192.0.2.1 -all"'
	echo '_dmarc.spfother IN TXT "v=DMARC1; p=none"' # (the tree walk would ask nsd for org, which it refuses)
} >example.org.zone
{
	zone_head example.com
	echo '@ IN MX 10 mx.example.net.'
	echo "s1._domainkey IN TXT ( \"v=DKIM1; k=rsa; p=\" $(pub "$DK/keys/example.com/s1.key") )"
	echo "dk1._domainkey IN TXT ( \"k=rsa; p=\" $(pub "$DK/keys/example.com/dk1.key") )"
} >example.com.zone
nsd_start "$TMP/nsd" "$TMP/example.org.zone:example.org" "$TMP/example.com.zone:example.com" ||
	{ fail "nsd starts"; exit 1; }
# slow.example.org is delegated to a server that never answers: its lookups take the whole budget
silent_udp_start "$TMP/silent" || { fail "silent DNS server starts"; exit 1; }

# nsd_restart - start nsd again on the same port with the same configuration (after nsd_stop)
nsd_restart() {
	rm -f "$NSD_DIR/nsd.pid"
	"$NSD_BIN" -c "$NSD_DIR/nsd.conf" >>"$NSD_DIR/nsd.out" 2>&1 || return 1
	for _ in $(seq 100); do
		[ -s "$NSD_DIR/nsd.pid" ] && NSD_PID=$(tr -dc 0-9 <"$NSD_DIR/nsd.pid") && [ -n "$NSD_PID" ] &&
			_nsd_ready "$NSD_PORT" example.org && return 0
		sleep 0.1
	done
	return 1
}

# ---- the object, its dkmod.conf beside it, the policy; all readable by Debian-exim
install -m 755 "$SO" "$DK/dkmod_local_scan.so"
cp "$DKMOD_TOP/lua/default.lua" "$DK/default.lua"
cp "$DK/default.lua" "$DK/policy.lua"
cp "$DKMOD_TOP/lua/examples/historic.lua" "$DK/historic.lua"
sed 's/^local dmarc_temperror = "accept"/local dmarc_temperror = "tempfail"/' "$DK/default.lua" >"$DK/tempfail.lua"
cat >"$DK/dkmod.conf" <<CONF
-- written by tests/e2e/t_exim.sh
dk_validate "dk_validate1" { }
dkim_validate "dkim_validate1" { min_key_bits = 1024 }
dk_sign "dk_out" {
  sign_condition = "can_relay",
  canon = "nofws", digest = "rsa-sha1",
  key = "keys/%{d}/%{s}.key",
  dk_domain "example.com" { selector = "dk1" },
}
dkim_sign "dkim_out" {
  sign_condition = "can_relay",
  canon = "relaxed/relaxed", digest = "rsa-sha256",
  key = "keys/%{d}/%{s}.key",
  dkim_domain "example.com" { selector = "s1" },
}
resolver { forward = { "127.0.0.1@$NSD_PORT" }, stub = { ["slow.example.org"] = "127.0.0.1@$SILENT_PORT" }, timeout = 3 }
keycache { state_dir = "$DK/state" }
policy { file = "$DK/policy.lua", time_limit = 200 }
authserv_id "mx.example.net"
log { level = "info" }
CONF
chown -R Debian-exim:Debian-exim "$DK/keys" "$DK/state"
chmod 700 "$DK/keys" "$DK/keys/example.com" "$DK/state"
chmod 600 "$DK"/keys/example.com/*.key
chmod 755 "$DK"
chmod 644 "$DK/dkmod.conf" "$DK/policy.lua" "$DK/default.lua" "$DK/historic.lua" "$DK/tempfail.lua"
check "the test configuration passes config-check" "$DKMOD" config-check "$DK/dkmod.conf"

# ---- messages
# mail FROM SUBJECT [BODY_LINES] - a small LF message on standard output
mail() {
	printf 'From: Alice <%s>\nTo: Bob <bob@example.net>\nSubject: %s\nDate: Wed, 25 Nov 2026 12:00:00 +0000\n' "$1" "$2"
	printf 'Message-ID: <%s.%s@example.org>\nMIME-Version: 1.0\nContent-Type: text/plain\n\n' "$RANDOM$RANDOM" "$(now_ms)"
	printf 'Hello Bob,\n.a line that starts with a dot\n\n  indented,  spaced  \ttext\n\nbye\n'
}
# mdkim_sign IN OUT DOMAIN - sign with Mail::DKIM (relaxed/relaxed) as DOMAIN, selector k1
mdkim_sign() { perl "$HERE/peer_mdkim.pl" sign --type dkim --domain "$3" --selector k1 --key in.pem <"$1" >"$2"; }
# field FILE NAME - every NAME: field of FILE's header, unfolded, one a line
field() {
	awk -v n="$2" 'BEGIN { n = tolower(n) ":" } /^\r?$/ { exit } { sub(/\r$/, "") }
		/^[ \t]/ { if (on) printf " %s", $0; next } { if (on) print ""; on = index(tolower($0), n) == 1; if (on) printf "%s", $0 }
		END { if (on) print "" }' "$1"
}
# newest RCPT - the newest delivered file of RCPT
newest() { latest_delivered "$EXIM_MAILDIR" "$1"; }
# wait_for RCPT N [SECONDS] - true once RCPT has N delivered messages
wait_for() { wait_delivered "$EXIM_MAILDIR" "$2" "${3:-20}" "$1" 2>/dev/null; }
# reply_of - the server's reply to the message data in the last swaks transcript
reply_of() { awk '/^ *-> \.$/ { d = 1; next } d && /^ *<(\*\*|-)? +[0-9][0-9][0-9]/ { sub(/^ *<(\*\*|-)? +/, ""); print; exit }' "$SEND_LOG"; }

# ---- Exim with conf/mta/exim4-main.conf (the object's path replaced) as its extra main
# configuration; relay_from_hosts lists no loopback address: plain mail from 127.0.0.1 is inbound
sed "s|^local_scan_path = .*|local_scan_path = $DK/dkmod_local_scan.so|" \
	"$DKMOD_TOP/conf/mta/exim4-main.conf" >exim-snippet.conf
check "conf/mta/exim4-main.conf sets local_scan_path" grep -q "^local_scan_path = $DK/" exim-snippet.conf
# shellcheck disable=SC2016 # an Exim expansion
echo 'smtp_banner = $smtp_active_hostname ESMTP dkmod e2e' >exim-extra.conf
if ! EXIM_RELAY_HOSTS=192.0.2.1 exim_start "$TMP/exim-snippet.conf" 2>"$TMP/start.err"; then
	fail "exim starts with dkmod_local_scan.so" "$(grep -v '^[A-Z][a-z]' "$TMP/start.err" | head -n 5 | tr '\n' ' ')"
	exit 1
fi
pass "exim starts with dkmod_local_scan.so on 127.0.0.1:$EXIM_PORT"
check_eq "exim reads local_scan_path and local_scan_timeout from the snippet" \
	"$("$EXIM_BIN" -C "$EXIM_CONF" -bP local_scan_path local_scan_timeout 2>&1 | tr '\n' ' ')" \
	"local_scan_path = $DK/dkmod_local_scan.so local_scan_timeout = 30s "
pids=$(e2e_tree_pids "$EXIM_PID")

# ---- 1. inbound mail signed by Mail::DKIM: dkim=pass
mail alice@mdkim.example.org "signed by Mail::DKIM" >m1.eml && mdkim_sign m1.eml m1s.eml mdkim.example.org
t0=$(now_ms)
send_mail "$EXIM_PORT" alice@mdkim.example.org bob@example.net m1s.eml
check_eq "Mail::DKIM-signed mail is accepted (swaks status)" "$?" 0
took "inbound signed message, SMTP transaction" "$t0"
if wait_for bob@example.net 1; then
	f=$(newest bob@example.net)
	ar=$(field "$f" Authentication-Results)
	case $ar in
	*"mx.example.net;"*"dkim=pass"*"header.d=mdkim.example.org"*) pass "delivered with dkim=pass in Authentication-Results" ;;
	*) fail "delivered with dkim=pass in Authentication-Results" "$ar" ;;
	esac
else
	fail "Mail::DKIM-signed mail is delivered" "nothing for bob@example.net"
	mta_logs
fi

# ---- 1b. SPF and DMARC from sender_host_address, sender_helo_name and sender_address
for who in "spf:spf=pass smtp.mailfrom=ann@spf.example.org; dmarc=pass" "spfother:spf=fail smtp.mailfrom=ann@spfother.example.org; dmarc=fail"; do
	d=${who%%:*} want=${who#*:}
	mail "ann@$d.example.org" "SPF of $d" >"$d.eml"
	send_mail "$EXIM_PORT" "ann@$d.example.org" "$d@example.net" "$d.eml"
	if wait_for "$d@example.net" 1; then
		ar=$(field "$(newest "$d@example.net")" Authentication-Results | tr -s ' \t' '  ')
		case $ar in
		*"$want"*) pass "client 127.0.0.1, MAIL FROM ann@$d.example.org: $want" ;;
		*) fail "client 127.0.0.1, MAIL FROM ann@$d.example.org: $want" "$ar" ;;
		esac
	else
		fail "MAIL FROM ann@$d.example.org: delivered" "nothing for $d@example.net"
	fi
done

# ---- 2. tampered mail: dkim=fail, the default policy's action (accept, tagged); a forged
# Authentication-Results claiming our authserv-id is removed
mail alice@mdkim.example.org "tampered" >m2.eml && mdkim_sign m2.eml m2s.eml mdkim.example.org
{
	echo 'Authentication-Results: mx.example.net; dkim=pass header.d=mdkim.example.org (forged)'
	sed 's/^bye$/bye, and a line added on the way/' m2s.eml
} >m2t.eml
send_mail "$EXIM_PORT" alice@mdkim.example.org tampered@example.net m2t.eml
check_eq "tampered mail: the default policy accepts it (swaks status)" "$?" 0
if wait_for tampered@example.net 1; then
	f=$(newest tampered@example.net)
	ar=$(field "$f" Authentication-Results)
	case $ar in
	*"dkim=fail"*"header.d=mdkim.example.org"*) pass "tampered mail: dkim=fail in Authentication-Results" ;;
	*) fail "tampered mail: dkim=fail in Authentication-Results" "$ar" ;;
	esac
	check_eq "tampered mail: the forged Authentication-Results is gone, ours alone" \
		"$(echo "$ar" | grep -c .) $(echo "$ar" | grep -c forged)" "1 0"
else
	fail "tampered mail is delivered" "nothing for tampered@example.net"
fi

# ---- 3. DMARC p=reject, unsigned: 550 at SMTP time with the policy's text; DomainKeys o=-
# (no t=y), unsigned: the same under the opt-in historic.lua
mail alice@reject.example.org "unsigned from a DMARC p=reject domain" >m3r.eml
send_mail "$EXIM_PORT" alice@reject.example.org strict@example.net m3r.eml
rc=$?
check_eq "DMARC p=reject unsigned: refused after DATA (swaks status 26)" "$rc" 26
check_eq "DMARC p=reject unsigned: the reply is 550 with the policy's text" "$(reply_of)" \
	"550 5.7.1 Message rejected by the DMARC policy of reject.example.org (p=reject): it is not authenticated as mail from reject.example.org"
cp "$DK/historic.lua" "$DK/policy.lua"
mail alice@strict.example.org "unsigned from a strict domain" >m3.eml
send_mail "$EXIM_PORT" alice@strict.example.org strict@example.net m3.eml
rc=$?
check_eq "o=- unsigned, historic.lua: refused after DATA (swaks status 26)" "$rc" 26
check_eq "o=- unsigned, historic.lua: the reply is 550 with the policy's text" "$(reply_of)" \
	"550 5.7.1 strict.example.org signs all its mail (DomainKeys o=-) and this message has no valid signature"
cp "$DK/default.lua" "$DK/policy.lua"

# ---- 4. authenticated submission: delivered signed (DomainKeys and DKIM), and the delivered
# copy verifies with Mail::DKIM and dkimpy
mail alice@example.com "authenticated submission" >m4.eml
t0=$(now_ms)
send_mail "$EXIM_PORT" alice@example.com carol@example.com m4.eml --auth "$U" "$P"
check_eq "authenticated submission is accepted (swaks status)" "$?" 0
took "authenticated submission (signing), SMTP transaction" "$t0"
if wait_for carol@example.com 1; then
	f=$(newest carol@example.com)
	check "submission: Exim saw it authenticated (esmtpa)" grep -q 'with esmtpa' "$f"
	check_eq "submission: signed with DomainKeys and DKIM by example.com" \
		"$(field "$f" DomainKey-Signature | grep -c 'd=example.com') $(field "$f" DKIM-Signature | grep -c 'd=example.com')" "1 1"
	out=$(perl "$HERE/peer_mdkim.pl" verify --dns-port "$NSD_PORT" <"$f")
	if echo "$out" | grep -q '^dkim pass d=example.com' && echo "$out" | grep -q '^domainkeys pass d=example.com'; then
		pass "submission: the delivered copy verifies with Mail::DKIM (dkim and domainkeys pass)"
	else
		fail "submission: the delivered copy verifies with Mail::DKIM (dkim and domainkeys pass)" "$(echo "$out" | tr '\n' ' ')"
	fi
	out=$("$PYTHON" "$HERE/peer_dkimpy.py" verify --dns-port "$NSD_PORT" <"$f")
	if echo "$out" | grep -q '^dkim pass d=example.com'; then
		pass "submission: the delivered copy verifies with dkimpy (dkim pass)"
	else
		fail "submission: the delivered copy verifies with dkimpy (dkim pass)" "$(echo "$out" | tr '\n' ' ')"
	fi
else
	fail "authenticated submission is delivered" "nothing for carol@example.com"
fi

# ---- 5. DNS down: 451 at SMTP time; once it is back, the resent message is delivered
mail alice@down.example.org "while DNS is down" >m5.eml && mdkim_sign m5.eml m5s.eml down.example.org
cp "$DK/tempfail.lua" "$DK/policy.lua"
nsd_stop
t0=$(now_ms)
send_mail "$EXIM_PORT" alice@down.example.org erin@example.net m5s.eml
rc=$?
took "DNS down, time to the 451" "$t0"
r=$(reply_of)
if [ "$rc" = 26 ] && [ "${r#451 }" != "$r" ]; then
	pass "DNS down: deferred with 451 at SMTP time ($r)"
else
	fail "DNS down: deferred with 451 at SMTP time" "swaks status $rc, reply '$r'"
fi
cp "$DK/default.lua" "$DK/policy.lua"
if nsd_restart; then
	send_mail "$EXIM_PORT" alice@down.example.org erin@example.net m5s.eml
	check_eq "DNS back: the resent message is accepted (swaks status)" "$?" 0
	if wait_for erin@example.net 1; then
		check_eq "DNS back: delivered once, with dkim=pass" \
			"$(delivered_files "$EXIM_MAILDIR" erin@example.net | wc -l) $(field "$(newest erin@example.net)" Authentication-Results | grep -c 'dkim=pass')" "1 1"
	else
		fail "DNS back: the resent message is delivered" "nothing for erin@example.net"
	fi
else
	fail "nsd starts again on port $NSD_PORT" "$(tail -n 3 "$NSD_DIR/nsd.log" 2>/dev/null | tr '\n' ' ')"
fi

# smtp_session PORT FROM:TO:FILE... - send several messages in one SMTP session (smtplib);
# prints one line per message: its reply code and text
smtp_session() {
	"$PYTHON" - "$@" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.example.org", timeout=60)
for spec in sys.argv[2:]:
    frm, to, path = spec.split(":", 2)
    data = open(path, encoding="ascii").read()
    try:
        s.sendmail(frm, [to], data)
        print("250 accepted")
    except smtplib.SMTPDataError as e:
        print(e.smtp_code, e.smtp_error.decode(errors="replace").replace("\n", " "))
s.quit()
PY
}

# ---- 6. a broken policy script: the fallback (451), Exim keeps running, the next message is handled
printf 'function verify(msg)\n  return "accept"\nend end\n' >"$DK/policy.lua"
mail alice@broken.example.org "policy with a syntax error" >m6.eml
send_mail "$EXIM_PORT" alice@broken.example.org frank@example.net m6.eml
rc=$?
check_eq "policy syntax error: the fallback, 451 at SMTP time" "$rc $(reply_of)" \
	"26 451 4.3.0 Local policy error, try again later"
check "policy syntax error: the panic log names the script and line" grep -q "dkmod: .*policy.lua:3" "$EXIM_DIR/log/paniclog"
check "policy syntax error: exim keeps running" e2e_alive "$EXIM_PID"
cp "$DK/default.lua" "$DK/policy.lua"
send_mail "$EXIM_PORT" alice@broken.example.org frank@example.net m6.eml
check_eq "policy fixed: the next message is accepted (swaks status)" "$?" 0
check "policy fixed: it is delivered" wait_for frank@example.net 1

{
	cat "$DK/default.lua"
	printf '\n-- t_exim.sh: a runaway loop for one sender domain\nlocal default_verify = verify\n'
	printf 'function verify(msg)\n  if msg.sender_domain == "loop.example.org" then while true do end end\n'
	printf '  return default_verify(msg)\nend\n'
} >"$DK/policy.lua"
mail alice@loop.example.org "a runaway policy" >m7.eml
mail alice@mdkim.example.org "after the runaway policy, same session" >m8.eml && mdkim_sign m8.eml m8s.eml mdkim.example.org
t0=$(now_ms)
out=$(smtp_session "$EXIM_PORT" alice@loop.example.org:gina@example.net:m7.eml alice@mdkim.example.org:harry@example.net:m8s.eml)
took "runaway policy then a good message, one session" "$t0"
check_eq "runaway loop: the fallback (451) for the first message of the session" "$(echo "$out" | sed -n 1p)" \
	"451 4.3.0 Local policy error, try again later"
check_eq "runaway loop: the next message of the same session is accepted" "$(echo "$out" | sed -n 2p)" "250 accepted"
check "runaway loop: exim logs the time limit" grep -q "dkmod: policy: verify hook failed" "$EXIM_DIR/log/mainlog"
check "runaway loop: exim keeps running" e2e_alive "$EXIM_PID"
if wait_for harry@example.net 1; then
	check_eq "runaway loop: the next message is delivered with dkim=pass" \
		"$(field "$(newest harry@example.net)" Authentication-Results | grep -c 'dkim=pass')" 1
else
	fail "runaway loop: the next message is delivered" "nothing for harry@example.net"
fi
check_eq "runaway loop: nothing delivered for the looping sender" "$(delivered_files "$EXIM_MAILDIR" gina@example.net | wc -l)" 0
cp "$DK/default.lua" "$DK/policy.lua"

# ---- 7. a 20 MB message arrives byte-identical apart from the added header fields
"$PYTHON" - big.eml <<'PY'
import random, sys
r = random.Random(20)
alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-_=+/()\t"
head = ("From: Alice <alice@plain.example.org>\nTo: Bob <bob@example.net>\nSubject: twenty megabytes\n"
        "Date: Wed, 25 Nov 2026 12:00:00 +0000\nMessage-ID: <big.20mb@example.org>\n"
        "MIME-Version: 1.0\nContent-Type: text/plain\n\n")
lines, size = [], 0
specials = [".", ".. two dots", "From the start of a line", "trailing space ", "tab\tinside\t", "", "  leading"]
while size < 20 * 1024 * 1024:
    if r.random() < 0.02:
        l = r.choice(specials)
    else:
        l = "".join(r.choice(alphabet) for _ in range(r.randint(0, 120)))
    lines.append(l)
    size += len(l) + 1
open(sys.argv[1], "w").write(head + "\n".join(lines) + "\n")
PY
mdkim_sign big.eml bigs.eml plain.example.org
t0=$(now_ms)
send_mail "$EXIM_PORT" alice@plain.example.org big@example.net bigs.eml
check_eq "20 MB message is accepted (swaks status)" "$?" 0
took "20 MB signed message, SMTP transaction" "$t0"
if wait_for big@example.net 1 60; then
	f=$(newest big@example.net)
	# the fields above the original header, in order; the rest must be the original bytes
	out=$("$PYTHON" - "$f" bigs.eml <<'PY'
import sys
got, want = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
names, pos = [], 0
while not got.startswith(want[:200], pos):
    end = got.index(b"\n", pos) + 1
    while got[end:end + 1] in (b" ", b"\t"):
        end = got.index(b"\n", end) + 1
    names.append(got[pos:got.index(b":", pos)].decode())
    pos = end
    if len(names) > 20:
        break
print(" ".join(names), "|", "identical" if got[pos:] == want else "different (%d vs %d bytes)" % (len(got) - pos, len(want)))
PY
)
	check_eq "20 MB: the delivered copy is the sent one below Exim's and dkmod's fields" "$out" \
		"Return-path Envelope-to Received Authentication-Results DomainKey-Status | identical"
	check_eq "20 MB: dkim=pass" "$(field "$f" Authentication-Results | grep -c 'dkim=pass')" 1
else
	fail "20 MB message is delivered" "nothing for big@example.net"
fi

# ---- 8. quarantine freezes the message, discard blackholes it (a policy that asks for them)
{
	cat "$DK/default.lua"
	printf '\n-- t_exim.sh: quarantine and discard by sender\nlocal default_verify = verify\n'
	printf 'function verify(msg)\n  if msg.mail_from == "q@plain.example.org" then return "quarantine" end\n'
	printf '  if msg.mail_from == "d@plain.example.org" then return "discard" end\n'
	printf '  return default_verify(msg)\nend\n'
} >"$DK/policy.lua"
mail q@plain.example.org "to quarantine" >m9.eml
send_mail "$EXIM_PORT" q@plain.example.org quarantine@example.net m9.eml
check_eq "quarantine: accepted at SMTP time (swaks status)" "$?" 0
id=$(sed -n 's/^.* \([0-9A-Za-z]\{6\}-[0-9A-Za-z]\{6\}-[0-9A-Za-z]\{2\}\) <= q@plain.example.org .*/\1/p' "$EXIM_DIR/log/mainlog" | tail -n 1)
if [ -n "$id" ] && "$EXIM_BIN" -C "$EXIM_CONF" -bp 2>/dev/null | grep -q "$id.*frozen"; then
	pass "quarantine: the message is frozen in Exim's queue ($id)"
else
	fail "quarantine: the message is frozen in Exim's queue" "id '$id': $("$EXIM_BIN" -C "$EXIM_CONF" -bp 2>&1 | tr '\n' ' ')"
fi
check "quarantine: the frozen message carries X-Dkmod-Quarantine" \
	sh -c "'$EXIM_BIN' -C '$EXIM_CONF' -Mvh '$id' | grep -q 'X-Dkmod-Quarantine: yes'"
mail d@plain.example.org "to discard" >m10.eml
send_mail "$EXIM_PORT" d@plain.example.org discard@example.net m10.eml
check_eq "discard: accepted at SMTP time (swaks status)" "$?" 0
sleep 1
check_eq "discard: nothing delivered" "$(delivered_files "$EXIM_MAILDIR" discard@example.net | wc -l)" 0
check "discard: Exim logs it blackholed" grep -q '=> blackhole (local_scan discarded recipients)' "$EXIM_DIR/log/mainlog"
cp "$DK/default.lua" "$DK/policy.lua"
check "no message was frozen but the quarantined one" \
	test "$("$EXIM_BIN" -C "$EXIM_CONF" -bpc 2>/dev/null)" = 1

# ---- 8b. forged results past the header limits (1500 filler fields): the default policy
# refuses the message at SMTP time; a policy that accepts it gets it without any forged field
mail p@plain.example.org "past the limits" >m14.eml && forged_past_limits m14.eml >m14f.eml
send_mail "$EXIM_PORT" p@plain.example.org limits@example.net m14f.eml
rc=$?
r=$(reply_of)
check_eq "past the limits, default policy: refused after DATA (swaks status 26)" "$rc" 26
case $r in *"Message header too large to be checked"*) pass "past the limits: the policy's reply ($r)" ;;
*) fail "past the limits: the policy's reply" "$r" ;; esac
accept_policy "$DK/policy.lua"
send_mail "$EXIM_PORT" p@plain.example.org limits@example.net m14f.eml
check_eq "past the limits, accepting policy: accepted (swaks status)" "$?" 0
if wait_for limits@example.net 1; then
	f=$(newest limits@example.net)
	forged_checks "exim, past the limits" "$f"
	check_eq "exim, past the limits: the policy saw header_truncated" "$(field "$f" X-Header-Truncated)" "X-Header-Truncated: true"
else
	fail "past the limits, accepting policy: delivered" "nothing for limits@example.net"
fi
cp "$DK/default.lua" "$DK/policy.lua"

# ---- 9. a client in relay_from_hosts may relay: its mail is signed without authentication
pids="$pids $(e2e_tree_pids "$EXIM_PID")"
exim_stop
if ! EXIM_RELAY_HOSTS=127.0.0.1 exim_start "$TMP/exim-snippet.conf" 2>"$TMP/start.err"; then
	fail "exim starts again with relay_from_hosts = 127.0.0.1" "$(grep -v '^[A-Z][a-z]' "$TMP/start.err" | head -n 5 | tr '\n' ' ')"
else
	mail alice@example.com "relayed from a trusted host" >m11.eml
	send_mail "$EXIM_PORT" alice@example.com dave@example.com m11.eml
	check_eq "relay_from_hosts: accepted (swaks status)" "$?" 0
	if wait_for dave@example.com 1; then
		out=$(perl "$HERE/peer_mdkim.pl" verify --dns-port "$NSD_PORT" <"$(newest dave@example.com)")
		if echo "$out" | grep -q '^dkim pass d=example.com' && echo "$out" | grep -q '^domainkeys pass d=example.com'; then
			pass "relay_from_hosts: delivered signed, Mail::DKIM verifies both signatures"
		else
			fail "relay_from_hosts: delivered signed, Mail::DKIM verifies both signatures" "$(echo "$out" | tr '\n' ' ')"
		fi
	else
		fail "relay_from_hosts: delivered" "nothing for dave@example.com"
	fi
	pids="$pids $(e2e_tree_pids "$EXIM_PID")"
fi

# ---- 10. local_scan_timeout below dkmod's budget: dkmod warns; Exim's alarm lands once the
# engine step running (the DNS wait for slow.example.org, 3 s) is over, Exim answers 421 and
# closes the connection (its own way); the next connection is handled
exim_stop
if ! EXIM_LOCAL_SCAN=$DK/dkmod_local_scan.so EXIM_LOCAL_SCAN_TIMEOUT=2s EXIM_RELAY_HOSTS=192.0.2.1 \
	exim_start "$TMP/exim-extra.conf" 2>"$TMP/start.err"; then
	fail "exim starts again with local_scan_timeout = 2s" "$(grep -v '^[A-Z][a-z]' "$TMP/start.err" | head -n 5 | tr '\n' ' ')"
else
	pids="$pids $(e2e_tree_pids "$EXIM_PID")"
	mail alice@slow.example.org "slower than local_scan_timeout" >m12.eml
	t0=$(now_ms)
	send_mail "$EXIM_PORT" alice@slow.example.org ian@example.net m12.eml
	rc=$?
	took "local_scan_timeout 2 s against a 3 s DNS budget, time to Exim's answer" "$t0"
	r=$(reply_of)
	check_eq "local_scan_timeout: Exim's own answer, 421 ($r)" "$rc ${r%% *}" "26 421"
	check "local_scan_timeout: Exim logs its time-out" grep -q 'local_scan() function timed out' "$EXIM_DIR/log/mainlog"
	check "local_scan_timeout: dkmod warns that its budget does not fit" \
		grep -q 'dkmod: a message may take 4400 ms .* local_scan_timeout leaves' "$EXIM_DIR/log/paniclog"
	check "local_scan_timeout: exim keeps running" e2e_alive "$EXIM_PID"
	mail alice@mdkim.example.org "after Exim's time-out" >m13.eml && mdkim_sign m13.eml m13s.eml mdkim.example.org
	send_mail "$EXIM_PORT" alice@mdkim.example.org jane@example.net m13s.eml
	check_eq "local_scan_timeout: the next connection's message is accepted (swaks status)" "$?" 0
	if wait_for jane@example.net 1; then
		check_eq "local_scan_timeout: it is delivered with dkim=pass" \
			"$(field "$(newest jane@example.net)" Authentication-Results | grep -c 'dkim=pass')" 1
	else
		fail "local_scan_timeout: the next message is delivered" "nothing for jane@example.net"
	fi
	check_eq "local_scan_timeout: nothing delivered for the timed-out message" \
		"$(delivered_files "$EXIM_MAILDIR" ian@example.net | wc -l)" 0
fi

# ---- the end: nothing of this test left running (nsd's and the silent server's command
# lines name $TMP too)
exim_stop
nsd_stop
silent_stop
left=""
for _ in $(seq 50); do
	left=""
	for p in $pids $(e2e_leftovers); do e2e_alive "$p" && left="$left $p"; done
	[ -z "$left" ] && break
	sleep 0.1
done
check_eq "exim stopped, no process left" "$left" ""
# panic log: Exim's note on -C, dkmod's lines on the broken policy (the error, the fallback)
# and on the short local_scan_timeout; nothing else
other=$(grep -v -e 'exim user lost privilege for using -C option' -e 'dkmod: .*policy.lua:3: ' \
	-e 'dkmod: .*dkmod.conf is unusable; every message gets the fallback (tempfail)' \
	-e 'dkmod: a message may take 4400 ms' "$EXIM_DIR/log/paniclog" 2>/dev/null)
check_eq "exim's panic log holds nothing unexpected" "$other" ""
