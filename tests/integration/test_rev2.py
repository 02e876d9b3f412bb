"""IMAP4rev2 (RFC 9051) behaviour after ENABLE IMAP4rev2, and what a server
offering it owes every client: SEARCHRES (RFC 5182, '$' in every command that
takes a set), STATUS SIZE (RFC 8438) and DELETED, OK [CLOSED] on a reselect."""
import re
import unittest

from common_core2 import OneServer, connect, fetch_flags, fill, msg

N = 8   # messages in "r2"


def esearch(lines):
    return [ln for ln in lines if ln.startswith("* ESEARCH")]


def fetched_uids(lines):
    return sorted(v[0] for v in fetch_flags(lines).values())


class Rev2(OneServer):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.msgs = [msg(i) for i in range(1, N + 1)]
        cls.uids = fill(cls.srv, "r2", cls.msgs)
        c = connect(cls.srv, "r2")
        c.ok("STORE 2,3,5 +FLAGS (\\Seen)")
        c.ok("STORE 4,6 +FLAGS (\\Deleted)")
        c.close()

    def rev2(self, mailbox=None):
        c = connect(self.srv)
        u, _ = c.ok("ENABLE IMAP4rev2")
        self.assertIn("* ENABLED IMAP4rev2", u)
        if mailbox:
            c.ok("SELECT %s" % mailbox)
        return c

    def test_capabilities(self):
        c = connect(self.srv)
        u, _ = c.ok("CAPABILITY")
        caps = u[0].split()
        for cap in ("IMAP4rev1", "IMAP4rev2", "SEARCHRES", "STATUS=SIZE", "ESEARCH", "ENABLE"):
            self.assertIn(cap, caps)
        c.close()

    def test_enable_once(self):
        c = self.rev2()
        u, _ = c.ok("ENABLE IMAP4rev2 UTF8=ACCEPT")
        self.assertEqual(u, ["* ENABLED UTF8=ACCEPT"])   # rev2 is not reported twice
        c.close()

    def test_select(self):
        c = self.rev2()
        u, t = c.ok("SELECT r2")
        self.assertIn("* %d EXISTS" % N, u)
        self.assertIn('* LIST () "/" "r2"', u)
        self.assertFalse([ln for ln in u if "RECENT" in ln or "[UNSEEN" in ln], u)
        for code in ("PERMANENTFLAGS", "UIDVALIDITY", "UIDNEXT"):
            self.assertTrue([ln for ln in u if ln.startswith("* OK [%s " % code)], code)
        self.assertTrue([ln for ln in u if ln.startswith("* FLAGS (")])
        self.assertIn("[READ-WRITE]", t)
        # a second SELECT first closes the first mailbox, and says so
        u, _ = c.ok("EXAMINE INBOX")
        self.assertTrue(u[0].startswith("* OK [CLOSED]"), u)
        self.assertIn('* LIST () "/" "INBOX"', u)
        c.close()

    def test_rev1_select_unchanged(self):
        c = connect(self.srv)
        u, _ = c.ok("SELECT r2")
        self.assertTrue([ln for ln in u if re.match(r"\* \d+ RECENT$", ln)], u)
        self.assertTrue([ln for ln in u if ln.startswith("* OK [UNSEEN 1]")], u)
        self.assertFalse([ln for ln in u if ln.startswith("* LIST")], u)
        u, _ = c.ok("SELECT INBOX")
        self.assertTrue(u[0].startswith("* OK [CLOSED]"), u)   # owed to every client
        c.close()

    def test_search_is_esearch(self):
        c = self.rev2("r2")
        tag = c.tag()
        u, _ = c.cmd("SEARCH SEEN", tag=tag)
        self.assertEqual(u, ['* ESEARCH (TAG "%s") ALL 2:3,5' % tag])
        tag = c.tag()
        u, _ = c.cmd("UID SEARCH DELETED", tag=tag)
        self.assertEqual(u, ['* ESEARCH (TAG "%s") UID ALL %d,%d' % (tag, self.uids[3], self.uids[5])])
        tag = c.tag()
        u, _ = c.cmd("SEARCH SUBJECT nothing-like-this", tag=tag)
        self.assertEqual(u, ['* ESEARCH (TAG "%s")' % tag])
        tag = c.tag()
        u, _ = c.cmd("SEARCH RETURN (COUNT) SEEN", tag=tag)
        self.assertEqual(u, ['* ESEARCH (TAG "%s") COUNT 3' % tag])
        # CHARSET stays legal in IMAP4rev2 (it is UTF8=ACCEPT that forbids it)
        c.ok("SEARCH CHARSET UTF-8 ALL")
        c.close()
        # a rev1 session still gets SEARCH
        c = connect(self.srv, "r2", examine=True)
        u, _ = c.ok("SEARCH SEEN")
        self.assertEqual(u, ["* SEARCH 2 3 5"])
        c.close()

    def test_no_recent(self):
        c = self.rev2("r2")
        u, _ = c.ok("FETCH 1:* (FLAGS)")
        self.assertFalse([ln for ln in u if "\\Recent" in ln], u)
        other = connect(self.srv)
        other.append("r2", msg(99))
        other.close()
        u, _ = c.ok("NOOP")
        self.assertIn("* %d EXISTS" % (N + 1), u)
        self.assertFalse([ln for ln in u if "RECENT" in ln], u)
        u, _ = c.ok("FETCH %d (FLAGS)" % (N + 1))
        self.assertFalse([ln for ln in u if "\\Recent" in ln], u)
        u, _ = c.ok("UID SEARCH %d" % (N + 1))
        c.ok("UID STORE %s +FLAGS.SILENT (\\Deleted)" % u[0].split()[-1])
        c.ok("UID EXPUNGE %s" % u[0].split()[-1])
        c.close()

    def test_utf8_names(self):
        c = self.rev2()
        name = "Gr\u00fc\u00dfe"
        c.ok('CREATE "%s"' % name)
        u, _ = c.ok('LIST "" "Gr*"')
        self.assertEqual(len(u), 1)
        self.assertTrue(u[0].endswith('"/" "%s"' % name), u)
        u, _ = c.ok('SELECT "%s"' % name)
        self.assertIn('* LIST () "/" "%s"' % name, u)
        old = connect(self.srv)   # IMAP4rev1: modified UTF-7
        u, _ = old.ok('LIST "" "Gr*"')
        self.assertEqual(len(u), 1)
        self.assertTrue(re.search(r'"/" "?Gr&APwA3w-e"?$', u[0]), u)
        old.close()
        c.ok("UNSELECT")
        c.ok('DELETE "%s"' % name)
        c.close()

    def test_status_size_deleted(self):
        c = connect(self.srv)
        u, _ = c.ok("STATUS r2 (MESSAGES SIZE DELETED UNSEEN)")
        size = sum(len(m) for m in self.msgs)
        self.assertEqual(u, ['* STATUS "r2" (MESSAGES %d UNSEEN %d SIZE %d DELETED 2)' % (N, N - 3, size)])
        u, _ = c.ok('LIST "" r2 RETURN (STATUS (DELETED SIZE))')
        self.assertIn('* STATUS "r2" (SIZE %d DELETED 2)' % size, u)
        _, t = c.cmd("STATUS r2 (MESSAGES BOGUS)")
        self.assertTrue(t.split()[1] == "BAD", t)
        c.close()


