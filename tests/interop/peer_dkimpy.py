#!/usr/bin/python3
"""peer_dkimpy.py - interop peer built on dkimpy (Debian python3-dkim).

Run with /usr/bin/python3 (the interpreter that has the dkim module).

  peer_dkimpy.py sign --domain D --selector S --key KEYFILE
                 [--algorithm rsa-sha256|rsa-sha1|ed25519-sha256]
                 [--canon relaxed/relaxed|simple/simple|relaxed/simple|simple/relaxed]
                 [--headers from:to:subject] [--identity I]  < msg > signed
  peer_dkimpy.py verify --dns-port P [--dns-host 127.0.0.1] [--minkey N]
                 [--timeout SECS]  < msg

See README.md in this directory.
"""
import argparse
import base64
import logging
import re
import socket
import struct
import sys

import dkim
import dkim.util

try:
    import dns.exception
    import dns.resolver
    import dns.rdatatype
    HAVE_DNSPYTHON = True
except ImportError:  # pragma: no cover - fallback below
    HAVE_DNSPYTHON = False

ED25519_OID = bytes.fromhex("06032b6570")


def die(msg):
    sys.stderr.write("peer_dkimpy.py: %s\n" % msg)
    sys.exit(2)


# --------------------------------------------------------------------------
# keys
# --------------------------------------------------------------------------

def load_private_key(path):
    """Return ('rsa', pem_bytes) or ('ed25519', base64_seed_bytes).

    RSA: PKCS#1 or PKCS#8 PEM (dkimpy parses both itself).
    Ed25519: PKCS#8 PEM (openssl genpkey -algorithm ed25519), or a file that
    already holds the base64 32-byte seed, which is what dkimpy wants.
    """
    with open(path, "rb") as f:
        text = f.read()
    m = re.search(rb"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)-----END \1-----",
                  text, re.S)
    if m:
        label = m.group(1)
        der = base64.b64decode(re.sub(rb"\s+", b"", m.group(2)))
        if label == b"PRIVATE KEY" and ED25519_OID in der:
            i = der.find(bytes.fromhex("04220420"))
            if i < 0 or len(der) < i + 4 + 32:
                die("%s: cannot find the Ed25519 seed in the PKCS#8 key" % path)
            return "ed25519", base64.b64encode(der[i + 4:i + 36])
        if label in (b"RSA PRIVATE KEY", b"PRIVATE KEY"):
            # dkimpy's PEM reader wants LF line ends and a bare base64 body
            body = base64.encodebytes(der).replace(b"\r", b"")
            return "rsa", (b"-----BEGIN " + label + b"-----\n" + body +
                           b"-----END " + label + b"-----\n")
        die("%s: unsupported PEM type %r" % (path, label.decode()))
    raw = base64.b64decode(re.sub(rb"\s+", b"", text))
    if len(raw) in (32, 64):
        return "ed25519", base64.b64encode(raw[:32])
    # base64 DER RSA key without armour
    return "rsa", (b"-----BEGIN RSA PRIVATE KEY-----\n" +
                   base64.encodebytes(raw) + b"-----END RSA PRIVATE KEY-----\n")


# --------------------------------------------------------------------------
# sign
# --------------------------------------------------------------------------

