#!/usr/bin/env python3
"""Run every test program of `make test` and sum their results.

Each program prints `N passed, N failed` as its last line and exits non-zero
on failure. One line per program; a failing program's output follows it. A
program that crashes, times out or does not end with that line counts as one
failure. The last line is the sum: `N passed, N failed`.

usage: run_all.py [--unit BIN]... [--suite SCRIPT]... [--integration SCRIPT]
"""
import argparse
import os
import re
import subprocess
import sys
import time

RESULT = re.compile(rb"^(\d+) passed, (\d+) failed\s*$")
TIMEOUT = {"unit": 600, "suite": 3600, "integration": 3600}


def run(kind, argv):
    """Run one program; returns (passed, failed, seconds, output)."""
    env = dict(os.environ)
    # Sanitizer reports must fail the program, with a usable stack.
    env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=TIMEOUT[kind], env=env)
        out, code = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        out, code = (e.stdout or b"") + b"\n*** timed out\n", -1
    except OSError as e:
        out, code = ("*** cannot run: %s\n" % e).encode(), -1
    secs = time.monotonic() - t0
    lines = out.rstrip().splitlines()
    m = RESULT.match(lines[-1]) if lines else None
    if not m:
        return 0, 1, secs, out + b"\n*** no 'N passed, N failed' line at the end\n"
    passed, failed = int(m.group(1)), int(m.group(2))
    if code != 0 and failed == 0:
        failed = 1
        out += ("\n*** exit status %d\n" % code).encode()
    return passed, failed, secs, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--unit", action="append", default=[])
    ap.add_argument("--suite", action="append", default=[])
    ap.add_argument("--integration")
    a = ap.parse_args()
    jobs = [("unit", [b]) for b in a.unit] + [("suite", [s]) for s in a.suite]
    if a.integration:
        jobs.append(("integration", [sys.executable, a.integration]))
    total_p = total_f = 0
    for kind, argv in jobs:
        name = os.path.basename(argv[-1])
        passed, failed, secs, out = run(kind, argv)
        total_p += passed
        total_f += failed
        status = "ok  " if failed == 0 else "FAIL"
        print("%s %-11s %-28s %5d passed, %d failed  (%.1f s)"
              % (status, kind, name, passed, failed, secs), flush=True)
        if failed:
            text = out.decode("utf-8", "replace").rstrip().splitlines()
            if len(text) > 200:
                text = ["    [... %d lines ...]" % (len(text) - 200)] + text[-200:]
            for line in text:
                print("    " + line)
            sys.stdout.flush()
    print("%d passed, %d failed" % (total_p, total_f))
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main())
