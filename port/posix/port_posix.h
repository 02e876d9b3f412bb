/*
 * port_posix.h - host-only settings of the POSIX port (port.c).
 */
#ifndef PORT_POSIX_H
#define PORT_POSIX_H

/* Highest port_log() level printed: PORT_LOG_ERR (-q), PORT_LOG_INFO
 * (default) or PORT_LOG_DEBUG (-v). */
void port_set_log_level(int level);
/* Name returned by port_hostname(); default: the system's host name. */
void port_set_hostname(const char *name);

#endif
