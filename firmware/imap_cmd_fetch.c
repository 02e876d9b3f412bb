/*
 * imap_cmd_fetch.c - FETCH and UID FETCH (RFC 3501 6.4.5, 7.4.2; BINARY of
 * RFC 3516).
 *
 * The item list is parsed once into a small array; sections stay as text in
 * the command buffer and are parsed again each time they are used, so the
 * state does not depend on how many header names or part levels they have.
 * Messages are answered one after another, item by item, in slices: an item
 * that does not fit the output room resumes where it stopped. A section is a
 * byte range of the message (mime_section()); ranges that are filtered
 * (HEADER.FIELDS) or decoded (BINARY) are first run through the transform
 * once to learn the literal's length, then again to send it. Message bytes go
 * from the store to the output buffer in chunks: RAM does not depend on the
 * message size.
 */
#include <string.h>

#include "imap_acl.h"
#include "imap_cmds.h"
#include "imap_date.h"
#include "imap_internal.h"
#include "imap_msgdata.h"
#include "imap_msgset.h"
#include "mime.h"
#include "mime_decode.h"
#include "mime_hdr_filter.h"
#include "mime_render.h"

#ifndef IMAPD_FETCH_SCAN
#define IMAPD_FETCH_SCAN (8u * 1024u)    /* bytes a counting pass reads per step */
#endif
#ifndef IMAPD_FETCH_MSGS
#define IMAPD_FETCH_MSGS 64              /* messages begun per step */
#endif
#define SECT_TEXT_MAX 600                /* echoed section text: fits any step's room */

enum fetch_kind {
	FI_FLAGS, FI_UID, FI_INTERNALDATE, FI_SIZE, FI_ENVELOPE, FI_BODY, FI_BODYSTRUCTURE,
	FI_SECTION,       /* BODY[...], BODY.PEEK[...], BINARY[...], BINARY.PEEK[...] */
	FI_BINSIZE,       /* BINARY.SIZE[...] */
	FI_RFC822, FI_RFC822_HEADER, FI_RFC822_TEXT,
	FI_MODSEQ,        /* CONDSTORE (RFC 7162 3.1.5) */
};

enum {
	FO_PEEK = 1u << 0,
	FO_BINARY = 1u << 1,
	FO_PARTIAL = 1u << 2,
};

enum { XF_NONE, XF_FILTER, XF_DECODE };

/* streaming item phases */
enum { PH_START, PH_COUNT, PH_HEAD, PH_DATA, PH_RENDER };

/* A parsed section: [path][.HEADER|.HEADER.FIELDS[.NOT] (names)|.TEXT|.MIME] */
struct fsect {
	uint32_t path[MIME_MAX_DEPTH];
	unsigned npath;
	bool nopart;              /* deeper than any stored part can be */
	enum mime_sect sect;
	unsigned nnames;
};

static struct mime_hdr_name hdr_names[MIME_HDR_FILTER_NAMES];

/* ---- section text (never modified: it is parsed again at use) ---- */

static bool atom_char(char c)
{
	return c > 0x20 && c < 0x7f && !strchr("(){%*\"\\]", c);
}

static bool word_is(const char *t, size_t len, size_t *i, const char *kw)
{
	size_t n = strlen(kw);
	if (len - *i < n)
		return false;
	for (size_t k = 0; k < n; k++) {
		char c = t[*i + k];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (c != kw[k])
			return false;
	}
	char next = *i + n < len ? t[*i + n] : ']';
	if ((next >= 'A' && next <= 'Z') || (next >= 'a' && next <= 'z') || next == '.')
		return false;
	*i += n;
	return true;
}

/* header-fld-name = astring, read without unescaping (field names have no
 * quotes or backslashes worth matching). */
static bool hdr_name(const char *t, size_t len, size_t *i, struct mime_hdr_name *out)
{
	size_t k = *i;
	if (k < len && t[k] == '"') {
		size_t st = ++k;
		while (k < len && t[k] != '"') {
			if (t[k] == '\\')
				k++;
			if (k >= len || t[k] == '\r' || t[k] == '\n')
				return false;
			k++;
		}
		if (k >= len)
			return false;
		out->s = t + st;
		out->len = k - st;
		*i = k + 1;
		return true;
	}
	if (k < len && t[k] == '{') {
		uint64_t n = 0;
		k++;
		size_t d0 = k;
		while (k < len && t[k] >= '0' && t[k] <= '9' && n <= UINT32_MAX)
			n = n * 10 + (uint64_t)(t[k++] - '0');
		if (k == d0)
			return false;
		if (k < len && t[k] == '+')
			k++;
		if (len - k < 3 || t[k] != '}' || t[k + 1] != '\r' || t[k + 2] != '\n' ||
		    n > len - k - 3)
			return false;
		out->s = t + k + 3;
		out->len = (size_t)n;
		*i = k + 3 + (size_t)n;
		return true;
	}
	size_t st = k;
	while (k < len && atom_char(t[k]))
		k++;
	if (k == st)
		return false;
	out->s = t + st;
	out->len = k - st;
	*i = k;
	return true;
}

/* Parse a section up to (not including) its ']'. Returns the bytes used, or
 * -1 with *why set. names (may be NULL) receives the header-list. */
