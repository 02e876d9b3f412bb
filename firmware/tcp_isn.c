/*
 * tcp_isn.c - RFC 6528 initial sequence numbers (see tcp_isn.h).
 */
#include "tcp_isn.h"

#include <stdbool.h>
#include <string.h>

#include "mbedtls/sha256.h"
#include "port.h"

static uint8_t key[16];
static bool keyed;

u32_t tcp_isn(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip,
	      u16_t remote_port)
{
	uint8_t in[sizeof key + 12], h[32];
	uint32_t a;

	/* Without entropy the key stays zero: still a per-connection hash of
	 * the 4-tuple, but guessable; port_entropy() failing is logged once. */
	if (!keyed) {
		if (port_entropy(key, sizeof key) != 0)
			port_log(PORT_LOG_ERR, "tcp_isn: no entropy for the ISN key");
		keyed = true;
	}
	memcpy(in, key, sizeof key);
	a = ip4_addr_get_u32(ip_2_ip4(local_ip));
	memcpy(in + 16, &a, 4);
	a = ip4_addr_get_u32(ip_2_ip4(remote_ip));
	memcpy(in + 20, &a, 4);
	in[24] = (uint8_t)(local_port >> 8);
	in[25] = (uint8_t)local_port;
	in[26] = (uint8_t)(remote_port >> 8);
	in[27] = (uint8_t)remote_port;
	mbedtls_sha256(in, sizeof in, h, 0);
	/* M: a clock ticking every 4 us, so that a reused 4-tuple starts
	 * beyond the previous incarnation's sequence space. */
	return ((u32_t)h[0] | (u32_t)h[1] << 8 | (u32_t)h[2] << 16 | (u32_t)h[3] << 24) +
	       port_now_ms() * 250u;
}
