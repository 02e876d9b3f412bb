"""COPY / UID COPY (RFC 3501 6.4.7), MOVE / UID MOVE (RFC 6851) with
COPYUID (RFC 4315): flags and keywords carried, TRYCREATE, the untagged
COPYUID before the EXPUNGEs of MOVE, compact UID sets."""
import re
import unittest

from common_core2 import OneServer, connect, expunges, fetch_flags, fill, msg


class CopyMove(OneServer):
    def box(self, name, n=5, dst=None):
        fill(self.srv, name, [msg(i) for i in range(1, n + 1)])
        if dst:
            fill(self.srv, dst, [])
        c = connect(self.srv, name)
        self.addCleanup(c.close)
        return c

    def body(self, c, box, uid):
        c.ok("EXAMINE %s" % box)
        tag = c.tag()
        c.send("%s UID FETCH %d BODY.PEEK[]\r\n" % (tag, uid))
        ln = c.line()
        c.collect(tag)
        return ln[ln.index(b"}\r\n") + 3:-3]

    def test_copy_with_copyuid(self):
        c = self.box("c1", dst="c1dst")
        c.ok("STORE 2 +FLAGS (\\Flagged kwA)")
        _, t = c.ok("COPY 2:4 c1dst")
        m = re.search(r"\[COPYUID (\d+) (\S+) (\S+)\]", t)
        self.assertTrue(m, t)
        self.assertEqual(m.group(2), "2:4")
        self.assertEqual(m.group(3), "1:3")
        u, _ = c.ok("STATUS c1dst (MESSAGES UIDVALIDITY)")
        self.assertIn("MESSAGES 3", u[0])
        self.assertIn("UIDVALIDITY %s" % m.group(1), u[0])
        self.assertEqual(self.body(c, "c1dst", 1), msg(2))
        u, _ = c.ok("FETCH 1 FLAGS")
        self.assertEqual(fetch_flags(u)[1][1], {"\\Flagged", "kwA"})
        c.ok("SELECT c1")
        u, _ = c.ok("NOOP")
        self.assertEqual(expunges(u), [])   # sources untouched

    def test_uid_copy_sparse_set(self):
        c = self.box("c2", 6, dst="c2dst")
        _, t = c.ok("UID COPY 1,3,5:6,99 c2dst")
        m = re.search(r"\[COPYUID \d+ (\S+) (\S+)\]", t)
        self.assertEqual(m.group(1), "1,3,5:6")
        self.assertEqual(m.group(2), "1:4")

    def test_message_named_twice_is_handled_once(self):
        # RFC 9051 9: a server may coalesce overlaps; copying twice would
        # duplicate mail, and STORE (UNCHANGEDSINCE) would report its own
        # change as a conflict (RFC 7162 3.1.3)
        c = self.box("dup1", 5, dst="dup1dst")
        _, t = c.ok("UID COPY 1,1 dup1dst")
        self.assertIn("[COPYUID", t)
        self.assertRegex(t, r"COPYUID \d+ 1 1\]")
        _, t = c.ok("COPY 3,1:4,2 dup1dst")      # client order, each once
        self.assertRegex(t, r"COPYUID \d+ 3,1:2,4 2:5\]")
        u, _ = c.ok("FETCH 1,1,2:1 (UID)")
        self.assertEqual(u, ["* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)"])
        u, t = c.ok("STORE 2,2 (UNCHANGEDSINCE 999999) +FLAGS (\\Seen)")
        self.assertNotIn("MODIFIED", t)
        self.assertEqual(len([x for x in u if x.startswith("* 2 FETCH")]), 1, u)
        u, t = c.ok("MOVE 1:2,2 dup1dst")
        self.assertEqual(expunges(u), [1, 1])
        u, _ = c.ok("STATUS dup1dst (MESSAGES)")
        self.assertIn("MESSAGES 7", u[0])        # 1 + 4 + 2, nothing twice

    def test_copyuid_long_sets(self):
        c = self.box("c4", 40, dst="c4dst")
        odd = ",".join(str(i) for i in range(1, 20, 2))          # 10 runs: fits
        _, t = c.ok("UID COPY %s c4dst" % odd)
        m = re.search(r"\[COPYUID \d+ (\S+) (\S+)\]", t)
        self.assertEqual((m.group(1), m.group(2)), (odd, "1:10"))
        many = ",".join(str(i) for i in range(1, 40, 2))         # 20 runs: too many
        _, t = c.ok("UID COPY %s c4dst" % many)
        self.assertNotIn("COPYUID", t)   # none rather than a wrong or cut one
        self.assertTrue(t.endswith("COPY completed"), t)
        u, _ = c.ok("STATUS c4dst (MESSAGES)")
        self.assertIn("MESSAGES 30", u[0])

    def test_trycreate(self):
        c = self.box("c3", 1)
        _, t = c.cmd("COPY 1 nosuchbox")
        self.assertIn("NO [TRYCREATE]", t)
        _, t = c.cmd("MOVE 1 nosuchbox")
        self.assertIn("NO [TRYCREATE]", t)
        _, t = c.cmd("COPY 7 INBOX")
        self.assertIn(" BAD ", t)

    def test_move(self):
        c = self.box("m1", 5, dst="m1dst")
        u, t = c.ok("MOVE 2:3 m1dst")
        self.assertIn("* OK [COPYUID", u[0])   # before the EXPUNGEs (RFC 6851 4.3)
        m = re.search(r"\[COPYUID \d+ (\S+) (\S+)\]", u[0])
        self.assertEqual((m.group(1), m.group(2)), ("2:3", "1:2"))
        self.assertEqual(expunges(u), [2, 2])
        u, _ = c.ok("UID SEARCH ALL")
        self.assertEqual(u[-1], "* SEARCH 1 4 5")
        self.assertEqual(self.body(c, "m1dst", 2), msg(3))

    def test_uid_move_and_other_session(self):
        c = self.box("m2", 4, dst="m2dst")
        other = connect(self.srv, "m2")
        self.addCleanup(other.close)
        u, _ = c.ok("UID MOVE 4 m2dst")
        self.assertEqual(expunges(u), [4])
        u, _ = other.ok("NOOP")
        self.assertEqual(expunges(u), [4])
        u, _ = other.ok("STATUS m2dst (MESSAGES)")
        self.assertIn("MESSAGES 1", u[0])

    def test_move_within_mailbox(self):
        c = self.box("m5", 2)
        u, _ = c.ok("MOVE 1 m5")   # allowed (Dovecot too): a new UID, the old one gone
        self.assertIn("[COPYUID", u[0])
        self.assertEqual(expunges(u), [1])
        u, _ = c.ok("UID SEARCH ALL")
        self.assertEqual(u[-1], "* SEARCH 2 3")

    def test_move_read_only_refused(self):
        c = self.box("m3", 1, dst="m3dst")
        c.ok("EXAMINE m3")
        _, t = c.cmd("MOVE 1 m3dst")
        self.assertIn(" NO ", t)
        c.ok("COPY 1 m3dst")   # COPY from a read-only mailbox is fine

    def test_big_move(self):
        big = msg(1, body=b"y" * (3 << 20) + b"\r\n")
        fill(self.srv, "m4", [big])
        fill(self.srv, "m4dst", [])
        c = connect(self.srv, "m4")
        self.addCleanup(c.close)
        c.ok("MOVE 1 m4dst")
        self.assertEqual(self.body(c, "m4dst", 1), big)


if __name__ == "__main__":
    unittest.main()
