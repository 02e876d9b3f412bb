/*
 * store.c - the mail store's index and API: mount (replay of the log into
 * RAM tables), mailboxes, keywords, messages, streaming appends, copies and
 * config records. The log layer is store_log.c, the collector store_gc.c;
 * FORMAT.md describes the bytes on flash and why replay is correct.
 */
#include <string.h>

#include "crc32.h"
#include "store_int.h"

#define APPEND_SLICE 4096u        /* data bytes accepted per append_write call */
#define COPY_SLICE 4096u          /* data bytes copied per store_msg_copy call */

/* ---------------------------------------------------------------- helpers */

static uint32_t fnv1a(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--) {
		h ^= (uint8_t)*p++;
		h *= 16777619u;
	}
	return h ? h : 1u;   /* 0 marks a free config slot */
}

static size_t bounded_len(const char *p, size_t max)
{
	size_t n = 0;

	while (n < max && p[n])
		n++;
	return n;
}

static bool str_ok(const char *p, size_t max, size_t *len)
{
	if (!p)
		return false;
	*len = bounded_len(p, max + 1u);
	return *len >= 1u && *len <= max;
}

static bool ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

static struct store_mbox *mb_get(struct store *s, store_mbox_t mb)
{
	if (!s->mounted || mb < 0 || mb >= STORE_MAX_MAILBOXES || s->mbox[mb].state != MB_LIVE)
		return NULL;
	return &s->mbox[mb];
}

static bool mb_is(const struct store_mbox *m, const char *user, size_t ul, const char *name, size_t nl)
{
	return m->state == MB_LIVE && m->user_len == ul && m->name_len == nl &&
	       !memcmp(m->user, user, ul) && !memcmp(m->name, name, nl);
}

int mbox_by_uidv(struct store *s, uint8_t slot, uint32_t uidv)
{
	if (slot >= STORE_MAX_MAILBOXES)
		return -1;
	if ((s->mbox[slot].state == MB_LIVE || s->mbox[slot].state == MB_PLACEHOLDER) &&
	    s->mbox[slot].uidvalidity == uidv)
		return slot;
	return -1;
}

/* ---------------------------------------------------------------- entries */

int entry_find(struct store *s, int mb, uint32_t uid, uint32_t *idx, bool *exact)
{
	const struct store_mbox *m = &s->mbox[mb];
	uint32_t lo = 0, hi = m->count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2u;

		if (s->ent[m->start + mid].uid < uid)
			lo = mid + 1u;
		else
			hi = mid;
	}
	*idx = lo;
	*exact = lo < m->count && s->ent[m->start + lo].uid == uid;
	return STORE_OK;
}

static struct store_entry *entry_at(struct store *s, int mb, uint32_t idx)
{
	return &s->ent[s->mbox[mb].start + idx];
}

static int entry_insert(struct store *s, int mb, uint32_t idx, const struct store_entry *e)
{
	uint32_t at = s->mbox[mb].start + idx;

	if (s->entries >= STORE_MAX_MESSAGES)
		return STORE_LIMIT;
	memmove(&s->ent[at + 1u], &s->ent[at], (s->entries - at) * sizeof(s->ent[0]));
	s->ent[at] = *e;
	s->entries++;
	s->mbox[mb].count++;
	for (int k = mb + 1; k < STORE_MAX_MAILBOXES; k++)
		s->mbox[k].start++;
	return STORE_OK;
}

static void entry_remove_range(struct store *s, int mb, uint32_t idx, uint32_t n)
{
	uint32_t at = s->mbox[mb].start + idx;

	memmove(&s->ent[at], &s->ent[at + n], (s->entries - at - n) * sizeof(s->ent[0]));
	s->entries -= n;
	s->mbox[mb].count -= n;
	for (int k = mb + 1; k < STORE_MAX_MAILBOXES; k++)
		s->mbox[k].start -= n;
}

/* Empty a mailbox slot (its entries go too). */
static void slot_reset(struct store *s, int mb)
{
	struct store_mbox *m = &s->mbox[mb];
	uint32_t start = m->start;

	entry_remove_range(s, mb, 0, m->count);
	memset(m, 0, sizeof(*m));
	m->start = start;
}

static struct store_rec_cache *rc_slot(struct store *s, uint32_t loc)
{
	return &s->rc[(loc ^ (loc >> 11)) % STORE_REC_CACHE];
}

/* Read what a message record says about itself. */
int msg_rec(struct store *s, uint32_t loc, struct rec *r)
{
	struct store_rec_cache *c = rc_slot(s, loc);
	int e;

	if (c->loc_plus1 == loc + 1u) {
		*r = c->r;
		return STORE_OK;
	}
	e = rec_read(s, phys_lo(s, loc), r);
	if (e < 0)
		return e;
	if (e != 1 || r->type != REC_MSG || !r->committed)
		return STORE_CORRUPT;
	c->loc_plus1 = loc + 1u;  /* only what is committed: it is final */
	c->r = *r;
	return STORE_OK;
}

/* Read a FLAGS record: one flash read on a cache miss, into a local buffer
 * (callers may hold a small record in the scratch buffer). */
int flag_rec(struct store *s, uint32_t loc, struct rec *r)
{
	struct store_rec_cache *c = rc_slot(s, loc);
	uint8_t b[SMALL_HDR + FLAGS_BODY + 4u];
	const uint8_t *p = b + SMALL_HDR;

	if (c->loc_plus1 == loc + 1u) {
		*r = c->r;
		return STORE_OK;
	}
	if (log_read(s, phys_lo(s, loc), b, sizeof(b)))
		return STORE_IO;
	if (b[0] != REC_FLAGS || get16(b + 2) != FLAGS_BODY ||
	    get32(p + FLAGS_BODY) != crc32_update(0, b, SMALL_HDR + FLAGS_BODY))
		return STORE_CORRUPT;
	memset(r, 0, sizeof(*r));
	r->type = REC_FLAGS;
	r->slot = b[1];
	r->body = FLAGS_BODY;
	r->len = small_len(s, FLAGS_BODY);
	r->uidv = get32(p);
	r->uid = get32(p + 4);
	r->flags = get32(p + 8);
	r->modseq = get64(p + 12);
	r->msg = get32(p + 20);
	c->loc_plus1 = loc + 1u;
	c->r = *r;
	return STORE_OK;
}

int ent_msg(struct store *s, const struct store_entry *x, struct rec *r, uint32_t *loc)
{
	uint32_t at = ent_loc(s, x);
	int e;

	if (x->w & EF_EXPUNGED)
		return STORE_NOENT;
	if (x->w & EF_FLAGREC) {
		if ((e = flag_rec(s, at, r)) != 0)
			return e;
		if (r->uid != x->uid)
			return STORE_CORRUPT;
		at = r->msg;
	}
	if ((e = msg_rec(s, at, r)) != 0)
		return e;
	if (r->uid != x->uid)
		return STORE_CORRUPT;
	if (loc)
		*loc = at;
	return STORE_OK;
}

int ent_state(struct store *s, const struct store_entry *x, uint32_t *flags, uint64_t *modseq)
{
	uint32_t at = ent_loc(s, x);
	struct rec r;
	int e;

	if (x->w & EF_EXPUNGED) {
		*flags = 0;   /* a tombstone keeps no flags */
		*modseq = ent_tomb_modseq(x);
		return STORE_OK;
	}
	e = x->w & EF_FLAGREC ? flag_rec(s, at, &r) : msg_rec(s, at, &r);
	if (e)
		return e;
	if (r.uid != x->uid)
		return STORE_CORRUPT;
	*flags = (x->w & STORE_F_SYSTEM_MASK) | (r.flags & ~(uint32_t)0xffu);
	*modseq = r.modseq;
	return STORE_OK;
}

void rec_cache_clear(struct store *s)
{
	memset(s->rc, 0, sizeof(s->rc));
}

/* ---------------------------------------------------------------- space */

static uint64_t dead_bytes(const struct store *s)
{
	uint64_t used = log_used(s), busy = s->live_bytes + s->pending_bytes;

	return used > busy ? used - busy : 0;
}

/* Dead bytes the collector can certainly win back: all but what a turn of
 * the log leaves dead anyway (the head's and the tail's sectors, a sector
 * of the collector's own copies, and its TAIL records, one a sector). */
uint64_t store_reclaimable(const struct store *s)
{
	uint64_t dead = dead_bytes(s);
	uint64_t slack = 3u * log_payload(s) + (uint64_t)(lo_lsn(s, s->head) - s->tail + 1u) * small_len(s, 4);

	return s->gc_stuck || dead <= slack ? 0 : dead - slack;
}

/* need: log bytes the operation adds; region: its message record size (0 if
 * none). The collector must always be able to move the largest message and
 * a sector of small records; freeing operations (expunge, delete) may use
 * one sector more than others so that a full store can still shrink. */
