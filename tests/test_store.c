/*
 * test_store.c - every public store function, on the simulator with
 * program units of 1, 16 and 256 bytes in write-once mode (the format never
 * programs a unit twice), remounting to prove what is durable.
 */
#include <stdint.h>
#include <stdlib.h>

#include "crc32.h"
#include "flash_sim.h"
#include "store_int.h"   /* white-box: index entries, geometry */
#include "unit.h"

#define MAX_BYTES (4u * 1024u * 1024u)
#define MAX_SECTORS 1024u

static uint8_t mem[MAX_BYTES];
static uint32_t erases[MAX_SECTORS];
static uint8_t written[MAX_BYTES / 8];
static struct flash_sim fs;
static struct store st, st2;
static const struct flash_dev *dev;

static void fresh(uint32_t ss, uint32_t sc, uint32_t prog)
{
	struct flash_geometry g = { ss, sc, prog };

	flash_sim_init(&fs, &g, mem, erases, written, NULL);
	flash_sim_erase_all(&fs);
	dev = &fs.dev;
	CHECK_EQ_INT(store_format(&st, dev), STORE_OK);
	CHECK_EQ_INT(store_mount(&st, dev), STORE_OK);
}

static void remount(void)
{
	store_unmount(&st);
	CHECK_EQ_INT(store_mount(&st, dev), STORE_OK);
}

static void fill(uint8_t *b, uint32_t n, uint32_t seed)
{
	for (uint32_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		b[i] = (uint8_t)(seed >> 16);
	}
}

/* Append n bytes of pattern seed in chunks of chunk. */
static int append(store_mbox_t mb, uint32_t n, uint32_t seed, uint32_t chunk, uint32_t flags,
		  uint32_t *uid)
{
	static uint8_t buf[700000];
	struct store_append *a;
	char meta[40];
	int e;

	fill(buf, n, seed);
	e = store_append_begin(&st, mb, n, 1700000000 + seed, 60, flags, &a);
	while (e == STORE_AGAIN && store_poll(&st))
		e = store_append_begin(&st, mb, n, 1700000000 + seed, 60, flags, &a);
	if (e)
		return e;
	for (uint32_t off = 0; off < n;) {
		uint32_t c = n - off < chunk ? n - off : chunk;
		int w = store_append_write(&st, a, buf + off, c);

		if (w <= 0)
			return w;
		off += (uint32_t)w;
	}
	snprintf(meta, sizeof(meta), "meta-%u", seed);
	return store_append_commit(&st, a, meta, (uint32_t)strlen(meta), uid);
}

static bool same(store_mbox_t mb, uint32_t idx, uint32_t n, uint32_t seed)
{
	static uint8_t want[700000], got[700000];
	char meta[40], m[40];
	struct store_msg_stat ms;
	uint32_t off = 0;
	int r;

	fill(want, n, seed);
	if (store_msg_stat(&st, mb, idx, &ms) || ms.size != n || ms.internaldate != 1700000000 + seed ||
	    ms.tz_minutes != 60)
		return false;
	while ((r = store_msg_read(&st, mb, idx, off, got + off, 777)) > 0)
		off += (uint32_t)r;
	if (r < 0 || off != n || memcmp(want, got, n))
		return false;
	snprintf(meta, sizeof(meta), "meta-%u", seed);
	r = store_msg_meta_read(&st, mb, idx, 0, m, sizeof(m));
	return r == (int)strlen(meta) && !memcmp(m, meta, (size_t)r) && ms.meta_len == (uint32_t)r;
}

static const uint32_t progs[] = { 1, 16, 256 };

/* Flash address of the message record of entry idx (through its FLAGS
 * record when the entry points at one). */
static uint32_t msg_loc(store_mbox_t mb, uint32_t idx)
{
	struct rec r;
	uint32_t at = 0;

	CHECK_EQ_INT(ent_msg(&st, &st.ent[st.mbox[mb].start + idx], &r, &at), STORE_OK);
	return at;
}

/* The CRC of every record: IEEE CRC-32's check value, and streaming. */
TEST(crc32_check_value)
{
	CHECK_EQ_INT(crc32_update(0, "123456789", 9), 0xcbf43926u);
	CHECK_EQ_INT(crc32_update(crc32_update(0, "1234", 4), "56789", 5), 0xcbf43926u);
	CHECK_EQ_INT(crc32_update(0, "", 0), 0);
}

TEST(format_mount_empty)
{
	struct store_stats ss;

	for (int p = 0; p < 3; p++) {
		fresh(4096, 16, progs[p]);
		store_get_stats(&st, &ss);
		CHECK_EQ_INT(ss.messages, 0);
		CHECK_EQ_INT(ss.mailboxes, 0);
		CHECK_EQ_INT(ss.flash_bytes, 65536);
		CHECK(ss.free_bytes > 12000);   /* a message must fit twice: once more to be moved */
		remount();
	}
	/* garbage is not a store; a bad geometry is refused */
	{
		struct flash_geometry g = { 4096, 16, 1 };

		flash_sim_init(&fs, &g, mem, erases, NULL, NULL);
		memset(mem, 0x42, 65536);
		CHECK_EQ_INT(store_mount(&st, dev), STORE_CORRUPT);
		g.sector_size = 1000;
		flash_sim_init(&fs, &g, mem, erases, NULL, NULL);
		CHECK_EQ_INT(store_mount(&st, dev), STORE_INVAL);
	}
}

