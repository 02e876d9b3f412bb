/*
 * imap_msgdata.h - one message's bytes and MIME structure for the duration
 * of a handler step (FETCH, SEARCH).
 *
 * The scratch behind it (the metadata blob, the MIME view's work area and
 * chunk buffers: about 14 KiB) is shared by every session: a step runs to
 * completion before any other starts (single task), so nothing here is
 * assumed to survive between steps. The last blob loaded is remembered by
 * (mailbox, UIDVALIDITY, UID), which makes reopening the same message in
 * the next step free while no other session used the scratch in between.
 */
#ifndef IMAP_MSGDATA_H
#define IMAP_MSGDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mime.h"

struct imap_session;

#ifndef IMAPD_MSG_CHUNK
#define IMAPD_MSG_CHUNK 1024       /* message bytes read per call */
#endif

/* The MIME view of the message at store index idx (with its UID, the cache
 * key) of the selected mailbox; NULL if its metadata is unreadable. Valid
 * until the step returns. */
const struct mime_view *imap_msgdata_view(struct imap_session *s, uint32_t idx, uint32_t uid);
/* Message bytes: store_msg_read() of the selected mailbox. */
int imap_msgdata_read(struct imap_session *s, uint32_t idx, uint32_t off, void *buf,
		      uint32_t len);
/* Chunk buffers for the step: raw holds IMAPD_MSG_CHUNK bytes, work
 * IMAPD_MSGDATA_WORK bytes: a decoder's or header filter's output of one
 * chunk, a SEARCH header stage's RFC 2047 words, or a piece of a rendered
 * structure (each user checks the room it needs). */
#define IMAPD_MSGDATA_WORK (IMAPD_MSG_CHUNK + 3 * 76 + 256)
char *imap_msgdata_raw(void);
char *imap_msgdata_work(void);

#endif
