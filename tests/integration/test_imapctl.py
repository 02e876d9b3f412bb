"""The host image tool: users, import -> serve -> export round trip, fsck,
ls, cert, acl, and clear errors on bad input."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import ROOT, Server
from rawimap import Raw

IMAPCTL = os.environ.get("IMAPCTL_BIN", os.path.join(ROOT, "build", "host-asan", "imapctl"))
if not os.path.exists(IMAPCTL):
    IMAPCTL = os.path.join(ROOT, "build", "host", "imapctl")


def run(*args, input=None, ok=True):
    r = subprocess.run([IMAPCTL] + [str(a) for a in args], capture_output=True, text=True,
                       input=input, timeout=300)
    if ok and r.returncode != 0:
        raise AssertionError("imapctl %s failed: %s%s" % (args, r.stdout, r.stderr))
    return r


def make_maildir(root, n):
    """A generated Maildir with mixed flags and MIME shapes, LF line ends."""
    os.makedirs(root)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, sub))
    expect = {}
    flagsets = ["", "S", "RS", "F", "DS", "FRS"]
    for i in range(n):
        if i % 3 == 0:
            body = ("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b%d\n\n"
                    "--b%d\nContent-Type: text/plain\n\npart one %d\n--b%d\n"
                    "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
                    "AAECAwQFBgc=\n--b%d--\n" % (i, i, i, i, i))
        else:
            body = "Content-Type: text/plain\n\n" + ("line %d of message %d\n" % (i, i)) * (1 + i % 50)
        text = ("From: sender%d@example.org\nTo: alice@example.org\nSubject: message %d\n"
                "Date: Tue, 24 Nov 2026 10:00:%02d +0000\n" % (i, i, i % 60)) + body
        fl = flagsets[i % len(flagsets)]
        name = "17000%05d.M%dP1.host:2,%s" % (i, i, fl)
        path = os.path.join(root, "cur", name)
        with open(path, "w", newline="") as f:
            f.write(text)
        os.utime(path, (1700000000 + i * 60, 1700000000 + i * 60))
        expect["message %d" % i] = (text.encode(), fl)
    return expect


def read_export(root):
    out = {}
    for name in os.listdir(os.path.join(root, "cur")):
        with open(os.path.join(root, "cur", name), "rb") as f:
            data = f.read()
        subj = [l for l in data.split(b"\n") if l.startswith(b"Subject: ")][0][9:].decode()
        out[subj] = (data, name.split(":2,")[1])
    return out


class Imapctl(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="imapctl-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.img = os.path.join(self.tmp, "dev.img")
        run("init", self.img, "--size", "8M", "--sector", "4096")

    def test_users(self):
        run("useradd", self.img, "alice", "--password", "pw1")
        run("useradd", self.img, "bob", input="secret\n")
        self.assertEqual(run("users", self.img).stdout.split(), ["alice", "bob"])
        r = run("useradd", self.img, "alice", "--password", "x", ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("exists", r.stderr)
        run("passwd", self.img, "alice", "--password", "pw2")
        r = run("passwd", self.img, "nobody", "--password", "x", ok=False)
        self.assertIn("no such user", r.stderr)
        with Server(users={}, image=self.img) as srv:
            c = Raw(srv.port)
            _, t = c.cmd("LOGIN alice pw1")
            self.assertIn("NO", t)
            c.login("alice", "pw2")
            c2 = Raw(srv.port)
            c2.login("bob", "secret")
            c.close()
            c2.close()
        run("userdel", self.img, "bob")
        self.assertEqual(run("users", self.img).stdout.split(), ["alice"])

    def test_import_serve_export_round_trip(self):
        run("useradd", self.img, "alice", "--password", "pw")
        src = os.path.join(self.tmp, "Maildir")
        expect = make_maildir(src, 60)
        r = run("import", self.img, "alice", "Imported", src)
        self.assertIn("imported 60 messages", r.stdout)
        with Server(users={}, image=self.img) as srv:
            c = Raw(srv.port)
            c.login("alice", "pw")
            u, _ = c.ok("STATUS Imported (MESSAGES UNSEEN)")
            self.assertIn("MESSAGES 60 UNSEEN 20", u[0])
            c.ok("SELECT Imported")
            u, _ = c.ok("UID SEARCH SUBJECT \"message 3\"")
            self.assertTrue(u[0].startswith("* SEARCH "), u)
            c.close()
        out = os.path.join(self.tmp, "export")
        r = run("export", self.img, "alice", "Imported", out)
        self.assertIn("exported 60 messages", r.stdout)
        got = read_export(out)
        self.assertEqual(sorted(got), sorted(expect))
        for k, (data, fl) in expect.items():
            self.assertEqual(got[k][0], data, k)
            self.assertEqual(got[k][1], fl, k)

    def test_mbox_round_trip_and_ls(self):
        run("useradd", self.img, "alice", "--password", "pw")
        mbox = os.path.join(self.tmp, "in.mbox")
        with open(mbox, "w") as f:
            f.write("From a@example.org Wed Nov 25 18:32:35 2026\nSubject: one\n\n>From the start\nbody\n\n"
                    "From b@example.org Thu Nov 26 01:02:03 2026\nSubject: two\n\nsecond\n")
        run("import", self.img, "alice", "Box", mbox)
        out = run("ls", self.img, "alice").stdout
        self.assertRegex(out, r"alice\s+Box\s+2\s")
        used, cap = map(int, re.search(r"in use (\d+) of (\d+) bytes", out).groups())
        self.assertTrue(0 < used < cap, out)
        exp = os.path.join(self.tmp, "out.mbox")
        run("export", self.img, "alice", "Box", "--mbox", exp)
        data = open(exp).read()
        self.assertIn(">From the start\n", data)
        self.assertEqual(data.count("\nFrom ") + data.startswith("From "), 2)
        self.assertIn("Subject: two", data)

    def test_fsck_clean_and_corrupt(self):
        run("useradd", self.img, "alice", "--password", "pw")
        mbox = os.path.join(self.tmp, "in.mbox")
        with open(mbox, "w") as f:
            f.write("From a@example.org Wed Nov 25 18:32:35 2026\nSubject: x\n\nMARKER-0123456789\n")
        run("import", self.img, "alice", "INBOX", mbox)
        r = run("fsck", self.img)
        self.assertIn("clean", r.stdout)
        data = open(self.img, "rb").read()
        at = data.index(b"MARKER-0123456789")
        with open(self.img, "r+b") as f:
            f.seek(at + 3)
            f.write(b"\x00")   # clearing bits is what a NOR part can do
        r = run("fsck", self.img, ok=False)
        self.assertNotEqual(r.returncode, 0)

    def test_bad_input(self):
        r = run("ls", os.path.join(self.tmp, "missing.img"), ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)
        junk = os.path.join(self.tmp, "junk.img")
        with open(junk, "wb") as f:
            f.write(os.urandom(65536))
        r = run("ls", junk, ok=False)
        self.assertNotEqual(r.returncode, 0)
        bad = os.path.join(self.tmp, "bad.mbox")
        with open(bad, "w") as f:
            f.write("Subject: no From line\n\nbody\n")
        run("useradd", self.img, "alice", "--password", "pw")
        r = run("import", self.img, "alice", "X", bad, ok=False)
        self.assertIn("not an mbox", r.stderr)
        r = run("import", self.img, "nobody", "X", bad, ok=False)
        self.assertNotEqual(r.returncode, 0)

    def test_full_image_stops_at_message_boundary(self):
        small = os.path.join(self.tmp, "small.img")
        run("init", small, "--size", "256K", "--sector", "4096")
        run("useradd", small, "alice", "--password", "pw")
        src = os.path.join(self.tmp, "Big")
        os.makedirs(os.path.join(src, "cur"))
        for i in range(40):
            with open(os.path.join(src, "cur", "%03d:2," % i), "w") as f:
                f.write("Subject: big %d\n\n" % i + "x" * 20000 + "\n")
        r = run("import", small, "alice", "INBOX", src, ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("messages were imported", r.stderr)
        n = int(r.stderr.split("; ")[1].split()[0])
        self.assertGreater(n, 0)
        out = run("ls", small, "alice").stdout
        self.assertRegex(out, r"INBOX\s+%d\s" % n)
        self.assertIn("clean", run("fsck", small).stdout)

    def test_acl_and_cert(self):
        run("useradd", self.img, "alice", "--password", "pw")
        run("useradd", self.img, "bob", "--password", "pw")
        out = run("acl", self.img, "alice", "INBOX", "bob", "lr").stdout
        self.assertIn("bob lr", out)
        key = os.path.join(self.tmp, "k.pem")
        crt = os.path.join(self.tmp, "c.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", crt, "-days", "30", "-subj", "/CN=test.local"],
                       check=True, capture_output=True)
        run("cert", self.img, "--cert", crt, "--key", key)
        r = run("cert", self.img, "--cert", key, "--key", crt, ok=False)
        self.assertNotEqual(r.returncode, 0)


if __name__ == "__main__":
    unittest.main()
