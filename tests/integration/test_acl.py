"""Users, namespaces (RFC 2342), ACL (RFC 4314), login throttling."""
import time
import unittest

from harness import Server
from rawimap import Raw

MSG = b"From: a@example.org\r\nSubject: shared\r\n\r\nhello\r\n"


class Acl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(users=[("alice", "pw"), ("bob", "pw"), ("carol", "pw")], allow_plaintext=True)
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def conn(self, user):
        c = Raw(self.srv.port)
        self.addCleanup(c.close)
        c.login(user, "pw")
        return c

    def test_namespace(self):
        c = self.conn("alice")
        u, _ = c.ok("NAMESPACE")
        self.assertEqual(u[0], '* NAMESPACE (("" "/")) (("Other Users/" "/")) (("Shared/" "/"))')

    def test_capability(self):
        c = self.conn("alice")
        u, _ = c.ok("CAPABILITY")
        self.assertIn("ACL", u[0].split())
        self.assertIn("RIGHTS=kxte", u[0].split())

    def test_invisible_is_nonexistent(self):
        a, b = self.conn("alice"), self.conn("bob")
        a.ok("CREATE private1")
        _, t1 = b.cmd('SELECT "Other Users/alice/private1"')
        _, t2 = b.cmd('SELECT "Other Users/alice/nosuchbox"')
        self.assertEqual(t1.split(" ", 1)[1], t2.split(" ", 1)[1].replace("nosuchbox", "private1"))
        self.assertIn("NO [NONEXISTENT]", t1)
        u, _ = b.ok('LIST "" "*"')
        self.assertFalse(any("private1" in x for x in u))
        _, t = b.cmd('GETACL "Other Users/alice/private1"')
        self.assertIn("NO [NONEXISTENT]", t)

    def test_share_and_live_updates(self):
        a, b = self.conn("alice"), self.conn("bob")
        a.ok("CREATE team")
        a.ok("SETACL team bob lrswi")
        u, _ = a.ok("GETACL team")
        self.assertEqual(u[0], '* ACL "team" "alice" lrswipkxtea "bob" lrswi')
        u, _ = b.ok('MYRIGHTS "Other Users/alice/team"')
        self.assertEqual(u[0], '* MYRIGHTS "Other Users/alice/team" "lrswi"')
        u, _ = b.ok('LIST "Other Users/" "*"')
        self.assertTrue(any(x.endswith('"Other Users/alice/team"') or x.endswith("Other Users/alice/team") for x in u), u)
        b.ok('SELECT "Other Users/alice/team"')
        a.ok("SELECT team")
        b.send("i IDLE\r\n")
        self.assertTrue(b.line().startswith(b"+"))
        a.append("team", MSG)
        self.assertEqual(b.line(), b"* 1 EXISTS\r\n")
        b.line()   # RECENT
        a.ok("STORE 1 +FLAGS (\\Flagged)")
        ln = b.line()
        self.assertIn(b"FETCH (FLAGS (", ln)
        self.assertIn(b"\\Flagged", ln)
        b.send("DONE\r\n")
        b.collect("i")
        # bob may not delete or expunge: no t, e, x rights
        _, t = b.cmd("STORE 1 +FLAGS (\\Deleted)")
        self.assertIn("NO", t)
        _, t = b.cmd('DELETE "Other Users/alice/team"')
        self.assertIn("NO [NOPERM]", t)
        _, t = b.cmd('SETACL "Other Users/alice/team" carol lr')
        self.assertIn("NO [NOPERM]", t)
        # bob may append (i)
        _, t = b.append('"Other Users/alice/team"', MSG)
        self.assertIn("OK", t)
        a.ok("DELETEACL team bob")
        c = self.conn("bob")
        _, t = c.cmd('SELECT "Other Users/alice/team"')
        self.assertIn("NO [NONEXISTENT]", t)

    def test_read_only_rights(self):
        a, c = self.conn("alice"), self.conn("carol")
        a.ok("CREATE ro")
        a.append("ro", MSG)
        a.ok("SETACL ro carol lr")
        _, t = c.cmd('SELECT "Other Users/alice/ro"')
        self.assertIn("[READ-ONLY]", t)
        _, t = c.cmd('APPEND "Other Users/alice/ro" {3}')
        self.assertIn("NO [NOPERM]", t)
        _, t = c.cmd('CREATE "Other Users/alice/ro/sub"')
        self.assertIn("NO [NOPERM]", t)
        u, _ = a.ok("LISTRIGHTS ro carol")
        self.assertEqual(u[0], '* LISTRIGHTS "ro" "carol" "" l r s w i p k x t e a')
        _, t = a.cmd("SETACL ro carol lrz")
        self.assertIn("BAD", t)

    def test_copy_needs_insert_and_fetch_seen_needs_s(self):
        a, c = self.conn("alice"), self.conn("carol")
        a.ok("CREATE lw")
        a.append("lw", MSG)
        a.ok("CREATE target")
        a.ok("SETACL lw carol lrw")     # read and write flags, but no 's'
        a.ok("SETACL target carol lr")  # may see the target, not insert
        c.ok('SELECT "Other Users/alice/lw"')
        u, _ = c.ok("FETCH 1 BODY[]")
        self.assertNotIn("\\Seen", "".join(u))
        u, _ = a.ok("STATUS lw (UNSEEN)")
        self.assertIn("UNSEEN 1", u[0])
        _, t = c.cmd('COPY 1 "Other Users/alice/target"')
        self.assertIn("NO [NOPERM]", t)
        _, t = c.cmd('MOVE 1 "Other Users/alice/target"')
        self.assertIn("NO", t)
        a.ok("SETACL target carol +i")
        c.ok('COPY 1 "Other Users/alice/target"')

    def test_insert_right_brings_no_flags(self):
        # RFC 4314 4: APPEND and COPY into a mailbox set only the flags the
        # user may set there ('s' \Seen, 't' \Deleted, 'w' the rest)
        a, b = self.conn("alice"), self.conn("bob")
        a.ok("CREATE drop1")
        a.ok("SETACL drop1 bob lri")
        _, t = b.append('"Other Users/alice/drop1"', MSG, flags="\\Seen \\Deleted \\Flagged kwB")
        self.assertIn("OK", t)
        b.ok("CREATE mine")
        b.append("mine", MSG, flags="\\Deleted \\Seen \\Answered kwC")
        b.ok("SELECT mine")
        b.ok('COPY 1 "Other Users/alice/drop1"')
        u, _ = a.ok("SELECT drop1")
        self.assertIn("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)", u)
        u, _ = a.ok("FETCH 1:2 FLAGS")
        self.assertEqual(u, ["* 1 FETCH (FLAGS (\\Recent))", "* 2 FETCH (FLAGS (\\Recent))"])
        a.ok("EXPUNGE")                       # nothing is \Deleted: both stay
        u, _ = a.ok("STATUS drop1 (MESSAGES)")
        self.assertIn("MESSAGES 2", u[0])
        a.ok("SETACL drop1 bob lrist")        # with 's' and 't' those two come along
        b.ok('COPY 1 "Other Users/alice/drop1"')
        a.ok("NOOP")
        u, _ = a.ok("FETCH 3 FLAGS")
        self.assertEqual(u, ["* 3 FETCH (FLAGS (\\Seen \\Deleted \\Recent))"])

    def test_permanentflags_follow_rights(self):
        a, b = self.conn("alice"), self.conn("bob")
        a.ok("CREATE pf1")
        a.ok("SETACL pf1 bob lrs")
        u, _ = b.ok('SELECT "Other Users/alice/pf1"')
        self.assertIn("* OK [PERMANENTFLAGS (\\Seen)] Flags permitted", u)
        a.ok("SETACL pf1 bob lrstw")
        u, _ = b.ok('SELECT "Other Users/alice/pf1"')
        self.assertIn("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] "
                      "Flags permitted", u)

    def test_percent_browses_down_to_others_mailboxes(self):
        # RFC 3501 6.3.8/6.3.9, RFC 4314 4: the levels above a mailbox one
        # may list are reachable with "%", as \Noselect, even when they are
        # no mailbox (the namespace, the owner) or one not visible to us
        a, c = self.conn("alice"), self.conn("carol")
        a.ok("CREATE deep1/inner")
        a.ok("SETACL deep1/inner carol lr")   # not deep1 itself
        names = lambda u: [x.split('"/" ', 1)[1] for x in u]
        u, _ = c.ok('LIST "" "%"')
        self.assertIn('* LIST (\\Noselect \\HasChildren) "/" "Other Users"', u)
        u, _ = c.ok('LIST "" "Other Users/%"')
        self.assertIn('* LIST (\\Noselect \\HasChildren) "/" "Other Users/alice"', u)
        self.assertEqual(len(names(u)), len(set(names(u))), u)   # each level once
        u, _ = c.ok('LIST "" "Other Users/alice/%"')
        self.assertIn('* LIST (\\Noselect \\HasChildren) "/" "Other Users/alice/deep1"', u)
        u, _ = c.ok('LIST "" "Other Users/alice/deep1/%"')
        self.assertEqual(names(u), ['"Other Users/alice/deep1/inner"'])
        c.ok('SUBSCRIBE "Other Users/alice/deep1/inner"')
        u, _ = c.ok('LSUB "" "Other Users/%"')
        self.assertEqual(u, ['* LSUB (\\Noselect) "/" "Other Users/alice"'])
        u, _ = c.ok('LSUB "" "Other Users/*"')    # "*" reaches it: no parents
        self.assertEqual(u, ['* LSUB () "/" "Other Users/alice/deep1/inner"'])

    def test_refused_names_and_rights(self):
        a = self.conn("alice")
        for name in ("Shared", '"Other Users"'):   # namespace names (RFC 2342)
            _, t = a.cmd("CREATE %s" % name)
            self.assertTrue(t.split()[1] == "NO" and "namespace" in t, t)
        a.ok("CREATE neg1")
        _, t = a.cmd("SETACL neg1 -bob r")   # negative rights are not enforced: refused
        self.assertTrue(t.split()[1] == "NO" and "[CANNOT]" in t, t)
        u, _ = a.ok("GETACL neg1")
        self.assertNotIn("-bob", u[0])

    def test_shared_namespace(self):
        a, b = self.conn("alice"), self.conn("bob")
        a.ok('CREATE "Shared/board"')
        u, _ = a.ok('MYRIGHTS "Shared/board"')
        self.assertIn("lrswipkxtea", u[0])
        _, t = b.cmd('SELECT "Shared/board"')
        self.assertIn("NO [NONEXISTENT]", t)
        a.ok('SETACL "Shared/board" anyone lr')
        _, t = b.cmd('SELECT "Shared/board"')
        self.assertIn("OK", t)