TEST(mailboxes)
{
	store_mbox_t a, b, c, d, x;
	struct store_mbox_info in;
	uint32_t uv;

	fresh(4096, 16, 16);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &x), STORE_EXISTS);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "Work", STORE_MB_SUBSCRIBED, &b), STORE_OK);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "Work/2024", 0, &c), STORE_OK);
	CHECK_EQ_INT(store_mbox_create(&st, "bob", "INBOX", 0, &d), STORE_OK);
	CHECK_EQ_INT(store_mbox_create(&st, "", "X", 0, &x), STORE_INVAL);
	{
		char longname[STORE_NAME_MAX + 2];

		memset(longname, 'n', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = 0;
		CHECK_EQ_INT(store_mbox_create(&st, "ann", longname, 0, &x), STORE_INVAL);
	}
	CHECK_EQ_INT(store_mbox_find(&st, "ann", "Work", &x), STORE_OK);
	CHECK_EQ_INT(x, b);
	CHECK_EQ_INT(store_mbox_find(&st, "ann", "Nope", &x), STORE_NOENT);
	CHECK_EQ_INT(store_mbox_info(&st, b, &in), STORE_OK);
	CHECK_EQ_STR(in.user, "ann");
	CHECK_EQ_STR(in.name, "Work");
	CHECK_EQ_INT(in.attrs, STORE_MB_SUBSCRIBED);
	CHECK_EQ_INT(in.uidnext, 1);
	CHECK(in.highestmodseq >= 1);
	uv = in.uidvalidity;
	/* iteration */
	{
		int n = 0;

		for (store_mbox_t m = store_mbox_next(&st, "ann", -1); m >= 0; m = store_mbox_next(&st, "ann", m))
			n++;
		CHECK_EQ_INT(n, 3);
		n = 0;
		for (store_mbox_t m = store_mbox_next(&st, NULL, -1); m >= 0; m = store_mbox_next(&st, NULL, m))
			n++;
		CHECK_EQ_INT(n, 4);
	}
	/* rename with children, atomically */
	CHECK_EQ_INT(store_mbox_rename(&st, "ann", "Work", "INBOX"), STORE_EXISTS);
	CHECK_EQ_INT(store_mbox_rename(&st, "ann", "Work", "Work/sub"), STORE_INVAL);
	CHECK_EQ_INT(store_mbox_rename(&st, "ann", "Nope", "Y"), STORE_NOENT);
	CHECK_EQ_INT(store_mbox_rename(&st, "ann", "Work", "Jobs"), STORE_OK);
	CHECK_EQ_INT(store_mbox_find(&st, "ann", "Jobs/2024", &x), STORE_OK);
	CHECK_EQ_INT(x, c);
	CHECK_EQ_INT(store_mbox_find(&st, "ann", "Work", &x), STORE_NOENT);
	CHECK_EQ_INT(store_mbox_set_attrs(&st, a, STORE_MB_SUBSCRIBED | STORE_MB_TRASH), STORE_OK);
	remount();
	CHECK_EQ_INT(store_mbox_find(&st, "ann", "Jobs", &x), STORE_OK);
	CHECK_EQ_INT(store_mbox_info(&st, x, &in), STORE_OK);
	CHECK_EQ_INT(in.uidvalidity, uv);
	CHECK_EQ_INT(store_mbox_find(&st, "ann", "Jobs/2024", &x), STORE_OK);
	CHECK_EQ_INT(store_mbox_info(&st, a, &in), STORE_OK);
	CHECK_EQ_INT(in.attrs, STORE_MB_SUBSCRIBED | STORE_MB_TRASH);
	/* delete one (children stay), recreate: new UIDVALIDITY */
	CHECK_EQ_INT(store_mbox_delete(&st, b), STORE_OK);
	CHECK_EQ_INT(store_mbox_find(&st, "ann", "Jobs", &x), STORE_NOENT);
	CHECK_EQ_INT(store_mbox_find(&st, "ann", "Jobs/2024", &x), STORE_OK);
	CHECK_EQ_INT(store_mbox_delete(&st, b), STORE_NOENT);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "Jobs", 0, &x), STORE_OK);
	CHECK_EQ_INT(store_mbox_info(&st, x, &in), STORE_OK);
	CHECK(in.uidvalidity > uv);
	remount();
	CHECK_EQ_INT(store_mbox_find(&st, "ann", "Jobs", &x), STORE_OK);
	CHECK_EQ_INT(store_mbox_info(&st, x, &in), STORE_OK);
	CHECK(in.uidvalidity > uv);
	/* the table is bounded */
	{
		int e = STORE_OK;
		char name[16];

		for (int i = 0; i < STORE_MAX_MAILBOXES + 1 && e == STORE_OK; i++) {
			snprintf(name, sizeof(name), "m%d", i);
			e = store_mbox_create(&st, "zed", name, 0, &x);
		}
		CHECK_EQ_INT(e, STORE_LIMIT);
	}
}

TEST(keywords)
{
	store_mbox_t a, b;

	fresh(4096, 16, 1);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "Other", 0, &b), STORE_OK);
	CHECK_EQ_INT(store_kw_lookup(&st, a, "$Junk", false), STORE_NOENT);
	CHECK_EQ_INT(store_kw_lookup(&st, a, "$Junk", true), 0);
	CHECK_EQ_INT(store_kw_lookup(&st, a, "$Forwarded", true), 1);
	CHECK_EQ_INT(store_kw_lookup(&st, a, "$junk", false), 0);
	CHECK_EQ_INT(store_kw_lookup(&st, b, "$Forwarded", true), 0);
	CHECK_EQ_STR(store_kw_name(&st, a, 1), "$Forwarded");
	CHECK(store_kw_name(&st, a, 2) == NULL);
	remount();
	CHECK_EQ_STR(store_kw_name(&st, a, 0), "$Junk");
	CHECK_EQ_STR(store_kw_name(&st, b, 0), "$Forwarded");
	CHECK_EQ_INT(store_kw_lookup(&st, a, "$Forwarded", false), 1);
	{
		int e = 0;
		char kw[16];

		for (int i = 0; i < STORE_MAX_KEYWORDS + 1 && e >= 0; i++) {
			snprintf(kw, sizeof(kw), "k%d", i);
			e = store_kw_lookup(&st, a, kw, true);
		}
		CHECK_EQ_INT(e, STORE_LIMIT);
	}
}

