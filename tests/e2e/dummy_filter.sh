#!/bin/sh
# dummy_filter.sh - a stand-in Postfix pipe(8) content filter for the e2e self-check
# (tests/e2e/t_mta_infra.sh): adds "X-Test-Filter: yes" on top of the message read on
# stdin and reinjects it with sendmail -G -i (Postfix's sendmail finds the private
# instance through MAIL_CONFIG, which pipe(8) passes on).  Mail from a sender whose
# local part is "reject-me" is refused: 5.7.1 text on stdout and exit 69 (EX_UNAVAILABLE).
# Usage (master.cf): argv=dummy_filter.sh -f ${sender} -- ${recipient}
# Exit: 0 done, 69 refused (bounce), 75 (EX_TEMPFAIL) on any other problem.
set -u
if [ "${1:-}" != -f ] || [ "${3:-}" != -- ]; then
	echo "usage: dummy_filter.sh -f SENDER -- RCPT..."
	exit 64
fi
sender=$2
shift 3
case $sender in
reject-me@*) echo "5.7.1 dummy filter says no"; exit 69 ;;
esac
{ printf 'X-Test-Filter: yes\n'; cat; } | /usr/sbin/sendmail -G -i -f "$sender" -- "$@" || exit 75
exit 0
