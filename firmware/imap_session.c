/*
 * imap_session.c - one connection's engine: the bounded command reader
 * (lines, literals, LITERAL+), the state machine, dispatch, the output
 * staging buffer paced by the transport, and the slice driver.
 *
 * Memory: each session owns a small command buffer; a command line longer
 * than IMAPD_CMD_SMALL borrows one of IMAPD_BIG_BUFS shared buffers of
 * IMAPD_LINE_MAX bytes for the command's lifetime. When none is free the
 * session simply stops reading (back-pressure) until one is returned.
 * Input is read straight into the command buffer, behind the command being
 * assembled, so a line is not copied from one buffer to another.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "imap_cmds.h"
#include "imap_caps.h"
#include "imap_acl.h"
#include "imap_internal.h"
#include "mutf7.h"
#include "port.h"

#ifndef IMAPD_BIG_BUFS
#define IMAPD_BIG_BUFS 2
#endif
#ifndef IMAPD_SLICE_STEPS
#define IMAPD_SLICE_STEPS 16   /* handler steps per run() before yielding */
#endif


/* ---- session registry (for cross-session state: tombstones, \Recent) ---- */

static struct imap_session *registry[IMAPD_MAX_SESSIONS];
static uint32_t next_conn_id = 1;

struct imap_session *imap_session_slot(int i)
{
	return (i >= 0 && i < IMAPD_MAX_SESSIONS) ? registry[i] : NULL;
}

int imap_session_slots(void) { return IMAPD_MAX_SESSIONS; }

static void registry_add(struct imap_session *s)
{
	for (int i = 0; i < IMAPD_MAX_SESSIONS; i++)
		if (!registry[i]) {
			registry[i] = s;
			return;
		}
}

static void registry_del(struct imap_session *s)
{
	for (int i = 0; i < IMAPD_MAX_SESSIONS; i++)
		if (registry[i] == s)
			registry[i] = NULL;
}

/* ---- big command buffers ---- */

static char big_bufs[IMAPD_BIG_BUFS][IMAPD_LINE_MAX + 1];
static bool big_used[IMAPD_BIG_BUFS];

/* Input is read at most this much at a time, so that what is left of a
 * read after a command always fits the small buffer the next one starts in. */
#define IN_READ_MAX IMAPD_CMD_SMALL
_Static_assert(IMAPD_LINE_MAX < 65536, "input positions in the command buffer are 16-bit");

static bool borrow_big(struct imap_session *s)
{
	for (int i = 0; i < IMAPD_BIG_BUFS; i++)
		if (!big_used[i]) {
			big_used[i] = true;
			memcpy(big_bufs[i], s->cmd, s->cmd_len > s->in_len ? s->cmd_len : s->in_len);
			s->cmd = big_bufs[i];
			s->cmd_cap = IMAPD_LINE_MAX;
			s->big = i;
			return true;
		}
	return false;
}

/* Back to the small buffer, empty but for the input read beyond the
 * command (at most IN_READ_MAX bytes), which moves to its start. */
static void reset_cmd(struct imap_session *s)
{
	uint16_t n = (uint16_t)(s->in_len - s->in_pos);
	if (n)
		memmove(s->cmd_small, s->cmd + s->in_pos, n);
	s->in_pos = 0;
	s->in_len = n;
	if (s->big >= 0)
		big_used[s->big] = false;
	s->big = -1;
	s->cmd = s->cmd_small;
	s->cmd_cap = IMAPD_CMD_SMALL;
	s->cmd_len = 0;
	s->toobig = false;
	s->lit_left = 0;
}

/* ---- output ---- */

_Static_assert(IMAPD_OUT_BUF >= IMAPD_OUT_RESERVE, "a step's output must fit the staging buffer");

size_t imap_out_room(const struct imap_session *s)
{
	return sizeof(s->out) - s->out_len;
}

static void out_flush(struct imap_session *s)
{
	while (s->out_pos < s->out_len && s->t) {
		size_t n = s->t->ops->write(s->t, s->out + s->out_pos, s->out_len - s->out_pos);
		if (n == 0)
			break;
		s->out_pos += (uint16_t)n;
	}
	if (s->out_pos == s->out_len) {
		s->out_pos = s->out_len = 0;
	} else if (s->out_pos > sizeof(s->out) / 2) {
		memmove(s->out, s->out + s->out_pos, s->out_len - s->out_pos);
		s->out_len -= s->out_pos;
		s->out_pos = 0;
	}
}

