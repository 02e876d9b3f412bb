"""test_mime_dovecot.py - differential test of the MIME modules against Dovecot,
and of our server's FETCH against the MIME modules.

Every message of mime_corpus.py is APPENDed to a private Dovecot instance
(Debian's dovecot-imapd, started here on a loopback port with its own
base_dir, maildir and passwd-file; never the system service) and its ENVELOPE,
BODYSTRUCTURE, BODY and BODY.PEEK[section] answers are compared with what
tools/mimedump prints for the same bytes (the parser fed as APPEND feeds it,
the renderers with a small output buffer). Differences listed in
mime_corpus.KNOWN are documented in docs/mime-differences.md; any other
difference fails. The test is skipped only when Dovecot cannot be installed.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mime_corpus  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def find_mimedump():
    for cand in (os.environ.get("MIMEDUMP"), os.path.join(ROOT, "build/host-asan/mimedump"),
                 os.path.join(ROOT, "build/host/mimedump")):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


def find_dovecot():
    path = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot")
                                       else None)
    if path or os.geteuid() != 0:
        return path
    # Install it (Debian), then stop and disable the packaged service at once:
    # the test runs its own instance and never depends on the system one.
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "dovecot-imapd"],
                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for cmd in (["systemctl", "stop", "dovecot"], ["systemctl", "disable", "dovecot"],
                ["service", "dovecot", "stop"]):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return shutil.which("dovecot") or ("/usr/sbin/dovecot"
                                       if os.path.exists("/usr/sbin/dovecot") else None)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Dovecot:
    def __init__(self, binary):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="mime-dovecot-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        base = os.path.join(self.dir, "base")
        mail = os.path.join(self.dir, "mail")
        os.makedirs(os.path.join(base, "state"))
        os.makedirs(mail)
        root = os.geteuid() == 0
        # As root the login processes must drop privileges: use the package's
        # unprivileged users; otherwise everything runs as the current user.
        import grp
        import pwd
        me = pwd.getpwuid(os.geteuid()).pw_name
        mygroup = grp.getgrgid(os.getegid()).gr_name
        login_user = "dovenull" if root else me
        internal = "dovecot" if root else me
        internal_group = "dovecot" if root else mygroup
        mail_uid = "dovecot" if root else str(os.geteuid())
        mail_gid = "dovecot" if root else str(os.getegid())
        if root:
            shutil.chown(mail, "dovecot", "dovecot")
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            f.write("u:{PLAIN}p::::::\n")
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(f"""base_dir = {base}
state_dir = {base}/state
log_path = {self.dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login_user}
mail_location = maildir:{mail}/%u
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.dir}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
""")
        subprocess.run([binary, "-c", self.conf], check=True)
        self.pidfile = os.path.join(base, "master.pid")
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not start: " + self.log())

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        try:
            with open(self.pidfile) as f:
                pid = int(f.read().strip())
            os.kill(pid, 15)
            for _ in range(50):
                os.kill(pid, 0)
                time.sleep(0.1)
        except (OSError, ValueError):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Client:
    """Just enough IMAP to get raw FETCH responses byte for byte."""

    def __init__(self, port, user=b"u", password=b"p"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = b""
        self.n = 0
        self.line()
        self.cmd(b"LOGIN " + user + b" " + password)
        self.cmd(b"SELECT INBOX")

    def close(self):
        self.sock.close()

    def line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(1 << 16)
            if not data:
                raise EOFError
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line + b"\r\n"

    def take(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(1 << 20)
            if not data:
                raise EOFError
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self):
        """One response, literals included."""
        out = b""
        while True:
            line = self.line()
            out += line
            m = re.search(rb"\{(\d+)\}\r\n$", line)
            if not m:
                return out
            out += self.take(int(m.group(1)))

    def cmd(self, text, literal=None):
        self.n += 1
        tag = b"t%d" % self.n
        if literal is None:
            self.sock.sendall(tag + b" " + text + b"\r\n")
        else:
            self.sock.sendall(tag + b" " + text + b" {%d}\r\n" % len(literal))
            cont = self.response()
            assert cont.startswith(b"+"), cont
            self.sock.sendall(literal + b"\r\n")
        untagged = []
        while True:
            r = self.response()
            if r.startswith(tag + b" "):
                if not r.startswith(tag + b" OK"):
                    raise RuntimeError(r)
                return untagged, r
            untagged.append(r)


LITERAL = re.compile(rb"\{(\d+)\}\r\n")
ATOM = re.compile(rb"[^ ()\[\]]+(\[[^\]]*\])?(<\d+>)?")


def skip_value(b, i):
    """End index of the IMAP value starting at b[i]."""
    c = b[i:i + 1]
    if c == b"(":
        i += 1
        while b[i:i + 1] != b")":
            if b[i:i + 1] == b" ":
                i += 1
                continue
            i = skip_value(b, i)
        return i + 1
    if c == b'"':
        i += 1
        while b[i:i + 1] != b'"':
            i += 2 if b[i:i + 1] == b"\\" else 1
        return i + 1
    if c == b"{":
        m = LITERAL.match(b, i)
        return m.end() + int(m.group(1))
    return ATOM.match(b, i).end()


def fetch_items(resp):
    """* n FETCH (K V K V ...) -> {K: raw V}"""
    i = resp.index(b"(")
    end = len(resp.rstrip(b"\r\n")) - 1
    items = {}
    i += 1
    while i < end:
        if resp[i:i + 1] == b" ":
            i += 1
            continue
        k_end = skip_value(resp, i)
        key = resp[i:k_end]
        v_start = k_end + 1
        v_end = skip_value(resp, v_start)
        items[key.decode()] = resp[v_start:v_end]
        i = v_end
    return items


def string_value(raw):
    if raw == b"NIL":
        return None
    if raw.startswith(b'"'):
        return re.sub(rb"\\(.)", rb"\1", raw[1:-1])
    return raw[LITERAL.match(raw).end():]


def mimedump(tool, data, sections, options=()):
    with tempfile.NamedTemporaryFile(suffix=".eml") as f:
        f.write(data)
        f.flush()
        out = subprocess.run([tool, "-x", "-o", "61", *options, f.name] + sections,
                             stdout=subprocess.PIPE, check=True, timeout=300).stdout
    items = {}
    i = 0
    while i < len(out):
        nl = out.index(b"\n", i)
        m = re.match(rb"(.*) (-?\d+)$", out[i:nl])
        name, n = m.group(1).decode(), int(m.group(2))
        if n < 0:
            items[name] = "BAD"
            i = out.index(b"\n", nl + 1) + 1
            continue
        items[name] = out[nl + 1:nl + 1 + n]
        i = nl + 1 + n + 1
    return items


def fetch(client, uid, items, per_command=8):
    """FETCH items (a few per command: servers bound the item count);
    {item name as answered: raw value}."""
    got = {}
    for i in range(0, len(items), per_command):
        batch = b" ".join(items[i:i + per_command])
        untagged, _ = client.cmd(b"UID FETCH " + uid + b" (" + batch + b")")
        for resp in untagged:
            got.update(fetch_items(resp))
    return got


def compare(client, tool, data, label="server"):
    """APPEND data, FETCH every item, return the differences from mimedump."""
    _, ok = client.cmd(b"APPEND INBOX", data)
    uid = re.search(rb"APPENDUID \d+ (\d+)", ok).group(1)
    ours = mimedump(tool, data, mime_corpus.SECTIONS)
    items = [b"ENVELOPE", b"BODYSTRUCTURE", b"BODY"]
    items += [b"BODY.PEEK[" + sect.encode() + b"]" for sect in mime_corpus.SECTIONS]
    theirs = fetch(client, uid, items)
    diffs = []
    for item in ("ENVELOPE", "BODYSTRUCTURE", "BODY"):
        if theirs.get(item) != ours[item]:
            diffs.append("%s:\n  %-8s %r\n  mimedump: %r" % (
                item, label + ":", theirs.get(item, b"?")[:600], ours[item][:600]))
    for sect in mime_corpus.SECTIONS:
        key = "BODY[%s]" % sect
        value = string_value(theirs[key]) or b"" if key in theirs else None
        if value != ours.get(key):
            diffs.append("%s:\n  %-8s %r\n  mimedump: %r" % (
                key, label + ":", (value or b"?")[:300], ours.get(key, b"?")[:300]))
    return diffs, ours


class MimeDovecotTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tool = find_mimedump()
        if not cls.tool:
            raise AssertionError("tools/mimedump is not built (run make first)")
        binary = find_dovecot()
        if not binary:
            raise unittest.SkipTest("dovecot cannot be installed here")
        cls.dovecot = Dovecot(binary)
        cls.client = Client(cls.dovecot.port)

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "client", None):
            cls.client.close()
        if getattr(cls, "dovecot", None):
            cls.dovecot.stop()

    def test_corpus(self):
        failures = []
        known_seen = []
        for name, data in mime_corpus.corpus():
            diffs, ours = compare(self.client, self.tool, data, "dovecot")
            # fed 7 bytes at a time into a 320-byte blob (the re-parse
            # fallback for all but the smallest messages): the same answers
            small = mimedump(self.tool, data, mime_corpus.SECTIONS, ("-c", "7", "-m", "320"))
            self.assertEqual(small, ours, name + ": truncated blob answers differ")
            if name in mime_corpus.KNOWN:
                known_seen.append("%s: %s (%d differences)" % (name, mime_corpus.KNOWN[name],
                                                                len(diffs)))
                continue
            if diffs:
                failures.append("== %s\n%s" % (name, "\n".join(diffs)))
        for k in known_seen:
            print("known difference:", k, file=sys.stderr)
        self.assertFalse(failures, "\n".join(failures))


class MimeServerTest(unittest.TestCase):
    """The same corpus through our server's APPEND and FETCH: every answer
    must be what mimedump computes from the same bytes (the FETCH code adds
    nothing and loses nothing)."""

    MAX_SIZE = 1 << 20

    def test_server_answers(self):
        import harness
        tool = find_mimedump()
        self.assertTrue(tool, "tools/mimedump is not built (run make first)")
        failures = []
        with harness.Server(users={"u": "p"}) as srv:
            client = Client(srv.port)
            try:
                for name, data in mime_corpus.corpus():
                    if len(data) > self.MAX_SIZE or b"\0" in data:
                        continue   # image size; NUL is not valid in an APPEND literal
                    diffs, _ = compare(client, tool, data)
                    if diffs:
                        failures.append("== %s\n%s" % (name, "\n".join(diffs)))
            finally:
                client.close()
            srv.check_log()
        self.assertFalse(failures, "\n".join(failures))


if __name__ == "__main__":
    unittest.main()
