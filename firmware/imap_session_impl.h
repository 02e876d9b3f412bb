/*
 * imap_session_impl.h - the layout of struct imap_session, exposed only so the
 * server can allocate its slots statically. Command handlers use the
 * functions in imap_internal.h, not these fields' invariants directly.
 */
#ifndef IMAP_SESSION_IMPL_H
#define IMAP_SESSION_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "imap_parse.h"
#include "imapd_config.h"
#include "store.h"
#include "imap_cmdstate.h"
#include "imap_runs.h"

#ifndef IMAPD_CMD_SMALL
#define IMAPD_CMD_SMALL 1024   /* inline command buffer; longer lines borrow a big one */
#endif

/* Where the current command is: its handler runs, then the selected
 * mailbox's updates are sent, then the tagged line. */
enum { IMAP_PH_EXEC, IMAP_PH_SYNC, IMAP_PH_FINISH };

enum imap_state {
	IMAP_S_NOTAUTH,
	IMAP_S_AUTH,
	IMAP_S_SELECTED,
	IMAP_S_LOGOUT,
};

enum imap_reader {
	RD_LINE,          /* collecting a command line */
	RD_LITERAL,       /* collecting a (small) literal into the command buffer */
	RD_DISCARD,       /* skipping a refused non-synchronising literal */
	RD_SKIP_LINE,     /* skipping to the next LF after an error */
	RD_STREAM,        /* a handler consumes raw input (APPEND data, IDLE, AUTHENTICATE) */
	RD_CLOSED,
};

/* The selected mailbox as this session has been told of it (see imap_view.c). */
struct imap_view {
	store_mbox_t mb;
	bool readonly;
	uint32_t rights;          /* ACL_* of the user on it (imap_acl.h) */
	uint32_t exists;          /* messages the client knows */
	uint32_t uid_max;         /* highest UID announced */
	uint64_t exp_modseq;      /* expunges up to here have been announced */
	uint64_t flag_modseq;     /* flag changes up to here have been announced */
	uint64_t hms_told;        /* HIGHESTMODSEQ the client was last given */
	uint32_t kw_told;         /* keywords (bit k: keyword k) the last FLAGS listed */
	bool kw_perm_owed;        /* FLAGS sent, its PERMANENTFLAGS still to come */
	uint32_t changes;         /* store change counter at the last sync */
	/* UIDs (lo, hi] of each range are \Recent for us: a new range each
	 * time another session took the messages in between */
	struct {
		uint32_t lo, hi;
	} recent_r[IMAP_RECENT_RANGES];
	uint8_t recent_n;
	uint32_t recent;
	/* cached seq <-> index cursor for sequential walks (cur_seq 0: none) */
	uint32_t cur_seq, cur_idx;
	/* an update sync in progress (resumable) */
	uint8_t sync_phase;
	bool resync;              /* new messages held back: sync again */
	uint32_t uidvalidity;     /* detects a deleted (and reused) mailbox handle */
	uint32_t sync_idx, sync_seq, sync_removed;
	uint64_t sync_modseq;
};

struct imap_session {
	struct transport *t;
	const struct imap_server_info *srv;
	enum imap_state state;
	enum imap_reader rd;
	bool in_use;
	bool closing;             /* close once output drains */
	bool tls_pending;         /* STARTTLS: switch after the OK is flushed */
	bool starttls_req;        /* STARTTLS answered OK: switch once it is sent */
	bool utf8;                /* ENABLE UTF8=ACCEPT */
	bool rev2;                /* ENABLE IMAP4rev2 */
	bool condstore;           /* ENABLE CONDSTORE / implicit */
	bool qresync;             /* ENABLE QRESYNC: VANISHED, never EXPUNGE (RFC 7162 3.2) */
	bool idling;
	bool have_cmd;            /* a command is executing */

	uint32_t last_active_ms;
	uint32_t id;              /* connection number for logs */
	char user[IMAPD_USER_MAX + 1];

	/* command assembly; input is read into the command buffer after the
	 * command (while streaming, from its start: the line is done with) and
	 * waits there, at cmd[in_pos..in_len), until the reader takes it */
	char *cmd;                /* cmd_small or a borrowed big buffer */
	uint16_t in_len, in_pos;
	uint32_t cmd_cap, cmd_len;
	uint32_t lit_left;        /* bytes of literal still to collect/discard */
	uint32_t line_start;      /* where the current line began in cmd */
	uint32_t lit_marker;      /* offset of the "{n}" that ended the last line */
	int big;                  /* index of the borrowed big buffer, -1 none */
	bool toobig;              /* the current command overflowed: answer BAD */
	char cmd_small[IMAPD_CMD_SMALL + 1];

	/* current command */
	char tag[IMAPD_TAG_MAX + 1];
	struct imap_parser p;
	int (*step)(struct imap_session *s);   /* continuation of a sliced command */
	int (*stream)(struct imap_session *s, const char *data, uint32_t len); /* RD_STREAM sink */
	void (*abort)(struct imap_session *s);   /* connection lost mid-command */
	bool uid_cmd;
	bool noexp;               /* no EXPUNGE responses for this command */
	bool wake;                /* run again on the next poll */
	bool sleeping;            /* the command waits until wake_ms (no polling) */
	uint32_t wake_ms;
	uint8_t phase;            /* executing, syncing updates, finishing */
	int last_result;
	uint16_t done_len;        /* the tagged line, held in u.done (imap_tagged) */
	union imap_cmdstate u;

	/* selected mailbox */
	struct imap_view v;
	struct imap_runs saved;   /* '$' (SEARCHRES); empty on every (re)select */

	/* output staging */
	char out[IMAPD_OUT_BUF];
	uint16_t out_len, out_pos;
};

/* Mailbox names and quoted strings are UTF-8, not modified UTF-7: after
 * ENABLE UTF8=ACCEPT (RFC 6855 3) or ENABLE IMAP4rev2 (RFC 9051 5.1). */
static inline bool imap_utf8_names(const struct imap_session *s) { return s->utf8 || s->rev2; }

#endif
