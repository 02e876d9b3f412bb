/*
 * port.h - what a platform provides to the server. Nothing above port/ and
 * boards/ touches hardware or the OS except through these functions.
 */
#ifndef PORT_H
#define PORT_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic milliseconds since start; wraps after ~49 days (compare with
 * unsigned subtraction). */
uint32_t port_now_ms(void);

/* Wall-clock time, seconds since the Unix epoch (UTC), and the local zone
 * offset in minutes east of UTC (INTERNALDATE of appended mail). */
int64_t port_time_unix(void);
int port_tz_minutes(void);

/* Fill buf with len bytes from the platform's entropy source.
 * Returns 0 on success, -1 if no entropy is available. */
int port_entropy(void *buf, size_t len);

/* Console log line (no trailing newline needed). level: 0 error, 1 info,
 * 2 debug. The platform decides where it goes and what is filtered. */
enum { PORT_LOG_ERR = 0, PORT_LOG_INFO = 1, PORT_LOG_DEBUG = 2 };
void port_log(int level, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* Device host name (certificate CN, greeting). */
const char *port_hostname(void);

#endif
