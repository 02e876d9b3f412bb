/*
 * arch/cc.h - lwIP's compiler and platform hooks for the host build.
 */
#ifndef ARCH_CC_H
#define ARCH_CC_H

#include <stdlib.h>

/* In port.c: lwIP diagnostics go to the log; a failed lwIP assertion is a
 * bug, so it stops the process. */
void lwip_port_diag(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;
void lwip_port_assert(const char *msg, const char *file, int line);

#define LWIP_PLATFORM_DIAG(x) do { lwip_port_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) lwip_port_assert((x), __FILE__, __LINE__)

#endif
