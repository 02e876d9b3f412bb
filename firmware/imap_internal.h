/*
 * imap_internal.h - what command handlers (imap_cmd_*.c) use of the session.
 *
 * A handler is called with the parser positioned after the command name (and
 * after "UID " for UID commands). It either finishes at once, writing its
 * untagged data and then the tagged result with imap_tagged(), returning
 * IMAP_DONE; or it stores its progress in s->u, sets s->step and returns
 * IMAP_MORE. The session calls s->step again whenever there is output room
 * (at least IMAPD_OUT_RESERVE bytes free), at most once per slice, until it
 * returns IMAP_DONE. A step that waits for input returns IMAP_WAIT; one that
 * waits for the store's GC returns IMAP_AGAIN (it is called again on the next
 * poll).
 */
#ifndef IMAP_INTERNAL_H
#define IMAP_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap_session.h"
#include "store.h"

enum {
	IMAP_DONE = 0,
	IMAP_MORE = 1,   /* call step again as soon as output room allows */
	IMAP_WAIT = 2,   /* waiting for input (RD_STREAM) */
	IMAP_AGAIN = 3,  /* waiting for the store; retry on the next poll */
};

#ifndef IMAPD_OUT_RESERVE
#define IMAPD_OUT_RESERVE 1024   /* a step may always write this much */
#endif

/* ---- output ---- */
size_t imap_out_room(const struct imap_session *s);
void imap_out_raw(struct imap_session *s, const void *data, size_t len);
void imap_out_str(struct imap_session *s, const char *z);
void imap_printf(struct imap_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* IMAP string: atom-safe -> quoted, else literal; NULL -> NIL. */
void imap_out_string(struct imap_session *s, const char *data, size_t len);
/* A mailbox name given in UTF-8: encoded as mUTF-7 unless UTF8=ACCEPT. */
void imap_out_mailbox(struct imap_session *s, const char *utf8name);
/* Flag list "(\Seen kw ...)" for STORE_F_* flags of the selected mailbox. */
void imap_out_flags(struct imap_session *s, uint32_t flags, bool recent);
/* Room for one "* n FETCH (UID u MODSEQ (m) FLAGS (...))" line, every
 * system flag and keyword included. */
#define IMAP_FLAG_LINE_MAX (160 + STORE_MAX_KEYWORDS * (STORE_KEYWORD_MAX + 1))
/* CONDSTORE (RFC 7162 3.1): a CONDSTORE enabling command was seen; from now
 * on FETCH responses that report flags carry MODSEQ too. */
void imap_condstore_enable(struct imap_session *s);
/* Every flag the selected mailbox knows, for FLAGS / PERMANENTFLAGS
 * (wildcard adds "\*": new keywords may be created). */
void imap_out_flag_names(struct imap_session *s, bool wildcard);
/* The PERMANENTFLAGS list: the flags this user may change in the selected
 * mailbox ("()" when it is read-only), "\*" while new keywords fit. */
void imap_out_permanent_flags(struct imap_session *s);
/* Tagged completion: imap_tagged(s, "OK", "[READ-WRITE] SELECT completed").
 * The whole line, tag included, is at most IMAP_DONE_LINE_MAX bytes. It
 * waits in the command state's last bytes until it is sent: after it, the
 * handler uses only the first IMAP_CMDSTATE_KEEP bytes of s->u. */
void imap_tagged(struct imap_session *s, const char *status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Map a STORE_* error to a NO response with the right code. */
void imap_tagged_store_err(struct imap_session *s, int err, const char *what);
/* Parse error after a command name: BAD with the parser's reason. */
int imap_bad_syntax(struct imap_session *s);

/* ---- input for streaming handlers (APPEND data, IDLE DONE, SASL lines) ----
 * While s->rd == RD_STREAM, raw input is passed to s->stream(s, data, len),
 * which returns how much it consumed (0 = stop feeding for now). */
void imap_stream_begin(struct imap_session *s,
		       int (*sink)(struct imap_session *s, const char *data, uint32_t len));
void imap_stream_end(struct imap_session *s);   /* back to reading command lines */
void imap_send_continuation(struct imap_session *s, const char *text);

/* A step that returns IMAP_AGAIN after imap_sleep() is not polled again
 * before ms have passed (the session tick wakes it). */
void imap_sleep(struct imap_session *s, uint32_t ms);

/* ---- helpers ---- */
void imap_out_capabilities(struct imap_session *s);   /* the list, no brackets */
struct store *imap_store(const struct imap_session *s);
/* Resolve a client mailbox name (mUTF-7 or UTF-8 per session) to the store's
 * UTF-8 name, with INBOX case-folded. Returns false (and sets *why) if invalid. */
bool imap_mailbox_name(struct imap_session *s, struct imap_str *in, char *out, size_t cap,
		       const char **why);
void imap_select_close(struct imap_session *s);   /* leave selected state */

/* ---- selected-mailbox view (imap_view.c) ---- */
void imap_view_open(struct imap_session *s, store_mbox_t mb, bool readonly);
/* Send pending updates: EXPUNGE (if allowed), FETCH FLAGS, EXISTS, RECENT.
 * Returns IMAP_DONE when fully in sync, IMAP_MORE if output ran out of room. */
int imap_view_sync(struct imap_session *s, bool allow_expunge);
bool imap_view_changed(const struct imap_session *s);
/* seq (1..exists) -> store index; false if out of range. */
bool imap_view_seq_to_idx(struct imap_session *s, uint32_t seq, uint32_t *idx);
/* uid -> seq within the view (false if not in view). */
bool imap_view_uid_to_seq(struct imap_session *s, uint32_t uid, uint32_t *seq,
			  uint32_t *idx);
bool imap_view_is_recent(const struct imap_session *s, uint32_t uid);
uint32_t imap_view_uid_max(const struct imap_session *s);   /* '*' in UID sets */
/* This session changed flags itself (STORE, FETCH setting \Seen) and
 * reports the result itself: the sync need not announce it again.
 * changes_before: the mailbox's store change counter just before. */
void imap_view_own_change(struct imap_session *s, uint32_t changes_before, uint64_t modseq);
/* Keywords created since this session's last FLAGS (another session's
 * STORE, an APPEND or COPY) are announced with FLAGS and PERMANENTFLAGS
 * before any response shows them (RFC 3501 7.2.6: the client records FLAGS).
 * Writes at most one line (within IMAPD_OUT_RESERVE) a call; true when
 * nothing more is owed. */
bool imap_view_kw_tell(struct imap_session *s);
/* \Recent count for STATUS: messages no session has been told of yet. */
uint32_t imap_view_status_recent(struct store *st, store_mbox_t mb);

/* ---- expunge engine (imap_expunge.c), shared by EXPUNGE, UID EXPUNGE, CLOSE,
 * MOVE: removes \Deleted messages (restricted to a UID set if given) in
 * slices. Set up with imap_expunge_begin(), then s->step = imap_expunge_step;
 * it finishes with the tagged line given. */
void imap_expunge_begin(struct imap_session *s, const struct imap_seqset *uids,
			bool require_deleted, const char *done_text);
int imap_expunge_step(struct imap_session *s);

/* ---- recent claims and purging, across sessions (imapd.c owns the slots) ---- */
void imap_sessions_purge_tombstones(struct store *st, store_mbox_t mb);
/* Iterate all sessions (for purging and shared state). */
struct imap_session *imap_session_slot(int i);
int imap_session_slots(void);

#endif
