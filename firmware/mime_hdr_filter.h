/*
 * mime_hdr_filter.h - BODY[HEADER.FIELDS (...)] and HEADER.FIELDS.NOT: a
 * streaming filter over a header's bytes (a mime_range with is_header).
 *
 * Feed the header in chunks of any size; whole field lines whose name is (or,
 * negated, is not) in the list come out, folded continuation lines together
 * with their field. The header's blank line ends the input (anything after
 * it is ignored); mime_hdr_filter_end() then adds a CRLF blank line if the
 * header had one, as Dovecot does. Matching is case-insensitive ASCII. Names are
 * referenced, not copied: they must outlive the filter.
 *
 * To send the result as a literal the caller runs the filter twice: once to
 * count (out = NULL), once to send.
 */
#ifndef MIME_HDR_FILTER_H
#define MIME_HDR_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef MIME_HDR_FILTER_NAMES
#define MIME_HDR_FILTER_NAMES 32   /* field names in one list */
#endif
#define MIME_HDR_FILTER_NAME_MAX 78 /* a longer field name matches nothing */

struct mime_hdr_name {
	const char *s;
	size_t len;
};

struct mime_hdr_filter {
	const struct mime_hdr_name *names;
	uint8_t n;
	bool negate;
	uint8_t st;                /* line state */
	bool keep;                 /* current field selected */
	bool blank;                /* the header's blank line was seen */
	bool name_ws;              /* whitespace after the field name */
	uint32_t cand;             /* names still matching the current field name */
	uint8_t pos;               /* bytes of the current field name */
	uint8_t held_n;
	char held[MIME_HDR_FILTER_NAME_MAX + 2];
};

/* n <= MIME_HDR_FILTER_NAMES; returns false otherwise. */
bool mime_hdr_filter_init(struct mime_hdr_filter *f, const struct mime_hdr_name *names,
			  unsigned n, bool negate);
/* Filter len bytes; out (NULL: count only) needs room for
 * len + MIME_HDR_FILTER_NAME_MAX + 2 bytes. Returns bytes produced. */
size_t mime_hdr_filter_feed(struct mime_hdr_filter *f, const void *in, size_t len, char *out);
/* End of input: flush and add the final blank line; out needs
 * MIME_HDR_FILTER_NAME_MAX + 4 bytes (NULL: count only). */
size_t mime_hdr_filter_end(struct mime_hdr_filter *f, char *out);

#endif
