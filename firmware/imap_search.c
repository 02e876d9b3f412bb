/*
 * imap_search.c - SEARCH arguments to a bounded program (a tree stored in
 * prefix order: each node records where its subtree ends) and its
 * three-valued evaluation. See imap_search.h for the session's side.
 */
#include "imap_search.h"

#include <string.h>

#include "imap_date.h"
#include "mime_match.h"
#include "store.h"

_Static_assert(IMAP_SEARCH_MAX_NODES <= 255, "node indices are uint8_t");
_Static_assert(IMAP_SEARCH_MAX_TEXT <= 32, "text key results are 32-bit masks");

enum op {
	OP_AND,            /* children until end */
	OP_OR,             /* two children */
	OP_NOT,            /* one child */
	OP_ALL,
	OP_FLAGS_SET,      /* every bit of mask set */
	OP_FLAGS_CLEAR,    /* no bit of mask set */
	OP_KEYWORD,
	OP_UNKEYWORD,
	OP_RECENT,
	OP_NEW,
	OP_OLD,
	OP_SEQ,
	OP_UID,
	OP_LARGER,
	OP_SMALLER,
	OP_BEFORE,
	OP_ON,
	OP_SINCE,
	OP_SENTBEFORE,
	OP_SENTON,
	OP_SENTSINCE,
	OP_TEXT,
	OP_MODSEQ,
};

/* SENT* compare the Date: header, the others INTERNALDATE. */
static bool is_sent(unsigned op)
{
	return op == OP_SENTBEFORE || op == OP_SENTON || op == OP_SENTSINCE;
}

/* What follows a key's name. */
enum arg {
	A_NONE,
	A_DATE,
	A_NUMBER,
	A_STRING,          /* text key on the field named like the key, or BODY/TEXT */
	A_HEADER,          /* field-name SP string */
	A_KEYWORD,
	A_SEQSET,          /* UID */
	A_KEY,             /* NOT */
	A_KEY2,            /* OR */
	A_MODSEQ,
};

static const struct keydef {
	const char *name;
	uint8_t op, arg;
	uint32_t mask;     /* flag bits, or the where of a text key */
} keys[] = {
	{ "ALL", OP_ALL, A_NONE, 0 },
	{ "ANSWERED", OP_FLAGS_SET, A_NONE, STORE_F_ANSWERED },
	{ "BCC", OP_TEXT, A_STRING, IMAP_SEARCH_IN_FIELD },
	{ "BEFORE", OP_BEFORE, A_DATE, 0 },
	{ "BODY", OP_TEXT, A_STRING, IMAP_SEARCH_IN_BODY },
	{ "CC", OP_TEXT, A_STRING, IMAP_SEARCH_IN_FIELD },
	{ "DELETED", OP_FLAGS_SET, A_NONE, STORE_F_DELETED },
	{ "DRAFT", OP_FLAGS_SET, A_NONE, STORE_F_DRAFT },
	{ "FLAGGED", OP_FLAGS_SET, A_NONE, STORE_F_FLAGGED },
	{ "FROM", OP_TEXT, A_STRING, IMAP_SEARCH_IN_FIELD },
	{ "HEADER", OP_TEXT, A_HEADER, IMAP_SEARCH_IN_FIELD },
	{ "KEYWORD", OP_KEYWORD, A_KEYWORD, 0 },
	{ "LARGER", OP_LARGER, A_NUMBER, 0 },
	{ "MODSEQ", OP_MODSEQ, A_MODSEQ, 0 },
	{ "NEW", OP_NEW, A_NONE, 0 },
	{ "NOT", OP_NOT, A_KEY, 0 },
	{ "OLD", OP_OLD, A_NONE, 0 },
	{ "ON", OP_ON, A_DATE, 0 },
	{ "OR", OP_OR, A_KEY2, 0 },
	{ "RECENT", OP_RECENT, A_NONE, 0 },
	{ "SEEN", OP_FLAGS_SET, A_NONE, STORE_F_SEEN },
	{ "SENTBEFORE", OP_SENTBEFORE, A_DATE, 0 },
	{ "SENTON", OP_SENTON, A_DATE, 0 },
	{ "SENTSINCE", OP_SENTSINCE, A_DATE, 0 },
	{ "SINCE", OP_SINCE, A_DATE, 0 },
	{ "SMALLER", OP_SMALLER, A_NUMBER, 0 },
	{ "SUBJECT", OP_TEXT, A_STRING, IMAP_SEARCH_IN_FIELD },
	{ "TEXT", OP_TEXT, A_STRING, IMAP_SEARCH_IN_TEXT },
	{ "TO", OP_TEXT, A_STRING, IMAP_SEARCH_IN_FIELD },
	{ "UID", OP_UID, A_SEQSET, 0 },
	{ "UNANSWERED", OP_FLAGS_CLEAR, A_NONE, STORE_F_ANSWERED },
	{ "UNDELETED", OP_FLAGS_CLEAR, A_NONE, STORE_F_DELETED },
	{ "UNDRAFT", OP_FLAGS_CLEAR, A_NONE, STORE_F_DRAFT },
	{ "UNFLAGGED", OP_FLAGS_CLEAR, A_NONE, STORE_F_FLAGGED },
	{ "UNKEYWORD", OP_UNKEYWORD, A_KEYWORD, 0 },
	{ "UNSEEN", OP_FLAGS_CLEAR, A_NONE, STORE_F_SEEN },
};

