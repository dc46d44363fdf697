#!/usr/bin/env python3
"""milter_load.py - SMTP load for the milter bench (tests/bench/milter_bench.sh).

usage: milter_load.py PORT SESSIONS MESSAGES INBOUND.eml SUBMISSION.eml
SESSIONS processes each open one SMTP session to 127.0.0.1:PORT and send
their share of MESSAGES, alternating the inbound message (from
alice@peer.example.com) and the submission (from alice@corp.example.com),
RSET between them.  Before each message the session says XCLIENT (Postfix's
smtpd_authorized_xclient_hosts lets both addresses, since XCLIENT checks
the address the session already claims): the inbound message comes from
192.0.2.1, outside the milters' internal networks, so it is verified; the
submission from 127.0.0.1, inside them, so it is signed.  Prints "messages SECONDS refused CPU" where refused
counts the messages Postfix did not accept with 250 (the session is then begun again) and CPU is the
seconds of processor time the load itself took (its processes, user and system).
"""
import multiprocessing
import resource
import smtplib
import sys
import time


def worker(args):
    port, count, files = args
    refused = 0
    s = None
    for i in range(count):
        sender, data, client = files[i % 2]
        try:
            if s is None:
                s = smtplib.SMTP("127.0.0.1", port, timeout=120)
                s.ehlo("bench.example.org")
            code, _ = s.docmd("XCLIENT", "ADDR=" + client)
            if code != 220:
                raise smtplib.SMTPException("XCLIENT refused")
            s.ehlo("bench.example.org")
            s.sendmail(sender, ["bob@example.net"], data)
        except (smtplib.SMTPException, OSError) as e:
            refused += 1
            if refused == 1:
                print("first refusal (%s): %s" % (sender, e), file=sys.stderr)
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
    files = [("alice@peer.example.com", open(sys.argv[4], "rb").read(), "192.0.2.1"),
             ("alice@corp.example.com", open(sys.argv[5], "rb").read(), "127.0.0.1")]
    share = [messages // sessions + (1 if i < messages % sessions else 0) for i in range(sessions)]
    start = time.monotonic()
    pool = multiprocessing.Pool(sessions)
    refused = sum(pool.map(worker, [(port, n, files) for n in share]))
    secs = time.monotonic() - start
    pool.close()
    pool.join()  # the workers reaped: their time is in RUSAGE_CHILDREN
    cpu = sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                resource.getrusage(resource.RUSAGE_CHILDREN)))
    print(messages, "%.3f" % secs, refused, "%.3f" % cpu)


if __name__ == "__main__":
    main()
