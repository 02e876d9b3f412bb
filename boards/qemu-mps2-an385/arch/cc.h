/*
 * arch/cc.h - lwIP's compiler and platform hooks for the QEMU board.
 */
#ifndef ARCH_CC_H
#define ARCH_CC_H

/* net.c: diagnostics go to the console; a failed lwIP assertion is a bug,
 * so it stops the board (exit status 4 through semihosting). */
void net_lwip_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void net_lwip_assert(const char *msg, const char *file, int line) __attribute__((noreturn));

#define LWIP_PLATFORM_DIAG(x) do { net_lwip_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) net_lwip_assert((x), __FILE__, __LINE__)

#endif
