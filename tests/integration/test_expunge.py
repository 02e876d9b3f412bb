"""EXPUNGE, UID EXPUNGE (RFC 4315), CLOSE: which messages go, the EXPUNGE
responses and their sequence numbers, read-only mailboxes."""
import unittest

from common_core2 import OneServer, connect, expunges, fetch_flags, fill, msg


class Expunge(OneServer):
    def box(self, name, n=6):
        fill(self.srv, name, [msg(i) for i in range(1, n + 1)])
        c = connect(self.srv, name)
        self.addCleanup(c.close)
        return c

    def uids(self, c):
        u, _ = c.ok("UID SEARCH ALL")
        return [int(x) for x in u[0].split()[2:]]

    def test_expunge_deleted_only(self):
        c = self.box("e1")
        c.ok("STORE 2,4:5 +FLAGS.SILENT (\\Deleted)")
        u, t = c.ok("EXPUNGE")
        # each EXPUNGE renumbers the rest: 2, then 4 -> 3, 5 -> 3
        self.assertEqual(expunges(u), [2, 3, 3])
        self.assertEqual(self.uids(c), [1, 3, 6])
        u, _ = c.ok("EXPUNGE")
        self.assertEqual(expunges(u), [])

    def test_uid_expunge_only_the_set(self):
        c = self.box("e2")
        c.ok("STORE 1:6 +FLAGS.SILENT (\\Deleted)")
        u, _ = c.ok("UID EXPUNGE 2:3,6")
        self.assertEqual(expunges(u), [2, 2, 4])
        self.assertEqual(self.uids(c), [1, 4, 5])
        u, _ = c.ok("UID EXPUNGE 100:200")
        self.assertEqual(expunges(u), [])

    def test_close_expunges_silently(self):
        c = self.box("e3")
        c.ok("STORE 1 +FLAGS (\\Deleted)")
        u, _ = c.ok("CLOSE")
        self.assertEqual(expunges(u), [])
        u, _ = c.ok("SELECT e3")
        self.assertIn("* 5 EXISTS", u)

    def test_read_only(self):
        c = self.box("e4")
        c.ok("STORE 1 +FLAGS (\\Deleted)")
        c.ok("EXAMINE e4")
        _, t = c.cmd("EXPUNGE")
        self.assertIn(" NO ", t)
        _, t = c.cmd("UID EXPUNGE 1")
        self.assertIn(" NO ", t)
        c.ok("CLOSE")   # read-only CLOSE expunges nothing
        u, _ = c.ok("SELECT e4")
        self.assertIn("* 6 EXISTS", u)

    def test_other_session_sees_expunge_later(self):
        a = self.box("e5")
        b = connect(self.srv, "e5")
        self.addCleanup(b.close)
        a.ok("STORE 3 +FLAGS.SILENT (\\Deleted)")
        a.ok("EXPUNGE")
        # b: no EXPUNGE during FETCH / STORE / SEARCH (RFC 3501 7.4.1) ...
        u, t = b.cmd("FETCH 3 FLAGS")   # RFC 5530 / RFC 2180 4.1.2, as Dovecot
        self.assertIn("NO [EXPUNGEISSUED]", t)
        self.assertEqual(expunges(u), [])
        for cmd in ("FETCH 1:* UID", "STORE 1 +FLAGS.SILENT (\\Seen)", "SEARCH ALL"):
            u, _ = b.cmd(cmd)
            self.assertEqual(expunges(u), [], cmd)
        u, _ = b.ok("SEARCH ALL")
        self.assertEqual(u[-1], "* SEARCH 1 2 4 5 6")   # 3 still numbered, not matched
        u, _ = b.ok("NOOP")
        self.assertEqual(expunges(u), [3])
        u, _ = b.ok("SEARCH ALL")
        self.assertEqual(u[-1], "* SEARCH 1 2 3 4 5")
        u, _ = b.ok("FETCH 3 UID")
        self.assertEqual(fetch_flags(u)[3][0], 4)

    def test_errors(self):
        c = self.box("e6", 1)
        for bad in ("EXPUNGE 1", "UID EXPUNGE", "UID EXPUNGE x"):
            _, t = c.cmd(bad)
            self.assertIn(" BAD ", t, bad)


if __name__ == "__main__":
    unittest.main()
