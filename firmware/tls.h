/*
 * tls.h - TLS for IMAP sessions: Mbed TLS 3.6 over any plain transport.
 *
 * A struct tls_conn sits between a session and the connection's plain TCP
 * transport and is itself a struct transport (transport.h). It starts as a
 * pass-through (port 143) and turns into a TLS server either at once (port
 * 993, tls_conn_start) or on STARTTLS (the transport's start_tls op). The
 * session never learns which.
 *
 * Mbed TLS allocates only from a static arena sized for
 * IMAPD_MAX_TLS_SESSIONS concurrent sessions of which one is handshaking
 * (docs/tls.md has the measured figures). A connection that wants TLS while
 * no context is free, or while another handshake runs, waits in a queue,
 * its ClientHello unread, and starts in turn.
 *
 * The device's key and certificate live in the store ("tls/key",
 * "tls/cert", "tls/chain/N"), generated on first start if absent.
 */
#ifndef TLS_H
#define TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport.h"

struct store;
struct tls_session;   /* a pooled Mbed TLS context, private to tls.c */

struct tls_conn {
	struct transport base;       /* what the session is given */
	struct transport *plain;     /* the TCP transport underneath */
	struct tls_session *ses;     /* NULL while plaintext or waiting */
	struct tls_conn *next_wait;  /* the queue of connections waiting to start */
	uint32_t wait_ms;            /* when it joined that queue */
	uint8_t state;               /* enum tls_conn_state in tls.c */
	bool out_pending;            /* a record is only partly handed to plain */
};

/* Errors (negative) of tls_init, tls_install_pem and tls_fingerprint. */
enum tls_err {
	TLS_OK = 0,
	TLS_ERR_CRYPTO = -1,      /* Mbed TLS/PSA start-up or entropy failed */
	TLS_ERR_STORE = -2,       /* the store refused a read or write */
	TLS_ERR_CERT = -3,        /* not PEM/DER X.509, or signed with an algorithm
				     this build lacks (only ECDSA is built in) */
	TLS_ERR_KEY = -4,         /* key not an unencrypted PEM/DER private key */
	TLS_ERR_KEYTYPE = -5,     /* key is not ECDSA P-256 (the only kind built in) */
	TLS_ERR_MISMATCH = -6,    /* the certificate is not for this key */
	TLS_ERR_TOOBIG = -7,      /* a certificate exceeds a store record, or the
				     chain does not fit one TLS Certificate message */
	TLS_ERR_NOTREADY = -8,    /* tls_init has not succeeded */
};
const char *tls_strerror(int err);

/* Arena and PSA crypto start-up; idempotent. Every Mbed TLS call needs it
 * first, including PBKDF2 for password hashes (tls_init calls it). */
int tls_crypto_init(void);

/* Load the key and certificate from the store, or generate and persist a
 * P-256 key and a self-signed certificate (CN hostname; SAN DNS hostname,
 * DNS localhost, IP 127.0.0.1 and ipv4 if non-zero, network order), and set
 * up the server configuration. Idempotent once it has succeeded. */
int tls_init(struct store *s, const char *hostname, uint32_t ipv4);

/* SHA-256 of the certificate in use, "AB:CD:..." (95 chars + NUL), for the
 * platform to print on its console at start-up. */
#define TLS_FINGERPRINT_LEN 96
int tls_fingerprint(char out[TLS_FINGERPRINT_LEN]);

/* Replace the stored key and certificate with a user's (NUL-terminated PEM:
 * the server certificate first, then any intermediates; an unencrypted
 * P-256 private key). Everything is checked before the store is touched.
 * The running server keeps its current certificate until the next start. */
int tls_install_pem(struct store *s, const char *cert_pem, const char *key_pem);

/* A new connection: plaintext pass-through over plain; its ops serve the
 * session. */
void tls_conn_init(struct tls_conn *c, struct transport *plain);
static inline struct transport *tls_conn_transport(struct tls_conn *c)
{
	return &c->base;
}
/* Start the server handshake (implicit TLS) as soon as a TLS context is
 * free and no other handshake runs; until then the connection waits, first
 * come first served, and is closed if its turn has not come within
 * TLS_WAIT_TIMEOUT_MS (tls.c). -1 if TLS is not initialised or already
 * started: close the connection at once. */
int tls_conn_start(struct tls_conn *c);
/* Start a waiting handshake whose turn has come, advance a handshake by one
 * bounded slice, or end either after its timeout. Returns true when the
 * session should run because the handshake just finished (output can now
 * flow) or failed (the plain transport has been closed). Call it on every
 * pass of the server's loop. */
bool tls_conn_poll(struct tls_conn *c);
/* More handshake work is ready without waiting for the network (a slice,
 * or a waiting handshake that may start now). */
bool tls_conn_pending(const struct tls_conn *c);
/* The connection is gone: return the TLS context to the pool. Idempotent. */
void tls_conn_release(struct tls_conn *c);

/* TLS counters, for logs and the benchmark. session_peak is measured only
 * in builds with IMAPD_TLS_MEASURE (0 otherwise). */
struct tls_stats {
	size_t arena_size;
	size_t arena_used;           /* bytes incl. block headers, now */
	size_t arena_failures;       /* requests the arena refused, and bad frees */
	size_t session_peak;         /* largest one-session handshake peak seen */
	unsigned sessions;           /* TLS contexts in use */
	unsigned waiting;            /* connections queued for a context or their turn */
	uint32_t handshakes, failures;
	uint32_t queued;             /* connections that had to wait */
	uint32_t refused;            /* closed: no turn in time, or no memory */
};
void tls_get_stats(struct tls_stats *st);

#endif
