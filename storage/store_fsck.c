/*
 * store_fsck.c - check an image: mount it (into a private store, so this
 * costs no RAM in builds that do not call it), then walk every record of
 * the log verifying its CRC, and every live message's data and metadata
 * CRCs, and report live and dead bytes per sector.
 */
#include <string.h>

#include "crc32.h"
#include "store_int.h"

static struct store fsck_store;

struct fsck_acc {
	void (*cb)(void *ctx, uint32_t sector, uint32_t live, uint32_t dead, uint32_t erases);
	void *ctx;
	uint32_t lsn;             /* sector being summed */
	uint32_t live, dead;
};

static void emit(struct store *s, struct fsck_acc *a, uint32_t lsn, uint32_t live, uint32_t dead)
{
	struct sector_hdr h;

	if (!a->cb)
		return;
	if (sector_read_hdr(s, lsn % s->sc, &h, HDR_ERASE))
		h.erase_count = 0;
	a->cb(a->ctx, lsn % s->sc, live, dead, h.erase_ok ? h.erase_count : 0);
}

/* Add len log bytes from pos to the per-sector sums (sectors in order). */
static void account(struct store *s, struct fsck_acc *a, uint64_t pos, uint64_t len, bool live)
{
	while (len) {
		uint32_t lsn = lo_lsn(s, pos), c = s->ss - lo_off(s, pos);

		if (c > len)
			c = (uint32_t)len;
		while (a->lsn < lsn) {
			emit(s, a, a->lsn, a->live, a->dead);
			a->lsn++;
			a->live = a->dead = 0;
		}
		if (live)
			a->live += c;
		else
			a->dead += c;
		pos = lo_adv(s, pos, c);
		len -= c;
	}
}

static bool data_ok(struct store *s, uint64_t lo, const struct rec *r)
{
	uint32_t crc = 0;

	for (uint32_t off = 0; off < r->size;) {
		uint32_t c = r->size - off > STORE_SCRATCH ? STORE_SCRATCH : r->size - off;

		if (log_read(s, lo_adv(s, lo, s->region_hdr + (uint64_t)off), s->scratch, c))
			return false;
		crc = crc32_update(crc, s->scratch, c);
		off += c;
	}
	if (crc != r->dcrc)
		return false;
	crc = 0;
	for (uint32_t off = 0; off < r->meta_len;) {
		uint32_t c = r->meta_len - off > STORE_SCRATCH ? STORE_SCRATCH : r->meta_len - off;
		uint64_t m = lo_adv(s, phys_lo(s, r->meta_addr), round_up(META_HDR_LEN, s->unit) + (uint64_t)off);

		if (log_read(s, m, s->scratch, c))
			return false;
		crc = crc32_update(crc, s->scratch, c);
		off += c;
	}
	return crc == r->meta_crc;
}

int store_fsck(const struct flash_dev *f, struct store_fsck_report *r,
	       void (*per_sector)(void *ctx, uint32_t sector, uint32_t live, uint32_t dead,
				  uint32_t erases),
	       void *ctx)
{
	struct store *s = &fsck_store;
	struct fsck_acc a = { per_sector, ctx, 0, 0, 0 };
	uint64_t pos;
	int e;

	memset(r, 0, sizeof(*r));
	e = store_mount(s, f);
	if (e)
		return e;
	r->sectors = s->sc;
	pos = s->gc_pos;
	a.lsn = s->tail;
	if (pos > s->head)
		pos = s->head;
	account(s, &a, lo_make(s, s->tail, s->hdr), lo_dist(s, lo_make(s, s->tail, s->hdr), pos), false);
	while (pos < s->head) {
		struct rec rc;
		int aux, live;

		e = rec_read(s, pos, &rc);
		if (e < 0)
			return e;
		if (e == 0) {
			/* a torn tail left by a power cut: expected, and dead */
			uint64_t next = lo_make(s, lo_lsn(s, pos) + 1u, s->hdr);

			if (next > s->head)
				next = s->head;
			account(s, &a, pos, lo_dist(s, pos, next), false);
			pos = next;
			continue;
		}
		r->records++;
		live = rec_live(s, pos, &rc, &aux) == REC_LIVE;
		if (live && rc.type == REC_MSG && !data_ok(s, pos, &rc))
			r->bad_crc++;
		account(s, &a, pos, rc.len, live);
		if (live)
			r->live_bytes += rc.len;
		else
			r->dead_bytes += rc.len;
		pos = lo_adv(s, pos, rc.len);
	}
	emit(s, &a, a.lsn, a.live, a.dead);
	for (uint32_t l = a.lsn + 1u; l < s->tail + s->sc; l++)
		emit(s, &a, l, 0, 0);
	store_unmount(s);
	return r->bad_crc ? STORE_CORRUPT : STORE_OK;
}