TEST(append_read_flags_expunge)
{
	for (int p = 0; p < 3; p++) {
		store_mbox_t a;
		uint32_t u1, u2, u3, idx;
		bool exact;
		uint64_t ms, ms2;
		struct store_msg m;
		struct store_mbox_info in;

		fresh(4096, 64, progs[p]);
		CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
		CHECK_EQ_INT(append(a, 1000, 1, 100, 0, &u1), STORE_OK);
		CHECK_EQ_INT(append(a, 20000, 2, 4096, STORE_F_SEEN, &u2), STORE_OK);   /* spans sectors */
		CHECK_EQ_INT(append(a, 0, 3, 1, 0, &u3), STORE_OK);
		CHECK_EQ_INT(u1, 1);
		CHECK_EQ_INT(u2, 2);
		CHECK_EQ_INT(u3, 3);
		CHECK_EQ_INT(store_msg_entries(&st, a), 3);
		CHECK(same(a, 0, 1000, 1));
		CHECK(same(a, 1, 20000, 2));
		CHECK(same(a, 2, 0, 3));
		/* read from an offset in the middle of a later sector */
		{
			uint8_t want[20000], got[100];

			fill(want, 20000, 2);
			CHECK_EQ_INT(store_msg_read(&st, a, 1, 12345, got, 100), 100);
			CHECK_EQ_MEM(got, want + 12345, 100);
			CHECK_EQ_INT(store_msg_read(&st, a, 1, 19990, got, 100), 10);
			CHECK_EQ_INT(store_msg_read(&st, a, 1, 20000, got, 100), 0);
		}
		CHECK_EQ_INT(store_mbox_info(&st, a, &in), STORE_OK);
		CHECK_EQ_INT(in.messages, 3);
		CHECK_EQ_INT(in.unseen, 2);
		CHECK_EQ_INT(in.size, 21000);
		CHECK_EQ_INT(in.uidnext, 4);
		/* flags */
		CHECK_EQ_INT(store_msg_set_flags(&st, a, u1, STORE_F_SEEN | STORE_F_KEYWORD(3), &ms), STORE_OK);
		CHECK_EQ_INT(store_msg_set_flags(&st, a, u1, STORE_F_SEEN | STORE_F_KEYWORD(3), &ms2), STORE_OK);
		CHECK_EQ_INT(ms, ms2);
		CHECK_EQ_INT(store_msg_set_flags(&st, a, 99, 0, &ms2), STORE_NOENT);
		CHECK_EQ_INT(store_msg_get(&st, a, 0, &m), STORE_OK);
		CHECK_EQ_INT(m.flags, STORE_F_SEEN | STORE_F_KEYWORD(3));
		CHECK_EQ_INT(m.modseq, ms);
		CHECK_EQ_INT(store_mbox_info(&st, a, &in), STORE_OK);
		CHECK_EQ_INT(in.highestmodseq, ms);
		CHECK_EQ_INT(in.unseen, 1);
		/* expunge leaves a tombstone until purge */
		CHECK_EQ_INT(store_msg_expunge(&st, a, u2), STORE_OK);
		CHECK_EQ_INT(store_msg_expunge(&st, a, u2), STORE_NOENT);
		CHECK_EQ_INT(store_msg_entries(&st, a), 3);
		CHECK_EQ_INT(store_msg_get(&st, a, 1, &m), STORE_OK);
		CHECK(m.expunged);
		CHECK(m.modseq > ms);
		{
			struct store_msg_stat s;
			uint8_t b[4];

			CHECK_EQ_INT(store_msg_stat(&st, a, 1, &s), STORE_NOENT);
			CHECK_EQ_INT(store_msg_read(&st, a, 1, 0, b, 4), STORE_NOENT);
		}
		CHECK_EQ_INT(store_msg_find(&st, a, u2, &idx, &exact), STORE_OK);
		CHECK(exact);
		CHECK_EQ_INT(idx, 1);
		CHECK_EQ_INT(store_msg_find(&st, a, 50, &idx, &exact), STORE_OK);
		CHECK(!exact);
		CHECK_EQ_INT(idx, 3);
		store_mbox_purge(&st, a, m.modseq - 1);
		CHECK_EQ_INT(store_msg_entries(&st, a), 3);
		store_mbox_purge(&st, a, m.modseq);
		CHECK_EQ_INT(store_msg_entries(&st, a), 2);
		CHECK_EQ_INT(store_mbox_info(&st, a, &in), STORE_OK);
		CHECK_EQ_INT(in.messages, 2);
		CHECK_EQ_INT(in.size, 1000);
		ms = in.highestmodseq;
		remount();
		CHECK_EQ_INT(store_msg_entries(&st, a), 2);
		CHECK(same(a, 0, 1000, 1));
		CHECK(same(a, 1, 0, 3));
		CHECK_EQ_INT(store_msg_get(&st, a, 0, &m), STORE_OK);
		CHECK_EQ_INT(m.flags, STORE_F_SEEN | STORE_F_KEYWORD(3));
		CHECK_EQ_INT(store_mbox_info(&st, a, &in), STORE_OK);
		CHECK_EQ_INT(in.uidnext, 4);
		CHECK_EQ_INT(in.highestmodseq, ms);
		CHECK_EQ_INT(in.unseen, 1);
		CHECK_EQ_INT(in.size, 1000);
		/* no UID reuse after expunging the newest */
		CHECK_EQ_INT(store_msg_expunge(&st, a, u3), STORE_OK);
		remount();
		CHECK_EQ_INT(append(a, 10, 4, 10, 0, &u1), STORE_OK);
		CHECK_EQ_INT(u1, 4);
	}
}

TEST(append_limits)
{
	store_mbox_t a;
	struct store_append *ap[STORE_MAX_APPENDS + 1];
	uint32_t uid;
	uint8_t b[8] = { 0 };

	fresh(4096, 16, 1);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
	for (int i = 0; i < STORE_MAX_APPENDS; i++)
		CHECK_EQ_INT(store_append_begin(&st, a, 8, 0, 0, 0, &ap[i]), STORE_OK);
	CHECK_EQ_INT(store_append_begin(&st, a, 8, 0, 0, 0, &ap[STORE_MAX_APPENDS]), STORE_BUSY);
	/* interleaved writers; commit out of order; UIDs in commit order */
	for (int i = STORE_MAX_APPENDS - 1; i >= 0; i--) {
		b[0] = (uint8_t)i;
		CHECK_EQ_INT(store_append_write(&st, ap[i], b, 8), 8);
	}
	CHECK_EQ_INT(store_append_write(&st, ap[0], b, 1), STORE_INVAL);   /* more than announced */
	store_append_abort(&st, ap[1]);
	CHECK_EQ_INT(store_append_commit(&st, ap[2], NULL, 0, &uid), STORE_OK);
	CHECK_EQ_INT(uid, 1);
	CHECK_EQ_INT(store_append_commit(&st, ap[0], "m", 1, &uid), STORE_OK);
	CHECK_EQ_INT(uid, 2);
	CHECK_EQ_INT(store_append_begin(&st, a, 8, 0, 0, 0, &ap[1]), STORE_OK);
	CHECK_EQ_INT(store_append_commit(&st, ap[1], NULL, 0, &uid), STORE_INVAL);   /* short */
	store_append_abort(&st, ap[1]);
	store_append_abort(&st, ap[3]);
	/* too big for the device: refused before any data */
	CHECK_EQ_INT(store_append_begin(&st, a, 60000, 0, 0, 0, &ap[0]), STORE_NOSPACE);
	remount();
	CHECK_EQ_INT(store_msg_entries(&st, a), 2);
	{
		uint8_t r[8];

		CHECK_EQ_INT(store_msg_read(&st, a, 0, 0, r, 8), 8);
		CHECK_EQ_INT(r[0], 2);
		CHECK_EQ_INT(store_msg_read(&st, a, 1, 0, r, 8), 8);
		CHECK_EQ_INT(r[0], 0);
	}
	/* an append into a mailbox deleted meanwhile fails cleanly */
	CHECK_EQ_INT(store_append_begin(&st, a, 1, 0, 0, 0, &ap[0]), STORE_OK);
	CHECK_EQ_INT(store_append_write(&st, ap[0], b, 1), 1);
	CHECK_EQ_INT(store_mbox_delete(&st, a), STORE_OK);
	CHECK_EQ_INT(store_append_commit(&st, ap[0], NULL, 0, &uid), STORE_NOENT);
}

TEST(copy)
{
	store_mbox_t a, b;
	struct store_copy cp;
	uint32_t u, nu = 0;
	int e, calls = 0;

	fresh(4096, 64, 16);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "Keep", 0, &b), STORE_OK);
	CHECK_EQ_INT(append(a, 50000, 7, 3000, STORE_F_FLAGGED, &u), STORE_OK);
	memset(&cp, 0, sizeof(cp));
	while ((e = store_msg_copy(&st, &cp, a, u, b, &nu)) == STORE_AGAIN)
		calls++;
	CHECK_EQ_INT(e, STORE_OK);
	CHECK(calls >= 10);   /* bounded work per call */
	CHECK_EQ_INT(nu, 1);
	CHECK(same(b, 0, 50000, 7));
	{
		struct store_msg m;

		CHECK_EQ_INT(store_msg_get(&st, b, 0, &m), STORE_OK);
		CHECK_EQ_INT(m.flags, STORE_F_FLAGGED);
	}
	/* abandoned copy frees its slot; copy of a missing message fails */
	memset(&cp, 0, sizeof(cp));
	CHECK_EQ_INT(store_msg_copy(&st, &cp, a, u, b, &nu), STORE_AGAIN);
	store_msg_copy_abort(&st, &cp);
	memset(&cp, 0, sizeof(cp));
	CHECK_EQ_INT(store_msg_copy(&st, &cp, a, 77, b, &nu), STORE_NOENT);
	remount();
	CHECK_EQ_INT(store_msg_entries(&st, b), 1);
	CHECK(same(b, 0, 50000, 7));
}

