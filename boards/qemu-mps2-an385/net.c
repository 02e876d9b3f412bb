/*
 * net.c - lwIP bring-up for the board and the hooks lwIP needs from it
 * (sys_now, LWIP_RAND, diagnostics).
 */
#include "net.h"

#include <stdarg.h>
#include <stdio.h>

#include "board.h"
#include "lan9118.h"
#include "lwip/dhcp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"
#include "port.h"
#include "semihost.h"

static struct netif net_if;
static uint32_t net_rand_state;
static bool net_dhcp;

u32_t sys_now(void)
{
	return port_now_ms();
}

/* xorshift32 seeded from the entropy source: DHCP ids and ephemeral ports
 * need to differ between boots, not to be secret. */
uint32_t net_rand(void)
{
	uint32_t x = net_rand_state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	net_rand_state = x;
	return x;
}

void net_lwip_diag(const char *fmt, ...)
{
	char line[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	port_log(PORT_LOG_DEBUG, "lwip: %s", line);
}

void net_lwip_assert(const char *msg, const char *file, int line)
{
	port_log(PORT_LOG_ERR, "lwip assertion \"%s\" failed at %s:%d", msg, file, line);
	semihost_exit(4);
}

int net_init(uint32_t ip, uint32_t netmask, uint32_t gw, const char *hostname)
{
	ip4_addr_t a, m, g;

	if (port_entropy(&net_rand_state, sizeof(net_rand_state)) != 0)
		net_rand_state = port_now_ms();
	net_rand_state |= 1u;   /* xorshift must not start at 0 */
	lwip_init();
	ip4_addr_set_u32(&a, ip);
	ip4_addr_set_u32(&m, netmask);
	ip4_addr_set_u32(&g, gw);
	if (!netif_add(&net_if, &a, &m, &g, (void *)BOARD_LAN9118_BASE, lan9118_netif_init,
		       ethernet_input))
		return -1;
	netif_set_hostname(&net_if, hostname);
	netif_set_default(&net_if);
	netif_set_up(&net_if);
	net_dhcp = ip == 0;
	if (net_dhcp && dhcp_start(&net_if) != ERR_OK)
		return -1;
	return 0;
}

#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define NVIC_ICER0 (*(volatile uint32_t *)0xE000E180u)
#define NET_IRQ_BIT (1u << BOARD_LAN9118_IRQ)

/* The NIC's interrupt only ends a WFI: mask it until the main loop has
 * drained the chip (the line stays high until then). */
void net_irq_handler(void)
{
	NVIC_ICER0 = NET_IRQ_BIT;
}

void net_poll(void)
{
	lan9118_poll(&net_if);
	NVIC_ISER0 = NET_IRQ_BIT;
	sys_check_timeouts();
}

void net_idle(void)
{
	/* Sleep until the next interrupt: a frame, or the 1 ms tick. */
	if (!lan9118_rx_pending(&net_if))
		__asm__ volatile("wfi");
}

bool net_ready(void)
{
	if (!netif_is_link_up(&net_if))
		return false;
	return net_dhcp ? dhcp_supplied_address(&net_if) : !ip4_addr_isany_val(*netif_ip4_addr(&net_if));
}

uint32_t net_addr(void)
{
	return ip4_addr_get_u32(netif_ip4_addr(&net_if));
}

const char *net_addr_str(void)
{
	static char buf[IP4ADDR_STRLEN_MAX];
	return ip4addr_ntoa_r(netif_ip4_addr(&net_if), buf, sizeof(buf));
}
