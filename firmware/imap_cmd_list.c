/*
 * imap_cmd_list.c - LIST (RFC 3501 6.3.8, LIST-EXTENDED RFC 5258, LIST-STATUS
 * RFC 5819, SPECIAL-USE RFC 6154) and LSUB. One mailbox per slice, so a long
 * listing never holds the task or the output buffer.
 */
#include <string.h>
#include <strings.h>

#include "imap_acl.h"
#include "imap_cmds.h"
#include "imap_internal.h"
#include "imap_mailbox.h"
#include "imap_match.h"
#include "mutf7.h"

/* Results of to_utf8() and add_pattern(). */
enum { PAT_OK = 0, PAT_BAD = -1, PAT_LONG = -2 };

static int to_utf8(struct imap_session *s, const struct imap_str *in, char *out, size_t cap)
{
	if (imap_utf8_names(s)) {
		if (in->len >= cap)
			return PAT_LONG;
		if (!mutf7_utf8_valid(in->s, in->len))
			return PAT_BAD;
		memcpy(out, in->s, in->len);
		out[in->len] = '\0';
		return PAT_OK;
	}
	int n = mutf7_decode(in->s, in->len, out, cap);
	return n >= 0 ? PAT_OK : n == MUTF7_ETOOLONG ? PAT_LONG : PAT_BAD;
}

static int add_pattern(struct imap_session *s, const char *ref, const struct imap_str *pat)
{
	struct imap_list_state *l = &s->u.list;
	char p8[IMAP_MATCH_MAX + 1];
	if (l->npat >= IMAP_LIST_PATTERNS)
		return PAT_LONG;
	int e = to_utf8(s, pat, p8, sizeof(p8));
	if (e != PAT_OK)
		return e;
	if (p8[0] == '\0' && ref[0] == '\0') {
		l->empty_pattern = true;
		return PAT_OK;
	}
	size_t used = 0;
	for (int i = 0; i < l->npat; i++)
		used = l->pat_off[i] + l->pat_len[i] + 1u;
	int n = imap_match_combine(ref, strlen(ref), p8, strlen(p8), l->pat_buf + used,
				   sizeof(l->pat_buf) - used);
	if (n < 0)
		return PAT_LONG;
	/* INBOX is case-insensitive in patterns too */
	char *c = l->pat_buf + used;
	if (strncasecmp(c, "INBOX", 5) == 0 && (c[5] == '\0' || c[5] == '/'))
		memcpy(c, "INBOX", 5);
	l->pat_off[l->npat] = (uint16_t)used;
	l->pat_len[l->npat] = (uint16_t)n;
	l->npat++;
	return PAT_OK;
}

static bool matches(const struct imap_list_state *l, const char *name)
{
	for (int i = 0; i < l->npat; i++)
		if (imap_match(l->pat_buf + l->pat_off[i], l->pat_len[i], name, strlen(name)))
			return true;
	return false;
}

/* Descendants of a mailbox (same owner): any visible, any subscribed, and
 * (LSUB only: it costs a name per descendant) any subscribed one the
 * patterns do not match. */
static void children(struct imap_session *s, const struct store_mbox_info *parent, bool *any,
		     bool *subscribed, bool *sub_unmatched)
{
	struct imap_list_state *l = &s->u.list;
	struct store *st = imap_store(s);
	struct store_mbox_info info;
	char vname[IMAP_VNAME_MAX + 1];
	size_t len = strlen(parent->name);
	*any = *subscribed = *sub_unmatched = false;
	for (store_mbox_t mb = store_mbox_next(st, parent->user, -1); mb >= 0;
	     mb = store_mbox_next(st, parent->user, mb)) {
		if (store_mbox_info(st, mb, &info) != STORE_OK ||
		    strncmp(info.name, parent->name, len) != 0 || info.name[len] != '/' ||
		    !(imap_mbox_rights(s, mb) & ACL_L))
			continue;
		*any = true;
		if (!imap_mbox_subscribed(s, mb))
			continue;
		*subscribed = true;
		if (l->lsub && !*sub_unmatched) {
			imap_mbox_vname(s, info.user, info.name, vname, sizeof(vname));
			*sub_unmatched = !matches(l, vname);
		}
	}
}

