/*
 * store.h - the mail store: an append-only log on NOR flash.
 *
 * It knows nothing of IMAP syntax: mailboxes are (user, UTF-8 name) pairs,
 * messages are byte streams with a UID, flags, dates, a modseq and an opaque
 * metadata blob the caller attaches at commit.
 *
 * DURABILITY CONTRACT: when a mutating call returns STORE_OK, the change
 * survives any later power cut. A message is atomic: after a cut it is
 * either wholly present with its metadata or absent. UIDs are never reused
 * within one UIDVALIDITY; UIDVALIDITY changes only when a mailbox is
 * recreated.
 *
 * One struct store per device, statically allocated by the caller; no call
 * allocates. Long work (garbage collection, erases) happens in store_poll()
 * slices, so a mutating call does a bounded amount of flash work. When it
 * cannot proceed without reclaiming space first it returns STORE_AGAIN and
 * the caller retries after store_poll().
 */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash.h"

#ifndef STORE_MAX_MESSAGES
#define STORE_MAX_MESSAGES 4096   /* index slots, all mailboxes (incl. tombstones) */
#endif
#ifndef STORE_MAX_MAILBOXES
#define STORE_MAX_MAILBOXES 64
#endif
#ifndef STORE_NAME_MAX
#define STORE_NAME_MAX 96         /* mailbox name bytes, UTF-8, no NUL */
#endif
#ifndef STORE_USER_MAX
#define STORE_USER_MAX 32         /* user name bytes, no NUL */
#endif
#ifndef STORE_MAX_KEYWORDS
#define STORE_MAX_KEYWORDS 24     /* per mailbox */
#endif
#ifndef STORE_KEYWORD_MAX
#define STORE_KEYWORD_MAX 32      /* keyword bytes */
#endif
#ifndef STORE_MAX_APPENDS
#define STORE_MAX_APPENDS 4       /* concurrent appends/copies in progress */
#endif
#ifndef STORE_CFG_KEY_MAX
#define STORE_CFG_KEY_MAX 64
#endif
#ifndef STORE_CFG_VAL_MAX
#define STORE_CFG_VAL_MAX 2048    /* a PEM certificate fits */
#endif
#ifndef STORE_MAX_CFG
#define STORE_MAX_CFG 256         /* config records (users, subscriptions, ACLs, keys) */
#endif
#ifndef STORE_META_MAX
#define STORE_META_MAX 4096       /* metadata blob per message */
#endif

enum store_err {
	STORE_OK = 0,
	STORE_AGAIN = -1,     /* call store_poll() then retry (GC must make room) */
	STORE_NOSPACE = -2,   /* flash full: IMAP [OVERQUOTA] */
	STORE_LIMIT = -3,     /* a RAM table is full (messages, mailboxes, keywords, cfg): [LIMIT] */
	STORE_NOENT = -4,     /* no such mailbox / message / key */
	STORE_EXISTS = -5,    /* mailbox or key already exists */
	STORE_INVAL = -6,     /* bad argument (name too long, bad handle) */
	STORE_BUSY = -7,      /* all append slots in use */
	STORE_IO = -8,        /* flash device error */
	STORE_CORRUPT = -9,   /* unrecoverable image (mount) */
};

/* System flags (bits 0..7) and keyword bits (8..31: keyword index k is bit 8+k). */
enum {
	STORE_F_SEEN = 1u << 0,
	STORE_F_ANSWERED = 1u << 1,
	STORE_F_FLAGGED = 1u << 2,
	STORE_F_DELETED = 1u << 3,
	STORE_F_DRAFT = 1u << 4,
	STORE_F_SYSTEM_MASK = 0x1fu,
	STORE_F_KEYWORD0 = 1u << 8,
};
#define STORE_F_KEYWORD(k) ((uint32_t)STORE_F_KEYWORD0 << (k))   /* unsigned: bit 31 is used */

/* Mailbox attributes kept by the store for the caller (SPECIAL-USE etc.). */
enum {
	STORE_MB_SUBSCRIBED = 1u << 0,
	STORE_MB_NOSELECT = 1u << 1,    /* \Noselect placeholder (deleted parent) */
	STORE_MB_ALL = 1u << 2,         /* RFC 6154 special-use */
	STORE_MB_ARCHIVE = 1u << 3,
	STORE_MB_DRAFTS = 1u << 4,
	STORE_MB_FLAGGED = 1u << 5,
	STORE_MB_JUNK = 1u << 6,
	STORE_MB_SENT = 1u << 7,
	STORE_MB_TRASH = 1u << 8,
};

