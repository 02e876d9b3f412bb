/*
 * mime.c - incremental MIME parser writing the metadata blob, and the view
 * that reads it back (part lookup, field values, section ranges).
 *
 * Blob layout (little endian):
 *   0  u8  version (MIME_BLOB_VERSION)
 *   1  u8  flags: BLOB_TRUNC = records past the stored ones exist
 *   2  u16 stored record count
 *   4  u16 index of the first stored record (0 except for re-parse windows)
 *   6  u16 total record count of the message
 *   8  records, pre-order:
 *        0 u16 record length, 2 u8 depth, 3 u8 kind, 4 u8 enc, 5..7 zero,
 *        8 u32 hdr_off, 12 u32 body_off, 16 u32 end_off, 20 u32 body_lines,
 *        24 fields: u8 id, then inline: u16 len + bytes (unfolded value),
 *                   or id | FIELD_REF: u32 offset + u32 raw length of the
 *                   folded value in the message.
 *
 * Boundary rules follow Dovecot: a line starting with "--" + boundary of any
 * open multipart (innermost first) is a delimiter, "--" right after it makes
 * it the close delimiter; the line break before a delimiter belongs to it.
 */
#include "mime.h"

#include <string.h>

#define BLOB_HDR 8
#define REC_FIXED 24
#define BLOB_TRUNC 0x01
#define FIELD_REF 0x80
/* Field entries per record: each Content-* field once (the first wins, as
 * in Dovecot), envelope fields of message roots up to MIME_ENV_ENTRIES
 * occurrences in all (Dovecot takes the last Subject/Date/..., and merges
 * repeated address fields). */
#define ENTRIES_MAX(kind) ((unsigned)MIME_F_DATE + (((kind) & MIME_K_ROOT) ? MIME_ENV_ENTRIES : 0u))
/* Room kept for the entries still to come, all as 9-byte references, so
 * that a record, once begun, always completes. */
#define RESERVE(p, kind) (9u * (ENTRIES_MAX(kind) - (p)->nent))

_Static_assert(sizeof(struct mime_parser) <= 1536, "parser RAM bound");
_Static_assert(MIME_BLOB_MAX <= 65535, "blob offsets are 16-bit");
_Static_assert(MIME_MAX_DEPTH <= 255 && MIME_BOUNDARY_MAX <= 250, "8-bit counters");
_Static_assert(MIME_BOUNDARY_POOL <= 65535, "16-bit pool offsets");
_Static_assert(MIME_MAX_BOUNDARIES <= 16, "16-bit delimiter masks");

enum { ST_HEADER, ST_BODY };
enum { H_BOL, H_NAME, H_VALUE, H_SKIP };   /* header line sub-states */

static const char *const field_names[MIME_F_COUNT] = {
	"content-type", "content-transfer-encoding", "content-id", "content-description",
	"content-disposition", "content-language", "content-location", "content-md5",
	"date", "subject", "from", "sender", "reply-to", "to", "cc", "bcc", "in-reply-to",
	"message-id",
};

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xffffu);
	put16(p + 2, v >> 16);
}
static uint32_t get16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t get32(const uint8_t *p) { return get16(p) | get16(p + 2) << 16; }

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }
static bool is_wsp(char c) { return c == ' ' || c == '\t'; }

bool mime_token_eq(const char *a, size_t an, const char *b)
{
	size_t bn = strlen(b);
	if (an != bn)
		return false;
	for (size_t i = 0; i < an; i++)
		if (lower(a[i]) != b[i])
			return false;
	return true;
}

/* ---------------------------------------------------------------- */
/* Content-Type scanner: "type/subtype *(; name=value)", comments skipped. */

enum { CT_TYPE, CT_SUB, CT_PSKIP, CT_PNAME, CT_PEQ, CT_PVAL0, CT_PVAL, CT_PQVAL, CT_PQESC,
       CT_PEND };

static void ct_reset(struct mime_ct_scan *c) { memset(c, 0, sizeof(*c)); }

static void ct_tok(char *buf, uint8_t *n, char ch)
{
	if (*n < MIME_TOKEN_MAX)
		buf[*n] = lower(ch);
	if (*n < 255)
		(*n)++;
}

/* Free boundary pool space starts here. */
static uint32_t pool_top(const struct mime_parser *p)
{
	return p->nbnd ? p->bnd[p->nbnd - 1].off + p->bnd[p->nbnd - 1].len : 0u;
}

/* A byte of the boundary value goes straight to the top of the pool; it
 * becomes a delimiter only if the header ends a multipart. */
static void ct_val(struct mime_parser *p, char ch)
{
	struct mime_ct_scan *c = &p->ct;
	uint32_t at = pool_top(p) + c->bn;

	if (!c->isb)
		return;
	if (c->bn < MIME_BOUNDARY_MAX && at < MIME_BOUNDARY_POOL)
		p->pool[at] = ch, c->bn++;
	else
		c->bover = true;
}

static void ct_param_start(struct mime_ct_scan *c)
{
	c->pn = 0;
	c->isb = false;
}

