/*
 * imap_cmd_acl.c - GETACL, SETACL, DELETEACL, LISTRIGHTS, MYRIGHTS (RFC 4314).
 */
#include <string.h>

#include "imap_acl.h"
#include "imap_cmds.h"
#include "imap_internal.h"
#include "imap_mailbox.h"

struct acl_target {
	store_mbox_t mb;
	struct store_mbox_info info;
	uint32_t rights;
	char vname[IMAP_VNAME_MAX * 4 + 1];
};

/* Parse the mailbox argument and look it up; answers and returns false on
 * failure. A mailbox without 'l' is reported as nonexistent. */
static bool target(struct imap_session *s, struct acl_target *t)
{
	struct imap_str a;
	const char *why;
	if (!imap_p_sp(&s->p) || !imap_p_astring(&s->p, &a)) {
		imap_bad_syntax(s);
		return false;
	}
	if (!imap_mailbox_name(s, &a, t->vname, sizeof(t->vname), &why)) {
		imap_tagged(s, "NO", "[CANNOT] %s", why);
		return false;
	}
	if (imap_mbox_find(s, t->vname, &t->mb) != STORE_OK ||
	    store_mbox_info(imap_store(s), t->mb, &t->info) != STORE_OK) {
		imap_tagged(s, "NO", "[NONEXISTENT] Mailbox doesn't exist");
		return false;
	}
	t->rights = imap_mbox_rights(s, t->mb);
	return true;
}

static bool ident_arg(struct imap_session *s, char *out)
{
	struct imap_str id;
	if (!imap_p_sp(&s->p) || !imap_p_astring(&s->p, &id)) {
		imap_bad_syntax(s);
		return false;
	}
	if (id.len == 0 || id.len > IMAPD_USER_MAX || memchr(id.s, 0, id.len)) {
		imap_tagged(s, "NO", "[CANNOT] Invalid identifier");
		return false;
	}
	memcpy(out, id.s, id.len);
	out[id.len] = '\0';
	return true;
}

static bool need_admin(struct imap_session *s, const struct acl_target *t)
{
	if (t->rights & ACL_A)
		return true;
	imap_tagged(s, "NO", "[NOPERM] Permission denied");
	return false;
}

/* The most one entry writes: " ", the identifier quoted with every byte
 * escaped (or as a literal), " " and the rights. */
#define ACL_ENTRY_OUT_MAX (2 * IMAPD_USER_MAX + 24)

/* The entries, as many as the output room takes a step: a list can be
 * longer than the output buffer, and the line goes out in pieces. */
static int getacl_step(struct imap_session *s)
{
	struct imap_getacl_state *g = &s->u.getacl;
	char ident[IMAPD_USER_MAX + 1], letters[16];
	uint32_t r, next;
	for (;;) {
		next = g->pos;
		if (!imap_acl_next(imap_store(s), g->uidvalidity, &next, ident, sizeof(ident), &r))
			break;
		if (imap_out_room(s) < ACL_ENTRY_OUT_MAX)
			return IMAP_MORE;
		g->pos = next;
		imap_acl_format(r, letters);
		imap_out_raw(s, " ", 1);
		imap_out_string(s, ident, strlen(ident));
		imap_printf(s, " %s", letters);
	}
	s->step = NULL;
	imap_out_str(s, "\r\n");
	imap_tagged(s, "OK", "GETACL completed");
	return IMAP_DONE;
}

int imap_cmd_getacl(struct imap_session *s)
{
	struct acl_target t;
	if (!target(s, &t))
		return IMAP_DONE;
	if (!imap_p_end(&s->p))
		return imap_bad_syntax(s);
	if (!need_admin(s, &t))
		return IMAP_DONE;
	imap_out_str(s, "* ACL ");
	imap_out_mailbox(s, t.vname);
	if (t.info.user[0] != '$') {
		imap_out_raw(s, " ", 1);
		imap_out_string(s, t.info.user, strlen(t.info.user));
		imap_out_str(s, " " ACL_CHARS);
	}
	s->u.getacl.uidvalidity = t.info.uidvalidity;
	s->u.getacl.pos = 0;
	s->step = getacl_step;
	return getacl_step(s);
}