struct pctx {
	struct imap_search *s;
	struct imap_parser *p;
	int code;
};

static bool fail(struct pctx *c, int code, const char *why)
{
	if (c->code == IMAP_SEARCH_OK) {
		c->code = code;
		c->s->err = why;
	}
	return false;
}

/* A parser primitive failed: prefer its own reason. */
static bool bad(struct pctx *c, const char *why)
{
	return fail(c, IMAP_SEARCH_BAD, c->p->err ? c->p->err : why);
}

static bool sp(struct pctx *c)
{
	return imap_p_char(c->p, ' ') || bad(c, "Expected a space");
}

static char upper(char ch)
{
	return ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
}

static bool ieq_n(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (upper(a[i]) != upper(b[i]))
			return false;
	return true;
}

static bool new_node(struct pctx *c, enum op op, unsigned *idx)
{
	struct imap_search *s = c->s;
	if (s->nodes >= IMAP_SEARCH_MAX_NODES)
		return fail(c, IMAP_SEARCH_LIMIT, "Too many search keys");
	*idx = s->nodes++;
	memset(&s->node[*idx], 0, sizeof s->node[*idx]);
	s->node[*idx].op = (uint8_t)op;
	return true;
}

/* Register a text key, sharing the slot of an identical earlier one. */
static bool add_text(struct pctx *c, struct imap_search_node *n, enum imap_search_where where,
		     const char *field, size_t flen, const struct imap_str *needle)
{
	struct imap_search *s = c->s;
	if (needle->len > MIME_MATCH_MAX)
		return fail(c, IMAP_SEARCH_LIMIT, "Search string too long");
	for (unsigned i = 0; i < s->texts; i++) {
		const struct imap_search_text *t = &s->text[i];
		if (t->where == where && t->needle_len == needle->len &&
		    memcmp(t->needle, needle->s, needle->len) == 0 && t->field_len == flen &&
		    ieq_n(t->field, field, flen)) {
			n->text = (uint8_t)i;
			return true;
		}
	}
	if (s->texts >= IMAP_SEARCH_MAX_TEXT)
		return fail(c, IMAP_SEARCH_LIMIT, "Too many text search keys");
	struct imap_search_text *t = &s->text[s->texts];
	t->where = where;
	t->field = field;
	t->field_len = flen;
	t->needle = needle->s;
	t->needle_len = needle->len;
	n->text = s->texts++;
	s->needs |= where == IMAP_SEARCH_IN_FIELD ? IMAP_SEARCH_NEED_HEADER
		    : where == IMAP_SEARCH_IN_BODY ? IMAP_SEARCH_NEED_BODY
						   : IMAP_SEARCH_NEED_HEADER | IMAP_SEARCH_NEED_BODY;
	return true;
}