static void ct_param_named(struct mime_ct_scan *c)
{
	/* The first boundary parameter wins. */
	c->isb = !c->bq && mime_token_eq(c->pname, c->pn, "boundary");
	if (c->isb) {
		c->bq = true;
		c->bn = 0;
	}
}

static void ct_feed(struct mime_parser *p, char ch)
{
	struct mime_ct_scan *c = &p->ct;

	if (c->st != CT_PQVAL && c->st != CT_PQESC) {
		if (c->cdepth) {
			if (ch == '(')
				c->cdepth++;
			else if (ch == ')')
				c->cdepth--;
			return;
		}
		if (ch == '(') {
			c->cdepth = 1;
			return;
		}
	}
	switch (c->st) {
	case CT_TYPE:
		if (ch == '/')
			c->st = CT_SUB;
		else if (ch == ';')
			c->st = CT_PSKIP;
		else if (!is_wsp(ch))
			ct_tok(c->type, &c->tn, ch);
		break;
	case CT_SUB:
		if (ch == ';')
			c->st = CT_PSKIP;
		else if (!is_wsp(ch))
			ct_tok(c->sub, &c->sn, ch);
		break;
	case CT_PSKIP:
		if (is_wsp(ch) || ch == ';')
			break;
		ct_param_start(c);
		c->st = CT_PNAME;
		/* fall through */
	case CT_PNAME:
		if (ch == '=') {
			ct_param_named(c);
			c->st = CT_PVAL0;
		} else if (ch == ';') {
			c->st = CT_PSKIP;
		} else if (is_wsp(ch)) {
			c->st = CT_PEQ;
		} else {
			ct_tok(c->pname, &c->pn, ch);
		}
		break;
	case CT_PEQ:
		if (ch == '=') {
			ct_param_named(c);
			c->st = CT_PVAL0;
		} else if (ch == ';') {
			c->st = CT_PSKIP;
		}
		break;
	case CT_PVAL0:
		if (is_wsp(ch))
			break;
		if (ch == '"') {
			c->st = CT_PQVAL;
			break;
		}
		c->st = CT_PVAL;
		/* fall through */
	case CT_PVAL:
		if (ch == ';')
			c->st = CT_PSKIP;
		else if (is_wsp(ch))
			c->st = CT_PEND;
		else
			ct_val(p, ch);
		break;
	case CT_PQVAL:
		if (ch == '\\')
			c->st = CT_PQESC;
		else if (ch == '"')
			c->st = CT_PEND;
		else
			ct_val(p, ch);
		break;
	case CT_PQESC:
		ct_val(p, ch);
		c->st = CT_PQVAL;
		break;
	case CT_PEND:
		if (ch == ';')
			c->st = CT_PSKIP;
		break;
	}
}

/* ---------------------------------------------------------------- */
/* Parser */

static bool storing(const struct mime_parser *p, uint16_t index)
{
	return !p->full && index >= p->first;
}

static uint8_t *rec_at(struct mime_parser *p, uint16_t rec) { return p->blob + rec; }

static void blob_mark_full(struct mime_parser *p)
{
	p->full = true;
	p->blob[1] |= BLOB_TRUNC;
}

/* Open a part whose header starts at off. */
static void part_open(struct mime_parser *p, uint32_t off, uint8_t kind)
{
	struct mime_open *o;
	uint16_t index = p->nrec;

	if (p->nrec < 0xffff)
		p->nrec++;
	o = &p->open[p->nopen++];
	memset(o, 0, sizeof(*o));
	o->index = index;
	o->kind = kind;
	if (storing(p, index)) {
		if (p->len + REC_FIXED + 9u * ENTRIES_MAX(kind) <= p->cap) {
			uint8_t *r = p->blob + p->len;
			memset(r, 0, REC_FIXED);
			r[2] = (uint8_t)(p->nopen - 1);
			r[3] = kind;
			put32(r + 8, off);
			put32(r + 12, off);
			put32(r + 16, off);
			o->rec = (uint16_t)p->len;
			p->len += REC_FIXED;
		} else {
			blob_mark_full(p);
		}
	}
	p->st = ST_HEADER;
	p->hst = H_BOL;
	p->field = -1;
	p->seen = 0;
	p->mv_seen = false;
	p->nent = 0;
	p->nenv = 0;
	p->ct_seen = false;
	p->cte_seen = false;
	p->cte_n = 0;
	p->cte_done = false;
	ct_reset(&p->ct);
}

static void field_begin(struct mime_parser *p, int f)
{
	struct mime_open *o = &p->open[p->nopen - 1];

	p->field = (int8_t)f;
	p->val_off = p->off + 1;
	p->val_end = p->val_off;
	p->val_len = 0;
	p->val_ref = false;
	p->val_lead = true;
	p->val_lf = false;
	p->nent++;
	if (!o->rec)
		return;
	p->fpos = (uint16_t)p->len;
	if (p->len + 3 + RESERVE(p, o->kind) > p->cap) {
		p->val_ref = true;
		return;
	}
	p->blob[p->len] = (uint8_t)f;
	p->len += 3;
}

