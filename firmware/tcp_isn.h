/*
 * tcp_isn.h - unpredictable TCP initial sequence numbers (RFC 6528) for
 * lwIP, whose default ISN only counts up and so lets an off-path attacker
 * guess the sequence space of a session and inject into it.
 *
 * A platform enables it in its lwipopts.h:
 *     #define LWIP_HOOK_FILENAME "tcp_isn.h"
 *     #define LWIP_HOOK_TCP_ISN tcp_isn
 */
#ifndef TCP_ISN_H
#define TCP_ISN_H

#include "lwip/ip_addr.h"

/* ISN = 4-microsecond clock + keyed hash of the connection's addresses and
 * ports; the key comes from port_entropy() on first use. */
u32_t tcp_isn(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip,
	      u16_t remote_port);

#endif