/* RFC 5322 field-name: printable ASCII except ':'. */
static bool field_name_ok(const struct imap_str *f)
{
	if (f->len == 0)
		return false;
	for (size_t i = 0; i < f->len; i++)
		if (f->s[i] <= ' ' || f->s[i] > '~' || f->s[i] == ':')
			return false;
	return true;
}

/* MODSEQ [SP entry-name SP entry-type-req] SP mod-sequence-valzer (RFC 7162);
 * the entry only narrows which flag's modseq is meant, and this store keeps
 * one modseq per message, so it is checked and otherwise ignored. */
static bool arg_modseq(struct pctx *c, struct imap_search_node *n)
{
	struct imap_parser *p = c->p;
	if (imap_p_peek(p, '"')) {
		struct imap_str e, type;
		if (!imap_p_quoted(p, &e) || e.len < 8 || !ieq_n(e.s, "/flags/", 7))
			return bad(c, "Invalid MODSEQ entry name");
		if (!sp(c) || !imap_p_atom(p, &type))
			return bad(c, "Invalid MODSEQ entry type");
		if (!(type.len == 4 && ieq_n(type.s, "priv", 4)) &&
		    !(type.len == 6 && ieq_n(type.s, "shared", 6)) &&
		    !(type.len == 3 && ieq_n(type.s, "all", 3)))
			return bad(c, "Invalid MODSEQ entry type");
		if (!sp(c))
			return false;
	}
	if (!imap_p_number64(p, &n->u.modseq) || n->u.modseq > INT64_MAX)
		return bad(c, "Invalid mod-sequence");
	c->s->uses_modseq = true;
	return true;
}

static bool key(struct pctx *c, unsigned depth);

static bool nested(struct pctx *c, unsigned depth)
{
	if (depth >= IMAP_SEARCH_MAX_DEPTH)
		return fail(c, IMAP_SEARCH_LIMIT, "Search keys nested too deeply");
	return key(c, depth + 1);
}

/* The arguments of a key that has no sub-keys. Kept out of line so that its
 * locals are not part of every level of the key() recursion. */
__attribute__((noinline)) static bool leaf_args(struct pctx *c, const struct keydef *k,
						unsigned idx)
{
	struct imap_parser *p = c->p;
	struct imap_search *s = c->s;
	struct imap_search_node *n = &s->node[idx];
	struct imap_str str, field;
	int64_t day;

	if (k->arg != A_NONE && !sp(c))
		return false;
	switch ((enum arg)k->arg) {
	case A_NONE:
		n->u.mask = k->mask;
		return true;
	case A_DATE:
		if (!imap_p_date(p, &day))
			return bad(c, "Invalid date");
		n->u.day = day / 86400;
		s->needs |= is_sent(k->op) ? IMAP_SEARCH_NEED_DATE : IMAP_SEARCH_NEED_STAT;
		return true;
	case A_NUMBER:
		if (!imap_p_number64(p, &n->u.num))
			return bad(c, "Invalid number");
		s->needs |= IMAP_SEARCH_NEED_STAT;
		return true;
	case A_STRING:
		if (!imap_p_astring(p, &str))
			return bad(c, "Invalid search string");
		if (k->mask == IMAP_SEARCH_IN_FIELD)
			return add_text(c, n, IMAP_SEARCH_IN_FIELD, k->name, strlen(k->name), &str);
		return add_text(c, n, (enum imap_search_where)k->mask, "", 0, &str);
	case A_HEADER:
		if (!imap_p_astring(p, &field))
			return bad(c, "Invalid header field name");
		if (!field_name_ok(&field))
			return bad(c, "Invalid header field name");
		if (!sp(c) || !imap_p_astring(p, &str))
			return bad(c, "Invalid search string");
		return add_text(c, n, IMAP_SEARCH_IN_FIELD, field.s, field.len, &str);
	case A_KEYWORD:
		if (!imap_p_atom(p, &str))
			return bad(c, "Invalid keyword");
		n->u.kw.name = str.s;
		n->u.kw.len = (uint32_t)str.len;
		c->s->uses_keywords = true;
		return true;
	case A_SEQSET:
		if (!imap_p_seqset(p, &n->u.set))
			return bad(c, "Invalid UID set");
		s->uses_saved |= n->u.set.dollar;
		return true;
	case A_KEY:
	case A_KEY2:
		break;   /* key() parses sub-keys */
	case A_MODSEQ:
		return arg_modseq(c, n);
	}
	return bad(c, "Invalid search key");
}

