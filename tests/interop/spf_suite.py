#!/usr/bin/python3
"""spf_suite.py - turn the openspf RFC 7208 test suite (YAML) into the line format
test_spf_suite.c reads, one record a line, fields separated by tabs, every text
field hex-encoded (UTF-8) so that no byte of the suite needs quoting:

  S <description>                       a scenario (its zonedata follows)
  Z <name> <TYPE> <data>                TYPE: TXT A AAAA MX PTR CNAME TIMEOUT NONE
  T <test> <host> <helo> <mailfrom> <result[,result...]> <explanation or ->

With --zones DIR it writes instead, for tests/interop/t_spf_suite_unbound.sh,
one RFC 1035 zone file per scenario (DIR/N.zone, with an SOA at the root so
that libunbound answers every name from it), the names that must time out
(DIR/N.stubs, to be sent to a silent server) and DIR/cases with one line a
test, fields separated by US (0x1f): N, scenario, test, host, helo, mailfrom,
results, explanation (hex).

SPF (type 99) records are served as TXT at names without TXT records, as the
suite's header asks of its drivers (RFC 7208 dropped type SPF).  "TXT: NONE"
marks a name whose TXT lookup finds nothing (it may still time out)."""
import os
import sys

import yaml


def hx(s):
    return str(s).encode("utf-8").hex()


def rdata(kind, value):
    if kind in ("TXT", "SPF"):
        return "".join(value) if isinstance(value, list) else value
    if kind == "MX":
        return "%s %s" % (value[0], value[1])
    return str(value)


def zname(name):
    """an absolute owner or target name, odd bytes as \\DDD"""
    out = ""
    for b in str(name).rstrip(".").encode("utf-8"):
        c = chr(b)
        out += c if c.isalnum() or c in "-_." else "\\%03d" % b
    return out + "."


def ztxt(value):
    """TXT rdata: each string quoted, cut to 255 bytes, odd bytes as \\DDD"""
    parts = value if isinstance(value, list) else [value]
    out = []
    for p in parts:
        raw = str(p).encode("utf-8")
        for i in range(0, max(len(raw), 1), 255):
            chunk = raw[i:i + 255]
            out.append('"' + "".join(chr(b) if 0x20 <= b < 0x7f and b not in (0x22, 0x5c) else "\\%03d" % b
                                     for b in chunk) + '"')
    return " ".join(out) or '""'


def write_zones(docs, outdir):
    cases = open(os.path.join(outdir, "cases"), "w", encoding="utf-8")
    for n, doc in enumerate(d for d in docs if d):
        zone = (doc.get("zonedata") or {})
        lines, stubs = [], []
        for name, records in zone.items():
            has_txt = any(isinstance(r, dict) and "TXT" in r for r in records)
            real_txt = any(isinstance(r, dict) and r.get("TXT", "NONE") != "NONE" for r in records)
            if "TIMEOUT" in records and not real_txt:
                stubs.append(str(name).rstrip("."))
                continue
            for r in records:
                if r == "TIMEOUT":
                    continue
                for kind, value in r.items():
                    if kind == "SPF":
                        if has_txt:
                            continue
                        kind = "TXT"
                    if kind == "TXT" and value == "NONE":
                        continue
                    if kind == "TXT":
                        data = ztxt(value)
                    elif kind == "MX":
                        data = "%s %s" % (value[0], zname(value[1]))
                    elif kind in ("PTR", "CNAME"):
                        data = zname(value)
                    else:
                        data = str(value)
                    lines.append("%s 300 IN %s %s" % (zname(name), kind, data))
        with open(os.path.join(outdir, "%d.zone" % n), "w", encoding="ascii") as z:
            z.write("$TTL 300\n")
            # the root: every name outside the data is NXDOMAIN, as the suite's drivers answer
            z.write(". 300 IN SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 60\n")
            z.write("\n".join(lines) + "\n")
        with open(os.path.join(outdir, "%d.stubs" % n), "w", encoding="utf-8") as z:
            z.write("".join(s + "\n" for s in stubs))
        for tname, t in (doc.get("tests") or {}).items():
            res = t["result"] if isinstance(t["result"], list) else [t["result"]]
            exp = t.get("explanation")
            cases.write("\x1f".join([str(n), doc.get("description", ""), tname, str(t["host"]), str(t.get("helo", "")),
                                   str(t.get("mailfrom", "")), ",".join(res), "-" if exp is None else hx(exp)]) + "\n")
    cases.close()


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        docs = list(yaml.safe_load_all(f))
    if len(sys.argv) > 3 and sys.argv[2] == "--zones":
        write_zones(docs, sys.argv[3])
        return
    out = sys.stdout
    for doc in docs:
        if not doc:
            continue
        out.write("S\t%s\n" % hx(doc.get("description", "")))
        for name, records in (doc.get("zonedata") or {}).items():
            has_txt = any(isinstance(r, dict) and "TXT" in r for r in records)
            for r in records:
                if r == "TIMEOUT":
                    out.write("Z\t%s\tTIMEOUT\t\n" % hx(name))
                    continue
                for kind, value in r.items():
                    if kind == "TXT" and value == "NONE":
                        out.write("Z\t%s\tNONE\t\n" % hx(name))
                        continue
                    if kind == "SPF":
                        if has_txt:
                            continue
                        kind = "TXT"
                    out.write("Z\t%s\t%s\t%s\n" % (hx(name), kind, hx(rdata(kind, value))))
        for tname, t in (doc.get("tests") or {}).items():
            res = t["result"] if isinstance(t["result"], list) else [t["result"]]
            exp = t.get("explanation")
            out.write("T\t%s\t%s\t%s\t%s\t%s\t%s\n" % (hx(tname), hx(t["host"]), hx(t.get("helo", "")),
                                                     hx(t.get("mailfrom", "")), ",".join(res),
                                                     "-" if exp is None else hx(exp)))


if __name__ == "__main__":
    main()