/* Collect the first token of Content-Transfer-Encoding (comments and
 * anything after it do not count). */
static void cte_byte(struct mime_parser *p, char c)
{
	if (p->cte_done)
		return;
	if (is_wsp(c) || c == '(' || c == ';') {
		p->cte_done = p->cte_n > 0;
		return;
	}
	if (p->cte_n < sizeof(p->cte))
		p->cte[p->cte_n++] = lower(c);
	else
		p->cte_n = sizeof(p->cte) + 1;   /* too long for any known name */
}

static void field_store(struct mime_parser *p, const struct mime_open *o, char c)
{
	if (!o->rec || p->val_ref)
		return;
	if (p->val_len < MIME_VALUE_INLINE_MAX && p->len + 1 + RESERVE(p, o->kind) <= p->cap) {
		p->blob[p->len++] = (uint8_t)c;
		p->val_len++;
	} else {
		p->val_ref = true;
	}
}

static void field_byte(struct mime_parser *p, char c)
{
	struct mime_open *o = &p->open[p->nopen - 1];

	if (c == '\n')
		p->val_lf = true;   /* kept only if a continuation line follows */
	if (c == '\r' || c == '\n')
		return;
	if (p->val_lead && is_wsp(c) && !p->val_folded)
		return;
	if (p->val_lead) {
		p->val_lead = false;
		p->val_off = p->off;
	}
	p->val_end = p->off + 1;
	if (p->val_lf) {
		/* a fold: inline values keep one LF for it, so that renderers
		 * can tell folded text apart (Dovecot's "for humans" strings) */
		p->val_lf = false;
		field_store(p, o, '\n');
	}
	if (p->field == MIME_F_CTYPE)
		ct_feed(p, c);
	else if (p->field == MIME_F_CTE)
		cte_byte(p, c);
	field_store(p, o, c);
}

static void field_end(struct mime_parser *p)
{
	struct mime_open *o = &p->open[p->nopen - 1];
	int f = p->field;

	p->field = -1;
	if (f < 0)
		return;
	p->seen |= 1u << f;
	if (!o->rec)
		return;
	if (!p->val_ref) {
		put16(p->blob + p->fpos + 1, p->val_len);
		return;
	}
	/* Too long (or no room) for an inline copy: keep a reference; the
	 * reserve guarantees it fits. The parser also uses this for values
	 * longer than MIME_VALUE_INLINE_MAX. */
	p->len = p->fpos;
	p->blob[p->len] = (uint8_t)(f | FIELD_REF);
	put32(p->blob + p->len + 1, p->val_lead ? p->val_end : p->val_off);
	put32(p->blob + p->len + 5, p->val_lead ? 0 : p->val_end - p->val_off);
	p->len += 9;
}

static int field_lookup(const struct mime_parser *p)
{
	const struct mime_open *o = &p->open[p->nopen - 1];
	int last = (o->kind & MIME_K_ROOT) ? MIME_F_COUNT : MIME_F_DATE;

	if (p->name_over)
		return -1;
	for (int f = 0; f < last; f++) {
		if (!mime_token_eq(p->name, p->name_n, field_names[f]))
			continue;
		if (f < MIME_F_DATE)
			return (p->seen & (1u << f)) ? -1 : f;
		return p->nenv < MIME_ENV_ENTRIES ? f : -1;
	}
	return -1;
}

static enum mime_enc cte_decide(const struct mime_parser *p)
{
	static const char *const names[] = { "7bit", "8bit", "binary", "base64",
					     "quoted-printable" };
	size_t n = p->cte_n;

	if (!p->cte_seen)
		return MIME_ENC_7BIT;
	if (n > sizeof(p->cte))
		return MIME_ENC_OTHER;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (mime_token_eq(p->cte, n, names[i]))
			return (enum mime_enc)i;
	return MIME_ENC_OTHER;
}

/* The header of the innermost part ends; its body starts at body_off. */
/* A message header with neither MIME-Version nor Content-Type is not MIME:
 * its other Content-* fields are ignored, as Dovecot does (RFC 2045 4). */
static void drop_content_fields(struct mime_parser *p, struct mime_open *o)
{
	uint32_t rd = o->rec + REC_FIXED, wr = rd;

	p->cte_seen = false;
	if (!o->rec)
		return;
	while (rd < p->len) {
		uint8_t id = p->blob[rd];
		uint32_t n = (id & FIELD_REF) ? 9 : 3 + get16(p->blob + rd + 1);
		if ((id & ~FIELD_REF) >= MIME_F_DATE) {
			memmove(p->blob + wr, p->blob + rd, n);
			wr += n;
		}
		rd += n;
	}
	p->len = wr;
}

