/*
 * test_tcp_isn.c - RFC 6528 initial sequence numbers.
 */
#include "tcp_isn.h"

#include "port.h"
#include "unit.h"

static ip_addr_t addr(u8_t a, u8_t b, u8_t c, u8_t d)
{
	ip_addr_t ip;

	IP_ADDR4(&ip, a, b, c, d);
	return ip;
}

/* Two peers (or ports) never share an ISN sequence; bits look random. */
TEST(differs_per_connection)
{
	ip_addr_t local = addr(10, 0, 2, 15), peer = addr(10, 0, 2, 2);
	u32_t seen[64];
	u32_t ones = 0;

	for (unsigned i = 0; i < 64; i++) {
		seen[i] = tcp_isn(&local, 143, &peer, (u16_t)(40000 + i));
		for (unsigned j = 0; j < i; j++)
			CHECK(seen[i] != seen[j]);
		ones += (u32_t)__builtin_popcount(seen[i]);
	}
	/* 64 x 32 bits: expect ~1024 ones; a counter-like ISN would be far off. */
	CHECK(ones > 850 && ones < 1200);
}

/* The same connection's ISN advances with the 4 us clock (RFC 6528 M). */
TEST(advances_with_time)
{
	ip_addr_t local = addr(10, 0, 2, 15), peer = addr(10, 0, 2, 2);
	uint32_t t0 = port_now_ms();
	u32_t a = tcp_isn(&local, 993, &peer, 5555);
	u32_t b;

	while (port_now_ms() - t0 < 20)
		;
	b = tcp_isn(&local, 993, &peer, 5555);
	CHECK(b - a >= 19u * 250u && b - a <= 200u * 250u);
}

int main(void)
{
	RUN(differs_per_connection);
	RUN(advances_with_time);
	return UNIT_DONE();
}
