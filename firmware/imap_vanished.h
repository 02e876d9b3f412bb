/*
 * imap_vanished.h - "* VANISHED (EARLIER) uid-set" (QRESYNC, RFC 7162
 * 3.2.10), written in slices.
 *
 * The store keeps an expunged message only until every session has been
 * told (a tombstone), not a history of expunges, so what this reports is the
 * complement: every UID below UIDNEXT that no live message of the mailbox
 * has, narrowed to the client's UID set if it gave one. That includes UIDs
 * expunged before the client's mod-sequence and UIDs never used, both of
 * which RFC 7162 3.2.5.1 and 3.2.6 leave to the client to ignore; it never
 * includes a UID that still exists. The answer costs one range per gap
 * between live UIDs, found by walking the index in UID order.
 */
#ifndef IMAP_VANISHED_H
#define IMAP_VANISHED_H

#include <stdbool.h>
#include <stdint.h>

#include "imap_parse.h"

struct imap_session;

struct imap_vanished {
	uint32_t top;             /* UIDNEXT - 1 when the walk began */
	bool filtered, started, done, in_range;
	struct imap_seqset filter;   /* the client's UID set (text in the command) */
	size_t cursor;            /* next range of the filter */
	uint32_t pos, end;        /* the range being walked: UIDs pos..end left */
};

/* top: the mailbox's UIDNEXT - 1. filter: NULL for all UIDs. */
void imap_vanished_init(struct imap_vanished *w, uint32_t top, const struct imap_seqset *filter);
/* Write the next VANISHED (EARLIER) line(s); IMAP_MORE until IMAP_DONE. */
int imap_vanished_step(struct imap_session *s, struct imap_vanished *w);

#endif