static int sect_parse(const char *t, size_t len, bool binary, struct fsect *o,
		      struct mime_hdr_name *names, const char **why)
{
	size_t i = 0;
	memset(o, 0, sizeof(*o));
	o->sect = MIME_SECT_ALL;
	while (i < len && t[i] >= '0' && t[i] <= '9') {
		uint64_t v = 0;
		if (t[i] == '0') {
			*why = "Invalid section part number";
			return -1;
		}
		while (i < len && t[i] >= '0' && t[i] <= '9') {
			v = v * 10 + (uint64_t)(t[i++] - '0');
			if (v > UINT32_MAX) {
				*why = "Invalid section part number";
				return -1;
			}
		}
		if (o->npath < MIME_MAX_DEPTH)
			o->path[o->npath++] = (uint32_t)v;
		else
			o->nopart = true;
		if (i < len && t[i] == '.' && i + 1 < len && t[i + 1] >= '0' && t[i + 1] <= '9') {
			i++;
			continue;
		}
		break;
	}
	if (i >= len || t[i] == ']')
		return (int)i;
	if (binary) {
		*why = "BINARY takes part numbers only";
		return -1;
	}
	if (o->npath || o->nopart) {
		if (t[i] != '.') {
			*why = "Invalid section";
			return -1;
		}
		i++;
		if (word_is(t, len, &i, "MIME")) {
			o->sect = MIME_SECT_MIME;
			return (int)i;
		}
	}
	if (word_is(t, len, &i, "TEXT")) {
		o->sect = MIME_SECT_TEXT;
		return (int)i;
	}
	bool negate = false;
	if (word_is(t, len, &i, "HEADER")) {
		o->sect = MIME_SECT_HEADER;
	} else if ((negate = word_is(t, len, &i, "HEADER.FIELDS.NOT")) ||
		   word_is(t, len, &i, "HEADER.FIELDS")) {
		o->sect = negate ? MIME_SECT_HEADER_FIELDS_NOT : MIME_SECT_HEADER_FIELDS;
		if (len - i < 2 || t[i] != ' ' || t[i + 1] != '(') {
			*why = "Expected a header field list";
			return -1;
		}
		i += 2;
		for (;;) {
			struct mime_hdr_name nm;
			if (!hdr_name(t, len, &i, &nm)) {
				*why = "Invalid header field name";
				return -1;
			}
			if (o->nnames >= MIME_HDR_FILTER_NAMES) {
				*why = "Too many header field names";
				return -1;
			}
			if (names)
				names[o->nnames] = nm;
			o->nnames++;
			if (i < len && t[i] == ' ') {
				i++;
				continue;
			}
			break;
		}
		if (i >= len || t[i] != ')') {
			*why = "Expected ')' after header field names";
			return -1;
		}
		i++;
	} else {
		*why = "Invalid section";
		return -1;
	}
	return (int)i;
}

/* ---- item list ---- */

static bool add_item(struct imap_session *s, uint8_t kind)
{
	struct imap_fetch_state *e = &s->u.fetch;
	if (e->nitems >= IMAP_FETCH_MAX_ITEMS) {
		s->p.err = "Too many FETCH items";
		return false;
	}
	memset(&e->item[e->nitems], 0, sizeof(e->item[0]));
	e->item[e->nitems++].kind = kind;
	return true;
}

static bool has_item(const struct imap_fetch_state *e, uint8_t kind)
{
	for (unsigned i = 0; i < e->nitems; i++)
		if (e->item[i].kind == kind)
			return true;
	return false;
}

/* "[section]" and "<origin.count>" after BODY / BODY.PEEK / BINARY... */
static bool parse_section(struct imap_session *s, struct imap_fetch_item *it, bool binary,
			  bool partial_ok)
{
	struct imap_parser *p = &s->p;
	struct fsect fs;
	const char *why = "Invalid section";
	if (!imap_p_char(p, '['))
		return false;
	size_t start = p->pos;
	int n = sect_parse(p->buf + start, p->len - start, binary, &fs, NULL, &why);
	if (n < 0 || start + (size_t)n >= p->len || p->buf[start + (size_t)n] != ']') {
		p->err = n < 0 ? why : "Expected ']'";
		return false;
	}
	if (n > SECT_TEXT_MAX) {
		p->err = "Section too long";
		return false;
	}
	it->sect_off = (uint16_t)start;
	it->sect_len = (uint16_t)n;
	p->pos = start + (size_t)n + 1;
	if (partial_ok && imap_p_char(p, '<')) {
		/* RFC 3501 wants a non-zero count; <n.0> is read as an empty
		 * window, as Dovecot does */
		if (!imap_p_number(p, &it->origin) || !imap_p_char(p, '.') ||
		    !imap_p_number(p, &it->count) || !imap_p_char(p, '>')) {
			p->err = "Invalid partial <origin.count>";
			return false;
		}
		it->opts |= FO_PARTIAL;
	}
	return true;
}

