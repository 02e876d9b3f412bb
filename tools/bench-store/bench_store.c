/*
 * bench-store - the store's figures on the simulator (make bench-store).
 *
 * Workload: a serial-NOR geometry (4 KiB sectors, byte programs) sized so
 * that N messages (10,000 when the build has the slots; make bench-store
 * links a 12,288-slot store) fill it to 80%. Fill it, then churn at that
 * level: every round appends a message, sets flags on a recent one and
 * expunges one - the oldest nine times in ten (mail ages out), a random
 * one otherwise - with the collector polled between operations. Message
 * sizes follow a mail-like mix: 70% 2-16 KiB, 25% 16-64 KiB, 5% 64-256 KiB.
 *
 * Prints (names fixed; figures from the churn phase unless noted):
 *   write-amplification: X    flash bytes programmed / message+metadata bytes accepted
 *   erase-spread: max/mean Y  erases per sector over the whole run
 *   mount: N messages, B bytes read (P% of used), T ms
 *   append: X MB/s            fill phase, simulator, wall clock
 *   store-ram: N bytes        sizeof(struct store): fixed part + 16 bytes a slot
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flash_sim.h"
#include "store.h"

#define SECTOR 4096u
#define META_LEN 200u            /* a typical MIME structure blob */
#define CHUNK 8192u

static struct flash_sim fs;
static struct store st;
static uint8_t chunk[CHUNK], meta[META_LEN];
static uint32_t rng = 2463534242u;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static uint32_t msg_size(void)
{
	uint32_t d = rnd() % 100;

	if (d < 70)
		return 2048u + rnd() % (14u * 1024u);
	if (d < 95)
		return 16384u + rnd() % (48u * 1024u);
	return 65536u + rnd() % (192u * 1024u);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, int e)
{
	fprintf(stderr, "bench-store: %s: error %d\n", what, e);
	exit(1);
}

/* Append one message; returns its size. Polls the collector when asked. */
static uint32_t append(store_mbox_t mb, uint32_t *uid)
{
	uint32_t size = msg_size();
	struct store_append *a;
	int e;

	while ((e = store_append_begin(&st, mb, size, 1700000000, 0, 0, &a)) == STORE_AGAIN)
		if (!store_poll(&st))
			die("append_begin: collector stuck", e);
	if (e)
		die("append_begin", e);
	for (uint32_t off = 0; off < size;) {
		uint32_t c = size - off < CHUNK ? size - off : CHUNK;
		int w = store_append_write(&st, a, chunk, c);

		if (w <= 0)
			die("append_write", w);
		off += (uint32_t)w;
	}
	e = store_append_commit(&st, a, meta, META_LEN, uid);
	if (e)
		die("append_commit", e);
	return size;
}

static void poll_some(int n)
{
	while (n-- > 0 && store_poll(&st))
		;
}

