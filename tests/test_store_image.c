/*
 * test_store_image.c - the file-backed flash of port/posix (imapd --image):
 * NOR rules over a file, and a store that survives closing and reopening.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flash_file.h"
#include "store.h"
#include "unit.h"

static struct store st;
static char path[64];

TEST(file_nor_rules)
{
	struct flash_file ff;
	const struct flash_dev *f;
	struct flash_geometry g = { 4096, 8, 1 };
	uint8_t b[4] = { 0x0f, 0, 0, 0 }, r[4];

	unlink(path);
	CHECK_EQ_INT(flash_file_open(&ff, path, &g, &f), 0);
	CHECK_EQ_INT(f->read(f, 100, r, 4), FLASH_OK);
	CHECK_EQ_INT(r[0], 0xff);
	CHECK_EQ_INT(f->prog(f, 100, b, 4), FLASH_OK);
	b[0] = 0xf0;
	CHECK_EQ_INT(f->prog(f, 100, b, 1), FLASH_ERR_RULE);
	CHECK_EQ_INT(f->read(f, 100, r, 4), FLASH_OK);
	CHECK_EQ_INT(r[0], 0x0f);
	CHECK_EQ_INT(f->read(f, 4096 * 8 - 2, r, 4), FLASH_ERR_RANGE);
	CHECK_EQ_INT(f->erase(f, 0), FLASH_OK);
	CHECK_EQ_INT(f->read(f, 100, r, 1), FLASH_OK);
	CHECK_EQ_INT(r[0], 0xff);
	CHECK_EQ_INT(f->sync(f), FLASH_OK);
	flash_file_close(&ff);
	/* reopening keeps the file's size whatever count is asked for */
	g.sector_count = 2;
	CHECK_EQ_INT(flash_file_open(&ff, path, &g, &f), 0);
	CHECK_EQ_INT(f->geo.sector_count, 8);
	flash_file_close(&ff);
	g.sector_size = 3000;
	CHECK_EQ_INT(flash_file_open(&ff, path, &g, &f), -1);
}

static const struct flash_geometry geo32 = { 4096, 32, 1 };

/* A new image file, formatted and mounted in st. */
static void fresh_image(struct flash_file *ff, const struct flash_dev **f)
{
	unlink(path);
	CHECK_EQ_INT(flash_file_open(ff, path, &geo32, f), 0);
	CHECK_EQ_INT(store_format(&st, *f), STORE_OK);
	CHECK_EQ_INT(store_mount(&st, *f), STORE_OK);
}

/* Append text to mb as one message. */
static void put_msg(store_mbox_t mb, const char *text)
{
	struct store_append *a;
	uint32_t n = (uint32_t)strlen(text), uid;

	CHECK_EQ_INT(store_append_begin(&st, mb, n, 0, 0, 0, &a), STORE_OK);
	CHECK_EQ_INT(store_append_write(&st, a, text, n), (int)n);
	CHECK_EQ_INT(store_append_commit(&st, a, NULL, 0, &uid), STORE_OK);
}

TEST(store_on_file)
{
	struct flash_file ff;
	const struct flash_dev *f;
	store_mbox_t mb;
	char buf[16];

	fresh_image(&ff, &f);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &mb), STORE_OK);
	put_msg(mb, "hello");
	store_unmount(&st);
	flash_file_close(&ff);
	CHECK_EQ_INT(flash_file_open(&ff, path, &geo32, &f), 0);
	CHECK_EQ_INT(store_mount(&st, f), STORE_OK);
	CHECK_EQ_INT(store_mbox_find(&st, "ann", "INBOX", &mb), STORE_OK);
	CHECK_EQ_INT(store_msg_read(&st, mb, 0, 0, buf, sizeof(buf)), 5);
	CHECK_EQ_MEM(buf, "hello", 5);
	store_unmount(&st);
	flash_file_close(&ff);
}

/* Group commit (imapd's main loop): with deferred sync the store's syncs
 * only mark the image; flash_file_sync() or an erase makes it durable. */
TEST(deferred_sync)
{
	struct flash_file ff;
	const struct flash_dev *f;
	store_mbox_t mb;
	char buf[8];

	fresh_image(&ff, &f);
	flash_file_defer_sync(&ff, true);
	CHECK(!flash_file_unsynced(&ff));
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &mb), STORE_OK);
	CHECK(flash_file_unsynced(&ff));
	CHECK_EQ_INT(flash_file_sync(&ff), 0);
	CHECK(!flash_file_unsynced(&ff));
	put_msg(mb, "abc");
	CHECK(flash_file_unsynced(&ff));
	/* what was written reads back through the mapping before any sync */
	CHECK_EQ_INT(store_msg_read(&st, mb, 0, 0, buf, sizeof(buf)), 3);
	CHECK_EQ_MEM(buf, "abc", 3);
	/* an erase never overtakes an owed sync */
	CHECK_EQ_INT(f->erase(f, 31), FLASH_OK);
	CHECK(!flash_file_unsynced(&ff));
	CHECK_EQ_INT(f->sync(f), FLASH_OK);
	CHECK(flash_file_unsynced(&ff));
	flash_file_defer_sync(&ff, false);
	store_unmount(&st);
	flash_file_close(&ff);
	CHECK(!flash_file_unsynced(&ff));
}

int main(void)
{
	snprintf(path, sizeof(path), "/tmp/test_store_image.%d", (int)getpid());
	RUN(file_nor_rules);
	RUN(store_on_file);
	RUN(deferred_sync);
	unlink(path);
	return UNIT_DONE();
}