int space_check(struct store *s, uint64_t need, uint32_t region, int cls)
{
	uint64_t pl = log_payload(s), free = log_free(s);
	/* the collector's reserve: the largest message with its metadata */
	uint64_t big = (region > s->max_region ? region : s->max_region) +
		       (uint64_t)meta_len(s, STORE_META_MAX);
	uint64_t required = need + big + 2u * pl + s->pending_meta + (cls == SPACE_USER ? pl : 0);

	if (s->broken)
		return STORE_IO;
	/* A stuck collector cannot use its reserve: let deletions through, one
	 * of them may free the message it cannot move. */
	if (s->gc_stuck && cls == SPACE_FREEING)
		required = need + pl;
	if (free >= required)
		return STORE_OK;
	if (free + store_reclaimable(s) >= required) {
		/* tell the collector how much room the caller waits for */
		if (required > s->gc_need)
			s->gc_need = required;
		return STORE_AGAIN;
	}
	return STORE_NOSPACE;
}

static int next_modseq(struct store *s, uint64_t *out)
{
	if (s->modseq >= MODSEQ_MAX)
		return STORE_LIMIT;
	*out = s->modseq + 1u;
	return STORE_OK;
}

/* ---------------------------------------------------------------- records */

static uint32_t mbox_body(struct store *s, int mb)
{
	const struct store_mbox *m = &s->mbox[mb];
	uint8_t *b = s->scratch + SMALL_HDR;
	uint32_t n = MBOX_FIXED, nkw = 0;

	put32(b, m->uidvalidity);
	put32(b + 4, m->uidnext);
	put64(b + 8, m->hms);
	put32(b + 16, m->attrs);
	b[20] = m->user_len;
	b[21] = m->name_len;
	memcpy(b + n, m->user, m->user_len);
	n += m->user_len;
	memcpy(b + n, m->name, m->name_len);
	n += m->name_len;
	for (int k = 0; k < STORE_MAX_KEYWORDS && m->kw[k]; k++) {
		const char *kw = s->kw_pool[m->kw[k] - 1];
		size_t l = strlen(kw);

		b[n++] = (uint8_t)l;
		memcpy(b + n, kw, l);
		n += (uint32_t)l;
		nkw++;
	}
	b[22] = (uint8_t)nkw;
	return n;
}

static uint32_t mbox_rec_len(struct store *s, int mb)
{
	const struct store_mbox *m = &s->mbox[mb];
	uint32_t n = MBOX_FIXED + m->user_len + m->name_len;

	for (int k = 0; k < STORE_MAX_KEYWORDS && m->kw[k]; k++)
		n += 1u + (uint32_t)strlen(s->kw_pool[m->kw[k] - 1]);
	return small_len(s, n);
}

/* Write the mailbox's current state as a new MBOX record. */
int mbox_write_rec(struct store *s, int mb, uint64_t *at)
{
	uint64_t lo;
	int e = rec_put_small(s, REC_MBOX, (uint8_t)mb, mbox_body(s, mb), &lo);

	if (e)
		return e;
	s->gc_stuck = false;   /* the previous one is dead now */
	s->mbox[mb].rec = lo_phys(s, lo);
	if (at)
		*at = lo;
	return STORE_OK;
}

/* ---------------------------------------------------------------- keywords pool */

static int pool_find(struct store *s, const char *kw, size_t len)
{
	for (int i = 0; i < STORE_KW_POOL; i++)
		if (s->kw_pool[i][0] && strlen(s->kw_pool[i]) == len && ieq(s->kw_pool[i], kw, len))
			return i;
	return -1;
}

static bool pool_used(const struct store *s, int i)
{
	for (int k = 0; k < STORE_MAX_MAILBOXES; k++)
		if (s->mbox[k].state != MB_FREE)
			for (int j = 0; j < STORE_MAX_KEYWORDS; j++)
				if (s->mbox[k].kw[j] == i + 1)
					return true;
	return false;
}

static int pool_add(struct store *s, const char *kw, size_t len)
{
	int i = pool_find(s, kw, len);

	if (i >= 0)
		return i;
	for (i = 0; i < STORE_KW_POOL; i++)
		if (!s->kw_pool[i][0] || !pool_used(s, i)) {
			memcpy(s->kw_pool[i], kw, len);
			s->kw_pool[i][len] = 0;
			return i;
		}
	return -1;
}

/* ---------------------------------------------------------------- mount replay */

static void replay_counters(struct store *s, uint64_t modseq)
{
	if (modseq > s->modseq)
		s->modseq = modseq;
}

/* Slot k for generation v, as replay sees it: a newer generation replaces an
 * older one (slots are reused only after a delete, and UIDVALIDITY only
 * grows), an older one is ignored. */
static int replay_slot(struct store *s, uint8_t k, uint32_t v)
{
	struct store_mbox *m;

	if (k >= STORE_MAX_MAILBOXES) {
		s->over_limits = true;   /* a build with more mailbox slots wrote it */
		return -1;
	}
	if (v == 0)
		return -1;
	m = &s->mbox[k];
	if (v >= s->uidv_next)
		s->uidv_next = v + 1u;
	if (m->state == MB_FREE || v > m->uidvalidity) {
		slot_reset(s, k);
		m->state = MB_PLACEHOLDER;
		m->uidvalidity = v;
		m->uidnext = 1;
	}
	if (v != m->uidvalidity || m->state == MB_DELETED)
		return -1;
	return k;
}

static void replay_msg(struct store *s, uint64_t lo, const struct rec *r)
{
	int k;
	uint32_t idx;
	bool exact;
	struct store_mbox *m;
	struct store_entry e;

	if (!r->committed || (k = replay_slot(s, r->slot, r->uidv)) < 0 || r->uid == 0)
		return;
	m = &s->mbox[k];
	replay_counters(s, r->modseq);
	if (r->uid >= m->uidnext)
		m->uidnext = r->uid + 1u;
	if (r->modseq > m->hms)
		m->hms = r->modseq;
	entry_find(s, k, r->uid, &idx, &exact);
	if (exact) {
		/* A moved copy: the later record is where the message lives now.
		 * Its commit block holds the state at the end of the move; any
		 * FLAGS record before it in the log is no newer (see FORMAT.md). */
		entry_at(s, k, idx)->w = ent_live_w(s, r->flags, lo_phys(s, lo), false);
		return;
	}
	e.uid = r->uid;
	e.w = ent_live_w(s, r->flags, lo_phys(s, lo), false);
	if (entry_insert(s, k, idx, &e)) {
		/* within one build replay never holds more than a past state did:
		 * this image comes from a build with more message slots */
		s->over_limits = true;
		return;
	}
	m->size += r->size;
	m->log_bytes += r->len + (r->meta_len ? meta_len(s, r->meta_len) : 0);
	if (r->len > s->max_region)
		s->max_region = r->len;
}

static void replay_mbox(struct store *s, uint64_t lo, const struct rec *r)
{
	const uint8_t *b = s->scratch + SMALL_HDR;
	uint32_t ul, nl, nkw, n;
	struct store_mbox *m;
	int k;

	if (r->body < MBOX_FIXED)
		return;
	ul = b[20];
	nl = b[21];
	nkw = b[22];
	if (!ul || !nl || MBOX_FIXED + ul + nl > r->body)
		return;
	if (ul > STORE_USER_MAX || nl > STORE_NAME_MAX || nkw > STORE_MAX_KEYWORDS) {
		s->over_limits = true;
		return;
	}
	if ((k = replay_slot(s, r->slot, get32(b))) < 0)
		return;
	m = &s->mbox[k];
	m->state = MB_LIVE;
	if (get32(b + 4) > m->uidnext)
		m->uidnext = get32(b + 4);
	if (get64(b + 8) > m->hms)
		m->hms = get64(b + 8);
	replay_counters(s, get64(b + 8));
	m->attrs = get32(b + 16);
	m->user_len = (uint8_t)ul;
	m->name_len = (uint8_t)nl;
	memcpy(m->user, b + MBOX_FIXED, ul);
	memcpy(m->name, b + MBOX_FIXED + ul, nl);
	n = MBOX_FIXED + ul + nl;
	memset(m->kw, 0, sizeof(m->kw));
	for (uint32_t i = 0; i < nkw; i++) {
		uint32_t l;
		int p;

		if (n >= r->body || (l = b[n]) == 0 || n + 1u + l > r->body)
			break;
		p = l > STORE_KEYWORD_MAX ? -1 : pool_add(s, (const char *)b + n + 1u, l);
		if (p < 0) {
			s->over_limits = true;
			break;
		}
		m->kw[i] = (uint8_t)(p + 1);
		n += 1u + l;
	}
	m->rec = lo_phys(s, lo);
}

/* Apply a rename of user's "from" and everything below "from/" to "to".
 * Returns false if a new name would not fit (replay of a foreign image). */
static bool rename_apply(struct store *s, const char *user, size_t ul, const char *from, size_t fl,
			 const char *to, size_t tl)
{
	bool fits = true;

	for (int k = 0; k < STORE_MAX_MAILBOXES; k++) {
		struct store_mbox *m = &s->mbox[k];

		if (m->state != MB_LIVE || m->user_len != ul || memcmp(m->user, user, ul))
			continue;
		if (m->name_len < fl || memcmp(m->name, from, fl) ||
		    (m->name_len > fl && m->name[fl] != '/'))
			continue;
		if (tl + (m->name_len - fl) > STORE_NAME_MAX) {
			fits = false;
			continue;
		}
		memmove(m->name + tl, m->name + fl, m->name_len - fl);
		memcpy(m->name, to, tl);
		m->name_len = (uint8_t)(tl + (m->name_len - fl));
		m->changes++;
	}
	return fits;
}

