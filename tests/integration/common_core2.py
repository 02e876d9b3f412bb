"""Helpers shared by the IMAP core II integration tests (FETCH, STORE,
SEARCH, COPY/MOVE, EXPUNGE, updates)."""
import re

from rawimap import Raw


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
