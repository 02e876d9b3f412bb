/*
 * port.c - port.h for the QEMU board: the tick, the host's clock and
 * entropy through semihosting, logs on UART0.
 *
 * Entropy is the host's /dev/urandom XORed with a SHA-256 keystream of a
 * seed kept in the store, which every boot replaces with a hash of the old
 * seed and fresh input before anything uses it. A board without a hardware
 * RNG keeps the same scheme with only the stored seed: still a different
 * stream on every boot.
 */
#include "port.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mbedtls/sha256.h"
#include "store.h"

#include "board_config.h"
#include "board.h"
#include "clock.h"
#include "semihost.h"
#include "uart.h"

static int64_t port_boot_unix;    /* host wall clock at boot */
static uint32_t port_boot_ms;     /* tick at that moment */
static int port_urandom = -1;

#define SEED_KEY "board/seed"
#define SEED_LEN 32
static uint8_t port_seed[SEED_LEN];
static bool port_seeded;
static uint32_t port_seed_ctr;

void port_board_init(void)
{
	port_boot_unix = semihost_time();
	port_boot_ms = clock_ms();
	port_urandom = semihost_open("/dev/urandom", SEMIHOST_MODE_RB);
}

uint32_t port_now_ms(void)
{
	return clock_ms();
}

int64_t port_time_unix(void)
{
	return port_boot_unix + (int64_t)((clock_ms() - port_boot_ms) / 1000u);
}

int port_tz_minutes(void)
{
	return board_config.tz_minutes;
}

int port_entropy(void *buf, size_t len)
{
	uint8_t *out = buf;
	bool fresh = port_urandom != -1 && semihost_read(port_urandom, buf, len) == 0;

	if (!fresh) {
		if (!port_seeded)
			return -1;
		memset(buf, 0, len);
	}
	if (!port_seeded)
		return 0;
	for (size_t off = 0; off < len; off += SEED_LEN) {
		uint8_t block[SEED_LEN + 4], ks[32];
		memcpy(block, port_seed, SEED_LEN);
		memcpy(block + SEED_LEN, &port_seed_ctr, 4);
		port_seed_ctr++;
		if (mbedtls_sha256(block, sizeof(block), ks, 0) != 0)
			return -1;
		for (size_t i = 0; i < SEED_LEN && off + i < len; i++)
			out[off + i] ^= ks[i];
	}
	return 0;
}

int port_entropy_seed(struct store *s)
{
	uint8_t in[SEED_LEN * 2 + 12] = {0};
	uint32_t now = port_now_ms();
	int64_t t = port_time_unix();

	/* old seed (if any) || fresh bytes || time: a new seed on every boot */
	if (store_cfg_get(s, SEED_KEY, in, SEED_LEN) != SEED_LEN)
		memset(in, 0, SEED_LEN);
	if (port_urandom == -1 || semihost_read(port_urandom, in + SEED_LEN, SEED_LEN) != 0)
		port_log(PORT_LOG_ERR, "entropy: no host /dev/urandom; using the stored seed only");
	memcpy(in + 2 * SEED_LEN, &t, 8);
	memcpy(in + 2 * SEED_LEN + 8, &now, 4);
	if (mbedtls_sha256(in, sizeof(in), port_seed, 0) != 0)
		return -1;
	/* Stored before first use, so that a crash can never replay a stream. */
	if (store_cfg_put(s, SEED_KEY, port_seed, SEED_LEN) != STORE_OK)
		return -1;
	port_seeded = true;
	return 0;
}

void port_log(int level, const char *fmt, ...)
{
	static const char *const tag[] = {"error: ", "", "debug: "};
	static char line[256];
	va_list ap;

	if (level > board_config.log_level)
		return;
	uint32_t ms = clock_ms();
	int n = snprintf(line, sizeof(line), "[%5lu.%03lu] %s", (unsigned long)(ms / 1000u),
			 (unsigned long)(ms % 1000u), tag[level < 0 ? 0 : level > 2 ? 2 : level]);
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(line) - 1)
		len = sizeof(line) - 1;  /* truncated */
	uart_write(line, len);
	uart_write("\n", 1);
}

const char *port_hostname(void)
{
	return board_config.hostname;
}
