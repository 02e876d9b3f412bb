/*
 * test_mail_deliver.c - device mail into the store: bytes, metadata, errors,
 * streaming in chunks, and the Date: formatter.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "flash_sim.h"
#include "mail_deliver.h"
#include "mime.h"
#include "store.h"
#include "unit.h"

#define SECTOR 4096u
#define SECTORS 64u

static uint8_t mem[SECTOR * SECTORS];
static uint32_t erases[SECTORS];
static struct flash_sim sim;
static struct store st;
static struct mail_delivery md;
static store_mbox_t inbox;

static const char msg[] =
	"Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n"
	"From: Device <postmaster@dev>\r\n"
	"To: u <u@dev>\r\n"
	"Subject: Boot report\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain; charset=us-ascii\r\n"
	"\r\n"
	"line one\r\n"
	"line two\r\n";

static void setup(void)
{
	const struct flash_geometry geo = {SECTOR, SECTORS, 1};
	flash_sim_init(&sim, &geo, mem, erases, NULL, NULL);
	flash_sim_erase_all(&sim);
	CHECK_EQ_INT(store_format(&st, &sim.dev), STORE_OK);
	CHECK_EQ_INT(store_mount(&st, &sim.dev), STORE_OK);
	CHECK_EQ_INT(store_mbox_create(&st, "u", "INBOX", 0, &inbox), STORE_OK);
}

static int read_msg(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	(void)ctx;
	return store_msg_read(&st, inbox, 0, off, buf, len);
}

TEST(deliver_whole)
{
	uint32_t uid = 0;
	setup();
	time_t before = time(NULL);
	CHECK_EQ_INT(mail_deliver(&md, &st, "u", "INBOX", msg, sizeof(msg) - 1, 0, &uid), STORE_OK);
	CHECK(uid > 0);
	CHECK_EQ_INT(store_msg_entries(&st, inbox), 1);

	char back[sizeof(msg)];
	CHECK_EQ_INT(store_msg_read(&st, inbox, 0, 0, back, sizeof(back)), sizeof(msg) - 1);
	CHECK_EQ_MEM(back, msg, sizeof(msg) - 1);

	struct store_msg_stat ms;
	CHECK_EQ_INT(store_msg_stat(&st, inbox, 0, &ms), STORE_OK);
	CHECK_EQ_INT(ms.size, sizeof(msg) - 1);
	CHECK(ms.internaldate >= (int64_t)before - 1 && ms.internaldate <= (int64_t)time(NULL) + 1);

	/* The metadata is the MIME blob FETCH reads: subject and line count. */
	static uint8_t blob[MIME_BLOB_MAX];
	CHECK(ms.meta_len > 0 && ms.meta_len <= sizeof(blob));
	CHECK_EQ_INT(store_msg_meta_read(&st, inbox, 0, 0, blob, ms.meta_len), ms.meta_len);
	struct mime_view v = {blob, ms.meta_len, ms.size, read_msg, NULL, NULL};
	CHECK_EQ_INT(mime_view_check(&v), MIME_OK);
	struct mime_part root;
	CHECK_EQ_INT(mime_part_get(&v, 0, &root), MIME_OK);
	CHECK_EQ_INT(root.body_lines, 2);
	char subj[32];
	uint32_t len = 0;
	CHECK_EQ_INT(mime_field_get(&v, &root, MIME_F_SUBJECT, subj, sizeof(subj), &len), 1);
	CHECK_EQ_INT(len, 11);
	CHECK(memcmp(subj, "Boot report", 11) == 0);
}

