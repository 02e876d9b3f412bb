"""Helpers shared by the IMAP core II integration tests (FETCH, STORE,
SEARCH, COPY/MOVE, EXPUNGE, updates)."""
import re
import unittest

from harness import Server
from rawimap import Raw


class OneServer(unittest.TestCase):
    """A test class whose tests share one server, started once."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server()
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()


def first_match(lines, pattern, group=1):
    """int of the group of the first line matching pattern, or None."""
    for ln in lines:
        m = re.match(pattern, ln)
        if m:
            return int(m.group(group))
    return None


def msg(i, subject=None, body=None, extra=b""):
    subject = subject if subject is not None else b"message %d" % i
    body = body if body is not None else b"body of message %d\r\n" % i
    return (b"From: Sender %d <s%d@example.org>\r\nTo: rcpt@example.org\r\n" % (i, i) +
            b"Subject: " + subject + b"\r\nDate: Tue, 3 Mar 2020 10:%02d:00 +0000\r\n" % (i % 60) +
            extra + b"\r\n" + body)


def connect(srv, mailbox=None, examine=False):
    c = Raw(srv.port, timeout=60)
    c.login()
    if mailbox:
        c.ok("%s %s" % ("EXAMINE" if examine else "SELECT", mailbox))
    return c


def fill(srv, mailbox, msgs, flags=""):
    """Create mailbox (if needed) and append msgs; returns their UIDs."""
    c = connect(srv)
    c.cmd("CREATE %s" % mailbox)
    uids = []
    for m in msgs:
        _, t = c.append(mailbox, m, flags=flags)
        uids.append(int(re.search(r"APPENDUID \d+ (\d+)", t).group(1)))
    c.close()
    return uids


def fetch_flags(lines):
    """{seq: (uid or None, set of flags but \\Recent)} from untagged FETCH lines."""
    out = {}
    for ln in lines:
        m = re.match(r"\* (\d+) FETCH \((.*)\)$", ln)
        if not m:
            continue
        uid = re.search(r"UID (\d+)", m.group(2))
        fl = re.search(r"FLAGS \(([^)]*)\)", m.group(2))
        out[int(m.group(1))] = (int(uid.group(1)) if uid else None,
                                set(fl.group(1).split()) - {"\\Recent"} if fl else None)
    return out


def expunges(lines):
    return [int(m.group(1)) for m in (re.match(r"\* (\d+) EXPUNGE$", ln) for ln in lines) if m]


def mailbox_view(srv, box):
    """{Subject: set of flags but \\Recent} of a mailbox (empty if it does
    not exist)."""
    c = connect(srv)
    try:
        _, t = c.cmd("SELECT %s" % box)
        if " OK " not in t:
            return {}
        # UID FETCH: "1:*" of an empty mailbox is BAD for sequence numbers
        u, _ = c.ok("UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    finally:
        c.close()
    out = {}
    for ln in u:
        m = re.search(r"Subject: (.*)", ln)
        if m:
            fl = re.search(r"FLAGS \(([^)]*)\)", ln).group(1).split()
            out[m.group(1).strip()] = set(fl) - {"\\Recent"}
    return out
