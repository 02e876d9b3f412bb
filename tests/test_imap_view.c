/*
 * test_imap_view.c - two sessions on one mailbox (firmware/imap_view.c):
 * expunges by one reach the other as correctly numbered EXPUNGE responses,
 * only when it may be told; tombstones live exactly until every session
 * has been told; sequence numbers and UIDs map right meanwhile; \Recent
 * goes to exactly one session.
 */
#include "imap_fake.h"
#include "imap_internal.h"
#include "mail_deliver.h"
#include "unit.h"

static struct fake_conn ca, cb, cc;
static struct mail_delivery deliv;
static store_mbox_t inbox;

static uint32_t deliver(void)
{
	static const char m[] = "Subject: hi\r\n\r\nbody\r\n";
	uint32_t uid = 0;
	CHECK_EQ_INT(mail_deliver(&deliv, &fake_store, "alice", "INBOX", m, sizeof m - 1, 0, &uid),
		     STORE_OK);
	return uid;
}

static void login(struct fake_conn *c)
{
	fake_open(c);
	fake_cmd(c, "L LOGIN alice secret\r\n");
	CHECK_EQ_INT(c->s.state, IMAP_S_AUTH);
	fake_take(c);
}

static const char *select_tail(struct fake_conn *c, const char *cmd)
{
	/* SELECT's EXISTS/RECENT lines only (the flags lines are fixed text) */
	const char *out = fake_cmd(c, cmd), *e = strstr(out, "* OK [PERMANENTFLAGS");
	e = e ? strstr(e, "\r\n") : NULL;
	return e ? e + 2 : out;
}

static uint32_t seq_of(struct fake_conn *c, uint32_t uid)
{
	uint32_t seq, idx;
	return imap_view_uid_to_seq(&c->s, uid, &seq, &idx) ? seq : 0;
}

static uint32_t uid_at(struct fake_conn *c, uint32_t seq)
{
	uint32_t idx;
	struct store_msg m;
	if (!imap_view_seq_to_idx(&c->s, seq, &idx) ||
	    store_msg_get(&fake_store, c->s.v.mb, idx, &m) != STORE_OK)
		return 0;
	return m.uid;
}

/* Both views, seq by seq: want[] lists the UIDs at seq 1..n. */
static void check_map(struct fake_conn *c, const uint32_t *want, uint32_t n)
{
	CHECK_EQ_INT(c->s.v.exists, n);
	for (uint32_t i = 0; i < n; i++) {
		CHECK_EQ_INT(uid_at(c, i + 1), want[i]);
		CHECK_EQ_INT(seq_of(c, want[i]), i + 1);
	}
	CHECK_EQ_INT(uid_at(c, n + 1), 0);
	CHECK_EQ_INT(uid_at(c, 0), 0);
	/* and backwards, which the cursor must not get wrong */
	for (uint32_t i = n; i-- > 0;)
		CHECK_EQ_INT(uid_at(c, i + 1), want[i]);
}

