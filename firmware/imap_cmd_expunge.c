/*
 * imap_cmd_expunge.c - EXPUNGE (RFC 3501 6.4.3) and UID EXPUNGE (RFC 4315
 * 2.1) on the shared expunge engine (imap_expunge.c). The EXPUNGE responses
 * come from the view sync that follows the command.
 */
#include "imap_cmds.h"
#include "imap_acl.h"
#include "imap_internal.h"

int imap_cmd_expunge(struct imap_session *s)
{
	struct imap_seqset set;
	bool have_set = false;
	if (s->uid_cmd) {
		if (!imap_p_sp(&s->p) || !imap_p_seqset(&s->p, &set))
			return imap_bad_syntax(s);
		have_set = true;
	}
	if (!imap_p_end(&s->p)) {
		imap_tagged(s, "BAD", "Unexpected characters after EXPUNGE");
		return IMAP_DONE;
	}
	if (s->v.readonly) {
		imap_tagged(s, "NO", "[READ-ONLY] Mailbox is read-only");
		return IMAP_DONE;
	}
	if (!(s->v.rights & ACL_E)) {
		imap_tagged(s, "NO", "[NOPERM] Permission denied");
		return IMAP_DONE;
	}
	imap_expunge_begin(s, have_set ? &set : NULL, true, "EXPUNGE completed");
	s->u.expunge.report_hms = true;
	s->step = imap_expunge_step;
	return IMAP_MORE;
}
