"""SEARCH semantics that test_search.py leaves out: dates compared in the
message's own zone (BEFORE/ON/SINCE on INTERNALDATE, SENT* on the Date:
header, RFC 3501 6.4.4 "disregarding time and timezone"), "n:*" UID ranges
past the last UID, charset names, CHARSET after ENABLE UTF8=ACCEPT (RFC 6855
erratum 4029), program limits, and ESEARCH without results."""
import re
import unittest

from harness import Server
from rawimap import Raw

# (message, INTERNALDATE, flags)
MSGS = [
    # 1: Date: 1 Jul 2003 (+0200); INTERNALDATE 17 Jul 1996 (-0700)
    (b"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\n"
     b"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus Berlin\r\n"
     b"Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n\r\nHello Bob,\r\nplain body here.\r\n",
     "17-Jul-1996 02:44:25 -0700", ""),
    # 2: Date: 29 Feb 2020 23:30 -0500 (1 Mar in UTC); INTERNALDATE 2 Mar
    #    01:00 +0200 (1 Mar in UTC); base64 body
    (b"From: Carol <carol@example.org>\r\nTo: alice@example.org\r\nCc: dave@example.org\r\n"
     b"Subject: Report\r\nDate: 29 Feb 2020 23:30:00 -0500\r\nX-Spam: yes\r\n"
     b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
     b"Content-Transfer-Encoding: base64\r\n\r\nU2VjcmV0IHBheWxvYWQgd29yZHM=\r\n",
     "02-Mar-2020 01:00:00 +0200", "\\Flagged $Forwarded"),
    # 3: quoted-printable body with a soft line break, > 1000 bytes
    (b"From: Eve <eve@example.org>\r\nSubject: quoted\r\n"
     b"Date: Sun, 1 Mar 2020 00:10:00 +0000\r\nMIME-Version: 1.0\r\n"
     b"Content-Type: text/plain; charset=utf-8\r\n"
     b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
     b"soft=\r\nbreak and caf=C3=A9\r\n" + b"x" * 5000 + b"\r\n",
     "01-Mar-2020 12:00:00 +0000", "\\Seen"),
]