TEST(recent_to_one_session)
{
	for (int i = 0; i < 6; i++)
		CHECK_EQ_INT(deliver(), (uint32_t)i + 1);
	CHECK_EQ_INT(imap_view_status_recent(&fake_store, inbox), 6);
	login(&ca);
	login(&cb);
	login(&cc);
	/* EXAMINE first: a read-only session sees \Recent but never takes it */
	CHECK_EQ_STR(select_tail(&cc, "x EXAMINE INBOX\r\n"),
		     "* 6 EXISTS\r\n"
		     "* 6 RECENT\r\n"
		     "* OK [UNSEEN 1] First unseen\r\n"
		     "* OK [UIDVALIDITY 1] UIDs valid\r\n"
		     "* OK [UIDNEXT 7] Predicted next UID\r\n"
		     "* OK [HIGHESTMODSEQ 7] Highest\r\n"
		     "x OK [READ-ONLY] EXAMINE completed\r\n");
	CHECK_EQ_INT(imap_view_status_recent(&fake_store, inbox), 6);
	fake_take(&ca);
	fake_cmd(&ca, "a SELECT INBOX\r\n");
	CHECK(strstr(ca.out, "* 6 EXISTS\r\n* 6 RECENT\r\n") != NULL);
	fake_cmd(&cb, "b SELECT INBOX\r\n");
	CHECK(strstr(cb.out, "* 6 EXISTS\r\n* 0 RECENT\r\n") != NULL);
	CHECK_EQ_INT(imap_view_status_recent(&fake_store, inbox), 0);
	for (uint32_t uid = 1; uid <= 6; uid++) {
		CHECK(imap_view_is_recent(&ca.s, uid));
		CHECK(!imap_view_is_recent(&cb.s, uid));
		CHECK(imap_view_is_recent(&cc.s, uid));   /* it heard first */
	}
	/* a new message: whoever hears of it first gets it */
	CHECK_EQ_INT(deliver(), 7);
	CHECK_EQ_INT(imap_view_status_recent(&fake_store, inbox), 1);
	CHECK_EQ_STR(fake_cmd(&cb, "b NOOP\r\n"),
		     "* 7 EXISTS\r\n* 1 RECENT\r\nb OK NOOP completed\r\n");
	CHECK_EQ_STR(fake_cmd(&ca, "a NOOP\r\n"),
		     "* 7 EXISTS\r\n* 6 RECENT\r\na OK NOOP completed\r\n");
	CHECK_EQ_STR(fake_cmd(&cc, "c NOOP\r\n"),
		     "* 7 EXISTS\r\n* 6 RECENT\r\nc OK NOOP completed\r\n");
	CHECK(imap_view_is_recent(&cb.s, 7));
	CHECK(!imap_view_is_recent(&ca.s, 7));
	CHECK(!imap_view_is_recent(&cc.s, 7));
	CHECK_EQ_STR(fake_cmd(&cb, "f FETCH 6:7 FLAGS\r\n"),
		     "* 6 FETCH (FLAGS ())\r\n* 7 FETCH (FLAGS (\\Recent))\r\n"
		     "f OK FETCH completed\r\n");
	CHECK_EQ_STR(fake_cmd(&ca, "f FETCH 6:7 FLAGS\r\n"),
		     "* 6 FETCH (FLAGS (\\Recent))\r\n* 7 FETCH (FLAGS ())\r\n"
		     "f OK FETCH completed\r\n");
	CHECK_EQ_INT(imap_view_status_recent(&fake_store, inbox), 0);
	fake_close_conn(&cc);
}

TEST(expunge_reaches_other_session)
{
	static const uint32_t all[] = { 1, 2, 3, 4, 5, 6, 7 };
	static const uint32_t left[] = { 1, 3, 6, 7 };
	check_map(&ca, all, 7);
	check_map(&cb, all, 7);
	CHECK_EQ_STR(fake_cmd(&ca, "s STORE 2,4:5 +FLAGS.SILENT (\\Deleted)\r\n"),
		     "s OK STORE completed\r\n");
	CHECK_EQ_STR(fake_cmd(&ca, "e EXPUNGE\r\n"),
		     "* 2 EXPUNGE\r\n* 3 EXPUNGE\r\n* 3 EXPUNGE\r\ne OK EXPUNGE completed\r\n");
	check_map(&ca, left, 4);
	/* B has not been told: the tombstones stay, B's numbering is unchanged */
	CHECK_EQ_INT(store_msg_entries(&fake_store, inbox), 7);
	check_map(&cb, all, 7);
	/* FETCH may not send EXPUNGE (RFC 3501 7.4.1): B still counts 7; the
	 * flag changes come out unasked */
	CHECK_EQ_STR(fake_cmd(&cb, "f FETCH 7 (UID)\r\n"),
		     "* 7 FETCH (UID 7)\r\nf OK FETCH completed\r\n");
	CHECK_EQ_INT(store_msg_entries(&fake_store, inbox), 7);
	check_map(&cb, all, 7);
	/* NOOP may: each EXPUNGE renumbers the messages after it */
	CHECK_EQ_STR(fake_cmd(&cb, "n NOOP\r\n"),
		     "* 2 EXPUNGE\r\n* 3 EXPUNGE\r\n* 3 EXPUNGE\r\nn OK NOOP completed\r\n");
	check_map(&cb, left, 4);
	/* everyone told: the tombstones are gone */
	CHECK_EQ_INT(store_msg_entries(&fake_store, inbox), 4);
	check_map(&ca, left, 4);
	CHECK_EQ_STR(fake_cmd(&ca, "n NOOP\r\n"), "n OK NOOP completed\r\n");
	CHECK_EQ_STR(fake_cmd(&cb, "n NOOP\r\n"), "n OK NOOP completed\r\n");
}