TEST(config)
{
	char big[STORE_CFG_VAL_MAX], got[STORE_CFG_VAL_MAX], key[STORE_CFG_KEY_MAX + 1];
	uint32_t cur = 0;
	int n = 0;

	fresh(4096, 16, 256);
	fill((uint8_t *)big, sizeof(big), 5);
	CHECK_EQ_INT(store_cfg_put(&st, "user/ann", "hash1", 5), STORE_OK);
	CHECK_EQ_INT(store_cfg_put(&st, "user/bob", "hash2", 5), STORE_OK);
	CHECK_EQ_INT(store_cfg_put(&st, "tls/cert", big, sizeof(big)), STORE_OK);
	CHECK_EQ_INT(store_cfg_put(&st, "user/ann", "hash3", 5), STORE_OK);
	CHECK_EQ_INT(store_cfg_get(&st, "user/ann", got, sizeof(got)), 5);
	CHECK_EQ_MEM(got, "hash3", 5);
	CHECK_EQ_INT(store_cfg_get(&st, "nope", got, sizeof(got)), STORE_NOENT);
	CHECK_EQ_INT(store_cfg_put(&st, "", "x", 1), STORE_INVAL);
	while (store_cfg_next(&st, "user/", &cur, key) == 1)
		n++;
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(store_cfg_del(&st, "user/bob"), STORE_OK);
	CHECK_EQ_INT(store_cfg_del(&st, "user/bob"), STORE_NOENT);
	remount();
	CHECK_EQ_INT(store_cfg_get(&st, "user/bob", got, sizeof(got)), STORE_NOENT);
	CHECK_EQ_INT(store_cfg_get(&st, "tls/cert", got, sizeof(got)), STORE_CFG_VAL_MAX);
	CHECK_EQ_MEM(got, big, sizeof(big));
	CHECK_EQ_INT(store_cfg_get(&st, "user/ann", got, 2), 5);   /* truncated copy, full length */
	cur = 0;
	n = 0;
	while (store_cfg_next(&st, NULL, &cur, key) == 1)
		n++;
	CHECK_EQ_INT(n, 2);
}

/* A location the collector erased and the log reused holds a new message:
 * what the store says of it (through the record cache) is the new one's.
 * One message per sector makes the log reuse locations every few rounds. */
TEST(record_cache_after_reuse)
{
	store_mbox_t a;
	uint32_t uid;
	struct store_msg_stat ms;

	fresh(4096, 16, 1);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
	for (uint32_t round = 0; round < 200; round++) {
		uint32_t size = 2500u + (round % 7u) * 160u;

		CHECK_EQ_INT(append(a, size, round, 500, 0, &uid), STORE_OK);
		CHECK_EQ_INT(store_msg_stat(&st, a, 0, &ms), STORE_OK);
		CHECK_EQ_INT(ms.size, size);
		CHECK(same(a, 0, size, round));
		CHECK_EQ_INT(store_msg_expunge(&st, a, uid), STORE_OK);
		store_mbox_purge(&st, a, UINT64_MAX);
		while (store_poll(&st))
			;
		if (ms.size != size)
			break;
	}
}

/* Churn a small store far past its size: GC must keep it going. */
TEST(gc_churn)
{
	for (int p = 0; p < 3; p++) {
		store_mbox_t a;
		uint32_t uids[64], seeds[64], sizes[64];
		int n = 0;
		uint32_t seed = 100;
		struct store_fsck_report rep;

		fresh(p == 2 ? 4096 : 1024, 48, progs[p]);
		CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
		CHECK_EQ_INT(store_cfg_put(&st, "k", "v", 1), STORE_OK);
		for (int round = 0; round < 400; round++) {
			uint32_t size = (seed * 7u) % (p == 2 ? 9000u : 2000u);
			int e;

			if (n == 12) {
				/* expunge the oldest, flag another */
				CHECK_EQ_INT(store_msg_expunge(&st, a, uids[0]), STORE_OK);
				memmove(uids, uids + 1, sizeof(uids[0]) * 11);
				memmove(seeds, seeds + 1, sizeof(seeds[0]) * 11);
				memmove(sizes, sizes + 1, sizeof(sizes[0]) * 11);
				n--;
				CHECK_EQ_INT(store_msg_set_flags(&st, a, uids[5], (uint32_t)round & 0x1f, NULL), STORE_OK);
				store_mbox_purge(&st, a, UINT64_MAX);
			}
			e = append(a, size, seed, 500, 0, &uids[n]);
			CHECK_EQ_INT(e, STORE_OK);
			if (e)
				break;
			seeds[n] = seed;
			sizes[n] = size;
			n++;
			seed++;
			while (store_poll(&st))
				;
			/* without a remount too: what the collector moved and erased
			 * is never served from a stale record cache */
			for (int i = 0; i < n; i++)
				CHECK(same(a, (uint32_t)i, sizes[i], seeds[i]));
			if (round % 97 == 0)
				remount();
		}
		remount();
		CHECK_EQ_INT(store_msg_entries(&st, a), (uint32_t)n);
		for (int i = 0; i < n; i++)
			CHECK(same(a, (uint32_t)i, sizes[i], seeds[i]));
		{
			char v[4];

			CHECK_EQ_INT(store_cfg_get(&st, "k", v, sizeof(v)), 1);
		}
		CHECK_EQ_INT(store_fsck(dev, &rep, NULL, NULL), STORE_OK);
		CHECK(rep.records > 0);
		CHECK_EQ_INT(rep.bad_crc, 0);
		{
			uint32_t lo = UINT32_MAX, hi = 0;

			for (uint32_t s = 0; s < 48; s++) {
				lo = erases[s] < lo ? erases[s] : lo;
				hi = erases[s] > hi ? erases[s] : hi;
			}
			CHECK(lo > 1);
			CHECK(hi - lo <= 2);   /* wear is even */
		}
	}
}

/* Fill up: NOSPACE is distinct, nothing stored is harmed, and expunge
 * still works on a full store and makes room again. */
