"""End to end with more real clients from Debian packages.

imapfilter: a Lua-scripted filter (UID SEARCH with several criteria, STORE,
MOVE or COPY+EXPUNGE, CREATE, SUBSCRIBE, STATUS), run against the server.

mutt: the terminal client, on a pseudo-terminal (Python's pty), driven by
keys pushed from its command line: tag by pattern, save to another folder,
flag, sync, quit; then the server's state is checked.

alpine (c-client): the index, delete, expunge, quit, the same way.

aerc (go-imap): delete, flag, move, quit, each key typed once the server
shows the previous one took effect.

fdm: fetch the unseen mail into an mbox and keep it on the server, then
fetch everything and delete it.

interimap: a QRESYNC client, which
refuses servers without QRESYNC and keeps two IMAP servers in step with
ENABLE QRESYNC, SELECT (QRESYNC ...), UID FETCH (CHANGEDSINCE n VANISHED),
STORE (UNCHANGEDSINCE) and APPEND. Both of its servers are ours: changes on
either side (new mail, flags, expunges, a new mailbox) must reach the other,
and a sync with nothing to do must change nothing. Installed with apt-get
when missing (as root); skipped only when it cannot be installed."""
import os
import pty
import select
import shutil
import subprocess
import tempfile
import time
import unittest

from common_core2 import connect, fill, mailbox_view as view, msg
from harness import Server
from test_clients2 import client_setup, ensure


class InterImap(unittest.TestCase):
    def setUp(self):
        if not ensure("interimap", "interimap"):
            self.skipTest("interimap cannot be installed here")
        self.remote, self.local = Server(), Server()
        for s in (self.remote, self.local):
            s.start()
            self.addCleanup(s.stop)
        self.tmp = tempfile.mkdtemp(prefix="interimap-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        conf = os.path.join(self.tmp, "config", "interimap")
        os.makedirs(conf)
        os.makedirs(os.path.join(self.tmp, "data", "interimap"))
        with open(os.path.join(conf, "config"), "w") as f:
            f.write("list-mailbox = \"*\"\n")
            for name, srv in (("local", self.local), ("remote", self.remote)):
                f.write("[%s]\ntype = imap\nhost = 127.0.0.1\nport = %d\nSTARTTLS = NO\n"
                        "username = alice\npassword = pw\n" % (name, srv.port))

    def sync(self):
        env = dict(os.environ, HOME=self.tmp, XDG_CONFIG_HOME=os.path.join(self.tmp, "config"),
                   XDG_DATA_HOME=os.path.join(self.tmp, "data"))
        r = subprocess.run(["interimap"], capture_output=True, text=True, timeout=300,
                           env=env, cwd=self.tmp)
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out + "\n" + self.remote.log + self.local.log)
        self.assertNotIn("PANIC", out, out)
        return out

    def same(self, box):
        a, b = view(self.remote, box), view(self.local, box)
        self.assertEqual(a, b)
        return a

    def test_two_way_sync(self):
        fill(self.remote, "work", [msg(i) for i in range(1, 7)])
        c = connect(self.remote, "work")
        c.ok("STORE 2 +FLAGS (\\Seen $Label1)")
        c.ok("STORE 4 +FLAGS (\\Flagged)")
        c.close()
        self.sync()
        self.assertEqual(len(self.same("work")), 6)
        self.assertEqual(self.same("work")["message 2"], {"\\Seen", "$Label1"})

        # changes on both sides, then one sync
        c = connect(self.remote, "work")
        c.ok("STORE 1 +FLAGS (\\Answered)")
        c.ok("STORE 3 +FLAGS.SILENT (\\Deleted)")
        c.ok("EXPUNGE")
        c.close()
        c = connect(self.remote)
        c.append("work", msg(20, subject=b"from remote"))
        c.close()
        c = connect(self.local, "work")
        c.ok("STORE 5 +FLAGS (\\Seen)")
        c.ok("STORE 6 +FLAGS.SILENT (\\Deleted)")
        c.ok("EXPUNGE")
        c.close()
        c = connect(self.local)
        c.append("work", msg(21, subject=b"from local"))
        c.ok("CREATE fresh")
        c.append("fresh", msg(22, subject=b"in a new mailbox"))
        c.close()
        out = self.sync()
        # its own copies from the first sync are not news to it: the servers
        # kept its HIGHESTMODSEQ current (OK [HIGHESTMODSEQ] after its APPENDs)
        self.assertNotIn("Conflicting flag update", out)
        self.assertNotIn("--repair", out)
        got = self.same("work")
        self.assertEqual(sorted(got), ["from local", "from remote", "message 1", "message 2",
                                       "message 4", "message 5"])
        self.assertEqual(got["message 1"], {"\\Answered"})
        self.assertEqual(got["message 5"], {"\\Seen"})
        self.assertEqual(got["message 4"], {"\\Flagged"})
        self.assertEqual(list(self.same("fresh")), ["in a new mailbox"])

        # nothing to do: nothing changes on either side
        before = (view(self.remote, "work"), view(self.local, "work"))
        self.sync()
        self.assertEqual((view(self.remote, "work"), view(self.local, "work")), before)


