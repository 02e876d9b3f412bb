/*
 * fuzz_store_mount.c - mount arbitrary flash images. The first byte picks a
 * geometry; the rest is the image (short inputs are padded with erased
 * bytes). A mount must succeed or fail cleanly; a mounted store is then
 * read through every public reader, changed a little, collected, and
 * checked with fsck: nothing may crash, hang or break NOR rules.
 */
#include <stdint.h>
#include <string.h>

#include "flash_sim.h"
#include "store.h"

#define MAX_IMAGE (16u * 1024u)

static uint8_t mem[MAX_IMAGE];
static uint32_t erases[64];
static struct flash_sim fs;
static struct store st;

static const struct flash_geometry geos[4] = {
	{ 512, 32, 1 }, { 1024, 16, 16 }, { 2048, 8, 256 }, { 4096, 4, 4 },
};

static void read_all(void)
{
	uint8_t buf[300];
	char key[STORE_CFG_KEY_MAX + 1];
	uint32_t cur = 0;

	for (store_mbox_t mb = store_mbox_next(&st, NULL, -1); mb >= 0; mb = store_mbox_next(&st, NULL, mb)) {
		struct store_mbox_info in;

		store_mbox_info(&st, mb, &in);
		for (int k = 0; k < STORE_MAX_KEYWORDS; k++)
			(void)store_kw_name(&st, mb, k);
		for (uint32_t i = 0; i < store_msg_entries(&st, mb); i++) {
			struct store_msg m;
			struct store_msg_stat ms;
			uint32_t idx;
			bool exact;

			store_msg_get(&st, mb, i, &m);
			store_msg_find(&st, mb, m.uid, &idx, &exact);
			if (store_msg_stat(&st, mb, i, &ms) == STORE_OK) {
				for (uint32_t off = 0; off < ms.size && off < 4096u; off += sizeof(buf))
					(void)store_msg_read(&st, mb, i, off, buf, sizeof(buf));
				(void)store_msg_meta_read(&st, mb, i, 0, buf, sizeof(buf));
			}
		}
	}
	while (store_cfg_next(&st, NULL, &cur, key) == 1)
		(void)store_cfg_get(&st, key, buf, sizeof(buf));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct flash_geometry *g;
	uint32_t bytes;
	struct store_fsck_report rep;
	store_mbox_t mb;

	if (size < 1)
		return 0;
	g = &geos[data[0] & 3u];
	bytes = g->sector_size * g->sector_count;
	flash_sim_init(&fs, g, mem, erases, NULL, NULL);
	memset(mem, 0xff, bytes);
	memcpy(mem, data + 1, size - 1 < bytes ? size - 1 : bytes);
	if (store_mount(&st, &fs.dev) != STORE_OK)
		return 0;
	read_all();
	/* a few changes and a collection on top of whatever was there */
	if (store_mbox_create(&st, "fuzz", "INBOX", 0, &mb) == STORE_OK ||
	    store_mbox_find(&st, "fuzz", "INBOX", &mb) == STORE_OK) {
		struct store_append *a;
		uint32_t uid;

		if (store_append_begin(&st, mb, 100, 0, 0, 0, &a) == STORE_OK) {
			if (store_append_write(&st, a, mem, 100) == 100)
				(void)store_append_commit(&st, a, "m", 1, &uid);
			else
				store_append_abort(&st, a);
		}
		if (store_msg_entries(&st, mb)) {
			struct store_msg m;

			store_msg_get(&st, mb, 0, &m);
			(void)store_msg_set_flags(&st, mb, m.uid, STORE_F_SEEN, NULL);
			(void)store_msg_expunge(&st, mb, m.uid);
		}
	}
	(void)store_cfg_put(&st, "fuzz", "v", 1);
	for (int i = 0; i < 2000 && store_poll(&st); i++)
		;
	store_unmount(&st);
	(void)store_fsck(&fs.dev, &rep, NULL, NULL);
	return 0;
}