/* A LIST/LSUB line for a name that is no mailbox of the session's own. */
static void name_line(struct imap_session *s, const char *head, const char *vname)
{
	imap_out_str(s, head);
	imap_out_mailbox(s, vname);
	imap_out_str(s, "\r\n");
}

/* A mailbox another user owns, that this session may list (and for LSUB,
 * has subscribed): its visible name in vname. */
static bool foreign_listed(struct imap_session *s, store_mbox_t mb, char *vname, size_t cap)
{
	struct imap_list_state *l = &s->u.list;
	struct store_mbox_info info;
	if (store_mbox_info(imap_store(s), mb, &info) != STORE_OK || strcmp(info.user, s->user) == 0 ||
	    !(imap_mbox_rights(s, mb) & ACL_L) || (l->lsub && !imap_mbox_subscribed(s, mb)))
		return false;
	imap_mbox_vname(s, info.user, info.name, vname, cap);
	/* LSUB names a parent only for a subscribed mailbox the pattern does
	 * not reach itself (RFC 3501 6.3.9) */
	return !(l->lsub && matches(l, vname));
}

/* The levels above other users' mailboxes ("Other Users", "Other Users/bob",
 * "Shared", and a parent this user may not see) are no mailboxes of this
 * user's, yet "%" must reach them to browse down (RFC 3501 6.3.8, 6.3.9;
 * RFC 4314 4): each is listed once, \Noselect, for the first mailbox below
 * it. At most one line, and one mailbox's levels, a step. */
static int levels_step(struct imap_session *s)
{
	struct imap_list_state *l = &s->u.list;
	struct store *st = imap_store(s);
	char vname[IMAP_VNAME_MAX + 1], other[IMAP_VNAME_MAX + 1];
	for (;;) {
		if (l->ldepth == 0) {
			l->lcursor = store_mbox_next(st, NULL, l->lcursor);
			if (l->lcursor < 0)
				return IMAP_DONE;
			l->ldepth = 1;
		}
		if (!foreign_listed(s, l->lcursor, vname, sizeof(vname))) {
			l->ldepth = 0;
			continue;
		}
		/* the ldepth-th '/' ends the level looked at */
		char *cut = vname;
		for (uint8_t d = 0; cut && d < l->ldepth; d++)
			cut = strchr(d ? cut + 1 : cut, '/');
		if (!cut) {
			l->ldepth = 0;
			return IMAP_MORE;   /* a slice a mailbox: the checks below read ACLs */
		}
		l->ldepth++;
		*cut = '\0';
		store_mbox_t mb;
		if (!matches(l, vname) ||
		    (imap_mbox_find(s, vname, &mb) == STORE_OK && (imap_mbox_rights(s, mb) & ACL_L)))
			continue;   /* not asked for, or listed as a mailbox of its own */
		size_t n = strlen(vname);
		bool before = false;
		for (store_mbox_t o = store_mbox_next(st, NULL, -1); o >= 0 && o != l->lcursor && !before;
		     o = store_mbox_next(st, NULL, o))
			before = foreign_listed(s, o, other, sizeof(other)) &&
				 strncmp(other, vname, n) == 0 && other[n] == '/';
		if (before)
			continue;   /* listed already, for that one */
		name_line(s, l->lsub ? "* LSUB (\\Noselect) \"/\" " :
				       "* LIST (\\Noselect \\HasChildren) \"/\" ", vname);
		return IMAP_MORE;
	}
}

/* One subscription that outlived its mailbox (imap_sub_keep()): LSUB and
 * LIST (SUBSCRIBED) report it, LIST with \NonExistent (RFC 5258 3.4). */
static int orphan_step(struct imap_session *s)
{
	struct imap_list_state *l = &s->u.list;
	struct store *st = imap_store(s);
	char name[STORE_NAME_MAX + 1], vname[IMAP_VNAME_MAX + 1];
	store_mbox_t mb;
	if (imap_sub_next(st, s->user, &l->sub_cursor, name) != 1)
		return IMAP_DONE;
	imap_mbox_vname(s, s->user, name, vname, sizeof(vname));
	if (store_mbox_find(st, s->user, name, &mb) == STORE_OK || !matches(l, vname))
		return IMAP_MORE;
	name_line(s, l->lsub ? "* LSUB () \"/\" " : "* LIST (\\Subscribed \\NonExistent) \"/\" ",
		  vname);
	return IMAP_MORE;
}

