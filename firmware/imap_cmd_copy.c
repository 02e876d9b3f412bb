/*
 * imap_cmd_copy.c - COPY / UID COPY (RFC 3501 6.4.7) and MOVE / UID MOVE
 * (RFC 6851), with COPYUID of UIDPLUS (RFC 4315).
 *
 * Messages are copied one at a time by the store's sliced copy. MOVE copies
 * every message first and only then expunges the sources (walking the same
 * set again: sequence numbers cannot change while the command runs, since
 * EXPUNGE responses are sent only by the sync after it), so a failure part
 * way leaves every source in place, and the copies already made are
 * expunged again (RFC 3501 6.4.7: the destination is restored). Its COPYUID goes out untagged before the
 * sync sends the EXPUNGEs (RFC 6851 4.3).
 *
 * COPYUID sets are kept as up to IMAPD_RUNS_MAX runs each (imap_runs.h); a
 * copy that needs more (or a longer line than fits the response) is answered
 * without COPYUID, which RFC 4315 permits, rather than with a wrong one.
 */
#include <stdio.h>
#include <string.h>

#include "imap_acl.h"
#include "imap_cmds.h"
#include "imap_internal.h"
#include "imap_mailbox.h"
#include "imap_msgset.h"

#ifndef IMAPD_COPY_EXPUNGE_SLICE
#define IMAPD_COPY_EXPUNGE_SLICE 32   /* MOVE: source expunges per slice */
#endif
#define NAME_CAP (STORE_NAME_MAX * 4 + 1)
/* Both sets together: COPY's go in the tagged line (256 bytes with a tag of
 * up to 64), MOVE's in an untagged line (imap_printf: 512). */
#define COPYUID_TEXT_COPY 140
#define COPYUID_TEXT_MOVE 400

enum { PH_COPY, PH_EXPUNGE, PH_UNDO };

static int copy_step(struct imap_session *s);
static int undo_step(struct imap_session *s);

/* The connection went away mid-copy: give the store its append slot back. */
static void copy_abort(struct imap_session *s)
{
	if (s->u.copy.busy)
		store_msg_copy_abort(imap_store(s), &s->u.copy.copy);
	s->u.copy.busy = false;
}

static int copy_common(struct imap_session *s, bool move)
{
	struct imap_copy_state *c = &s->u.copy;
	struct imap_parser *p = &s->p;
	struct imap_seqset set;
	struct imap_str a;
	char name[NAME_CAP];
	const char *why;
	memset(c, 0, sizeof(*c));
	c->move = move;
	if (!imap_p_sp(p) || !imap_p_seqset(p, &set) || !imap_p_sp(p) || !imap_p_astring(p, &a))
		return imap_bad_syntax(s);
	if (!imap_p_end(p)) {
		imap_tagged(s, "BAD", "Unexpected characters after the mailbox name");
		return IMAP_DONE;
	}
	if (!imap_mailbox_name(s, &a, name, sizeof(name), &why)) {
		imap_tagged(s, "NO", "[CANNOT] %s", why);
		return IMAP_DONE;
	}
	if (!s->uid_cmd && !imap_msgset_check(s, &set)) {
		imap_tagged(s, "BAD", "Invalid message sequence number");
		return IMAP_DONE;
	}
	struct store_mbox_info info;
	if (imap_mbox_find(s, name, &c->dst) != STORE_OK ||
	    store_mbox_info(imap_store(s), c->dst, &info) != STORE_OK ||
	    (info.attrs & STORE_MB_NOSELECT)) {
		imap_tagged(s, "NO", "[TRYCREATE] Mailbox doesn't exist");
		return IMAP_DONE;
	}
	if (move && s->v.readonly) {
		imap_tagged(s, "NO", "[READ-ONLY] Mailbox is read-only");
		return IMAP_DONE;
	}
	/* RFC 4314 4: 'i' on the target; MOVE also takes the messages away,
	 * which needs 't' and 'e' on the source (RFC 6851 3.3) */
	c->dst_rights = imap_mbox_rights(s, c->dst);
	if (!(c->dst_rights & ACL_I) ||
	    (move && (s->v.rights & (ACL_T | ACL_E)) != (ACL_T | ACL_E))) {
		imap_tagged(s, "NO", "[NOPERM] Permission denied");
		return IMAP_DONE;
	}
	c->dst_validity = info.uidvalidity;
	imap_msgset_init(&c->walk, &set, s->uid_cmd);
	s->abort = copy_abort;
	s->step = copy_step;
	return IMAP_MORE;
}

int imap_cmd_copy(struct imap_session *s) { return copy_common(s, false); }
int imap_cmd_move(struct imap_session *s) { return copy_common(s, true); }

/* The store copies flag bits as they are; keyword bits index each mailbox's
 * own table, so translate them by name. */
static int fix_keywords(struct imap_session *s, uint32_t src_flags, uint32_t new_uid)
{
	struct imap_copy_state *c = &s->u.copy;
	struct store *st = imap_store(s);
	/* only the flags the user may set in the target come along (RFC 4314 4) */
	uint32_t mask = imap_acl_flag_mask(c->dst_rights);
	uint32_t want = src_flags & STORE_F_SYSTEM_MASK & mask;
	for (int k = 0; k < STORE_MAX_KEYWORDS && (c->dst_rights & ACL_W); k++) {
		const char *kw;
		if (!(src_flags & STORE_F_KEYWORD(k)) || !(kw = store_kw_name(st, s->v.mb, k)))
			continue;
		int j = store_kw_lookup(st, c->dst, kw, true);
		if (j >= 0 && j < STORE_MAX_KEYWORDS)
			want |= STORE_F_KEYWORD(j);   /* a full table drops the keyword */
	}
	uint32_t idx;
	bool exact;
	struct store_msg m;
	if (store_msg_find(st, c->dst, new_uid, &idx, &exact) != STORE_OK || !exact ||
	    store_msg_get(st, c->dst, idx, &m) != STORE_OK || m.flags == want)
		return STORE_OK;
	uint64_t modseq;
	return store_msg_set_flags(st, c->dst, new_uid, want, &modseq);
}

