/*
 * test_flash_sim.c - the simulator enforces NOR rules and injects faults.
 */
#include <stdint.h>

#include "flash_sim.h"
#include "unit.h"

#define SS 512u
#define SC 8u

static uint8_t mem[SS * SC];
static uint32_t erases[SC];
static uint8_t written[SS * SC / 8];
static uint8_t bad[SC];
static struct flash_sim fs;

static const struct flash_dev *setup(uint32_t prog, bool write_once)
{
	struct flash_geometry g = { SS, SC, prog };

	flash_sim_init(&fs, &g, mem, erases, write_once ? written : NULL, bad);
	flash_sim_erase_all(&fs);
	return &fs.dev;
}

TEST(nor_rules)
{
	const struct flash_dev *f = setup(1, false);
	uint8_t b[4] = { 0xf0, 0x0f, 0x00, 0xff }, r[4];

	CHECK_EQ_INT(f->prog(f, 0, b, 4), FLASH_OK);
	CHECK_EQ_INT(f->read(f, 0, r, 4), FLASH_OK);
	CHECK_EQ_MEM(r, b, 4);
	/* clearing more bits is fine, setting one back is a rule violation */
	b[0] = 0x70;
	CHECK_EQ_INT(f->prog(f, 0, b, 1), FLASH_OK);
	b[0] = 0xf0;
	CHECK_EQ_INT(f->prog(f, 0, b, 1), FLASH_ERR_RULE);
	CHECK_EQ_INT(f->read(f, SS * SC - 2, r, 4), FLASH_ERR_RANGE);
	CHECK_EQ_INT(f->erase(f, SC), FLASH_ERR_RANGE);
	CHECK_EQ_INT(f->erase(f, 0), FLASH_OK);
	CHECK_EQ_INT(f->read(f, 0, r, 4), FLASH_OK);
	CHECK_EQ_INT(r[0], 0xff);
	CHECK_EQ_INT(erases[0], 1);
	CHECK_EQ_INT(fs.prog_bytes, 5);
	CHECK_EQ_INT(fs.read_bytes, 8);
}

TEST(alignment_and_write_once)
{
	const struct flash_dev *f = setup(16, true);
	uint8_t b[32];

	memset(b, 0xff, sizeof(b));
	b[0] = 0;
	CHECK_EQ_INT(f->prog(f, 8, b, 16), FLASH_ERR_RULE);
	CHECK_EQ_INT(f->prog(f, 16, b, 8), FLASH_ERR_RULE);
	CHECK_EQ_INT(f->prog(f, 16, b, 16), FLASH_OK);
	/* even an all-ones re-program of the same unit is refused (ECC flash) */
	memset(b, 0xff, sizeof(b));
	CHECK_EQ_INT(f->prog(f, 16, b, 16), FLASH_ERR_RULE);
	CHECK_EQ_INT(f->prog(f, 32, b, 32), FLASH_OK);
	CHECK_EQ_INT(f->erase(f, 0), FLASH_OK);
	CHECK_EQ_INT(f->prog(f, 16, b, 16), FLASH_OK);
}

TEST(cut_before)
{
	const struct flash_dev *f = setup(1, false);
	uint8_t b = 0, r;

	flash_sim_plan_cut(&fs, 2, FLASH_SIM_CUT_BEFORE, 7);
	CHECK_EQ_INT(f->prog(f, 0, &b, 1), FLASH_OK);
	CHECK_EQ_INT(f->prog(f, 1, &b, 1), FLASH_ERR_POWER);
	CHECK_EQ_INT(f->read(f, 0, &r, 1), FLASH_ERR_POWER);
	flash_sim_power_on(&fs);
	CHECK_EQ_INT(f->read(f, 1, &r, 1), FLASH_OK);
	CHECK_EQ_INT(r, 0xff);
}

TEST(torn_program)
{
	const struct flash_dev *f = setup(1, false);
	uint8_t b[64], r[64];
	int changed = 0, complete = 0;

	memset(b, 0, sizeof(b));
	flash_sim_plan_cut(&fs, 1, FLASH_SIM_CUT_DURING, 12345);
	CHECK_EQ_INT(f->prog(f, 0, b, 64), FLASH_ERR_POWER);
	flash_sim_power_on(&fs);
	CHECK_EQ_INT(f->read(f, 0, r, 64), FLASH_OK);
	for (int i = 0; i < 64; i++) {
		changed += r[i] != 0xff;
		complete += r[i] == 0;
	}
	CHECK(changed > 0);
	CHECK(complete < 64);
}

TEST(interrupted_erase)
{
	const struct flash_dev *f = setup(1, true);
	uint8_t b[SS], r[SS];
	int n = 0;

	memset(b, 0x5a, sizeof(b));
	CHECK_EQ_INT(f->prog(f, SS, b, SS), FLASH_OK);
	flash_sim_plan_cut(&fs, 1, FLASH_SIM_CUT_DURING, 99);
	CHECK_EQ_INT(f->erase(f, 1), FLASH_ERR_POWER);
	flash_sim_power_on(&fs);
	CHECK_EQ_INT(f->read(f, SS, r, SS), FLASH_OK);
	for (uint32_t i = 0; i < SS; i++)
		n += r[i] == 0xff;
	CHECK(n < (int)SS);   /* not a clean erase */
	CHECK_EQ_INT(erases[1], 0);
	/* nothing may be programmed there before a real erase */
	memset(b, 0x00, sizeof(b));
	CHECK_EQ_INT(f->prog(f, SS, b, 1), FLASH_ERR_RULE);
}

TEST(bad_sector)
{
	const struct flash_dev *f = setup(1, false);
	uint8_t b = 0;

	bad[2] = 1;
	CHECK_EQ_INT(f->prog(f, 2 * SS, &b, 1), FLASH_ERR_IO);
	CHECK_EQ_INT(f->erase(f, 2), FLASH_ERR_IO);
	CHECK_EQ_INT(f->prog(f, 3 * SS, &b, 1), FLASH_OK);
	bad[2] = 0;
}

TEST(counters)
{
	const struct flash_dev *f = setup(1, false);
	uint8_t b[8] = { 0 };

	CHECK_EQ_INT(f->prog(f, 0, b, 8), FLASH_OK);
	CHECK_EQ_INT(f->erase(f, 3), FLASH_OK);
	CHECK_EQ_INT(f->sync(f), FLASH_OK);
	CHECK_EQ_INT(fs.ops, 2);
	CHECK_EQ_INT(fs.erase_total, 1);
	flash_sim_reset_counters(&fs);
	CHECK_EQ_INT(fs.prog_bytes, 0);
	CHECK_EQ_INT(erases[3], 0);
	CHECK_EQ_INT(flash_sim_written_bytes(&f->geo), SS * SC / 8);
}

int main(void)
{
	RUN(nor_rules);
	RUN(alignment_and_write_once);
	RUN(cut_before);
	RUN(torn_program);
	RUN(interrupted_erase);
	RUN(bad_sector);
	RUN(counters);
	return UNIT_DONE();
}
