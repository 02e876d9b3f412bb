/*
 * imap_cmd_store.c - STORE and UID STORE (RFC 3501 6.4.6): FLAGS, +FLAGS,
 * -FLAGS, with .SILENT; system flags and keywords.
 *
 * Keywords are created in the mailbox's table before any message changes, so
 * a full table answers NO [LIMIT] without having touched a message. Messages
 * are changed in slices of IMAPD_STORE_SLICE flag writes. The session reports
 * its own changes itself (or, with .SILENT, not at all) and tells its view
 * so, so the update sync does not announce them a second time.
 */
#include <string.h>
#include <strings.h>

#include "imap_cmds.h"
#include "imap_acl.h"
#include "imap_internal.h"
#include "imap_msgset.h"

#ifndef IMAPD_STORE_SLICE
#define IMAPD_STORE_SLICE 1    /* flag writes per slice: each is a durable flash program */
#endif

enum { MODE_SET, MODE_ADD, MODE_REMOVE };
enum { PH_KEYWORDS, PH_MESSAGES };

static const char *const sys_flags[] = { "\\Seen", "\\Answered", "\\Flagged", "\\Deleted",
					 "\\Draft" };

/* Parse one flag into *bits; keywords are looked up (and for FLAGS/+FLAGS
 * created) only if apply: the first pass over the list checks everything
 * that can fail, so that a refused command creates no keyword. Returns 0,
 * or a STORE_* error / 1 for a syntax error. */
static int flag_bits(struct imap_session *s, const struct imap_str *f, int mode, uint32_t *bits,
		     bool *created, bool apply)
{
	if (f->s[0] == '\\') {
		for (int i = 0; i < 5; i++)
			if (strlen(sys_flags[i]) == f->len && strncasecmp(sys_flags[i], f->s, f->len) == 0) {
				*bits |= 1u << i;
				return 0;
			}
		s->p.err = "Invalid system flag";
		return 1;
	}
	if (f->len > STORE_KEYWORD_MAX)
		return STORE_LIMIT;
	if (!apply)
		return 0;
	char kw[STORE_KEYWORD_MAX + 1];
	memcpy(kw, f->s, f->len);
	kw[f->len] = '\0';
	struct store *st = imap_store(s);
	int k = store_kw_lookup(st, s->v.mb, kw, false);
	/* only a user who may set keywords ('w') may add one to the mailbox */
	if (k < 0 && mode != MODE_REMOVE && (s->v.rights & ACL_W)) {
		k = store_kw_lookup(st, s->v.mb, kw, true);
		if (k < 0)
			return k;
		*created = true;
	}
	if (k >= 0 && k < STORE_MAX_KEYWORDS)
		*bits |= STORE_F_KEYWORD(k);
	return 0;
}

static int store_step(struct imap_session *s);

/* The MODIFIED set must fit the completion line with any tag: */
#define MODIFIED_TEXT_MAX 200
_Static_assert(IMAPD_TAG_MAX + MODIFIED_TEXT_MAX + 48 <= IMAP_DONE_LINE_MAX,
	       "a [MODIFIED] set must fit the completion line");

static int store_done(struct imap_session *s)
{
	struct imap_store_state *c = &s->u.store;
	char set[MODIFIED_TEXT_MAX];
	if (c->modified.n && !imap_runs_text(&c->modified, set, sizeof(set))) {
		/* every change made was reported with its MODSEQ: the client knows them */
		imap_tagged(s, "NO", "[LIMIT] Too many messages failed UNCHANGEDSINCE to list them");
		return IMAP_DONE;
	}
	if (!c->modified.n) {
		imap_tagged(s, "OK", "STORE completed");
		return IMAP_DONE;
	}
	imap_tagged(s, "OK", "[MODIFIED %s] Conditional STORE failed", set);
	return IMAP_DONE;
}