def cmd_sign(argv):
    p = argparse.ArgumentParser(prog="peer_dkimpy.py sign")
    p.add_argument("--domain", required=True)
    p.add_argument("--selector", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--algorithm")
    p.add_argument("--canon", default="relaxed/relaxed")
    p.add_argument("--headers")
    p.add_argument("--identity")
    a = p.parse_args(argv)

    ktype, key = load_private_key(a.key)
    alg = (a.algorithm or ("ed25519-sha256" if ktype == "ed25519"
                           else "rsa-sha256")).lower()
    if alg not in ("rsa-sha256", "rsa-sha1", "ed25519-sha256"):
        die("unknown algorithm %s" % alg)
    if (alg == "ed25519-sha256") != (ktype == "ed25519"):
        die("algorithm %s does not match the %s key in %s" % (alg, ktype, a.key))

    canon = a.canon.lower().split("/")
    if len(canon) == 1:
        canon.append("simple")
    if len(canon) != 2 or any(c not in ("simple", "relaxed") for c in canon):
        die("bad canonicalization %r" % a.canon)

    msg = sys.stdin.buffer.read()
    linesep = b"\r\n" if b"\r\n" in msg else b"\n"

    include = None
    if a.headers:
        include = [h.strip().lower().encode() for h in a.headers.split(":")
                   if h.strip()]
        if b"from" not in include:
            die("dkimpy refuses to sign without From in --headers")

    d = dkim.DKIM(msg, linesep=linesep)
    try:
        sig = d.sign(a.selector.encode(), a.domain.encode(), key,
                     signature_algorithm=alg.encode(),
                     identity=a.identity.encode() if a.identity else None,
                     canonicalize=(canon[0].encode(), canon[1].encode()),
                     include_headers=include)
    except dkim.DKIMException as e:
        die("dkimpy sign failed: %s" % e)
    out = sys.stdout.buffer
    out.write(sig)
    out.write(msg)
    out.flush()
    return 0


# --------------------------------------------------------------------------
# DNS
# --------------------------------------------------------------------------

def _encode_qname(name):
    out = b""
    for label in name.rstrip(".").split("."):
        lb = label.encode("ascii")
        out += bytes([len(lb)]) + lb
    return out + b"\0"


def _skip_name(buf, off):
    while True:
        n = buf[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1 + n


def _raw_txt_query(host, port, name, timeout):
    """Minimal TXT lookup (used only when dnspython is missing).
    Returns list of TXT records (each a list of byte strings) or None for
    NXDOMAIN/NODATA; raises dkim.DnsTimeoutError on timeout/SERVFAIL."""
    qid = 0x4b1d
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + \
        _encode_qname(name) + struct.pack(">HH", 16, 1)

    def parse(resp):
        rid, flags, qd, an, _, _ = struct.unpack(">HHHHHH", resp[:12])
        if rid != qid:
            raise dkim.DnsTimeoutError("DNS id mismatch")
        rcode = flags & 0xF
        if rcode == 3:
            return None, False
        if rcode != 0:
            raise dkim.DnsTimeoutError("DNS rcode %d" % rcode)
        off = 12
        for _ in range(qd):
            off = _skip_name(resp, off) + 4
        recs = []
        for _ in range(an):
            off = _skip_name(resp, off)
            rtype, _, _, rdlen = struct.unpack(">HHIH", resp[off:off + 10])
            off += 10
            rdata = resp[off:off + rdlen]
            off += rdlen
            if rtype == 16:
                strings, i = [], 0
                while i < len(rdata):
                    ln = rdata[i]
                    strings.append(rdata[i + 1:i + 1 + ln])
                    i += 1 + ln
                recs.append(strings)
        return (recs or None), bool(flags & 0x0200)

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(q, (host, port))
        resp, _ = s.recvfrom(65535)
    except socket.timeout:
        raise dkim.DnsTimeoutError("DNS timeout for %s" % name)
    finally:
        s.close()
    recs, tc = parse(resp)
    if not tc:
        return recs
    t = socket.create_connection((host, port), timeout=timeout)
    try:
        t.sendall(struct.pack(">H", len(q)) + q)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
            chunk = t.recv(65535)
            if not chunk:
                break
            buf += chunk
    except socket.timeout:
        raise dkim.DnsTimeoutError("DNS TCP timeout for %s" % name)
    finally:
        t.close()
    return parse(buf[2:])[0]


def make_dnsfunc(host, port, timeout):
    if HAVE_DNSPYTHON:
        res = dns.resolver.Resolver(configure=False)
        res.nameservers = [host]
        res.port = port
        res.timeout = timeout
        res.lifetime = timeout * 2

        def dnsfunc(name, timeout=timeout):
            if isinstance(name, bytes):
                name = name.decode("utf-8")
            try:
                ans = res.resolve(name, "TXT", raise_on_no_answer=False,
                                  search=False)
            except dns.resolver.NXDOMAIN:
                return None
            except dns.resolver.NoNameservers:
                return None
            except dns.exception.Timeout as e:
                raise dkim.DnsTimeoutError(str(e))
            if ans.rrset is None:
                return None
            for rd in ans.rrset:
                return b"".join(rd.strings)
            return None
        return dnsfunc

    def dnsfunc_raw(name, timeout=timeout):
        if isinstance(name, bytes):
            name = name.decode("utf-8")
        try:
            recs = _raw_txt_query(host, port, name, timeout)
        except dkim.DnsTimeoutError:
            raise
        if not recs:
            return None
        return b"".join(recs[0])
    return dnsfunc_raw


# --------------------------------------------------------------------------
# verify
# --------------------------------------------------------------------------

class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.INFO)
        self.msgs = []

    def emit(self, record):
        try:
            self.msgs.append(record.getMessage())
        except Exception:
            pass


def _one_line(s):
    if isinstance(s, bytes):
        s = s.decode("utf-8", "replace")
    return re.sub(r"\s+", " ", str(s)).strip()


def cmd_verify(argv):
    p = argparse.ArgumentParser(prog="peer_dkimpy.py verify")
    p.add_argument("--dns-port", type=int, required=True)
    p.add_argument("--dns-host", default="127.0.0.1")
    p.add_argument("--minkey", type=int, default=1024)
    p.add_argument("--timeout", type=float, default=5)
    a = p.parse_args(argv)

    msg = sys.stdin.buffer.read()
    dnsfunc = make_dnsfunc(a.dns_host, a.dns_port, a.timeout)

    logger = logging.getLogger("peer_dkimpy")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    coll = _Collect()
    logger.addHandler(coll)

    d = dkim.DKIM(msg, logger=logger, minkey=a.minkey, timeout=a.timeout)
    sigs = [v for (n, v) in d.headers if n.lower() == b"dkim-signature"]
    overall = "none"
    for i, raw in enumerate(sigs):
        try:
            tags = dkim.util.parse_tag_value(raw)
        except Exception:
            tags = {}
        dom = _one_line(tags.get(b"d", b""))
        sel = _one_line(tags.get(b"s", b""))
        alg = _one_line(tags.get(b"a", b""))
        coll.msgs = []
        detail = ""
        try:
            ok = bool(d.verify(idx=i, dnsfunc=dnsfunc))
        except dkim.DKIMException as e:
            ok = False
            detail = "%s: %s" % (type(e).__name__, e)
        except Exception as e:  # dkimpy can leak other errors on junk input
            ok = False
            detail = "%s: %s" % (type(e).__name__, e)
        if not detail and not ok and coll.msgs:
            detail = coll.msgs[-1]
        res = "pass" if ok else "fail"
        if ok:
            overall = "pass"
        elif overall == "none":
            overall = "fail"
        print("dkim %s d=%s s=%s a=%s detail=%s"
              % (res, dom, sel, alg, _one_line(detail)))
    print("overall %s" % overall)
    sys.stdout.flush()
    return 0


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("sign", "verify"):
        sys.stderr.write(__doc__)
        return 2
    if sys.argv[1] == "sign":
        return cmd_sign(sys.argv[2:])
    try:
        return cmd_verify(sys.argv[2:])
    except SystemExit:
        raise
    except Exception as e:
        sys.stderr.write("peer_dkimpy.py verify: %s\n" % e)
        print("overall temperror")
        return 0


if __name__ == "__main__":
    sys.exit(main())