typedef int16_t store_mbox_t;   /* mailbox handle, valid while mounted; <0 none */

struct store_mbox_info {
	char user[STORE_USER_MAX + 1];
	char name[STORE_NAME_MAX + 1];
	uint32_t attrs;           /* STORE_MB_* */
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	uint32_t messages;        /* live messages (tombstones not counted) */
	uint32_t unseen;          /* live messages without \Seen */
	uint64_t size;            /* sum of live message sizes */
	uint32_t changes;         /* RAM counter bumped by every change; for polling */
};

/* One index entry. */
struct store_msg {
	uint32_t uid;
	uint32_t flags;           /* STORE_F_* (0 for a tombstone) */
	uint64_t modseq;          /* of the last change (expunge, for a tombstone) */
	bool expunged;            /* tombstone kept for sessions not yet told */
};

/* Costs a flash read. */
struct store_msg_stat {
	uint32_t size;            /* message bytes */
	int64_t internaldate;     /* seconds since epoch, UTC */
	int16_t tz_minutes;       /* zone of INTERNALDATE, minutes east of UTC */
	uint32_t meta_len;        /* metadata blob bytes */
};

struct store_stats {
	uint64_t flash_bytes;     /* device size */
	uint64_t free_bytes;      /* largest message an append would accept now (APPENDLIMIT) */
	uint64_t capacity_bytes;  /* live bytes the log can hold: all but the collector's reserve */
	uint64_t live_bytes, dead_bytes;
	uint32_t messages, mailboxes;
	uint64_t prog_bytes, erase_count;   /* since mount */
};

struct store;                 /* full definition in store_impl.h; sizeof via STORE_SIZEOF */

/* ---- life cycle ---- */
int store_format(struct store *s, const struct flash_dev *f);  /* erase + empty store */
/* Rebuild the RAM index. STORE_CORRUPT: not a store (or another geometry);
 * STORE_LIMIT: the image holds more than this build's tables (written by a
 * build with larger STORE_* limits); nothing is changed on flash. */
int store_mount(struct store *s, const struct flash_dev *f);
void store_unmount(struct store *s);
bool store_poll(struct store *s);   /* one bounded GC/erase slice; true if more work pending */
void store_get_stats(const struct store *s, struct store_stats *st);

/* ---- mailboxes ---- */
int store_mbox_create(struct store *s, const char *user, const char *name,
		      uint32_t attrs, store_mbox_t *out);
int store_mbox_find(struct store *s, const char *user, const char *name, store_mbox_t *out);
/* Rename name and every mailbox below "name/" of the same user, atomically. */
int store_mbox_rename(struct store *s, const char *user, const char *from, const char *to);
/* Delete one mailbox and its messages (children untouched). */
int store_mbox_delete(struct store *s, store_mbox_t mb);
int store_mbox_set_attrs(struct store *s, store_mbox_t mb, uint32_t attrs);
int store_mbox_info(struct store *s, store_mbox_t mb, struct store_mbox_info *out);
/* Iterate: first call with prev = -1; returns next handle or -1 at the end.
 * user == NULL iterates every user's mailboxes. Order: stable, by handle. */
store_mbox_t store_mbox_next(struct store *s, const char *user, store_mbox_t prev);

/* Keywords: per-mailbox table of up to STORE_MAX_KEYWORDS names. */
int store_kw_lookup(struct store *s, store_mbox_t mb, const char *kw, bool create); /* index or err */
const char *store_kw_name(struct store *s, store_mbox_t mb, int idx);  /* NULL if unused */

/* ---- messages: index entries in UID order, tombstones included ---- */
uint32_t store_msg_entries(struct store *s, store_mbox_t mb);
/* The whole entry. RAM holds the UID, system flags and expunged; keywords
 * and the modseq of a live message cost a flash read on a record-cache
 * miss (so it may return STORE_IO). */
int store_msg_get(struct store *s, store_mbox_t mb, uint32_t idx, struct store_msg *out);
/* RAM only, for loops over many entries: uid, expunged, system flags only
 * (no keyword bits), modseq only for a tombstone (0 for a live message). */
int store_msg_peek(struct store *s, store_mbox_t mb, uint32_t idx, struct store_msg *out);
/* As store_msg_peek, with the keyword bits: reads flash only for a message
 * that has keywords. */
