/*
 * imap_acl.h - access control lists (RFC 4314) kept in the store as config
 * records "acl/<uidvalidity>" (a mailbox's UIDVALIDITY is also its identity
 * in the store, and survives renames):
 *     repeated { ident_len(1) ident(ident_len) rights(2, LE) }
 * The owner of a mailbox holds every right implicitly; "anyone" applies to
 * every other authenticated user.
 */
#ifndef IMAP_ACL_H
#define IMAP_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imapd_config.h"
#include "store.h"

enum {
	ACL_L = 1u << 0,   /* lookup: visible in LIST, exists at all */
	ACL_R = 1u << 1,   /* read: SELECT, EXAMINE, STATUS, FETCH, SEARCH, COPY from */
	ACL_S = 1u << 2,   /* keep \Seen */
	ACL_W = 1u << 3,   /* write flags other than \Seen and \Deleted */
	ACL_I = 1u << 4,   /* insert: APPEND, COPY/MOVE into */
	ACL_P = 1u << 5,   /* post (no SMTP submission here; kept for completeness) */
	ACL_K = 1u << 6,   /* create mailboxes below */
	ACL_X = 1u << 7,   /* delete the mailbox, rename it away */
	ACL_T = 1u << 8,   /* set/clear \Deleted */
	ACL_E = 1u << 9,   /* expunge */
	ACL_A = 1u << 10,  /* administer: SETACL, GETACL, DELETEACL, LISTRIGHTS */
	ACL_ALL = 0x7ff,
};

#define ACL_CHARS "lrswipkxtea"
/* Entries a mailbox's list holds: every user and "anyone". */
#define ACL_MAX_ENTRIES (IMAPD_MAX_USERS + 1)

/* The flags (STORE_F_*) a user with these rights may set, change or bring
 * in with APPEND and COPY (RFC 4314 4): \Seen needs 's', \Deleted 't',
 * every other flag and keyword 'w'. */
static inline uint32_t imap_acl_flag_mask(uint32_t rights)
{
	return ((rights & ACL_S) ? STORE_F_SEEN : 0u) | ((rights & ACL_T) ? STORE_F_DELETED : 0u) |
	       ((rights & ACL_W) ? ~(uint32_t)(STORE_F_SEEN | STORE_F_DELETED) : 0u);
}

/* Rights of login on a mailbox owned by owner (uidvalidity identifies it). */
uint32_t imap_acl_rights(struct store *st, uint32_t uidvalidity, const char *owner,
			 const char *login);
/* Parse "lrs..." (RFC 4314 rights; also the obsolete "c" and "d" of RFC 2086,
 * mapped to "k" and "xte"). Returns false on an unknown letter. */
bool imap_acl_parse(const char *s, size_t len, uint32_t *rights);
/* Write the letters of rights, NUL-terminated; returns the length. */
size_t imap_acl_format(uint32_t rights, char out[16]);

/* Set (mode '=' replace, '+' add, '-' remove) or delete the entry for ident. */
int imap_acl_set(struct store *st, uint32_t uidvalidity, const char *ident, char mode,
		 uint32_t rights);
int imap_acl_delete(struct store *st, uint32_t uidvalidity, const char *ident);
/* Iterate entries: *pos starts at 0; returns true with ident copied out. */
bool imap_acl_next(struct store *st, uint32_t uidvalidity, uint32_t *pos, char *ident,
		   size_t cap, uint32_t *rights);
/* A mailbox is gone: drop its list. */
void imap_acl_drop(struct store *st, uint32_t uidvalidity);

#endif
