#!/usr/bin/env bash
# t_spf.sh - `dkmod spf` through the real resolver path (libunbound serving a
# zone file as local data): TXT, A, AAAA, MX and PTR answers in SPF checks,
# every result and its exit status, the identity printed, exp= explanations,
# the lookup limit, names outside the zone giving temperror, usage errors.
. "$(dirname "$0")/../lib/common.sh"
cd "$TMP" || exit 1
cat >spf.zone <<'ZONE'
$ORIGIN example.com.
$TTL 300
@        TXT "v=spf1 ip4:192.0.2.0/28 mx -all"
@        MX  10 mx1
mx1      A   198.51.100.7
mx1      AAAA 2001:db8::7
v6       TXT "v=spf1 a:mx1.example.com//128 ~all"
ptr      TXT "v=spf1 ptr:example.com -all"
7.100.51.198.in-addr.arpa. PTR mx1.example.com.
soft     TXT "v=spf1 ~all"
neutral  TXT "v=spf1 ?all"
inc      TXT "v=spf1 include:example.com -all"
redir    TXT "v=spf1 redirect=soft.example.com"
explain  TXT "v=spf1 -all exp=why.example.com"
why      TXT "%{i} may not send for %{d} (" "%{s})"
broken   TXT "v=spf1 a:museum -all"
twice    TXT "v=spf1 -all"
twice    TXT "v=spf1 +all"
outside  TXT "v=spf1 a:host.elsewhere.net -all"
loop     TXT "v=spf1 include:loop.example.com"
nospf    TXT "just a note"
helo.example.com. TXT "v=spf1 a:mx1.example.com -all"
ZONE
Z=(--zone "$TMP/spf.zone")

# spf NAME WANT_STATUS WANT_LINE ARGS... - run dkmod spf, check the status and a line of the output
spf() {
	local name=$1 want=$2 line=$3 out rc
	shift 3
	out=$("$DKMOD" spf "${Z[@]}" "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want" ] && grep -qxF -- "$line" <<<"$out"; then
		pass "$name"
	else
		fail "$name" "status $rc (want $want), output: $out"
	fi
}
H=(--helo mail.example.org)
spf "ip4 pass" 0 "spf=pass smtp.mailfrom=user@example.com" --ip 192.0.2.5 "${H[@]}" --mail-from user@example.com
spf "mx pass (MX, then A)" 0 "reason: mechanism mx matched in example.com" --ip 198.51.100.7 "${H[@]}" --mail-from user@example.com
spf "fail" 1 "spf=fail smtp.mailfrom=user@example.com" --ip 203.0.113.9 "${H[@]}" --mail-from user@example.com
spf "a over AAAA, IPv6 pass" 0 "spf=pass smtp.mailfrom=u@v6.example.com" --ip 2001:db8::7 "${H[@]}" --mail-from u@v6.example.com
spf "IPv6 elsewhere: softfail" 2 "spf=softfail smtp.mailfrom=u@v6.example.com" --ip 2001:db8::8 "${H[@]}" --mail-from u@v6.example.com
spf "ptr validated (PTR, then A)" 0 "reason: mechanism ptr:example.com matched in ptr.example.com" --ip 198.51.100.7 "${H[@]}" --mail-from u@ptr.example.com
spf "ptr without a PTR record" 1 "spf=fail smtp.mailfrom=u@ptr.example.com" --ip 192.0.2.200 "${H[@]}" --mail-from u@ptr.example.com
spf "neutral" 3 "spf=neutral smtp.mailfrom=u@neutral.example.com" --ip 192.0.2.1 "${H[@]}" --mail-from u@neutral.example.com
spf "include pass" 0 "spf=pass smtp.mailfrom=u@inc.example.com" --ip 192.0.2.1 "${H[@]}" --mail-from u@inc.example.com
spf "redirect" 2 "spf=softfail smtp.mailfrom=u@redir.example.com" --ip 192.0.2.99 "${H[@]}" --mail-from u@redir.example.com
spf "no record: none" 4 "spf=none smtp.mailfrom=u@nospf.example.com" --ip 192.0.2.1 "${H[@]}" --mail-from u@nospf.example.com
spf "syntax error: permerror" 5 "spf=permerror smtp.mailfrom=u@broken.example.com" --ip 192.0.2.1 "${H[@]}" --mail-from u@broken.example.com
spf "two records: permerror" 5 "spf=permerror smtp.mailfrom=u@twice.example.com" --ip 192.0.2.1 "${H[@]}" --mail-from u@twice.example.com
spf "include loop: permerror at the lookup limit" 5 "reason: more than 10 DNS-querying terms" --ip 192.0.2.1 "${H[@]}" --mail-from u@loop.example.com
spf "name outside the zone: temperror" 75 "spf=temperror smtp.mailfrom=u@outside.example.com" --ip 192.0.2.1 "${H[@]}" --mail-from u@outside.example.com
spf "exp= explanation" 1 "explanation: 192.0.2.66 may not send for explain.example.com (u@explain.example.com)" --ip 192.0.2.66 "${H[@]}" --mail-from u@explain.example.com
spf "null sender: postmaster@HELO" 0 "spf=pass smtp.mailfrom=postmaster@helo.example.com" --ip 198.51.100.7 --helo helo.example.com --mail-from ''
spf "HELO identity" 1 "spf=fail smtp.helo=helo.example.com" --ip 192.0.2.1 --helo helo.example.com
spf "a control byte from the envelope: printable identity" 4 "spf=none smtp.mailfrom=u@a?b.example.com" --ip 192.0.2.1 "${H[@]}" --mail-from "u@a"$'\n'"b.example.com"
spf "a control byte from the envelope: one printable reason line" 4 "reason: a?b.example.com is not a domain SPF can check" --ip 192.0.2.1 "${H[@]}" --mail-from "u@a"$'\n'"b.example.com"
l60=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
spf "a domain too long to keep whole: none, never a cut name" 4 "reason: the sender or HELO name is too long to be checked" --ip 192.0.2.1 "${H[@]}" --mail-from "u@$l60.$l60.$l60.$l60.$l60.example.com"
spf "IPv4-mapped IPv6 counts as IPv4" 0 "spf=pass smtp.mailfrom=user@example.com" --ip ::ffff:192.0.2.5 "${H[@]}" --mail-from user@example.com

status "spf without --ip: usage" 64 "$DKMOD" spf --helo a.example.com
status "spf with a bad address: usage" 64 "$DKMOD" spf "${Z[@]}" --ip 300.1.1.1 --helo a.example.com
status "spf with a file argument: usage" 64 "$DKMOD" spf "${Z[@]}" --ip 192.0.2.1 --helo a.example.com extra
status "spf --help" 0 "$DKMOD" spf --help
status "spf with an unreadable zone: set-up error" 78 "$DKMOD" spf --zone "$TMP/absent.zone" --ip 192.0.2.1 --helo a.example.com
