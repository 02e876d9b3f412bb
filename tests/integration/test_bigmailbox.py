"""A 10,000-message mailbox: filled with pipelined LITERAL+ APPENDs, then
SELECT, UID FETCH 1:* (FLAGS), SEARCH and a big STORE complete while a second
client keeps getting prompt answers (the server works in slices)."""
import re
import threading
import time
import unittest

from common_core2 import connect, msg
from harness import Server

N = 10000
BATCH = 200


class Prober(threading.Thread):
    """A second client sending NOOPs back to back, timing each answer."""

    def __init__(self, srv):
        super().__init__(daemon=True)
        self.c = connect(srv, "INBOX")
        self.stop = threading.Event()
        self.latencies = []
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                t0 = time.monotonic()
                self.c.ok("NOOP")
                self.latencies.append(time.monotonic() - t0)
                time.sleep(0.01)
        except Exception as e:   # reported by the test
            self.error = e

    def finish(self):
        self.stop.set()
        self.join(30)
        self.c.close()


class BigMailbox(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--image-size", "64M"])
        cls.srv.start()
        c = connect(cls.srv)
        c.ok("CREATE big")
        t0 = time.monotonic()
        for start in range(1, N + 1, BATCH):
            tags = []
            data = b""
            for i in range(start, min(start + BATCH, N + 1)):
                m = msg(i, body=b"body %d %s\r\n" % (i, b"needle" if i % 1000 == 0 else b"hay"))
                tag = c.tag()
                tags.append(tag)
                data += b"%s APPEND big {%d+}\r\n%s\r\n" % (tag.encode(), len(m), m)
            c.send(data)
            for tag in tags:
                _, t = c.collect(tag)
                if " OK " not in t:
                    raise AssertionError("APPEND: " + t)
        cls.fill_s = time.monotonic() - t0
        c.close()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def timed(self, c, cmd):
        prober = Prober(self.srv)
        prober.start()
        time.sleep(0.05)
        t0 = time.monotonic()
        u, t = c.ok(cmd)
        elapsed = time.monotonic() - t0
        prober.finish()
        self.assertIsNone(prober.error)
        self.assertGreater(len(prober.latencies), 0, "the second client got no answer")
        worst = max(prober.latencies)
        print("\n%s: %.2f s, second client: %d answers, worst %.3f s" % (
            cmd, elapsed, len(prober.latencies), worst))
        return u

    def test_big(self):
        print("\nfill: %d messages in %.1f s" % (N, self.fill_s))
        c = connect(self.srv)
        self.addCleanup(c.close)
        u = self.timed(c, "SELECT big")
        self.assertIn("* %d EXISTS" % N, u)
        u = self.timed(c, "UID FETCH 1:* (FLAGS)")
        self.assertEqual(len(u), N)
        self.assertTrue(all(re.match(r"\* \d+ FETCH \(UID \d+ FLAGS \(.*\)\)$", x) for x in u))
        u = self.timed(c, "SEARCH BODY needle")
        self.assertEqual(u[-1], "* SEARCH " + " ".join(str(i) for i in range(1000, N + 1, 1000)))
        u = self.timed(c, "SEARCH UNSEEN SUBJECT \"message 5000\"")
        self.assertEqual(u[-1], "* SEARCH 5000")
        u = self.timed(c, "STORE 1:* +FLAGS.SILENT (\\Seen)")
        self.assertEqual(u, [])
        u = self.timed(c, "UID SEARCH RETURN (COUNT MIN MAX) SEEN")
        self.assertRegex(u[0], r"COUNT %d" % N)
        u = self.timed(c, "FETCH 9990:* (UID RFC822.SIZE ENVELOPE)")
        self.assertEqual(len(u), 11)


if __name__ == "__main__":
    unittest.main()
