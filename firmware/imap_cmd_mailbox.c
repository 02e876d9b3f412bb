/*
 * imap_cmd_mailbox.c - mailbox commands: SELECT, EXAMINE, CREATE (with
 * CREATE-SPECIAL-USE, RFC 6154), DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE,
 * STATUS, CHECK, CLOSE, UNSELECT (RFC 3691).
 */
#include <string.h>
#include <strings.h>

#include "imap_acl.h"
#include "imap_cmds.h"
#include "imap_internal.h"
#include "imap_mailbox.h"
#include "port.h"

#define NAME_CAP (IMAP_VNAME_MAX * 4 + 1)

/* Parse one mailbox argument into a validated UTF-8 name. On failure the
 * tagged BAD has been set and false is returned. */
static bool arg_mailbox(struct imap_session *s, char *name)
{
	struct imap_str a;
	const char *why;
	if (!imap_p_sp(&s->p) || !imap_p_astring(&s->p, &a)) {
		imap_bad_syntax(s);
		return false;
	}
	if (!imap_mailbox_name(s, &a, name, NAME_CAP, &why)) {
		imap_tagged(s, "NO", "[CANNOT] %s", why);
		return false;
	}
	/* A trailing delimiter only declares the intent to create children
	 * (RFC 3501 6.3.3); no name ends in one, so "box/" is "box" for every
	 * command, not just CREATE. */
	size_t len = strlen(name);
	if (len > 1 && name[len - 1] == '/')
		name[len - 1] = '\0';
	return true;
}

/* name is the namespace prefix ("Shared/") without its "/" */
static bool is_ns_root(const char *name, const char *prefix)
{
	size_t n = strlen(prefix) - 1;
	return strlen(name) == n && strncmp(name, prefix, n) == 0;
}

/* A name to create (CREATE, RENAME's target). Answers NO and returns false
 * if the name may not be created. */
static bool new_name(struct imap_session *s, char *name)
{
	const char *why = imap_mbox_name_check(name);
	/* a personal "Shared" or "Other Users" would hide the namespace of that
	 * name (its mailboxes listed under a mailbox with no children) */
	if (!why && (is_ns_root(name, IMAP_NS_OTHER) || is_ns_root(name, IMAP_NS_SHARED)))
		why = "The name of a namespace (see NAMESPACE)";
	if (why)
		imap_tagged(s, "NO", "[CANNOT] %s", why);
	return why == NULL;
}

/* ---- SELECT / EXAMINE ---- */

/* Look up a mailbox the session wants to read (SELECT, EXAMINE, STATUS):
 * answers NO and returns false when it is missing, \Noselect or not
 * readable. */
static bool find_readable(struct imap_session *s, const char *name, store_mbox_t *mb,
			  uint32_t *rights)
{
	struct store_mbox_info info;
	if (imap_mbox_find(s, name, mb) != STORE_OK ||
	    store_mbox_info(imap_store(s), *mb, &info) != STORE_OK) {
		imap_tagged(s, "NO", "[NONEXISTENT] Mailbox doesn't exist: %s", name);
		return false;
	}
	if (info.attrs & STORE_MB_NOSELECT) {
		imap_tagged(s, "NO", "[CANNOT] Mailbox is not selectable");
		return false;
	}
	*rights = imap_mbox_rights(s, *mb);
	if (!(*rights & ACL_R)) {
		imap_tagged(s, "NO", "[NOPERM] Permission denied");
		return false;
	}
	return true;
}

static int select_done(struct imap_session *s)
{
	imap_tagged(s, "OK", "[%s] %s completed", s->v.readonly ? "READ-ONLY" : "READ-WRITE",
		    s->u.select.examine ? "EXAMINE" : "SELECT");
	return IMAP_DONE;
}

/* QRESYNC, second part: flags of every message changed since the client's
 * mod-sequence (within its known UIDs), sequence numbers of the new view. */