static bool parse_att(struct imap_session *s)
{
	struct imap_parser *p = &s->p;
	struct imap_fetch_state *e = &s->u.fetch;
	static const struct { const char *name; uint8_t kind; } simple[] = {
		{ "FLAGS", FI_FLAGS }, { "UID", FI_UID }, { "INTERNALDATE", FI_INTERNALDATE },
		{ "RFC822.SIZE", FI_SIZE }, { "ENVELOPE", FI_ENVELOPE },
		{ "BODYSTRUCTURE", FI_BODYSTRUCTURE }, { "RFC822.HEADER", FI_RFC822_HEADER },
		{ "RFC822.TEXT", FI_RFC822_TEXT }, { "RFC822", FI_RFC822 },
		{ "MODSEQ", FI_MODSEQ },
	};
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (imap_p_keyword(p, simple[i].name))
			return add_item(s, simple[i].kind);
	bool peek = false, binary = false, size = false;
	if (imap_p_keyword(p, "BODY.PEEK")) {
		peek = true;
	} else if (imap_p_keyword(p, "BODY")) {
		if (!imap_p_peek(p, '['))
			return add_item(s, FI_BODY);
	} else if (imap_p_keyword(p, "BINARY.PEEK")) {
		peek = binary = true;
	} else if (imap_p_keyword(p, "BINARY.SIZE")) {
		binary = size = true;
	} else if (imap_p_keyword(p, "BINARY")) {
		binary = true;
	} else {
		p->err = "Unknown FETCH item";
		return false;
	}
	if (!add_item(s, size ? FI_BINSIZE : FI_SECTION))
		return false;
	struct imap_fetch_item *it = &e->item[e->nitems - 1];
	it->opts = (uint8_t)((peek ? FO_PEEK : 0) | (binary ? FO_BINARY : 0));
	if (!parse_section(s, it, binary, !size)) {
		if (!p->err)
			p->err = "Expected '[' after BODY.PEEK / BINARY";
		return false;
	}
	return true;
}

static bool parse_items(struct imap_session *s)
{
	struct imap_parser *p = &s->p;
	/* macros (RFC 3501 6.4.5) */
	static const struct { const char *name; uint8_t n; uint8_t kinds[5]; } macros[] = {
		{ "ALL", 4, { FI_FLAGS, FI_INTERNALDATE, FI_SIZE, FI_ENVELOPE } },
		{ "FAST", 3, { FI_FLAGS, FI_INTERNALDATE, FI_SIZE } },
		{ "FULL", 5, { FI_FLAGS, FI_INTERNALDATE, FI_SIZE, FI_ENVELOPE, FI_BODY } },
	};
	for (size_t m = 0; m < sizeof(macros) / sizeof(macros[0]); m++) {
		if (!imap_p_keyword(p, macros[m].name))
			continue;
		for (unsigned i = 0; i < macros[m].n; i++)
			if (!add_item(s, macros[m].kinds[i]))
				return false;
		return true;
	}
	if (!imap_p_char(p, '('))
		return parse_att(s);
	do {
		if (!parse_att(s))
			return false;
	} while (imap_p_char(p, ' '));
	if (!imap_p_char(p, ')')) {
		p->err = "Expected ')' after FETCH items";
		return false;
	}
	return true;
}

static int fetch_step(struct imap_session *s);

int imap_cmd_fetch(struct imap_session *s)
{
	struct imap_fetch_state *e = &s->u.fetch;
	struct imap_parser *p = &s->p;
	struct imap_seqset set;
	memset(e, 0, sizeof(*e));
	if (!imap_p_sp(p) || !imap_p_seqset(p, &set) || !imap_p_sp(p))
		return imap_bad_syntax(s);
	if (s->uid_cmd && !add_item(s, FI_UID))
		return imap_bad_syntax(s);
	if (!parse_items(s))
		return imap_bad_syntax(s);
	if (imap_p_char(p, ' ')) {
		/* fetch-modifiers (RFC 4466): CHANGEDSINCE n (RFC 7162 3.1.4.1) and
		 * VANISHED (3.2.6) */
		bool changed = false;
		if (!imap_p_char(p, '('))
			goto bad_mod;
		do {
			uint64_t n;
			if (imap_p_keyword(p, "VANISHED")) {
				e->vanished = true;
			} else if (imap_p_keyword(p, "CHANGEDSINCE") && imap_p_sp(p) &&
				   imap_p_number64(p, &n) && n <= INT64_MAX) {
				e->changedsince = n;   /* 0 filters nothing: every modseq is >= 1 */
				changed = true;
			} else {
				goto bad_mod;
			}
		} while (imap_p_char(p, ' '));
		if (!imap_p_char(p, ')'))
			goto bad_mod;
		if (e->vanished && (!s->qresync || !s->uid_cmd || !changed || set.dollar)) {
			imap_tagged(s, "BAD", "VANISHED needs ENABLE QRESYNC, UID FETCH and CHANGEDSINCE");
			return IMAP_DONE;
		}
		if (changed && !has_item(e, FI_MODSEQ) && !add_item(s, FI_MODSEQ))   /* implied */
			return imap_bad_syntax(s);
	}
	if (!imap_p_end(p)) {
		imap_tagged(s, "BAD", "Unexpected characters after FETCH items");
		return IMAP_DONE;
	}
	if (!s->uid_cmd && !imap_msgset_check(s, &set)) {
		imap_tagged(s, "BAD", "Invalid message sequence number");
		return IMAP_DONE;
	}
	if (has_item(e, FI_MODSEQ))
		imap_condstore_enable(s);   /* a CONDSTORE enabling command (RFC 7162 3.1) */
	for (unsigned i = 0; i < e->nitems; i++) {
		const struct imap_fetch_item *it = &e->item[i];
		if ((it->kind == FI_SECTION && !(it->opts & FO_PEEK)) || it->kind == FI_RFC822 ||
		    it->kind == FI_RFC822_TEXT)
			e->sets_seen = !s->v.readonly && (s->v.rights & ACL_S);   /* RFC 4314 4 */
		if (it->kind != FI_FLAGS && it->kind != FI_UID && it->kind != FI_MODSEQ)
			e->need_stat = true;
	}
	/* UID FETCH: UID once, first, as Dovecot answers */
	if (s->uid_cmd) {
		for (unsigned i = 1; i < e->nitems; i++)
			if (e->item[i].kind == FI_UID) {
				memmove(&e->item[i], &e->item[i + 1],
					(e->nitems - i - 1) * sizeof(e->item[0]));
				e->nitems--;
				i--;
			}
	}
	imap_msgset_init(&e->walk, &set, s->uid_cmd);
	if (e->vanished) {
		struct store_mbox_info info;
		if (store_mbox_info(imap_store(s), s->v.mb, &info) != STORE_OK)
			info.uidnext = 1;
		imap_vanished_init(&e->van, info.uidnext - 1, &set);
	}
	s->step = fetch_step;
	return fetch_step(s);

bad_mod:
	imap_tagged(s, "BAD", "Invalid FETCH modifier");
	return IMAP_DONE;
}

