/*
 * flash_semihost.h - the board's NOR flash: one host image file reached by
 * semihosting, with NOR semantics (erase fills a sector with 0xFF, program
 * ANDs the new bytes into the old). Mail persists across reboots.
 */
#ifndef FLASH_SEMIHOST_H
#define FLASH_SEMIHOST_H

#include <stdbool.h>

#include "flash.h"

struct flash_semihost {
	struct flash_dev dev;
	int fd;
	bool created;     /* the image did not exist and was made blank */
};

/* Open path, or create it blank (all 0xFF) with geometry geo. An existing
 * image must have exactly the size geo describes. 0 or FLASH_ERR_IO. */
int flash_semihost_open(struct flash_semihost *fs, const char *path,
			const struct flash_geometry *geo);

#endif
