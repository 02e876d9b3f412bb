/*
 * flash_semihost.c - flash_dev over a semihosted image file. Each call is a
 * few host system calls (~2 us each), so the image costs about what a real
 * serial NOR would in reads and far less in programs and erases.
 *
 * Durability: every write reaches the host file before the call returns,
 * so a killed QEMU loses nothing acknowledged; semihosting has no fsync, so
 * a host crash is outside what this board can promise.
 */
#include "flash_semihost.h"

#include <stdint.h>
#include <string.h>

#include "port.h"
#include "semihost.h"

/* Bounce buffer for the read-AND-write of a program and for erases. */
#define FS_CHUNK 256u
static uint8_t fs_buf[FS_CHUNK];

static bool fs_in_range(const struct flash_dev *f, uint32_t addr, uint32_t len)
{
	uint64_t size = (uint64_t)f->geo.sector_size * f->geo.sector_count;
	return (uint64_t)addr + len <= size;
}

static int fs_read(const struct flash_dev *f, uint32_t addr, void *buf, uint32_t len)
{
	const struct flash_semihost *fs = f->ctx;
	if (!fs_in_range(f, addr, len))
		return FLASH_ERR_RANGE;
	if (len == 0)
		return FLASH_OK;
	if (semihost_seek(fs->fd, addr) != 0 || semihost_read(fs->fd, buf, len) != 0)
		return FLASH_ERR_IO;
	return FLASH_OK;
}

static int fs_prog(const struct flash_dev *f, uint32_t addr, const void *buf, uint32_t len)
{
	const struct flash_semihost *fs = f->ctx;
	const uint8_t *src = buf;
	if (!fs_in_range(f, addr, len))
		return FLASH_ERR_RANGE;
	if (addr % f->geo.prog_size != 0 || len % f->geo.prog_size != 0)
		return FLASH_ERR_RULE;
	while (len > 0) {
		uint32_t n = len < FS_CHUNK ? len : FS_CHUNK;
		if (semihost_seek(fs->fd, addr) != 0 || semihost_read(fs->fd, fs_buf, n) != 0)
			return FLASH_ERR_IO;
		/* NOR: programming only clears bits. */
		for (uint32_t i = 0; i < n; i++)
			fs_buf[i] &= src[i];
		if (semihost_seek(fs->fd, addr) != 0 || semihost_write(fs->fd, fs_buf, n) != 0)
			return FLASH_ERR_IO;
		addr += n;
		src += n;
		len -= n;
	}
	return FLASH_OK;
}

static int fs_fill_erased(int fd, uint32_t addr, uint32_t len)
{
	memset(fs_buf, 0xff, FS_CHUNK);
	if (semihost_seek(fd, addr) != 0)
		return FLASH_ERR_IO;
	for (uint32_t done = 0; done < len; done += FS_CHUNK) {
		uint32_t n = len - done < FS_CHUNK ? len - done : FS_CHUNK;
		if (semihost_write(fd, fs_buf, n) != 0)
			return FLASH_ERR_IO;
	}
	return FLASH_OK;
}

static int fs_erase(const struct flash_dev *f, uint32_t sector)
{
	const struct flash_semihost *fs = f->ctx;
	if (sector >= f->geo.sector_count)
		return FLASH_ERR_RANGE;
	return fs_fill_erased(fs->fd, sector * f->geo.sector_size, f->geo.sector_size);
}

static int fs_sync(const struct flash_dev *f)
{
	(void)f;  /* writes are already in the host file (see above) */
	return FLASH_OK;
}

int flash_semihost_open(struct flash_semihost *fs, const char *path,
			const struct flash_geometry *geo)
{
	uint32_t size = geo->sector_size * geo->sector_count;

	memset(fs, 0, sizeof(*fs));
	fs->fd = semihost_open(path, SEMIHOST_MODE_RPLUSB);
	if (fs->fd == -1) {
		fs->fd = semihost_open(path, SEMIHOST_MODE_WPLUSB);
		if (fs->fd == -1) {
			port_log(PORT_LOG_ERR, "flash: cannot create image %s", path);
			return FLASH_ERR_IO;
		}
		for (uint32_t s = 0; s < geo->sector_count; s++) {
			if (fs_fill_erased(fs->fd, s * geo->sector_size, geo->sector_size) != 0) {
				port_log(PORT_LOG_ERR, "flash: cannot write image %s", path);
				semihost_close(fs->fd);
				return FLASH_ERR_IO;
			}
		}
		fs->created = true;
	}
	int32_t len = semihost_flen(fs->fd);
	if (len < 0 || (uint32_t)len != size) {
		port_log(PORT_LOG_ERR, "flash: image %s is %ld bytes, the board's flash is %lu",
			 path, (long)len, (unsigned long)size);
		semihost_close(fs->fd);
		return FLASH_ERR_IO;
	}
	fs->dev.geo = *geo;
	fs->dev.read = fs_read;
	fs->dev.prog = fs_prog;
	fs->dev.erase = fs_erase;
	fs->dev.sync = fs_sync;
	fs->dev.ctx = fs;
	return FLASH_OK;
}
