#!/usr/bin/env bash
# t_mta_infra.sh - self-check of the end-to-end MTA infrastructure (tests/e2e/lib.sh):
# Exim, Postfix and qpsmtpd each start on 127.0.0.1 only, take mail from swaks (plain
# and authenticated), deliver it into the test mailbox, apply the stand-in hooks the
# real adapters will replace (dummy_scan.c as Exim local_scan, dummy_filter.sh as the
# Postfix content filter, dummy_plugin in qpsmtpd) including their rejection paths,
# and leave no process behind once stopped.  An MTA that is not installed is skipped
# with the reason, a FAIL under CI=true (`make deps` installs them all).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"
E2E=$DKMOD_TOP/tests/e2e
U=$E2E_AUTH_USER P=$E2E_AUTH_PASS

if ! why=$(e2e_have swaks); then
	unmet "e2e infra" "$why"
	exit 0
fi

MSG=$TMP/msg.eml
printf 'From: Alice <alice@example.org>\nTo: bob@example.net\nSubject: e2e infra\nMessage-ID: <infra.1@example.org>\nDate: Wed, 25 Nov 2026 12:00:00 +0000\n\nline one\n.a dot-stuffed line\n\n' >"$MSG"

# has_header FILE NAME VALUE - true if FILE's header has "NAME: VALUE"
has_header() {
	awk -v h="$2: $3" '/^\r?$/ { exit 1 } { sub(/\r$/, "") } $0 == h { f = 1; exit } END { exit !f }' "$1"
}

# body_of FILE - the body of a delivered message (after the first empty line)
body_of() {
	awk 'b { print } /^\r?$/ { b = 1 }' "$1"
}

# check_mailbox NAME DIR RCPT HEADER VALUE - the one message for RCPT arrived, with HEADER: VALUE
# and the body intact
check_mailbox() {
	local f
	f=$(delivered_files "$2" "$3" | tail -n 1)
	if [ -z "$f" ]; then
		fail "$1" "nothing delivered for $3"
	elif ! has_header "$f" "$4" "$5"; then
		fail "$1" "no '$4: $5' in $f"
	elif [ "$(body_of "$f")" != "$(printf 'line one\n.a dot-stuffed line\n')" ]; then
		fail "$1" "body changed: $(body_of "$f" | od -c | head -n 3 | tr '\n' ' ')"
	else
		pass "$1"
	fi
}

# ---- Exim: exim4-daemon-heavy, local_scan from a shared object
if ! why=$(e2e_have exim); then
	unmet "exim" "$why"
elif ! gcc -std=c11 -Wall -Wextra -Werror -fPIC -shared -I"$EXIM_INCLUDE" \
	-o "$TMP/dummy_scan.so" "$E2E/dummy_scan.c" 2>"$TMP/cc.out"; then
	fail "exim dummy local_scan builds" "$(tail -n 3 "$TMP/cc.out" | tr '\n' ' ')"
else
	chmod 755 "$TMP/dummy_scan.so"
	# shellcheck disable=SC2016 # an Exim expansion, not a shell one
	echo 'smtp_banner = $smtp_active_hostname ESMTP e2e-extra-config' >"$TMP/exim-extra.conf"
	if ! EXIM_LOCAL_SCAN=$TMP/dummy_scan.so exim_start "$TMP/exim-extra.conf" 2>"$TMP/start.err"; then
		fail "exim starts" "$(tail -n 5 "$TMP/start.err" | tr '\n' ' ')"
	else
		pass "exim starts on 127.0.0.1:$EXIM_PORT"
		bv=$("$EXIM_BIN" -C "$EXIM_CONF" -bV 2>&1)
		case $bv in
		*"Exim version 4."*Content_Scanning*mysql*) pass "exim is exim4-daemon-heavy ($(echo "$bv" | sed -n 's/^Exim version \([^ ]*\).*/\1/p'))" ;;
		*) fail "exim is exim4-daemon-heavy" "$(echo "$bv" | head -n 5 | tr '\n' ' ')" ;;
		esac
		check_eq "exim knows local_scan_path" "$("$EXIM_BIN" -C "$EXIM_CONF" -bP local_scan_path 2>&1)" \
			"local_scan_path = $TMP/dummy_scan.so"
		check "exim listens on loopback only" e2e_only_loopback "$EXIM_PORT"
		send_mail "$EXIM_PORT" alice@example.org bob@example.net "$MSG"
		check_eq "exim accepts mail (swaks status)" "$?" 0
		check "exim reads the extra main configuration" grep -q '220 mx.example.net ESMTP e2e-extra-config' "$SEND_LOG"
		send_mail "$EXIM_PORT" alice@example.org carol@example.com "$MSG" --auth "$U" "$P"
		check_eq "exim accepts authenticated relay (swaks status)" "$?" 0
		send_mail "$EXIM_PORT" alice@example.org carol@example.com "$MSG" --auth "$U" wrong
		check_eq "exim refuses a wrong password (swaks status 28)" "$?" 28
		send_mail "$EXIM_PORT" reject-me@example.org bob@example.net "$MSG"
		rc=$?
		if [ "$rc" = 26 ] && grep -q '550 dummy local_scan says no' "$SEND_LOG"; then
			pass "exim local_scan rejection reaches the client as 550"
		else
			fail "exim local_scan rejection reaches the client as 550" "swaks status $rc"
		fi
		if wait_delivered "$EXIM_MAILDIR" 2 15; then
			check_mailbox "exim delivers with the local_scan header" "$EXIM_MAILDIR" bob@example.net X-Test-Scan yes
			f=$(delivered_files "$EXIM_MAILDIR" carol@example.com | tail -n 1)
			check "exim marks the authenticated message (esmtpa)" grep -q 'with esmtpa' "$f"
		else
			fail "exim delivers" "$(delivered_files "$EXIM_MAILDIR" | wc -l) message(s)"
			mta_logs
		fi
		pids=$(e2e_tree_pids "$EXIM_PID")
		exim_stop
		# shellcheck disable=SC2086
		e2e_check_gone "exim stopped, no process left" $pids
	fi
