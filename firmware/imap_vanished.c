/*
 * imap_vanished.c - VANISHED (EARLIER) as the complement of the live UIDs
 * (imap_vanished.h).
 */
#include "imap_vanished.h"

#include <stdio.h>

#include "imap_internal.h"

#define LINE_RANGES 48    /* ranges per VANISHED line: about 1 KiB at most */
#define STEP_LOOKUPS 256  /* live UIDs skipped per step: a slice stays short */

void imap_vanished_init(struct imap_vanished *w, uint32_t top, const struct imap_seqset *filter)
{
	w->top = top;
	w->filtered = filter != NULL;
	if (filter)
		w->filter = *filter;
	w->started = w->in_range = false;
	w->done = top == 0;
	w->cursor = 0;
	w->pos = w->end = 0;
}

static void put_range(struct imap_session *s, uint32_t a, uint32_t b, unsigned *n)
{
	char buf[32];
	int len = a == b ? snprintf(buf, sizeof buf, "%s%lu", *n ? "," : "", (unsigned long)a)
			 : snprintf(buf, sizeof buf, "%s%lu:%lu", *n ? "," : "", (unsigned long)a,
				    (unsigned long)b);
	if (*n == 0)
		imap_out_str(s, "* VANISHED (EARLIER) ");
	imap_out_raw(s, buf, (size_t)len);
	(*n)++;
}

/* The first UID >= from that the session still counts as a message, or 0.
 * A message another session expunged stays one until this session has been
 * told (its VANISHED comes from the view's sync, with sequence numbers). */
static uint32_t next_live(struct imap_session *s, uint32_t from)
{
	struct store *st = imap_store(s);
	uint32_t idx, entries = store_msg_entries(st, s->v.mb);
	bool exact;
	if (store_msg_find(st, s->v.mb, from, &idx, &exact) != STORE_OK)
		return 0;
	for (; idx < entries; idx++) {
		struct store_msg m;
		if (store_msg_peek(st, s->v.mb, idx, &m) == STORE_OK &&
		    (!m.expunged || m.modseq > s->v.exp_modseq))
			return m.uid;
	}
	return 0;
}

int imap_vanished_step(struct imap_session *s, struct imap_vanished *w)
{
	unsigned n = 0, lookups = 0;
	while (!w->done && n < LINE_RANGES && lookups < STEP_LOOKUPS && imap_out_room(s) >= 64) {
		if (!w->in_range) {
			uint32_t lo = 1, hi = w->top;
			if (w->filtered) {
				if (!imap_seqset_next(&w->filter, &w->cursor, w->top, &lo, &hi)) {
					w->done = true;
					break;
				}
			} else if (w->started) {
				w->done = true;
				break;
			}
			w->started = true;
			if (hi > w->top)
				hi = w->top;
			if (lo == 0)
				lo = 1;
			if (lo > hi)
				continue;
			w->pos = lo;
			w->end = hi;
			w->in_range = true;
		}
		uint32_t live = next_live(s, w->pos);
		lookups++;
		if (live == 0 || live > w->end) {
			put_range(s, w->pos, w->end, &n);
			w->in_range = false;
			continue;
		}
		if (live > w->pos)
			put_range(s, w->pos, live - 1, &n);
		if (live >= w->end)
			w->in_range = false;
		else
			w->pos = live + 1;
	}
	if (n)
		imap_out_str(s, "\r\n");
	return w->done ? IMAP_DONE : IMAP_MORE;
}