TEST(full_store)
{
	store_mbox_t a;
	uint32_t uid, n = 0;
	int e;
	struct store_stats ss;

	fresh(1024, 32, 1);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
	store_get_stats(&st, &ss);
	uint64_t cap0 = ss.capacity_bytes;
	CHECK(cap0 > ss.live_bytes && cap0 < ss.flash_bytes);
	while ((e = append(a, 700, n + 1, 700, 0, &uid)) == STORE_OK) {
		n++;
		/* the capacity (the QUOTA limit) does not move as mail comes in */
		store_get_stats(&st, &ss);
		CHECK(ss.capacity_bytes == cap0);
		CHECK(ss.live_bytes <= ss.capacity_bytes);
	}
	CHECK_EQ_INT(e, STORE_NOSPACE);
	CHECK(n > 5);
	store_get_stats(&st, &ss);
	CHECK(ss.free_bytes < 700);
	/* full: what is left of the capacity is less than one more message */
	CHECK(ss.capacity_bytes - ss.live_bytes < 2 * 700 + 200);
	for (uint32_t i = 0; i < n; i++)
		CHECK(same(a, i, 700, i + 1));
	for (uint32_t i = 1; i <= n; i++) {
		e = store_msg_expunge(&st, a, i);
		while (e == STORE_AGAIN && store_poll(&st))
			e = store_msg_expunge(&st, a, i);
		CHECK_EQ_INT(e, STORE_OK);
	}
	store_mbox_purge(&st, a, UINT64_MAX);
	CHECK_EQ_INT(append(a, 700, 99, 700, 0, &uid), STORE_OK);
	remount();
	CHECK_EQ_INT(store_msg_entries(&st, a), 1);
	CHECK(same(a, 0, 700, 99));
	/* deleting a mailbox on a full store works too */
	while (append(a, 700, 5, 700, 0, &uid) == STORE_OK)
		;
	CHECK_EQ_INT(store_mbox_delete(&st, a), STORE_OK);
}

TEST(fsck_detects_corruption)
{
	store_mbox_t a;
	uint32_t uid;
	struct store_fsck_report rep;

	fresh(4096, 16, 1);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
	CHECK_EQ_INT(append(a, 3000, 1, 3000, 0, &uid), STORE_OK);
	store_unmount(&st);
	CHECK_EQ_INT(store_fsck(dev, &rep, NULL, NULL), STORE_OK);
	CHECK(rep.live_bytes > 3000);
	/* a body byte inside the message: find it by searching the pattern */
	{
		uint8_t want[3000];

		fill(want, 3000, 1);
		for (uint32_t i = 0; i + 16 < 65536; i++)
			if (!memcmp(mem + i, want + 100, 16)) {
				mem[i] &= (uint8_t)~mem[i] | 0x0f;
				if (mem[i] == want[100])
					mem[i] = 0;
				break;
			}
	}
	CHECK_EQ_INT(store_fsck(dev, &rep, NULL, NULL), STORE_CORRUPT);
	CHECK_EQ_INT(rep.bad_crc, 1);
}

static void count_sector(void *ctx, uint32_t sector, uint32_t live, uint32_t dead, uint32_t erases_)
{
	(void)sector;
	(void)live;
	(void)dead;
	(void)erases_;
	(*(int *)ctx)++;
}

TEST(fsck_per_sector)
{
	struct store_fsck_report rep;
	int n = 0;

	fresh(4096, 16, 16);
	store_unmount(&st);
	CHECK_EQ_INT(store_fsck(dev, &rep, count_sector, &n), STORE_OK);
	CHECK_EQ_INT(n, 16);
	CHECK_EQ_INT(rep.sectors, 16);
}

TEST(second_store_same_flash)
{
	store_mbox_t a;

	fresh(4096, 16, 1);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
	CHECK_EQ_INT(store_mount(&st2, dev), STORE_OK);
	CHECK_EQ_INT(store_mbox_find(&st2, "ann", "INBOX", &a), STORE_OK);
	store_unmount(&st2);
	CHECK_EQ_INT((int)sizeof(struct store_entry), 8);   /* the RAM per message slot */
	CHECK(STORE_SIZEOF > STORE_MAX_MESSAGES * sizeof(struct store_entry));
}

/* A message far bigger than any buffer (15 sectors) streams in and reads
 * back by offset; the collector moves it (in slices) while it is being read and flagged. */
TEST(big_message_and_moves)
{
	store_mbox_t a;
	uint32_t big, small, seed = 77, size = 60000;
	struct store_append *ap;
	static uint8_t all[60000];
	uint8_t chunk[3000], got[64];
	uint64_t ms;
	int polls = 0;

	fresh(4096, 1024, 16);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
	CHECK_EQ_INT(store_append_begin(&st, a, size, 1700000000 + seed, 60, 0, &ap), STORE_OK);
	for (uint32_t off = 0; off < size;) {
		uint32_t c = size - off < sizeof(chunk) ? size - off : (uint32_t)sizeof(chunk);

		if (off == 0)
			fill(all, size, seed);
		memcpy(chunk, all + off, c);
		CHECK_EQ_INT(store_append_write(&st, ap, chunk, c), (int)c);
		off += c;
	}
	CHECK_EQ_INT(store_append_commit(&st, ap, "meta-77", 7, &big), STORE_OK);
	CHECK(same(a, 0, size, seed));
	/* churn small messages until the collector has moved the big one */
	for (int i = 0; i < 3000 && polls < 2; i++) {
		uint32_t loc0 = msg_loc(a, 0);

		CHECK_EQ_INT(append(a, 20000, 1000u + (uint32_t)i, 4096, 0, &small), STORE_OK);
		CHECK_EQ_INT(store_msg_expunge(&st, a, small), STORE_OK);
		store_mbox_purge(&st, a, UINT64_MAX);
		if (i % 7 == 0)
			CHECK_EQ_INT(store_msg_set_flags(&st, a, big, (uint32_t)i & STORE_F_SYSTEM_MASK, &ms),
				     STORE_OK);
		for (int p = 0; p < 8 && store_poll(&st); p++) {
			/* reads stay right in the middle of a move */
			CHECK_EQ_INT(store_msg_read(&st, a, 0, 55555, got, 64), 64);
			CHECK_EQ_MEM(got, all + 55555, 64);
		}
		if (msg_loc(a, 0) != loc0)
			polls++;
	}
	CHECK(polls >= 2);
	CHECK(same(a, 0, size, seed));
	{
		struct store_msg m;
		uint32_t f;

		CHECK_EQ_INT(store_msg_get(&st, a, 0, &m), STORE_OK);
		f = m.flags;
		remount();
		CHECK(same(a, 0, size, seed));
		CHECK_EQ_INT(store_msg_get(&st, a, 0, &m), STORE_OK);
		CHECK_EQ_INT(m.flags, f);
	}
	/* expunged in the middle of a move: the move is dropped, nothing comes back */
	for (int i = 0; i < 3000 && st.gc_state != 1; i++) {
		CHECK_EQ_INT(append(a, 20000, 5000u + (uint32_t)i, 4096, 0, &small), STORE_OK);
		CHECK_EQ_INT(store_msg_expunge(&st, a, small), STORE_OK);
		store_mbox_purge(&st, a, UINT64_MAX);
		for (int p = 0; p < 8 && st.gc_state != 1 && store_poll(&st); p++)
			;
	}
	CHECK_EQ_INT(st.gc_state, 1);
	CHECK_EQ_INT(store_msg_expunge(&st, a, big), STORE_OK);
	while (store_poll(&st))
		;
	store_mbox_purge(&st, a, UINT64_MAX);
	CHECK_EQ_INT(store_msg_entries(&st, a), 0);
	remount();
	CHECK_EQ_INT(store_msg_entries(&st, a), 0);
}

