"""CONDSTORE and QRESYNC (RFC 7162).

CONDSTORE: HIGHESTMODSEQ on SELECT and in STATUS, the MODSEQ FETCH item,
FETCH (CHANGEDSINCE), STORE (UNCHANGEDSINCE) with [MODIFIED], MODSEQ in the
FETCH responses a CONDSTORE-aware client gets for its own and other sessions'
changes, and mod-sequences across a restart.

QRESYNC: VANISHED instead of EXPUNGE, SELECT (QRESYNC ...) with VANISHED
(EARLIER) and the changed flags, UID FETCH (CHANGEDSINCE n VANISHED)."""
import re
import unittest

from common_core2 import OneServer, connect, fetch_flags, fill, first_match, msg


def modseqs(lines):
    """{seq: modseq} from untagged FETCH lines."""
    out = {}
    for ln in lines:
        m = re.match(r"\* (\d+) FETCH \(.*MODSEQ \((\d+)\)", ln)
        if m:
            out[int(m.group(1))] = int(m.group(2))
    return out


def hms(lines):
    return first_match(lines, r"\* OK \[HIGHESTMODSEQ (\d+)\]")


class CondStore(OneServer):
    def mailbox(self, name, n=5):
        uids = fill(self.srv, name, [msg(i) for i in range(1, n + 1)])
        return uids

    def test_select_and_status(self):
        self.mailbox("cs1")
        c = connect(self.srv)
        u, _ = c.ok("CAPABILITY")
        self.assertIn("CONDSTORE", u[0].split())
        u, _ = c.ok("SELECT cs1")
        h = hms(u)
        self.assertIsNotNone(h, u)   # on every SELECT, CONDSTORE or not
        u, _ = c.ok("STATUS cs1 (HIGHESTMODSEQ MESSAGES)")   # enables CONDSTORE
        self.assertEqual(u, ["* OK [HIGHESTMODSEQ %d] Highest" % h,
                             '* STATUS "cs1" (MESSAGES 5 HIGHESTMODSEQ %d)' % h])
        u, _ = c.ok("EXAMINE cs1 (CONDSTORE)")
        self.assertEqual(hms(u), h)
        _, t = c.cmd("SELECT cs1 (NOSUCHPARAM)")
        self.assertEqual(t.split()[1], "BAD", t)
        u, _ = c.ok("ENABLE CONDSTORE")
        self.assertEqual(u, ["* ENABLED"])   # EXAMINE (CONDSTORE) already enabled it
        c.close()
        c = connect(self.srv)
        u, _ = c.ok("ENABLE CONDSTORE")
        self.assertEqual(u, ["* ENABLED CONDSTORE"])
        c.close()

    def test_fetch_modseq_and_changedsince(self):
        self.mailbox("cs2")
        c = connect(self.srv)
        u, _ = c.ok("SELECT cs2")
        h0 = hms(u)
        u, _ = c.ok("FETCH 1:* (MODSEQ)")
        ms = modseqs(u)
        self.assertEqual(sorted(ms), [1, 2, 3, 4, 5])
        self.assertTrue(all(1 <= v <= h0 for v in ms.values()), (ms, h0))
        self.assertEqual(sorted(ms.values()), [ms[i] for i in range(1, 6)])   # appended in order
        # a change raises the message's modseq above the old HIGHESTMODSEQ
        u, _ = c.ok("STORE 2 +FLAGS (\\Seen)")
        self.assertRegex(u[0], r"^\* 2 FETCH \(UID \d+ MODSEQ \(\d+\) FLAGS \(\\Seen( \\Recent)?\)\)$")
        m2 = modseqs(u)[2]
        self.assertGreater(m2, h0)
        u, _ = c.ok("STATUS cs2 (HIGHESTMODSEQ)")
        self.assertIn("HIGHESTMODSEQ %d)" % m2, u[0])
        # CHANGEDSINCE: only what changed after it, with MODSEQ implied
        u, _ = c.ok("FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % h0)
        self.assertEqual(sorted(fetch_flags(u)), [2])
        self.assertEqual(modseqs(u), {2: m2})
        u, _ = c.ok("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % m2)
        self.assertEqual(u, [])
        u, _ = c.ok("FETCH 1:* (UID) (CHANGEDSINCE 0)")
        self.assertEqual(len(u), 5)
        _, t = c.cmd("FETCH 1:* (FLAGS) (VANISHEDX 3)")
        self.assertEqual(t.split()[1], "BAD", t)
        # a FETCH that sets \Seen reports the new MODSEQ with the flags
        u, _ = c.ok("FETCH 3 (BODY[TEXT])")
        self.assertTrue(re.search(r"FLAGS \(\\Seen( \\Recent)?\) MODSEQ \((\d+)\)\)$", u[-1]), u)
        c.close()

    def test_unchangedsince(self):
        self.mailbox("cs3")
        c = connect(self.srv)
        c.ok("SELECT cs3 (CONDSTORE)")
        u, _ = c.ok("FETCH 1:5 (MODSEQ)")
        before = modseqs(u)
        c.ok("STORE 1 +FLAGS (\\Answered)")   # message 1 now changed after before[1]
        u, t = c.ok("STORE 3,1,2 (UNCHANGEDSINCE %d) +FLAGS (\\Flagged)" % max(before.values()))
        self.assertIn("[MODIFIED 1]", t)
        self.assertEqual(sorted(fetch_flags(u)), [2, 3])
        # UNCHANGEDSINCE 0 fails everywhere (every modseq is >= 1): by UID
        uids = {s: v[0] for s, v in fetch_flags(c.ok("FETCH 1:5 (UID)")[0]).items()}
        u, t = c.ok("UID STORE 1:* (UNCHANGEDSINCE 0) -FLAGS (\\Flagged)")
        self.assertEqual(u, [])
        self.assertIn("[MODIFIED %d:%d]" % (uids[1], uids[5]), t)
        u, _ = c.ok("FETCH 2,3 (FLAGS)")
        self.assertTrue(all("\\Flagged" in f for _, f in fetch_flags(u).values()), u)
        # .SILENT still reports the new MODSEQ to a CONDSTORE client
        u, _ = c.ok("UID STORE %d +FLAGS.SILENT (\\Draft)" % uids[4])
        self.assertRegex(u[0], r"^\* 4 FETCH \(UID %d MODSEQ \(\d+\)\)$" % uids[4])
        _, t = c.cmd("STORE 1 (UNCHANGEDSINCE x) +FLAGS (\\Seen)")
        self.assertEqual(t.split()[1], "BAD", t)
        c.close()

    def test_modified_set_too_big(self):
        self.mailbox("cs6", 40)
        c = connect(self.srv, "cs6")
        odd = ",".join(str(i) for i in range(1, 41, 2))
        # 20 failures, none adjacent: more than a completion line lists
        u, t = c.cmd("STORE %s (UNCHANGEDSINCE 0) +FLAGS (\\Seen)" % odd)
        self.assertTrue(t.split()[1] == "NO" and "[LIMIT]" in t, t)
        # nothing was changed; the STORE enabled CONDSTORE (RFC 7162 3.1)
        self.assertEqual([ln for ln in u if "HIGHESTMODSEQ" not in ln], [])
        u, t = c.ok("STORE 1:40 (UNCHANGEDSINCE 0) +FLAGS (\\Seen)")   # one run: listed
        self.assertIn("[MODIFIED 1:40]", t)
        c.close()

    def test_other_sessions_changes(self):
        self.mailbox("cs4")
        aware = connect(self.srv)
        aware.ok("SELECT cs4")
        aware.ok("FETCH 1 (MODSEQ)")   # a CONDSTORE enabling command
        plain = connect(self.srv, "cs4")
        other = connect(self.srv, "cs4")
        u, _ = other.ok("STORE 4 +FLAGS (\\Flagged)")
        m4 = modseqs(u)
        u, _ = aware.ok("NOOP")
        self.assertEqual(len(u), 1, u)
        self.assertRegex(u[0], r"^\* 4 FETCH \(UID \d+ MODSEQ \(\d+\) FLAGS \(\\Flagged( \\Recent)?\)\)$")
        u, _ = plain.ok("NOOP")
        self.assertEqual(len(u), 1, u)
        self.assertRegex(u[0], r"^\* 4 FETCH \(FLAGS \(\\Flagged\)\)$")   # no MODSEQ
        self.assertEqual(m4, {})   # "other" never enabled CONDSTORE: no MODSEQ for it
        # SEARCH MODSEQ
        u, _ = aware.ok("SEARCH MODSEQ 1")
        self.assertRegex(u[0], r"^\* SEARCH 1 2 3 4 5 \(MODSEQ \d+\)$")
        for c in (aware, plain, other):
            c.close()

    def test_enabling_while_selected_gives_highestmodseq(self):
        # RFC 7162 3.1: a CONDSTORE enabling command with a mailbox selected
        self.mailbox("cs8", 2)
        c = connect(self.srv)
        h = hms(c.ok("SELECT cs8")[0])
        u, _ = c.ok("FETCH 1 (MODSEQ)")
        self.assertEqual(hms(u), h, u)
        self.assertEqual(u[0], "* OK [HIGHESTMODSEQ %d] Highest" % h)   # before the data
        u, _ = c.ok("FETCH 1 (MODSEQ)")
        self.assertIsNone(hms(u), u)          # once
        c.close()

    def test_esearch_modseq_of_returned_messages(self):
        # RFC 4731 3.2: MODSEQ is the highest of the messages returned: with
        # MIN or MAX alone, of that message; with ALL or COUNT, of all.
        self.mailbox("cs7", 3)
        c = connect(self.srv)
        c.ok("ENABLE CONDSTORE")
        c.ok("SELECT cs7")
        ms = {}
        for n in (1, 3, 2):
            u, _ = c.ok("STORE %d +FLAGS (\\Seen)" % n)
            ms.update(modseqs(u))
        self.assertLess(ms[1], ms[3])
        self.assertLess(ms[3], ms[2])
        for ret, want in (("MIN", ms[1]), ("MAX", ms[3]), ("MIN MAX", ms[3]),
                          ("COUNT", ms[2]), ("ALL", ms[2]), ("MIN COUNT", ms[2])):
            u, _ = c.ok("SEARCH RETURN (%s) 1:3 MODSEQ 1" % ret)
            self.assertEqual(first_match(u, r"\* ESEARCH .* MODSEQ (\d+)$"), want, (ret, u))
        c.close()

    def test_modseqs_survive_restart(self):
        self.mailbox("cs5", 3)
        c = connect(self.srv, "cs5")
        c.ok("STORE 2 +FLAGS (\\Seen)")
        u, _ = c.ok("FETCH 1:* (MODSEQ FLAGS)")
        before = modseqs(u)
        h = hms(c.ok("SELECT cs5")[0])
        c.close()
        self.srv.restart()
        c = connect(self.srv)
        self.assertEqual(hms(c.ok("SELECT cs5")[0]), h)
        self.assertEqual(modseqs(c.ok("FETCH 1:* (MODSEQ)")[0]), before)
        u, _ = c.ok("STORE 3 +FLAGS (\\Seen)")
        self.assertGreater(modseqs(u)[3], h)   # never reused after a restart
        c.close()


def vanished(lines, earlier):
    """The UIDs of VANISHED [(EARLIER)] lines, expanded."""
    out = []
    for ln in lines:
        m = re.match(r"\* VANISHED (\(EARLIER\) )?(\S+)$", ln)
        if not m or bool(m.group(1)) != earlier:
            continue
        for part in m.group(2).split(","):
            a, _, b = part.partition(":")
            out.extend(range(int(a), int(b or a) + 1))
    return out


class QResync(OneServer):
    def qr(self, mailbox=None):
        c = connect(self.srv)
        u, _ = c.ok("ENABLE QRESYNC")
        self.assertEqual(u, ["* ENABLED QRESYNC"])
        if mailbox:
            c.ok("SELECT %s" % mailbox)
        return c

    def test_vanished_instead_of_expunge(self):
        uids = fill(self.srv, "qr1", [msg(i) for i in range(1, 7)])
        c = self.qr("qr1")
        other = connect(self.srv, "qr1")
        other.ok("STORE 2,3,5 +FLAGS.SILENT (\\Deleted)")
        u, t = c.ok("EXPUNGE")
        self.assertEqual(sorted(vanished(u, False)), [uids[1], uids[2], uids[4]])
        self.assertIn("* VANISHED %d:%d" % (uids[1], uids[2]), u)   # consecutive UIDs: a range
        self.assertFalse([ln for ln in u if ln.endswith(" EXPUNGE")], u)
        self.assertRegex(t, r"OK \[HIGHESTMODSEQ \d+\]")
        u, _ = c.ok("FETCH 1:* (UID)")
        self.assertEqual(sorted(v[0] for v in fetch_flags(u).values()), [uids[0], uids[3], uids[5]])
        u, _ = other.ok("NOOP")   # the plain session still counts EXPUNGEs
        self.assertEqual(len([ln for ln in u if ln.endswith(" EXPUNGE")]), 3, u)
        other.close()
        c.close()

    def test_select_qresync(self):
        uids = fill(self.srv, "qr2", [msg(i) for i in range(1, 9)])
        c = connect(self.srv)
        u, _ = c.ok("SELECT qr2")
        uidv = int(re.search(r"UIDVALIDITY (\d+)", " ".join(u)).group(1))
        h = hms(u)
        c.ok("STORE 3 +FLAGS (\\Flagged)")
        c.ok("STORE 2,7 +FLAGS.SILENT (\\Deleted)")
        c.ok("EXPUNGE")
        c.close()
        # a client whose cache is as of h
        c = self.qr()
        u, t = c.ok("SELECT qr2 (QRESYNC (%d %d))" % (uidv, h))
        self.assertIn("[READ-WRITE]", t)
        gone = vanished(u, True)
        self.assertIn(uids[1], gone)
        self.assertIn(uids[6], gone)
        self.assertFalse(set(gone) & (set(uids) - {uids[1], uids[6]}), gone)   # never a live UID
        changed = [ln for ln in u if " FETCH " in ln]
        self.assertEqual(len(changed), 1, u)
        self.assertRegex(changed[0], r"^\* 2 FETCH \(UID %d FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$" % uids[2])
        # with known UIDs: only those are reported
        u, _ = c.ok("EXAMINE qr2 (QRESYNC (%d %d %d:%d))" % (uidv, h, uids[0], uids[2]))
        self.assertTrue(u[0].startswith("* OK [CLOSED]"), u)
        self.assertEqual(vanished(u, True), [uids[1]])
        self.assertEqual(len([ln for ln in u if " FETCH " in ln]), 1)
        # with seq-match data too (a hint the server may ignore)
        c.ok("EXAMINE qr2 (QRESYNC (%d %d 1:* (1:3 %d:%d)))" % (uidv, h, uids[0], uids[2]))
        # an up-to-date client, or another UIDVALIDITY: nothing extra
        u, _ = c.ok("SELECT qr2")
        h2 = hms(u)
        u, _ = c.ok("SELECT qr2 (QRESYNC (%d %d))" % (uidv, h2))
        self.assertFalse([ln for ln in u if "VANISHED" in ln or " FETCH " in ln], u)
        u, _ = c.ok("SELECT qr2 (QRESYNC (%d %d))" % (uidv + 1, 1))
        self.assertFalse([ln for ln in u if "VANISHED" in ln or " FETCH " in ln], u)
        for bad in ("SELECT qr2 (QRESYNC (%d))" % uidv, "SELECT qr2 (QRESYNC (0 5))",
                    "SELECT qr2 (QRESYNC (%d 0))" % uidv, "SELECT qr2 (QRESYNC)"):
            _, t = c.cmd(bad)
            self.assertEqual(t.split()[1], "BAD", (bad, t))
        c.close()
        # QRESYNC in SELECT needs ENABLE QRESYNC first
        c = connect(self.srv)
        _, t = c.cmd("SELECT qr2 (QRESYNC (%d %d))" % (uidv, h))
        self.assertEqual(t.split()[1], "BAD", t)
        c.close()

    def test_uid_fetch_vanished(self):
        uids = fill(self.srv, "qr3", [msg(i) for i in range(1, 6)])
        c = self.qr("qr3")
        h = hms(c.ok("SELECT qr3")[0])
        c.ok("UID STORE %d +FLAGS.SILENT (\\Deleted)" % uids[1])
        c.ok("UID EXPUNGE %d" % uids[1])
        c.ok("UID STORE %d +FLAGS (\\Seen)" % uids[3])
        u, _ = c.ok("UID FETCH %d:%d (FLAGS) (CHANGEDSINCE %d VANISHED)" % (uids[0], uids[4], h))
        self.assertEqual(vanished(u, True), [uids[1]])
        self.assertTrue(u[0].startswith("* VANISHED (EARLIER)"), u)   # before the FETCHes
        fetched = fetch_flags(u)
        self.assertEqual([v[0] for v in fetched.values()], [uids[3]])
        _, t = c.cmd("UID FETCH 1:* (FLAGS) (VANISHED)")   # VANISHED needs CHANGEDSINCE
        self.assertEqual(t.split()[1], "BAD", t)
        _, t = c.cmd("FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)")   # and UID FETCH
        self.assertEqual(t.split()[1], "BAD", t)
        c.close()
        c = connect(self.srv, "qr3")   # and ENABLE QRESYNC
        _, t = c.cmd("UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)")
        self.assertEqual(t.split()[1], "BAD", t)
        c.close()


if __name__ == "__main__":
    unittest.main()
