/*
 * imap_parse.c - walking one complete command buffer (RFC 3501 section 9,
 * RFC 9051, LITERAL+ RFC 7888). See imap_parse.h for the buffer contract.
 */
#include "imap_parse.h"

#include "imap_date.h"

#include <string.h>

void imap_parser_init(struct imap_parser *p, char *buf, size_t len)
{
	p->buf = buf;
	p->len = len;
	p->pos = 0;
	p->err = NULL;
	p->utf8 = false;
	p->utf8_accept = false;
}

static bool fail(struct imap_parser *p, const char *why)
{
	if (!p->err)
		p->err = why;
	return false;
}

static int cur(const struct imap_parser *p)
{
	return p->pos < p->len ? (unsigned char)p->buf[p->pos] : -1;
}

static bool is_ctl(int c) { return c < 0x20 || c == 0x7f; }

/* ATOM-CHAR: CHAR except atom-specials "(" ")" "{" SP CTL "%" "*" DQUOTE "\" "]" */
static bool is_atom_char(int c)
{
	if (c < 0 || c >= 0x80 || is_ctl(c))
		return false;
	switch (c) {
	case '(': case ')': case '{': case ' ': case '%': case '*':
	case '"': case '\\': case ']':
		return false;
	default:
		return true;
	}
}

static bool is_astring_char(int c) { return is_atom_char(c) || c == ']'; }
static bool is_list_char(int c) { return is_atom_char(c) || c == '%' || c == '*' || c == ']'; }

bool imap_p_end(const struct imap_parser *p) { return p->pos >= p->len; }
bool imap_p_peek(const struct imap_parser *p, char c) { return cur(p) == (unsigned char)c; }

bool imap_p_char(struct imap_parser *p, char c)
{
	if (cur(p) != (unsigned char)c)
		return false;
	p->pos++;
	return true;
}

bool imap_p_sp(struct imap_parser *p)
{
	if (!imap_p_char(p, ' '))
		return fail(p, "Expected a space");
	return true;
}

static bool span(struct imap_parser *p, bool (*ok)(int), struct imap_str *out, const char *why)
{
	size_t start = p->pos;
	while (ok(cur(p)))
		p->pos++;
	if (p->pos == start)
		return fail(p, why);
	out->s = p->buf + start;
	out->len = p->pos - start;
	out->literal = false;
	return true;
}

static bool is_tag_char(int c) { return is_astring_char(c) && c != '+'; }

bool imap_p_tag(struct imap_parser *p, struct imap_str *out)
{
	return span(p, is_tag_char, out, "Missing or invalid tag");
}

bool imap_p_atom(struct imap_parser *p, struct imap_str *out)
{
	return span(p, is_atom_char, out, "Expected an atom");
}

static char upper(char c) { return (c >= 'a' && c <= 'z') ? (char)(c - 32) : c; }

static bool is_word_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_' || c == '=';
}