void imap_out_raw(struct imap_session *s, const void *data, size_t len)
{
	const char *d = data;
	while (len) {
		if (imap_out_room(s) == 0) {
			out_flush(s);
			if (imap_out_room(s) == 0) {
				/* A handler wrote more than it checked room for: a bug.
				 * Dropping bytes would corrupt the stream; end the session. */
				port_log(PORT_LOG_ERR, "imap[%u]: output overflow", (unsigned)s->id);
				s->closing = true;
				return;
			}
		}
		size_t n = imap_out_room(s) < len ? imap_out_room(s) : len;
		memcpy(s->out + s->out_len, d, n);
		s->out_len += (uint16_t)n;
		d += n;
		len -= n;
	}
}

void imap_out_str(struct imap_session *s, const char *z) { imap_out_raw(s, z, strlen(z)); }

static void out_vprintf(struct imap_session *s, const char *fmt, va_list ap)
{
	char tmp[512];
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	if (n < 0)
		return;
	imap_out_raw(s, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void imap_printf(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	out_vprintf(s, fmt, ap);
	va_end(ap);
}

static bool quotable(const char *d, size_t len)
{
	if (len > 200)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];
		if (c == '\r' || c == '\n' || c == 0 || c >= 0x80)
			return false;
	}
	return true;
}

void imap_out_string(struct imap_session *s, const char *d, size_t len)
{
	if (!d) {
		imap_out_str(s, "NIL");
		return;
	}
	if (quotable(d, len)) {
		imap_out_raw(s, "\"", 1);
		for (size_t i = 0; i < len; i++) {
			if (d[i] == '"' || d[i] == '\\')
				imap_out_raw(s, "\\", 1);
			imap_out_raw(s, d + i, 1);
		}
		imap_out_raw(s, "\"", 1);
	} else {
		imap_printf(s, "{%u}\r\n", (unsigned)len);
		imap_out_raw(s, d, len);
	}
}

void imap_out_mailbox(struct imap_session *s, const char *name)
{
	if (imap_utf8_names(s)) {
		/* names go out as UTF-8 quoted strings (RFC 6855 3, RFC 9051 5.1) */
		size_t len = strlen(name);
		bool plain = true;
		for (size_t i = 0; i < len; i++)
			if (name[i] == '"' || name[i] == '\\' || (unsigned char)name[i] < 0x20)
				plain = false;
		if (plain) {
			imap_out_raw(s, "\"", 1);
			imap_out_raw(s, name, len);
			imap_out_raw(s, "\"", 1);
		} else {
			imap_out_string(s, name, len);
		}
		return;
	}
	char enc[4 * STORE_NAME_MAX + 1];
	int n = mutf7_encode(name, strlen(name), enc, sizeof(enc));
	if (n < 0)   /* stored names are validated UTF-8; cannot happen */
		n = 0;
	imap_out_string(s, enc, (size_t)n);
}

void imap_out_flags(struct imap_session *s, uint32_t flags, bool recent)
{
	static const char *const sys[] = { "\\Seen", "\\Answered", "\\Flagged", "\\Deleted",
					   "\\Draft" };
	bool first = true;
	imap_out_raw(s, "(", 1);
	for (int i = 0; i < 5; i++)
		if (flags & (1u << i)) {
			if (!first)
				imap_out_raw(s, " ", 1);
			imap_out_str(s, sys[i]);
			first = false;
		}
	if (recent && !s->rev2) {   /* IMAP4rev2 has no \Recent (RFC 9051 E) */
		if (!first)
			imap_out_raw(s, " ", 1);
		imap_out_str(s, "\\Recent");
		first = false;
	}
	for (int k = 0; k < STORE_MAX_KEYWORDS; k++)
		if (flags & STORE_F_KEYWORD(k)) {
			const char *kw = store_kw_name(imap_store(s), s->v.mb, k);
			if (!kw)
				continue;
			if (!first)
				imap_out_raw(s, " ", 1);
			imap_out_str(s, kw);
			first = false;
		}
	imap_out_raw(s, ")", 1);
}

/* RFC 7162 3.1: a client that enables CONDSTORE with a mailbox selected
 * (FETCH MODSEQ, STORE UNCHANGEDSINCE, SEARCH MODSEQ, STATUS HIGHESTMODSEQ)
 * is given the HIGHESTMODSEQ it is in step with, as SELECT would have. */
