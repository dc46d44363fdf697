#!/usr/bin/env bash
# t_cache.sh - the key cache shared by every process (LMDB): a second process
# makes no DNS query (counted at a real nsd), flush makes the next one query
# again, TTL expiry refetches, negative answers are cached, counters total the
# messages of concurrent processes, the console reads and flushes the state,
# and a missing, unwritable or corrupt state never stops verification.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
cd "$TMP" || exit 1
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out k.pem 2>/dev/null
P=$(openssl pkey -in k.pem -pubout -outform DER 2>/dev/null | base64 -w0)
{
	zone_head example.com 3600
	echo '@ IN MX 10 mx'
	echo "k._domainkey IN TXT \"v=DKIM1; k=rsa; p=$P\""
} >example.com.zone
# com as on the Internet, so that DMARC's walk (_dmarc.com) gets an NXDOMAIN the cache keeps
zone_head com 3600 >com.zone
nsd_start "$TMP/nsd" "$TMP/example.com.zone:example.com" "$TMP/com.zone:com" || { fail "nsd starts"; exit 1; }
printf 'From: a@example.com\r\nTo: b@example.net\r\nSubject: cache\r\n\r\nbody\r\n' >m.eml
"$DKMOD" sign --domain example.com --selector k --key k.pem m.eml >s.eml
NOW=1800000000
V=("$DKMOD" verify --resolver "127.0.0.1@$NSD_PORT" --state "$TMP/state" --authserv-id mx)

# queries_for CMD... - how many queries nsd answered while CMD ran
queries_for() {
	local before after
	before=$(nsd_queries)
	"$@" >"$TMP/last.out" 2>"$TMP/last.err"
	after=$(nsd_queries)
	echo $((after - before))
}
need_cmd "cache query counting" "$NSD_CONTROL_BIN" || exit 0
if [ -z "$(nsd_queries)" ]; then
	fail "cache query counting" "nsd-control gave no statistics"
	exit 0
fi
q1=$(queries_for "${V[@]}" --now $NOW s.eml)
check_eq "first verification passes" "$(ar_results "$TMP/last.out")" "dkim=pass domainkeys=none"
[ "$q1" -ge 1 ] && pass "first verification asks DNS ($q1 queries)" || fail "first verification asks DNS" "$q1"
q2=$(queries_for "${V[@]}" --now $((NOW + 10)) s.eml)
check_eq "a second process asks DNS nothing" "$q2" 0
check_eq "a second process still passes" "$(ar_results "$TMP/last.out")" "dkim=pass domainkeys=none"
"$DKMOD" console --state "$TMP/state" 'dkim_validate:dkim_validate1 flush keycache' >flush.out
grep -q 'flushed [1-9][0-9]* cached records' flush.out && pass "console flush" || fail "console flush" "$(cat flush.out)"
q3=$(queries_for "${V[@]}" --now $((NOW + 20)) s.eml)
[ "$q3" -ge 1 ] && pass "after a flush the next verification asks again" || fail "after a flush the next verification asks again" "$q3"
q4=$(queries_for "${V[@]}" --now $((NOW + 20 + 301)) s.eml)
[ "$q4" -ge 1 ] && pass "after the TTL (300 s) the answer is fetched again" || fail "TTL expiry refetches" "$q4"
q5=$(queries_for "${V[@]}" --now $((NOW + 20 + 302)) s.eml)
check_eq "and cached again" "$q5" 0

# negative answers are cached too
sed 's/s=k;/s=absent;/' s.eml >absent.eml
queries_for "${V[@]}" --now $NOW absent.eml >/dev/null
q6=$(queries_for "${V[@]}" --now $((NOW + 100)) absent.eml)
check_eq "NXDOMAIN is cached" "$q6" 0
check_eq "NXDOMAIN from the cache is still permerror" "$(ar_results "$TMP/last.out")" "dkim=permerror domainkeys=none"

# counters: N messages from concurrent processes total N
rm -rf "$TMP/state2"
"${V[@]/$TMP\/state/$TMP/state2}" s.eml >/dev/null 2>&1
pids=()
for p in 1 2 3 4; do
	(for i in $(seq 10); do "$DKMOD" verify --resolver "127.0.0.1@$NSD_PORT" --state "$TMP/state2" s.eml >/dev/null 2>&1; done) &
	pids+=($!)
done
wait "${pids[@]}"
stats=$("$DKMOD" console --state "$TMP/state2" 'dkim_validate:dkim_validate1 stats')
check_eq "41 messages counted by concurrent processes" "$(awk '$1 == "dkim_validate.dkim_validate1.messages" {print $2}' <<<"$stats")" 41
check_eq "41 passes counted" "$(awk '$1 == "dkim_validate.dkim_validate1.result.pass" {print $2}' <<<"$stats")" 41
hits=$(awk '$1 == "cache.hits" {print $2}' <<<"$stats")
[ "${hits:-0}" -ge 40 ] && pass "cache hits counted ($hits)" || fail "cache hits counted" "$stats"
"$DKMOD" console --state "$TMP/state2" --format prometheus >prom.txt
grep -q '^dkmod_results_total{kind="dkim_validate",instance="dkim_validate1",value="pass"} 41$' prom.txt &&
	pass "prometheus exposition" || fail "prometheus exposition" "$(head -5 prom.txt)"
grep -q '^dkmod_cache_entries [0-9]' prom.txt && pass "prometheus cache gauge" || fail "prometheus cache gauge"
"$DKMOD" console --state "$TMP/state2" 'dkim_validate:dkim_validate1 frobnicate' >/dev/null 2>&1
check_eq "unknown console command exits 64" "$?" 64
"$DKMOD" console --state "$TMP/state2" 'nonsense' >/dev/null 2>&1
check_eq "malformed console command exits 64" "$?" 64

# a state that cannot be used never stops mail
touch notadir
"$DKMOD" verify --resolver "127.0.0.1@$NSD_PORT" --state "$TMP/notadir/state" s.eml >u.out 2>u.err
check_eq "unusable state dir: still verifies" "$(ar_results u.out)" "dkim=pass domainkeys=none"
grep -q . u.err && pass "unusable state dir: logged" || fail "unusable state dir: logged" "no log line"
mkdir -p corrupt && head -c 100000 /dev/urandom >corrupt/data.mdb
"$DKMOD" verify --resolver "127.0.0.1@$NSD_PORT" --state "$TMP/corrupt" s.eml >c.out 2>c.err
check_eq "corrupt state: still verifies" "$(ar_results c.out)" "dkim=pass domainkeys=none"
q7=$(queries_for "$DKMOD" verify --resolver "127.0.0.1@$NSD_PORT" --state "$TMP/corrupt" s.eml)
check_eq "corrupt state: recovered and caching again" "$q7" 0