static void header_finish(struct mime_parser *p, uint32_t body_off)
{
	struct mime_open *o = &p->open[p->nopen - 1];
	const struct mime_ct_scan *c = &p->ct;
	uint8_t kind = o->kind;
	bool has_ct = p->ct_seen && c->tn > 0;

	field_end(p);
	if ((kind & MIME_K_ROOT) && !p->ct_seen && !p->mv_seen)
		drop_content_fields(p, o);
	if (has_ct) {
		kind &= (uint8_t)~MIME_K_DIGEST;
		if (mime_token_eq(c->type, c->tn, "multipart"))
			kind |= MIME_K_MULTIPART;
		else if (mime_token_eq(c->type, c->tn, "message") && mime_token_eq(c->sub, c->sn, "rfc822"))
			kind |= MIME_K_MESSAGE;
		else if (mime_token_eq(c->type, c->tn, "text"))
			kind |= MIME_K_TEXT;
	} else if (kind & MIME_K_DIGEST) {
		kind |= MIME_K_MESSAGE;
	} else {
		kind |= MIME_K_TEXT;
	}
	o->kind = kind;
	o->digest = (kind & MIME_K_MULTIPART) && mime_token_eq(c->sub, c->sn, "digest");
	o->lines0 = p->lines;
	if (o->rec) {
		uint8_t *r = rec_at(p, o->rec);
		put16(r, p->len - o->rec);
		r[3] = kind;
		r[4] = (uint8_t)cte_decide(p);
		put32(r + 12, body_off);
		put32(r + 16, body_off);
	}
	p->st = ST_BODY;
}

/* The blank line ending a header has been consumed: the body starts. */
static void header_end(struct mime_parser *p, uint32_t body_off)
{
	const struct mime_ct_scan *c = &p->ct;
	enum mime_enc enc;
	uint8_t kind;

	header_finish(p, body_off);
	enc = cte_decide(p);
	kind = p->open[p->nopen - 1].kind;
	if ((kind & MIME_K_MULTIPART) && c->bq && !c->bover && c->bn > 0 &&
	    p->nbnd < MIME_MAX_BOUNDARIES && p->nopen < MIME_MAX_DEPTH) {
		/* the value is already in place at the top of the pool */
		struct mime_bound *b = &p->bnd[p->nbnd];
		b->off = (uint16_t)pool_top(p);
		b->len = c->bn;
		b->depth = (uint8_t)(p->nopen - 1);
		p->nbnd++;
	} else if ((kind & MIME_K_MESSAGE) && p->nopen < MIME_MAX_DEPTH &&
		   (enc == MIME_ENC_7BIT || enc == MIME_ENC_8BIT || enc == MIME_ENC_BINARY)) {
		/* an encapsulated message; encoded ones (RFC 2046 5.2.1 forbids
		 * that) and those too deep are not parsed: their body shows as
		 * an empty message, as in Dovecot */
		part_open(p, body_off, MIME_K_ROOT);
	}
}

/* Close open parts deeper than `keep` at end offset `end`; end_lines is the
 * LF count up to end. A part still in its header ends it there (its body is
 * empty), as Dovecot does. */
static void parts_close(struct mime_parser *p, unsigned keep, uint32_t end, uint32_t end_lines)
{
	while (p->nopen > keep) {
		struct mime_open *o = &p->open[p->nopen - 1];
		uint32_t e = end;
		if (p->st == ST_HEADER) {
			uint32_t h = o->rec ? get32(rec_at(p, o->rec) + 8) : 0;
			header_finish(p, e < h ? h : e);
			o->lines0 = end_lines;
		}
		if (o->rec) {
			uint8_t *r = rec_at(p, o->rec);
			uint32_t hdr = get32(r + 8), body = get32(r + 12);
			if (e < body) {
				/* the delimiter's line break was the header's blank
				 * line: it leaves the header too (Dovecot) */
				e = e < hdr ? hdr : e;
				put32(r + 12, e);
			}
			put32(r + 16, e);
			put32(r + 20, end_lines > o->lines0 ? end_lines - o->lines0 : 0);
		}
		p->nopen--;
		while (p->nbnd && p->bnd[p->nbnd - 1].depth >= p->nopen)
			p->nbnd--;
	}
}

/* Delimiter recognition, byte by byte at the start of each line: lcand
 * holds the boundaries whose "--" + boundary (+ "--") may still match,
 * lmatch those matched, lclose those followed by "--" too. CR and LF do not
 * count. No line buffer is needed. */
static void line_match_start(struct mime_parser *p)
{
	p->lpos = 0;
	p->lcand = (uint16_t)((1u << p->nbnd) - 1u);
	p->lmatch = 0;
	p->lclose = 0;
}

static void line_match_byte(struct mime_parser *p, char c)
{
	uint32_t k = p->lpos;

	if (!p->lcand)
		return;
	p->lpos++;
	if (k < 2) {
		if (c != '-')
			p->lcand = 0;
		return;
	}
	for (unsigned i = 0; i < p->nbnd; i++) {
		const struct mime_bound *b = &p->bnd[i];
		uint16_t bit = (uint16_t)(1u << i);
		uint32_t j = k - 2;

		if (!(p->lcand & bit))
			continue;
		if (j < b->len) {
			if (p->pool[b->off + j] != c)
				p->lcand &= (uint16_t)~bit;
			else if (j + 1u == b->len)
				p->lmatch |= bit;   /* whatever follows: a delimiter */
		} else if (j == b->len) {
			if (c != '-')
				p->lcand &= (uint16_t)~bit;
		} else {
			if (c == '-')
				p->lclose |= bit;   /* "--" after it: the close delimiter */
			p->lcand &= (uint16_t)~bit;
		}
	}
}

