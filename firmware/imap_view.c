/*
 * imap_view.c - a session's view of its selected mailbox, and the untagged
 * updates that keep the client's copy consistent (RFC 3501 5.2, 7.4.1).
 *
 * The store keeps expunged messages as tombstones in its RAM index until every
 * session that had the mailbox selected has announced the EXPUNGE; so a
 * session's view is, without any per-message RAM of its own:
 *     entries with uid <= v.uid_max that are live, or expunged after v.exp_modseq.
 * Sequence numbers are positions in that view.
 */
#include <string.h>

#include "imap_acl.h"
#include "imap_internal.h"

enum { SY_IDLE, SY_EXPUNGE, SY_FLAGS, SY_EXISTS };


#ifndef IMAPD_SYNC_SCAN
#define IMAPD_SYNC_SCAN 1024   /* index entries examined per slice */
#endif

/* \Recent goes to exactly one session: the first to learn of the message. */
struct recent_claim {
	uint32_t uidvalidity;
	uint32_t claimed;        /* highest UID handed out as \Recent */
};
static struct recent_claim recent_claims[STORE_MAX_MAILBOXES];

static bool in_view(const struct imap_view *v, const struct store_msg *m)
{
	return m->uid <= v->uid_max && (!m->expunged || m->modseq > v->exp_modseq);
}

/* The mailbox's keywords as a mask (bit k: keyword k exists). */
static uint32_t kw_mask(struct store *st, store_mbox_t mb)
{
	uint32_t m = 0;
	for (int k = 0; k < STORE_MAX_KEYWORDS; k++)
		if (store_kw_name(st, mb, k))
			m |= 1u << k;
	return m;
}

static void claim_recent(struct imap_session *s, const struct store_mbox_info *info)
{
	struct imap_view *v = &s->v;
	if (v->mb < 0 || v->mb >= STORE_MAX_MAILBOXES)
		return;
	struct recent_claim *c = &recent_claims[v->mb];
	if (c->uidvalidity != info->uidvalidity) {
		c->uidvalidity = info->uidvalidity;
		c->claimed = 0;
	}
	uint32_t from = c->claimed;
	if (v->readonly && v->recent_n && v->recent_r[v->recent_n - 1].hi > from)
		from = v->recent_r[v->recent_n - 1].hi;
	if (from >= v->uid_max)
		return;
	if (v->recent_n && v->recent_r[v->recent_n - 1].hi == from) {
		v->recent_r[v->recent_n - 1].hi = v->uid_max;   /* nobody claimed in between */
	} else {
		if (v->recent_n == IMAP_RECENT_RANGES) {
			memmove(&v->recent_r[0], &v->recent_r[1],
				(IMAP_RECENT_RANGES - 1) * sizeof(v->recent_r[0]));
			v->recent_n--;
		}
		v->recent_r[v->recent_n].lo = from;
		v->recent_r[v->recent_n].hi = v->uid_max;
		v->recent_n++;
	}
	/* EXAMINE sees what nobody has claimed but claims nothing: it must not
	 * take \Recent from a later SELECT (RFC 3501 6.3.2) */
	if (!v->readonly)
		c->claimed = v->uid_max;
}

static uint32_t count_recent(struct imap_session *s)
{
	struct store *st = imap_store(s);
	uint32_t n = 0, idx, entries = store_msg_entries(st, s->v.mb);
	bool exact;
	for (unsigned r = 0; r < s->v.recent_n; r++) {
		if (store_msg_find(st, s->v.mb, s->v.recent_r[r].lo + 1, &idx, &exact) != STORE_OK)
			continue;
		for (; idx < entries; idx++) {
			struct store_msg m;
			if (store_msg_peek(st, s->v.mb, idx, &m) != STORE_OK ||
			    m.uid > s->v.recent_r[r].hi)
				break;
			if (in_view(&s->v, &m))
				n++;
		}
	}
	return n;
}

void imap_view_open(struct imap_session *s, store_mbox_t mb, bool readonly)
{
	struct store *st = imap_store(s);
	struct store_mbox_info info;
	struct imap_view *v = &s->v;
	memset(v, 0, sizeof(*v));
	imap_runs_clear(&s->saved);
	v->mb = mb;
	v->readonly = readonly;
	if (store_mbox_info(st, mb, &info) != STORE_OK)
		return;
	v->uidvalidity = info.uidvalidity;
	v->exp_modseq = v->flag_modseq = info.highestmodseq;
	v->changes = info.changes;
	v->exists = info.messages;
	uint32_t entries = store_msg_entries(st, mb);
	for (uint32_t i = entries; i-- > 0;) {
		struct store_msg m;
		if (store_msg_peek(st, mb, i, &m) == STORE_OK && !m.expunged) {
			v->uid_max = m.uid;
			break;
		}
	}
	claim_recent(s, &info);
	v->recent = count_recent(s);
	v->kw_told = kw_mask(st, mb);   /* SELECT's FLAGS lists them */
}

