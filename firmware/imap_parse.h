/*
 * imap_parse.h - parsing one complete IMAP command of untrusted bytes.
 *
 * The session's reader collects a command exactly as it came off the wire
 * (line, and for each "{n}" / "{n+}" at a line end, CRLF plus n literal bytes,
 * then the rest of the command), bounded by IMAPD_LINE_MAX plus the literal
 * bounds, without the final CRLF. This module then walks that buffer. APPEND
 * message literals are the exception: they are never buffered (the session
 * streams them to the store), see imap_session.c.
 *
 * Strings are returned as (pointer, length) into the buffer; quoted strings
 * are unescaped in place, so the buffer is mutable, and it must have one spare
 * byte after len (imap_str_z may write a NUL there). No function allocates.
 * On failure a function returns false, leaves pos unchanged where practical and
 * sets p->err to a short human-readable reason for the BAD response.
 */
#ifndef IMAP_PARSE_H
#define IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct imap_str {
	char *s;          /* not NUL-terminated unless imap_str_z() was used */
	size_t len;
	bool literal;     /* came as a literal (may contain any octet but NUL) */
};

struct imap_parser {
	char *buf;
	size_t len;
	size_t pos;
	const char *err;
	bool utf8;        /* quoted strings may carry UTF-8 (UTF8=ACCEPT or IMAP4rev2) */
	bool utf8_accept; /* UTF8=ACCEPT itself: SEARCH takes no CHARSET (RFC 6855 3) */
};

void imap_parser_init(struct imap_parser *p, char *buf, size_t len);

bool imap_p_end(const struct imap_parser *p);          /* nothing left */
bool imap_p_peek(const struct imap_parser *p, char c);  /* next byte is c */
bool imap_p_char(struct imap_parser *p, char c);        /* consume c */
bool imap_p_sp(struct imap_parser *p);                  /* exactly one SP */
/* tag: 1*<any ASTRING-CHAR except "+"> */
bool imap_p_tag(struct imap_parser *p, struct imap_str *out);
/* atom: 1*ATOM-CHAR */
bool imap_p_atom(struct imap_parser *p, struct imap_str *out);
/* Case-insensitive keyword match of a whole atom-like word (FETCH item names
 * etc., which may contain '.', '[' are handled by the callers). */
bool imap_p_keyword(struct imap_parser *p, const char *kw);
bool imap_p_quoted(struct imap_parser *p, struct imap_str *out);
bool imap_p_literal(struct imap_parser *p, struct imap_str *out);
bool imap_p_string(struct imap_parser *p, struct imap_str *out);   /* quoted / literal */
bool imap_p_astring(struct imap_parser *p, struct imap_str *out);  /* atom(+']') / string */
bool imap_p_nstring(struct imap_parser *p, struct imap_str *out, bool *is_nil);
/* list-mailbox: 1*(ATOM-CHAR / list-wildcards / resp-specials) / string */
bool imap_p_list_mailbox(struct imap_parser *p, struct imap_str *out);
/* flag: "\" atom / atom (keyword); flag_list: "(" [flag *(SP flag)] ")" */
bool imap_p_flag(struct imap_parser *p, struct imap_str *out);
bool imap_p_number(struct imap_parser *p, uint32_t *out);       /* 0..2^32-1 */
bool imap_p_nz_number(struct imap_parser *p, uint32_t *out);    /* 1..2^32-1 */
bool imap_p_number64(struct imap_parser *p, uint64_t *out);     /* mod-sequence */

/* Sequence sets: kept as text (validated) and iterated on demand, so their
 * size is bounded only by the line. '*' is resolved at use time, '$' by the
 * session (SEARCHRES). */
struct imap_seqset {
	const char *s;
	size_t len;
	bool dollar;
};
bool imap_p_seqset(struct imap_parser *p, struct imap_seqset *out);
/* Does set contain n, given the current largest value (for '*')? */
bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n, uint32_t max);
/* Iterate ranges: *cursor starts at 0; returns true with lo <= hi normalised
 * and '*' replaced by max. */
bool imap_seqset_next(const struct imap_seqset *set, size_t *cursor, uint32_t max,
		      uint32_t *lo, uint32_t *hi);

/* date: "d-mon-yyyy" (quoted or not); date-time: "dd-mon-yyyy hh:mm:ss +zzzz" */
bool imap_p_date(struct imap_parser *p, int64_t *day_utc);   /* seconds at 00:00 UTC */
bool imap_p_date_time(struct imap_parser *p, int64_t *t, int16_t *tz_minutes);

/* Make out NUL-terminated in place if the byte after it is expendable (the
 * caller has finished parsing what followed); returns out->s or NULL if the
 * string contains a NUL. Used for names and passwords handed to C APIs. */
char *imap_str_z(struct imap_str *out);

#endif