bool imap_p_keyword(struct imap_parser *p, const char *kw)
{
	size_t n = strlen(kw);
	if (p->len - p->pos < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (upper(p->buf[p->pos + i]) != upper(kw[i]))
			return false;
	if (p->pos + n < p->len && is_word_char((unsigned char)p->buf[p->pos + n]))
		return false;
	p->pos += n;
	return true;
}

bool imap_p_quoted(struct imap_parser *p, struct imap_str *out)
{
	size_t start = p->pos;
	if (!imap_p_char(p, '"'))
		return fail(p, "Expected a quoted string");
	/* Validate first, unescape after: a failed parse leaves the buffer as
	 * it was, for a caller that tries another grammar. */
	size_t end = p->pos;
	for (;;) {
		int c = end < p->len ? (unsigned char)p->buf[end] : -1;
		if (c < 0 || c == '\r' || c == '\n' || c == 0) {
			p->pos = start;
			return fail(p, "Unterminated quoted string");
		}
		end++;
		if (c == '"')
			break;
		if (c == '\\') {
			c = end < p->len ? (unsigned char)p->buf[end] : -1;
			if (c != '"' && c != '\\') {
				p->pos = start;
				return fail(p, "Invalid escape in quoted string");
			}
			end++;
		}
	}
	char *w = p->buf + p->pos;   /* w never passes the read point */
	out->s = w;
	for (size_t i = p->pos; i < end - 1; i++) {
		if (p->buf[i] == '\\')
			i++;
		*w++ = p->buf[i];
	}
	out->len = (size_t)(w - out->s);
	out->literal = false;
	p->pos = end;
	return true;
}

bool imap_p_literal(struct imap_parser *p, struct imap_str *out)
{
	size_t start = p->pos;
	uint32_t n;
	if (!imap_p_char(p, '{'))
		return fail(p, "Expected a literal");
	if (!imap_p_number(p, &n))
		goto bad;
	(void)imap_p_char(p, '+');
	if (!imap_p_char(p, '}') || !imap_p_char(p, '\r') || !imap_p_char(p, '\n'))
		goto bad;
	if (p->len - p->pos < n)
		goto bad;
	if (memchr(p->buf + p->pos, 0, n)) {
		p->pos = start;
		return fail(p, "NUL in literal");
	}
	out->s = p->buf + p->pos;
	out->len = n;
	out->literal = true;
	p->pos += n;
	return true;
bad:
	p->pos = start;
	return fail(p, "Invalid literal");
}

bool imap_p_string(struct imap_parser *p, struct imap_str *out)
{
	if (imap_p_peek(p, '"'))
		return imap_p_quoted(p, out);
	if (imap_p_peek(p, '{'))
		return imap_p_literal(p, out);
	return fail(p, "Expected a string");
}

bool imap_p_astring(struct imap_parser *p, struct imap_str *out)
{
	if (imap_p_peek(p, '"') || imap_p_peek(p, '{'))
		return imap_p_string(p, out);
	return span(p, is_astring_char, out, "Expected an astring");
}

bool imap_p_nstring(struct imap_parser *p, struct imap_str *out, bool *is_nil)
{
	*is_nil = false;
	if (imap_p_keyword(p, "NIL")) {
		*is_nil = true;
		out->s = NULL;
		out->len = 0;
		out->literal = false;
		return true;
	}
	return imap_p_string(p, out);
}

bool imap_p_list_mailbox(struct imap_parser *p, struct imap_str *out)
{
	if (imap_p_peek(p, '"') || imap_p_peek(p, '{'))
		return imap_p_string(p, out);
	return span(p, is_list_char, out, "Expected a mailbox pattern");
}

bool imap_p_flag(struct imap_parser *p, struct imap_str *out)
{
	size_t start = p->pos;
	struct imap_str a;
	bool bs = imap_p_char(p, '\\');
	if (bs && imap_p_char(p, '*')) {   /* "\*" only ever appears in PERMANENTFLAGS */
		p->pos = start;
		return fail(p, "Invalid flag");
	}
	if (!imap_p_atom(p, &a)) {
		p->pos = start;
		p->err = NULL;
		return fail(p, "Invalid flag");
	}
	out->s = p->buf + start;
	out->len = p->pos - start;
	out->literal = false;
	return true;
}

bool imap_p_number64(struct imap_parser *p, uint64_t *out)
{
	size_t start = p->pos;
	uint64_t v = 0;
	while (cur(p) >= '0' && cur(p) <= '9') {
		unsigned d = (unsigned)(cur(p) - '0');
		if (v > (UINT64_MAX - d) / 10) {
			p->pos = start;
			return fail(p, "Number too large");
		}
		v = v * 10 + d;
		p->pos++;
	}
	if (p->pos == start)
		return fail(p, "Expected a number");
	*out = v;
	return true;
}

bool imap_p_number(struct imap_parser *p, uint32_t *out)
{
	size_t start = p->pos;
	uint64_t v;
	if (!imap_p_number64(p, &v))
		return false;
	if (v > UINT32_MAX) {
		p->pos = start;
		return fail(p, "Number too large");
	}
	*out = (uint32_t)v;
	return true;
}

bool imap_p_nz_number(struct imap_parser *p, uint32_t *out)
{
	size_t start = p->pos;
	if (cur(p) == '0')
		return fail(p, "Expected a non-zero number");
	if (!imap_p_number(p, out))
		return false;
	if (*out == 0) {
		p->pos = start;
		return fail(p, "Expected a non-zero number");
	}
	return true;
}

/* seq-number = nz-number / "*" */
static bool seq_number(struct imap_parser *p)
{
	uint32_t n;
	if (imap_p_char(p, '*'))
		return true;
	return imap_p_nz_number(p, &n);
}

bool imap_p_seqset(struct imap_parser *p, struct imap_seqset *out)
{
	size_t start = p->pos;
	if (imap_p_char(p, '$')) {
		out->s = p->buf + start;
		out->len = 1;
		out->dollar = true;
		return true;
	}
	for (;;) {
		if (!seq_number(p))
			goto bad;
		if (imap_p_char(p, ':') && !seq_number(p))
			goto bad;
		if (!imap_p_char(p, ','))
			break;
	}
	out->s = p->buf + start;
	out->len = p->pos - start;
	out->dollar = false;
	return true;
bad:
	p->pos = start;
	p->err = NULL;
	return fail(p, "Invalid sequence set");
}

/* Read one seq-number of an already validated set. */
static uint32_t set_number(const struct imap_seqset *set, size_t *i, uint32_t max)
{
	if (set->s[*i] == '*') {
		(*i)++;
		return max;
	}
	uint32_t v = 0;
	while (*i < set->len && set->s[*i] >= '0' && set->s[*i] <= '9')
		v = v * 10 + (uint32_t)(set->s[(*i)++] - '0');
	return v;
}

bool imap_seqset_next(const struct imap_seqset *set, size_t *cursor, uint32_t max,
		      uint32_t *lo, uint32_t *hi)
{
	size_t i = *cursor;
	if (set->dollar || i >= set->len)
		return false;
	uint32_t a = set_number(set, &i, max), b = a;
	if (i < set->len && set->s[i] == ':') {
		i++;
		b = set_number(set, &i, max);
	}
	if (i < set->len && set->s[i] == ',')
		i++;
	*cursor = i;
	*lo = a < b ? a : b;
	*hi = a < b ? b : a;
	return true;
}

bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n, uint32_t max)
{
	size_t c = 0;
	uint32_t lo, hi;
	while (imap_seqset_next(set, &c, max, &lo, &hi))
		if (n >= lo && n <= hi)
			return true;
	return false;
}

char *imap_str_z(struct imap_str *out)
{
	if (memchr(out->s, 0, out->len))
		return NULL;
	out->s[out->len] = '\0';
	return out->s;
}

/* date = date-text / DQUOTE date-text DQUOTE */
bool imap_p_date(struct imap_parser *p, int64_t *day_utc)
{
	size_t start = p->pos;
	struct imap_str d;
	bool ok = imap_p_peek(p, '"') ? imap_p_quoted(p, &d) : imap_p_atom(p, &d);
	if (ok && imap_date_parse(d.s, d.len, day_utc))
		return true;
	p->pos = start;
	p->err = NULL;
	return fail(p, "Invalid date");
}

/* date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE */
bool imap_p_date_time(struct imap_parser *p, int64_t *t, int16_t *tz_minutes)
{
	size_t start = p->pos;
	struct imap_str d;
	if (imap_p_peek(p, '"') && imap_p_quoted(p, &d) &&
	    imap_datetime_parse(d.s, d.len, t, tz_minutes))
		return true;
	p->pos = start;
	p->err = NULL;
	return fail(p, "Invalid date-time");
}
