/*
 * imap_cmd_append.c - APPEND (RFC 3501 6.3.11, LITERAL+ RFC 7888,
 * APPENDLIMIT RFC 7889, APPENDUID of UIDPLUS RFC 4315).
 *
 * The message literal never sits in RAM: the reader hands it here as it
 * arrives, and each chunk goes to the store and through the MIME parser,
 * whose metadata blob is attached when the message commits. Limits (size,
 * free space, mailbox) are checked before the "+" continuation, so a refused
 * message is never sent by a client that waits for it.
 */
#include <string.h>
#include <strings.h>

#include "imap_acl.h"
#include "imap_cmds.h"
#include "imap_internal.h"
#include "imap_mailbox.h"
#include "mime.h"
#include "mime_impl.h"
#include "port.h"

/* Uploads in progress at once (parser state and blob each); a further
 * APPEND waits for one to finish before its "+" (or, after a
 * non-synchronising literal, before reading it): a transient shortage is
 * not an error. */
#ifndef IMAPD_APPEND_SLOTS
#define IMAPD_APPEND_SLOTS STORE_MAX_APPENDS
#endif
#ifndef IMAPD_APPEND_POLL_MS
#define IMAPD_APPEND_POLL_MS 50u
#endif
_Static_assert(IMAPD_APPEND_SLOTS >= 1 && IMAPD_APPEND_SLOTS <= STORE_MAX_APPENDS,
	       "an upload slot is useless without a store append slot");

static struct {
	bool used;
	struct mime_parser mp;
	uint8_t blob[STORE_META_MAX];
} pool[IMAPD_APPEND_SLOTS];

static int pool_get(void)
{
	for (int i = 0; i < IMAPD_APPEND_SLOTS; i++)
		if (!pool[i].used) {
			pool[i].used = true;
			return i;
		}
	return -1;
}

static void release(struct imap_session *s)
{
	struct imap_append_state *a = &s->u.append;
	if (a->a) {
		store_append_abort(imap_store(s), a->a);
		a->a = NULL;
	}
	if (a->slot >= 0) {
		pool[a->slot].used = false;
		a->slot = -1;
	}
}

static void append_abort(struct imap_session *s) { release(s); }

/* The reader calls APPEND only through imap_append_literal(); a complete
 * APPEND line without a literal is a syntax error. */
int imap_cmd_append(struct imap_session *s)
{
	imap_tagged(s, "BAD", "APPEND needs a message literal");
	return IMAP_DONE;
}

static int append_finish(struct imap_session *s)
{
	struct imap_append_state *a = &s->u.append;
	if (a->err) {
		release(s);
		if (a->err == STORE_NOENT)
			imap_tagged(s, "NO", "[TRYCREATE] Mailbox doesn't exist");
		else
			imap_tagged_store_err(s, a->err, "APPEND");
		return IMAP_DONE;
	}
	uint32_t meta_len = mime_parse_finish(&pool[a->slot].mp);
	uint32_t uid;
	int r = store_append_commit(imap_store(s), a->a, pool[a->slot].blob, meta_len, &uid);
	if (r == STORE_AGAIN)
		return IMAP_AGAIN;
	a->a = NULL;   /* committed or failed: the store has released it */
	release(s);
	if (r != STORE_OK) {
		imap_tagged_store_err(s, r, "APPEND");
		return IMAP_DONE;
	}
	imap_tagged(s, "OK", "[APPENDUID %lu %lu] APPEND completed", (unsigned long)a->uidvalidity,
		    (unsigned long)uid);
	return IMAP_DONE;
}

static int tail_bad(struct imap_session *s)
{
	release(s);
	imap_tagged(s, "BAD", "Unexpected data after the APPEND message (MULTIAPPEND is not supported)");
	return IMAP_DONE;
}

/* Drop the rest of a refused line. A "{n+}" ending it announces n bytes
 * the client sends anyway: they are dropped too, and the line goes on after
 * them (as the command reader does for an over-long line). */