TEST(new_mail_behind_tombstone)
{
	/* left: 1 3 6 7. A expunges 3; mail 8 arrives; B is in a FETCH */
	static const uint32_t b_view[] = { 1, 3, 6, 7, 8 };
	static const uint32_t after[] = { 1, 6, 7, 8 };
	CHECK_EQ_STR(fake_cmd(&ca, "s UID STORE 3 +FLAGS.SILENT (\\Deleted)\r\n"),
		     "s OK STORE completed\r\n");
	CHECK_EQ_STR(fake_cmd(&ca, "e UID EXPUNGE 3\r\n"),
		     "* 2 EXPUNGE\r\ne OK EXPUNGE completed\r\n");
	CHECK_EQ_INT(deliver(), 8);
	/* no FETCH FLAGS for the tombstone: its EXPUNGE is what is owed; B
	 * keeps \Recent on 7 and takes 8 */
	CHECK_EQ_STR(fake_cmd(&cb, "f FETCH 1 (UID)\r\n"),
		     "* 1 FETCH (UID 1)\r\n"
		     "* 5 EXISTS\r\n* 2 RECENT\r\nf OK FETCH completed\r\n");
	check_map(&cb, b_view, 5);
	CHECK_EQ_STR(fake_cmd(&cb, "f FETCH 5 (UID)\r\n"),
		     "* 5 FETCH (UID 8)\r\nf OK FETCH completed\r\n");
	/* the tombstone stays until B is told; A's own view is already without */
	CHECK_EQ_INT(store_msg_entries(&fake_store, inbox), 5);
	/* A: 8 is B's; of A's own \Recent (1..6) 1 and 6 are left */
	CHECK_EQ_STR(fake_cmd(&ca, "n NOOP\r\n"),
		     "* 4 EXISTS\r\n* 2 RECENT\r\nn OK NOOP completed\r\n");
	check_map(&ca, after, 4);
	/* UID FETCH may send EXPUNGE (RFC 3501 7.4.1) */
	CHECK_EQ_STR(fake_cmd(&cb, "f UID FETCH 8 (UID)\r\n"),
		     "* 5 FETCH (UID 8)\r\n* 2 EXPUNGE\r\nf OK FETCH completed\r\n");
	check_map(&cb, after, 4);
	CHECK_EQ_INT(store_msg_entries(&fake_store, inbox), 4);
}

TEST(appended_and_expunged_unseen)
{
	/* A message that a third session sees arrive and expunges between two
	 * updates of A and B is never shown to them at all: announced during a
	 * FETCH (no EXPUNGE allowed) it would be a phantom */
	static const uint32_t view[] = { 1, 6, 7, 8 };
	CHECK_EQ_INT(deliver(), 9);
	login(&cc);
	CHECK(strstr(fake_cmd(&cc, "c SELECT INBOX\r\n"), "* 5 EXISTS\r\n* 1 RECENT\r\n") != NULL);
	CHECK(imap_view_is_recent(&cc.s, 9));
	CHECK_EQ_STR(fake_cmd(&cc, "s UID STORE 9 +FLAGS.SILENT (\\Deleted)\r\n"),
		     "s OK STORE completed\r\n");
	CHECK_EQ_STR(fake_cmd(&cc, "e EXPUNGE\r\n"), "* 5 EXPUNGE\r\ne OK EXPUNGE completed\r\n");
	fake_close_conn(&cc);
	CHECK_EQ_STR(fake_cmd(&ca, "f FETCH 4 (UID)\r\n"),
		     "* 4 FETCH (UID 8)\r\nf OK FETCH completed\r\n");
	check_map(&ca, view, 4);
	CHECK_EQ_STR(fake_cmd(&ca, "n NOOP\r\n"), "n OK NOOP completed\r\n");
	check_map(&ca, view, 4);
	CHECK_EQ_STR(fake_cmd(&cb, "f FETCH 4 (UID)\r\n"),
		     "* 4 FETCH (UID 8)\r\nf OK FETCH completed\r\n");
	check_map(&cb, view, 4);
	CHECK_EQ_STR(fake_cmd(&cb, "n NOOP\r\n"), "n OK NOOP completed\r\n");
	check_map(&cb, view, 4);
	CHECK_EQ_INT(store_msg_entries(&fake_store, inbox), 4);
}

