#!/usr/bin/env bash
# t_dkim_peers.sh - DKIM interop with the real peer libraries, keys served by
# a real nsd on 127.0.0.1: dkmod signs in every algorithm and canonicalization
# and Perl Mail::DKIM and Python dkimpy verify; they sign and dkmod verifies;
# tampered copies fail for the right reason.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
HERE="$DKMOD_TOP/tests/interop"
MDKIM="perl $HERE/peer_mdkim.pl"
DKIMPY="$PYTHON $HERE/peer_dkimpy.py"

cd "$TMP" || exit 1
openssl genrsa -traditional -out rsa1024.pem 1024 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.pem 2>/dev/null
openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null
# txt_record KEYFILE TYPE - the key's TXT rdata split in 250-byte strings
txt_record() {
	local p
	if [ "$2" = ed25519 ]; then
		p=$(openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | tail -c 32 | base64 -w0)
	else
		p=$(openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | base64 -w0)
	fi
	echo "v=DKIM1; k=$2; p=$p" | fold -w 250 | sed 's/.*/"&"/' | tr '\n' ' '
}
{
	zone_head example.com
	echo "rsa1024._domainkey IN TXT ( $(txt_record rsa1024.pem rsa) )"
	echo "rsa2048._domainkey IN TXT ( $(txt_record rsa2048.pem rsa) )"
	echo "ed._domainkey IN TXT ( $(txt_record ed.pem ed25519) )"
} >example.com.zone
if ! nsd_start "$TMP/nsd" "$TMP/example.com.zone:example.com"; then
	fail "nsd starts" "see $TMP/nsd"
	exit 1
fi

cat >msg.eml <<'MSG'
From: Alice <alice@example.com>
To: Bob <bob@example.net>
Subject: Interop  test
	with a folded line
Date: Wed, 25 Nov 2026 10:00:00 +0000
Message-ID: <interop-1@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hello Bob,   
	tabs and  spaces.


MSG
sed -i 's/$/\r/' msg.eml

VERIFY=("$DKMOD" verify --resolver "127.0.0.1@$NSD_PORT" --authserv-id mx.example.net)
n=0
for alg_key in rsa-sha256:rsa2048 rsa-sha256:rsa1024 rsa-sha1:rsa2048 ed25519-sha256:ed; do
	alg=${alg_key%%:*} sel=${alg_key##*:}
	V=("${VERIFY[@]}")
	[ "$alg" = rsa-sha1 ] && V+=(--allow-sha1) # RFC 8301: refused unless allowed (checked below)
	for canon in relaxed/relaxed simple/simple relaxed/simple simple/relaxed; do
		n=$((n + 1))
		name="$alg $sel $canon"
		"$DKMOD" sign --domain example.com --selector "$sel" --key "$sel.pem" --algorithm "$alg" \
			--canon "$canon" msg.eml >"s$n.eml" 2>"s$n.err" || { fail "dkmod signs $name" "$(cat "s$n.err")"; continue; }
		out=$($MDKIM verify --dns-port "$NSD_PORT" <"s$n.eml")
		if grep -q '^dkim pass' <<<"$out"; then pass "Mail::DKIM verifies dkmod $name"; else fail "Mail::DKIM verifies dkmod $name" "$out"; fi
		out=$($DKIMPY verify --dns-port "$NSD_PORT" <"s$n.eml")
		if grep -q '^dkim pass' <<<"$out"; then pass "dkimpy verifies dkmod $name"; else fail "dkimpy verifies dkmod $name" "$out"; fi
		for peer in mdkim dkimpy; do
			if [ $peer = mdkim ]; then signer=$MDKIM; else signer=$DKIMPY; fi
			$signer sign --domain example.com --selector "$sel" --key "$sel.pem" --algorithm "$alg" \
				--canon "$canon" <msg.eml >"p$n$peer.eml" 2>"p$n$peer.err" || { fail "$peer signs $name" "$(cat "p$n$peer.err")"; continue; }
			"${V[@]}" "p$n$peer.eml" >"v$n$peer.eml"
			check_eq "dkmod verifies $peer $name" "$(ar_results "v$n$peer.eml")" "dkim=pass domainkeys=none"
			# tampered copies: a body change and a signed header change
			sed 's/tabs and/tabs or/' "p$n$peer.eml" >"tb$n$peer.eml"
			"${V[@]}" "tb$n$peer.eml" >"vtb$n$peer.eml"
			if ar_text "vtb$n$peer.eml" | grep -qE 'dkim=fail [^=]*reason="body hash did not verify"'; then pass "body tampering of $peer $name fails"; else fail "body tampering of $peer $name fails" "$(head -3 "vtb$n$peer.eml")"; fi
			sed 's/^Subject: Interop/Subject: Intercept/' "p$n$peer.eml" >"th$n$peer.eml"
			"${V[@]}" "th$n$peer.eml" >"vth$n$peer.eml"
			if ar_text "vth$n$peer.eml" | grep -qE 'dkim=fail [^=]*reason="signature did not verify"'; then pass "header tampering of $peer $name fails"; else fail "header tampering of $peer $name fails" "$(head -3 "vth$n$peer.eml")"; fi
		done
	done
done

# without --allow-sha1 a peer's rsa-sha1 signature is refused (RFC 8301)
for peer in mdkim dkimpy; do
	f=$(ls p*"$peer".eml 2>/dev/null | while read -r m; do grep -q 'a=rsa-sha1' "$m" && echo "$m" && break; done)
	if [ -z "$f" ]; then
		fail "dkmod refuses $peer rsa-sha1 by default" "no rsa-sha1 message from $peer"
		continue
	fi
	"${VERIFY[@]}" "$f" >"vsha1$peer.eml"
	if ar_text "vsha1$peer.eml" | grep -qE 'dkim=policy [^=]*reason="rsa-sha1 is not accepted'; then
		pass "dkmod refuses $peer rsa-sha1 by default (policy)"
	else
		fail "dkmod refuses $peer rsa-sha1 by default (policy)" "$(head -3 "vsha1$peer.eml")"
	fi
done

# the message dkmod passes on is the input byte for byte below the new field
"$DKMOD" verify --resolver "127.0.0.1@$NSD_PORT" --authserv-id mx.example.net s1.eml >out.eml
awk 'a { print } /^DomainKey-Status:/ { a = 1 }' out.eml >rest.eml
if head -1 out.eml | grep -q '^Authentication-Results: mx.example.net;' && cmp -s rest.eml s1.eml; then
	pass "verify passes the message on unchanged below its field"
else
	fail "verify passes the message on unchanged below its field" "$(diff rest.eml s1.eml | head -5)"
fi
