/*
 * imapd.h - the server as the platform's main loop sees it.
 *
 * The platform brings up lwIP (NO_SYS=1) and a netif, mounts the store, then
 * calls imapd_start() once and imapd_poll() on every pass of its main loop
 * (after sys_check_timeouts()). Everything happens in that one task.
 */
#ifndef IMAPD_H
#define IMAPD_H

#include <stdint.h>
#include <stdbool.h>

struct store;

struct imapd_options {
	uint16_t port;            /* plain IMAP (STARTTLS), 0 = off; usually 143 */
	uint16_t tls_port;        /* implicit TLS, 0 = off; usually 993 */
	bool allow_plaintext;     /* permit LOGIN/AUTHENTICATE before TLS */
	struct store *store;      /* mounted mail store */
	const char *hostname;     /* greeting and certificate */
};

int imapd_start(const struct imapd_options *opt);  /* 0 or negative lwIP err */
/* Run pending session work, timeouts, a store GC slice. Returns how many ms
 * the caller may sleep (waiting for network events) before the next call;
 * 0 while work is pending. */
uint32_t imapd_poll(void);
void imapd_stop(void);      /* close listeners and sessions (host SIGTERM) */
/* The port a listener is open on (tls: the implicit-TLS one), 0 if none. */
uint16_t imapd_port(bool tls);

#endif
