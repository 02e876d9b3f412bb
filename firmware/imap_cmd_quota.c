/*
 * imap_cmd_quota.c - GETQUOTA, GETQUOTAROOT, SETQUOTA (RFC 9208).
 *
 * The limit that matters on a device is its flash, shared by every user and
 * mailbox, so there is one quota root, "", with one resource, STORAGE: in
 * KiB, the log bytes of live records (messages, their metadata, mailboxes,
 * configuration) and, as the limit, what the log can hold once garbage is
 * collected, less the room the collector keeps to move records
 * (store_get_stats). An APPEND the store cannot take gets NO [OVERQUOTA].
 * SETQUOTA is refused: the limit is the part.
 */
#include <string.h>

#include "imap_cmds.h"
#include "imap_internal.h"
#include "imap_mailbox.h"

static void out_quota(struct imap_session *s)
{
	struct store_stats st;
	store_get_stats(imap_store(s), &st);
	uint64_t used = (st.live_bytes + 1023u) / 1024u;
	uint64_t limit = st.capacity_bytes / 1024u;
	if (limit < used)
		limit = used;
	imap_printf(s, "* QUOTA \"\" (STORAGE %llu %llu)\r\n", (unsigned long long)used,
		    (unsigned long long)limit);
}

int imap_cmd_getquota(struct imap_session *s)
{
	struct imap_str root;
	if (!imap_p_sp(&s->p) || !imap_p_astring(&s->p, &root) || !imap_p_end(&s->p))
		return imap_bad_syntax(s);
	if (root.len != 0) {
		imap_tagged(s, "NO", "[NONEXISTENT] No such quota root (the only one is \"\")");
		return IMAP_DONE;
	}
	out_quota(s);
	imap_tagged(s, "OK", "GETQUOTA completed");
	return IMAP_DONE;
}

int imap_cmd_getquotaroot(struct imap_session *s)
{
	struct imap_str a;
	const char *why;
	char name[IMAP_VNAME_MAX * 4 + 1];
	store_mbox_t mb;
	if (!imap_p_sp(&s->p) || !imap_p_astring(&s->p, &a) || !imap_p_end(&s->p))
		return imap_bad_syntax(s);
	if (!imap_mailbox_name(s, &a, name, sizeof(name), &why)) {
		imap_tagged(s, "NO", "[CANNOT] %s", why);
		return IMAP_DONE;
	}
	if (imap_mbox_find(s, name, &mb) != STORE_OK) {
		imap_tagged(s, "NO", "[NONEXISTENT] Mailbox doesn't exist");
		return IMAP_DONE;
	}
	imap_out_str(s, "* QUOTAROOT ");
	imap_out_mailbox(s, name);
	imap_out_str(s, " \"\"\r\n");
	out_quota(s);
	imap_tagged(s, "OK", "GETQUOTAROOT completed");
	return IMAP_DONE;
}

int imap_cmd_setquota(struct imap_session *s)
{
	/* the arguments are not even parsed: nothing could make this succeed */
	imap_tagged(s, "NO", "[NOPERM] The quota is the device's flash and cannot be set");
	return IMAP_DONE;
}