TEST(leaving_session_releases_tombstones)
{
	static const uint32_t view[] = { 6, 7, 8 };
	CHECK_EQ_STR(fake_cmd(&ca, "s STORE 1 +FLAGS.SILENT (\\Deleted)\r\n"),
		     "s OK STORE completed\r\n");
	CHECK_EQ_STR(fake_cmd(&ca, "e EXPUNGE\r\n"), "* 1 EXPUNGE\r\ne OK EXPUNGE completed\r\n");
	check_map(&ca, view, 3);
	CHECK_EQ_INT(store_msg_entries(&fake_store, inbox), 4);
	/* B drops the connection without being told */
	fake_close_conn(&cb);
	CHECK_EQ_INT(store_msg_entries(&fake_store, inbox), 3);
	check_map(&ca, view, 3);
	/* a session selecting now sees only the live messages */
	login(&cb);
	CHECK(strstr(fake_cmd(&cb, "b SELECT INBOX\r\n"), "* 3 EXISTS\r\n* 0 RECENT\r\n") != NULL);
	check_map(&cb, view, 3);
	/* CLOSE expunges silently; B then hears of it */
	CHECK_EQ_STR(fake_cmd(&ca, "s STORE 2 +FLAGS.SILENT (\\Deleted)\r\n"),
		     "s OK STORE completed\r\n");
	CHECK_EQ_STR(fake_cmd(&ca, "c CLOSE\r\n"), "c OK CLOSE completed\r\n");
	CHECK_EQ_STR(fake_cmd(&cb, "n NOOP\r\n"),
		     "* 2 EXPUNGE\r\nn OK NOOP completed\r\n");
	CHECK_EQ_INT(store_msg_entries(&fake_store, inbox), 2);
	fake_close_conn(&ca);
	fake_close_conn(&cb);
}

/* Count "* n EXPUNGE" lines in out. */
static uint32_t expunges(const char *out)
{
	uint32_t n = 0;
	for (const char *p = strstr(out, " EXPUNGE\r\n"); p; p = strstr(p + 1, " EXPUNGE\r\n"))
		n++;
	return n;
}

TEST(sliced_sync_survives_purge)
{
	/* S's update is cut into slices by a slow client; meanwhile T's update
	 * purges a tombstone in front of where S stopped. S must still report
	 * every expunge, and its count must match its view. */
	enum { MANY = 400 };
	static const char m[] = "Subject: x\r\n\r\nx\r\n";
	struct fake_conn *a = &ca, *sl = &cb, *t = &cc;
	store_mbox_t mb;
	CHECK_EQ_INT(store_mbox_create(&fake_store, "alice", "Bulk", 0, &mb), STORE_OK);
	for (int i = 0; i < MANY + 2; i++) {
		uint32_t uid;
		CHECK_EQ_INT(mail_deliver(&deliv, &fake_store, "alice", "Bulk", m, sizeof m - 1, 0,
					  &uid), STORE_OK);
	}
	login(a);
	login(sl);
	login(t);
	fake_cmd(a, "a SELECT Bulk\r\n");
	fake_cmd(sl, "s SELECT Bulk\r\n");
	fake_cmd(t, "t SELECT Bulk\r\n");
	/* an old tombstone that S has announced and T not yet */
	CHECK_EQ_STR(fake_cmd(a, "x STORE 1 +FLAGS.SILENT (\\Deleted)\r\nx EXPUNGE\r\n"),
		     "x OK STORE completed\r\n* 1 EXPUNGE\r\nx OK EXPUNGE completed\r\n");
	CHECK_EQ_STR(fake_cmd(sl, "n NOOP\r\n"), "* 1 EXPUNGE\r\nn OK NOOP completed\r\n");
	/* many new ones */
	char line[64];
	snprintf(line, sizeof line, "y STORE 1:%d +FLAGS.SILENT (\\Deleted)\r\n", MANY);
	fake_cmd(a, line);
	CHECK_EQ_INT(expunges(fake_cmd(a, "y EXPUNGE\r\n")), MANY);
	CHECK_EQ_INT(a->s.v.exists, 1);
	/* S starts its update with no room on the wire: it stops part-way */
	fake_take(sl);
	fake_sends(sl, "n NOOP\r\n");
	sl->room_per_pass = 1;
	sl->room = 0;
	imap_session_run(&sl->s);
	CHECK(sl->s.have_cmd);
	CHECK(sl->s.v.sync_phase != 0);
	/* T catches up: all its tombstones are announced, the old one purged */
	CHECK_EQ_INT(expunges(fake_cmd(t, "n NOOP\r\n")), MANY + 1);
	/* S goes on */
	sl->room_per_pass = 0;
	fake_settle(sl);
	const char *out = fake_take(sl);
	CHECK_EQ_INT(expunges(out), MANY);
	CHECK(strstr(out, "n OK NOOP completed\r\n") != NULL);
	CHECK_EQ_INT(sl->s.v.exists, 1);
	uint32_t last[] = { MANY + 2 };
	check_map(sl, last, 1);
	check_map(t, last, 1);
	check_map(a, last, 1);
	CHECK_EQ_INT(store_msg_entries(&fake_store, mb), 1);
	fake_close_conn(a);
	fake_close_conn(sl);
	fake_close_conn(t);
}

