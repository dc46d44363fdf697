#!/usr/bin/env python3
"""mt_raw.py - malformed milter protocol input for dkmod-milter.

usage: mt_raw.py SOCKET_PATH
       mt_raw.py --negotiate SOCKET_PATH|PORT
       mt_raw.py --reuse SOCKET_PATH
The second form offers every action and protocol flag of milter protocol 6
and prints the protocol flags the daemon asked for, in hex.  The third
negotiates, ends the SMTP session with QUIT_NC (the connection is kept for
another), negotiates again offering no no-reply steps, sends a CONNECT and
prints "negotiated" per answered negotiation and the CONNECT's answer
("continue" for 'c').
Each case opens a connection, sends bytes a well-behaved MTA never sends and
waits (5 s at most) for the daemon to close the connection or answer.  Prints
"CASE closed" or "CASE answered" per case; "CASE hung" if the daemon neither
answered nor closed in time.  Packets are a 4-byte big-endian length, then a
command byte and its data.
"""
import os
import random
import socket
import struct
import sys


def packet(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


NEGOTIATE = packet(b"O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF))
CASES = {
    "huge-length": struct.pack(">I", 0xFFFFFFF0) + b"O",
    "zero-length": struct.pack(">I", 0),
    "unknown-command": NEGOTIATE + packet(b"Z", b"whatever"),
    "truncated-packet": NEGOTIATE + struct.pack(">I", 100) + b"Hshort",
    "header-before-connect": NEGOTIATE + packet(b"L", b"From\0a@example.com\0") + packet(b"E"),
    "body-without-message": NEGOTIATE + packet(b"B", b"x" * 1000) + packet(b"E"),
    "header-without-nul": NEGOTIATE + packet(b"C", b"host\x004") + packet(b"L", b"From: no terminators"),
    "negotiate-short": packet(b"O", b"\0\0"),
    "random-bytes": bytes(random.Random(17).getrandbits(8) for _ in range(8192)),
    "macro-garbage": NEGOTIATE + packet(b"D", b"C" + b"\xff" * 300) + packet(b"C", b"\0\0\0"),
}


def run(path, name, data):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        return "closed"
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        return "hung"
    except OSError:
        return "closed"
    finally:
        s.close()
    return "answered" if got else "closed"


def negotiate(where):
    """The protocol flags the daemon at where (a unix path or a 127.0.0.1 port) asks for."""
    if where.isdigit():
        s = socket.create_connection(("127.0.0.1", int(where)), timeout=5)
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(where)
    s.sendall(NEGOTIATE)
    got = b""
    while len(got) < 17:
        chunk = s.recv(17 - len(got))
        if not chunk:
            break
        got += chunk
    s.close()
    if len(got) < 17 or got[4:5] != b"O":
        return "no-negotiation"
    return "%#x" % struct.unpack(">III", got[5:17])[2]


def recv_packet(s):
    """One packet (command letter, data) from s, or (None, b"") at the end."""
    head = b""
    while len(head) < 4:
        try:
            chunk = s.recv(4 - len(head))
        except OSError:
            return None, b""
        if not chunk:
            return None, b""
        head += chunk
    n = struct.unpack(">I", head)[0]
    body = b""
    while len(body) < n:
        try:
            chunk = s.recv(n - len(body))
        except OSError:
            return None, b""
        if not chunk:
            return None, b""
        body += chunk
    return body[:1], body[1:]


def reuse(path):
    """Two SMTP sessions on one connection: QUIT_NC between them."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    out = []
    s.sendall(NEGOTIATE)
    if recv_packet(s)[0] == b"O":
        out.append("negotiated")
    try:
        s.sendall(packet(b"K") + packet(b"O", struct.pack(">III", 6, 0x1FF, 0)))
        if recv_packet(s)[0] == b"O":
            out.append("negotiated")
        s.sendall(packet(b"C", b"client.example\x004\x00\x19192.0.2.1\x00"))
    except OSError:
        pass
    cmd = recv_packet(s)[0]
    out.append("continue" if cmd == b"c" else repr(cmd))
    s.close()
    return " ".join(out)


def main():
    if sys.argv[1] == "--reuse":
        print(reuse(sys.argv[2]))
        return 0
    if sys.argv[1] == "--negotiate":
        print(negotiate(sys.argv[2]))
        return 0
    path = sys.argv[1]
    for name, data in CASES.items():
        print(name, run(path, name, data), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
