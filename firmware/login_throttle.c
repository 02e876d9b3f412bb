/*
 * login_throttle.c - see login_throttle.h. The table is tiny and scanned
 * linearly; a flood from many sources only recycles its own entries.
 */
#include "login_throttle.h"

static struct {
	uint32_t addr;
	uint32_t last_ms;
	uint16_t fails;           /* 0: slot unused */
} tab[THROTTLE_SLOTS];

static int find(uint32_t addr, uint32_t now_ms, bool create)
{
	int oldest = 0;
	for (int i = 0; i < THROTTLE_SLOTS; i++) {
		if (tab[i].fails && now_ms - tab[i].last_ms > THROTTLE_FORGET_MS)
			tab[i].fails = 0;
		if (tab[i].fails && tab[i].addr == addr)
			return i;
		if (!tab[oldest].fails)
			continue;
		if (!tab[i].fails || now_ms - tab[i].last_ms > now_ms - tab[oldest].last_ms)
			oldest = i;
	}
	if (!create)
		return -1;
	tab[oldest].addr = addr;
	tab[oldest].fails = 0;
	return oldest;
}

uint32_t login_throttle_fail(uint32_t addr, uint32_t now_ms)
{
	int i = find(addr, now_ms, true);
	tab[i].last_ms = now_ms;
	if (tab[i].fails < UINT16_MAX)
		tab[i].fails++;
	if (tab[i].fails <= THROTTLE_FREE)
		return 0;
	uint32_t n = tab[i].fails - THROTTLE_FREE - 1u, d = THROTTLE_BASE_MS;
	while (n-- && d < THROTTLE_MAX_MS)
		d *= 2;
	return d < THROTTLE_MAX_MS ? d : THROTTLE_MAX_MS;
}

void login_throttle_ok(uint32_t addr)
{
	int i = find(addr, 0, false);
	if (i >= 0)
		tab[i].fails = 0;
}
