/*
 * transport.h - the byte pipe under an IMAP session: plain TCP or TLS.
 *
 * Pull model: the session reads input when it is ready for it, so receive
 * back-pressure is natural (a plain transport calls tcp_recved only for the
 * bytes the session has read; a TLS transport decrypts only when asked).
 * Output is accepted only as far as there is room; the session keeps the
 * rest and retries when the transport calls imap_session_run() again after a
 * `sent` event. Nothing here blocks.
 */
#ifndef TRANSPORT_H
#define TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

struct transport;

struct transport_ops {
	/* Copy up to len received bytes into buf. Returns the count (0: none now). */
	size_t (*read)(struct transport *t, void *buf, size_t len);
	/* Queue up to len bytes for sending; returns the count accepted. */
	size_t (*write)(struct transport *t, const void *buf, size_t len);
	/* Bytes write() would accept right now. */
	size_t (*write_space)(struct transport *t);
	/* Push queued output onto the wire now. */
	void (*flush)(struct transport *t);
	/* STARTTLS: discard any received, unread plaintext and begin a server
	 * handshake. 0 on success, -1 if TLS is unavailable (no free TLS slot). */
	int (*start_tls)(struct transport *t);
	/* Would start_tls() find a TLS context now? Lets STARTTLS answer NO
	 * instead of OK-then-BYE when every TLS slot is busy. May be NULL
	 * (unknown: STARTTLS is tried). */
	int (*can_start_tls)(const struct transport *t);
	/* Non-zero once the pipe is encrypted (handshake done). */
	int (*is_secure)(const struct transport *t);
	/* Close after queued output has been sent. The session must not use the
	 * transport afterwards; the server calls imap_session_closed(). */
	void (*close)(struct transport *t);
	/* Peer IPv4 address (network order) for logs and login throttling. */
	uint32_t (*peer_addr)(const struct transport *t);
};

struct transport {
	const struct transport_ops *ops;
};

#endif