static int select_qr_fetch(struct imap_session *s)
{
	struct imap_select_state *q = &s->u.select;
	struct store *st = imap_store(s);
	for (unsigned budget = 256; q->qr_seq < s->v.exists; budget--) {
		uint32_t idx;
		struct store_msg m;
		if (budget == 0 || imap_out_room(s) < IMAP_FLAG_LINE_MAX)
			return IMAP_MORE;
		q->qr_seq++;
		if (!imap_view_seq_to_idx(s, q->qr_seq, &idx) ||
		    store_msg_get(st, s->v.mb, idx, &m) != STORE_OK || m.expunged ||
		    m.modseq <= q->qr_modseq ||
		    (q->qr_known && !imap_seqset_contains(&q->qr_uids, m.uid, imap_view_uid_max(s))))
			continue;
		imap_printf(s, "* %lu FETCH (UID %lu FLAGS ", (unsigned long)q->qr_seq,
			    (unsigned long)m.uid);
		imap_out_flags(s, m.flags, imap_view_is_recent(s, m.uid));
		imap_printf(s, " MODSEQ (%llu))\r\n", (unsigned long long)m.modseq);
	}
	return select_done(s);
}

/* QRESYNC, first part: VANISHED (EARLIER), imap_vanished.h. */
static int select_qr_vanished(struct imap_session *s)
{
	if (imap_vanished_step(s, &s->u.select.van) == IMAP_MORE)
		return IMAP_MORE;
	s->u.select.qr_seq = 0;
	s->step = select_qr_fetch;
	return IMAP_MORE;
}

static int select_report2(struct imap_session *s)
{
	struct store *st = imap_store(s);
	struct store_mbox_info info;
	if (store_mbox_info(st, s->v.mb, &info) != STORE_OK) {
		imap_select_close(s);
		imap_tagged(s, "NO", "[NONEXISTENT] Mailbox was deleted");
		return IMAP_DONE;
	}
	imap_printf(s, "* %lu EXISTS\r\n", (unsigned long)s->v.exists);
	if (!s->rev2)   /* IMAP4rev2 has neither RECENT nor OK [UNSEEN] (RFC 9051 E) */
		imap_printf(s, "* %lu RECENT\r\n", (unsigned long)s->v.recent);
	for (uint32_t seq = 1; !s->rev2 && seq <= s->v.exists; seq++) {
		uint32_t idx;
		struct store_msg m;
		if (imap_view_seq_to_idx(s, seq, &idx) &&
		    store_msg_peek(st, s->v.mb, idx, &m) == STORE_OK && !(m.flags & STORE_F_SEEN)) {
			imap_printf(s, "* OK [UNSEEN %lu] First unseen\r\n", (unsigned long)seq);
			break;
		}
	}
	imap_printf(s, "* OK [UIDVALIDITY %lu] UIDs valid\r\n* OK [UIDNEXT %lu] Predicted next UID\r\n",
		    (unsigned long)info.uidvalidity, (unsigned long)info.uidnext);
	/* every SELECT of a mailbox with persistent modseqs (RFC 7162 3.1.2.1) */
	imap_printf(s, "* OK [HIGHESTMODSEQ %llu] Highest\r\n",
		    (unsigned long long)info.highestmodseq);
	s->v.hms_told = info.highestmodseq;
	struct imap_select_state *q = &s->u.select;
	/* QRESYNC: what changed since the client's mod-sequence, if its cache is
	 * of this mailbox (same UIDVALIDITY) and anything changed at all */
	if (q->qr && q->qr_uidvalidity == info.uidvalidity && q->qr_modseq < info.highestmodseq) {
		imap_vanished_init(&q->van, info.uidnext - 1, q->qr_known ? &q->qr_uids : NULL);
		s->step = select_qr_vanished;
		return IMAP_MORE;
	}
	return select_done(s);
}

/* The flag lists may be long (every keyword): FLAGS, PERMANENTFLAGS and the
 * rest of the answer are steps of their own, each within IMAPD_OUT_RESERVE. */