int store_msg_flags(struct store *s, store_mbox_t mb, uint32_t idx, struct store_msg *out);
/* RAM only: false when the message's flags certainly did not change after
 * modseq since (a journal of the latest STORE_FLAG_JOURNAL changes; when it
 * does not reach back that far, or after a mount, the answer is true). */
bool store_flags_changed_since(const struct store *s, store_mbox_t mb, uint32_t uid,
			       uint64_t since);
/* Index of uid, or of the first entry with a greater UID (*exact false). */
int store_msg_find(struct store *s, store_mbox_t mb, uint32_t uid, uint32_t *idx, bool *exact);
int store_msg_stat(struct store *s, store_mbox_t mb, uint32_t idx, struct store_msg_stat *out);
/* Read message bytes [off, off+len). Returns bytes read (0 at end) or err. */
int store_msg_read(struct store *s, store_mbox_t mb, uint32_t idx, uint32_t off,
		   void *buf, uint32_t len);
int store_msg_meta_read(struct store *s, store_mbox_t mb, uint32_t idx, uint32_t off,
			void *buf, uint32_t len);
/* Replace flags; returns STORE_OK and the new modseq (also the mailbox's
 * HIGHESTMODSEQ). Unchanged flags still succeed without a write. */
int store_msg_set_flags(struct store *s, store_mbox_t mb, uint32_t uid, uint32_t flags,
			uint64_t *modseq);
/* Expunge: durable removal; the RAM entry stays as a tombstone (expunged=true,
 * modseq = expunge modseq) until store_mbox_purge() drops it. */
int store_msg_expunge(struct store *s, store_mbox_t mb, uint32_t uid);
/* Drop tombstones whose modseq <= upto (the caller knows every session that
 * had them selected has been told). */
void store_mbox_purge(struct store *s, store_mbox_t mb, uint64_t upto);

/* ---- streaming append: begin / write... / commit or abort ---- */
struct store_append;   /* slot handle inside struct store */
/* Checks space and limits up front: size is the exact byte count to come. */
int store_append_begin(struct store *s, store_mbox_t mb, uint32_t size, int64_t internaldate,
		       int16_t tz_minutes, uint32_t flags, struct store_append **out);
/* Returns bytes accepted (> 0), or STORE_AGAIN / error. Bounded flash work. */
int store_append_write(struct store *s, struct store_append *a, const void *buf, uint32_t len);
/* All size bytes written: attach metadata, make durable, assign the UID. */
int store_append_commit(struct store *s, struct store_append *a, const void *meta,
			uint32_t meta_len, uint32_t *uid);
void store_append_abort(struct store *s, struct store_append *a);

/* Copy one message (data, flags, metadata, date) into dst with a new UID.
 * Returns STORE_AGAIN while in progress (call again; bounded work per call);
 * STORE_OK with *new_uid when done. Keep *st zeroed before the first call. */
struct store_copy { uint32_t state[8]; void *slot; };
int store_msg_copy(struct store *s, struct store_copy *st, store_mbox_t src, uint32_t uid,
		   store_mbox_t dst, uint32_t *new_uid);
/* Give up a copy in progress (e.g. the session went away); *st is zeroed. */
void store_msg_copy_abort(struct store *s, struct store_copy *st);

/* ---- small named config records (users, subscriptions, ACLs, TLS key) ---- */
int store_cfg_put(struct store *s, const char *key, const void *val, uint32_t len);
int store_cfg_get(struct store *s, const char *key, void *buf, uint32_t cap); /* len or err */
int store_cfg_del(struct store *s, const char *key);
/* Iterate keys starting with prefix: cursor starts at 0; returns 1 with key
 * copied out, 0 at end. */
int store_cfg_next(struct store *s, const char *prefix, uint32_t *cursor,
		   char key[STORE_CFG_KEY_MAX + 1]);

/* ---- checking ---- */
struct store_fsck_report {
	uint32_t records, bad_crc, sectors;
	uint64_t live_bytes, dead_bytes;
};
/* Verify every record's CRC; per-sector callback may be NULL. 0 if clean. */
int store_fsck(const struct flash_dev *f, struct store_fsck_report *r,
	       void (*per_sector)(void *ctx, uint32_t sector, uint32_t live, uint32_t dead,
				  uint32_t erases),
	       void *ctx);

#include "store_impl.h"   /* struct store layout, so callers can allocate it statically */

#endif
