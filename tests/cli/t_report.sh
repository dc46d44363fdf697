#!/usr/bin/env bash
# t_report.sh - DMARC aggregate reports (RFC 9990) end to end: `dkmod process` records the
# verdicts of a domain that asks for reports (none of one that does not), `dkmod report`
# writes one report per domain and period (valid against the schema, exact counts), hands
# it to a fake sendmail (the Subject, the gzip'd attachment decoded and validated) for the
# domain's own address and for an external one authorized by DNS (nsd serves the
# _report._dmarc record), not for one without the record, never twice (a report kept for a
# refusing destination goes again to it only); --dir files; the policy script's override
# reason in the report;
# two hosts' exports merged into one report with summed counts; config errors at file:line.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
need_cmd "report schema validation" xmllint || exit 0
need_cmd "nsd serving the rua authorization" nsd dig || exit 0
cd "$TMP" || exit 1
CONF="$DKMOD_TOP/conf"
XSD="$DKMOD_TOP/tests/cli/rfc9990/aggregate-report.xsd"
install -m 600 "$CONF/demo.key" "$TMP/"
{
	sed "/^; example.com's DMARC record/,\$d" "$CONF/demo.zone"
	cat <<'ZONE'
$ORIGIN example.com.
@        TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc   TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com,mailto:agg@reports.example.net,mailto:x@other.example.net"
norua    TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.norua TXT "v=DMARC1; p=reject"
$ORIGIN com.
@ SOA ns hostmaster 1 3600 600 86400 60
ZONE
} >mail.zone
# the report consumer's zone: it takes example.com's reports at reports.example.net only
{
	zone_head example.net
	echo 'example.com._report._dmarc.reports TXT "v=DMARC1;"'
} >example.net.zone
nsd_start "$TMP/nsd" "$TMP/example.net.zone:example.net" || { fail "nsd starts" "$(cat "$TMP/nsd/nsd.log" 2>/dev/null)"; exit 0; }

# conf FILE STATE - verify, record reports, the mail zone
conf() {
	cat >"$1" <<CONF
dkim_validate "in" { }
keycache { state_dir = "$2" }
resolver { zone = "$TMP/mail.zone" }
authserv_id "mx.example.org"
policy "$DKMOD_TOP/lua/default.lua"
dmarc_reports { record = true, org_name = "Example Org", email = "dmarc-noreply@example.org",
  submitter = "mx.example.org" }
CONF
}
msg() { printf 'From: %s\r\nTo: bob@example.org\r\nSubject: s\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\nbody\r\n' "$1"; }
msg 'Ann <ann@example.com>' >plain.eml
msg 'Ann <ann@norua.example.com>' >norua.eml
"$DKMOD" sign --domain example.com --selector demo --key "$TMP/demo.key" plain.eml >signed.eml 2>/dev/null
mkdir state-a state-b out
conf a.conf "$TMP/state-a"
conf b.conf "$TMP/state-b"
P=(--rcpt bob@example.org --helo mail.example.com)
# host A: 2 signed passes from 192.0.2.1, 1 SPF-failing forgery (rejected), 1 for norua
for i in 1 2; do "$DKMOD" process --config a.conf "${P[@]}" --client-ip 192.0.2.1 --mail-from b@example.com signed.eml >/dev/null 2>&1; done
"$DKMOD" process --config a.conf "${P[@]}" --client-ip 198.51.100.9 --mail-from b@example.com plain.eml >/dev/null 2>&1
"$DKMOD" process --config a.conf "${P[@]}" --client-ip 192.0.2.1 --mail-from b@norua.example.com norua.eml >/dev/null 2>&1
# host B: 3 more signed passes
for i in 1 2 3; do "$DKMOD" process --config b.conf "${P[@]}" --client-ip 192.0.2.1 --mail-from b@example.com signed.eml >/dev/null 2>&1; done
later=$(($(date +%s) + 86400))

# a fake sendmail: each call's arguments and message in sent.N.args and sent.N
cat >sendmail <<'SH'
#!/bin/sh
n=$(ls "$(dirname "$0")"/sent.*.args 2>/dev/null | wc -l)
f="$(dirname "$0")/sent.$n"
echo "ARGS: $*" >"$f.args"
cat >"$f"
SH
chmod +x sendmail
R=("$DKMOD" report --resolver "127.0.0.1@$NSD_PORT")

