#!/usr/bin/env bash
# load.sh - load test (not part of the suite): bash tests/load/load.sh [MESSAGES] [CLIENTS]
# (default 20000 and 8).  A real nsd serves the test keys; a mixed corpus
# (1 KB to 1 MB; DKIM- and DomainKeys-signed, unsigned, tampered, rejected,
# signed for relay clients) goes through CLIENTS long-lived, pipelined
# dkmod-stdio filters, then through one dkmod-pipe per message with a stub
# sendmail, all sharing one keycache state dir.  Checks: every request
# answered as its class wants, every pipe exit status as expected, the RSS
# of each dkmod-stdio flat after warm-up, and the console's message counter
# equal to the messages processed.  Prints messages/s and error counts.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
. "$(dirname "$0")/../adapters/lib.sh"
. "$(dirname "$0")/lib.sh"
MESSAGES=${1:-${LOAD_MESSAGES:-20000}}
CLIENTS=${2:-${LOAD_CLIENTS:-8}}
RSS_MARGIN_KB=${RSS_MARGIN_KB:-2048}
for b in "$STDIO" "$PIPE" "$DKMOD"; do [ -x "$b" ] || { fail "built" "no $b"; exit 1; }; done
load_setup "$TMP/load" || { fail "setup (keys, nsd)"; exit 1; }
load_corpus "$TMP/load" || { fail "corpus"; exit 1; }
pass "setup: nsd on port $NSD_PORT, corpus of $(wc -l <"$LD/manifest") messages ($(du -sh "$LD/corpus" | cut -f1))"

total=0
for mode in stdio pipe; do
	load_phase "$mode" "$MESSAGES" "$CLIENTS"
	total=$((total + PH_SENT))
	echo "$mode: $PH_SENT messages, $CLIENTS clients, ${PH_MS} ms, $PH_RATE messages/s, $PH_ERR errors"
	check_eq "$mode: every message answered as expected" "$PH_OK/$PH_ERR" "$MESSAGES/0"
	[ -n "$PH_ERRLINES" ] && echo "$PH_ERRLINES" | sed 's/^/  /'
	if [ "$mode" = stdio ]; then
		echo "$PH_SUMMARIES" | sed 's/^summary /  /'
		worst=$(echo "$PH_SUMMARIES" | grep -o 'rss_growth=-*[0-9]*' | cut -d= -f2 | sort -n | tail -n 1)
		maxr=$(echo "$PH_SUMMARIES" | grep -o 'rss_max=[0-9]*' | cut -d= -f2 | sort -n | tail -n 1)
		if [ -n "$worst" ] && [ "$worst" -le "$RSS_MARGIN_KB" ]; then
			pass "stdio: RSS flat after warm-up (worst growth ${worst} KB <= $RSS_MARGIN_KB KB, peak ${maxr} KB)"
		else
			fail "stdio: RSS flat after warm-up" "worst growth ${worst:-?} KB (margin $RSS_MARGIN_KB KB)"
		fi
	fi
done
check_eq "console stats: dkim_validate1 messages = messages processed" "$(load_stat dkim_validate.dkim_validate1.messages)" "$total"
hits=$(load_stat cache.hits)
echo "shared cache: hits ${hits:-?}, nsd queries $(nsd_queries)"