void imap_condstore_enable(struct imap_session *s)
{
	if (!s->condstore && s->state == IMAP_S_SELECTED)
		imap_printf(s, "* OK [HIGHESTMODSEQ %llu] Highest\r\n", (unsigned long long)s->v.hms_told);
	s->condstore = true;
}

void imap_out_flag_names(struct imap_session *s, bool wildcard)
{
	imap_out_str(s, "(\\Answered \\Flagged \\Deleted \\Seen \\Draft");
	for (int k = 0; k < STORE_MAX_KEYWORDS; k++) {
		const char *kw = store_kw_name(imap_store(s), s->v.mb, k);
		if (kw) {
			imap_out_raw(s, " ", 1);
			imap_out_str(s, kw);
		}
	}
	imap_out_str(s, wildcard ? " \\*)" : ")");
}

void imap_out_permanent_flags(struct imap_session *s)
{
	/* What this user may change (RFC 4314 4; RFC 3501 7.1: PERMANENTFLAGS
	 * lists the flags the client can change permanently) */
	static const struct {
		uint32_t flag;
		const char *name;
	} sys[] = { { STORE_F_ANSWERED, "\\Answered" }, { STORE_F_FLAGGED, "\\Flagged" },
		    { STORE_F_DELETED, "\\Deleted" }, { STORE_F_SEEN, "\\Seen" },
		    { STORE_F_DRAFT, "\\Draft" } };
	uint32_t mask = s->v.readonly ? 0 : imap_acl_flag_mask(s->v.rights);
	const char *sep = "";
	imap_out_raw(s, "(", 1);
	for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if (mask & sys[i].flag) {
			imap_printf(s, "%s%s", sep, sys[i].name);
			sep = " ";
		}
	if (mask & STORE_F_KEYWORD0) {   /* 'w': keywords, and new ones while the table has room */
		for (int k = 0; k < STORE_MAX_KEYWORDS; k++) {
			const char *kw = store_kw_name(imap_store(s), s->v.mb, k);
			if (kw) {
				imap_printf(s, "%s%s", sep, kw);
				sep = " ";
			}
		}
		if (!store_kw_name(imap_store(s), s->v.mb, STORE_MAX_KEYWORDS - 1))
			imap_printf(s, "%s\\*", sep);
	}
	imap_out_raw(s, ")", 1);
}

/* The tagged line is held back until the selected mailbox's updates have been
 * sent (RFC 3501 7: untagged data precedes the completion result); it waits
 * in the command state's last bytes (imap_cmdstate.h). */
#define DONE_LINE_MAX IMAP_DONE_LINE_MAX   /* tag, OK [CAPABILITY ...] Logged in */
_Static_assert(DONE_LINE_MAX >= IMAPD_TAG_MAX + sizeof(" OK [CAPABILITY " IMAP_CAPS_BASE " " IMAP_CAPS_AUTHED
						   " STARTTLS APPENDLIMIT=4294967295] Logged in\r\n"),
	       "the login completion with every capability must fit a completion line");
/* What handlers and abort callbacks still use after answering: */
_Static_assert(sizeof(struct imap_append_state) <= IMAP_CMDSTATE_KEEP,
	       "APPEND reads and drops a refused literal after its answer");
_Static_assert(offsetof(struct imap_copy_state, copy) + sizeof(struct store_copy) <= IMAP_CMDSTATE_KEEP &&
		       offsetof(struct imap_copy_state, busy) < IMAP_CMDSTATE_KEEP,
	       "copy_abort() may run after COPY's answer");
_Static_assert(offsetof(struct imap_search_state, slot) < IMAP_CMDSTATE_KEEP,
	       "search_abort() may run after SEARCH's answer");

void imap_tagged(struct imap_session *s, const char *status, const char *fmt, ...)
{
	char dl[DONE_LINE_MAX];   /* formatted aside: an argument may be the state's text */
	int n = snprintf(dl, DONE_LINE_MAX, "%s %s ", s->tag[0] ? s->tag : "*", status);
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && n < DONE_LINE_MAX - 8)
		vsnprintf(dl + n, (size_t)(DONE_LINE_MAX - 2 - n), fmt, ap);
	va_end(ap);
	strcat(dl, "\r\n");
	s->done_len = (uint16_t)strlen(dl);
	memcpy(s->u.done.line, dl, s->done_len);
	if (strcmp(status, "OK") == 0)
		port_log(PORT_LOG_DEBUG, "imap[%u]: %s", (unsigned)s->id, dl);
	else
		port_log(PORT_LOG_INFO, "imap[%u]: %.*s", (unsigned)s->id, (int)s->done_len - 2, dl);
}