/* The index is bounded: LIMIT when it is full, tombstones count until purged. */
TEST(index_limit)
{
	store_mbox_t a;
	uint32_t uid = 0, n = 0;
	int e;

	/* room for every slot: about 130 flash bytes a tiny message */
	fresh(4096, STORE_MAX_MESSAGES * 200u / 4096u + 16u, 4);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
	while ((e = append(a, 10, n, 10, 0, &uid)) == STORE_OK)
		n++;
	CHECK_EQ_INT(e, STORE_LIMIT);
	CHECK_EQ_INT(n, STORE_MAX_MESSAGES);
	CHECK_EQ_INT(store_msg_expunge(&st, a, 1), STORE_OK);
	CHECK_EQ_INT(append(a, 10, 1, 10, 0, &uid), STORE_LIMIT);   /* the tombstone holds its slot */
	store_mbox_purge(&st, a, UINT64_MAX);
	CHECK_EQ_INT(append(a, 10, 1, 10, 0, &uid), STORE_OK);
	CHECK_EQ_INT(uid, STORE_MAX_MESSAGES + 1);
	remount();
	CHECK_EQ_INT(store_msg_entries(&st, a), STORE_MAX_MESSAGES);
}

/* Calls on a store that is not mounted, and bad handles, fail cleanly. */
TEST(bad_arguments)
{
	struct store_mbox_info in;
	struct store_msg m;
	uint8_t b[4];
	store_mbox_t a;
	struct store_append *ap;

	fresh(4096, 16, 1);
	CHECK_EQ_INT(store_mbox_info(&st, 7, &in), STORE_NOENT);
	CHECK_EQ_INT(store_mbox_info(&st, -1, &in), STORE_NOENT);
	CHECK_EQ_INT(store_mbox_info(&st, 9999, &in), STORE_NOENT);
	CHECK_EQ_INT(store_msg_get(&st, 3, 0, &m), STORE_NOENT);
	CHECK_EQ_INT(store_msg_entries(&st, 3), 0);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
	CHECK_EQ_INT(store_msg_get(&st, a, 0, &m), STORE_INVAL);
	CHECK_EQ_INT(store_msg_read(&st, a, 5, 0, b, 4), STORE_INVAL);
	CHECK_EQ_INT(store_append_begin(&st, 40, 1, 0, 0, 0, &ap), STORE_NOENT);
	CHECK_EQ_INT(store_append_write(&st, (struct store_append *)(void *)&st.app[STORE_MAX_APPENDS], b, 1),
		     STORE_INVAL);
	store_unmount(&st);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "X", 0, &a), STORE_INVAL);
	CHECK_EQ_INT(store_mbox_find(&st, "ann", "INBOX", &a), STORE_INVAL);
	CHECK_EQ_INT(store_mbox_next(&st, NULL, -1), -1);
	CHECK(!store_poll(&st));
	CHECK_EQ_INT(store_cfg_get(&st, "k", b, 4), STORE_INVAL);
}

/* A sector that fails to program or erase: the store reports STORE_IO,
 * refuses further writes, keeps serving reads, and what was acknowledged
 * is there after a remount. */
TEST(bad_sector)
{
	static uint8_t badmap[64];
	struct flash_geometry g = { 1024, 64, 1 };
	store_mbox_t a;
	uint32_t uid, n = 0;
	int e;

	flash_sim_init(&fs, &g, mem, erases, written, badmap);
	flash_sim_erase_all(&fs);
	dev = &fs.dev;
	CHECK_EQ_INT(store_format(&st, dev), STORE_OK);
	CHECK_EQ_INT(store_mount(&st, dev), STORE_OK);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
	CHECK_EQ_INT(append(a, 500, 1, 100, 0, &uid), STORE_OK);
	/* the sector after the head's goes bad */
	badmap[(st.head / 1024u + 1u) % 64u] = 1;
	while ((e = append(a, 500, 2 + n, 100, 0, &uid)) == STORE_OK)
		n++;
	CHECK_EQ_INT(e, STORE_IO);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "X", 0, &a), STORE_IO);
	CHECK(same(0, 0, 500, 1));
	badmap[(st.head / 1024u + 1u) % 64u] = 0;
	memset(badmap, 0, sizeof(badmap));
	remount();
	CHECK_EQ_INT(store_msg_entries(&st, 0), n + 1u);
	CHECK(same(0, 0, 500, 1));
	for (uint32_t i = 0; i < n; i++)
		CHECK(same(0, i + 1u, 500, 2 + i));
	CHECK_EQ_INT(append(0, 500, 99, 100, 0, &uid), STORE_OK);
}

/* An image written by a build with larger tables is refused (STORE_LIMIT)
 * and left alone, never mounted with part of it missing (the collector
 * would then erase the rest). Here: an MBOX record naming a slot this build
 * does not have. */
TEST(foreign_limits)
{
	store_mbox_t a;
	uint32_t rec, body;

	fresh(4096, 16, 1);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
	rec = st.mbox[a].rec;
	store_unmount(&st);
	body = mem[rec + 2] | (uint32_t)mem[rec + 3] << 8;
	mem[rec + 1] = STORE_MAX_MAILBOXES + 3;
	{
		uint32_t crc = crc32_update(0, mem + rec, 4 + body);

		for (int i = 0; i < 4; i++)
			mem[rec + 4 + body + (uint32_t)i] = (uint8_t)(crc >> (8 * i));
	}
	CHECK_EQ_INT(store_mount(&st, dev), STORE_LIMIT);
}

/* Churn small messages (appended and expunged at once) until the collector
 * has moved the message of entry idx `moves` more times; false if it never
 * does. Flags, keywords and modseq of entry idx must hold at every step. */
static bool churn_until_moved(store_mbox_t a, uint32_t idx, int moves, uint32_t flags, uint64_t modseq)
{
	uint32_t loc = msg_loc(a, idx), small;
	struct store_msg m;

	for (int i = 0; i < 2000 && moves > 0; i++) {
		CHECK_EQ_INT(append(a, 300, 7000u + (uint32_t)i, 300, 0, &small), STORE_OK);
		CHECK_EQ_INT(store_msg_expunge(&st, a, small), STORE_OK);
		store_mbox_purge(&st, a, UINT64_MAX);
		while (store_poll(&st))
			;
		CHECK_EQ_INT(store_msg_get(&st, a, idx, &m), STORE_OK);
		CHECK_EQ_INT(m.flags, flags);
		CHECK_EQ_INT(m.modseq, modseq);
		if (msg_loc(a, idx) != loc) {
			loc = msg_loc(a, idx);
			moves--;
		}
	}
	return moves == 0;
}

/* An entry pointing at a FLAGS record: the collector moves its message
 * (folding the flags into the new commit block) and passes the FLAGS record;
 * flags, keywords and modseq survive every step and a remount. */
