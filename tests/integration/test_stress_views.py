"""Many sessions on one mailbox, random commands, every response checked
against a model of what each session was told (RFC 3501 5.2, 7.4.1, 7.4.2;
RFC 9051 7.5.1):

- EXISTS never shrinks the mailbox, EXPUNGE and FETCH name a message the
  session knows, a sequence number keeps its UID, and UIDs rise with
  sequence numbers;
- a UID always has the same size and Subject (the content of every APPEND
  and COPY is recorded);
- a FETCH shows no keyword that a FLAGS response has not listed first (a
  keyword another session created included);
- at the end, after a NOOP, each session's messages and the flags it was
  told equal what a fresh session sees: no flag change or expunge by another
  session went unreported;
- in the sessions that ENABLE QRESYNC (RFC 7162), VANISHED names messages
  the session was told of, and a message's MODSEQ never goes back.

The commands of six sessions are interleaved one at a time in an order
drawn from a fixed seed, so a failure replays; a second test sends every
session's command before reading any answer, so the server interleaves them
itself."""
import random
import re
import unittest

from common_core2 import OneServer, connect, msg

BOX = "stress"
FLAGS = ["\\Seen", "\\Flagged", "\\Deleted", "\\Answered", "$Work", "$Later", "NonJunk"]
FETCH_RE = re.compile(r"^\* (\d+) FETCH \((.*)\)$", re.S)


class Session:
    def __init__(self, test, name, qresync=False):
        self.t, self.name = test, name
        self.c = connect(test.srv)
        test.addCleanup(self.c.close)
        self.seqs = []      # UID by sequence number (None: not learned yet)
        self.flags = {}     # UID -> flags as last reported to this session
        self.modseq = {}    # UID -> highest MODSEQ reported (QRESYNC sessions)
        self.known = set()  # flags the last FLAGS response listed
        if qresync:   # expunges come as VANISHED, every flag report with MODSEQ
            self.c.ok("ENABLE QRESYNC")
        self.run("SELECT %s" % BOX)
        self.learn()

    def fail(self, why, line):
        raise AssertionError("%s: %s\n  line: %s" % (self.name, why, line[:300]))

    def absorb(self, lines):
        """Apply untagged responses to the model, checking each."""
        for ln in lines:
            m = re.match(r"^\* (\d+) (EXISTS|EXPUNGE)$", ln)
            if m:
                n = int(m.group(1))
                if m.group(2) == "EXISTS":
                    if n < len(self.seqs):
                        self.fail("EXISTS %d below the %d messages known" % (n, len(self.seqs)), ln)
                    self.seqs += [None] * (n - len(self.seqs))
                else:
                    if not 1 <= n <= len(self.seqs):
                        self.fail("EXPUNGE of unknown message %d" % n, ln)
                    self.flags.pop(self.seqs.pop(n - 1), None)
                continue
            m = re.match(r"^\* FLAGS \(([^)]*)\)$", ln)
            if m:
                self.known = set(m.group(1).split())
                continue
            m = re.match(r"^\* VANISHED ([\d:,]+)$", ln)
            if m:
                for uid in expand(m.group(1)):
                    self.vanished(uid, ln)
                continue
            m = FETCH_RE.match(ln)
            if m:
                self.fetched(int(m.group(1)), m.group(2), ln)
                continue
            m = re.match(r"^\* SEARCH( .*)?$", ln)
            if m:
                for x in (m.group(1) or "").split():
                    if int(x) < 1:
                        self.fail("bad number in SEARCH", ln)
        known = [u for u in self.seqs if u is not None]
        if known != sorted(set(known)):
            self.fail("UIDs do not rise with sequence numbers: %r" % known, "")

    def vanished(self, uid, ln):
        if uid in self.seqs:
            i = self.seqs.index(uid)
        else:
            # announced by EXISTS in this same batch, UID not learned yet:
            # one of the unknown places between its known neighbours
            below = [i for i, u in enumerate(self.seqs) if u is not None and u < uid]
            above = [i for i, u in enumerate(self.seqs) if u is not None and u > uid]
            lo = below[-1] + 1 if below else 0
            hi = above[0] if above else len(self.seqs)
            gap = [i for i in range(lo, hi) if self.seqs[i] is None]
            if not gap:
                self.fail("VANISHED UID %d was never announced" % uid, ln)
            i = gap[0]
        self.flags.pop(self.seqs.pop(i), None)

    def fetched(self, n, body, ln):
        if not 1 <= n <= len(self.seqs):
            self.fail("FETCH of unknown message %d (%d known)" % (n, len(self.seqs)), ln)
        m = re.search(r"\bUID (\d+)", body)
        uid = self.seqs[n - 1]
        if m:
            got = int(m.group(1))
            if uid is not None and uid != got:
                self.fail("message %d was UID %d, now %d" % (n, uid, got), ln)
            uid = self.seqs[n - 1] = got
        m = re.search(r"\bFLAGS \(([^)]*)\)", body)
        if m:
            shown = set(m.group(1).split()) - {"\\Recent"}
            if shown - self.known:   # RFC 3501 7.2.6: FLAGS lists them first
                self.fail("flags %s shown before any FLAGS listed them" % (shown - self.known), ln)
            if uid is not None:
                self.flags[uid] = shown
        m = re.search(r"\bMODSEQ \((\d+)\)", body)
        if m and uid is not None:
            if int(m.group(1)) < self.modseq.get(uid, 0):
                self.fail("UID %d: MODSEQ went back from %d" % (uid, self.modseq[uid]), ln)
            self.modseq[uid] = int(m.group(1))
        size = re.search(r"RFC822\.SIZE (\d+)", body)
        subj = re.search(r"Subject: ([^\r\n]*)", body)
        if uid is not None and size and subj:
            want = self.t.content.get(uid)
            if want != (int(size.group(1)), subj.group(1)):
                self.fail("UID %d is %r, was appended as %r" % (uid, (int(size.group(1)), subj.group(1)), want), ln)

    def run(self, text):
        u, t = self.c.cmd(text)
        self.absorb(u)
        return t

    def learn(self):
        """Fetch UID and flags of the messages announced but not yet known."""
        if None in self.seqs:
            lo = self.seqs.index(None) + 1
            self.run("FETCH %d:%d (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])"
                     % (lo, len(self.seqs)))


