# dnssec.sh - sourced by shell tests after tests/lib/common.sh and nsd.sh:
# DNSSEC-signed test zones made with ldns-keygen and ldns-signzone, their trust
# anchors for libunbound (--trust-anchor), and "bogus" variants that fail
# validation for real (a record altered after signing, or signatures that have
# expired).
#
#   dnssec_sign_zone ZONEFILE ORIGIN OUTDIR [INCEPTION EXPIRATION]
#                                            sets DNSSEC_SIGNED (the signed zone),
#                                            DNSSEC_ANCHOR (DS) and DNSSEC_ANCHOR_KEY
#                                            (DNSKEY), and prints the first two
#   dnssec_alter_txt SIGNED OWNER TEXT       replaces the TXT data at OWNER in a
#                                            signed zone, keeping the old RRSIG
#   txt_strings TEXT                         TEXT as zone-file character strings
#
# The algorithm is ECDSAP256SHA256 unless DNSSEC_ALG says RSASHA256 (then the
# keys have 2048 bits).  Dates are YYYYMMDD[hhmmss] or seconds since the epoch,
# as ldns-signzone takes them; e.g. 20200101 20200201 gives expired signatures.
# shellcheck shell=bash

LDNS_KEYGEN=${LDNS_KEYGEN:-$(command -v ldns-keygen || echo /usr/bin/ldns-keygen)}
LDNS_SIGNZONE=${LDNS_SIGNZONE:-$(command -v ldns-signzone || echo /usr/bin/ldns-signzone)}
DNSSEC_ALG=${DNSSEC_ALG:-ECDSAP256SHA256}
DNSSEC_SIGNED="" DNSSEC_ANCHOR="" DNSSEC_ANCHOR_KEY=""

# _dnssec_keygen DIR ORIGIN [-k] - make one key in DIR, print its base name
_dnssec_keygen() {
	local dir=$1 origin=$2 bits=()
	shift 2
	[ "$DNSSEC_ALG" = RSASHA256 ] && bits=(-b 2048)
	# /dev/urandom: /dev/random could block on an idle test machine
	(cd "$dir" && "$LDNS_KEYGEN" -a "$DNSSEC_ALG" "${bits[@]}" -r /dev/urandom "$@" "$origin")
}

# dnssec_sign_zone ZONEFILE ORIGIN OUTDIR [INCEPTION EXPIRATION] - sign with a new KSK and ZSK
dnssec_sign_zone() {
	local zone=$1 origin=${2%.}. dir=$3 ksk zsk dates=()
	[ $# -ge 5 ] && dates=(-i "$4" -e "$5")
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd)
	ksk=$(_dnssec_keygen "$dir" "$origin" -k) && [ -n "$ksk" ] || return 1
	zsk=$(_dnssec_keygen "$dir" "$origin") && [ -n "$zsk" ] || return 1
	DNSSEC_SIGNED="$dir/${origin}signed"
	"$LDNS_SIGNZONE" "${dates[@]}" -o "$origin" -f "$DNSSEC_SIGNED" "$zone" "$dir/$ksk" "$dir/$zsk" || return 1
	# Both forms are read by libunbound's ub_ctx_add_ta_file: the KSK's DS
	# (as a parent would publish it) and the KSK itself.
	DNSSEC_ANCHOR="$dir/${origin}ds"
	DNSSEC_ANCHOR_KEY="$dir/${origin}dnskey"
	cp "$dir/$ksk.ds" "$DNSSEC_ANCHOR" && cp "$dir/$ksk.key" "$DNSSEC_ANCHOR_KEY" || return 1
	echo "$DNSSEC_SIGNED"
	echo "$DNSSEC_ANCHOR"
}

# txt_strings TEXT - TEXT as quoted character strings of at most 250 bytes (TEXT has no '"' or '\')
txt_strings() {
	printf '%s' "$1" | fold -b -w 250 | sed 's/.*/"&"/' | tr '\n' ' ' | sed 's/ $//'
	echo
}

# dnssec_alter_txt SIGNED OWNER TEXT - put TEXT in the TXT record at OWNER after signing
dnssec_alter_txt() {
	local file=$1 owner=${2%.}. strings tmp
	strings=$(txt_strings "$3")
	tmp="$file.tmp"
	# ldns-signzone writes one record a line: owner TTL class type rdata
	awk -v owner="$owner" -v rdata="$strings" -F '\t' -v OFS='\t' '
		tolower($1) == tolower(owner) && $4 == "TXT" { $5 = rdata; n++ }
		{ print }
		END { exit n == 1 ? 0 : 1 }' "$file" >"$tmp" || { rm -f "$tmp"; echo "dnssec_alter_txt: no single TXT at $owner" >&2; return 1; }
	mv "$tmp" "$file"
}
