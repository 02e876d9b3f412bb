"""SEARCH / UID SEARCH (RFC 3501 6.4.4) and ESEARCH (RFC 4731): flag, date,
size, sequence and UID keys, NOT/OR/parentheses, header fields with RFC 2047,
bodies through quoted-printable and base64, CHARSET, errors."""
import base64
import unittest

from common_core2 import connect, fill, msg
from harness import Server

QP = (b"From: qp@example.org\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\r\n"
      b"Date: Wed, 1 Jan 2020 12:00:00 +0000\r\nMIME-Version: 1.0\r\n"
      b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
      b"X-Custom: Needle-In-Header\r\n\r\nDie Stra=C3=9Fe ist lang=\r\nweilig und breit\r\n")
B64 = (b"From: =?ISO-8859-1?B?SvxyZ2Vu?= <j@example.org>\r\nSubject: attachment\r\n"
       b"Date: Thu, 2 Jan 2020 12:00:00 +0000\r\nMIME-Version: 1.0\r\n"
       b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\n"
       b"see the attachment\r\n--zz\r\nContent-Type: application/octet-stream\r\n"
       b"Content-Transfer-Encoding: base64\r\n\r\n" +
       base64.encodebytes(b"secret payload " * 20 + b"hidden-word-xyzzy").replace(b"\n", b"\r\n") +
       b"--zz--\r\n")


def lit(text):
    """A non-synchronising literal (LITERAL+) of text's UTF-8 bytes."""
    return "{%d+}\r\n%s" % (len(text.encode()), text)


LATIN1 = (b"From: l@example.org\r\nSubject: latin\r\nDate: Fri, 3 Jan 2020 12:00:00 +0000\r\n"
          b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"ISO-8859-1\"\r\n"
          b"Content-Transfer-Encoding: 8bit\r\n\r\nGr\xfc\xdfe aus M\xfcnchen\r\n")


