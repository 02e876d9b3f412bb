/*
 * port.c - port.h for a POSIX host, and lwIP's sys_now() and diagnostics.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "arch/cc.h"
#include "lwip/sys.h"
#include "port.h"
#include "port_posix.h"

static int log_level = PORT_LOG_INFO;
static char hostname[64];

void port_set_log_level(int level)
{
	log_level = level;
}

void port_set_hostname(const char *name)
{
	snprintf(hostname, sizeof hostname, "%s", name);
}

uint32_t port_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* Truncation is the documented wrap-around. */
	return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

u32_t sys_now(void)
{
	return port_now_ms();
}

int64_t port_time_unix(void)
{
	return (int64_t)time(NULL);
}

int port_tz_minutes(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!localtime_r(&now, &tm))
		return 0;
	return (int)(tm.tm_gmtoff / 60);
}

int port_entropy(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void port_log(int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* One write per line, so lines never interleave with a sanitizer's. */
	fprintf(stderr, "%s%s\n", level == PORT_LOG_ERR ? "error: " : "", line);
}

const char *port_hostname(void)
{
	if (hostname[0] == '\0' && gethostname(hostname, sizeof hostname - 1) != 0)
		snprintf(hostname, sizeof hostname, "imapd");
	return hostname;
}

void lwip_port_diag(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	n = strlen(line);
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	port_log(PORT_LOG_DEBUG, "lwip: %s", line);
}

void lwip_port_assert(const char *msg, const char *file, int line)
{
	fprintf(stderr, "lwip: assertion \"%s\" failed at %s:%d\n", msg, file, line);
	abort();
}
