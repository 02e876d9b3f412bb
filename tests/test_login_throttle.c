/* Unit tests for firmware/login_throttle.c */
#include "login_throttle.h"
#include "unit.h"

TEST(free_then_exponential_then_capped)
{
	uint32_t a = 0x0a000002, t = 1000;
	for (int i = 0; i < THROTTLE_FREE; i++)
		CHECK_EQ_INT(login_throttle_fail(a, t), 0);
	CHECK_EQ_INT(login_throttle_fail(a, t), THROTTLE_BASE_MS);
	CHECK_EQ_INT(login_throttle_fail(a, t), 2 * THROTTLE_BASE_MS);
	CHECK_EQ_INT(login_throttle_fail(a, t), 4 * THROTTLE_BASE_MS);
	for (int i = 0; i < 20; i++)
		login_throttle_fail(a, t);
	CHECK_EQ_INT(login_throttle_fail(a, t), THROTTLE_MAX_MS);
	login_throttle_ok(a);
	CHECK_EQ_INT(login_throttle_fail(a, t), 0);
	login_throttle_ok(a);
}

TEST(sources_are_independent)
{
	uint32_t a = 0x01010101, b = 0x02020202;
	for (int i = 0; i < THROTTLE_FREE + 2; i++)
		login_throttle_fail(a, 5000);
	CHECK_EQ_INT(login_throttle_fail(b, 5000), 0);
	CHECK(login_throttle_fail(a, 5000) > 0);
	login_throttle_ok(a);
	login_throttle_ok(b);
}

TEST(flood_recycles_without_growing)
{
	/* many sources: the table stays bounded and a fresh source is free */
	for (uint32_t i = 0; i < 10 * THROTTLE_SLOTS; i++)
		login_throttle_fail(0x0b000000 + i, 7000 + i);
	CHECK_EQ_INT(login_throttle_fail(0x0c000001, 9000), 0);
	login_throttle_ok(0x0c000001);
}

TEST(quiet_source_is_forgotten)
{
	uint32_t a = 0x03030303;
	for (int i = 0; i < THROTTLE_FREE + 3; i++)
		login_throttle_fail(a, 100);
	CHECK_EQ_INT(login_throttle_fail(a, 100 + THROTTLE_FORGET_MS + 1), 0);
}

int main(void)
{
	RUN(free_then_exponential_then_capped);
	RUN(sources_are_independent);
	RUN(flood_recycles_without_growing);
	RUN(quiet_source_is_forgotten);
	return UNIT_DONE();
}
