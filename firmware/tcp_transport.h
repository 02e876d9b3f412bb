/*
 * tcp_transport.h - struct transport over an lwIP raw-API TCP pcb.
 *
 * Received pbufs are queued as they arrive and handed out by read(); only
 * what the session has read is acknowledged with tcp_recved(), so a session
 * that stops reading closes the TCP window. write() copies into lwIP's send
 * buffer as far as tcp_sndbuf()/tcp_sndqueuelen() allow.
 *
 * The lwIP callbacks themselves belong to the server (imapd.c), which feeds
 * this module with tcp_transport_rx() and acts on its state. A TLS transport
 * wraps one of these as its ciphertext pipe.
 */
#ifndef TCP_TRANSPORT_H
#define TCP_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "transport.h"

struct tcp_pcb;
struct pbuf;

struct tcp_transport {
	struct transport t;       /* first: the session's handle */
	struct tcp_pcb *pcb;      /* NULL once lwIP has freed it */
	struct pbuf *rx;          /* received, not yet read (one chain) */
	uint32_t peer;            /* IPv4, network order */
	uint16_t peer_port;       /* for logs: valid after the pcb is gone */
	bool eof;                 /* the peer has sent FIN */
	bool closing;             /* close() was called */
};

/* Bind to an accepted pcb (callbacks are the caller's business). */
void tcp_transport_init(struct tcp_transport *tt, struct tcp_pcb *pcb);
/* Queue a received pbuf (takes the reference); p == NULL records FIN. */
void tcp_transport_rx(struct tcp_transport *tt, struct pbuf *p);
/* Bytes received and not yet read. */
uint32_t tcp_transport_unread(const struct tcp_transport *tt);
/* Drop unread input (and open the window for it). */
void tcp_transport_discard(struct tcp_transport *tt);
/* All output has been sent and acknowledged. */
bool tcp_transport_drained(const struct tcp_transport *tt);
/* The pcb is gone or about to be: free queued input, forget the pcb. */
void tcp_transport_detach(struct tcp_transport *tt);

#endif