/* ---- writing items ---- */

/* Room for n bytes of an item, and for "* n FETCH (" if it opens the line. */
#define FETCH_OPEN_MAX 24
static bool room(const struct imap_session *s, size_t n)
{
	return imap_out_room(s) >= n + (s->u.fetch.sep ? 0u : FETCH_OPEN_MAX);
}

/* Before each item: the line is opened by its first item, so a message
 * whose every item failed (BINARY of an unknown encoding) sends no empty
 * "FETCH ()", which the grammar does not allow (RFC 9051 9, msg-att). */
static void sep(struct imap_session *s)
{
	if (s->u.fetch.sep)
		imap_out_raw(s, " ", 1);
	else
		imap_printf(s, "* %lu FETCH (", (unsigned long)s->u.fetch.msg.seq);
	s->u.fetch.sep = true;
}

/* Echo the section: part numbers and keywords upper-cased, header names as
 * the client wrote them, each an atom or (if it is not one) a quoted string
 * or literal; never a LITERAL+ "{n+}" the client may have used. */
static void out_section(struct imap_session *s, const struct imap_fetch_item *it)
{
	const char *t = s->cmd + it->sect_off;
	size_t i = 0, n = it->sect_len;
	imap_out_raw(s, "[", 1);
	for (; i < n && t[i] != '('; i++) {
		char c = t[i] >= 'a' && t[i] <= 'z' ? (char)(t[i] - 32) : t[i];
		imap_out_raw(s, &c, 1);
	}
	if (i < n) {
		i++;
		imap_out_raw(s, "(", 1);
		for (bool first = true; i < n && t[i] != ')'; first = false) {
			struct mime_hdr_name nm;
			if (!hdr_name(t, n, &i, &nm))
				break;   /* validated at parse time: cannot happen */
			if (!first)
				imap_out_raw(s, " ", 1);
			bool atom = nm.len > 0;
			for (size_t k = 0; k < nm.len; k++)
				atom = atom && atom_char(nm.s[k]);
			if (atom)
				imap_out_raw(s, nm.s, nm.len);
			else
				imap_out_string(s, nm.s, nm.len);
			if (i < n && t[i] == ' ')
				i++;
		}
		imap_out_raw(s, ")", 1);
	}
	imap_out_raw(s, "]", 1);
}

static void out_item_name(struct imap_session *s, const struct imap_fetch_item *it)
{
	switch (it->kind) {
	case FI_RFC822:
		imap_out_str(s, "RFC822");
		return;
	case FI_RFC822_HEADER:
		imap_out_str(s, "RFC822.HEADER");
		return;
	case FI_RFC822_TEXT:
		imap_out_str(s, "RFC822.TEXT");
		return;
	case FI_BINSIZE:
		imap_out_str(s, "BINARY.SIZE");
		out_section(s, it);
		return;
	default:
		imap_out_str(s, (it->opts & FO_BINARY) ? "BINARY" : "BODY");
		out_section(s, it);
		if (it->opts & FO_PARTIAL)
			imap_printf(s, "<%lu>", (unsigned long)it->origin);
		return;
	}
}

static void fail(struct imap_fetch_state *e, int err)
{
	if (!e->err)
		e->err = err;
}

/* The current message's bytes and structure; nothing once it is gone (its
 * index entry purged between slices: the old position is another message). */
static int msg_read(struct imap_session *s, uint32_t off, void *buf, uint32_t len)
{
	struct imap_fetch_state *e = &s->u.fetch;
	return e->gone ? -1 : imap_msgdata_read(s, e->msg.idx, off, buf, len);
}

static const struct mime_view *msg_view(struct imap_session *s)
{
	struct imap_fetch_state *e = &s->u.fetch;
	return e->gone ? NULL : imap_msgdata_view(s, e->msg.idx, e->msg.uid);
}

/* Error codes of e->err beyond the store's */
enum { ERR_META = 1, ERR_CTE = 2, ERR_READ = 3 };

/* Section of the item as a range, or false (then the item is answered
 * empty, or for BINARY with a NO). */