/* At the end of a line: the delimiter it is (innermost first), or -1. */
static int boundary_match(const struct mime_parser *p, bool *close)
{
	for (int i = p->nbnd - 1; i >= 0; i--) {
		if (p->lmatch & (1u << i)) {
			*close = (p->lclose & (1u << i)) != 0;
			return i;
		}
	}
	return -1;
}

static void boundary_line(struct mime_parser *p, int i, bool close)
{
	uint8_t mp = p->bnd[i].depth;          /* the multipart's open[] slot */
	uint32_t end = p->line_off, end_lines = p->line_lines;

	/* the line break before the delimiter belongs to it */
	if (end >= p->prev_eol && end_lines > 0) {
		end -= p->prev_eol;
		end_lines--;
	}
	parts_close(p, mp + 1u, end, end_lines);
	p->nbnd = (uint8_t)(i + 1);
	if (close) {
		p->nbnd--;                     /* what follows is epilogue */
		p->st = ST_BODY;
		return;
	}
	part_open(p, p->off + 1,
		  p->open[mp].digest ? MIME_K_DIGEST : 0);
}

static void header_byte(struct mime_parser *p, char c)
{
	switch (p->hst) {
	case H_BOL:
		if (c == '\r' || c == '\n')
			return;         /* a blank line: handled at its LF */
		if (is_wsp(c) && p->field >= 0) {
			p->val_folded = true;
			p->hst = H_VALUE;
			field_byte(p, c);
			return;
		}
		field_end(p);
		p->name_n = 0;
		p->name_over = false;
		p->hst = H_NAME;
		/* fall through */
	case H_NAME:
		if (c == ':') {
			int f;
			while (p->name_n && is_wsp(p->name[p->name_n - 1]))
				p->name_n--;
			f = field_lookup(p);
			if (mime_token_eq(p->name, p->name_n, "mime-version"))
				p->mv_seen = true;
			if (f >= MIME_F_DATE)
				p->nenv++;
			if (f == MIME_F_CTYPE)
				p->ct_seen = true;
			else if (f == MIME_F_CTE)
				p->cte_seen = true;
			p->hst = f >= 0 ? H_VALUE : H_SKIP;
			p->val_folded = false;
			if (f >= 0)
				field_begin(p, f);
		} else if (c == '\r' || c == '\n') {
			p->hst = H_SKIP;    /* a line without a colon: ignored */
		} else if (p->name_n < MIME_NAME_MAX) {
			p->name[p->name_n++] = c;
		} else {
			p->name_over = true;
		}
		return;
	case H_VALUE:
		field_byte(p, c);
		return;
	case H_SKIP:
		return;
	}
}

void mime_parse_init(struct mime_parser *p, uint8_t *blob, uint32_t cap, uint16_t first_record)
{
	memset(p, 0, sizeof(*p));
	if (cap > MIME_BLOB_MAX)
		cap = MIME_BLOB_MAX;
	p->blob = blob;
	p->cap = cap;
	p->first = first_record;
	p->bol = true;
	p->prev_eol = 0;
	if (cap < BLOB_HDR) {
		p->cap = 0;
		p->full = true;
		return;
	}
	memset(blob, 0, BLOB_HDR);
	blob[0] = MIME_BLOB_VERSION;
	put16(blob + 4, first_record);
	p->len = BLOB_HDR;
	part_open(p, 0, MIME_K_ROOT);
}

static void parse_byte(struct mime_parser *p, char c)
{
	if (p->bol) {
		p->bol = false;
		p->line_off = p->off;
		p->line_lines = p->lines;
		p->line_blank = true;
		line_match_start(p);
	}
	if (c != '\r' && c != '\n') {
		p->line_blank = false;
		line_match_byte(p, c);
	}
	if (p->st == ST_HEADER)
		header_byte(p, c);
	if (c == '\n') {
		bool close = false;
		int i = p->nbnd ? boundary_match(p, &close) : -1;
		uint8_t eol = (p->off > p->line_off && p->cr) ? 2 : 1;

		p->lines++;
		if (i >= 0) {
			boundary_line(p, i, close);
		} else if (p->st == ST_HEADER) {
			p->hst = H_BOL;
			if (p->line_blank)
				header_end(p, p->off + 1);
		}
		p->prev_eol = eol;
		p->bol = true;
	}
	p->cr = (c == '\r');
	p->off++;
}

void mime_parse_feed(struct mime_parser *p, const void *data, size_t len)
{
	const char *d = data;

	if (!p->cap)
		return;
	for (size_t i = 0; i < len; i++) {
		/* In a body line that can no longer be a delimiter only its end
		 * matters: jump to it (most of a large message is such lines). */
		if (!p->bol && !p->lcand && p->st != ST_HEADER) {
			const char *nl = memchr(d + i, '\n', len - i);
			size_t k = (nl ? (size_t)(nl - d) : len) - i;

			if (k) {
				for (size_t j = 0; p->line_blank && j < k; j++)
					if (d[i + j] != '\r')
						p->line_blank = false;
				p->cr = d[i + k - 1] == '\r';
				p->off += (uint32_t)k;
				i += k;
				if (i == len)
					break;
			}
		}
		parse_byte(p, d[i]);
	}
}