void imap_tagged_store_err(struct imap_session *s, int err, const char *what)
{
	switch (err) {
	case STORE_NOSPACE:
		imap_tagged(s, "NO", "[OVERQUOTA] %s: mail storage is full", what);
		break;
	case STORE_LIMIT:
		imap_tagged(s, "NO", "[LIMIT] %s: too many items", what);
		break;
	case STORE_NOENT:
		imap_tagged(s, "NO", "[NONEXISTENT] %s: no such mailbox", what);
		break;
	case STORE_EXISTS:
		imap_tagged(s, "NO", "[ALREADYEXISTS] %s: mailbox already exists", what);
		break;
	case STORE_BUSY:
		imap_tagged(s, "NO", "[INUSE] %s: storage busy, try again", what);
		break;
	case STORE_INVAL:
		imap_tagged(s, "NO", "[CANNOT] %s: invalid name or argument", what);
		break;
	default:
		imap_tagged(s, "NO", "[SERVERBUG] %s: storage error %d", what, err);
		break;
	}
}

int imap_bad_syntax(struct imap_session *s)
{
	imap_tagged(s, "BAD", "%s", s->p.err ? s->p.err : "Syntax error");
	return IMAP_DONE;
}

void imap_send_continuation(struct imap_session *s, const char *text)
{
	imap_printf(s, "+ %s\r\n", text);
}

struct store *imap_store(const struct imap_session *s) { return s->srv->opt->store; }

void imap_sleep(struct imap_session *s, uint32_t ms)
{
	s->sleeping = true;
	s->wake_ms = port_now_ms() + ms;
}

/* ---- streaming input ---- */

void imap_stream_begin(struct imap_session *s,
		       int (*sink)(struct imap_session *s, const char *data, uint32_t len))
{
	s->stream = sink;
	s->rd = RD_STREAM;
}

void imap_stream_end(struct imap_session *s)
{
	s->stream = NULL;
	s->rd = RD_LINE;
}

/* ---- mailbox names ---- */

bool imap_mailbox_name(struct imap_session *s, struct imap_str *in, char *out, size_t cap,
		       const char **why)
{
	int n;
	if (in->len >= cap) {   /* longer than any decoding can fit */
		*why = "Mailbox name too long";
		return false;
	}
	if (imap_utf8_names(s)) {
		if (!mutf7_utf8_valid(in->s, in->len)) {
			*why = "Invalid UTF-8 mailbox name";
			return false;
		}
		memcpy(out, in->s, in->len);
		n = (int)in->len;
	} else {
		n = mutf7_decode(in->s, in->len, out, cap - 1);
		if (n < 0) {
			*why = "Invalid modified UTF-7 mailbox name";
			return false;
		}
	}
	out[n] = '\0';
	if (n == 0) {
		*why = "Empty mailbox name";
		return false;
	}
	if ((size_t)n > STORE_NAME_MAX) {
		*why = "Mailbox name too long";
		return false;
	}
	for (int i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f) {
			*why = "Control character in mailbox name";
			return false;
		}
	/* INBOX is case-insensitive, also as the head of a hierarchy */
	if (strncasecmp(out, "INBOX", 5) == 0 && (out[5] == '\0' || out[5] == '/'))
		memcpy(out, "INBOX", 5);
	return true;
}

/* ---- command table ---- */

enum {
	ST_NA = 1u << IMAP_S_NOTAUTH,
	ST_AU = 1u << IMAP_S_AUTH,
	ST_SE = 1u << IMAP_S_SELECTED,
	ST_ANY = ST_NA | ST_AU | ST_SE,
	ST_AUTHED = ST_AU | ST_SE,
	F_UID = 1u << 8,          /* may follow "UID " */
	F_NOEXP = 1u << 9,        /* no EXPUNGE responses while answering (non-UID form) */
};

struct cmd_def {
	const char *name;
	unsigned flags;
	int (*fn)(struct imap_session *s);
};

#include "imap_cmdtable.h"