TEST(sliced_fetch_survives_purge)
{
	/* S sends a large message to a slow client; meanwhile T's update would
	 * purge a tombstone in front of it. S must go on with the same message. */
	enum { BIG = 20000 };
	static char x[BIG], y[BIG], want[BIG + 200];
	struct fake_conn *a = &ca, *sl = &cb, *t = &cc;
	store_mbox_t mb;
	uint32_t uid;
	memset(x, 'X', BIG);
	memset(y, 'Y', BIG);
	CHECK_EQ_INT(store_mbox_create(&fake_store, "alice", "Big", 0, &mb), STORE_OK);
	CHECK_EQ_INT(mail_deliver(&deliv, &fake_store, "alice", "Big", "a\r\n", 3, 0, &uid),
		     STORE_OK);
	CHECK_EQ_INT(mail_deliver(&deliv, &fake_store, "alice", "Big", x, BIG, 0, &uid), STORE_OK);
	CHECK_EQ_INT(mail_deliver(&deliv, &fake_store, "alice", "Big", y, BIG, 0, &uid), STORE_OK);
	login(a);
	login(sl);
	login(t);
	fake_cmd(a, "a SELECT Big\r\n");
	fake_cmd(sl, "s SELECT Big\r\n");
	fake_cmd(t, "t SELECT Big\r\n");
	CHECK_EQ_STR(fake_cmd(a, "x STORE 1 +FLAGS.SILENT (\\Deleted)\r\nx EXPUNGE\r\n"),
		     "x OK STORE completed\r\n* 1 EXPUNGE\r\nx OK EXPUNGE completed\r\n");
	CHECK_EQ_STR(fake_cmd(sl, "n NOOP\r\n"), "* 1 EXPUNGE\r\nn OK NOOP completed\r\n");
	CHECK_EQ_INT(store_msg_entries(&fake_store, mb), 3);   /* T has not been told */
	/* S starts sending message 2 with no room on the wire */
	fake_sends(sl, "f UID FETCH 2 BODY.PEEK[]\r\n");
	sl->room_per_pass = 1;
	sl->room = 0;
	imap_session_run(&sl->s);
	CHECK(sl->s.have_cmd);
	CHECK_EQ_STR(fake_cmd(t, "n NOOP\r\n"), "* 1 EXPUNGE\r\nn OK NOOP completed\r\n");
	sl->room_per_pass = 0;
	fake_settle(sl);
	int n = snprintf(want, sizeof want, "* 1 FETCH (UID 2 BODY[] {%d}\r\n", BIG);
	memcpy(want + n, x, BIG);
	strcpy(want + n + BIG, ")\r\nf OK FETCH completed\r\n");
	const char *out = fake_take(sl);
	CHECK_EQ_INT(strlen(out), strlen(want));
	CHECK(strcmp(out, want) == 0);
	/* the owed purge happened once S was done */
	CHECK_EQ_STR(fake_cmd(sl, "n NOOP\r\n"), "n OK NOOP completed\r\n");
	CHECK_EQ_INT(store_msg_entries(&fake_store, mb), 2);
	fake_close_conn(a);
	fake_close_conn(sl);
	fake_close_conn(t);
}