static int list_step(struct imap_session *s)
{
	struct imap_list_state *l = &s->u.list;
	struct store *st = imap_store(s);
	struct store_mbox_info info;
	char vname[IMAP_VNAME_MAX + 1];

	if (l->empty_pattern) {
		l->empty_pattern = false;
		imap_printf(s, "* %s (\\Noselect) \"/\" \"\"\r\n", l->lsub ? "LSUB" : "LIST");
		if (!l->npat)
			goto done;
		return IMAP_MORE;
	}
	if (l->orphans) {
		if (orphan_step(s) == IMAP_MORE)
			return IMAP_MORE;
		goto done;
	}
	if (l->levels) {
		if (levels_step(s) == IMAP_MORE)
			return IMAP_MORE;
		l->levels = false;
		if (!l->lsub)
			goto done;
		l->orphans = true;
		return IMAP_MORE;
	}
	l->cursor = store_mbox_next(st, NULL, l->cursor);
	if (l->cursor < 0) {
		/* LIST-EXTENDED selections (SUBSCRIBED, SPECIAL-USE) list mailboxes
		 * only; plain LIST and LSUB go on to the levels above others' */
		if (!l->sel_subscribed && !l->sel_special) {
			l->levels = true;
			l->lcursor = -1;
			l->ldepth = 0;
			return IMAP_MORE;
		}
		if (!l->sel_subscribed)
			goto done;
		l->orphans = true;
		return IMAP_MORE;
	}
	if (store_mbox_info(st, l->cursor, &info) != STORE_OK)
		return IMAP_MORE;
	imap_mbox_vname(s, info.user, info.name, vname, sizeof(vname));
	if (!matches(l, vname) || !(imap_mbox_rights(s, l->cursor) & ACL_L))
		return IMAP_MORE;

	bool subscribed = imap_mbox_subscribed(s, l->cursor);
	bool kids, sub_kids, sub_hidden;
	children(s, &info, &kids, &sub_kids, &sub_hidden);
	bool childinfo = false;
	/* RFC 3501 6.3.9: LSUB "%" names an unsubscribed parent of a subscribed
	 * mailbox it does not reach, as \Noselect */
	bool lsub_parent = l->lsub && !subscribed && sub_hidden;
	uint32_t special = info.attrs & (STORE_MB_ALL | STORE_MB_ARCHIVE | STORE_MB_DRAFTS |
					 STORE_MB_FLAGGED | STORE_MB_JUNK | STORE_MB_SENT |
					 STORE_MB_TRASH);
	if (l->sel_subscribed || l->lsub) {
		if (l->recursive && sub_kids)
			childinfo = true;
		if (!subscribed && !childinfo && !lsub_parent)
			return IMAP_MORE;
	}
	if (l->sel_special && !special)
		return IMAP_MORE;

	imap_printf(s, "* %s (", l->lsub ? "LSUB" : "LIST");
	const char *sep = "";
	if ((info.attrs & STORE_MB_NOSELECT) || lsub_parent) {
		imap_out_str(s, "\\Noselect");
		sep = " ";
	}
	if (!l->lsub) {
		imap_printf(s, "%s%s", sep, kids ? "\\HasChildren" : "\\HasNoChildren");
		sep = " ";
	}
	if (subscribed && (l->ret_subscribed || l->sel_subscribed)) {
		imap_printf(s, "%s\\Subscribed", sep);
		sep = " ";
	}
	if (!l->lsub)
		for (uint32_t bit = STORE_MB_ALL; bit <= STORE_MB_TRASH; bit <<= 1)
			if (special & bit) {
				imap_printf(s, "%s%s", sep, imap_special_use_name(bit));
				sep = " ";
			}
	imap_out_str(s, ") \"/\" ");
	imap_out_mailbox(s, vname);
	if (childinfo)
		imap_out_str(s, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	imap_out_str(s, "\r\n");
	if (l->status_items && !(info.attrs & STORE_MB_NOSELECT) &&
	    (imap_mbox_rights(s, l->cursor) & ACL_R))
		imap_status_write(s, l->cursor, vname, l->status_items);
	return IMAP_MORE;
done:
	imap_tagged(s, "OK", "%s completed", l->lsub ? "LSUB" : "LIST");
	return IMAP_DONE;
}

static int parse_patterns(struct imap_session *s, const char *ref)
{
	struct imap_parser *p = &s->p;
	struct imap_str pat;
	int e;
	if (imap_p_char(p, '(')) {
		do {
			if (!imap_p_list_mailbox(p, &pat))
				return PAT_BAD;
			if ((e = add_pattern(s, ref, &pat)) != PAT_OK)
				return e;
		} while (imap_p_char(p, ' '));
		return imap_p_char(p, ')') ? PAT_OK : PAT_BAD;
	}
	return imap_p_list_mailbox(p, &pat) ? add_pattern(s, ref, &pat) : PAT_BAD;
}

/* No name is longer than a pattern may be; the client is told so, not that
 * its command is malformed. */
static int pattern_too_long(struct imap_session *s)
{
	imap_tagged(s, "NO", "[LIMIT] Reference and patterns too long or too many (at most %d "
		    "patterns, each at most %d bytes with the reference)", IMAP_LIST_PATTERNS,
		    IMAP_MATCH_MAX);
	return IMAP_DONE;
}

static int list_common(struct imap_session *s, bool lsub)
{
	struct imap_parser *p = &s->p;
	struct imap_list_state *l = &s->u.list;
	struct imap_str refs;
	char ref[IMAP_MATCH_MAX + 1];

	memset(l, 0, sizeof(*l));
	l->cursor = -1;
	l->lsub = lsub;
	if (!imap_p_sp(p))
		return imap_bad_syntax(s);
	if (!lsub && imap_p_char(p, '(')) {
		/* list-select-opts */
		while (!imap_p_char(p, ')')) {
			if (imap_p_keyword(p, "SUBSCRIBED"))
				l->sel_subscribed = true;
			else if (imap_p_keyword(p, "REMOTE"))
				;   /* no remote mailboxes here */
			else if (imap_p_keyword(p, "RECURSIVEMATCH"))
				l->recursive = true;
			else if (imap_p_keyword(p, "SPECIAL-USE"))
				l->sel_special = true;
			else
				return imap_bad_syntax(s);
			(void)imap_p_char(p, ' ');
		}
		if (l->recursive && !l->sel_subscribed) {
			/* RFC 5258 3: RECURSIVEMATCH alone is an error */
			imap_tagged(s, "BAD", "RECURSIVEMATCH needs another selection option");
			return IMAP_DONE;
		}
		if (!imap_p_sp(p))
			return imap_bad_syntax(s);
	}
	if (!imap_p_astring(p, &refs))
		return imap_bad_syntax(s);
	int e = to_utf8(s, &refs, ref, sizeof(ref));
	if (e == PAT_OK && !imap_p_sp(p))
		e = PAT_BAD;
	if (e == PAT_OK)
		e = parse_patterns(s, ref);
	if (e == PAT_LONG)
		return pattern_too_long(s);
	if (e != PAT_OK)
		return imap_bad_syntax(s);
	if (!lsub && imap_p_char(p, ' ')) {
		if (!imap_p_keyword(p, "RETURN") || !imap_p_sp(p) || !imap_p_char(p, '('))
			return imap_bad_syntax(s);
		while (!imap_p_char(p, ')')) {
			if (imap_p_keyword(p, "SUBSCRIBED"))
				l->ret_subscribed = true;
			else if (imap_p_keyword(p, "CHILDREN"))
				l->ret_children = true;
			else if (imap_p_keyword(p, "SPECIAL-USE"))
				l->ret_special = true;
			else if (imap_p_keyword(p, "STATUS")) {
				if (!imap_p_sp(p) || !imap_status_parse(p, &l->status_items))
					return imap_bad_syntax(s);
			} else
				return imap_bad_syntax(s);
			(void)imap_p_char(p, ' ');
		}
	}
	if (!imap_p_end(p))
		return imap_bad_syntax(s);
	s->step = list_step;
	return IMAP_MORE;
}

int imap_cmd_list(struct imap_session *s) { return list_common(s, false); }
int imap_cmd_lsub(struct imap_session *s) { return list_common(s, true); }
