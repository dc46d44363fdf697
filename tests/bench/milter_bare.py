#!/usr/bin/env python3
"""milter_bare.py - the least a milter can ask of Postfix, for the milter bench.

usage: milter_bare.py inet:PORT@HOST | unix:PATH

A milter that asks for no step at all: at the negotiation it takes none of
the actions and sets every "not sent" protocol bit the MTA offers (connect,
HELO, MAIL, RCPT, header fields, end of header, body, DATA, unknown
commands), so the MTA sends it only the negotiation, the macros it sends in
any case, the end of the message (answered "continue") and QUIT.  What
Postfix spends on a milter connection beyond that is what the milter asked
for; what it spends on this one is the floor of any milter.  One thread per
connection; runs until killed.
"""
import os
import socket
import struct
import sys
import threading

# SMFIP_NOCONNECT NOHELO NOMAIL NORCPT NOBODY NOHDRS NOEOH (0x80: NR_HDR) NOUNKNOWN NODATA
NOT_SENT = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x40 | 0x100 | 0x200


def reply(conn, cmd, data=b""):
    conn.sendall(struct.pack(">I", len(data) + 1) + cmd + data)


def serve(conn, tcp):
    if tcp:  # as dkmod-milter: no delayed ACK for the MTA's unanswered writes, no Nagle for the answers
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with conn, conn.makefile("rb") as stream:  # a buffered reader: read(n) gives n bytes or the end
        while True:
            if tcp:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            head = stream.read(4)
            if len(head) < 4:
                return
            (n,) = struct.unpack(">I", head)
            if n == 0 or n > 1 << 20:
                return
            packet = stream.read(n)
            if len(packet) < n:
                return
            cmd, data = packet[:1], packet[1:]
            if cmd == b"O":
                version, _, protocol = struct.unpack(">III", data[:12])
                reply(conn, b"O", struct.pack(">III", min(version, 6), 0, protocol & NOT_SENT))
            elif cmd == b"E":
                reply(conn, b"c")
            elif cmd == b"Q":
                return
            elif cmd in (b"C", b"H", b"M", b"R", b"L", b"N", b"B", b"T", b"U"):
                reply(conn, b"c")  # a step the MTA sends although asked not to
            # D (macros), A (abort), K (quit, connection reused): no answer


def main():
    where = sys.argv[1]
    if where.startswith("unix:"):
        path = where[5:]
        if os.path.exists(path):
            os.unlink(path)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        os.chmod(path, 0o666)
    else:
        port, host = where[5:].split("@")
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((host, int(port)))
    srv.listen(128)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, srv.family == socket.AF_INET), daemon=True).start()


if __name__ == "__main__":
    main()