static bool key(struct pctx *c, unsigned depth)
{
	struct imap_parser *p = c->p;
	struct imap_search *s = c->s;
	unsigned idx;

	if (imap_p_char(p, '(')) {
		if (!new_node(c, OP_AND, &idx))
			return false;
		do {
			if (!nested(c, depth))
				return false;
		} while (imap_p_char(p, ' '));
		if (!imap_p_char(p, ')'))
			return bad(c, "Expected ')' after search keys");
		s->node[idx].end = s->nodes;
		return true;
	}
	if (imap_p_peek(p, '*') || imap_p_peek(p, '$') ||
	    (p->pos < p->len && p->buf[p->pos] >= '1' && p->buf[p->pos] <= '9')) {
		if (!new_node(c, OP_SEQ, &idx))
			return false;
		if (!imap_p_seqset(p, &s->node[idx].u.set))
			return bad(c, "Invalid sequence set");
		s->uses_saved |= s->node[idx].u.set.dollar;
		s->node[idx].end = s->nodes;
		return true;
	}
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (!imap_p_keyword(p, keys[i].name))
			continue;
		if (!new_node(c, (enum op)keys[i].op, &idx))
			return false;
		if (keys[i].arg == A_KEY || keys[i].arg == A_KEY2) {
			if (!sp(c) || !nested(c, depth) ||
			    (keys[i].arg == A_KEY2 && (!sp(c) || !nested(c, depth))))
				return false;
		} else if (!leaf_args(c, &keys[i], idx)) {
			return false;
		}
		s->node[idx].end = s->nodes;
		return true;
	}
	return bad(c, "Unknown search key");
}

/* RETURN (opts): after "RETURN". RFC 4731: an empty list means ALL. */
static bool return_opts(struct pctx *c)
{
	static const struct { const char *name; uint8_t bit; } opts[] = {
		{ "MIN", IMAP_SEARCH_RET_MIN }, { "MAX", IMAP_SEARCH_RET_MAX },
		{ "ALL", IMAP_SEARCH_RET_ALL }, { "COUNT", IMAP_SEARCH_RET_COUNT },
		{ "SAVE", IMAP_SEARCH_RET_SAVE },
	};
	struct imap_parser *p = c->p;
	if (!sp(c) || !imap_p_char(p, '('))
		return bad(c, "Expected '(' after RETURN");
	c->s->esearch = true;
	if (!imap_p_char(p, ')')) {
		do {
			size_t i;
			for (i = 0; i < sizeof opts / sizeof opts[0]; i++)
				if (imap_p_keyword(p, opts[i].name))
					break;
			if (i == sizeof opts / sizeof opts[0])
				return bad(c, "Unknown RETURN option");
			c->s->ret |= opts[i].bit;
		} while (imap_p_char(p, ' '));
		if (!imap_p_char(p, ')'))
			return bad(c, "Expected ')' after RETURN options");
	}
	if (c->s->ret == 0)
		c->s->ret = IMAP_SEARCH_RET_ALL;
	return true;
}

static bool charset(struct pctx *c)
{
	struct imap_str cs;
	if (c->p->utf8_accept)   /* RFC 6855 3 (erratum 4029) */
		return fail(c, IMAP_SEARCH_BAD, "CHARSET is not allowed after ENABLE UTF8=ACCEPT");
	if (!sp(c) || !imap_p_astring(c->p, &cs))
		return bad(c, "Invalid CHARSET");
	if (!(cs.len == 8 && ieq_n(cs.s, "US-ASCII", 8)) && !(cs.len == 5 && ieq_n(cs.s, "UTF-8", 5)))
		return fail(c, IMAP_SEARCH_BADCHARSET, "Unsupported charset");
	return true;
}

