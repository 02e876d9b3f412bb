/*
 * imap_cmd_search.c - SEARCH and UID SEARCH (RFC 3501 6.4.4), ESEARCH
 * results (RFC 4731), on the program of imap_search.h.
 *
 * Messages are examined in index order, cheapest facts first: flags, UID and
 * sequence number from RAM; then, only while the answer still depends on
 * them, the message's size and INTERNALDATE, its Date: header, its header
 * fields (unfolded, RFC 2047 decoded) and its body parts (transfer-decoded),
 * streamed through one case-insensitive matcher per text key. A scan stops
 * as soon as the answer is settled. Work per slice is bounded in messages
 * and bytes, so a search over a big mailbox or a 20 MB body never holds the
 * task; results are written as they are found.
 *
 * The program and its matchers (about 8 KiB) live in one of
 * IMAPD_SEARCH_SLOTS shared slots for the command's duration; a SEARCH that
 * finds none free waits for one, up to IMAPD_SEARCH_WAIT_MS.
 *
 * Text is compared as UTF-8: Latin-1 body parts (ISO-8859-1/-15,
 * Windows-1252, read as Latin-1) are converted; parts in other charsets are
 * compared as their raw bytes (ASCII needles match; others may not).
 */
#include <string.h>

#include "imap_cmds.h"
#include "imap_date.h"
#include "imap_internal.h"
#include "imap_msgdata.h"
#include "imap_msgset.h"
#include "imap_search.h"
#include "mime.h"
#include "mime_decode.h"
#include "mime_match.h"
#include "port.h"

#ifndef IMAPD_SEARCH_SLOTS
#define IMAPD_SEARCH_SLOTS 2
#endif
#ifndef IMAPD_SEARCH_WAIT_MS
#define IMAPD_SEARCH_WAIT_MS 10000u
#endif
#ifndef IMAPD_SEARCH_MSGS
#define IMAPD_SEARCH_MSGS 64             /* messages examined per slice */
#endif
#ifndef IMAPD_SEARCH_SCAN
#define IMAPD_SEARCH_SCAN (4u * 1024u)   /* message bytes read per slice */
#endif

enum { MS_NEXT, MS_FACTS, MS_HEADER, MS_BODY };          /* per message */
enum { HS_LINE, HS_NAME, HS_VALUE, HS_SKIP, HS_END };     /* header scanner */

static struct search_slot {
	bool used;
	struct imap_search prog;
	struct mime_match m[IMAP_SEARCH_MAX_TEXT];
	struct mime_words words;
	struct mime_dec dec;
} slots[IMAPD_SEARCH_SLOTS];

static struct search_slot *slot_of(struct imap_session *s) { return &slots[s->u.search.slot]; }

static void release(struct imap_session *s)
{
	if (s->u.search.slot >= 0) {
		slots[s->u.search.slot].used = false;
		s->u.search.slot = -1;
	}
}

static void search_abort(struct imap_session *s) { release(s); }

static int kw_lookup(void *ctx, const char *kw, size_t len)
{
	struct imap_session *s = ctx;
	char name[STORE_KEYWORD_MAX + 1];
	if (len > STORE_KEYWORD_MAX)
		return -1;
	memcpy(name, kw, len);
	name[len] = '\0';
	return store_kw_lookup(imap_store(s), s->v.mb, name, false);
}

static int search_step(struct imap_session *s);