class Search(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server()
        cls.srv.start()
        msgs = [msg(i) for i in range(1, 6)] + [QP, B64, msg(8, body=b"x" * 5000 + b"\r\n"),
                                                 LATIN1]
        fill(cls.srv, "s", msgs)
        c = connect(cls.srv, "s")
        c.ok("STORE 1,3 +FLAGS (\\Seen)")
        c.ok("STORE 2 +FLAGS (\\Flagged \\Answered)")
        c.ok("STORE 4 +FLAGS (\\Deleted $Work)")
        c.ok("STORE 5 +FLAGS (\\Draft)")
        c.close()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def setUp(self):
        self.c = connect(self.srv, "s")
        self.addCleanup(self.c.close)

    def search(self, query, uid=False):
        u, t = self.c.ok(("UID SEARCH " if uid else "SEARCH ") + query)
        lines = [x for x in u if x.startswith("* SEARCH")]
        self.assertEqual(len(lines), 1, u)
        return [int(x) for x in lines[0].split()[2:]]

    def test_flags(self):
        self.assertEqual(self.search("SEEN"), [1, 3])
        self.assertEqual(self.search("UNSEEN"), [2, 4, 5, 6, 7, 8, 9])
        self.assertEqual(self.search("FLAGGED ANSWERED"), [2])
        self.assertEqual(self.search("DELETED"), [4])
        self.assertEqual(self.search("UNDELETED DRAFT"), [5])
        self.assertEqual(self.search("KEYWORD $Work"), [4])
        self.assertEqual(self.search("KEYWORD $Nope"), [])
        self.assertEqual(self.search("UNKEYWORD $Work"), [1, 2, 3, 5, 6, 7, 8, 9])
        self.assertEqual(self.search("ALL"), list(range(1, 10)))

    def test_logic_and_sets(self):
        self.assertEqual(self.search("OR SEEN FLAGGED"), [1, 2, 3])
        self.assertEqual(self.search("NOT SEEN NOT DELETED 1:5"), [2, 5])
        self.assertEqual(self.search("(OR 1 2) (OR 2 3)"), [2])
        self.assertEqual(self.search("2:4,7:*"), [2, 3, 4, 7, 8, 9])
        self.assertEqual(self.search("UID 2:3"), [2, 3])
        self.assertEqual(self.search("SEEN", uid=True), [1, 3])
        self.assertEqual(self.search("*"), [9])

    def test_size_and_dates(self):
        self.assertEqual(self.search("LARGER 4000"), [8])
        self.assertEqual(self.search("SMALLER 200"), [1, 2, 3, 4, 5, 9])
        self.assertEqual(self.search("SENTON 1-Jan-2020"), [6])
        self.assertEqual(self.search("SENTSINCE 2-Jan-2020"), [1, 2, 3, 4, 5, 7, 8, 9])
        self.assertEqual(self.search("SENTON 3-Mar-2020"), [1, 2, 3, 4, 5, 8])
        self.assertEqual(self.search("SENTBEFORE 2-Jan-2020"), [6])
        self.assertEqual(self.search("SINCE 1-Jan-2000"), list(range(1, 10)))
        self.assertEqual(self.search("BEFORE 1-Jan-2000"), [])

    def test_header_text(self):
        self.assertEqual(self.search("SUBJECT \"message 3\""), [3])
        self.assertEqual(self.search("FROM s2@example"), [2])
        self.assertEqual(self.search("TO RCPT@example.org"), [1, 2, 3, 4, 5, 8])
        self.assertEqual(self.search("HEADER X-Custom needle-in"), [6])
        self.assertEqual(self.search("HEADER X-Custom \"\""), [6])   # field present
        # RFC 2047 decoded, case-insensitive
        self.assertEqual(self.search("CHARSET UTF-8 SUBJECT " + lit("köln")), [6])
        self.assertEqual(self.search("CHARSET UTF-8 FROM " + lit("JÜRGEN")), [7])

    def test_latin1_body_converted_in_pieces(self):
        # A Latin-1 body is compared as UTF-8, converted a piece at a time:
        # needles across the seams of the pieces are found (every non-ASCII
        # byte doubles, so no piece boundary falls on a character's bytes).
        head = LATIN1.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
        body = b"\xfc" * 125 + b"M\xfcnchen " + b"\xe9" * 600 + b" Z\xfcrich\r\n"
        fill(self.srv, "latin2", [head + body])
        c = connect(self.srv, "latin2")
        self.addCleanup(c.close)
        for word in ("MÜNCHEN", "zürich", "éé zü"):
            u, _ = c.ok("SEARCH CHARSET UTF-8 BODY " + lit(word))
            self.assertIn("* SEARCH 1", u, word)
        u, _ = c.ok("SEARCH CHARSET UTF-8 BODY " + lit("üM"))
        self.assertIn("* SEARCH 1", u)

    def test_body_text(self):
        self.assertEqual(self.search("BODY langweilig"), [6])      # QP soft break
        self.assertEqual(self.search("CHARSET UTF-8 BODY " + lit("straße")), [6])
        self.assertEqual(self.search("BODY hidden-word-xyzzy"), [7])  # inside base64
        self.assertEqual(self.search("CHARSET UTF-8 BODY " + lit("MÜNCHEN")), [9])  # Latin-1
        self.assertEqual(self.search("BODY Subject"), [])           # not the header
        self.assertEqual(self.search("TEXT \"Subject: message 4\""), [4])
        self.assertEqual(self.search("TEXT xyzzy"), [7])
        self.assertEqual(self.search("NOT BODY body"), [6, 7, 8, 9])

    def test_esearch(self):
        u, _ = self.c.ok("SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN")
        self.assertEqual(len(u), 1)
        r = u[0]
        self.assertTrue(r.startswith('* ESEARCH (TAG "'), r)
        self.assertIn(" MIN 2", r)
        self.assertIn(" MAX 9", r)
        self.assertIn(" COUNT 7", r)
        self.assertIn(" ALL 2,4:9", r)
        u, _ = self.c.ok("UID SEARCH RETURN (COUNT) DELETED")
        self.assertRegex(u[0], r'^\* ESEARCH \(TAG "[^"]+"\) UID COUNT 1$')
        u, _ = self.c.ok("SEARCH RETURN () SEEN")
        self.assertTrue(u[0].endswith(" ALL 1,3"), u)
        u, _ = self.c.ok("SEARCH RETURN (MIN MAX ALL) KEYWORD $Nope")
        self.assertRegex(u[0], r'^\* ESEARCH \(TAG "[^"]+"\)$')   # nothing: no items

    def test_errors(self):
        _, t = self.c.cmd("SEARCH CHARSET KOI8-R BODY x")
        self.assertIn("NO [BADCHARSET (US-ASCII UTF-8)]", t)
        for bad in ("SEARCH", "SEARCH BOGUS", "SEARCH (SEEN", "SEARCH BEFORE notadate",
                    "SEARCH OR SEEN", "SEARCH LARGER x"):
            _, t = self.c.cmd(bad)
            self.assertIn(" BAD ", t, bad)


if __name__ == "__main__":
    unittest.main()
