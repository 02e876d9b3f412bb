/*
 * main.c - build/host/imapd: the server on the host, with lwIP over libslirp
 * as its network and a file as its NOR flash.
 *
 *   imapd --image FILE [--port 1143] [--tls-port 1993] [--user NAME:PASSWORD]...
 *         [--allow-plaintext] [--hostname NAME] [--image-size N] [--sector-size N]
 *         [-v|-vv|-q]
 *
 * One thread, like the firmware: poll slirp's sockets, feed frames to lwIP,
 * run lwIP's timers, run the server; sleep only when nothing is pending.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "flash_file.h"
#include "imapd.h"
#include "imapd_config.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "port.h"
#include "port_posix.h"
#include "slirp_netif.h"
#include "store.h"
#include "tls.h"

#define GUEST_IMAP_PORT 143
#define GUEST_IMAPS_PORT 993
#define DHCP_TIMEOUT_MS 5000u

static volatile sig_atomic_t stop_requested;

static struct netif nif;
static struct flash_file image;
static struct store store;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: imapd --image FILE [--port N] [--tls-port N] [--user NAME:PASSWORD]...\n"
		"             [--allow-plaintext] [--hostname NAME]\n"
		"             [--image-size BYTES] [--sector-size BYTES] [-v|-vv|-q]\n"
		"  --image FILE        flash image (created and formatted if missing)\n"
		"  --port N            plain IMAP on 127.0.0.1:N (default 1143, 0 = off)\n"
		"  --tls-port N        IMAPS on 127.0.0.1:N (default 1993, 0 = off)\n"
		"  --user NAME:PASS    add or reset a user (repeatable)\n"
		"  --allow-plaintext   allow LOGIN without TLS\n"
		"  --image-size BYTES  size of a new image (default 16M; K and M suffixes)\n"
		"  --sector-size BYTES erase unit of a new image (default 4K)\n"
		"  -v, -vv, -q         log connections and commands, debug, errors only\n");
}

/* Decimal with an optional K or M suffix; 0 on error. */
static unsigned long parse_size(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s)
		return 0;
	if (*end == 'K' || *end == 'k')
		v *= 1024ul, end++;
	else if (*end == 'M' || *end == 'm')
		v *= 1024ul * 1024ul, end++;
	return *end ? 0 : v;
}