static int select_report_perm(struct imap_session *s)
{
	imap_out_str(s, "* OK [PERMANENTFLAGS ");
	imap_out_permanent_flags(s);
	imap_out_str(s, "] Flags permitted\r\n");
	s->step = select_report2;
	return IMAP_MORE;
}

/* IMAP4rev2 (RFC 9051 6.3.2): the mailbox's name as the server knows it, in
 * an untagged LIST. */
static int select_report_list(struct imap_session *s)
{
	struct store_mbox_info info;
	if (!s->rev2 || store_mbox_info(imap_store(s), s->v.mb, &info) != STORE_OK)
		return select_report_perm(s);
	char vname[IMAP_VNAME_MAX + 1];
	imap_mbox_vname(s, info.user, info.name, vname, sizeof(vname));
	imap_out_str(s, "* LIST () \"/\" ");
	imap_out_mailbox(s, vname);
	imap_out_str(s, "\r\n");
	s->step = select_report_perm;
	return IMAP_MORE;
}

/* select-params (RFC 4466): CONDSTORE (RFC 7162 3.1.8) and QRESYNC (3.2.5).
 * False after answering BAD. */
static bool select_params(struct imap_session *s)
{
	struct imap_parser *p = &s->p;
	struct imap_select_state *q = &s->u.select;
	if (!imap_p_char(p, '('))
		goto bad;
	do {
		if (imap_p_keyword(p, "CONDSTORE")) {
			s->condstore = true;   /* the SELECT's own answer gives HIGHESTMODSEQ */
			continue;
		}
		if (!imap_p_keyword(p, "QRESYNC"))
			goto bad;
		if (!s->qresync) {
			imap_tagged(s, "BAD", "QRESYNC needs ENABLE QRESYNC first");
			return false;
		}
		/* "(" uidvalidity SP mod-sequence-value [SP known-uids] [SP seq-match-data] ")" */
		struct imap_seqset known_seqs, known_uids;
		if (!imap_p_sp(p) || !imap_p_char(p, '(') || !imap_p_number(p, &q->qr_uidvalidity) ||
		    q->qr_uidvalidity == 0 || !imap_p_sp(p) || !imap_p_number64(p, &q->qr_modseq) ||
		    q->qr_modseq == 0 || q->qr_modseq > INT64_MAX)
			goto bad;
		if (imap_p_char(p, ' ') && !imap_p_peek(p, '(')) {
			if (!imap_p_seqset(p, &q->qr_uids) || q->qr_uids.dollar)
				goto bad;
			q->qr_known = true;
			(void)imap_p_char(p, ' ');
		}
		if (imap_p_char(p, '(')) {
			/* seq-match-data: only a hint for servers that keep no expunge
			 * history to narrow; the complement already needs none */
			if (!imap_p_seqset(p, &known_seqs) || !imap_p_sp(p) ||
			    !imap_p_seqset(p, &known_uids) || known_seqs.dollar || known_uids.dollar ||
			    !imap_p_char(p, ')'))
				goto bad;
		}
		if (!imap_p_char(p, ')'))
			goto bad;
		q->qr = true;
	} while (imap_p_char(p, ' '));
	if (imap_p_char(p, ')'))
		return true;
bad:
	imap_tagged(s, "BAD", "Invalid SELECT parameters");
	return false;
}

static int select_common(struct imap_session *s, bool readonly)
{
	char name[NAME_CAP];
	store_mbox_t mb;
	if (!arg_mailbox(s, name))
		return IMAP_DONE;
	memset(&s->u.select, 0, sizeof(s->u.select));
	if (imap_p_char(&s->p, ' ') && !select_params(s))
		return IMAP_DONE;
	if (!imap_p_end(&s->p))
		return imap_bad_syntax(s);
	/* Any SELECT, even a failing one, leaves the selected state first (6.3.1),
	 * and says so: OK [CLOSED] parts the old mailbox's responses from the new
	 * one's (RFC 9051 7.1, required of a server offering IMAP4rev2) */
	if (s->state == IMAP_S_SELECTED) {
		imap_select_close(s);
		imap_out_str(s, "* OK [CLOSED] Previous mailbox closed\r\n");
	}
	uint32_t rights;
	if (!find_readable(s, name, &mb, &rights))
		return IMAP_DONE;
	s->u.select.examine = readonly;
	/* nothing this user could change: say so up front (RFC 4314 5.2) */
	if (!(rights & (ACL_S | ACL_W | ACL_T | ACL_E | ACL_I)))
		readonly = true;
	imap_view_open(s, mb, readonly);
	s->v.rights = rights;
	s->state = IMAP_S_SELECTED;
	imap_out_str(s, "* FLAGS ");
	imap_out_flag_names(s, false);
	imap_out_str(s, "\r\n");
	s->step = select_report_list;
	return IMAP_MORE;
}