fi

# ---- Postfix: private instance, content_filter through pipe(8) and sendmail reinjection
if ! why=$(e2e_have postfix); then
	unmet "postfix" "$why"
else
	_e2e_prepare
	install -m 755 "$E2E/dummy_filter.sh" "$TMP/e2e-bin/dummy_filter.sh"
	# shellcheck disable=SC2034 # read by postfix_start
	POSTFIX_CONTENT_FILTER=dkmodtest:dummy
	# shellcheck disable=SC2034
	POSTFIX_MASTER_EXTRA="dkmodtest unix - n n - 4 pipe
  flags=Rq user=nobody null_sender= argv=$TMP/e2e-bin/dummy_filter.sh -f \${sender} -- \${recipient}"
	if ! postfix_start 2>"$TMP/start.err"; then
		fail "postfix starts" "$(tail -n 5 "$TMP/start.err" | tr '\n' ' ')"
	else
		pass "postfix $(postconf -h mail_version) starts on 127.0.0.1:$POSTFIX_PORT (master $POSTFIX_PID)"
		check "postfix listens on loopback only" e2e_only_loopback "$POSTFIX_PORT"
		send_mail "$POSTFIX_PORT" alice@example.org bob@example.net,dave@example.net "$MSG"
		check_eq "postfix accepts mail for two recipients (swaks status)" "$?" 0
		send_mail "$POSTFIX_PORT" alice@example.org carol@example.com "$MSG" --auth "$U" "$P"
		check_eq "postfix accepts SASL-authenticated relay (swaks status)" "$?" 0
		send_mail "$POSTFIX_PORT" alice@example.org carol@example.com "$MSG" --auth "$U" wrong
		check_eq "postfix refuses a wrong password (swaks status 28)" "$?" 28
		send_mail "$POSTFIX_PORT" reject-me@example.org erin@example.net "$MSG"
		check_eq "postfix queues the message its filter will refuse (swaks status)" "$?" 0
		# the instance's own sendmail, from outside Postfix (pickup has no content filter)
		$POSTFIX_SENDMAIL -G -i -f alice@example.org -- frank@example.net <"$MSG"
		check_eq "postfix sendmail -C CONFIG -G -i works" "$?" 0
		if wait_delivered "$POSTFIX_MAILDIR" 5 20; then
			check_mailbox "postfix delivers through the content filter (1st rcpt)" "$POSTFIX_MAILDIR" bob@example.net X-Test-Filter yes
			check_mailbox "postfix delivers through the content filter (2nd rcpt)" "$POSTFIX_MAILDIR" dave@example.net X-Test-Filter yes
			f=$(delivered_files "$POSTFIX_MAILDIR" carol@example.com | tail -n 1)
			if [ -n "$f" ] && grep -q 'with ESMTPA' "$f" && has_header "$f" X-Test-Filter yes; then
				pass "postfix filters the authenticated message too (ESMTPA)"
			else
				fail "postfix filters the authenticated message too (ESMTPA)" "${f:-nothing delivered}"
			fi
			f=$(delivered_files "$POSTFIX_MAILDIR" reject-me@example.org | tail -n 1)
			if [ -n "$f" ] && grep -q '^Status: 5.7.1' "$f" && grep -q 'dummy filter says no' "$f"; then
				pass "postfix bounces what the filter refuses (exit 69, 5.7.1 text)"
			else
				fail "postfix bounces what the filter refuses (exit 69, 5.7.1 text)" "${f:-no bounce delivered}"
			fi
			f=$(delivered_files "$POSTFIX_MAILDIR" frank@example.net | tail -n 1)
			if [ -n "$f" ] && ! has_header "$f" X-Test-Filter yes; then
				pass "postfix sendmail injection is delivered unfiltered"
			else
				fail "postfix sendmail injection is delivered unfiltered" "${f:-nothing delivered}"
			fi
		else
			fail "postfix delivers" "$(delivered_files "$POSTFIX_MAILDIR" | wc -l) message(s)"
			mta_logs
		fi
		pids=$(e2e_tree_pids "$POSTFIX_PID")
		postfix_stop
		# shellcheck disable=SC2086
		e2e_check_gone "postfix stopped, no process left" $pids
	fi
