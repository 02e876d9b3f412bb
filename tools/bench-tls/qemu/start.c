/*
 * start.c - bench-tls on QEMU's mps2-an385 (Cortex-M3): a vector table, a
 * reset that runs main(), and port.h over newlib's semihosting library
 * (rdimon): console, clock and the host's /dev/urandom. Just enough to
 * measure the 32-bit arena figures on the board's CPU.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "port.h"

int main(int argc, char **argv);
void reset(void);
void initialise_monitor_handles(void);
/* newlib's start-up and exit call these; nothing to construct here. */
void _init(void);
void _fini(void);
void _init(void) {}
void _fini(void) {}

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern uint32_t __stack_top[];

static void halt(void)
{
	for (;;)
		;
}

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {
	__stack_top, (const void *)reset, (const void *)halt, (const void *)halt,
	(const void *)halt, (const void *)halt, (const void *)halt,
};

void reset(void)
{
	memcpy(__data_start, __data_load, (size_t)((char *)__data_end - (char *)__data_start));
	memset(__bss_start, 0, (size_t)((char *)__bss_end - (char *)__bss_start));
	initialise_monitor_handles();
	static char name[] = "bench-tls", rounds[] = BENCH_ROUNDS;
	char *argv[] = { name, rounds, NULL };
	exit(main(2, argv));
}

uint32_t port_now_ms(void)
{
	return (uint32_t)((uint64_t)clock() * 1000u / CLOCKS_PER_SEC);
}

int64_t port_time_unix(void)
{
	return (int64_t)time(NULL);
}

int port_tz_minutes(void)
{
	return 0;
}

const char *port_hostname(void)
{
	return "bench";
}

int port_entropy(void *buf, size_t len)
{
	static FILE *f;
	if (!f)
		f = fopen("/dev/urandom", "rb");
	return f && fread(buf, 1, len, f) == len ? 0 : -1;
}

void port_log(int level, const char *fmt, ...)
{
	va_list ap;
	(void)level;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}
