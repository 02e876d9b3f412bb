/*
 * semihost.c - ARM semihosting for Cortex-M: r0 = operation, r1 = pointer to
 * the argument block, "bkpt 0xab" traps to the debugger (QEMU), result in r0.
 */
#include "semihost.h"

#include <string.h>

enum {
	SYS_OPEN = 0x01,
	SYS_CLOSE = 0x02,
	SYS_WRITE = 0x05,
	SYS_READ = 0x06,
	SYS_SEEK = 0x0a,
	SYS_FLEN = 0x0c,
	SYS_TIME = 0x11,
	SYS_GET_CMDLINE = 0x15,
	SYS_EXIT_EXTENDED = 0x20,
};

#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static int32_t semihost_call(uint32_t op, void *arg)
{
	register uint32_t r0 __asm__("r0") = op;
	register void *r1 __asm__("r1") = arg;
	/* The host reads and writes memory through r1: tell the compiler. */
	__asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
	return (int32_t)r0;
}

int semihost_open(const char *path, int mode)
{
	uint32_t a[3] = {(uint32_t)(uintptr_t)path, (uint32_t)mode, (uint32_t)strlen(path)};
	return semihost_call(SYS_OPEN, a);
}

int semihost_close(int fd)
{
	uint32_t a[1] = {(uint32_t)fd};
	return semihost_call(SYS_CLOSE, a);
}

int semihost_read(int fd, void *buf, size_t len)
{
	uint32_t a[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, (uint32_t)len};
	return semihost_call(SYS_READ, a);
}

int semihost_write(int fd, const void *buf, size_t len)
{
	uint32_t a[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, (uint32_t)len};
	return semihost_call(SYS_WRITE, a);
}

int semihost_seek(int fd, uint32_t pos)
{
	uint32_t a[2] = {(uint32_t)fd, pos};
	return semihost_call(SYS_SEEK, a) == 0 ? 0 : -1;
}

int32_t semihost_flen(int fd)
{
	uint32_t a[1] = {(uint32_t)fd};
	return semihost_call(SYS_FLEN, a);
}

int64_t semihost_time(void)
{
	/* SYS_TIME returns a 32-bit count; treat it as unsigned (good to 2106). */
	return (int64_t)(uint32_t)semihost_call(SYS_TIME, NULL);
}

int semihost_cmdline(char *buf, size_t cap)
{
	uint32_t a[2] = {(uint32_t)(uintptr_t)buf, (uint32_t)cap};
	if (cap == 0 || semihost_call(SYS_GET_CMDLINE, a) != 0)
		return -1;
	buf[cap - 1] = '\0';
	return 0;
}

void semihost_exit(int code)
{
	uint32_t a[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
	for (;;)
		semihost_call(SYS_EXIT_EXTENDED, a);
}