static const struct cmd_def *find_cmd(const struct imap_str *name)
{
	for (size_t i = 0; i < sizeof(cmd_table) / sizeof(cmd_table[0]); i++) {
		const char *n = cmd_table[i].name;
		if (strlen(n) == name->len && strncasecmp(n, name->s, name->len) == 0)
			return &cmd_table[i];
	}
	return NULL;
}

static void start_command(struct imap_session *s)
{
	struct imap_str tag, name;
	struct imap_parser *p = &s->p;

	imap_parser_init(p, s->cmd, s->cmd_len);
	p->utf8 = imap_utf8_names(s);
	p->utf8_accept = s->utf8;
	s->tag[0] = '\0';
	s->have_cmd = true;
	s->step = NULL;
	s->uid_cmd = false;
	s->last_active_ms = port_now_ms();
	s->done_len = 0;
	s->phase = IMAP_PH_EXEC;
	s->noexp = false;

	/* a tag runs to the first space: "a+" or "x*" is not the tag "a" of
	 * some other command the client may be waiting for */
	if (!imap_p_tag(p, &tag) || tag.len > IMAPD_TAG_MAX ||
	    (p->pos < p->len && p->buf[p->pos] != ' ' && p->buf[p->pos] != '\r' &&
	     p->buf[p->pos] != '\n')) {
		imap_tagged(s, "BAD", "Invalid tag");
		s->phase = IMAP_PH_FINISH;
		return;
	}
	memcpy(s->tag, tag.s, tag.len);
	s->tag[tag.len] = '\0';
	if (s->toobig) {
		imap_tagged(s, "BAD", "[TOOBIG] Command line or literal too long");
		s->phase = IMAP_PH_FINISH;
		return;
	}
	if (!imap_p_sp(p) || !imap_p_atom(p, &name)) {
		imap_tagged(s, "BAD", "Missing command");
		s->phase = IMAP_PH_FINISH;
		return;
	}
	if (name.len == 3 && strncasecmp(name.s, "UID", 3) == 0) {
		if (!imap_p_sp(p) || !imap_p_atom(p, &name)) {
			imap_tagged(s, "BAD", "Missing command after UID");
			s->phase = IMAP_PH_FINISH;
			return;
		}
		s->uid_cmd = true;
	}
	const struct cmd_def *d = find_cmd(&name);
	if (!d || (s->uid_cmd && !(d->flags & F_UID))) {
		imap_tagged(s, "BAD", "Unknown command %.*s", (int)(name.len > 40 ? 40 : name.len),
			    name.s);
		s->phase = IMAP_PH_FINISH;
		return;
	}
	if (!(d->flags & (1u << s->state))) {
		/* Refused in AUTH: either it needs a mailbox or it is a
		 * not-authenticated-only command (LOGIN, STARTTLS...). */
		imap_tagged(s, "BAD", "%s",
			    s->state == IMAP_S_NOTAUTH ? "Not authenticated"
			    : (d->flags & ST_SE)       ? "No mailbox selected"
						       : "Already authenticated");
		s->phase = IMAP_PH_FINISH;
		return;
	}
	s->noexp = (d->flags & F_NOEXP) && !s->uid_cmd;
	port_log(PORT_LOG_DEBUG, "imap[%u]: %s %s%s", (unsigned)s->id, s->tag,
		 s->uid_cmd ? "UID " : "", d->name);
	/* The driver calls the handler once there is output room for it. */
	s->step = d->fn;
	s->last_result = IMAP_MORE;
}

/* ---- the command reader ---- */

/* Is "{n}" or "{n+}" the end of the line just read (before CRLF)? */
static bool line_literal(const char *line, size_t len, uint32_t *n, bool *nonsync,
			 size_t *brace)
{
	if (len < 4 || line[len - 1] != '\n' || line[len - 2] != '\r' || line[len - 3] != '}')
		return false;
	size_t end = len - 3, i = end;
	*nonsync = false;
	if (i > 0 && line[i - 1] == '+') {
		*nonsync = true;
		i--;
	}
	size_t digits_end = i;
	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
		i--;
	if (i == 0 || line[i - 1] != '{' || i == digits_end || digits_end - i > 10)
		return false;
	uint64_t v = 0;
	for (size_t k = i; k < digits_end; k++)
		v = v * 10 + (uint64_t)(line[k] - '0');
	if (v > UINT32_MAX)
		return false;
	*n = (uint32_t)v;
	*brace = i - 1;
	return true;
}