int imap_cmd_select(struct imap_session *s) { return select_common(s, false); }
int imap_cmd_examine(struct imap_session *s) { return select_common(s, true); }

/* ---- CREATE ---- */

static const struct {
	const char *name;
	uint32_t attr;
} special_uses[] = {
	{ "\\All", STORE_MB_ALL },     { "\\Archive", STORE_MB_ARCHIVE },
	{ "\\Drafts", STORE_MB_DRAFTS }, { "\\Flagged", STORE_MB_FLAGGED },
	{ "\\Junk", STORE_MB_JUNK },   { "\\Sent", STORE_MB_SENT },
	{ "\\Trash", STORE_MB_TRASH },
};

const char *imap_special_use_name(uint32_t attr)
{
	for (size_t i = 0; i < sizeof(special_uses) / sizeof(special_uses[0]); i++)
		if (special_uses[i].attr == attr)
			return special_uses[i].name;
	return NULL;
}

int imap_cmd_create(struct imap_session *s)
{
	struct imap_parser *p = &s->p;
	char name[NAME_CAP];
	uint32_t attrs = 0;
	if (!arg_mailbox(s, name))
		return IMAP_DONE;
	if (imap_p_char(p, ' ')) {
		/* create-param (RFC 6154 6): "(" "USE" SP "(" [use-attr *(SP use-attr)] ")" ")",
		 * a use-attr being "\" atom */
		struct imap_str f;
		if (!imap_p_char(p, '(') || !imap_p_keyword(p, "USE") || !imap_p_sp(p) ||
		    !imap_p_char(p, '('))
			return imap_bad_syntax(s);
		while (!imap_p_peek(p, ')')) {
			if (!imap_p_flag(p, &f) || f.s[0] != '\\')
				return imap_bad_syntax(s);
			size_t i, n = sizeof(special_uses) / sizeof(special_uses[0]);
			for (i = 0; i < n; i++)
				if (strlen(special_uses[i].name) == f.len &&
				    strncasecmp(special_uses[i].name, f.s, f.len) == 0)
					break;
			if (i == n) {
				imap_tagged(s, "NO", "[USEATTR] Unsupported special-use attribute");
				return IMAP_DONE;
			}
			attrs |= special_uses[i].attr;
			if (!imap_p_char(p, ' '))
				break;
		}
		if (!imap_p_char(p, ')') || !imap_p_char(p, ')'))
			return imap_bad_syntax(s);
	}
	if (!imap_p_end(p))
		return imap_bad_syntax(s);
	if (!new_name(s, name))
		return IMAP_DONE;
	if (strcmp(name, "INBOX") == 0) {
		imap_tagged(s, "NO", "[ALREADYEXISTS] INBOX always exists");
		return IMAP_DONE;
	}
	int r = imap_mbox_create_path(s, name, attrs);
	if (r == IMAP_ERR_NOPERM)
		imap_tagged(s, "NO", "[NOPERM] Permission denied");
	else if (r == STORE_INVAL)
		imap_tagged(s, "NO", "[CANNOT] Invalid mailbox name");
	else if (r != STORE_OK)
		imap_tagged_store_err(s, r, "CREATE");
	else
		imap_tagged(s, "OK", "CREATE completed");
	return IMAP_DONE;
}

/* ---- DELETE ---- */

