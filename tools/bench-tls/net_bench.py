#!/usr/bin/env python3
"""Handshake time over the real path on the host: Python's ssl client ->
kernel loopback -> slirp -> lwIP -> imapd, from connect() to the IMAP
greeting, for TLS 1.3 and 1.2 and (for comparison) plain IMAP. Also the
arena peak per session as the server logged it (handshakes run one at a
time, so each figure is that session's own).

Usage: net_bench.py [IMAPD_BINARY] [ROUNDS]      (default build/host/imapd, 50)
"""
import os
import re
import socket
import ssl
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
os.environ.setdefault("IMAPD_BIN", sys.argv[1] if len(sys.argv) > 1 else
                      os.path.join(ROOT, "build", "host", "imapd"))
from harness import HOST, Server  # noqa: E402

ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 50


def greet(port, ctx=None):
    t0 = time.perf_counter()
    s = socket.create_connection((HOST, port), timeout=10)
    if ctx:
        s = ctx.wrap_socket(s)
    line = s.makefile("rb").readline()
    dt = time.perf_counter() - t0
    s.close()
    if not line.startswith(b"* OK"):
        raise SystemExit("net_bench: bad greeting %r" % line)
    return dt * 1000.0


def main():
    cases = []
    for name, maxv in (("TLS 1.3", ssl.TLSVersion.TLSv1_3), ("TLS 1.2", ssl.TLSVersion.TLSv1_2)):
        ctx = ssl._create_unverified_context()
        ctx.maximum_version = maxv
        cases.append((name, ctx))
    with Server(users={"bench": "bench"}) as srv:
        print("net_bench: %d connections per case, connect() to greeting, %s" %
              (ROUNDS, os.environ["IMAPD_BIN"]))
        print("%-10s %9s %9s %9s" % ("case", "ms p50", "ms p90", "ms max"))
        rows = [("plain", srv.port, None)] + [(n, srv.tls_port, c) for n, c in cases]
        for name, port, ctx in rows:
            greet(port, ctx)   # warm-up (ARP, first-use paths)
            ms = sorted(greet(port, ctx) for _ in range(ROUNDS))
            print("%-10s %9.2f %9.2f %9.2f" % (name, statistics.median(ms),
                                               ms[int(len(ms) * 0.9) - 1], ms[-1]))
        time.sleep(0.2)
        peaks = [int(p) for p in re.findall(r"arena peak (\d+)", srv.log)]
        m = re.search(r"tls: arena (\d+) bytes for (\d+) sessions", srv.log)
        if peaks and m:
            print("arena peak per TLS session (server log): max %d, median %d bytes" %
                  (max(peaks), statistics.median(peaks)))
            print("arena size: %s bytes for %s TLS sessions" % m.groups())


if __name__ == "__main__":
    main()