static int item_range(struct imap_session *s, const struct imap_fetch_item *it,
		      struct mime_range *r, struct fsect *fs)
{
	struct imap_fetch_state *e = &s->u.fetch;
	const char *why;
	memset(fs, 0, sizeof(*fs));
	switch (it->kind) {
	case FI_RFC822:
		fs->sect = MIME_SECT_ALL;
		break;
	case FI_RFC822_HEADER:
		fs->sect = MIME_SECT_HEADER;
		break;
	case FI_RFC822_TEXT:
		fs->sect = MIME_SECT_TEXT;
		break;
	default:
		if (sect_parse(s->cmd + it->sect_off, it->sect_len, it->opts & FO_BINARY, fs,
			       hdr_names, &why) < 0)
			return MIME_EINVAL;   /* validated at parse time: cannot happen */
		break;
	}
	if (fs->nopart || e->gone)
		return MIME_ENOPART;
	if (fs->sect == MIME_SECT_ALL && fs->npath == 0) {
		/* the whole message needs no structure */
		r->off = 0;
		r->len = e->stat.size;
		r->enc = MIME_ENC_7BIT;
		r->is_header = false;
		return MIME_OK;
	}
	const struct mime_view *v = msg_view(s);
	if (!v)
		return e->gone ? MIME_ENOPART : MIME_EBLOB;
	return mime_section(v, fs->path, fs->npath, fs->sect, r);
}

static void xform_reset(struct imap_session *s, unsigned nnames, bool negate, uint8_t enc)
{
	struct imap_fetch_state *e = &s->u.fetch;
	if (e->xform == XF_FILTER)
		(void)mime_hdr_filter_init(&e->x.f, hdr_names, nnames, negate);
	else if (e->xform == XF_DECODE)
		mime_dec_init(&e->x.d, (enum mime_enc)enc);
	e->pos = e->r_off;
	e->produced = 0;
	e->ended = false;
}

/* The filter's names for this step; returns their count. */
static unsigned filter_names(struct imap_session *s, const struct imap_fetch_item *it,
			     bool *negate)
{
	struct fsect fs;
	const char *why;
	(void)sect_parse(s->cmd + it->sect_off, it->sect_len, false, &fs, hdr_names, &why);
	*negate = fs.sect == MIME_SECT_HEADER_FIELDS_NOT;
	return fs.nnames;
}

/* Re-point the header filter at this step's copy of its names (the array is
 * shared between sessions and rebuilt identically before every use). */
static void filter_rebind(struct imap_session *s, const struct imap_fetch_item *it)
{
	bool negate;
	(void)filter_names(s, it, &negate);
	s->u.fetch.x.f.names = hdr_names;
}

/* Run n raw bytes (or the end, when in is NULL) through the transform. */
static size_t xform_feed(struct imap_fetch_state *e, const char *in, size_t n, char *out)
{
	if (e->xform == XF_FILTER)
		return in ? mime_hdr_filter_feed(&e->x.f, in, n, out)
			  : mime_hdr_filter_end(&e->x.f, out);
	return in ? mime_dec_feed(&e->x.d, in, n, out) : mime_dec_finish(&e->x.d, out);
}

/* Start a section item: find its range and decide how it is sent. */
static int section_start(struct imap_session *s, const struct imap_fetch_item *it)
{
	struct imap_fetch_state *e = &s->u.fetch;
	struct mime_range r;
	struct fsect fs;
	bool binary = it->kind == FI_BINSIZE || (it->opts & FO_BINARY);
	int rc = item_range(s, it, &r, &fs);
	if (rc != MIME_OK) {
		if (rc != MIME_ENOPART) {
			fail(e, ERR_META);
			return IMAP_DONE;   /* the item is left out; NO at the end */
		}
		/* a missing part reads as empty (BINARY too), as Dovecot answers */
		fs.sect = MIME_SECT_ALL;
		r.off = r.len = 0;
		r.enc = MIME_ENC_7BIT;
		r.is_header = false;
	}
	e->r_off = r.off;
	e->r_end = r.off + r.len;
	e->xform = XF_NONE;
	e->lit8 = false;
	if (fs.sect == MIME_SECT_HEADER_FIELDS || fs.sect == MIME_SECT_HEADER_FIELDS_NOT) {
		e->xform = XF_FILTER;
	} else if (binary) {
		if (r.enc == MIME_ENC_OTHER) {
			fail(e, ERR_CTE);
			return IMAP_DONE;
		}
		if (r.enc == MIME_ENC_BASE64 || r.enc == MIME_ENC_QP || r.enc == MIME_ENC_BINARY)
			e->xform = XF_DECODE;   /* binary: passes through, counted for NULs */
	}
	xform_reset(s, fs.nnames, fs.sect == MIME_SECT_HEADER_FIELDS_NOT, r.enc);
	e->total = r.len;
	e->phase = e->xform == XF_NONE ? PH_HEAD : PH_COUNT;
	return IMAP_MORE;
}

_Static_assert(IMAPD_MSG_CHUNK + MIME_HDR_FILTER_NAME_MAX + 2 <= IMAPD_MSGDATA_WORK &&
		       IMAPD_MSG_CHUNK + MIME_DEC_SLACK <= IMAPD_MSGDATA_WORK,
	       "a transformed chunk fits the work buffer");