static int skip_rest(struct imap_session *s, const char *d, uint32_t len)
{
	struct imap_append_state *a = &s->u.append;
	if (!d)   /* connection lost */
		return 0;
	uint32_t used = 0;
	while (used < len) {
		if (a->skip_lit) {
			uint32_t n = len - used < a->skip_lit ? len - used : a->skip_lit;
			a->skip_lit -= n;
			used += n;
			continue;
		}
		char c = d[used++];
		if (c != '\n') {
			memmove(a->tail_buf, a->tail_buf + 1, sizeof(a->tail_buf) - 1);
			a->tail_buf[sizeof(a->tail_buf) - 1] = c;
			continue;
		}
		/* tail_buf ends with the line's last bytes: "...{123+}\r" ? */
		const char *e = a->tail_buf + sizeof(a->tail_buf);
		if (e[-1] == '\r' && e[-2] == '}' && e[-3] == '+') {
			const char *p = e - 4;
			uint32_t n = 0, mul = 1;
			while (p >= a->tail_buf && *p >= '0' && *p <= '9' && mul <= 100000000u) {
				n += (uint32_t)(*p - '0') * mul;
				mul *= 10;
				p--;
			}
			if (p >= a->tail_buf && *p == '{' && p < e - 4) {
				a->skip_lit = n;
				memset(a->tail_buf, 0, sizeof(a->tail_buf));
				continue;
			}
		}
		imap_stream_end(s);
		return (int)used;
	}
	return (int)used;
}

static int append_sink(struct imap_session *s, const char *d, uint32_t len)
{
	struct imap_append_state *a = &s->u.append;
	struct store *st = imap_store(s);
	if (!d) {   /* connection lost */
		release(s);
		return 0;
	}
	if (!a->tail) {
		uint32_t want = a->size - a->got;
		if (want > len)
			want = len;
		int n = (int)want;
		if (!a->discard && !a->err) {
			/* IMAP cannot carry NUL in a message (RFC 3501 CHAR8): like
			 * Dovecot, store 0x80 instead, so every FETCH stays valid.
			 * d points into the session's own command buffer. */
			char *buf = (char *)d;
			for (uint32_t i = 0; i < want; i++)
				if (buf[i] == '\0')
					buf[i] = (char)0x80;
			n = store_append_write(st, a->a, d, want);
			if (n == STORE_AGAIN) {
				s->wake = true;   /* GC first; the bytes stay in the command buffer */
				return 0;
			}
			if (n < 0) {   /* keep reading the literal, answer at the end */
				a->err = n;
				n = (int)want;
			} else {
				mime_parse_feed(&pool[a->slot].mp, d, (size_t)n);
			}
		}
		a->got += (uint32_t)n;
		if (a->got == a->size)
			a->tail = true;
		return n;
	}
	/* the command line must end right after the literal (and its ')') */
	uint32_t used = 0;
	while (used < len) {
		char c = d[used++];
		if (a->close_paren) {
			a->close_paren = false;
			if (c == ')')
				continue;
		} else if (c == '\n') {
			imap_stream_end(s);
			s->step = (a->discard) ? NULL : append_finish;
			return (int)used;
		} else if (c == '\r' && !a->tail_len) {
			a->tail_len++;
			continue;
		}
		/* anything else: drop the line, answer BAD */
		s->step = tail_bad;
		if (c == '\n') {   /* the ')' was missing: the line ends here */
			imap_stream_end(s);
			return (int)used;
		}
		memset(a->tail_buf, 0, sizeof(a->tail_buf));
		a->tail_buf[sizeof(a->tail_buf) - 1] = c;
		a->skip_lit = 0;
		imap_stream_begin(s, skip_rest);
		return (int)used;
	}
	return (int)used;
}

/* Answer now; called while the line is read or from a step (which then
 * returns s->last_result). */