static int search_begin(struct imap_session *s)
{
	struct imap_search_state *q = &s->u.search;
	int slot = -1;
	for (int i = 0; i < IMAPD_SEARCH_SLOTS; i++)
		if (!slots[i].used) {
			slot = i;
			break;
		}
	if (slot < 0) {
		if (port_now_ms() - q->wait_since > IMAPD_SEARCH_WAIT_MS) {
			imap_tagged(s, "NO", "[INUSE] Too many searches in progress, try again");
			return IMAP_DONE;
		}
		return IMAP_AGAIN;
	}
	slots[slot].used = true;
	q->slot = (int8_t)slot;
	s->abort = search_abort;
	struct search_slot *sl = &slots[slot];
	struct imap_search *prog = &sl->prog;
	int r = imap_search_parse(prog, &s->p);
	if (r != IMAP_SEARCH_OK) {
		release(s);
		if (prog->ret & IMAP_SEARCH_RET_SAVE)
			imap_runs_clear(&s->saved);   /* RFC 5182 2.1: a failed SAVE empties '$' */
		if (r == IMAP_SEARCH_BADCHARSET)
			imap_tagged(s, "NO", "[BADCHARSET (US-ASCII UTF-8)] Unsupported charset");
		else if (r == IMAP_SEARCH_LIMIT)
			imap_tagged(s, "NO", "[LIMIT] %s", prog->err ? prog->err : "Search too complex");
		else
			imap_tagged(s, "BAD", "%s",
				    prog->err ? prog->err : s->p.err ? s->p.err : "Syntax error");
		return IMAP_DONE;
	}
	if (prog->uses_modseq)
		imap_condstore_enable(s);   /* SEARCH MODSEQ enables CONDSTORE (RFC 7162 3.1) */
	if (s->rev2 && !prog->esearch) {
		/* IMAP4rev2 has no SEARCH response: RETURN () is implied (RFC 9051 6.4.4) */
		prog->esearch = true;
		prog->ret = IMAP_SEARCH_RET_ALL;
	}
	if (prog->ret & IMAP_SEARCH_RET_SAVE) {
		/* with MIN and/or MAX but neither ALL nor COUNT, only those are saved */
		q->save_all = (prog->ret & (IMAP_SEARCH_RET_ALL | IMAP_SEARCH_RET_COUNT)) ||
			      !(prog->ret & (IMAP_SEARCH_RET_MIN | IMAP_SEARCH_RET_MAX));
		q->quiet = prog->ret == IMAP_SEARCH_RET_SAVE;
		imap_runs_clear(&q->res);
	}
	for (unsigned i = 0; i < imap_search_text_count(prog); i++) {
		const struct imap_search_text *t = imap_search_text(prog, i);
		(void)mime_match_init(&sl->m[i], t->needle, t->needle_len);   /* bounded by parse */
	}
	q->next_uid = 1;
	q->phase = MS_NEXT;
	s->step = search_step;
	return IMAP_MORE;
}

int imap_cmd_search(struct imap_session *s)
{
	struct imap_search_state *q = &s->u.search;
	memset(q, 0, sizeof(*q));
	q->slot = -1;
	q->wait_since = port_now_ms();
	s->step = search_begin;
	return search_begin(s);
}

/* ---- text keys ---- */

/* Bits of the text keys matching where. */
static uint32_t keys_where(const struct imap_search *prog, enum imap_search_where where)
{
	uint32_t bits = 0;
	for (unsigned i = 0; i < imap_search_text_count(prog); i++)
		if (imap_search_text(prog, i)->where == where)
			bits |= 1u << i;
	return bits;
}

static void feed_keys(struct imap_session *s, uint32_t mask, const char *d, size_t n)
{
	struct imap_search_state *q = &s->u.search;
	struct search_slot *sl = slot_of(s);
	mask &= ~q->m.text_found;
	for (unsigned i = 0; mask; i++, mask >>= 1)
		if ((mask & 1) && mime_match_feed(&sl->m[i], d, n))
			q->m.text_found |= 1u << i;
	q->m.text_known |= q->m.text_found;   /* a match settles its key */
}

/* Decode the staged header value bytes and feed the current field's keys. */
static void stage_flush(struct imap_session *s, bool end)
{
	struct imap_search_state *q = &s->u.search;
	struct search_slot *sl = slot_of(s);
	char *out = imap_msgdata_work();
	size_t n = mime_words_feed(&sl->words, q->stage, q->stage_n, out);
	if (end)
		n += mime_words_finish(&sl->words, out + n);
	q->stage_n = 0;
	if (n)
		feed_keys(s, q->fmask, out, n);
}