static void replay_rename(struct store *s, const struct rec *r)
{
	const uint8_t *b = s->scratch + SMALL_HDR;
	uint32_t ul = b[0], fl = b[1], tl = b[2];

	if (r->body != 3u + ul + fl + tl || !ul || !fl || !tl)
		return;
	if (!rename_apply(s, (const char *)b + 3, ul, (const char *)b + 3 + ul, fl,
			  (const char *)b + 3 + ul + fl, tl))
		s->over_limits = true;
}

static int replay_flags(struct store *s, uint64_t lo, const struct rec *r, bool expunge)
{
	const uint8_t *b = s->scratch + SMALL_HDR;
	uint32_t uid = get32(b + 4), flags = get32(b + 8), msg = get32(b + 20), idx;
	uint64_t modseq = get64(b + (expunge ? 8 : 12));
	bool exact;
	struct store_mbox *m;
	struct store_entry *x;
	int k, e;

	if (r->body != (expunge ? EXPUNGE_BODY : FLAGS_BODY) || (k = replay_slot(s, r->slot, get32(b))) < 0)
		return STORE_OK;
	m = &s->mbox[k];
	replay_counters(s, modseq);
	if (modseq > m->hms)
		m->hms = modseq;
	if (uid >= m->uidnext)
		m->uidnext = uid + 1u;
	entry_find(s, k, uid, &idx, &exact);
	if (!exact)
		return STORE_OK;
	x = entry_at(s, k, idx);
	if (expunge) {
		struct rec mr;

		if ((e = ent_msg(s, x, &mr, NULL)) != 0)
			return e;
		m->size -= mr.size;
		m->log_bytes -= mr.len + (mr.meta_len ? meta_len(s, mr.meta_len) : 0);
		entry_remove_range(s, k, idx, 1);
	} else {
		uint32_t at = ent_loc(s, x);
		bool fr = (x->w & EF_FLAGREC) != 0;
		struct rec cur;

		/* The entry moves to a FLAGS record newer than its state, or to
		 * the collector's copy of the FLAGS record it points at (same
		 * modseq). A FLAGS record whose modseq a moved message's commit
		 * block already carries is dead. A live one always names the
		 * entry's current message record: one that does not is ignored
		 * rather than let the index point at a record the collector
		 * would not keep. */
		if ((e = fr ? flag_rec(s, at, &cur) : msg_rec(s, at, &cur)) != 0)
			return e;
		if (msg == (fr ? cur.msg : at) && (modseq > cur.modseq || (modseq == cur.modseq && fr)))
			x->w = ent_live_w(s, flags, lo_phys(s, lo), true);
	}
	return STORE_OK;
}

static void replay_cfg(struct store *s, uint64_t lo, const struct rec *r, bool del)
{
	const uint8_t *b = s->scratch + SMALL_HDR;
	uint32_t kl = b[0], h;
	int i;

	if (!kl || (del ? r->body != 1u + kl : r->body != 3u + kl + get16(b + 1)))
		return;
	if (kl > STORE_CFG_KEY_MAX || (!del && get16(b + 1) > STORE_CFG_VAL_MAX)) {
		s->over_limits = true;
		return;
	}
	h = fnv1a((const char *)b + (del ? 1 : 3), kl);
	/* cfg_find reads candidates' keys into the scratch: keep ours aside */
	{
		char key[STORE_CFG_KEY_MAX];

		memcpy(key, b + (del ? 1 : 3), kl);
		i = cfg_find(s, key, kl, h);
	}
	if (del) {
		if (i >= 0)
			s->cfg[i].hash = 0;
		return;
	}
	if (i < 0)
		for (i = 0; i < STORE_MAX_CFG && s->cfg[i].hash; i++)
			;
	if (i < STORE_MAX_CFG) {
		s->cfg[i].hash = h;
		s->cfg[i].loc = lo_phys(s, lo);
	} else {
		s->over_limits = true;
	}
}

/* Errors: only flash reads of the entries' own records (a FLAGS record or
 * an expunge needs the message's state). */
static int replay(struct store *s, uint64_t lo, const struct rec *r)
{
	if (r->oversize) {
		s->over_limits = true;
		return STORE_OK;
	}
	switch (r->type) {
	case REC_MSG: replay_msg(s, lo, r); break;
	case REC_MBOX: replay_mbox(s, lo, r); break;
	case REC_DELMBOX:
		if (r->body == 4u) {
			int k = replay_slot(s, r->slot, get32(s->scratch + SMALL_HDR));

			if (k >= 0) {
				uint32_t v = s->mbox[k].uidvalidity;

				slot_reset(s, k);
				s->mbox[k].state = MB_DELETED;
				s->mbox[k].uidvalidity = v;
			}
		}
		break;
	case REC_RENAME: replay_rename(s, r); break;
	case REC_FLAGS: return replay_flags(s, lo, r, false);
	case REC_EXPUNGE: return replay_flags(s, lo, r, true);
	case REC_CFG: replay_cfg(s, lo, r, false); break;
	case REC_CFGDEL: replay_cfg(s, lo, r, true); break;
	default: break;   /* META, TAIL: nothing to index */
	}
	return STORE_OK;
}

/* First record at or after sector lsn (up to last), or FIRST_NONE... as a
 * log offset; returns false if none. */
static bool next_first(struct store *s, uint32_t lsn, uint32_t last, uint64_t *pos)
{
	for (; lsn <= last; lsn++) {
		struct sector_hdr h;

		if (sector_read_hdr(s, lsn % s->sc, &h, HDR_OPEN))
			return false;
		if (h.open_ok && h.lsn == lsn && h.first != FIRST_NONE) {
			*pos = lo_make(s, lsn, h.first);
			return true;
		}
	}
	return false;
}

/* Is everything from lo to the end of its sector erased? */
static int rest_blank(struct store *s, uint64_t lo, bool *blank)
{
	uint8_t b[128];
	uint32_t off = lo_off(s, lo);

	*blank = true;
	while (off < s->ss && *blank) {
		uint32_t n = s->ss - off < sizeof(b) ? s->ss - off : (uint32_t)sizeof(b);

		if (s->f->read(s->f, lo_phys(s, lo_make(s, lo_lsn(s, lo), off)), b, n))
			return STORE_IO;
		*blank = mem_blank(b, n);
		off += n;
	}
	return STORE_OK;
}

/* Walk the log from the tail: replay every valid record, find the head.
 * A bad record in the last opened sector is the torn tail; elsewhere (an
 * abandoned torn tail of an earlier mount) the walk resumes at the next
 * sector's first record. */
static int mount_walk(struct store *s, uint32_t last, bool do_replay, uint64_t *first_rec)
{
	uint64_t pos;
	struct rec r;

	if (!next_first(s, s->tail, last, &pos)) {
		/* nothing but dead continuations: start afresh after them */
		s->head = lo_make(s, (last >= s->tail ? last : s->tail - 1u) + 1u, s->hdr);
		*first_rec = s->head;
		return STORE_OK;
	}
	*first_rec = pos;
	for (;;) {
		uint32_t lsn = lo_lsn(s, pos);
		int e;

		if (lsn > last) {
			s->head = pos;
			return STORE_OK;
		}
		/* A record boundary at or below the newest opened sector is in an
		 * opened sector: something was written there, and its sector's
		 * open header always goes first. */
		e = rec_read(s, pos, &r);
		if (e < 0)
			return e;
		if (e == 1) {
			if (do_replay && (e = replay(s, pos, &r)) != 0)
				return e;
			pos = lo_adv(s, pos, r.len);
			continue;
		}
		if (lsn < last) {
			if (!next_first(s, lsn + 1u, last, &pos)) {
				s->head = lo_make(s, last + 1u, s->hdr);
				return STORE_OK;
			}
			continue;
		}
		/* torn tail of the last sector: resume where the flash is blank */
		{
			bool blank = false;

			if (rest_blank(s, pos, &blank))
				return STORE_IO;
			s->head = blank ? pos : lo_make(s, lsn + 1u, s->hdr);
		}
		return STORE_OK;
	}
}

static void mount_finish(struct store *s)
{
	s->live_bytes = 0;
	s->live_msgs = 0;
	for (int k = 0; k < STORE_MAX_MAILBOXES; k++) {
		struct store_mbox *m = &s->mbox[k];

		if (m->state != MB_LIVE) {
			slot_reset(s, k);
			continue;
		}
		m->live = m->count;
		m->unseen = 0;
		for (uint32_t i = 0; i < m->count; i++) {
			const struct store_entry *x = entry_at(s, k, i);

			if (!(x->w & STORE_F_SEEN))
				m->unseen++;
			if (x->uid >= m->uidnext)
				m->uidnext = x->uid + 1u;
			if (x->w & EF_FLAGREC)
				s->live_bytes += small_len(s, FLAGS_BODY);
		}
		s->live_msgs += m->count;
		s->live_bytes += m->log_bytes + mbox_rec_len(s, k);
	}
	for (int i = 0; i < STORE_MAX_CFG; i++) {
		uint8_t b[SMALL_HDR];

		if (s->cfg[i].hash && !log_read(s, phys_lo(s, s->cfg[i].loc), b, SMALL_HDR))
			s->live_bytes += small_len(s, get16(b + 2));
	}
}

