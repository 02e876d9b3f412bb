/*
 * flash_file.h - a NOR flash over a host file: the --image of imapd and the
 * image of the host tools. Same rules as a real part (and the simulator):
 * erase fills a sector with 0xFF, a program ANDs bits in (setting a bit
 * 0 -> 1 is refused), sync is fsync (now, or once per pass: flash_file_defer_sync()).
 */
#ifndef FLASH_FILE_H
#define FLASH_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "flash.h"

struct flash_file {
	struct flash_dev dev;
	int fd;
	bool defer_sync;          /* see flash_file_defer_sync() */
	bool dirty;               /* a deferred sync is owed */
};

/* Open path, creating a blank (all 0xFF) image of geo's size if it does
 * not exist. An existing file keeps its size: sector_count becomes
 * file size / sector_size. Returns 0, or -1 with errno set. */
int flash_file_open(struct flash_file *ff, const char *path, const struct flash_geometry *geo,
		    const struct flash_dev **dev);
void flash_file_close(struct flash_file *ff);

/* Group commit. With on, the device's sync only notes that one is owed and
 * the owner calls flash_file_sync() at a point of its choosing: imapd's
 * main loop does it once per pass, before any packet that could
 * acknowledge the writes leaves (see slirp_netif_set_barrier()). An erase
 * still syncs first, so the store's sync-before-erase order holds. */
void flash_file_defer_sync(struct flash_file *ff, bool on);
bool flash_file_unsynced(const struct flash_file *ff);
/* fsync if a sync is owed. 0, or -1 with errno. */
int flash_file_sync(struct flash_file *ff);

#endif