class ImapFilter(unittest.TestCase):
    def setUp(self):
        self.srv, self.tmp = client_setup(self, "imapfilter", "imapfilter")

    def run_lua(self, body):
        conf = os.path.join(self.tmp, "config.lua")
        with open(conf, "w") as f:
            f.write("options.timeout = 30\noptions.starttls = false\noptions.certificates = false\n"
                    "options.info = false\n"
                    "acct = IMAP { server = '127.0.0.1', port = %d, username = 'alice', "
                    "password = 'pw' }\n" % self.srv.port + body)
        r = subprocess.run(["imapfilter", "-c", conf], capture_output=True, text=True,
                           timeout=120, env=dict(os.environ, HOME=self.tmp))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + self.srv.log)
        return r.stdout

    def test_filter_rules(self):
        msgs = [msg(i, subject=b"report %d" % i) for i in range(1, 5)] + \
               [msg(5, subject=b"newsletter", body=b"x" * 4000 + b"\r\n"), msg(6, subject=b"alert")]
        fill(self.srv, "INBOX", msgs)
        c = connect(self.srv, "INBOX")
        c.ok("STORE 2 +FLAGS (\\Seen)")
        c.close()
        out = self.run_lua("""
acct:create_mailbox('Reports')
acct:subscribe_mailbox('Reports')
r = acct.INBOX:contain_subject('report') * acct.INBOX:is_unseen()
print('unseen reports ' .. #r)
r:mark_flagged()
r:move_messages(acct['Reports'])
big = acct.INBOX:is_larger(2000)
print('big ' .. #big)
big:add_flags({'$Bulk'})
big:delete_messages()
alerts = acct.INBOX:contain_subject('alert') + acct.INBOX:is_seen()
print('alert or seen ' .. #alerts)
print('reports flagged ' .. #acct.Reports:is_flagged())
exist, recent, unseen = acct.Reports:check_status()
print('reports status ' .. exist .. ' ' .. unseen)
""")
        self.assertIn("unseen reports 3", out)
        self.assertIn("big 1", out)
        self.assertIn("alert or seen 2", out)   # "report 2" (seen) stayed, and the alert
        self.assertIn("reports flagged 3", out)
        self.assertIn("reports status 3 3", out)
        self.assertEqual(sorted(view(self.srv, "Reports")), ["report 1", "report 3", "report 4"])
        self.assertEqual(sorted(view(self.srv, "INBOX")), ["alert", "report 2"])
        c = connect(self.srv)
        u, _ = c.ok('LSUB "" Reports')
        self.assertEqual(len(u), 1, u)
        c.close()


