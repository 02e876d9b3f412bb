/*
 * imap_match.h - LIST/LSUB mailbox pattern matching (RFC 3501 6.3.8).
 *
 * Patterns and names are UTF-8 (the session decodes modified UTF-7 patterns
 * first; '*' and '%' never occur inside an encoded run). '*' matches any
 * characters, '%' any except the hierarchy delimiter '/'. Matching is
 * case-sensitive except for INBOX: a name that is "INBOX" in any case, or
 * starts with "INBOX/" in any case, has those five letters compared
 * case-insensitively.
 *
 * Patterns and names longer than IMAP_MATCH_MAX bytes never match (callers
 * reject such patterns up front with imap_match_combine()'s error).
 * Matching is a bounded NFA simulation: O(pattern * name), no recursion.
 */
#ifndef IMAP_MATCH_H
#define IMAP_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#define IMAP_MATCH_DELIM '/'
#ifndef IMAP_MATCH_MAX
#define IMAP_MATCH_MAX 255
#endif

/* Does name match pattern? */
bool imap_match(const char *pat, size_t plen, const char *name, size_t nlen);
/* Could some mailbox below name (a name "name/...") match pattern? Used to
 * prune hierarchy walks and for LIST-EXTENDED RECURSIVEMATCH / CHILDREN. */
bool imap_match_children(const char *pat, size_t plen, const char *name, size_t nlen);
/* Combine LIST reference and mailbox pattern into out (NUL-terminated):
 * empty reference -> pattern; a pattern starting with the delimiter is
 * absolute and ignores the reference; otherwise reference + pattern.
 * Returns the length, or -1 if it does not fit in cap or exceeds
 * IMAP_MATCH_MAX. */
int imap_match_combine(const char *ref, size_t rlen, const char *pat, size_t plen, char *out,
		       size_t cap);

#endif
