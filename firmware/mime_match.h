/*
 * mime_match.h - streaming case-insensitive substring search for SEARCH
 * BODY / TEXT / header keys: the needle is found even when it straddles
 * chunk boundaries (KMP over case-folded UTF-8, bounded state).
 *
 * Folding: ASCII letters, Latin-1 Supplement and Latin Extended-A capitals
 * to their small letters (U+00C0..U+00DE, U+0100..U+017F pairs). Other
 * bytes, including invalid UTF-8, compare exactly.
 */
#ifndef MIME_MATCH_H
#define MIME_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef MIME_MATCH_MAX
#define MIME_MATCH_MAX 256         /* needle bytes after folding */
#endif

struct mime_match {
	uint16_t n;                /* needle length */
	uint16_t q;                /* bytes matched so far */
	bool found;
	uint8_t u8n, u8need;       /* partial UTF-8 sequence of the text */
	uint8_t u8[4];
	uint8_t needle[MIME_MATCH_MAX];
	uint16_t fail[MIME_MATCH_MAX];
};

/* false if the folded needle exceeds MIME_MATCH_MAX. An empty needle
 * matches everything. */
bool mime_match_init(struct mime_match *m, const void *needle, size_t len);
/* Start a new text with the same needle. */
void mime_match_reset(struct mime_match *m);
/* Feed text; returns true once the needle has been seen (sticky). */
bool mime_match_feed(struct mime_match *m, const void *text, size_t len);

#endif
