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
	IMAP_STATUS_DELETED_STORAGE = 1u << 6,   /* listed before DELETED: keyword prefix */
	IMAP_STATUS_DELETED = 1u << 7,
	IMAP_STATUS_HIGHESTMODSEQ = 1u << 8,
	IMAP_STATUS_APPENDLIMIT = 1u << 9,
};

/*
 * Namespaces (RFC 2342): a client-visible name is either the session user's
 * own ("INBOX", "Projects/x"), another user's under "Other Users/<user>/",
 * or a shared mailbox under "Shared/" (owned by IMAP_SHARED_OWNER, a name no
 * login can have). Rights come from imap_acl.h.
 */
#define IMAP_NS_OTHER "Other Users/"
#define IMAP_NS_SHARED "Shared/"
#define IMAP_SHARED_OWNER "$shared"
#define IMAP_VNAME_MAX (sizeof(IMAP_NS_OTHER) + STORE_USER_MAX + 1 + STORE_NAME_MAX)

struct imap_mbref {
	char owner[STORE_USER_MAX + 1];
	char name[STORE_NAME_MAX + 1];
};

/* Map a visible name to owner and store name; false if it names no possible
 * mailbox (a namespace prefix, or too long). */
bool imap_mbox_resolve(const struct imap_session *s, const char *vname, struct imap_mbref *ref);
/* The visible name of a store mailbox for this session. */
void imap_mbox_vname(const struct imap_session *s, const char *owner, const char *name,
		     char *out, size_t cap);

/* NULL if name (UTF-8, INBOX folded) may be created, else the reason. */
const char *imap_mbox_name_check(const char *name);
/* Find a visible name. A mailbox without the lookup right is reported as
 * STORE_NOENT, exactly as a missing one (RFC 4314 6). */
int imap_mbox_find(struct imap_session *s, const char *vname, store_mbox_t *mb);
uint32_t imap_mbox_rights(struct imap_session *s, store_mbox_t mb);
/* Create name and any missing superiors (RFC 3501 6.3.3). STORE_EXISTS if
 * name itself exists; STORE_INVAL-like NOPERM is reported as -100. */
#define IMAP_ERR_NOPERM (-100)
int imap_mbox_create_path(struct imap_session *s, const char *vname, uint32_t attrs);
bool imap_mbox_has_children(struct imap_session *s, const char *vname);
/* Subscriptions: the owner's are a mailbox attribute, other users' a config
 * record of their own. */
bool imap_mbox_subscribed(struct imap_session *s, store_mbox_t mb);
int imap_mbox_subscribe(struct imap_session *s, store_mbox_t mb, bool on);
const char *imap_special_use_name(uint32_t attr);
/* Subscriptions of a user's deleted mailboxes (names in the user's own
 * namespace): keep one, take one back (true if it was kept), and iterate
 * (cursor from 0; 1 with the name, 0 at the end, or a store error). */
int imap_sub_keep(struct store *st, const char *user, const char *name);
bool imap_sub_take(struct store *st, const char *user, const char *name);
int imap_sub_next(struct store *st, const char *user, uint32_t *cursor, char name[STORE_NAME_MAX + 1]);
/* Default mailboxes of a new user, with their special-use attributes. */
int imap_mbox_create_defaults(struct store *st, const char *user);

bool imap_status_parse(struct imap_parser *p, uint32_t *items);
void imap_status_write(struct imap_session *s, store_mbox_t mb, const char *name,
		       uint32_t items);

#endif