static int set_or_delete(struct imap_session *s, bool set)
{
	struct acl_target t;
	char ident[IMAPD_USER_MAX + 1];
	struct imap_str rs;
	uint32_t rights = 0;
	char mode = '=';
	if (!target(s, &t) || !ident_arg(s, ident))
		return IMAP_DONE;
	if (set) {
		if (!imap_p_sp(&s->p) || !imap_p_astring(&s->p, &rs))
			return imap_bad_syntax(s);
		if (rs.len && (rs.s[0] == '+' || rs.s[0] == '-')) {
			mode = rs.s[0];
			rs.s++;
			rs.len--;
		}
		if (!imap_acl_parse(rs.s, rs.len, &rights)) {
			imap_tagged(s, "BAD", "Invalid rights");
			return IMAP_DONE;
		}
	}
	if (!imap_p_end(&s->p))
		return imap_bad_syntax(s);
	if (!need_admin(s, &t))
		return IMAP_DONE;
	if (strcmp(ident, t.info.user) == 0) {
		imap_tagged(s, "NO", "[CANNOT] The owner's rights cannot be changed");
		return IMAP_DONE;
	}
	if (set && ident[0] == '-') {
		/* RFC 4314 2: negative rights ("-ident") are optional; an entry we
		 * would store but not enforce must not be accepted */
		imap_tagged(s, "NO", "[CANNOT] Negative rights are not supported");
		return IMAP_DONE;
	}
	int r = set ? imap_acl_set(imap_store(s), t.info.uidvalidity, ident, mode, rights)
		    : imap_acl_delete(imap_store(s), t.info.uidvalidity, ident);
	if (r != STORE_OK)
		imap_tagged_store_err(s, r, set ? "SETACL" : "DELETEACL");
	else
		imap_tagged(s, "OK", "%s completed", set ? "SETACL" : "DELETEACL");
	return IMAP_DONE;
}

int imap_cmd_setacl(struct imap_session *s) { return set_or_delete(s, true); }
int imap_cmd_deleteacl(struct imap_session *s) { return set_or_delete(s, false); }

int imap_cmd_listrights(struct imap_session *s)
{
	struct acl_target t;
	char ident[IMAPD_USER_MAX + 1];
	if (!target(s, &t) || !ident_arg(s, ident))
		return IMAP_DONE;
	if (!imap_p_end(&s->p))
		return imap_bad_syntax(s);
	if (!need_admin(s, &t))
		return IMAP_DONE;
	imap_out_str(s, "* LISTRIGHTS ");
	imap_out_mailbox(s, t.vname);
	imap_out_raw(s, " ", 1);
	imap_out_string(s, ident, strlen(ident));
	if (strcmp(ident, t.info.user) == 0)
		imap_out_str(s, " " ACL_CHARS "\r\n");   /* the owner holds them all */
	else
		imap_out_str(s, " \"\" l r s w i p k x t e a\r\n");
	imap_tagged(s, "OK", "LISTRIGHTS completed");
	return IMAP_DONE;
}

int imap_cmd_myrights(struct imap_session *s)
{
	struct acl_target t;
	char letters[16];
	if (!target(s, &t))
		return IMAP_DONE;
	if (!imap_p_end(&s->p))
		return imap_bad_syntax(s);
	imap_acl_format(t.rights, letters);
	imap_out_str(s, "* MYRIGHTS ");
	imap_out_mailbox(s, t.vname);
	imap_printf(s, " \"%s\"\r\n", letters);
	imap_tagged(s, "OK", "MYRIGHTS completed");
	return IMAP_DONE;
}
