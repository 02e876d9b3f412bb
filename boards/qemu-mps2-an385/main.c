/*
 * main.c - the QEMU board's firmware: bring up the console, clock, flash
 * image and network, mount (or on first boot create) the mail store,
 * provision users, start TLS and the IMAP server, then run the one main
 * loop for ever.
 */
#include <stdbool.h>
#include <string.h>

#include "auth.h"
#include "board.h"
#include "board_config.h"
#include "board_mail.h"
#include "clock.h"
#include "flash_semihost.h"
#include "imapd.h"
#include "net.h"
#include "port.h"
#include "semihost.h"
#include "store.h"
#include "tls.h"
#include "uart.h"

#define NET_WAIT_MS 10000u         /* DHCP lease or link */
#define PROVISION_MAX 1024         /* provisioning file bytes */
#define BOOTS_KEY "board/boots"
#define STACK_CHECK_MS 5000u

static struct flash_semihost flash;
static struct store store;

/* Exit codes QEMU returns (semihosting) when the firmware cannot run. */
enum { EXIT_CONFIG = 1, EXIT_FLASH = 2, EXIT_NET = 5, EXIT_SERVER = 6 };

static bool image_blank(const struct flash_dev *f)
{
	uint8_t buf[512];   /* boot only: on the stack */
	uint32_t size = f->geo.sector_size * f->geo.sector_count;
	for (uint32_t a = 0; a < size; a += sizeof(buf)) {
		if (f->read(f, a, buf, sizeof(buf)) != FLASH_OK)
			return false;
		for (size_t i = 0; i < sizeof(buf); i++)
			if (buf[i] != 0xff)
				return false;
	}
	return true;
}

/* Mount the store; format it only when the image is blank (first boot), never
 * over existing data. 0 or -1. */
static int store_open(void)
{
	const struct flash_geometry geo = {BOARD_FLASH_SECTOR_SIZE, BOARD_FLASH_SECTORS,
					   BOARD_FLASH_PROG_SIZE};
	if (flash_semihost_open(&flash, board_config.image, &geo) != FLASH_OK)
		return -1;
	if (!flash.created) {
		uint32_t t0 = port_now_ms();
		int r = store_mount(&store, &flash.dev);
		if (r == STORE_OK) {
			port_log(PORT_LOG_INFO, "store: mounted %s in %lu ms", board_config.image,
				 (unsigned long)(port_now_ms() - t0));
			return 0;
		}
		if (!image_blank(&flash.dev)) {
			/* e.g. an image of another format version: the user decides */
			port_log(PORT_LOG_ERR, "store: cannot mount %s (error %d%s); not formatting "
					       "an image that holds data: move it away to start a new one",
				 board_config.image, r,
				 r == STORE_CORRUPT ? ": not a store of this format version and geometry"
						    : "");
			return -1;
		}
	}
	int r = store_format(&store, &flash.dev);
	if (r == STORE_OK)
		r = store_mount(&store, &flash.dev);
	if (r != STORE_OK) {
		port_log(PORT_LOG_ERR, "store: cannot format %s (error %d)", board_config.image, r);
		return -1;
	}
	port_log(PORT_LOG_INFO, "store: new image %s, %u x %u-byte sectors", board_config.image,
		 (unsigned)BOARD_FLASH_SECTORS, (unsigned)BOARD_FLASH_SECTOR_SIZE);
	return 0;
}

/* Users are the "user/<name>" configuration records (auth.h). */
static bool has_users(void)
{
	char key[STORE_CFG_KEY_MAX + 1];
	uint32_t cursor = 0;
	return store_cfg_next(&store, "user/", &cursor, key) == 1;
}

/* Provisioning file, applied to an image without users (a new one, or one
 * whose first boot was cut short): "user NAME PASSWORD" lines; '#' starts a
 * comment. Each new user gets a welcome message. */
static int provision(void)
{
	char text[PROVISION_MAX + 1];   /* boot only: on the stack */
	int fd = semihost_open(board_config.provision, SEMIHOST_MODE_RB);
	if (fd == -1) {
		port_log(PORT_LOG_ERR, "provision: cannot open %s", board_config.provision);
		return -1;
	}
	int32_t len = semihost_flen(fd);
	if (len < 0 || len > PROVISION_MAX || semihost_read(fd, text, (size_t)len) != 0) {
		semihost_close(fd);
		port_log(PORT_LOG_ERR, "provision: %s unreadable or over %d bytes",
			 board_config.provision, PROVISION_MAX);
		return -1;
	}
	semihost_close(fd);
	text[len] = '\0';
	for (char *line = text, *next; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		char *w[3] = {0};
		int n = 0;
		for (char *p = line; *p && *p != '#' && n < 3;) {
			p += strspn(p, " \t\r");
			if (!*p || *p == '#')
				break;
			w[n++] = p;
			p += strcspn(p, " \t\r");
			if (*p)
				*p++ = '\0';
		}
		if (n == 0)
			continue;
		if (n != 3 || strcmp(w[0], "user") != 0) {
			port_log(PORT_LOG_ERR, "provision: bad line (want \"user NAME PASSWORD\")");
			return -1;
		}
		int r = auth_user_add(&store, w[1], w[2]);
		if (r != 0) {
			port_log(PORT_LOG_ERR, "provision: user %s: store error %d", w[1], r);
			return -1;
		}
		r = board_mail_welcome(&store, w[1]);
		port_log(PORT_LOG_INFO, "provision: user %s created%s", w[1],
			 r == STORE_OK ? ", welcome message delivered" : "");
	}
	return 0;
}