/* ---------------------------------------------------------------- life cycle */

static void store_clear(struct store *s)
{
	memset(s, 0, offsetof(struct store, ent));
}

int store_format(struct store *s, const struct flash_dev *f)
{
	int e;

	store_clear(s);
	e = log_geometry(s, f);
	if (e)
		return e;
	for (uint32_t p = 0; p < s->sc; p++) {
		struct sector_hdr h;

		if (sector_read_hdr(s, p, &h, HDR_ERASE))
			return STORE_IO;
		e = sector_erase(s, p, h.erase_ok ? h.erase_count + 1u : 1u);
		if (e)
			return e;
	}
	/* The first sector of the log: lsn 1, empty, counters at their start. */
	s->tail = 1;
	s->uidv_next = 1;
	s->modseq = 1;
	s->head = lo_make(s, 1, s->hdr);
	put32(s->scratch + SMALL_HDR, 1);
	e = rec_put_small(s, REC_TAIL, NO_SLOT, 4, NULL);
	if (!e)
		e = log_sync(s);
	store_clear(s);
	return e;
}

int store_mount(struct store *s, const struct flash_dev *f)
{
	uint32_t last = 0, tail = 0;
	uint64_t first;
	bool any = false;
	struct sector_hdr h;
	int e;

	store_clear(s);
	e = log_geometry(s, f);
	if (e)
		return e;
	/* Phase 1: open headers name the newest sector and a tail bound. */
	for (uint32_t p = 0; p < s->sc; p++) {
		if (sector_read_hdr(s, p, &h, HDR_OPEN))
			return STORE_IO;
		if (!h.open_ok || h.lsn % s->sc != p || h.lsn == 0)
			continue;
		if (!any || h.lsn > last)
			last = h.lsn;
		if (h.tail > tail)
			tail = h.tail;
		if (h.uidv_next > s->uidv_next)
			s->uidv_next = h.uidv_next;
		if (h.modseq > s->modseq)
			s->modseq = h.modseq;
		any = true;
	}
	if (!any || tail == 0 || tail > last + 1u || (tail <= last && last - tail >= s->sc))
		return STORE_CORRUPT;
	if (sector_read_hdr(s, last % s->sc, &h, HDR_ERASE) || !h.erase_ok)
		return STORE_CORRUPT;   /* another geometry, or not a store */
	s->erase_max = h.erase_count;   /* the estimate for sectors found dirty */
	/* Phase 2: TAIL records written since the newest sector was opened. */
	s->tail = tail;
	if (next_first(s, last, last, &first)) {
		struct rec r;

		for (uint64_t pos = first; lo_lsn(s, pos) == last;) {
			e = rec_read(s, pos, &r);
			if (e < 0)
				return e;
			if (e == 0)
				break;
			if (r.type == REC_TAIL && r.body == 4u) {
				uint32_t t = get32(s->scratch + SMALL_HDR);

				if (t > s->tail && t <= last + 1u)
					s->tail = t;
			}
			pos = lo_adv(s, pos, r.len);
		}
	}
	/* Phase 3: replay from the tail. */
	for (int k = 0; k < STORE_MAX_MAILBOXES; k++)
		s->mbox[k].start = 0;
	e = mount_walk(s, last, true, &first);
	if (e)
		return e;
	/* Refuse rather than drop what this build cannot hold: the collector
	 * would erase whatever the index does not know. */
	if (s->over_limits)
		return STORE_LIMIT;
	mount_finish(s);
	gc_reset(s, first);
	s->mounted = true;
	s->fj.floor = s->modseq;   /* what changed before the mount is unknown */
	return STORE_OK;
}

void store_unmount(struct store *s)
{
	if (s->mounted && !s->broken)
		(void)s->f->sync(s->f);
	s->mounted = false;
}

void store_get_stats(const struct store *s, struct store_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!s->mounted)
		return;
	st->flash_bytes = (uint64_t)s->ss * s->sc;
	{
		/* The largest message an append would accept (after collection):
		 * space_check() solved for the size. */
		uint64_t pl = log_payload(s);
		uint64_t avail = log_free(s) + store_reclaimable(s);
		uint64_t keep = 2u * (uint64_t)meta_len(s, STORE_META_MAX) + 3u * pl + s->pending_meta;
		uint64_t budget = avail > keep ? avail - keep : 0, len = 0, over = msg_len(s, 0) + s->unit;

		if (budget >= s->max_region)
			len = budget - s->max_region < s->max_region ? budget - s->max_region : s->max_region;
		if (budget / 2u > s->max_region)
			len = budget / 2u;
		st->free_bytes = len > over ? len - over : 0;
		st->capacity_bytes = s->live_bytes + budget;
	}
	st->live_bytes = s->live_bytes;
	st->dead_bytes = dead_bytes(s);
	st->messages = s->live_msgs;
	for (int k = 0; k < STORE_MAX_MAILBOXES; k++)
		st->mailboxes += s->mbox[k].state == MB_LIVE;
	st->prog_bytes = s->prog_bytes;
	st->erase_count = s->erase_count;
}

/* ---------------------------------------------------------------- mailboxes */

static int mb_lookup(struct store *s, const char *user, size_t ul, const char *name, size_t nl)
{
	for (int k = 0; k < STORE_MAX_MAILBOXES; k++)
		if (mb_is(&s->mbox[k], user, ul, name, nl))
			return k;
	return -1;
}

static int writable(struct store *s)
{
	if (!s->mounted)
		return STORE_INVAL;
	return s->broken ? STORE_IO : STORE_OK;
}

int store_mbox_create(struct store *s, const char *user, const char *name, uint32_t attrs,
		      store_mbox_t *out)
{
	size_t ul, nl;
	int k, e = writable(s);
	struct store_mbox *m;

	if (e)
		return e;
	if (!str_ok(user, STORE_USER_MAX, &ul) || !str_ok(name, STORE_NAME_MAX, &nl))
		return STORE_INVAL;
	if (mb_lookup(s, user, ul, name, nl) >= 0)
		return STORE_EXISTS;
	for (k = 0; k < STORE_MAX_MAILBOXES && s->mbox[k].state != MB_FREE; k++)
		;
	if (k == STORE_MAX_MAILBOXES)
		return STORE_LIMIT;
	e = space_check(s, small_len(s, MBOX_FIXED + (uint32_t)(ul + nl)), 0, SPACE_USER);
	if (e)
		return e;
	m = &s->mbox[k];
	{
		uint32_t start = m->start;

		memset(m, 0, sizeof(*m));
		m->start = start;
	}
	m->state = MB_LIVE;
	m->uidvalidity = s->uidv_next++;
	m->uidnext = 1;
	m->hms = s->modseq;
	m->attrs = attrs;
	m->user_len = (uint8_t)ul;
	m->name_len = (uint8_t)nl;
	memcpy(m->user, user, ul);
	memcpy(m->name, name, nl);
	e = mbox_write_rec(s, k, NULL);
	if (!e)
		e = log_sync(s);
	if (e) {
		m->state = MB_FREE;
		return e;
	}
	s->live_bytes += mbox_rec_len(s, k);
	if (out)
		*out = (store_mbox_t)k;
	return STORE_OK;
}

int store_mbox_find(struct store *s, const char *user, const char *name, store_mbox_t *out)
{
	size_t ul, nl;
	int k;

	if (!s->mounted)
		return STORE_INVAL;
	if (!str_ok(user, STORE_USER_MAX, &ul) || !str_ok(name, STORE_NAME_MAX, &nl))
		return STORE_INVAL;
	k = mb_lookup(s, user, ul, name, nl);
	if (k < 0)
		return STORE_NOENT;
	if (out)
		*out = (store_mbox_t)k;
	return STORE_OK;
}

