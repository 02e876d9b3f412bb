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

/* The needle is not copied: it is folded in place (folding keeps every
 * character's UTF-8 length) and read from where the caller keeps it, e.g.
 * SEARCH's command buffer, which outlives the command's matchers. */
struct mime_match {
	uint16_t n;                /* needle length */
	uint16_t q;                /* bytes matched so far */
	bool found;
	uint8_t u8n, u8need;       /* partial UTF-8 sequence of the text */
	uint8_t u8[4];
	const uint8_t *needle;     /* the caller's, folded */
	uint8_t fail[MIME_MATCH_MAX];   /* KMP failure function: values < MIME_MATCH_MAX */
};

/* Folds needle[0..len) in place and keeps a pointer to it: the bytes must
 * stay unchanged while the matcher is used. false if len exceeds
 * MIME_MATCH_MAX. An empty needle matches everything. */
bool mime_match_init(struct mime_match *m, void *needle, size_t len);
/* Start a new text with the same needle. */
void mime_match_reset(struct mime_match *m);
/* Feed text; returns true once the needle has been seen (sticky). */
bool mime_match_feed(struct mime_match *m, const void *text, size_t len);

#endif
