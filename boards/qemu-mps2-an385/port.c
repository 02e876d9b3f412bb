/*
 * port.c - port.h for the QEMU board: the tick, the host's clock and
 * entropy through semihosting, logs on UART0.
 */
#include "port.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "board_config.h"
#include "board.h"
#include "clock.h"
#include "semihost.h"
#include "uart.h"

static int64_t port_boot_unix;    /* host wall clock at boot */
static uint32_t port_boot_ms;     /* tick at that moment */
static int port_urandom = -1;

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
	if (port_urandom == -1 || semihost_read(port_urandom, buf, len) != 0)
		return -1;
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
