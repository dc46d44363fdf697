#!/usr/bin/env python3
"""milter_load.py - SMTP load for the milter bench (tests/bench/milter_bench.sh).

usage: milter_load.py PORT SESSIONS MESSAGES INBOUND.eml SUBMISSION.eml
SESSIONS processes each open one SMTP session to 127.0.0.1:PORT and send
their share of MESSAGES, alternating the inbound message (from
alice@peer.example.com) and the submission (from alice@corp.example.com),
RSET between them.  Prints "messages SECONDS refused" where refused counts
the messages Postfix did not accept with 250 (the session is then begun again).
"""
import multiprocessing
import smtplib
import sys
import time


def worker(args):
    port, count, files = args
    refused = 0
    s = None
    for i in range(count):
        sender, data = files[i % 2]
        try:
            if s is None:
                s = smtplib.SMTP("127.0.0.1", port, timeout=120)
                s.ehlo("bench.example.org")
            s.sendmail(sender, ["bob@example.net"], data)
        except (smtplib.SMTPException, OSError):
            refused += 1
            try:
                s.quit()
            except (smtplib.SMTPException, OSError, AttributeError):
                pass
            s = None  # a new session for the next message
    if s is not None:
        s.quit()
    return refused


def main():
    port, sessions, messages = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    files = [("alice@peer.example.com", open(sys.argv[4], "rb").read()),
             ("alice@corp.example.com", open(sys.argv[5], "rb").read())]
    share = [messages // sessions + (1 if i < messages % sessions else 0) for i in range(sessions)]
    start = time.monotonic()
    with multiprocessing.Pool(sessions) as pool:
        refused = sum(pool.map(worker, [(port, n, files) for n in share]))
    print(messages, "%.3f" % (time.monotonic() - start), refused)


if __name__ == "__main__":
    main()
