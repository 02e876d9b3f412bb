/*
 * test_imap_fetch.c - FETCH, SEARCH, STORE, COPY/MOVE and EXPUNGE driven
 * through the fake transport: every answer must be byte for byte the same
 * when the client reads one byte per pass (so every command is cut into many
 * slices and resumed) as when it reads everything at once, and no command
 * may livelock. Plus the literal and item forms that are hard to reach with
 * a real client.
 */
#include "imap_fake.h"
#include "imap_internal.h"
#include "unit.h"

static struct fake_conn c1, c2;

/* A multipart message: a quoted-printable text part, a base64 part holding
 * every byte value (NULs: literal8), a message/rfc822 part. */
static size_t make_multi(char *out, size_t cap)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = (size_t)snprintf(out, cap,
				    "From: Tester <t@example.org>\r\nSubject: multi\r\n"
				    "Content-Type: multipart/mixed; boundary=\"BB\"\r\n\r\n"
				    "--BB\r\nContent-Type: text/plain; charset=utf-8\r\n"
				    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
				    "caf=C3=A9 soft=\r\nbreak line\r\n"
				    "--BB\r\nContent-Type: application/octet-stream\r\n"
				    "Content-Transfer-Encoding: base64\r\n\r\n");
	/* 3 KiB of bytes 0..255 repeated, base64, 76 columns */
	unsigned char raw[3072];
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 7);
	size_t col = 0;
	for (size_t i = 0; i < sizeof(raw); i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
		for (int k = 3; k >= 0; k--)
			out[n++] = b64[(v >> (6 * k)) & 63];
		if ((col += 4) == 76) {
			out[n++] = '\r';
			out[n++] = '\n';
			col = 0;
		}
	}
	n += (size_t)snprintf(out + n, cap - n,
			      "\r\n--BB\r\nContent-Type: message/rfc822\r\n\r\n"
			      "Subject: inner\r\nFrom: x@y.z\r\n\r\ninner body\r\n--BB--\r\n");
	return n;
}

static void append(struct fake_conn *c, const char *box, const char *msg, size_t len)
{
	char line[96];
	snprintf(line, sizeof line, "A APPEND %s {%zu+}\r\n", box, len);
	fake_sends(c, line);
	fake_send(c, msg, len);
	fake_sends(c, "\r\n");
	fake_settle(c);
	const char *out = fake_take(c);
	CHECK(strncmp(out, "A OK [APPENDUID ", 16) == 0);
}

static void login_select(struct fake_conn *c, size_t room, const char *box)
{
	fake_open(c);
	c->room_per_pass = room;
	fake_settle(c);
	fake_take(c);
	CHECK(strstr(fake_cmd(c, "L LOGIN alice secret\r\n"), "L OK") != NULL);
	char line[64];
	snprintf(line, sizeof line, "S SELECT %s\r\n", box);
	CHECK(strstr(fake_cmd(c, line), "S OK [READ-WRITE]") != NULL);
}

static char fast[FAKE_OUT_MAX + 1];

/* The same command on a connection that takes everything and then on one
 * that takes one byte per pass gives the same bytes (one after the other, so
 * neither sees the other's changes as updates). */
static void same_sliced(const char *box, const char *cmd)
{
	login_select(&c1, 0, box);
	snprintf(fast, sizeof fast, "%s", fake_cmd(&c1, cmd));
	fake_close_conn(&c1);
	login_select(&c2, 1, box);
	fake_sends(&c2, cmd);
	CHECK(fake_settle(&c2) > 0);
	CHECK_EQ_STR(fake_take(&c2), fast);
	CHECK(strlen(fast) > 0);
	fake_close_conn(&c2);
}

static char multi[16384];
static size_t multi_len;

TEST(setup)
{
	fake_store_init();
	multi_len = make_multi(multi, sizeof multi);
	fake_open(&c1);
	fake_settle(&c1);
	fake_take(&c1);
	CHECK(strstr(fake_cmd(&c1, "L LOGIN alice secret\r\n"), "L OK") != NULL);
	CHECK_EQ_STR(fake_cmd(&c1, "C CREATE box\r\n"), "C OK CREATE completed\r\n");
	CHECK_EQ_STR(fake_cmd(&c1, "C CREATE dst\r\n"), "C OK CREATE completed\r\n");
	for (int i = 0; i < 3; i++)
		append(&c1, "box", multi, multi_len);
	static const char plain[] = "From: a@b.c\r\nTo: d@e.f\r\nSubject: plain one\r\n"
				    "X-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
				    " bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\nplain body\r\n";
	for (int i = 0; i < 20; i++)
		append(&c1, "box", plain, sizeof plain - 1);
	/* take \Recent here, so the sessions compared below see the same flags */
	CHECK(strstr(fake_cmd(&c1, "S SELECT box\r\n"), "S OK") != NULL);
	fake_close_conn(&c1);
}

TEST(fetch_sliced_equals_whole)
{
	same_sliced("box", "F FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE "
			   "BODYSTRUCTURE BODY.PEEK[])\r\n");
	same_sliced("box", "F FETCH 1:3 (BINARY.PEEK[1] BINARY.SIZE[2] BINARY.PEEK[2]<100.2000> "
			   "BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)] BODY.PEEK[3.TEXT] "
			   "BODY.PEEK[HEADER.FIELDS.NOT (Content-Type)]<3.40> BODY.PEEK[2.MIME])\r\n");
	same_sliced("box", "F UID FETCH 1:* (BODY.PEEK[TEXT]<5.10> RFC822.HEADER)\r\n");
}