int imap_search_parse(struct imap_search *s, struct imap_parser *p)
{
	struct pctx c = { s, p, IMAP_SEARCH_OK };
	unsigned root = 0;   /* set by the first node; -O2 cannot see it */

	s->nodes = 0;
	s->texts = 0;
	s->ret = 0;
	s->esearch = false;
	s->uses_modseq = false;
	s->uses_keywords = false;
	s->uses_saved = false;
	s->needs = 0;
	s->err = NULL;
	p->err = NULL;

	bool space = imap_p_char(p, ' ');
	if (imap_p_end(p) || !space) {
		fail(&c, IMAP_SEARCH_BAD, space || imap_p_end(p) ? "Missing search keys"
								  : "Expected a space");
		return c.code;
	}
	if (imap_p_keyword(p, "RETURN") && (!return_opts(&c) || !sp(&c)))
		return c.code;
	if (imap_p_keyword(p, "CHARSET") && (!charset(&c) || !sp(&c)))
		return c.code;
	(void)new_node(&c, OP_AND, &root);
	do {
		if (!key(&c, 0))
			return c.code;
	} while (imap_p_char(p, ' '));
	if (!imap_p_end(p)) {
		fail(&c, IMAP_SEARCH_BAD, "Unexpected characters after search keys");
		return c.code;
	}
	s->node[root].end = s->nodes;
	return IMAP_SEARCH_OK;
}

void imap_search_bind(struct imap_search *s,
		      int (*lookup)(void *ctx, const char *kw, size_t len), void *ctx)
{
	for (unsigned i = 0; i < s->nodes; i++) {
		struct imap_search_node *n = &s->node[i];
		if (n->op != OP_KEYWORD && n->op != OP_UNKEYWORD)
			continue;
		int k = lookup(ctx, n->u.kw.name, n->u.kw.len);
		/* not STORE_F_KEYWORD(): its enum operand is an int, so bit 31 would
		 * overflow */
		n->u.kw.mask = k >= 0 && k < STORE_MAX_KEYWORDS ? (uint32_t)STORE_F_KEYWORD0 << k : 0;
	}
}

static int yes_if(bool b)
{
	return b ? IMAP_SEARCH_YES : IMAP_SEARCH_NO;
}

/* Day of INTERNALDATE or of Date:, or -1 with *r set when unknown / absent. */
static bool msg_day(const struct imap_search_msg *m, enum op op, int64_t *day, int *r)
{
	if (is_sent(op)) {
		if (!(m->have & IMAP_SEARCH_NEED_DATE)) {
			*r = IMAP_SEARCH_UNKNOWN;
			return false;
		}
		if (!m->sent_valid) {   /* no Date: to compare: not sent in any period */
			*r = IMAP_SEARCH_NO;
			return false;
		}
		*day = imap_date_day(m->sent, m->sent_tz);
		return true;
	}
	if (!(m->have & IMAP_SEARCH_NEED_STAT)) {
		*r = IMAP_SEARCH_UNKNOWN;
		return false;
	}
	*day = imap_date_day(m->internaldate, m->internal_tz);
	return true;
}