static bool is_append_cmd(const struct imap_session *s)
{
	/* tag SP "APPEND" SP ... : cheap check before the full APPEND grammar */
	const char *sp = memchr(s->cmd, ' ', s->cmd_len);
	if (!sp)
		return false;
	size_t rest = s->cmd_len - (size_t)(sp + 1 - s->cmd);
	return rest > 7 && strncasecmp(sp + 1, "APPEND ", 7) == 0;
}

/* The current command is refused (TOOBIG): of what was read only the tag
 * (and its SP) is kept, for the BAD. */
static void refuse_command(struct imap_session *s)
{
	s->toobig = true;
	if (s->cmd_len > IMAPD_TAG_MAX + 1)
		s->cmd_len = IMAPD_TAG_MAX + 1;
}

/* Bytes kept of a refused command's line: enough for the longest literal
 * announcement "{4294967295+}\r\n" that may end it. */
#define REFUSED_TAIL 16

/* A complete line (ending in LF) sits at cmd[line_start..cmd_len). */
static void line_done(struct imap_session *s, uint32_t line_start)
{
	uint32_t n;
	bool nonsync;
	size_t brace;
	if (line_literal(s->cmd + line_start, s->cmd_len - line_start, &n, &nonsync, &brace)) {
		s->lit_marker = line_start + (uint32_t)brace;
		if (!s->toobig && is_append_cmd(s) && imap_append_literal(s, n, nonsync))
			return;
		if (s->toobig || n > IMAPD_LITERAL_MAX || s->cmd_len + n + 2 > IMAPD_LINE_MAX) {
			if (!nonsync) {
				/* The client will not send it: answer and forget the command */
				s->toobig = true;
				s->cmd_len = s->lit_marker;   /* keep the tag, drop "{n}" */
				start_command(s);
				return;
			}
			refuse_command(s);
			s->lit_left = n;
			s->rd = RD_DISCARD;
			return;
		}
		if (!nonsync)
			imap_send_continuation(s, "Ready for literal data");
		s->lit_left = n;
		s->rd = n ? RD_LITERAL : RD_LINE;
		return;
	}
	/* end of command: strip CRLF (a bare LF is tolerated) */
	s->cmd_len--;
	if (s->cmd_len > 0 && s->cmd[s->cmd_len - 1] == '\r')
		s->cmd_len--;
	s->cmd[s->cmd_len] = '\0';
	if (s->cmd_len == 0 && !s->toobig) {
		reset_cmd(s);   /* empty line: ignore */
		return;
	}
	start_command(s);
}

/* Feed the staged input, cmd[in_pos..in_len), to the reader; returns the
 * bytes consumed. Stops at the end of a command (the command then runs
 * before more input is read). in_pos moves before a line is acted on: an
 * empty line's reset_cmd() moves what is still staged. */
