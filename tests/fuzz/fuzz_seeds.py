#!/usr/bin/python3
"""fuzz_seeds.py - write the starting corpus of every fuzz target.

usage: fuzz_seeds.py OUTDIR [--interop DIR] [--dkmod PATH] MESSAGE... [--zone FILE...]

OUTDIR/<target>/ gets seeds cut from the messages given (conf/sample.eml,
those the tests create) and, when DIR (the Mail::DKIM corpus, read in place
and never copied into the project) is given, from its messages and its
FAKE_DNS.dat: header fields for fuzz_header, tag lists for fuzz_tagvalue,
records and signature fields for fuzz_records, bodies behind a split header
for fuzz_canon, messages behind a DNS script with their keys for fuzz_verify
(see tests/fuzz/dns_fuzz.h), and zone files for fuzz_zonefile.  With a
working dkmod command, the first message is also signed with the demo keys.
"""
import hashlib
import os
import re
import subprocess
import sys

FUZZ_SEEDS_TARGETS = ("header", "tagvalue", "records", "canon", "verify", "zonefile")
FUZZ_SEEDS_RCODE = {"answer": 0, "nxdomain": 1, "nodata": 2, "servfail": 3, "timeout": 4}


def fuzz_seeds_write(outdir, target, data):
    """fuzz_seeds_write - one seed, named by its content"""
    if isinstance(data, str):
        data = data.encode("latin-1")
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(outdir, target, name), "wb") as f:
        f.write(data)


def fuzz_seeds_split(msg):
    """fuzz_seeds_split - (list of raw header fields, body) of a message"""
    m = re.search(rb"\r?\n\r?\n", msg)
    head, body = (msg[:m.start()], msg[m.end():]) if m else (msg, b"")
    fields = []
    for line in re.split(rb"(?<=\n)", head):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line
        else:
            fields.append(line)
    return fields, body


def fuzz_seeds_tags(value):
    """fuzz_seeds_tags - a dict of a tag list's tags (whitespace removed)"""
    tags = {}
    for part in re.sub(rb"[ \t\r\n]", b"", value).split(b";"):
        if b"=" in part:
            k, v = part.split(b"=", 1)
            tags.setdefault(k, v)
    return tags


def fuzz_seeds_fake_dns(path):
    """fuzz_seeds_fake_dns - {lower-case name: (rcode, [records])} from a FAKE_DNS.dat"""
    answers = {}
    if not path or not os.path.exists(path):
        return answers
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\r\n")
            if not line.strip() or line.lstrip().startswith(b"#"):
                continue
            m = re.match(rb"\s*(\S+)[ \t]+(.*)$", line)
            if not m:
                continue
            name, data = m.group(1).lower(), m.group(2)
            if data.strip() == b"NXDOMAIN":
                answers[name] = ("nxdomain", [])
            elif b"SERVFAIL" in data:
                answers[name] = ("servfail", [])
            elif data.strip().startswith(b"~~"):
                answers[name] = ("timeout", [])
            else:
                answers[name] = ("answer", [b"" if data.strip() == b'""' else data])
    return answers


def fuzz_seeds_script(answers):
    """fuzz_seeds_script - the DNS script of dns_fuzz.h for a list of (rcode, [records])"""
    out = bytearray([len(answers)])
    for rcode, records in answers:
        out += bytes([FUZZ_SEEDS_RCODE[rcode], 1, len(records)])
        for r in records:
            out += len(r).to_bytes(2, "big") + r
    return bytes(out)


def fuzz_seeds_lookups(fields, dns):
    """fuzz_seeds_lookups - the answers to the key lookups a verifier makes, in its order"""
    names = []
    for kind in (b"dkim-signature", b"domainkey-signature"):
        for f in fields:
            name, _, value = f.partition(b":")
            if name.strip().lower() != kind:
                continue
            tags = fuzz_seeds_tags(value)
            if b"s" in tags and b"d" in tags:
                n = (tags[b"s"] + b"._domainkey." + tags[b"d"]).lower()
                if n not in names:
                    names.append(n)
    return [dns.get(n, ("nxdomain", [])) for n in names[:8]]