fi

# ---- qpsmtpd: forkserver, a data_post plugin from a plugin directory (a copy in $TMP: user
# qpsmtpd may not read the checkout, e.g. a clone in /root)
if ! why=$(e2e_have qpsmtpd); then
	unmet "qpsmtpd" "$why"
elif ! install -d -m 755 "$TMP/e2e-plugins" || ! install -m 644 "$E2E/dummy_plugin" "$TMP/e2e-plugins/" ||
	! QPSMTPD_PLUGINS=dummy_plugin qpsmtpd_start "$TMP/e2e-plugins" 2>"$TMP/start.err"; then
	fail "qpsmtpd starts" "$(tail -n 5 "$TMP/start.err" | tr '\n' ' ')"
else
	pass "qpsmtpd $(dpkg-query -W -f='${Version}' qpsmtpd 2>/dev/null) starts on 127.0.0.1:$QPSMTPD_PORT"
	check "qpsmtpd listens on loopback only" e2e_only_loopback "$QPSMTPD_PORT"
	send_mail "$QPSMTPD_PORT" alice@example.org bob@example.net "$MSG"
	check_eq "qpsmtpd accepts mail (swaks status)" "$?" 0
	send_mail "$QPSMTPD_PORT" alice@example.org carol@example.com "$MSG" --auth "$U" "$P"
	check_eq "qpsmtpd accepts authenticated relay (swaks status)" "$?" 0
	send_mail "$QPSMTPD_PORT" alice@example.org carol@example.com "$MSG" --auth "$U" wrong
	check_eq "qpsmtpd refuses a wrong password (swaks status 28)" "$?" 28
	send_mail "$QPSMTPD_PORT" reject-me@example.org bob@example.net "$MSG"
	rc=$?
	if [ "$rc" = 26 ] && grep -q '550 5.7.1 dummy plugin says no' "$SEND_LOG"; then
		pass "qpsmtpd plugin rejection reaches the client as 550 5.7.1"
	else
		fail "qpsmtpd plugin rejection reaches the client as 550 5.7.1" "swaks status $rc"
	fi
	send_mail "$QPSMTPD_PORT" deny-me@example.org bob@example.net "$MSG"
	rc=$?
	if [ "$rc" = 26 ] && grep -q '552 dummy plugin denies' "$SEND_LOG"; then
		pass "qpsmtpd plugin DENY reaches the client (as 552)"
	else
		fail "qpsmtpd plugin DENY reaches the client (as 552)" "swaks status $rc"
	fi
	if wait_delivered "$QPSMTPD_MAILDIR" 2 15; then
		check_mailbox "qpsmtpd delivers with the plugin header" "$QPSMTPD_MAILDIR" bob@example.net X-Test-Plugin yes
		f=$(delivered_files "$QPSMTPD_MAILDIR" carol@example.com | tail -n 1)
		check "qpsmtpd marks the authenticated message (ESMTPA)" grep -q 'with ESMTPA' "$f"
		check_eq "qpsmtpd delivered nothing it rejected" "$(delivered_files "$QPSMTPD_MAILDIR" | wc -l)" 2
	else
		fail "qpsmtpd delivers" "$(delivered_files "$QPSMTPD_MAILDIR" | wc -l) message(s)"
		mta_logs
	fi
	pids=$(e2e_tree_pids "$QPSMTPD_PID")
	qpsmtpd_stop
	# shellcheck disable=SC2086
	e2e_check_gone "qpsmtpd stopped, no process left" $pids
fi
