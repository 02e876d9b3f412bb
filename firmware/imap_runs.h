/*
 * imap_runs.h - a bounded list of number runs lo..hi (UIDs or sequence
 * numbers), in the order they were added: the sets the server remembers
 * while a command runs or between commands.
 *
 *   COPYUID (UIDPLUS): source and destination UIDs, in walk order, so the
 *     two lists correspond (imap_cmd_copy.c);
 *   MODIFIED (CONDSTORE): the messages an UNCHANGEDSINCE test failed for,
 *     in walk order, which any sequence set may be (imap_cmd_store.c);
 *   '$' (SEARCHRES): the saved search result, ascending UIDs
 *     (imap_cmd_search.c, imap_msgset.c, imap_expunge.c).
 *
 * A number one above the last run's end extends it; with `joined` any
 * larger number does, for a caller that knows no number in between belongs
 * elsewhere (SEARCHRES: the mailbox has no message between the last match
 * and this one, so the run can span UIDs no message has). Beyond
 * IMAPD_RUNS_MAX runs the list is marked overflowed and stops changing; each
 * user decides what an incomplete list means for it.
 */
#ifndef IMAP_RUNS_H
#define IMAP_RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef IMAPD_RUNS_MAX
#define IMAPD_RUNS_MAX 16
#endif

struct imap_runs {
	uint16_t n;               /* runs in use */
	bool overflow;            /* an add did not fit: the list is incomplete */
	uint32_t lo[IMAPD_RUNS_MAX], hi[IMAPD_RUNS_MAX];
};

void imap_runs_clear(struct imap_runs *r);
/* Add v after everything added so far (see above for joined). False (and
 * overflow set) when a new run is needed and none is left. */
bool imap_runs_add(struct imap_runs *r, uint32_t v, bool joined);
/* Membership; the runs must be ascending (SEARCHRES). */
bool imap_runs_contains(const struct imap_runs *r, uint32_t v);
/* Run i as lo..hi; false past the last run. */
bool imap_runs_run(const struct imap_runs *r, uint32_t i, uint32_t *lo, uint32_t *hi);
/* As a sequence set, "1:3,7", NUL-terminated; false if the list is empty,
 * overflowed, or does not fit cap. */
bool imap_runs_text(const struct imap_runs *r, char *out, size_t cap);

#endif
