"""End to end with real clients from Debian packages: mbsync (isync) and curl."""
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import Server
from rawimap import Raw


def have(tool):
    return shutil.which(tool) is not None


def message(i, subject):
    return ("From: dev%d@example.org\r\nTo: alice@example.org\r\nSubject: %s\r\n"
            "Message-ID: <m%d.%s@example.org>\r\nDate: Tue, 24 Nov 2026 10:%02d:00 +0000\r\n\r\n"
            "Body of message %d\r\n" % (i, subject, i, subject.replace(" ", ""), i % 60, i))


def write_maildir(root, folder, msgs):
    base = os.path.join(root, folder) if folder != "INBOX" else os.path.join(root, "INBOX")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(base, sub), exist_ok=True)
    for i, (text, flags) in enumerate(msgs):
        name = "%d.%d.local:2,%s" % (1700000000 + i, i, flags)
        with open(os.path.join(base, "cur", name), "w", newline="") as f:
            f.write(text.replace("\r\n", "\n"))


def maildir_messages(root, folder):
    out = []
    for sub in ("cur", "new"):
        d = os.path.join(root, folder, sub)
        if os.path.isdir(d):
            for n in sorted(os.listdir(d)):
                with open(os.path.join(d, n), "rb") as f:
                    out.append((n, f.read()))
    return out


@unittest.skipUnless(have("mbsync"), "mbsync (isync) not installed")
class Mbsync(unittest.TestCase):
    def setUp(self):
        self.srv = Server(users=[("alice", "pw")], allow_plaintext=True)
        self.srv.start()
        self.addCleanup(self.srv.stop)
        self.tmp = tempfile.mkdtemp(prefix="mbsync-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.maildir = os.path.join(self.tmp, "mail")
        os.makedirs(self.maildir)
        self.rc = os.path.join(self.tmp, "mbsyncrc")
        with open(self.rc, "w") as f:
            f.write("""IMAPAccount dev
Host 127.0.0.1
Port %d
User alice
Pass pw
TLSType None
AuthMechs LOGIN

IMAPStore dev-remote
Account dev

MaildirStore dev-local
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel dev
Far :dev-remote:
Near :dev-local:
Patterns *
Create Both
Expunge Both
Remove Both
SyncState *
""" % (self.srv.port, self.maildir, self.maildir))

    def mbsync(self):
        r = subprocess.run(["mbsync", "-c", self.rc, "-a"], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            # older isync spells TLSType as SSLType
            txt = open(self.rc).read().replace("TLSType None", "SSLType None")
            open(self.rc, "w").write(txt)
            r = subprocess.run(["mbsync", "-c", self.rc, "-a"], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + "\n" + self.srv.log_text())
        return r

    def test_sync_both_directions(self):
        write_maildir(self.maildir, "INBOX", [(message(1, "local one"), "S"), (message(2, "local two"), "")])
        write_maildir(self.maildir, "Projects", [(message(3, "project"), "F")])
        write_maildir(self.maildir, "Projects/Sub", [(message(4, "nested"), "RS")])
        self.mbsync()
        c = Raw(self.srv.port)
        self.addCleanup(c.close)
        c.login()
        u, _ = c.ok("STATUS INBOX (MESSAGES UNSEEN)")
        self.assertIn("MESSAGES 2 UNSEEN 1", u[0])
        u, _ = c.ok("STATUS Projects (MESSAGES)")
        self.assertIn("MESSAGES 1", u[0])
        u, _ = c.ok("STATUS Projects/Sub (MESSAGES)")
        self.assertIn("MESSAGES 1", u[0])
        # server side news flows back
        c.append("INBOX", message(5, "from server"))
        c.ok("CREATE Remote")
        c.append("Remote", message(6, "remote folder"))
        self.mbsync()
        inbox = maildir_messages(self.maildir, "INBOX")
        self.assertEqual(len(inbox), 3)
        self.assertTrue(any(b"from server" in body for _, body in inbox))
        self.assertEqual(len(maildir_messages(self.maildir, "Remote")), 1)
        # a local flag change and a local deletion propagate
        for name, body in maildir_messages(self.maildir, "Projects"):
            src = os.path.join(self.maildir, "Projects", "cur", name)
            if os.path.exists(src):
                os.remove(src)
        name, _ = [m for m in inbox if b"from server" in m[1]][0]
        for sub in ("cur", "new"):
            src = os.path.join(self.maildir, "INBOX", sub, name)
            if os.path.exists(src):
                base = name.split(":2,")[0]
                os.rename(src, os.path.join(self.maildir, "INBOX", "cur", base + ":2,FS"))
        self.mbsync()
        u, _ = c.ok("STATUS Projects (MESSAGES)")
        self.assertIn("MESSAGES 0", u[0])
        u, _ = c.ok("SELECT INBOX")
        u, _ = c.ok("SEARCH FLAGGED")
        self.assertEqual(len(u[0].split()), 3, u)


@unittest.skipUnless(have("curl"), "curl not installed")
class Curl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(users=[("alice", "pw")], allow_plaintext=True)
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def curl(self, *args):
        r = subprocess.run(["curl", "-s", "-S", "--max-time", "30", "-u", "alice:pw"] + list(args),
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr.decode() + self.srv.log_text())
        return r.stdout.decode()

    def test_list_examine_append(self):
        url = "imap://127.0.0.1:%d" % self.srv.port
        out = self.curl(url + "/")
        self.assertIn("INBOX", out)
        self.assertIn("Sent", out)
        with tempfile.NamedTemporaryFile("w", suffix=".eml", delete=False, newline="") as f:
            f.write(message(9, "via curl"))
            path = f.name
        self.addCleanup(os.remove, path)
        self.curl("-T", path, url + "/INBOX")
        out = self.curl(url + "/INBOX", "-X", "EXAMINE INBOX")
        self.assertIn("1 EXISTS", out)


if __name__ == "__main__":
    unittest.main()
