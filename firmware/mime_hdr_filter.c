/*
 * mime_hdr_filter.c - streaming HEADER.FIELDS / HEADER.FIELDS.NOT filter.
 *
 * A field's name is held (at most MIME_HDR_FILTER_NAME_MAX bytes) until its
 * colon decides whether the line is kept; the rest of the line and its
 * continuation lines then pass or drop without buffering. Candidate names
 * are narrowed byte by byte in a bit mask, so no name is compared twice.
 */
#include "mime_hdr_filter.h"

#include <string.h>

enum { F_BOL, F_NAME, F_COPY, F_DROP, F_DONE };

_Static_assert(MIME_HDR_FILTER_NAMES <= 32, "candidates fit a 32-bit mask");

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

bool mime_hdr_filter_init(struct mime_hdr_filter *f, const struct mime_hdr_name *names,
			  unsigned n, bool negate)
{
	memset(f, 0, sizeof(*f));
	if (n > MIME_HDR_FILTER_NAMES)
		return false;
	f->names = names;
	f->n = (uint8_t)n;
	f->negate = negate;
	f->st = F_BOL;
	return true;
}

static size_t put(char *out, size_t o, const char *s, size_t n)
{
	if (out)
		memcpy(out + o, s, n);
	return o + n;
}

/* The name is complete (colon seen, or it can no longer match): decide. */
static size_t decide(struct mime_hdr_filter *f, bool colon, char *out, size_t o)
{
	bool match = false;

	if (colon)
		for (unsigned i = 0; i < f->n; i++)
			if ((f->cand & (1u << i)) && f->names[i].len == f->pos)
				match = true;
	f->keep = match != f->negate;
	if (f->keep)
		o = put(out, o, f->held, f->held_n);
	f->held_n = 0;
	f->st = f->keep ? F_COPY : F_DROP;
	return o;
}

size_t mime_hdr_filter_feed(struct mime_hdr_filter *f, const void *in, size_t len, char *out)
{
	const char *s = in;
	size_t o = 0;

	for (size_t i = 0; i < len && f->st != F_DONE; i++) {
		char c = s[i];
		switch (f->st) {
		case F_BOL:
			if (c == '\r' || c == '\n') {
				f->st = F_DONE;   /* the blank line ends the header */
				f->blank = true;
				break;
			}
			if ((c == ' ' || c == '\t') && f->pos) {
				/* a continuation line follows its field's fate */
				f->st = f->keep ? F_COPY : F_DROP;
				if (f->keep)
					o = put(out, o, &c, 1);
				break;
			}
			f->cand = f->n == 32 ? 0xffffffffu : (1u << f->n) - 1u;
			f->pos = 0;
			f->held_n = 0;
			f->name_ws = false;
			f->st = F_NAME;
			/* fall through */
		case F_NAME:
			f->held[f->held_n++] = c;
			if (c == ':') {
				o = decide(f, true, out, o);
			} else if (c == '\n') {
				/* a line without a colon has no name to match */
				o = decide(f, false, out, o);
				f->st = F_BOL;
			} else if (c == ' ' || c == '\t') {
				f->name_ws = true;    /* "Subject :" still names Subject */
			} else {
				if (f->name_ws)
					f->cand = 0;  /* whitespace inside a name: no match */
				for (unsigned k = 0; k < f->n; k++)
					if ((f->cand & (1u << k)) &&
					    (f->pos >= f->names[k].len ||
					     lower(f->names[k].s[f->pos]) != lower(c)))
						f->cand &= ~(1u << k);
				f->pos++;
			}
			/* held[] is bounded: a name (blanks included) this long
			 * matches nothing, whatever follows */
			if (f->st == F_NAME && f->held_n > MIME_HDR_FILTER_NAME_MAX)
				o = decide(f, false, out, o);
			break;
		case F_COPY:
			o = put(out, o, &c, 1);
			if (c == '\n')
				f->st = F_BOL;
			break;
		case F_DROP:
			if (c == '\n')
				f->st = F_BOL;
			break;
		}
	}
	return o;
}

size_t mime_hdr_filter_end(struct mime_hdr_filter *f, char *out)
{
	size_t o = 0;

	if (f->st == F_NAME)
		o = decide(f, false, out, o);
	if (f->st == F_COPY)
		o = put(out, o, "\r\n", 2);   /* a last line without its break */
	f->st = F_DONE;
	/* the header's blank line, when it had one (Dovecot) */
	return f->blank ? put(out, o, "\r\n", 2) : o;
}
