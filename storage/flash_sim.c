/*
 * flash_sim.c - RAM-backed NOR flash with fault injection (see flash_sim.h).
 */
#include "flash_sim.h"

#include <string.h>

static struct flash_sim *sim_of(const struct flash_dev *f)
{
	return (struct flash_sim *)f->ctx;
}

static uint32_t sim_rand(struct flash_sim *fs)
{
	uint32_t x = fs->rng ? fs->rng : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	fs->rng = x;
	return x;
}

static uint32_t dev_bytes(const struct flash_sim *fs)
{
	return fs->dev.geo.sector_size * fs->dev.geo.sector_count;
}

static bool unit_written(const struct flash_sim *fs, uint32_t unit)
{
	return (fs->written[unit >> 3] >> (unit & 7u)) & 1u;
}

static void set_units(struct flash_sim *fs, uint32_t addr, uint32_t len, bool on)
{
	uint32_t p = fs->dev.geo.prog_size;

	for (uint32_t u = addr / p; u < (addr + len) / p; u++) {
		if (on)
			fs->written[u >> 3] |= (uint8_t)(1u << (u & 7u));
		else
			fs->written[u >> 3] &= (uint8_t)~(1u << (u & 7u));
	}
}

/* Count one program/erase; true if the power fails at this one. */
static bool op_cuts(struct flash_sim *fs)
{
	fs->ops++;
	return fs->cut_at && fs->ops >= fs->cut_at;
}

static int sim_read(const struct flash_dev *f, uint32_t addr, void *buf, uint32_t len)
{
	struct flash_sim *fs = sim_of(f);

	if (fs->powered_off)
		return FLASH_ERR_POWER;
	if (addr > dev_bytes(fs) || len > dev_bytes(fs) - addr)
		return FLASH_ERR_RANGE;
	memcpy(buf, fs->mem + addr, len);
	fs->read_bytes += len;
	return FLASH_OK;
}

static int sim_prog(const struct flash_dev *f, uint32_t addr, const void *buf, uint32_t len)
{
	struct flash_sim *fs = sim_of(f);
	const uint8_t *src = buf;
	uint32_t p = f->geo.prog_size;

	if (fs->powered_off)
		return FLASH_ERR_POWER;
	if (addr > dev_bytes(fs) || len > dev_bytes(fs) - addr)
		return FLASH_ERR_RANGE;
	if (addr % p || len % p)
		return FLASH_ERR_RULE;
	for (uint32_t i = 0; i < len; i++)
		if ((fs->mem[addr + i] & src[i]) != src[i])
			return FLASH_ERR_RULE;   /* a bit would go 0 -> 1 */
	if (fs->written)
		for (uint32_t u = addr / p; u < (addr + len) / p; u++)
			if (unit_written(fs, u))
				return FLASH_ERR_RULE;
	if (fs->bad && len && fs->bad[addr / f->geo.sector_size])
		return FLASH_ERR_IO;
	if (op_cuts(fs)) {
		if (fs->cut_mode == FLASH_SIM_CUT_DURING) {
			/* Each bit the program would clear is cleared or not. */
			for (uint32_t i = 0; i < len; i++) {
				uint8_t clear = (uint8_t)(fs->mem[addr + i] & ~src[i]);
				fs->mem[addr + i] &= (uint8_t)~(clear & (uint8_t)sim_rand(fs));
			}
			if (fs->written)
				set_units(fs, addr, len, true);
		}
		fs->powered_off = true;
		return FLASH_ERR_POWER;
	}
	for (uint32_t i = 0; i < len; i++)
		fs->mem[addr + i] &= src[i];
	if (fs->written)
		set_units(fs, addr, len, true);
	fs->prog_bytes += len;
	return FLASH_OK;
}

static int sim_erase(const struct flash_dev *f, uint32_t sector)
{
	struct flash_sim *fs = sim_of(f);
	uint32_t ss = f->geo.sector_size;
	uint8_t *m;

	if (fs->powered_off)
		return FLASH_ERR_POWER;
	if (sector >= f->geo.sector_count)
		return FLASH_ERR_RANGE;
	if (fs->bad && fs->bad[sector])
		return FLASH_ERR_IO;
	m = fs->mem + sector * ss;
	if (op_cuts(fs)) {
		if (fs->cut_mode == FLASH_SIM_CUT_DURING) {
			/* Arbitrary content, in one of three shapes real parts show:
			 * random bytes, an erased prefix, or a random mix of old and
			 * erased bytes. The written map keeps "programmed" so nothing
			 * may be programmed there before a proper erase. */
			uint32_t shape = sim_rand(fs) % 3u, cut = sim_rand(fs) % ss;

			for (uint32_t i = 0; i < ss; i++) {
				if (shape == 0)
					m[i] = (uint8_t)sim_rand(fs);
				else if (shape == 1 && i < cut)
					m[i] = 0xff;
				else if (shape == 2 && (sim_rand(fs) & 1u))
					m[i] = 0xff;
			}
			if (fs->written)
				set_units(fs, sector * ss, ss, true);
		}
		fs->powered_off = true;
		return FLASH_ERR_POWER;
	}
	memset(m, 0xff, ss);
	if (fs->written)
		set_units(fs, sector * ss, ss, false);
	fs->erases[sector]++;
	fs->erase_total++;
	return FLASH_OK;
}

static int sim_sync(const struct flash_dev *f)
{
	return sim_of(f)->powered_off ? FLASH_ERR_POWER : FLASH_OK;
}

void flash_sim_init(struct flash_sim *fs, const struct flash_geometry *geo, uint8_t *mem,
		    uint32_t *erases, uint8_t *written, uint8_t *bad)
{
	memset(fs, 0, sizeof(*fs));
	fs->dev.geo = *geo;
	fs->dev.read = sim_read;
	fs->dev.prog = sim_prog;
	fs->dev.erase = sim_erase;
	fs->dev.sync = sim_sync;
	fs->dev.ctx = fs;
	fs->mem = mem;
	fs->erases = erases;
	fs->written = written;
	fs->bad = bad;
	fs->rng = 1;
	memset(erases, 0, geo->sector_count * sizeof(*erases));
	if (written)
		memset(written, 0, flash_sim_written_bytes(geo));
	if (bad)
		memset(bad, 0, geo->sector_count);
}

void flash_sim_erase_all(struct flash_sim *fs)
{
	memset(fs->mem, 0xff, dev_bytes(fs));
	if (fs->written)
		memset(fs->written, 0, flash_sim_written_bytes(&fs->dev.geo));
}

void flash_sim_plan_cut(struct flash_sim *fs, uint64_t n, enum flash_sim_cut mode, uint32_t seed)
{
	fs->cut_at = fs->ops + n;
	fs->cut_mode = mode;
	fs->rng = seed | 1u;
}

void flash_sim_power_on(struct flash_sim *fs)
{
	fs->powered_off = false;
	fs->cut_at = 0;
}

void flash_sim_reset_counters(struct flash_sim *fs)
{
	fs->read_bytes = fs->prog_bytes = fs->erase_total = 0;
	fs->ops = 0;
	memset(fs->erases, 0, fs->dev.geo.sector_count * sizeof(*fs->erases));
}

uint32_t flash_sim_written_bytes(const struct flash_geometry *geo)
{
	uint32_t units = geo->sector_size / geo->prog_size * geo->sector_count;

	return (units + 7u) / 8u;
}