static int copy_finish(struct imap_session *s)
{
	struct imap_copy_state *c = &s->u.copy;
	char src[COPYUID_TEXT_MOVE], dst[COPYUID_TEXT_MOVE];
	size_t cap = c->move ? COPYUID_TEXT_MOVE : COPYUID_TEXT_COPY;
	bool uidplus = imap_runs_text(&c->src, src, cap) &&
		       imap_runs_text(&c->dst_uids, dst, cap - strlen(src));
	const char *what = c->move ? "MOVE" : "COPY";
	if (!uidplus) {
		imap_tagged(s, "OK", "%s completed", what);
		return IMAP_DONE;
	}
	if (c->move) {
		imap_printf(s, "* OK [COPYUID %lu %s %s] Moved UIDs\r\n",
			    (unsigned long)c->dst_validity, src, dst);
		imap_tagged(s, "OK", "MOVE completed");
	} else {
		imap_tagged(s, "OK", "[COPYUID %lu %s %s] COPY completed",
			    (unsigned long)c->dst_validity, src, dst);
	}
	return IMAP_DONE;
}

static int copy_step(struct imap_session *s)
{
	struct imap_copy_state *c = &s->u.copy;
	struct store *st = imap_store(s);
	if (c->phase == PH_UNDO)
		return undo_step(s);
	if (c->phase == PH_EXPUNGE) {
		for (int writes = 0; writes < IMAPD_COPY_EXPUNGE_SLICE; writes++) {
			struct imap_msgset_msg m;
			if (!imap_msgset_next(s, &c->walk, &m))
				return copy_finish(s);
			int r = store_msg_expunge(st, s->v.mb, m.uid);
			if (r == STORE_AGAIN) {
				imap_msgset_again(&c->walk, &m);
				return IMAP_AGAIN;
			}
			/* STORE_NOENT: expunged meanwhile by another session; either
			 * way it is gone from here as MOVE promised */
			if (r != STORE_OK && r != STORE_NOENT) {
				imap_tagged_store_err(s, r, "MOVE");
				return IMAP_DONE;
			}
		}
		return IMAP_MORE;
	}
	if (!c->busy) {
		struct store_msg e;
		for (;;) {
			if (!imap_msgset_next(s, &c->walk, &c->msg)) {
				if (!c->move)
					return copy_finish(s);
				imap_msgset_init(&c->walk, &c->walk.set, c->walk.uid);
				c->phase = PH_EXPUNGE;
				return IMAP_MORE;
			}
			if (store_msg_get(st, s->v.mb, c->msg.idx, &e) == STORE_OK && !e.expunged)
				break;
			/* expunged by another session meanwhile: nothing to copy */
		}
		c->src_flags = e.flags;
		memset(&c->copy, 0, sizeof(c->copy));
		c->busy = true;
	}
	uint32_t new_uid;
	int r = store_msg_copy(st, &c->copy, s->v.mb, c->msg.uid, c->dst, &new_uid);
	if (r == STORE_AGAIN)
		return IMAP_AGAIN;   /* a bounded part done (or GC needed): next poll */
	c->busy = false;
	if (r == STORE_OK)
		r = fix_keywords(s, c->src_flags, new_uid);
	if (r == STORE_AGAIN)
		r = STORE_OK;   /* the copy itself is durable; keywords are best effort */
	if (r == STORE_NOENT) {
		struct store_mbox_info info;
		if (store_mbox_info(st, c->dst, &info) == STORE_OK &&
		    info.uidvalidity == c->dst_validity)
			return IMAP_MORE;   /* the source went away under us: skip it */
		c->err = STORE_NOENT;
	} else if (r != STORE_OK) {
		c->err = r;
	}
	if (c->err) {
		c->phase = PH_UNDO;
		c->undo_run = 0;
		c->undo_next = 0;
		return IMAP_MORE;
	}
	(void)imap_runs_add(&c->src, c->msg.uid, false);   /* overflow: no COPYUID */
	(void)imap_runs_add(&c->dst_uids, new_uid, false);
	return IMAP_MORE;
}

/* A copy failed: take back the copies already made, then answer. */
static int undo_step(struct imap_session *s)
{
	struct imap_copy_state *c = &s->u.copy;
	struct store *st = imap_store(s);
	struct imap_runs *r = &c->dst_uids;
	for (int writes = 0; !r->overflow && c->undo_run < r->n; writes++) {
		if (writes >= IMAPD_COPY_EXPUNGE_SLICE)
			return IMAP_MORE;
		uint32_t uid = c->undo_next ? c->undo_next : r->lo[c->undo_run];
		int e = store_msg_expunge(st, c->dst, uid);
		if (e == STORE_AGAIN) {
			c->undo_next = uid;
			return IMAP_AGAIN;
		}
		if (uid == r->hi[c->undo_run]) {
			c->undo_run++;
			c->undo_next = 0;
		} else {
			c->undo_next = uid + 1;
		}
	}
	if (c->err == STORE_NOENT)
		imap_tagged(s, "NO", "[TRYCREATE] Mailbox doesn't exist");
	else
		imap_tagged_store_err(s, c->err, c->move ? "MOVE" : "COPY");
	return IMAP_DONE;
}