uint32_t mime_parse_finish(struct mime_parser *p)
{
	if (!p->cap)
		return 0;
	/* a last line without a line break may still be a delimiter */
	if (!p->bol && p->nbnd) {
		bool close = false;
		int i = boundary_match(p, &close);
		if (i >= 0) {
			uint32_t end = p->line_off, end_lines = p->line_lines;
			if (end >= p->prev_eol && end_lines > 0) {
				end -= p->prev_eol;
				end_lines--;
			}
			parts_close(p, p->bnd[i].depth + 1u, end, end_lines);
			p->nbnd = (uint8_t)i;
		}
	}
	parts_close(p, 0, p->off, p->lines);
	put16(p->blob + 6, p->nrec);
	{
		/* count the stored records */
		uint32_t pos = BLOB_HDR, n = 0;
		while (pos + REC_FIXED <= p->len) {
			uint32_t rl = get16(p->blob + pos);
			if (rl < REC_FIXED)
				break;
			pos += rl;
			n++;
		}
		put16(p->blob + 2, n);
	}
	return p->len;
}

bool mime_blob_complete(const uint8_t *blob, uint32_t len)
{
	return len >= BLOB_HDR && blob[0] == MIME_BLOB_VERSION && !(blob[1] & BLOB_TRUNC) &&
	       get16(blob + 4) == 0;
}

/* ---------------------------------------------------------------- */
/* View */

static int blob_check(const uint8_t *b, uint32_t len)
{
	uint32_t pos = BLOB_HDR, n, prev_depth = 0;

	if (len < BLOB_HDR || len > MIME_BLOB_MAX || b[0] != MIME_BLOB_VERSION)
		return MIME_EBLOB;
	n = get16(b + 2);
	if (get16(b + 4) + n > get16(b + 6))
		return MIME_EBLOB;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t rl, fp;
		if (pos + REC_FIXED > len)
			return MIME_EBLOB;
		rl = get16(b + pos);
		if (rl < REC_FIXED || pos + rl > len)
			return MIME_EBLOB;
		if (b[pos + 2] >= MIME_MAX_DEPTH || b[pos + 4] > MIME_ENC_OTHER)
			return MIME_EBLOB;
		if (get32(b + pos + 8) > get32(b + pos + 12) ||
		    get32(b + pos + 12) > get32(b + pos + 16))
			return MIME_EBLOB;
		if (i == 0 && get16(b + 4) == 0 && b[pos + 2] != 0)
			return MIME_EBLOB;
		if (i > 0 && b[pos + 2] > prev_depth + 1)
			return MIME_EBLOB;
		prev_depth = b[pos + 2];
		for (fp = pos + REC_FIXED; fp < pos + rl;) {
			uint8_t id = b[fp];
			if ((id & ~FIELD_REF) >= MIME_F_COUNT)
				return MIME_EBLOB;
			if (id & FIELD_REF) {
				fp += 9;
			} else {
				if (fp + 3 > pos + rl)
					return MIME_EBLOB;
				fp += 3 + get16(b + fp + 1);
			}
		}
		if (fp != pos + rl)
			return MIME_EBLOB;
		pos += rl;
	}
	return MIME_OK;
}

int mime_view_check(const struct mime_view *v)
{
	if (v->work) {
		mime_work_forget(v->work);
		mime_work_bind(v);
	}
	return blob_check(v->blob, v->blob_len);
}

static void rec_decode(const uint8_t *r, uint16_t index, struct mime_part *out)
{
	out->index = index;
	out->depth = r[2];
	out->kind = r[3];
	out->enc = r[4];
	out->hdr_off = get32(r + 8);
	out->body_off = get32(r + 12);
	out->end_off = get32(r + 16);
	out->body_lines = get32(r + 20);
}

/* Record i of a (checked) blob, or NULL. */
static const uint8_t *blob_rec(const uint8_t *b, uint32_t len, uint16_t i)
{
	uint32_t first = get16(b + 4), n = get16(b + 2), pos = BLOB_HDR;

	if (i < first || i >= first + n)
		return NULL;
	for (uint32_t k = first; k < i; k++)
		pos += get16(b + pos);
	return pos + REC_FIXED <= len ? b + pos : NULL;
}

/* The window is full and every record in it is closed: the rest of the
 * message cannot change it. */
static bool window_settled(const struct mime_parser *p)
{
	if (!p->full)
		return false;
	for (unsigned i = 0; i < p->nopen; i++)
		if (p->open[i].rec)
			return false;
	return true;
}

/* A parser state taken during an earlier pass, made to store records from
 * index `first` on into its (emptied) blob: exactly the state a pass begun
 * with `first` would have at this offset, since the two differ only in what
 * they stored, and every record still open here has an index below first. */
