/*
 * imap_cmdstate.h - per-command progress kept in a session while a command
 * runs in slices. One union: a session runs one command at a time.
 */
#ifndef IMAP_CMDSTATE_H
#define IMAP_CMDSTATE_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "imap_msgset.h"
#include "imapd_config.h"
#include "imap_search.h"
#include "imap_runs.h"
#include "imap_vanished.h"
#include "mime_decode.h"
#include "mime_hdr_filter.h"
#include "store.h"

/* LIST's patterns (RFC 5258 3: a parenthesized list of them). */
#define IMAP_LIST_PATTERNS 8

struct imap_list_state {
	int16_t cursor;           /* store_mbox_next() position */
	bool lsub, sel_subscribed, sel_special, recursive;
	bool ret_subscribed, ret_children, ret_special;
	bool empty_pattern;       /* LIST "" "": report the delimiter only */
	bool levels;              /* mailboxes done; now the levels above others' mailboxes */
	int16_t lcursor;          /* levels: the mailbox whose ancestors are looked at */
	uint8_t ldepth;           /* levels: its next ancestor ('/' count) */
	bool orphans;             /* then the subscriptions that outlived their mailbox */
	uint32_t sub_cursor;      /* imap_sub_next() position */
	uint32_t status_items;    /* LIST-STATUS, 0 = none */
	uint8_t npat;
	uint16_t pat_off[IMAP_LIST_PATTERNS], pat_len[IMAP_LIST_PATTERNS];
	char pat_buf[512];        /* combined reference+pattern, UTF-8 */
};

