"""End to end with real clients from Debian packages (IMAP core II):
offlineimap3 (two-way sync: fetch, flags, deletions, uploads with UIDPLUS)
and fetchmail (download, then delete on the server). Each client is
installed with apt-get when missing (as root); the test is skipped only when
it cannot be installed."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from common_core2 import connect, fill, mailbox_view, msg
from harness import Server


def ensure(tool, package):
    if shutil.which(tool):
        return True
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", package],
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    return shutil.which(tool) is not None


def client_setup(test, tool, package):
    """Skip test unless tool can be had; else a started server (stopped at
    cleanup) and a scratch folder (removed at cleanup)."""
    if not ensure(tool, package):
        test.skipTest("%s cannot be installed here" % package)
    srv = Server()
    srv.start()
    test.addCleanup(srv.stop)
    tmp = tempfile.mkdtemp(prefix=tool + "-")
    test.addCleanup(shutil.rmtree, tmp, True)
    return srv, tmp


def maildir(root, folder):
    """{Subject: maildir flags} of a Maildir folder."""
    out = {}
    for sub in ("cur", "new"):
        d = os.path.join(root, folder, sub)
        for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, n), "rb") as f:
                subj = re.search(rb"^Subject: (.*?)\r?$", f.read(), re.M).group(1).decode()
            out[subj] = n.split(":2,")[1] if ":2," in n else ""
    return out


class OfflineImap(unittest.TestCase):
    def setUp(self):
        self.srv, self.tmp = client_setup(self, "offlineimap", "offlineimap3")
        self.mail = os.path.join(self.tmp, "mail")
        self.conf = os.path.join(self.tmp, "offlineimaprc")
        with open(self.conf, "w") as f:
            f.write("""[general]
accounts = t
metadata = %s/meta
[Account t]
localrepository = L
remoterepository = R
[Repository L]
type = Maildir
localfolders = %s
[Repository R]
type = IMAP
remotehost = 127.0.0.1
remoteport = %d
remoteuser = alice
remotepass = pw
ssl = no
starttls = no
folderfilter = lambda f: f in ['INBOX', 'work']
""" % (self.tmp, self.mail, self.srv.port))

    def sync(self):
        r = subprocess.run(["offlineimap", "-c", self.conf, "-o", "-u", "basic"],
                           capture_output=True, text=True, timeout=300)
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out + "\n" + self.srv.log)
        self.assertNotIn("ERROR", out, out)
        return out

    def server_view(self, box):
        return mailbox_view(self.srv, box)

    def test_two_way_sync(self):
        fill(self.srv, "work", [msg(i, subject=b"w%d" % i) for i in range(1, 6)])
        c = connect(self.srv, "work")
        c.ok("STORE 2 +FLAGS (\\Seen)")
        c.ok("STORE 3 +FLAGS (\\Flagged)")
        c.close()
        self.sync()
        local = maildir(self.mail, "work")
        self.assertEqual(sorted(local), ["w1", "w2", "w3", "w4", "w5"])
        self.assertEqual(local["w2"], "S")
        self.assertEqual(local["w3"], "F")
        # local changes: flag, delete, new message
        for sub in ("cur", "new"):
            d = os.path.join(self.mail, "work", sub)
            for n in os.listdir(d):
                with open(os.path.join(d, n), "rb") as f:
                    body = f.read()
                if b"Subject: w1" in body:
                    os.rename(os.path.join(d, n), os.path.join(self.mail, "work", "cur",
                                                               n.split(":2,")[0] + ":2,RS"))
                if b"Subject: w4" in body:
                    os.unlink(os.path.join(d, n))
        with open(os.path.join(self.mail, "work", "new", "1700000000.local1.host"), "wb") as f:
            f.write(msg(9, subject=b"local-new"))
        # and a server-side change
        c = connect(self.srv, "work")
        c.ok("STORE 5 +FLAGS (\\Answered)")
        c.close()
        out = self.sync()
        server = self.server_view("work")
        self.assertEqual(sorted(server), ["local-new", "w1", "w2", "w3", "w5"], (server, out))
        self.assertEqual(server["w1"], {"\\Seen", "\\Answered"})
        self.assertEqual(maildir(self.mail, "work")["w5"], "R")
        self.sync()   # a third run changes nothing
        self.assertEqual(sorted(self.server_view("work")), sorted(server))


class Fetchmail(unittest.TestCase):
    def setUp(self):
        self.srv, self.tmp = client_setup(self, "fetchmail", "fetchmail")
        self.out = os.path.join(self.tmp, "delivered")
        os.makedirs(self.out)
        self.rc = os.path.join(self.tmp, "fetchmailrc")
        with open(self.rc, "w") as f:
            f.write('poll 127.0.0.1 protocol IMAP port %d user "alice" password "pw" '
                    'sslproto "" mda "sh -c \'cat > %s/$$.$(date +%%s%%N)\'"\n'
                    % (self.srv.port, self.out))
        os.chmod(self.rc, 0o600)

    def fetchmail(self, *args):
        env = dict(os.environ, FETCHMAILHOME=self.tmp, HOME=self.tmp)
        r = subprocess.run(["fetchmail", "-f", self.rc, "--nosyslog", "-v"] + list(args),
                           capture_output=True, text=True, timeout=300, env=env)
        return r

    def test_fetch_and_delete(self):
        msgs = [msg(i, subject=b"fm%d" % i) for i in range(1, 5)]
        fill(self.srv, "INBOX", msgs)
        r = self.fetchmail()
        self.assertIn(r.returncode, (0,), r.stdout + r.stderr + self.srv.log)
        got = []
        for n in os.listdir(self.out):
            with open(os.path.join(self.out, n), "rb") as f:
                got.append(f.read())
        self.assertEqual(len(got), 4, r.stdout + r.stderr)
        for m in msgs:
            subj = re.search(rb"Subject: (\S+)", m).group(1)
            self.assertTrue(any(subj in g and b"body of message" in g for g in got), subj)
        c = connect(self.srv, "INBOX")
        u, _ = c.ok("STATUS INBOX (MESSAGES)")
        c.close()
        self.assertIn("MESSAGES 0", u[0])   # fetched messages were deleted and expunged
        r = self.fetchmail()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)   # 1: no mail


if __name__ == "__main__":
    unittest.main()
