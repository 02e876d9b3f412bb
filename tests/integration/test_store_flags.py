"""STORE / UID STORE (RFC 3501 6.4.6): FLAGS, +FLAGS, -FLAGS, .SILENT, system
flags and keywords, the keyword limit, read-only mailboxes."""
import unittest

from common_core2 import connect, fetch_flags, fill, msg
from harness import Server


class StoreFlags(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server()
        cls.srv.start()
        fill(cls.srv, "flags", [msg(i) for i in range(1, 6)])

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def conn(self, box="flags", examine=False):
        c = connect(self.srv, box, examine)
        self.addCleanup(c.close)
        return c

    def flags_of(self, c, seq):
        u, _ = c.ok("FETCH %d FLAGS" % seq)
        return fetch_flags(u)[seq][1]

    def test_add_remove_replace(self):
        c = self.conn()
        u, _ = c.ok("STORE 1 +FLAGS (\\Flagged \\Answered)")
        self.assertEqual(fetch_flags(u)[1][1], {"\\Flagged", "\\Answered"})
        u, _ = c.ok("STORE 1 -FLAGS (\\Answered)")
        self.assertEqual(fetch_flags(u)[1][1], {"\\Flagged"})
        u, _ = c.ok("STORE 1 FLAGS (\\Draft $Label1)")
        self.assertEqual(fetch_flags(u)[1][1], {"\\Draft", "$Label1"})
        u, _ = c.ok("STORE 1 FLAGS ()")
        self.assertEqual(fetch_flags(u)[1][1], set())
        u, _ = c.ok("STORE 1:2 +FLAGS \\Seen")   # unparenthesised single flag
        self.assertEqual(set(fetch_flags(u)), {1, 2})
        c.ok("STORE 1:2 -FLAGS (\\Seen)")

    def test_silent_sends_nothing_now_or_later(self):
        c = self.conn()
        u, _ = c.ok("STORE 2 +FLAGS.SILENT (\\Flagged)")
        self.assertEqual(u, [])
        u, _ = c.ok("NOOP")
        self.assertEqual(u, [], "own .SILENT change re-announced")
        self.assertIn("\\Flagged", self.flags_of(c, 2))
        u, _ = c.ok("STORE 2 -FLAGS (\\Flagged)")
        u, _ = c.ok("NOOP")
        self.assertEqual(u, [], "own STORE re-announced")

    def test_uid_store_includes_uid(self):
        c = self.conn()
        u, _ = c.ok("UID STORE 3 +FLAGS (\\Seen)")
        self.assertEqual(fetch_flags(u), {3: (3, {"\\Seen"})})
        u, _ = c.ok("UID STORE 999 +FLAGS (\\Seen)")   # no such UID: nothing, OK
        self.assertEqual(u, [])
        c.ok("UID STORE 3 -FLAGS.SILENT (\\Seen)")

    def test_keywords_and_new_keyword_announced(self):
        c = self.conn()
        u, _ = c.ok("STORE 4 +FLAGS (NewKeyword)")
        self.assertTrue(any(x.startswith("* FLAGS (") and "NewKeyword" in x for x in u), u)
        self.assertTrue(any("PERMANENTFLAGS" in x and "NewKeyword" in x for x in u), u)
        # the change is reported once: the keyword's creation is not news to the view
        self.assertEqual(len([x for x in u if x.startswith("* 4 FETCH")]), 1, u)
        self.assertIn("NewKeyword", self.flags_of(c, 4))
        u, _ = c.ok("STORE 4 -FLAGS (NewKeyword UnknownKw)")
        self.assertEqual(fetch_flags(u)[4][1], set())

    def test_new_keyword_announced_to_other_sessions(self):
        # RFC 3501 7.2.6: a client records FLAGS; a FETCH must not show a
        # keyword its session's FLAGS never listed
        fill(self.srv, "kwo", [msg(i) for i in range(1, 4)])
        a, b, r = self.conn("kwo"), self.conn("kwo"), self.conn("kwo", examine=True)
        a.ok("STORE 2 +FLAGS (FromA)")
        for c, perm in ((b, True), (r, False)):
            u, _ = c.ok("NOOP")
            i = next(i for i, x in enumerate(u) if x.startswith("* FLAGS ("))
            self.assertIn("FromA", u[i])
            later = u[i + 1:]
            self.assertEqual(any("PERMANENTFLAGS" in x and "FromA" in x for x in later), perm, u)
            self.assertTrue(any(x.startswith("* 2 FETCH") and "FromA" in x for x in later), u)
            u, _ = c.ok("NOOP")
            self.assertEqual(u, [])           # told once
        # a keyword an APPEND creates, in the session that appends too
        u, t = b.append("kwo", msg(9), flags="ByAppend")
        self.assertIn("OK", t)
        u2, _ = b.ok("NOOP")
        flags = [x for x in u + u2 if x.startswith("* FLAGS (")]
        self.assertEqual(len(flags), 1, u + u2)
        self.assertIn("ByAppend", flags[0])
        # another session's keyword seen first by a FETCH: FLAGS comes first
        a.ok("STORE 1 +FLAGS (Fetched)")
        u, _ = r.ok("FETCH 1 (FLAGS)")
        self.assertTrue(u[0].startswith("* FLAGS (") and "Fetched" in u[0], u)
        # a refused STORE creates no keyword (RFC 3501 7.1.3: BAD changes nothing)
        for bad in ("STORE 2 +FLAGS (Refused1])", "STORE 2 +FLAGS (Refused2 \\Bogus)",
                    "STORE 99 +FLAGS (Refused3)"):
            _, t = a.cmd(bad)
            self.assertEqual(t.split()[1], "BAD", t)
        u, _ = a.ok("SELECT kwo")
        self.assertNotIn("Refused", " ".join(u))

    def test_keyword_limit(self):
        fill(self.srv, "kwlimit", [msg(1)])
        c = self.conn("kwlimit")
        t = ""
        for i in range(40):
            _, t = c.cmd("STORE 1 +FLAGS (kw%d)" % i)
            if " NO " in t:
                break
        self.assertIn("NO [LIMIT]", t)
        self.assertGreaterEqual(i, 20)
        u, _ = c.ok("SELECT kwlimit")
        perm = [x for x in u if "PERMANENTFLAGS" in x][0]
        self.assertNotIn("\\*", perm)   # full table: no new keywords possible

    def test_errors(self):
        c = self.conn()
        for bad in ("STORE 1 FLAGS (\\Bogus)", "STORE 1 XFLAGS (\\Seen)", "STORE 9 FLAGS ()",
                    "STORE 1 FLAGS (\\Seen", "STORE 1 +FLAGS.LOUD (\\Seen)"):
            _, t = c.cmd(bad)
            self.assertIn(" BAD ", t, bad)
        r = self.conn(examine=True)
        _, t = r.cmd("STORE 1 +FLAGS (\\Seen)")
        self.assertIn(" NO ", t)

    def test_flags_survive_restart(self):
        c = self.conn()
        c.ok("STORE 5 FLAGS (\\Answered persistkw)")
        c.close()
        self.srv.restart()
        c = self.conn()
        self.assertEqual(self.flags_of(c, 5), {"\\Answered", "persistkw"})


if __name__ == "__main__":
    unittest.main()