bool imap_view_kw_tell(struct imap_session *s)
{
	struct imap_view *v = &s->v;
	struct store *st = imap_store(s);
	uint32_t now = kw_mask(st, v->mb);
	if (!v->kw_perm_owed) {
		if (!(now & ~v->kw_told))
			return true;
		imap_out_str(s, "* FLAGS ");
		imap_out_flag_names(s, false);
		imap_out_str(s, "\r\n");
		v->kw_told = now;
		/* PERMANENTFLAGS lists keywords only for who may set them ('w');
		 * EXAMINE's stays () */
		v->kw_perm_owed = !v->readonly && (v->rights & ACL_W);
		return !v->kw_perm_owed;
	}
	imap_out_str(s, "* OK [PERMANENTFLAGS ");
	imap_out_permanent_flags(s);
	imap_out_str(s, "] Flags permitted\r\n");
	v->kw_perm_owed = false;
	return true;
}

bool imap_view_changed(const struct imap_session *s)
{
	struct store_mbox_info info;
	if (s->v.mb < 0 || store_mbox_info(imap_store(s), s->v.mb, &info) != STORE_OK)
		return false;
	return info.changes != s->v.changes || s->v.resync || s->v.sync_phase != SY_IDLE;
}

uint32_t imap_view_status_recent(struct store *st, store_mbox_t mb)
{
	struct store_mbox_info info;
	uint32_t idx, n = 0;
	bool exact;
	if (mb < 0 || mb >= STORE_MAX_MAILBOXES || store_mbox_info(st, mb, &info) != STORE_OK)
		return 0;
	uint32_t claimed = recent_claims[mb].uidvalidity == info.uidvalidity
				   ? recent_claims[mb].claimed : 0;
	if (store_msg_find(st, mb, claimed + 1, &idx, &exact) != STORE_OK)
		return 0;
	for (uint32_t e = store_msg_entries(st, mb); idx < e; idx++) {
		struct store_msg m;
		if (store_msg_peek(st, mb, idx, &m) == STORE_OK && !m.expunged)
			n++;
	}
	return n;
}

bool imap_view_is_recent(const struct imap_session *s, uint32_t uid)
{
	for (unsigned r = 0; r < s->v.recent_n; r++)
		if (uid > s->v.recent_r[r].lo && uid <= s->v.recent_r[r].hi)
			return true;
	return false;
}

uint32_t imap_view_uid_max(const struct imap_session *s) { return s->v.uid_max; }

bool imap_view_seq_to_idx(struct imap_session *s, uint32_t seq, uint32_t *idx)
{
	struct store *st = imap_store(s);
	struct imap_view *v = &s->v;
	if (seq == 0 || seq > v->exists)
		return false;
	uint32_t entries = store_msg_entries(st, v->mb);
	uint32_t i = 0, n = 0;
	if (v->cur_seq && v->cur_seq <= seq) {
		i = v->cur_idx;
		n = v->cur_seq - 1;
	}
	for (; i < entries; i++) {
		struct store_msg m;
		if (store_msg_peek(st, v->mb, i, &m) != STORE_OK)
			return false;
		if (!in_view(v, &m))
			continue;
		if (++n == seq) {
			v->cur_seq = seq;
			v->cur_idx = i;
			*idx = i;
			return true;
		}
	}
	return false;
}

bool imap_view_uid_to_seq(struct imap_session *s, uint32_t uid, uint32_t *seq, uint32_t *idx)
{
	struct store *st = imap_store(s);
	struct imap_view *v = &s->v;
	uint32_t i;
	bool exact;
	struct store_msg m;
	if (uid == 0 || uid > v->uid_max ||
	    store_msg_find(st, v->mb, uid, &i, &exact) != STORE_OK || !exact ||
	    store_msg_peek(st, v->mb, i, &m) != STORE_OK || !in_view(v, &m))
		return false;
	/* count view entries up to i, from the cursor when it is behind us */
	uint32_t k = 0, n = 0;
	if (v->cur_seq && v->cur_idx <= i) {
		k = v->cur_idx;
		n = v->cur_seq - 1;
	}
	for (; k <= i; k++) {
		struct store_msg e;
		if (store_msg_peek(st, v->mb, k, &e) == STORE_OK && in_view(v, &e))
			n++;
	}
	v->cur_seq = n;
	v->cur_idx = i;
	*seq = n;
	*idx = i;
	return true;
}

