/*
 * imap_expunge.c - removing messages from the selected mailbox in slices.
 * The EXPUNGE responses themselves come from the view sync that follows
 * every command (imap_view.c), so every path reports them the same way.
 */
#include <string.h>

#include "imap_internal.h"

#ifndef IMAPD_EXPUNGE_SLICE
#define IMAPD_EXPUNGE_SLICE 32   /* expunge records written per slice */
#endif

void imap_expunge_begin(struct imap_session *s, const struct imap_seqset *uids,
			bool require_deleted, const char *done_text)
{
	struct imap_expunge_state *e = &s->u.expunge;
	memset(e, 0, sizeof(*e));
	e->next_uid = 1;
	if (uids) {
		e->set = uids->s;
		e->set_len = (uint32_t)uids->len;
		e->dollar = uids->dollar;
	}
	e->require_deleted = require_deleted;
	e->done = done_text;
}

int imap_expunge_step(struct imap_session *s)
{
	struct imap_expunge_state *e = &s->u.expunge;
	struct store *st = imap_store(s);
	struct imap_seqset set = { e->set, e->set_len, e->dollar };
	uint32_t entries = store_msg_entries(st, s->v.mb), idx;
	bool exact;
	int writes = 0;
	/* Resume by UID: other sessions may purge tombstones between slices,
	 * which moves index positions. */
	if (store_msg_find(st, s->v.mb, e->next_uid, &idx, &exact) != STORE_OK)
		idx = entries;
	for (; idx < entries; idx++) {
		struct store_msg m;
		if (writes >= IMAPD_EXPUNGE_SLICE)
			return IMAP_MORE;
		if (store_msg_peek(st, s->v.mb, idx, &m) != STORE_OK)
			continue;
		e->next_uid = m.uid + 1;
		if (m.expunged ||
		    m.uid > imap_view_uid_max(s))
			continue;
		if (e->require_deleted && !(m.flags & STORE_F_DELETED))
			continue;
		if (e->set && !(set.dollar ? imap_runs_contains(&s->saved, m.uid)
					   : imap_seqset_contains(&set, m.uid, imap_view_uid_max(s))))
			continue;
		int r = store_msg_expunge(st, s->v.mb, m.uid);
		if (r == STORE_AGAIN) {
			e->next_uid = m.uid;
			return IMAP_AGAIN;
		}
		if (r != STORE_OK && !e->err)
			e->err = r;
		writes++;
	}
	struct store_mbox_info info;
	if (e->err)
		imap_tagged_store_err(s, e->err, "EXPUNGE");
	else if (e->report_hms && s->condstore && store_mbox_info(st, s->v.mb, &info) == STORE_OK)
		/* the client's cache learns the modseq its expunges reached (RFC 7162) */
		imap_tagged(s, "OK", "[HIGHESTMODSEQ %llu] %s", (unsigned long long)info.highestmodseq,
			    e->done);
	else
		imap_tagged(s, "OK", "%s", e->done);
	return IMAP_DONE;
}
