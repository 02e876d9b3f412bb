/*
 * net.h - the board's network: lwIP over the LAN9118, DHCP or static IPv4.
 */
#ifndef NET_H
#define NET_H

#include <stdbool.h>
#include <stdint.h>

/* ip == 0: DHCP. Addresses in network byte order. 0 or -1. */
int net_init(uint32_t ip, uint32_t netmask, uint32_t gw, const char *hostname);
/* One pass: received frames, link state, lwIP timers. */
void net_poll(void);
/* Nothing to do until the next frame or tick: sleep (WFI) till then. */
void net_idle(void);
void net_irq_handler(void);   /* vector of the LAN9118 interrupt */
/* Non-zero once the interface has an address (lease or static). */
bool net_ready(void);
/* The address, network byte order, and as text (for the console). */
uint32_t net_addr(void);
const char *net_addr_str(void);

#endif
