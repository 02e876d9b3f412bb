/*
 * imap_searchres.h - a session's saved search result (SEARCHRES, RFC 5182):
 * the messages a SEARCH ... RETURN (SAVE) found, which '$' then names in
 * FETCH, STORE, COPY, MOVE, UID EXPUNGE and SEARCH.
 *
 * It is kept as ascending UID runs, not as sequence numbers: RFC 5182 2.1
 * has an expunged message leave the result, and a UID simply stops naming
 * anything once its message is gone, so expunges (ours or another session's)
 * need no bookkeeping here. A run may span UIDs that no message has (a UID
 * is never reused), so a result costs one run per block of messages that are
 * consecutive in the mailbox, however sparse their UIDs. The bound is
 * IMAPD_SEARCHRES_RUNS; a result that needs more is not saved (the SEARCH
 * answers NO [LIMIT] and the saved result is empty, as after any failed
 * SEARCH ... SAVE).
 */
#ifndef IMAP_SEARCHRES_H
#define IMAP_SEARCHRES_H

#include <stdbool.h>
#include <stdint.h>

#ifndef IMAPD_SEARCHRES_RUNS
#define IMAPD_SEARCHRES_RUNS 16
#endif

struct imap_searchres {
	uint16_t n;               /* runs in use */
	bool overflow;            /* an add did not fit: the result is incomplete */
	uint32_t lo[IMAPD_SEARCHRES_RUNS], hi[IMAPD_SEARCHRES_RUNS];
};

void imap_searchres_clear(struct imap_searchres *r);
/* Add uid, greater than every UID added before. joined: the mailbox has no
 * message between the last UID added and this one that was left out, so the
 * last run may grow over the gap. False (and overflow set) when a new run is
 * needed and none is left. */
bool imap_searchres_add(struct imap_searchres *r, uint32_t uid, bool joined);
bool imap_searchres_contains(const struct imap_searchres *r, uint32_t uid);
/* Run i as lo..hi; false past the last run. */
bool imap_searchres_run(const struct imap_searchres *r, uint32_t i, uint32_t *lo, uint32_t *hi);

#endif
