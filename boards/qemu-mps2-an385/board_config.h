/*
 * board_config.h - run-time settings of the QEMU board, taken from the
 * semihosting command line (tools/run-qemu.sh passes them with
 * -semihosting-config arg=...): "key=value" words, unknown keys rejected.
 *
 *   image=PATH       flash image file (created blank if missing)
 *   provision=PATH   for an image without users: "user NAME PASSWORD" lines
 *   hostname=NAME    greeting and certificate name
 *   ip=A.B.C.D/N     static address (default: DHCP)
 *   gw=A.B.C.D       static gateway
 *   tz=+HHMM         zone of INTERNALDATE (default +0000)
 *   log=0|1|2        console verbosity
 *   plaintext=0|1    allow LOGIN before TLS (default 0)
 */
#ifndef BOARD_CONFIG_H
#define BOARD_CONFIG_H

#include <stdint.h>

#define BOARD_PATH_MAX 192
#define BOARD_HOSTNAME_MAX 63

struct board_config {
	char image[BOARD_PATH_MAX + 1];
	char provision[BOARD_PATH_MAX + 1];
	char hostname[BOARD_HOSTNAME_MAX + 1];
	uint32_t ip, netmask, gw;   /* network order; ip 0 = DHCP */
	int tz_minutes;
	int log_level;
	int allow_plaintext;
};

extern struct board_config board_config;

/* Defaults, then the command line. 0, or -1 with a message on the console. */
int board_config_load(void);

#endif
