/*
 * store_gc.c - the garbage collector: reclaims the oldest sectors of the log
 * in bounded slices (store_poll). It walks the records of the tail sector,
 * rewrites the live ones at the head (a message is moved whole, a slice at
 * a time), then records the new tail (a TAIL record, synced) and only then
 * erases the sectors left behind. The log is reclaimed strictly oldest
 * first, which is what lets deletions (EXPUNGE, DELMBOX, CFGDEL, RENAME)
 * be dropped when the tail reaches them: everything they cancel is older
 * and already gone. Every sector is erased in turn, so wear is even.
 */
#include <string.h>

#include "store_int.h"

#define GC_SLICE 4096u        /* bytes rewritten per poll (about) */
#define GC_RECORDS 16         /* records examined per poll */

void gc_reset(struct store *s, uint64_t first)
{
	s->gc_state = GC_WALK;
	s->gc_pos = first;
}

int rec_live(struct store *s, uint64_t lo, const struct rec *r, int *aux)
{
	const uint8_t *b = s->scratch + SMALL_HDR;
	uint32_t idx, here = lo_phys(s, lo);
	bool exact;
	int k;

	switch (r->type) {
	case REC_MSG:
		if (!r->committed) {
			for (int i = 0; i <= STORE_MAX_APPENDS; i++)
				if (s->app[i].state && s->app[i].lo == lo)
					return REC_BUSY;
			return REC_DEAD;
		}
		k = mbox_by_uidv(s, r->slot, r->uidv);
		if (k < 0 || s->mbox[k].state != MB_LIVE)
			return REC_DEAD;
		entry_find(s, k, r->uid, &idx, &exact);
		if (!exact)
			return REC_DEAD;
		{
			const struct store_entry *x = &s->ent[s->mbox[k].start + idx];
			uint32_t at = ent_loc(s, x);
			struct rec f;

			if (x->w & EF_EXPUNGED)
				return REC_DEAD;
			/* through the FLAGS record the entry points at, which
			 * names its message record */
			if ((x->w & EF_FLAGREC) && flag_rec(s, at, &f)) {
				s->broken = true;   /* never call it dead unread */
				return REC_BUSY;
			}
			return ((x->w & EF_FLAGREC) ? f.msg : at) == here ? REC_LIVE : REC_DEAD;
		}
	case REC_MBOX:
		return r->slot < STORE_MAX_MAILBOXES && s->mbox[r->slot].state == MB_LIVE &&
		       s->mbox[r->slot].rec == here ? REC_LIVE : REC_DEAD;
	case REC_FLAGS:
		k = mbox_by_uidv(s, r->slot, get32(b));
		if (k < 0 || s->mbox[k].state != MB_LIVE)
			return REC_DEAD;
		entry_find(s, k, get32(b + 4), &idx, &exact);
		if (!exact)
			return REC_DEAD;
		{
			const struct store_entry *x = &s->ent[s->mbox[k].start + idx];

			if ((x->w & (EF_EXPUNGED | EF_FLAGREC)) != EF_FLAGREC || ent_loc(s, x) != here)
				return REC_DEAD;
			*aux = (int)(s->mbox[k].start + idx);
			return REC_LIVE;
		}
	case REC_CFG: {
		char key[STORE_CFG_KEY_MAX];
		uint32_t kl = b[0];
		int i;

		memcpy(key, b + 3, kl);
		i = cfg_find(s, key, kl, cfg_hash(key, kl));
		if (i < 0 || s->cfg[i].loc != here)
			return REC_DEAD;
		*aux = i;
		return REC_LIVE;
	}
	case REC_META: {
		struct rec m;

		k = mbox_by_uidv(s, r->slot, r->uidv);
		if (k < 0 || s->mbox[k].state != MB_LIVE)
			return REC_DEAD;
		entry_find(s, k, r->uid, &idx, &exact);
		if (!exact || ent_msg(s, &s->ent[s->mbox[k].start + idx], &m, NULL))
			return REC_DEAD;
		return m.meta_len && m.meta_addr == here ? REC_LIVE : REC_DEAD;
	}
	default:
		/* TAIL and the deletions cancel only older records, gone by the
		 * time the tail reaches them (see the file comment). */
		return REC_DEAD;
	}
}