int store_mbox_rename(struct store *s, const char *user, const char *from, const char *to)
{
	size_t ul, fl, tl;
	uint8_t *b = s->scratch + SMALL_HDR;
	int e = writable(s);

	if (e)
		return e;
	if (!str_ok(user, STORE_USER_MAX, &ul) || !str_ok(from, STORE_NAME_MAX, &fl) ||
	    !str_ok(to, STORE_NAME_MAX, &tl))
		return STORE_INVAL;
	if (mb_lookup(s, user, ul, from, fl) < 0)
		return STORE_NOENT;
	if (tl > fl && !memcmp(to, from, fl) && to[fl] == '/')
		return STORE_INVAL;   /* into its own subtree */
	if (tl == fl && !memcmp(to, from, fl))
		return STORE_EXISTS;
	/* every renamed name must fit and be free */
	for (int k = 0; k < STORE_MAX_MAILBOXES; k++) {
		const struct store_mbox *m = &s->mbox[k];
		char nn[STORE_NAME_MAX];
		size_t nl;

		if (m->state != MB_LIVE || m->user_len != ul || memcmp(m->user, user, ul) ||
		    m->name_len < fl || memcmp(m->name, from, fl) ||
		    (m->name_len > fl && m->name[fl] != '/'))
			continue;
		nl = tl + (m->name_len - fl);
		if (nl > STORE_NAME_MAX)
			return STORE_INVAL;
		memcpy(nn, to, tl);
		memcpy(nn + tl, m->name + fl, m->name_len - fl);
		if (mb_lookup(s, user, ul, nn, nl) >= 0)
			return STORE_EXISTS;
	}
	e = space_check(s, small_len(s, 3u + (uint32_t)(ul + fl + tl)), 0, SPACE_USER);
	if (e)
		return e;
	b[0] = (uint8_t)ul;
	b[1] = (uint8_t)fl;
	b[2] = (uint8_t)tl;
	memcpy(b + 3, user, ul);
	memcpy(b + 3 + ul, from, fl);
	memcpy(b + 3 + ul + fl, to, tl);
	e = rec_put_small(s, REC_RENAME, NO_SLOT, 3u + (uint32_t)(ul + fl + tl), NULL);
	if (!e)
		e = log_sync(s);
	if (e)
		return e;
	/* The old MBOX records now describe stale names; the live size changes by
	 * the name length difference, accounted when they are rewritten. */
	for (int k = 0; k < STORE_MAX_MAILBOXES; k++)
		if (s->mbox[k].state == MB_LIVE)
			s->live_bytes -= mbox_rec_len(s, k);
	(void)rename_apply(s, user, ul, from, fl, to, tl);   /* names checked above */
	for (int k = 0; k < STORE_MAX_MAILBOXES; k++)
		if (s->mbox[k].state == MB_LIVE)
			s->live_bytes += mbox_rec_len(s, k);
	return STORE_OK;
}

int store_mbox_delete(struct store *s, store_mbox_t mb)
{
	struct store_mbox *m = mb_get(s, mb);
	int e = writable(s);

	if (e)
		return e;
	if (!m)
		return STORE_NOENT;
	e = space_check(s, small_len(s, 4), 0, SPACE_FREEING);
	if (e)
		return e;
	put32(s->scratch + SMALL_HDR, m->uidvalidity);
	e = rec_put_small(s, REC_DELMBOX, (uint8_t)mb, 4, NULL);
	if (!e)
		e = log_sync(s);
	if (e)
		return e;
	for (uint32_t i = 0; i < m->count; i++) {
		const struct store_entry *x = entry_at(s, mb, i);

		if (!(x->w & EF_EXPUNGED)) {
			s->live_msgs--;
			if (x->w & EF_FLAGREC)
				s->live_bytes -= small_len(s, FLAGS_BODY);
		}
	}
	s->live_bytes -= m->log_bytes + mbox_rec_len(s, mb);
	s->gc_stuck = false;
	slot_reset(s, mb);
	return STORE_OK;
}

int store_mbox_set_attrs(struct store *s, store_mbox_t mb, uint32_t attrs)
{
	struct store_mbox *m = mb_get(s, mb);
	uint32_t old;
	int e = writable(s);

	if (e)
		return e;
	if (!m)
		return STORE_NOENT;
	if (m->attrs == attrs)
		return STORE_OK;
	e = space_check(s, mbox_rec_len(s, mb), 0, SPACE_USER);
	if (e)
		return e;
	old = m->attrs;
	m->attrs = attrs;
	e = mbox_write_rec(s, mb, NULL);
	if (!e)
		e = log_sync(s);
	if (e) {
		m->attrs = old;
		return e;
	}
	m->changes++;
	return STORE_OK;
}

int store_mbox_info(struct store *s, store_mbox_t mb, struct store_mbox_info *out)
{
	const struct store_mbox *m = mb_get(s, mb);

	if (!m)
		return STORE_NOENT;
	memset(out, 0, sizeof(*out));
	memcpy(out->user, m->user, m->user_len);
	memcpy(out->name, m->name, m->name_len);
	out->attrs = m->attrs;
	out->uidvalidity = m->uidvalidity;
	out->uidnext = m->uidnext;
	out->highestmodseq = m->hms;
	out->messages = m->live;
	out->unseen = m->unseen;
	out->size = m->size;
	out->changes = m->changes;
	return STORE_OK;
}

store_mbox_t store_mbox_next(struct store *s, const char *user, store_mbox_t prev)
{
	size_t ul = 0;

	if (!s->mounted || prev < -1 || (user && !str_ok(user, STORE_USER_MAX, &ul)))
		return -1;
	for (int k = prev + 1; k < STORE_MAX_MAILBOXES; k++) {
		const struct store_mbox *m = &s->mbox[k];

		if (m->state != MB_LIVE)
			continue;
		if (user && (m->user_len != ul || memcmp(m->user, user, ul)))
			continue;
		return (store_mbox_t)k;
	}
	return -1;
}

/* ---------------------------------------------------------------- keywords */

int store_kw_lookup(struct store *s, store_mbox_t mb, const char *kw, bool create)
{
	struct store_mbox *m = mb_get(s, mb);
	size_t len;
	int k, p, e;

	if (!m)
		return STORE_NOENT;
	if (!str_ok(kw, STORE_KEYWORD_MAX, &len))
		return STORE_INVAL;
	for (k = 0; k < STORE_MAX_KEYWORDS && m->kw[k]; k++) {
		const char *name = s->kw_pool[m->kw[k] - 1];

		if (strlen(name) == len && ieq(name, kw, len))
			return k;
	}
	if (!create)
		return STORE_NOENT;
	if ((e = writable(s)) != 0)
		return e;
	if (k == STORE_MAX_KEYWORDS)
		return STORE_LIMIT;
	p = pool_add(s, kw, len);
	if (p < 0)
		return STORE_LIMIT;
	e = space_check(s, mbox_rec_len(s, mb) + 1u + len, 0, SPACE_USER);
	if (e)
		return e;
	s->live_bytes -= mbox_rec_len(s, mb);
	m->kw[k] = (uint8_t)(p + 1);
	e = mbox_write_rec(s, mb, NULL);
	if (!e)
		e = log_sync(s);
	if (e) {
		m->kw[k] = 0;
		s->live_bytes += mbox_rec_len(s, mb);
		return e;
	}
	s->live_bytes += mbox_rec_len(s, mb);
	m->changes++;
	return k;
}

const char *store_kw_name(struct store *s, store_mbox_t mb, int idx)
{
	const struct store_mbox *m = mb_get(s, mb);

	if (!m || idx < 0 || idx >= STORE_MAX_KEYWORDS || !m->kw[idx])
		return NULL;
	return s->kw_pool[m->kw[idx] - 1];
}

/* ---------------------------------------------------------------- messages */

uint32_t store_msg_entries(struct store *s, store_mbox_t mb)
{
	const struct store_mbox *m = mb_get(s, mb);

	return m ? m->count : 0;
}

int store_msg_peek(struct store *s, store_mbox_t mb, uint32_t idx, struct store_msg *out)
{
	const struct store_mbox *m = mb_get(s, mb);
	const struct store_entry *x;

	if (!m)
		return STORE_NOENT;
	if (idx >= m->count)
		return STORE_INVAL;
	x = entry_at(s, mb, idx);
	out->uid = x->uid;
	out->expunged = (x->w & EF_EXPUNGED) != 0;
	out->flags = out->expunged ? 0 : x->w & STORE_F_SYSTEM_MASK;
	out->modseq = out->expunged ? ent_tomb_modseq(x) : 0;
	return STORE_OK;
}

int store_msg_flags(struct store *s, store_mbox_t mb, uint32_t idx, struct store_msg *out)
{
	int e = store_msg_peek(s, mb, idx, out);
	uint64_t ms;

	if (e != STORE_OK || out->expunged || !(entry_at(s, mb, idx)->w & EF_KW))
		return e;
	return ent_state(s, entry_at(s, mb, idx), &out->flags, &ms);
}

/* The RAM part, then keywords and modseq from the record the entry names. */
int store_msg_get(struct store *s, store_mbox_t mb, uint32_t idx, struct store_msg *out)
{
	int e = store_msg_peek(s, mb, idx, out);

	if (e != STORE_OK || out->expunged)
		return e;
	return ent_state(s, entry_at(s, mb, idx), &out->flags, &out->modseq);
}

int store_msg_find(struct store *s, store_mbox_t mb, uint32_t uid, uint32_t *idx, bool *exact)
{
	if (!mb_get(s, mb))
		return STORE_NOENT;
	return entry_find(s, mb, uid, idx, exact);
}

/* The message record of a non-expunged entry. */
static int live_msg(struct store *s, store_mbox_t mb, uint32_t idx, struct rec *r, uint64_t *lo)
{
	const struct store_mbox *m = mb_get(s, mb);
	uint32_t at;
	int e;

	if (!m)
		return STORE_NOENT;
	if (idx >= m->count)
		return STORE_INVAL;
	e = ent_msg(s, entry_at(s, mb, idx), r, &at);
	if (!e && lo)
		*lo = phys_lo(s, at);
	return e;
}

