/*
 * fuzz_imap_parse.c - the command parser (imap_parse.h) on arbitrary bytes.
 *
 * Input: one byte n (how many parse steps, at most 32), n step selectors,
 * then the command buffer. Each step applies one imap_p_* function at the
 * current position and checks the contract of imap_parse.h:
 *  - the position never passes the end, and a failed call leaves it where
 *    it was with a reason in p.err;
 *  - strings point into the buffer, quoted strings carry no CR/LF/NUL and
 *    literals have their announced length and no NUL;
 *  - numbers are the digits consumed, in range;
 *  - a sequence set iterates in bounded steps, with lo <= hi, '*' read as
 *    the given maximum, and imap_seqset_contains agreeing with the ranges;
 *  - dates fall on midnight UTC; date-times reformat and parse back to the
 *    same instant (the format is a fixed point).
 * The buffer is a heap copy with exactly one spare byte (the parser's
 * contract), so ASan reports any read or write beyond it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap_date.h"
#include "imap_parse.h"

#define MAX_STEPS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_str(const struct imap_parser *p, const struct imap_str *s)
{
	check(s->s >= p->buf && s->len <= p->len && s->s + s->len <= p->buf + p->len);
}

/* A string the parser returned, made NUL-terminated as a handler would. */
static void check_str_z(struct imap_str *s)
{
	bool has_nul = memchr(s->s, 0, s->len) != NULL;
	char *z = imap_str_z(s);
	check(has_nul ? z == NULL : (z == s->s && strlen(z) == s->len));
}

/* Value of the decimal digits in [from, to), saturating above 2^64-1. */
static uint64_t digits_value(const char *from, const char *to, bool *overflow)
{
	uint64_t v = 0;
	*overflow = false;
	for (const char *c = from; c < to; c++) {
		unsigned d = (unsigned)(*c - '0');
		if (v > (UINT64_MAX - d) / 10)
			*overflow = true;
		v = v * 10 + d;
	}
	return v;
}

static void check_seqset(const struct imap_seqset *set, uint32_t max)
{
	size_t cursor = 0, prev = 0, steps = 0;
	uint32_t lo, hi;
	bool star = memchr(set->s, '*', set->len) != NULL;

	check(set->len > 0);
	if (set->dollar) {
		check(set->len == 1 && set->s[0] == '$');
		check(!imap_seqset_next(set, &cursor, max, &lo, &hi));
		return;
	}
	while (imap_seqset_next(set, &cursor, max, &lo, &hi)) {
		check(cursor > prev && cursor <= set->len);   /* progress, bounded */
		prev = cursor;
		check(lo <= hi);
		check(lo >= 1 || (star && max == 0));
		check(imap_seqset_contains(set, lo, max) && imap_seqset_contains(set, hi, max));
		check(++steps <= set->len);
	}
	check(cursor == set->len);
	if (!star) {   /* '*' absent: max must not matter */
		cursor = 0;
		uint32_t lo2, hi2;
		size_t c2 = 0;
		while (imap_seqset_next(set, &cursor, max, &lo, &hi)) {
			check(imap_seqset_next(set, &c2, max ^ 0x5a5a5a5au, &lo2, &hi2));
			check(lo == lo2 && hi == hi2);
		}
	}
	check(!imap_seqset_contains(set, 0, max) || (star && max == 0));
}