/* Free bytes the collector wants ahead of the writers. */
static bool gc_wanted(struct store *s)
{
	uint64_t pl = log_payload(s), cap = (uint64_t)s->sc * pl;
	uint64_t margin = cap / 32u > 2u * pl ? cap / 32u : 2u * pl;
	uint64_t want = s->max_region + meta_len(s, STORE_META_MAX) + 3u * pl + s->pending_meta + margin;

	if (log_free(s) >= (want > s->gc_need ? want : s->gc_need))
		return false;
	return store_reclaimable(s) > 0;
}

static bool gc_erase_step(struct store *s)
{
	uint32_t phys = s->gc_erase_next % s->sc;
	struct sector_hdr h;

	if (sector_read_hdr(s, phys, &h, HDR_ERASE)) {
		s->broken = true;
		return false;
	}
	if (sector_erase(s, phys, h.erase_ok ? h.erase_count + 1u : s->erase_max + 1u))
		return false;
	if (++s->gc_erase_next == s->gc_erase_end)
		s->gc_state = GC_WALK;
	return true;
}

static struct store_entry *move_src(struct store *s, struct store_append *a)
{
	struct store_mbox *m = &s->mbox[a->mb];
	uint32_t idx;
	bool exact;

	if (m->state != MB_LIVE || m->uidvalidity != a->uidvalidity)
		return NULL;
	entry_find(s, a->mb, a->src_uid, &idx, &exact);
	if (!exact || (s->ent[m->start + idx].w & EF_EXPUNGED))
		return NULL;
	return &s->ent[m->start + idx];
}

static bool gc_move_step(struct store *s)
{
	struct store_append *a = &s->app[STORE_MAX_APPENDS];
	struct store_entry *x = move_src(s, a);
	struct rec r;
	uint32_t n, at, flags;
	uint64_t modseq;
	int e;

	if (!x) {
		/* expunged or deleted meanwhile: the copy is simply dead */
		msg_drop(s, a);
		s->gc_state = GC_WALK;
		return true;
	}
	/* the source: the entry's message record (a flag change meanwhile
	 * points the entry at a FLAGS record that names the same one) */
	if (ent_msg(s, x, &r, &at)) {
		s->broken = true;
		return false;
	}
	n = a->size - a->written;
	if (n > GC_SLICE)
		n = GC_SLICE;
	while (n) {
		uint32_t c = n > STORE_SCRATCH ? STORE_SCRATCH : n;
		uint64_t src = lo_adv(s, phys_lo(s, at), s->region_hdr + (uint64_t)a->written);

		if (log_read(s, src, s->scratch, c) || msg_feed(s, a, s->scratch, c)) {
			s->broken = true;
			return false;
		}
		n -= c;
	}
	if (a->written < a->size)
		return true;
	if (ent_state(s, x, &flags, &modseq)) {
		s->broken = true;
		return false;
	}
	e = msg_finish(s, a, NULL, r.meta_len, r.meta_len ? r.meta_addr : 0, a->src_uid, flags, modseq);
	msg_drop(s, a);
	s->gc_state = GC_WALK;
	if (e)
		return false;
	if (x->w & EF_FLAGREC)   /* the new commit block carries the flags: the FLAGS record is dead */
		s->live_bytes -= small_len(s, FLAGS_BODY);
	x->w = ent_live_w(s, flags, lo_phys(s, a->lo), false);
	return true;
}

static bool gc_move_start(struct store *s, const struct rec *r)
{
	struct store_append *a = &s->app[STORE_MAX_APPENDS];

	/* room for the copy, leaving what open appends were promised */
	if (log_free(s) < r->len + (uint64_t)meta_len(s, r->meta_len) + s->pending_meta ||
	    msg_open(s, a, r->slot, r->size))
		return false;
	a->date = r->date;
	a->tz = r->tz;
	a->src_uid = r->uid;
	s->gc_state = GC_MOVE;
	return true;
}

/* Everything before gc_pos's sector has been handled: make the new tail
 * durable, then erase behind it. */