/* \Recent stays with the session that took it, however the sessions take
 * turns at new mail, up to IMAP_RECENT_RANGES turns back. */
static uint32_t deliver_to(const char *mailbox)
{
	static const char m[] = "Subject: turn\r\n\r\nbody\r\n";
	uint32_t uid = 0;
	CHECK_EQ_INT(mail_deliver(&deliv, &fake_store, "alice", mailbox, m, sizeof m - 1, 0, &uid),
		     STORE_OK);
	return uid;
}

TEST(recent_kept_across_turns)
{
	login(&ca);
	login(&cb);
	CHECK(strstr(fake_cmd(&ca, "c CREATE Turns\r\n"), "c OK") != NULL);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(deliver_to("Turns"), (uint32_t)i + 1);
	CHECK(strstr(fake_cmd(&ca, "a SELECT Turns\r\n"), "* 3 RECENT\r\n") != NULL);
	CHECK(strstr(fake_cmd(&cb, "b SELECT Turns\r\n"), "* 0 RECENT\r\n") != NULL);
	/* b hears of 4 first, then a of 5: a keeps 1-3 as well */
	CHECK_EQ_INT(deliver_to("Turns"), 4);
	CHECK_EQ_STR(fake_cmd(&cb, "b NOOP\r\n"),
		     "* 4 EXISTS\r\n* 1 RECENT\r\nb OK NOOP completed\r\n");
	CHECK_EQ_STR(fake_cmd(&ca, "a NOOP\r\n"),
		     "* 4 EXISTS\r\n* 3 RECENT\r\na OK NOOP completed\r\n");
	CHECK_EQ_INT(deliver_to("Turns"), 5);
	CHECK_EQ_STR(fake_cmd(&ca, "a NOOP\r\n"),
		     "* 5 EXISTS\r\n* 4 RECENT\r\na OK NOOP completed\r\n");
	CHECK_EQ_STR(fake_cmd(&cb, "b NOOP\r\n"),
		     "* 5 EXISTS\r\n* 1 RECENT\r\nb OK NOOP completed\r\n");
	for (uint32_t uid = 1; uid <= 5; uid++) {
		CHECK(imap_view_is_recent(&ca.s, uid) == (uid != 4));
		CHECK(imap_view_is_recent(&cb.s, uid) == (uid == 4));
	}
	CHECK_EQ_STR(fake_cmd(&ca, "f FETCH 3:5 FLAGS\r\n"),
		     "* 3 FETCH (FLAGS (\\Recent))\r\n* 4 FETCH (FLAGS ())\r\n"
		     "* 5 FETCH (FLAGS (\\Recent))\r\nf OK FETCH completed\r\n");
	/* more turns than a session keeps ranges: only then do a's oldest go */
	for (uint32_t k = 0; k < 2 * IMAP_RECENT_RANGES; k++) {
		struct fake_conn *first = k % 2 ? &ca : &cb, *second = k % 2 ? &cb : &ca;
		uint32_t uid = deliver_to("Turns");
		CHECK_EQ_INT(uid, 6 + k);
		fake_cmd(first, "n NOOP\r\n");
		fake_cmd(second, "n NOOP\r\n");
		CHECK(imap_view_is_recent(&first->s, uid));
		CHECK(!imap_view_is_recent(&second->s, uid));
	}
	for (uint32_t uid = 1; uid < 6 + 2 * IMAP_RECENT_RANGES; uid++)
		CHECK(!(imap_view_is_recent(&ca.s, uid) && imap_view_is_recent(&cb.s, uid)));
	CHECK(!imap_view_is_recent(&ca.s, 1));
	fake_close_conn(&ca);
	fake_close_conn(&cb);
}

int main(void)
{
	fake_store_init();
	if (store_mbox_find(&fake_store, "alice", "INBOX", &inbox) != STORE_OK)
		return 2;
	RUN(recent_to_one_session);
	RUN(expunge_reaches_other_session);
	RUN(new_mail_behind_tombstone);
	RUN(appended_and_expunged_unseen);
	RUN(leaving_session_releases_tombstones);
	RUN(sliced_sync_survives_purge);
	RUN(sliced_fetch_survives_purge);
	RUN(recent_kept_across_turns);
	fake_store_done();
	return UNIT_DONE();
}