static void step(struct imap_parser *p, uint8_t op, uint32_t max)
{
	size_t start = p->pos;
	struct imap_str s;
	struct imap_seqset set;
	uint32_t n32;
	uint64_t n64;
	int64_t t;
	int16_t tz;
	bool nil, ok, overflow;

	p->err = NULL;
	switch (op % 19) {
	case 0: ok = imap_p_sp(p); break;
	case 1:
		ok = imap_p_tag(p, &s);
		if (ok) {
			check_str(p, &s);
			check(memchr(s.s, '+', s.len) == NULL);
		}
		break;
	case 2: ok = imap_p_atom(p, &s); if (ok) check_str(p, &s); break;
	case 3: ok = imap_p_keyword(p, (op & 0x80) ? "UID" : "BODY.PEEK"); p->err = "-"; break;
	case 4:
		ok = imap_p_quoted(p, &s);
		if (ok) {
			check_str(p, &s);
			check(s.len <= p->pos - start - 2 && !s.literal);
			check(!memchr(s.s, '\r', s.len) && !memchr(s.s, '\n', s.len));
			check(!memchr(s.s, 0, s.len));
		}
		break;
	case 5:
		ok = imap_p_literal(p, &s);
		if (ok) {
			check_str(p, &s);
			check(s.literal && s.s + s.len == p->buf + p->pos);
			check(!memchr(s.s, 0, s.len));
		}
		break;
	case 6: ok = imap_p_string(p, &s); if (ok) { check_str(p, &s); check_str_z(&s); } break;
	case 7: ok = imap_p_astring(p, &s); if (ok) { check_str(p, &s); check_str_z(&s); } break;
	case 8:
		ok = imap_p_nstring(p, &s, &nil);
		if (ok && !nil)
			check_str(p, &s);
		if (ok && nil)
			check(s.s == NULL && s.len == 0);
		break;
	case 9: ok = imap_p_list_mailbox(p, &s); if (ok) check_str(p, &s); break;
	case 10:
		ok = imap_p_flag(p, &s);
		if (ok) {
			check_str(p, &s);
			check(s.len > 0 && !(s.len >= 2 && s.s[0] == '\\' && s.s[1] == '*'));
		}
		break;
	case 11:
		ok = imap_p_number(p, &n32);
		if (ok) {
			check(digits_value(p->buf + start, p->buf + p->pos, &overflow) == n32);
			check(!overflow);
		}
		break;
	case 12:
		ok = imap_p_nz_number(p, &n32);
		if (ok) {
			check(n32 != 0 && p->buf[start] != '0');
			check(digits_value(p->buf + start, p->buf + p->pos, &overflow) == n32);
		}
		break;
	case 13:
		ok = imap_p_number64(p, &n64);
		if (ok) {
			check(digits_value(p->buf + start, p->buf + p->pos, &overflow) == n64);
			check(!overflow);
		}
		break;
	case 14:
		ok = imap_p_seqset(p, &set);
		if (ok) {
			check(set.s == p->buf + start && set.len == p->pos - start);
			check_seqset(&set, max);
			check_seqset(&set, 0);
			check_seqset(&set, UINT32_MAX);
		}
		break;
	case 15:
		ok = imap_p_date(p, &t);
		if (ok)
			check(t % 86400 == 0);
		break;
	case 16:
		ok = imap_p_date_time(p, &t, &tz);
		if (ok) {
			char out[IMAP_DATETIME_LEN + 1];
			int64_t t2;
			int16_t tz2;
			check(imap_datetime_format(t, tz, out) == IMAP_DATETIME_LEN);
			check(strlen(out) == IMAP_DATETIME_LEN);
			check(imap_datetime_parse(out, IMAP_DATETIME_LEN, &t2, &tz2));
			/* exact, except a leap second on 31-Dec-9999 (the format's last second) */
			check(tz2 == tz && (t2 == t || t2 == t - 1));
			char again[IMAP_DATETIME_LEN + 1];
			imap_datetime_format(t2, tz2, again);
			check(memcmp(out, again, sizeof out) == 0);
		}
		break;
	case 17: ok = imap_p_char(p, (char)(op & 0x80 ? '(' : ')')); p->err = "-"; break;
	default:
		/* skip one byte so later steps see what follows a token */
		ok = !imap_p_end(p);
		if (ok)
			p->pos++;
		p->err = "-";
		break;
	}
	check(p->pos <= p->len);
	if (ok)
		check(p->pos >= start);
	else
		check(p->pos == start && p->err != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t nsteps = data[0] % (MAX_STEPS + 1);
	if (size < 1 + nsteps)
		return 0;
	const uint8_t *ops = data + 1;
	size_t len = size - 1 - nsteps;
	/* exactly len + 1 bytes: the one spare byte imap_str_z may write */
	char *buf = malloc(len + 1);
	if (!buf)
		return 0;
	memcpy(buf, ops + nsteps, len);
	buf[len] = 'X';

	struct imap_parser p;
	imap_parser_init(&p, buf, len);
	p.utf8 = (data[0] & 0x80) != 0;
	uint32_t max = (uint32_t)len * 977u;   /* some '*' value that varies */
	for (size_t i = 0; i < nsteps; i++)
		step(&p, ops[i], max);
	check(imap_p_end(&p) == (p.pos >= len));
	free(buf);
	return 0;
}
