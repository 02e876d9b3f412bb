/*
 * test_imap_session.c - the session engine (firmware/imap_session.c) driven
 * directly through a fake transport over a RAM store: greeting, the command
 * reader (pipelining, literals, LITERAL+, limits, resynchronisation), state
 * checks, streamed APPEND, output back-pressure, IDLE, LOGOUT.
 */
#include "imap_fake.h"
#include "imap_internal.h"
#include "login_throttle.h"
#include "unit.h"

static struct fake_conn c1, c2;

#define GREETING "* OK [CAPABILITY " FAKE_CAPS_NA "] test.host IMAP4rev1 server ready\r\n"
#define LOGGED_IN(tag) tag " OK [CAPABILITY " FAKE_CAPS_AU "] Logged in\r\n"

static void open_login(struct fake_conn *c, const char *user, const char *pass)
{
	char line[128];
	fake_open(c);
	fake_settle(c);
	CHECK_EQ_STR(fake_take(c), GREETING);
	snprintf(line, sizeof line, "L LOGIN %s %s\r\n", user, pass);
	CHECK_EQ_STR(fake_cmd(c, line), LOGGED_IN("L"));
}

TEST(greeting)
{
	fake_open(&c1);
	CHECK_EQ_INT(c1.out_len, 0);   /* staged, not yet written: run() sends it */
	fake_settle(&c1);
	CHECK_EQ_STR(fake_take(&c1), GREETING);
	CHECK_EQ_INT(c1.closes, 0);
	fake_close_conn(&c1);
}

TEST(capability)
{
	fake_open(&c1);
	fake_settle(&c1);
	fake_take(&c1);
	CHECK_EQ_STR(fake_cmd(&c1, "a1 CAPABILITY\r\n"),
		     "* CAPABILITY " FAKE_CAPS_NA "\r\na1 OK CAPABILITY completed\r\n");
	/* arguments are a syntax error */
	CHECK_EQ_STR(fake_cmd(&c1, "a2 CAPABILITY x\r\n"), "a2 BAD Syntax error\r\n");
	fake_close_conn(&c1);
}

TEST(login)
{
	fake_open(&c1);
	fake_settle(&c1);
	fake_take(&c1);
	CHECK_EQ_STR(fake_cmd(&c1, "a LOGIN alice wrong\r\n"),
		     "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "b LOGIN nobody secret\r\n"),
		     "b NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
	CHECK_EQ_INT(c1.s.state, IMAP_S_NOTAUTH);
	CHECK_EQ_STR(fake_cmd(&c1, "c LOGIN \"alice\" \"secret\"\r\n"), LOGGED_IN("c"));
	CHECK_EQ_INT(c1.s.state, IMAP_S_AUTH);
	CHECK_EQ_STR(c1.s.user, "alice");
	/* capabilities now are the authenticated ones */
	CHECK_EQ_STR(fake_cmd(&c1, "d CAPABILITY\r\n"),
		     "* CAPABILITY " FAKE_CAPS_AU "\r\nd OK CAPABILITY completed\r\n");
	fake_close_conn(&c1);
}

TEST(pipelined_in_order)
{
	fake_open(&c1);
	fake_settle(&c1);
	fake_take(&c1);
	/* all in one read: each answered, in order, none lost */
	CHECK_EQ_STR(fake_cmd(&c1, "p1 NOOP\r\np2 CAPABILITY\r\np3 LOGIN alice secret\r\n"
				   "p4 NOOP\r\np5 FROB\r\np6 SELECT INBOX\r\n"),
		     "p1 OK NOOP completed\r\n"
		     "* CAPABILITY " FAKE_CAPS_NA "\r\np2 OK CAPABILITY completed\r\n"
		     LOGGED_IN("p3")
		     "p4 OK NOOP completed\r\n"
		     "p5 BAD Unknown command FROB\r\n"
		     "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
		     "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted\r\n"
		     "* 0 EXISTS\r\n"
		     "* 0 RECENT\r\n"
		     "* OK [UIDVALIDITY 1] UIDs valid\r\n"
		     "* OK [UIDNEXT 1] Predicted next UID\r\n"
		     "* OK [HIGHESTMODSEQ 1] Highest\r\n"
		     "p6 OK [READ-WRITE] SELECT completed\r\n");
	fake_close_conn(&c1);
}

TEST(literals)
{
	fake_open(&c1);
	fake_settle(&c1);
	fake_take(&c1);
	/* synchronising: "+ " and nothing else until the bytes come */
	CHECK_EQ_STR(fake_cmd(&c1, "a LOGIN {5}\r\n"), "+ Ready for literal data\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "alice {6}\r\n"), "+ Ready for literal data\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "secret\r\n"), LOGGED_IN("a"));
	fake_close_conn(&c1);

	/* non-synchronising (LITERAL+): no continuation at all */
	fake_open(&c1);
	fake_settle(&c1);
	fake_take(&c1);
	CHECK_EQ_STR(fake_cmd(&c1, "b LOGIN {5+}\r\n"), "");
	CHECK_EQ_STR(fake_cmd(&c1, "ali"), "");
	CHECK_EQ_STR(fake_cmd(&c1, "ce {6+}\r\nsecret\r\n"), LOGGED_IN("b"));
	/* a literal may hold CRLF and look like commands: it is data */
	CHECK_EQ_STR(fake_cmd(&c1, "c CREATE {9+}\r\nx\r\nc NOOP\r\n"),
		     "c NO [CANNOT] Invalid modified UTF-7 mailbox name\r\n");
	fake_close_conn(&c1);
}