/* Counting pass of a transformed range, a bounded number of bytes a step. */
static int section_count(struct imap_session *s, const struct imap_fetch_item *it)
{
	struct imap_fetch_state *e = &s->u.fetch;
	char *raw = imap_msgdata_raw(), *out = imap_msgdata_work();
	uint32_t budget = IMAPD_FETCH_SCAN;
	if (e->xform == XF_FILTER)
		filter_rebind(s, it);
	while (e->pos < e->r_end) {
		if (budget == 0)
			return IMAP_MORE;
		uint32_t want = e->r_end - e->pos;
		if (want > IMAPD_MSG_CHUNK)
			want = IMAPD_MSG_CHUNK;
		int n = msg_read(s, e->pos, raw, want);
		if (n <= 0) {
			fail(e, ERR_READ);
			e->r_end = e->pos;   /* send what could be read */
			break;
		}
		size_t got = xform_feed(e, raw, (size_t)n, out);
		if (e->xform == XF_DECODE && memchr(out, 0, got))
			e->lit8 = true;
		e->produced += (uint32_t)got;
		e->pos += (uint32_t)n;
		budget = budget > (uint32_t)n ? budget - (uint32_t)n : 0;
	}
	size_t got = xform_feed(e, NULL, 0, out);
	if (e->xform == XF_DECODE && memchr(out, 0, got))
		e->lit8 = true;
	e->total = e->produced + (uint32_t)got;
	bool negate = false;
	unsigned nnames = e->xform == XF_FILTER ? filter_names(s, it, &negate) : 0;
	xform_reset(s, nnames, negate, e->xform == XF_DECODE ? e->x.d.enc : 0);
	e->phase = PH_HEAD;
	return IMAP_MORE;
}

/* Name and literal length (or the BINARY.SIZE number). */
static int section_head(struct imap_session *s, const struct imap_fetch_item *it)
{
	struct imap_fetch_state *e = &s->u.fetch;
	if (!room(s, 2u * it->sect_len + 80u))   /* names re-quoted may grow */
		return IMAP_MORE;
	sep(s);
	out_item_name(s, it);
	if (it->kind == FI_BINSIZE) {
		imap_printf(s, " %lu", (unsigned long)e->total);
		return IMAP_DONE;
	}
	uint32_t lo = 0, n = e->total;
	if (it->opts & FO_PARTIAL) {
		lo = it->origin < e->total ? it->origin : e->total;
		n = e->total - lo < it->count ? e->total - lo : it->count;
	}
	if (n == 0) {
		/* includes an origin past the end: `BODY[]<origin> ""` */
		imap_out_str(s, " \"\"");
		return IMAP_DONE;
	}
	imap_printf(s, " %s{%lu}\r\n", e->lit8 ? "~" : "", (unsigned long)n);
	e->win_off = lo;
	e->win_left = n;
	e->phase = PH_DATA;
	if (e->xform == XF_NONE)
		e->pos = e->r_off + lo;   /* plain ranges seek straight to the window */
	return IMAP_MORE;
}

/* Emit the part of out[0..n) (transformed bytes at stream offset produced)
 * that falls in the window. */
static void window_out(struct imap_session *s, const char *out, size_t n)
{
	struct imap_fetch_state *e = &s->u.fetch;
	uint32_t start = e->produced, end = e->produced + (uint32_t)n;
	e->produced = end;
	if (end <= e->win_off || e->win_left == 0)
		return;
	uint32_t from = start < e->win_off ? e->win_off - start : 0;
	uint32_t take = (uint32_t)n - from;
	if (take > e->win_left)
		take = e->win_left;
	imap_out_raw(s, out + from, take);
	e->win_left -= take;
	e->win_off = e->produced;   /* everything before here has been considered */
}

/* Send the literal's bytes as output room allows. */
static int section_data(struct imap_session *s, const struct imap_fetch_item *it)
{
	struct imap_fetch_state *e = &s->u.fetch;
	char *raw = imap_msgdata_raw(), *out = imap_msgdata_work();
	uint32_t budget = IMAPD_FETCH_SCAN;   /* a transform may read far before the window */
	if (e->xform == XF_FILTER)
		filter_rebind(s, it);
	while (e->win_left) {
		if (budget == 0)
			return IMAP_MORE;
		size_t space = imap_out_room(s);
		if (space < 256 + MIME_HDR_FILTER_NAME_MAX + MIME_DEC_SLACK)
			return IMAP_MORE;
		uint32_t want = (uint32_t)(space - MIME_HDR_FILTER_NAME_MAX - MIME_DEC_SLACK - 8);
		if (want > IMAPD_MSG_CHUNK)
			want = IMAPD_MSG_CHUNK;
		if (e->xform == XF_NONE && want > e->win_left)
			want = e->win_left;
		if (e->pos < e->r_end) {
			if (want > e->r_end - e->pos)
				want = e->r_end - e->pos;
			int n = msg_read(s, e->pos, raw, want);
			if (n <= 0) {
				fail(e, ERR_READ);
				e->r_end = e->pos;
				continue;
			}
			e->pos += (uint32_t)n;
			budget = budget > (uint32_t)n ? budget - (uint32_t)n : 0;
			if (e->xform == XF_NONE) {
				imap_out_raw(s, raw, (size_t)n);
				e->win_left -= (uint32_t)n;
			} else {
				window_out(s, out, xform_feed(e, raw, (size_t)n, out));
			}
			continue;
		}
		if (e->xform != XF_NONE && !e->ended) {
			e->ended = true;
			window_out(s, out, xform_feed(e, NULL, 0, out));
			continue;
		}
		/* The source ended before the promised length (the message was
		 * expunged and reclaimed meanwhile): pad to keep the stream in sync. */
		size_t pad = e->win_left < want ? e->win_left : want;
		memset(out, ' ', pad);
		imap_out_raw(s, out, pad);
		e->win_left -= (uint32_t)pad;
	}
	return IMAP_DONE;
}