TEST(flags_record_and_moves)
{
	for (int p = 0; p < 3; p++) {
		store_mbox_t a;
		uint32_t uid, f1, f2;
		uint64_t ms1, ms2;
		struct store_msg m;
		const struct store_entry *x;
		int k0, k1;

		fresh(p == 2 ? 4096 : 1024, 32, progs[p]);
		CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
		k0 = store_kw_lookup(&st, a, "$Work", true);
		k1 = store_kw_lookup(&st, a, "Later", true);
		CHECK(k0 >= 0 && k1 >= 0);
		CHECK_EQ_INT(append(a, 2000, 42, 500, STORE_F_DRAFT, &uid), STORE_OK);
		f1 = STORE_F_SEEN | STORE_F_KEYWORD(k1);
		CHECK_EQ_INT(store_msg_set_flags(&st, a, uid, f1, &ms1), STORE_OK);
		x = &st.ent[st.mbox[a].start];
		CHECK_EQ_INT(x->w & (EF_FLAGREC | EF_KW | EF_EXPUNGED), EF_FLAGREC | EF_KW);
		CHECK_EQ_INT(x->w & STORE_F_SYSTEM_MASK, STORE_F_SEEN);
		/* the message moves: its new commit block carries f1 and ms1 */
		CHECK(churn_until_moved(a, 0, 1, f1, ms1));
		CHECK_EQ_INT(x->w & (EF_FLAGREC | EF_KW), EF_KW);
		CHECK(same(a, 0, 2000, 42));
		remount();
		CHECK_EQ_INT(store_msg_get(&st, a, 0, &m), STORE_OK);
		CHECK_EQ_INT(m.flags, f1);
		CHECK_EQ_INT(m.modseq, ms1);
		/* a FLAGS record naming the moved copy; two more moves take the
		 * tail past it too */
		f2 = STORE_F_FLAGGED | STORE_F_KEYWORD(k0) | STORE_F_KEYWORD(k1);
		CHECK_EQ_INT(store_msg_set_flags(&st, a, uid, f2, &ms2), STORE_OK);
		CHECK(ms2 > ms1);
		CHECK(churn_until_moved(a, 0, 2, f2, ms2));
		CHECK(same(a, 0, 2000, 42));
		remount();
		CHECK_EQ_INT(store_msg_get(&st, a, 0, &m), STORE_OK);
		CHECK_EQ_INT(m.uid, uid);
		CHECK_EQ_INT(m.flags, f2);
		CHECK_EQ_INT(m.modseq, ms2);
		CHECK(same(a, 0, 2000, 42));
		/* flags off again: the keyword bit goes from the entry too */
		CHECK_EQ_INT(store_msg_set_flags(&st, a, uid, 0, NULL), STORE_OK);
		CHECK_EQ_INT(st.ent[st.mbox[a].start].w & (EF_FLAGREC | EF_KW | 0x1fu), EF_FLAGREC);
	}
}

/* Keywords and modseqs live on flash: a remount (and a second store on the
 * same flash) rebuilds exactly what the running store answered. */
TEST(remount_restores_keywords_and_modseq)
{
	for (int p = 0; p < 3; p++) {
		store_mbox_t a, b;
		struct store_msg want[12], m;
		struct store_mbox_info ia, ib;
		uint32_t uid;
		int kw[3];

		fresh(4096, 16, progs[p]);
		CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
		CHECK_EQ_INT(store_mbox_create(&st, "ann", "Other", 0, &b), STORE_OK);
		kw[0] = store_kw_lookup(&st, a, "one", true);
		kw[1] = store_kw_lookup(&st, a, "two", true);
		kw[2] = store_kw_lookup(&st, a, "three", true);
		for (uint32_t i = 0; i < 12; i++) {
			CHECK_EQ_INT(append(i % 2 ? a : b, 100 + i, i, 64, i % 3 ? 0 : STORE_F_SEEN, &uid), STORE_OK);
			CHECK_EQ_INT(append(a, 50 + i, 100 + i, 64, 0, &uid), STORE_OK);
		}
		for (uint32_t i = 0; i < 12; i++) {
			uint32_t f = (i & 0x1fu) | (i % 2 ? STORE_F_KEYWORD(kw[i % 3]) : 0);

			CHECK_EQ_INT(store_msg_get(&st, a, i, &m), STORE_OK);
			if (i % 4 != 3)   /* some keep their appended state */
				CHECK_EQ_INT(store_msg_set_flags(&st, a, m.uid, f, NULL), STORE_OK);
			if (i % 5 == 0)   /* changed twice: the later record wins */
				CHECK_EQ_INT(store_msg_set_flags(&st, a, m.uid, f | STORE_F_KEYWORD(kw[2]), NULL),
					     STORE_OK);
		}
		CHECK_EQ_INT(store_msg_expunge(&st, a, 3), STORE_OK);   /* a tombstone: dropped at mount */
		CHECK_EQ_INT(store_msg_get(&st, a, 2, &m), STORE_OK);
		CHECK(m.expunged && m.uid == 3);
		store_mbox_purge(&st, a, UINT64_MAX);
		for (uint32_t i = 0; i < 12; i++)
			CHECK_EQ_INT(store_msg_get(&st, a, i, &want[i]), STORE_OK);
		CHECK_EQ_INT(store_mbox_info(&st, a, &ia), STORE_OK);
		CHECK_EQ_INT(store_mount(&st2, dev), STORE_OK);
		remount();
		CHECK_EQ_INT(store_mbox_info(&st, a, &ib), STORE_OK);
		CHECK_EQ_INT(ib.highestmodseq, ia.highestmodseq);
		CHECK_EQ_INT(ib.unseen, ia.unseen);
		for (uint32_t i = 0; i < 12; i++) {
			struct store_msg m2;

			CHECK_EQ_INT(store_msg_get(&st, a, i, &m), STORE_OK);
			CHECK_EQ_INT(store_msg_get(&st2, a, i, &m2), STORE_OK);
			CHECK_EQ_INT(m.uid, want[i].uid);
			CHECK_EQ_INT(m.flags, want[i].flags);
			CHECK_EQ_INT(m.modseq, want[i].modseq);
			CHECK_EQ_INT(m2.flags, want[i].flags);
			CHECK_EQ_INT(m2.modseq, want[i].modseq);
			CHECK(!m.expunged);
			/* the RAM-only view: the same minus keywords and modseq */
			CHECK_EQ_INT(store_msg_peek(&st, a, i, &m), STORE_OK);
			CHECK_EQ_INT(m.uid, want[i].uid);
			CHECK_EQ_INT(m.flags, want[i].flags & STORE_F_SYSTEM_MASK);
			CHECK(!m.expunged);
		}
		store_unmount(&st2);
	}
}

/* Entries keep a record address in 24 bits of units: the unit grows with
 * the device above 64 MiB, the same at format and at mount. */
TEST(unit_for_large_geometry)
{
	static const struct { uint32_t ss, sc, prog, unit; } g[] = {
		{ 4096, 4096, 1, 4 },        /* 16 MiB */
		{ 4096, 16384, 1, 4 },       /* 64 MiB: 2^24 units of 4 */
		{ 4096, 16385, 1, 8 },
		{ 4096, 65536, 1, 16 },      /* 256 MiB */
		{ 4096, 65536, 32, 32 },     /* the program unit when larger */
		{ 65536, 65535, 1, 256 },    /* just under 4 GiB */
		{ 512, 64, 256, 0 },         /* two 256-byte header units leave no room: refused */
	};

	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		struct flash_dev d = fs.dev;

		d.geo = (struct flash_geometry){ g[i].ss, g[i].sc, g[i].prog };
		if (!g[i].unit) {
			CHECK_EQ_INT(log_geometry(&st2, &d), STORE_INVAL);
			continue;
		}
		CHECK_EQ_INT(log_geometry(&st2, &d), STORE_OK);
		CHECK_EQ_INT(st2.unit, g[i].unit);
		CHECK((uint64_t)g[i].ss * g[i].sc / st2.unit <= (1u << 24));
	}
}

