/*
 * flash.h - the NOR flash interface a platform provides to the store.
 *
 * Rules every device honours (and the simulator enforces):
 *   - erase sets every byte of one sector to 0xFF;
 *   - prog only clears bits (1 -> 0); setting a bit 0 -> 1 is a caller bug;
 *   - prog addresses and lengths are multiples of geo.prog_size, and a
 *     program unit is programmed at most once between erases (ECC flash
 *     cannot be re-programmed; the store's format never patches in place);
 *   - read is byte addressed and may be any length.
 * All functions return 0 on success or a negative FLASH_ERR_* code.
 */
#ifndef FLASH_H
#define FLASH_H

#include <stdint.h>

enum {
	FLASH_OK = 0,
	FLASH_ERR_IO = -1,     /* device failure (bad sector, timeout) */
	FLASH_ERR_RANGE = -2,  /* address outside the device */
	FLASH_ERR_RULE = -3,   /* caller broke a NOR rule (simulator only) */
	FLASH_ERR_POWER = -4,  /* simulated power cut: nothing more happens */
};

struct flash_geometry {
	uint32_t sector_size;  /* erase unit, bytes (power of two) */
	uint32_t sector_count;
	uint32_t prog_size;    /* program unit and alignment, bytes (1..256) */
};

struct flash_dev {
	struct flash_geometry geo;
	int (*read)(const struct flash_dev *f, uint32_t addr, void *buf, uint32_t len);
	int (*prog)(const struct flash_dev *f, uint32_t addr, const void *buf, uint32_t len);
	int (*erase)(const struct flash_dev *f, uint32_t sector);
	int (*sync)(const struct flash_dev *f);  /* make completed progs durable */
	void *ctx;
};

#endif