static size_t reader_feed(struct imap_session *s)
{
	size_t used = 0;
	while (s->in_pos < s->in_len && (!s->have_cmd || s->rd == RD_STREAM) && !s->closing) {
		const char *d = s->cmd + s->in_pos;
		size_t len = s->in_len - s->in_pos;
		switch (s->rd) {
		case RD_LINE: {
			uint32_t line_start = s->line_start;
			const char *lf = memchr(d, '\n', len);
			size_t take = lf ? (size_t)(lf - d) + 1 : len;
			s->in_pos += (uint16_t)take;
			used += take;
			if (s->toobig) {
				/* The command is refused already: drop the rest of its
				 * line but its last bytes. A literal announced there must
				 * still be skipped, not read as commands. */
				size_t keep = take < REFUSED_TAIL ? take : REFUSED_TAIL;
				uint32_t have = s->cmd_len - line_start;
				if (have + keep > REFUSED_TAIL) {
					uint32_t drop = have + (uint32_t)keep - REFUSED_TAIL;
					memmove(s->cmd + line_start, s->cmd + line_start + drop,
						have - drop);
					s->cmd_len -= drop;
				}
				memmove(s->cmd + s->cmd_len, d + take - keep, keep);
				s->cmd_len += (uint32_t)keep;
				if (lf) {
					s->line_start = 0;
					line_done(s, line_start);
					if (s->rd == RD_DISCARD)
						s->line_start = s->cmd_len;
				}
				continue;
			}
			memmove(s->cmd + s->cmd_len, d, take);   /* in place but after a drop */
			s->cmd_len += (uint32_t)take;
			if (lf) {
				s->line_start = 0;
				line_done(s, line_start);
				if (s->rd == RD_LITERAL || s->rd == RD_DISCARD)
					s->line_start = s->cmd_len;
			}
			break;
		}
		case RD_LITERAL: {
			size_t take = len < s->lit_left ? len : s->lit_left;
			memmove(s->cmd + s->cmd_len, d, take);
			s->cmd_len += (uint32_t)take;
			s->in_pos += (uint16_t)take;
			used += take;
			s->lit_left -= (uint32_t)take;
			if (s->lit_left == 0) {
				s->rd = RD_LINE;
				s->line_start = s->cmd_len;
			}
			break;
		}
		case RD_DISCARD: {
			size_t take = len < s->lit_left ? len : s->lit_left;
			s->in_pos += (uint16_t)take;
			used += take;
			s->lit_left -= (uint32_t)take;
			if (s->lit_left == 0) {
				s->rd = RD_LINE;   /* toobig stays set: rest of line is dropped */
				s->line_start = s->cmd_len;
			}
			break;
		}
		case RD_STREAM: {
			int n = s->stream(s, d, (uint32_t)len);
			if (n <= 0)
				return used;
			s->in_pos += (uint16_t)n;
			used += (size_t)n;
			if (s->rd == RD_STREAM)
				continue;
			return used;   /* the stream ended: let the handler finish first */
		}
		case RD_SKIP_LINE:
		case RD_CLOSED:
			s->in_pos = s->in_len;
			return used + len;
		}
	}
	return used;
}

/* Make room for the next read and say how much it may be (0: none now).
 * It goes behind the command being assembled; while a handler streams, the
 * command's line is done with and it goes to the buffer's start. A line or
 * literal that fills the small buffer moves to a big one (if none is free,
 * the session waits); a line that fills a big one is refused, keeping its
 * tag. */
static size_t input_room(struct imap_session *s)
{
	uint32_t base = s->rd == RD_STREAM ? 0 : s->cmd_len;
	if (base == s->cmd_cap) {
		if (s->big < 0) {
			if (!borrow_big(s))
				return 0;
		} else {
			refuse_command(s);
			s->line_start = s->cmd_len;
			base = s->cmd_len;
		}
	}
	s->in_pos = s->in_len = (uint16_t)base;
	size_t room = s->cmd_cap - base;
	return room < IN_READ_MAX ? room : IN_READ_MAX;
}

/* ---- life cycle ---- */

void imap_session_open(struct imap_session *s, struct transport *t,
		       const struct imap_server_info *srv)
{
	memset(s, 0, sizeof(*s));
	s->t = t;
	s->srv = srv;
	s->in_use = true;
	s->state = IMAP_S_NOTAUTH;
	s->rd = RD_LINE;
	s->big = -1;
	s->v.mb = -1;
	s->id = next_conn_id++;
	s->last_active_ms = port_now_ms();
	reset_cmd(s);
	registry_add(s);
	imap_out_str(s, "* OK [CAPABILITY ");
	imap_out_capabilities(s);
	imap_printf(s, "] %s IMAP4rev1 server ready\r\n",
		    srv->opt->hostname ? srv->opt->hostname : "imapd");
}

void imap_select_close(struct imap_session *s)
{
	store_mbox_t mb = s->v.mb;
	s->v.mb = -1;
	imap_runs_clear(&s->saved);   /* RFC 5182 2.1: a result belongs to its mailbox */
	if (s->state == IMAP_S_SELECTED)
		s->state = IMAP_S_AUTH;
	if (mb >= 0)
		imap_sessions_purge_tombstones(imap_store(s), mb);
}

void imap_session_closed(struct imap_session *s)
{
	if (!s->in_use)
		return;
	if (s->rd == RD_STREAM && s->stream)
		s->stream(s, NULL, 0);   /* tell the streaming handler to abort */
	if (s->abort)
		s->abort(s);
	imap_select_close(s);
	reset_cmd(s);
	registry_del(s);
	s->in_use = false;
	s->t = NULL;
}