static int parse_port(const char *s, uint16_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "imapd: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* Open the image (a new one is created blank) and mount it; a new image is
 * formatted first. An existing image that does not mount is never
 * formatted over: that would destroy mail. */
static bool image_unsynced(void *ctx)
{
	return flash_file_unsynced(ctx);
}

/* A failed fsync leaves the writes of this pass in doubt: the packets that
 * would acknowledge them must never leave, so stop here. */
static void image_sync(void *ctx)
{
	if (flash_file_sync(ctx))
		die("cannot sync the mail image: %s", strerror(errno));
}

static void open_store(const char *path, unsigned long size, unsigned long sector)
{
	struct flash_geometry geo = {
		.sector_size = (uint32_t)sector,
		.sector_count = (uint32_t)(size / sector),
		.prog_size = 1,
	};
	const struct flash_dev *dev;
	bool fresh = access(path, F_OK) != 0;
	int err;

	if (flash_file_open(&image, path, &geo, &dev) != 0)
		die("cannot open image %s: %s", path, strerror(errno));
	if (fresh) {
		err = store_format(&store, dev);
		if (err != STORE_OK)
			die("cannot format %s", path);
	}
	err = store_mount(&store, dev);
	if (err != STORE_OK)
		die("cannot mount %s (not an imapd image, or damaged)", path);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"image", required_argument, NULL, 'i'},
		{"port", required_argument, NULL, 'p'},
		{"tls-port", required_argument, NULL, 't'},
		{"user", required_argument, NULL, 'u'},
		{"allow-plaintext", no_argument, NULL, 'a'},
		{"hostname", required_argument, NULL, 'H'},
		{"image-size", required_argument, NULL, 's'},
		{"sector-size", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *image_path = NULL;
	const char *users[IMAPD_MAX_USERS];
	unsigned nusers = 0;
	unsigned long image_size = 16ul << 20, sector_size = 4096;
	uint16_t port = 1143, tls_port = 1993;
	int verbosity = 0;
	struct imapd_options opt = {.port = GUEST_IMAP_PORT, .tls_port = GUEST_IMAPS_PORT};
	int c;

	while ((c = getopt_long(argc, argv, "vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': image_path = optarg; break;
		case 'p': if (parse_port(optarg, &port)) die("bad --port %s", optarg); break;
		case 't': if (parse_port(optarg, &tls_port)) die("bad --tls-port %s", optarg); break;
		case 'u':
			if (nusers == IMAPD_MAX_USERS)
				die("too many --user options");
			if (!strchr(optarg, ':'))
				die("--user %s: expected NAME:PASSWORD", optarg);
			users[nusers++] = optarg;
			break;
		case 'a': opt.allow_plaintext = true; break;
		case 'H': port_set_hostname(optarg); break;
		case 's': image_size = parse_size(optarg); if (!image_size) die("bad --image-size %s", optarg); break;
		case 'S': sector_size = parse_size(optarg); if (!sector_size) die("bad --sector-size %s", optarg); break;
		case 'v': verbosity++; break;
		case 'q': verbosity = -1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || !image_path) {
		usage(stderr);
		return 2;
	}
	if (sector_size & (sector_size - 1) || image_size < 4 * sector_size)
		die("--sector-size must be a power of two and the image at least 4 sectors");
	port_set_log_level(verbosity <= 0 ? PORT_LOG_ERR :
			   verbosity == 1 ? PORT_LOG_INFO : PORT_LOG_DEBUG);

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);   /* a vanished client must not kill us */

	lwip_init();
	open_store(image_path, image_size, sector_size);
	if (slirp_netif_init(&nif) != 0)
		die("cannot start the network (libslirp)");
	uint32_t t0 = port_now_ms();
	while (!slirp_netif_ready(&nif)) {
		if (stop_requested || port_now_ms() - t0 > DHCP_TIMEOUT_MS)
			die("no DHCP lease from slirp");
		slirp_netif_poll(&nif, 10);
		sys_check_timeouts();
	}

	opt.store = &store;
	opt.hostname = port_hostname();
	if (tls_port == 0)
		opt.tls_port = 0;
	if (port == 0)
		opt.port = 0;
	if (imapd_start(&opt) != 0)
		die("cannot start the server");
	/* Users are provisioned before any port is forwarded, so no client
	 * sees a half-provisioned store. */
	for (unsigned i = 0; i < nusers; i++) {
		char name[IMAPD_USER_MAX + 1];
		const char *colon = strchr(users[i], ':');
		size_t len = (size_t)(colon - users[i]);

		if (len == 0 || len > IMAPD_USER_MAX)
			die("--user %s: bad user name", users[i]);
		memcpy(name, users[i], len);
		name[len] = '\0';
		int err = auth_user_add(&store, name, colon + 1);
		if (err != STORE_OK)
			die("cannot add user %s (store error %d)", name, err);
	}

	/* Forward only to listeners that exist, then say so. */
	struct { uint16_t host, guest; const char *name; } fwd[2] = {
		{port, imapd_port(false), "imap"},
		{tls_port, imapd_port(true), "imaps"},
	};
	for (unsigned i = 0; i < 2; i++) {
		if (!fwd[i].host || !fwd[i].guest)
			continue;
		int err = slirp_netif_forward(&nif, fwd[i].host, fwd[i].guest);
		if (err) {
			fprintf(stderr, "imapd: cannot listen on 127.0.0.1:%u: %s\n",
				(unsigned)fwd[i].host, strerror(-err));
			return 1;
		}
		if (verbosity >= 0)
			printf("listening on 127.0.0.1:%u (%s)\n", (unsigned)fwd[i].host, fwd[i].name);
	}
	/* What a user compares with the fingerprint their client shows. */
	char fingerprint[TLS_FINGERPRINT_LEN];
	if (verbosity >= 0 && tls_fingerprint(fingerprint) == TLS_OK)
		printf("certificate SHA-256 fingerprint: %s\n", fingerprint);
	fflush(stdout);

	/* Group commit: the store's syncs in one pass of the loop become one
	 * fsync, made before any packet of that pass leaves (clients see an
	 * acknowledgement only for what is on disk, as before). */
	static const struct slirp_netif_barrier durable = {
		.pending = image_unsynced, .pass = image_sync, .ctx = &image,
	};
	flash_file_defer_sync(&image, true);
	slirp_netif_set_barrier(&durable);

	uint32_t sleep_ms = 0;
	while (!stop_requested) {
		slirp_netif_poll(&nif, sleep_ms);
		sys_check_timeouts();
		sleep_ms = imapd_poll();
		uint32_t lwip_ms = sys_timeouts_sleeptime();
		if (lwip_ms < sleep_ms)
			sleep_ms = lwip_ms;
	}

	imapd_stop();
	store_unmount(&store);
	slirp_netif_release();
	flash_file_close(&image);
	slirp_netif_shutdown();
	return 0;
}
