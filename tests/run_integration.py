#!/usr/bin/env python3
"""Run the integration tests (tests/integration/test_*.py) against
build/host-asan/imapd (or $IMAPD_BIN).

Prints one line per failing or erroring test with its traceback, one line per
module with its counts, and as the last line `N passed, N failed` (skipped
tests are counted in neither). Exit status 1 on any failure.

usage: run_integration.py [-v] [PATTERN...]   (file globs, default test_*.py)
"""
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(HERE, "integration")


class Result(unittest.TextTestResult):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.passed = []

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed.append(test)


def module_of(test):
    return type(test).__module__


def main():
    verbose = "-v" in sys.argv[1:]
    args = [a for a in sys.argv[1:] if a != "-v"]
    sys.path.insert(0, TESTS)
    suite = unittest.TestSuite()
    for pattern in args or ["test_*.py"]:
        suite.addTests(unittest.defaultTestLoader.discover(TESTS, pattern=pattern,
                                                           top_level_dir=TESTS))
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2 if verbose else 0,
                                     resultclass=Result)
    t0 = time.monotonic()
    res = runner.run(suite)
    secs = time.monotonic() - t0

    bad = [(t, "FAIL") for t, _ in res.failures] + [(t, "ERROR") for t, _ in res.errors]
    bad += [(t, "UNEXPECTED SUCCESS") for t in res.unexpectedSuccesses]
    stats = {}
    for t in res.passed:
        stats.setdefault(module_of(t), [0, 0, 0])[0] += 1
    for t, _ in bad:
        stats.setdefault(module_of(t), [0, 0, 0])[1] += 1
    for t, _ in res.skipped:
        stats.setdefault(module_of(t), [0, 0, 0])[2] += 1
    for mod in sorted(stats):
        p, f, s = stats[mod]
        print("  %-30s %3d passed, %d failed%s" % (mod, p, f, ", %d skipped" % s if s else ""))
    print("  (%.1f s)" % secs)
    passed = len(res.passed) + len(res.expectedFailures)
    failed = len(bad)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
