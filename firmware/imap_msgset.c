/*
 * imap_msgset.c - resumable walks over sequence and UID sets (imap_msgset.h).
 */
#include "imap_msgset.h"

#include "imap_internal.h"

void imap_msgset_init(struct imap_msgset *w, const struct imap_seqset *set, bool uid)
{
	w->set = *set;
	w->uid = uid || set->dollar;   /* '$' is kept as UIDs whatever the command */
	w->in_range = false;
	w->cursor = w->range_at = 0;
	w->next = w->hi = 0;
	w->order = 0;
}

/* 1 if every range starts above the previous one's end (the usual set,
 * and '$', whose runs ascend): no message can come twice; else 2. */
static uint8_t set_order(const struct imap_seqset *set, uint32_t max)
{
	size_t c = 0;
	uint32_t lo, hi, prev = 0;
	bool first = true;
	while (imap_seqset_next(set, &c, max, &lo, &hi)) {
		if (!first && lo <= prev)
			return 2;
		first = false;
		prev = hi;
	}
	return 1;
}

/* Was v in a range before the current one? Only asked of unordered sets. */
static bool seen_before(const struct imap_msgset *w, uint32_t v, uint32_t max)
{
	size_t c = 0;
	uint32_t lo, hi;
	while (c < w->range_at && imap_seqset_next(&w->set, &c, max, &lo, &hi))
		if (v >= (lo ? lo : 1u) && v <= hi)
			return true;
	return false;
}

bool imap_msgset_check(struct imap_session *s, const struct imap_seqset *set)
{
	size_t c = 0;
	uint32_t lo, hi;
	/* hi 0: "*" of an empty mailbox, BAD as well (RFC 9051 9, seq-number) */
	while (imap_seqset_next(set, &c, s->v.exists, &lo, &hi))
		if (hi > s->v.exists || hi == 0)
			return false;
	return true;
}

bool imap_msgset_next(struct imap_session *s, struct imap_msgset *w, struct imap_msgset_msg *m)
{
	struct store *st = imap_store(s);
	uint32_t max = w->uid ? imap_view_uid_max(s) : s->v.exists;
	if (!w->order)
		w->order = w->set.dollar ? 1 : set_order(&w->set, max);
	for (;;) {
		if (!w->in_range) {
			size_t c = w->cursor;
			uint32_t lo, hi;
			w->range_at = w->cursor;
			if (w->set.dollar) {
				if (!imap_runs_run(&s->saved, w->cursor, &lo, &hi))
					return false;
				c = w->cursor + 1u;   /* runs hold UIDs of the view only */
			} else if (!imap_seqset_next(&w->set, &c, max, &lo, &hi)) {
				return false;
			}
			w->cursor = (uint32_t)c;
			if (lo == 0)
				lo = 1;   /* '*' of an empty mailbox */
			if (hi == 0)
				continue;
			w->next = lo;
			w->hi = hi;
			w->in_range = true;
		}
		if (w->next > w->hi || w->next == 0) {   /* 0: wrapped past 2^32-1 */
			w->in_range = false;
			continue;
		}
		if (!w->uid) {
			m->seq = w->next++;
			if (w->order == 2 && seen_before(w, m->seq, max))
				continue;
			if (!imap_view_seq_to_idx(s, m->seq, &m->idx))
				continue;
			struct store_msg e;
			if (store_msg_peek(st, s->v.mb, m->idx, &e) != STORE_OK)
				continue;
			m->uid = e.uid;
			return true;
		}
		/* UID walk: jump to the first existing UID >= next */
		uint32_t idx;
		bool exact;
		struct store_msg e;
		if (store_msg_find(st, s->v.mb, w->next, &idx, &exact) != STORE_OK ||
		    idx >= store_msg_entries(st, s->v.mb) ||
		    store_msg_peek(st, s->v.mb, idx, &e) != STORE_OK || e.uid > w->hi) {
			w->in_range = false;
			continue;
		}
		w->next = e.uid + 1;
		if (w->order == 2 && seen_before(w, e.uid, max))
			continue;
		if (!imap_view_uid_to_seq(s, e.uid, &m->seq, &m->idx))
			continue;
		m->uid = e.uid;
		return true;
	}
}

bool imap_msgset_refind(struct imap_session *s, uint32_t uid, uint32_t *idx)
{
	bool exact;
	return store_msg_find(imap_store(s), s->v.mb, uid, idx, &exact) == STORE_OK && exact;
}

void imap_msgset_again(struct imap_msgset *w, const struct imap_msgset_msg *m)
{
	w->next = w->uid ? m->uid : m->seq;
	w->in_range = true;
}
