"""The server skeleton (issue 2): greeting, CAPABILITY, LOGIN, LOGOUT, the
slot limit, the bounded line reader, pipelining, and clean shutdown."""
import imaplib
import socket
import struct
import threading
import time
import unittest

from harness import HOST, RawConn, Server, ServerTestCase

LINE_MAX = 8192          # IMAPD_LINE_MAX default


class Basics(ServerTestCase):
    SERVER_KWARGS = {"users": {"alice": "pw"}}

    def test_greeting_names_capabilities(self):
        with self.srv.raw() as r:
            g = r.greeting()
            self.assertIn("[CAPABILITY ", g)
            self.assertIn("IMAP4rev1", g)

    def test_capability(self):
        c = self.srv.imap()
        typ, data = c.capability()
        self.assertEqual(typ, "OK")
        self.assertIn(b"IMAP4rev1", data[0])
        c.logout()

    def test_login_ok(self):
        c = self.srv.imap()
        typ, _ = c.login("alice", "pw")
        self.assertEqual(typ, "OK")
        c.logout()

    def test_login_wrong_password_is_no(self):
        with self.srv.raw() as r:
            r.greeting()
            resp = r.cmd('a1 LOGIN alice "wrong"')
            self.assertTrue(resp[-1].startswith("a1 NO"), resp)
            # The connection stays usable.
            self.assertTrue(r.cmd("a2 NOOP")[-1].startswith("a2 OK"))
        c = self.srv.imap()
        with self.assertRaises(imaplib.IMAP4.error):
            c.login("alice", "nope")
        c.logout()

    def test_login_unknown_user_is_no(self):
        with self.srv.raw() as r:
            r.greeting()
            self.assertTrue(r.cmd("a1 LOGIN mallory pw")[-1].startswith("a1 NO"))

    def test_logout_bye_then_ok_then_close(self):
        with self.srv.raw() as r:
            r.greeting()
            resp = r.cmd("a1 LOGOUT")
            self.assertTrue(resp[0].startswith("* BYE"), resp)
            self.assertTrue(resp[-1].startswith("a1 OK"), resp)
            self.assertEqual(r.rest(), "")

    def test_noop(self):
        with self.srv.raw() as r:
            r.greeting()
            self.assertTrue(r.cmd("a1 NOOP")[-1].startswith("a1 OK"))

    def test_unknown_command_is_bad(self):
        with self.srv.raw() as r:
            r.greeting()
            self.assertTrue(r.cmd("a1 FROBNICATE now")[-1].startswith("a1 BAD"))
            self.assertTrue(r.cmd("a2 NOOP")[-1].startswith("a2 OK"))

    def test_overlong_line_is_bad_and_resynchronises(self):
        with self.srv.raw() as r:
            r.greeting()
            r.send("a1 NOOP " + "x" * (3 * LINE_MAX) + "\r\n")
            ln = r.line()
            self.assertTrue(ln.startswith("* BAD") or ln.startswith("a1 BAD"), ln)
            self.assertTrue(r.cmd("a2 NOOP")[-1].startswith("a2 OK"))

    def test_pipelined_commands_answered_in_order(self):
        with self.srv.raw() as r:
            r.greeting()
            tags = ["p%d" % i for i in range(20)]
            r.send("".join("%s %s\r\n" % (t, "CAPABILITY" if i % 2 else "NOOP")
                           for i, t in enumerate(tags)))
            seen = []
            while len(seen) < len(tags):
                ln = r.line()
                self.assertNotEqual(ln, "", "EOF after %r" % seen)
                if not ln.startswith("*"):
                    seen.append(ln.split(" ", 2))
            self.assertEqual([s[0] for s in seen], tags)
            self.assertTrue(all(s[1] == "OK" for s in seen), seen)

    def test_output_obeys_back_pressure(self):
        # Far more output than lwIP's send buffer, requested in one write
        # and not read for a while: nothing may be lost or reordered.
        n = 2000
        with self.srv.raw(timeout=30) as r:
            r.greeting()
            r.send("".join("c%d CAPABILITY\r\n" % i for i in range(n)))
            time.sleep(0.5)
            got = 0
            while got < n:
                ln = r.line()
                self.assertNotEqual(ln, "")
                if ln.startswith("c"):
                    self.assertTrue(ln.startswith("c%d OK" % got), ln)
                    got += 1

    def test_client_half_close_still_answered(self):
        with self.srv.raw() as r:
            r.greeting()
            r.send("a1 NOOP\r\na2 LOGOUT\r\n")
            r.sock.shutdown(socket.SHUT_WR)
            rest = r.rest()
            self.assertIn("a1 OK", rest)
            self.assertIn("* BYE", rest)
            self.assertIn("a2 OK", rest)


