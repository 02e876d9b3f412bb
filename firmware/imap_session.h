/*
 * imap_session.h - one IMAP connection's protocol engine, as the server
 * (imapd.c) drives it. The session sees only a struct transport; it knows
 * nothing of lwIP, TLS or sockets.
 *
 * Event contract: the server calls imap_session_run() whenever input may have
 * arrived, output space may have freed, or on its periodic poll. run() does a
 * bounded slice of work and returns; if imap_session_pending() is then true
 * the server calls run() again on its next poll pass, without waiting for a
 * network event.
 */
#ifndef IMAP_SESSION_H
#define IMAP_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "imapd.h"
#include "transport.h"

struct imap_session;   /* layout in imap_session_impl.h */

struct imap_server_info {
	const struct imapd_options *opt;
	bool starttls_available;   /* the transport can do STARTTLS */
};

/* A slot was taken for a new connection: send the greeting (it goes out once
 * the transport can write, i.e. after a TLS handshake on the TLS port). */
void imap_session_open(struct imap_session *s, struct transport *t,
		       const struct imap_server_info *srv);
void imap_session_run(struct imap_session *s);
bool imap_session_pending(const struct imap_session *s);
/* Periodic timer: idle timeouts, IDLE/mailbox change notifications. */
void imap_session_tick(struct imap_session *s, uint32_t now_ms);
/* The connection is gone (reset, peer close, or after transport close()):
 * release store handles; the slot may be reused afterwards. */
void imap_session_closed(struct imap_session *s);

#include "imap_session_impl.h"

#endif