static void field_begin(struct imap_session *s)
{
	struct imap_search_state *q = &s->u.search;
	const struct imap_search *prog = &slot_of(s)->prog;
	uint32_t mask = keys_where(prog, IMAP_SEARCH_IN_TEXT);
	for (unsigned i = 0; i < imap_search_text_count(prog); i++) {
		const struct imap_search_text *t = imap_search_text(prog, i);
		if (t->where == IMAP_SEARCH_IN_FIELD &&
		    imap_search_text_field_is(t, q->name, q->name_len)) {
			if (t->needle_len == 0) {
				q->m.text_found |= 1u << i;   /* the field exists */
				q->m.text_known |= 1u << i;
			}
			mask |= 1u << i;
		}
	}
	q->fmask = mask;
	mime_words_init(&slot_of(s)->words);
	/* TEXT sees the field as "Name: value" */
	uint32_t text = keys_where(prog, IMAP_SEARCH_IN_TEXT);
	if (text) {
		feed_keys(s, text, "\n", 1);
		feed_keys(s, text, q->name, q->name_len);
		feed_keys(s, text, ": ", 2);
	}
}

/* Run header bytes through the field scanner; returns true at the blank
 * line that ends the header (*used: bytes consumed, including it). */
static bool header_feed(struct imap_session *s, const char *d, size_t n, size_t *used)
{
	struct imap_search_state *q = &s->u.search;
	size_t i;
	for (i = 0; i < n; i++) {
		char c = d[i];
		if (c == '\r')
			continue;
		switch (q->hs) {
		case HS_LINE:   /* start of a line: continuation, new field or the end */
			if (c == ' ' || c == '\t') {
				if (q->in_field) {
					q->hs = HS_VALUE;
					goto value;
				}
				q->hs = HS_SKIP;
				break;
			}
			if (q->in_field) {
				stage_flush(s, true);
				q->fmask = 0;
				q->in_field = false;
			}
			if (c == '\n') {
				*used = i + 1;
				return true;
			}
			q->name_len = 0;
			q->name_over = false;
			q->hs = HS_NAME;
			/* fall through */
		case HS_NAME:
			if (c == ':') {
				if (q->name_over)
					q->name_len = 0;   /* too long to match any key */
				field_begin(s);
				q->in_field = true;
				q->val_lead = true;
				q->hs = HS_VALUE;
				break;
			}
			if (c == '\n') {   /* not a field: ignore the line */
				q->name_len = 0;
				q->hs = HS_LINE;
				break;
			}
			if (q->name_len < sizeof(q->name))
				q->name[q->name_len++] = c;
			else
				q->name_over = true;
			break;
		case HS_VALUE:
		value:
			if (c == '\n') {
				q->hs = HS_LINE;
				break;
			}
			if (q->val_lead && (c == ' ' || c == '\t'))
				break;   /* the value starts after the colon's whitespace */
			q->val_lead = false;
			if (q->fmask) {
				q->stage[q->stage_n++] = c;
				if (q->stage_n == sizeof(q->stage))
					stage_flush(s, false);
			}
			break;
		case HS_SKIP:
			if (c == '\n')
				q->hs = HS_LINE;
			break;
		}
	}
	*used = n;
	return false;
}

/* Feed decoded body bytes of the current part. */
_Static_assert(IMAPD_MSG_CHUNK + MIME_DEC_SLACK <= IMAPD_MSGDATA_WORK,
	       "a decoded chunk fits the work buffer");
_Static_assert(MIME_WORDS_OUT(sizeof(((struct imap_search_state *)0)->stage)) + MIME_WORDS_OUT(0) <=
		       IMAPD_MSGDATA_WORK,
	       "a header stage's decoded words fit the work buffer");
#define LATIN1_PIECE 128   /* bytes converted to UTF-8 at a time */