void imap_view_own_change(struct imap_session *s, uint32_t changes_before, uint64_t modseq)
{
	/* Only if the view was in sync just before: otherwise marking it synced
	 * would hide another session's changes from us. */
	struct store_mbox_info info;
	if (s->v.sync_phase != SY_IDLE || s->v.resync || changes_before != s->v.changes ||
	    store_mbox_info(imap_store(s), s->v.mb, &info) != STORE_OK)
		return;
	s->v.changes = info.changes;
	if (modseq > s->v.flag_modseq)
		s->v.flag_modseq = modseq;
}

/* A purge moves index positions, which a session may hold from one slice to
 * the next while its update sync or a command's step (FETCH, SEARCH, COPY...)
 * walks the mailbox. Such a purge is owed, and made at the end of the next
 * update of any session selecting the mailbox. */
static bool purge_owed[STORE_MAX_MAILBOXES];

static bool holds_positions(const struct imap_session *o)
{
	return o->v.sync_phase != SY_IDLE ||
	       (o->have_cmd && o->phase == IMAP_PH_EXEC && o->step != NULL);
}

/* Called whenever a session's view of mb moved on: drop the tombstones every
 * session selecting mb has already announced. */
void imap_sessions_purge_tombstones(struct store *st, store_mbox_t mb)
{
	uint64_t upto = UINT64_MAX;
	if (mb < 0 || mb >= STORE_MAX_MAILBOXES)
		return;
	for (int i = 0; i < imap_session_slots(); i++) {
		struct imap_session *o = imap_session_slot(i);
		if (!o || o->v.mb != mb)
			continue;
		if (holds_positions(o)) {
			purge_owed[mb] = true;
			return;
		}
		if (o->v.exp_modseq < upto)
			upto = o->v.exp_modseq;
	}
	purge_owed[mb] = false;
	store_mbox_purge(st, mb, upto);
	for (int i = 0; i < imap_session_slots(); i++) {
		struct imap_session *o = imap_session_slot(i);
		if (o && o->v.mb == mb)
			o->v.cur_seq = 0;   /* indexes moved */
	}
}

static void vanished_flush(struct imap_session *s, uint32_t lo, uint32_t hi)
{
	if (lo == hi && lo)
		imap_printf(s, "* VANISHED %lu\r\n", (unsigned long)lo);
	else if (lo)
		imap_printf(s, "* VANISHED %lu:%lu\r\n", (unsigned long)lo, (unsigned long)hi);
}

