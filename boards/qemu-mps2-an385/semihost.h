/*
 * semihost.h - ARM semihosting calls (bkpt 0xab), the board's link to the
 * host: the flash image file, wall-clock time, entropy, the command line and
 * the exit status. QEMU needs -semihosting-config enable=on,target=native.
 */
#ifndef SEMIHOST_H
#define SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

/* fopen()-style modes of SYS_OPEN. */
enum {
	SEMIHOST_MODE_RB = 1,
	SEMIHOST_MODE_RPLUSB = 3,  /* read/write, must exist */
	SEMIHOST_MODE_WPLUSB = 7,  /* read/write, created or truncated */
};

/* Handle (>= 0; any value but -1 is valid) or -1. */
int semihost_open(const char *path, int mode);
int semihost_close(int fd);
/* Both return the number of bytes NOT transferred (0 = all), or -1. */
int semihost_read(int fd, void *buf, size_t len);
int semihost_write(int fd, const void *buf, size_t len);
int semihost_seek(int fd, uint32_t pos);     /* 0 or -1 */
int32_t semihost_flen(int fd);              /* length or -1 */
int64_t semihost_time(void);                /* host seconds since the epoch */
/* The command line QEMU was given (-semihosting-config arg=...), NUL-terminated.
 * 0 or -1 (none, or it does not fit). */
int semihost_cmdline(char *buf, size_t cap);
/* End the emulation; QEMU exits with status code. */
void semihost_exit(int code) __attribute__((noreturn));

#endif
