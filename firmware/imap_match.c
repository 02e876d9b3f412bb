/*
 * imap_match.c - LIST wildcard matching as a set-of-states simulation over
 * pattern positions: no backtracking, so "%*%*%*..." patterns cost the same
 * as any other, O(pattern length x name length).
 */
#include "imap_match.h"

#include <stdint.h>
#include <string.h>

#define WORDS ((IMAP_MATCH_MAX + 1 + 31) / 32)

struct states {
	uint32_t w[WORDS];
};

static bool has(const struct states *s, size_t q)
{
	return (s->w[q / 32] >> (q % 32)) & 1u;
}

static void add(struct states *s, size_t q)
{
	s->w[q / 32] |= 1u << (q % 32);
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Wildcards also match nothing: let every state before one reach the next.
 * One forward pass suffices because these moves only go forward. */
static void closure(struct states *s, const char *pat, size_t plen)
{
	for (size_t q = 0; q < plen; q++)
		if (has(s, q) && (pat[q] == '*' || pat[q] == '%'))
			add(s, q + 1);
}

/* Length of the case-insensitive "INBOX" prefix of name, 0 if none. */
static size_t inbox_prefix(const char *name, size_t nlen)
{
	static const char inbox[] = "inbox";
	if (nlen < 5 || (nlen > 5 && name[5] != IMAP_MATCH_DELIM))
		return 0;
	for (size_t i = 0; i < 5; i++)
		if (lower(name[i]) != inbox[i])
			return 0;
	return 5;
}

struct run {
	const char *pat;
	size_t plen;
	size_t ci;          /* name bytes [0, ci) compare case-insensitively */
	size_t pos;         /* name bytes consumed */
	struct states s;
};

static void run_init(struct run *r, const char *pat, size_t plen, const char *name, size_t nlen)
{
	r->pat = pat;
	r->plen = plen;
	r->ci = inbox_prefix(name, nlen);
	r->pos = 0;
	memset(&r->s, 0, sizeof r->s);
	add(&r->s, 0);
	closure(&r->s, pat, plen);
}

/* Consume one name byte; false once no state is left. */
static bool run_step(struct run *r, char c)
{
	struct states t;
	bool any = false;

	memset(&t, 0, sizeof t);
	for (size_t q = 0; q < r->plen; q++) {
		if (!has(&r->s, q))
			continue;
		char p = r->pat[q];
		if (p == '*' || (p == '%' && c != IMAP_MATCH_DELIM)) {
			add(&t, q);
			any = true;
		} else if (p == c || (r->pos < r->ci && lower(p) == lower(c))) {
			add(&t, q + 1);
			any = true;
		}
	}
	r->pos++;
	closure(&t, r->pat, r->plen);
	r->s = t;
	return any;
}

static bool run_name(struct run *r, const char *name, size_t nlen)
{
	for (size_t i = 0; i < nlen; i++)
		if (!run_step(r, name[i]))
			return false;
	return true;
}

bool imap_match(const char *pat, size_t plen, const char *name, size_t nlen)
{
	struct run r;

	if (plen > IMAP_MATCH_MAX || nlen > IMAP_MATCH_MAX)
		return false;
	run_init(&r, pat, plen, name, nlen);
	return run_name(&r, name, nlen) && has(&r.s, plen);
}

bool imap_match_children(const char *pat, size_t plen, const char *name, size_t nlen)
{
	struct run r;

	if (plen > IMAP_MATCH_MAX || nlen >= IMAP_MATCH_MAX)
		return false;
	run_init(&r, pat, plen, name, nlen);
	if (!run_name(&r, name, nlen) || !run_step(&r, IMAP_MATCH_DELIM))
		return false;
	/* A live state short of the pattern's end can always be completed by
	 * some non-empty rest of a child name. */
	for (size_t q = 0; q < plen; q++)
		if (has(&r.s, q))
			return true;
	return false;
}

int imap_match_combine(const char *ref, size_t rlen, const char *pat, size_t plen, char *out,
		       size_t cap)
{
	if (plen > 0 && pat[0] == IMAP_MATCH_DELIM)
		rlen = 0;   /* absolute pattern: the reference does not apply */
	size_t n = rlen + plen;
	if (n > IMAP_MATCH_MAX || n >= cap)
		return -1;
	if (rlen)
		memcpy(out, ref, rlen);
	if (plen)
		memcpy(out + rlen, pat, plen);
	out[n] = '\0';
	return (int)n;
}