TEST(literal_too_big_sync)
{
	char line[64];
	fake_open(&c1);
	fake_settle(&c1);
	fake_take(&c1);
	/* the limit itself is fine ... */
	snprintf(line, sizeof line, "a LOGIN {%u}\r\n", (unsigned)IMAPD_LITERAL_MAX);
	CHECK_EQ_STR(fake_cmd(&c1, line), "+ Ready for literal data\r\n");
	static char lit[IMAPD_LITERAL_MAX + 1];
	memset(lit, 'x', IMAPD_LITERAL_MAX);
	fake_send(&c1, lit, IMAPD_LITERAL_MAX);
	CHECK_EQ_STR(fake_cmd(&c1, " pw\r\n"),
		     "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
	/* ... one more byte is refused at once: no "+", the client sends nothing */
	snprintf(line, sizeof line, "b LOGIN {%u}\r\n", (unsigned)IMAPD_LITERAL_MAX + 1);
	CHECK_EQ_STR(fake_cmd(&c1, line), "b BAD [TOOBIG] Command line or literal too long\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "c NOOP\r\n"), "c OK NOOP completed\r\n");
	/* a literal length beyond 32 bits, too */
	CHECK_EQ_STR(fake_cmd(&c1, "d LOGIN {99999999999}\r\n"),
		     "d BAD Number too large\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "e LOGIN alice secret\r\n"), LOGGED_IN("e"));
	fake_close_conn(&c1);
}

TEST(literal_too_big_nonsync)
{
	char line[64];
	static char lit[IMAPD_LITERAL_MAX + 1];
	fake_open(&c1);
	fake_settle(&c1);
	fake_take(&c1);
	snprintf(line, sizeof line, "a LOGIN {%u+}\r\n", (unsigned)IMAPD_LITERAL_MAX + 1);
	CHECK_EQ_STR(fake_cmd(&c1, line), "");
	/* the bytes are skipped, including what looks like a command */
	memset(lit, 'x', sizeof lit);
	memcpy(lit + 100, "\r\nz LOGOUT\r\n", 12);
	fake_send(&c1, lit, 2000);
	CHECK_EQ_STR(fake_cmd(&c1, ""), "");
	fake_send(&c1, lit + 2000, sizeof lit - 2000);
	CHECK_EQ_STR(fake_cmd(&c1, ""), "");   /* the rest of the line is still to come */
	CHECK_EQ_STR(fake_cmd(&c1, " pw\r\n"), "a BAD [TOOBIG] Command line or literal too long\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "b LOGIN alice secret\r\n"), LOGGED_IN("b"));
	CHECK_EQ_INT(c1.closes, 0);
	fake_close_conn(&c1);
}

TEST(line_too_long)
{
	static char big[IMAPD_LINE_MAX + 200];
	fake_open(&c1);
	fake_settle(&c1);
	fake_take(&c1);
	/* three times: a big buffer leaked by the first would stall the third
	 * (IMAPD_BIG_BUFS is 2) */
	for (int i = 0; i < 3; i++) {
		memset(big, 'x', sizeof big);
		memcpy(big, "t1 NOOP ", 8);
		memcpy(big + sizeof big - 2, "\r\n", 2);
		fake_send(&c1, big, sizeof big);
		CHECK_EQ_STR(fake_cmd(&c1, ""), "t1 BAD [TOOBIG] Command line or literal too long\r\n");
		CHECK_EQ_STR(fake_cmd(&c1, "t2 NOOP\r\n"), "t2 OK NOOP completed\r\n");
	}
	/* the BAD carries the client's tag even when it is long */
	static const char tag[] = "T234567890123456789012345678901234567890123456789012345678901234";
	CHECK_EQ_INT(strlen(tag), IMAPD_TAG_MAX);
	memset(big, 'x', sizeof big);
	memcpy(big, tag, IMAPD_TAG_MAX);
	memcpy(big + IMAPD_TAG_MAX, " NOOP ", 6);
	memcpy(big + sizeof big - 2, "\r\n", 2);
	fake_send(&c1, big, sizeof big);
	char want[160];
	snprintf(want, sizeof want, "%s BAD [TOOBIG] Command line or literal too long\r\n", tag);
	CHECK_EQ_STR(fake_cmd(&c1, ""), want);
	/* a literal announced at the end of an over-long line is skipped, its
	 * bytes are not read as commands */
	size_t n = IMAPD_LINE_MAX + 100;
	memset(big, 'x', n);
	memcpy(big, "t4 LOGIN ", 9);
	memcpy(big + n - 7, "{11+}\r\n", 7);
	fake_send(&c1, big, n);
	CHECK_EQ_STR(fake_cmd(&c1, "t5 LOGOUT\r\n\r\nt6 NOOP\r\n"),
		     "t4 BAD [TOOBIG] Command line or literal too long\r\nt6 OK NOOP completed\r\n");
	CHECK_EQ_INT(c1.closes, 0);
	/* the same with a synchronising literal: answered at once, no "+" */
	memcpy(big + n - 8, "{1000}\r\n", 8);
	fake_send(&c1, big, n);
	CHECK_EQ_STR(fake_cmd(&c1, ""), "t4 BAD [TOOBIG] Command line or literal too long\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "t7 NOOP\r\n"), "t7 OK NOOP completed\r\n");
	/* a long line under the limit borrows a big buffer and works */
	memset(big, ' ', 3000);
	memcpy(big, "t3 LOGIN alice", 14);
	memcpy(big + 2990, "secret\r\n", 8);
	fake_send(&c1, big, 2998);
	CHECK_EQ_STR(fake_cmd(&c1, ""), "t3 BAD Expected an astring\r\n");
	fake_close_conn(&c1);
}

TEST(wrong_state)
{
	fake_open(&c1);
	fake_settle(&c1);
	fake_take(&c1);
	CHECK_EQ_STR(fake_cmd(&c1, "a SELECT INBOX\r\n"), "a BAD Not authenticated\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "b UID FETCH 1 FLAGS\r\n"), "b BAD Not authenticated\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "c CLOSE\r\n"), "c BAD Not authenticated\r\n");
	/* APPEND with a literal is refused before the "+" */
	CHECK_EQ_STR(fake_cmd(&c1, "d APPEND INBOX {5}\r\n"), "d BAD Not authenticated\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "e LOGIN alice secret\r\n"), LOGGED_IN("e"));
	CHECK_EQ_STR(fake_cmd(&c1, "f FETCH 1 FLAGS\r\n"), "f BAD No mailbox selected\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "g EXPUNGE\r\n"), "g BAD No mailbox selected\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "h LOGIN alice secret\r\n"), "h BAD Already authenticated\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "i AUTHENTICATE PLAIN\r\n"), "i BAD Already authenticated\r\n");
	/* UID only goes with the commands that have a UID form */
	CHECK_EQ_STR(fake_cmd(&c1, "j UID NOOP\r\n"), "j BAD Unknown command NOOP\r\n");
	fake_take(&c1);
	fake_cmd(&c1, "k EXAMINE INBOX\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "l LOGIN alice secret\r\n"), "l BAD Already authenticated\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "m CLOSE\r\n"), "m OK CLOSE completed\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "n CLOSE\r\n"), "n BAD No mailbox selected\r\n");
	fake_close_conn(&c1);
}

static const char *msg_text(size_t *len)
{
	static char m[3000];
	size_t n = (size_t)snprintf(m, sizeof m,
				    "From: carol@example.org\r\nSubject: streamed\r\n\r\n");
	while (n < sizeof m - 40)
		n += (size_t)snprintf(m + n, sizeof m - n, "line %04u of the body\r\n",
				      (unsigned)n);
	*len = n;
	return m;
}

TEST(append_one_byte_reads)
{
	size_t len;
	const char *m = msg_text(&len);
	char line[64], want[128];
	open_login(&c1, "alice", "secret");
	store_mbox_t mb;
	struct store_mbox_info info;
	CHECK_EQ_INT(store_mbox_find(&fake_store, "alice", "INBOX", &mb), STORE_OK);
	CHECK_EQ_INT(store_mbox_info(&fake_store, mb, &info), STORE_OK);
	uint32_t entries0 = store_msg_entries(&fake_store, mb);

	c1.read_chunk = 1;
	snprintf(line, sizeof line, "a APPEND INBOX (\\Flagged) {%u}\r\n", (unsigned)len);
	CHECK_EQ_STR(fake_cmd(&c1, line), "+ Ready for literal data\r\n");
	fake_send(&c1, m, len);
	snprintf(want, sizeof want, "a OK [APPENDUID %lu %lu] APPEND completed\r\n",
		 (unsigned long)info.uidvalidity, (unsigned long)info.uidnext);
	CHECK_EQ_STR(fake_cmd(&c1, "\r\n"), want);
	CHECK_EQ_INT(c1.in_pos, c1.in_len);

	/* what the store holds is byte for byte what was sent */
	CHECK_EQ_INT(store_msg_entries(&fake_store, mb), entries0 + 1);
	struct store_msg sm;
	static char got[4000];
	CHECK_EQ_INT(store_msg_get(&fake_store, mb, entries0, &sm), STORE_OK);
	CHECK_EQ_INT(sm.uid, info.uidnext);
	CHECK_EQ_INT(sm.flags & 0x1f, STORE_F_FLAGGED);
	CHECK_EQ_INT(store_msg_read(&fake_store, mb, entries0, 0, got, sizeof got), (int)len);
	CHECK_EQ_MEM(got, m, len);

	/* and the session reads commands normally afterwards, still 1 byte a time */
	CHECK_EQ_STR(fake_cmd(&c1, "b NOOP\r\n"), "b OK NOOP completed\r\n");
	fake_close_conn(&c1);
}

/* A fixed conversation whose answer is large (> IMAPD_OUT_BUF). */
static void paced_script(struct fake_conn *c)
{
	fake_sends(c, "a LOGIN alice secret\r\nb EXAMINE INBOX\r\n"
		      "c FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[])\r\n"
		      "d LIST \"\" \"*\"\r\ne LOGOUT\r\n");
}

TEST(output_paced_one_byte)
{
	static char ref[FAKE_OUT_MAX];
	size_t m_len;
	const char *m = msg_text(&m_len);
	char line[64];
	/* a few messages in INBOX, by APPEND */
	open_login(&c1, "alice", "secret");
	for (int i = 0; i < 4; i++) {
		snprintf(line, sizeof line, "x APPEND INBOX {%u+}\r\n", (unsigned)m_len);
		fake_sends(&c1, line);
		fake_send(&c1, m, m_len);
		fake_sends(&c1, "\r\n");
	}
	fake_settle(&c1);
	fake_close_conn(&c1);

	/* unpaced reference */
	fake_open(&c1);
	paced_script(&c1);
	fake_settle(&c1);
	CHECK_EQ_INT(c1.closes, 1);
	size_t ref_len = c1.out_len;
	memcpy(ref, c1.out, ref_len);
	fake_close_conn(&c1);
	CHECK(ref_len > 4 * m_len);
	CHECK(ref_len > 3 * IMAPD_OUT_BUF);

	/* 1 byte per write call, 1 byte per run() pass */
	fake_open(&c2);
	c2.write_chunk = 1;
	c2.room_per_pass = 1;
	paced_script(&c2);
	long passes = fake_settle(&c2);
	CHECK(passes >= (long)ref_len);
	CHECK_EQ_INT(c2.closes, 1);
	CHECK_EQ_INT(c2.out_len, ref_len);
	CHECK_EQ_MEM(c2.out, ref, ref_len);
	CHECK_EQ_INT(c2.out_at_close, ref_len);   /* closed only once all was sent */
	CHECK(!c2.io_after_close);
	fake_close_conn(&c2);
}

TEST(idle_sees_append)
{
	size_t m_len;
	const char *m = msg_text(&m_len);
	char line[64];
	open_login(&c1, "alice", "secret");
	/* five messages from the tests before, none yet \Recent to anyone */
	const char *sel = fake_cmd(&c1, "s SELECT INBOX\r\n");
	CHECK(strstr(sel, "* 5 EXISTS\r\n* 5 RECENT\r\n") != NULL);
	CHECK_EQ_STR(fake_cmd(&c1, "i IDLE\r\n"), "+ idling\r\n");
	CHECK(c1.s.idling);

	/* a second session of the same user appends */
	open_login(&c2, "alice", "secret");
	snprintf(line, sizeof line, "a APPEND INBOX {%u+}\r\n", (unsigned)m_len);
	fake_sends(&c2, line);
	fake_send(&c2, m, m_len);
	fake_sends(&c2, "\r\n");
	fake_settle(&c2);
	CHECK(strncmp(fake_take(&c2), "a OK [APPENDUID ", 16) == 0);

	/* the timer notices, the next run() pushes the update */
	CHECK(!imap_session_pending(&c1.s));
	imap_session_tick(&c1.s, port_now_ms());
	CHECK(imap_session_pending(&c1.s));
	fake_settle(&c1);
	/* the new one is \Recent here too: six in all (RFC 3501 7.3.2) */
	CHECK_EQ_STR(fake_take(&c1), "* 6 EXISTS\r\n* 6 RECENT\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "DONE\r\n"), "i OK IDLE terminated\r\n");
	CHECK(!c1.s.idling);
	/* anything but DONE ends IDLE with BAD */
	CHECK_EQ_STR(fake_cmd(&c1, "j IDLE\r\n"), "+ idling\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "NOOP\r\n"), "j BAD Expected DONE to end IDLE\r\n");
	fake_close_conn(&c1);
	fake_close_conn(&c2);
}

TEST(logout)
{
	open_login(&c1, "bob", "hunter2");
	c1.write_chunk = 3;
	c1.room_per_pass = 7;
	/* what is pipelined after LOGOUT is not answered */
	CHECK_EQ_STR(fake_cmd(&c1, "z LOGOUT\r\ny NOOP\r\n"),
		     "* BYE Logging out\r\nz OK LOGOUT completed\r\n");
	CHECK_EQ_INT(c1.closes, 1);
	CHECK_EQ_INT(c1.out_at_close, c1.out_len);
	/* the server keeps polling until it reports the close: nothing more */
	for (int i = 0; i < 5; i++)
		imap_session_run(&c1.s);
	CHECK_EQ_INT(c1.closes, 1);
	CHECK(!c1.io_after_close);
	fake_close_conn(&c1);
	CHECK(!c1.s.in_use);
}

TEST(autologout)
{
	fake_open(&c1);
	fake_settle(&c1);
	fake_take(&c1);
	imap_session_tick(&c1.s, port_now_ms() + IMAPD_PREAUTH_TIMEOUT_MS / 2);
	fake_settle(&c1);
	CHECK_EQ_STR(fake_take(&c1), "");
	imap_session_tick(&c1.s, port_now_ms() + IMAPD_PREAUTH_TIMEOUT_MS + 1000);
	fake_settle(&c1);
	CHECK_EQ_STR(fake_take(&c1), "* BYE Autologout; idle for too long\r\n");
	CHECK_EQ_INT(c1.closes, 1);
	fake_close_conn(&c1);

	/* logged in: RFC 3501 5.4's thirty minutes at least, counted from the
	 * last command */
	open_login(&c1, "bob", "hunter2");
	imap_session_tick(&c1.s, port_now_ms() + IMAPD_PREAUTH_TIMEOUT_MS + 1000);
	imap_session_tick(&c1.s, port_now_ms() + 30u * 60u * 1000u);
	fake_settle(&c1);
	CHECK_EQ_STR(fake_take(&c1), "");
	CHECK_EQ_INT(c1.closes, 0);
	imap_session_tick(&c1.s, port_now_ms() + IMAPD_AUTH_TIMEOUT_MS + 1000);
	fake_settle(&c1);
	CHECK_EQ_STR(fake_take(&c1), "* BYE Autologout; idle for too long\r\n");
	CHECK_EQ_INT(c1.closes, 1);
	fake_close_conn(&c1);
}

TEST(append_refused_and_pipelined)
{
	open_login(&c1, "alice", "secret");
	/* sync: refused before the "+", the client sends nothing */
	CHECK_EQ_STR(fake_cmd(&c1, "a APPEND Nowhere {5}\r\n"),
		     "a NO [TRYCREATE] Mailbox doesn't exist\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "b APPEND INBOX {0}\r\n"), "b NO [CANNOT] Empty message\r\n");
	/* non-sync: the bytes (here looking like a command) are read and dropped */
	CHECK_EQ_STR(fake_cmd(&c1, "c APPEND Nowhere {10+}\r\nd LOGOUT\r\n\r\ne NOOP\r\n"),
		     "c NO [TRYCREATE] Mailbox doesn't exist\r\ne OK NOOP completed\r\n");
	CHECK_EQ_INT(c1.closes, 0);
	/* commands pipelined behind a message literal */
	CHECK_EQ_STR(fake_cmd(&c1, "f APPEND INBOX {5+}\r\nhello\r\ng NOOP\r\n"),
		     "f OK [APPENDUID 1 7] APPEND completed\r\ng OK NOOP completed\r\n");
	/* more after the literal is MULTIAPPEND, which is not offered */
	CHECK_EQ_STR(fake_cmd(&c1, "h APPEND INBOX {5+}\r\nhello (\\Seen)\r\ni NOOP\r\n"),
		     "h BAD Unexpected data after the APPEND message (MULTIAPPEND is not supported)\r\n"
		     "i OK NOOP completed\r\n");
	store_mbox_t mb;
	CHECK_EQ_INT(store_mbox_find(&fake_store, "alice", "INBOX", &mb), STORE_OK);
	CHECK_EQ_INT(store_msg_entries(&fake_store, mb), 7);
	/* the APPEND line without a literal */
	CHECK_EQ_STR(fake_cmd(&c1, "j APPEND INBOX\r\n"), "j BAD APPEND needs a message literal\r\n");
	fake_close_conn(&c1);
}

TEST(reader_edges)
{
	fake_open(&c1);
	fake_settle(&c1);
	fake_take(&c1);
	/* empty lines are ignored, a bare LF ends a line too */
	CHECK_EQ_STR(fake_cmd(&c1, "\r\n\r\na NOOP\nb NOOP\r\n"),
		     "a OK NOOP completed\r\nb OK NOOP completed\r\n");
	/* no tag, bad tags */
	CHECK_EQ_STR(fake_cmd(&c1, "NOOP\r\n"), "NOOP BAD Missing command\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "* NOOP\r\n"), "* BAD Invalid tag\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "+ NOOP\r\n"), "* BAD Invalid tag\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, " NOOP\r\n"), "* BAD Invalid tag\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "a UID\r\n"), "a BAD Missing command after UID\r\n");
	/* a NUL in the password is no way around the check */
	fake_sends(&c1, "c LOGIN alice {7+}\r\n");
	fake_send(&c1, "secret\0\r\n", 9);
	CHECK_EQ_STR(fake_cmd(&c1, ""), "c BAD NUL in literal\r\n");
	/* STARTTLS on a transport without it */
	CHECK_EQ_STR(fake_cmd(&c1, "d STARTTLS\r\n"), "d NO [UNAVAILABLE] TLS is not available\r\n");
	/* AUTHENTICATE PLAIN with a continuation, 1 byte per read */
	c1.read_chunk = 1;
	CHECK_EQ_STR(fake_cmd(&c1, "e AUTHENTICATE PLAIN\r\n"), "+ \r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "AGFsaWNlAHNlY3JldA==\r\n"), LOGGED_IN("e"));   /* \0alice\0secret */
	/* IDLE ended in the same read that started it */
	c1.read_chunk = 0;
	CHECK_EQ_STR(fake_cmd(&c1, "f IDLE\r\nDONE\r\ng NOOP\r\n"),
		     "+ idling\r\nf OK IDLE terminated\r\ng OK NOOP completed\r\n");
	fake_close_conn(&c1);
}

/* Input waits in the command buffer behind the command: what one read
 * brings beyond a long line (in a big buffer) or beyond a streamed literal
 * starts the next commands, whatever the read size. */
TEST(input_beyond_the_command)
{
	static char script[3 * IMAPD_CMD_SMALL];
	static const size_t chunks[] = { 0, 1, 7, IMAPD_CMD_SMALL - 1, IMAPD_CMD_SMALL + 3 };
	for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
		open_login(&c1, "alice", "secret");
		c1.read_chunk = chunks[k];
		/* a line longer than the small buffer, commands behind it */
		size_t n = (size_t)snprintf(script, sizeof script, "a NOOP ");
		memset(script + n, 'x', IMAPD_CMD_SMALL + 100);
		n += IMAPD_CMD_SMALL + 100;
		n += (size_t)snprintf(script + n, sizeof script - n, "\r\nb NOOP\r\n\r\nc NOOP\r\n");
		fake_send(&c1, script, n);
		fake_settle(&c1);
		CHECK_EQ_STR(fake_take(&c1), "a BAD Syntax error\r\nb OK NOOP completed\r\n"
					     "c OK NOOP completed\r\n");
		CHECK(c1.s.big < 0);
		/* an APPEND line in a big buffer, its message and a command in one go */
		n = (size_t)snprintf(script, sizeof script, "d APPEND INBOX (");
		for (int i = 0; n < IMAPD_CMD_SMALL + 50; i++)
			n += (size_t)snprintf(script + n, sizeof script - n, "%s\\Seen", i ? " " : "");
		n += (size_t)snprintf(script + n, sizeof script - n,
				      ") {5+}\r\nhello\r\ne NOOP\r\nf NOOP\r\n");
		fake_send(&c1, script, n);
		fake_settle(&c1);
		const char *out = fake_take(&c1);
		CHECK(strncmp(out, "d OK [APPENDUID ", 16) == 0);
		CHECK(strstr(out, "] APPEND completed\r\ne OK NOOP completed\r\nf OK NOOP completed\r\n"));
		CHECK(c1.s.big < 0);
		fake_close_conn(&c1);
	}
}

TEST(failed_login_delay)
{
	fake_open(&c1);
	fake_settle(&c1);
	fake_take(&c1);
	/* the first few failures from a source are answered at once */
	for (int i = 0; i < 3; i++)
		CHECK_EQ_STR(fake_cmd(&c1, "a LOGIN alice x\r\n"),
			     "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
	/* then the answer is held back: the session sleeps, nothing is read */
	CHECK_EQ_STR(fake_cmd(&c1, "b LOGIN alice x\r\nc NOOP\r\n"), "");
	CHECK(!imap_session_pending(&c1.s));
	imap_session_tick(&c1.s, port_now_ms() + 10);
	CHECK(!imap_session_pending(&c1.s));
	CHECK_EQ_STR(fake_cmd(&c1, ""), "");
	/* the tick after the delay wakes it */
	imap_session_tick(&c1.s, port_now_ms() + THROTTLE_MAX_MS + 1000);
	CHECK(imap_session_pending(&c1.s));
	fake_settle(&c1);
	CHECK_EQ_STR(fake_take(&c1),
		     "b NO [AUTHENTICATIONFAILED] Authentication failed\r\nc OK NOOP completed\r\n");
	/* success clears the record */
	CHECK_EQ_STR(fake_cmd(&c1, "d LOGIN alice secret\r\n"), LOGGED_IN("d"));
	fake_close_conn(&c1);
	uint32_t peer = c1.peer;
	fake_open(&c1);
	c1.peer = peer;
	fake_settle(&c1);
	fake_take(&c1);
	CHECK_EQ_STR(fake_cmd(&c1, "e LOGIN alice x\r\n"),
		     "e NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
	fake_close_conn(&c1);
}

/* What the helper calls put on the wire. */
static const char *sent(struct fake_conn *c)
{
	fake_settle(c);
	return fake_take(c);
}

TEST(output_helpers)
{
	struct imap_session *s = &c1.s;
	fake_open(&c1);
	sent(&c1);
	/* strings: quoted with escapes, literal when they cannot be quoted */
	imap_out_string(s, "a\"b\\c", 5);
	CHECK_EQ_STR(sent(&c1), "\"a\\\"b\\\\c\"");
	imap_out_string(s, NULL, 0);
	CHECK_EQ_STR(sent(&c1), "NIL");
	imap_out_string(s, "", 0);
	CHECK_EQ_STR(sent(&c1), "\"\"");
	imap_out_string(s, "a\r\nb", 4);
	CHECK_EQ_STR(sent(&c1), "{4}\r\na\r\nb");
	imap_out_string(s, "caf\xc3\xa9", 5);
	CHECK_EQ_STR(sent(&c1), "{5}\r\ncaf\xc3\xa9");
	static char long_str[300];
	memset(long_str, 'q', sizeof long_str - 1);
	imap_out_string(s, long_str, 201);
	const char *out = sent(&c1);
	CHECK(strncmp(out, "{201}\r\nqqq", 10) == 0);
	CHECK_EQ_INT(strlen(out), 7 + 201);
	imap_out_string(s, long_str, 200);
	CHECK_EQ_INT(strlen(sent(&c1)), 202);
	/* mailbox names: modified UTF-7, or UTF-8 once enabled (RFC 6855) */
	imap_out_mailbox(s, "INBOX/\xc3\xa9t\xc3\xa9");
	CHECK_EQ_STR(sent(&c1), "\"INBOX/&AOk-t&AOk-\"");
	imap_out_mailbox(s, "a&b");
	CHECK_EQ_STR(sent(&c1), "\"a&-b\"");
	s->utf8 = true;
	imap_out_mailbox(s, "INBOX/\xc3\xa9t\xc3\xa9");
	CHECK_EQ_STR(sent(&c1), "\"INBOX/\xc3\xa9t\xc3\xa9\"");
	imap_out_mailbox(s, "say \"hi\"");
	CHECK_EQ_STR(sent(&c1), "\"say \\\"hi\\\"\"");
	s->utf8 = false;
	fake_close_conn(&c1);
}

/* imap_mailbox_name() on a client name: the store name, or why not. */
static const char *mbname(struct imap_session *s, const char *in)
{
	static char out[4 * STORE_NAME_MAX + 1], buf[4 * STORE_NAME_MAX + 1];
	snprintf(buf, sizeof buf, "%s", in);
	struct imap_str str = { .s = buf, .len = strlen(buf) };
	const char *why = NULL;
	if (!imap_mailbox_name(s, &str, out, sizeof out, &why))
		return why;
	return out;
}

TEST(mailbox_names_in)
{
	struct imap_session *s = &c1.s;
	char name[STORE_NAME_MAX + 2];
	fake_open(&c1);
	CHECK_EQ_STR(mbname(s, "INBOX"), "INBOX");
	CHECK_EQ_STR(mbname(s, "inbox"), "INBOX");
	CHECK_EQ_STR(mbname(s, "iNbOx/Sub"), "INBOX/Sub");
	CHECK_EQ_STR(mbname(s, "inboxes"), "inboxes");
	CHECK_EQ_STR(mbname(s, "&AOk-t&AOk-"), "\xc3\xa9t\xc3\xa9");
	CHECK_EQ_STR(mbname(s, "a&-b"), "a&b");
	CHECK_EQ_STR(mbname(s, "a&b"), "Invalid modified UTF-7 mailbox name");
	CHECK_EQ_STR(mbname(s, "\xc3\xa9"), "Invalid modified UTF-7 mailbox name");
	CHECK_EQ_STR(mbname(s, ""), "Empty mailbox name");
	CHECK_EQ_STR(mbname(s, "a\tb"), "Invalid modified UTF-7 mailbox name");   /* not printable */
	CHECK_EQ_STR(mbname(s, "a&AAk-b"), "Invalid modified UTF-7 mailbox name");   /* U+0009 */
	memset(name, 'n', sizeof name);
	name[STORE_NAME_MAX] = '\0';
	CHECK_EQ_STR(mbname(s, name), name);
	name[STORE_NAME_MAX] = 'n';
	name[STORE_NAME_MAX + 1] = '\0';
	CHECK_EQ_STR(mbname(s, name), "Mailbox name too long");
	/* UTF8=ACCEPT: names are UTF-8 as they are, '&' is plain */
	s->utf8 = true;
	CHECK_EQ_STR(mbname(s, "\xc3\xa9t\xc3\xa9"), "\xc3\xa9t\xc3\xa9");
	CHECK_EQ_STR(mbname(s, "a&b"), "a&b");
	CHECK_EQ_STR(mbname(s, "inbox"), "INBOX");
	CHECK_EQ_STR(mbname(s, "\xc3("), "Invalid UTF-8 mailbox name");
	CHECK_EQ_STR(mbname(s, "\xc0\xaf"), "Invalid UTF-8 mailbox name");
	CHECK_EQ_STR(mbname(s, "a\tb"), "Invalid UTF-8 mailbox name");
	CHECK_EQ_STR(mbname(s, name), "Mailbox name too long");
	fake_close_conn(&c1);
}

/* A login's password check runs in slices: the session yields the task
 * between them, so another session is served meanwhile. */
TEST(login_check_in_slices)
{
	fake_open(&c1);
	fake_settle(&c1);
	fake_take(&c1);
	fake_sends(&c1, "a LOGIN alice secret\r\n");
	c1.room = 0;
	imap_session_run(&c1.s);   /* reads the line, starts the check, one slice */
	CHECK_EQ_INT(c1.s.state, IMAP_S_NOTAUTH);
	CHECK(imap_session_pending(&c1.s));   /* more slices to come */
	CHECK_EQ_STR(fake_take(&c1), "");
	fake_open(&c2);
	fake_settle(&c2);
	fake_take(&c2);
	CHECK_EQ_STR(fake_cmd(&c2, "n NOOP\r\n"), "n OK NOOP completed\r\n");
	CHECK_EQ_INT(c1.s.state, IMAP_S_NOTAUTH);   /* still checking */
	long passes = fake_settle(&c1);
	CHECK(passes > 4);   /* one slice a pass */
	CHECK_EQ_STR(fake_take(&c1), LOGGED_IN("a"));
	CHECK_EQ_INT(c1.s.state, IMAP_S_AUTH);
	/* a wrong password takes the same path to its NO */
	fake_sends(&c2, "b LOGIN alice wrong\r\n");
	CHECK(fake_settle(&c2) > 4);
	CHECK_EQ_STR(fake_take(&c2), "b NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
	fake_close_conn(&c1);
	fake_close_conn(&c2);
}

TEST(big_buffers_shared)
{
	/* lines over IMAPD_CMD_SMALL borrow one of IMAPD_BIG_BUFS (2) shared
	 * buffers; a third such line waits for one, then goes on */
	static struct fake_conn c3;
	static char line[1500];
	struct fake_conn *c[3] = { &c1, &c2, &c3 };
	for (int i = 0; i < 3; i++) {
		fake_open(c[i]);
		sent(c[i]);
		memset(line, 'x', sizeof line);
		memcpy(line, "a NOOP ", 7);
		line[0] = (char)('a' + i);
		fake_send(c[i], line, sizeof line);
	}
	CHECK_EQ_STR(sent(&c1), "");
	CHECK_EQ_STR(sent(&c2), "");
	CHECK(c1.s.big >= 0 && c2.s.big >= 0);
	/* the third cannot take its line yet: it asks to be run again */
	imap_session_run(&c3.s);
	CHECK(c3.s.big < 0);
	CHECK(imap_session_pending(&c3.s));
	fake_sends(&c3, "\r\n");
	imap_session_run(&c3.s);
	CHECK_EQ_STR(fake_take(&c3), "");
	/* the first one's command ends: its buffer goes back */
	CHECK_EQ_STR(fake_cmd(&c1, "\r\n"), "a BAD Syntax error\r\n");
	CHECK(c1.s.big < 0);
	CHECK_EQ_STR(sent(&c3), "c BAD Syntax error\r\n");
	CHECK_EQ_STR(fake_cmd(&c2, "\r\n"), "b BAD Syntax error\r\n");
	/* all returned: a connection lost mid-line returns its buffer too */
	fake_send(&c1, line, sizeof line);
	sent(&c1);
	CHECK(c1.s.big >= 0);
	fake_close_conn(&c1);
	fake_send(&c2, line, sizeof line);
	fake_send(&c3, line, sizeof line);
	sent(&c2);
	sent(&c3);
	CHECK(c2.s.big >= 0 && c3.s.big >= 0);
	fake_close_conn(&c2);
	fake_close_conn(&c3);
}

int main(void)
{
	fake_store_init();
	RUN(greeting);
	RUN(capability);
	RUN(login);
	RUN(pipelined_in_order);
	RUN(literals);
	RUN(literal_too_big_sync);
	RUN(literal_too_big_nonsync);
	RUN(line_too_long);
	RUN(wrong_state);
	RUN(append_one_byte_reads);
	RUN(output_paced_one_byte);
	RUN(idle_sees_append);
	RUN(logout);
	RUN(autologout);
	RUN(append_refused_and_pipelined);
	RUN(reader_edges);
	RUN(input_beyond_the_command);
	RUN(failed_login_delay);
	RUN(output_helpers);
	RUN(mailbox_names_in);
	RUN(login_check_in_slices);
	RUN(big_buffers_shared);
	fake_store_done();
	return UNIT_DONE();
}
