/*
 * imap_cmdstate.h - per-command progress kept in a session while a command
 * runs in slices. One union: a session runs one command at a time.
 */
#ifndef IMAP_CMDSTATE_H
#define IMAP_CMDSTATE_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct imap_list_state {
	int16_t cursor;           /* store_mbox_next() position */
	bool lsub, sel_subscribed, sel_special, recursive;
	bool ret_subscribed, ret_children, ret_special;
	bool empty_pattern;       /* LIST "" "": report the delimiter only */
	uint32_t status_items;    /* LIST-STATUS, 0 = none */
	uint8_t npat;
	uint16_t pat_off[8], pat_len[8];
	char pat_buf[512];        /* combined reference+pattern, UTF-8 */
};

struct imap_append_state {
	struct store_append *a;
	int slot;                 /* MIME parser + metadata buffer from the pool */
	store_mbox_t mb;
	uint32_t size, got;
	bool tail;                /* the message is in; reading the end of the line */
	bool discard;             /* refused non-synchronising literal: drop it */
	int err;                  /* first store error, answered at the end */
	uint32_t uidvalidity, uid;
	uint8_t tail_len;
	char tail_buf[2];
};

struct imap_idle_state {
	char buf[8];
	uint8_t len;              /* saturates: a long line is simply not DONE */
};

struct imap_sasl_state {
	char buf[4 * ((2 * 32 + 128 + 4) / 3) + 8];   /* base64 of authz, authc, password */
	uint16_t len;
	bool overflow;
};

struct imap_select_state {
	store_mbox_t mb;
};

struct imap_expunge_state {
	uint32_t next_uid;
	const char *set;          /* UID set text in the command buffer, or NULL */
	uint32_t set_len;
	bool require_deleted;
	const char *done;
	int err;
};

struct imap_rename_state {
	store_mbox_t from, to;
	uint32_t idx;
	struct store_copy copy;
	uint32_t uid;
};

union imap_cmdstate {
	struct imap_list_state list;
	struct imap_append_state append;
	struct imap_idle_state idle;
	struct imap_sasl_state sasl;
	struct imap_select_state select;
	struct imap_expunge_state expunge;
	struct imap_rename_state rename;
};

#endif
