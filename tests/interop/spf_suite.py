#!/usr/bin/python3
"""spf_suite.py - turn the openspf RFC 7208 test suite (YAML) into the line format
test_spf_suite.c reads, one record a line, fields separated by tabs, every text
field hex-encoded (UTF-8) so that no byte of the suite needs quoting:

  S <description>                       a scenario (its zonedata follows)
  Z <name> <TYPE> <data>                TYPE: TXT A AAAA MX PTR CNAME TIMEOUT NONE
  T <test> <host> <helo> <mailfrom> <result[,result...]> <explanation or ->

SPF (type 99) records are served as TXT at names without TXT records, as the
suite's header asks of its drivers (RFC 7208 dropped type SPF).  "TXT: NONE"
marks a name whose TXT lookup finds nothing (it may still time out)."""
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


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        docs = list(yaml.safe_load_all(f))
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