/* ENVELOPE, BODY, BODYSTRUCTURE: rendered piecewise into the output room. */
static int render_item(struct imap_session *s, const struct imap_fetch_item *it)
{
	struct imap_fetch_state *e = &s->u.fetch;
	static const char *const names[] = { [FI_ENVELOPE] = "ENVELOPE ", [FI_BODY] = "BODY ",
					     [FI_BODYSTRUCTURE] = "BODYSTRUCTURE " };
	enum mime_item what = it->kind == FI_ENVELOPE ? MIME_ITEM_ENVELOPE
			      : it->kind == FI_BODY   ? MIME_ITEM_BODY
						      : MIME_ITEM_BODYSTRUCTURE;
	if (e->phase == PH_START) {
		if (!room(s, 64))
			return IMAP_MORE;
		sep(s);
		imap_out_str(s, names[it->kind]);
		e->pos = 0;
		e->phase = PH_RENDER;
	}
	const struct mime_view *v = msg_view(s);
	if (!v) {
		fail(e, ERR_META);
		imap_out_str(s, "NIL");
		return IMAP_DONE;
	}
	char *buf = imap_msgdata_work();
	for (;;) {
		size_t space = imap_out_room(s);
		if (space < 256)
			return IMAP_MORE;
		if (space > IMAPD_MSGDATA_WORK)
			space = IMAPD_MSGDATA_WORK;
		size_t w = 0;
		int r = mime_render(v, 0, what, e->pos, buf, space, &w);
		if (r < 0) {
			fail(e, ERR_META);
			if (e->pos == 0) {
				imap_out_str(s, "NIL");
				return IMAP_DONE;
			}
			/* half a structure went out: nothing consistent can follow */
			s->closing = true;
			return IMAP_DONE;
		}
		imap_out_raw(s, buf, w);
		e->pos += (uint32_t)w;
		if (r == 1)
			return IMAP_DONE;
	}
}

/* One item; IMAP_DONE when it is complete. */
static int item_step(struct imap_session *s, const struct imap_fetch_item *it)
{
	struct imap_fetch_state *e = &s->u.fetch;
	char date[IMAP_DATETIME_LEN + 1];
	switch (it->kind) {
	case FI_FLAGS:
		if (!room(s, 64 + STORE_MAX_KEYWORDS * (STORE_KEYWORD_MAX + 1)))
			return IMAP_MORE;
		sep(s);
		imap_out_str(s, "FLAGS ");
		imap_out_flags(s, e->flags, imap_view_is_recent(s, e->msg.uid));
		return IMAP_DONE;
	case FI_UID:
		if (!room(s, 32))
			return IMAP_MORE;
		sep(s);
		imap_printf(s, "UID %lu", (unsigned long)e->msg.uid);
		return IMAP_DONE;
	case FI_MODSEQ:
		if (!room(s, 40))
			return IMAP_MORE;
		sep(s);
		imap_printf(s, "MODSEQ (%llu)", (unsigned long long)e->modseq);
		return IMAP_DONE;
	case FI_INTERNALDATE:
		if (!room(s, 64))
			return IMAP_MORE;
		imap_datetime_format(e->stat.internaldate, e->stat.tz_minutes, date);
		sep(s);
		imap_printf(s, "INTERNALDATE \"%s\"", date);
		return IMAP_DONE;
	case FI_SIZE:
		if (!room(s, 32))
			return IMAP_MORE;
		sep(s);
		imap_printf(s, "RFC822.SIZE %lu", (unsigned long)e->stat.size);
		return IMAP_DONE;
	case FI_ENVELOPE:
	case FI_BODY:
	case FI_BODYSTRUCTURE:
		return render_item(s, it);
	default:
		break;
	}
	for (;;) {
		int r;
		uint8_t phase = e->phase;
		switch (e->phase) {
		case PH_START:
			r = section_start(s, it);
			break;
		case PH_COUNT:
			r = section_count(s, it);
			break;
		case PH_HEAD:
			r = section_head(s, it);
			break;
		default:
			r = section_data(s, it);
			break;
		}
		if (r != IMAP_MORE || e->phase == phase)
			return r;   /* done, or out of room or budget */
	}
}

/* A BINARY item of a part in an encoding we cannot decode fails the FETCH
 * (NO [UNKNOWN-CTE], section_start): the message was not read, so it must
 * not become \Seen. Needs the message's stat. */
static bool binary_undecodable(struct imap_session *s)
{
	struct imap_fetch_state *e = &s->u.fetch;
	for (unsigned i = 0; i < e->nitems; i++) {
		const struct imap_fetch_item *it = &e->item[i];
		struct mime_range r;
		struct fsect fs;
		if (it->kind != FI_BINSIZE && !(it->opts & FO_BINARY))
			continue;
		if (item_range(s, it, &r, &fs) == MIME_OK && r.enc == MIME_ENC_OTHER &&
		    fs.sect != MIME_SECT_HEADER_FIELDS && fs.sect != MIME_SECT_HEADER_FIELDS_NOT)
			return true;
	}
	return false;
}

