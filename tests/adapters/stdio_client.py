#!/usr/bin/python3
"""stdio_client.py - a test client of the dkmod-stdio protocol (doc/stdio-protocol.md).

  stdio_client.py req [--id X] [--relay] [--auth-user U] [--mail-from S]
                      [--rcpt R]... [--client-ip A] [--helo H] FILE
        one request for FILE's bytes, on standard output
  stdio_client.py parse [--fields DIR]
        replies on standard input -> one summary line each:
        "id=ID action=A qpsmtpd=Q deliver=D add=Name,Name remove=Name:N/COUNT,... reply=TEXT"
        or "id=ID error=REASON"; with --fields, reply N's added fields go to DIR/N.fields
        (decoded, CRLF between fields); a truncated last reply prints "truncated"
  stdio_client.py rebuild FIELDS FILE REMOVE
        FIELDS (from parse --fields) on top of FILE, without the received fields
        whose indexes REMOVE lists (comma separated, may be empty), on standard output
  stdio_client.py session FILTER ARGS... -- STEP...
        run FILTER ARGS as a child; steps: "send:FILE" (one request, read its reply,
        print its summary), "hup" (SIGHUP), "write:PATH:TEXT" (write TEXT to PATH),
        "rss" (print the child's VmHWM in KB)
"""
import base64
import os
import signal
import subprocess
import sys


def request(path, rid=None, relay=False, auth=None, mail_from="a@example.com", rcpts=None,
            client_ip="192.0.2.1", helo="client.example.org"):
    data = open(path, "rb").read()
    lines = []
    if rid is not None:
        lines.append("id %s" % rid)
    lines.append("client-ip %s" % client_ip)
    lines.append("helo %s" % helo)
    if auth:
        lines.append("auth-user %s" % auth)
    lines.append("relay %d" % (1 if relay else 0))
    lines.append("mail-from %s" % mail_from)
    for r in rcpts or ["bob@example.net"]:
        lines.append("rcpt %s" % r)
    lines.append("message %d" % len(data))
    return ("\n".join(lines) + "\n").encode() + data


def read_reply(f):
    """One reply as a dict (None at EOF before any line; 'truncated' set if it ends early)."""
    r = {"add": [], "remove": []}
    seen = False
    while True:
        line = f.readline()
        if not line:
            if seen:
                r["truncated"] = True
                return r
            return None
        seen = True
        line = line.rstrip(b"\n").decode("utf-8", "replace")
        if line == "end":
            return r
        k, _, v = line.partition(" ")
        if k == "add-header":
            r["add"].append(base64.b64decode(v))
        elif k == "remove-header":
            name, nth, count = v.split(" ")
            r["remove"].append("%s:%s/%s" % (name, nth, count))
        else:
            r[k] = v


def summary(r):
    if r.get("truncated"):
        return "truncated"
    if "error" in r:
        return "id=%s error=%s" % (r.get("id", "-"), r["error"])
    names = ",".join(f.split(b":", 1)[0].decode() for f in r["add"])
    return "id=%s action=%s qpsmtpd=%s deliver=%s add=%s remove=%s reply=%s" % (
        r.get("id", "-"), r.get("action"), r.get("qpsmtpd"), r.get("deliver"), names,
        ",".join(r["remove"]), r.get("reply"))


def parse(args):
    fields = args[1] if len(args) > 1 and args[0] == "--fields" else None
    n = 0
    while True:
        r = read_reply(sys.stdin.buffer)
        if r is None:
            return 0
        n += 1
        if fields:
            with open(os.path.join(fields, "%d.fields" % n), "wb") as f:
                f.write(b"".join(x + b"\r\n" for x in r["add"]))
        print(summary(r))
        if r.get("truncated"):
            return 0


def rebuild(fields, path, remove):
    """Added fields (converted to the message's line ends) + the message minus removed fields."""
    data = open(path, "rb").read()
    first = data.split(b"\n", 1)[0]
    eol = b"\r\n" if first.endswith(b"\r") else b"\n"
    top = open(fields, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", eol)
    drop = {(x.split(":")[0].lower(), int(x.split(":")[1].split("/")[0])) for x in remove.split(",") if x}
    out, pos, seen = [], 0, {}
    while pos < len(data):
        end = data.find(b"\n", pos)
        if end < 0 or data[pos:end + 1].strip() == b"":
            break
        nxt = end + 1
        while nxt < len(data) and data[nxt:nxt + 1] in (b" ", b"\t"):
            nxt = data.find(b"\n", nxt) + 1 or len(data)
        name = data[pos:end].split(b":", 1)[0].rstrip(b" \t").decode("latin-1").lower()
        nth = seen.get(name, 0)
        seen[name] = nth + 1
        if (name, nth) not in drop:
            out.append(data[pos:nxt])
        pos = nxt
    sys.stdout.buffer.write(top + b"".join(out) + data[pos:])
    return 0


def session(args):
    cut = args.index("--")
    cmd, steps = args[:cut], args[cut + 1:]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    n = 0
    for step in steps:
        kind, _, rest = step.partition(":")
        if kind == "send":
            n += 1
            p.stdin.write(request(rest, rid=n))
            p.stdin.flush()
            r = read_reply(p.stdout)
            print(summary(r) if r else "eof")
        elif kind == "hup":
            p.send_signal(signal.SIGHUP)
        elif kind == "write":
            path, _, text = rest.partition(":")
            with open(path, "w") as f:
                f.write(text.replace("\\n", "\n"))
        elif kind == "rss":
            for line in open("/proc/%d/status" % p.pid):
                if line.startswith("VmHWM:"):
                    print("rss", line.split()[1])
        sys.stdout.flush()
    p.stdin.close()
    print("exit", p.wait())
    return 0


def main(argv):
    if argv[0] == "req":
        opts = {"rcpts": []}
        i = 1
        while i < len(argv) - 1:
            a = argv[i]
            if a == "--relay":
                opts["relay"] = True
                i += 1
                continue
            key = {"--id": "rid", "--auth-user": "auth", "--mail-from": "mail_from", "--client-ip": "client_ip",
                   "--helo": "helo"}.get(a)
            if a == "--rcpt":
                opts["rcpts"].append(argv[i + 1])
            elif key:
                opts[key] = argv[i + 1]
            else:
                sys.exit("unknown option " + a)
            i += 2
        sys.stdout.buffer.write(request(argv[-1], **opts))
        return 0
    if argv[0] == "parse":
        return parse(argv[1:])
    if argv[0] == "rebuild":
        return rebuild(*argv[1:4])
    if argv[0] == "session":
        return session(argv[1:])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