static void parser_rebase(struct mime_parser *p, uint16_t first)
{
	memset(p->blob, 0, BLOB_HDR);
	p->blob[0] = MIME_BLOB_VERSION;
	put16(p->blob + 4, first);
	p->len = BLOB_HDR;
	p->first = first;
	p->full = false;
	for (unsigned i = 0; i < p->nopen; i++)
		p->open[i].rec = 0;
}

/* Re-parse the message through the read callback into the work window,
 * storing records from index `first` on; stops reading once the window is
 * settled.
 *
 * A walk over every part (BODYSTRUCTURE, or a client fetching the parts in
 * order) asks for one window after another. Starting each from byte 0 would
 * cost the message's size per window, quadratic in the part count, so while
 * the window still has room the parser is copied at each chunk where a new
 * record has begun; the next window forward resumes from that copy. */
static int window_fill(const struct mime_view *v, uint16_t first)
{
	struct mime_work *w = v->work;
	uint8_t chunk[256];
	uint32_t off = 0;
	uint16_t snap_nrec = 0xffff;

	if (!w || !v->read)
		return MIME_EIO;
	w->win_valid = false;
	if (w->resume_valid && w->resume.nrec <= first) {
		w->parser = w->resume;
		parser_rebase(&w->parser, first);
		off = w->resume_off;
		snap_nrec = w->parser.nrec;
	} else {
		mime_parse_init(&w->parser, w->win, sizeof(w->win), first);
	}
	while (off < v->msg_size && !window_settled(&w->parser)) {
		uint32_t want = v->msg_size - off;
		int n;
		if (!w->parser.full && w->parser.nrec != snap_nrec) {
			w->resume = w->parser;
			w->resume_off = off;
			w->resume_valid = true;
			snap_nrec = w->parser.nrec;
		}
		if (want > sizeof(chunk))
			want = sizeof(chunk);
		n = v->read(v->read_ctx, off, chunk, want);
		if (n <= 0) {
			w->resume_valid = false;
			return MIME_EIO;
		}
		mime_parse_feed(&w->parser, chunk, (size_t)n);
		off += (uint32_t)n;
	}
	w->win_len = mime_parse_finish(&w->parser);
	w->win_first = first;
	w->win_valid = true;
	return MIME_OK;
}

void mime_work_bind(const struct mime_view *v)
{
	struct mime_work *w = v->work;

	if (w && (w->key_blob != v->blob || w->key_size != v->msg_size)) {
		mime_work_forget(w);
		w->key_blob = v->blob;
		w->key_size = v->msg_size;
	}
}

void mime_work_forget(struct mime_work *w)
{
	w->key_blob = NULL;
	w->key_size = 0;
	w->win_valid = false;
	w->resume_valid = false;
	w->ck.valid = false;
}

static const uint8_t *view_rec(const struct mime_view *v, uint16_t i, const uint8_t **blob,
			       uint32_t *blen, int *err)
{
	const uint8_t *r;
	struct mime_work *w = v->work;

	*err = MIME_OK;
	if (v->blob_len < BLOB_HDR || i >= get16(v->blob + 6)) {
		*err = MIME_ENOPART;
		return NULL;
	}
	r = blob_rec(v->blob, v->blob_len, i);
	if (r) {
		*blob = v->blob;
		*blen = v->blob_len;
		return r;
	}
	mime_work_bind(v);
	if (!w || !w->win_valid || !(r = blob_rec(w->win, w->win_len, i))) {
		*err = window_fill(v, i);
		if (*err)
			return NULL;
		r = blob_rec(w->win, w->win_len, i);
		if (!r) {
			*err = MIME_EIO;   /* the message changed under us */
			return NULL;
		}
	}
	*blob = w->win;
	*blen = w->win_len;
	return r;
}

int mime_part_get(const struct mime_view *v, uint16_t i, struct mime_part *out)
{
	const uint8_t *b;
	uint32_t bl;
	int err;
	const uint8_t *r = view_rec(v, i, &b, &bl, &err);

	if (!r)
		return err;
	rec_decode(r, i, out);
	return MIME_OK;
}

/* k-th (1-based) child of part p. */
static int part_child(const struct mime_view *v, const struct mime_part *p, uint32_t k,
		      struct mime_part *out)
{
	const struct mime_part parent = *p;   /* out may alias p */
	uint32_t seen = 0;

	for (uint32_t i = parent.index + 1u; i < 0xffffu; i++) {
		int err = mime_part_get(v, (uint16_t)i, out);
		if (err)
			return err;
		if (out->depth <= parent.depth)
			return MIME_ENOPART;
		if (out->depth == parent.depth + 1u && ++seen == k)
			return MIME_OK;
	}
	return MIME_ENOPART;
}

int mime_part_find(const struct mime_view *v, const uint32_t *path, unsigned n,
		   struct mime_part *out)
{
	struct mime_part cur;
	int err = mime_part_get(v, 0, &cur);