TEST(deliver_chunks_same_as_whole)
{
	uint32_t uid1, uid2;
	static uint8_t m1[MIME_BLOB_MAX], m2[MIME_BLOB_MAX];
	setup();
	CHECK_EQ_INT(mail_deliver(&md, &st, "u", "INBOX", msg, sizeof(msg) - 1, 0, &uid1), STORE_OK);
	CHECK_EQ_INT(mail_deliver_begin(&md, &st, "u", "INBOX", sizeof(msg) - 1, STORE_F_SEEN),
		     STORE_OK);
	for (size_t i = 0; i < sizeof(msg) - 1;) {
		int r = mail_deliver_write(&md, msg + i, 1);
		if (r == STORE_AGAIN) {
			store_poll(&st);
			continue;
		}
		CHECK_EQ_INT(r, 1);
		if (r != 1)
			return;
		i++;
	}
	CHECK_EQ_INT(mail_deliver_commit(&md, &uid2), STORE_OK);
	CHECK(uid2 > uid1);
	struct store_msg_stat a, b;
	CHECK_EQ_INT(store_msg_stat(&st, inbox, 0, &a), STORE_OK);
	CHECK_EQ_INT(store_msg_stat(&st, inbox, 1, &b), STORE_OK);
	CHECK_EQ_INT(a.meta_len, b.meta_len);
	store_msg_meta_read(&st, inbox, 0, 0, m1, a.meta_len);
	store_msg_meta_read(&st, inbox, 1, 0, m2, b.meta_len);
	CHECK_EQ_MEM(m1, m2, a.meta_len);
	struct store_msg e;
	CHECK_EQ_INT(store_msg_get(&st, inbox, 1, &e), STORE_OK);
	CHECK_EQ_INT(e.flags, STORE_F_SEEN);
}

TEST(errors)
{
	uint32_t uid;
	setup();
	CHECK_EQ_INT(mail_deliver(&md, &st, "u", "Nope", msg, 10, 0, &uid), STORE_NOENT);
	CHECK_EQ_INT(mail_deliver(&md, &st, "nobody", "INBOX", msg, 10, 0, &uid), STORE_NOENT);

	/* More bytes than announced: refused and aborted. */
	CHECK_EQ_INT(mail_deliver_begin(&md, &st, "u", "INBOX", 4, 0), STORE_OK);
	CHECK_EQ_INT(mail_deliver_write(&md, msg, 5), STORE_INVAL);
	CHECK_EQ_INT(mail_deliver_write(&md, msg, 1), STORE_INVAL);

	/* Commit before every byte: refused; abort frees the append slot. */
	CHECK_EQ_INT(mail_deliver_begin(&md, &st, "u", "INBOX", 4, 0), STORE_OK);
	CHECK_EQ_INT(mail_deliver_write(&md, msg, 2), 2);
	CHECK_EQ_INT(mail_deliver_commit(&md, &uid), STORE_INVAL);
	mail_deliver_abort(&md);
	mail_deliver_abort(&md);   /* idempotent */
	CHECK_EQ_INT(store_msg_entries(&st, inbox), 0);

	/* Every slot can still be taken: nothing leaked. */
	static struct mail_delivery many[STORE_MAX_APPENDS];
	for (int i = 0; i < STORE_MAX_APPENDS; i++)
		CHECK_EQ_INT(mail_deliver_begin(&many[i], &st, "u", "INBOX", 1, 0), STORE_OK);
	for (int i = 0; i < STORE_MAX_APPENDS; i++)
		mail_deliver_abort(&many[i]);
}

TEST(no_space)
{
	uint32_t uid;
	setup();
	/* Larger than the whole device: refused before any data. */
	CHECK_EQ_INT(mail_deliver_begin(&md, &st, "u", "INBOX", SECTOR * SECTORS, 0), STORE_NOSPACE);
	CHECK_EQ_INT(mail_deliver(&md, &st, "u", "INBOX", msg, sizeof(msg) - 1, 0, &uid), STORE_OK);
}

TEST(date_format)
{
	char d[MAIL_DATE_MAX];
	CHECK_EQ_INT(mail_date_format(0, 0, d), 31);
	CHECK_EQ_STR(d, "Thu, 01 Jan 1970 00:00:00 +0000");
	mail_date_format(1795632206, 60, d);
	CHECK_EQ_STR(d, "Wed, 25 Nov 2026 19:43:26 +0100");
	mail_date_format(951782400, -330, d);
	CHECK_EQ_STR(d, "Mon, 28 Feb 2000 18:30:00 -0530");
	mail_date_format(1709251199, 0, d);
	CHECK_EQ_STR(d, "Thu, 29 Feb 2024 23:59:59 +0000");
	mail_date_format(-1, 0, d);
	CHECK_EQ_STR(d, "Wed, 31 Dec 1969 23:59:59 +0000");
}

int main(void)
{
	RUN(deliver_whole);
	RUN(deliver_chunks_same_as_whole);
	RUN(errors);
	RUN(no_space);
	RUN(date_format);
	return UNIT_DONE();
}