int imap_cmd_delete(struct imap_session *s)
{
	char name[NAME_CAP];
	store_mbox_t mb;
	struct store_mbox_info info;
	struct store *st = imap_store(s);
	if (!arg_mailbox(s, name))
		return IMAP_DONE;
	if (!imap_p_end(&s->p))
		return imap_bad_syntax(s);
	if (strcmp(name, "INBOX") == 0) {
		imap_tagged(s, "NO", "[CANNOT] INBOX cannot be deleted");
		return IMAP_DONE;
	}
	if (imap_mbox_find(s, name, &mb) != STORE_OK || store_mbox_info(st, mb, &info) != STORE_OK) {
		imap_tagged(s, "NO", "[NONEXISTENT] Mailbox doesn't exist: %s", name);
		return IMAP_DONE;
	}
	if (!(imap_mbox_rights(s, mb) & ACL_X)) {
		imap_tagged(s, "NO", "[NOPERM] Permission denied");
		return IMAP_DONE;
	}
	bool children = imap_mbox_has_children(s, name);
	if (children && (info.attrs & STORE_MB_NOSELECT)) {
		/* RFC 3501 6.3.4 */
		imap_tagged(s, "NO", "[INUSE] Mailbox has inferior hierarchical names");
		return IMAP_DONE;
	}
	if (s->state == IMAP_S_SELECTED && s->v.mb == mb) {
		/* back to the authenticated state: say so (RFC 9051 7.1, CLOSED) */
		imap_select_close(s);
		imap_out_str(s, "* OK [CLOSED] The selected mailbox is being deleted\r\n");
	}
	int r = store_mbox_delete(st, mb);
	if (r == STORE_OK) {
		imap_acl_drop(st, info.uidvalidity);
		if (children)   /* keep a \Noselect node so the children stay reachable */
			r = store_mbox_create(st, info.user, info.name,
					      STORE_MB_NOSELECT | (info.attrs & STORE_MB_SUBSCRIBED), &mb);
		else if ((info.attrs & STORE_MB_SUBSCRIBED) && strcmp(info.user, s->user) == 0 &&
			 imap_sub_keep(st, info.user, info.name) != STORE_OK)
			port_log(PORT_LOG_ERR, "DELETE %s: its subscription could not be kept", name);
	}
	if (r != STORE_OK)
		imap_tagged_store_err(s, r, "DELETE");
	else
		imap_tagged(s, "OK", "DELETE completed");
	return IMAP_DONE;
}

/* ---- RENAME ---- */

/* RENAME INBOX: move every message to the new mailbox, one per slice. */
static int rename_inbox_step(struct imap_session *s)
{
	struct imap_rename_state *rs = &s->u.rename;
	struct store *st = imap_store(s);
	uint32_t idx, entries = store_msg_entries(st, rs->from);
	bool exact;
	if (store_msg_find(st, rs->from, rs->uid, &idx, &exact) != STORE_OK)
		idx = entries;
	for (; idx < entries; idx++) {
		struct store_msg m;
		if (store_msg_peek(st, rs->from, idx, &m) == STORE_OK && !m.expunged)
			break;
	}
	if (idx >= entries) {
		imap_sessions_purge_tombstones(st, rs->from);
		imap_tagged(s, "OK", "RENAME completed");
		return IMAP_DONE;
	}
	struct store_msg m;
	uint32_t new_uid;
	store_msg_peek(st, rs->from, idx, &m);
	rs->uid = m.uid;
	int r = store_msg_copy(st, &rs->copy, rs->from, m.uid, rs->to, &new_uid);
	if (r == STORE_AGAIN)
		return IMAP_AGAIN;
	if (r == STORE_OK)
		r = store_msg_expunge(st, rs->from, m.uid);
	if (r != STORE_OK) {
		imap_tagged_store_err(s, r, "RENAME");
		return IMAP_DONE;
	}
	memset(&rs->copy, 0, sizeof(rs->copy));
	rs->uid = m.uid + 1;
	return IMAP_MORE;
}

