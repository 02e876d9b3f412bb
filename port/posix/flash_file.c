/*
 * flash_file.c - NOR flash semantics over a file with pread/pwrite.
 *
 * The store reads many small headers; each would be a system call, so
 * small reads go through a little direct-mapped cache of file blocks,
 * written through by every program and erase (the file is always
 * current, large reads bypass the cache). Not a mapping of the file: that
 * would make the process's resident set grow with the mail it reads.
 */
#include "flash_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 4096u
#define BLOCK 4096u               /* cache line: one file block */
#define BLOCKS 32u                /* 128 KiB, shared by the open files */

static struct ff_block {
	const struct flash_file *owner;   /* NULL: empty */
	uint32_t addr;                    /* block-aligned */
	uint32_t len;                     /* BLOCK, less at the end of the file */
	uint8_t data[BLOCK];
} cache[BLOCKS];

static int ff_fd(const struct flash_dev *f)
{
	return ((const struct flash_file *)f->ctx)->fd;
}

static struct flash_file *ff_of(const struct flash_dev *f)
{
	return (struct flash_file *)f->ctx;
}

static uint64_t dev_bytes(const struct flash_dev *f)
{
	return (uint64_t)f->geo.sector_size * f->geo.sector_count;
}

static int pread_all(int fd, uint8_t *p, uint32_t len, uint32_t addr)
{
	while (len) {
		ssize_t n = pread(fd, p, len, addr);

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

static struct ff_block *block_get(const struct flash_dev *f, uint32_t addr)
{
	uint32_t base = addr - addr % BLOCK;
	struct ff_block *b = &cache[(base / BLOCK) % BLOCKS];
	uint64_t end = dev_bytes(f);

	if (b->owner == ff_of(f) && b->addr == base)
		return b;
	b->owner = NULL;
	b->addr = base;
	b->len = end - base < BLOCK ? (uint32_t)(end - base) : BLOCK;
	if (pread_all(ff_fd(f), b->data, b->len, base))
		return NULL;
	b->owner = ff_of(f);
	return b;
}

/* Keep cached blocks equal to the file after a write of [addr, addr+len). */
static void cache_update(const struct flash_file *ff, uint32_t addr, const uint8_t *src,
			 uint32_t len)
{
	for (unsigned i = 0; i < BLOCKS; i++) {
		struct ff_block *b = &cache[i];
		uint32_t lo, hi;

		if (b->owner != ff || addr >= b->addr + b->len || addr + len <= b->addr)
			continue;
		lo = addr > b->addr ? addr : b->addr;
		hi = addr + len < b->addr + b->len ? addr + len : b->addr + b->len;
		if (src)
			memcpy(b->data + (lo - b->addr), src + (lo - addr), hi - lo);
		else
			memset(b->data + (lo - b->addr), 0xff, hi - lo);
	}
}

static int ff_read(const struct flash_dev *f, uint32_t addr, void *buf, uint32_t len)
{
	uint8_t *p = buf;

	if ((uint64_t)addr + len > dev_bytes(f))
		return FLASH_ERR_RANGE;
	if (len > BLOCK)
		return pread_all(ff_fd(f), p, len, addr);
	while (len) {
		struct ff_block *b = block_get(f, addr);
		uint32_t off, n;

		if (!b)
			return FLASH_ERR_IO;
		off = addr - b->addr;
		n = b->len - off < len ? b->len - off : len;
		memcpy(p, b->data + off, n);
		p += n;
		addr += n;
		len -= n;
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
		cache_update(ff_of(f), addr, cur, n);
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
	/* The store erases a sector only after syncing the copies of what it
	 * held: a deferred sync must reach the disk before the erase does. */
	if (ff_of(f)->dirty) {
		if (fsync(ff_fd(f)))
			return FLASH_ERR_IO;
		ff_of(f)->dirty = false;
	}
	memset(ones, 0xff, sizeof(ones));
	for (uint32_t off = 0; off < ss; off += CHUNK) {
		uint32_t n = ss - off < CHUNK ? ss - off : CHUNK;
		int e = write_all(ff_fd(f), ones, n, sector * ss + off);

		if (e)
			return e;
		cache_update(ff_of(f), sector * ss + off, NULL, n);
	}
	return FLASH_OK;
}

static int ff_sync(const struct flash_dev *f)
{
	struct flash_file *ff = ff_of(f);

	if (ff->defer_sync) {
		ff->dirty = true;   /* flash_file_sync() makes it durable */
		return FLASH_OK;
	}
	return fsync(ff->fd) ? FLASH_ERR_IO : FLASH_OK;
}

void flash_file_defer_sync(struct flash_file *ff, bool on)
{
	ff->defer_sync = on;
}

bool flash_file_unsynced(const struct flash_file *ff)
{
	return ff->dirty;
}

int flash_file_sync(struct flash_file *ff)
{
	if (!ff->dirty)
		return 0;
	if (fsync(ff->fd))
		return -1;
	ff->dirty = false;
	return 0;
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
	for (unsigned i = 0; i < BLOCKS; i++)
		if (cache[i].owner == ff)
			cache[i].owner = NULL;
	if (ff->fd >= 0) {
		(void)fsync(ff->fd);
		close(ff->fd);
	}
	ff->fd = -1;
	ff->dirty = false;
}