int store_msg_stat(struct store *s, store_mbox_t mb, uint32_t idx, struct store_msg_stat *out)
{
	struct rec r;
	int e = live_msg(s, mb, idx, &r, NULL);

	if (e)
		return e;
	out->size = r.size;
	out->internaldate = r.date;
	out->tz_minutes = r.tz;
	out->meta_len = r.meta_len;
	return STORE_OK;
}

int store_msg_read(struct store *s, store_mbox_t mb, uint32_t idx, uint32_t off, void *buf,
		   uint32_t len)
{
	struct rec r;
	uint64_t lo;
	int e = live_msg(s, mb, idx, &r, &lo);

	if (e)
		return e;
	if (off >= r.size)
		return 0;
	if (len > r.size - off)
		len = r.size - off;
	if (len > 0x7fffffffu)
		len = 0x7fffffffu;
	e = log_read(s, lo_adv(s, lo, s->region_hdr + (uint64_t)off), buf, len);
	return e ? e : (int)len;
}

int store_msg_meta_read(struct store *s, store_mbox_t mb, uint32_t idx, uint32_t off, void *buf,
			uint32_t len)
{
	struct rec r;
	int e = live_msg(s, mb, idx, &r, NULL);

	if (e)
		return e;
	if (off >= r.meta_len)
		return 0;
	if (len > r.meta_len - off)
		len = r.meta_len - off;
	e = log_read(s, lo_adv(s, phys_lo(s, r.meta_addr), round_up(META_HDR_LEN, s->unit) + (uint64_t)off),
		     buf, len);
	return e ? e : (int)len;
}

static int find_live(struct store *s, store_mbox_t mb, uint32_t uid, struct store_entry **x)
{
	uint32_t idx;
	bool exact;

	if (!mb_get(s, mb))
		return STORE_NOENT;
	entry_find(s, mb, uid, &idx, &exact);
	if (!exact || (entry_at(s, mb, idx)->w & EF_EXPUNGED))
		return STORE_NOENT;
	*x = entry_at(s, mb, idx);
	return STORE_OK;
}

/* Remember a flag change; the one it pushes out raises the floor. */
static void journal_add(struct store *s, store_mbox_t mb, uint32_t uid, uint64_t modseq)
{
	struct store_flag_journal *j = &s->fj;

	if (j->modseq[j->next] > j->floor)
		j->floor = j->modseq[j->next];
	j->uid[j->next] = uid;
	j->modseq[j->next] = (uint32_t)modseq;   /* the store's modseqs fit 31 bits */
	j->mb[j->next] = (uint8_t)mb;
	j->next = (uint8_t)((j->next + 1u) % STORE_FLAG_JOURNAL);
}

int store_msg_set_flags(struct store *s, store_mbox_t mb, uint32_t uid, uint32_t flags,
			uint64_t *modseq)
{
	struct store_entry *x;
	struct store_mbox *m;
	struct rec r;
	uint8_t *b = s->scratch + SMALL_HDR;
	uint64_t ms, at;
	uint32_t cur, mloc;
	int e = writable(s);

	if (e)
		return e;
	if ((e = find_live(s, mb, uid, &x)) != 0)
		return e;
	m = &s->mbox[mb];
	flags &= EF_API_MASK;
	if ((e = ent_state(s, x, &cur, &ms)) != 0)
		return e;
	if (cur == flags) {
		if (modseq)
			*modseq = ms;
		return STORE_OK;
	}
	if ((e = next_modseq(s, &ms)) != 0)
		return e;
	if ((e = ent_msg(s, x, &r, &mloc)) != 0)
		return e;
	e = space_check(s, small_len(s, FLAGS_BODY), 0, SPACE_USER);
	if (e)
		return e;
	put32(b, m->uidvalidity);
	put32(b + 4, uid);
	put32(b + 8, flags);
	put64(b + 12, ms);
	put32(b + 20, mloc);   /* the entry will point here: it must still find the message */
	e = rec_put_small(s, REC_FLAGS, (uint8_t)mb, FLAGS_BODY, &at);
	if (!e)
		e = log_sync(s);
	if (e)
		return e;
	s->modseq = ms;
	if (!(x->w & EF_FLAGREC))
		s->live_bytes += small_len(s, FLAGS_BODY);
	if ((cur & STORE_F_SEEN) && !(flags & STORE_F_SEEN))
		m->unseen++;
	if (!(cur & STORE_F_SEEN) && (flags & STORE_F_SEEN))
		m->unseen--;
	s->gc_stuck = false;
	x->w = ent_live_w(s, flags, lo_phys(s, at), true);
	m->hms = ms;
	m->changes++;
	journal_add(s, mb, uid, ms);
	if (modseq)
		*modseq = ms;
	return STORE_OK;
}

bool store_flags_changed_since(const struct store *s, store_mbox_t mb, uint32_t uid,
			       uint64_t since)
{
	const struct store_flag_journal *j = &s->fj;

	if (j->floor > since)
		return true;   /* the journal does not reach back that far: maybe */
	for (unsigned i = 0; i < STORE_FLAG_JOURNAL; i++)
		if (j->modseq[i] > since && j->uid[i] == uid && j->mb[i] == (uint8_t)mb)
			return true;
	return false;
}

int store_msg_expunge(struct store *s, store_mbox_t mb, uint32_t uid)
{
	struct store_entry *x;
	struct store_mbox *m;
	struct rec r;
	uint8_t *b = s->scratch + SMALL_HDR;
	uint64_t ms;
	int e = writable(s);

	if (e)
		return e;
	if ((e = find_live(s, mb, uid, &x)) != 0)
		return e;
	m = &s->mbox[mb];
	if ((e = next_modseq(s, &ms)) != 0)
		return e;
	if ((e = ent_msg(s, x, &r, NULL)) != 0)
		return e;
	e = space_check(s, small_len(s, EXPUNGE_BODY), 0, SPACE_FREEING);
	if (e)
		return e;
	put32(b, m->uidvalidity);
	put32(b + 4, uid);
	put64(b + 8, ms);
	e = rec_put_small(s, REC_EXPUNGE, (uint8_t)mb, EXPUNGE_BODY, NULL);
	if (!e)
		e = log_sync(s);
	if (e)
		return e;
	s->modseq = ms;
	if (x->w & EF_FLAGREC)
		s->live_bytes -= small_len(s, FLAGS_BODY);
	{
		uint64_t lb = r.len + (r.meta_len ? meta_len(s, r.meta_len) : 0);

		s->live_bytes -= lb;
		m->log_bytes -= lb;
	}
	if (!(x->w & STORE_F_SEEN))
		m->unseen--;
	m->live--;
	m->size -= r.size;
	s->live_msgs--;
	s->gc_stuck = false;
	x->w = ent_tomb_w(ms);
	m->hms = ms;
	m->changes++;
	return STORE_OK;
}

void store_mbox_purge(struct store *s, store_mbox_t mb, uint64_t upto)
{
	struct store_mbox *m = mb_get(s, mb);

	if (!m)
		return;
	for (uint32_t i = 0; i < m->count;) {
		const struct store_entry *x = entry_at(s, mb, i);

		if ((x->w & EF_EXPUNGED) && ent_tomb_modseq(x) <= upto)
			entry_remove_range(s, mb, i, 1);
		else
			i++;
	}
}

/* ---------------------------------------------------------------- appends */

static struct store_append *slot_alloc(struct store *s)
{
	for (int i = 0; i < STORE_MAX_APPENDS; i++)
		if (!s->app[i].state)
			return &s->app[i];
	return NULL;
}

/* Appends and copies in progress: each will need an index slot. */
static uint32_t active_appends(const struct store *s)
{
	uint32_t n = 0;

	for (int i = 0; i < STORE_MAX_APPENDS; i++)
		n += s->app[i].state != 0;
	return n;
}

static bool slot_valid(const struct store *s, const struct store_append *a)
{
	return a >= s->app && a < s->app + STORE_MAX_APPENDS + 1 && a->state;
}

/* Reserve a message record at the head and write its header. */
int msg_open(struct store *s, struct store_append *a, int mb, uint32_t size)
{
	uint8_t b[STORE_PROG_MAX];
	int e;

	if (!log_fits(s, s->head, msg_len(s, size)))
		return STORE_NOSPACE;
	memset(a, 0, sizeof(*a));
	a->mb = (uint8_t)mb;
	a->uidvalidity = s->mbox[mb].uidvalidity;
	a->size = size;
	a->len = msg_len(s, size);
	a->lo = s->head;
	a->wlo = lo_adv(s, a->lo, s->region_hdr);
	memset(b, 0xff, s->region_hdr);
	b[0] = REC_MSG;
	b[1] = (uint8_t)mb;
	b[2] = b[3] = 0;
	put32(b + 4, size);
	put32(b + 8, a->uidvalidity);
	put32(b + 12, crc32_update(0, b, 12));
	e = log_write(s, a->lo, b, s->region_hdr, a->lo, lo_adv(s, a->lo, a->len));
	if (e)
		return e;
	s->head = lo_adv(s, a->lo, a->len);
	s->pending_bytes += a->len;
	a->state = 1;
	return STORE_OK;
}