int imap_cmd_rename(struct imap_session *s)
{
	char from[NAME_CAP], to[NAME_CAP];
	store_mbox_t mb;
	struct store *st = imap_store(s);
	if (!arg_mailbox(s, from) || !arg_mailbox(s, to))
		return IMAP_DONE;
	if (!imap_p_end(&s->p))
		return imap_bad_syntax(s);
	if (!new_name(s, to))
		return IMAP_DONE;
	struct imap_mbref rf, rt;
	if (imap_mbox_find(s, from, &mb) != STORE_OK || !imap_mbox_resolve(s, from, &rf)) {
		imap_tagged(s, "NO", "[NONEXISTENT] Mailbox doesn't exist: %s", from);
		return IMAP_DONE;
	}
	if (!imap_mbox_resolve(s, to, &rt) || strcmp(rf.owner, rt.owner) != 0) {
		imap_tagged(s, "NO", "[CANNOT] Cannot move a mailbox to another namespace");
		return IMAP_DONE;
	}
	if (!(imap_mbox_rights(s, mb) & ACL_X)) {
		imap_tagged(s, "NO", "[NOPERM] Permission denied");
		return IMAP_DONE;
	}
	if (imap_mbox_find(s, to, &mb) == STORE_OK || strcmp(to, "INBOX") == 0) {
		imap_tagged(s, "NO", "[ALREADYEXISTS] Target mailbox exists");
		return IMAP_DONE;
	}
	size_t fl = strlen(from);
	if (strncmp(to, from, fl) == 0 && to[fl] == '/') {
		imap_tagged(s, "NO", "[CANNOT] Cannot rename a mailbox into itself");
		return IMAP_DONE;
	}
	/* superiors of the new name come into existence as needed (6.3.5) */
	char *slash = strrchr(to, '/');
	if (slash) {
		*slash = '\0';
		int r = imap_mbox_create_path(s, to, 0);
		*slash = '/';
		if (r == IMAP_ERR_NOPERM) {
			imap_tagged(s, "NO", "[NOPERM] Permission denied");
			return IMAP_DONE;
		}
		if (r != STORE_OK && r != STORE_EXISTS) {
			imap_tagged_store_err(s, r, "RENAME");
			return IMAP_DONE;
		}
	}
	if (strcmp(from, "INBOX") == 0) {
		/* 6.3.5: INBOX's messages move to the new name, INBOX stays, empty */
		struct imap_rename_state *rs = &s->u.rename;
		memset(rs, 0, sizeof(*rs));
		imap_mbox_find(s, "INBOX", &rs->from);
		int r = store_mbox_create(st, s->user, to, 0, &rs->to);
		if (r != STORE_OK) {
			imap_tagged_store_err(s, r, "RENAME");
			return IMAP_DONE;
		}
		rs->uid = 1;
		s->step = rename_inbox_step;
		return IMAP_MORE;
	}
	int r = store_mbox_rename(st, rf.owner, rf.name, rt.name);
	struct store_mbox_info info;
	if (r == STORE_OK && strcmp(rt.owner, s->user) == 0 && imap_sub_take(st, rt.owner, rt.name) &&
	    store_mbox_find(st, rt.owner, rt.name, &mb) == STORE_OK &&
	    store_mbox_info(st, mb, &info) == STORE_OK)   /* the new name was subscribed */
		r = store_mbox_set_attrs(st, mb, info.attrs | STORE_MB_SUBSCRIBED);
	if (r != STORE_OK)
		imap_tagged_store_err(s, r, "RENAME");
	else
		imap_tagged(s, "OK", "RENAME completed");
	return IMAP_DONE;
}

/* ---- SUBSCRIBE / UNSUBSCRIBE ---- */

