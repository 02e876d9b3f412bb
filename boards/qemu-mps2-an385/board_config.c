/*
 * board_config.c - parse the semihosting command line into board_config.
 */
#include "board_config.h"

#include <stdbool.h>
#include <string.h>

#include "port.h"
#include "semihost.h"

struct board_config board_config = {
	.image = "flash.img",
	.hostname = "imapd-qemu",
	.log_level = PORT_LOG_INFO,
};

static bool cfg_copy(char *dst, size_t cap, const char *v, size_t len)
{
	if (len == 0 || len >= cap)
		return false;
	memcpy(dst, v, len);
	dst[len] = '\0';
	return true;
}

static bool cfg_uint(const char **p, const char *end, uint32_t max, uint32_t *out)
{
	uint32_t v = 0;
	const char *s = *p;
	if (s == end || *s < '0' || *s > '9')
		return false;
	while (s < end && *s >= '0' && *s <= '9') {
		v = v * 10u + (uint32_t)(*s++ - '0');
		if (v > max)
			return false;
	}
	*p = s;
	*out = v;
	return true;
}

/* Dotted quad into network byte order (the M3 is little endian). */
static bool cfg_ipv4(const char **p, const char *end, uint32_t *out)
{
	uint32_t a = 0;
	for (int i = 0; i < 4; i++) {
		uint32_t b;
		if (i > 0) {
			if (*p == end || **p != '.')
				return false;
			(*p)++;
		}
		if (!cfg_uint(p, end, 255, &b))
			return false;
		a |= b << (8 * i);
	}
	*out = a;
	return true;
}

static bool cfg_set(const char *key, size_t klen, const char *v, size_t vlen)
{
	const char *end = v + vlen;
	uint32_t n;
#define KEY_IS(k) (klen == sizeof(k) - 1 && memcmp(key, k, klen) == 0)
	if (KEY_IS("image"))
		return cfg_copy(board_config.image, sizeof(board_config.image), v, vlen);
	if (KEY_IS("provision"))
		return cfg_copy(board_config.provision, sizeof(board_config.provision), v, vlen);
	if (KEY_IS("hostname"))
		return cfg_copy(board_config.hostname, sizeof(board_config.hostname), v, vlen);
	if (KEY_IS("ip")) {
		if (!cfg_ipv4(&v, end, &board_config.ip) || v == end || *v++ != '/' ||
		    !cfg_uint(&v, end, 32, &n) || v != end || n == 0)
			return false;
		board_config.netmask = n == 32 ? 0xffffffffu : __builtin_bswap32(~(0xffffffffu >> n));
		return true;
	}
	if (KEY_IS("gw"))
		return cfg_ipv4(&v, end, &board_config.gw) && v == end;
	if (KEY_IS("tz")) {
		if (vlen != 5 || (v[0] != '+' && v[0] != '-'))
			return false;
		const char *d = v + 1;
		uint32_t hhmm;
		if (!cfg_uint(&d, end, 1400, &hhmm) || d != end || hhmm % 100 > 59)
			return false;
		int m = (int)(hhmm / 100 * 60 + hhmm % 100);
		board_config.tz_minutes = v[0] == '-' ? -m : m;
		return true;
	}
	if (KEY_IS("log")) {
		if (!cfg_uint(&v, end, 2, &n) || v != end)
			return false;
		board_config.log_level = (int)n;
		return true;
	}
	if (KEY_IS("plaintext")) {
		if (!cfg_uint(&v, end, 1, &n) || v != end)
			return false;
		board_config.allow_plaintext = (int)n;
		return true;
	}
#undef KEY_IS
	return false;
}

int board_config_load(void)
{
	char cmdline[640];   /* boot only: on the stack */
	/* QEMU always has one (at least the kernel's name): a failure means it
	 * is too long, and guessing could open the wrong image. */
	if (semihost_cmdline(cmdline, sizeof(cmdline)) != 0) {
		port_log(PORT_LOG_ERR, "semihosting command line missing or over %u bytes",
			 (unsigned)sizeof(cmdline) - 1);
		return -1;
	}
	const char *p = cmdline;
	bool first = true;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		size_t len = (size_t)(p - w);
		if (len == 0)
			break;
		const char *eq = memchr(w, '=', len);
		if (first && !eq) {  /* the program name */
			first = false;
			continue;
		}
		first = false;
		if (!eq || !cfg_set(w, (size_t)(eq - w), eq + 1, len - (size_t)(eq - w) - 1)) {
			port_log(PORT_LOG_ERR, "bad setting on the command line: %.*s", (int)len, w);
			return -1;
		}
	}
	return 0;
}
