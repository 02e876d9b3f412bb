/*
 * mime_render.c - ENVELOPE / BODY / BODYSTRUCTURE from the MIME blob.
 *
 * Output conventions follow Dovecot 2.3 (the project's oracle): type and
 * parameter names keep their case; text parts without a charset parameter
 * get ("charset" "us-ascii") appended; the Subject and address display names
 * are written "for humans" (whitespace runs collapsed, trimmed; a literal
 * whenever that changed anything or the text needs escaping); addresses
 * lacking a mailbox or domain get MISSING_MAILBOX / MISSING_DOMAIN.
 *
 * The rendering is regenerated from the start on every call and bytes before
 * `skip` are counted but not stored. One shortcut survives between calls:
 * where the walk last began a child of the root multipart (record, output
 * position), kept in the view's work area. A call whose skip reaches it
 * starts the root's loop there, so a structure sent in many pieces is not
 * walked (and, past the blob, re-parsed) from the start for each piece.
 */
#include "mime_render.h"

#include <string.h>

enum { T_NAME, T_ROUTE, T_MBOX, T_HOST, T_COMMENT };

struct out {
	char *buf;
	size_t cap, n;
	uint32_t skip, pos;
	bool full;
	int err;
	uint8_t item;
	uint16_t root;
};

static void emit(struct out *o, const char *s, size_t len)
{
	for (size_t i = 0; i < len && !o->full; i++, o->pos++) {
		if (o->pos < o->skip)
			continue;
		if (o->n == o->cap) {
			o->full = true;
			return;
		}
		o->buf[o->n++] = s[i];
	}
}

static void emits(struct out *o, const char *s) { emit(o, s, strlen(s)); }
static void emitc(struct out *o, char c) { emit(o, &c, 1); }

static bool stop(const struct out *o) { return o->full || o->err; }