/* A tombstone keeps 31 bits of its expunge modseq; the store refuses to
 * hand out a modseq beyond them. */
TEST(tombstone_modseq)
{
	store_mbox_t a;
	struct store_msg m;
	struct store_mbox_info in;
	uint32_t u1, u2;
	uint64_t ms;

	fresh(4096, 16, 16);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
	CHECK_EQ_INT(append(a, 10, 1, 64, STORE_F_SEEN, &u1), STORE_OK);
	CHECK_EQ_INT(append(a, 10, 2, 64, 0, &u2), STORE_OK);
	st.modseq = 0x7fffff80u - 2u;   /* white-box: every bit of the encoding in use */
	CHECK_EQ_INT(store_msg_expunge(&st, a, u1), STORE_OK);
	CHECK_EQ_INT(store_msg_get(&st, a, 0, &m), STORE_OK);
	CHECK(m.expunged);
	CHECK_EQ_INT(m.uid, u1);
	CHECK_EQ_INT(m.flags, 0);
	CHECK_EQ_INT(m.modseq, 0x7fffff7fu);
	CHECK_EQ_INT(store_mbox_info(&st, a, &in), STORE_OK);
	CHECK_EQ_INT(in.highestmodseq, 0x7fffff7fu);
	CHECK_EQ_INT(in.unseen, 1);
	CHECK_EQ_INT(store_msg_peek(&st, a, 0, &m), STORE_OK);
	CHECK(m.expunged);
	CHECK_EQ_INT(m.modseq, 0x7fffff7fu);
	store_mbox_purge(&st, a, 0x7fffff7eu);
	CHECK_EQ_INT(store_msg_entries(&st, a), 2);
	store_mbox_purge(&st, a, 0x7fffff7fu);
	CHECK_EQ_INT(store_msg_entries(&st, a), 1);
	/* the last modseq a tombstone can hold, then a clean refusal */
	st.modseq = MODSEQ_MAX - 1u;
	CHECK_EQ_INT(store_msg_set_flags(&st, a, u2, STORE_F_SEEN, &ms), STORE_OK);
	CHECK_EQ_INT(ms, MODSEQ_MAX);
	CHECK_EQ_INT(store_msg_expunge(&st, a, u2), STORE_LIMIT);
	CHECK_EQ_INT(store_msg_set_flags(&st, a, u2, 0, &ms), STORE_LIMIT);
	CHECK_EQ_INT(store_msg_get(&st, a, 0, &m), STORE_OK);
	CHECK(!m.expunged);
	CHECK_EQ_INT(m.flags, STORE_F_SEEN);
	CHECK_EQ_INT(m.modseq, MODSEQ_MAX);
	remount();
	CHECK_EQ_INT(store_msg_get(&st, a, 0, &m), STORE_OK);
	CHECK_EQ_INT(m.modseq, MODSEQ_MAX);
	CHECK_EQ_INT(store_msg_set_flags(&st, a, u2, 0, &ms), STORE_LIMIT);
}

/* The flag journal names every change after a modseq while it reaches back
 * that far, and says "maybe" beyond; store_msg_flags reads keywords only
 * for a message that has some. */
TEST(flag_journal_and_flags)
{
	store_mbox_t a, b;
	struct store_msg m, g;
	uint32_t uid[STORE_FLAG_JOURNAL + 4];
	uint64_t base, ms;
	int kw;

	fresh(4096, 64, 1);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "INBOX", 0, &a), STORE_OK);
	CHECK_EQ_INT(store_mbox_create(&st, "ann", "Other", 0, &b), STORE_OK);
	for (uint32_t i = 0; i < STORE_FLAG_JOURNAL + 4; i++)
		CHECK_EQ_INT(append(a, 40, i, 40, 0, &uid[i]), STORE_OK);
	/* after a mount nothing is known: every message may have changed */
	remount();
	CHECK(store_flags_changed_since(&st, a, uid[0], 0));
	CHECK_EQ_INT(store_msg_set_flags(&st, a, uid[1], STORE_F_SEEN, &base), STORE_OK);
	/* since base: nothing yet, in either mailbox */
	CHECK(!store_flags_changed_since(&st, a, uid[1], base));
	CHECK(!store_flags_changed_since(&st, a, uid[2], base));
	kw = store_kw_lookup(&st, a, "tag", true);
	CHECK_EQ_INT(store_msg_set_flags(&st, a, uid[2], STORE_F_KEYWORD(kw), &ms), STORE_OK);
	CHECK(store_flags_changed_since(&st, a, uid[2], base));
	CHECK(!store_flags_changed_since(&st, a, uid[2], ms));
	CHECK(!store_flags_changed_since(&st, a, uid[3], base));
	CHECK(!store_flags_changed_since(&st, b, uid[2], base));   /* same UID, other mailbox */
	/* keywords: read for the message that has them, not for the others */
	CHECK_EQ_INT(store_msg_flags(&st, a, 2, &m), STORE_OK);
	CHECK_EQ_INT(store_msg_get(&st, a, 2, &g), STORE_OK);
	CHECK_EQ_INT(m.flags, STORE_F_KEYWORD(kw));
	CHECK_EQ_INT(g.flags, m.flags);
	CHECK_EQ_INT(store_msg_flags(&st, a, 1, &m), STORE_OK);
	CHECK_EQ_INT(m.flags, STORE_F_SEEN);
	/* more changes than the journal holds: beyond its reach, "maybe" */
	for (uint32_t i = 4; i < STORE_FLAG_JOURNAL + 4; i++)
		CHECK_EQ_INT(store_msg_set_flags(&st, a, uid[i], STORE_F_FLAGGED, &ms), STORE_OK);
	CHECK(store_flags_changed_since(&st, a, uid[3], base));
	CHECK(!store_flags_changed_since(&st, a, uid[3], ms - STORE_FLAG_JOURNAL + 1));
	CHECK(store_flags_changed_since(&st, a, uid[STORE_FLAG_JOURNAL + 3], ms - 1));
}

int main(void)
{
	RUN(crc32_check_value);
	RUN(format_mount_empty);
	RUN(mailboxes);
	RUN(keywords);
	RUN(append_read_flags_expunge);
	RUN(append_limits);
	RUN(copy);
	RUN(config);
	RUN(record_cache_after_reuse);
	RUN(gc_churn);
	RUN(full_store);
	RUN(fsck_detects_corruption);
	RUN(fsck_per_sector);
	RUN(second_store_same_flash);
	RUN(big_message_and_moves);
	RUN(index_limit);
	RUN(bad_arguments);
	RUN(bad_sector);
	RUN(foreign_limits);
	RUN(flags_record_and_moves);
	RUN(remount_restores_keywords_and_modseq);
	RUN(unit_for_large_geometry);
	RUN(tombstone_modseq);
	RUN(flag_journal_and_flags);
	return UNIT_DONE();
}
