#!/usr/bin/env python3
"""mt_raw.py - malformed milter protocol input for dkmod-milter (libmilter).

usage: mt_raw.py SOCKET_PATH
       mt_raw.py --negotiate SOCKET_PATH|PORT
The second form offers every action and protocol flag of milter protocol 6
and prints the protocol flags the daemon asked for, in hex.
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


def main():
    if sys.argv[1] == "--negotiate":
        print(negotiate(sys.argv[2]))
        return 0
    path = sys.argv[1]
    for name, data in CASES.items():
        print(name, run(path, name, data), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