int main(void)
{
	uint32_t n = STORE_MAX_MESSAGES > 10240u ? 10000u : STORE_MAX_MESSAGES * 9u / 10u;
	/* ~24 KiB average message: 80% full with n messages */
	uint64_t bytes = (uint64_t)n * 24u * 1024u * 10u / 8u;
	uint32_t sectors = (uint32_t)(bytes / SECTOR), *erases, *uids, head = 0, count = 0;
	uint64_t accepted = 0, prog0, appended = 0;
	struct flash_geometry g = { SECTOR, sectors, 1 };
	store_mbox_t mb;
	double t0, t1;
	uint8_t *mem;
	int e;

	mem = malloc((size_t)sectors * SECTOR);
	erases = calloc(sectors, sizeof(*erases));
	uids = calloc(4u * n, sizeof(*uids));
	if (!mem || !erases || !uids)
		die("out of memory", 0);
	for (uint32_t i = 0; i < CHUNK; i++)
		chunk[i] = (uint8_t)(i * 7u + (i >> 8));
	memset(meta, 0x5a, sizeof(meta));
	flash_sim_init(&fs, &g, mem, erases, NULL, NULL);
	flash_sim_erase_all(&fs);
	if ((e = store_format(&st, &fs.dev)) || (e = store_mount(&st, &fs.dev)))
		die("format/mount", e);
	if ((e = store_mbox_create(&st, "bench", "INBOX", 0, &mb)))
		die("mbox_create", e);

	/* fill to n messages: the append rate */
	t0 = now_s();
	for (uint32_t i = 0; i < n; i++) {
		appended += append(mb, &uids[count++]);
		poll_some(4);
	}
	t1 = now_s();

	/* churn at that level: four turns of the log (wear settles) */
	prog0 = fs.prog_bytes;
	while (accepted < 4u * (uint64_t)sectors * SECTOR) {
		uint32_t uid, victim;
		uint64_t ms;

		accepted += append(mb, &uids[count++]) + META_LEN;
		poll_some(4);
		victim = count - head > 200u ? count - 1u - rnd() % 200u : count - 1u;
		while ((e = store_msg_set_flags(&st, mb, uids[victim], STORE_F_SEEN ^ (rnd() & 1u), &ms)) ==
		       STORE_AGAIN)
			store_poll(&st);
		if (e && e != STORE_NOENT)
			die("set_flags", e);
		if (rnd() % 10) {
			victim = head++;
		} else {
			victim = head + rnd() % (count - head);
			uid = uids[victim];
			uids[victim] = uids[head];
			uids[head++] = uid;
			victim = head - 1u;
		}
		while ((e = store_msg_expunge(&st, mb, uids[victim])) == STORE_AGAIN)
			store_poll(&st);
		if (e)
			die("expunge", e);
		store_mbox_purge(&st, mb, UINT64_MAX);
		poll_some(4);
		if (count == 4u * n) {
			memmove(uids, uids + head, (count - head) * sizeof(*uids));
			count -= head;
			head = 0;
		}
	}
	{
		uint64_t prog = fs.prog_bytes - prog0, total = 0, max = 0;

		for (uint32_t i = 0; i < sectors; i++) {
			total += erases[i];
			max = erases[i] > max ? erases[i] : max;
		}
		printf("# geometry: %u sectors of %u bytes (%.0f MiB), program unit %u; %u messages\n",
		       sectors, SECTOR, (double)sectors * SECTOR / 1048576.0, g.prog_size, n);
		printf("write-amplification: %.3f\n", (double)prog / (double)accepted);
		printf("erase-spread: max/mean %.3f\n", (double)max / ((double)total / sectors));
	}
	{
		struct store_stats ss;
		uint64_t used;
		double t;

		store_get_stats(&st, &ss);
		used = ss.live_bytes + ss.dead_bytes;
		printf("# fill: live %.1f%% of the flash, used (live + dead) %.1f%%\n",
		       100.0 * (double)ss.live_bytes / (double)ss.flash_bytes,
		       100.0 * (double)used / (double)ss.flash_bytes);
		store_unmount(&st);
		flash_sim_reset_counters(&fs);
		t = now_s();
		if ((e = store_mount(&st, &fs.dev)))
			die("mount", e);
		t = now_s() - t;
		store_get_stats(&st, &ss);
		printf("mount: %u messages, %llu bytes read (%.2f%% of used), %.0f ms\n", ss.messages,
		       (unsigned long long)fs.read_bytes, 100.0 * (double)fs.read_bytes / (double)used,
		       t * 1000.0);
	}
	printf("append: %.1f MB/s\n", (double)appended / (t1 - t0) / 1e6);
	printf("store-ram: %zu bytes\n", sizeof(struct store));
	printf("# store-ram: %zu fixed + %zu per slot x %u slots\n",
	       sizeof(struct store) - sizeof(struct store_entry) * STORE_MAX_MESSAGES,
	       sizeof(struct store_entry), (unsigned)STORE_MAX_MESSAGES);
	free(mem);
	free(erases);
	free(uids);
	return 0;
}