status "report: the period has not ended, nothing sent" 0 "${R[@]}" --config a.conf --sendmail "$TMP/sendmail"
check_eq "report: no mail before the period ends" "$(ls sent.* 2>/dev/null | wc -l)" 0

# the fleet: host B exports its closed period, host A merges it and reports once
status "export of host B" 0 "${R[@]}" --config b.conf --now "$later" --export "$TMP/b.export"
check "export: a G line and the row" grep -q "^G.*example.com" b.export
status "a second export has nothing left" 0 "${R[@]}" --config b.conf --now "$later" --export "$TMP/b2.export"
check_eq "the second export is empty" "$(grep -c '^G' b2.export)" 0
printf 'garbage\n' >bad.export
status "a bad export is refused (65)" 65 "${R[@]}" --config a.conf --now "$later" --import "$TMP/bad.export" --dir "$TMP/out"
"${R[@]}" --config a.conf --now "$later" --import "$TMP/b.export" --sendmail "$TMP/sendmail" >report.out 2>report.err
check_eq "report: exit 0" "$?" 0
check "the merged export is renamed" test -f b.export.merged -a ! -f b.export
check_eq "two mails: the domain's own address and the authorized one" "$(ls sent.? | wc -l)" 2
check "not sent to the unauthorized destination" grep -q "x@other.example.net: no v=DMARC1 record" report.err
check_eq "sendmail arguments" "$(cat sent.0.args sent.1.args)" \
	"$(printf 'ARGS: -oi -f dmarc-noreply@example.org -- dmarc@example.com\nARGS: -oi -f dmarc-noreply@example.org -- agg@reports.example.net')"
day=$(($(date +%s) / 86400 * 86400))
check_eq "Subject" "$(grep '^Subject:' sent.0)" \
	"Subject: Report Domain: example.com Submitter: mx.example.org Report-ID: <$day.example.com@mx.example.org>"
name="mx.example.org!example.com!$day!$((day + 86399)).xml.gz"
check "the attachment is application/gzip with the RFC's file name" \
	grep -q "^Content-Type: application/gzip; name=\"$name\"" sent.0
# the attachment: base64 lines between its blank line and the closing boundary
awk '/^Content-Transfer-Encoding: base64/ { b = 1; next } b && /^--/ { exit } b && NF { print }' sent.0 |
	base64 -d | gunzip >report.xml 2>gunzip.err
check "the attachment decodes and unzips to XML" grep -q "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">" report.xml
check "the report is valid against the RFC 9990 schema" xmllint --noout --schema "$XSD" report.xml
counts=$(grep -o '<count>[0-9]*</count>' report.xml | tr -d '\n')
check_eq "rows: 2 + 3 passes merged, 1 rejected forgery" "$counts" "<count>5</count><count>1</count>"
check "the default policy's reject is the row's disposition" grep -q "<disposition>reject</disposition>" report.xml
check "the passes under p=reject: disposition pass" grep -q "<disposition>pass</disposition>" report.xml
check "no report for a domain without rua=" sh -c "! grep -q norua sent.0 sent.1"
status "report again: nothing left" 0 "${R[@]}" --config a.conf --now "$later" --sendmail "$TMP/sendmail"
check_eq "reports are not sent twice" "$(ls sent.? | wc -l)" 2

# --dir: the files, named as the RFC says, valid
"$DKMOD" process --config a.conf "${P[@]}" --client-ip 192.0.2.1 --mail-from b@example.com signed.eml >/dev/null 2>&1
status "report --dir" 0 "${R[@]}" --config a.conf --now "$later" --dir "$TMP/out"
check "report --dir: the file" test -f "out/$name"
gunzip -c "out/$name" >dir.xml 2>/dev/null
check "report --dir: valid against the schema" xmllint --noout --schema "$XSD" dir.xml
check_eq "report --dir: one row of one message" "$(grep -o '<count>[0-9]*</count>' dir.xml)" "<count>1</count>"

# the bound: rows = 1, a second source address is counted in <error>, logged once; still valid
mkdir state-c out-c
conf c.conf "$TMP/state-c"
sed -i 's/^dmarc_reports { record = true,/dmarc_reports { record = true, rows = 1,/' c.conf
for ip in 192.0.2.1 198.51.100.9 198.51.100.10; do
	"$DKMOD" process --config c.conf "${P[@]}" --client-ip $ip --mail-from b@example.com plain.eml >/dev/null 2>>bound.err