static void finish_command(struct imap_session *s)
{
	imap_out_raw(s, s->u.done.line, s->done_len);
	s->done_len = 0;
	s->have_cmd = false;
	s->step = NULL;
	s->abort = NULL;
	reset_cmd(s);
	s->line_start = 0;
	if (s->state == IMAP_S_LOGOUT)
		s->closing = true;
	if (s->starttls_req) {
		s->starttls_req = false;
		s->tls_pending = true;
	}
}

bool imap_session_pending(const struct imap_session *s)
{
	return s->in_use && s->wake;
}

void imap_session_run(struct imap_session *s)
{
	/* After close() the transport is not ours to touch (transport.h) */
	if (!s->in_use || !s->t || s->rd == RD_CLOSED)
		return;
	s->wake = false;
	int budget;
	for (budget = IMAPD_SLICE_STEPS; budget > 0; budget--) {
		out_flush(s);
		if (s->closing) {
			if (s->out_len == 0) {
				struct transport *t = s->t;
				s->rd = RD_CLOSED;
				t->ops->close(t);
			}
			return;
		}
		if (s->tls_pending) {
			if (s->out_len)
				break;
			/* Anything pipelined after STARTTLS is plaintext injection: drop it */
			s->in_len = s->in_pos = 0;
			s->tls_pending = false;
			if (s->t->ops->start_tls(s->t) != 0) {
				imap_out_str(s, "* BYE TLS negotiation failed\r\n");
				s->closing = true;
			}
			continue;
		}
		if (s->have_cmd) {
			if (imap_out_room(s) < IMAPD_OUT_RESERVE)
				break;   /* wait for the sent callback */
			if (s->phase == IMAP_PH_EXEC) {
				if (s->rd == RD_STREAM && s->last_result == IMAP_WAIT)
					goto input;
				int r = s->step ? s->step(s) : IMAP_DONE;
				s->last_result = r;
				if (r == IMAP_DONE)
					s->phase = IMAP_PH_SYNC;
				else if (r == IMAP_AGAIN) {
					s->wake = !s->sleeping;   /* a sleeper is woken by tick */
					break;
				} else if (r == IMAP_WAIT)
					goto input;
				continue;
			}
			if (s->phase == IMAP_PH_SYNC) {
				if (s->state == IMAP_S_SELECTED &&
				    imap_view_sync(s, !s->noexp) == IMAP_MORE)
					continue;
				s->phase = IMAP_PH_FINISH;
			}
			finish_command(s);
			continue;
		}
	input:
		if (s->idling && imap_view_changed(s)) {
			if (imap_out_room(s) < IMAPD_OUT_RESERVE)
				break;
			imap_view_sync(s, true);
			continue;
		}
		if (s->in_pos == s->in_len) {
			size_t room = input_room(s);
			if (room == 0) {
				s->wake = true;   /* until a big buffer is returned */
				break;
			}
			size_t n = s->t->ops->read(s->t, s->cmd + s->in_pos, room);
			if (n == 0)
				break;
			s->in_len = (uint16_t)(s->in_pos + n);
			s->last_active_ms = port_now_ms();
		}
		if (reader_feed(s) == 0)
			break;   /* waiting for the store */
	}
	out_flush(s);
	s->t->ops->flush(s->t);
	/* Out of budget: the transport may still hold input (TLS plaintext
	 * already decrypted raises no network event), so run again. A
	 * sleeping command is woken by the tick only, even with input queued
	 * behind it. */
	if (!s->sleeping &&
	    (budget == 0 || s->in_pos < s->in_len ||
	     (s->have_cmd && s->last_result == IMAP_MORE && imap_out_room(s) >= IMAPD_OUT_RESERVE)))
		s->wake = true;
}

void imap_session_tick(struct imap_session *s, uint32_t now_ms)
{
	if (!s->in_use || s->closing)
		return;
	if (s->sleeping && (int32_t)(now_ms - s->wake_ms) >= 0) {
		s->sleeping = false;
		s->wake = true;
	}
	uint32_t limit = s->state == IMAP_S_NOTAUTH ? IMAPD_PREAUTH_TIMEOUT_MS
						    : IMAPD_AUTH_TIMEOUT_MS;
	if (now_ms - s->last_active_ms > limit) {
		if (s->rd == RD_STREAM && s->stream)
			s->stream(s, NULL, 0);
		imap_out_str(s, "* BYE Autologout; idle for too long\r\n");
		s->closing = true;
		s->wake = true;
		return;
	}
	if (s->idling && imap_view_changed(s))
		s->wake = true;   /* run() pushes the updates */
}