/* Give up a record being written: it stays on flash as dead bytes. */
void msg_drop(struct store *s, struct store_append *a)
{
	s->gc_stuck = false;
	s->pending_bytes -= a->len;
	if (a != &s->app[STORE_MAX_APPENDS])
		s->pending_meta -= meta_len(s, STORE_META_MAX);
	a->state = 0;
}

/* Feed data bytes; programs whole units, keeps a partial one staged. */
int msg_feed(struct store *s, struct store_append *a, const uint8_t *p, uint32_t n)
{
	uint64_t rs = a->lo, re = lo_adv(s, a->lo, a->len);
	int e;

	a->crc = crc32_update(a->crc, p, n);
	a->written += n;
	while (n) {
		if (a->staged || n < s->unit) {
			uint32_t c = s->unit - a->staged;

			if (c > n)
				c = n;
			memcpy(a->stage + a->staged, p, c);
			a->staged = (uint16_t)(a->staged + c);
			p += c;
			n -= c;
			if (a->staged == s->unit) {
				e = log_write(s, a->wlo, a->stage, s->unit, rs, re);
				if (e)
					return e;
				a->wlo = lo_adv(s, a->wlo, s->unit);
				a->staged = 0;
			}
			continue;
		}
		{
			uint32_t c = n - n % s->unit;

			e = log_write(s, a->wlo, p, c, rs, re);
			if (e)
				return e;
			a->wlo = lo_adv(s, a->wlo, c);
			p += c;
			n -= c;
		}
	}
	return STORE_OK;
}

/* Complete a message record: flush data, write the metadata record (from RAM
 * or, for copies, from flash at meta_src), then the commit block. The
 * commit block is what makes the message exist (see FORMAT.md). */
int msg_finish(struct store *s, struct store_append *a, const void *meta, uint32_t mlen,
	       uint32_t meta_src, uint32_t uid, uint32_t flags, uint64_t modseq)
{
	uint64_t rs = a->lo, re = lo_adv(s, a->lo, a->len), mlo = 0;
	uint32_t mcrc = 0;
	uint8_t b[STORE_PROG_MAX];
	int e;

	if (a->staged) {
		memset(a->stage + a->staged, 0xff, s->unit - a->staged);
		e = log_write(s, a->wlo, a->stage, s->unit, rs, re);
		if (e)
			return e;
		a->wlo = lo_adv(s, a->wlo, s->unit);
		a->staged = 0;
	}
	if (mlen) {
		uint32_t hl = round_up(META_HDR_LEN, s->unit), ml = meta_len(s, mlen), done = 0;
		uint64_t mre, w;
		uint64_t src = meta_src ? lo_adv(s, phys_lo(s, meta_src), hl) : 0;

		mlo = s->head;
		mre = lo_adv(s, mlo, ml);
		memset(b, 0xff, hl);
		b[0] = REC_META;
		b[1] = a->mb;
		b[2] = b[3] = 0;
		put32(b + 4, mlen);
		put32(b + 8, a->uidvalidity);
		put32(b + 12, uid);
		put32(b + 16, crc32_update(0, b, 16));
		e = log_write(s, mlo, b, hl, mlo, mre);
		if (e)
			return e;
		s->head = mre;
		w = lo_adv(s, mlo, hl);
		while (done < mlen) {
			uint32_t c = mlen - done, pad;

			if (c > STORE_SCRATCH)
				c = STORE_SCRATCH;
			if (meta_src) {
				e = log_read(s, lo_adv(s, src, done), s->scratch, c);
				if (e)
					return e;
			} else {
				memcpy(s->scratch, (const uint8_t *)meta + done, c);
			}
			mcrc = crc32_update(mcrc, s->scratch, c);
			pad = round_up(c, s->unit);
			memset(s->scratch + c, 0xff, pad - c);
			e = log_write(s, w, s->scratch, pad, mlo, mre);
			if (e)
				return e;
			w = lo_adv(s, w, pad);
			done += c;
		}
	}
	memset(b, 0xff, s->commit_len);
	b[0] = REC_COMMIT;
	b[1] = a->mb;
	b[2] = b[3] = 0;
	put32(b + 4, uid);
	put32(b + 8, flags & EF_API_MASK);
	put64(b + 12, modseq);
	put64(b + 20, (uint64_t)a->date);
	put16(b + 28, (uint16_t)a->tz);
	b[30] = b[31] = 0;
	put32(b + 32, a->crc);
	put32(b + 36, mlen ? lo_phys(s, mlo) : 0);
	put32(b + 40, mlen);
	put32(b + 44, mcrc);
	/* Binds the block to this record: a stale block left in a sector that
	 * an interrupted erase did not clear cannot pass for ours. */
	put32(b + 48, lo_lsn(s, a->lo));
	put32(b + 52, crc32_update(0, b, 52));
	e = log_write(s, a->wlo, b, s->commit_len, rs, re);
	if (e)
		return e;
	return log_sync(s);
}

int store_append_begin(struct store *s, store_mbox_t mb, uint32_t size, int64_t internaldate,
		       int16_t tz_minutes, uint32_t flags, struct store_append **out)
{
	struct store_append *a;
	uint64_t ms;
	int e = writable(s);

	if (e)
		return e;
	if (!mb_get(s, mb))
		return STORE_NOENT;
	if (size > 0x7ffffff0u)
		return STORE_NOSPACE;
	if (!(a = slot_alloc(s)))
		return STORE_BUSY;
	if (s->entries + active_appends(s) >= STORE_MAX_MESSAGES)
		return STORE_LIMIT;
	if ((e = next_modseq(s, &ms)) != 0)
		return e;
	e = space_check(s, msg_len(s, size) + (uint64_t)meta_len(s, STORE_META_MAX), msg_len(s, size),
			SPACE_USER);
	if (e)
		return e;
	e = msg_open(s, a, mb, size);
	if (e)
		return e;
	s->pending_meta += meta_len(s, STORE_META_MAX);
	a->date = internaldate;
	a->tz = tz_minutes;
	a->flags = flags & EF_API_MASK;
	*out = a;
	return STORE_OK;
}

int store_append_write(struct store *s, struct store_append *a, const void *buf, uint32_t len)
{
	int e = writable(s);

	if (e)
		return e;
	if (!slot_valid(s, a) || a == &s->app[STORE_MAX_APPENDS] || (!buf && len))
		return STORE_INVAL;
	if (len > a->size - a->written)
		return STORE_INVAL;
	if (len > APPEND_SLICE)
		len = APPEND_SLICE;
	if (!len)
		return STORE_INVAL;
	e = msg_feed(s, a, buf, len);
	return e ? e : (int)len;
}

/* Enter a committed record into the index (uid is the mailbox's next). */
static int msg_index(struct store *s, struct store_append *a, uint32_t uid, uint64_t modseq,
		     uint32_t mlen)
{
	struct store_mbox *m = &s->mbox[a->mb];
	struct store_entry x = { uid, ent_live_w(s, a->flags, lo_phys(s, a->lo), false) };
	uint64_t lb = a->len + (mlen ? meta_len(s, mlen) : 0);
	int e = entry_insert(s, a->mb, m->count, &x);

	if (e)
		return e;
	s->modseq = modseq;
	m->uidnext = uid + 1u;
	m->hms = modseq;
	m->live++;
	if (!(a->flags & STORE_F_SEEN))
		m->unseen++;
	m->size += a->size;
	m->log_bytes += lb;
	m->changes++;
	s->live_msgs++;
	s->live_bytes += lb;
	if (a->len > s->max_region)
		s->max_region = (uint32_t)a->len;
	return STORE_OK;
}

int store_append_commit(struct store *s, struct store_append *a, const void *meta,
			uint32_t mlen, uint32_t *uid)
{
	struct store_mbox *m;
	uint64_t ms;
	uint32_t u;
	int e = writable(s);

	if (e)
		return e;
	if (!slot_valid(s, a) || a == &s->app[STORE_MAX_APPENDS] || a->written != a->size ||
	    mlen > STORE_META_MAX || (mlen && !meta))
		return STORE_INVAL;
	m = &s->mbox[a->mb];
	if (m->state != MB_LIVE || m->uidvalidity != a->uidvalidity || s->entries >= STORE_MAX_MESSAGES) {
		e = m->state != MB_LIVE || m->uidvalidity != a->uidvalidity ? STORE_NOENT : STORE_LIMIT;
		msg_drop(s, a);
		return e;
	}
	if ((e = next_modseq(s, &ms)) != 0) {
		msg_drop(s, a);
		return e;
	}
	u = m->uidnext;
	e = msg_finish(s, a, meta, mlen, 0, u, a->flags, ms);
	msg_drop(s, a);
	if (e)
		return e;
	e = msg_index(s, a, u, ms, mlen);
	if (e)
		return e;
	if (uid)
		*uid = u;
	return STORE_OK;
}