done
check_eq "bound: logged once" "$(grep -c 'row limit reached' bound.err)" 1
status "bound: report --dir" 0 "${R[@]}" --config c.conf --now "$later" --dir "$TMP/out-c"
gunzip -c "out-c/$name" >bound.xml 2>/dev/null
check "bound: 2 messages not reported, in <error>" grep -q "<error>2 messages not reported: row limit reached</error>" bound.xml
check "bound: valid against the schema" xmllint --noout --schema "$XSD" bound.xml

# a sendmail that refuses: the report stays for the next run
"$DKMOD" process --config a.conf "${P[@]}" --client-ip 192.0.2.1 --mail-from b@example.com signed.eml >/dev/null 2>&1
status "sendmail refusing: exit 74" 74 "${R[@]}" --config a.conf --now "$later" --sendmail /bin/false
status "then sent on the next run" 0 "${R[@]}" --config a.conf --now "$later" --sendmail "$TMP/sendmail"
check_eq "the kept report went out" "$(ls sent.? | wc -l)" 4

# one of two destinations refuses: the next run sends to it alone (each address gets it once)
sed 's|^cat >"$f"$|case "$*" in *agg@*) [ -f "$(dirname "$0")/refuse" ] \&\& exit 75;; esac; cat >"$f"|' sendmail >sendmail-agg
chmod +x sendmail-agg
touch refuse
"$DKMOD" process --config a.conf "${P[@]}" --client-ip 192.0.2.1 --mail-from b@example.com signed.eml >/dev/null 2>&1
status "one destination refusing: exit 74" 74 "${R[@]}" --config a.conf --now "$later" --sendmail "$TMP/sendmail-agg"
check "the other destination took it" grep -q -- "-- dmarc@example.com" sent.4.args
rm refuse
"${R[@]}" --config a.conf --now "$later" --sendmail "$TMP/sendmail-agg" >again.out 2>&1
check_eq "then sent to the refusing destination only" "$(ls sent.? | wc -l)" 6
check "the refusing destination got it" grep -q -- "-- agg@reports.example.net" sent.5.args
check "the other one is told as already sent" grep -q "already sent example.com .* to mailto:dmarc@example.com" again.out
status "report again: nothing left after both took it" 0 "${R[@]}" --config a.conf --now "$later" --sendmail "$TMP/sendmail"
check_eq "no third mail" "$(ls sent.? | wc -l)" 6

# the script's override reason (verify's third value) in place of the engine's; without one
# the engine's local_policy (accepted although the domain asked for reject)
mkdir state-d out-d
conf d.conf "$TMP/state-d"
cat >reason.lua <<'LUA'
function verify(msg)
  if msg.client_ip == "198.51.100.9" then
    return "accept", nil, { type = "mailing_list", comment = "lists.example.org & <friends>" }
  end
  return "accept"
end
LUA
sed -i "s|^policy .*|policy \"$TMP/reason.lua\"|" d.conf
for ip in 198.51.100.9 198.51.100.10; do
	"$DKMOD" process --config d.conf "${P[@]}" --client-ip $ip --mail-from b@example.com plain.eml >/dev/null 2>&1
done
status "reason: report --dir" 0 "${R[@]}" --config d.conf --now "$later" --dir "$TMP/out-d"
gunzip -c "out-d/$name" >reason.xml 2>/dev/null
check "reason: valid against the schema" xmllint --noout --schema "$XSD" reason.xml
check_eq "reason: the script's type and comment, and the engine's local_policy" \
	"$(xmllint --xpath '//*[local-name()="row"]/*[local-name()="policy_evaluated"]/*[local-name()="reason"]' reason.xml | tr -d ' \n')" \
	"<reason><type>mailing_list</type><comment>lists.example.org&amp;&lt;friends&gt;</comment></reason><reason><type>local_policy</type></reason>"

# configuration errors at FILE:LINE
printf 'dkim_validate "in" { }\ndmarc_reports {\n  interval = 1000,\n  email = "nobody" }\n' >bad.conf
"$DKMOD" config-check bad.conf >cc.out 2>&1
check "interval error at its line" grep -q "bad.conf:3: dmarc_reports: interval is a divisor of 86400" cc.out
check "email error at its line" grep -q "bad.conf:4: dmarc_reports: email is an address" cc.out
