/*
 * lan9118.h - SMSC LAN9118 Ethernet controller as an lwIP netif (polled).
 *
 * Usage: netif_add(&nif, ..., lan9118_netif_init, ethernet_input), then call
 * lan9118_poll() on every pass of the main loop: it hands received frames to
 * lwIP and tracks the PHY link. The chip's interrupt line (IRQ 13 on this
 * board) is raised while a received frame waits; the board uses it only to
 * wake from sleep.
 */
#ifndef LAN9118_H
#define LAN9118_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/err.h"
#include "lwip/netif.h"

struct lan9118_stats {
	uint32_t rx_frames, rx_errors, rx_nobuf;
	uint32_t tx_frames, tx_errors, tx_timeouts;
};

/* netif init callback; netif->state must point to the register base. */
err_t lan9118_netif_init(struct netif *nif);
void lan9118_poll(struct netif *nif);
/* A received frame waits in the chip. */
bool lan9118_rx_pending(const struct netif *nif);
const struct lan9118_stats *lan9118_get_stats(void);

#endif