static int eval(const struct imap_search *s, unsigned i, const struct imap_search_msg *m)
{
	const struct imap_search_node *n = &s->node[i];
	int r = IMAP_SEARCH_UNKNOWN;
	int64_t day;

	switch ((enum op)n->op) {
	case OP_AND:
	case OP_OR: {
		/* AND: NO decides; OR: YES decides; otherwise UNKNOWN wins. */
		int decide = n->op == OP_AND ? IMAP_SEARCH_NO : IMAP_SEARCH_YES;
		r = n->op == OP_AND ? IMAP_SEARCH_YES : IMAP_SEARCH_NO;
		for (unsigned j = i + 1; j < n->end; j = s->node[j].end) {
			int v = eval(s, j, m);
			if (v == decide)
				return v;
			if (v == IMAP_SEARCH_UNKNOWN)
				r = v;
		}
		return r;
	}
	case OP_NOT:
		r = eval(s, i + 1, m);
		return r == IMAP_SEARCH_UNKNOWN ? r : yes_if(r == IMAP_SEARCH_NO);
	case OP_ALL:
		return IMAP_SEARCH_YES;
	case OP_FLAGS_SET:
		return yes_if((m->flags & n->u.mask) == n->u.mask);
	case OP_FLAGS_CLEAR:
		return yes_if((m->flags & n->u.mask) == 0);
	case OP_KEYWORD:
		return yes_if(n->u.kw.mask && (m->flags & n->u.kw.mask));
	case OP_UNKEYWORD:
		return yes_if(!(m->flags & n->u.kw.mask));
	case OP_RECENT:
		return yes_if(m->recent);
	case OP_NEW:
		return yes_if(m->recent && !(m->flags & STORE_F_SEEN));
	case OP_OLD:
		return yes_if(!m->recent);
	case OP_SEQ:
		return yes_if(n->u.set.dollar ? m->in_saved
					      : imap_seqset_contains(&n->u.set, m->seq, m->max_seq));
	case OP_UID:
		return yes_if(n->u.set.dollar ? m->in_saved
					      : imap_seqset_contains(&n->u.set, m->uid, m->max_uid));
	case OP_LARGER:
	case OP_SMALLER:
		if (!(m->have & IMAP_SEARCH_NEED_STAT))
			return IMAP_SEARCH_UNKNOWN;
		return yes_if(n->op == OP_LARGER ? m->size > n->u.num : m->size < n->u.num);
	case OP_BEFORE:
	case OP_SENTBEFORE:
		return msg_day(m, (enum op)n->op, &day, &r) ? yes_if(day < n->u.day) : r;
	case OP_ON:
	case OP_SENTON:
		return msg_day(m, (enum op)n->op, &day, &r) ? yes_if(day == n->u.day) : r;
	case OP_SINCE:
	case OP_SENTSINCE:
		return msg_day(m, (enum op)n->op, &day, &r) ? yes_if(day >= n->u.day) : r;
	case OP_TEXT:
		if (!(m->text_known & (1u << n->text)))
			return IMAP_SEARCH_UNKNOWN;
		return yes_if(m->text_found & (1u << n->text));
	case OP_MODSEQ:
		return yes_if(m->modseq >= n->u.modseq);
	}
	return IMAP_SEARCH_NO;
}

bool imap_search_text_field_is(const struct imap_search_text *t, const char *name, size_t len)
{
	return t->where == IMAP_SEARCH_IN_FIELD && t->field_len == len && ieq_n(t->field, name, len);
}

int imap_search_eval(const struct imap_search *s, const struct imap_search_msg *m)
{
	return s->nodes ? eval(s, 0, m) : IMAP_SEARCH_NO;
}

/* ---- result formatting ---- */

static size_t put_u32(char *o, uint32_t v)
{
	char tmp[10];
	size_t n = 0, k = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		o[k++] = tmp[--n];
	return k;
}

static size_t put_run(struct imap_search_setw *w, char *out)
{
	size_t k = 0;
	if (w->started)
		out[k++] = ',';
	k += put_u32(out + k, w->lo);
	if (w->hi != w->lo) {
		out[k++] = ':';
		k += put_u32(out + k, w->hi);
	}
	w->started = true;
	return k;
}

void imap_search_setw_init(struct imap_search_setw *w)
{
	memset(w, 0, sizeof *w);
}

size_t imap_search_setw_add(struct imap_search_setw *w, uint32_t n,
			    char out[IMAP_SEARCH_SETW_MAX])
{
	size_t k = 0;
	if (w->open && w->hi != UINT32_MAX && n == w->hi + 1) {
		w->hi = n;
		return 0;
	}
	if (w->open)
		k = put_run(w, out);
	w->lo = w->hi = n;
	w->open = true;
	return k;
}

size_t imap_search_setw_finish(struct imap_search_setw *w, char out[IMAP_SEARCH_SETW_MAX])
{
	size_t k = w->open ? put_run(w, out) : 0;
	w->open = false;
	return k;
}