static void refuse(struct imap_session *s, bool nonsync, uint32_t n, const char *status,
		   const char *text)
{
	imap_tagged(s, status, "%s", text);
	if (nonsync) {
		/* the bytes are coming anyway: read and drop them, then the line end */
		s->u.append.discard = true;
		s->u.append.size = n;
		imap_stream_begin(s, append_sink);
		s->last_result = IMAP_WAIT;
	} else {
		s->phase = IMAP_PH_SYNC;   /* answered: nothing more to read for it */
		s->last_result = IMAP_DONE;
	}
}

/* Take an upload slot and the store's append, then ask for (or read) the
 * literal. IMAP_AGAIN while every slot is busy. */
static int append_begin(struct imap_session *s)
{
	struct imap_append_state *a = &s->u.append;
	a->slot = pool_get();
	if (a->slot < 0) {
		imap_sleep(s, IMAPD_APPEND_POLL_MS);   /* look again then, not on every poll */
		return IMAP_AGAIN;
	}
	s->sleeping = false;   /* run early (input came): the literal is read at once */
	int r = store_append_begin(imap_store(s), a->mb, a->size, a->date, a->tz, a->flags, &a->a);
	if (r != STORE_OK) {
		release(s);
		refuse(s, a->nonsync, a->size, "NO",
		       r == STORE_NOSPACE ? "[OVERQUOTA] Not enough storage for this message"
		       : r == STORE_BUSY  ? "[INUSE] Too many uploads in progress, try again"
		       : r == STORE_LIMIT ? "[LIMIT] Too many messages"
					  : "[SERVERBUG] Storage error");
		return s->last_result;
	}
	mime_parse_init(&pool[a->slot].mp, pool[a->slot].blob, sizeof(pool[a->slot].blob), 0);
	if (!a->nonsync)
		imap_send_continuation(s, "Ready for literal data");
	imap_stream_begin(s, append_sink);
	s->last_result = IMAP_WAIT;
	return IMAP_WAIT;
}

