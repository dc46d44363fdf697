#!/bin/sh
# deliver.sh - the e2e MTAs' final delivery: store the message read on stdin as
# one Maildir-style file per recipient, DIR/<recipient>/new/<unique name>
# (written in DIR/<recipient>/tmp first, then renamed, so a reader never sees
# half a message).  Recipients are lower-cased; '/' becomes '_'.
# Usage: deliver.sh DIR RECIPIENT...   exit 75 (EX_TEMPFAIL) on any error.
# With no RECIPIENT, $RECIPIENT (set by Exim's pipe transport) is used: Exim
# refuses tainted data (the recipient) in a command's arguments.
set -u
dir=$1
shift
[ $# -gt 0 ] || set -- ${RECIPIENT:+"$RECIPIENT"}
[ $# -gt 0 ] || { echo "deliver.sh: no recipient" >&2; exit 64; }
umask 022
tmpf="$dir/.in.$$"
cat >"$tmpf" || { rm -f "$tmpf"; exit 75; }
n=0
for rcpt in "$@"; do
	box=$(printf '%s' "$rcpt" | tr 'A-Z/' 'a-z_')
	[ -n "$box" ] || box=_empty_
	mkdir -p "$dir/$box/tmp" "$dir/$box/new" "$dir/$box/cur" || exit 75
	n=$((n + 1))
	name="$(date +%s).P$$Q$n.e2e"
	cp "$tmpf" "$dir/$box/tmp/$name" && mv "$dir/$box/tmp/$name" "$dir/$box/new/$name" || exit 75
done
rm -f "$tmpf"
exit 0