static int subscribe(struct imap_session *s, bool on)
{
	char name[NAME_CAP];
	store_mbox_t mb;
	struct store_mbox_info info;
	struct store *st = imap_store(s);
	if (!arg_mailbox(s, name))
		return IMAP_DONE;
	if (!imap_p_end(&s->p))
		return imap_bad_syntax(s);
	if (imap_mbox_find(s, name, &mb) != STORE_OK || store_mbox_info(st, mb, &info) != STORE_OK) {
		if (!on) {   /* a deleted mailbox's, or nothing to remove: not an error */
			struct imap_mbref ref;
			if (imap_mbox_resolve(s, name, &ref) && strcmp(ref.owner, s->user) == 0)
				(void)imap_sub_take(st, ref.owner, ref.name);
			imap_tagged(s, "OK", "UNSUBSCRIBE completed");
			return IMAP_DONE;
		}
		imap_tagged(s, "NO", "[NONEXISTENT] Mailbox doesn't exist: %s", name);
		return IMAP_DONE;
	}
	int r = imap_mbox_subscribe(s, mb, on);
	if (r != STORE_OK)
		imap_tagged_store_err(s, r, on ? "SUBSCRIBE" : "UNSUBSCRIBE");
	else
		imap_tagged(s, "OK", "%s completed", on ? "SUBSCRIBE" : "UNSUBSCRIBE");
	return IMAP_DONE;
}

int imap_cmd_subscribe(struct imap_session *s) { return subscribe(s, true); }
int imap_cmd_unsubscribe(struct imap_session *s) { return subscribe(s, false); }

/* ---- STATUS ---- */

bool imap_status_parse(struct imap_parser *p, uint32_t *items)
{
	static const char *const names[] = { "MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY",
					     "UNSEEN", "SIZE", "DELETED-STORAGE", "DELETED",
					     "HIGHESTMODSEQ", "APPENDLIMIT" };
	*items = 0;
	if (!imap_p_char(p, '('))
		return false;
	do {
		size_t i, n = sizeof(names) / sizeof(names[0]);
		for (i = 0; i < n; i++)
			if (imap_p_keyword(p, names[i]))
				break;
		if (i == n) {
			p->err = "Unknown STATUS item";
			return false;
		}
		*items |= 1u << i;
	} while (imap_p_char(p, ' '));
	return imap_p_char(p, ')');
}

/* Messages with \Deleted, and their bytes if asked: the store keeps no
 * count, and one pass over the index is cheap next to the flash a kept count
 * would cost (sizes are read from flash, for \Deleted messages only). */
static uint32_t count_deleted(struct store *st, store_mbox_t mb, uint64_t *bytes)
{
	uint32_t n = 0, entries = store_msg_entries(st, mb);
	for (uint32_t i = 0; i < entries; i++) {
		struct store_msg m;
		struct store_msg_stat ms;
		if (store_msg_peek(st, mb, i, &m) != STORE_OK || m.expunged ||
		    !(m.flags & STORE_F_DELETED))
			continue;
		n++;
		if (bytes && store_msg_stat(st, mb, i, &ms) == STORE_OK)
			*bytes += ms.size;
	}
	return n;
}