	if (err)
		return err;
	for (unsigned j = 0; j < n; j++) {
		bool more = j + 1 < n;
		if (path[j] == 0)
			return MIME_ENOPART;
		if (cur.kind & MIME_K_MULTIPART) {
			err = part_child(v, &cur, path[j], &cur);
			if (err)
				return err;
		} else if (path[j] != 1 || (more && !(cur.kind & MIME_K_MESSAGE))) {
			/* a non-multipart has only part 1, itself; the path may go
			 * on only inside a message/rfc822 */
			return MIME_ENOPART;
		}
		if (more && (cur.kind & MIME_K_MESSAGE)) {
			err = part_child(v, &cur, 1, &cur);
			if (err)
				return err;
		}
	}
	*out = cur;
	return MIME_OK;
}

int mime_field_ref(const struct mime_view *v, const struct mime_part *p, enum mime_field f,
		   struct mime_value *out)
{
	return mime_field_nth(v, p, f, 0, out);
}

int mime_field_nth(const struct mime_view *v, const struct mime_part *p, enum mime_field f,
		   unsigned nth, struct mime_value *out)
{
	const uint8_t *b, *r;
	uint32_t bl, rl, fp;
	int err;

	r = view_rec(v, p->index, &b, &bl, &err);
	if (!r)
		return err;
	rl = get16(r);
	for (fp = REC_FIXED; fp < rl;) {
		uint8_t id = r[fp];
		if ((id & ~FIELD_REF) == f && nth-- == 0) {
			memset(out, 0, sizeof(*out));
			if (id & FIELD_REF) {
				out->ref = true;
				out->off = get32(r + fp + 1);
				out->len = get32(r + fp + 5);
			} else {
				out->len = get16(r + fp + 1);
				out->data = r + fp + 3;
			}
			return 1;
		}
		fp += (id & FIELD_REF) ? 9 : 3 + get16(r + fp + 1);
	}
	return 0;
}

int mime_value_getc(const struct mime_view *v, struct mime_value *val)
{
	for (;;) {
		uint8_t c;
		if (val->pos >= val->len)
			return -1;
		if (!val->ref) {
			/* inline values hold one LF per fold */
			c = val->data[val->pos++];
			if (c != '\n' || val->keep_lf)
				return c;
			continue;
		}
		if (val->cache_pos >= val->cache_n) {
			uint32_t want = val->len - val->pos;
			int n;
			if (want > sizeof(val->cache))
				want = sizeof(val->cache);
			if (!v->read)
				return -2;
			n = v->read(v->read_ctx, val->off + val->pos, val->cache, want);
			if (n <= 0)
				return -2;
			val->cache_n = (uint8_t)n;
			val->cache_pos = 0;
		}
		c = val->cache[val->cache_pos++];
		val->pos++;
		/* like inline values: no CR, an LF only for a fold */
		if (c != '\r' && (c != '\n' || val->keep_lf))
			return c;
	}
}

void mime_value_rewind(struct mime_value *val)
{
	val->pos = 0;
	val->cache_n = 0;
	val->cache_pos = 0;
}

int mime_field_get(const struct mime_view *v, const struct mime_part *p, enum mime_field f,
		   char *buf, uint32_t cap, uint32_t *len)
{
	struct mime_value val;
	int r = mime_field_ref(v, p, f, &val), c;
	uint32_t n = 0;

	if (r <= 0)
		return r;
	while ((c = mime_value_getc(v, &val)) >= 0) {
		if (n < cap)
			buf[n] = (char)c;
		n++;
	}
	if (c == -2)
		return MIME_EIO;
	*len = n;
	return 1;
}

/* ---------------------------------------------------------------- */
/* Sections */

int mime_section(const struct mime_view *v, const uint32_t *path, unsigned n,
		 enum mime_sect sect, struct mime_range *out)
{
	struct mime_part p, m;
	int err;

	memset(out, 0, sizeof(*out));
	if (n == 0 && sect == MIME_SECT_MIME)
		return MIME_EINVAL;
	err = mime_part_find(v, path, n, &p);
	if (err)
		return err;
	out->enc = p.enc;
	if (n == 0 && sect == MIME_SECT_ALL) {
		out->off = 0;
		out->len = v->msg_size;
		return MIME_OK;
	}
	switch (sect) {
	case MIME_SECT_ALL:
		out->off = p.body_off;
		out->len = p.end_off - p.body_off;
		return MIME_OK;
	case MIME_SECT_MIME:
		out->off = p.hdr_off;
		out->len = p.body_off - p.hdr_off;
		out->is_header = true;
		return MIME_OK;
	default:
		break;
	}
	if (n == 0) {
		m = p;
	} else {
		if (!(p.kind & MIME_K_MESSAGE))
			return MIME_ENOPART;
		err = part_child(v, &p, 1, &m);
		if (err)
			return err;
	}
	out->enc = MIME_ENC_7BIT;
	if (sect == MIME_SECT_TEXT) {
		out->off = m.body_off;
		out->len = m.end_off - m.body_off;
	} else {
		out->off = m.hdr_off;
		out->len = m.body_off - m.hdr_off;
		out->is_header = true;
	}
	return MIME_OK;
}