TEST(search_store_sliced_equals_whole)
{
	same_sliced("box", "Q SEARCH OR BODY soft HEADER X-Long bbbb\r\n");
	same_sliced("box", "Q UID SEARCH RETURN (ALL COUNT MIN MAX) TEXT multi\r\n");
	same_sliced("box", "Q STORE 1:* FLAGS (\\Answered)\r\n");
	same_sliced("box", "Q UID STORE 1:* -FLAGS (\\Answered)\r\n");
}

TEST(fetch_items)
{
	login_select(&c1, 0, "box");
	/* literal8 for decoded data holding NULs (compared as bytes) */
	static const char want8[] = "* 1 FETCH (BINARY[2]<0> ~{4}\r\n\x00\x07\x0e\x15)\r\n"
				    "a OK FETCH completed\r\n";
	size_t at = c1.out_len;
	fake_cmd(&c1, "a FETCH 1 (BINARY.PEEK[2]<0.4>)\r\n");
	CHECK_EQ_INT(c1.out_len - at, sizeof want8 - 1);
	CHECK_EQ_MEM(c1.out + at, want8, sizeof want8 - 1);
	const char *o = fake_cmd(&c1, "b FETCH 1 (BINARY.PEEK[1])\r\n");
	CHECK_EQ_STR(o, "* 1 FETCH (BINARY[1] {20}\r\ncaf\xc3\xa9 softbreak line)\r\nb OK FETCH completed\r\n");
	o = fake_cmd(&c1, "c FETCH 4 (BODY.PEEK[HEADER.FIELDS (x-long)])\r\n");
	CHECK_EQ_STR(o, "* 4 FETCH (BODY[HEADER.FIELDS (x-long)] {104}\r\n"
			"X-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
			" bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\n)\r\n"
			"c OK FETCH completed\r\n");
	o = fake_cmd(&c1, "d FETCH 4 (BODY.PEEK[]<9999.1> BODY.PEEK[7]<0.0>)\r\n");
	CHECK_EQ_STR(o, "* 4 FETCH (BODY[]<9999> \"\" BODY[7]<0> \"\")\r\nd OK FETCH completed\r\n");
	o = fake_cmd(&c1, "e FETCH 4 BODY[TEXT]\r\n");
	CHECK_EQ_STR(o, "* 4 FETCH (BODY[TEXT] {12}\r\nplain body\r\n FLAGS (\\Seen))\r\n"
			"e OK FETCH completed\r\n");
	o = fake_cmd(&c1, "f NOOP\r\n");
	CHECK_EQ_STR(o, "f OK NOOP completed\r\n");   /* own \Seen not re-announced */
	fake_close_conn(&c1);
}

TEST(copy_move_expunge)
{
	login_select(&c1, 0, "box");
	login_select(&c2, 3, "box");
	const char *o = fake_cmd(&c1, "a UID COPY 1:3 dst\r\n");
	CHECK(strncmp(o, "a OK [COPYUID ", 14) == 0);
	CHECK(strstr(o, " 1:3 1:3] COPY completed\r\n") != NULL);
	o = fake_cmd(&c1, "b MOVE 2:3 dst\r\n");
	CHECK(strncmp(o, "* OK [COPYUID ", 14) == 0);
	CHECK(strstr(o, " 2:3 4:5] Moved UIDs\r\n* 2 EXPUNGE\r\n* 2 EXPUNGE\r\nb OK MOVE completed\r\n"));
	/* the other session: nothing during FETCH, then the EXPUNGEs */
	o = fake_cmd(&c2, "c FETCH 4 UID\r\n");
	CHECK_EQ_STR(o, "* 4 FETCH (UID 4)\r\nc OK FETCH completed\r\n");
	o = fake_cmd(&c2, "d NOOP\r\n");
	CHECK_EQ_STR(o, "* 2 EXPUNGE\r\n* 2 EXPUNGE\r\nd OK NOOP completed\r\n");
	o = fake_cmd(&c1, "e STORE 1 +FLAGS.SILENT (\\Deleted)\r\n");
	CHECK_EQ_STR(o, "e OK STORE completed\r\n");
	o = fake_cmd(&c1, "f EXPUNGE\r\n");
	CHECK_EQ_STR(o, "* 1 EXPUNGE\r\nf OK EXPUNGE completed\r\n");
	/* sequence numbers 1:5 as c2 still knows them (1 expunged: no match);
	 * the EXPUNGE follows, from the sync after the command */
	o = fake_cmd(&c2, "g UID SEARCH 1:5\r\n");
	CHECK_EQ_STR(o, "* SEARCH 4 5 6 7\r\n* 1 EXPUNGE\r\ng OK UID SEARCH completed\r\n");
	fake_close_conn(&c1);
	fake_close_conn(&c2);
}

TEST(teardown)
{
	fake_store_done();
}

int main(void)
{
	RUN(setup);
	RUN(fetch_sliced_equals_whole);
	RUN(search_store_sliced_equals_whole);
	RUN(fetch_items);
	RUN(copy_move_expunge);
	RUN(teardown);
	return UNIT_DONE();
}
