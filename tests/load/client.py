#!/usr/bin/python3
"""client.py - one load client of tests/load: pushes its share of the messages
(every CLIENTS-th of TOTAL, from the manifest) through dkmod-stdio (one long-lived
filter, requests pipelined by a writer thread) or dkmod-pipe (one process per
message, stub sendmail), checks every answer against the message's class and
prints "error ..." lines and one "summary key=value..." line.

  client.py stdio|pipe --manifest F --config C --stdio P --pipe P --sendmail S
                       --total N --clients K --index I [--store DIR]
"""
import argparse
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adapters"))
import stdio_client  # noqa: E402  (request framing and reply parsing)


# what the Authentication-Results field must say per class
WANT_AR = {"dkim": b"dkim=pass", "tampered": b"dkim=fail", "dk": b"domainkeys=pass", "unsigned": b"dkim=none"}


def load_manifest(path):
    """The corpus as (path, class, action, relay, sender) tuples, with the bytes cached."""
    items, cache = [], {}
    for line in open(path):
        f, cls, action, relay, sender = line.split()
        if f not in cache:
            cache[f] = open(f, "rb").read()
        items.append((f, cls, action, relay == "1", sender, cache[f]))
    return items


def my_messages(a, items):
    """The message numbers of this client and their corpus entries."""
    return [(n, items[n % len(items)]) for n in range(a.index, a.total, a.clients)]


def rss_kb(pid):
    """VmRSS of PID in KB (0 if gone)."""
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_stdio(a, msgs):
    """One dkmod-stdio, all requests pipelined; returns (ok, errors, extra summary)."""
    p = subprocess.Popen([a.stdio, "--config", a.config, "-q"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=open(a.errlog, "ab"))
    werr = []

    def writer():
        """Writes every request, then closes the filter's input."""
        try:
            for n, (f, cls, action, relay, sender, data) in msgs:
                env = ["id %d" % n, "client-ip 192.0.2.7", "helo c.example.org",
                       "relay %d" % relay, "mail-from %s" % sender, "rcpt bob@example.net",
                       "message %d" % len(data)]
                p.stdin.write(("\n".join(env) + "\n").encode() + data)
            p.stdin.close()
        except OSError as e:
            werr.append(str(e))

    t = threading.Thread(target=writer)
    t.start()
    ok, errors, samples = 0, [], []
    for i, (n, (f, cls, action, relay, sender, data)) in enumerate(msgs):
        r = stdio_client.read_reply(p.stdout)
        if r is None or r.get("truncated"):
            errors.append("no reply for message %d (%s)" % (n, cls))
            break
        got = r.get("action")
        if r.get("id") != str(n):
            errors.append("reply id %s for message %d" % (r.get("id"), n))
        elif got != action:
            errors.append("message %d (%s %s): action %s, want %s: %s" % (n, cls, f, got, action, r.get("reply")))
        elif WANT_AR.get(cls) and not any(x.startswith(b"Authentication-Results:") and WANT_AR[cls] in x
                                          for x in r["add"]):
            errors.append("message %d (%s %s): no %s in %r" % (n, cls, f, WANT_AR[cls], r["add"][:1]))
        elif cls == "relay" and not any(x.startswith(b"DKIM-Signature:") for x in r["add"]):
            errors.append("message %d (relay): not signed" % n)
        else:
            ok += 1
        # every fourth reply: a fast filter answers a client's share in a few tenths of a
        # second, so samples by time alone may miss the warm-up's largest message
        if i % 4 == 0 or i == len(msgs) - 1:
            rss = rss_kb(p.pid)
            if rss:
                samples.append((i, rss))
    t.join()
    rc = p.wait()
    if rc != 0:
        errors.append("dkmod-stdio exit %d" % rc)
    errors += ["writer: " + e for e in werr]
    warm = [s for i, s in samples if i < len(msgs) // 4] or [0]
    after = [s for i, s in samples if i >= len(msgs) // 4] or [0]
    base = max(warm)
    extra = "rss_warm=%d rss_max=%d rss_end=%d rss_growth=%d samples=%d" % (
        base, max(after), after[-1], max(after) - base, len(samples))
    return ok, errors, extra


def run_pipe(a, msgs):
    """One dkmod-pipe per message; exit 0 for accept, 69 with 5.7.1 for reject."""
    ok, errors = 0, []
    for k, (n, (f, cls, action, relay, sender, data)) in enumerate(msgs):
        env = dict(os.environ)
        store = None
        if k % 50 == 0:  # keep a sample of the reinjected messages
            store = os.path.join(a.store, "%d.%s.eml" % (n, cls))
            env["LOAD_STORE"] = store
        cmd = [a.pipe, "--config", a.config, "--sendmail", a.sendmail, "--log-file", a.errlog,
               "-q", "--client-ip", "192.0.2.7", "--queue-id", "Q%d" % n]
        if relay:
            cmd.append("--relay")
        cmd += ["-f", sender, "--", "bob@example.net"]
        r = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, env=env)
        want = {"accept": 0, "reject": 69}[action]
        if r.returncode != want:
            errors.append("message %d (%s %s): exit %d, want %d: %s" % (
                n, cls, f, r.returncode, want, r.stdout.decode(errors="replace").strip()))
        elif action == "reject" and not r.stdout.startswith(b"5.7.1 "):
            errors.append("message %d: reject text %r" % (n, r.stdout[:60]))
        elif store and action == "accept" and (not os.path.exists(store) or not open(store, "rb").read().endswith(data[-200:])):
            errors.append("message %d: reinjected copy missing or altered" % n)
        else:
            ok += 1
    return ok, errors, ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["stdio", "pipe"])
    for o in ("manifest", "config", "stdio", "pipe", "sendmail", "store"):
        ap.add_argument("--" + o)
    for o in ("total", "clients", "index"):
        ap.add_argument("--" + o, type=int)
    a = ap.parse_args()
    os.makedirs(a.store, exist_ok=True)
    a.errlog = os.path.join(os.path.dirname(a.manifest), "%s.%d.log" % (a.mode, a.index))
    msgs = my_messages(a, load_manifest(a.manifest))
    start = time.monotonic()
    ok, errors, extra = (run_stdio if a.mode == "stdio" else run_pipe)(a, msgs)
    for e in errors[:20]:
        print("error", e)
    print("summary client=%d sent=%d ok=%d errors=%d secs=%.1f %s" % (
        a.index, len(msgs), ok, len(msgs) - ok, time.monotonic() - start, extra))


if __name__ == "__main__":
    main()