void store_append_abort(struct store *s, struct store_append *a)
{
	if (slot_valid(s, a) && a != &s->app[STORE_MAX_APPENDS])
		msg_drop(s, a);
}

/* ---------------------------------------------------------------- copy */

enum { CP_IDLE = 0, CP_DATA = 1 };

void store_msg_copy_abort(struct store *s, struct store_copy *st)
{
	if (st->state[0] == CP_DATA && st->slot && slot_valid(s, st->slot))
		msg_drop(s, st->slot);
	memset(st, 0, sizeof(*st));
}

int store_msg_copy(struct store *s, struct store_copy *st, store_mbox_t src, uint32_t uid,
		   store_mbox_t dst, uint32_t *new_uid)
{
	struct store_entry *x;
	struct store_append *a;
	struct rec r;
	uint64_t lo;
	uint32_t at;
	int e = writable(s);

	if (e)
		return e;
	if ((e = find_live(s, src, uid, &x)) != 0 || !mb_get(s, dst)) {
		store_msg_copy_abort(s, st);
		return e ? e : STORE_NOENT;
	}
	if ((e = ent_msg(s, x, &r, &at)) != 0) {
		store_msg_copy_abort(s, st);
		return e;
	}
	lo = phys_lo(s, at);
	if (st->state[0] == CP_IDLE) {
		struct store_append *out;
		uint32_t flags;
		uint64_t ms;

		if ((e = ent_state(s, x, &flags, &ms)) != 0)
			return e;
		e = store_append_begin(s, dst, r.size, r.date, r.tz, flags, &out);
		if (e)
			return e;
		st->state[0] = CP_DATA;
		st->state[1] = 0;
		st->state[2] = s->mbox[dst].uidvalidity;
		st->slot = out;
	}
	a = st->slot;
	if (!slot_valid(s, a) || a->uidvalidity != st->state[2] || s->mbox[dst].uidvalidity != st->state[2]) {
		store_msg_copy_abort(s, st);
		return STORE_NOENT;
	}
	if (a->written < a->size) {
		uint32_t n = a->size - a->written, done = 0;

		if (n > COPY_SLICE)
			n = COPY_SLICE;
		while (done < n) {
			uint32_t c = n - done > STORE_SCRATCH ? STORE_SCRATCH : n - done;

			e = log_read(s, lo_adv(s, lo, s->region_hdr + (uint64_t)a->written), s->scratch, c);
			if (!e)
				e = msg_feed(s, a, s->scratch, c);
			if (e) {
				store_msg_copy_abort(s, st);
				return e;
			}
			done += c;
		}
		if (a->written < a->size)
			return STORE_AGAIN;
	}
	{
		struct store_mbox *m = &s->mbox[a->mb];
		uint64_t ms;
		uint32_t u = m->uidnext;

		if (s->entries >= STORE_MAX_MESSAGES)
			e = STORE_LIMIT;
		else
			e = next_modseq(s, &ms);
		if (!e)
			e = msg_finish(s, a, NULL, r.meta_len, r.meta_len ? r.meta_addr : 0, u, a->flags, ms);
		msg_drop(s, a);
		if (!e)
			e = msg_index(s, a, u, ms, r.meta_len);
		memset(st, 0, sizeof(*st));
		if (e)
			return e;
		if (new_uid)
			*new_uid = u;
	}
	return STORE_OK;
}

/* ---------------------------------------------------------------- config */

/* Index of key's slot, or -1. Uses the scratch buffer. */
uint32_t cfg_hash(const char *key, size_t kl)
{
	return fnv1a(key, kl);
}

int cfg_find(struct store *s, const char *key, size_t kl, uint32_t hash)
{
	for (int i = 0; i < STORE_MAX_CFG; i++) {
		uint8_t b[SMALL_HDR + 1u + STORE_CFG_KEY_MAX];

		if (s->cfg[i].hash != hash)
			continue;
		if (log_read(s, phys_lo(s, s->cfg[i].loc), b, SMALL_HDR + 3u + (uint32_t)kl))
			continue;
		if (b[SMALL_HDR] == kl && !memcmp(b + SMALL_HDR + 3u, key, kl))
			return i;
	}
	return -1;
}

static int cfg_rec_len(struct store *s, int i, uint32_t *len)
{
	uint8_t b[SMALL_HDR];

	if (log_read(s, phys_lo(s, s->cfg[i].loc), b, SMALL_HDR))
		return STORE_IO;
	*len = small_len(s, get16(b + 2));
	return STORE_OK;
}

int store_cfg_put(struct store *s, const char *key, const void *val, uint32_t len)
{
	uint8_t *b = s->scratch + SMALL_HDR;
	size_t kl;
	uint32_t h, old = 0, body;
	uint64_t at;
	int i, e = writable(s);

	if (e)
		return e;
	if (!str_ok(key, STORE_CFG_KEY_MAX, &kl) || len > STORE_CFG_VAL_MAX || (len && !val))
		return STORE_INVAL;
	h = fnv1a(key, kl);
	i = cfg_find(s, key, kl, h);
	if (i < 0) {
		for (i = 0; i < STORE_MAX_CFG && s->cfg[i].hash; i++)
			;
		if (i == STORE_MAX_CFG)
			return STORE_LIMIT;
	} else if ((e = cfg_rec_len(s, i, &old)) != 0) {
		return e;
	}
	body = 3u + (uint32_t)kl + len;
	e = space_check(s, small_len(s, body), 0, SPACE_USER);
	if (e)
		return e;
	b[0] = (uint8_t)kl;
	put16(b + 1, (uint16_t)len);
	memcpy(b + 3, key, kl);
	if (len)
		memcpy(b + 3 + kl, val, len);
	e = rec_put_small(s, REC_CFG, NO_SLOT, body, &at);
	if (!e)
		e = log_sync(s);
	if (e)
		return e;
	s->cfg[i].hash = h;
	s->cfg[i].loc = lo_phys(s, at);
	s->live_bytes += small_len(s, body);
	s->live_bytes -= old;
	s->gc_stuck = false;
	return STORE_OK;
}

int store_cfg_get(struct store *s, const char *key, void *buf, uint32_t cap)
{
	size_t kl;
	struct rec r;
	int i, e;
	uint32_t vl;

	if (!s->mounted)
		return STORE_INVAL;
	if (!str_ok(key, STORE_CFG_KEY_MAX, &kl) || (cap && !buf))
		return STORE_INVAL;
	i = cfg_find(s, key, kl, fnv1a(key, kl));
	if (i < 0)
		return STORE_NOENT;
	e = rec_read(s, phys_lo(s, s->cfg[i].loc), &r);
	if (e < 0)
		return e;
	if (e == 0 || r.type != REC_CFG)
		return STORE_CORRUPT;
	vl = get16(s->scratch + SMALL_HDR + 1);
	if (cap)
		memcpy(buf, s->scratch + SMALL_HDR + 3 + kl, vl < cap ? vl : cap);
	return (int)vl;
}

int store_cfg_del(struct store *s, const char *key)
{
	size_t kl;
	uint32_t old;
	int i, e = writable(s);

	if (e)
		return e;
	if (!str_ok(key, STORE_CFG_KEY_MAX, &kl))
		return STORE_INVAL;
	i = cfg_find(s, key, kl, fnv1a(key, kl));
	if (i < 0)
		return STORE_NOENT;
	if ((e = cfg_rec_len(s, i, &old)) != 0)
		return e;
	e = space_check(s, small_len(s, 1u + (uint32_t)kl), 0, SPACE_FREEING);
	if (e)
		return e;
	s->scratch[SMALL_HDR] = (uint8_t)kl;
	memcpy(s->scratch + SMALL_HDR + 1, key, kl);
	e = rec_put_small(s, REC_CFGDEL, NO_SLOT, 1u + (uint32_t)kl, NULL);
	if (!e)
		e = log_sync(s);
	if (e)
		return e;
	s->cfg[i].hash = 0;
	s->live_bytes -= old;
	s->gc_stuck = false;
	return STORE_OK;
}

int store_cfg_next(struct store *s, const char *prefix, uint32_t *cursor,
		   char key[STORE_CFG_KEY_MAX + 1])
{
	size_t pl = prefix ? bounded_len(prefix, STORE_CFG_KEY_MAX + 1u) : 0;

	if (!s->mounted || !cursor)
		return STORE_INVAL;
	for (uint32_t i = *cursor; i < STORE_MAX_CFG; i++) {
		uint8_t b[SMALL_HDR + 3u + STORE_CFG_KEY_MAX];
		uint32_t kl;

		if (!s->cfg[i].hash)
			continue;
		if (log_read(s, phys_lo(s, s->cfg[i].loc), b, sizeof(b)))
			return STORE_IO;
		kl = b[SMALL_HDR];
		if (kl > STORE_CFG_KEY_MAX || kl < pl || (pl && memcmp(b + SMALL_HDR + 3, prefix, pl)))
			continue;
		memcpy(key, b + SMALL_HDR + 3, kl);
		key[kl] = 0;
		*cursor = i + 1u;
		return 1;
	}
	*cursor = STORE_MAX_CFG;
	return 0;
}