struct imap_append_state {
	struct store_append *a;
	int slot;                 /* MIME parser + metadata buffer from the pool */
	store_mbox_t mb;
	uint32_t size, got;
	/* the store's append, begun once an upload slot is free */
	bool nonsync;             /* {n+}: the literal comes without a "+" */
	uint32_t flags;
	int64_t date;
	int16_t tz;
	bool tail;                /* the message is in; reading the end of the line */
	bool discard;             /* refused non-synchronising literal: drop it */
	int err;                  /* first store error, answered at the end */
	uint32_t uidvalidity;
	uint8_t tail_len;
	bool close_paren;         /* UTF8 (~{n}...) of RFC 6855 ends with ')' */
	uint32_t skip_lit;        /* refused line: bytes of a {n+} still to drop */
	char tail_buf[16];        /* refused line: its last bytes, to spot {n+} */
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

/* GETACL: its one line can outgrow the output buffer; entries go out as
 * room allows */
struct imap_getacl_state {
	uint32_t uidvalidity;     /* the mailbox's ACL record */
	uint32_t pos;             /* next entry in it */
};

/* LOGIN / AUTHENTICATE PLAIN: the password check, run in slices */
struct imap_login_state {
	struct auth_check check;
	char user[IMAPD_USER_MAX + 1];
};

struct imap_select_state {
	bool examine;             /* the command's name, for the completion text */
	/* SELECT (QRESYNC (uidvalidity modseq [known-uids] ...)), RFC 7162 3.2.5 */
	bool qr, qr_known;
	uint32_t qr_uidvalidity;
	uint64_t qr_modseq;
	struct imap_seqset qr_uids;   /* known-uids (text in the command) */
	struct imap_vanished van;
	uint32_t qr_seq;          /* FETCH of changed messages: last sequence number done */
};

struct imap_expunge_state {
	uint32_t next_uid;
	const char *set;          /* UID set text in the command buffer, or NULL */
	uint32_t set_len;
	bool dollar;              /* the set is '$': the saved search result */
	bool report_hms;          /* EXPUNGE, not CLOSE: OK [HIGHESTMODSEQ] for CONDSTORE */
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

#ifndef IMAP_FETCH_MAX_ITEMS
#define IMAP_FETCH_MAX_ITEMS 16
#endif

/* One FETCH data item; a section is kept as its text in the command buffer
 * (offset, length) and parsed again when used. */
struct imap_fetch_item {
	uint8_t kind;
	uint8_t opts;
	uint16_t sect_off, sect_len;
	uint32_t origin, count;   /* partial <origin.count> */
};

struct imap_fetch_state {
	struct imap_msgset walk;
	struct imap_msgset_msg msg;
	struct imap_fetch_item item[IMAP_FETCH_MAX_ITEMS];
	uint8_t nitems, cur, phase;
	bool in_msg;              /* "* n FETCH (" written */
	bool sep;                 /* an item was written: the next needs a SP */
	bool sets_seen;           /* some item sets \Seen */
	bool add_flags;           /* \Seen was just set: report FLAGS at the end */
	bool need_stat;           /* some item needs store_msg_stat() */
	bool gone;                /* the message's entry was purged mid-answer */
	bool expunged_seen;       /* a message expunged by another session was skipped */
	int err;                  /* first failure, answered NO at the end */
	uint32_t flags;
	uint64_t modseq;          /* the message's, after any \Seen this FETCH set */
	uint64_t changedsince;    /* CHANGEDSINCE (RFC 7162 3.1.4.1); 0: none */
	bool vanished;            /* UID FETCH (... VANISHED): VANISHED (EARLIER) first */
	bool kw_told;             /* FLAGS for keywords new to the session sent first */
	struct imap_vanished van;
	struct store_msg_stat stat;
	/* the item being streamed */
	uint8_t xform;
	bool lit8;                /* literal8 (RFC 3516): decoded data holds a NUL */
	bool ended;               /* the transform has been told the input ended */
	uint32_t r_off, r_end;    /* source byte range */
	uint32_t pos;             /* next source byte (or render skip) */
	uint32_t produced;        /* transformed bytes produced so far in this pass */
	uint32_t total;           /* transformed size (count pass) */
	uint32_t win_off, win_left;   /* partial window still to send */
	union {
		struct mime_hdr_filter f;
		struct mime_dec d;
	} x;
};

struct imap_store_state {
	struct imap_msgset walk;
	uint8_t mode, phase;
	bool silent;
	uint32_t bits;            /* STORE_F_* given */
	uint32_t allowed;         /* STORE_F_* the user's rights let it change */
	/* UNCHANGEDSINCE (RFC 7162 3.1.3): the sequence numbers or UIDs that
	 * failed the test, for [MODIFIED ...] */
	bool unchanged_test;
	uint64_t unchangedsince;
	struct imap_runs modified;
};


struct imap_copy_state {
	struct imap_msgset walk;
	struct imap_msgset_msg msg;
	struct store_copy copy;
	store_mbox_t dst;
	uint32_t dst_validity;
	uint32_t dst_rights;       /* ACL_* on the target: which flags come along */
	uint8_t phase;
	bool move;
	bool busy;                /* a store copy of msg is in progress */
	uint32_t src_flags;
	int err;                  /* a copy failed: undo, then answer */
	uint8_t undo_run;
	uint32_t undo_next;
	struct imap_runs src, dst_uids;   /* COPYUID, in walk order */
};

struct imap_search_state {
	int8_t slot;              /* program + matchers (imap_cmd_search.c), -1 none */
	uint8_t phase;            /* of the current message */
	bool started;             /* the untagged response line was begun */
	uint32_t wait_since;      /* waiting for a slot since (ms) */
	/* walk: by UID, so that purges between slices do not matter */
	uint32_t next_uid, seq;
	uint32_t uid, idx, msg_size;
	struct imap_search_msg m;
	/* text scan of the current message */
	uint32_t pos, end, body_start;
	uint16_t part;            /* next MIME record to look at */
	bool in_part;
	bool latin1;              /* the part's charset: convert to UTF-8 */
	uint8_t hs;               /* header scanner state */
	bool in_field, name_over, val_lead;
	uint8_t name_len, stage_n;
	uint32_t fmask;           /* text keys fed by the current field */
	char name[80];
	char stage[128];
	/* results */
	uint32_t count, min, max;
	uint32_t min_uid, max_uid;
	uint64_t modseq_max;      /* over every match */
	uint64_t min_modseq, max_modseq;   /* of the MIN and the MAX match */
	struct imap_search_setw setw;
	/* RETURN (SAVE): the new result, moved to the session's at the end */
	bool save_all;            /* every match; else only the MIN/MAX ones */
	bool quiet;               /* SAVE alone: no ESEARCH response (RFC 5182 2.1) */
	bool prev_matched;        /* the view's previous message matched */
	struct imap_runs res;
};

/* The tagged line, tag included (imap_tagged()). */
#define IMAP_DONE_LINE_MAX (IMAPD_TAG_MAX + 320)
/* The tagged line is held in the state's last bytes until the selected
 * mailbox's updates have gone out before it: once a handler has answered,
 * it and its abort callback use only the first IMAP_CMDSTATE_KEEP bytes of
 * their state (imap_session.c checks the ones that do; AUTHENTICATE wipes
 * its buffer before it answers). */
#define IMAP_CMDSTATE_KEEP 192

union imap_cmdstate {
	struct {
		char keep[IMAP_CMDSTATE_KEEP];
		char line[IMAP_DONE_LINE_MAX];
	} done;
	struct imap_list_state list;
	struct imap_append_state append;
	struct imap_idle_state idle;
	struct imap_sasl_state sasl;
	struct imap_login_state login;
	struct imap_select_state select;
	struct imap_expunge_state expunge;
	struct imap_getacl_state getacl;
	struct imap_rename_state rename;
	struct imap_fetch_state fetch;
	struct imap_store_state store;
	struct imap_copy_state copy;
	struct imap_search_state search;
};

#endif