bool imap_append_literal(struct imap_session *s, uint32_t n, bool nonsync)
{
	struct imap_parser p;
	struct imap_str tag, cmd, mbox, f;
	struct imap_append_state *a = &s->u.append;
	struct store *st = imap_store(s);
	int64_t date = port_time_unix();
	int16_t tz = (int16_t)port_tz_minutes();
	uint32_t flags = 0;
	char name[STORE_NAME_MAX * 4 + 1];
	char kws[8][STORE_KEYWORD_MAX + 1];
	int nkw = 0;

	/* Everything before the final "{n}\r\n" must be a complete APPEND prefix */
	size_t marker = s->lit_marker;
	imap_parser_init(&p, s->cmd, marker);
	p.utf8 = imap_utf8_names(s);
	p.utf8_accept = s->utf8;
	if (!imap_p_tag(&p, &tag) || tag.len > IMAPD_TAG_MAX || !imap_p_sp(&p) ||
	    !imap_p_atom(&p, &cmd) || !imap_p_sp(&p) || imap_p_end(&p))
		return false;
	if (!imap_p_astring(&p, &mbox))
		return false;   /* the literal is the mailbox name itself */
	if (imap_p_end(&p))
		return false;
	if (!imap_p_sp(&p))
		return false;
	/* From here on the literal is the message: arguments that do not parse
	 * are answered BAD with the reason (and a non-synchronizing literal is
	 * read and dropped), not taken for some other command's literal. */
	const char *bad = NULL;
	if (imap_p_char(&p, '(')) {
		while (!bad && !imap_p_char(&p, ')')) {
			if (!imap_p_flag(&p, &f)) {
				bad = "Invalid flag list";
				break;
			}
			static const char *const sys[] = { "\\Seen", "\\Answered", "\\Flagged",
							   "\\Deleted", "\\Draft" };
			bool known = false;
			for (int i = 0; i < 5; i++)
				if (strlen(sys[i]) == f.len && strncasecmp(sys[i], f.s, f.len) == 0) {
					flags |= 1u << i;
					known = true;
				}
			if (!known && f.s[0] != '\\' && f.len <= STORE_KEYWORD_MAX && nkw < 8) {
				memcpy(kws[nkw], f.s, f.len);
				kws[nkw++][f.len] = '\0';
			}
			(void)imap_p_char(&p, ' ');
		}
		if (!bad && !imap_p_end(&p) && !imap_p_sp(&p))
			bad = "Expected SP after the flag list";
	}
	if (!bad && imap_p_peek(&p, '"')) {
		if (!imap_p_date_time(&p, &date, &tz) || !imap_p_sp(&p))
			bad = "Invalid date-time";
	}
	/* RFC 6855 4: "UTF8" SP "(" literal8 ")" carries a UTF-8 message */
	bool utf8_item = false;
	if (bad) {
		/* answered below */
	} else if (imap_p_keyword(&p, "UTF8")) {
		if (!imap_p_sp(&p) || !imap_p_char(&p, '(') || !imap_p_char(&p, '~'))
			bad = "Expected UTF8 (~{n}";
		utf8_item = true;
	} else {
		/* BINARY (RFC 3516 4.4, and RFC 9051's append-data): a literal8 */
		(void)imap_p_char(&p, '~');
	}
	if (!bad && !imap_p_end(&p))
		bad = "Unexpected characters before the message literal";

	/* It is the message literal: this command now owns the input. */
	memcpy(s->tag, tag.s, tag.len);
	s->tag[tag.len] = '\0';
	s->have_cmd = true;
	s->phase = IMAP_PH_EXEC;
	s->step = NULL;
	s->uid_cmd = false;
	s->noexp = false;
	s->abort = append_abort;
	s->last_active_ms = port_now_ms();
	memset(a, 0, sizeof(*a));
	a->slot = -1;

	const char *why;
	store_mbox_t mb;
	struct store_mbox_info info;
	a->close_paren = utf8_item;
	if (bad) {
		refuse(s, nonsync, n, "BAD", bad);
		return true;
	}
	if (s->state == IMAP_S_NOTAUTH) {
		refuse(s, nonsync, n, "BAD", "Not authenticated");
		return true;
	}
	if (utf8_item && !s->utf8) {
		refuse(s, nonsync, n, "BAD", "UTF8 APPEND needs ENABLE UTF8=ACCEPT first");
		return true;
	}
	if (!imap_mailbox_name(s, &mbox, name, sizeof(name), &why)) {
		refuse(s, nonsync, n, "NO", why);
		return true;
	}
	if (imap_mbox_find(s, name, &mb) != STORE_OK || store_mbox_info(st, mb, &info) != STORE_OK ||
	    (info.attrs & STORE_MB_NOSELECT)) {
		refuse(s, nonsync, n, "NO", "[TRYCREATE] Mailbox doesn't exist");
		return true;
	}
	uint32_t rights = imap_mbox_rights(s, mb);
	if (!(rights & ACL_I)) {
		refuse(s, nonsync, n, "NO", "[NOPERM] Permission denied");
		return true;
	}
	/* flags the user may not set are dropped, not refused (RFC 4314 4) */
	flags &= imap_acl_flag_mask(rights);
	if (!(rights & ACL_W))
		nkw = 0;
	if (n > IMAPD_APPEND_LIMIT) {
		refuse(s, nonsync, n, "NO", "[TOOBIG] Message exceeds APPENDLIMIT");
		return true;
	}
	if (n == 0) {
		refuse(s, nonsync, n, "NO", "[CANNOT] Empty message");
		return true;
	}
	for (int i = 0; i < nkw; i++) {
		int k = store_kw_lookup(st, mb, kws[i], true);
		if (k >= 0)
			flags |= STORE_F_KEYWORD(k);
	}
	a->mb = mb;
	a->size = n;
	a->nonsync = nonsync;
	a->flags = flags;
	a->date = date;
	a->tz = tz;
	a->uidvalidity = info.uidvalidity;
	if (append_begin(s) == IMAP_AGAIN) {
		/* every upload slot is busy: the command waits (reading no input) */
		s->step = append_begin;
		s->last_result = IMAP_MORE;
	}
	return true;
}
