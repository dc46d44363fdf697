#!/usr/bin/python3
"""dnsdelay.py - a small DNS proxy for tests: listens on UDP and TCP at one
address and port (127.0.0.1, a free port by default), forwards every query
to an upstream server (e.g. a test nsd) and holds each answer back for
--delay milliseconds before sending it on.  Queries are served concurrently,
one thread each, so a query never waits for another's delay.  With --drop
it reads queries and never answers (a server that times out).

Prints the port on standard output (and into --port-file, written
atomically); counts the queries received (UDP and TCP) in --count-file.
Runs until it is stopped with SIGTERM (by PID).

    dnsdelay.py --upstream 127.0.0.1:PORT --delay MS [--listen ADDR]
                [--port N] [--port-file F] [--count-file F]
    dnsdelay.py --drop [--listen ADDR] [--port N] ...
"""
import argparse
import os
import signal
import socket
import struct
import sys
import threading
import time

UPSTREAM_TIMEOUT = 5.0


class Counter:
    """Queries received, kept in a file (written whole and renamed)."""

    def __init__(self, path):
        self.path = path
        self.n = 0
        self.lock = threading.Lock()
        self.write()

    def add(self):
        with self.lock:
            self.n += 1
            self.write()

    def write(self):
        if not self.path:
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % self.n)
        os.replace(tmp, self.path)


def recv_exact(sock, n):
    """n bytes from a stream socket, or None at its end."""
    buf = b""
    while len(buf) < n:
        part = sock.recv(n - len(buf))
        if not part:
            return None
        buf += part
    return buf


def ask_udp(upstream, query):
    """The upstream's UDP answer to query, or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(UPSTREAM_TIMEOUT)
        s.connect(upstream)
        s.send(query)
        try:
            return s.recv(65535)
        except OSError:
            return None


def ask_tcp(upstream, query):
    """The upstream's TCP answer to query, or None."""
    try:
        with socket.create_connection(upstream, timeout=UPSTREAM_TIMEOUT) as s:
            s.sendall(struct.pack("!H", len(query)) + query)
            head = recv_exact(s, 2)
            return recv_exact(s, struct.unpack("!H", head)[0]) if head else None
    except OSError:
        return None


def bind_pair(addr, port):
    """A UDP and a TCP socket bound to the same address and port."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((addr, port))
        got = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            t.bind((addr, got))
        except OSError:
            u.close()
            t.close()
            if port:
                raise
            continue
        t.listen(64)
        return u, t, got
    raise OSError("no free port")


def main():
    ap = argparse.ArgumentParser(description="delaying DNS proxy for tests")
    ap.add_argument("--upstream", help="IP:PORT to forward to")
    ap.add_argument("--delay", type=int, default=0, help="milliseconds each answer is held back")
    ap.add_argument("--drop", action="store_true", help="never answer")
    ap.add_argument("--mangle", choices=["garbage", "truncate", "badrdata"],
                    help="answer with garbage (the query id kept), a truncated UDP answer with no TCP "
                         "service behind it, or an answer cut inside its last record")
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--count-file")
    a = ap.parse_args()
    if not a.drop and not a.upstream and a.mangle not in ("garbage", "truncate"):
        ap.error("--upstream or --drop is needed")
    if not a.listen.startswith("127."):
        ap.error("listens on loopback only")
    upstream = None
    if a.upstream:
        host, _, port = a.upstream.rpartition(":")
        if not host.startswith("127."):
            ap.error("forwards to loopback only")
        upstream = (host, int(port))
    delay = a.delay / 1000.0
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    udp, tcp, port = bind_pair(a.listen, a.port)
    counter = Counter(a.count_file)

    def mangle(answer, query):
        if a.mangle == "garbage":
            return query[:2] + os.urandom(10 + (query[2] % 200))
        if a.mangle == "truncate":
            # the header alone, with QR and TC set and every count zeroed
            return query[:2] + bytes([query[2] | 0x82, 0x80]) + bytes(8)
        # badrdata: the packet ends inside its last record (no TC bit): malformed
        return answer[:-5] if len(answer) > 17 else answer

    def serve_udp(query, client):
        answer = ask_udp(upstream, query) if upstream else b""
        if answer is None:
            return
        if a.mangle:
            answer = mangle(answer, query)
        time.sleep(delay)
        udp.sendto(answer, client)

    def serve_tcp_query(conn, wlock, query):
        if a.mangle == "truncate":
            conn.close()  # no TCP service behind the truncated answer
            return
        answer = ask_tcp(upstream, query) if upstream else b""
        if answer is None:
            return
        if a.mangle:
            answer = mangle(answer, query)
        time.sleep(delay)
        with wlock:
            try:
                conn.sendall(struct.pack("!H", len(answer)) + answer)
            except OSError:
                pass

    def serve_tcp(conn):
        wlock = threading.Lock()
        with conn:
            while True:
                head = recv_exact(conn, 2)
                if not head:
                    return
                query = recv_exact(conn, struct.unpack("!H", head)[0])
                if query is None:
                    return
                counter.add()
                if not a.drop:
                    threading.Thread(target=serve_tcp_query, args=(conn, wlock, query), daemon=True).start()

    def accept_loop():
        while True:
            conn, _ = tcp.accept()
            threading.Thread(target=serve_tcp, args=(conn,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.replace(a.port_file + ".tmp", a.port_file)
    print(port, flush=True)
    while True:
        query, client = udp.recvfrom(65535)
        counter.add()
        if not a.drop:
            threading.Thread(target=serve_udp, args=(query, client), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