static uint32_t count_boot(void)
{
	uint8_t b[4] = {0};
	uint32_t n = 0;
	if (store_cfg_get(&store, BOOTS_KEY, b, sizeof(b)) == (int)sizeof(b))
		n = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	n++;
	const uint8_t nb[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
	if (store_cfg_put(&store, BOOTS_KEY, nb, sizeof(nb)) != STORE_OK)
		port_log(PORT_LOG_ERR, "store: cannot record the boot count");
	return n;
}

static bool wait_for_network(void)
{
	uint32_t t0 = port_now_ms();
	while (!net_ready()) {
		if (port_now_ms() - t0 > NET_WAIT_MS)
			return false;
		net_poll();
	}
	return true;
}

int main(void)
{
	uart_init();
	clock_init();
	port_board_init();
	if (board_config_load() != 0)
		return EXIT_CONFIG;
	port_log(PORT_LOG_INFO, "imapd firmware for %s (%s)", BOARD_NAME, __DATE__);

	if (store_open() < 0)
		return EXIT_FLASH;
	if (port_entropy_seed(&store) != 0)
		port_log(PORT_LOG_ERR, "entropy: cannot renew the stored seed");
	/* Password hashing (PBKDF2) needs the crypto library from here on. */
	if (tls_crypto_init() != TLS_OK)
		port_log(PORT_LOG_ERR, "crypto: start-up failed; logins will fail");
	if (board_config.provision[0]) {
		if (has_users())
			port_log(PORT_LOG_INFO, "provision: image has users; %s not needed",
				 board_config.provision);
		else if (provision() != 0)
			return EXIT_CONFIG;
	}
	uint32_t boots = count_boot();

	if (net_init(board_config.ip, board_config.netmask, board_config.gw,
		     board_config.hostname) != 0 || !wait_for_network()) {
		port_log(PORT_LOG_ERR, "net: no link or no address after %u ms", NET_WAIT_MS);
		return EXIT_NET;
	}
	port_log(PORT_LOG_INFO, "net: address %s", net_addr_str());

	static char fingerprint[TLS_FINGERPRINT_LEN];
	int r = tls_init(&store, board_config.hostname, net_addr());
	if (r != TLS_OK || tls_fingerprint(fingerprint) != TLS_OK) {
		port_log(PORT_LOG_ERR, "tls: %s; serving without TLS", tls_strerror(r));
		fingerprint[0] = '\0';
	}

	const struct imapd_options opt = {
		.port = 143,
		.tls_port = fingerprint[0] ? 993 : 0,
		.allow_plaintext = board_config.allow_plaintext != 0,
		.store = &store,
		.hostname = board_config.hostname,
	};
	r = imapd_start(&opt);
	if (r != 0) {
		port_log(PORT_LOG_ERR, "imapd: start failed (%d)", r);
		return EXIT_SERVER;
	}

	const struct board_boot_info info = {
		.boot_count = boots,
		.address = net_addr_str(),
		.fingerprint = fingerprint,
		.boot_ms = port_now_ms(),
		.stack_used = board_stack_used(),
		.stack_size = board_stack_size(),
	};
	board_mail_boot_report(&store, &info);

	if (fingerprint[0])
		port_log(PORT_LOG_INFO, "certificate SHA-256 fingerprint: %s", fingerprint);
	port_log(PORT_LOG_INFO, "imapd ready on %s: imap 143%s, boot #%lu", net_addr_str(),
		 opt.tls_port ? " (STARTTLS), imaps 993" : "", (unsigned long)boots);

	uint32_t stack_peak = info.stack_used, stack_checked = port_now_ms();
	for (;;) {
		net_poll();
		if (imapd_poll() > 0)
			net_idle();
		/* The stack budget is a guess until measured: report each new peak. */
		if (port_now_ms() - stack_checked >= STACK_CHECK_MS) {
			stack_checked = port_now_ms();
			uint32_t used = board_stack_used();
			if (used > stack_peak) {
				stack_peak = used;
				port_log(PORT_LOG_INFO, "stack: new peak %lu of %lu bytes",
					 (unsigned long)used, (unsigned long)board_stack_size());
			}
		}
	}
}
