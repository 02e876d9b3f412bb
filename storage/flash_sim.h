/*
 * flash_sim.h - a RAM-backed NOR flash for tests, the power-loss runner and
 * benchmarks. It enforces the NOR rules of flash.h, counts traffic, and
 * injects the faults real parts suffer:
 *   - power cut before or during the Nth program/erase (counted from 1);
 *     a cut during a program leaves each target bit old or new at random
 *     ("torn program"); a cut during an erase leaves the sector with
 *     arbitrary content; after a cut every call fails with FLASH_ERR_POWER;
 *   - bad sectors: programs and erases of a marked sector fail (FLASH_ERR_IO);
 *   - write-once mode: programming a unit twice between erases is
 *     FLASH_ERR_RULE, as on ECC flash (proves the format never patches).
 * "Reboot" after a cut = flash_sim_power_on() and a fresh mount of the same
 * bytes. The caller provides all memory (no allocation here).
 */
#ifndef FLASH_SIM_H
#define FLASH_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "flash.h"

enum flash_sim_cut {
	FLASH_SIM_CUT_BEFORE = 0,   /* the Nth operation does not happen at all */
	FLASH_SIM_CUT_DURING = 1,   /* the Nth operation is torn / interrupted */
};

struct flash_sim {
	struct flash_dev dev;       /* hand &dev to the store */
	uint8_t *mem;               /* sector_size * sector_count bytes */
	uint32_t *erases;           /* per-sector erase counters (sector_count) */
	uint8_t *written;           /* write-once bitmap, 1 bit per program unit, or NULL */
	uint8_t *bad;               /* per-sector bad flag (sector_count bytes), or NULL */
	/* counters */
	uint64_t read_bytes, prog_bytes, erase_total;
	uint64_t ops;               /* programs + erases since power on */
	/* fault plan */
	uint64_t cut_at;            /* cut at this op number (1-based); 0: never */
	enum flash_sim_cut cut_mode;
	bool powered_off;
	uint32_t rng;               /* xorshift state for torn results */
};

/* Set up over caller memory; mem is left as is (use flash_sim_erase_all for
 * a blank chip). written/bad may be NULL. */
void flash_sim_init(struct flash_sim *fs, const struct flash_geometry *geo, uint8_t *mem,
		    uint32_t *erases, uint8_t *written, uint8_t *bad);
void flash_sim_erase_all(struct flash_sim *fs);
/* Plan a power cut at operation number ops + n (n >= 1). */
void flash_sim_plan_cut(struct flash_sim *fs, uint64_t n, enum flash_sim_cut mode, uint32_t seed);
/* Power back on: clears the cut, the op counter and the write-once map's
 * view is kept (it mirrors the bits, which survive). */
void flash_sim_power_on(struct flash_sim *fs);
void flash_sim_reset_counters(struct flash_sim *fs);
/* Bytes the write-once map needs for this geometry. */
uint32_t flash_sim_written_bytes(const struct flash_geometry *geo);

#endif