/* Begin the next message: \Seen first, so FLAGS can report it. */
static int message_begin(struct imap_session *s)
{
	struct imap_fetch_state *e = &s->u.fetch;
	struct store *st = imap_store(s);
	struct store_msg m;
	/* a live message's modseq is on flash (its keywords too, when it has
	 * any): read it only when it is asked for or filtered on (a \Seen set
	 * here reports the modseq store_msg_set_flags returns) */
	bool modseq = has_item(e, FI_MODSEQ) || e->changedsince;
	for (;;) {
		if (!imap_msgset_next(s, &e->walk, &e->msg))
			return IMAP_DONE;
		if ((modseq ? store_msg_get(st, s->v.mb, e->msg.idx, &m)
			    : store_msg_flags(st, s->v.mb, e->msg.idx, &m)) != STORE_OK ||
		    m.expunged) {
			e->expunged_seen = true;
			continue;
		}
		if (e->changedsince && m.modseq <= e->changedsince)
			continue;   /* unchanged since: not answered at all */
		break;
	}
	e->flags = m.flags;
	e->modseq = m.modseq;
	e->add_flags = false;
	e->gone = false;
	if (e->need_stat && store_msg_stat(st, s->v.mb, e->msg.idx, &e->stat) != STORE_OK) {
		e->expunged_seen = true;
		return IMAP_MORE;
	}
	if (e->sets_seen && !(m.flags & STORE_F_SEEN) && !binary_undecodable(s)) {
		uint64_t modseq;
		struct store_mbox_info info;
		uint32_t before = store_mbox_info(st, s->v.mb, &info) == STORE_OK ? info.changes : 0;
		int r = store_msg_set_flags(st, s->v.mb, m.uid, m.flags | STORE_F_SEEN, &modseq);
		if (r == STORE_AGAIN) {
			imap_msgset_again(&e->walk, &e->msg);
			return IMAP_AGAIN;
		}
		if (r == STORE_OK) {
			e->flags |= STORE_F_SEEN;
			e->modseq = modseq;
			e->add_flags = !has_item(e, FI_FLAGS);
			imap_view_own_change(s, before, modseq);
		}
	}
	e->in_msg = true;
	e->sep = false;
	e->cur = 0;
	e->phase = PH_START;
	return IMAP_MORE;
}

static int fetch_finish(struct imap_session *s)
{
	struct imap_fetch_state *e = &s->u.fetch;
	switch (e->err) {
	case 0:
		if (e->expunged_seen)
			imap_tagged(s, "NO", "[EXPUNGEISSUED] Some messages were expunged");
		else
			imap_tagged(s, "OK", "FETCH completed");
		break;
	case ERR_CTE:
		imap_tagged(s, "NO", "[UNKNOWN-CTE] Unknown Content-Transfer-Encoding");
		break;
	case ERR_READ:
		imap_tagged(s, "NO", "[EXPUNGEISSUED] Message data became unavailable");
		break;
	default:
		imap_tagged(s, "NO", "[SERVERBUG] Message structure unreadable");
		break;
	}
	return IMAP_DONE;
}

static int fetch_step(struct imap_session *s)
{
	struct imap_fetch_state *e = &s->u.fetch;
	if (e->vanished) {   /* VANISHED (EARLIER) precedes the FETCH responses */
		if (imap_vanished_step(s, &e->van) == IMAP_MORE)
			return IMAP_MORE;
		e->vanished = false;
	}
	if (!e->kw_told) {   /* keywords the FLAGS below may show */
		if (!imap_view_kw_tell(s))
			return IMAP_MORE;
		e->kw_told = true;   /* the loop below checks room before each message */
	}
	if (e->in_msg && !e->gone && !imap_msgset_refind(s, e->msg.uid, &e->msg.idx)) {
		/* gone between slices: what is left of it is answered empty or padded */
		e->gone = true;
		fail(e, ERR_READ);
	}
	for (unsigned begun = 0;;) {
		if (!e->in_msg) {
			if (begun++ >= IMAPD_FETCH_MSGS || imap_out_room(s) < IMAPD_OUT_RESERVE)
				return IMAP_MORE;
			int r = message_begin(s);
			if (r == IMAP_DONE)
				return fetch_finish(s);
			if (r != IMAP_MORE || !e->in_msg)
				return r;
		}
		while (e->cur < e->nitems) {
			int r = item_step(s, &e->item[e->cur]);
			if (r != IMAP_DONE)
				return r;
			e->cur++;
			e->phase = PH_START;
		}
		if (!room(s, IMAP_FLAG_LINE_MAX))
			return IMAP_MORE;
		if (e->add_flags) {
			sep(s);
			imap_out_str(s, "FLAGS ");
			imap_out_flags(s, e->flags, imap_view_is_recent(s, e->msg.uid));
			if (s->condstore && !has_item(e, FI_MODSEQ))   /* RFC 7162 3.1.4.1 */
				imap_printf(s, " MODSEQ (%llu)", (unsigned long long)e->modseq);
		}
		if (e->sep)
			imap_out_str(s, ")\r\n");
		e->in_msg = false;
	}
}
