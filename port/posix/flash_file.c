/*
 * flash_file.c - NOR flash semantics over a file with pread/pwrite.
 */
#include "flash_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 4096u

static int ff_fd(const struct flash_dev *f)
{
	return ((const struct flash_file *)f->ctx)->fd;
}

static uint64_t dev_bytes(const struct flash_dev *f)
{
	return (uint64_t)f->geo.sector_size * f->geo.sector_count;
}

static int ff_read(const struct flash_dev *f, uint32_t addr, void *buf, uint32_t len)
{
	uint8_t *p = buf;

	if ((uint64_t)addr + len > dev_bytes(f))
		return FLASH_ERR_RANGE;
	while (len) {
		ssize_t n = pread(ff_fd(f), p, len, addr);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return FLASH_ERR_IO;
		}
		p += n;
		addr += (uint32_t)n;
		len -= (uint32_t)n;
	}
	return FLASH_OK;
}

static int write_all(int fd, const uint8_t *p, uint32_t len, uint32_t addr)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, addr);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return FLASH_ERR_IO;
		}
		p += n;
		addr += (uint32_t)n;
		len -= (uint32_t)n;
	}
	return FLASH_OK;
}

static int ff_prog(const struct flash_dev *f, uint32_t addr, const void *buf, uint32_t len)
{
	const uint8_t *src = buf;
	uint8_t cur[CHUNK];

	if ((uint64_t)addr + len > dev_bytes(f))
		return FLASH_ERR_RANGE;
	if (addr % f->geo.prog_size || len % f->geo.prog_size)
		return FLASH_ERR_RULE;
	while (len) {
		uint32_t n = len < CHUNK ? len : CHUNK;
		int e = ff_read(f, addr, cur, n);

		if (e)
			return e;
		for (uint32_t i = 0; i < n; i++) {
			if ((cur[i] & src[i]) != src[i])
				return FLASH_ERR_RULE;
			cur[i] &= src[i];
		}
		e = write_all(ff_fd(f), cur, n, addr);
		if (e)
			return e;
		src += n;
		addr += n;
		len -= n;
	}
	return FLASH_OK;
}

static int ff_erase(const struct flash_dev *f, uint32_t sector)
{
	uint8_t ones[CHUNK];
	uint32_t ss = f->geo.sector_size;

	if (sector >= f->geo.sector_count)
		return FLASH_ERR_RANGE;
	memset(ones, 0xff, sizeof(ones));
	for (uint32_t off = 0; off < ss; off += CHUNK) {
		int e = write_all(ff_fd(f), ones, ss - off < CHUNK ? ss - off : CHUNK, sector * ss + off);

		if (e)
			return e;
	}
	return FLASH_OK;
}

static int ff_sync(const struct flash_dev *f)
{
	return fsync(ff_fd(f)) ? FLASH_ERR_IO : FLASH_OK;
}

int flash_file_open(struct flash_file *ff, const char *path, const struct flash_geometry *geo,
		    const struct flash_dev **dev)
{
	struct stat sb;
	uint64_t want = (uint64_t)geo->sector_size * geo->sector_count;

	memset(ff, 0, sizeof(*ff));
	ff->fd = -1;
	if (!geo->sector_size || !geo->prog_size || !geo->sector_count || want > 0xffffffffull) {
		errno = EINVAL;
		return -1;
	}
	ff->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (ff->fd < 0 || fstat(ff->fd, &sb))
		goto fail;
	ff->dev.geo = *geo;
	ff->dev.read = ff_read;
	ff->dev.prog = ff_prog;
	ff->dev.erase = ff_erase;
	ff->dev.sync = ff_sync;
	ff->dev.ctx = ff;
	if (sb.st_size == 0) {
		/* a new image: blank, like a chip from the factory */
		for (uint32_t s = 0; s < geo->sector_count; s++)
			if (ff_erase(&ff->dev, s))
				goto fail;
		if (fsync(ff->fd))
			goto fail;
	} else {
		if ((uint64_t)sb.st_size % geo->sector_size || (uint64_t)sb.st_size > 0xffffffffull) {
			errno = EINVAL;
			goto fail;
		}
		ff->dev.geo.sector_count = (uint32_t)((uint64_t)sb.st_size / geo->sector_size);
	}
	*dev = &ff->dev;
	return 0;
fail:
	{
		int err = errno;

		if (ff->fd >= 0)
			close(ff->fd);
		ff->fd = -1;
		errno = err;
	}
	return -1;
}

void flash_file_close(struct flash_file *ff)
{
	if (ff->fd >= 0) {
		(void)fsync(ff->fd);
		close(ff->fd);
	}
	ff->fd = -1;
}