class StressViews(OneServer):
    def setUp(self):
        super().setUp()
        c = connect(self.srv)
        c.cmd("DELETE %s" % BOX)   # the server is shared by this class's tests
        c.cmd("CREATE %s" % BOX)
        c.cmd("CREATE elsewhere")
        c.close()
        self.content = {}   # UID -> (size, Subject)
        self.made = 0

    def some(self, rnd, s):
        """A random sequence set of s's messages (s has some)."""
        n = len(s.seqs)
        a = rnd.randint(1, n)
        b = min(n, a + rnd.choice([0, 0, 1, 3, 10]))
        return "%d:%d" % (a, b) if b > a else str(a)

    def step(self, rnd, s):
        s.learn()
        op = rnd.choice(["append", "append", "fetch", "store", "store", "silent", "expunge",
                         "search", "noop", "copy", "move", "uidstore"])
        if not s.seqs and op not in ("append", "noop", "search"):
            op = "append"
        if op == "append":
            self.made += 1
            subj = "m%d" % self.made
            body = msg(self.made, subject=subj.encode(), body=b"x" * rnd.randint(1, 3000) + b"\r\n")
            fl = " ".join(rnd.sample(FLAGS, rnd.randint(0, 2)))
            u, t = s.c.append(BOX, body, flags=fl)
            s.absorb(u)
            uid = int(re.search(r"APPENDUID \d+ (\d+)", t).group(1))
            self.content[uid] = (len(body), subj)
        elif op == "fetch":
            s.run("FETCH %s (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])" % self.some(rnd, s))
        elif op in ("store", "silent", "uidstore"):
            sign, flag = rnd.choice("+-"), rnd.choice(FLAGS)
            if op == "uidstore":
                uids = [u for u in s.seqs if u is not None]
                t = s.run("UID STORE %d:%d %sFLAGS (%s)" % (min(uids), rnd.choice(uids), sign, flag))
            elif op == "store":
                t = s.run("STORE %s %sFLAGS (%s)" % (self.some(rnd, s), sign, flag))
            else:
                which = self.some(rnd, s)
                t = s.run("STORE %s %sFLAGS.SILENT (%s)" % (which, sign, flag))
                a, _, b = which.partition(":")
                for n in range(int(a), int(b or a) + 1):
                    uid = s.seqs[n - 1] if n <= len(s.seqs) else None
                    if uid in s.flags:   # what the server did, told to nobody but us
                        (s.flags[uid].add if sign == "+" else s.flags[uid].discard)(flag)
            if " OK " not in t and " NO " not in t:
                raise AssertionError(t)
        elif op == "expunge":
            s.run(rnd.choice(["EXPUNGE", "UID EXPUNGE 1:*", "UID EXPUNGE %d" %
                              max([u for u in s.seqs if u] or [1])]))
        elif op == "search":
            s.run(rnd.choice(["SEARCH FLAGGED", "SEARCH NOT SEEN", "UID SEARCH DELETED",
                              "SEARCH KEYWORD $Work", "UID SEARCH ALL"]))
        elif op == "noop":
            s.run("NOOP")
        elif op == "copy":
            u, t = s.c.cmd("COPY %s %s" % (self.some(rnd, s), BOX))
            s.absorb(u)
            m = re.search(r"COPYUID \d+ ([\d:,]+) ([\d:,]+)", t)
            if m:
                for a, b in zip(expand(m.group(1)), expand(m.group(2))):
                    self.content[b] = self.content[a]
        elif op == "move":
            s.run("MOVE %s elsewhere" % self.some(rnd, s))

    def check_final(self, sessions):
        for s in sessions:
            s.run("NOOP")
            s.learn()
        truth = connect(self.srv, BOX)
        u, _ = truth.ok("UID FETCH 1:* (FLAGS)")
        truth.close()
        want = {}
        for ln in u:
            m = re.search(r"UID (\d+)", ln)
            want[int(m.group(1))] = set(re.search(r"FLAGS \(([^)]*)\)", ln).group(1).split()) - {"\\Recent"}
        for s in sessions:
            self.assertEqual(s.seqs, sorted(want), s.name)
            for uid, fl in s.flags.items():
                self.assertEqual(fl, want[uid], "%s: flags of UID %d" % (s.name, uid))
        return len(want)

    def test_interleaved_sessions(self):
        rnd = random.Random(20261126)
        sessions = [Session(self, "s%d" % i, qresync=i >= 4) for i in range(6)]
        for _ in range(900):
            self.step(rnd, rnd.choice(sessions))
        self.assertGreater(self.check_final(sessions), 0)

    def test_pipelined_sessions(self):
        """Each round, every session sends a command before any answer is
        read: the server interleaves them as its slices fall."""
        rnd = random.Random(7)
        sessions = [Session(self, "p%d" % i, qresync=i % 3 == 0) for i in range(6)]
        for rnd_no in range(40):
            for s in sessions:
                s.learn()
            sent = []
            for s in sessions:
                if not s.seqs or rnd.random() < 0.3:
                    self.made += 1
                    subj = "q%d" % self.made
                    body = msg(self.made, subject=subj.encode())
                    tag = s.c.tag()
                    s.c.send(b"%s APPEND %s {%d+}\r\n" % (tag.encode(), BOX.encode(), len(body)) +
                             body + b"\r\n")
                    sent.append((s, tag, (len(body), subj)))
                    continue
                sign, flag = rnd.choice("+-"), rnd.choice(FLAGS)
                text = rnd.choice(["STORE %s %sFLAGS (%s)" % (self.some(rnd, s), sign, flag),
                                   "EXPUNGE", "NOOP",
                                   "FETCH %s (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])"
                                   % self.some(rnd, s)])
                tag = s.c.tag()
                s.c.send("%s %s\r\n" % (tag, text))
                sent.append((s, tag, None))
            for s, tag, appended in sent:
                u, t = s.c.collect(tag)
                if appended:
                    self.content[int(re.search(r"APPENDUID \d+ (\d+)", t).group(1))] = appended
                s.absorb(u)
                self.assertIn(" OK ", t, t)
        self.assertGreater(self.check_final(sessions), 0)


def expand(uidset):
    out = []
    for part in uidset.split(","):
        a, _, b = part.partition(":")
        out += range(int(a), int(b or a) + 1)
    return out


if __name__ == "__main__":
    unittest.main()
