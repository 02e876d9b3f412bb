/*
 * imap_mailbox.h - mailbox names as the IMAP layer sees them: validation,
 * lookup in the session user's namespace, hierarchy helpers, STATUS items.
 */
#ifndef IMAP_MAILBOX_H
#define IMAP_MAILBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "imap_parse.h"
#include "store.h"

struct imap_session;

enum {
	IMAP_STATUS_MESSAGES = 1u << 0,
	IMAP_STATUS_RECENT = 1u << 1,
	IMAP_STATUS_UIDNEXT = 1u << 2,
	IMAP_STATUS_UIDVALIDITY = 1u << 3,
	IMAP_STATUS_UNSEEN = 1u << 4,
	IMAP_STATUS_SIZE = 1u << 5,
};

/* NULL if name (UTF-8, INBOX folded) may be created, else the reason. */
const char *imap_mbox_name_check(const char *name);
int imap_mbox_find(struct imap_session *s, const char *name, store_mbox_t *mb);
/* Create name and any missing superiors (RFC 3501 6.3.3). STORE_EXISTS if
 * name itself exists. */
int imap_mbox_create_path(struct imap_session *s, const char *name, uint32_t attrs);
bool imap_mbox_has_children(struct imap_session *s, const char *name);
const char *imap_special_use_name(uint32_t attr);
/* Default mailboxes of a new user, with their special-use attributes. */
int imap_mbox_create_defaults(struct store *st, const char *user);

bool imap_status_parse(struct imap_parser *p, uint32_t *items);
void imap_status_write(struct imap_session *s, store_mbox_t mb, const char *name,
		       uint32_t items);

#endif