class SearchSemantics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(users=[("alice", "pw")], allow_plaintext=True)
        cls.srv.start()
        c = Raw(cls.srv.port)
        c.login()
        c.ok("CREATE searchbox")
        for msg, date, flags in MSGS:
            tag = c.tag()
            fl = "(%s) " % flags if flags else ""
            c.send(b'%s APPEND searchbox %s"%s" {%d+}\r\n' % (
                tag.encode(), fl.encode(), date.encode(), len(msg)) + msg + b"\r\n")
            _, t = c.collect(tag)
            assert " OK " in t, t
        c.close()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def setUp(self):
        self.c = Raw(self.srv.port)
        self.addCleanup(self.c.close)
        self.c.login()
        self.c.ok("SELECT searchbox")

    def search(self, args):
        """Sequence numbers found by SEARCH args (a str or bytes)."""
        if isinstance(args, str):
            args = args.encode()
        tag = self.c.tag()
        self.c.send(tag.encode() + b" SEARCH " + args + b"\r\n")
        u, t = self.c.collect(tag)
        self.assertIn(" OK ", t, args)
        hits = [x for x in u if x.startswith("* SEARCH")]
        self.assertEqual(len(hits), 1, u)
        return [int(n) for n in hits[0].split()[2:]]

    def test_uid_search(self):
        u, _ = self.c.ok("FETCH 1:* (UID)")
        uids = [int(re.search(r"UID (\d+)", x).group(1)) for x in u]
        u, _ = self.c.ok("UID SEARCH UID %d:*" % uids[1])
        self.assertEqual([int(n) for n in u[0].split()[2:]], uids[1:])
        u, _ = self.c.ok("UID SEARCH UID 4000000000:*")   # n:* includes the last UID
        self.assertEqual([int(n) for n in u[0].split()[2:]], [uids[-1]])

    def test_internaldate_in_its_own_zone(self):
        # message 2 arrived at 01:00 +0200 on 2 March (1 March in UTC)
        self.assertEqual(self.search("ON 2-Mar-2020"), [2])
        self.assertEqual(self.search("ON 1-Mar-2020"), [3])
        self.assertEqual(self.search("BEFORE 1-Jan-2000"), [1])
        self.assertEqual(self.search("SINCE 1-Mar-2020"), [2, 3])
        self.assertEqual(self.search("SINCE 2-Mar-2020"), [2])
        self.assertEqual(self.search('BEFORE "2-Mar-2020"'), [1, 3])

    def test_sent_dates_from_date_header(self):
        # message 2 was sent 29 Feb 2020 23:30 -0500 (1 March in UTC)
        self.assertEqual(self.search("SENTON 29-Feb-2020"), [2])
        self.assertEqual(self.search("SENTON 1-Mar-2020"), [3])
        self.assertEqual(self.search("SENTBEFORE 1-Jan-2004"), [1])
        self.assertEqual(self.search("SENTSINCE 1-Mar-2020"), [3])
        self.assertEqual(self.search("SENTSINCE 29-Feb-2020"), [2, 3])

    def test_charsets(self):
        self.assertEqual(self.search("CHARSET US-ASCII FROM eve"), [3])
        self.assertEqual(self.search('CHARSET "utf-8" FROM eve'), [3])
        _, t = self.c.cmd("SEARCH CHARSET KOI8-R FROM eve")
        self.assertIn(" NO [BADCHARSET", t)
        self.assertIn("UTF-8", t)

    def test_esearch(self):
        u, _ = self.c.ok("SEARCH RETURN (MIN MAX COUNT ALL) ALL")
        self.assertEqual(len(u), 1, u)
        self.assertRegex(u[0], r'^\* ESEARCH \(TAG "t\d+"\)')
        items = u[0].split(")", 1)[1].split()
        d = dict(zip(items[0::2], items[1::2]))
        self.assertEqual(d, {"MIN": "1", "MAX": "3", "COUNT": "3", "ALL": "1:3"})
        u, _ = self.c.ok("SEARCH RETURN (COUNT ALL) BODY nothing-like-this")
        self.assertTrue(u[0].endswith(" COUNT 0"), u)
        self.assertNotIn(" ALL", u[0])
        u, _ = self.c.ok("UID SEARCH RETURN (COUNT) ALL")
        self.assertRegex(u[0], r'\) UID COUNT 3$')

    def test_errors(self):
        for bad in ("FOO", "NOT", "OR SEEN", "(SEEN", "SEEN)", "BEFORE 32-Jan-2020",
                    "LARGER x", "UID x", "HEADER", "SEEN  FLAGGED", "RETURN (BOGUS) ALL"):
            _, t = self.c.cmd("SEARCH " + bad)
            self.assertRegex(t, r"^t\d+ BAD ", bad)
        # bounded programs: too many keys, too deep, too many text keys
        for big in (" ".join(["SEEN"] * 100), "NOT " * 40 + "SEEN",
                    " ".join("BODY w%d" % i for i in range(20))):
            _, t = self.c.cmd("SEARCH " + big)
            self.assertRegex(t, r"^t\d+ NO \[LIMIT\] ", big[:20])
        # the session still works
        self.assertEqual(self.search("ALL"), [1, 2, 3])

    def test_utf8_accept_rejects_charset(self):
        self.c.ok("ENABLE UTF8=ACCEPT")
        _, t = self.c.cmd("SEARCH CHARSET UTF-8 ALL")
        self.assertRegex(t, r"^t\d+ BAD ")
        tag = self.c.tag()
        self.c.send(('%s SEARCH SUBJECT "grüße"\r\n' % tag).encode())
        u, t = self.c.collect(tag)
        self.assertIn(" OK ", t)
        self.assertEqual(u, ["* SEARCH 1"])


if __name__ == "__main__":
    unittest.main()