class Throttle(unittest.TestCase):
    def test_failures_delayed_success_clears_others_unaffected(self):
        srv = Server(users=[("alice", "pw"), ("bob", "pw")], allow_plaintext=True)
        srv.start()
        self.addCleanup(srv.stop)
        busy = Raw(srv.port)
        self.addCleanup(busy.close)
        busy.login("bob", "pw")
        c = Raw(srv.port)
        self.addCleanup(c.close)
        for _ in range(3):
            _, t = c.cmd("LOGIN alice wrong")
            self.assertIn("NO [AUTHENTICATIONFAILED]", t)
        # the next failure's answer is held back; meanwhile the other session answers
        tag = c.tag()
        c.send("%s LOGIN alice wrong\r\n" % tag)
        u, t = busy.cmd("NOOP")
        self.assertIn("OK", t)
        _, t = c.collect(tag)
        self.assertIn("NO [AUTHENTICATIONFAILED]", t)
        self.assertIn("answer delayed", srv.log_text())
        c.login("alice", "pw")
        c2 = Raw(srv.port)
        self.addCleanup(c2.close)
        _, t = c2.cmd("LOGIN alice wrong")
        self.assertIn("NO [AUTHENTICATIONFAILED]", t)


if __name__ == "__main__":
    unittest.main()