def on_pty(argv, home, password=None, timeout=60, steps=(), term="vt100"):
    """Run a terminal client on a pseudo-terminal (TERM=term, HOME=home),
    typing password at its first "password:" prompt; its wait status, or
    None if it had to be killed. steps: (ready, keys) pairs: once ready()
    is true, keys are typed (ready is given the screen output so far)."""
    pid, fd = pty.fork()
    if pid == 0:   # the child: the client, nothing else
        os.environ.update(TERM=term, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"))
        os.execvp(argv[0], argv)
    deadline = time.time() + timeout
    status, screen, typed, steps = None, b"", False, list(steps)
    while status is None and time.time() < deadline:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                screen = (screen + os.read(fd, 65536))[-65536:]
            except OSError:   # the child closed the terminal: it is exiting
                pass
            if password and not typed and b"password:" in screen[-200:].lower():
                os.write(fd, password.encode() + b"\r")
                typed = True
        if steps and steps[0][0](screen):
            os.write(fd, steps.pop(0)[1])
            screen = b""
        p, st = os.waitpid(pid, os.WNOHANG)
        if p:
            status = st
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    os.close(fd)
    return status


class Mutt(unittest.TestCase):
    def setUp(self):
        self.srv, self.tmp = client_setup(self, "mutt", "mutt")
        self.rc = os.path.join(self.tmp, "muttrc")
        with open(self.rc, "w") as f:
            f.write("set imap_user = alice\nset imap_pass = pw\n"
                    "set folder = imap://127.0.0.1:%d/\nset spoolfile = +INBOX\n"
                    "set ssl_starttls = no\nset ssl_force_tls = no\n"
                    "set header_cache = \"\"\nset message_cachedir = \"\"\n"
                    "set confirmappend = no\nset delete = yes\nset move = no\nset quit = yes\n"
                    "set imap_idle = no\n" % self.srv.port)

    def mutt(self, keys):
        """Run mutt on a pseudo-terminal with keys pushed; its exit status."""
        return on_pty(["mutt", "-n", "-F", self.rc, "-e", "push '%s'" % keys], self.tmp)

    def test_tag_save_flag_sync(self):
        fill(self.srv, "INBOX", [msg(i, subject=b"report %d" % i) for i in range(1, 5)])
        st = self.mutt('<tag-pattern>~s "report [13]"<enter><tag-prefix><save-message>=Archive<enter>'
                       '<tag-prefix><clear-flag>N<last-entry><flag-message><sync-mailbox><quit>')
        self.assertEqual(st, 0, self.srv.log)
        inbox = view(self.srv, "INBOX")
        self.assertEqual(sorted(inbox), ["report 2", "report 4"])   # saved ones moved out
        self.assertIn("\\Flagged", inbox["report 4"])
        self.assertEqual(sorted(view(self.srv, "Archive")), ["report 1", "report 3"])


class Alpine(unittest.TestCase):
    """alpine speaks IMAP through c-client, the library of RFC 3501's author:
    strict about what it parses."""

    def setUp(self):
        self.srv, self.tmp = client_setup(self, "alpine", "alpine")
        self.rc = os.path.join(self.tmp, "pinerc")
        box = "{127.0.0.1:%d/imap/notls/user=alice}" % self.srv.port
        with open(self.rc, "w") as f:
            # last-version-used: no first-run greeting to eat the keys
            f.write("user-id=alice\npersonal-name=Alice\ninbox-path=%sINBOX\n"
                    "folder-collections=%s[]\nfeature-list=quit-without-confirm,"
                    "expunge-without-confirm,disable-password-file-saving\n"
                    "last-version-used=99.99\n" % (box, box))

    def test_index_delete_expunge(self):
        fill(self.srv, "INBOX", [msg(i, subject=b"report %d" % i) for i in range(1, 5)])
        # i: the index, d: delete the first, x: expunge (y: yes), q: quit
        st = on_pty(["alpine", "-p", self.rc, "-I", "i,d,x,y,q"], self.tmp, password="pw")
        self.assertEqual(sorted(view(self.srv, "INBOX")), ["report 2", "report 3", "report 4"],
                         self.srv.log)
        self.assertIsNotNone(st, "alpine did not quit by itself")
        self.assertEqual(os.waitstatus_to_exitcode(st), 0)


class Aerc(unittest.TestCase):
    """aerc parses with go-imap (v1): envelopes, flags and UIDs must be what
    a strict Go parser accepts, or the message list stays empty."""

    def setUp(self):
        self.srv, self.tmp = client_setup(self, "aerc", "aerc")
        conf = os.path.join(self.tmp, ".config", "aerc")
        os.makedirs(conf)
        self.log = os.path.join(self.tmp, "aerc.log")
        fd = os.open(os.path.join(conf, "accounts.conf"), os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as f:   # aerc refuses a readable accounts.conf
            f.write("[dev]\nsource = imap+insecure://alice:pw@127.0.0.1:%d\n"
                    "outgoing = /bin/true\ndefault = INBOX\nfrom = Alice <alice@example.org>\n"
                    % self.srv.port)
        with open(os.path.join(conf, "aerc.conf"), "w") as f:
            f.write("[general]\nlog-file = %s\nlog-level = info\n" % self.log)

    def test_delete_flag_move(self):
        fill(self.srv, "INBOX", [msg(i, subject=b"report %d" % i) for i in range(1, 4)])
        fill(self.srv, "Archive", [])
        inbox = lambda: view(self.srv, "INBOX")
        # The newest message is selected first: delete it, flag the next, move it.
        steps = [(lambda scr: b"report 3" in scr, b"D"),
                 (lambda scr: len(inbox()) == 2, b":flag\r"),
                 (lambda scr: any("\\Flagged" in f for f in inbox().values()), b":move Archive\r"),
                 (lambda scr: len(view(self.srv, "Archive")) == 1, b":quit\r")]
        st = on_pty(["aerc"], self.tmp, steps=steps, term="xterm", timeout=90)
        with open(self.log) as f:
            log = f.read()
        self.assertIsNotNone(st, "aerc did not quit: " + log + self.srv.log)
        self.assertEqual(sorted(inbox()), ["report 1"], log)
        self.assertEqual(view(self.srv, "Archive"), {"report 2": {"\\Flagged"}}, log)
        self.assertNotIn("ERROR", log)


class Fdm(unittest.TestCase):
    """fdm: a mail fetcher in C with its own IMAP parser, non-interactive."""

    def setUp(self):
        self.srv, self.tmp = client_setup(self, "fdm", "fdm")

    def fdm(self, extra=""):
        conf = os.path.join(self.tmp, "fdm.conf")
        with open(conf, "w") as f:
            f.write('set lock-file "%s/lock"\n'
                    'account "dev" imap server "127.0.0.1" port %d user "alice" pass "pw"%s\n'
                    'action "mb" mbox "%s/out"\nmatch all action "mb"\n'
                    % (self.tmp, self.srv.port, extra, self.tmp))
        os.chmod(conf, 0o600)
        r = subprocess.run(["fdm", "-v", "-f", conf, "fetch"], capture_output=True, text=True,
                           timeout=120, env=dict(os.environ, HOME=self.tmp))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + self.srv.log)
        with open(os.path.join(self.tmp, "out"), "rb") as f:
            return f.read()

    def test_fetch_unseen_keep_then_all(self):
        big = msg(3, subject=b"big", body=b"y" * 70000 + b"\r\n")
        fill(self.srv, "INBOX", [msg(1, subject=b"one"), msg(2, subject=b"two"), big])
        c = connect(self.srv, "INBOX")
        c.ok("STORE 2 +FLAGS (\\Seen)")
        c.close()
        out = self.fdm(" new-only keep")   # the unseen ones, left on the server, marked seen
        self.assertEqual([out.count(b"Subject: " + s) for s in (b"one", b"two", b"big")],
                         [1, 0, 1], out[:2000])
        self.assertIn(b"y" * 70000, out)
        self.assertEqual(view(self.srv, "INBOX"), {s: {"\\Seen"} for s in ("one", "two", "big")})
        os.unlink(os.path.join(self.tmp, "out"))
        out = self.fdm("")                 # default: fetch all, then delete and expunge
        self.assertEqual([out.count(b"Subject: " + s) for s in (b"one", b"two", b"big")],
                         [1, 1, 1], out[:2000])
        self.assertEqual(view(self.srv, "INBOX"), {})


if __name__ == "__main__":
    unittest.main()
