/*
 * flash_file.h - a NOR flash over a host file: the --image of imapd and the
 * image of the host tools. Same rules as a real part (and the simulator):
 * erase fills a sector with 0xFF, a program ANDs bits in (setting a bit
 * 0 -> 1 is refused), sync is fsync.
 */
#ifndef FLASH_FILE_H
#define FLASH_FILE_H

#include "flash.h"

struct flash_file {
	struct flash_dev dev;
	int fd;
};

/* Open path, creating a blank (all 0xFF) image of geo's size if it does
 * not exist. An existing file keeps its size: sector_count becomes
 * file size / sector_size. Returns 0, or -1 with errno set. */
int flash_file_open(struct flash_file *ff, const char *path, const struct flash_geometry *geo,
		    const struct flash_dev **dev);
void flash_file_close(struct flash_file *ff);

#endif
