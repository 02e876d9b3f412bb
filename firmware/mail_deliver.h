/*
 * mail_deliver.h - mail from the device itself (welcome, boot reports,
 * alerts): streams a message into a user's mailbox exactly as APPEND does,
 * with the MIME metadata FETCH needs, so that a session with the mailbox
 * selected reports it as EXISTS on its next poll.
 *
 * The message is given in chunks (begin / write... / commit), or whole
 * (mail_deliver). One struct mail_delivery per concurrent delivery,
 * statically allocated by the caller (about 5.6 KiB: the MIME parser and
 * its metadata blob).
 */
#ifndef MAIL_DELIVER_H
#define MAIL_DELIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "mime.h"
#include "store.h"

struct mail_delivery {
	struct store *store;
	struct store_append *append;   /* NULL when idle */
	uint32_t left;                 /* bytes still to come */
	uint32_t blob_len;
	bool parsed;                   /* blob complete (commit may be retried) */
	struct mime_parser parser;
	uint8_t blob[MIME_BLOB_MAX];
};

/* Start a message of exactly size bytes for user's mailbox (UTF-8 name, e.g.
 * "INBOX"), dated now (port_time_unix) with flags STORE_F_*. Returns
 * STORE_OK, STORE_NOENT (no such mailbox), STORE_NOSPACE, STORE_BUSY, ... */
int mail_deliver_begin(struct mail_delivery *d, struct store *s, const char *user,
		       const char *mailbox, uint32_t size, uint32_t flags);
/* Bytes accepted (> 0; the rest is for the next call), STORE_AGAIN (run
 * store_poll() and retry), or an error, after which the delivery is aborted.
 * Writing more than the announced size is STORE_INVAL. */
int mail_deliver_write(struct mail_delivery *d, const void *buf, uint32_t len);
/* All size bytes written: attach the metadata, make it durable, *uid set.
 * STORE_AGAIN: run store_poll() and call again. */
int mail_deliver_commit(struct mail_delivery *d, uint32_t *uid);
void mail_deliver_abort(struct mail_delivery *d);

/* The whole message from memory, running store_poll() whenever the store
 * asks for room (bounded: gives up with STORE_NOSPACE when garbage
 * collection has nothing left to do). For short messages at start-up or
 * from the main loop. */
int mail_deliver(struct mail_delivery *d, struct store *s, const char *user,
		 const char *mailbox, const void *msg, uint32_t len, uint32_t flags,
		 uint32_t *uid);

/* RFC 5322 date-time for a Date: header, e.g. "Tue, 03 Nov 2026 18:04:05 +0100".
 * Writes at most MAIL_DATE_MAX bytes including the NUL; returns the length. */
#define MAIL_DATE_MAX 40
int mail_date_format(int64_t t, int tz_minutes, char out[MAIL_DATE_MAX]);

#endif
