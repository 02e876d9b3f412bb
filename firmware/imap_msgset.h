/*
 * imap_msgset.h - walking the messages of a sequence set or UID set of the
 * selected mailbox, resumably across slices (FETCH, STORE, COPY, MOVE).
 *
 * The walk keeps only numbers (the range being walked and the next value),
 * never store index positions, so it survives other sessions purging
 * tombstones between slices. Ranges are visited in the order the client gave
 * them; a message named twice (overlapping ranges, "1,1") is visited once,
 * so COPY makes one copy and STORE (UNCHANGEDSINCE) does not report its own
 * change as a conflict (RFC 9051 9 lets a server coalesce overlaps). A UID
 * walk skips UIDs that are not in the view; a sequence walk
 * covers every number (imap_msgset_check() first rejects numbers above the
 * view's message count). '$' (SEARCHRES) walks the session's saved result,
 * always by UID.
 */
#ifndef IMAP_MSGSET_H
#define IMAP_MSGSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap_parse.h"

struct imap_session;

struct imap_msgset {
	struct imap_seqset set;   /* text in the command buffer */
	bool uid;                 /* a UID set */
	bool in_range;
	uint32_t cursor;          /* imap_seqset_next() position */
	uint32_t range_at;        /* cursor where the current range starts */
	uint32_t next, hi;        /* next value to try within the current range */
	uint8_t order;            /* 0: not looked at yet, 1: ranges ascend, 2: they may overlap */
};

/* One message of the walk. */
struct imap_msgset_msg {
	uint32_t seq, uid, idx;
};

void imap_msgset_init(struct imap_msgset *w, const struct imap_seqset *set, bool uid);
/* Sequence sets only: false if a number exceeds the message count (BAD). */
bool imap_msgset_check(struct imap_session *s, const struct imap_seqset *set);
/* Next message; false at the end. */
bool imap_msgset_next(struct imap_session *s, struct imap_msgset *w, struct imap_msgset_msg *m);
/* A message held from one slice to the next: look its index up again by
 * UID (index positions move when tombstones are purged). False if gone. */
bool imap_msgset_refind(struct imap_session *s, uint32_t uid, uint32_t *idx);
/* Back up one message: the next call returns m again (a slice ran out). */
void imap_msgset_again(struct imap_msgset *w, const struct imap_msgset_msg *m);

#endif