def fuzz_seeds_message(outdir, msg, dns):
    """fuzz_seeds_message - every seed one message gives"""
    fields, body = fuzz_seeds_split(msg)
    for f in fields:
        fuzz_seeds_write(outdir, "header", f)
        name, _, value = f.partition(b":")
        if name.strip().lower() in (b"dkim-signature", b"domainkey-signature"):
            fuzz_seeds_write(outdir, "tagvalue", value)
            fuzz_seeds_write(outdir, "records", f.rstrip(b"\r\n"))
    n = len(body)
    splits = [n // 3, n // 2, n - 1 if n else 0]
    head = bytes([0, 0, 0, len(splits)]) + b"".join(s.to_bytes(2, "big") for s in splits)
    fuzz_seeds_write(outdir, "canon", head + body[:8000])
    fuzz_seeds_write(outdir, "canon", bytes([1, 0, 40, 0]) + body[:8000])
    answers = fuzz_seeds_lookups(fields, dns)
    script = fuzz_seeds_script(answers)
    fuzz_seeds_write(outdir, "verify", bytes([0, 0]) + script + msg)
    fuzz_seeds_write(outdir, "verify", bytes([1, 7]) + script + msg)


def fuzz_seeds_zone_records(path):
    """fuzz_seeds_zone_records - [(lower-case owner, TXT data with its strings joined)] of a zone file"""
    with open(path, "rb") as f:
        text = f.read()
    out, origin = [], b""
    for m in re.finditer(rb"(?m)^\$ORIGIN\s+(\S+)|^(\S+)[^\n]*?\bTXT\s+(\([^)]*\)|\"[^\n]*)", text):
        if m.group(1):
            origin = m.group(1).rstrip(b".")
            continue
        owner = m.group(2)
        owner = owner.rstrip(b".") if owner.endswith(b".") else owner + b"." + origin
        data = b"".join(re.findall(rb'"((?:[^"\\]|\\.)*)"', m.group(3)))
        out.append((owner.lower(), data))
    return out


def fuzz_seeds_signed(dkmod, msg_path, zone):
    """fuzz_seeds_signed - the message signed with the demo keys, or None"""
    top = os.path.dirname(os.path.abspath(zone))
    cmd = [dkmod, "sign", "--type", "domainkeys", "--selector", "demo", "--key", os.path.join(top, "demo.key"),
           "--next", "--type", "dkim", "--domain", "example.com", "--selector", "demo", "--key",
           os.path.join(top, "demo.key"), "--next", "--selector", "demo-ed", "--key",
           os.path.join(top, "demo-ed25519.key"), "--algorithm", "ed25519-sha256", msg_path]
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout if r.returncode == 0 and r.stdout else None


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    outdir, interop, dkmod, messages, zones = argv[1], None, None, [], []
    args, dest = argv[2:], messages
    while args:
        a = args.pop(0)
        if a == "--interop":
            interop = args.pop(0)
        elif a == "--dkmod":
            dkmod = args.pop(0)
        elif a == "--zone":
            dest = zones
        else:
            dest.append(a)
    for t in FUZZ_SEEDS_TARGETS:
        os.makedirs(os.path.join(outdir, t), exist_ok=True)
    dns = fuzz_seeds_fake_dns(os.path.join(interop, "FAKE_DNS.dat") if interop else None)
    for name, (rcode, records) in sorted(dns.items()):
        for r in records:
            fuzz_seeds_write(outdir, "tagvalue", r)
            fuzz_seeds_write(outdir, "records", r)
    corpus = os.path.join(interop, "corpus") if interop else None
    if corpus and os.path.isdir(corpus):
        for fn in sorted(os.listdir(corpus)):
            if fn.endswith(".txt"):
                with open(os.path.join(corpus, fn), "rb") as f:
                    fuzz_seeds_message(outdir, f.read(), dns)
    signed_ok = False
    for z in zones:
        with open(z, "rb") as f:
            fuzz_seeds_write(outdir, "zonefile", f.read())
        for owner, r in fuzz_seeds_zone_records(z):
            fuzz_seeds_write(outdir, "tagvalue", r)
            fuzz_seeds_write(outdir, "records", r)
            dns[owner] = ("answer", [r])
            signed_ok = True
    for m in messages:
        with open(m, "rb") as f:
            fuzz_seeds_message(outdir, f.read(), dns)
    if dkmod and messages and signed_ok:
        signed = fuzz_seeds_signed(dkmod, messages[0], zones[0])
        if signed:
            fuzz_seeds_message(outdir, signed, dns)
            fuzz_seeds_message(outdir, signed.replace(b"figures", b"fingers"), dns)
    if interop:
        # the corpus's DNS data as zone files
        tmp = os.path.join(outdir, ".zones")
        conv = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop", "fake_dns_zone.py")
        try:
            subprocess.run([sys.executable, conv, os.path.join(interop, "FAKE_DNS.dat"), tmp],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
            for fn in sorted(os.listdir(tmp)) if os.path.isdir(tmp) else []:
                with open(os.path.join(tmp, fn), "rb") as f:
                    fuzz_seeds_write(outdir, "zonefile", f.read())
                os.unlink(os.path.join(tmp, fn))
            if os.path.isdir(tmp):
                os.rmdir(tmp)
        except (OSError, subprocess.SubprocessError):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
