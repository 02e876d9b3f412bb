"""IMAP core I: states, authentication, mailbox commands, APPEND, literals,
modified UTF-7, IDLE and updates across sessions (RFC 3501, 7888, 2177,
5258, 5819, 6154, 6855, 4959)."""
import base64
import socket
import time
import unittest

from harness import Server
from rawimap import Raw

def name_of(line):
    """The mailbox name at the end of a LIST/LSUB/STATUS line, unquoted."""
    if line.startswith("* STATUS "):
        rest = line[len("* STATUS "):]
        name = rest[:rest.rindex(" (")]
    else:
        name = line[line.index(') "/" ') + 6:]
    return name[1:-1] if name.startswith('"') else name


MSG = (b"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\n"
       b"Subject: hello\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\n\r\nHi Bob\r\n")


class Core1(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(users=[("alice", "pw"), ("bob", "pw2")], allow_plaintext=True)
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def conn(self, login=True, user="alice", password="pw"):
        c = Raw(self.srv.port)
        self.addCleanup(c.close)
        if login:
            c.login(user, password)
        return c

    # ---- states and authentication ----

    def test_greeting_and_capability(self):
        c = self.conn(login=False)
        self.assertTrue(c.greeting.startswith(b"* OK [CAPABILITY IMAP4rev1"))
        u, t = c.ok("CAPABILITY")
        caps = u[0].split()
        for cap in ("IMAP4rev1", "LITERAL+", "SASL-IR", "IDLE", "ENABLE", "ID",
                    "NAMESPACE", "UNSELECT", "AUTH=PLAIN"):
            self.assertIn(cap, caps)
        _, t = c.cmd("LOGIN alice pw")
        self.assertIn("[CAPABILITY", t)
        u, t = c.ok("CAPABILITY")
        for cap in ("LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "CREATE-SPECIAL-USE",
                    "CHILDREN", "UTF8=ACCEPT"):
            self.assertIn(cap, u[0].split())
        limit = [c_ for c_ in u[0].split() if c_.startswith("APPENDLIMIT=")]
        self.assertEqual(len(limit), 1, u)
        # RFC 7889 3.2: the STATUS item tells the same limit, for any mailbox
        v, _ = c.ok("STATUS INBOX (MESSAGES APPENDLIMIT)")
        self.assertRegex(v[0], r'^\* STATUS "INBOX" \(MESSAGES \d+ APPENDLIMIT %s\)$' % limit[0][12:])
        v, _ = c.ok('LIST "" "INBOX" RETURN (STATUS (APPENDLIMIT))')
        self.assertIn('* STATUS "INBOX" (APPENDLIMIT %s)' % limit[0][12:], v)

    def test_star_of_empty_mailbox_is_bad(self):
        # RFC 9051 9 (seq-number): BAD for a sequence number above the
        # message count, "*" of an empty mailbox included; UIDs are not
        # numbers in use, so UID commands and SEARCH just find nothing
        c = self.conn()
        c.ok("CREATE empty1")
        c.ok("SELECT empty1")
        for cmd in ("FETCH * FLAGS", "FETCH 1:* FLAGS", "STORE * +FLAGS (\\Seen)",
                    "COPY * INBOX", "MOVE 1:* INBOX"):
            _, t = c.cmd(cmd)
            self.assertEqual(t.split()[1], "BAD", (cmd, t))
        for cmd in ("UID FETCH * FLAGS", "UID FETCH 1:* FLAGS", "UID STORE * +FLAGS (\\Seen)",
                    "SEARCH 1:*", "UID COPY 1:* INBOX"):
            u, t = c.cmd(cmd)
            self.assertEqual(t.split()[1], "OK", (cmd, t))
        c.append("empty1", MSG)
        c.ok("NOOP")
        u, _ = c.ok("FETCH * (UID)")
        self.assertEqual(u, ["* 1 FETCH (UID 1)"])

    def test_wrong_state_is_bad(self):
        c = self.conn(login=False)
        for cmd in ("SELECT INBOX", "LIST \"\" *", "CHECK", "FETCH 1 FLAGS", "ENABLE UTF8=ACCEPT"):
            _, t = c.cmd(cmd)
            self.assertIn(" BAD ", t, cmd)
        c.login()
        for cmd in ("CHECK", "CLOSE", "UNSELECT", "LOGIN alice pw"):
            _, t = c.cmd(cmd)
            self.assertIn(" BAD ", t, cmd)

    def test_login_failures(self):
        c = self.conn(login=False)
        _, t = c.cmd("LOGIN alice wrong")
        self.assertIn("NO [AUTHENTICATIONFAILED]", t)
        _, t = c.cmd("LOGIN nobody pw")
        self.assertIn("NO [AUTHENTICATIONFAILED]", t)
        _, t = c.cmd("LOGIN alice")
        self.assertIn(" BAD ", t)

    def test_authenticate_plain(self):
        c = self.conn(login=False)
        ir = base64.b64encode(b"\0alice\0pw").decode()
        _, t = c.cmd("AUTHENTICATE PLAIN " + ir)
        self.assertIn("OK", t)
        c2 = self.conn(login=False)
        c2.send("a AUTHENTICATE PLAIN\r\n")
        self.assertTrue(c2.line().startswith(b"+"))
        c2.send(base64.b64encode(b"\0bob\0pw2") + b"\r\n")
        _, t = c2.collect("a")
        self.assertTrue(t.startswith("a OK"), t)
        c3 = self.conn(login=False)
        c3.send("b AUTHENTICATE PLAIN\r\n")
        c3.line()
        c3.send("*\r\n")
        _, t = c3.collect("b")
        self.assertTrue(t.startswith("b BAD"), t)
        _, t = c3.cmd("AUTHENTICATE PLAIN " + base64.b64encode(b"\0alice\0bad").decode())
        self.assertIn("NO [AUTHENTICATIONFAILED]", t)
        # RFC 4616: a third NUL (the password would be cut at it), an empty
        # message, one longer than any user and password: credentials
        # rejected (NO), not a syntax error, and no login
        for msg in (b"\0alice\0pw\0junk", b"", b"\0" + b"a" * 60 + b"\0" + b"p" * 150):
            c4 = self.conn(login=False)
            _, t = c4.cmd("AUTHENTICATE PLAIN " + (base64.b64encode(msg).decode() or "="))
            self.assertIn("NO [AUTHENTICATIONFAILED]", t)

    def test_invalid_tag_is_untagged_bad(self):
        # "a+" is not the tag "a" (which another command may carry)
        c = self.conn()
        for line in ("a+ NOOP", "x* NOOP", "(a NOOP"):
            c.send(line + "\r\n")
            self.assertEqual(c.line(), b"* BAD Invalid tag\r\n")
        c.ok("NOOP")

    def test_logout(self):
        c = self.conn()
        u, t = c.cmd("LOGOUT")
        self.assertTrue(u[0].startswith("* BYE"))
        self.assertIn("OK", t)

    def test_id_namespace_enable(self):
        c = self.conn()
        u, _ = c.ok('ID ("name" "test")')
        self.assertTrue(u[0].startswith("* ID ("))
        u, _ = c.ok("NAMESPACE")
        self.assertTrue(u[0].startswith('* NAMESPACE (("" "/"))'))
        u, _ = c.ok("ENABLE UTF8=ACCEPT")
        self.assertEqual(u[0], "* ENABLED UTF8=ACCEPT")

    # ---- mailboxes ----

    def test_default_mailboxes_special_use(self):
        c = self.conn(user="bob", password="pw2")
        u, _ = c.ok('LIST "" "*"')
        text = "\n".join(u)
        for name, attr in (("Drafts", "\\Drafts"), ("Sent", "\\Sent"), ("Trash", "\\Trash"),
                           ("Junk", "\\Junk"), ("Archive", "\\Archive")):
            line = [x for x in u if name_of(x) == name]
            self.assertTrue(line, text)
            self.assertIn(attr, line[0])
        self.assertIn("INBOX", text)
        u, _ = c.ok('LIST (SPECIAL-USE) "" "*"')
        self.assertEqual(len(u), 5, u)
        u, _ = c.ok('LIST "" ""')
        self.assertEqual(u, ['* LIST (\\Noselect) "/" ""'])

    def test_create_hierarchy_delete_rename(self):
        c = self.conn()
        c.ok("CREATE h1/h2/h3")
        u, _ = c.ok('LIST "" "h1*"')
        self.assertEqual(len(u), 3, u)
        self.assertIn("\\HasChildren", [x for x in u if name_of(x) == "h1"][0])
        u, _ = c.ok('LIST "" "h1/%"')
        self.assertEqual(len(u), 1, u)
        _, t = c.cmd("CREATE h1")
        self.assertIn("NO [ALREADYEXISTS]", t)
        # deleting a parent with children leaves a \Noselect node
        c.ok("DELETE h1")
        u, _ = c.ok('LIST "" "h1"')
        self.assertIn("\\Noselect", u[0])
        _, t = c.cmd("SELECT h1")
        self.assertIn("NO", t)
        _, t = c.cmd("DELETE h1")
        self.assertIn("NO", t)
        c.ok("RENAME h1 r1")
        u, _ = c.ok('LIST "" "r1*"')
        self.assertEqual(sorted(name_of(x) for x in u), ["r1", "r1/h2", "r1/h2/h3"])
        u, _ = c.ok('LIST "" "h1*"')
        self.assertEqual(u, [])
        _, t = c.cmd("RENAME nosuch x")
        self.assertIn("NO [NONEXISTENT]", t)
        _, t = c.cmd("RENAME r1 Sent")
        self.assertIn("NO [ALREADYEXISTS]", t)
        _, t = c.cmd("RENAME r1 r1/sub")
        self.assertIn("NO", t)
        c.ok("DELETE r1/h2/h3")
        _, t = c.cmd("DELETE INBOX")
        self.assertIn("NO", t)

    def test_create_special_use(self):
        c = self.conn()
        c.ok("CREATE MySent (USE (\\Sent))")
        u, _ = c.ok('LIST "" MySent')
        self.assertIn("\\Sent", u[0])
        _, t = c.cmd("CREATE Bad (USE (\\Bogus))")
        self.assertIn("NO [USEATTR]", t)
        c.ok("CREATE NoUse (USE ())")            # RFC 6154 6: the list may be empty
        _, t = c.cmd("CREATE Bad2 (USE (Sent))")  # a use-attr starts with "\"
        self.assertEqual(t.split()[1], "BAD", t)
        c.ok("CREATE Two (USE (\\Archive \\Flagged))")
        _, t = c.cmd("CREATE " + "x" * 1000)      # the reason, not "invalid UTF-7"
        self.assertTrue(t.split()[1] == "NO" and "too long" in t, t)

    def test_trailing_delimiter_names_the_same_mailbox(self):
        # CREATE "ts1/" creates "ts1" (RFC 3501 6.3.3); every other command
        # reads "ts1/" as "ts1" too
        c = self.conn()
        c.ok('CREATE "ts1/"')
        for cmd in ('SELECT "ts1/"', 'STATUS "ts1/" (MESSAGES)', 'SUBSCRIBE "ts1/"',
                    'RENAME "ts1/" "ts2/"', 'EXAMINE "ts2/"', 'DELETE "ts2/"'):
            c.ok(cmd)
        u, _ = c.ok('LIST "" "ts*"')
        self.assertEqual(u, [])

    def test_delete_selected_mailbox_says_closed(self):
        c = self.conn()
        c.ok("CREATE delsel")
        c.ok("SELECT delsel")
        u, _ = c.ok("DELETE delsel")
        self.assertTrue(any(x.startswith("* OK [CLOSED]") for x in u), u)
        _, t = c.cmd("FETCH 1 UID")
        self.assertEqual(t.split()[1], "BAD", t)   # authenticated state now

    def test_inbox_case_insensitive(self):
        c = self.conn()
        u, t = c.ok("SELECT inbox")
        self.assertIn("[READ-WRITE]", t)
        c.ok("STATUS InBoX (MESSAGES)")

    def test_mutf7_names(self):
        c = self.conn()
        c.ok('CREATE "&ZeVnLIqe-"')
        u, _ = c.ok('LIST "" "&ZeVnLIqe-"')
        self.assertEqual(len(u), 1)
        self.assertEqual(name_of(u[0]), "&ZeVnLIqe-")
        for bad in ('"&Jjo"', '"&AGE-"', '"&U,BTFw-&ZeVnLIqe-"'):
            _, t = c.cmd("CREATE " + bad)
            self.assertRegex(t, r" (NO|BAD) ", bad)
        c.ok("ENABLE UTF8=ACCEPT")
        u, _ = c.ok('LIST "" "*"')
        self.assertTrue(any("日本語" in x for x in u), u)

    def test_utf8_accept_create(self):
        c = self.conn()
        c.ok("ENABLE UTF8=ACCEPT")
        c.send('x CREATE "Größe"\r\n'.encode())
        _, t = c.collect("x")
        self.assertIn("OK", t)
        c2 = self.conn()
        u, _ = c2.ok('LIST "" "Gr*"')
        self.assertEqual(name_of(u[0]), "Gr&APYA3w-e")

    def test_subscribe_lsub(self):
        c = self.conn()
        c.ok("CREATE subme")
        c.ok("SUBSCRIBE subme")
        u, _ = c.ok('LSUB "" "subme"')
        self.assertEqual(len(u), 1)
        u, _ = c.ok('LIST (SUBSCRIBED) "" "subme"')
        self.assertIn("\\Subscribed", u[0])
        u, _ = c.ok('LIST "" "subme" RETURN (SUBSCRIBED CHILDREN)')
        self.assertIn("\\Subscribed", u[0])
        c.ok("UNSUBSCRIBE subme")
        u, _ = c.ok('LSUB "" "subme"')
        self.assertEqual(u, [])
        _, t = c.cmd("SUBSCRIBE nosuchbox")
        self.assertIn("NO", t)
        _, t = c.cmd('LIST (RECURSIVEMATCH) "" "*"')
        self.assertIn("BAD", t)

    def test_lsub_percent_names_unsubscribed_parent(self):
        # RFC 3501 6.3.9: "%" must return the parent, flagged \Noselect
        c = self.conn()
        c.ok("CREATE lp1/child")
        c.ok("SUBSCRIBE lp1/child")
        u, _ = c.ok('LSUB "" "lp%"')
        self.assertEqual(u, ['* LSUB (\\Noselect) "/" "lp1"'])
        u, _ = c.ok('LSUB "" "lp*"')
        self.assertEqual(u, ['* LSUB () "/" "lp1/child"'])
        c.ok("SUBSCRIBE lp1")
        u, _ = c.ok('LSUB "" "lp%"')
        self.assertEqual(u, ['* LSUB () "/" "lp1"'])

    def test_subscription_outlives_its_mailbox(self):
        # RFC 3501 6.3.6: the server MUST NOT drop a subscribed name on its own
        c = self.conn()
        c.ok("CREATE gone1")
        c.ok("SUBSCRIBE gone1")
        c.ok("DELETE gone1")
        u, _ = c.ok('LSUB "" "gone*"')
        self.assertEqual(u, ['* LSUB () "/" "gone1"'])
        u, _ = c.ok('LIST (SUBSCRIBED) "" "gone*"')   # RFC 5258 3.4
        self.assertEqual(u, ['* LIST (\\Subscribed \\NonExistent) "/" "gone1"'])
        u, _ = c.ok('LIST "" "gone*"')
        self.assertEqual(u, [])
        c.ok("CREATE gone1")                  # the new mailbox has it back
        u, _ = c.ok('LIST "" "gone1" RETURN (SUBSCRIBED)')
        self.assertEqual(u, ['* LIST (\\HasNoChildren \\Subscribed) "/" "gone1"'])
        c.ok("DELETE gone1")
        c.ok("UNSUBSCRIBE gone1")             # and UNSUBSCRIBE removes the name
        u, _ = c.ok('LSUB "" "gone*"')
        self.assertEqual(u, [])
        c.ok("CREATE gone2")
        c.ok("SUBSCRIBE gone2")
        c.ok("DELETE gone2")
        c.ok("CREATE gone3")
        c.ok("RENAME gone3 gone2")            # renamed onto a subscribed name
        u, _ = c.ok('LSUB "" "gone*"')
        self.assertEqual(u, ['* LSUB () "/" "gone2"'])
        c.close()
        c = self.conn()                       # kept on flash, not in the session
        u, _ = c.ok('LIST (SUBSCRIBED) "" "gone*"')
        self.assertEqual(u, ['* LIST (\\HasNoChildren \\Subscribed) "/" "gone2"'])

    def test_list_pattern_limits(self):
        # A pattern no name can be as long as: a NO with a response code, not
        # "malformed command"; the session goes on
        c = self.conn()
        _, t = c.cmd('LIST "" "%s"' % ("a" * 300))
        self.assertIn("NO [LIMIT]", t)
        _, t = c.cmd('LIST "%s" "%%"' % ("r" * 300))
        self.assertIn("NO [LIMIT]", t)
        _, t = c.cmd('LIST "" (%s)' % " ".join('"p%d"' % i for i in range(9)))
        self.assertIn("NO [LIMIT]", t)
        u, _ = c.ok('LIST "" (%s)' % " ".join('"p%d"' % i for i in range(8)))
        self.assertEqual(u, [])
        _, t = c.cmd('LIST "" "&Jjo"')       # broken modified UTF-7 stays BAD
        self.assertIn(" BAD ", t)
        c.ok("NOOP")

    def test_list_status(self):
        c = self.conn()
        c.ok("CREATE ls1")
        c.append("ls1", MSG)
        u, _ = c.ok('LIST "" "ls1" RETURN (STATUS (MESSAGES UIDNEXT UNSEEN SIZE))')
        self.assertEqual(len(u), 2, u)
        self.assertEqual(name_of(u[1]), "ls1")
        self.assertTrue(u[1].endswith("(MESSAGES 1 UIDNEXT 2 UNSEEN 1 SIZE %d)" % len(MSG)), u)

    def test_status(self):
        c = self.conn()
        c.ok("CREATE st1")
        c.append("st1", MSG, flags="\\Seen")
        c.append("st1", MSG)
        u, _ = c.ok("STATUS st1 (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE)")
        self.assertRegex(u[0], r"^\* STATUS \"?st1\"? \(MESSAGES 2 RECENT 2 UIDNEXT 3 UIDVALIDITY \d+ UNSEEN 1 SIZE %d\)$" % (2 * len(MSG)))
        _, t = c.cmd("STATUS nosuch (MESSAGES)")
        self.assertIn("NO [NONEXISTENT]", t)
        _, t = c.cmd("STATUS st1 (BOGUS)")
        self.assertIn("BAD", t)

    def test_select_examine(self):
        c = self.conn()
        c.ok("CREATE sel1")
        c.append("sel1", MSG, flags="\\Seen")
        c.append("sel1", MSG)
        u, t = c.ok("SELECT sel1")
        text = "\n".join(u)
        self.assertIn("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)", text)
        self.assertIn("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)]", text)
        self.assertIn("* 2 EXISTS", text)
        self.assertIn("* 2 RECENT", text)
        self.assertIn("* OK [UNSEEN 2]", text)
        self.assertIn("[UIDVALIDITY ", text)
        self.assertIn("* OK [UIDNEXT 3]", text)
        self.assertIn("[READ-WRITE]", t)
        u, t = c.ok("EXAMINE sel1")
        self.assertIn("[READ-ONLY]", t)
        self.assertIn("* OK [PERMANENTFLAGS ()]", "\n".join(u))
        c.ok("UNSELECT")
        _, t = c.cmd("SELECT nosuch")
        self.assertIn("NO [NONEXISTENT]", t)

    # ---- APPEND and literals ----

    def test_append_variants(self):
        c = self.conn()
        c.ok("CREATE ap1")
        u, t = c.append("ap1", MSG)
        self.assertRegex(t, r"OK \[APPENDUID \d+ 1\]")
        u, t = c.append("ap1", MSG, nonsync=True)
        self.assertRegex(t, r"OK \[APPENDUID \d+ 2\]")
        c.send(b'x APPEND ap1 (\\Flagged $Label1) "17-Jul-1996 02:44:25 -0700" {%d}\r\n' % len(MSG))
        self.assertTrue(c.line().startswith(b"+"))
        c.send(MSG + b"\r\n")
        _, t = c.collect("x")
        self.assertIn("OK", t)
        _, t = c.append("nosuchbox", MSG)
        self.assertIn("NO [TRYCREATE]", t)
        # the mailbox name itself as a literal
        c.send(b"y APPEND {3}\r\n")
        self.assertTrue(c.line().startswith(b"+"))
        c.send(b"ap1 {%d}\r\n" % len(MSG))
        self.assertTrue(c.line().startswith(b"+"))
        c.send(MSG + b"\r\n")
        _, t = c.collect("y")
        self.assertIn("OK", t)
        u, _ = c.ok("STATUS ap1 (MESSAGES)")
        self.assertIn("MESSAGES 4", u[0])

    def test_append_utf8_item(self):
        c = self.conn()
        msg = "Subject: Grüße\r\n\r\nÄrger\r\n".encode()
        c.send(b"u APPEND INBOX UTF8 (~{%d}\r\n" % len(msg))
        ln = c.line()
        self.assertTrue(ln.startswith(b"u BAD"), ln)   # UTF8=ACCEPT not enabled
        c.ok("ENABLE UTF8=ACCEPT")
        c.send(b"v APPEND INBOX UTF8 (~{%d}\r\n" % len(msg))
        self.assertTrue(c.line().startswith(b"+"))
        c.send(msg + b")\r\n")
        _, t = c.collect("v")
        self.assertIn("OK [APPENDUID", t)
        c.send(b"w APPEND INBOX UTF8 (~{%d+}\r\n" % len(msg) + msg + b"\r\n")
        _, t = c.collect("w")
        self.assertTrue(t.startswith("w BAD"), t)   # the ')' is missing
        c.ok("NOOP")

    def test_append_literal8(self):
        # BINARY (RFC 3516 4.4; RFC 9051 append-data): the message may be a
        # literal8, synchronizing or not, with flags and a date before it.
        c = self.conn()
        c.ok("CREATE bin1")
        msg = b"Subject: bin\r\nContent-Type: application/octet-stream\r\n\r\n\x01\xfe\r\n"
        c.send(b"a1 APPEND bin1 ~{%d+}\r\n" % len(msg) + msg + b"\r\n")
        _, t = c.collect("a1")
        self.assertIn("OK [APPENDUID", t)
        c.send(b'a2 APPEND bin1 (\\Seen) "01-Jan-2020 00:00:00 +0000" ~{%d}\r\n' % len(msg))
        self.assertTrue(c.line().startswith(b"+"))
        c.send(msg + b"\r\n")
        _, t = c.collect("a2")
        self.assertIn("OK [APPENDUID", t)
        c.send(b"a3 APPEND bin1 ~~{%d+}\r\n" % len(msg) + msg + b"\r\n")
        _, t = c.collect("a3")
        self.assertTrue(t.startswith("a3 BAD"), t)
        c.ok("NOOP")
        u, _ = c.ok("STATUS bin1 (MESSAGES SIZE)")
        self.assertIn("MESSAGES 2 SIZE %d" % (2 * len(msg)), u[0])

    def test_append_bad_arguments_answered_before_the_message(self):
        # a bad date or flag list is BAD with the reason, and a synchronizing
        # literal is not asked for; a non-synchronizing one is read and dropped
        c = self.conn()
        c.ok("CREATE badap")
        for args, why in (('"31-Feb-2024 00:00:00 +0000"', "date-time"),
                          ('(\\Seen "x")', "flag list"), ("(\\Seen)x", "flag list")):
            c.send("a1 APPEND badap %s {5}\r\n" % args)
            ln = c.line().decode()
            self.assertTrue(ln.startswith("a1 BAD") and why in ln, ln)
            c.send("a2 APPEND badap %s {5+}\r\nhello\r\n" % args)
            _, t = c.collect("a2")
            self.assertTrue(t.startswith("a2 BAD") and why in t, t)
        u, _ = c.ok("STATUS badap (MESSAGES)")
        self.assertIn("MESSAGES 0", u[0])

    def test_append_nul_stored_as_0x80(self):
        c = self.conn()
        c.ok("CREATE nul1")
        msg = b"Subject: nul\r\n\r\na\x00b\r\n"
        _, t = c.append("nul1", msg)
        self.assertIn("OK", t)
        c.ok("SELECT nul1")
        u, _ = c.ok("FETCH 1 BODY.PEEK[TEXT]")
        self.assertIn("a\ufffdb", u[0])   # 0x80, shown decoded as U+FFFD
        self.assertNotIn("\x00", u[0])

    def test_append_streamed_in_small_segments(self):
        c = self.conn()
        c.ok("CREATE ap2")
        body = b"".join(b"line %06d of a long message\r\n" % i for i in range(20000))
        msg = b"Subject: big\r\n\r\n" + body
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.send(b"z APPEND ap2 {%d}\r\n" % len(msg))
        self.assertTrue(c.line().startswith(b"+"))
        for i in range(0, len(msg), 1000):
            c.send(msg[i:i + 1000])
        c.send(b"\r\n")
        _, t = c.collect("z")
        self.assertIn("OK", t)
        u, _ = c.ok("STATUS ap2 (SIZE)")
        self.assertIn("SIZE %d" % len(msg), u[0])

    def test_uploads_beyond_the_slots_wait(self):
        # More uploads at once than the server has upload slots (STORE_MAX_APPENDS
        # here, one on the board): the others wait for a slot, none is refused.
        c0 = self.conn()
        c0.ok("CREATE up1")
        msgs = [b"Subject: upload %d\r\n\r\n" % i + b"x" * 5000 + b"\r\n" for i in range(6)]
        conns = [self.conn() for _ in msgs]
        for i, c in enumerate(conns):   # half of each message: the first ones hold every slot
            c.send(b"u%d APPEND up1 {%d+}\r\n" % (i, len(msgs[i])) + msgs[i][:2500])
        # a synchronising literal is not asked for while no slot is free
        late = self.conn()
        late.send(b"v APPEND up1 {5}\r\n")
        late.sock.settimeout(0.5)
        with self.assertRaises(socket.timeout):
            late.line()
        late.close()
        for i, c in enumerate(conns):
            c.send(msgs[i][2500:] + b"\r\n")
        for i, c in enumerate(conns):
            _, t = c.collect("u%d" % i)
            self.assertRegex(t, r"^u%d OK \[APPENDUID \d+ \d+\]" % i)
        u, _ = c0.ok("STATUS up1 (MESSAGES)")
        self.assertIn("MESSAGES 6", u[0])

    def test_append_too_big_refused_before_continuation(self):
        c = self.conn()
        c.send(b"a APPEND INBOX {4000000000}\r\n")
        ln = c.line()
        self.assertTrue(ln.startswith(b"a NO [TOOBIG]"), ln)
        # non-synchronising: the bytes are read and dropped, then NO
        c.send(b"b APPEND nosuch {10+}\r\n0123456789\r\n")
        _, t = c.collect("b")
        self.assertIn("NO [TRYCREATE]", t)
        c.ok("NOOP")

    def test_append_trailing_garbage_with_literal(self):
        c = self.conn()
        # MULTIAPPEND is not offered: the second message is refused with the
        # line, and its literal bytes are never read as a command
        c.send(b"h APPEND INBOX {5+}\r\nhello {5+}\r\nworld\r\ni NOOP\r\n")
        u, t = c.collect("h")
        self.assertTrue(t.startswith("h BAD"), t)
        u, t = c.collect("i")
        self.assertEqual(u, [])
        self.assertTrue(t.startswith("i OK"), t)

    def test_literal_too_big(self):
        c = self.conn()
        c.send(b"a CREATE {100000}\r\n")
        ln = c.line()
        self.assertTrue(ln.startswith(b"a BAD [TOOBIG]"), ln)
        c.send(b"b CREATE {5000+}\r\n" + b"x" * 5000 + b"\r\n")
        _, t = c.collect("b")
        self.assertIn("BAD [TOOBIG]", t)
        c.ok("NOOP")

    def test_literal_plus_in_ordinary_command(self):
        c = self.conn()
        c.send(b"a CREATE {5+}\r\nlitpl\r\n")
        _, t = c.collect("a")
        self.assertIn("OK", t)
        u, _ = c.ok('LIST "" litpl')
        self.assertEqual(len(u), 1)

    def test_long_line_resynchronises(self):
        c = self.conn()
        c.send(b"a NOOP " + b"x" * 20000 + b"\r\nb NOOP\r\n")
        ln = c.line()
        self.assertIn(b"BAD", ln)
        _, t = c.collect("b")
        self.assertEqual(t, "b OK NOOP completed")

    def test_unknown_command_and_pipelining(self):
        c = self.conn()
        c.send(b"a FOO\r\nb NOOP\r\nc CAPABILITY\r\n")
        _, t = c.collect("a")
        self.assertTrue(t.startswith("a BAD"))
        _, t = c.collect("b")
        self.assertTrue(t.startswith("b OK"))
        _, t = c.collect("c")
        self.assertTrue(t.startswith("c OK"))

    def test_rename_inbox(self):
        c = self.conn(user="bob", password="pw2")
        c.append("INBOX", MSG)
        c.append("INBOX", MSG)
        c.ok("RENAME INBOX old-inbox")
        u, _ = c.ok("STATUS old-inbox (MESSAGES)")
        self.assertIn("MESSAGES 2", u[0])
        u, _ = c.ok("STATUS INBOX (MESSAGES)")
        self.assertIn("MESSAGES 0", u[0])

    def test_close_unselect(self):
        c = self.conn()
        c.ok("CREATE cl1")
        c.ok("SELECT cl1")
        c.ok("CLOSE")
        _, t = c.cmd("CLOSE")
        self.assertIn("BAD", t)

    # ---- concurrency ----

    def test_examine_sees_recent_without_taking_it(self):
        # RFC 3501 6.3.2: EXAMINE returns what SELECT would, but MUST NOT
        # make messages lose \Recent
        c = self.conn()
        c.ok("CREATE rec1")
        c.append("rec1", MSG)
        u, _ = c.ok("EXAMINE rec1")
        self.assertIn("* 1 RECENT", u)
        u, _ = c.ok("FETCH 1 FLAGS")
        self.assertEqual(u, ["* 1 FETCH (FLAGS (\\Recent))"])
        u, _ = c.ok("STATUS rec1 (RECENT)")
        self.assertEqual(u, ['* STATUS "rec1" (RECENT 1)'])
        d = self.conn()
        u, _ = d.ok("SELECT rec1")            # the first read-write session takes it
        self.assertIn("* 1 RECENT", u)
        u, _ = c.ok("EXAMINE rec1")
        self.assertIn("* 0 RECENT", u)

    def test_exists_across_sessions_and_idle(self):
        a, b, c3 = self.conn(), self.conn(), self.conn()
        a.ok("CREATE idle1")
        a.ok("SELECT idle1")
        c3.ok("EXAMINE idle1")
        a.send("i IDLE\r\n")
        self.assertTrue(a.line().startswith(b"+"))
        c3.send("j IDLE\r\n")
        self.assertTrue(c3.line().startswith(b"+"))
        b.append("idle1", MSG)
        # IDLE pushes the news without any command
        self.assertEqual(a.line(), b"* 1 EXISTS\r\n")
        self.assertEqual(a.line(), b"* 1 RECENT\r\n")
        self.assertEqual(c3.line(), b"* 1 EXISTS\r\n")
        # EXAMINE never takes \Recent from the SELECT session (above); it
        # sees it only if it heard of the message first
        self.assertIn(c3.line(), (b"* 0 RECENT\r\n", b"* 1 RECENT\r\n"))
        a.send("DONE\r\n")
        _, t = a.collect("i")
        self.assertEqual(t, "i OK IDLE terminated")
        c3.send("DONE\r\n")
        c3.collect("j")
        # a session that selects later sees it, not as recent
        b.ok("SELECT idle1")
        u, _ = b.ok("NOOP")
        u2, _ = b.ok("STATUS idle1 (RECENT)")
        self.assertIn("RECENT 0", u2[0])

    def test_idle_bad_done(self):
        c = self.conn()
        c.ok("SELECT INBOX")
        c.send("i IDLE\r\n")
        c.line()
        c.send("NOTDONE\r\n")
        _, t = c.collect("i")
        self.assertTrue(t.startswith("i BAD"))


if __name__ == "__main__":
    unittest.main()
