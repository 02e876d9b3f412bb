/*
 * slirp_netif.h - the host build's network card: an lwIP netif whose
 * Ethernet frames go to and come from libslirp (QEMU's user-mode network
 * stack). slirp plays the LAN (10.0.2.0/24, gateway and DHCP server
 * 10.0.2.2) and forwards 127.0.0.1 ports on the host to lwIP's address.
 * No root, no TAP; everything runs in the one thread that calls
 * slirp_netif_poll().
 */
#ifndef SLIRP_NETIF_H
#define SLIRP_NETIF_H

#include <stdbool.h>
#include <stdint.h>

struct netif;

/* Create slirp, add and bring up the netif, start DHCP. 0 or -1. */
int slirp_netif_init(struct netif *nif);
/* The DHCP lease is bound (forwards need the guest address). */
bool slirp_netif_ready(const struct netif *nif);
/* Forward 127.0.0.1:host_port to the netif's address, guest_port.
 * 0, or -errno (EADDRINUSE: the host port is taken). */
int slirp_netif_forward(const struct netif *nif, uint16_t host_port, uint16_t guest_port);
/* One pass: wait up to timeout_ms for host sockets, let slirp work, then
 * hand the frames slirp produced to lwIP. Returns early on a signal. */
void slirp_netif_poll(struct netif *nif, uint32_t timeout_ms);
void slirp_netif_shutdown(void);

/* A barrier between the server's writes and the packets that acknowledge
 * them (group commit): while pending() says writes are not yet durable,
 * frames lwIP sends are held; slirp_netif_release() (called by
 * slirp_netif_poll() before it waits, and by the main loop after the
 * server's pass) calls pass() once, making every write so far durable, and
 * then lets the held frames go. pass() must succeed or not return. */
struct slirp_netif_barrier {
	bool (*pending)(void *ctx);
	void (*pass)(void *ctx);
	void *ctx;
};
void slirp_netif_set_barrier(const struct slirp_netif_barrier *b);
void slirp_netif_release(void);

#endif
