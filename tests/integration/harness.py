"""Integration-test harness: run build/host-asan/imapd and talk to it.

    with Server(users={"alice": "pw"}) as srv:
        c = srv.imap()                    # imaplib.IMAP4, greeting read
        c.login("alice", "pw")
        r = srv.raw()                     # line-oriented raw connection
        r.greeting()
        r.cmd("a1 NOOP")                  # -> ["a1 OK ..."], untagged first

The server gets a temporary image, free loopback ports and `-v` logging
(srv.log). It is ready when the plain port answers with a greeting: slirp
accepts connections before lwIP listens, so a successful connect() proves
nothing. If the server dies or a sanitizer reports anything, the test fails
with the server's log.

Environment: IMAPD_BIN overrides the binary.
"""
import imaplib
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMAPD_BIN = os.environ.get("IMAPD_BIN", os.path.join(ROOT, "build", "host-asan", "imapd"))
HOST = "127.0.0.1"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "lwip: assertion")


class ServerError(AssertionError):
    pass


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """One imapd process. Arguments:
    users: {name: password} or [(name, password)...] given as --user; allow_plaintext: --allow-plaintext;
    args: extra command-line arguments; image: an existing image path to use
    (default: a new one in a temporary directory); tls: also serve --tls-port.
    """

    def __init__(self, users=None, allow_plaintext=True, args=(), image=None, tls=True):
        self.users = {"alice": "pw"} if users is None else dict(users)
        self.allow_plaintext = allow_plaintext
        self.args = list(args)
        self.tls = tls
        # Removed when the object goes away, so restart() and start() after
        # stop() find the same image.
        self._tmp = tempfile.TemporaryDirectory(prefix="imapd-test-")
        self.dir = self._tmp.name
        self.image = image or os.path.join(self.dir, "flash.img")
        self.port = self.tls_port = None
        self.proc = None
        self.returncode = None
        self._logfile = None
        self._logs = []          # logs of earlier runs (restart)

    # ---- life cycle ----

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        return False

    def command(self):
        cmd = [IMAPD_BIN, "--image", self.image, "--port", str(self.port),
               "--tls-port", str(self.tls_port if self.tls else 0), "-v"]
        for name, pw in self.users.items():
            cmd += ["--user", "%s:%s" % (name, pw)]
        if self.allow_plaintext:
            cmd.append("--allow-plaintext")
        return cmd + self.args

    def start(self):
        if not os.access(IMAPD_BIN, os.X_OK):
            raise ServerError("%s not built (make host-asan build: make test)" % IMAPD_BIN)
        for _attempt in range(3):
            if self.port is None:
                self.port, self.tls_port = free_port(), free_port()
            self._spawn()
            try:
                self._wait_ready()
                return
            except ServerError:
                # A port taken between free_port() and the server's bind:
                # try other ports; anything else is a real failure.
                if self.proc.poll() is not None and "cannot listen" in self._read_log():
                    self.port = None
                    continue
                self.kill()
                raise
        raise ServerError("no free ports after 3 attempts\n" + self.log)

    def _spawn(self):
        if self._logfile:
            self._logs.append(self._read_log())
        logpath = os.path.join(self.dir, "imapd-%d.log" % (len(self._logs) + 1))
        self._logfile = logpath
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        with open(logpath, "wb") as f:
            self.proc = subprocess.Popen(self.command(), stdout=f, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env)
        self.returncode = None

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError("imapd exited with status %d during start-up\n%s"
                                  % (self.proc.returncode, self.log))
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as s:
                    if s.makefile("rb").readline().startswith(b"* OK"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise ServerError("imapd sent no greeting within %.0f s\n%s" % (START_TIMEOUT, self.log))

    def stop(self):
        """SIGTERM, then expect a clean exit (status 0, no sanitizer report)."""
        if not self.proc or self.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.returncode = self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ServerError("imapd did not exit on SIGTERM within %.0f s\n%s"
                              % (STOP_TIMEOUT, self.log))
        self.check_log()
        if self.returncode != 0:
            raise ServerError("imapd exited with status %d\n%s" % (self.returncode, self.log))

    def kill(self):
        """SIGKILL (a power cut, as far as the image is concerned)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc:
            self.returncode = self.proc.returncode

    def restart(self):
        """Stop cleanly and start again on the same image and ports."""
        self.stop()
        self._spawn()
        try:
            self._wait_ready()
        except ServerError:
            self.kill()
            raise

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # ---- log ----

    def _read_log(self):
        if not self._logfile or not os.path.exists(self._logfile):
            return ""
        with open(self._logfile, "rb") as f:
            return f.read().decode("utf-8", "replace")

    @property
    def log(self):
        """Everything the server printed (all runs since construction)."""
        return "".join(self._logs) + self._read_log()

    def log_text(self):
        return self.log

    def check_log(self):
        log = self.log
        for mark in SANITIZER_MARKS:
            if mark in log:
                raise ServerError("imapd reported %r\n%s" % (mark, log))

    # ---- clients ----

    def imap(self, timeout=10):
        return imaplib.IMAP4(HOST, self.port, timeout=timeout)

    def imap_ssl(self, context=None, timeout=10):
        if context is None:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return imaplib.IMAP4_SSL(HOST, self.tls_port, ssl_context=context, timeout=timeout)

    def raw(self, timeout=10, tls=False):
        return RawConn(self.tls_port if tls else self.port, timeout, tls)


class RawConn:
    """A raw IMAP connection: send bytes, read CRLF lines."""

    def __init__(self, port, timeout=10, tls=False):
        sock = socket.create_connection((HOST, port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock)
        self.sock = sock
        self.f = sock.makefile("rb")

    def close(self):
        self.f.close()
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send(self, data):
        """Send str or bytes as is (no CRLF added)."""
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def line(self):
        """One line as str without CRLF; '' at EOF."""
        raw = self.f.readline()
        if not raw:
            return ""
        return raw.decode("utf-8", "replace").rstrip("\r\n")

    def greeting(self):
        g = self.line()
        if not g.startswith("* OK"):
            raise AssertionError("bad greeting %r" % g)
        return g

    def until_tagged(self, tag):
        """Lines up to and including the tagged response of tag."""
        lines = []
        while True:
            ln = self.line()
            if ln == "":
                raise AssertionError("EOF before %s's response; got %r" % (tag, lines))
            lines.append(ln)
            if ln.startswith(tag + " "):
                return lines

    def cmd(self, command):
        """Send one command line (tag first) and return its response lines."""
        self.send(command + "\r\n")
        return self.until_tagged(command.split(" ", 1)[0])

    def rest(self):
        """Everything until the server closes the connection; raises
        socket.timeout if it does not close."""
        return self.f.read().decode("utf-8", "replace")


class ServerTestCase(unittest.TestCase):
    """One server for the whole class (SERVER_KWARGS); self.srv in tests."""

    SERVER_KWARGS = {}

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(**cls.SERVER_KWARGS)
        cls.srv.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def setUp(self):
        if not self.srv.alive():
            self.fail("imapd is not running\n" + self.srv.log)

    def tearDown(self):
        self.srv.check_log()
        if not self.srv.alive():
            self.fail("imapd died (status %s)\n%s" % (self.srv.proc.poll(), self.srv.log))
