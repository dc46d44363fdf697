#!/usr/bin/env bash
# t_rounds.sh - cold (no shared cache, a fresh process), a message waits for no
# more DNS round trips in sequence than its longest chain of dependent lookups
# (issue 18): nsd serves a zone where that chain is known, and `dkmod verify
# --json` reports the count ("dns":{"rounds":N,"queries":M}).  Counted, not
# timed.  The DKIM key, the DomainKeys and ADSP policies, the DMARC walk and the
# SPF record all start at once (one round); SPF's chain of includes and its a
# mechanism go on from there; DMARC's existence check (np=) needs the walk first.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
cd "$TMP" || exit 1
install -m 600 "$DKMOD_TOP/conf/demo.key" "$TMP/"
# the demo key's record, moved to sel._domainkey.chain.example
key=$(sed -n '/^demo._domainkey/,/)/p' "$DKMOD_TOP/conf/demo.zone" | sed 's/^demo._domainkey/sel._domainkey.chain/')
{
	zone_head example 300
	cat <<'ZONE'
; SPF: the record, three includes, then an a mechanism: 5 lookups one after another
chain               TXT "v=spf1 include:i1.chain.example -all"
i1.chain            TXT "v=spf1 include:i2.chain.example -all"
i2.chain            TXT "v=spf1 include:i3.chain.example -all"
i3.chain            TXT "v=spf1 a:host.chain.example -all"
host.chain          A   192.0.2.1
; SPF in one lookup
flat.chain          TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.chain        TXT "v=DMARC1; p=reject; np=reject"
ZONE
	echo "$key"
} >example.zone
nsd_start "$TMP/nsd" "$TMP/example.zone:example" || { fail "nsd starts" "see above"; exit 1; }
pass "nsd starts"

printf 'From: Ann <ann@chain.example>\r\nTo: bob@example.net\r\nSubject: rounds\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\nbody\r\n' >m.eml
"$DKMOD" sign --domain chain.example --selector sel --key demo.key m.eml >s.eml 2>sign.err ||
	fail "sign" "$(cat sign.err)"
printf 'From: Ann <ann@nx.chain.example>\r\nTo: bob@example.net\r\nSubject: rounds\r\n\r\nbody\r\n' >nx.eml
V=("$DKMOD" verify --json --resolver "127.0.0.1@$NSD_PORT" --timeout 5000 --authserv-id mx.example.net)
E=(--client-ip 192.0.2.1 --helo mail.chain.example)

# rounds NAME WANT_ROUNDS MIN_QUERIES WANT_AUTH FILE ARGS... - verify cold: the A-R's spf= and dmarc= words,
# the round trips in sequence, and more lookups sent than rounds (they ran side by side)
rounds() {
	local name=$1 want=$2 minq=$3 auth=$4 file=$5 got r q
	shift 5
	"${V[@]}" "$@" "$file" 2>json.txt >/dev/null
	got=$(grep -oE '(dkim|spf|dmarc)=[a-z]+' json.txt | tr '\n' ' ')
	check_eq "$name: verdicts" "$got" "$auth"
	r=$(grep -oE '"dns":\{"rounds":[0-9]+' json.txt | grep -oE '[0-9]+$')
	q=$(grep -oE '"dns":\{"rounds":[0-9]+,"queries":[0-9]+' json.txt | grep -oE '[0-9]+$')
	check_eq "$name: round trips in sequence" "$r" "$want"
	[ -n "$q" ] && [ "$q" -ge "$minq" ] && pass "$name: $q lookups sent, $r in sequence" ||
		fail "$name: lookups sent" "got '$q', want at least $minq"
}

# key + DomainKeys policy + ADSP + _dmarc.chain.example + _dmarc.example, all at once
rounds "no envelope" 1 5 "dkim=pass dmarc=pass " s.eml
# SPF 5 deep; beside it the key, the policies and the DMARC walk (10 lookups, 5 in sequence, not 10)
rounds "SPF include chain of 3 and an a mechanism" 5 10 "dkim=pass spf=pass dmarc=pass " \
	s.eml "${E[@]}" --mail-from b@chain.example
# SPF in one lookup, but its domain lies below the organizational domain: DMARC walks it
# (_dmarc.flat.chain.example) once the walk of the Author Domain has given that domain: 2
rounds "SPF in one lookup, DMARC's walk of its domain after the org domain" 2 7 "dkim=pass spf=pass dmarc=pass " \
	s.eml "${E[@]}" --mail-from b@flat.chain.example
# the walk (_dmarc.nx.chain.example, _dmarc.chain.example, _dmarc.example) and, np= being set at
# the organizational domain, whether nx.chain.example exists; ADSP asked that in round 1 (dkim-adsp=
# nxdomain), so DMARC's question is answered at hand: 1 round, not 2, and not sent twice
rounds "DMARC's existence check answered by ADSP's lookup" 1 6 "dkim=none dmarc=fail " nx.eml
check_eq "DMARC's existence check: not sent again" "$(grep -oE '"queries":[0-9]+' json.txt)" '"queries":6'
grep -q 'dkim-adsp=nxdomain' json.txt && pass "ADSP found nx.chain.example missing" ||
	fail "ADSP found nx.chain.example missing" "$(cat json.txt)"
# both chains at once: still the longer one (SPF of chain.example aligns relaxed with nx.chain.example)
rounds "SPF chain beside the DMARC walk" 5 10 "dkim=none spf=pass dmarc=pass " \
	nx.eml "${E[@]}" --mail-from b@chain.example