static bool gc_advance_tail(struct store *s)
{
	uint32_t nt = lo_lsn(s, s->gc_pos);

	if (log_free(s) < small_len(s, 4) + s->pending_meta)
		return false;
	put32(s->scratch + SMALL_HDR, nt);
	if (rec_put_small(s, REC_TAIL, NO_SLOT, 4, NULL) || log_sync(s))
		return false;
	s->gc_erase_next = s->tail;
	s->gc_erase_end = nt;
	s->tail = nt;
	s->gc_state = GC_ERASE;
	return true;
}

static bool gc_walk_step(struct store *s)
{
	uint32_t copied = 0;

	/* bounded: GC_RECORDS records examined, GC_SLICE bytes rewritten */
	for (int i = 0; i < GC_RECORDS && copied < GC_SLICE; i++) {
		uint64_t pos = s->gc_pos;
		struct rec r;
		int e, aux = -1;

		if (lo_lsn(s, pos) > s->tail)
			return gc_advance_tail(s);
		if (pos >= s->head)
			return false;   /* only the head's sector is left */
		e = rec_read(s, pos, &r);
		if (e < 0) {
			s->broken = true;
			return false;
		}
		if (e == 0) {
			/* the abandoned torn tail of an earlier mount: skip the sector */
			s->gc_pos = lo_make(s, lo_lsn(s, pos) + 1u, s->hdr);
			if (s->gc_pos > s->head)
				s->gc_pos = s->head;
			for (uint32_t l = lo_lsn(s, pos) + 1u; l <= lo_lsn(s, s->head); l++) {
				struct sector_hdr h;

				if (sector_read_hdr(s, l % s->sc, &h, HDR_OPEN))
					return false;
				if (h.open_ok && h.lsn == l && h.first != FIRST_NONE) {
					s->gc_pos = lo_make(s, l, h.first);
					break;
				}
			}
			continue;
		}
		/* A META record follows its message record, which the walk moved
		 * (with a fresh META) before getting here: never live at the tail. */
		switch (r.type == REC_META ? REC_DEAD : rec_live(s, pos, &r, &aux)) {
		case REC_BUSY:
			return false;   /* an append still writing its record: wait */
		case REC_LIVE:
			s->gc_moved += r.len;
			if (r.type == REC_MSG) {
				if (!gc_move_start(s, &r)) {
					/* no room to move the oldest message (power cuts
					 * during earlier moves left dead copies at the
					 * head): writers get NOSPACE until something dies */
					s->gc_stuck = true;
					return true;
				}
				s->gc_pos = lo_adv(s, pos, r.len);
				return true;
			}
			if (log_free(s) < r.len + s->pending_meta)
				return false;
			copied += r.len;
			if (r.type == REC_MBOX) {
				e = mbox_write_rec(s, r.slot, NULL);
			} else {
				uint64_t at;

				e = rec_put_small(s, r.type, r.slot, r.body, &at);
				if (!e && r.type == REC_CFG)
					s->cfg[aux].loc = lo_phys(s, at);
				/* same modseq: mount prefers the later copy (FORMAT.md) */
				if (!e && r.type == REC_FLAGS)
					s->ent[aux].w = (s->ent[aux].w & 0xffu) |
							lo_phys(s, at) / s->unit << EF_LOC_SHIFT;
			}
			if (e)
				return false;
			break;
		default:
			break;
		}
		s->gc_pos = lo_adv(s, pos, r.len);
	}
	return true;
}

bool store_poll(struct store *s)
{
	if (!s->mounted || s->broken)
		return false;
	switch (s->gc_state) {
	case GC_ERASE:
		return gc_erase_step(s);
	case GC_MOVE:
		return gc_move_step(s);
	default:
		if (!gc_wanted(s)) {
			s->gc_need = 0;
			s->gc_moved = 0;
			return false;
		}
		/* Accounting says there is garbage; if a whole turn of the log
		 * rewrote everything and won nothing, stop until something dies. */
		if (s->gc_moved > (uint64_t)s->sc * log_payload(s)) {
			s->gc_stuck = true;
			s->gc_moved = 0;
			return true;   /* changed: a waiting writer now gets NOSPACE */
		}
		return gc_walk_step(s);
	}
}