int imap_cmd_store(struct imap_session *s)
{
	struct imap_store_state *c = &s->u.store;
	struct imap_parser *p = &s->p;
	struct imap_seqset set;
	struct imap_str f;
	memset(c, 0, sizeof(*c));
	if (!imap_p_sp(p) || !imap_p_seqset(p, &set) || !imap_p_sp(p))
		return imap_bad_syntax(s);
	if (imap_p_char(p, '(')) {
		/* store-modifiers (RFC 4466): "(UNCHANGEDSINCE n)", RFC 7162 3.1.3 */
		if (!imap_p_keyword(p, "UNCHANGEDSINCE") || !imap_p_sp(p) ||
		    !imap_p_number64(p, &c->unchangedsince) || c->unchangedsince > INT64_MAX ||
		    !imap_p_char(p, ')') || !imap_p_sp(p)) {
			imap_tagged(s, "BAD", "Invalid STORE modifier (only UNCHANGEDSINCE is known)");
			return IMAP_DONE;
		}
		c->unchanged_test = true;
		imap_condstore_enable(s);
	}
	c->mode = imap_p_char(p, '+') ? MODE_ADD : imap_p_char(p, '-') ? MODE_REMOVE : MODE_SET;
	if (imap_p_keyword(p, "FLAGS.SILENT"))
		c->silent = true;
	else if (!imap_p_keyword(p, "FLAGS")) {
		imap_tagged(s, "BAD", "Expected FLAGS, +FLAGS or -FLAGS");
		return IMAP_DONE;
	}
	if (!imap_p_sp(p))
		return imap_bad_syntax(s);
	if (s->v.readonly) {
		imap_tagged(s, "NO", "[READ-ONLY] Mailbox is read-only");
		return IMAP_DONE;
	}
	bool list = imap_p_char(p, '(');
	bool created = false;
	const struct imap_parser flags_at = *p;
	if (!list || !imap_p_peek(p, ')')) {
		do {
			if (!imap_p_flag(p, &f))
				return imap_bad_syntax(s);
			int r = flag_bits(s, &f, c->mode, &c->bits, &created, false);
			if (r == 1)
				return imap_bad_syntax(s);
			if (r == STORE_LIMIT) {
				imap_tagged(s, "NO", "[LIMIT] Too many keywords in this mailbox");
				return IMAP_DONE;
			}
		} while (imap_p_char(p, ' '));
	}
	if (list && !imap_p_char(p, ')')) {
		imap_tagged(s, "BAD", "Expected ')' after flags");
		return IMAP_DONE;
	}
	if (!imap_p_end(p)) {
		imap_tagged(s, "BAD", "Unexpected characters after flags");
		return IMAP_DONE;
	}
	if (!s->uid_cmd && !imap_msgset_check(s, &set)) {
		imap_tagged(s, "BAD", "Invalid message sequence number");
		return IMAP_DONE;
	}
	/* second pass: the command is sound; look up (and create) keywords */
	struct imap_parser fp = flags_at;
	struct store_mbox_info info;
	uint32_t changes_before =
		store_mbox_info(imap_store(s), s->v.mb, &info) == STORE_OK ? info.changes : 0;
	if (!list || !imap_p_peek(&fp, ')')) {
		do {
			(void)imap_p_flag(&fp, &f);
			int r = flag_bits(s, &f, c->mode, &c->bits, &created, true);
			if (r == STORE_LIMIT) {
				imap_tagged(s, "NO", "[LIMIT] Too many keywords in this mailbox");
				return IMAP_DONE;
			}
			if (r < 0) {
				imap_tagged_store_err(s, r, "STORE");
				return IMAP_DONE;
			}
		} while (imap_p_char(&fp, ' '));
	}
	/* RFC 4314 4: \Seen needs 's', \Deleted 't', every other flag 'w'.
	 * Flags the user may not change are left alone; nothing at all to
	 * change is an error. */
	c->allowed = imap_acl_flag_mask(s->v.rights);
	if (c->mode == MODE_SET ? c->allowed == 0 : (c->bits && !(c->bits & c->allowed))) {
		imap_tagged(s, "NO", "[NOPERM] Permission denied");
		return IMAP_DONE;
	}
	imap_msgset_init(&c->walk, &set, s->uid_cmd);
	/* a new keyword (ours, or another session's that this one has not been
	 * told of) changes FLAGS and PERMANENTFLAGS (RFC 3501 7.2.6) */
	c->phase = PH_KEYWORDS;
	if (created)   /* ours, and announced by that FLAGS: not news to the view */
		imap_view_own_change(s, changes_before, 0);
	s->step = store_step;
	return IMAP_MORE;
}

static int store_step(struct imap_session *s)
{
	struct imap_store_state *c = &s->u.store;
	struct store *st = imap_store(s);
	if (c->phase == PH_KEYWORDS) {
		if (!imap_view_kw_tell(s))
			return IMAP_MORE;
		c->phase = PH_MESSAGES;   /* the loop below checks room before each message */
	}
	for (int writes = 0; writes < IMAPD_STORE_SLICE; writes++) {
		struct imap_msgset_msg m;
		struct store_msg e;
		if (imap_out_room(s) < IMAP_FLAG_LINE_MAX)
			return IMAP_MORE;
		if (!imap_msgset_next(s, &c->walk, &m))
			return store_done(s);
		if (store_msg_get(st, s->v.mb, m.idx, &e) != STORE_OK || e.expunged)
			continue;   /* expunged by another session: nothing to change */
		if (c->unchanged_test && e.modseq > c->unchangedsince) {
			(void)imap_runs_add(&c->modified, s->uid_cmd ? e.uid : m.seq, false);
			continue;
		}
		uint32_t ok = c->bits & c->allowed;
		uint32_t nf = c->mode == MODE_SET   ? (e.flags & ~c->allowed) | ok
			      : c->mode == MODE_ADD ? e.flags | ok
						    : e.flags & ~ok;
		uint64_t modseq = e.modseq;
		if (nf != e.flags) {
			struct store_mbox_info info;
			uint32_t before = store_mbox_info(st, s->v.mb, &info) == STORE_OK ? info.changes : 0;
			int r = store_msg_set_flags(st, s->v.mb, e.uid, nf, &modseq);
			if (r == STORE_AGAIN) {
				imap_msgset_again(&c->walk, &m);
				return IMAP_AGAIN;
			}
			if (r != STORE_OK) {
				imap_tagged_store_err(s, r, "STORE");
				return IMAP_DONE;
			}
			imap_view_own_change(s, before, modseq);
		}
		/* with CONDSTORE, even .SILENT reports a new MODSEQ (RFC 7162 3.1.3) */
		bool quiet_modseq = c->silent && s->condstore && nf != e.flags;
		if (c->silent && !quiet_modseq)
			continue;
		imap_printf(s, "* %lu FETCH (", (unsigned long)m.seq);
		if (s->uid_cmd || s->condstore)   /* a MODSEQ is cached by UID */
			imap_printf(s, "UID %lu ", (unsigned long)e.uid);
		if (s->condstore)
			imap_printf(s, "MODSEQ (%llu)%s", (unsigned long long)modseq,
				    quiet_modseq ? "" : " ");
		if (!quiet_modseq) {
			imap_out_str(s, "FLAGS ");
			imap_out_flags(s, nf, imap_view_is_recent(s, e.uid));
		}
		imap_out_str(s, ")\r\n");
	}
	return IMAP_MORE;
}
