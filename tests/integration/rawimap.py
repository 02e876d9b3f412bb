"""A small raw IMAP client for tests: exact bytes out, exact lines back.

imaplib hides the protocol; these tests need to see untagged responses,
continuation requests and literals exactly as the server sends them.
"""
import re
import socket
import ssl

LITERAL_RE = re.compile(rb"\{(\d+)\}\r\n$")


class Raw:
    def __init__(self, port, host="127.0.0.1", timeout=20, tls=False, cafile=None):
        s = socket.create_connection((host, port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context(cafile=cafile) if cafile else ssl._create_unverified_context()
            s = ctx.wrap_socket(s, server_hostname="localhost" if cafile else None)
        self.sock = s
        self.buf = b""
        self.n = 0
        self.greeting = self.line()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("server closed the connection")
        self.buf += chunk

    def line(self):
        """One response line with any literals inline (bytes, CRLF kept)."""
        out = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            i = self.buf.index(b"\r\n") + 2
            part, self.buf = self.buf[:i], self.buf[i:]
            out += part
            m = LITERAL_RE.search(part)
            if not m:
                return out
            n = int(m.group(1))
            while len(self.buf) < n:
                self._fill()
            out += self.buf[:n]
            self.buf = self.buf[n:]

    def tag(self):
        self.n += 1
        return "t%d" % self.n

    def cmd(self, text, tag=None):
        """Send one command line; return (untagged lines, tagged line) as str."""
        tag = tag or self.tag()
        self.send("%s %s\r\n" % (tag, text))
        return self.collect(tag)

    def collect(self, tag):
        untagged = []
        while True:
            ln = self.line()
            s = ln.decode("utf-8", "replace")
            if s.startswith(tag + " "):
                return untagged, s.rstrip("\r\n")
            untagged.append(s.rstrip("\r\n"))

    def ok(self, text):
        u, t = self.cmd(text)
        status = t.split(" ", 2)[1]
        if status != "OK":
            raise AssertionError("%s -> %s" % (text, t))
        return u, t

    def login(self, user="alice", password="pw"):
        return self.ok('LOGIN "%s" "%s"' % (user, password))

    def append(self, mailbox, msg, flags="", nonsync=False):
        if isinstance(msg, str):
            msg = msg.encode()
        tag = self.tag()
        fl = (" (%s)" % flags) if flags else ""
        if nonsync:
            self.send(b"%s APPEND %s%s {%d+}\r\n" % (tag.encode(), mailbox.encode(), fl.encode(), len(msg)) + msg + b"\r\n")
        else:
            self.send(b"%s APPEND %s%s {%d}\r\n" % (tag.encode(), mailbox.encode(), fl.encode(), len(msg)))
            ln = self.line()
            if not ln.startswith(b"+"):
                return [], ln.decode().rstrip("\r\n")
            self.send(msg + b"\r\n")
        return self.collect(tag)
