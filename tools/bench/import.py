#!/usr/bin/env python3
"""Benchmark: imapctl import speed into an image file (messages/s, MB/s).

Generates a Maildir of mixed messages (text, multipart with an attachment,
a few large ones), imports it into a fresh image and prints the figures.
Not a test: it asserts nothing."""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMAPCTL = os.path.join(ROOT, "build", "host", "imapctl")
N = int(os.environ.get("IMPORT_MESSAGES", "2000"))


def main():
    rnd = random.Random(1)
    tmp = tempfile.mkdtemp(prefix="bench-import-")
    try:
        md = os.path.join(tmp, "Maildir")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(md, sub))
        total = 0
        for i in range(N):
            if i % 50 == 0:
                body = "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n" + \
                       ("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n" * 6000)
            elif i % 3 == 0:
                body = ("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x\n\n--x\n"
                        "Content-Type: text/plain\n\nhello %d\n--x\nContent-Type: text/html\n\n<p>%d</p>\n--x--\n" % (i, i))
            else:
                body = "\n" + "".join("line %d of a report\n" % k for k in range(rnd.randint(5, 200)))
            text = "From: dev@example.org\nSubject: bench %d\nDate: Tue, 24 Nov 2026 10:00:00 +0000\n%s" % (i, body)
            total += len(text)
            with open(os.path.join(md, "cur", "%d.%d.bench:2,%s" % (i, i, "S" if i % 2 else "")), "w") as f:
                f.write(text)
        img = os.path.join(tmp, "bench.img")
        subprocess.run([IMAPCTL, "init", img, "--size", "256M"], check=True, capture_output=True)
        subprocess.run([IMAPCTL, "useradd", img, "bench", "--password", "x"], check=True, capture_output=True)
        t0 = time.monotonic()
        r = subprocess.run([IMAPCTL, "import", img, "bench", "INBOX", md], capture_output=True, text=True)
        dt = time.monotonic() - t0
        sys.stdout.write(r.stdout)
        if r.returncode:
            sys.stderr.write(r.stderr)
            return 1
        print("import: %d messages, %.1f MB of Maildir files, %.2f s wall: %.0f messages/s, %.2f MB/s"
              % (N, total / 1048576.0, dt, N / dt, total / 1048576.0 / dt))
        return 0
    finally:
        shutil.rmtree(tmp, True)


if __name__ == "__main__":
    sys.exit(main())