static void put_num(struct out *o, uint32_t n)
{
	char d[10];
	int i = 0;
	do {
		d[i++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	while (i)
		emitc(o, d[--i]);
}

static void put_literal_head(struct out *o, uint32_t len)
{
	emitc(o, '{');
	put_num(o, len);
	emits(o, "}\r\n");
}

/* ---- byte sources: memory or a stored field value ---- */
struct src {
	const struct mime_view *v;
	struct mime_value *val;    /* NULL: memory */
	const char *mem;
	uint32_t mlen, mpos;
	int peeked;                /* -3: none */
};

static void src_mem(struct src *s, const char *mem, uint32_t len)
{
	memset(s, 0, sizeof(*s));
	s->mem = mem;
	s->mlen = len;
	s->peeked = -3;
}

static void src_val(struct src *s, const struct mime_view *v, struct mime_value *val)
{
	memset(s, 0, sizeof(*s));
	s->v = v;
	s->val = val;
	s->peeked = -3;
}

static int src_getc(struct src *s)
{
	int c;
	if (s->peeked != -3) {
		c = s->peeked;
		s->peeked = -3;
		return c;
	}
	if (s->val)
		return mime_value_getc(s->v, s->val);
	return s->mpos < s->mlen ? (uint8_t)s->mem[s->mpos++] : -1;
}

static int src_peek(struct src *s)
{
	if (s->peeked == -3)
		s->peeked = src_getc(s);
	return s->peeked;
}

static void src_rewind(struct src *s)
{
	s->peeked = -3;
	if (s->val)
		mime_value_rewind(s->val);
	else
		s->mpos = 0;
}

/* Position for backtracking (the peeked byte, if any, is not yet consumed). */
struct src_mark {
	uint32_t pos;
	int peeked;
};

static struct src_mark src_save(const struct src *s)
{
	struct src_mark m = { s->val ? s->val->pos : s->mpos, s->peeked };
	return m;
}

static void src_restore(struct src *s, struct src_mark m)
{
	if (s->val) {
		s->val->pos = m.pos;
		s->val->cache_n = 0;
		s->val->cache_pos = 0;
	} else {
		s->mpos = m.pos;
	}
	s->peeked = m.peeked;
}

/* ---- IMAP strings ---- */

/* nstring: quoted unless 8-bit / CR / LF / long; NUL dropped. */
static void put_string(struct out *o, struct src *s)
{
	uint32_t len = 0;
	bool lit = false;
	int c;

	while ((c = src_getc(s)) >= 0) {
		if (c == 0)
			continue;
		if (c >= 0x80 || c == '\r' || c == '\n')
			lit = true;
		len++;
	}
	if (c == -2) {
		o->err = MIME_EIO;
		return;
	}
	if (len > MIME_QUOTED_MAX)
		lit = true;
	src_rewind(s);
	if (lit) {
		put_literal_head(o, len);
	} else {
		emitc(o, '"');
	}
	while (!stop(o) && (c = src_getc(s)) >= 0) {
		if (c == 0)
			continue;
		if (!lit && (c == '"' || c == '\\'))
			emitc(o, '\\');
		emitc(o, (char)c);
	}
	if (!lit)
		emitc(o, '"');
}

static void put_mem_string(struct out *o, const char *s, size_t len)
{
	struct src m;
	src_mem(&m, s, (uint32_t)len);
	put_string(o, &m);
}

static bool is_lwsp(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Dovecot's "string for humans": whitespace runs become one SP, leading and
 * trailing whitespace go, NUL becomes U+FFFD; quoted as is when nothing
 * needs changing or escaping, else a literal of the cleaned text. */
static void put_human(struct out *o, struct src *s)
{
	uint32_t size = 0, removed = 0;
	bool prefix = true, last_lwsp = true, modify = false;
	int c;

	while ((c = src_getc(s)) >= 0) {
		size++;
		if (c == 0) {
			size += 2;     /* U+FFFD is 3 bytes */
			modify = true;
			last_lwsp = false;
			prefix = false;
		} else if (is_lwsp(c)) {
			if (prefix || last_lwsp) {
				modify = true;
				removed++;
			}
			if (c != ' ')
				modify = true;
			last_lwsp = true;
		} else {
			if (c == '"' || c == '\\' || c >= 0x80)
				modify = true;
			last_lwsp = false;
			prefix = false;
		}
	}
	if (c == -2) {
		o->err = MIME_EIO;
		return;
	}
	if (last_lwsp && size > 0 && !prefix) {
		modify = true;
		removed++;
	}
	src_rewind(s);
	if (!modify) {
		emitc(o, '"');
		while (!stop(o) && (c = src_getc(s)) >= 0)
			emitc(o, (char)c);
		emitc(o, '"');
		return;
	}
	if (size == removed) {
		emits(o, "\"\"");
		return;
	}
	put_literal_head(o, size - removed);
	{
		uint32_t left = size - removed;
		last_lwsp = true;
		while (left && !stop(o) && (c = src_getc(s)) >= 0) {
			if (is_lwsp(c)) {
				if (!last_lwsp) {
					emitc(o, ' ');
					left--;
				}
				last_lwsp = true;
			} else if (c == 0) {
				emits(o, "\xef\xbf\xbd");
				left -= 3;
				last_lwsp = false;
			} else {
				emitc(o, (char)c);
				left--;
				last_lwsp = false;
			}
		}
	}
}

/* ---- field access ---- */

/* The last occurrence of an envelope field (Dovecot keeps the last). */
static int field_last(const struct mime_view *v, const struct mime_part *p, enum mime_field f,
		      struct mime_value *val)
{
	int r, found = 0;
	for (unsigned nth = 0; (r = mime_field_nth(v, p, f, nth, val)) > 0; nth++)
		found = (int)nth + 1;
	if (r < 0)
		return r;
	return found ? mime_field_nth(v, p, f, (unsigned)found - 1, val) : 0;
}

/* A field value as an nstring; NIL when absent. */
static void put_field(struct out *o, const struct mime_view *v, const struct mime_part *p,
		      enum mime_field f)
{
	struct mime_value val;
	struct src s;
	int r = f >= MIME_F_DATE ? field_last(v, p, f, &val) : mime_field_ref(v, p, f, &val);

	if (r < 0) {
		o->err = r;
		return;
	}
	if (r == 0) {
		emits(o, "NIL");
		return;
	}
	src_val(&s, v, &val);
	put_string(o, &s);
}

/* ---- RFC 822 lexing shared by Content-* and address parsing ---- */

static bool is_special(int c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '@' || c == ',' || c == ';' ||
	       c == ':' || c == '\\' || c == '"' || c == '.' || c == '[' || c == ']';
}

static bool is_tspecial(int c)
{
	return is_special(c) || c == '/' || c == '?' || c == '=';
}

static void tok_add(struct mime_work *w, int t, int c)
{
	if (w->tok_len[t] < MIME_RENDER_TOK)
		w->tok[t][w->tok_len[t]++] = (char)c;
}

/* Skip whitespace and comments; the text of the last comment goes to
 * T_COMMENT when keep_comment. */
static void skip_cfws(struct src *s, struct mime_work *w, bool keep_comment)
{
	for (;;) {
		int c = src_peek(s);
		if (is_lwsp(c)) {
			src_getc(s);
			continue;
		}
		if (c != '(')
			return;
		src_getc(s);
		if (keep_comment)
			w->tok_len[T_COMMENT] = 0;
		for (int depth = 1; depth > 0;) {
			c = src_getc(s);
			if (c < 0)
				return;
			if (c == '\\') {
				c = src_getc(s);
				if (c < 0)
					return;
			} else if (c == '(') {
				depth++;
			} else if (c == ')') {
				if (--depth == 0)
					break;
			}
			if (keep_comment)
				tok_add(w, T_COMMENT, c);
		}
	}
}

/* Quoted string after its opening quote, appended to token t (unescaped). */
static void lex_quoted(struct src *s, struct mime_work *w, int t)
{
	int c;
	while ((c = src_getc(s)) >= 0 && c != '"') {
		if (c == '\\' && (c = src_getc(s)) < 0)
			return;
		tok_add(w, t, c);
	}
}

/* RFC 2045 token (type, subtype, parameter names and values). */
static bool lex_token(struct src *s, struct mime_work *w, int t)
{
	bool any = false;
	int c;
	while ((c = src_peek(s)) > ' ' && c < 0x7f && !is_tspecial(c)) {
		tok_add(w, t, src_getc(s));
		any = true;
	}
	/* 8-bit bytes are taken as token characters, as Dovecot does */
	while ((c = src_peek(s)) >= 0x80) {
		tok_add(w, t, src_getc(s));
		any = true;
	}
	return any;
}

/* value := token / quoted-string */
static void lex_value(struct src *s, struct mime_work *w, int t)
{
	int c = src_peek(s);
	if (c == '"') {
		src_getc(s);
		lex_quoted(s, w, t);
		return;
	}
	while ((c = src_peek(s)) > ' ' && c != ';' && c != '(' && c != '"')
		tok_add(w, t, src_getc(s));
}

/* ---- Content-Type and friends ---- */

/* Next "; name=value" of s into T_NAME / T_MBOX; false at the end. */
static bool param_next(struct src *s, struct mime_work *w)
{
	for (;;) {
		int c;
		skip_cfws(s, w, false);
		c = src_peek(s);
		if (c < 0)
			return false;
		if (c != ';') {
			src_getc(s);   /* junk between parameters */
			continue;
		}
		src_getc(s);
		skip_cfws(s, w, false);
		w->tok_len[T_NAME] = 0;
		w->tok_len[T_MBOX] = 0;
		if (!lex_token(s, w, T_NAME))
			continue;
		skip_cfws(s, w, false);
		if (src_peek(s) != '=')
			continue;
		src_getc(s);
		skip_cfws(s, w, false);
		lex_value(s, w, T_MBOX);
		return true;
	}
}

/* RFC 2231 section of the current T_NAME: "key*", "key*N" or "key*N*".
 * Returns the key length, or 0 for a plain parameter. */
static uint16_t param_2231(const struct mime_work *w, uint32_t *idx, bool *ext)
{
	const char *n = w->tok[T_NAME];
	uint16_t len = w->tok_len[T_NAME], k, i;

	for (k = 0; k < len && n[k] != '*'; k++)
		;
	if (k == 0 || k == len)
		return 0;
	*idx = 0;
	*ext = false;
	for (i = k + 1; i < len && n[i] >= '0' && n[i] <= '9' && *idx < 100000; i++)
		*idx = *idx * 10 + (uint32_t)(n[i] - '0');
	if (i == k + 1 && i == len) {
		*ext = true;       /* key*=charset'lang'value */
		return k;
	}
	if (i == k + 1)
		return 0;
	if (i < len && n[i] == '*' && i + 1 == len)
		*ext = true;
	else if (i != len)
		return 0;
	return k;
}

/* memcmp order of byte strings, shorter first on a tie */
static int key_cmp(const char *a, uint16_t an, const char *b, uint16_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);
	return r ? r : (an > bn) - (an < bn);
}

static void tok_set(struct mime_work *w, int t, const char *s, uint16_t n)
{
	memmove(w->tok[t], s, n);
	w->tok_len[t] = n;
}

/* Emit "(" name value ... ")" from the parameters of s, or NIL, as Dovecot
 * does: plain parameters in order, then RFC 2231 ones by key, their
 * sections merged ("key*" with a "charset'lang'" prefix if any section is
 * extended, '%' of plain sections escaped). add_charset appends ("charset"
 * "us-ascii") when no charset was given. Merged values are bounded by
 * MIME_RENDER_TOK. */
static void put_params(struct out *o, struct src *s, struct mime_work *w, bool add_charset)
{
	struct src_mark start = src_save(s);
	bool any = false, has_charset = false, have_last = false;
	uint32_t idx;
	bool ext;

	while (!stop(o) && param_next(s, w)) {
		if (param_2231(w, &idx, &ext))
			continue;
		emits(o, any ? " " : "(");
		any = true;
		put_mem_string(o, w->tok[T_NAME], w->tok_len[T_NAME]);
		emitc(o, ' ');
		put_mem_string(o, w->tok[T_MBOX], w->tok_len[T_MBOX]);
		if (mime_token_eq(w->tok[T_NAME], w->tok_len[T_NAME], "charset"))
			has_charset = true;
	}
	/* T_ROUTE: the last key merged; T_HOST: the next; T_COMMENT: its value */
	while (!stop(o)) {
		bool found = false, any_ext = false, first_ext = false;
		uint32_t first_idx = UINT32_MAX, last_idx = 0;
		bool started = false;

		src_restore(s, start);
		while (param_next(s, w)) {
			uint16_t k = param_2231(w, &idx, &ext);
			if (!k || (have_last && key_cmp(w->tok[T_NAME], k, w->tok[T_ROUTE],
							w->tok_len[T_ROUTE]) <= 0))
				continue;
			if (!found || key_cmp(w->tok[T_NAME], k, w->tok[T_HOST],
					      w->tok_len[T_HOST]) < 0)
				tok_set(w, T_HOST, w->tok[T_NAME], k);
			found = true;
		}
		if (!found)
			break;
		/* which sections are extended, and is the first one? */
		src_restore(s, start);
		while (param_next(s, w)) {
			uint16_t k = param_2231(w, &idx, &ext);
			if (!k || key_cmp(w->tok[T_NAME], k, w->tok[T_HOST], w->tok_len[T_HOST]))
				continue;
			any_ext |= ext;
			if (idx < first_idx) {
				first_idx = idx;
				first_ext = ext;
			}
		}
		w->tok_len[T_COMMENT] = 0;
		if (any_ext && !first_ext) {
			tok_add(w, T_COMMENT, '\'');
			tok_add(w, T_COMMENT, '\'');
		}
		/* append the sections in index order */
		for (;;) {
			uint32_t next = UINT32_MAX;
			src_restore(s, start);
			while (param_next(s, w)) {
				uint16_t k = param_2231(w, &idx, &ext);
				if (k && !key_cmp(w->tok[T_NAME], k, w->tok[T_HOST],
						  w->tok_len[T_HOST]) &&
				    (!started || idx > last_idx) && idx < next)
					next = idx;
			}
			if (next == UINT32_MAX)
				break;
			src_restore(s, start);
			while (param_next(s, w)) {
				uint16_t k = param_2231(w, &idx, &ext);
				if (!k || idx != next ||
				    key_cmp(w->tok[T_NAME], k, w->tok[T_HOST], w->tok_len[T_HOST]))
					continue;
				for (uint16_t i = 0; i < w->tok_len[T_MBOX]; i++) {
					char c = w->tok[T_MBOX][i];
					if (c == '%' && any_ext && !ext) {
						tok_add(w, T_COMMENT, '%');
						tok_add(w, T_COMMENT, '2');
						c = '5';
					}
					tok_add(w, T_COMMENT, c);
				}
				break;
			}
			started = true;
			last_idx = next;
		}
		emits(o, any ? " " : "(");
		any = true;
		tok_set(w, T_NAME, w->tok[T_HOST], w->tok_len[T_HOST]);
		if (any_ext)
			tok_add(w, T_NAME, '*');
		put_mem_string(o, w->tok[T_NAME], w->tok_len[T_NAME]);
		emitc(o, ' ');
		put_mem_string(o, w->tok[T_COMMENT], w->tok_len[T_COMMENT]);
		tok_set(w, T_ROUTE, w->tok[T_HOST], w->tok_len[T_HOST]);
		have_last = true;
	}
	if (add_charset && !has_charset) {
		emits(o, any ? " " : "(");
		any = true;
		emits(o, "\"charset\" \"us-ascii\"");
	}
	emits(o, any ? ")" : "NIL");
}

/* Content-Type: type SP subtype SP params (the start of body-type-basic),
 * or for multiparts (subtype_only) the subtype [SP params]; params false
 * leaves the parameters out (BODY of a multipart). Absent: text/plain, or
 * message/rfc822 in a multipart/digest. */
static void put_ctype(struct out *o, const struct mime_view *v, const struct mime_part *p,
		      bool subtype_only, bool params)
{
	struct mime_work *w = v->work;
	struct mime_value val;
	struct src s;
	int r = mime_field_ref(v, p, MIME_F_CTYPE, &val);
	bool text;

	if (r < 0) {
		o->err = r;
		return;
	}
	w->tok_len[T_HOST] = 0;
	w->tok_len[T_ROUTE] = 0;
	if (r > 0) {
		src_val(&s, v, &val);
		skip_cfws(&s, w, false);
		lex_token(&s, w, T_HOST);
		skip_cfws(&s, w, false);
		if (src_peek(&s) == '/') {
			src_getc(&s);
			skip_cfws(&s, w, false);
			lex_token(&s, w, T_ROUTE);
		}
	}
	if (r == 0 || w->tok_len[T_HOST] == 0) {
		/* default type */
		bool digest = (p->kind & MIME_K_DIGEST) != 0;
		if (!subtype_only)
			emits(o, digest ? "\"message\" \"rfc822\" " : "\"text\" \"plain\" ");
		else
			emits(o, "\"mixed\"");
		if (params && !subtype_only)
			emits(o, digest ? "NIL" : "(\"charset\" \"us-ascii\")");
		else if (params)
			emits(o, " NIL");
		return;
	}
	text = mime_token_eq(w->tok[T_HOST], w->tok_len[T_HOST], "text");
	if (!subtype_only) {
		put_mem_string(o, w->tok[T_HOST], w->tok_len[T_HOST]);
		emitc(o, ' ');
	}
	put_mem_string(o, w->tok[T_ROUTE], w->tok_len[T_ROUTE]);
	if (!params)
		return;
	emitc(o, ' ');
	put_params(o, &s, w, text && !subtype_only);
}

/* body-fld-dsp: "(" type SP params ")" / NIL */
static void put_disposition(struct out *o, const struct mime_view *v, const struct mime_part *p)
{
	struct mime_work *w = v->work;
	struct mime_value val;
	struct src s;
	int r = mime_field_ref(v, p, MIME_F_CDISP, &val);

	if (r < 0) {
		o->err = r;
		return;
	}
	if (r > 0) {
		src_val(&s, v, &val);
		skip_cfws(&s, w, false);
		w->tok_len[T_HOST] = 0;
		lex_token(&s, w, T_HOST);
	}
	if (r == 0 || w->tok_len[T_HOST] == 0) {
		emits(o, "NIL");
		return;
	}
	emitc(o, '(');
	put_mem_string(o, w->tok[T_HOST], w->tok_len[T_HOST]);
	emitc(o, ' ');
	put_params(o, &s, w, false);
	emitc(o, ')');
}

/* body-fld-lang: ("tag" ...) / NIL */
static void put_language(struct out *o, const struct mime_view *v, const struct mime_part *p)
{
	struct mime_work *w = v->work;
	struct mime_value val;
	struct src s;
	bool any = false;
	int r = mime_field_ref(v, p, MIME_F_CLANG, &val);

	if (r < 0) {
		o->err = r;
		return;
	}
	if (r > 0) {
		src_val(&s, v, &val);
		for (;;) {
			int c;
			skip_cfws(&s, w, false);
			c = src_peek(&s);
			if (c < 0)
				break;
			w->tok_len[T_HOST] = 0;
			if (!lex_token(&s, w, T_HOST)) {
				src_getc(&s);
				continue;
			}
			emits(o, any ? " " : "(");
			any = true;
			put_mem_string(o, w->tok[T_HOST], w->tok_len[T_HOST]);
		}
	}
	emits(o, any ? ")" : "NIL");
}

/* body-fld-enc: the first token of Content-Transfer-Encoding, else "7bit" */
static void put_encoding(struct out *o, const struct mime_view *v, const struct mime_part *p)
{
	struct mime_work *w = v->work;
	struct mime_value val;
	struct src s;
	int r = mime_field_ref(v, p, MIME_F_CTE, &val);

	if (r < 0) {
		o->err = r;
		return;
	}
	w->tok_len[T_HOST] = 0;
	if (r > 0) {
		src_val(&s, v, &val);
		skip_cfws(&s, w, false);
		lex_token(&s, w, T_HOST);
	}
	if (w->tok_len[T_HOST] == 0)
		emits(o, "\"7bit\"");
	else
		put_mem_string(o, w->tok[T_HOST], w->tok_len[T_HOST]);
}

/* ---- addresses ---- */

static void tok_clear(struct mime_work *w)
{
	for (int t = 0; t < 5; t++)
		w->tok_len[t] = 0;
}

/* phrase: words (atoms with dots, quoted strings) joined by one space.
 * Returns false if there was none. */
static bool lex_phrase(struct src *s, struct mime_work *w, int t)
{
	bool any = false;
	for (;;) {
		int c;
		skip_cfws(s, w, false);
		c = src_peek(s);
		if (c == '"') {
			src_getc(s);
			if (any)
				tok_add(w, t, ' ');
			lex_quoted(s, w, t);
		} else if (c >= 0 && !is_lwsp(c) && (!is_special(c) || c == '.')) {
			if (any)
				tok_add(w, t, ' ');
			while ((c = src_peek(s)) >= 0 && !is_lwsp(c) && (!is_special(c) || c == '.'))
				tok_add(w, t, src_getc(s));
		} else {
			return any;
		}
		any = true;
	}
}

/* dot-atom / quoted local parts / domain literals until a delimiter. */
static void lex_dotted(struct src *s, struct mime_work *w, int t, bool domain)
{
	for (;;) {
		int c;
		skip_cfws(s, w, true);
		c = src_peek(s);
		if (c == '"' && !domain) {
			src_getc(s);
			lex_quoted(s, w, t);
		} else if (c == '[' && domain) {
			while ((c = src_getc(s)) >= 0) {
				tok_add(w, t, c);
				if (c == ']')
					break;
			}
		} else if (c == '.') {
			tok_add(w, t, src_getc(s));
		} else if (c >= 0 && !is_lwsp(c) && !is_special(c)) {
			while ((c = src_peek(s)) >= 0 && !is_lwsp(c) && !is_special(c))
				tok_add(w, t, src_getc(s));
		} else {
			return;
		}
	}
}

static void put_tok_nstring(struct out *o, struct mime_work *w, int t, bool human)
{
	if (w->tok_len[t] == 0) {
		emits(o, "NIL");
		return;
	}
	if (human) {
		struct src m;
		src_mem(&m, w->tok[t], w->tok_len[t]);
		put_human(o, &m);
	} else {
		put_mem_string(o, w->tok[t], w->tok_len[t]);
	}
}

static void put_address(struct out *o, struct mime_work *w)
{
	emitc(o, '(');
	put_tok_nstring(o, w, T_NAME, true);
	emitc(o, ' ');
	put_tok_nstring(o, w, T_ROUTE, false);
	emitc(o, ' ');
	if (w->tok_len[T_MBOX] == 0)
		emits(o, "\"MISSING_MAILBOX\"");
	else
		put_tok_nstring(o, w, T_MBOX, false);
	emitc(o, ' ');
	if (w->tok_len[T_HOST] == 0)
		emits(o, "\"MISSING_DOMAIN\"");
	else
		put_tok_nstring(o, w, T_HOST, false);
	emitc(o, ')');
}

/* mailbox: name-addr / addr-spec. Returns false if nothing was there. */
static bool parse_mailbox(struct src *s, struct mime_work *w)
{
	struct src_mark m = src_save(s);
	int c;

	tok_clear(w);
	if (lex_phrase(s, w, T_NAME) && (skip_cfws(s, w, false), src_peek(s) == '<')) {
		/* name-addr */
	} else {
		src_restore(s, m);
		w->tok_len[T_NAME] = 0;
		skip_cfws(s, w, false);
	}
	if (src_peek(s) == '<') {
		src_getc(s);
		skip_cfws(s, w, false);
		if (src_peek(s) == '@') {
			/* obs-route: @a,@b: */
			while ((c = src_peek(s)) >= 0 && c != ':' && c != '>') {
				src_getc(s);
				if (!is_lwsp(c))
					tok_add(w, T_ROUTE, c);
			}
			if (c == ':')
				src_getc(s);
		}
		lex_dotted(s, w, T_MBOX, false);
		skip_cfws(s, w, false);
		if (src_peek(s) == '@') {
			src_getc(s);
			lex_dotted(s, w, T_HOST, true);
		}
		while ((c = src_peek(s)) >= 0 && c != '>' && c != ',' && c != ';')
			src_getc(s);
		if (c == '>')
			src_getc(s);
		skip_cfws(s, w, false);
		return true;
	}
	w->tok_len[T_COMMENT] = 0;
	lex_dotted(s, w, T_MBOX, false);
	if (src_peek(s) == '@') {
		src_getc(s);
		lex_dotted(s, w, T_HOST, true);
	}
	skip_cfws(s, w, true);
	if (w->tok_len[T_MBOX] == 0 && w->tok_len[T_HOST] == 0)
		return false;
	if (w->tok_len[T_NAME] == 0 && w->tok_len[T_COMMENT] > 0) {
		/* no display name: the comment names the address */
		memcpy(w->tok[T_NAME], w->tok[T_COMMENT], w->tok_len[T_COMMENT]);
		w->tok_len[T_NAME] = w->tok_len[T_COMMENT];
	}
	return true;
}

/* Skip what cannot be parsed up to the next separator. */
static void skip_junk(struct src *s, bool in_group)
{
	int c;
	while ((c = src_peek(s)) >= 0 && c != ',' && !(in_group && c == ';')) {
		src_getc(s);
		if (c == '"') {
			while ((c = src_getc(s)) >= 0 && c != '"')
				if (c == '\\')
					src_getc(s);
		}
	}
}

/* address-list as "(" 1*address ")" or NIL; *any reports whether anything
 * was written. */
static void put_address_list(struct out *o, struct src *s, struct mime_work *w, bool *any)
{
	bool in_group = false, expect = true;

	for (;;) {
		int c;
		struct src_mark m;

		if (stop(o))
			return;
		skip_cfws(s, w, false);
		c = src_peek(s);
		if (c < 0)
			break;
		if (c == ',') {
			src_getc(s);
			if (expect) {
				/* an empty list element, as Dovecot reports it */
				tok_clear(w);
				if (!*any)
					emitc(o, '(');
				*any = true;
				put_address(o, w);
			}
			expect = true;
			continue;
		}
		if (in_group && c == ';') {
			src_getc(s);
			in_group = false;
			emits(o, "(NIL NIL NIL NIL)");
			continue;
		}
		m = src_save(s);
		tok_clear(w);
		if (!in_group && lex_phrase(s, w, T_NAME) &&
		    (skip_cfws(s, w, false), src_peek(s) == ':')) {
			src_getc(s);
			if (!*any)
				emitc(o, '(');
			*any = true;
			emits(o, "(NIL NIL ");
			put_tok_nstring(o, w, T_NAME, false);
			emits(o, " NIL)");
			in_group = true;
			expect = false;
			continue;
		}
		src_restore(s, m);
		if (parse_mailbox(s, w)) {
			if (!*any)
				emitc(o, '(');
			*any = true;
			put_address(o, w);
			expect = false;
		}
		skip_junk(s, in_group);
		if (src_peek(s) == c && src_save(s).pos == m.pos)
			src_getc(s);   /* never loop without progress */
	}
	if (in_group)
		emits(o, "(NIL NIL NIL NIL)");
}

/* All occurrences of an address header, merged into one address list
 * (Dovecot concatenates repeated fields). */
static void put_addr_occurrences(struct out *o, const struct mime_view *v,
				 const struct mime_part *p, enum mime_field f, bool *any)
{
	struct mime_value val;
	struct src s;
	int r;

	for (unsigned nth = 0; !stop(o) && (r = mime_field_nth(v, p, f, nth, &val)) != 0; nth++) {
		if (r < 0) {
			o->err = r;
			return;
		}
		src_val(&s, v, &val);
		put_address_list(o, &s, v->work, any);
	}
}

/* An address header as an address list, or NIL when nil_ok. Returns 1 if a
 * list was written, 0 if not. */
static int put_addr_field(struct out *o, const struct mime_view *v, const struct mime_part *p,
			  enum mime_field f, bool nil_ok)
{
	struct out probe = *o;
	bool any = false;

	/* a dry run tells whether the header yields any address */
	probe.buf = NULL;
	probe.cap = 0;
	probe.skip = UINT32_MAX;
	put_addr_occurrences(&probe, v, p, f, &any);
	if (probe.err) {
		o->err = probe.err;
		return 0;
	}
	if (any) {
		any = false;
		put_addr_occurrences(o, v, p, f, &any);
		emitc(o, ')');
		return 1;
	}
	if (nil_ok)
		emits(o, "NIL");
	return 0;
}

/* ---- ENVELOPE ---- */

static void put_envelope(struct out *o, const struct mime_view *v, const struct mime_part *p)
{
	static const enum mime_field addr[] = { MIME_F_FROM, MIME_F_SENDER, MIME_F_REPLY_TO,
						MIME_F_TO, MIME_F_CC, MIME_F_BCC };
	struct mime_value val;
	struct src s;
	int r;

	emitc(o, '(');
	put_field(o, v, p, MIME_F_DATE);
	emitc(o, ' ');
	r = field_last(v, p, MIME_F_SUBJECT, &val);
	if (r < 0) {
		o->err = r;
		return;
	}
	if (r == 0) {
		emits(o, "NIL");
	} else {
		val.keep_lf = true;    /* a folded Subject is "modified" text */
		src_val(&s, v, &val);
		put_human(o, &s);
	}
	for (unsigned i = 0; i < sizeof(addr) / sizeof(addr[0]) && !stop(o); i++) {
		emitc(o, ' ');
		if (addr[i] == MIME_F_SENDER || addr[i] == MIME_F_REPLY_TO) {
			/* RFC 3501: absent (or empty) Sender / Reply-To mean From */
			if (!put_addr_field(o, v, p, addr[i], false))
				put_addr_field(o, v, p, MIME_F_FROM, true);
		} else {
			put_addr_field(o, v, p, addr[i], true);
		}
	}
	emitc(o, ' ');
	put_field(o, v, p, MIME_F_IN_REPLY_TO);
	emitc(o, ' ');
	put_field(o, v, p, MIME_F_MESSAGE_ID);
	emitc(o, ')');
}

/* ---- BODY / BODYSTRUCTURE ---- */

static uint32_t put_body(struct out *o, const struct mime_view *v, const struct mime_part *p,
		     bool ext);

static const char empty_text[] = "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0";

static void put_empty_text(struct out *o, bool ext)
{
	emits(o, empty_text);
	if (ext)
		emits(o, " NIL NIL NIL NIL");
	emitc(o, ')');
}

static void put_ext_tail(struct out *o, const struct mime_view *v, const struct mime_part *p)
{
	emitc(o, ' ');
	put_disposition(o, v, p);
	emitc(o, ' ');
	put_language(o, v, p);
	emitc(o, ' ');
	put_field(o, v, p, MIME_F_CLOC);
}

/* Each returns the index of the first record after p's subtree (the walk
 * is one forward pass: a parent resumes its scan there, never re-reading
 * its children's descendants). */
static uint32_t put_multipart(struct out *o, const struct mime_view *v, const struct mime_part *p,
			      bool ext)
{
	struct mime_work *w = v->work;
	struct mime_part c;
	bool any = false;
	bool top = p->index == o->root;
	uint32_t i = p->index + 1u;

	emitc(o, '(');
	if (top && w->ck.valid && w->ck.item == o->item && w->ck.root == o->root &&
	    w->ck.pos <= o->skip && w->ck.pos >= o->pos && w->ck.next > i) {
		/* everything up to that child was sent in earlier pieces */
		i = w->ck.next;   /* a child: the loop renders it, so any becomes true */
		o->pos = w->ck.pos;
	}
	while (i < 0xffffu && !stop(o)) {
		int err = mime_part_get(v, (uint16_t)i, &c);
		if (err == MIME_ENOPART)
			break;
		if (err) {
			o->err = err;
			return i;
		}
		if (c.depth <= p->depth)
			break;
		if (c.depth != p->depth + 1u) {
			i++;   /* not reached through a child: a damaged structure */
			continue;
		}
		if (top) {
			w->ck.valid = true;
			w->ck.item = o->item;
			w->ck.root = o->root;
			w->ck.next = (uint16_t)i;
			w->ck.pos = o->pos;
		}
		i = put_body(o, v, &c, ext);
		any = true;
	}
	if (stop(o))
		return i;
	if (!any)
		put_empty_text(o, ext);
	emitc(o, ' ');
	put_ctype(o, v, p, true, ext);
	if (ext)
		put_ext_tail(o, v, p);
	emitc(o, ')');
	return i;
}

static uint32_t put_body(struct out *o, const struct mime_view *v, const struct mime_part *p,
			 bool ext)
{
	uint32_t next = p->index + 1u;

	if (stop(o))
		return next;
	if (p->kind & MIME_K_MULTIPART)
		return put_multipart(o, v, p, ext);
	emitc(o, '(');
	put_ctype(o, v, p, false, true);
	emitc(o, ' ');
	put_field(o, v, p, MIME_F_CID);
	emitc(o, ' ');
	put_field(o, v, p, MIME_F_CDESC);
	emitc(o, ' ');
	put_encoding(o, v, p);
	emitc(o, ' ');
	put_num(o, p->end_off - p->body_off);
	if (p->kind & MIME_K_MESSAGE) {
		struct mime_part inner;
		int err = mime_part_get(v, (uint16_t)(p->index + 1u), &inner);
		if (err && err != MIME_ENOPART) {
			o->err = err;
			return next;
		}
		emitc(o, ' ');
		if (err == 0 && inner.depth == p->depth + 1u) {
			put_envelope(o, v, &inner);
			emitc(o, ' ');
			next = put_body(o, v, &inner, ext);
		} else {
			emits(o, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ");
			put_empty_text(o, ext);
		}
		emitc(o, ' ');
		put_num(o, p->body_lines);
	} else if (p->kind & MIME_K_TEXT) {
		emitc(o, ' ');
		put_num(o, p->body_lines);
	}
	if (ext) {
		emitc(o, ' ');
		put_field(o, v, p, MIME_F_CMD5);
		put_ext_tail(o, v, p);
	}
	emitc(o, ')');
	return next;
}

int mime_render(const struct mime_view *v, uint16_t root, enum mime_item item, uint32_t skip,
		char *buf, size_t cap, size_t *written)
{
	struct out o = { buf, cap, 0, skip, 0, false, 0, (uint8_t)item, root };
	struct mime_part p;
	int err;

	*written = 0;
	if (!v->work)
		return MIME_EINVAL;
	mime_work_bind(v);   /* another view's shortcut must not carry over */
	err = mime_part_get(v, root, &p);
	if (err)
		return err;
	if (item == MIME_ITEM_ENVELOPE)
		put_envelope(&o, v, &p);
	else
		put_body(&o, v, &p, item == MIME_ITEM_BODYSTRUCTURE);
	if (o.err)
		return o.err;
	*written = o.n;
	return o.full ? 0 : 1;
}
