#!/bin/sh
# demo.sh - the README's first command: sign conf/sample.eml with the demo
# keys (RSA-2048 and Ed25519) and verify it against conf/demo.zone, served to
# libunbound as local data (no network).  Then show a tampered copy failing.
set -eu
DKMOD=${1:-.build/dkmod}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# private keys must not be readable by others; a fresh clone does not keep modes
install -m 600 conf/demo.key "$tmp/demo.key"
install -m 600 conf/demo-ed25519.key "$tmp/demo-ed25519.key"
"$DKMOD" sign --domain example.com --selector demo --key "$tmp/demo.key" \
	--next --selector demo-ed --key "$tmp/demo-ed25519.key" --algorithm ed25519-sha256 \
	conf/sample.eml >"$tmp/signed.eml"
echo "== the sample message, signed (headers):"
sed '/^$/q' "$tmp/signed.eml"

"$DKMOD" verify --zone conf/demo.zone --authserv-id mx.example.net "$tmp/signed.eml" >"$tmp/verified.eml"
echo "== verified against the demo zone (headers):"
sed '/^$/q' "$tmp/verified.eml"

sed 's/the figures are attached/the figures are NOT attached/' "$tmp/signed.eml" >"$tmp/tampered.eml"
"$DKMOD" verify --zone conf/demo.zone --authserv-id mx.example.net "$tmp/tampered.eml" >"$tmp/tampered-verified.eml"
echo "== a copy with its body changed in transit:"
sed -n '/^Authentication-Results:/,/^[^ \t]/p' "$tmp/tampered-verified.eml" | sed '$d'
