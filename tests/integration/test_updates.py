"""Updates between sessions (RFC 3501 5.2, 7.4.1; IDLE RFC 2177): flag
changes as untagged FETCH FLAGS, expunges as EXPUNGE, new messages as EXISTS,
at the next command or at once in IDLE; never an EXPUNGE during FETCH, STORE
or SEARCH; sequence numbers consistent per session."""
import unittest

from common_core2 import OneServer, connect, expunges, fetch_flags, fill, msg


class Updates(OneServer):
    def pair(self, box, n=5):
        fill(self.srv, box, [msg(i) for i in range(1, n + 1)])
        a, b = connect(self.srv, box), connect(self.srv, box)
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        return a, b

    def idle_line(self, c, timeout=5):
        c.sock.settimeout(timeout)
        try:
            return c.line().decode().rstrip("\r\n")
        finally:
            c.sock.settimeout(60)

    def test_flags_reach_the_other_session(self):
        a, b = self.pair("u1")
        a.ok("STORE 2 +FLAGS (\\Flagged)")
        u, _ = b.ok("NOOP")
        self.assertEqual(fetch_flags(u), {2: (None, {"\\Flagged"})})
        u, _ = b.ok("NOOP")
        self.assertEqual(u, [])   # once only
        a.ok("FETCH 3 BODY[]")    # sets \Seen
        u, _ = b.ok("NOOP")
        self.assertEqual(fetch_flags(u), {3: (None, {"\\Seen"})})
        u, _ = a.ok("NOOP")
        self.assertEqual(u, [])   # a reported its own change already

    def test_expunge_and_numbering(self):
        a, b = self.pair("u2", 6)
        a.ok("STORE 2,4 +FLAGS.SILENT (\\Deleted)")
        u, _ = a.ok("EXPUNGE")
        self.assertEqual(expunges(u), [2, 3])
        # b still has the old numbers until a command that may send EXPUNGE
        u, t = b.cmd("FETCH 5 UID")
        self.assertEqual(expunges(u), [])
        self.assertEqual(fetch_flags(u)[5][0], 5)
        u, _ = b.ok("STORE 6 +FLAGS (\\Seen)")
        self.assertEqual(expunges(u), [])
        self.assertIn(6, fetch_flags(u))
        u, _ = b.ok("UID SEARCH ALL")   # the UID form may send them (RFC 3501 7.4.1)
        self.assertEqual(expunges(u), [2, 3])
        u, _ = b.ok("FETCH 3:4 UID")
        self.assertEqual({k: v[0] for k, v in fetch_flags(u).items()}, {3: 5, 4: 6})

    def test_new_messages(self):
        a, b = self.pair("u3", 2)
        a.append("u3", msg(3))
        u, _ = b.ok("NOOP")
        self.assertIn("* 3 EXISTS", u)
        u, _ = b.ok("FETCH 3 UID")
        self.assertEqual(fetch_flags(u)[3][0], 3)

    def test_idle_gets_updates_at_once(self):
        a, b = self.pair("u4", 3)
        tag = b.tag()
        b.send("%s IDLE\r\n" % tag)
        self.assertTrue(b.line().startswith(b"+"))
        a.ok("STORE 1 +FLAGS (\\Answered)")
        self.assertEqual(self.idle_line(b), "* 1 FETCH (FLAGS (\\Answered))")
        a.ok("STORE 3 +FLAGS.SILENT (\\Deleted)")
        a.ok("EXPUNGE")
        ln = self.idle_line(b)
        if ln.startswith("* 3 FETCH"):   # the \Deleted may be seen before the expunge
            self.assertEqual(ln, "* 3 FETCH (FLAGS (\\Deleted))")
            ln = self.idle_line(b)
        self.assertEqual(ln, "* 3 EXPUNGE")
        a.append("u4", msg(9))
        got = [self.idle_line(b), self.idle_line(b)]
        self.assertIn("* 3 EXISTS", got)
        b.send("DONE\r\n")
        _, t = b.collect(tag)
        self.assertIn("OK", t)

    def test_move_seen_by_other(self):
        a, b = self.pair("u5", 3)
        fill(self.srv, "u5dst", [])
        a.ok("MOVE 1 u5dst")
        u, _ = b.ok("NOOP")
        self.assertEqual(expunges(u), [1])

    def test_many_sessions(self):
        fill(self.srv, "u6", [msg(i) for i in range(1, 4)])
        conns = [connect(self.srv, "u6") for _ in range(5)]
        for c in conns:
            self.addCleanup(c.close)
        conns[0].ok("STORE 1:3 +FLAGS (\\Flagged)")
        for c in conns[1:]:
            u, _ = c.ok("NOOP")
            self.assertEqual(sorted(fetch_flags(u)), [1, 2, 3])


if __name__ == "__main__":
    unittest.main()
