/*
 * auth.h - user accounts and password checks.
 * Users live in the store as config records ("user/<name>"); see auth.c.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "mbedtls/sha256.h"

struct store;

/* A password check in slices. PBKDF2 is what a login costs (tens of ms on
 * the board for the stored iteration count) and the server has one task:
 * run in one piece it would stall every other session for that long. The
 * check is PBKDF2-HMAC-SHA256 with one 32-byte block, done by hand on two
 * SHA-256 states that have absorbed the key pads, so it can stop anywhere. */
struct auth_check {
	mbedtls_sha256_context inner, outer;   /* HMAC(password, .) key pads absorbed */
	uint8_t u[32], t[32];     /* PBKDF2: this round's U_i, XOR of all so far */
	uint8_t expected[32];
	uint32_t left;            /* rounds still to run */
	uint32_t rounds, t0_ms;
	bool known;               /* the user exists (checked at the end only) */
};

/* Create (or reset the password of) a user and its default mailboxes
 * (INBOX, Drafts, Sent, Trash, Junk, Archive). 0 or a negative STORE_* error. */
int auth_user_add(struct store *s, const char *user, const char *password);
/* Load user's record and key the HMAC with password (not kept), then run
 * the first round. An unknown user costs as many rounds as a known one. */
void auth_check_begin(struct auth_check *c, struct store *s, const char *user,
		      const char *password);
/* Up to n more rounds; true when none are left. */
bool auth_check_step(struct auth_check *c, uint32_t n);
/* After the last step: true if the user exists and the password matches
 * (constant-time comparison). Wipes c. */
bool auth_check_result(struct auth_check *c);
/* Abandon a check (the client went away): wipes c. */
void auth_check_wipe(struct auth_check *c);
/* All of it at once (tools and tests). */
bool auth_verify(struct store *s, const char *user, const char *password);

#endif