class Robustness(ServerTestCase):
    """Clients that vanish at awkward moments must not leak slots or crash
    the server (the harness checks the log for sanitizer reports)."""

    def all_slots_free(self):
        # Every slot can be taken again (slots are released asynchronously).
        deadline = time.monotonic() + 5
        while True:
            conns = []
            try:
                for _ in range(8):
                    r = RawConn(self.srv.port)
                    conns.append(r)
                    if not r.line().startswith("* OK"):
                        break
                else:
                    return
            finally:
                for r in conns:
                    r.close()
            self.assertLess(time.monotonic(), deadline, "slots not released")
            time.sleep(0.1)

    def test_reset_while_output_is_queued(self):
        for _ in range(5):
            r = RawConn(self.srv.port)
            r.greeting()
            r.send("".join("c%d CAPABILITY\r\n" % i for i in range(500)))
            # RST instead of FIN: lwIP reports the pcb dead (imapd_err).
            r.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                              struct.pack("ii", 1, 0))
            r.close()
        self.all_slots_free()

    def test_churn(self):
        for i in range(100):
            s = socket.create_connection((HOST, self.srv.port), timeout=10)
            if i % 3 == 1:
                s.sendall(b"x1 NOOP\r\nx2 LOG")      # a partial command, then gone
            elif i % 3 == 2:
                s.makefile("rb").readline()
            s.close()
        self.all_slots_free()
        with self.srv.raw() as r:
            r.greeting()
            self.assertTrue(r.cmd("a NOOP")[-1].startswith("a OK"))


class SlotLimit(unittest.TestCase):
    def test_connections_beyond_the_slots_get_bye(self):
        with Server() as srv:
            held = []
            try:
                # Fill every slot; the first connection refused tells the count.
                while True:
                    r = RawConn(srv.port)
                    g = r.line()
                    if g.startswith("* BYE"):
                        r.close()
                        break
                    self.assertTrue(g.startswith("* OK"), g)
                    held.append(r)
                    self.assertLess(len(held), 1000)
                self.assertGreater(len(held), 0)

                # Ten more in parallel: each is told BYE and closed.
                results = [None] * 10

                def extra(i):
                    try:
                        with RawConn(srv.port) as x:
                            results[i] = (x.line(), x.rest())
                    except OSError as e:
                        results[i] = ("error %s" % e, "")
                threads = [threading.Thread(target=extra, args=(i,)) for i in range(10)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(30)
                for line, rest in results:
                    self.assertTrue(line.startswith("* BYE"), line)
                    self.assertEqual(rest, "")

                # The sessions holding the slots are unaffected.
                for i, r in enumerate(held):
                    self.assertTrue(r.cmd("h%d NOOP" % i)[-1].startswith("h%d OK" % i))
            finally:
                for r in held:
                    r.close()

            # Slots are reusable once their clients leave.
            deadline = time.monotonic() + 5
            while True:
                with RawConn(srv.port) as r:
                    if r.line().startswith("* OK"):
                        break
                self.assertLess(time.monotonic(), deadline, "slots not released")
                time.sleep(0.05)


class Process(unittest.TestCase):
    def test_listening_lines_and_clean_exit_on_sigterm(self):
        with Server() as srv:
            with srv.raw() as r:
                r.greeting()
        # Server.stop() (in __exit__) has checked status 0 and a clean log.
        self.assertIn("listening on %s:%d (imap)" % (HOST, srv.port), srv.log)

    def test_busy_port_is_a_clear_error(self):
        with socket.socket() as s:
            s.bind((HOST, 0))
            s.listen(1)
            srv = Server()
            srv.port, srv.tls_port = s.getsockname()[1], None
            srv.tls = False
            srv._spawn()
            code = srv.proc.wait(20)
            self.assertNotEqual(code, 0)
            self.assertIn("cannot listen on %s:%d" % (HOST, srv.port), srv.log)

    def test_restart_keeps_users(self):
        with Server(users={"bob": "secret"}) as srv:
            srv.users = {}          # the second run gets no --user
            srv.restart()
            c = srv.imap()
            self.assertEqual(c.login("bob", "secret")[0], "OK")
            c.logout()


if __name__ == "__main__":
    unittest.main()