int imap_view_sync(struct imap_session *s, bool allow_expunge)
{
	struct store *st = imap_store(s);
	struct imap_view *v = &s->v;
	struct store_mbox_info info;
	if (v->mb < 0)
		return IMAP_DONE;
	if (store_mbox_info(st, v->mb, &info) != STORE_OK || info.uidvalidity != v->uidvalidity) {
		/* Deleted (or renamed away and reused) under us: nothing consistent
		 * can be said about it any more (RFC 3501 7.1.5). */
		imap_out_str(s, "* BYE Selected mailbox was deleted\r\n");
		v->mb = -1;
		s->state = IMAP_S_LOGOUT;
		s->closing = true;
		return IMAP_DONE;
	}
	if (v->sync_phase == SY_IDLE) {
		if (info.changes == v->changes && !v->resync) {
			if (purge_owed[v->mb])
				imap_sessions_purge_tombstones(st, v->mb);
			return IMAP_DONE;
		}
		v->changes = info.changes;
		v->resync = false;
		v->sync_modseq = info.highestmodseq;
		v->sync_phase = allow_expunge ? SY_EXPUNGE : SY_FLAGS;
		v->sync_idx = v->sync_seq = v->sync_removed = 0;
	}
	/* new keywords first: the FETCH updates below may show them */
	if (!imap_view_kw_tell(s))
		return IMAP_MORE;
	uint32_t entries = store_msg_entries(st, v->mb);
	uint32_t budget = IMAPD_SYNC_SCAN;

	if (v->sync_phase == SY_EXPUNGE) {
		/* ascending; each EXPUNGE renumbers the later messages. With QRESYNC
		 * (RFC 7162 3.2.10) UIDs instead, never EXPUNGE: consecutive UIDs
		 * go out as one range, within a slice. */
		uint32_t van_lo = 0, van_hi = 0;
		for (; v->sync_idx < entries; v->sync_idx++) {
			struct store_msg m;
			if (imap_out_room(s) < 80 || budget-- == 0) {
				vanished_flush(s, van_lo, van_hi);
				return IMAP_MORE;
			}
			if (store_msg_peek(st, v->mb, v->sync_idx, &m) != STORE_OK || !in_view(v, &m))
				continue;
			v->sync_seq++;
			if (!(m.expunged && m.modseq <= v->sync_modseq)) {
				vanished_flush(s, van_lo, van_hi);
				van_lo = 0;
				continue;
			}
			if (s->qresync) {
				/* a range names exactly the UIDs expunged: each counts */
				if (van_lo && m.uid != van_hi + 1u) {
					vanished_flush(s, van_lo, van_hi);
					van_lo = 0;
				}
				if (!van_lo)
					van_lo = m.uid;
				van_hi = m.uid;
			} else {
				imap_printf(s, "* %lu EXPUNGE\r\n",
					    (unsigned long)(v->sync_seq - v->sync_removed));
			}
			v->sync_removed++;
		}
		vanished_flush(s, van_lo, van_hi);
		v->exists -= v->sync_removed;
		v->exp_modseq = v->sync_modseq;
		v->cur_seq = 0;
		v->sync_phase = SY_FLAGS;
		v->sync_idx = v->sync_seq = 0;
		imap_sessions_purge_tombstones(st, v->mb);
		entries = store_msg_entries(st, v->mb);
	}
	if (v->sync_phase == SY_FLAGS) {
		for (; v->sync_idx < entries; v->sync_idx++) {
			struct store_msg m;
			if (imap_out_room(s) < IMAP_FLAG_LINE_MAX || budget-- == 0)
				return IMAP_MORE;
			if (store_msg_peek(st, v->mb, v->sync_idx, &m) != STORE_OK || !in_view(v, &m))
				continue;
			v->sync_seq++;
			if (m.expunged) {
				v->resync = true;   /* its EXPUNGE is still owed: the next sync sends it */
				continue;
			}
			/* A live message's modseq and keywords are on flash: read them
			 * only for a message whose flags may have changed since the
			 * last sync. */
			if (v->flag_modseq >= v->sync_modseq ||
			    !store_flags_changed_since(st, v->mb, m.uid, v->flag_modseq) ||
			    store_msg_get(st, v->mb, v->sync_idx, &m) != STORE_OK)
				continue;
			if (m.modseq > v->flag_modseq && m.modseq <= v->sync_modseq) {
				imap_printf(s, "* %lu FETCH (", (unsigned long)v->sync_seq);
				if (s->condstore)   /* RFC 7162 3.1.4.1, with UID for the client's cache */
					imap_printf(s, "UID %lu MODSEQ (%llu) ", (unsigned long)m.uid,
						    (unsigned long long)m.modseq);
				imap_out_str(s, "FLAGS ");
				imap_out_flags(s, m.flags, imap_view_is_recent(s, m.uid));
				imap_out_str(s, ")\r\n");
			}
		}
		v->flag_modseq = v->sync_modseq;
		v->sync_phase = SY_EXISTS;
	}
	/* New messages: live ones above uid_max. Stop below a tombstone we could
	 * not yet exclude (EXPUNGE not allowed now): raising uid_max over it would
	 * make it a phantom in the view; the rest waits for the next sync. */
	uint32_t added = 0, top = v->uid_max, i;
	bool exact;
	if (store_msg_find(st, v->mb, v->uid_max + 1, &i, &exact) != STORE_OK)
		i = entries;
	for (; i < entries; i++) {
		struct store_msg m;
		if (store_msg_peek(st, v->mb, i, &m) != STORE_OK)
			break;
		if (m.expunged) {
			if (m.modseq > v->exp_modseq) {
				v->resync = true;
				break;
			}
			continue;
		}
		added++;
		top = m.uid;
	}
	if (added) {
		v->exists += added;
		v->uid_max = top;
		claim_recent(s, &info);
		v->recent = count_recent(s);
		imap_printf(s, "* %lu EXISTS\r\n", (unsigned long)v->exists);
		if (!s->rev2)
			imap_printf(s, "* %lu RECENT\r\n", (unsigned long)v->recent);
	}
	/* QRESYNC: keep the client's HIGHESTMODSEQ current once everything up to
	 * it has been said (no expunge or new message held back), so a later
	 * resync does not hand the client its own APPENDs as changes */
	uint64_t told = v->exp_modseq < v->flag_modseq ? v->exp_modseq : v->flag_modseq;
	if (s->qresync && !v->resync && told > v->hms_told) {
		imap_printf(s, "* OK [HIGHESTMODSEQ %llu] Highest\r\n", (unsigned long long)told);
		v->hms_told = told;
	}
	v->sync_phase = SY_IDLE;
	if (purge_owed[v->mb])
		imap_sessions_purge_tombstones(st, v->mb);
	return IMAP_DONE;
}
