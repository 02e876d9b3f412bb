/*
 * auth.h - user accounts and password checks.
 * Users live in the store as config records ("user/<name>"); see auth.c.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stdbool.h>

struct store;

/* Create (or reset the password of) a user and its default mailboxes
 * (INBOX, Drafts, Sent, Trash, Junk, Archive). 0 or a negative STORE_* error. */
int auth_user_add(struct store *s, const char *user, const char *password);
/* true if user exists and password matches (constant-time comparison). */
bool auth_verify(struct store *s, const char *user, const char *password);

#endif
