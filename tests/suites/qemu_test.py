#!/usr/bin/env python3
"""qemu_test.py FIRMWARE.elf - the IMAP server running as firmware in QEMU.

Boots the firmware on a fresh image with a provisioned user, then checks
over the emulated LAN9118 and slirp: the device's own mail, IMAPS login
(certificate fingerprint as printed on the console), STARTTLS, APPEND,
SELECT, FETCH, SEARCH, IDLE across two sessions and a 1 MiB message. Then
it kills QEMU in the middle of an APPEND (a power cut as far as the image
file is concerned), boots again and checks that every acknowledged message
is intact and the interrupted one absent. Prints "N passed, N failed".
"""
import hashlib
import imaplib
import os
import re
import secrets
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback

BOOT_TIMEOUT = 60
USER = "tester"
# The board reports a new stack peak at most every STACK_CHECK_MS (main.c, 5 s).
STACK_REPORT_S = 6


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Board:
    """One QEMU run of the firmware on an image file."""

    def __init__(self, fw, workdir, image, provision=None, extra=(), guest_ip=""):
        self.fw, self.workdir, self.image = fw, workdir, image
        self.port, self.tls_port = free_port(), free_port()
        self.logpath = os.path.join(workdir, "console-%d.log" % time.time_ns())
        args = ["arg=firmware", "arg=image=" + image, "arg=log=1"]
        if provision:
            args.append("arg=provision=" + provision)
        args += ["arg=" + a for a in extra]
        self.proc = subprocess.Popen(
            ["qemu-system-arm", "-M", "mps2-an385", "-display", "none", "-monitor", "none",
             "-serial", "file:" + self.logpath,
             "-semihosting-config", "enable=on,target=native," + ",".join(args),
             "-nic", "user,hostfwd=tcp:127.0.0.1:%d-%s:143,hostfwd=tcp:127.0.0.1:%d-%s:993"
             % (self.port, guest_ip, self.tls_port, guest_ip),
             "-kernel", fw],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.wait_ready()

    def console(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace").replace("\r", "")
        except FileNotFoundError:
            return ""

    def wait_ready(self):
        deadline = time.time() + BOOT_TIMEOUT
        while "imapd ready on" not in self.console():
            if self.proc.poll() is not None:
                raise RuntimeError("firmware exited with %d:\n%s%s" % (
                    self.proc.returncode, self.console(), self.proc.stderr.read().decode()))
            if time.time() > deadline:
                raise RuntimeError("no 'imapd ready' within %d s:\n%s" % (BOOT_TIMEOUT, self.console()))
            time.sleep(0.1)
        # slirp accepts before the guest answers: wait for a real greeting.
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("no greeting:\n" + self.console())
            time.sleep(0.1)

    def fingerprint(self):
        m = re.search(r"certificate SHA-256 fingerprint: ([0-9A-Fa-f:]+)", self.console())
        return m.group(1).upper() if m else None

    def imaps(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE   # self-signed: checked by fingerprint
        return imaplib.IMAP4_SSL("127.0.0.1", self.tls_port, ssl_context=ctx, timeout=60)

    def login(self, password):
        c = self.imaps()
        c.login(USER, password)
        return c

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.kill()


def message(subject, body):
    return ("From: Test <test@example.org>\r\nTo: %s@example.org\r\nSubject: %s\r\n"
            "Date: Wed, 25 Nov 2026 10:00:00 +0000\r\nMessage-ID: <%s@example.org>\r\n"
            "\r\n%s" % (USER, subject, secrets.token_hex(8), body)).encode()


def big_message(size):
    head = message("one mebibyte", "")
    line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!?\r\n"
    body = (line * (size // len(line) + 1))[:size - len(head) - 2] + b"\r\n"
    return head + body


def ok(typ, data, what):
    if typ != "OK":
        raise AssertionError("%s: %s %r" % (what, typ, data))
    return data


def fetch_all(c):
    """uid -> sha256 of every message in the selected mailbox."""
    out = {}
    typ, data = c.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
    ok(typ, data, "FETCH 1:*")
    for item in data:
        if isinstance(item, tuple):
            uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
            out[uid] = hashlib.sha256(item[1]).hexdigest()
    return out


def raw(c, text):
    """One command on an imaplib connection, bypassing imaplib's parser:
    (untagged lines, tagged line) as str."""
    tag = c._new_tag()
    c.send(tag + b" " + text.encode() + b"\r\n")
    lines = []
    while True:
        line = c.readline()
        assert line, "connection closed"
        s = line.decode(errors="replace").rstrip("\r\n")
        if line.startswith(tag + b" "):
            assert " OK " in s, (text, s, lines)
            return lines, s
        lines.append(s)


def qresync_select(c, uidv, modseq):
    """(VANISHED (EARLIER) text, FETCH lines) of SELECT INBOX (QRESYNC ...)."""
    u, _ = raw(c, "SELECT INBOX (QRESYNC (%d %d))" % (uidv, modseq))
    van = " ".join(ln for ln in u if ln.startswith("* VANISHED (EARLIER) "))
    return van, [ln for ln in u if " FETCH (" in ln]


def uid_in(text, uid):
    for part in re.findall(r"[\d:]+", text.replace("* VANISHED (EARLIER) ", "")):
        a, _, b = part.partition(":")
        if int(a) <= uid <= int(b or a):
            return True
    return False


class Suite:
    def __init__(self, fw):
        self.fw = fw
        self.passed = self.failed = 0
        self.tmp = tempfile.TemporaryDirectory(prefix="qemu-test-")
        self.image = os.path.join(self.tmp.name, "flash.img")
        self.password = secrets.token_urlsafe(12)
        self.acked = {}   # uid -> sha256 of messages the server acknowledged
        self.board = None

    def check(self, name, fn):
        t0 = time.time()
        try:
            fn()
            self.passed += 1
            print("ok   %-44s %6.2f s" % (name, time.time() - t0))
        except Exception:
            self.failed += 1
            print("FAIL %s" % name)
            traceback.print_exc(file=sys.stdout)
            if self.board:
                print("---- console ----\n" + self.board.console()[-3000:])
        sys.stdout.flush()

    # ---- first boot ----
    def t_boot(self):
        prov = os.path.join(self.tmp.name, "provision")
        with open(prov, "w") as f:
            f.write("# test user\nuser %s %s\n" % (USER, self.password))
        self.board = Board(self.fw, self.tmp.name, self.image, provision=prov)
        con = self.board.console()
        assert "provision: user %s created" % USER in con, con
        assert self.board.fingerprint(), "no fingerprint on the console"

    def t_device_mail(self):
        c = self.board.login(self.password)
        n = int(ok(*c.select("INBOX"), "SELECT")[0])
        assert n == 2, "welcome + boot report expected, INBOX has %d" % n
        typ, data = c.fetch("1:2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        subjects = b"".join(x[1] for x in data if isinstance(x, tuple))
        assert b"Welcome" in subjects and b"Boot report" in subjects, subjects
        for uid, digest in fetch_all(c).items():
            self.acked[uid] = digest
        c.logout()

    def t_tls_fingerprint(self):
        c = self.board.imaps()
        der = c.sock.getpeercert(binary_form=True)
        got = ":".join("%02X" % b for b in hashlib.sha256(der).digest())
        assert got == self.board.fingerprint(), (got, self.board.fingerprint())
        ok(*c.login(USER, self.password), "LOGIN")
        c.logout()

    def t_wrong_password(self):
        c = self.board.imaps()
        try:
            c.login(USER, self.password + "x")
        except imaplib.IMAP4.error:
            return
        finally:
            c.shutdown()
        raise AssertionError("LOGIN with a wrong password succeeded")

    def t_starttls(self):
        c = imaplib.IMAP4("127.0.0.1", self.board.port, timeout=60)
        ctx = ssl._create_unverified_context()
        ok(*c.starttls(ssl_context=ctx), "STARTTLS")
        ok(*c.login(USER, self.password), "LOGIN after STARTTLS")
        c.logout()

    def t_append_fetch_search(self):
        c = self.board.login(self.password)
        msgs = [message("hello %d" % i, "body number %d\r\n" % i) for i in range(5)]
        for m in msgs:
            typ, data = c.append("INBOX", None, None, m)
            ok(typ, data, "APPEND")
        ok(*c.select("INBOX"), "SELECT")
        got = fetch_all(c)
        for m in msgs:
            d = hashlib.sha256(m).hexdigest()
            assert d in got.values(), "appended message not fetched back intact"
        for uid, d in got.items():
            self.acked[uid] = d
        # INTERNALDATE comes from the board's clock (host time at boot + tick).
        typ, data = c.fetch("1", "(INTERNALDATE)")
        when = imaplib.Internaldate2tuple(data[0])
        assert when and abs(time.mktime(when) - time.time()) < 300, data
        typ, data = c.search(None, "SUBJECT", '"hello 3"')
        ok(typ, data, "SEARCH")
        assert len(data[0].split()) == 1, data
        typ, data = c.search(None, "BODY", '"body number"')
        assert len(data[0].split()) == 5, data
        c.logout()

    def t_idle_two_sessions(self):
        a = self.board.login(self.password)
        n = int(ok(*a.select("INBOX"), "SELECT")[0])
        tag = a._new_tag()
        a.send(tag + b" IDLE\r\n")
        assert a.readline().startswith(b"+"), "no IDLE continuation"
        b = self.board.login(self.password)
        m = message("during idle", "hi\r\n")
        ok(*b.append("INBOX", None, None, m), "APPEND from the second session")
        a.sock.settimeout(10)
        while True:   # other untagged data may come first; EXISTS must come
            line = a.readline()
            assert line, "connection closed while idling"
            if re.match(rb"\* \d+ EXISTS", line):
                assert line.startswith(b"* %d EXISTS" % (n + 1)), line
                break
        a.send(b"DONE\r\n")
        while True:
            line = a.readline()
            if line.startswith(tag):
                assert b" OK" in line, line
                break
        ok(*b.select("INBOX"), "SELECT")
        for uid, d in fetch_all(b).items():
            self.acked[uid] = d
        a.logout()
        b.logout()

    def t_qresync(self):
        """CONDSTORE/QRESYNC on the board: a flag change and an expunge,
        then a resync from the old HIGHESTMODSEQ (again after reboots)."""
        c = self.board.login(self.password)
        ok(*c.append("INBOX", None, None, message("qresync victim", "x\r\n")), "APPEND")
        u, _ = raw(c, "ENABLE QRESYNC")
        assert "* ENABLED QRESYNC" in u, u
        u, _ = raw(c, "SELECT INBOX")
        text = " ".join(u)
        uidv = int(re.search(r"UIDVALIDITY (\d+)", text).group(1))
        h0 = int(re.search(r"HIGHESTMODSEQ (\d+)", text).group(1))
        u, _ = raw(c, 'UID SEARCH SUBJECT "qresync victim"')
        victim = int(u[0].split()[-1])
        raw(c, "STORE 1 +FLAGS (\\Flagged)")
        raw(c, "UID STORE %d +FLAGS.SILENT (\\Deleted)" % victim)
        u, _ = raw(c, "UID EXPUNGE %d" % victim)
        assert "* VANISHED %d" % victim in u, u
        van, fetches = qresync_select(c, uidv, h0)
        assert uid_in(van, victim), van
        assert len(fetches) == 1 and fetches[0].startswith("* 1 FETCH (UID ") and \
            "\\Flagged" in fetches[0] and "MODSEQ (" in fetches[0], fetches
        self.qr = (uidv, h0, victim, fetches[0])
        c.logout()

    def t_qresync_after_reboot(self):
        uidv, h0, victim, fetch = self.qr
        c = self.board.login(self.password)
        raw(c, "ENABLE QRESYNC")
        van, fetches = qresync_select(c, uidv, h0)
        assert uid_in(van, victim), van
        assert fetch in fetches, (fetch, fetches)   # same modseq: persisted
        c.logout()

    def t_one_mebibyte(self):
        c = self.board.login(self.password)
        m = big_message(1024 * 1024)
        t0 = time.time()
        ok(*c.append("INBOX", None, None, m), "APPEND 1 MiB")
        t1 = time.time()
        ok(*c.select("INBOX"), "SELECT")
        typ, data = c.uid("SEARCH", None, "LARGER", "1000000")
        uids = data[0].split()
        assert len(uids) == 1, data
        typ, data = c.uid("FETCH", uids[0], "(BODY.PEEK[])")
        t2 = time.time()
        body = [x[1] for x in data if isinstance(x, tuple)][0]
        assert body == m, "1 MiB message differs (%d bytes back)" % len(body)
        self.acked[int(uids[0])] = hashlib.sha256(m).hexdigest()
        print("     1 MiB: APPEND %.2f MB/s, FETCH %.2f MB/s" %
              (len(m) / (t1 - t0) / 1e6, len(m) / (t2 - t1) / 1e6))
        c.logout()

    def cut_mid_append(self, size, delay):
        """Start an APPEND of size bytes over STARTTLS, send half, kill QEMU."""
        s = socket.create_connection(("127.0.0.1", self.board.port), timeout=30)
        f = s.makefile("rb")
        assert f.readline().startswith(b"* OK")
        s.sendall(b"s STARTTLS\r\n")
        while not f.readline().startswith(b"s OK"):
            pass
        t = ssl._create_unverified_context().wrap_socket(s)
        f = t.makefile("rb")
        t.sendall(b"l LOGIN %s %s\r\n" % (USER.encode(), self.password.encode()))
        while not f.readline().startswith(b"l OK"):
            pass
        m = big_message(size)
        t.sendall(b"a APPEND INBOX {%d}\r\n" % len(m))
        assert f.readline().startswith(b"+"), "no continuation for APPEND"
        t.sendall(m[:len(m) // 2])
        time.sleep(delay)      # the firmware is writing part of it to flash
        self.board.kill()
        t.close()

    def reboot_and_verify(self, boot_no):
        """Boot again; every acknowledged message is intact, nothing else new
        but this boot's report."""
        self.board = Board(self.fw, self.tmp.name, self.image)
        con = self.board.console()
        assert "store: mounted" in con, con
        c = self.board.login(self.password)
        ok(*c.select("INBOX"), "SELECT")
        got = fetch_all(c)
        for uid, d in self.acked.items():
            assert got.get(uid) == d, "acknowledged message UID %d lost or damaged" % uid
        extra = set(got) - set(self.acked)
        assert len(extra) == 1, "unexpected messages after the cut: %s" % sorted(extra)
        uid = extra.pop()
        typ, data = c.uid("FETCH", str(uid), "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert b"Boot report" in data[0][1] and b"#%d" % boot_no in data[0][1], data
        self.acked[uid] = got[uid]
        c.logout()

    def t_power_cut_mid_append(self):
        self.cut_mid_append(512 * 1024, 0.5)

    def t_reboot_intact(self):
        self.reboot_and_verify(2)

    def t_more_cuts(self):
        rnd = secrets.SystemRandom()
        for boot_no in (3, 4, 5):
            self.cut_mid_append(256 * 1024, rnd.uniform(0.0, 0.3))
            self.reboot_and_verify(boot_no)

    def t_eight_sessions(self):
        """The configuration make size is budgeted for: 8 sessions, 2 of them
        TLS, all busy at once; the 9th connection is turned away politely,
        and every slot is free again afterwards."""
        self.board.stop()
        self.board = Board(self.fw, self.tmp.name, self.image, extra=("plaintext=1",))
        conns = [self.board.login(self.password) for _ in range(2)]
        for _ in range(6):
            c = imaplib.IMAP4("127.0.0.1", self.board.port, timeout=60)
            c.login(USER, self.password)
            conns.append(c)
        with socket.create_connection(("127.0.0.1", self.board.port), timeout=10) as s:
            line = s.recv(200)
        assert line.startswith(b"* BYE"), line
        errors = []

        def work(i, c):
            try:
                ok(*c.select("INBOX"), "SELECT")
                ok(*c.fetch("1:*", "(FLAGS BODY.PEEK[HEADER])"), "FETCH")
                typ, data = c.search(None, "TEXT", '"body"')
                ok(typ, data, "SEARCH")
                ok(*c.append("INBOX", None, None, message("load %d" % i, "from session %d\r\n" % i)),
                   "APPEND")
                ok(*c.noop(), "NOOP")
                c.logout()
            except Exception as e:   # reported below, with the session's number
                errors.append("session %d: %r" % (i, e))

        threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(conns)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
        assert not any(t.is_alive() for t in threads), "a session hung"
        # every slot (and both TLS contexts) back: two more TLS logins work
        for _ in range(2):
            c = self.board.login(self.password)
            ok(*c.select("INBOX"), "SELECT")
            typ, data = c.search(None, "SUBJECT", '"load"')
            assert len(data[0].split()) == 8, data
            c.logout()

    def t_getacl_longer_than_output_buffer(self):
        """A full ACL list (every user and "anyone", IMAPD_MAX_USERS + 1) of
        32-byte identifiers that quote to twice their length is one line
        longer than the board's 1 KiB output buffer: it goes out in pieces,
        whole."""
        c = self.board.login(self.password)
        ok(*c.create("acl-long"), "CREATE")
        idents = ["%02d" % i + '\\"' * 15 for i in range(17)]   # 32 bytes each
        quoted = ['"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in idents]
        for q in quoted:
            ok(*c._simple_command("SETACL", "acl-long", q, "lr"), "SETACL")
        typ, data = c.getacl("acl-long")
        ok(typ, data, "GETACL")
        line = b" ".join(d for d in data if isinstance(d, bytes)).decode()
        assert len(line) > 1024, len(line)
        for q in quoted:
            assert (q + " lr") in line, (q, line)
        ok(*c.delete("acl-long"), "DELETE")
        c.logout()

    def t_size_goals(self):
        """The firmware this suite boots fits the board's goals: 256 KiB of
        flash and 160 KiB of RAM (data, bss and the stack) with 8 sessions,
        2 of them TLS, and a 4,096-message index."""
        mapfile = os.path.join(os.path.dirname(self.fw), "firmware.map")
        r = subprocess.run([sys.executable, "boards/qemu-mps2-an385/size.py", mapfile, "--check"],
                           capture_output=True, text=True)
        print("  " + "\n  ".join(r.stdout.splitlines()[-3:]))
        assert r.returncode == 0, r.stdout + r.stderr

    def t_stack_peak(self):
        """The main stack (the linker script's STACK_SIZE) keeps at least
        1 KiB that was never touched, over everything the steps above did:
        boots with device mail, TLS handshakes, 8 busy sessions. The board
        logs each new peak of its painted stack every few seconds; wait for
        one report after the load, then take the largest of every boot."""
        time.sleep(STACK_REPORT_S)
        peak = size = 0
        for name in os.listdir(self.tmp.name):
            if name.startswith("console-"):
                with open(os.path.join(self.tmp.name, name), "rb") as f:
                    for m in re.finditer(rb"stack: new peak (\d+) of (\d+) bytes", f.read()):
                        peak, size = max(peak, int(m.group(1))), int(m.group(2))
        assert size, "no stack report on any console"
        print("  stack peak %d of %d bytes" % (peak, size))
        assert peak + 1024 <= size, "stack peak %d leaves less than 1 KiB of %d" % (peak, size)

    def t_static_address(self):
        self.board.stop()
        image = os.path.join(self.tmp.name, "static.img")
        # Not the address slirp's DHCP hands out: the forward reaches the
        # board only if it took the static one.
        self.board = Board(self.fw, self.tmp.name, image, guest_ip="10.0.2.20",
                           extra=("ip=10.0.2.20/24", "gw=10.0.2.2"))
        con = self.board.console()
        assert "net: address 10.0.2.20" in con, con
        with socket.create_connection(("127.0.0.1", self.board.port), timeout=10) as s:
            greeting = s.recv(200)
        assert greeting.startswith(b"* OK"), greeting

    def run(self):
        steps = [
            ("boot, first-boot provisioning", self.t_boot),
            ("device mail: welcome + boot report", self.t_device_mail),
            ("IMAPS login, certificate fingerprint", self.t_tls_fingerprint),
            ("LOGIN with a wrong password refused", self.t_wrong_password),
            ("STARTTLS on the plain port", self.t_starttls),
            ("APPEND, SELECT, FETCH, SEARCH", self.t_append_fetch_search),
            ("IDLE sees another session's APPEND", self.t_idle_two_sessions),
            ("1 MiB message round trip", self.t_one_mebibyte),
            ("CONDSTORE/QRESYNC: flag change and expunge resynced", self.t_qresync),
            ("QEMU killed in the middle of an APPEND", self.t_power_cut_mid_append),
            ("reboot: acknowledged mail intact", self.t_reboot_intact),
            ("QRESYNC resync after the reboot, same modseqs", self.t_qresync_after_reboot),
            ("three more cuts at random points, reboots", self.t_more_cuts),
            ("8 sessions (2 TLS) busy at once, the 9th refused", self.t_eight_sessions),
            ("GETACL line longer than the output buffer", self.t_getacl_longer_than_output_buffer),
            ("stack: 1 KiB never touched", self.t_stack_peak),
            ("size: flash <= 256 KiB, RAM <= 160 KiB", self.t_size_goals),
            ("static address instead of DHCP", self.t_static_address),
        ]
        try:
            for name, fn in steps:
                if name.startswith("boot") or self.board is not None:
                    self.check(name, fn)
                else:
                    self.failed += 1
                    print("FAIL %s (no board)" % name)
                if name.startswith("boot") and self.failed:
                    break
        finally:
            if self.board:
                self.board.stop()
            self.tmp.cleanup()
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


if __name__ == "__main__":
    sys.exit(Suite(sys.argv[1]).run())