void imap_status_write(struct imap_session *s, store_mbox_t mb, const char *name, uint32_t items)
{
	struct store *st = imap_store(s);
	struct store_mbox_info info;
	if (store_mbox_info(st, mb, &info) != STORE_OK)
		return;
	imap_out_str(s, "* STATUS ");
	imap_out_mailbox(s, name);
	imap_out_str(s, " (");
	const char *sep = "";
	if (items & IMAP_STATUS_MESSAGES) {
		imap_printf(s, "%sMESSAGES %lu", sep, (unsigned long)info.messages);
		sep = " ";
	}
	if (items & IMAP_STATUS_RECENT) {
		imap_printf(s, "%sRECENT %lu", sep, (unsigned long)imap_view_status_recent(st, mb));
		sep = " ";
	}
	if (items & IMAP_STATUS_UIDNEXT) {
		imap_printf(s, "%sUIDNEXT %lu", sep, (unsigned long)info.uidnext);
		sep = " ";
	}
	if (items & IMAP_STATUS_UIDVALIDITY) {
		imap_printf(s, "%sUIDVALIDITY %lu", sep, (unsigned long)info.uidvalidity);
		sep = " ";
	}
	if (items & IMAP_STATUS_UNSEEN) {
		imap_printf(s, "%sUNSEEN %lu", sep, (unsigned long)info.unseen);
		sep = " ";
	}
	if (items & IMAP_STATUS_SIZE) {   /* RFC 8438 */
		imap_printf(s, "%sSIZE %llu", sep, (unsigned long long)info.size);
		sep = " ";
	}
	/* one pass for both; sizes are read only if asked for */
	uint64_t bytes = 0;
	uint32_t deleted = (items & (IMAP_STATUS_DELETED | IMAP_STATUS_DELETED_STORAGE))
				   ? count_deleted(imap_store(s), mb,
						   (items & IMAP_STATUS_DELETED_STORAGE) ? &bytes : NULL)
				   : 0;
	if (items & IMAP_STATUS_DELETED) {   /* RFC 9051 6.3.11 */
		imap_printf(s, "%sDELETED %lu", sep, (unsigned long)deleted);
		sep = " ";
	}
	if (items & IMAP_STATUS_DELETED_STORAGE) {   /* RFC 9208 4.2.1, in KiB */
		imap_printf(s, "%sDELETED-STORAGE %llu", sep, (unsigned long long)((bytes + 1023u) / 1024u));
		sep = " ";
	}
	if (items & IMAP_STATUS_HIGHESTMODSEQ) {   /* RFC 7162 3.1.6 */
		imap_printf(s, "%sHIGHESTMODSEQ %llu", sep, (unsigned long long)info.highestmodseq);
		sep = " ";
	}
	if (items & IMAP_STATUS_APPENDLIMIT)   /* RFC 7889 3.2: the same for every mailbox */
		imap_printf(s, "%sAPPENDLIMIT %lu", sep, (unsigned long)IMAPD_APPEND_LIMIT);
	imap_out_str(s, ")\r\n");
}

int imap_cmd_status(struct imap_session *s)
{
	char name[NAME_CAP];
	uint32_t items;
	store_mbox_t mb;
	if (!arg_mailbox(s, name))
		return IMAP_DONE;
	if (!imap_p_sp(&s->p) || !imap_status_parse(&s->p, &items) || !imap_p_end(&s->p))
		return imap_bad_syntax(s);
	if (items & IMAP_STATUS_HIGHESTMODSEQ)
		imap_condstore_enable(s);   /* a CONDSTORE enabling command (RFC 7162 3.1) */
	uint32_t rights;
	if (!find_readable(s, name, &mb, &rights))
		return IMAP_DONE;
	imap_status_write(s, mb, name, items);
	imap_tagged(s, "OK", "STATUS completed");
	return IMAP_DONE;
}

/* ---- CHECK / CLOSE / UNSELECT ---- */

int imap_cmd_check(struct imap_session *s)
{
	if (!imap_p_end(&s->p))
		return imap_bad_syntax(s);
	/* Every acknowledged change is already durable: nothing to do. */
	imap_tagged(s, "OK", "CHECK completed");
	return IMAP_DONE;
}

static int close_step(struct imap_session *s)
{
	int r = imap_expunge_step(s);
	if (r == IMAP_DONE)
		imap_select_close(s);   /* leaves no EXPUNGE responses to send */
	return r;
}

int imap_cmd_close(struct imap_session *s)
{
	if (!imap_p_end(&s->p))
		return imap_bad_syntax(s);
	if (s->v.readonly || !(s->v.rights & ACL_E)) {
		/* nothing may be expunged: CLOSE just deselects (RFC 4314 4) */
		imap_select_close(s);
		imap_tagged(s, "OK", "CLOSE completed");
		return IMAP_DONE;
	}
	imap_expunge_begin(s, NULL, true, "CLOSE completed");
	s->step = close_step;
	return IMAP_MORE;
}

int imap_cmd_unselect(struct imap_session *s)
{
	if (!imap_p_end(&s->p))
		return imap_bad_syntax(s);
	imap_select_close(s);
	imap_tagged(s, "OK", "UNSELECT completed");
	return IMAP_DONE;
}
