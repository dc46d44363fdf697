#!/usr/bin/python3
"""fake_dns_zone.py - turn a Mail::DKIM-style FAKE_DNS.dat into nsd zone files.

usage: fake_dns_zone.py FAKE_DNS.dat OUTDIR

Input: one record per line, "NAME  TXT-DATA" (NAME, whitespace, the rest of
the line is the TXT data); blank lines and lines starting with '#' are
ignored.  Special data values:
    NXDOMAIN    the name does not exist: nothing is written for it
    ""          the record is one empty TXT string
    ~~TEXT~~    the lookup must fail with an error (timeout, SERVFAIL...):
                nothing is written, "special NAME TEXT" goes to stderr
Output: OUTDIR/<zone>.zone for every zone (the last two labels of each
name), each with SOA, NS and an A record for the NS, and one line
"zone ZONE /abs/path/ZONE.zone" per zone on stdout (sorted by zone).
"""
import os
import re
import sys


def zone_of(name):
    labels = [l for l in name.rstrip(".").split(".") if l]
    return ".".join(labels[-2:]).lower()


def escape_name(name):
    out = []
    for ch in name.rstrip(".").encode("utf-8"):
        c = chr(ch)
        if re.match(r"[A-Za-z0-9._\-]", c):
            out.append(c)
        else:
            out.append("\\%03d" % ch)
    return "".join(out) + "."


def quote_chunk(chunk):
    out = ['"']
    for b in chunk:
        if b == 0x22:
            out.append('\\"')
        elif b == 0x5C:
            out.append("\\\\")
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append("\\%03d" % b)
    out.append('"')
    return "".join(out)


def txt_rdata(data):
    raw = data.encode("utf-8")
    if not raw:
        return '""'
    return " ".join(quote_chunk(raw[i:i + 255]) for i in range(0, len(raw), 255))


def parse(path):
    records = []   # (name, data-or-None for empty string)
    specials = []
    with open(path, "r", encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = re.split(r"[ \t]+", line.strip(" \t"), maxsplit=1)
            name = parts[0]
            # keep the data as written (including trailing blanks) but drop
            # the separating whitespace
            m = re.match(r"[ \t]*\S+[ \t]+(.*)$", line)
            data = m.group(1) if m else ""
            if data.strip() == "NXDOMAIN":
                continue
            sm = re.match(r"\s*~~(.*)~~\s*$", data)
            if sm:
                specials.append((name, sm.group(1)))
                continue
            if data.strip() == '""':
                data = ""
            records.append((name, data))
    return records, specials


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: fake_dns_zone.py FAKE_DNS.dat OUTDIR\n")
        return 2
    src, outdir = argv[1], argv[2]
    records, specials = parse(src)
    for name, text in specials:
        sys.stderr.write("special %s %s\n" % (name, text))
    zones = {}
    for name, data in records:
        zones.setdefault(zone_of(name), []).append((name, data))
    os.makedirs(outdir, exist_ok=True)
    for zone in sorted(zones):
        fn = os.path.abspath(os.path.join(outdir, zone + ".zone"))
        with open(fn, "w", encoding="ascii") as f:
            f.write("$ORIGIN %s.\n$TTL 300\n" % zone)
            f.write("@ IN SOA ns1.%s. hostmaster.%s. ( 1 3600 600 86400 300 )\n"
                    % (zone, zone))
            f.write("@ IN NS ns1.%s.\n" % zone)
            f.write("ns1 IN A 127.0.0.1\n")
            for name, data in zones[zone]:
                f.write("%s IN TXT %s\n" % (escape_name(name), txt_rdata(data)))
        print("zone %s %s" % (zone, fn))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