class SearchRes(OneServer):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.uids = fill(cls.srv, "sr", [msg(i) for i in range(1, N + 1)])
        c = connect(cls.srv, "sr")
        c.ok("STORE 2,3,5,8 +FLAGS (\\Seen)")
        c.close()

    def uid(self, seq):
        return self.uids[seq - 1]

    def test_save_alone_then_fetch(self):
        c = connect(self.srv, "sr")
        u, _ = c.ok("SEARCH RETURN (SAVE) SEEN")
        self.assertEqual(u, [])   # SAVE alone: no ESEARCH (RFC 5182 2.1)
        u, _ = c.ok("FETCH $ (FLAGS)")
        self.assertEqual(sorted(fetch_flags(u)), [2, 3, 5, 8])
        u, _ = c.ok("UID FETCH $ (FLAGS)")
        self.assertEqual(fetched_uids(u), [self.uid(i) for i in (2, 3, 5, 8)])
        # '$' as a search key, alone and negated
        u, _ = c.ok("SEARCH $")
        self.assertEqual(u, ["* SEARCH 2 3 5 8"])
        u, _ = c.ok("UID SEARCH NOT $")
        self.assertEqual(u, ["* SEARCH " + " ".join(str(self.uid(i)) for i in (1, 4, 6, 7))])
        c.close()

    def test_save_with_results_and_min_max(self):
        c = connect(self.srv, "sr")
        tag = c.tag()
        u, _ = c.cmd("UID SEARCH RETURN (SAVE ALL) SEEN", tag=tag)
        self.assertEqual(len(esearch(u)), 1)
        u, _ = c.ok("FETCH $ (UID)")
        self.assertEqual(sorted(fetch_flags(u)), [2, 3, 5, 8])
        # MIN/MAX without ALL or COUNT: only those are saved
        u, _ = c.ok("SEARCH RETURN (MIN MAX SAVE) SEEN")
        self.assertTrue(esearch(u)[0].endswith("MIN 2 MAX 8"), u)
        u, _ = c.ok("FETCH $ (UID)")
        self.assertEqual(sorted(fetch_flags(u)), [2, 8])
        u, _ = c.ok("SEARCH RETURN (SAVE MIN) UNSEEN")
        u, _ = c.ok("FETCH $ (UID)")
        self.assertEqual(sorted(fetch_flags(u)), [1])
        # COUNT with SAVE saves everything
        c.ok("SEARCH RETURN (SAVE COUNT) UNSEEN")
        u, _ = c.ok("FETCH $ (UID)")
        self.assertEqual(sorted(fetch_flags(u)), [1, 4, 6, 7])
        # no match: '$' is empty, commands on it succeed and do nothing
        c.ok("SEARCH RETURN (SAVE) SUBJECT no-such-subject")
        u, _ = c.ok("FETCH $ (UID)")
        self.assertEqual(u, [])
        c.close()

    def test_failed_save_and_reselect_empty_it(self):
        c = connect(self.srv, "sr")
        c.ok("SEARCH RETURN (SAVE) ALL")
        _, t = c.cmd("SEARCH RETURN (SAVE) FROBNICATE")
        self.assertEqual(t.split()[1], "BAD", t)
        u, _ = c.ok("FETCH $ (UID)")
        self.assertEqual(u, [])
        c.ok("SEARCH RETURN (SAVE) ALL")
        c.ok("SELECT sr")
        u, _ = c.ok("FETCH $ (UID)")
        self.assertEqual(u, [])
        c.close()

    def test_pipelined_save_and_use(self):
        c = connect(self.srv, "sr")
        t1, t2 = c.tag(), c.tag()
        c.send("%s SEARCH RETURN (SAVE) SEEN\r\n%s FETCH $ (UID)\r\n" % (t1, t2))
        u1, r1 = c.collect(t1)
        u2, r2 = c.collect(t2)
        self.assertTrue(r1.startswith(t1 + " OK") and r2.startswith(t2 + " OK"), (r1, r2))
        self.assertEqual(sorted(fetch_flags(u2)), [2, 3, 5, 8])
        c.close()

    def test_store_copy_move_expunge_on_dollar(self):
        fill(self.srv, "sr2", [msg(i) for i in range(1, 7)])
        c = connect(self.srv, "sr2")
        c.cmd("CREATE sr2dst")
        c.ok("SEARCH RETURN (SAVE) 2:4")
        u, _ = c.ok("STORE $ +FLAGS (\\Flagged)")
        self.assertEqual(sorted(fetch_flags(u)), [2, 3, 4])
        _, t = c.ok("COPY $ sr2dst")
        self.assertIn("[COPYUID ", t)
        # another session expunges message 3: it leaves '$' (RFC 5182 2.1)
        other = connect(self.srv, "sr2")
        other.ok("STORE 3 +FLAGS.SILENT (\\Deleted)")
        other.ok("EXPUNGE")
        other.close()
        c.ok("NOOP")
        u, _ = c.ok("FETCH $ (UID)")
        self.assertEqual(sorted(fetch_flags(u)), [2, 3])   # old 2 and 4
        # UID EXPUNGE $ removes exactly the saved messages with \Deleted
        c.ok("STORE 1:* +FLAGS.SILENT (\\Deleted)")
        u, _ = c.ok("UID EXPUNGE $")
        self.assertEqual(len([x for x in u if x.endswith(" EXPUNGE")]), 2, u)
        u, _ = c.ok("FETCH 1:* (FLAGS)")
        self.assertEqual(len(fetch_flags(u)), 3)
        c.ok("STORE 1:* -FLAGS.SILENT (\\Deleted)")
        c.ok("SEARCH RETURN (SAVE) 1")
        u, t = c.ok("MOVE $ sr2dst")
        self.assertTrue([x for x in u + [t] if "[COPYUID " in x], (u, t))
        u, _ = c.ok("STATUS sr2dst (MESSAGES)")
        self.assertEqual(u, ['* STATUS "sr2dst" (MESSAGES 4)'])
        c.close()

    def test_too_many_ranges(self):
        n = 40
        fill(self.srv, "sr3", [msg(i) for i in range(1, n + 1)])
        c = connect(self.srv, "sr3")
        c.ok("STORE %s +FLAGS.SILENT (\\Flagged)" % ",".join(str(i) for i in range(1, n + 1, 2)))
        c.ok("SEARCH RETURN (SAVE) 1:4")
        # 20 runs of one message each: more than the 16 a session keeps
        _, t = c.cmd("SEARCH RETURN (SAVE) FLAGGED")
        self.assertTrue(t.split()[1] == "NO" and "[LIMIT]" in t, t)
        u, _ = c.ok("FETCH $ (UID)")
        self.assertEqual(u, [])   # emptied, as after any failed SAVE
        # the same messages as few ranges are fine
        c.ok("SEARCH RETURN (SAVE) 1:10,20:30 FLAGGED")   # 10 runs
        u, _ = c.ok("FETCH $ (UID)")
        self.assertEqual(sorted(fetch_flags(u)), [1, 3, 5, 7, 9, 21, 23, 25, 27, 29])
        c.close()


if __name__ == "__main__":
    unittest.main()