/* Latin-1 bytes to UTF-8 (every byte >= 0x80 becomes two); out holds 2n. */
static size_t latin1_to_utf8(const char *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c < 0x80) {
			out[o++] = (char)c;
		} else {
			out[o++] = (char)(0xc0 | (c >> 6));
			out[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	return o;
}

static void body_feed(struct imap_session *s, const char *d, size_t n, bool raw)
{
	struct imap_search_state *q = &s->u.search;
	const struct imap_search *prog = &slot_of(s)->prog;
	uint32_t mask = keys_where(prog, IMAP_SEARCH_IN_BODY) | keys_where(prog, IMAP_SEARCH_IN_TEXT);
	if (raw) {
		feed_keys(s, mask, d, n);
		return;
	}
	char *out = imap_msgdata_work();
	size_t got = d ? mime_dec_feed(&slot_of(s)->dec, d, n, out)
		       : mime_dec_finish(&slot_of(s)->dec, out);
	if (q->latin1) {
		/* compare as UTF-8, like the needle, a piece at a time (the
		 * matchers stream; a character is never split) */
		char wide[2 * LATIN1_PIECE];
		for (size_t i = 0; i < got; i += LATIN1_PIECE) {
			size_t k = got - i < LATIN1_PIECE ? got - i : LATIN1_PIECE;
			feed_keys(s, mask, wide, latin1_to_utf8(out + i, k, wide));
		}
		return;
	}
	feed_keys(s, mask, out, got);
}

/* Is the part's charset one whose bytes are Latin-1 code points? */
static bool part_latin1(const struct mime_view *v, const struct mime_part *p)
{
	static const char *const names[] = { "iso-8859-1", "iso-8859-15", "latin1", "windows-1252",
					     "cp1252" };
	char ct[256];
	uint32_t len;
	if (mime_field_get(v, p, MIME_F_CTYPE, ct, sizeof(ct) - 1, &len) != 1)
		return false;
	if (len > sizeof(ct) - 1)
		len = sizeof(ct) - 1;
	ct[len] = '\0';
	for (char *c = ct; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	const char *cs = strstr(ct, "charset=");
	if (!cs)
		return false;
	cs += 8;
	if (*cs == '"')
		cs++;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t nl = strlen(names[i]);
		if (strncmp(cs, names[i], nl) == 0 && !((cs[nl] >= 'a' && cs[nl] <= 'z') ||
							 (cs[nl] >= '0' && cs[nl] <= '9') || cs[nl] == '-'))
			return true;
	}
	return false;
}

/* The next leaf part from record q->part on; false when none is left. */
static bool next_leaf(struct imap_session *s, const struct mime_view *v)
{
	struct imap_search_state *q = &s->u.search;
	struct mime_part p;
	while (mime_part_get(v, q->part, &p) == MIME_OK) {
		q->part++;
		if (p.kind & (MIME_K_MULTIPART | MIME_K_MESSAGE))
			continue;
		q->pos = p.body_off;
		q->end = p.end_off;
		q->latin1 = part_latin1(v, &p);
		mime_dec_init(&slot_of(s)->dec,
			      p.enc == MIME_ENC_OTHER ? MIME_ENC_BINARY : (enum mime_enc)p.enc);
		return true;
	}
	return false;
}

/* Scan header, then body, within the slice's byte budget. Returns
 * IMAP_MORE when the budget ran out, IMAP_DONE when the message's text keys
 * are all known or the answer no longer depends on them. */
static int scan(struct imap_session *s, uint32_t *budget)
{
	struct imap_search_state *q = &s->u.search;
	const struct imap_search *prog = &slot_of(s)->prog;
	char *raw = imap_msgdata_raw();
	uint32_t field_keys = keys_where(prog, IMAP_SEARCH_IN_FIELD);
	uint32_t body_keys = keys_where(prog, IMAP_SEARCH_IN_BODY);
	uint32_t text_keys = keys_where(prog, IMAP_SEARCH_IN_TEXT);
	uint32_t size = q->msg_size;
	if (q->phase == MS_HEADER) {
		while (q->hs != HS_END) {
			if (imap_search_eval(prog, &q->m) != IMAP_SEARCH_UNKNOWN)
				return IMAP_DONE;
			if (*budget == 0)
				return IMAP_MORE;
			uint32_t want = size - q->pos < IMAPD_MSG_CHUNK ? size - q->pos : IMAPD_MSG_CHUNK;
			int n = want ? imap_msgdata_read(s, q->idx, q->pos, raw, want) : 0;
			size_t used = 0;
			bool end = n <= 0;
			if (n > 0)
				end = header_feed(s, raw, (size_t)n, &used);
			else if (q->in_field)
				stage_flush(s, true);   /* header without a body */
			q->pos += (uint32_t)used;
			*budget = *budget > used ? *budget - (uint32_t)used : 0;
			if (end)
				q->hs = HS_END;
		}
		q->m.text_known |= field_keys;
		q->body_start = q->pos;
		q->phase = MS_BODY;
		q->part = 0;
		q->end = 0;
		q->pos = 0;
	}
	if (!((body_keys | text_keys) & ~q->m.text_known))
		return IMAP_DONE;
	if (imap_search_eval(prog, &q->m) != IMAP_SEARCH_UNKNOWN)
		return IMAP_DONE;
	const struct mime_view *v = imap_msgdata_view(s, q->idx, q->uid);
	for (;;) {
		if (imap_search_eval(prog, &q->m) != IMAP_SEARCH_UNKNOWN)
			return IMAP_DONE;
		if (q->pos >= q->end) {
			if (q->in_part && v)
				body_feed(s, NULL, 0, false);   /* decoder's tail */
			q->in_part = false;
			if (v ? !next_leaf(s, v) : q->part++ > 0) {
				q->m.text_known |= body_keys | text_keys;
				return IMAP_DONE;
			}
			if (!v) {   /* no structure: the body raw */
				q->pos = q->body_start;
				q->end = size;
			}
			q->in_part = true;
			continue;
		}
		if (*budget == 0)
			return IMAP_MORE;
		uint32_t want = q->end - q->pos < IMAPD_MSG_CHUNK ? q->end - q->pos : IMAPD_MSG_CHUNK;
		int n = imap_msgdata_read(s, q->idx, q->pos, raw, want);
		if (n <= 0) {
			q->pos = q->end;   /* unreadable (expunged meanwhile): no match in it */
			continue;
		}
		body_feed(s, raw, (size_t)n, v == NULL);
		q->pos += (uint32_t)n;
		*budget = *budget > (uint32_t)n ? *budget - (uint32_t)n : 0;
	}
}

/* ---- results ---- */

static void result(struct imap_session *s, uint32_t n, uint64_t modseq)
{
	struct imap_search_state *q = &s->u.search;
	const struct imap_search *prog = &slot_of(s)->prog;
	if (q->count == 0) {
		q->min = n;
		q->min_uid = q->uid;
		q->min_modseq = modseq;
	}
	q->max = n;
	q->max_uid = q->uid;
	q->max_modseq = modseq;
	q->count++;
	if (modseq > q->modseq_max)
		q->modseq_max = modseq;
	if (q->save_all)
		(void)imap_runs_add(&q->res, q->uid, q->prev_matched);   /* overflow: at the end */
	if (q->quiet)
		return;
	if (!prog->esearch) {
		imap_printf(s, " %lu", (unsigned long)n);
		return;
	}
	if (prog->ret & IMAP_SEARCH_RET_ALL) {
		char buf[IMAP_SEARCH_SETW_MAX];
		if (q->count == 1)
			imap_out_str(s, " ALL ");
		size_t w = imap_search_setw_add(&q->setw, n, buf);
		imap_out_raw(s, buf, w);
	}
}

/* RFC 4731 3.2: the highest modseq of the messages returned, so with MIN
 * and/or MAX alone, of those one or two. */
static uint64_t returned_modseq(const struct imap_search_state *q, uint32_t ret)
{
	if (ret & (IMAP_SEARCH_RET_ALL | IMAP_SEARCH_RET_COUNT))
		return q->modseq_max;
	uint64_t m = 0;
	if ((ret & IMAP_SEARCH_RET_MIN) && q->min_modseq > m)
		m = q->min_modseq;
	if ((ret & IMAP_SEARCH_RET_MAX) && q->max_modseq > m)
		m = q->max_modseq;
	return m;
}

static int search_finish(struct imap_session *s)
{
	struct imap_search_state *q = &s->u.search;
	const struct imap_search *prog = &slot_of(s)->prog;
	if (q->quiet) {
		/* no response line at all */
	} else if (prog->esearch) {
		char buf[IMAP_SEARCH_SETW_MAX];
		if ((prog->ret & IMAP_SEARCH_RET_ALL) && q->count)
			imap_out_raw(s, buf, imap_search_setw_finish(&q->setw, buf));
		if ((prog->ret & IMAP_SEARCH_RET_MIN) && q->count)
			imap_printf(s, " MIN %lu", (unsigned long)q->min);
		if ((prog->ret & IMAP_SEARCH_RET_MAX) && q->count)
			imap_printf(s, " MAX %lu", (unsigned long)q->max);
		if (prog->ret & IMAP_SEARCH_RET_COUNT)
			imap_printf(s, " COUNT %lu", (unsigned long)q->count);
		if (prog->uses_modseq && q->count)
			imap_printf(s, " MODSEQ %llu", (unsigned long long)returned_modseq(q, prog->ret));
	} else if (prog->uses_modseq && q->count) {
		imap_printf(s, " (MODSEQ %llu)", (unsigned long long)q->modseq_max);
	}
	if (!q->quiet)
		imap_out_str(s, "\r\n");
	bool save = prog->ret & IMAP_SEARCH_RET_SAVE;
	if (save && !q->save_all && q->count) {
		if (prog->ret & IMAP_SEARCH_RET_MIN)
			(void)imap_runs_add(&q->res, q->min_uid, false);
		if (prog->ret & IMAP_SEARCH_RET_MAX)
			(void)imap_runs_add(&q->res, q->max_uid, false);   /* two runs at most */
	}
	release(s);
	if (save && q->res.overflow) {
		imap_runs_clear(&s->saved);
		imap_tagged(s, "NO", "[LIMIT] The result has too many ranges to save, $ is empty");
		return IMAP_DONE;
	}
	if (save)
		s->saved = q->res;
	imap_tagged(s, "OK", "%sSEARCH completed", s->uid_cmd ? "UID " : "");
	return IMAP_DONE;
}

/* Load the next message of the view into q->m; false at the end. */
static bool next_message(struct imap_session *s)
{
	struct imap_search_state *q = &s->u.search;
	struct store *st = imap_store(s);
	uint32_t idx, entries = store_msg_entries(st, s->v.mb);
	bool exact;
	if (q->next_uid == 0 || q->next_uid > imap_view_uid_max(s) ||
	    store_msg_find(st, s->v.mb, q->next_uid, &idx, &exact) != STORE_OK)
		return false;
	const struct imap_search *prog = &slot_of(s)->prog;
	for (; idx < entries; idx++) {
		struct store_msg e;
		if (store_msg_peek(st, s->v.mb, idx, &e) != STORE_OK || e.uid > imap_view_uid_max(s))
			return false;
		/* keywords and a live message's modseq are on flash: read only
		 * when the program asks for them */
		if (!e.expunged && (prog->uses_keywords || prog->uses_modseq) &&
		    store_msg_get(st, s->v.mb, idx, &e) != STORE_OK)
			return false;
		q->next_uid = e.uid + 1;   /* 0 after UID 2^32-1: the end */
		/* the view: live, or expunged but not yet announced to us */
		if (e.expunged && e.modseq <= s->v.exp_modseq)
			continue;
		q->seq++;
		if (e.expunged)
			continue;   /* still numbered, but not found by any search */
		memset(&q->m, 0, sizeof(q->m));
		q->m.max_seq = s->v.exists;
		q->m.max_uid = imap_view_uid_max(s);
		q->m.seq = q->seq;
		q->m.uid = e.uid;
		q->m.flags = e.flags;
		q->m.recent = imap_view_is_recent(s, e.uid);
		q->m.in_saved = prog->uses_saved && imap_runs_contains(&s->saved, e.uid);
		q->m.modseq = e.modseq;
		q->uid = e.uid;
		q->idx = idx;
		return true;
	}
	return false;
}

/* Supply facts until the answer is known or the slice's budget is spent. */
static int examine(struct imap_session *s, uint32_t *budget)
{
	struct imap_search_state *q = &s->u.search;
	struct store *st = imap_store(s);
	const struct imap_search *prog = &slot_of(s)->prog;
	uint32_t needs = imap_search_needs(prog);
	int r = imap_search_eval(prog, &q->m);
	if (r != IMAP_SEARCH_UNKNOWN || q->phase != MS_FACTS)
		goto text;
	if ((needs & (IMAP_SEARCH_NEED_STAT | IMAP_SEARCH_NEED_HEADER | IMAP_SEARCH_NEED_BODY |
		      IMAP_SEARCH_NEED_DATE))) {
		struct store_msg_stat ms;
		if (store_msg_stat(st, s->v.mb, q->idx, &ms) != STORE_OK)
			return IMAP_SEARCH_NO;   /* expunged meanwhile */
		q->m.size = ms.size;
		q->m.internaldate = ms.internaldate;
		q->m.internal_tz = ms.tz_minutes;
		q->m.have |= IMAP_SEARCH_NEED_STAT;
		q->msg_size = ms.size;
		if ((r = imap_search_eval(prog, &q->m)) != IMAP_SEARCH_UNKNOWN)
			return r;
	}
	if (needs & IMAP_SEARCH_NEED_DATE) {
		const struct mime_view *v = imap_msgdata_view(s, q->idx, q->uid);
		struct mime_part root;
		char date[256];
		uint32_t len;
		q->m.have |= IMAP_SEARCH_NEED_DATE;
		if (v && mime_part_get(v, 0, &root) == MIME_OK &&
		    mime_field_get(v, &root, MIME_F_DATE, date, sizeof(date), &len) == 1 &&
		    len < sizeof(date))
			q->m.sent_valid = imap_date_rfc5322_parse(date, len, &q->m.sent, &q->m.sent_tz);
		if ((r = imap_search_eval(prog, &q->m)) != IMAP_SEARCH_UNKNOWN)
			return r;
	}
	/* text keys: header first, then the body */
	q->phase = MS_HEADER;
	q->hs = HS_LINE;
	q->pos = 0;
	q->name_len = 0;
	q->fmask = 0;
	q->stage_n = 0;
	q->in_part = false;
	for (unsigned i = 0; i < imap_search_text_count(prog); i++)
		mime_match_reset(&slot_of(s)->m[i]);
	q->in_field = false;
	if (!(needs & (IMAP_SEARCH_NEED_HEADER | IMAP_SEARCH_NEED_BODY)))
		return IMAP_SEARCH_NO;   /* cannot happen: everything else is known */
text:
	if (q->phase == MS_HEADER || q->phase == MS_BODY) {
		if (scan(s, budget) == IMAP_MORE)
			return IMAP_SEARCH_UNKNOWN;
		r = imap_search_eval(prog, &q->m);
		/* every key known now; UNKNOWN cannot remain */
		return r == IMAP_SEARCH_YES ? r : IMAP_SEARCH_NO;
	}
	return r;
}

static int search_step(struct imap_session *s)
{
	struct imap_search_state *q = &s->u.search;
	struct search_slot *sl = slot_of(s);
	uint32_t budget = IMAPD_SEARCH_SCAN;
	imap_search_bind(&sl->prog, kw_lookup, s);
	if (q->phase != MS_NEXT && !imap_msgset_refind(s, q->uid, &q->idx))
		q->phase = MS_NEXT;   /* the message went away between slices: no match */
	if (!q->started) {
		if (q->quiet) {
			/* SAVE alone: nothing to say */
		} else if (sl->prog.esearch) {
			imap_printf(s, "* ESEARCH (TAG \"%s\")%s", s->tag, s->uid_cmd ? " UID" : "");
			imap_search_setw_init(&q->setw);
		} else {
			imap_out_str(s, "* SEARCH");
		}
		q->started = true;
	}
	for (unsigned n = 0; n < IMAPD_SEARCH_MSGS; n++) {
		if (imap_out_room(s) < 160)   /* a result, or the line's end (search_finish) */
			return IMAP_MORE;
		if (q->phase == MS_NEXT) {
			if (!next_message(s))
				return search_finish(s);
			q->phase = MS_FACTS;
		}
		int r = examine(s, &budget);
		if (r == IMAP_SEARCH_UNKNOWN)
			return IMAP_MORE;   /* byte budget spent mid-message */
		if (r == IMAP_SEARCH_YES)
			result(s, s->uid_cmd ? q->uid : q->m.seq, q->m.modseq);
		q->prev_matched = r == IMAP_SEARCH_YES;
		q->phase = MS_NEXT;
		if (budget == 0)
			return IMAP_MORE;
	}
	return IMAP_MORE;
}
